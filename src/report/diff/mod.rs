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
use crate::snapshot::state::{MessageType, Record, RecordSink};
use crate::snapshot::vault::Product;

/// Names the input an error concerns: `OLD a.snap: ...`.
pub(crate) fn side(e: Error, which: &str, input: &Input) -> Error {
    let name = format!("{which} {}", input.display());
    match e {
        Error::Invalid(mut i) => {
            i.message = format!("{name}: {}", i.message);
            Error::Invalid(i)
        }
        Error::Unsupported(m) => Error::Unsupported(format!("{name}: {m}")),
        Error::Io { context, source } => Error::Io {
            context: format!("{name}: {context}"),
            source,
        },
        other => other,
    }
}

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
    /// For Nomad snapshots: only these Nomad types (all when empty).
    pub nomad_types: Vec<u8>,
}
mod passes;

use passes::{id_hash, ClassifyPass, IdHash, IndexPass, OldSidePass, Pending, SEEN};

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

impl TypeSummary {
    /// Counts one record that differs by `kind`.
    pub(crate) fn count(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Removed => self.removed += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::IndexOnly => self.index_only += 1,
        }
    }
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
    /// Which product wrote both snapshots (`consul`, `nomad`).
    pub product: &'static str,
    /// OLD's snapshot ID.
    pub old_id: String,
    /// NEW's snapshot ID.
    pub new_id: String,
    /// OLD as given (text header only).
    #[serde(skip)]
    pub old_path: String,
    /// NEW as given (text header only).
    #[serde(skip)]
    pub new_path: String,
    /// Per-type counts.
    pub summary: Vec<TypeSummary>,
    /// The differing records, by type then identity.
    pub changes: Vec<Change>,
    /// True when nothing differs.
    pub identical: bool,
}

