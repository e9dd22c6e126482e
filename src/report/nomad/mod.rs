//! Nomad snapshots: what `nomad operator snapshot inspect` prints, verify's type checks, and
//! `compat` (which Nomad releases restore a snapshot); `decode` and `diff` of Nomad records in
//! the submodules.
//!
//! The inspect layout is hashicorp/nomad's `command/operator_snapshot_inspect.go`: a
//! `formatKV` block (columnize, glue ` = `, empty fields `<none>`) of Created (from the ID's
//! milliseconds, `formatTime` in `command/helpers.go`: `2006-01-02T15:04:05Z07:00`, empty
//! before 1970-01-01T00:00:01), ID, Size (`humanize.IBytes`), Index, Term, Version; an empty
//! line; then `formatListWithSpaces` (columnize, glue two spaces) of `Type|Count|Size`, one row
//! per type sorted by size descending then name, a row of blanks (` | | `) and
//! `Total|N|size`. Sizes are counted as `countingReader` counts them: every byte the decoder
//! read since the previous record, so the header falls to the first record, and the total is
//! state.bin's length. `-json` is `SnapshotInspectFormat{Meta, Stats[{Name, Sum, Count}]}`
//! through go-msgpack's JSON handle with a 4-space indent (`command/data_format.go`).

pub mod decode;
pub mod diff;

use serde::Serialize;

use crate::error::{Check, Error, Location, Result};
use crate::snapshot::archive::Snapshot;
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::nomad;
use crate::version::Version;

/// `humanize.IBytes` of go-humanize (`3 B`, `1.2 KiB`, `17 KiB`).
pub fn ibytes(s: u64) -> String {
    if s < 10 {
        return format!("{s} B");
    }
    const SIZES: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let f = s as f64;
    let e = (f.ln() / 1024f64.ln()).floor();
    let suffix = SIZES[(e as usize).min(6)];
    let val = (f / 1024f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{val:.1} {suffix}")
    } else {
        format!("{val:.0} {suffix}")
    }
}

/// ryanuber/columnize's `Format`: `|`-separated cells trimmed, columns padded to their widest
/// cell joined by `glue`, the last cell unpadded, empty cells replaced by `empty`.
pub fn columnize(lines: &[String], glue: &str, empty: &str) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            l.split('|')
                .map(|c| match c.trim() {
                    "" => empty.to_string(),
                    t => t.to_string(),
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            let w = c.chars().count();
            match widths.get_mut(i) {
                Some(x) => *x = (*x).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i == r.len() - 1 {
                out.push_str(c);
            } else {
                out.push_str(c);
                out.push_str(&" ".repeat(widths[i] - c.chars().count()));
                out.push_str(glue);
            }
        }
        out.push('\n');
    }
    out.pop();
    out
}

/// One row of Nomad's inspect: `typeStats{Name, Sum, Count}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeRow {
    /// The type's name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Bytes, as Nomad's inspect counts them.
    #[serde(rename = "Sum")]
    pub sum: u64,
    /// Records.
    #[serde(rename = "Count")]
    pub count: u64,
}

/// What `nomad operator snapshot inspect` prints for a snapshot.
#[derive(Debug, Clone)]
pub struct NomadReport {
    meta: SnapshotMeta,
    /// Rows, sorted as Nomad sorts them.
    pub stats: Vec<TypeRow>,
    /// Records.
    pub total_count: u64,
    /// Bytes of state.bin.
    pub total_size: u64,
}

impl NomadReport {
    /// The report of a Nomad snapshot read.
    pub fn new(snap: &Snapshot) -> Self {
        let mut stats: Vec<TypeRow> = snap
            .types()
            .map(|(t, s)| TypeRow {
                name: nomad::type_name(t.0),
                sum: s.size,
                count: s.count,
            })
            .collect();
        stats.sort_by(|a, b| b.sum.cmp(&a.sum).then_with(|| a.name.cmp(&b.name)));
        NomadReport {
            meta: snap.meta.clone(),
            stats,
            total_count: snap.records,
            // countingReader's total: every byte read up to the last record.
            total_size: if snap.records == 0 {
                0
            } else {
                snap.state_size
            },
        }
    }

