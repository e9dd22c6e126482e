//! The one table of Consul's message types: number, the name Consul's `String()` gives, whether
//! snapshots carry it, and which Consul versions write and restore it, each with its evidence.
//!
//! Versions are Consul CE releases. Snapshot archives exist since 0.7.1, so a type older than
//! that is listed as 0.7.0. Sources: Consul's `CHANGELOG.md`, `agent/structs/structs.go`,
//! `agent/consul/fsm/snapshot_oss.go` / `snapshot_ce.go` at the versions named, and the pull
//! requests cited; `docs/COMPAT.md` has the same table for people.

use crate::version::Version;

/// A record's message type: its number, and the name Consul gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(pub u8);

impl MessageType {
    /// Register (catalog node, service or check).
    pub const REGISTER: MessageType = MessageType(0);
    /// Deregister (raft log only).
    pub const DEREGISTER: MessageType = MessageType(1);
    /// KV entry.
    pub const KVS: MessageType = MessageType(2);
    /// Session.
    pub const SESSION: MessageType = MessageType(3);
    /// Legacy ACL (very old snapshots).
    pub const ACL: MessageType = MessageType(4);
    /// KV tombstone.
    pub const TOMBSTONE: MessageType = MessageType(5);
    /// Network coordinate.
    pub const COORDINATE_BATCH_UPDATE: MessageType = MessageType(6);
    /// Prepared query.
    pub const PREPARED_QUERY: MessageType = MessageType(7);
    /// Transaction (raft log only).
    pub const TXN: MessageType = MessageType(8);
    /// Autopilot configuration.
    pub const AUTOPILOT: MessageType = MessageType(9);
    /// Network area (raft log only).
    pub const AREA: MessageType = MessageType(10);
    /// Legacy ACL bootstrap state.
    pub const ACL_BOOTSTRAP: MessageType = MessageType(11);
    /// Legacy intention.
    pub const INTENTION: MessageType = MessageType(12);
    /// Connect CA root.
    pub const CONNECT_CA: MessageType = MessageType(13);
    /// Connect CA provider state.
    pub const CONNECT_CA_PROVIDER_STATE: MessageType = MessageType(14);
    /// Connect CA configuration.
    pub const CONNECT_CA_CONFIG: MessageType = MessageType(15);
    /// Raft index table entry.
    pub const INDEX: MessageType = MessageType(16);
    /// ACL token.
    pub const ACL_TOKEN: MessageType = MessageType(17);
    /// ACL token delete (raft log only).
    pub const ACL_TOKEN_DELETE: MessageType = MessageType(18);
    /// ACL policy.
    pub const ACL_POLICY: MessageType = MessageType(19);
    /// ACL policy delete (raft log only).
    pub const ACL_POLICY_DELETE: MessageType = MessageType(20);
    /// Connect CA leaf (raft log only).
    pub const CONNECT_CA_LEAF: MessageType = MessageType(21);
    /// Config entry.
    pub const CONFIG_ENTRY: MessageType = MessageType(22);
    /// ACL role.
    pub const ACL_ROLE: MessageType = MessageType(23);
    /// ACL role delete (raft log only).
    pub const ACL_ROLE_DELETE: MessageType = MessageType(24);
    /// ACL binding rule.
    pub const ACL_BINDING_RULE: MessageType = MessageType(25);
    /// ACL binding rule delete (raft log only).
    pub const ACL_BINDING_RULE_DELETE: MessageType = MessageType(26);
    /// ACL auth method.
    pub const ACL_AUTH_METHOD: MessageType = MessageType(27);
    /// ACL auth method delete (raft log only).
    pub const ACL_AUTH_METHOD_DELETE: MessageType = MessageType(28);
    /// Raft chunking state (last record).
    pub const CHUNKING_STATE: MessageType = MessageType(29);
    /// Federation state.
    pub const FEDERATION_STATE: MessageType = MessageType(30);
    /// System metadata entry.
    pub const SYSTEM_METADATA: MessageType = MessageType(31);
    /// Service virtual IP.
    pub const SERVICE_VIRTUAL_IP: MessageType = MessageType(32);
    /// Free virtual IP.
    pub const FREE_VIRTUAL_IP: MessageType = MessageType(33);
    /// Kind service name (raft log only).
    pub const KIND_SERVICE_NAME: MessageType = MessageType(34);
    /// Peering.
    pub const PEERING: MessageType = MessageType(35);
    /// Peering delete (raft log only).
    pub const PEERING_DELETE: MessageType = MessageType(36);
    /// Peering terminate by ID (raft log only; no name in Consul).
    pub const PEERING_TERMINATE_BY_ID: MessageType = MessageType(37);
    /// Peering trust bundle.
    pub const PEERING_TRUST_BUNDLE: MessageType = MessageType(38);
    /// Peering trust bundle delete (raft log only).
    pub const PEERING_TRUST_BUNDLE_DELETE: MessageType = MessageType(39);
    /// Peering secrets.
    pub const PEERING_SECRET: MessageType = MessageType(40);
    /// Raft log verifier checkpoint (raft log only).
    pub const RAFT_LOG_VERIFIER_CHECKPOINT: MessageType = MessageType(41);
    /// v2 resource.
    pub const RESOURCE: MessageType = MessageType(42);
    /// Manual virtual IP update (raft log only).
    pub const UPDATE_VIRTUAL_IP: MessageType = MessageType(43);
    /// Feature gate.
    pub const FEATURE_GATE: MessageType = MessageType(45);

