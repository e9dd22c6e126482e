//! The least ACL policy the agent needs, as HCL and as Consul's JSON rules.

use serde_json::json;

use super::AgentConfig;

/// The least ACL policy the agent needs, as HCL.
pub fn policy_hcl(cfg: &AgentConfig, node: &str) -> String {
    format!(
        "# snapinspect agent: the least a snapshot agent needs.\n\
         # GET /v1/snapshot (saving a snapshot) needs acl = \"write\".\n\
         acl = \"write\"\n\
         # The leader lock.\n\
         key \"{key}\" {{\n  policy = \"write\"\n}}\n\
         # The leader-election session, created on the agent's node.\n\
         session \"{node}\" {{\n  policy = \"write\"\n}}\n\
         # The agent's own service and its TTL checks.\n\
         service \"{service}\" {{\n  policy = \"write\"\n}}\n",
        key = cfg.lock_key,
        service = cfg.service,
    )
}

/// The same policy as Consul's JSON rules.
pub fn policy_rules_json(cfg: &AgentConfig, node: &str) -> serde_json::Value {
    json!({
        "acl": "write",
        "key": { cfg.lock_key.clone(): { "policy": "write" } },
        "session": { node: { "policy": "write" } },
        "service": { cfg.service.clone(): { "policy": "write" } },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_every_permission() {
        let cfg = AgentConfig::default();
        let hcl = policy_hcl(&cfg, "node-1");
        for want in [
            "acl = \"write\"",
            "key \"consul-snapshot/lock\"",
            "session \"node-1\"",
            "service \"consul-snapshot\"",
        ] {
            assert!(hcl.contains(want), "{want}");
        }
        let j = policy_rules_json(&cfg, "node-1");
        assert_eq!(j["key"]["consul-snapshot/lock"]["policy"], "write");
    }
}
