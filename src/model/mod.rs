//! The typed record model: one struct per record type Consul writes into snapshots, an
//! identity for every record, and a lossless generic fallback.
//!
//! Fields are named as Consul's Go structs name them (the msgpack keys) and listed in the
//! order go-msgpack writes them (sorted). Keys a later Consul adds land in `extra`, kept
//! losslessly; keys a record lacks take their zero value.

// Fields carry Consul's Go field names; each struct says what it is.
#![allow(non_snake_case, missing_docs)]

pub(crate) mod consul_structs;
pub(crate) mod de;
pub(crate) mod gotype;
pub mod nomad;
pub mod restorable;
pub(crate) mod restore_rules;
pub mod secrets;
pub mod shape;
pub mod values;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use values::{Any, Bytes, GoDuration, GoTime, Text};

use crate::go::msgpack::{self, Value};
use crate::snapshot::state::MessageType;

/// Keys of a record that the model does not name, kept as they were.
pub type Extra = BTreeMap<String, Any>;

/// A health check (`structs.HealthCheck`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthCheck {
    pub CheckID: Text,
    pub CreateIndex: u64,
    pub Definition: Any,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub Node: Text,
    pub Notes: Text,
    pub Output: Text,
    pub ServiceID: Text,
    pub ServiceName: Text,
    pub ServiceTags: Option<Vec<Text>>,
    pub Status: Text,
    pub Type: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A service instance (`structs.NodeService`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeService {
    pub Address: Text,
    pub Connect: Any,
    pub CreateIndex: u64,
    pub EnableTagOverride: bool,
    pub ID: Text,
    pub Kind: Text,
    pub LocallyRegisteredAsSidecar: bool,
    pub Meta: Option<BTreeMap<String, Text>>,
    pub ModifyIndex: u64,
    pub Port: i64,
    pub Proxy: Any,
    pub Service: Text,
    pub TaggedAddresses: Any,
    pub Tags: Option<Vec<Text>>,
    pub Weights: Any,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A catalog registration of a node, a service or a check (`structs.RegisterRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Register {
    pub Address: Text,
    pub Check: Option<HealthCheck>,
    pub Checks: Option<Vec<HealthCheck>>,
    pub CreateIndex: u64,
    pub Datacenter: Text,
    pub ID: Text,
    pub ModifyIndex: u64,
    pub Node: Text,
    pub NodeMeta: Option<BTreeMap<String, Text>>,
    pub Service: Option<NodeService>,
    pub SkipNodeUpdate: bool,
    pub TaggedAddresses: Option<BTreeMap<String, Text>>,
    pub Token: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A KV entry or tombstone (`structs.DirEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DirEntry {
    pub CreateIndex: u64,
    pub Flags: u64,
    pub Key: Text,
    pub LockIndex: u64,
    pub ModifyIndex: u64,
    pub Session: Text,
    /// The value, base64 as Consul's JSON shows it (`null` for no value).
    pub Value: Option<Bytes>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A session (`structs.Session`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    pub Behavior: Text,
    pub Checks: Option<Vec<Text>>,
    pub CreateIndex: u64,
    pub ID: Text,
    pub LockDelay: GoDuration,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub Node: Text,
    pub NodeChecks: Option<Vec<Text>>,
    pub ServiceChecks: Any,
    pub TTL: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One network coordinate (`structs.Coordinate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Coordinate {
    pub Coord: Any,
    pub Node: Text,
    pub Segment: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A prepared query (`structs.PreparedQuery`); `Token` is an ACL secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreparedQuery {
    pub CreateIndex: u64,
    pub DNS: Any,
    pub ID: Text,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub Service: Any,
    pub Session: Text,
    pub Template: Any,
    pub Token: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Autopilot configuration (`structs.AutopilotConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Autopilot {
    pub CleanupDeadServers: bool,
    pub CreateIndex: u64,
    pub DisableUpgradeMigration: bool,
    pub LastContactThreshold: GoDuration,
    pub MaxTrailingLogs: u64,
    pub MinQuorum: u64,
    pub ModifyIndex: u64,
    pub RedundancyZoneTag: Text,
    pub ServerStabilizationTime: GoDuration,
    pub UpgradeVersionTag: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A legacy intention (`structs.Intention`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Intention {
    pub Action: Text,
    pub CreateIndex: u64,
    pub CreatedAt: Option<GoTime>,
    pub DefaultAddr: Text,
    pub DefaultPort: i64,
    pub Description: Text,
    pub DestinationName: Text,
    pub DestinationNS: Text,
    pub ID: Text,
    pub Meta: Any,
    pub ModifyIndex: u64,
    pub Precedence: i64,
    pub SourceName: Text,
    pub SourceNS: Text,
    pub SourceType: Text,
    pub UpdatedAt: Option<GoTime>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Connect CA root (`structs.CARoot`); `SigningKey` is a private key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CARoot {
    pub Active: bool,
    pub CreateIndex: u64,
    pub ExternalTrustDomain: Text,
    pub ID: Text,
    pub IntermediateCerts: Option<Vec<Text>>,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub NotAfter: Option<GoTime>,
    pub NotBefore: Option<GoTime>,
    pub PrivateKeyBits: i64,
    pub PrivateKeyType: Text,
    pub RootCert: Text,
    pub RotatedOutAt: Option<GoTime>,
    pub SerialNumber: u64,
    pub SigningCert: Text,
    pub SigningKey: Text,
    pub SigningKeyID: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The built-in CA provider's state (`structs.CAConsulProviderState`); `PrivateKey` is secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CAProviderState {
    pub CreateIndex: u64,
    pub ID: Text,
    pub IntermediateCert: Text,
    pub ModifyIndex: u64,
    pub PrivateKey: Text,
    pub RootCert: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The Connect CA configuration (`structs.CAConfiguration`); `Config` may hold secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CAConfig {
    pub ClusterID: Text,
    pub Config: Any,
    pub CreateIndex: u64,
    pub ForceWithoutCrossSigning: bool,
    pub ModifyIndex: u64,
    pub Provider: Text,
    pub State: Any,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A raft index table entry (`state.IndexEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexEntry {
    pub Key: Text,
    pub Value: u64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A link from a token or role to a policy or role, by ID and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Link {
    pub ID: Text,
    pub Name: Text,
}

/// An ACL token (`structs.ACLToken`); `SecretID` is the secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ACLToken {
    pub AccessorID: Text,
    pub AuthMethod: Text,
    pub CreateIndex: u64,
    pub CreateTime: Option<GoTime>,
    pub Description: Text,
    pub ExpirationTTL: GoDuration,
    pub ExpirationTime: Option<GoTime>,
    pub Hash: Option<Bytes>,
    pub Local: bool,
    pub ModifyIndex: u64,
    pub NodeIdentities: Any,
    pub Policies: Option<Vec<Link>>,
    pub Roles: Option<Vec<Link>>,
    pub Rules: Text,
    pub SecretID: Text,
    pub ServiceIdentities: Any,
    pub Type: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An ACL policy (`structs.ACLPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ACLPolicy {
    pub CreateIndex: u64,
    pub Datacenters: Option<Vec<Text>>,
    pub Description: Text,
    pub Hash: Option<Bytes>,
    pub ID: Text,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub Rules: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An ACL role (`structs.ACLRole`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ACLRole {
    pub CreateIndex: u64,
    pub Description: Text,
    pub Hash: Option<Bytes>,
    pub ID: Text,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub NodeIdentities: Any,
    pub Policies: Option<Vec<Link>>,
    pub ServiceIdentities: Any,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An ACL binding rule (`structs.ACLBindingRule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ACLBindingRule {
    pub AuthMethod: Text,
    pub BindName: Text,
    pub BindType: Text,
    pub CreateIndex: u64,
    pub Description: Text,
    pub ID: Text,
    pub ModifyIndex: u64,
    pub Selector: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An ACL auth method (`structs.ACLAuthMethod`); `Config` may hold secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ACLAuthMethod {
    pub Config: Any,
    pub CreateIndex: u64,
    pub Description: Text,
    pub DisplayName: Text,
    pub MaxTokenTTL: GoDuration,
    pub ModifyIndex: u64,
    pub Name: Text,
    pub TokenLocality: Text,
    pub Type: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A config entry: its kind and the entry, unwrapped from Consul's raw msgpack envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigEntry {
    /// The kind (`service-defaults`, `proxy-defaults`, ...).
    pub Kind: Text,
    /// The entry's name.
    pub Name: Text,
    /// The entry itself.
    pub Entry: Any,
}

/// The raft chunking state (`raftchunking.State`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChunkingState {
    pub ChunkMap: Any,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A federation state's body (`structs.FederationState`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FederationStateBody {
    pub CreateIndex: u64,
    pub Datacenter: Text,
    pub MeshGateways: Any,
    pub ModifyIndex: u64,
    pub PrimaryModifyIndex: u64,
    pub UpdatedAt: Option<GoTime>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A federation state upsert (`structs.FederationStateRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FederationState {
    pub Datacenter: Text,
    pub Op: Text,
    pub State: Option<FederationStateBody>,
    pub Token: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A system metadata entry (`structs.SystemMetadataEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemMetadata {
    pub CreateIndex: u64,
    pub Key: Text,
    pub ModifyIndex: u64,
    pub Value: Text,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A service's virtual IP (`state.ServiceVirtualIP`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceVirtualIP {
    pub CreateIndex: u64,
    pub IP: Option<Bytes>,
    pub ModifyIndex: u64,
    pub Service: Any,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A free virtual IP (`state.FreeVirtualIP`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreeVirtualIP {
    pub IP: Option<Bytes>,
    pub IsCounter: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Model {
    /// Register (0).
    Register(Box<Register>),
    /// KVS (2).
    Kvs(DirEntry),
    /// Session (3).
    Session(Session),
    /// Tombstone (5).
    Tombstone(DirEntry),
    /// CoordinateBatchUpdate (6).
    Coordinates(Vec<Coordinate>),
    /// PreparedQuery (7).
    PreparedQuery(PreparedQuery),
    /// Autopilot (9).
    Autopilot(Autopilot),
    /// Intention (12).
    Intention(Intention),
    /// ConnectCA (13).
    CARoot(Box<CARoot>),
    /// ConnectCAProviderState (14).
    CAProviderState(CAProviderState),
    /// ConnectCAConfig (15).
    CAConfig(CAConfig),
    /// Index (16).
    Index(IndexEntry),
    /// ACLToken (17).
    ACLToken(Box<ACLToken>),
    /// ACLPolicy (19).
    ACLPolicy(ACLPolicy),
    /// ConfigEntry (22).
    ConfigEntry(ConfigEntry),
    /// ACLRole (23).
    ACLRole(ACLRole),
    /// ACLBindingRule (25).
    ACLBindingRule(ACLBindingRule),
    /// ACLAuthMethod (27).
    ACLAuthMethod(ACLAuthMethod),
    /// ChunkingState (29).
    ChunkingState(ChunkingState),
    /// FederationState (30).
    FederationState(FederationState),
    /// SystemMetadata (31).
    SystemMetadata(SystemMetadata),
    /// ServiceVirtualIP (32).
    ServiceVirtualIP(ServiceVirtualIP),
    /// FreeVirtualIP (33).
    FreeVirtualIP(FreeVirtualIP),
    /// Any other type: the value as lossless JSON.
    Generic(Any),
}

/// Decodes a config entry's raw envelope: kind, then `{Datacenter, Entry, Op, Token}`.
fn config_entry(v: &Value<'_>) -> Result<ConfigEntry, String> {
    let raw = v
        .as_bytes()
        .ok_or("a ConfigEntry record is not a raw string")?;
    let (kind, n) = msgpack::decode(raw).map_err(|e| e.to_string())?;
    let kind = Text(
        kind.as_bytes()
            .ok_or("config entry kind is not a string")?
            .to_vec(),
    );
    let (req, _) = msgpack::decode(&raw[n..]).map_err(|e| e.to_string())?;
    let entry = req
        .get("Entry")
        .ok_or("config entry envelope has no Entry")?;
    // proxy-defaults' Entry is msgpack inside a raw string once more.
    let entry_json = match entry.as_bytes().map(msgpack::decode_exact) {
        Some(Ok(inner)) => values::to_json(&inner),
        _ => values::to_json(entry),
    };
    let name = entry_json
        .get("Name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    Ok(ConfigEntry {
        Kind: kind,
        Name: Text(name),
        Entry: Any(entry_json),
    })
}

fn typed<'a, T: Deserialize<'a>>(v: &Value<'a>) -> Result<T, String> {
    de::from_value(v).map_err(|e| e.0)
}

impl Model {
    /// Decodes a record value of type `t` through its typed model.
    pub fn decode_typed(t: MessageType, v: &Value<'_>) -> Result<Model, String> {
        Ok(match t {
            MessageType::REGISTER => Model::Register(Box::new(typed(v)?)),
            MessageType::KVS => Model::Kvs(typed(v)?),
            MessageType::SESSION => Model::Session(typed(v)?),
            MessageType::TOMBSTONE => Model::Tombstone(typed(v)?),
            MessageType::COORDINATE_BATCH_UPDATE => Model::Coordinates(typed(v)?),
            MessageType::PREPARED_QUERY => Model::PreparedQuery(typed(v)?),
            MessageType::AUTOPILOT => Model::Autopilot(typed(v)?),
            MessageType::INTENTION => Model::Intention(typed(v)?),
            MessageType::CONNECT_CA => Model::CARoot(Box::new(typed(v)?)),
            MessageType::CONNECT_CA_PROVIDER_STATE => Model::CAProviderState(typed(v)?),
            MessageType::CONNECT_CA_CONFIG => Model::CAConfig(typed(v)?),
            MessageType::INDEX => Model::Index(typed(v)?),
            MessageType::ACL_TOKEN => Model::ACLToken(Box::new(typed(v)?)),
            MessageType::ACL_POLICY => Model::ACLPolicy(typed(v)?),
            MessageType::CONFIG_ENTRY => Model::ConfigEntry(config_entry(v)?),
            MessageType::ACL_ROLE => Model::ACLRole(typed(v)?),
            MessageType::ACL_BINDING_RULE => Model::ACLBindingRule(typed(v)?),
            MessageType::ACL_AUTH_METHOD => Model::ACLAuthMethod(typed(v)?),
            MessageType::CHUNKING_STATE => Model::ChunkingState(typed(v)?),
            MessageType::FEDERATION_STATE => Model::FederationState(typed(v)?),
            MessageType::SYSTEM_METADATA => Model::SystemMetadata(typed(v)?),
            MessageType::SERVICE_VIRTUAL_IP => Model::ServiceVirtualIP(typed(v)?),
            MessageType::FREE_VIRTUAL_IP => Model::FreeVirtualIP(typed(v)?),
            _ => return Err(format!("no typed model for {}", t.name())),
        })
    }

    /// Decodes a record that carries its value: `None` without one, an error for a value
    /// that is not one whole msgpack value or does not fit its type's model.
    pub fn from_record(r: &crate::snapshot::state::Record<'_>) -> Option<Result<Model, String>> {
        let bytes = r.value?;
        Some(match crate::go::msgpack::decode_exact(bytes) {
            Ok(v) => Model::decode_typed(r.mtype, &v),
            Err(e) => Err(e.to_string()),
        })
    }

    /// Decodes a record value: typed when possible (`true`), else generic (`false`).
    pub fn decode(t: MessageType, v: &Value<'_>) -> (Model, bool) {
        match Model::decode_typed(t, v) {
            Ok(m) => (m, true),
            Err(_) => (Model::Generic(Any(values::to_json(v))), false),
        }
    }

    /// The record's identity: what it is about, unique within its type.
    pub fn identity(&self) -> Identity {
        use Identity as I;
        let t = |x: &Text| x.lossy().into_owned();
        match self {
            Model::Register(r) => match (&r.Service, &r.Check) {
                (Some(s), _) => I::Service {
                    node: t(&r.Node),
                    service: t(&s.ID),
                },
                (None, Some(c)) => I::Check {
                    node: t(&r.Node),
                    check: t(&c.CheckID),
                },
                (None, None) => I::Node(t(&r.Node)),
            },
            Model::Kvs(e) | Model::Tombstone(e) => I::Key(t(&e.Key)),
            Model::Session(s) => I::Key(t(&s.ID)),
            Model::Coordinates(c) => match c.first() {
                Some(c) if c.Segment.is_empty() => I::Key(t(&c.Node)),
                Some(c) => I::Key(format!("{}/{}", t(&c.Node), t(&c.Segment))),
                None => I::Singleton,
            },
            Model::PreparedQuery(q) => I::Key(t(&q.ID)),
            Model::Autopilot(_) | Model::CAConfig(_) | Model::ChunkingState(_) => I::Singleton,
            Model::Intention(i) => I::Key(t(&i.ID)),
            Model::CARoot(r) => I::Key(t(&r.ID)),
            Model::CAProviderState(p) => I::Key(t(&p.ID)),
            Model::Index(i) => I::Key(t(&i.Key)),
            Model::ACLToken(tok) => I::Key(t(&tok.AccessorID)),
            Model::ACLPolicy(p) => I::Key(t(&p.ID)),
            Model::ConfigEntry(c) => I::Key(format!("{}/{}", t(&c.Kind), t(&c.Name))),
            Model::ACLRole(r) => I::Key(t(&r.ID)),
            Model::ACLBindingRule(b) => I::Key(t(&b.ID)),
            Model::ACLAuthMethod(a) => I::Key(t(&a.Name)),
            Model::FederationState(f) => I::Key(
                f.State
                    .as_ref()
                    .map(|s| t(&s.Datacenter))
                    .unwrap_or_default(),
            ),
            Model::SystemMetadata(s) => I::Key(t(&s.Key)),
            Model::ServiceVirtualIP(v) => {
                let s = &v.Service.0;
                let name = s
                    .pointer("/ServiceName/Name")
                    .or_else(|| s.get("Name"))
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                let peer = s.get("Peer").and_then(|p| p.as_str()).unwrap_or("");
                I::Key(if peer.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}@{peer}")
                })
            }
            Model::FreeVirtualIP(f) => {
                I::Key(f.IP.as_ref().map(|ip| ip_text(&ip.0)).unwrap_or_default())
            }
            Model::Generic(_) => I::Unknown,
        }
    }
}

/// Dotted or colon text of a raw IP.
pub fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(b).expect("4 bytes")).to_string(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).expect("16 bytes")).to_string(),
        _ => crate::snapshot::archive::hex(b),
    }
}

/// What a record is about, within its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// A catalog node.
    Node(String),
    /// A service instance on a node.
    Service {
        /// Node name.
        node: String,
        /// Service ID.
        service: String,
    },
    /// A check on a node.
    Check {
        /// Node name.
        node: String,
        /// Check ID.
        check: String,
    },
    /// A record keyed by one string (KV key, ID, name...).
    Key(String),
    /// The one record of its type.
    Singleton,
    /// A record the model cannot key (unknown types): identified by its position only.
    Unknown,
}

impl Identity {
    /// The identity as text, prefixed by the record's type: `KVS:foo/bar`,
    /// `Register:node1/service:web`, `Autopilot`.
    pub fn render(&self, t: MessageType) -> String {
        let name = t.name();
        match self {
            Identity::Node(n) => format!("{name}:{n}"),
            Identity::Service { node, service } => format!("{name}:{node}/service:{service}"),
            Identity::Check { node, check } => format!("{name}:{node}/check:{check}"),
            Identity::Key(k) => format!("{name}:{k}"),
            Identity::Singleton => name,
            Identity::Unknown => format!("{name}:?"),
        }
    }
}
