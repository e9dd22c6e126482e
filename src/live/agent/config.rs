//! The agent's JSON config files, in the shape of the Consul Enterprise snapshot agent's
//! (`{"snapshot_agent": {...}}`, as documented at
//! <https://developer.hashicorp.com/consul/commands/snapshot/agent>). Every key the Enterprise
//! agent knows is accepted: the ones snapinspect implements are honoured, the ones it does not
//! are named (for one warning), the ones it refuses (role assumption, login through an auth
//! method) are errors naming them, and any other key is an error that suggests the key that
//! was probably meant. Remote storage blocks (`aws_storage`, `azure_blob_storage`,
//! `google_storage`) have the keys the Enterprise reference lists, plus the snake-case forms
//! of its `-aws-s3-endpoint`, `-aws-s3-enable-kms`, `-aws-s3-kms-key` and
//! `-azure-blob-environment` flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What snapinspect does with a key of the config file.
#[derive(Clone, Copy)]
enum Kind {
    /// Honoured.
    Used,
    /// A valid Enterprise key that snapinspect does not implement: accepted and named.
    Ignored,
    /// A free-form value (`login.meta`).
    Any,
    /// A block of keys.
    Block(&'static [(&'static str, Kind)]),
    /// A block of Enterprise keys none of which snapinspect implements (`log`).
    IgnoredBlock(&'static [(&'static str, Kind)]),
    /// A list of blocks (`backup_destinations.local_storage`).
    List(&'static [(&'static str, Kind)]),
    /// A valid Enterprise key that snapinspect refuses once set, and why.
    Refused(&'static str),
    /// Logging in with an auth method: refused once an auth method is set.
    Login(&'static [(&'static str, Kind)]),
}

use Kind::*;

const LOG: &[(&str, Kind)] = &[
    ("level", Ignored),
    ("enable_syslog", Ignored),
    ("syslog_facility", Ignored),
];

const LOGIN: &[(&str, Kind)] = &[
    ("auth_method", Ignored),
    ("bearer_token", Ignored),
    ("bearer_token_file", Ignored),
    ("meta", Any),
];

const SNAPSHOT: &[(&str, Kind)] = &[
    ("interval", Used),
    ("retain", Used),
    ("stale", Used),
    ("service", Used),
    ("deregister_after", Used),
    ("lock_key", Used),
    ("max_failures", Used),
    ("local_scratch_path", Used),
    // snapinspect's own.
    ("session_ttl", Used),
    ("lock_delay", Used),
    ("check_ttl", Used),
    ("stale_after", Used),
    ("name_prefix", Used),
];

const LOCAL: &[(&str, Kind)] = &[("path", Used)];

const ROLES: &str = "assuming an IAM role through the agent's settings is not supported; set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the environment (web identity), or give keys";

const AWS: &[(&str, Kind)] = &[
    ("access_key_id", Used),
    ("secret_access_key", Used),
    ("session_token", Used),
    (
        "iam_endpoint",
        Refused("a custom IAM endpoint is not supported"),
    ),
    ("role_arn", Refused(ROLES)),
    ("role_session_name", Refused(ROLES)),
    ("web_identity_token_file", Refused(ROLES)),
    (
        "sts_endpoint",
        Refused("a custom STS endpoint is not supported"),
    ),
    ("s3_region", Used),
    ("s3_bucket", Used),
    ("s3_key_prefix", Used),
    ("s3_endpoint", Used),
    ("s3_server_side_encryption", Used),
    ("s3_enable_kms", Used),
    ("s3_kms_key", Used),
    ("s3_static_snapshot_name", Used),
    ("s3_force_path_style", Used),
];

const AZURE: &[(&str, Kind)] = &[
    ("account_name", Used),
    ("account_key", Used),
    ("container_name", Used),
    ("environment", Used),
];

const GOOGLE: &[(&str, Kind)] = &[("bucket", Used)];

const DESTINATIONS: &[(&str, Kind)] = &[
    ("local_storage", List(LOCAL)),
    ("aws_storage", List(AWS)),
    ("azure_blob_storage", List(AZURE)),
    ("google_storage", List(GOOGLE)),
];