impl DiffReport {
    /// The report from OLD to NEW (each as given and its snapshot ID) of `product`'s
    /// records: identical when no type has a record that differs.
    pub(crate) fn new(
        product: &'static str,
        (old, old_id): (&Input, String),
        (new, new_id): (&Input, String),
        summary: Vec<TypeSummary>,
        changes: Vec<Change>,
    ) -> DiffReport {
        let identical = summary
            .iter()
            .all(|s| s.added + s.removed + s.changed + s.index_only == 0);
        DiffReport {
            schema: "snapinspect-diff/1",
            product,
            old_id,
            new_id,
            old_path: old.display(),
            new_path: new.display(),
            summary,
            changes,
            identical,
        }
    }
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
    match t {
        MessageType::KVS => match kv_value(json) {
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
        MessageType::ACL_TOKEN => format!("{:?}", s("Description")),
        MessageType::ACL_POLICY | MessageType::ACL_ROLE | MessageType::ACL_AUTH_METHOD => s("Name"),
        MessageType::REGISTER => match (json.get("Service"), json.get("Check")) {
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
        MessageType::CONNECT_CA => {
            if json.get("Active").and_then(|a| a.as_bool()) == Some(true) {
                format!("ACTIVE root {:?}", s("Name"))
            } else {
                format!("root {:?}", s("Name"))
            }
        }
        MessageType::INTENTION => format!(
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

/// A diff of two snapshots of one product.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductDiff {
    /// Record by record (Consul, Nomad).
    Records(DiffReport),
    /// Key by key (Vault, `report::vault::diff`).
    Keys(crate::report::vault::diff::VaultDiffReport),
}

/// Compares two snapshots record by record (Vault's, compared key by key, are refused with
/// exit 5: see [`diff_products`]). OLD is read twice, so it cannot be standard input.
pub fn diff(
    old: &Input,
    new: &Input,
    opts: &DiffOptions,
    read: &ReadOptions,
) -> Result<DiffReport> {
    match diff_products(old, new, opts, read)? {
        ProductDiff::Records(r) => Ok(r),
        ProductDiff::Keys(_) => Err(Error::Unsupported(
            "these are Vault snapshots, compared key by key: read them with diff_products".into(),
        )),
    }
}

/// Compares two snapshots of one product, found from OLD's content; snapshots of two
/// products are refused (exit 5). OLD is read twice, so it cannot be standard input.
pub fn diff_products(
    old: &Input,
    new: &Input,
    opts: &DiffOptions,
    read: &ReadOptions,
) -> Result<ProductDiff> {
    if *old == Input::Stdin {
        return Err(Error::Usage(
            "diff reads OLD twice: it cannot be standard input (NEW can)".into(),
        ));
    }
    let mut p1 = IndexPass {
        opts,
        map: HashMap::new(),
        dups: HashMap::new(),
    };
    let mut vault_p1 = crate::report::vault::diff::IndexPass::new(opts);
    let old_snap: Snapshot = archive::read(
        old,
        read,
        &mut crate::snapshot::state::Tee(&mut p1, &mut vault_p1),
    )
    .map_err(|e| side(e, "OLD", old))?;
    if old_snap.product == Product::Vault {
        drop(p1);
        return crate::report::vault::diff::rest(vault_p1, &old_snap, old, new, opts, read)
            .map(ProductDiff::Keys);
    }
    drop(vault_p1);
    if old_snap.product == Product::Nomad {
        return crate::report::nomad::diff::diff(old, new, opts, read, old_snap)
            .map(ProductDiff::Records);
    }
    old_snap
        .require_consul("diff")
        .map_err(|e| side(e, "OLD", old))?;
    // Markers keyed by OLD's content: the same diff prints the same fingerprints on every run,
    // and nobody without the snapshot can key a guess.
    let redactor = Redactor::for_show_secrets_keyed(opts.show_secrets, &old_snap.state_sha256);
    let mut p2 = ClassifyPass {
        opts,
        old: p1.map,
        changed: BTreeMap::new(),
        unchanged: BTreeMap::new(),
        redactor: &redactor,
    };
    let new_snap = archive::read(new, read, &mut p2).map_err(|e| side(e, "NEW", new))?;
    if new_snap.product != old_snap.product {
        return Err(crate::report::vault::diff::mixed(
            "diff",
            (&format!("OLD {}", old.display()), old_snap.product),
            (&format!("NEW {}", new.display()), new_snap.product),
        ));
    }
    new_snap
        .require_consul("diff")
        .map_err(|e| side(e, "NEW", new))?;
    // The old side is needed for what changed, and for what NEW did not show (removed).
    let mut wanted: HashMap<IdHash, bool> = p2
        .changed
        .iter()
        .filter(|(_, p)| {
            p.kind == ChangeKind::Changed
                || (p.kind == ChangeKind::IndexOnly && opts.include_indexes)
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
        archive::read(old, read, &mut p3).map_err(|e| side(e, "OLD", old))?;
    }
    let mut old_side: HashMap<String, Json> = HashMap::new();
    for (id, old) in p3.found {
        if old.removed {
            p2.changed.insert(
                id.clone(),
                Pending {
                    mtype: old.mtype,
                    kind: ChangeKind::Removed,
                    new: None,
                },
            );
        }
        old_side.insert(id, old.json);
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
    for (
        id,
        Pending {
            mtype: t,
            kind,
            new: new_json,
        },
    ) in p2.changed
    {
        let s = summary.entry(t).or_insert_with(|| TypeSummary {
            type_name: t.name(),
            ..Default::default()
        });
        s.count(kind);
        let bookkeeping = t == MessageType::INDEX || kind == ChangeKind::IndexOnly;
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
        if t == MessageType::KVS && opts.show_values {
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
            if t == MessageType::ACL_POLICY {
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
    Ok(ProductDiff::Records(DiffReport::new(
        "consul",
        (old, old_snap.meta.id),
        (new, new_snap.meta.id),
        summary.into_values().collect(),
        changes,
    )))
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
    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self, stat_only: bool) -> String {
        crate::report::text(|w| self.write_text(w, stat_only))
    }

    /// The report as text: the summary table, then the changes unless `stat_only`.
    pub fn write_text(&self, w: &mut dyn std::io::Write, stat_only: bool) -> std::io::Result<()> {
        write!(
            w,
            "--- {}  ({})\n+++ {}  ({})\n\n",
            self.old_path, self.old_id, self.new_path, self.new_id
        )?;
        let mut tw = crate::go::tabwriter::TabWriter::for_people();
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
        w.write_all(tw.finish_text().as_bytes())?;
        w.write_all(b"\n")?;
        if self.identical {
            w.write_all("\nidentical\n".as_bytes())?;
            return Ok(());
        }
        if stat_only {
            return Ok(());
        }
        let mut current = String::new();
        for c in &self.changes {
            if c.type_name != current {
                write!(w, "\n{}\n", c.type_name)?;
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
            let esc = |t: &str| crate::go::tabwriter::escape(t.as_bytes());
            writeln!(w, "  {sign} {}  {}{alert}", esc(id), esc(&c.summary))?;
            if c.secret_changed {
                w.write_all("      secret changed\n".as_bytes())?;
            }
            for f in &c.fields {
                if c.text_diffs.contains_key(&f.path) {
                    continue;
                }
                writeln!(
                    w,
                    "      {}: {} -> {}",
                    esc(&f.path),
                    esc(&short(&f.old)),
                    esc(&short(&f.new))
                )?;
            }
            for (path, d) in &c.text_diffs {
                writeln!(w, "      {}:", esc(path))?;
                for line in d.lines() {
                    writeln!(w, "        {}", esc(line))?;
                }
            }
        }
        Ok(())
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
