//! `diff`: what restoring one snapshot over another would change, record by record.
//!
//! Three streamed passes keep memory proportional to the number of records, not their size:
//! OLD is read once for a map of identity to content hashes (about 60 bytes per record plus
//! the identity text), NEW once to classify every record and keep the new side of what
//! changed, and OLD a second time to fetch the old side of what changed or went away.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::go::msgpack::{self, Value};
use crate::model::secrets::Redactor;
use crate::model::Model;
use crate::snapshot::archive::{self, Input, ReadOptions, Snapshot};
use crate::snapshot::state::{types, MessageType, Record, RecordSink};

/// Options of a diff.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Only these record types (all when empty).
    pub types: Vec<MessageType>,
    /// Only KV entries and tombstones under this prefix (other types are left out).
    pub kv_prefix: Option<Vec<u8>>,
    /// List Index-table records and changes that touch only CreateIndex/ModifyIndex.
    pub include_indexes: bool,
    /// Show KV values (as text diffs when both sides are text) instead of size and fingerprint.
    pub show_values: bool,
    /// Show secrets instead of redaction markers.
    pub show_secrets: bool,
}

/// Content hashes of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hashes {
    /// Everything, maps compared regardless of entry order.
    full: u64,
    /// Everything but CreateIndex/ModifyIndex fields.
    content: u64,
}

fn is_index_key(k: &Value<'_>) -> bool {
    matches!(k.as_bytes(), Some(b"CreateIndex") | Some(b"ModifyIndex"))
}

/// Hashes a value with maps in key order, optionally skipping raft index fields.
fn hash_value<H: Hasher>(v: &Value<'_>, skip_indexes: bool, h: &mut H) {
    match v {
        Value::Map(entries) => {
            let mut sorted: Vec<&(Value<'_>, Value<'_>)> = entries
                .iter()
                .filter(|(k, _)| !(skip_indexes && is_index_key(k)))
                .collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(&b.0.as_bytes()));
            h.write_u8(b'm');
            h.write_usize(sorted.len());
            for (k, val) in sorted {
                hash_value(k, skip_indexes, h);
                hash_value(val, skip_indexes, h);
            }
        }
        Value::Array(items) => {
            h.write_u8(b'a');
            h.write_usize(items.len());
            for i in items {
                hash_value(i, skip_indexes, h);
            }
        }
        Value::Raw(b) | Value::Bin(b) => {
            h.write_u8(b's');
            b.hash(h);
        }
        Value::Int(i) => {
            h.write_u8(b'i');
            h.write_i128(*i as i128);
        }
        Value::Uint(u) => {
            h.write_u8(b'i');
            h.write_i128(*u as i128);
        }
        Value::F32(f) => {
            h.write_u8(b'f');
            h.write_u64((*f as f64).to_bits());
        }
        Value::F64(f) => {
            h.write_u8(b'f');
            h.write_u64(f.to_bits());
        }
        Value::Bool(b) => h.write_u8(if *b { b'T' } else { b'F' }),
        Value::Nil => h.write_u8(b'n'),
        Value::Ext(t, d) => {
            h.write_u8(b'x');
            h.write_i8(*t);
            d.hash(h);
        }
    }
}

fn hashes(v: &Value<'_>) -> Hashes {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, false, &mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, true, &mut b);
    Hashes {
        full: a.finish(),
        content: b.finish(),
    }
}

/// A 128-bit hash of an identity: the maps hold this instead of the identity text, so memory
/// per record does not depend on key lengths.
type IdHash = [u64; 2];

fn id_hash(id: &str) -> IdHash {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    a.write_u8(1);
    id.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    b.write_u8(2);
    id.hash(&mut b);
    [a.finish(), b.finish()]
}

/// `id`, or `id#n` for the n-th occurrence of an identity that repeats.
fn numbered(id: &str, n: u32) -> String {
    if n <= 1 {
        id.to_string()
    } else {
        format!("{id}#{n}")
    }
}

fn identity(t: MessageType, v: &Value<'_>) -> String {
    match Model::decode_typed(t, v) {
        Ok(m) => m.identity().render(t),
        Err(_) => format!("{}:?", t.name()),
    }
}

fn selected(opts: &DiffOptions, t: MessageType, v: &Value<'_>) -> bool {
    if !opts.types.is_empty() && !opts.types.contains(&t) {
        return false;
    }
    if let Some(p) = &opts.kv_prefix {
        if !matches!(t.0, types::KVS | types::TOMBSTONE) {
            return false;
        }
        let key = v.get("Key").and_then(|k| k.as_bytes()).unwrap_or_default();
        return key.starts_with(p);
    }
    true
}

