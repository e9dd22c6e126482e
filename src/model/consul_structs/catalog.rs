//! Catalog registrations (type 0: `structs.RegisterRequest`) and the structs inside them.

use super::*;

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