    /// Consul's `String()` name, or `None` where Consul prints `Unknown(N)`.
    pub fn known_name(self) -> Option<&'static str> {
        info(self.0).map(|i| i.name).filter(|n| !n.is_empty())
    }

    /// The name Consul prints: `KVS`, `Register`, ..., or `Unknown(N)`.
    pub fn name(self) -> String {
        match self.known_name() {
            Some(n) => n.to_string(),
            None => format!("Unknown({})", self.0),
        }
    }

    /// True for types that Consul writes into snapshots.
    pub fn in_snapshots(self) -> bool {
        info(self.0).is_some_and(|i| i.in_snapshots)
    }

    /// True for Consul Enterprise types (64 and above).
    pub fn is_enterprise(self) -> bool {
        is_enterprise(self.0)
    }

    /// Looks a type up by its name (case-insensitive) or number.
    pub fn parse(s: &str) -> Option<MessageType> {
        if let Ok(n) = s.parse::<u8>() {
            return Some(MessageType(n));
        }
        TABLE
            .iter()
            .find(|i| !i.name.is_empty() && i.name.eq_ignore_ascii_case(s))
            .map(|i| MessageType(i.number))
    }
}

/// What is known of one message type.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    /// The type number (the record's first byte).
    pub number: u8,
    /// Consul's `MessageType.String()` name; empty where Consul prints `Unknown(N)`.
    pub name: &'static str,
    /// Whether Consul writes it into snapshots (the others are raft-log operations that no
    /// Consul restores from a snapshot).
    pub in_snapshots: bool,
    /// First CE release that writes it into snapshots and restores it.
    pub since: Option<Version>,
    /// First CE release that no longer restores it.
    pub removed: Option<Version>,
    /// Where the versions come from.
    pub evidence: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> Option<Version> {
    Some(Version::ce(major, minor, patch))
}

const fn snap(
    t: MessageType,
    name: &'static str,
    since: Option<Version>,
    removed: Option<Version>,
    evidence: &'static str,
) -> TypeInfo {
    TypeInfo {
        number: t.0,
        name,
        in_snapshots: true,
        since,
        removed,
        evidence,
    }
}

const fn log(t: MessageType, name: &'static str) -> TypeInfo {
    TypeInfo {
        number: t.0,
        name,
        in_snapshots: false,
        since: None,
        removed: None,
        evidence: "raft-log operation: no Consul registers a snapshot restorer for it",
    }
}

/// The newest Consul release this table knows.
pub const KNOWN_UP_TO: Version = Version::ce(2, 1, 0);