/// Marks an OLD entry that NEW has shown (its hashes are no longer needed).
const SEEN: Hashes = Hashes {
    full: u64::MAX,
    content: u64::MAX,
};

/// Pass 1: identity hash -> content hashes of OLD: 32 bytes a record in the map, and nothing
/// that grows with key lengths.
struct IndexPass<'o> {
    opts: &'o DiffOptions,
    map: HashMap<IdHash, Hashes>,
    /// Identities OLD holds more than once, with how many times (rare: Unknown types).
    dups: HashMap<IdHash, u32>,
}

impl RecordSink for IndexPass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let bh = id_hash(&base);
        let h = if self.map.contains_key(&bh) {
            let n = self.dups.entry(bh).or_insert(1);
            *n += 1;
            id_hash(&numbered(&base, *n))
        } else {
            bh
        };
        self.map.insert(h, hashes(&v));
        Ok(())
    }
}

/// How a record differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Only in NEW.
    Added,
    /// Only in OLD.
    Removed,
    /// In both, with different content.
    Changed,
    /// In both, differing only in CreateIndex/ModifyIndex.
    IndexOnly,
}

/// Pass 2: classify NEW, keep the new side of what is not unchanged.
struct ClassifyPass<'o> {
    opts: &'o DiffOptions,
    old: HashMap<IdHash, Hashes>,
    changed: BTreeMap<String, (MessageType, ChangeKind, Option<Json>)>,
    unchanged: BTreeMap<MessageType, u64>,
    redactor: &'o Redactor,
}

/// A record's redacted JSON, with a KV value reduced to its size and fingerprint unless
/// values are shown (so what a diff keeps of a changed record stays small).
fn record_json(t: MessageType, v: &Value<'_>, redactor: &Redactor, show_values: bool) -> Json {
    let (model, _) = Model::decode(t, v);
    let mut json = serde_json::to_value(&model).unwrap_or(Json::Null);
    redactor.redact(t, &mut json);
    if t.0 == types::KVS && !show_values {
        hide_kv_value(&mut json, redactor);
    }
    json
}

impl RecordSink for ClassifyPass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let h = hashes(&v);
        // The n-th occurrence of an identity in NEW pairs with the n-th in OLD.
        let mut n = 1;
        let (id, kind) = loop {
            let id = numbered(&base, n);
            let idh = id_hash(&id);
            match self.old.get_mut(&idh) {
                Some(old) if *old == SEEN => n += 1,
                Some(old) => {
                    let kind = if old.full == h.full {
                        None
                    } else if old.content == h.content {
                        Some(ChangeKind::IndexOnly)
                    } else {
                        Some(ChangeKind::Changed)
                    };
                    *old = SEEN;
                    break (id, kind);
                }
                None if self.changed.contains_key(&id) => n += 1,
                None => break (id, Some(ChangeKind::Added)),
            }
        };
        match kind {
            None => *self.unchanged.entry(r.mtype).or_default() += 1,
            Some(k) => {
                let keep = k != ChangeKind::IndexOnly || self.opts.include_indexes;
                let json =
                    keep.then(|| record_json(r.mtype, &v, self.redactor, self.opts.show_values));
                self.changed.insert(id, (r.mtype, k, json));
            }
        }
        Ok(())
    }
}

/// Pass 3: the identities and old side of changed and removed records.
struct OldSidePass<'o> {
    opts: &'o DiffOptions,
    /// Occurrences so far of the identities OLD holds more than once.
    dups: HashMap<IdHash, u32>,
    /// Identity hashes wanted: removed (true) or changed (false).
    wanted: HashMap<IdHash, bool>,
    found: HashMap<String, (MessageType, bool, Json)>,
    redactor: &'o Redactor,
}

impl RecordSink for OldSidePass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let bh = id_hash(&base);
        let id = match self.dups.get_mut(&bh) {
            Some(n) => {
                *n += 1;
                numbered(&base, *n)
            }
            None => base,
        };
        if let Some(removed) = self.wanted.get(&id_hash(&id)) {
            self.found.insert(
                id,
                (
                    r.mtype,
                    *removed,
                    record_json(r.mtype, &v, self.redactor, self.opts.show_values),
                ),
            );
        }
        Ok(())
    }
}

/// Counts of one record type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeSummary {
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Records only in NEW.
    pub added: u64,
    /// Records only in OLD.
    pub removed: u64,
    /// Records whose content differs.
    pub changed: u64,
    /// Records differing only in raft indexes.
    pub index_only: u64,
    /// Records that are the same.
    pub unchanged: u64,
}

