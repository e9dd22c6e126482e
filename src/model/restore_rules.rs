//! What Consul's state store demands of a decoded record on restore: the keys its tables index
//! must be present and well formed, a check's node must be its record's node, a check on a
//! service needs that service first, and the like. Read from Consul 1.8.7's state store and
//! go-memdb 1.2.1; each rule names the table or function that enforces it. Also the changes in
//! later Consul versions that make a record one version writes unloadable by another.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use super::restorable::Problem;
use crate::go::msgpack;
use crate::version::Version;

/// The value of map field `name` in the msgpack map `v` (the last one, as go-msgpack decodes
/// repeats in order); `None` when `v` is not a map or has no such key.
pub(crate) fn get<'a>(v: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let (n, mut pos) = map_head(v)?;
    let mut found = None;
    for _ in 0..n {
        let klen = msgpack::value_len(v.get(pos..)?).ok()?;
        let key = raw(&v[pos..pos + klen]);
        pos += klen;
        let vlen = msgpack::value_len(v.get(pos..)?).ok()?;
        if key == Some(name.as_bytes()) {
            found = Some(&v[pos..pos + vlen]);
        }
        pos += vlen;
    }
    found
}

/// A msgpack map header at `v[0..]`: (entries, header length).
pub(crate) fn map_head(v: &[u8]) -> Option<(u64, usize)> {
    match *v.first()? {
        m @ 0x80..=0x8f => Some(((m & 0x0f) as u64, 1)),
        0xde => Some((u16::from_be_bytes([*v.get(1)?, *v.get(2)?]) as u64, 3)),
        0xdf => Some((u32::from_be_bytes(v.get(1..5)?.try_into().ok()?) as u64, 5)),
        _ => None,
    }
}

fn array_head(v: &[u8]) -> Option<(u64, usize)> {
    match *v.first()? {
        m @ 0x90..=0x9f => Some(((m & 0x0f) as u64, 1)),
        0xdc => Some((u16::from_be_bytes([*v.get(1)?, *v.get(2)?]) as u64, 3)),
        0xdd => Some((u32::from_be_bytes(v.get(1..5)?.try_into().ok()?) as u64, 5)),
        _ => None,
    }
}

/// The elements of a msgpack array, as byte slices.
fn elements(v: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    if let Some((n, mut pos)) = array_head(v) {
        for _ in 0..n {
            let Ok(len) = msgpack::value_len(&v[pos..]) else {
                break;
            };
            out.push(&v[pos..pos + len]);
            pos += len;
        }
    }
    out
}

/// The entries of a msgpack map, as (key, value) byte slices.
fn entries(v: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    if let Some((n, mut pos)) = map_head(v) {
        for _ in 0..n {
            let Ok(kl) = msgpack::value_len(&v[pos..]) else {
                break;
            };
            let k = &v[pos..pos + kl];
            pos += kl;
            let Ok(vl) = msgpack::value_len(&v[pos..]) else {
                break;
            };
            out.push((k, &v[pos..pos + vl]));
            pos += vl;
        }
    }
    out
}

/// The content of a raw string or bin value.
fn raw(v: &[u8]) -> Option<&[u8]> {
    let (n, h) = match *v.first()? {
        m @ 0xa0..=0xbf => ((m & 0x1f) as usize, 1),
        0xd9 | 0xc4 => (*v.get(1)? as usize, 2),
        0xda | 0xc5 => (u16::from_be_bytes([*v.get(1)?, *v.get(2)?]) as usize, 3),
        0xdb | 0xc6 => (
            u32::from_be_bytes(v.get(1..5)?.try_into().ok()?) as usize,
            5,
        ),
        _ => return None,
    };
    v.get(h..h + n)
}

/// A string field as Go sees it after decoding: missing or nil is "".
fn text<'a>(v: &'a [u8], name: &str) -> &'a [u8] {
    get(v, name).and_then(raw).unwrap_or(b"")
}

/// A field that decodes to nil (missing, or msgpack nil).
fn is_nil(v: &[u8], name: &str) -> bool {
    get(v, name).is_none_or(|f| f.first() == Some(&0xc0))
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out: String = s.chars().take(60).flat_map(char::escape_debug).collect();
    if s.chars().count() > 60 {
        out.push_str("...");
    }
    out
}

fn fail(path: &str, message: String) -> Problem {
    Problem {
        path: path.to_string(),
        message,
    }
}

