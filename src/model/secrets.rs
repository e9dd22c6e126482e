//! Secret-bearing fields of Consul's records, in one place, and their redaction (Nomad's are in
//! `model::nomad`).
//!
//! By default every output replaces a secret with `[redacted:XXXXXXXX]`, where the eight hex
//! digits are an HMAC-SHA256 of the secret under a key drawn at random for each run: equal
//! secrets within one output carry the same marker, and nothing about them can be learned
//! across runs. `--show-secrets` prints them.

use hmac::{Hmac, Mac};
use serde_json::Value as Json;
use sha2::Sha256;

use crate::snapshot::state::MessageType;

/// A secret found in a record: where it is and what kind of secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretField {
    /// JSON pointer of the field within the record's value (`/SecretID`, `/Config/Token`).
    pub path: String,
    /// What it is: `acl-secret-id`, `private-key`, `token`, `credential`, `peering-secret`.
    pub kind: &'static str,
}

/// Replaces secrets by keyed fingerprints, or leaves them when asked to show them.
pub struct Redactor {
    key: [u8; 32],
    show: bool,
}

impl Redactor {
    /// A redactor whose key is derived from `seed` (content that only holders of the snapshot
    /// know, such as its state.bin hash): markers are the same on every run over that content.
    pub fn keyed_by(seed: &[u8]) -> Redactor {
        use sha2::Digest;
        let mut h = Sha256::new();
        h.update(b"snapinspect redaction key\0");
        h.update(seed);
        Redactor {
            key: h.finalize().into(),
            show: false,
        }
    }

    /// A redactor with a fresh random key.
    pub fn new_random() -> Redactor {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system provides random bytes");
        Redactor { key, show: false }
    }

    /// The one place `--show-secrets` becomes a redactor: secrets shown only when asked.
    pub fn for_show_secrets(show: bool) -> Redactor {
        if show {
            Redactor::showing()
        } else {
            Redactor::new_random()
        }
    }

    /// As [`Self::for_show_secrets`], with markers keyed by `seed` (see [`Self::keyed_by`]).
    pub fn for_show_secrets_keyed(show: bool, seed: &[u8]) -> Redactor {
        if show {
            Redactor::showing()
        } else {
            Redactor::keyed_by(seed)
        }
    }

    /// A redactor that shows secrets (`--show-secrets`).
    pub fn showing() -> Redactor {
        Redactor {
            key: [0u8; 32],
            show: true,
        }
    }

    /// Whether secrets are printed.
    pub fn shows_secrets(&self) -> bool {
        self.show
    }

    /// Eight hex digits of HMAC-SHA256(run key, secret).
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(secret);
        crate::snapshot::archive::hex(&mac.finalize().into_bytes()[..4])
    }

    /// The marker that stands for a secret in output.
    pub fn marker(&self, secret: &[u8]) -> String {
        format!("[redacted:{}]", self.fingerprint(secret))
    }

    /// Redacts the secrets of a record's JSON value in place; returns the fields found.
    pub fn redact(&self, t: MessageType, value: &mut Json) -> Vec<SecretField> {
        let found = find(t, value);
        if !self.show {
            for f in &found {
                if let Some(v) = value.pointer_mut(&f.path) {
                    let secret = secret_bytes(v);
                    *v = Json::String(self.marker(&secret));
                }
            }
        }
        found
    }
}

