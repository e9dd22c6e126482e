//! Nomad records: the identity of each record (what `diff` matches on) and the fields that
//! carry secrets, from hashicorp/nomad's structs (`nomad/structs/structs.go`, `acl.go`,
//! `keyring.go`, `variables.go`; `nomad/state/state_store.go` for `IndexEntry`).
//!
//! Secrets: `ACLToken.SecretID` and `Node.SecretID` (bearer credentials); a root key's
//! `WrappedKeys[*].KeyEncryptionKey` (the cleartext KEK the AEAD provider writes into raft),
//! `WrappedDataEncryptionKey` and `WrappedRSAKey` (what the KEK unwraps: the keyring); an ACL
//! auth method's `Config.OIDCClientSecret`, `Config.OIDCClientAssertion.ClientSecret` and
//! `Config.OIDCClientAssertion.PrivateKey.PemKey` (what `ACLAuthMethod.Sanitize` in `acl.go`
//! redacts); an allocation's `SignedIdentities` (workload identity JWTs); a variable's `Data`
//! (its encrypted items); a CSI volume's `Secrets` (`CSISecrets` in `nomad/structs/csi.go`,
//! the map Nomad itself never logs).

use serde_json::Value as Json;

use crate::model::secrets::Redactor;

/// Field names that hold a secret in every Nomad record type that has them.
const SECRET_KEYS: &[&str] = &[
    "SecretID",
    "KeyEncryptionKey",
    "WrappedDataEncryptionKey",
    "WrappedRSAKey",
    "OIDCClientSecret",
    "ClientSecret",
    "PemKey",
    "SignedIdentities",
];

/// Type byte of Variables, whose `Data` is the variable's encrypted items.
const VARIABLES: u8 = 22;

/// Type byte of CSIVolume, whose `Secrets` are the volume's credentials.
const CSI_VOLUME: u8 = 18;

fn is_secret(t: u8, key: &str) -> bool {
    SECRET_KEYS.contains(&key)
        || (t == VARIABLES && key == "Data")
        || (t == CSI_VOLUME && key == "Secrets")
}

fn empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn walk(t: u8, v: &Json, path: &str, found: &mut Vec<String>) {
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                if is_secret(t, k) {
                    if !empty(child) {
                        found.push(p);
                    }
                } else {
                    walk(t, child, &p, found);
                }
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(t, child, &format!("{path}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// JSON pointers of the secrets in a Nomad record of type `t`.
pub fn secret_paths(t: u8, value: &Json) -> Vec<String> {
    let mut found = Vec::new();
    walk(t, value, "", &mut found);
    found
}

/// Replaces every secret of a Nomad record by the redactor's marker (unless it shows them);
/// returns the pointers of the secrets found.
pub fn redact(t: u8, value: &mut Json, redactor: &Redactor) -> Vec<String> {
    let paths = secret_paths(t, value);
    if !redactor.shows_secrets() {
        for p in &paths {
            if let Some(v) = value.pointer_mut(p) {
                let text = match &*v {
                    Json::String(s) => s.clone().into_bytes(),
                    other => other.to_string().into_bytes(),
                };
                *v = Json::String(redactor.marker(&text));
            }
        }
    }
    paths
}

fn s<'a>(v: &'a Json, key: &str) -> &'a str {
    v.get(key).and_then(Json::as_str).unwrap_or("")
}

fn u(v: &Json, key: &str) -> String {
    v.get(key).map(|x| x.to_string()).unwrap_or_default()
}

/// The identity of a Nomad record, as `Name:key` (`Job:default/web`, `Index:jobs`): what a
/// state store table is keyed by.
pub fn identity(t: u8, v: &Json) -> String {
    let name = crate::snapshot::nomad::type_name(t);
    let key = match t {
        // Node, Eval, Alloc, Deployment, SITokenAccessor, CSIPlugin, ScalingPolicy,
        // ServiceRegistration, ACLRole, ACLBindingRule
        0 | 3 | 4 | 10 | 16 | 17 | 21 | 25 | 27 => s(v, "ID").to_string(),
        1 | 6 | 18 | 31 => format!("{}/{}", s(v, "Namespace"), s(v, "ID")),
        2 => s(v, "Key").to_string(),
        7 | 19 => format!("{}/{}", s(v, "Namespace"), s(v, "JobID")),
        8 => s(v, "Accessor").to_string(),
        9 => format!("{}/{}@{}", s(v, "Namespace"), s(v, "ID"), u(v, "Version")),
        11 | 26 | 28 | 64 => s(v, "Name").to_string(),
        12 | 15 => s(v, "AccessorID").to_string(),
        22 => format!("{}/{}", s(v, "Namespace"), s(v, "Path")),
        23 => s(v, "Namespace").to_string(),
        24 | 30 => s(v, "KeyID").to_string(),
        29 => format!(
            "{}/{}@{}",
            s(v, "Namespace"),
            s(v, "JobID"),
            u(v, "Version")
        ),
        // One record per snapshot: TimeTable, SchedulerConfig, ClusterMetadata.
        5 | 13 | 14 => String::new(),
        // Unknown types: the whole value is the identity's stand-in.
        _ => {
            let h = crate::snapshot::archive::hex(&<sha2::Sha256 as sha2::Digest>::digest(
                v.to_string().as_bytes(),
            ));
            h[..16].to_string()
        }
    };
    format!("{name}:{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_and_redacted() {
        let mut tok = serde_json::json!({"AccessorID": "a", "SecretID": "s3cret", "Name": "n"});
        let r = Redactor::keyed_by(b"t");
        assert_eq!(redact(12, &mut tok, &r), vec!["/SecretID"]);
        assert!(tok["SecretID"].as_str().unwrap().starts_with("[redacted:"));
        let mut key = serde_json::json!({"KeyID": "k", "WrappedKeys": [
            {"Provider": "aead", "KeyEncryptionKey": "kek", "WrappedDataEncryptionKey": {"Ciphertext": "c"}}
        ]});
        let p = redact(30, &mut key, &r);
        assert_eq!(p.len(), 2);
        assert!(!key.to_string().contains("kek"));
        assert_eq!(identity(30, &key), "WrappedRootKeys:k");
        let mut vol = serde_json::json!({"ID": "v", "Namespace": "default",
            "Secrets": {"auth-token": "eyJtoken"}, "Parameters": {"fs": "ext4"}});
        assert_eq!(redact(18, &mut vol, &r), vec!["/Secrets"]);
        assert!(!vol.to_string().contains("eyJtoken"));
        assert!(vol.to_string().contains("ext4"));
        let mut method = serde_json::json!({"Name": "oidc", "Config": {"OIDCClientAssertion":
            {"KeySource": "private_key", "PrivateKey": {"PemKey": "-----BEGIN PRIVATE KEY-----x", "KeyID": "kid"}}}});
        assert_eq!(
            redact(26, &mut method, &r),
            vec!["/Config/OIDCClientAssertion/PrivateKey/PemKey"]
        );
        assert!(!method.to_string().contains("BEGIN PRIVATE KEY"));
        let mut var = serde_json::json!({"Namespace": "default", "Path": "p", "Data": "enc"});
        assert_eq!(redact(22, &mut var, &r), vec!["/Data"]);
        let mut job = serde_json::json!({"Namespace": "default", "ID": "web", "Data": "x"});
        assert!(redact(1, &mut job, &r).is_empty());
        assert_eq!(identity(1, &job), "Job:default/web");
    }
}