    /// Nomad's text layout, without the newline `Ui.Output` adds.
    pub fn pretty(&self) -> String {
        let m = &self.meta;
        let created = m
            .created_unix_ms()
            .filter(|&ms| ms >= 1000)
            .map(|ms| {
                let s = crate::report::inspect::details::rfc3339_utc(ms);
                format!("{}Z", &s[..19])
            })
            .unwrap_or_default();
        let mut out = columnize(
            &[
                format!("Created|{created}"),
                format!("ID|{}", m.id),
                format!("Size|{}", ibytes(m.size.max(0) as u64)),
                format!("Index|{}", m.index),
                format!("Term|{}", m.term),
                format!("Version|{}", m.version),
            ],
            " = ",
            "<none>",
        );
        out.push_str("\n\n");
        let mut rows = vec!["Type|Count|Size".to_string()];
        for s in &self.stats {
            rows.push(format!("{}|{}|{}", s.name, s.count, ibytes(s.sum)));
        }
        rows.push(" | | ".into());
        rows.push(format!(
            "Total|{}|{}",
            self.total_count,
            ibytes(self.total_size)
        ));
        out.push_str(&columnize(&rows, "  ", ""));
        out
    }

    /// Nomad's `-json` output, without the newline `Ui.Output` adds.
    pub fn json(&self) -> String {
        let meta: serde_json::Value =
            serde_json::from_str(&self.meta.to_go_json()).unwrap_or_default();
        let doc = serde_json::json!({ "Meta": meta, "Stats": self.stats });
        crate::go::json::to_string_indent(&doc, b"    ")
    }
}

/// Verify's checks of a Nomad snapshot's types: every type restorable by `target`, or else by
/// some Nomad release; Enterprise types and (with `allow_unknown`) unknown ones are warnings.
pub fn verify_types(
    snap: &Snapshot,
    target: Option<Version>,
    allow_unknown: bool,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let invalid = |m: String| Error::invalid(Check::Record, m, Location::member("state.bin"));
    for (t, s) in snap.types() {
        let n = s.count;
        let name = nomad::type_name(t.0);
        if let Some(v) = target {
            if let Some(why) = nomad::refusal(t.0, v) {
                return Err(invalid(format!("{n} {name} record(s): {why}")));
            }
            continue;
        }
        match nomad::info(t.0) {
            Some(i) if i.restore == nomad::Restore::Refused => {
                return Err(invalid(format!(
                    "{n} {name} record(s): {}",
                    nomad::refusal(t.0, nomad::KNOWN_UP_TO).unwrap_or_default()
                )))
            }
            Some(_) => {}
            None if nomad::is_enterprise(t.0) => warnings.push(format!(
                "{n} Nomad Enterprise record(s) of type {}: only Nomad Enterprise restores them",
                t.0
            )),
            None => {
                let m = format!(
                    "{n} record(s) of type {}, which no Nomad up to {} writes (Nomad's restore fails with \"Unrecognized snapshot type\")",
                    t.0,
                    nomad::KNOWN_UP_TO
                );
                if allow_unknown {
                    warnings.push(m);
                } else {
                    return Err(invalid(format!("{m}; --allow-unknown-types accepts them")));
                }
            }
        }
    }
    Ok(())
}

/// One record type in `compat` of a Nomad snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct CompatType {
    /// Type byte.
    pub id: u8,
    /// Nomad's name.
    pub name: String,
    /// Records.
    pub count: u64,
    /// The oldest Nomad release that restores it (`None`: none, or Enterprise only).
    pub since: Option<String>,
    /// The releases that restore it, in words.
    pub restored_by: String,
    /// Why the target cannot restore it (with a target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// `compat` of a Nomad snapshot: its types and the oldest Nomad that restores them all.