fn secret_bytes(v: &Json) -> Vec<u8> {
    match v {
        Json::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

fn non_empty(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::String(s)) => !s.is_empty(),
        Some(Json::Object(o)) => !o.is_empty(),
        Some(Json::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Patterns of values that look like secrets (PEM private keys, JWTs, AWS keys, Vault and
/// GitHub tokens): what scan reports among KV values and redact empties.
pub struct SecretPatterns(Vec<(&'static str, regex::bytes::Regex)>);

impl Default for SecretPatterns {
    fn default() -> Self {
        let p = |s: &str| regex::bytes::Regex::new(s).expect("valid pattern");
        SecretPatterns(vec![
            (
                "pem-private-key",
                p(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----"),
            ),
            (
                "jwt",
                p(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
            ),
            ("aws-access-key-id", p(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
            (
                "aws-secret-access-key",
                p(r"(?i)aws_?secret_?access_?key\W{1,4}[A-Za-z0-9/+=]{40}"),
            ),
            (
                "vault-token",
                p(r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}|\bs\.[A-Za-z0-9]{24}\b"),
            ),
            ("github-token", p(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
        ])
    }
}

impl SecretPatterns {
    /// What `value` looks like, if it looks like a secret.
    pub fn looks_like(&self, value: &[u8]) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(_, re)| re.is_match(value))
            .map(|(name, _)| *name)
    }
}

/// The tag that makes a minted ID recognisable.
const MINT_TAG: &[u8] = b"snapinspect redact: a fresh ACL secret, nobody's credential";

fn mint_check(first12: &[u8]) -> [u8; 4] {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update(MINT_TAG);
    h.update(first12);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A fresh random version-4 UUID for redact to write in place of an ACL secret: 90 random
/// bits, and a 32-bit check over them that [`is_minted`] recognises, so that scan can tell a
/// redacted copy's new secrets (nobody's credentials) from real ones.
pub fn minted_uuid() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system provides random bytes");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let check = mint_check(&b[..12]);
    b[12..].copy_from_slice(&check);
    let h = crate::snapshot::archive::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether `id` is a UUID that [`minted_uuid`] made.
pub fn is_minted(id: &str) -> bool {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if id.len() != 36 || hex.len() != 32 {
        return false;
    }
    let mut b = [0u8; 16];
    for (i, byte) in b.iter_mut().enumerate() {
        match u8::from_str_radix(&hex[2 * i..2 * i + 2], 16) {
            Ok(v) => *byte = v,
            Err(_) => return false,
        }
    }
    b[12..] == mint_check(&b[..12])
}

/// Whether a configuration key names a secret (CA provider, auth method, config entry).
pub fn secret_key(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    if k.contains("privatekey") || k == "private_key" {
        Some("private-key")
    } else if ["secret", "password", "credential", "accesskey"]
        .iter()
        .any(|w| k.contains(w))
        || k == "serviceaccountjwt"
    {
        Some("credential")
    } else if k.contains("token") && !k.contains("ttl") && !k.contains("locality") {
        Some("token")
    } else {
        None
    }
}

/// Every string-valued field below `base` whose key names a secret.
fn config_secrets(value: &Json, base: &str, out: &mut Vec<SecretField>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                let path = format!("{base}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (secret_key(k), v) {
                    (Some(kind), v) if non_empty(Some(v)) && !v.is_object() => {
                        out.push(SecretField { path, kind })
                    }
                    _ => config_secrets(v, &path, out),
                }
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                config_secrets(v, &format!("{base}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The secret fields of a record of type `t`, given its JSON value (typed or generic).
pub fn find(t: MessageType, value: &Json) -> Vec<SecretField> {
    let mut out = Vec::new();
    let mut field = |name: &str, kind: &'static str| {
        if non_empty(value.get(name)) {
            out.push(SecretField {
                path: format!("/{name}"),
                kind,
            });
        }
    };
    match t {
        // "anonymous" is the well-known SecretID of Consul's anonymous token, not a secret.
        MessageType::ACL_TOKEN if value.get("SecretID").and_then(|s| s.as_str()) != Some("anonymous") => {
            field("SecretID", "acl-secret-id")
        }
        MessageType::PREPARED_QUERY => field("Token", "token"),
        MessageType::CONNECT_CA => field("SigningKey", "private-key"),
        MessageType::CONNECT_CA_PROVIDER_STATE => field("PrivateKey", "private-key"),
        MessageType::ACL => field("ID", "acl-secret-id"),
        MessageType::SYSTEM_METADATA
            if value.get("Key").and_then(|k| k.as_str()) == Some("server-management-token") => {
                field("Value", "token")
            }
        MessageType::CONNECT_CA_CONFIG | MessageType::ACL_AUTH_METHOD => {
            if let Some(c) = value.get("Config") {
                config_secrets(c, "/Config", &mut out);
            }
        }
        MessageType::CONFIG_ENTRY => {
            if let Some(e) = value.get("Entry") {
                config_secrets(e, "/Entry", &mut out);
            }
        }
        MessageType::PEERING_SECRET
            // The whole value: the JSON pointer "" names the root.
            if !value.is_null() => {
                out.push(SecretField {
                    path: String::new(),
                    kind: "peering-secret",
                })
            }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minted_ids_are_recognised_and_others_are_not() {
        let a = minted_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(is_minted(&a));
        assert_ne!(a, minted_uuid());
        assert!(!is_minted("11111111-2222-3333-4444-555555555555"));
        assert!(!is_minted("anonymous"));
        let mut flipped = a.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!is_minted(std::str::from_utf8(&flipped).unwrap()));
    }

    #[test]
    fn tokens_and_keys_are_redacted_with_matching_markers() {
        let r = Redactor::new_random();
        let mut a = json!({"AccessorID": "a", "SecretID": "s3cr3t"});
        let mut b = json!({"AccessorID": "b", "SecretID": "s3cr3t"});
        let found = r.redact(MessageType::ACL_TOKEN, &mut a);
        r.redact(MessageType::ACL_TOKEN, &mut b);
        assert_eq!(
            found,
            vec![SecretField {
                path: "/SecretID".into(),
                kind: "acl-secret-id"
            }]
        );
        assert!(a["SecretID"].as_str().unwrap().starts_with("[redacted:"));
        assert_eq!(a["SecretID"], b["SecretID"]);
        assert!(!a.to_string().contains("s3cr3t"));
        // Another run, another key: the marker differs.
        let mut c = json!({"SecretID": "s3cr3t"});
        Redactor::new_random().redact(MessageType::ACL_TOKEN, &mut c);
        assert_ne!(a["SecretID"], c["SecretID"]);
    }

    #[test]
    fn nested_config_secrets() {
        let r = Redactor::new_random();
        let mut v = json!({"Provider": "vault", "Config": {"Address": "https://v", "Token": "hvs.x",
            "RootPKIPath": "pki", "IntermediateCertTTL": "8760h", "AWS": {"SecretAccessKey": "k", "AccessKeyId": "id"}}});
        let found = r.redact(MessageType::CONNECT_CA_CONFIG, &mut v);
        let mut paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            vec![
                "/Config/AWS/AccessKeyId",
                "/Config/AWS/SecretAccessKey",
                "/Config/Token"
            ]
        );
        assert_eq!(v["Config"]["RootPKIPath"], "pki");
        assert!(!v.to_string().contains("hvs.x"));
        let mut shown = json!({"SecretID": "x"});
        Redactor::showing().redact(MessageType::ACL_TOKEN, &mut shown);
        assert_eq!(shown["SecretID"], "x");
    }

    #[test]
    fn patterns_match_what_they_should() {
        let p = SecretPatterns::default();
        let hit = |s: &str| p.looks_like(s.as_bytes());
        assert_eq!(
            hit("-----BEGIN EC PRIVATE KEY-----\nMHcC"),
            Some("pem-private-key")
        );
        assert_eq!(hit("-----BEGIN PRIVATE KEY-----"), Some("pem-private-key"));
        assert_eq!(hit("-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(
            hit("id AKIAIOSFODNN7EXAMPLE here"),
            Some("aws-access-key-id")
        );
        assert_eq!(hit("hvs.CAESIJlWh4YHbgBmbZAGJ6mN2dPK"), Some("vault-token"));
        assert_eq!(hit("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"), Some("jwt"));
        assert_eq!(hit("plain config value"), None);
    }
}