/// The keys of `snapshot_agent`.
const AGENT: &[(&str, Kind)] = &[
    ("http_addr", Used),
    ("token", Used),
    ("datacenter", Used),
    ("ca_file", Used),
    ("ca_path", Used),
    ("cert_file", Used),
    ("key_file", Used),
    ("tls_server_name", Used),
    ("license_path", Ignored),
    ("login", Login(LOGIN)),
    ("log", IgnoredBlock(LOG)),
    ("snapshot", Block(SNAPSHOT)),
    ("local_storage", Block(LOCAL)),
    ("aws_storage", Block(AWS)),
    ("azure_blob_storage", Block(AZURE)),
    ("google_storage", Block(GOOGLE)),
    ("backup_destinations", Block(DESTINATIONS)),
    // snapinspect's own.
    ("token_file", Used),
    ("timeout", Used),
];

/// The settings of a config file that snapinspect implements.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Consul's HTTP address.
    pub http_addr: Option<String>,
    /// ACL token.
    pub token: Option<String>,
    /// File holding the ACL token.
    pub token_file: Option<PathBuf>,
    /// Datacenter to ask.
    pub datacenter: Option<String>,
    /// PEM CA file.
    pub ca_file: Option<PathBuf>,
    /// Directory of PEM CA certificates.
    pub ca_path: Option<PathBuf>,
    /// PEM client certificate.
    pub cert_file: Option<PathBuf>,
    /// Its key.
    pub key_file: Option<PathBuf>,
    /// Server name expected in Consul's certificate.
    pub tls_server_name: Option<String>,
    /// Deadline of every request, as a duration (`30s`).
    pub timeout: Option<String>,
    /// The `snapshot` block.
    #[serde(default)]
    pub snapshot: SnapshotSection,
    /// The `local_storage` block (or the one entry of `backup_destinations.local_storage`).
    #[serde(default)]
    pub local_storage: LocalStorage,
    /// The `aws_storage` block (or the one entry of `backup_destinations.aws_storage`).
    #[serde(default)]
    pub aws_storage: AwsStorage,
    /// The `azure_blob_storage` block (or its `backup_destinations` entry).
    #[serde(default)]
    pub azure_blob_storage: AzureBlobStorage,
    /// The `google_storage` block (or its `backup_destinations` entry).
    #[serde(default)]
    pub google_storage: GoogleStorage,
}

/// The `aws_storage` block (empty strings and `false` configure nothing).
#[derive(Deserialize, Default, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AwsStorage {
    pub access_key_id: Option<String>,
    /// A secret, never printed.
    pub secret_access_key: Option<String>,
    /// A secret, never printed.
    pub session_token: Option<String>,
    pub s3_region: Option<String>,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_server_side_encryption: Option<bool>,
    pub s3_enable_kms: Option<bool>,
    pub s3_kms_key: Option<String>,
    pub s3_static_snapshot_name: Option<String>,
    pub s3_force_path_style: Option<bool>,
}

impl std::fmt::Debug for AwsStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsStorage")
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_key_prefix", &self.s3_key_prefix)
            .finish_non_exhaustive()
    }
}

/// The `azure_blob_storage` block.
#[derive(Deserialize, Default, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AzureBlobStorage {
    pub account_name: Option<String>,
    /// A secret, never printed.
    pub account_key: Option<String>,
    pub container_name: Option<String>,
    pub environment: Option<String>,
}

impl std::fmt::Debug for AzureBlobStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureBlobStorage")
            .field("account_name", &self.account_name)
            .field("container_name", &self.container_name)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

/// The `google_storage` block.
#[derive(Deserialize, Default, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GoogleStorage {
    /// The bucket.
    pub bucket: Option<String>,
}

/// The `snapshot` block; durations as written (`1h`).
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SnapshotSection {
    pub interval: Option<String>,
    pub retain: Option<usize>,
    pub stale: Option<bool>,
    pub service: Option<String>,
    pub deregister_after: Option<String>,
    pub lock_key: Option<String>,
    pub max_failures: Option<u32>,
    pub session_ttl: Option<String>,
    pub lock_delay: Option<String>,
    pub check_ttl: Option<String>,
    pub stale_after: Option<String>,
    /// What the snapshot files' names start with (snapinspect's own; default `consul`).
    pub name_prefix: Option<String>,
    /// Where a remote agent saves and verifies before uploading.
    pub local_scratch_path: Option<PathBuf>,
}