fn required(v: &[u8], path: &str, what: &str) -> Result<(), Problem> {
    if text(v, path).is_empty() {
        return Err(fail(path, format!("is empty; {what}")));
    }
    Ok(())
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// go-memdb's UUID index: 36 bytes, at most four dashes anywhere, hex otherwise, an even
/// number of hex digits.
fn memdb_uuid(s: &[u8]) -> Result<(), String> {
    if s.len() != 36 {
        return Err(format!("{:?} is not a UUID (36 characters)", show(s)));
    }
    let dashes = s.iter().filter(|&&b| b == b'-').count();
    if dashes > 4 || (36 - dashes) % 2 != 0 || !s.iter().all(|&b| b == b'-' || is_hex(b)) {
        return Err(format!("{:?} is not a UUID", show(s)));
    }
    Ok(())
}

/// go-uuid's ParseUUID: 36 bytes, dashes at 8, 13, 18 and 23, hex elsewhere.
fn strict_uuid(s: &[u8]) -> Result<(), String> {
    let ok = s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                is_hex(b)
            }
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{:?} is not a UUID", show(s)))
    }
}

fn uuid_field(v: &[u8], path: &str, what: &str, allow_empty: bool) -> Result<(), Problem> {
    let s = text(v, path);
    if s.is_empty() {
        if allow_empty {
            return Ok(());
        }
        return Err(fail(path, format!("is empty; {what}")));
    }
    memdb_uuid(s).map_err(|m| fail(path, format!("{m}; {what}")))
}

/// Seconds since year 1 and nanoseconds of a Go binary time (version 1, 15 bytes).
fn go_time(v: &[u8]) -> Option<(i64, i32)> {
    let b = raw(v)?;
    if b.len() != 15 || b[0] != 1 {
        return None;
    }
    let sec = i64::from_be_bytes(b[1..9].try_into().ok()?);
    let nsec = i32::from_be_bytes(b[9..13].try_into().ok()?);
    Some((sec, nsec))
}

/// Seconds from year 1 to 1970 in Go's time representation.
const UNIX_TO_INTERNAL: i64 = 62_135_596_800;

/// Consul's ValidateServiceMetadata (agent/structs/structs.go), as the catalog runs it.
fn service_meta(svc: &[u8]) -> Result<(), Problem> {
    let Some(meta) = get(svc, "Meta") else {
        return Ok(());
    };
    let es = entries(meta);
    if es.len() > 64 {
        return Err(fail(
            "Service.Meta",
            "has more than 64 pairs; Consul refuses such service metadata".into(),
        ));
    }
    let kind = text(svc, "Kind");
    for (k, val) in es {
        let key = raw(k).unwrap_or(b"");
        let value = raw(val).unwrap_or(b"");
        let why = if key.is_empty() {
            Some("a blank key")
        } else if !key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        {
            Some("a key with characters outside [a-zA-Z0-9_-]")
        } else if key.len() > 128 {
            Some("a key longer than 128 characters")
        } else if key.starts_with(b"consul-")
            && !(key == b"consul-wan-federation" && kind == b"mesh-gateway")
        {
            Some("a key with the reserved prefix consul-")
        } else if value.len() > 512 {
            Some("a value longer than 512 characters")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(fail(
                "Service.Meta",
                format!(
                    "has {why} ({:?}); Consul refuses such service metadata",
                    show(key)
                ),
            ));
        }
    }
    Ok(())
}

/// Interpolations a prepared-query template may hold that snapinspect can vouch for.
fn template_string_ok(s: &[u8]) -> bool {
    let s = String::from_utf8_lossy(s);
    let mut rest = &s[..];
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(j) = after.find('}') else {
            return false;
        };
        let expr = after[..j].trim();
        let known = matches!(
            expr,
            "name.full" | "name.prefix" | "name.suffix" | "agent.segment"
        ) || expr
            .strip_prefix("match(")
            .and_then(|e| e.strip_suffix(')'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !known {
            return false;
        }
        rest = &after[j + 1..];
    }
    true
}

/// Every string inside a value, with a path.
fn strings<'a>(v: &'a [u8], path: String, out: &mut Vec<(String, &'a [u8])>, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(s) = raw(v) {
        out.push((path, s));
    } else if map_head(v).is_some() {
        for (k, val) in entries(v) {
            let name = raw(k)
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default();
            strings(val, format!("{path}.{name}"), out, depth + 1);
        }
    } else if array_head(v).is_some() {
        for (i, e) in elements(v).into_iter().enumerate() {
            strings(e, format!("{path}[{i}]"), out, depth + 1);
        }
    }
}