#[derive(Debug, Clone, Serialize)]
pub struct NomadCompat {
    /// Schema id.
    pub schema: &'static str,
    /// Always `nomad`.
    pub product: &'static str,
    /// The types present.
    pub types: Vec<CompatType>,
    /// The oldest Nomad CE release that restores every type (`None`: none does).
    pub oldest: Option<String>,
    /// The version asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether the target restores it (with a target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable: Option<bool>,
}

impl NomadCompat {
    /// Compat of a read Nomad snapshot, with an optional target version.
    pub fn new(snap: &Snapshot, target: Option<Version>) -> Self {
        let mut types = Vec::new();
        // Candidates: every release where some type starts being restored.
        let mut candidates: Vec<(u32, u32, u32)> = vec![(0, 1, 0)];
        for (t, s) in snap.types() {
            let i = nomad::info(t.0);
            if let Some(i) = i {
                candidates.extend_from_slice(i.since);
            }
            types.push(CompatType {
                id: t.0,
                name: nomad::type_name(t.0),
                count: s.count,
                since: i
                    .filter(|i| i.restore != nomad::Restore::Refused)
                    .map(|i| i.first().to_string()),
                restored_by: match i {
                    Some(i) => i.restored_by_text(),
                    None if nomad::is_enterprise(t.0) => "Nomad Enterprise only".into(),
                    None => format!("no Nomad release up to {}", nomad::KNOWN_UP_TO),
                },
                refused: target.and_then(|v| nomad::refusal(t.0, v)),
            });
        }
        candidates.sort();
        let oldest = candidates
            .into_iter()
            .map(|(a, b, c)| Version::ce(a, b, c))
            .find(|v| snap.types().all(|(t, _)| nomad::refusal(t.0, *v).is_none()))
            .map(|v| v.to_string());
        NomadCompat {
            schema: "snapinspect-nomad-compat/1",
            product: "nomad",
            restorable: target.map(|_| types.iter().all(|t| t.refused.is_none())),
            target: target.map(|v| v.to_string()),
            types,
            oldest,
        }
    }

    /// The text report.
    pub fn pretty(&self) -> String {
        let mut rows = vec!["Type|Count|Restored by".to_string()];
        for t in &self.types {
            rows.push(format!("{}|{}|{}", t.name, t.count, t.restored_by));
        }
        let mut out = columnize(&rows, "  ", "");
        out.push_str("\n\n");
        match &self.oldest {
            Some(v) => out.push_str(&format!(
                "Oldest Nomad that restores this snapshot: {v} (Nomad's restore fails on a record type it does not know)\n"
            )),
            None => out.push_str("No Nomad CE release restores this snapshot\n"),
        }
        if let Some(v) = &self.target {
            let refused: Vec<&String> = self
                .types
                .iter()
                .filter_map(|t| t.refused.as_ref())
                .collect();
            if refused.is_empty() {
                out.push_str(&format!("Nomad {v} restores it\n"));
            } else {
                out.push_str(&format!("Nomad {v} cannot restore it:\n"));
                for r in refused {
                    out.push_str(&format!("  {r}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibytes_matches_go_humanize() {
        for (n, s) in [
            (0, "0 B"),
            (9, "9 B"),
            (10, "10 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1300, "1.3 KiB"),
            (10 * 1024 - 1, "10 KiB"),
            (82854982, "79 MiB"),
        ] {
            assert_eq!(ibytes(n), s, "{n}");
        }
    }

    #[test]
    fn columnize_pads_all_but_the_last_column() {
        let out = columnize(
            &["a|bb|c".into(), " | | ".into(), "ccc|d|".into()],
            "  ",
            "",
        );
        assert_eq!(out, "a    bb  c\n         \nccc  d   ");
        let kv = columnize(&["Created|".into(), "ID|x".into()], " = ", "<none>");
        assert_eq!(kv, "Created = <none>\nID      = x");
    }
}
