//! KV entries, sessions, coordinates and prepared queries (types 2, 3, 5, 6, 7).

use super::*;

// ---- KV, sessions, coordinates, prepared queries (types 2, 3, 5, 6, 7) ----

/// `structs.DirEntry` (KVS and Tombstone records).
pub static DIR_ENTRY: Struct = Struct {
    name: "structs.DirEntry",
    fields: &[
        f("LockIndex", Go::Uint(64)),
        f("Key", Go::Str),
        f("Flags", Go::Uint(64)),
        f("Value", Go::Bytes),
        f("Session", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ServiceCheck`.
pub static SERVICE_CHECK: Struct = Struct {
    name: "structs.ServiceCheck",
    fields: &[f("ID", Go::Str), f("Namespace", Go::Str)],
};

/// `structs.Session`.
pub static SESSION: Struct = Struct {
    name: "structs.Session",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Node", Go::Str),
        f("LockDelay", Go::Int(64)),
        f("Behavior", Go::Str),
        f("TTL", Go::Str),
        f("NodeChecks", STR_SLICE),
        f("ServiceChecks", Go::Slice(&Go::Struct(&SERVICE_CHECK))),
        f("Checks", STR_SLICE),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `coordinate.Coordinate` (github.com/hashicorp/serf v0.9.4).
pub static SERF_COORDINATE: Struct = Struct {
    name: "coordinate.Coordinate",
    fields: &[
        f("Vec", Go::Slice(&Go::Float(64))),
        f("Error", Go::Float(64)),
        f("Adjustment", Go::Float(64)),
        f("Height", Go::Float(64)),
    ],
};

/// `structs.Coordinate`.
pub static COORDINATE: Struct = Struct {
    name: "structs.Coordinate",
    fields: &[
        f("Node", Go::Str),
        f("Segment", Go::Str),
        f("Coord", Go::Ptr(&Go::Struct(&SERF_COORDINATE))),
    ],
};

/// `structs.QueryDatacenterOptions`.
pub static QUERY_DATACENTER_OPTIONS: Struct = Struct {
    name: "structs.QueryDatacenterOptions",
    fields: &[f("NearestN", Go::Int(64)), f("Datacenters", STR_SLICE)],
};

/// `structs.QueryDNSOptions`.
pub static QUERY_DNS_OPTIONS: Struct = Struct {
    name: "structs.QueryDNSOptions",
    fields: &[f("TTL", Go::Str)],
};

/// `structs.ServiceQuery`.
pub static SERVICE_QUERY: Struct = Struct {
    name: "structs.ServiceQuery",
    fields: &[
        f("Service", Go::Str),
        f("Failover", Go::Struct(&QUERY_DATACENTER_OPTIONS)),
        f("OnlyPassing", Go::Bool),
        f("IgnoreCheckIDs", STR_SLICE),
        f("Near", Go::Str),
        f("Tags", STR_SLICE),
        f("NodeMeta", STR_MAP),
        f("ServiceMeta", STR_MAP),
        f("Connect", Go::Bool),
    ],
};

/// `structs.QueryTemplateOptions`.
pub static QUERY_TEMPLATE_OPTIONS: Struct = Struct {
    name: "structs.QueryTemplateOptions",
    fields: &[
        f("Type", Go::Str),
        f("Regexp", Go::Str),
        f("RemoveEmptyTags", Go::Bool),
    ],
};

/// `structs.PreparedQuery`.
pub static PREPARED_QUERY: Struct = Struct {
    name: "structs.PreparedQuery",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Session", Go::Str),
        f("Token", Go::Str),
        f("Template", Go::Struct(&QUERY_TEMPLATE_OPTIONS)),
        f("Service", Go::Struct(&SERVICE_QUERY)),
        f("DNS", Go::Struct(&QUERY_DNS_OPTIONS)),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};