fn prepared_query(v: &[u8]) -> Result<(), Problem> {
    uuid_field(
        v,
        "ID",
        "Consul's prepared-query table is keyed by a UUID",
        false,
    )?;
    uuid_field(
        v,
        "Session",
        "Consul indexes a query's session by UUID",
        true,
    )?;
    let Some(tmpl) = get(v, "Template") else {
        return Ok(());
    };
    let ttype = text(tmpl, "Type");
    if ttype.is_empty() {
        return Ok(());
    }
    if ttype != b"name_prefix_match" {
        return Err(fail(
            "Template.Type",
            format!(
                "is {:?}; Consul compiles templates on restore and knows only name_prefix_match",
                show(ttype)
            ),
        ));
    }
    let re = text(tmpl, "Regexp");
    if !re.is_empty() {
        let pattern = String::from_utf8_lossy(re);
        if regex::Regex::new(&pattern).is_err() {
            return Err(fail(
                "Template.Regexp",
                format!(
                    "{:?} is not a valid regular expression; Consul compiles it on restore",
                    show(re)
                ),
            ));
        }
    }
    let mut found = Vec::new();
    if let Some(svc) = get(v, "Service") {
        strings(svc, "Service".into(), &mut found, 0);
    }
    for (path, s) in found {
        if !template_string_ok(s) {
            return Err(fail(
                &path,
                format!(
                    "{:?} holds a template expression snapinspect cannot evaluate; Consul renders \
                     templates on restore and fails on a bad one",
                    show(s)
                ),
            ));
        }
    }
    Ok(())
}

fn hash_key(node: &[u8], service: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    node.to_ascii_lowercase().hash(&mut h);
    0xffu8.hash(&mut h);
    service.to_ascii_lowercase().hash(&mut h);
    h.finish()
}

/// The state-store rules over a whole record stream, for one target Consul version.
#[derive(Debug, Default)]
pub struct StoreRules {
    /// (node, service ID) of every service registered so far, lowercase, hashed.
    services: HashSet<u64>,
}

impl StoreRules {
    fn check(&self, node: &[u8], c: &[u8], path: &str) -> Result<(), Problem> {
        let cnode = text(c, "Node");
        if cnode != node {
            return Err(fail(
                &format!("{path}.Node"),
                format!(
                    "is {:?} but the record's node is {:?}; Consul refuses a check of another node",
                    show(cnode),
                    show(node)
                ),
            ));
        }
        if text(c, "CheckID").is_empty() {
            return Err(fail(
                &format!("{path}.CheckID"),
                "is empty; Consul's checks table is keyed by node and check ID".into(),
            ));
        }
        let sid = text(c, "ServiceID");
        if !sid.is_empty() && !self.services.contains(&hash_key(node, sid)) {
            return Err(fail(
                &format!("{path}.ServiceID"),
                format!(
                    "names service {:?}, which no earlier record registers on node {:?}; Consul \
                     refuses a check of a missing service",
                    show(sid),
                    show(node)
                ),
            ));
        }
        Ok(())
    }

    fn register(&mut self, v: &[u8]) -> Result<(), Problem> {
        let node = text(v, "Node");
        if node.is_empty() {
            return Err(fail(
                "Node",
                "is empty; Consul's nodes table is keyed by node name".into(),
            ));
        }
        let id = text(v, "ID");
        if !id.is_empty() {
            strict_uuid(id)
                .map_err(|m| fail("ID", format!("{m}; Consul looks nodes up by a strict UUID")))?;
        }
        if !is_nil(v, "Service") {
            let svc = get(v, "Service").unwrap_or(&[0x80]);
            service_meta(svc)?;
            let sid = text(svc, "ID");
            if sid.is_empty() {
                return Err(fail(
                    "Service.ID",
                    "is empty; Consul's services table is keyed by node and service ID".into(),
                ));
            }
            self.services.insert(hash_key(node, sid));
        }
        if !is_nil(v, "Check") {
            self.check(node, get(v, "Check").unwrap_or(&[0x80]), "Check")?;
        }
        if let Some(checks) = get(v, "Checks") {
            for (i, c) in elements(checks).into_iter().enumerate() {
                let path = format!("Checks[{i}]");
                if c.first() == Some(&0xc0) {
                    return Err(fail(
                        &path,
                        "is nil; Consul 1.8.7 crashes on a nil check".into(),
                    ));
                }
                self.check(node, c, &path)?;
            }
        }
        Ok(())
    }

