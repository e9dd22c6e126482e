//! `trend`: how a cluster's snapshots grow over time, per record type and per KV prefix.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::report::inspect::{KvOptions, KvStats};
use crate::snapshot::archive::{self, Input, ReadOptions};
use crate::snapshot::state::Tee;
use crate::snapshot::vault::Product;

/// One snapshot's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// The path as given.
    pub path: String,
    /// Snapshot ID.
    pub id: String,
    /// Creation time, Unix milliseconds (from the ID).
    pub created_unix_ms: Option<u64>,
    /// Raft index.
    pub index: u64,
    /// Bytes of state.bin.
    pub total_bytes: u64,
    /// Records and bytes per type name.
    pub types: BTreeMap<String, (u64, u64)>,
    /// Bytes per KV prefix (Vault: per key prefix).
    pub kv_prefixes: BTreeMap<String, u64>,
    /// Records per key prefix (Vault only; Consul's KV growth is by bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kv_prefix_counts: Option<BTreeMap<String, u64>>,
}

impl Point {
    /// Bytes of a type (`prefixes` false) or key prefix in this snapshot.
    pub fn bytes_of(&self, name: &str, prefixes: bool) -> u64 {
        if prefixes {
            self.kv_prefixes.get(name).copied().unwrap_or(0)
        } else {
            self.types.get(name).map(|t| t.1).unwrap_or(0)
        }
    }
}

/// Growth of one series from the first snapshot to the last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    /// Type name or key prefix.
    pub name: String,
    /// Bytes in the first snapshot.
    pub first_bytes: u64,
    /// Bytes in the last snapshot.
    pub last_bytes: u64,
    /// Records in the first snapshot (types only).
    pub first_count: Option<u64>,
    /// Records in the last snapshot (types only).
    pub last_count: Option<u64>,
    /// last - first, in bytes.
    pub delta_bytes: i64,
    /// Growth in percent of the first (`null` when the first is 0).
    pub percent: Option<f64>,
}

/// Schema id of trend's JSON (docs/trend.schema.json).
pub const SCHEMA: &str = "snapinspect-trend/1";

/// The trend report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendReport {
    /// Schema id, [`SCHEMA`].
    pub schema: &'static str,
    /// The product whose snapshots these are (one product per trend).
    pub product: Product,
    /// The snapshots, oldest first.
    pub snapshots: Vec<Point>,
    /// Per-type growth, largest delta first.
    pub types: Vec<Growth>,
    /// Per-prefix growth, largest delta first.
    pub kv_prefixes: Vec<Growth>,
}

fn growth(name: &str, first: u64, last: u64, counts: Option<(u64, u64)>) -> Growth {
    Growth {
        name: name.to_string(),
        first_bytes: first,
        last_bytes: last,
        first_count: counts.map(|c| c.0),
        last_count: counts.map(|c| c.1),
        delta_bytes: last as i64 - first as i64,
        percent: (first > 0)
            .then(|| ((last as f64 - first as f64) * 1000.0 / first as f64).round() / 10.0),
    }
}

/// Reads every input (one pass each) and orders them by creation time, then index.
pub fn trend(inputs: &[(String, Input)], kv_depth: usize) -> Result<TrendReport> {
    trend_with(inputs, kv_depth, &ReadOptions::default())
}