/// The `local_storage` block.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct LocalStorage {
    /// The directory the snapshots go to.
    pub path: Option<PathBuf>,
}

/// The config files, merged.
#[derive(Debug, Default)]
pub struct Loaded {
    /// What snapinspect implements of them (later files win, key by key).
    pub config: FileConfig,
    /// Valid Enterprise keys that were set but that snapinspect does not implement, as
    /// dotted paths (`license_path`, `log.level`), each once.
    pub ignored: Vec<String>,
}

/// A file's keys, checked: what snapinspect uses (to merge and deserialize) and what it
/// does not implement.
struct Checked {
    used: Map<String, Value>,
    ignored: Vec<String>,
}

/// Whether a value says nothing: null, an empty string, false, an empty list, or a block of
/// such values (the Enterprise agent's documented defaults for the keys it leaves off).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.iter().all(is_empty),
        Value::Object(m) => m.values().all(is_empty),
        Value::Number(_) => false,
    }
}

/// Whether a storage block configures something (an `s3_key_prefix` alone does not: the
/// Enterprise sample sets it).
fn configures(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.as_str() != "s3_key_prefix" && !is_empty(v)),
        other => !is_empty(other),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Edit distance with transpositions (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Whether `typed` is probably a misspelling of `known`.
fn close(typed: &str, known: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    if norm(typed) == norm(known) {
        return true;
    }
    let bound = match known.len() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    distance(&typed.to_lowercase(), known) <= bound
}

/// Every key path of a schema, dotted.
fn all_paths(schema: &'static [(&'static str, Kind)], path: &str, out: &mut Vec<String>) {
    for (k, kind) in schema {
        let p = join(path, k);
        match kind {
            Block(s) | IgnoredBlock(s) | List(s) | Login(s) => all_paths(s, &p, out),
            _ => {}
        }
        out.push(p);
    }
}

/// The key probably meant by `key` under `path`: a close spelling at the same level, else
/// the same (or a close) name elsewhere.
fn suggestion(key: &str, path: &str, here: &'static [(&'static str, Kind)]) -> Option<String> {
    if let Some((k, _)) = here
        .iter()
        .filter(|(k, _)| close(key, k))
        .min_by_key(|(k, _)| distance(key, k))
    {
        return Some(join(path, k));
    }
    let mut paths = Vec::new();
    all_paths(AGENT, "", &mut paths);
    let last = |p: &String| p.rsplit('.').next().unwrap_or(p).to_string();
    paths
        .iter()
        .find(|p| last(p) == key)
        .or_else(|| paths.iter().find(|p| close(key, &last(p))))
        .cloned()
}

