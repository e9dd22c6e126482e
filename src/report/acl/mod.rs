//! The ACL objects of a snapshot (tokens, policies, roles, auth methods, binding rules) in the
//! shapes of Consul's ACL HTTP API, and an audit of them.
//!
//! The JSON follows Consul 1.8.7's `/v1/acl/*` endpoints field by field: the same field order,
//! the same omitted-when-empty fields, links to policies and roles resolved as the API resolves
//! them at read time (current names; links to deleted objects dropped), and lists in the order
//! of Consul's state store indexes. A token's `SecretID` appears only when the [`Redactor`]
//! shows secrets.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::error::{Check, Error, Location, Result};
use crate::model::secrets::Redactor;
use crate::model::values::go_duration;
use crate::model::{
    ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, Any, Bytes, GoTime, Link, Model,
    Text,
};
use crate::snapshot::state::{MessageType, Record, RecordSink};

mod audit;
mod json;
mod table;

pub use audit::{grants_write, Audit, Finding, Instant, Severity, AUDIT_SCHEMA};

/// ID of Consul's built-in `global-management` policy.
pub const GLOBAL_MANAGEMENT_ID: &str = "00000000-0000-0000-0000-000000000001";
/// AccessorID of Consul's anonymous token.
pub const ANONYMOUS_ID: &str = "00000000-0000-0000-0000-000000000002";

/// Why an auth method may be missing: Consul 1.8.7 and others before the fix for
/// hashicorp/consul#9784 write only the first auth method (by name) into a snapshot.
const MISSING_METHOD_NOTE: &str =
    " (Consul before the fix for hashicorp/consul#9784 saves only the first auth method)";

/// The ACL records of one snapshot, as decoded.
#[derive(Debug, Clone, Default)]
pub struct AclState {
    /// ACL tokens.
    pub tokens: Vec<ACLToken>,
    /// ACL policies.
    pub policies: Vec<ACLPolicy>,
    /// ACL roles.
    pub roles: Vec<ACLRole>,
    /// ACL auth methods.
    pub auth_methods: Vec<ACLAuthMethod>,
    /// ACL binding rules.
    pub binding_rules: Vec<ACLBindingRule>,
}

/// Collects the ACL records of a snapshot while it streams by.
#[derive(Debug, Default)]
pub struct AclSink {
    /// What has been collected.
    pub state: AclState,
}

fn is_acl_type(t: MessageType) -> bool {
    matches!(
        t,
        MessageType::ACL_TOKEN
            | MessageType::ACL_POLICY
            | MessageType::ACL_ROLE
            | MessageType::ACL_AUTH_METHOD
            | MessageType::ACL_BINDING_RULE
    )
}

impl RecordSink for AclSink {
    fn wants_value(&mut self, t: MessageType) -> bool {
        is_acl_type(t)
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(bytes) = r.value else { return Ok(()) };
        if !is_acl_type(r.mtype) {
            return Ok(());
        }
        let bad = |msg: String| {
            Error::invalid(
                Check::Record,
                msg,
                Location::member("state.bin")
                    .record(r.number, Some(r.mtype.name()))
                    .at(r.offset, "state.bin"),
            )
        };
        let (v, _) = crate::go::msgpack::decode(bytes)
            .map_err(|e| bad(format!("malformed msgpack value: {e}")))?;
        let model = Model::decode_typed(r.mtype, &v).map_err(|e| {
            bad(format!(
                "{} record does not fit Consul's ACL model: {e}",
                r.mtype.name()
            ))
        })?;
        let s = &mut self.state;
        match model {
            Model::ACLToken(t) => s.tokens.push(*t),
            Model::ACLPolicy(p) => s.policies.push(p),
            Model::ACLRole(x) => s.roles.push(x),
            Model::ACLAuthMethod(a) => s.auth_methods.push(a),
            Model::ACLBindingRule(b) => s.binding_rules.push(b),
            _ => {}
        }
        Ok(())
    }
}

/// The ACL objects with their indexes, ready to be shown and audited.
#[derive(Debug, Clone)]
pub struct Acl {
    /// The objects, each list in the order Consul's API lists them.
    pub state: AclState,
    policy_by_id: HashMap<Vec<u8>, usize>,
    role_by_id: HashMap<Vec<u8>, usize>,
}

/// One ACL object found by [`Acl::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A token, by position in `state.tokens`.
    Token(usize),
    /// A policy, by position in `state.policies`.
    Policy(usize),
    /// A role, by position in `state.roles`.
    Role(usize),
    /// An auth method, by position in `state.auth_methods`.
    AuthMethod(usize),
    /// A binding rule, by position in `state.binding_rules`.
    BindingRule(usize),
}

fn text(t: &Text) -> Json {
    serde_json::to_value(t).unwrap_or(Json::Null)
}

fn hash(h: &Option<Bytes>) -> Json {
    serde_json::to_value(h).unwrap_or(Json::Null)
}

fn time(t: &Option<GoTime>) -> Json {
    Json::String(t.unwrap_or_default().rfc3339())
}