    /// Checks one decoded record of type `t` (a value that passed the decode check).
    pub fn record(&mut self, t: u8, v: &[u8]) -> Result<(), Problem> {
        let nil = v.first() == Some(&0xc0);
        match t {
            0 => self.register(v),
            2 => {
                required(v, "Key", "Consul's KV table is keyed by the key")?;
                uuid_field(v, "Session", "Consul indexes a key's session by UUID", true)
            }
            3 => {
                uuid_field(v, "ID", "Consul's sessions table is keyed by a UUID", false)?;
                required(v, "Node", "Consul indexes sessions by node")
            }
            4 => required(v, "ID", "a legacy ACL's ID becomes the token's SecretID"),
            5 => required(v, "Key", "Consul's tombstones are keyed by the key"),
            6 => {
                for (i, c) in elements(v).into_iter().enumerate() {
                    if c.first() == Some(&0xc0) || is_nil(c, "Coord") {
                        return Err(fail(
                            &format!("[{i}].Coord"),
                            "is nil; Consul 1.8.7 crashes on a coordinate without one".into(),
                        ));
                    }
                    if text(c, "Node").is_empty() {
                        return Err(fail(
                            &format!("[{i}].Node"),
                            "is empty; Consul indexes coordinates by node".into(),
                        ));
                    }
                }
                Ok(())
            }
            7 => prepared_query(v),
            12 => uuid_field(
                v,
                "ID",
                "Consul's intentions table is keyed by a UUID",
                false,
            ),
            13 => required(v, "ID", "Consul's CA roots are keyed by ID"),
            14 => required(v, "ID", "Consul's CA provider state is keyed by ID"),
            16 => required(v, "Key", "Consul's index table is keyed by table name"),
            17 => {
                required(
                    v,
                    "SecretID",
                    "Consul 1.8's tokens table is keyed by SecretID",
                )?;
                uuid_field(
                    v,
                    "AccessorID",
                    "Consul indexes tokens by accessor UUID",
                    true,
                )?;
                if let Some((sec, nsec)) = get(v, "ExpirationTime").and_then(go_time) {
                    if (sec != 0 || nsec != 0) && sec < UNIX_TO_INTERNAL {
                        return Err(fail(
                            "ExpirationTime",
                            "is before 1970; Consul refuses token expiration times before the Unix epoch".into(),
                        ));
                    }
                }
                Ok(())
            }
            19 | 23 => {
                let what = if t == 19 { "policies" } else { "roles" };
                uuid_field(
                    v,
                    "ID",
                    &format!("Consul's ACL {what} table is keyed by a UUID"),
                    false,
                )?;
                required(v, "Name", &format!("Consul indexes ACL {what} by name"))
            }
            25 => {
                uuid_field(
                    v,
                    "ID",
                    "Consul's binding rules table is keyed by a UUID",
                    false,
                )?;
                required(
                    v,
                    "AuthMethod",
                    "Consul indexes binding rules by auth method",
                )
            }
            27 => required(v, "Name", "Consul's auth methods table is keyed by name"),
            22 => config_entry(v),
            30 => {
                if nil || is_nil(v, "State") {
                    return Err(fail(
                        "State",
                        "is nil; Consul 1.8.7 crashes on a federation state without one".into(),
                    ));
                }
                let state = get(v, "State").unwrap_or(&[0x80]);
                if text(state, "Datacenter").is_empty() {
                    return Err(fail(
                        "State.Datacenter",
                        "is empty; Consul's federation states are keyed by datacenter".into(),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// A config entry's envelope: the kind, then the request whose `Entry` must be there with its
/// `Kind` and `Name` fields set (proxy-defaults' entry is msgpack inside a string once more).
fn config_entry(v: &[u8]) -> Result<(), Problem> {
    let crash = || {
        fail(
            "Entry",
            "is nil; Consul 1.8.7 crashes on a config entry without one".into(),
        )
    };
    let body = raw(v).ok_or_else(crash)?;
    let klen = msgpack::value_len(body).map_err(|_| crash())?;
    let req = &body[klen..];
    let entry = get(req, "Entry").ok_or_else(crash)?;
    if entry.first() == Some(&0xc0) {
        return Err(crash());
    }
    let entry = match raw(entry) {
        Some(inner) => inner,
        None => entry,
    };
    for f in ["Kind", "Name"] {
        if text(entry, f).is_empty() {
            return Err(fail(
                &format!("Entry.{f}"),
                "is empty; Consul's config entries are keyed by the Kind and Name fields".into(),
            ));
        }
    }
    Ok(())
}

/// How a record fares on a later Consul than the one that wrote it, when the type is known to
/// both: a known change in what Consul accepts, with the issue that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// What is wrong with the record on the affected versions.
    pub message: String,
    /// Where Consul's issue tracker records it.
    pub reference: &'static str,
    /// The first version that refuses it.
    pub from: Version,
    /// The first version that accepts it again, if any.
    pub until: Option<Version>,
    /// Whether a snapshot that loads on some versions deserves a warning for the others
    /// (a type or kind that only newer versions know does not).
    pub warn: bool,
}

impl Drift {
    /// True when `v` is among the versions that refuse the record.
    pub fn affects(&self, v: Version) -> bool {
        v.triple() >= self.from.triple() && self.until.is_none_or(|u| v.triple() < u.triple())
    }
}

/// The known shape drifts of a record of type `t`.
pub fn drift(t: u8, v: &[u8]) -> Option<Drift> {
    match t {
        17 if text(v, "AccessorID").is_empty() => Some(Drift {
            message: "an ACL token without an AccessorID; Consul 1.16 and later refuse it on \
                      restore (missing value for index 'accessor')"
                .into(),
            reference: "hashicorp/consul#21368",
            from: Version::ce(1, 16, 0),
            until: None,
            warn: true,
        }),
        32 => {
            let svc = get(v, "Service")?;
            if get(svc, "ServiceName").is_some() {
                Some(Drift {
                    message: "a ServiceVirtualIP in the shape of Consul 1.13 and later \
                              (Service.ServiceName); Consul 1.11 and 1.12 cannot key it"
                        .into(),
                    reference: "hashicorp/consul#14107",
                    from: Version::ce(0, 0, 0),
                    until: Some(Version::ce(1, 13, 0)),
                    warn: false,
                })
            } else {
                Some(Drift {
                    message: "a ServiceVirtualIP in the shape of Consul 1.11 and 1.12 \
                              (Service.Name); Consul 1.13 and later fail on it with object \
                              missing primary index (1.13.1 added a fallback, yet failures are \
                              still reported through 1.15)"
                        .into(),
                    reference: "hashicorp/consul#14107, hashicorp/consul#22797",
                    from: Version::ce(1, 13, 0),
                    until: None,
                    warn: true,
                })
            }
        }
        22 => {
            let body = raw(v)?;
            let kind = raw(body)?;
            if super::consul_structs::config_entry_kind(kind).is_some() {
                return None;
            }
            Some(
                match crate::snapshot::msgtype::config_entry_kind_since(kind) {
                    Some(since) => Drift {
                        message: format!(
                            "a config entry of kind {:?}, which Consul knows since {since}",
                            show(kind)
                        ),
                        reference: "",
                        from: Version::ce(0, 0, 0),
                        until: Some(since),
                        warn: false,
                    },
                    None => Drift {
                        message: format!(
                            "a config entry of kind {:?}, which no Consul up to {} knows",
                            show(kind),
                            crate::snapshot::msgtype::KNOWN_UP_TO
                        ),
                        reference: "",
                        from: Version::ce(0, 0, 0),
                        until: None,
                        warn: true,
                    },
                },
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(memdb_uuid(b"1f2cbc6e-531d-a025-2bb9-cb32f68244ac").is_ok());
        // go-memdb does not check where the dashes are.
        assert!(memdb_uuid(b"1f2cbc6e531d-a025-2bb9-cb32f68244ac-").is_ok());
        assert!(memdb_uuid(b"not-a-uuid").is_err());
        assert!(memdb_uuid(b"1f2cbc6e-531d-a025-2bb9-cb32f68244ag").is_err());
        assert!(strict_uuid(b"1f2cbc6e-531d-a025-2bb9-cb32f68244ac").is_ok());
        assert!(strict_uuid(b"1f2cbc6e531d-a025-2bb9-cb32f68244ac-").is_err());
    }

    #[test]
    fn templates() {
        assert!(template_string_ok(b"mysql-${match(1)}"));
        assert!(template_string_ok(b"${name.suffix}-x"));
        assert!(!template_string_ok(b"${unknown.var}"));
        assert!(!template_string_ok(b"${name.full"));
    }
}
