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

// `fs` is for fields added after 1.8.7, which this schema does not cover yet.
#[allow(unused_imports)]
use super::gotype::{f, fs, Field, Go, Special, Struct};

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

// ---- Catalog (type 0: structs.RegisterRequest) ----

/// `structs.Weights`.
pub static WEIGHTS: Struct = Struct {
    name: "structs.Weights",
    fields: &[f("Passing", Go::Int(64)), f("Warning", Go::Int(64))],
};

/// `structs.ServiceAddress`.
pub static SERVICE_ADDRESS: Struct = Struct {
    name: "structs.ServiceAddress",
    fields: &[f("Address", Go::Str), f("Port", Go::Int(64))],
};

/// `structs.MeshGatewayConfig`.
pub static MESH_GATEWAY_CONFIG: Struct = Struct {
    name: "structs.MeshGatewayConfig",
    fields: &[f("Mode", Go::Str)],
};

/// `structs.ExposePath`.
pub static EXPOSE_PATH: Struct = Struct {
    name: "structs.ExposePath",
    fields: &[
        f("ListenerPort", Go::Int(64)),
        f("Path", Go::Str),
        f("LocalPathPort", Go::Int(64)),
        f("Protocol", Go::Str),
        f("ParsedFromCheck", Go::Bool),
    ],
};

/// `structs.ExposeConfig`.
pub static EXPOSE_CONFIG: Struct = Struct {
    name: "structs.ExposeConfig",
    fields: &[
        f("Checks", Go::Bool),
        f("Paths", Go::Slice(&Go::Struct(&EXPOSE_PATH))),
    ],
};

/// `structs.Upstream`.
pub static UPSTREAM: Struct = Struct {
    name: "structs.Upstream",
    fields: &[
        f("DestinationType", Go::Str),
        f("DestinationNamespace", Go::Str),
        f("DestinationName", Go::Str),
        f("Datacenter", Go::Str),
        f("LocalBindAddress", Go::Str),
        f("LocalBindPort", Go::Int(64)),
        f("Config", ANY_MAP),
        f("MeshGateway", Go::Struct(&MESH_GATEWAY_CONFIG)),
        f("IngressHosts", STR_SLICE),
    ],
};

/// `structs.ConnectProxyConfig`.
pub static CONNECT_PROXY_CONFIG: Struct = Struct {
    name: "structs.ConnectProxyConfig",
    fields: &[
        f("DestinationServiceName", Go::Str),
        f("DestinationServiceID", Go::Str),
        f("LocalServiceAddress", Go::Str),
        f("LocalServicePort", Go::Int(64)),
        f("Config", ANY_MAP),
        f("Upstreams", Go::Slice(&Go::Struct(&UPSTREAM))),
        f("MeshGateway", Go::Struct(&MESH_GATEWAY_CONFIG)),
        f("Expose", Go::Struct(&EXPOSE_CONFIG)),
    ],
};

/// `structs.CheckType`.
pub static CHECK_TYPE: Struct = Struct {
    name: "structs.CheckType",
    fields: &[
        f("CheckID", Go::Str),
        f("Name", Go::Str),
        f("Status", Go::Str),
        f("Notes", Go::Str),
        f("ScriptArgs", STR_SLICE),
        f("HTTP", Go::Str),
        f("Header", Go::Map(&Go::Str, &STR_SLICE)),
        f("Method", Go::Str),
        f("Body", Go::Str),
        f("TCP", Go::Str),
        f("Interval", Go::Int(64)),
        f("AliasNode", Go::Str),
        f("AliasService", Go::Str),
        f("DockerContainerID", Go::Str),
        f("Shell", Go::Str),
        f("GRPC", Go::Str),
        f("GRPCUseTLS", Go::Bool),
        f("TLSSkipVerify", Go::Bool),
        f("Timeout", Go::Int(64)),
        f("TTL", Go::Int(64)),
        f("SuccessBeforePassing", Go::Int(64)),
        f("FailuresBeforeCritical", Go::Int(64)),
        f("ProxyHTTP", Go::Str),
        f("ProxyGRPC", Go::Str),
        f("DeregisterCriticalServiceAfter", Go::Int(64)),
        f("OutputMaxSize", Go::Int(64)),
    ],
};