fn put_list(m: &mut Map<String, Json>, key: &str, items: Vec<Json>) {
    if !items.is_empty() {
        m.insert(key.into(), Json::Array(items));
    }
}

fn put_text(m: &mut Map<String, Json>, key: &str, t: &Text) {
    if !t.is_empty() {
        m.insert(key.into(), text(t));
    }
}

fn str_of(v: &Json, key: &str) -> Json {
    match v.get(key) {
        Some(Json::Null) | None => Json::String(String::new()),
        Some(x) => x.clone(),
    }
}

/// `[]*ACLServiceIdentity` as Consul's JSON shows it: `ServiceName`, `Datacenters` if any.
fn service_identities(v: &Any) -> Vec<Json> {
    let Some(items) = v.0.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("ServiceName".into(), str_of(s, "ServiceName"));
            if let Some(dcs) = s.get("Datacenters").and_then(|d| d.as_array()) {
                if !dcs.is_empty() {
                    m.insert("Datacenters".into(), Json::Array(dcs.clone()));
                }
            }
            Json::Object(m)
        })
        .collect()
}

/// `[]*ACLNodeIdentity` as Consul's JSON shows it: `NodeName`, `Datacenter`.
fn node_identities(v: &Any) -> Vec<Json> {
    let Some(items) = v.0.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("NodeName".into(), str_of(s, "NodeName"));
            m.insert("Datacenter".into(), str_of(s, "Datacenter"));
            Json::Object(m)
        })
        .collect()
}

