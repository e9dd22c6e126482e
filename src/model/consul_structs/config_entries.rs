//! Config entries (type 22): the request, each kind's struct, and the kind table of 1.8.7.

use super::*;

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