/// One differing field of a changed record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// JSON pointer of the field.
    pub path: String,
    /// The old value (`null` when absent).
    pub old: Json,
    /// The new value (`null` when absent).
    pub new: Json,
}

/// One differing record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The record's identity.
    pub id: String,
    /// How it differs.
    pub change: ChangeKind,
    /// A short description (token description, KV size and fingerprint...).
    pub summary: String,
    /// Field-level differences (changed records).
    pub fields: Vec<FieldChange>,
    /// A secret of the record changed (never shown).
    pub secret_changed: bool,
    /// Unified diffs of long text fields (policy rules, KV text with --show-values).
    pub text_diffs: BTreeMap<String, String>,
}

/// The diff report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    /// Schema identifier.
    pub schema: &'static str,
    /// OLD's snapshot ID.
    pub old_id: String,
    /// NEW's snapshot ID.
    pub new_id: String,
    /// Per-type counts.
    pub summary: Vec<TypeSummary>,
    /// The differing records, by type then identity.
    pub changes: Vec<Change>,
    /// True when nothing differs.
    pub identical: bool,
}

fn field_changes(
    old: &Json,
    new: &Json,
    path: &str,
    include_indexes: bool,
    out: &mut Vec<FieldChange>,
) {
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                if !include_indexes && (k == "CreateIndex" || k == "ModifyIndex") {
                    continue;
                }
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                field_changes(
                    a.get(k).unwrap_or(&Json::Null),
                    b.get(k).unwrap_or(&Json::Null),
                    &p,
                    include_indexes,
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            path: path.to_string(),
            old: a.clone(),
            new: b.clone(),
        }),
        _ => {}
    }
}

fn unified(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("old", "new")
        .to_string()
}

fn kv_value(json: &Json) -> Option<Vec<u8>> {
    use base64::Engine;
    json.get("Value")
        .and_then(|v| v.as_str())
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
}

fn describe(t: MessageType, json: &Json, redactor: &Redactor) -> String {
    let s = |k: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    match t.0 {
        types::KVS => match kv_value(json) {
            Some(v) => format!(
                "{} bytes, fingerprint {}, flags {}",
                v.len(),
                redactor.fingerprint(&v),
                json["Flags"]
            ),
            None => format!(
                "{} bytes, fingerprint {}, flags {}",
                json["Value"]["bytes"],
                json["Value"]["fingerprint"].as_str().unwrap_or("-"),
                json["Flags"]
            ),
        },
        types::ACL_TOKEN => format!("{:?}", s("Description")),
        types::ACL_POLICY | types::ACL_ROLE | types::ACL_AUTH_METHOD => s("Name"),
        types::REGISTER => match (json.get("Service"), json.get("Check")) {
            (Some(sv), _) if !sv.is_null() => format!(
                "service {} port {}",
                sv["Service"].as_str().unwrap_or(""),
                sv["Port"]
            ),
            (_, Some(c)) if !c.is_null() => format!(
                "check {:?} {}",
                c["Name"].as_str().unwrap_or(""),
                c["Status"].as_str().unwrap_or("")
            ),
            _ => format!("node at {}", s("Address")),
        },
        types::CONNECT_CA => {
            if json.get("Active").and_then(|a| a.as_bool()) == Some(true) {
                format!("ACTIVE root {:?}", s("Name"))
            } else {
                format!("root {:?}", s("Name"))
            }
        }
        types::INTENTION => format!(
            "{} -> {}: {}",
            s("SourceName"),
            s("DestinationName"),
            s("Action")
        ),
        _ => String::new(),
    }
}

/// Replaces KV values by size and fingerprint (unless shown).
fn hide_kv_value(json: &mut Json, redactor: &Redactor) {
    if let Some(v) = kv_value(json) {
        json["Value"] =
            serde_json::json!({ "bytes": v.len(), "fingerprint": redactor.fingerprint(&v) });
    }
}

