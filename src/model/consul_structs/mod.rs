//! The Go structs Consul 1.8.7's snapshot restore decodes each `state.bin` record into, as
//! go-msgpack 0.5.5 sees them: msgpack keys (Go field names; no `codec` tags occur),
//! embedded structs flattened in declaration order, the CE build's empty `EnterpriseMeta`
//! contributing nothing, fields in Go declaration order.
//!
//! Read from Consul 1.8.7's source: the restore dispatch in `agent/consul/fsm/fsm.go`
//! (`Restore`, which decodes ChunkingState itself) and `agent/consul/fsm/snapshot_oss.go`
//! (`registerRestorer`); the structs in `agent/structs/structs.go`, `structs_oss.go`,
//! `acl.go`, `acl_oss.go`, `acl_legacy.go`, `check_type.go`, `service_definition.go`,
//! `connect_proxy_config.go`, `connect_ca.go`, `intention.go`, `prepared_query.go`,
//! `federation_state.go`, `config_entry.go`, `config_entry_discoverychain.go`,
//! `config_entry_gateways.go`; `agent/consul/autopilot/structs.go`;
//! `agent/consul/state/state_store.go` (`IndexEntry`); and the dependencies Consul 1.8.7
//! pins in `go.mod`: `github.com/hashicorp/serf` v0.9.4 (`coordinate/coordinate.go`) and
//! `github.com/hashicorp/go-raftchunking` v0.6.1 (`chunking.go`).

#[allow(unused_imports)]
use super::gotype::{f, Field, Go, Special, Struct};

/// The fields `structs.RaftIndex` contributes when embedded.
const RAFT_INDEX: [Field; 2] = [
    f("CreateIndex", Go::Uint(64)),
    f("ModifyIndex", Go::Uint(64)),
];

/// `map[string]string`.
const STR_MAP: Go = Go::Map(&Go::Str, &Go::Str);
/// `map[string]interface{}`.
const ANY_MAP: Go = Go::Map(&Go::Str, &Go::Any);
/// `[]string` (also `[]types.CheckID`).
const STR_SLICE: Go = Go::Slice(&Go::Str);

mod acl;
mod catalog;
mod config_entries;
mod kv;
mod system;

pub use acl::*;
pub use catalog::*;
pub use config_entries::*;
pub use kv::*;
pub use system::*;

// ---- Chunking and federation states (types 29, 30) ----

/// `raftchunking.ChunkInfo` (github.com/hashicorp/go-raftchunking v0.6.1).
pub static CHUNK_INFO: Struct = Struct {
    name: "raftchunking.ChunkInfo",
    fields: &[
        f("OpNum", Go::Uint(64)),
        f("SequenceNum", Go::Uint(32)),
        f("NumChunks", Go::Uint(32)),
        f("Term", Go::Uint(64)),
        f("Data", Go::Bytes),
    ],
};

/// `raftchunking.State` (go-raftchunking v0.6.1); `ChunkMap` is `map[uint64][]*ChunkInfo`.
pub static CHUNKING_STATE: Struct = Struct {
    name: "raftchunking.State",
    fields: &[f(
        "ChunkMap",
        Go::Map(
            &Go::Uint(64),
            &Go::Slice(&Go::Ptr(&Go::Struct(&CHUNK_INFO))),
        ),
    )],
};

/// `structs.FederationState`.
pub static FEDERATION_STATE: Struct = Struct {
    name: "structs.FederationState",
    fields: &[
        f("Datacenter", Go::Str),
        f("MeshGateways", Go::Slice(&Go::Struct(&CHECK_SERVICE_NODE))),
        f("UpdatedAt", Go::Time),
        f("PrimaryModifyIndex", Go::Uint(64)),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.FederationStateRequest`.
pub static FEDERATION_STATE_REQUEST: Struct = Struct {
    name: "structs.FederationStateRequest",
    fields: &[
        f("Datacenter", Go::Str),
        f("Op", Go::Str),
        f("State", Go::Ptr(&Go::Struct(&FEDERATION_STATE))),
        f("Token", Go::Str),
    ],
};

/// `*structs.Coordinate`, the element of `structs.Coordinates` (`[]*structs.Coordinate`).
static COORDINATE_PTR: Go = Go::Ptr(&COORDINATE_GO);
/// `structs.Coordinate` as a Go value.
static COORDINATE_GO: Go = Go::Struct(&COORDINATE);

/// The Go value Consul 1.8.7's restore decodes a record of message type `t` into; `None` for
/// types 1.8.7 does not restore (its `Restore` fails on them: "Unrecognized msg type").
pub fn record_schema(t: u8) -> Option<Go> {
    Some(match t {
        0 => Go::Struct(&REGISTER_REQUEST),
        2 | 5 => Go::Struct(&DIR_ENTRY),
        3 => Go::Struct(&SESSION),
        4 => Go::Struct(&ACL),
        6 => Go::Slice(&COORDINATE_PTR),
        7 => Go::Struct(&PREPARED_QUERY),
        9 => Go::Struct(&AUTOPILOT_CONFIG),
        11 => Go::Struct(&ACL_BOOTSTRAP),
        12 => Go::Struct(&INTENTION),
        13 => Go::Struct(&CA_ROOT),
        14 => Go::Struct(&CA_CONSUL_PROVIDER_STATE),
        15 => Go::Struct(&CA_CONFIGURATION),
        16 => Go::Struct(&INDEX_ENTRY),
        17 => Go::Struct(&ACL_TOKEN),
        19 => Go::Struct(&ACL_POLICY),
        22 => Go::Special(Special::ConfigEntryRequest),
        23 => Go::Struct(&ACL_ROLE),
        25 => Go::Struct(&ACL_BINDING_RULE),
        27 => Go::Struct(&ACL_AUTH_METHOD),
        29 => Go::Struct(&CHUNKING_STATE),
        30 => Go::Struct(&FEDERATION_STATE_REQUEST),
        _ => return None,
    })
}
