//! The one table of Consul's message types: number, the name Consul's `String()` gives, whether
//! snapshots carry it, and which Consul versions write and restore it, each with its evidence.
//!
//! Versions are Consul CE releases. Snapshot archives exist since 0.7.1, so a type older than
//! that is listed as 0.7.0. Sources: Consul's `CHANGELOG.md`, `agent/structs/structs.go`,
//! `agent/consul/fsm/snapshot_oss.go` / `snapshot_ce.go` at the versions named, and the pull
//! requests cited; `docs/COMPAT.md` has the same table for people.

use crate::version::Version;

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
    number: u8,
    name: &'static str,
    since: Option<Version>,
    removed: Option<Version>,
    evidence: &'static str,
) -> TypeInfo {
    TypeInfo {
        number,
        name,
        in_snapshots: true,
        since,
        removed,
        evidence,
    }
}

const fn log(number: u8, name: &'static str) -> TypeInfo {
    TypeInfo {
        number,
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
    snap(0, "Register", v(0, 7, 0), None, "consul/fsm.go (0.x); snapshot archives since 0.7.1 (CHANGELOG 0.7.1, GH-2396)"),
    log(1, "Deregister"),
    snap(2, "KVS", v(0, 7, 0), None, "consul/fsm.go (0.x)"),
    snap(3, "Session", v(0, 7, 0), None, "CHANGELOG 0.3.0 (GH-162)"),
    snap(4, "ACL", v(0, 7, 0), v(1, 15, 0), "written by 0.4.0 to 1.3.x; restoreACL kept in 1.11 (hashicorp/consul#11110), removed with the legacy ACL migration (hashicorp/consul#15947, 1.15.0)"),
    snap(5, "Tombstone", v(0, 7, 0), None, "CHANGELOG 0.5.0"),
    snap(6, "CoordinateBatchUpdate", v(0, 7, 0), None, "CHANGELOG 0.6.0 (GH-1331)"),
    snap(7, "PreparedQuery", v(0, 7, 0), None, "CHANGELOG 0.6.0 (GH-1389)"),
    log(8, "Txn"),
    snap(9, "Autopilot", v(0, 8, 0), None, "CHANGELOG 0.8.0; hashicorp/consul#3985"),
    log(10, "Area"),
    snap(11, "ACLBootstrap", v(0, 9, 1), v(1, 15, 0), "written by 0.9.1 to 1.3.x (CHANGELOG 0.9.1, GH-3349); restoreACLBootstrap removed with the legacy ACLs (hashicorp/consul#15947, 1.15.0)"),
    snap(12, "Intention", v(1, 2, 0), None, "CHANGELOG 1.2.0; still restored (restoreLegacyIntention)"),
    snap(13, "ConnectCA", v(1, 2, 0), None, "CHANGELOG 1.2.0"),
    snap(14, "ConnectCAProviderState", v(1, 2, 0), None, "CHANGELOG 1.2.0"),
    snap(15, "ConnectCAConfig", v(1, 2, 3), None, "CHANGELOG 1.2.3: CA config added to snapshot and restore (GH-4535)"),
    snap(16, "Index", v(1, 2, 3), None, "inferred: numbered between 15 (1.2.3) and 17 (1.4.0), with 15 an FSM-snapshot-only type (GH-4535)"),
    snap(17, "ACLToken", v(1, 4, 0), None, "CHANGELOG 1.4.0 (GH-4791)"),
    log(18, "ACLTokenDelete"),
    snap(19, "ACLPolicy", v(1, 4, 0), None, "CHANGELOG 1.4.0 (GH-4791)"),
    log(20, "ACLPolicyDelete"),
    log(21, "ConnectCALeaf"),
    snap(22, "ConfigEntry", v(1, 5, 0), None, "CHANGELOG 1.5.0"),
    snap(23, "ACLRole", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5514)"),
    log(24, "ACLRoleDelete"),
    snap(25, "ACLBindingRule", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5600)"),
    log(26, "ACLBindingRuleDelete"),
    snap(27, "ACLAuthMethod", v(1, 5, 0), None, "CHANGELOG 1.5.0 (GH-5600)"),
    log(28, "ACLAuthMethodDelete"),
    snap(29, "ChunkingState", v(1, 6, 0), None, "hashicorp/consul#6206 (snapshot support for the chunking FSM, in 1.6.0 at the latest; not 1.7.0)"),
    snap(30, "FederationState", v(1, 8, 0), None, "CHANGELOG 1.8.0; hashicorp/consul#11430"),
    snap(31, "SystemMetadata", v(1, 9, 0), None, "hashicorp/consul#8703; absent from Consul 1.8.7's structs"),
    snap(32, "ServiceVirtualIP", v(1, 11, 0), None, "1.11.0 release (hashicorp/consul#12138); shape changed in 1.13.0 (hashicorp/consul#14107)"),
    snap(33, "FreeVirtualIP", v(1, 11, 0), None, "1.11.0 release (hashicorp/consul#12138)"),
    log(34, "KindServiceName"),
    snap(35, "Peering", v(1, 13, 0), None, "CHANGELOG 1.13.0 (cluster peering)"),
    log(36, "PeeringDelete"),
    log(37, ""),
    snap(38, "PeeringTrustBundle", v(1, 13, 0), None, "CHANGELOG 1.13.0 (cluster peering)"),
    log(39, "PeeringTrustBundleDelete"),
    snap(40, "PeeringSecret", v(1, 13, 0), None, "hashicorp/consul#13977, backported to 1.13.0 as hashicorp/consul#13978"),
    log(41, "RaftLogVerifierCheckpoint"),
    snap(42, "Resource", v(1, 16, 0), None, "hashicorp/consul#16619 (raft storage backend for v2 resources)"),
    log(43, "UpdateManualVirtualIPRequestType"),
    snap(45, "FeatureGate", v(2, 1, 0), None, "hashicorp/consul#23791 (feature gates in raft, 2.1.0); the 2.0.x backport hashicorp/consul#23856 was closed unmerged"),
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
