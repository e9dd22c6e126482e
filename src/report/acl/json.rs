//! The ACL objects in the shapes of Consul 1.8.7's `/v1/acl/*` endpoints.

use super::*;

impl Acl {
    /// Links as the API shows them: names from the linked object, links to missing objects dropped.
    pub(super) fn links(&self, links: &Option<Vec<Link>>, policies: bool) -> Vec<Json> {
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
        r.redact(MessageType::ACL_AUTH_METHOD, &mut wrapped);
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
}
