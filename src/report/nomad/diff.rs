//! `diff` of two Nomad snapshots by record identity (`model::nomad::identity`: what each state
//! store table is keyed by), in the report shape of Consul's diff (`report::diff`).
//!
//! Three streamed passes: OLD for a map of identity to a content hash, NEW to classify each
//! record (keeping the new side of what changed), OLD again for the old side of what changed
//! or went away. Memory: the identities of OLD plus the differing records.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde_json::Value as Json;

use crate::error::Result;
use crate::model::secrets::Redactor;
use crate::report::diff::{Change, ChangeKind, DiffOptions, DiffReport, FieldChange, TypeSummary};
use crate::snapshot::archive::{self, Input, ReadOptions, Snapshot};
use crate::snapshot::nomad::type_name;
use crate::snapshot::state::{Record, RecordSink};
use crate::snapshot::vault::Product;

/// Fields that only say when a record was written: a change in these alone is index-only.
const INDEX_FIELDS: &[&str] = &[
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
    "AllocModifyIndex",
    "ModifyTime",
    "SubmitTime",
];

/// Type byte of the Index table.
const INDEX: u8 = 2;

fn hash_json(v: &Json) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.to_string().hash(&mut h);
    h.finish()
}

fn without_indexes(v: &Json) -> Json {
    let mut v = v.clone();
    if let Json::Object(m) = &mut v {
        for k in INDEX_FIELDS {
            m.remove(*k);
        }
    }
    v
}

struct Seen {
    t: u8,
    full: u64,
    content: u64,
    seen: bool,
}

/// Decodes a record with secrets redacted; `None` for records left out by the options.
fn decoded(r: &Record<'_>, opts: &DiffOptions, redactor: &Redactor) -> Option<(u8, String, Json)> {
    let t = r.mtype.0;
    if !opts.nomad_types.is_empty() && !opts.nomad_types.contains(&t) {
        return None;
    }
    if t == INDEX && !opts.include_indexes {
        return None;
    }
    let (json, id) = super::decode::record_json(t, r.value?, redactor);
    Some((t, id, json))
}

struct OldPass<'a> {
    opts: &'a DiffOptions,
    redactor: &'a Redactor,
    map: HashMap<String, Seen>,
}

impl RecordSink for OldPass<'_> {
    fn wants_nomad_value(&mut self, _t: u8) -> bool {
        true
    }
    fn nomad_record(&mut self, r: &Record<'_>) -> Result<()> {
        if let Some((t, id, json)) = decoded(r, self.opts, self.redactor) {
            let seen = Seen {
                t,
                full: hash_json(&json),
                content: hash_json(&without_indexes(&json)),
                seen: false,
            };
            self.map.insert(id, seen);
        }
        Ok(())
    }
}

struct NewPass<'a> {
    opts: &'a DiffOptions,
    redactor: &'a Redactor,
    old: HashMap<String, Seen>,
    changed: BTreeMap<String, (u8, ChangeKind, Option<Json>)>,
    unchanged: BTreeMap<u8, u64>,
}

impl RecordSink for NewPass<'_> {
    fn wants_nomad_value(&mut self, _t: u8) -> bool {
        true
    }
    fn nomad_record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some((t, id, json)) = decoded(r, self.opts, self.redactor) else {
            return Ok(());
        };
        match self.old.get_mut(&id) {
            Some(o) => {
                o.seen = true;
                if o.full == hash_json(&json) {
                    *self.unchanged.entry(t).or_default() += 1;
                } else if o.content == hash_json(&without_indexes(&json)) {
                    self.changed
                        .insert(id, (t, ChangeKind::IndexOnly, Some(json)));
                } else {
                    self.changed
                        .insert(id, (t, ChangeKind::Changed, Some(json)));
                }
            }
            None => {
                self.changed.insert(id, (t, ChangeKind::Added, Some(json)));
            }
        }
        Ok(())
    }
}

struct OldSide<'a> {
    opts: &'a DiffOptions,
    redactor: &'a Redactor,
    wanted: HashSet<String>,
    found: HashMap<String, Json>,
}

impl RecordSink for OldSide<'_> {
    fn wants_nomad_value(&mut self, _t: u8) -> bool {
        true
    }
    fn nomad_record(&mut self, r: &Record<'_>) -> Result<()> {
        if let Some((_, id, json)) = decoded(r, self.opts, self.redactor) {
            if self.wanted.contains(&id) {
                self.found.insert(id, json);
            }
        }
        Ok(())
    }
}