fn unknown(key: &str, path: &str, here: &'static [(&'static str, Kind)]) -> String {
    let full = join(path, key);
    match suggestion(key, path, here) {
        Some(s) => format!("unknown key {full} (did you mean {s}?)"),
        None => format!("unknown key {full}"),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> std::result::Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{path} must be a JSON object"))
}

/// Checks `map` against `schema`; returns the keys snapinspect uses.
fn check(
    map: &Map<String, Value>,
    schema: &'static [(&'static str, Kind)],
    path: &str,
    ignored: &mut Vec<String>,
) -> std::result::Result<Map<String, Value>, String> {
    let mut used = Map::new();
    for (key, v) in map {
        let Some((_, kind)) = schema.iter().find(|(k, _)| k == key) else {
            return Err(unknown(key, path, schema));
        };
        let full = join(path, key);
        match kind {
            Used => {
                used.insert(key.clone(), v.clone());
            }
            Any => {}
            Ignored => {
                if !is_empty(v) {
                    ignored.push(full);
                }
            }
            IgnoredBlock(s) => {
                check(object(v, &full)?, s, &full, &mut Vec::new())?;
                for (k, sub) in object(v, &full)? {
                    if !is_empty(sub) {
                        ignored.push(join(&full, k));
                    }
                }
            }
            Login(s) => {
                let m = object(v, &full)?;
                check(m, s, &full, &mut Vec::new())?;
                if m.get("auth_method").is_some_and(|a| !is_empty(a)) {
                    return Err(format!(
                        "{full}.auth_method: logging in through an auth method is not supported yet; give the agent a token (token, token_file, -token, -token-file)"
                    ));
                }
                for (k, sub) in m {
                    if !is_empty(sub) {
                        ignored.push(join(&full, k));
                    }
                }
            }
            Block(s) => {
                let inner = check(object(v, &full)?, s, &full, ignored)?;
                used.insert(key.clone(), Value::Object(inner));
            }
            List(s) => {
                let list = v
                    .as_array()
                    .ok_or_else(|| format!("{full} must be a JSON list"))?;
                let mut out = Vec::new();
                for (i, item) in list.iter().enumerate() {
                    let p = format!("{full}[{i}]");
                    out.push(Value::Object(check(object(item, &p)?, s, &p, ignored)?));
                }
                used.insert(key.clone(), Value::Array(out));
            }
            Refused(why) => {
                if !is_empty(v) {
                    return Err(format!("{full}: {why}"));
                }
            }
        }
    }
    Ok(used)
}

/// Checks the inside of `snapshot_agent`; `backup_destinations.local_storage` (one entry)
/// becomes `local_storage`.
fn check_agent(map: &Map<String, Value>) -> std::result::Result<Checked, String> {
    let mut ignored = Vec::new();
    let mut used = check(map, AGENT, "", &mut ignored)?;
    if let Some(Value::Object(dest)) = used.remove("backup_destinations") {
        for (block, list) in &dest {
            let Value::Array(list) = list else { continue };
            // Entries that configure nothing (the documented sample's) are dropped.
            let list: Vec<&Value> = list.iter().filter(|v| configures(v)).collect();
            match list.len() {
                0 => {}
                1 => {
                    if used.get(block).is_some_and(configures) {
                        return Err(format!("{block} and backup_destinations.{block} both configure it; keep one (the top-level block is the older form)"));
                    }
                    used.insert(block.clone(), list[0].clone());
                }
                n => {
                    return Err(format!(
                        "backup_destinations.{block} has {n} destinations; snapinspect saves to one"
                    ))
                }
            }
        }
    }
    serde_json::from_value::<FileConfig>(Value::Object(used.clone())).map_err(|e| e.to_string())?;
    Ok(Checked { used, ignored })
}

/// Parses and checks one config file's text. With `wrapper_required` (files found through a
/// config directory, which Consul's own agent may share) a file without a `snapshot_agent`
/// object is skipped (`None`); otherwise such a file is taken as the inside of one. When the
/// wrapper is there, the file's other top-level keys are left to Consul's agent.
fn parse(text: &str, wrapper_required: bool) -> std::result::Result<Option<Checked>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let top = object(&v, "the file")?;
    match top.get("snapshot_agent") {
        Some(inner) => check_agent(object(inner, "snapshot_agent")?).map(Some),
        None if wrapper_required => Ok(None),
        None => check_agent(top).map(Some),
    }
}

/// Puts `more` over `base`, key by key (blocks merge, other values replace).
fn merge(base: &mut Map<String, Value>, more: Map<String, Value>) {
    for (k, v) in more {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(m)) => merge(b, m),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn read(path: &Path, wrapper_required: bool) -> Result<Option<Checked>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading the config file {}", path.display()), e))?;
    parse(&text, wrapper_required)
        .map_err(|e| Error::Usage(format!("config file {}: {e}", path.display())))
}