/// Compares two snapshots. OLD is read twice, so it cannot be standard input.
pub fn diff(
    old: &Input,
    new: &Input,
    opts: &DiffOptions,
    read: &ReadOptions,
) -> Result<DiffReport> {
    if *old == Input::Stdin {
        return Err(Error::Usage(
            "diff reads OLD twice: it cannot be standard input (NEW can)".into(),
        ));
    }
    let redactor = if opts.show_secrets {
        Redactor::showing()
    } else {
        Redactor::new_random()
    };
    let mut p1 = IndexPass {
        opts,
        map: HashMap::new(),
        dups: HashMap::new(),
    };
    let old_snap: Snapshot = archive::read(old, read, &mut p1)?;
    let mut p2 = ClassifyPass {
        opts,
        old: p1.map,
        changed: BTreeMap::new(),
        unchanged: BTreeMap::new(),
        redactor: &redactor,
    };
    let new_snap = archive::read(new, read, &mut p2)?;
    // The old side is needed for what changed, and for what NEW did not show (removed).
    let mut wanted: HashMap<IdHash, bool> = p2
        .changed
        .iter()
        .filter(|(_, (_, k, _))| {
            *k == ChangeKind::Changed || (*k == ChangeKind::IndexOnly && opts.include_indexes)
        })
        .map(|(id, _)| (id_hash(id), false))
        .collect();
    for (h, e) in &p2.old {
        if *e != SEEN {
            wanted.insert(*h, true);
        }
    }
    drop(std::mem::take(&mut p2.old));
    // Pass 3 counts repeated identities again from the start.
    let dups = p1.dups.into_keys().map(|k| (k, 0)).collect();
    let mut p3 = OldSidePass {
        opts,
        dups,
        wanted,
        found: HashMap::new(),
        redactor: &redactor,
    };
    if !p3.wanted.is_empty() {
        archive::read(old, read, &mut p3)?;
    }
    let mut old_side: HashMap<String, Json> = HashMap::new();
    for (id, (t, removed, json)) in p3.found {
        if removed {
            p2.changed
                .insert(id.clone(), (t, ChangeKind::Removed, None));
        }
        old_side.insert(id, json);
    }

    let mut summary: BTreeMap<MessageType, TypeSummary> = BTreeMap::new();
    for (t, n) in &p2.unchanged {
        summary
            .entry(*t)
            .or_insert_with(|| TypeSummary {
                type_name: t.name(),
                ..Default::default()
            })
            .unchanged += n;
    }
    let mut changes = Vec::new();
    for (id, (t, kind, new_json)) in p2.changed {
        let s = summary.entry(t).or_insert_with(|| TypeSummary {
            type_name: t.name(),
            ..Default::default()
        });
        match kind {
            ChangeKind::Added => s.added += 1,
            ChangeKind::Removed => s.removed += 1,
            ChangeKind::Changed => s.changed += 1,
            ChangeKind::IndexOnly => s.index_only += 1,
        }
        let bookkeeping = t.0 == types::INDEX || kind == ChangeKind::IndexOnly;
        if bookkeeping && !opts.include_indexes {
            continue;
        }
        let old_json = old_side.remove(&id);
        let shown = new_json
            .as_ref()
            .or(old_json.as_ref())
            .cloned()
            .unwrap_or(Json::Null);
        let summary_text = describe(t, &shown, &redactor);
        let mut text_diffs = BTreeMap::new();
        if t.0 == types::KVS && opts.show_values {
            if let (Some(o), Some(n)) = (
                old_json.as_ref().and_then(kv_value),
                new_json.as_ref().and_then(kv_value),
            ) {
                if let (Ok(o), Ok(n)) = (std::str::from_utf8(&o), std::str::from_utf8(&n)) {
                    text_diffs.insert("/Value".to_string(), unified(o, n));
                }
            }
        }
        let mut fields = Vec::new();
        let mut secret_changed = false;
        if let (Some(o), Some(n)) = (&old_json, &new_json) {
            field_changes(o, n, "", opts.include_indexes, &mut fields);
            let secret_paths: Vec<String> = crate::model::secrets::find(t, o)
                .into_iter()
                .chain(crate::model::secrets::find(t, n))
                .map(|f| f.path)
                .collect();
            secret_changed = fields.iter().any(|f| {
                secret_paths
                    .iter()
                    .any(|p| f.path == *p || f.path.starts_with(&format!("{p}/")))
            });
            if t.0 == types::ACL_POLICY {
                if let (Some(a), Some(b)) = (o["Rules"].as_str(), n["Rules"].as_str()) {
                    if a != b {
                        text_diffs.insert("/Rules".to_string(), unified(a, b));
                    }
                }
            }
        }
        changes.push(Change {
            type_name: t.name(),
            id,
            change: kind,
            summary: summary_text,
            fields,
            secret_changed,
            text_diffs,
        });
    }
    changes.sort_by(|a, b| a.type_name.cmp(&b.type_name).then_with(|| a.id.cmp(&b.id)));
    let summary: Vec<TypeSummary> = summary.into_values().collect();
    let identical = summary
        .iter()
        .all(|s| s.added + s.removed + s.changed + s.index_only == 0);
    Ok(DiffReport {
        schema: "snapinspect-diff/1",
        old_id: old_snap.meta.id,
        new_id: new_snap.meta.id,
        summary,
        changes,
        identical,
    })
}

