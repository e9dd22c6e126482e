//! The ACL objects as the tables and `Field: value` lines Consul's `acl` commands print.

use super::*;

impl Acl {
    /// The tokens as a table, expired ones marked by the system clock.
    pub fn tokens_table(&self, r: &Redactor) -> String {
        self.tokens_table_at(r, Instant::now())
    }

    /// The tokens as a table; `Expires` says `(expired)` after the time of tokens that have
    /// expired at `now`.
    pub fn tokens_table_at(&self, r: &Redactor, now: Instant) -> String {
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
                    match t.ExpirationTime {
                        None => "never".into(),
                        Some(e) if Acl::expired(t, now) => format!("{} (expired)", e.rfc3339()),
                        Some(e) => e.rfc3339(),
                    },
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