/// [`trend`], reading each snapshot with `read` (a size limit).
pub fn trend_with(
    inputs: &[(String, Input)],
    kv_depth: usize,
    read: &ReadOptions,
) -> Result<TrendReport> {
    if inputs.len() < 2 {
        return Err(Error::Usage("trend needs at least two snapshots".into()));
    }
    let mut points = Vec::new();
    let mut product: Option<(&str, Product)> = None;
    for (display, input) in inputs {
        let mut kv = KvStats::new(KvOptions {
            enabled: true,
            depth: kv_depth,
            filter: Vec::new(),
        });
        let mut vault = crate::report::vault::VaultStats::new(kv_depth, Vec::new());
        let snap =
            archive::read(input, read, &mut Tee(&mut kv, &mut vault)).map_err(|e| match e {
                Error::Invalid(mut i) => {
                    i.message = format!("{display}: {}", i.message);
                    Error::Invalid(i)
                }
                other => other,
            })?;
        match product {
            None => product = Some((display, snap.product)),
            Some((first, p)) if p != snap.product => {
                return Err(crate::report::vault::diff::mixed(
                    "trend",
                    (first, p),
                    (display, snap.product),
                ))
            }
            Some(_) => {}
        }
        if snap.product == Product::Vault {
            points.push(crate::report::vault::trend::point(display, &snap, &vault));
            continue;
        }
        // Growth per record type works for Consul and Nomad (Nomad's types, no KV); another
        // product is refused rather than read as an empty Consul one.
        if snap.product != Product::Nomad {
            snap.require_consul("trend")
                .map_err(|e| Error::Unsupported(format!("{display}: {e}")))?;
        }
        let report = crate::report::inspect::Report::new(&snap, Some(&kv));
        points.push(Point {
            path: display.clone(),
            id: snap.meta.id.clone(),
            created_unix_ms: snap.meta.created_unix_ms(),
            index: snap.meta.index,
            total_bytes: snap.state_size,
            types: snap
                .types()
                .map(|(t, s)| (snap.type_name(t.0), (s.count, s.size)))
                .collect(),
            kv_prefixes: report
                .stats_kv
                .unwrap_or_default()
                .into_iter()
                .map(|r| (String::from_utf8_lossy(&r.name).into_owned(), r.sum))
                .collect(),
            kv_prefix_counts: None,
        });
    }
    points.sort_by_key(|p| (p.created_unix_ms, p.index));
    let (first, last) = (&points[0], &points[points.len() - 1]);
    let type_names: BTreeSet<&String> = points.iter().flat_map(|p| p.types.keys()).collect();
    let mut types: Vec<Growth> = type_names
        .into_iter()
        .map(|n| {
            let f = first.types.get(n).copied().unwrap_or((0, 0));
            let l = last.types.get(n).copied().unwrap_or((0, 0));
            growth(n, f.1, l.1, Some((f.0, l.0)))
        })
        .collect();
    types.sort_by(|a, b| {
        b.delta_bytes
            .cmp(&a.delta_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    let prefixes: BTreeSet<&String> = points.iter().flat_map(|p| p.kv_prefixes.keys()).collect();
    let mut kv_prefixes: Vec<Growth> = prefixes
        .into_iter()
        .map(|n| {
            let counts = match (&first.kv_prefix_counts, &last.kv_prefix_counts) {
                (Some(f), Some(l)) => Some((
                    f.get(n).copied().unwrap_or(0),
                    l.get(n).copied().unwrap_or(0),
                )),
                _ => None,
            };
            growth(
                n,
                first.kv_prefixes.get(n).copied().unwrap_or(0),
                last.kv_prefixes.get(n).copied().unwrap_or(0),
                counts,
            )
        })
        .collect();
    kv_prefixes.sort_by(|a, b| {
        b.delta_bytes
            .cmp(&a.delta_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(TrendReport {
        schema: SCHEMA,
        product: product.map(|p| p.1).unwrap_or_default(),
        snapshots: points,
        types,
        kv_prefixes,
    })
}

impl TrendReport {
    /// What the chart draws: the caption, the series (largest last size first is up to the
    /// caller) and whether they are key prefixes (Vault) rather than record types.
    pub fn chart_series(&self) -> (&'static str, &[Growth], bool) {
        if self.product == Product::Vault {
            ("Snapshot size by key prefix", &self.kv_prefixes, true)
        } else {
            ("Snapshot size by record type", &self.types, false)
        }
    }

    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self, top: usize) -> String {
        crate::report::text(|w| self.write_text(w, top))
    }

    /// The report as text tables.
    pub fn write_text(&self, w: &mut dyn std::io::Write, top: usize) -> std::io::Result<()> {
        use crate::report::inspect::byte_size;
        w.write_all("Snapshots, oldest first\n".as_bytes())?;
        let mut tw = crate::go::tabwriter::TabWriter::for_people();
        tw.line(&[b"  Created", b"Index", b"Size", b"Path"]);
        for p in &self.snapshots {
            let created = p
                .created_unix_ms
                .map(crate::report::inspect::details::rfc3339_utc)
                .unwrap_or_else(|| "?".into());
            tw.line(&[
                format!("  {created}").as_bytes(),
                p.index.to_string().as_bytes(),
                byte_size(p.total_bytes).as_bytes(),
                p.path.as_bytes(),
            ]);
        }
        w.write_all(tw.finish_text().as_bytes())?;
        let prefixes = if self.product == Product::Vault {
            "Growth by key prefix"
        } else {
            "Growth by KV prefix"
        };
        for (title, rows) in [
            ("Growth by type", &self.types),
            (prefixes, &self.kv_prefixes),
        ] {
            if rows.is_empty() {
                continue;
            }
            write!(w, "\n\n{title}, first to last\n")?;
            let mut tw = crate::go::tabwriter::TabWriter::for_people();
            tw.line(&[b"  Name", b"First", b"Last", b"Change", b"Percent"]);
            for g in rows.iter().take(top) {
                let first = match g.first_count {
                    Some(c) => format!("{} ({c})", byte_size(g.first_bytes)),
                    None => byte_size(g.first_bytes),
                };
                let last = match g.last_count {
                    Some(c) => format!("{} ({c})", byte_size(g.last_bytes)),
                    None => byte_size(g.last_bytes),
                };
                let sign = if g.delta_bytes < 0 { "-" } else { "+" };
                tw.line(&[
                    format!("  {}", g.name).as_bytes(),
                    first.as_bytes(),
                    last.as_bytes(),
                    format!("{sign}{}", byte_size(g.delta_bytes.unsigned_abs())).as_bytes(),
                    match (g.percent, g.last_bytes) {
                        (Some(p), _) => format!("{p:+.1}%"),
                        (None, 0) => "-".into(),
                        (None, _) => "new".into(),
                    }
                    .as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
        }
        w.write_all(b"\n")?;
        Ok(())
    }
}

impl TrendReport {
    /// node_exporter textfile-collector metrics of the trend: the newest snapshot's figures per
    /// type and per prefix, and each series' growth from the first snapshot to the newest,
    /// every sample labelled with the product.
    pub fn prometheus(&self) -> String {
        use crate::report::verify::escape_label as esc;
        let product = format!("product=\"{}\"", self.product.name());
        let mut out = String::new();
        let mut family = |name: &str, help: &str, samples: Vec<(String, f64)>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
            for (labels, v) in samples {
                out.push_str(&format!("{name}{{{product}{labels}}} {v}\n"));
            }
        };
        let Some(last) = self.snapshots.last() else {
            return out;
        };
        family(
            "snapinspect_trend_snapshots",
            "Snapshots in the trend.",
            vec![(String::new(), self.snapshots.len() as f64)],
        );
        family(
            "snapinspect_trend_last_index",
            "Raft index of the newest snapshot.",
            vec![(String::new(), last.index as f64)],
        );
        family(
            "snapinspect_trend_records",
            "Records per type in the newest snapshot (Vault: StorageEntry, all entries).",
            last.types
                .iter()
                .map(|(t, c)| (format!(",type=\"{}\"", esc(t)), c.0 as f64))
                .collect(),
        );
        family(
            "snapinspect_trend_bytes",
            "Bytes per type in the newest snapshot.",
            last.types
                .iter()
                .map(|(t, c)| (format!(",type=\"{}\"", esc(t)), c.1 as f64))
                .collect(),
        );
        family(
            "snapinspect_trend_prefix_bytes",
            "Bytes per KV prefix (Vault: key prefix) in the newest snapshot.",
            last.kv_prefixes
                .iter()
                .map(|(p, b)| (format!(",prefix=\"{}\"", esc(p)), *b as f64))
                .collect(),
        );
        family(
            "snapinspect_trend_prefix_entries",
            "Entries per key prefix in the newest snapshot (Vault).",
            last.kv_prefix_counts
                .iter()
                .flatten()
                .map(|(p, c)| (format!(",prefix=\"{}\"", esc(p)), *c as f64))
                .collect(),
        );
        family(
            "snapinspect_trend_growth_bytes",
            "Bytes of the newest snapshot minus the first, per type and per prefix.",
            self.types
                .iter()
                .map(|g| (format!(",type=\"{}\"", esc(&g.name)), g.delta_bytes as f64))
                .chain(self.kv_prefixes.iter().map(|g| {
                    (
                        format!(",prefix=\"{}\"", esc(&g.name)),
                        g.delta_bytes as f64,
                    )
                }))
                .collect(),
        );
        out
    }
}