/// Go marshals maps with sorted keys; msgpack maps keep the writer's order.
fn sort_keys(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let sorted: BTreeMap<&String, Json> =
                m.iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Json::Array(a) => Json::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

fn list_names(links: &[Json]) -> String {
    links
        .iter()
        .map(|l| l["Name"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn identities_text(svc: &[Json], node: &[Json]) -> String {
    let mut parts: Vec<String> = svc
        .iter()
        .map(|s| format!("service:{}", s["ServiceName"].as_str().unwrap_or("")))
        .collect();
    parts.extend(node.iter().map(|n| {
        format!(
            "node:{}:{}",
            n["NodeName"].as_str().unwrap_or(""),
            n["Datacenter"].as_str().unwrap_or("")
        )
    }));
    parts.join(",")
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    crate::go::tabwriter::table(header, &rows)
}

fn lossy(t: &Text) -> String {
    t.lossy().into_owned()
}

impl Acl {
    /// Indexes the objects and orders each list as Consul's API does: tokens by SecretID (the
    /// state store's `id` index), policies, roles and binding rules by ID, auth methods by name.
    pub fn new(mut state: AclState) -> Acl {
        state.tokens.sort_by(|a, b| a.SecretID.cmp(&b.SecretID));
        state.policies.sort_by(|a, b| a.ID.cmp(&b.ID));
        state.roles.sort_by(|a, b| a.ID.cmp(&b.ID));
        state.auth_methods.sort_by(|a, b| a.Name.cmp(&b.Name));
        state.binding_rules.sort_by(|a, b| a.ID.cmp(&b.ID));
        let policy_by_id = state
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.ID.0.clone(), i))
            .collect();
        let role_by_id = state
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.ID.0.clone(), i))
            .collect();
        Acl {
            state,
            policy_by_id,
            role_by_id,
        }
    }

    /// Whether the snapshot holds no ACL object at all (a cluster with ACLs enabled always has
    /// at least the anonymous token).
    pub fn is_empty(&self) -> bool {
        let s = &self.state;
        s.tokens.is_empty()
            && s.policies.is_empty()
            && s.roles.is_empty()
            && s.auth_methods.is_empty()
            && s.binding_rules.is_empty()
    }

    /// The note for a snapshot without ACL objects (`None` when it has some), given how many
    /// legacy (pre-1.4) ACL records it holds.
    pub fn no_data_note(&self, legacy_records: u64) -> Option<String> {
        match (self.is_empty(), legacy_records) {
            (false, _) => None,
            (true, 0) => Some("no ACL data in this snapshot (ACLs were never enabled)".into()),
            (true, n) => Some(format!(
                "no ACL data in this snapshot but {n} legacy ACL record(s), which the acl commands do not show (Consul 1.4 and later migrate them to tokens)"
            )),
        }
    }

    /// The policy with this ID.
    pub fn policy(&self, id: &Text) -> Option<&ACLPolicy> {
        self.policy_by_id
            .get(&id.0)
            .map(|&i| &self.state.policies[i])
    }

    /// The role with this ID.
    pub fn role(&self, id: &Text) -> Option<&ACLRole> {
        self.role_by_id.get(&id.0).map(|&i| &self.state.roles[i])
    }

    /// The objects that `query` names: exact IDs and names first (token AccessorIDs, policy
    /// and role IDs and names, auth method names, binding rule IDs); failing those, IDs that
    /// start with it. SecretIDs are never matched.
    pub fn find(&self, query: &str) -> Vec<Found> {
        let q = query.as_bytes();
        let s = &self.state;
        let collect = |pred: &dyn Fn(&[u8]) -> bool, names: bool| {
            let mut out = Vec::new();
            for (i, t) in s.tokens.iter().enumerate() {
                if pred(&t.AccessorID.0) {
                    out.push(Found::Token(i));
                }
            }
            for (i, p) in s.policies.iter().enumerate() {
                if pred(&p.ID.0) || (names && pred(&p.Name.0)) {
                    out.push(Found::Policy(i));
                }
            }
            for (i, x) in s.roles.iter().enumerate() {
                if pred(&x.ID.0) || (names && pred(&x.Name.0)) {
                    out.push(Found::Role(i));
                }
            }
            if names {
                for (i, a) in s.auth_methods.iter().enumerate() {
                    if pred(&a.Name.0) {
                        out.push(Found::AuthMethod(i));
                    }
                }
            }
            for (i, b) in s.binding_rules.iter().enumerate() {
                if pred(&b.ID.0) {
                    out.push(Found::BindingRule(i));
                }
            }
            out
        };
        let exact = collect(&|v: &[u8]| v == q, true);
        if !exact.is_empty() || q.is_empty() {
            return exact;
        }
        collect(&|v: &[u8]| v.starts_with(q), false)
    }

    /// What a found object is and what it is called, for messages.
    pub fn describe(&self, f: Found) -> String {
        let s = &self.state;
        match f {
            Found::Token(i) => format!(
                "token {} ({})",
                s.tokens[i].AccessorID, s.tokens[i].Description
            ),
            Found::Policy(i) => format!("policy {} ({})", s.policies[i].ID, s.policies[i].Name),
            Found::Role(i) => format!("role {} ({})", s.roles[i].ID, s.roles[i].Name),
            Found::AuthMethod(i) => format!("auth method {}", s.auth_methods[i].Name),
            Found::BindingRule(i) => format!("binding rule {}", s.binding_rules[i].ID),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.as_bytes().to_vec())
    }

    #[test]
    fn write_grants_in_hcl_and_json() {
        assert!(grants_write("acl = \"write\"", "acl"));
        assert!(grants_write("key_prefix \"\" {}\n  acl=\"write\"", "acl"));
        assert!(grants_write("{\"acl\": \"write\"}", "acl"));
        assert!(grants_write("{\"operator\":\"write\"}", "operator"));
        assert!(!grants_write("acl = \"read\"", "acl"));
        assert!(!grants_write("# acl = \"write\"", "acl"));
        assert!(!grants_write("key \"acl\" { policy = \"write\" }", "acl"));
        assert!(!grants_write("myacl = \"write\"", "acl"));
    }

    #[test]
    fn duplicates_and_dangling_binding_rules() {
        let pol = |id: &str, name: &str| ACLPolicy {
            ID: t(id),
            Name: t(name),
            ..Default::default()
        };
        let state = AclState {
            policies: vec![pol("p1", "same"), pol("p2", "same"), pol("p3", "other")],
            binding_rules: vec![ACLBindingRule {
                ID: t("b1"),
                AuthMethod: t("gone"),
                ..Default::default()
            }],
            ..Default::default()
        };
        let a = Acl::new(state).audit(Instant { secs: 0, nanos: 0 });
        let kinds: Vec<(&str, &str)> = a.findings.iter().map(|f| (f.kind, f.id.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("dangling-auth-method", "b1"),
                ("duplicate-name", "p1"),
                ("duplicate-name", "p2")
            ]
        );
        assert!(a.has_at_least(Severity::Medium));
        assert!(!a.has_at_least(Severity::High));
    }

    #[test]
    fn expiry_against_now_and_legacy_management() {
        let exp = GoTime {
            seconds: 62_135_596_800 + 1_000,
            ..Default::default()
        };
        let state = AclState {
            tokens: vec![ACLToken {
                AccessorID: t("a1"),
                ExpirationTime: Some(exp),
                Type: t("management"),
                ..Default::default()
            }],
            ..Default::default()
        };
        let acl = Acl::new(state);
        let before = acl.audit(Instant {
            secs: 999,
            nanos: 0,
        });
        assert_eq!(before.findings.len(), 1);
        assert_eq!(before.findings[0].kind, "global-management");
        let after = acl.audit(Instant {
            secs: 1_000,
            nanos: 1,
        });
        assert_eq!(after.findings[1].kind, "expired");
        assert_eq!(
            after.findings[1].detail,
            "expired at 1970-01-01T00:16:40Z, still stored"
        );
    }

    #[test]
    fn rfc3339_now() {
        assert_eq!(
            Instant::parse_rfc3339("2000-01-01T00:00:00Z"),
            Some(Instant {
                secs: 946_684_800,
                nanos: 0
            })
        );
        assert_eq!(
            Instant::parse_rfc3339("2000-01-01T01:00:00.5+01:00"),
            Some(Instant {
                secs: 946_684_800,
                nanos: 500_000_000
            })
        );
        assert_eq!(Instant::parse_rfc3339("yesterday"), None);
    }
}