/// Every message type Consul CE defines, by number.
pub const TABLE: &[TypeInfo] = &[
    snap(MessageType::REGISTER, "Register", v(0, 7, 0), None, "consul/fsm.go (0.x); snapshot archives since 0.7.1 (CHANGELOG 0.7.1, GH-2396)"),
    log(MessageType::DEREGISTER, "Deregister"),
    snap(MessageType::KVS, "KVS", v(0, 7, 0), None, "consul/fsm.go (0.x)"),
    snap(MessageType::SESSION, "Session", v(0, 7, 0), None, "CHANGELOG 0.3.0 (GH-162)"),
    snap(MessageType::ACL, "ACL", v(0, 7, 0), v(1, 15, 0), "written by 0.4.0 to 1.3.x; restoreACL kept in 1.11 (hashicorp/consul#11110), removed with the legacy ACL migration (hashicorp/consul#15947, 1.15.0)"),
    snap(MessageType::TOMBSTONE, "Tombstone", v(0, 7, 0), None, "CHANGELOG 0.5.0"),
    snap(MessageType::COORDINATE_BATCH_UPDATE, "CoordinateBatchUpdate", v(0, 7, 0), None, "CHANGELOG 0.6.0 (GH-1331)"),
    snap(MessageType::PREPARED_QUERY, "PreparedQuery", v(0, 7, 0), None, "CHANGELOG 0.6.0 (GH-1389)"),
    log(MessageType::TXN, "Txn"),
    snap(MessageType::AUTOPILOT, "Autopilot", v(0, 8, 0), None, "CHANGELOG 0.8.0; hashicorp/consul#3985"),
    log(MessageType::AREA, "Area"),
    snap(MessageType::ACL_BOOTSTRAP, "ACLBootstrap", v(0, 9, 1), v(1, 15, 0), "written by 0.9.1 to 1.3.x (CHANGELOG 0.9.1, GH-3349); restoreACLBootstrap removed with the legacy ACLs (hashicorp/consul#15947, 1.15.0)"),
    snap(MessageType::INTENTION, "Intention", v(1, 2, 0), None, "CHANGELOG 1.2.0; still restored (restoreLegacyIntention)"),
    snap(MessageType::CONNECT_CA, "ConnectCA", v(1, 2, 0), None, "CHANGELOG 1.2.0"),
    snap(MessageType::CONNECT_CA_PROVIDER_STATE, "ConnectCAProviderState", v(1, 2, 0), None, "CHANGELOG 1.2.0"),
    snap(MessageType::CONNECT_CA_CONFIG, "ConnectCAConfig", v(1, 2, 3), None, "CHANGELOG 1.2.3: CA config added to snapshot and restore (GH-4535)"),
    snap(MessageType::INDEX, "Index", v(1, 2, 3), None, "inferred: numbered between 15 (1.2.3) and 17 (1.4.0), with 15 an FSM-snapshot-only type (GH-4535)"),
    snap(MessageType::ACL_TOKEN, "ACLToken", v(1, 4, 0), None, "CHANGELOG 1.4.0 (GH-4791)"),
    log(MessageType::ACL_TOKEN_DELETE, "ACLTokenDelete"),
    snap(MessageType::ACL_POLICY, "ACLPolicy", v(1, 4, 0), None, "CHANGELOG 1.4.0 (GH-4791)"),
    log(MessageType::ACL_POLICY_DELETE, "ACLPolicyDelete"),
    log(MessageType::CONNECT_CA_LEAF, "ConnectCALeaf"),
    snap(MessageType::CONFIG_ENTRY, "ConfigEntry", v(1, 5, 0), None, "CHANGELOG 1.5.0"),
    snap(MessageType::ACL_ROLE, "ACLRole", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5514)"),
    log(MessageType::ACL_ROLE_DELETE, "ACLRoleDelete"),
    snap(MessageType::ACL_BINDING_RULE, "ACLBindingRule", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5600)"),
    log(MessageType::ACL_BINDING_RULE_DELETE, "ACLBindingRuleDelete"),
    snap(MessageType::ACL_AUTH_METHOD, "ACLAuthMethod", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5600)"),
    log(MessageType::ACL_AUTH_METHOD_DELETE, "ACLAuthMethodDelete"),
    snap(MessageType::CHUNKING_STATE, "ChunkingState", v(1, 6, 0), None, "hashicorp/consul#6206 (snapshot support for the chunking FSM, in 1.6.0 at the latest; not 1.7.0)"),
    snap(MessageType::FEDERATION_STATE, "FederationState", v(1, 8, 0), None, "CHANGELOG 1.8.0; hashicorp/consul#11430"),
    snap(MessageType::SYSTEM_METADATA, "SystemMetadata", v(1, 9, 0), None, "hashicorp/consul#8703; absent from Consul 1.8.7's structs"),
    snap(MessageType::SERVICE_VIRTUAL_IP, "ServiceVirtualIP", v(1, 11, 0), None, "1.11.0 release (hashicorp/consul#12138); shape changed in 1.13.0 (hashicorp/consul#14107)"),
    snap(MessageType::FREE_VIRTUAL_IP, "FreeVirtualIP", v(1, 11, 0), None, "1.11.0 release (hashicorp/consul#12138)"),
    log(MessageType::KIND_SERVICE_NAME, "KindServiceName"),
    snap(MessageType::PEERING, "Peering", v(1, 13, 0), None, "CHANGELOG 1.13.0 (cluster peering)"),
    log(MessageType::PEERING_DELETE, "PeeringDelete"),
    log(MessageType::PEERING_TERMINATE_BY_ID, ""),
    snap(MessageType::PEERING_TRUST_BUNDLE, "PeeringTrustBundle", v(1, 13, 0), None, "CHANGELOG 1.13.0 (cluster peering)"),
    log(MessageType::PEERING_TRUST_BUNDLE_DELETE, "PeeringTrustBundleDelete"),
    snap(MessageType::PEERING_SECRET, "PeeringSecret", v(1, 13, 0), None, "hashicorp/consul#13977, backported to 1.13.0 as hashicorp/consul#13978"),
    log(MessageType::RAFT_LOG_VERIFIER_CHECKPOINT, "RaftLogVerifierCheckpoint"),
    snap(MessageType::RESOURCE, "Resource", v(1, 16, 0), None, "hashicorp/consul#16619 (raft storage backend for v2 resources)"),
    log(MessageType::UPDATE_VIRTUAL_IP, "UpdateManualVirtualIPRequestType"),
    snap(MessageType::FEATURE_GATE, "FeatureGate", v(2, 1, 0), None, "hashicorp/consul#23791 (feature gates in raft, 2.1.0); the 2.0.x backport hashicorp/consul#23856 was closed unmerged"),
];