/// `structs.ServiceDefinition` (a sidecar registration nested in `ServiceConnect`).
pub static SERVICE_DEFINITION: Struct = Struct {
    name: "structs.ServiceDefinition",
    fields: &[
        f("Kind", Go::Str),
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Tags", STR_SLICE),
        f("Address", Go::Str),
        f(
            "TaggedAddresses",
            Go::Map(&Go::Str, &Go::Struct(&SERVICE_ADDRESS)),
        ),
        f("Meta", STR_MAP),
        f("Port", Go::Int(64)),
        f("Check", Go::Struct(&CHECK_TYPE)),
        f("Checks", Go::Slice(&Go::Ptr(&Go::Struct(&CHECK_TYPE)))),
        f("Weights", Go::Ptr(&Go::Struct(&WEIGHTS))),
        f("Token", Go::Str),
        f("EnableTagOverride", Go::Bool),
        f("Proxy", Go::Ptr(&Go::Struct(&CONNECT_PROXY_CONFIG))),
        f("Connect", Go::Ptr(&Go::Struct(&SERVICE_CONNECT))),
    ],
};

/// `structs.ServiceConnect` (recursive through `ServiceDefinition.Connect`).
pub static SERVICE_CONNECT: Struct = Struct {
    name: "structs.ServiceConnect",
    fields: &[
        f("Native", Go::Bool),
        f("SidecarService", Go::Ptr(&Go::Struct(&SERVICE_DEFINITION))),
    ],
};