/// The `.json` files directly in `dir`, in the order of their names.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("listing the config directory {}", dir.display()), e))?;
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Reads `files` in order, then the `.json` files of each of `dirs` in the order of their
/// names (those without a `snapshot_agent` object are skipped, as the Enterprise agent
/// does), and merges them: a later file's key wins.
pub fn load(files: &[PathBuf], dirs: &[PathBuf]) -> Result<Loaded> {
    let mut checked = Vec::new();
    for f in files {
        checked.extend(read(f, false)?);
    }
    let mut from_dirs = 0;
    for d in dirs {
        for f in json_files(d)? {
            if let Some(c) = read(&f, true)? {
                checked.push(c);
                from_dirs += 1;
            }
        }
    }
    if !dirs.is_empty() && from_dirs == 0 && files.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::Usage(format!(
            "no .json file in {} has a snapshot_agent object",
            names.join(", ")
        )));
    }
    let mut merged = Map::new();
    let mut ignored: Vec<String> = Vec::new();
    for c in checked {
        merge(&mut merged, c.used);
        for k in c.ignored {
            if !ignored.contains(&k) {
                ignored.push(k);
            }
        }
    }
    let config = serde_json::from_value(Value::Object(merged))
        .map_err(|e| Error::Usage(format!("config files: {e}")))?;
    Ok(Loaded { config, ignored })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> std::result::Result<Checked, String> {
        parse(text, false).map(Option::unwrap)
    }

    /// The Enterprise documentation's sample, populated with its defaults, is accepted as it
    /// is: the empty remote storage blocks configure nothing.
    #[test]
    fn the_documented_sample_is_accepted() {
        let sample = r#"{"snapshot_agent": {
            "http_addr": "127.0.0.1:8500", "token": "", "datacenter": "", "ca_file": "",
            "ca_path": "", "cert_file": "", "key_file": "", "license_path": "",
            "tls_server_name": "",
            "login": {"auth_method": "", "bearer_token": "", "bearer_token_file": "", "meta": {}},
            "log": {"level": "INFO", "enable_syslog": false, "syslog_facility": "LOCAL0"},
            "snapshot": {"interval": "1h", "retain": 30, "stale": false,
                "service": "consul-snapshot", "deregister_after": "72h",
                "lock_key": "consul-snapshot/lock", "max_failures": 3, "local_scratch_path": ""},
            "local_storage": {"path": "."},
            "aws_storage": {"access_key_id": "", "secret_access_key": "", "s3_region": "",
                "s3_bucket": "", "s3_key_prefix": "consul-snapshot",
                "s3_server_side_encryption": false},
            "azure_blob_storage": {"account_name": "", "account_key": "", "container_name": ""},
            "google_storage": {"bucket": ""}}}"#;
        let c = parsed(sample).unwrap();
        assert_eq!(c.ignored, ["log.level", "log.syslog_facility"]);
        let f: FileConfig = serde_json::from_value(Value::Object(c.used)).unwrap();
        assert_eq!(f.snapshot.retain, Some(30));
        assert_eq!(f.local_storage.path, Some(PathBuf::from(".")));
    }

    #[test]
    fn typos_are_errors_with_a_suggestion() {
        let e = parsed(r#"{"snapshot_agent": {"snapshot": {"intreval": "1h"}}}"#)
            .err()
            .unwrap();
        assert_eq!(
            e,
            "unknown key snapshot.intreval (did you mean snapshot.interval?)"
        );
        let e = parsed(r#"{"snapshot": {"lock-key": "x"}}"#).err().unwrap();
        assert!(e.contains("did you mean snapshot.lock_key?"), "{e}");
        // A key in the wrong block is pointed to the right one.
        let e = parsed(r#"{"retain": 3}"#).err().unwrap();
        assert!(e.contains("did you mean snapshot.retain?"), "{e}");
        let e = parsed(r#"{"log": {"levle": "x"}}"#).err().unwrap();
        assert!(e.contains("log.level"), "{e}");
        let e = parsed(r#"{"zzzzzz": 1}"#).err().unwrap();
        assert_eq!(e, "unknown key zzzzzz");
    }

    #[test]
    fn remote_storage_is_read_and_role_assumption_and_auth_method_logins_are_refused() {
        let c = parsed(
            r#"{"aws_storage": {"s3_bucket": "b", "s3_region": "eu-west-1", "s3_key_prefix": "p",
                "s3_enable_kms": true, "s3_kms_key": "k", "s3_endpoint": "http://127.0.0.1:9000",
                "s3_force_path_style": true, "s3_static_snapshot_name": "",
                "access_key_id": "AKIA", "secret_access_key": "s3cret"},
                "snapshot": {"local_scratch_path": "/scratch"}}"#,
        )
        .unwrap();
        let f: FileConfig = serde_json::from_value(Value::Object(c.used)).unwrap();
        assert_eq!(f.aws_storage.s3_bucket.as_deref(), Some("b"));
        assert_eq!(f.aws_storage.s3_enable_kms, Some(true));
        assert_eq!(
            f.snapshot.local_scratch_path,
            Some(PathBuf::from("/scratch"))
        );
        assert!(!format!("{f:?}").contains("s3cret"));
        let c = parsed(
            r#"{"backup_destinations": {"google_storage": [{"bucket": "g"}],
                "azure_blob_storage": [{"container_name": "c", "account_key": "k3y"}]}}"#,
        )
        .unwrap();
        let f: FileConfig = serde_json::from_value(Value::Object(c.used)).unwrap();
        assert_eq!(f.google_storage.bucket.as_deref(), Some("g"));
        assert_eq!(f.azure_blob_storage.container_name.as_deref(), Some("c"));
        assert!(!format!("{f:?}").contains("k3y"));
        for (text, key) in [
            (
                r#"{"aws_storage": {"s3_bucket": "b", "role_arn": "arn:aws:iam::1:role/x"}}"#,
                "aws_storage.role_arn",
            ),
            (
                r#"{"backup_destinations": {"aws_storage": [{"sts_endpoint": "x"}]}}"#,
                "backup_destinations.aws_storage[0].sts_endpoint",
            ),
        ] {
            let e = parsed(text).err().unwrap();
            assert!(e.starts_with(key) && e.contains("not supported"), "{e}");
        }
        assert!(parsed(
            r#"{"backup_destinations": {"google_storage": [{"bucket": "a"}, {"bucket": "b"}]}}"#
        )
        .is_err());
        let e = parsed(r#"{"login": {"auth_method": "k8s"}}"#)
            .err()
            .unwrap();
        assert!(e.contains("login.auth_method"), "{e}");
    }

    #[test]
    fn backup_destinations_name_the_directory() {
        let c = parsed(r#"{"backup_destinations": {"local_storage": [{"path": "/b"}]}}"#).unwrap();
        let f: FileConfig = serde_json::from_value(Value::Object(c.used)).unwrap();
        assert_eq!(f.local_storage.path, Some(PathBuf::from("/b")));
        assert!(parsed(
            r#"{"backup_destinations": {"local_storage": [{"path": "/a"}, {"path": "/b"}]}}"#
        )
        .is_err());
        assert!(parsed(
            r#"{"local_storage": {"path": "/a"}, "backup_destinations": {"local_storage": [{"path": "/b"}]}}"#
        )
        .is_err());
    }

    #[test]
    fn wrapped_files_leave_other_keys_to_consul_and_dirs_skip_unwrapped_files() {
        let c = parse(
            r#"{"data_dir": "/x", "snapshot_agent": {"token": "t"}}"#,
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.used["token"], "t");
        assert!(parse(r#"{"data_dir": "/x"}"#, true).unwrap().is_none());
        assert!(parse(r#"{"data_dir": "/x"}"#, false).is_err());
        // Types are checked per file.
        assert!(parse(r#"{"snapshot": {"retain": "many"}}"#, false).is_err());
    }

    #[test]
    fn later_files_win_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("a.json"),
            r#"{"snapshot_agent": {"license_path": "/l", "snapshot": {"retain": 3, "interval": "1h"}}}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("b.json"),
            r#"{"snapshot_agent": {"snapshot": {"retain": 5}}}"#,
        )
        .unwrap();
        std::fs::write(d.join("consul.json"), r#"{"server": true}"#).unwrap();
        std::fs::write(d.join("notes.txt"), "not json").unwrap();
        let l = load(&[], &[d.to_path_buf()]).unwrap();
        assert_eq!(l.config.snapshot.retain, Some(5));
        assert_eq!(l.config.snapshot.interval.as_deref(), Some("1h"));
        assert_eq!(l.ignored, ["license_path"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(load(&[], &[empty.path().to_path_buf()]).is_err());
    }
}