fn is_marker(v: &Json) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("[redacted:"))
}

/// Leaf differences between two values, as JSON pointers; secrets (redaction markers) set
/// `secret` instead of being listed.
fn field_changes(
    old: &Json,
    new: &Json,
    path: &str,
    out: &mut Vec<FieldChange>,
    secret: &mut bool,
) {
    if old == new {
        return;
    }
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                let (x, y) = (
                    a.get(k).unwrap_or(&Json::Null),
                    b.get(k).unwrap_or(&Json::Null),
                );
                field_changes(x, y, &p, out, secret);
            }
        }
        _ if is_marker(old) || is_marker(new) => *secret = true,
        _ => out.push(FieldChange {
            path: path.to_string(),
            old: old.clone(),
            new: new.clone(),
        }),
    }
}

fn summary_of(v: Option<&Json>) -> String {
    let Some(v) = v else { return String::new() };
    for k in ["Name", "Status", "ClientStatus", "Type"] {
        if let Some(s) = v.get(k).and_then(Json::as_str) {
            if !s.is_empty() && !is_marker(&Json::String(s.into())) {
                return format!("{k} {s:?}");
            }
        }
    }
    String::new()
}

/// Compares two Nomad snapshots, given what a first read of OLD found (`old_snap`); OLD is
/// read again, so it cannot be standard input.
pub fn diff(
    old: &Input,
    new: &Input,
    opts: &DiffOptions,
    read: &ReadOptions,
    old_snap: Snapshot,
) -> Result<DiffReport> {
    let redactor = Redactor::for_show_secrets_keyed(opts.show_secrets, &old_snap.state_sha256);
    let mut p1 = OldPass {
        opts,
        redactor: &redactor,
        map: HashMap::new(),
    };
    archive::read(old, read, &mut p1)?;
    let mut p2 = NewPass {
        opts,
        redactor: &redactor,
        old: p1.map,
        changed: BTreeMap::new(),
        unchanged: BTreeMap::new(),
    };
    let new_snap = archive::read(new, read, &mut p2)?;
    if new_snap.product != Product::Nomad {
        return Err(crate::error::Error::Unsupported(format!(
            "NEW {}: diff compares snapshots of one product; OLD is a Nomad snapshot, NEW a {} one",
            new.display(),
            new_snap.product.title()
        )));
    }
    let old_map = std::mem::take(&mut p2.old);
    for (id, o) in &old_map {
        if !o.seen {
            p2.changed
                .insert(id.clone(), (o.t, ChangeKind::Removed, None));
        }
    }
    let wanted: HashSet<String> = p2
        .changed
        .iter()
        .filter(|(_, (_, k, _))| *k != ChangeKind::Added)
        .map(|(id, _)| id.clone())
        .collect();
    let mut p3 = OldSide {
        opts,
        redactor: &redactor,
        wanted,
        found: HashMap::new(),
    };
    if !p3.wanted.is_empty() {
        archive::read(old, read, &mut p3)?;
    }
    let mut summary: BTreeMap<u8, TypeSummary> = BTreeMap::new();
    let mut changes = Vec::new();
    for (t, n) in &p2.unchanged {
        summary.entry(*t).or_default().unchanged += n;
    }
    for (id, (t, kind, new_v)) in p2.changed {
        let s = summary.entry(t).or_default();
        s.count(kind);
        if kind == ChangeKind::IndexOnly && !opts.include_indexes {
            continue;
        }
        let old_v = p3.found.get(&id);
        let mut fields = Vec::new();
        let mut secret_changed = false;
        if let (Some(o), Some(n)) = (old_v, new_v.as_ref()) {
            field_changes(o, n, "", &mut fields, &mut secret_changed);
        }
        changes.push(Change {
            type_name: type_name(t),
            id,
            change: kind,
            summary: summary_of(new_v.as_ref().or(old_v)),
            fields,
            secret_changed,
            text_diffs: BTreeMap::new(),
        });
    }
    let summary: Vec<TypeSummary> = summary
        .into_iter()
        .map(|(t, mut s)| {
            s.type_name = type_name(t);
            s
        })
        .collect();
    Ok(DiffReport::new(
        Product::Nomad.name(),
        (old, old_snap.meta.id),
        (new, new_snap.meta.id),
        summary,
        changes,
    ))
}
