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
use crate::go::tabwriter::TabWriter;
use crate::model::secrets::Redactor;
use crate::model::values::go_duration;
use crate::model::{
    ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, Any, Bytes, GoTime, Link, Model,
    Text,
};
use crate::snapshot::state::{types, MessageType, Record, RecordSink};

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
        t.0,
        types::ACL_TOKEN
            | types::ACL_POLICY
            | types::ACL_ROLE
            | types::ACL_AUTH_METHOD
            | types::ACL_BINDING_RULE
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
    let mut tw = TabWriter::new(0, 2);
    tw.line(&header.iter().map(|h| h.as_bytes()).collect::<Vec<_>>());
    for r in &rows {
        tw.line(&r.iter().map(|c| c.as_bytes()).collect::<Vec<_>>());
    }
    let mut s = String::from_utf8_lossy(&tw.finish()).into_owned();
    s.push('\n');
    s
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

    /// Links as the API shows them: names from the linked object, links to missing objects dropped.
    fn links(&self, links: &Option<Vec<Link>>, policies: bool) -> Vec<Json> {
        links
            .iter()
            .flatten()
            .filter_map(|l| {
                let name = if policies {
                    self.policy(&l.ID).map(|p| &p.Name)
                } else {
                    self.role(&l.ID).map(|r| &r.Name)
                }?;
                let mut m = Map::new();
                m.insert("ID".into(), text(&l.ID));
                m.insert("Name".into(), text(name));
                Some(Json::Object(m))
            })
            .collect()
    }

    fn token_head(&self, t: &ACLToken, r: &Redactor) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("AccessorID".into(), text(&t.AccessorID));
        if r.shows_secrets() {
            m.insert("SecretID".into(), text(&t.SecretID));
        }
        m.insert("Description".into(), text(&t.Description));
        put_list(&mut m, "Policies", self.links(&t.Policies, true));
        put_list(&mut m, "Roles", self.links(&t.Roles, false));
        put_list(
            &mut m,
            "ServiceIdentities",
            service_identities(&t.ServiceIdentities),
        );
        put_list(&mut m, "NodeIdentities", node_identities(&t.NodeIdentities));
        m
    }

    fn token_tail(t: &ACLToken, m: &mut Map<String, Json>) {
        m.insert("CreateTime".into(), time(&t.CreateTime));
        m.insert("Hash".into(), hash(&t.Hash));
        m.insert("CreateIndex".into(), t.CreateIndex.into());
        m.insert("ModifyIndex".into(), t.ModifyIndex.into());
    }

    /// A token as `/v1/acl/tokens` lists it (`ACLTokenListStub`).
    pub fn token_stub(&self, t: &ACLToken, r: &Redactor) -> Json {
        let mut m = self.token_head(t, r);
        m.insert("Local".into(), t.Local.into());
        put_text(&mut m, "AuthMethod", &t.AuthMethod);
        if t.ExpirationTime.is_some() {
            m.insert("ExpirationTime".into(), time(&t.ExpirationTime));
        }
        Self::token_tail(t, &mut m);
        if !t.Rules.is_empty() {
            m.insert("Legacy".into(), true.into());
        }
        Json::Object(m)
    }

    /// A token as `/v1/acl/token/:id` shows it (`ACLToken`).
    pub fn token(&self, t: &ACLToken, r: &Redactor) -> Json {
        let mut m = self.token_head(t, r);
        put_text(&mut m, "Rules", &t.Rules);
        m.insert("Local".into(), t.Local.into());
        put_text(&mut m, "AuthMethod", &t.AuthMethod);
        if t.ExpirationTime.is_some() {
            m.insert("ExpirationTime".into(), time(&t.ExpirationTime));
        }
        if t.ExpirationTTL.0 != 0 {
            m.insert("ExpirationTTL".into(), t.ExpirationTTL.0.into());
        }
        Self::token_tail(t, &mut m);
        Json::Object(m)
    }

    /// A policy as `/v1/acl/policies` lists it (`ACLPolicyListStub`, no rules).
    pub fn policy_stub(&self, p: &ACLPolicy) -> Json {
        let mut m = Map::new();
        m.insert("ID".into(), text(&p.ID));
        m.insert("Name".into(), text(&p.Name));
        m.insert("Description".into(), text(&p.Description));
        m.insert(
            "Datacenters".into(),
            serde_json::to_value(&p.Datacenters).unwrap_or(Json::Null),
        );
        m.insert("Hash".into(), hash(&p.Hash));
        m.insert("CreateIndex".into(), p.CreateIndex.into());
        m.insert("ModifyIndex".into(), p.ModifyIndex.into());
        Json::Object(m)
    }

    /// A policy as `/v1/acl/policy/:id` shows it, with its rules.
    pub fn policy_full(&self, p: &ACLPolicy) -> Json {
        let mut m = Map::new();
        m.insert("ID".into(), text(&p.ID));
        m.insert("Name".into(), text(&p.Name));
        m.insert("Description".into(), text(&p.Description));
        m.insert("Rules".into(), text(&p.Rules));
        if let Some(dcs) = p.Datacenters.as_ref().filter(|d| !d.is_empty()) {
            m.insert("Datacenters".into(), dcs.iter().map(text).collect());
        }
        m.insert("Hash".into(), hash(&p.Hash));
        m.insert("CreateIndex".into(), p.CreateIndex.into());
        m.insert("ModifyIndex".into(), p.ModifyIndex.into());
        Json::Object(m)
    }

    /// A role as `/v1/acl/roles` and `/v1/acl/role/:id` show it.
    pub fn role_json(&self, x: &ACLRole) -> Json {
        let mut m = Map::new();
        m.insert("ID".into(), text(&x.ID));
        m.insert("Name".into(), text(&x.Name));
        m.insert("Description".into(), text(&x.Description));
        put_list(&mut m, "Policies", self.links(&x.Policies, true));
        put_list(
            &mut m,
            "ServiceIdentities",
            service_identities(&x.ServiceIdentities),
        );
        put_list(&mut m, "NodeIdentities", node_identities(&x.NodeIdentities));
        m.insert("Hash".into(), hash(&x.Hash));
        m.insert("CreateIndex".into(), x.CreateIndex.into());
        m.insert("ModifyIndex".into(), x.ModifyIndex.into());
        Json::Object(m)
    }

    /// An auth method as `/v1/acl/auth-methods` lists it (no config).
    pub fn auth_method_stub(&self, a: &ACLAuthMethod) -> Json {
        let mut m = Map::new();
        m.insert("Name".into(), text(&a.Name));
        m.insert("Type".into(), text(&a.Type));
        put_text(&mut m, "DisplayName", &a.DisplayName);
        put_text(&mut m, "Description", &a.Description);
        m.insert("CreateIndex".into(), a.CreateIndex.into());
        m.insert("ModifyIndex".into(), a.ModifyIndex.into());
        Json::Object(m)
    }

    /// An auth method as `/v1/acl/auth-method/:name` shows it; secrets in `Config` redacted
    /// unless the redactor shows them.
    pub fn auth_method(&self, a: &ACLAuthMethod, r: &Redactor) -> Json {
        let mut m = Map::new();
        if a.MaxTokenTTL.0 != 0 {
            m.insert("MaxTokenTTL".into(), go_duration(a.MaxTokenTTL.0).into());
        }
        m.insert("Name".into(), text(&a.Name));
        m.insert("Type".into(), text(&a.Type));
        put_text(&mut m, "DisplayName", &a.DisplayName);
        put_text(&mut m, "Description", &a.Description);
        put_text(&mut m, "TokenLocality", &a.TokenLocality);
        let mut wrapped = serde_json::json!({ "Config": sort_keys(&a.Config.0) });
        r.redact(MessageType(types::ACL_AUTH_METHOD), &mut wrapped);
        m.insert("Config".into(), wrapped["Config"].take());
        m.insert("CreateIndex".into(), a.CreateIndex.into());
        m.insert("ModifyIndex".into(), a.ModifyIndex.into());
        Json::Object(m)
    }

    /// A binding rule as `/v1/acl/binding-rules` and `/v1/acl/binding-rule/:id` show it.
    pub fn binding_rule(&self, b: &ACLBindingRule) -> Json {
        let mut m = Map::new();
        m.insert("ID".into(), text(&b.ID));
        m.insert("Description".into(), text(&b.Description));
        m.insert("AuthMethod".into(), text(&b.AuthMethod));
        m.insert("Selector".into(), text(&b.Selector));
        m.insert("BindType".into(), text(&b.BindType));
        m.insert("BindName".into(), text(&b.BindName));
        m.insert("CreateIndex".into(), b.CreateIndex.into());
        m.insert("ModifyIndex".into(), b.ModifyIndex.into());
        Json::Object(m)
    }

    /// `/v1/acl/tokens`.
    pub fn tokens_json(&self, r: &Redactor) -> Json {
        Json::Array(
            self.state
                .tokens
                .iter()
                .map(|t| self.token_stub(t, r))
                .collect(),
        )
    }

    /// `/v1/acl/policies`.
    pub fn policies_json(&self) -> Json {
        Json::Array(
            self.state
                .policies
                .iter()
                .map(|p| self.policy_stub(p))
                .collect(),
        )
    }

    /// `/v1/acl/roles`.
    pub fn roles_json(&self) -> Json {
        Json::Array(self.state.roles.iter().map(|x| self.role_json(x)).collect())
    }

    /// `/v1/acl/auth-methods`.
    pub fn auth_methods_json(&self) -> Json {
        Json::Array(
            self.state
                .auth_methods
                .iter()
                .map(|a| self.auth_method_stub(a))
                .collect(),
        )
    }

    /// `/v1/acl/binding-rules`.
    pub fn binding_rules_json(&self) -> Json {
        Json::Array(
            self.state
                .binding_rules
                .iter()
                .map(|b| self.binding_rule(b))
                .collect(),
        )
    }

    /// The tokens as a table.
    pub fn tokens_table(&self, r: &Redactor) -> String {
        let mut header = vec!["AccessorID"];
        if r.shows_secrets() {
            header.push("SecretID");
        }
        header.extend([
            "Description",
            "Policies",
            "Roles",
            "Identities",
            "Local",
            "Expires",
        ]);
        let rows = self
            .state
            .tokens
            .iter()
            .map(|t| {
                let mut row = vec![lossy(&t.AccessorID)];
                if r.shows_secrets() {
                    row.push(lossy(&t.SecretID));
                }
                row.extend([
                    lossy(&t.Description),
                    list_names(&self.links(&t.Policies, true)),
                    list_names(&self.links(&t.Roles, false)),
                    identities_text(
                        &service_identities(&t.ServiceIdentities),
                        &node_identities(&t.NodeIdentities),
                    ),
                    t.Local.to_string(),
                    t.ExpirationTime
                        .map(|e| e.rfc3339())
                        .unwrap_or_else(|| "never".into()),
                ]);
                row
            })
            .collect();
        table(&header, rows)
    }

    /// The policies as a table.
    pub fn policies_table(&self) -> String {
        let rows = self
            .state
            .policies
            .iter()
            .map(|p| {
                vec![
                    lossy(&p.ID),
                    lossy(&p.Name),
                    p.Datacenters
                        .iter()
                        .flatten()
                        .map(lossy)
                        .collect::<Vec<_>>()
                        .join(","),
                    lossy(&p.Description),
                ]
            })
            .collect();
        table(&["ID", "Name", "Datacenters", "Description"], rows)
    }

    /// The roles as a table.
    pub fn roles_table(&self) -> String {
        let rows = self
            .state
            .roles
            .iter()
            .map(|x| {
                vec![
                    lossy(&x.ID),
                    lossy(&x.Name),
                    list_names(&self.links(&x.Policies, true)),
                    identities_text(
                        &service_identities(&x.ServiceIdentities),
                        &node_identities(&x.NodeIdentities),
                    ),
                    lossy(&x.Description),
                ]
            })
            .collect();
        table(
            &["ID", "Name", "Policies", "Identities", "Description"],
            rows,
        )
    }

    /// The auth methods as a table.
    pub fn auth_methods_table(&self) -> String {
        let rows = self
            .state
            .auth_methods
            .iter()
            .map(|a| {
                vec![
                    lossy(&a.Name),
                    lossy(&a.Type),
                    lossy(&a.DisplayName),
                    if a.MaxTokenTTL.0 == 0 {
                        String::new()
                    } else {
                        go_duration(a.MaxTokenTTL.0)
                    },
                    lossy(&a.TokenLocality),
                    lossy(&a.Description),
                ]
            })
            .collect();
        table(
            &[
                "Name",
                "Type",
                "DisplayName",
                "MaxTokenTTL",
                "TokenLocality",
                "Description",
            ],
            rows,
        )
    }

    /// The binding rules as a table.
    pub fn binding_rules_table(&self) -> String {
        let rows = self
            .state
            .binding_rules
            .iter()
            .map(|b| {
                vec![
                    lossy(&b.ID),
                    lossy(&b.AuthMethod),
                    lossy(&b.BindType),
                    lossy(&b.BindName),
                    lossy(&b.Selector),
                    lossy(&b.Description),
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "AuthMethod",
                "BindType",
                "BindName",
                "Selector",
                "Description",
            ],
            rows,
        )
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

    /// A found object in the shape of its API read endpoint.
    pub fn show_json(&self, f: Found, r: &Redactor) -> Json {
        let s = &self.state;
        match f {
            Found::Token(i) => self.token(&s.tokens[i], r),
            Found::Policy(i) => self.policy_full(&s.policies[i]),
            Found::Role(i) => self.role_json(&s.roles[i]),
            Found::AuthMethod(i) => self.auth_method(&s.auth_methods[i], r),
            Found::BindingRule(i) => self.binding_rule(&s.binding_rules[i]),
        }
    }

    /// A found object as `Field: value` lines, as Consul's `acl ... read` prints them.
    pub fn show_pretty(&self, f: Found, r: &Redactor) -> String {
        let json = self.show_json(f, r);
        let mut out = String::new();
        let Json::Object(m) = json else {
            return out;
        };
        let width = m.keys().map(|k| k.len()).max().unwrap_or(0) + 2;
        for (k, v) in &m {
            match (k.as_str(), v) {
                ("Rules", Json::String(rules)) => {
                    out.push_str("Rules:\n");
                    out.push_str(rules);
                    out.push('\n');
                }
                ("Policies" | "Roles", Json::Array(links)) => {
                    out.push_str(&format!("{k}:\n"));
                    for l in links {
                        out.push_str(&format!(
                            "   {} - {}\n",
                            l["ID"].as_str().unwrap_or(""),
                            l["Name"].as_str().unwrap_or("")
                        ));
                    }
                }
                ("ServiceIdentities", Json::Array(ids)) => {
                    out.push_str("Service Identities:\n");
                    for s in ids {
                        let dcs = s
                            .get("Datacenters")
                            .and_then(|d| d.as_array())
                            .map(|d| {
                                d.iter()
                                    .map(|x| x.as_str().unwrap_or("").to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_else(|| "all".into());
                        out.push_str(&format!(
                            "   {} (Datacenters: {dcs})\n",
                            s["ServiceName"].as_str().unwrap_or("")
                        ));
                    }
                }
                ("NodeIdentities", Json::Array(ids)) => {
                    out.push_str("Node Identities:\n");
                    for n in ids {
                        out.push_str(&format!(
                            "   {} (Datacenter: {})\n",
                            n["NodeName"].as_str().unwrap_or(""),
                            n["Datacenter"].as_str().unwrap_or("")
                        ));
                    }
                }
                (_, Json::String(s)) => {
                    out.push_str(&format!("{:width$}{s}\n", format!("{k}:")));
                }
                (_, Json::Null) => out.push_str(&format!("{:width$}\n", format!("{k}:"))),
                (_, v @ (Json::Object(_) | Json::Array(_))) => {
                    out.push_str(&format!("{k}:\n"));
                    let body = crate::go::json::to_string_indent(v, b"  ");
                    for line in body.lines() {
                        out.push_str(&format!("   {line}\n"));
                    }
                }
                (_, v) => out.push_str(&format!("{:width$}{v}\n", format!("{k}:"))),
            }
        }
        out
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Untidy or wasteful.
    Low,
    /// Broken or risky.
    Medium,
    /// Grants full or near-full control.
    High,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    /// The level's name: `info`, `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Parses a level's name (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

/// One audit finding about one ACL object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What was found: `global-management`, `never-expires`, `expired`, ... (see docs/ACL.md).
    pub kind: &'static str,
    /// The kind of object: `token`, `policy`, `role`, `auth-method`, `binding-rule`.
    pub object: &'static str,
    /// The object's ID (AccessorID for tokens, name for auth methods).
    pub id: String,
    /// The object's name (description for tokens).
    pub name: String,
    /// What exactly is wrong.
    pub detail: String,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The findings, most serious first.
    pub findings: Vec<Finding>,
    /// Number of findings per severity.
    pub counts: BTreeMap<&'static str, usize>,
}

/// Whether policy rules (HCL or JSON) grant `key = "write"` at the top level; comment lines
/// are ignored.
pub fn grants_write(rules: &str, key: &str) -> bool {
    let re = regex::Regex::new(&format!(
        r#"(?:^|[\s{{,])"?{}"?\s*[=:]\s*"write""#,
        regex::escape(key)
    ))
    .expect("a valid regex");
    rules.lines().any(|line| {
        let l = line.trim_start();
        !(l.starts_with('#') || l.starts_with("//")) && re.is_match(line)
    })
}

/// A moment as Unix seconds and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds.
    pub nanos: u32,
}

impl Instant {
    /// Now, by the system clock.
    pub fn now() -> Instant {
        Instant::from(std::time::SystemTime::now())
    }

    /// Parses an RFC 3339 time (`2024-05-01T12:00:00Z`, offsets and fractions allowed).
    pub fn parse_rfc3339(s: &str) -> Option<Instant> {
        // humantime takes UTC only; apply an explicit offset by hand.
        let s = s.trim();
        let (base, offset) = match s.len().checked_sub(6).map(|i| s.split_at(i)) {
            Some((b, o))
                if (o.starts_with('+') || o.starts_with('-')) && o.as_bytes()[3] == b':' =>
            {
                let h: i64 = o[1..3].parse().ok()?;
                let m: i64 = o[4..6].parse().ok()?;
                let sign = if o.starts_with('-') { -1 } else { 1 };
                (format!("{b}Z"), sign * (h * 3600 + m * 60))
            }
            _ => (s.to_string(), 0),
        };
        let t = humantime::parse_rfc3339_weak(base.trim_end_matches(['Z', 'z']))
            .or_else(|_| humantime::parse_rfc3339(&base))
            .ok()?;
        let i = Instant::from(t);
        Some(Instant {
            secs: i.secs - offset,
            nanos: i.nanos,
        })
    }

    fn of(t: &GoTime) -> Instant {
        Instant {
            secs: t.unix(),
            nanos: t.nanos,
        }
    }
}

impl From<std::time::SystemTime> for Instant {
    fn from(t: std::time::SystemTime) -> Instant {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Instant {
                secs: d.as_secs() as i64,
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let (mut secs, mut nanos) = (-(d.as_secs() as i64), d.subsec_nanos());
                if nanos > 0 {
                    secs -= 1;
                    nanos = 1_000_000_000 - nanos;
                }
                Instant { secs, nanos }
            }
        }
    }
}

impl Acl {
    /// Audits the ACL objects; `now` decides which tokens have expired.
    pub fn audit(&self, now: Instant) -> Audit {
        let s = &self.state;
        let mut out = Vec::new();
        let mut push = |severity, kind, object, id: &Text, name: &Text, detail: String| {
            out.push(Finding {
                severity,
                kind,
                object,
                id: lossy(id),
                name: lossy(name),
                detail,
            })
        };
        let gm = Text(GLOBAL_MANAGEMENT_ID.as_bytes().to_vec());
        for t in &s.tokens {
            let (id, name) = (&t.AccessorID, &t.Description);
            // Management: linked directly, through a role, or a legacy management token.
            let mut via = Vec::new();
            if t.Policies.iter().flatten().any(|l| l.ID == gm) {
                via.push("linked to global-management".to_string());
            }
            for l in t.Roles.iter().flatten() {
                if let Some(role) = self.role(&l.ID) {
                    if role.Policies.iter().flatten().any(|p| p.ID == gm) {
                        via.push(format!(
                            "linked to global-management through role {}",
                            role.Name
                        ));
                    }
                }
            }
            let no_links = t.Policies.as_ref().is_none_or(|p| p.is_empty())
                && t.Roles.as_ref().is_none_or(|r| r.is_empty());
            if t.Type.as_bytes() == b"management" && no_links {
                via.push("legacy management token".to_string());
            }
            if !via.is_empty() {
                push(
                    Severity::High,
                    "global-management",
                    "token",
                    id,
                    name,
                    via.join("; "),
                );
            }
            match &t.ExpirationTime {
                None if id.as_bytes() != ANONYMOUS_ID.as_bytes() => push(
                    Severity::Info,
                    "never-expires",
                    "token",
                    id,
                    name,
                    "the token has no expiration time".into(),
                ),
                Some(e) if Instant::of(e) < now => push(
                    Severity::Low,
                    "expired",
                    "token",
                    id,
                    name,
                    format!("expired at {}, still stored", e.rfc3339()),
                ),
                _ => {}
            }
            for l in t.Policies.iter().flatten() {
                if self.policy(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-policy-link",
                        "token",
                        id,
                        name,
                        format!("links policy {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
            for l in t.Roles.iter().flatten() {
                if self.role(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-role-link",
                        "token",
                        id,
                        name,
                        format!("links role {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
        }
        for x in &s.roles {
            for l in x.Policies.iter().flatten() {
                if self.policy(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-policy-link",
                        "role",
                        &x.ID,
                        &x.Name,
                        format!("links policy {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
        }
        for p in &s.policies {
            if p.ID == gm {
                continue; // What it grants is its purpose; the tokens linking it are reported.
            }
            let rules = p.Rules.lossy();
            if grants_write(&rules, "acl") {
                push(
                    Severity::High,
                    "acl-write",
                    "policy",
                    &p.ID,
                    &p.Name,
                    "grants acl = \"write\": its holders can create any token, management included"
                        .into(),
                );
            }
            if grants_write(&rules, "operator") {
                push(
                    Severity::Medium,
                    "operator-write",
                    "policy",
                    &p.ID,
                    &p.Name,
                    "grants operator = \"write\": raft peers, autopilot, keyring, snapshots".into(),
                );
            }
        }
        let mut dupes = |object: &'static str, names: Vec<(&Text, &Text)>| {
            let mut by_name: BTreeMap<&Text, Vec<&Text>> = BTreeMap::new();
            for (name, id) in names {
                by_name.entry(name).or_default().push(id);
            }
            for (name, ids) in by_name.into_iter().filter(|(_, ids)| ids.len() > 1) {
                for id in &ids {
                    push(
                        Severity::Medium,
                        "duplicate-name",
                        object,
                        id,
                        name,
                        format!("{} {object}s are named {name}", ids.len()),
                    );
                }
            }
        };
        dupes(
            "policy",
            s.policies.iter().map(|p| (&p.Name, &p.ID)).collect(),
        );
        dupes("role", s.roles.iter().map(|r| (&r.Name, &r.ID)).collect());
        dupes(
            "auth-method",
            s.auth_methods.iter().map(|a| (&a.Name, &a.Name)).collect(),
        );
        for a in &s.auth_methods {
            if !s.binding_rules.iter().any(|b| b.AuthMethod == a.Name) {
                push(
                    Severity::Low,
                    "no-binding-rules",
                    "auth-method",
                    &a.Name,
                    &a.Name,
                    "no binding rule uses this auth method: every login fails".into(),
                );
            }
        }
        for b in &s.binding_rules {
            if !s.auth_methods.iter().any(|a| a.Name == b.AuthMethod) {
                push(
                    Severity::Medium,
                    "dangling-auth-method",
                    "binding-rule",
                    &b.ID,
                    &b.BindName,
                    format!(
                        "belongs to auth method {}, which is not in the snapshot{MISSING_METHOD_NOTE}",
                        b.AuthMethod
                    ),
                );
            }
        }
        for t in &s.tokens {
            if !t.AuthMethod.is_empty() && !s.auth_methods.iter().any(|a| a.Name == t.AuthMethod) {
                push(
                    Severity::Low,
                    "dangling-auth-method",
                    "token",
                    &t.AccessorID,
                    &t.Description,
                    format!(
                        "created by auth method {}, which is not in the snapshot{MISSING_METHOD_NOTE}",
                        t.AuthMethod
                    ),
                );
            }
        }
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.kind.cmp(b.kind))
                .then(a.object.cmp(b.object))
                .then(a.id.cmp(&b.id))
                .then(a.detail.cmp(&b.detail))
        });
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for l in Severity::ALL {
            counts.insert(l.name(), out.iter().filter(|f| f.severity == l).count());
        }
        Audit {
            findings: out,
            counts,
        }
    }
}

impl Audit {
    /// Whether a finding at `level` or above exists.
    pub fn has_at_least(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }

    /// The findings as a table, most serious first, and a count line.
    pub fn pretty(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.name().to_string(),
                    f.kind.to_string(),
                    f.object.to_string(),
                    f.id.clone(),
                    f.name.clone(),
                    f.detail.clone(),
                ]
            })
            .collect();
        let mut out = if rows.is_empty() {
            String::new()
        } else {
            table(
                &["Severity", "Finding", "Object", "ID", "Name", "Detail"],
                rows,
            )
        };
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .map(|l| format!("{} {}", self.counts[l.name()], l.name()))
            .collect();
        out.push_str(&format!(
            "{} findings: {}\n",
            self.findings.len(),
            counts.join(", ")
        ));
        out
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