/// Names Consul Enterprise gives some of its types (CE prints `Unknown(N)`).
pub const ENTERPRISE_NAMES: &[(u8, &str)] = &[(65, "Namespace"), (69, "Partition")];

/// Looks a type up in the table.
pub fn info(number: u8) -> Option<&'static TypeInfo> {
    TABLE.iter().find(|i| i.number == number)
}

/// True for Consul Enterprise types: every type of 64 and above (a CE restore refuses each).
pub fn is_enterprise(number: u8) -> bool {
    number >= 64
}

/// The name Consul Enterprise gives an Enterprise type, where known.
pub fn enterprise_name(number: u8) -> Option<&'static str> {
    ENTERPRISE_NAMES
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, name)| *name)
}

/// Config entry kinds each with the first Consul version that knows it (the restore of a kind
/// an older Consul does not know fails with "invalid config entry kind").
pub const CONFIG_ENTRY_KINDS: &[(&str, Version)] = &[
    ("service-defaults", Version::ce(1, 5, 0)),
    ("proxy-defaults", Version::ce(1, 5, 0)),
    ("service-router", Version::ce(1, 6, 0)),
    ("service-splitter", Version::ce(1, 6, 0)),
    ("service-resolver", Version::ce(1, 6, 0)),
    ("ingress-gateway", Version::ce(1, 8, 0)),
    ("terminating-gateway", Version::ce(1, 8, 0)),
    ("service-intentions", Version::ce(1, 9, 0)),
    ("mesh", Version::ce(1, 10, 0)),
    ("exported-services", Version::ce(1, 11, 0)),
    ("api-gateway", Version::ce(1, 15, 0)),
    ("bound-api-gateway", Version::ce(1, 15, 0)),
    ("inline-certificate", Version::ce(1, 15, 0)),
    ("http-route", Version::ce(1, 15, 0)),
    ("tcp-route", Version::ce(1, 15, 0)),
    ("sameness-group", Version::ce(1, 16, 0)),
    ("jwt-provider", Version::ce(1, 16, 0)),
    ("file-system-certificate", Version::ce(1, 19, 0)),
];

/// The first version that knows a config entry kind, if it is known at all.
pub fn config_entry_kind_since(kind: &[u8]) -> Option<Version> {
    CONFIG_ENTRY_KINDS
        .iter()
        .find(|(k, _)| k.as_bytes() == kind)
        .map(|(_, v)| *v)
}