/// `structs.NodeService`.
pub static NODE_SERVICE: Struct = Struct {
    name: "structs.NodeService",
    fields: &[
        f("Kind", Go::Str),
        f("ID", Go::Str),
        f("Service", Go::Str),
        f("Tags", STR_SLICE),
        f("Address", Go::Str),
        f(
            "TaggedAddresses",
            Go::Map(&Go::Str, &Go::Struct(&SERVICE_ADDRESS)),
        ),
        f("Meta", STR_MAP),
        f("Port", Go::Int(64)),
        f("Weights", Go::Ptr(&Go::Struct(&WEIGHTS))),
        f("EnableTagOverride", Go::Bool),
        f("Proxy", Go::Struct(&CONNECT_PROXY_CONFIG)),
        f("Connect", Go::Struct(&SERVICE_CONNECT)),
        f("LocallyRegisteredAsSidecar", Go::Bool),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.HealthCheckDefinition`.
pub static HEALTH_CHECK_DEFINITION: Struct = Struct {
    name: "structs.HealthCheckDefinition",
    fields: &[
        f("HTTP", Go::Str),
        f("TLSSkipVerify", Go::Bool),
        f("Header", Go::Map(&Go::Str, &STR_SLICE)),
        f("Method", Go::Str),
        f("Body", Go::Str),
        f("TCP", Go::Str),
        f("Interval", Go::Int(64)),
        f("OutputMaxSize", Go::Uint(64)),
        f("Timeout", Go::Int(64)),
        f("DeregisterCriticalServiceAfter", Go::Int(64)),
        f("ScriptArgs", STR_SLICE),
        f("DockerContainerID", Go::Str),
        f("Shell", Go::Str),
        f("GRPC", Go::Str),
        f("GRPCUseTLS", Go::Bool),
        f("AliasNode", Go::Str),
        f("AliasService", Go::Str),
        f("TTL", Go::Int(64)),
    ],
};

/// `structs.HealthCheck`.
pub static HEALTH_CHECK: Struct = Struct {
    name: "structs.HealthCheck",
    fields: &[
        f("Node", Go::Str),
        f("CheckID", Go::Str),
        f("Name", Go::Str),
        f("Status", Go::Str),
        f("Notes", Go::Str),
        f("Output", Go::Str),
        f("ServiceID", Go::Str),
        f("ServiceName", Go::Str),
        f("ServiceTags", STR_SLICE),
        f("Type", Go::Str),
        f("Definition", Go::Struct(&HEALTH_CHECK_DEFINITION)),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.HealthChecks` (`[]*structs.HealthCheck`).
const HEALTH_CHECKS: Go = Go::Slice(&Go::Ptr(&Go::Struct(&HEALTH_CHECK)));

/// `structs.RegisterRequest`.
pub static REGISTER_REQUEST: Struct = Struct {
    name: "structs.RegisterRequest",
    fields: &[
        f("Datacenter", Go::Str),
        f("ID", Go::Str),
        f("Node", Go::Str),
        f("Address", Go::Str),
        f("TaggedAddresses", STR_MAP),
        f("NodeMeta", STR_MAP),
        f("Service", Go::Ptr(&Go::Struct(&NODE_SERVICE))),
        f("Check", Go::Ptr(&Go::Struct(&HEALTH_CHECK))),
        f("Checks", HEALTH_CHECKS),
        f("SkipNodeUpdate", Go::Bool),
        f("Token", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.Node`.
pub static NODE: Struct = Struct {
    name: "structs.Node",
    fields: &[
        f("ID", Go::Str),
        f("Node", Go::Str),
        f("Address", Go::Str),
        f("Datacenter", Go::Str),
        f("TaggedAddresses", STR_MAP),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CheckServiceNode`.
pub static CHECK_SERVICE_NODE: Struct = Struct {
    name: "structs.CheckServiceNode",
    fields: &[
        f("Node", Go::Ptr(&Go::Struct(&NODE))),
        f("Service", Go::Ptr(&Go::Struct(&NODE_SERVICE))),
        f("Checks", HEALTH_CHECKS),
    ],
};

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

// ---- Legacy ACLs, autopilot, intentions, Connect CA, index (types 4, 9, 11-16) ----

/// `structs.ACL` (legacy ACL token).
pub static ACL: Struct = Struct {
    name: "structs.ACL",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Type", Go::Str),
        f("Rules", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLBootstrap` (legacy bootstrap record).
pub static ACL_BOOTSTRAP: Struct = Struct {
    name: "structs.ACLBootstrap",
    fields: &[f("AllowBootstrap", Go::Bool), RAFT_INDEX[0], RAFT_INDEX[1]],
};

/// `autopilot.Config` (Consul's own `agent/consul/autopilot`, not raft-autopilot).
pub static AUTOPILOT_CONFIG: Struct = Struct {
    name: "autopilot.Config",
    fields: &[
        f("CleanupDeadServers", Go::Bool),
        f("LastContactThreshold", Go::Int(64)),
        f("MaxTrailingLogs", Go::Uint(64)),
        f("MinQuorum", Go::Uint(64)),
        f("ServerStabilizationTime", Go::Int(64)),
        f("RedundancyZoneTag", Go::Str),
        f("DisableUpgradeMigration", Go::Bool),
        f("UpgradeVersionTag", Go::Str),
        f("CreateIndex", Go::Uint(64)),
        f("ModifyIndex", Go::Uint(64)),
    ],
};

/// `structs.Intention`.
pub static INTENTION: Struct = Struct {
    name: "structs.Intention",
    fields: &[
        f("ID", Go::Str),
        f("Description", Go::Str),
        f("SourceNS", Go::Str),
        f("SourceName", Go::Str),
        f("DestinationNS", Go::Str),
        f("DestinationName", Go::Str),
        f("SourceType", Go::Str),
        f("Action", Go::Str),
        f("DefaultAddr", Go::Str),
        f("DefaultPort", Go::Int(64)),
        f("Meta", STR_MAP),
        f("Precedence", Go::Int(64)),
        f("CreatedAt", Go::Time),
        f("UpdatedAt", Go::Time),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CARoot`.
pub static CA_ROOT: Struct = Struct {
    name: "structs.CARoot",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("SerialNumber", Go::Uint(64)),
        f("SigningKeyID", Go::Str),
        f("ExternalTrustDomain", Go::Str),
        f("NotBefore", Go::Time),
        f("NotAfter", Go::Time),
        f("RootCert", Go::Str),
        f("IntermediateCerts", STR_SLICE),
        f("SigningCert", Go::Str),
        f("SigningKey", Go::Str),
        f("Active", Go::Bool),
        f("RotatedOutAt", Go::Time),
        f("PrivateKeyType", Go::Str),
        f("PrivateKeyBits", Go::Int(64)),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CAConsulProviderState`.
pub static CA_CONSUL_PROVIDER_STATE: Struct = Struct {
    name: "structs.CAConsulProviderState",
    fields: &[
        f("ID", Go::Str),
        f("PrivateKey", Go::Str),
        f("RootCert", Go::Str),
        f("IntermediateCert", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CAConfiguration`.
pub static CA_CONFIGURATION: Struct = Struct {
    name: "structs.CAConfiguration",
    fields: &[
        f("ClusterID", Go::Str),
        f("Provider", Go::Str),
        f("Config", ANY_MAP),
        f("State", STR_MAP),
        f("ForceWithoutCrossSigning", Go::Bool),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `state.IndexEntry`.
pub static INDEX_ENTRY: Struct = Struct {
    name: "state.IndexEntry",
    fields: &[f("Key", Go::Str), f("Value", Go::Uint(64))],
};

// ---- ACLs (types 17, 19, 23, 25, 27) ----

/// `structs.ACLTokenPolicyLink`.
pub static ACL_TOKEN_POLICY_LINK: Struct = Struct {
    name: "structs.ACLTokenPolicyLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLTokenRoleLink`.
pub static ACL_TOKEN_ROLE_LINK: Struct = Struct {
    name: "structs.ACLTokenRoleLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLRolePolicyLink`.
pub static ACL_ROLE_POLICY_LINK: Struct = Struct {
    name: "structs.ACLRolePolicyLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLServiceIdentity`.
pub static ACL_SERVICE_IDENTITY: Struct = Struct {
    name: "structs.ACLServiceIdentity",
    fields: &[f("ServiceName", Go::Str), f("Datacenters", STR_SLICE)],
};

/// `structs.ACLNodeIdentity`.
pub static ACL_NODE_IDENTITY: Struct = Struct {
    name: "structs.ACLNodeIdentity",
    fields: &[f("NodeName", Go::Str), f("Datacenter", Go::Str)],
};

/// `structs.ACLToken`.
pub static ACL_TOKEN: Struct = Struct {
    name: "structs.ACLToken",
    fields: &[
        f("AccessorID", Go::Str),
        f("SecretID", Go::Str),
        f("Description", Go::Str),
        f("Policies", Go::Slice(&Go::Struct(&ACL_TOKEN_POLICY_LINK))),
        f("Roles", Go::Slice(&Go::Struct(&ACL_TOKEN_ROLE_LINK))),
        f(
            "ServiceIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_SERVICE_IDENTITY))),
        ),
        f(
            "NodeIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_NODE_IDENTITY))),
        ),
        f("Type", Go::Str),
        f("Rules", Go::Str),
        f("Local", Go::Bool),
        f("AuthMethod", Go::Str),
        f("ExpirationTime", Go::Ptr(&Go::Time)),
        f("ExpirationTTL", Go::Int(64)),
        f("CreateTime", Go::Time),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLPolicy`.
pub static ACL_POLICY: Struct = Struct {
    name: "structs.ACLPolicy",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Description", Go::Str),
        f("Rules", Go::Str),
        f("Syntax", Go::Int(64)),
        f("Datacenters", STR_SLICE),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLRole`.
pub static ACL_ROLE: Struct = Struct {
    name: "structs.ACLRole",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Description", Go::Str),
        f("Policies", Go::Slice(&Go::Struct(&ACL_ROLE_POLICY_LINK))),
        f(
            "ServiceIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_SERVICE_IDENTITY))),
        ),
        f(
            "NodeIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_NODE_IDENTITY))),
        ),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLBindingRule`.
pub static ACL_BINDING_RULE: Struct = Struct {
    name: "structs.ACLBindingRule",
    fields: &[
        f("ID", Go::Str),
        f("Description", Go::Str),
        f("AuthMethod", Go::Str),
        f("Selector", Go::Str),
        f("BindType", Go::Str),
        f("BindName", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLAuthMethod`.
pub static ACL_AUTH_METHOD: Struct = Struct {
    name: "structs.ACLAuthMethod",
    fields: &[
        f("Name", Go::Str),
        f("Type", Go::Str),
        f("DisplayName", Go::Str),
        f("Description", Go::Str),
        f("MaxTokenTTL", Go::Int(64)),
        f("TokenLocality", Go::Str),
        f("Config", ANY_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

// ---- Config entries (type 22) ----

/// `structs.ServiceConfigEntry` (kind `service-defaults`).
pub static SERVICE_CONFIG_ENTRY: Struct = Struct {
    name: "structs.ServiceConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("Protocol", Go::Str),
        f("MeshGateway", Go::Struct(&MESH_GATEWAY_CONFIG)),
        f("Expose", Go::Struct(&EXPOSE_CONFIG)),
        f("ExternalSNI", Go::Str),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ProxyConfigEntry` (kind `proxy-defaults`), as its `UnmarshalBinary` decodes it.
pub static PROXY_CONFIG_ENTRY: Struct = Struct {
    name: "structs.ProxyConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("Config", ANY_MAP),
        f("MeshGateway", Go::Struct(&MESH_GATEWAY_CONFIG)),
        f("Expose", Go::Struct(&EXPOSE_CONFIG)),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ServiceRouteHTTPMatchHeader`.
pub static SERVICE_ROUTE_HTTP_MATCH_HEADER: Struct = Struct {
    name: "structs.ServiceRouteHTTPMatchHeader",
    fields: &[
        f("Name", Go::Str),
        f("Present", Go::Bool),
        f("Exact", Go::Str),
        f("Prefix", Go::Str),
        f("Suffix", Go::Str),
        f("Regex", Go::Str),
        f("Invert", Go::Bool),
    ],
};

/// `structs.ServiceRouteHTTPMatchQueryParam`.
pub static SERVICE_ROUTE_HTTP_MATCH_QUERY_PARAM: Struct = Struct {
    name: "structs.ServiceRouteHTTPMatchQueryParam",
    fields: &[
        f("Name", Go::Str),
        f("Present", Go::Bool),
        f("Exact", Go::Str),
        f("Regex", Go::Str),
    ],
};

/// `structs.ServiceRouteHTTPMatch`.
pub static SERVICE_ROUTE_HTTP_MATCH: Struct = Struct {
    name: "structs.ServiceRouteHTTPMatch",
    fields: &[
        f("PathExact", Go::Str),
        f("PathPrefix", Go::Str),
        f("PathRegex", Go::Str),
        f(
            "Header",
            Go::Slice(&Go::Struct(&SERVICE_ROUTE_HTTP_MATCH_HEADER)),
        ),
        f(
            "QueryParam",
            Go::Slice(&Go::Struct(&SERVICE_ROUTE_HTTP_MATCH_QUERY_PARAM)),
        ),
        f("Methods", STR_SLICE),
    ],
};

/// `structs.ServiceRouteMatch`.
pub static SERVICE_ROUTE_MATCH: Struct = Struct {
    name: "structs.ServiceRouteMatch",
    fields: &[f("HTTP", Go::Ptr(&Go::Struct(&SERVICE_ROUTE_HTTP_MATCH)))],
};

/// `structs.ServiceRouteDestination`.
pub static SERVICE_ROUTE_DESTINATION: Struct = Struct {
    name: "structs.ServiceRouteDestination",
    fields: &[
        f("Service", Go::Str),
        f("ServiceSubset", Go::Str),
        f("Namespace", Go::Str),
        f("PrefixRewrite", Go::Str),
        f("RequestTimeout", Go::Int(64)),
        f("NumRetries", Go::Uint(32)),
        f("RetryOnConnectFailure", Go::Bool),
        f("RetryOnStatusCodes", Go::Slice(&Go::Uint(32))),
    ],
};

/// `structs.ServiceRoute`.
pub static SERVICE_ROUTE: Struct = Struct {
    name: "structs.ServiceRoute",
    fields: &[
        f("Match", Go::Ptr(&Go::Struct(&SERVICE_ROUTE_MATCH))),
        f(
            "Destination",
            Go::Ptr(&Go::Struct(&SERVICE_ROUTE_DESTINATION)),
        ),
    ],
};

/// `structs.ServiceRouterConfigEntry` (kind `service-router`).
pub static SERVICE_ROUTER_CONFIG_ENTRY: Struct = Struct {
    name: "structs.ServiceRouterConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("Routes", Go::Slice(&Go::Struct(&SERVICE_ROUTE))),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ServiceSplit`.
pub static SERVICE_SPLIT: Struct = Struct {
    name: "structs.ServiceSplit",
    fields: &[
        f("Weight", Go::Float(32)),
        f("Service", Go::Str),
        f("ServiceSubset", Go::Str),
        f("Namespace", Go::Str),
    ],
};

/// `structs.ServiceSplitterConfigEntry` (kind `service-splitter`).
pub static SERVICE_SPLITTER_CONFIG_ENTRY: Struct = Struct {
    name: "structs.ServiceSplitterConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("Splits", Go::Slice(&Go::Struct(&SERVICE_SPLIT))),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ServiceResolverSubset`.
pub static SERVICE_RESOLVER_SUBSET: Struct = Struct {
    name: "structs.ServiceResolverSubset",
    fields: &[f("Filter", Go::Str), f("OnlyPassing", Go::Bool)],
};

/// `structs.ServiceResolverRedirect`.
pub static SERVICE_RESOLVER_REDIRECT: Struct = Struct {
    name: "structs.ServiceResolverRedirect",
    fields: &[
        f("Service", Go::Str),
        f("ServiceSubset", Go::Str),
        f("Namespace", Go::Str),
        f("Datacenter", Go::Str),
    ],
};

/// `structs.ServiceResolverFailover`.
pub static SERVICE_RESOLVER_FAILOVER: Struct = Struct {
    name: "structs.ServiceResolverFailover",
    fields: &[
        f("Service", Go::Str),
        f("ServiceSubset", Go::Str),
        f("Namespace", Go::Str),
        f("Datacenters", STR_SLICE),
    ],
};

/// `structs.ServiceResolverConfigEntry` (kind `service-resolver`).
pub static SERVICE_RESOLVER_CONFIG_ENTRY: Struct = Struct {
    name: "structs.ServiceResolverConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("DefaultSubset", Go::Str),
        f(
            "Subsets",
            Go::Map(&Go::Str, &Go::Struct(&SERVICE_RESOLVER_SUBSET)),
        ),
        f("Redirect", Go::Ptr(&Go::Struct(&SERVICE_RESOLVER_REDIRECT))),
        f(
            "Failover",
            Go::Map(&Go::Str, &Go::Struct(&SERVICE_RESOLVER_FAILOVER)),
        ),
        f("ConnectTimeout", Go::Int(64)),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.GatewayTLSConfig`.
pub static GATEWAY_TLS_CONFIG: Struct = Struct {
    name: "structs.GatewayTLSConfig",
    fields: &[f("Enabled", Go::Bool)],
};

/// `structs.IngressService`.
pub static INGRESS_SERVICE: Struct = Struct {
    name: "structs.IngressService",
    fields: &[
        f("Name", Go::Str),
        f("Hosts", STR_SLICE),
        f("Meta", STR_MAP),
    ],
};

/// `structs.IngressListener`.
pub static INGRESS_LISTENER: Struct = Struct {
    name: "structs.IngressListener",
    fields: &[
        f("Port", Go::Int(64)),
        f("Protocol", Go::Str),
        f("Services", Go::Slice(&Go::Struct(&INGRESS_SERVICE))),
    ],
};

/// `structs.IngressGatewayConfigEntry` (kind `ingress-gateway`).
pub static INGRESS_GATEWAY_CONFIG_ENTRY: Struct = Struct {
    name: "structs.IngressGatewayConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("TLS", Go::Struct(&GATEWAY_TLS_CONFIG)),
        f("Listeners", Go::Slice(&Go::Struct(&INGRESS_LISTENER))),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.LinkedService`.
pub static LINKED_SERVICE: Struct = Struct {
    name: "structs.LinkedService",
    fields: &[
        f("Name", Go::Str),
        f("CAFile", Go::Str),
        f("CertFile", Go::Str),
        f("KeyFile", Go::Str),
        f("SNI", Go::Str),
    ],
};

/// `structs.TerminatingGatewayConfigEntry` (kind `terminating-gateway`).
pub static TERMINATING_GATEWAY_CONFIG_ENTRY: Struct = Struct {
    name: "structs.TerminatingGatewayConfigEntry",
    fields: &[
        f("Kind", Go::Str),
        f("Name", Go::Str),
        f("Services", Go::Slice(&Go::Struct(&LINKED_SERVICE))),
        f("Meta", STR_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ConfigEntryRequest`'s fields after the kind prefix its `UnmarshalBinary` reads.
/// `Entry` is the `structs.ConfigEntry` interface, pre-set to the concrete type of the kind
/// (see [`config_entry_kind`] and [`config_entry_request`]); it is `Go::Any` here.
pub static CONFIG_ENTRY_REQUEST: Struct = Struct {
    name: "structs.ConfigEntryRequest",
    fields: &[
        f("Op", Go::Str),
        f("Datacenter", Go::Str),
        f("Entry", Go::Any),
        f("Token", Go::Str),
    ],
};

/// Declares one `structs.ConfigEntryRequest` static whose `Entry` is a given entry type.
macro_rules! config_entry_request_for {
    ($name:ident, $entry:expr, $doc:literal) => {
        #[doc = $doc]
        pub static $name: Struct = Struct {
            name: "structs.ConfigEntryRequest",
            fields: &[
                f("Op", Go::Str),
                f("Datacenter", Go::Str),
                f("Entry", $entry),
                f("Token", Go::Str),
            ],
        };
    };
}

config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_SERVICE_DEFAULTS,
    Go::Struct(&SERVICE_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with a `service-defaults` entry."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_PROXY_DEFAULTS,
    Go::Binary(&Go::Struct(&PROXY_CONFIG_ENTRY)),
    "`structs.ConfigEntryRequest` with a `proxy-defaults` entry (its own `UnmarshalBinary`)."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_SERVICE_ROUTER,
    Go::Struct(&SERVICE_ROUTER_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with a `service-router` entry."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_SERVICE_SPLITTER,
    Go::Struct(&SERVICE_SPLITTER_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with a `service-splitter` entry."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_SERVICE_RESOLVER,
    Go::Struct(&SERVICE_RESOLVER_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with a `service-resolver` entry."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_INGRESS_GATEWAY,
    Go::Struct(&INGRESS_GATEWAY_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with an `ingress-gateway` entry."
);
config_entry_request_for!(
    CONFIG_ENTRY_REQUEST_TERMINATING_GATEWAY,
    Go::Struct(&TERMINATING_GATEWAY_CONFIG_ENTRY),
    "`structs.ConfigEntryRequest` with a `terminating-gateway` entry."
);

/// `structs.ProxyConfigEntry` as a Go value (for [`config_entry_kind`]'s `Go::Binary`).
static PROXY_CONFIG_ENTRY_GO: Go = Go::Struct(&PROXY_CONFIG_ENTRY);

/// The Go value 1.8.7's `MakeConfigEntry` gives a `ConfigEntryRequest.Entry` for a kind,
/// which the request map's `Entry` value is then decoded into; `None` for kinds it rejects
/// ("invalid config entry kind"). The kind is compared byte for byte.
pub fn config_entry_kind(kind: &[u8]) -> Option<Go> {
    Some(match kind {
        b"service-defaults" => Go::Struct(&SERVICE_CONFIG_ENTRY),
        // *ProxyConfigEntry implements encoding.BinaryUnmarshaler: a raw string holding the
        // msgpack map of the entry.
        b"proxy-defaults" => Go::Binary(&PROXY_CONFIG_ENTRY_GO),
        b"service-router" => Go::Struct(&SERVICE_ROUTER_CONFIG_ENTRY),
        b"service-splitter" => Go::Struct(&SERVICE_SPLITTER_CONFIG_ENTRY),
        b"service-resolver" => Go::Struct(&SERVICE_RESOLVER_CONFIG_ENTRY),
        b"ingress-gateway" => Go::Struct(&INGRESS_GATEWAY_CONFIG_ENTRY),
        b"terminating-gateway" => Go::Struct(&TERMINATING_GATEWAY_CONFIG_ENTRY),
        _ => return None,
    })
}

/// The Go struct of the `ConfigEntryRequest` map that follows the kind, with `Entry` typed
/// as `entry` (a value [`config_entry_kind`] returned). An `entry` it did not return gives
/// the untyped envelope [`CONFIG_ENTRY_REQUEST`].
pub fn config_entry_request(entry: Go) -> Go {
    let name = match entry {
        Go::Struct(s) => s.name,
        Go::Binary(Go::Struct(s)) => s.name,
        _ => "",
    };
    Go::Struct(match name {
        "structs.ServiceConfigEntry" => &CONFIG_ENTRY_REQUEST_SERVICE_DEFAULTS,
        "structs.ProxyConfigEntry" => &CONFIG_ENTRY_REQUEST_PROXY_DEFAULTS,
        "structs.ServiceRouterConfigEntry" => &CONFIG_ENTRY_REQUEST_SERVICE_ROUTER,
        "structs.ServiceSplitterConfigEntry" => &CONFIG_ENTRY_REQUEST_SERVICE_SPLITTER,
        "structs.ServiceResolverConfigEntry" => &CONFIG_ENTRY_REQUEST_SERVICE_RESOLVER,
        "structs.IngressGatewayConfigEntry" => &CONFIG_ENTRY_REQUEST_INGRESS_GATEWAY,
        "structs.TerminatingGatewayConfigEntry" => &CONFIG_ENTRY_REQUEST_TERMINATING_GATEWAY,
        _ => &CONFIG_ENTRY_REQUEST,
    })
}

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