fn short(v: &Json) -> String {
    let s = match v {
        Json::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 100 {
        format!("{}...", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}

impl DiffReport {
    /// The report as text: the summary table, then the changes unless `stat_only`.
    pub fn pretty(&self, stat_only: bool) -> String {
        let mut out = format!("--- {}\n+++ {}\n\n", self.old_id, self.new_id);
        let mut tw = crate::go::tabwriter::TabWriter::new(0, 2);
        tw.line(&[
            b"Type",
            b"Added",
            b"Removed",
            b"Changed",
            b"Index-only",
            b"Unchanged",
        ]);
        for s in &self.summary {
            tw.line(&[
                s.type_name.as_bytes(),
                s.added.to_string().as_bytes(),
                s.removed.to_string().as_bytes(),
                s.changed.to_string().as_bytes(),
                s.index_only.to_string().as_bytes(),
                s.unchanged.to_string().as_bytes(),
            ]);
        }
        out.push_str(&String::from_utf8_lossy(&tw.finish()));
        out.push('\n');
        if self.identical {
            out.push_str("\nidentical\n");
            return out;
        }
        if stat_only {
            return out;
        }
        let mut current = String::new();
        for c in &self.changes {
            if c.type_name != current {
                out.push_str(&format!("\n{}\n", c.type_name));
                current = c.type_name.clone();
            }
            let sign = match c.change {
                ChangeKind::Added => '+',
                ChangeKind::Removed => '-',
                ChangeKind::Changed => '~',
                ChangeKind::IndexOnly => '=',
            };
            let id = c.id.split_once(':').map(|(_, rest)| rest).unwrap_or(&c.id);
            let alert = if c.type_name == "ConnectCA" && c.summary.starts_with("ACTIVE") {
                "  !! active CA root"
            } else {
                ""
            };
            out.push_str(&format!("  {sign} {id}  {}{alert}\n", c.summary));
            if c.secret_changed {
                out.push_str("      secret changed\n");
            }
            for f in &c.fields {
                if c.text_diffs.contains_key(&f.path) {
                    continue;
                }
                out.push_str(&format!(
                    "      {}: {} -> {}\n",
                    f.path,
                    short(&f.old),
                    short(&f.new)
                ));
            }
            for (path, d) in &c.text_diffs {
                out.push_str(&format!("      {path}:\n"));
                for line in d.lines() {
                    out.push_str(&format!("        {line}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::meta::SnapshotMeta;

    fn snap(dir: &std::path::Path, name: &str, records: &[(u8, u64)]) -> Input {
        let mut state = vec![0x81, 0xa9];
        state.extend_from_slice(b"LastIndex");
        state.push(1);
        for (t, v) in records {
            state.push(*t);
            crate::go::msgpack::encode::uint(&mut state, *v);
        }
        let meta = SnapshotMeta {
            version: 1,
            id: name.into(),
            index: 1,
            term: 1,
            ..Default::default()
        };
        let opts = crate::write::WriteOptions {
            level: 1,
            mtime: 0,
            threads: 1,
        };
        let (_, bytes) = crate::write::write_snapshot(
            Vec::new(),
            &meta,
            &mut &state[..],
            state.len() as u64,
            opts,
        )
        .unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        Input::Archive(p)
    }

    #[test]
    fn repeated_identities_pair_by_occurrence() {
        let dir = tempfile::tempdir().unwrap();
        let old = snap(dir.path(), "old", &[(44, 1), (44, 2), (44, 3)]);
        let new = snap(dir.path(), "new", &[(44, 1), (44, 20), (44, 3), (44, 4)]);
        let r = diff(&old, &new, &DiffOptions::default(), &ReadOptions::default()).unwrap();
        let got: Vec<(String, ChangeKind)> =
            r.changes.iter().map(|c| (c.id.clone(), c.change)).collect();
        assert_eq!(
            got,
            vec![
                ("Unknown(44):?#2".to_string(), ChangeKind::Changed),
                ("Unknown(44):?#4".to_string(), ChangeKind::Added)
            ]
        );
        let r = diff(&new, &old, &DiffOptions::default(), &ReadOptions::default()).unwrap();
        let got: Vec<(String, ChangeKind)> =
            r.changes.iter().map(|c| (c.id.clone(), c.change)).collect();
        assert_eq!(
            got,
            vec![
                ("Unknown(44):?#2".to_string(), ChangeKind::Changed),
                ("Unknown(44):?#4".to_string(), ChangeKind::Removed)
            ]
        );
        assert!(
            diff(&old, &old, &DiffOptions::default(), &ReadOptions::default())
                .unwrap()
                .identical
        );
    }
}
