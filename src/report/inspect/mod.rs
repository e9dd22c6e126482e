//! The `inspect` report: exactly what `consul snapshot inspect` prints, pretty or JSON.

pub mod details;

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::go::msgpack;
use crate::go::tabwriter::TabWriter;
use crate::snapshot::archive::Snapshot;
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::state::{MessageType, Record, RecordSink};

/// Options of the KV breakdown (`-kvdetails`, `-kvdepth`, `-kvfilter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvOptions {
    /// Group KV entries by key prefix.
    pub enabled: bool,
    /// Number of `/`-separated key parts in a prefix.
    pub depth: usize,
    /// Only keys starting with this.
    pub filter: Vec<u8>,
}

impl Default for KvOptions {
    fn default() -> Self {
        KvOptions {
            enabled: false,
            depth: 2,
            filter: Vec::new(),
        }
    }
}

/// The key prefix Consul's inspect groups a KV key under.
pub fn kv_prefix(key: &[u8], depth: usize) -> &[u8] {
    if depth == 0 {
        return &key[..0];
    }
    let mut parts = 0;
    for (i, &b) in key.iter().enumerate() {
        if b == b'/' {
            parts += 1;
            if parts == depth {
                return &key[..i];
            }
        }
    }
    key
}

/// Collects the KV breakdown while records stream by.
#[derive(Debug, Default)]
pub struct KvStats {
    opts: KvOptions,
    by_prefix: HashMap<Vec<u8>, (u64, u64)>,
    total: u64,
}

impl KvStats {
    /// A collector for these options.
    pub fn new(opts: KvOptions) -> Self {
        KvStats {
            opts,
            ..Default::default()
        }
    }

    /// Adds one KV record's key and Consul-accounted size.
    pub fn add(&mut self, key: &[u8], size: u64) {
        if !self.opts.filter.is_empty() && !key.starts_with(&self.opts.filter) {
            return;
        }
        let p = kv_prefix(key, self.opts.depth);
        let e = self.by_prefix.entry(p.to_vec()).or_default();
        e.0 += 1;
        e.1 += size;
        self.total += size;
    }
}

/// The key of a KVS record's value.
pub fn kv_key(value: &[u8]) -> Option<Vec<u8>> {
    let (v, _) = msgpack::decode(value).ok()?;
    v.get("Key").and_then(|k| k.as_bytes()).map(|k| k.to_vec())
}

impl RecordSink for KvStats {
    fn wants_value(&mut self, mtype: MessageType) -> bool {
        self.opts.enabled && mtype == MessageType::KVS
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        // Another sink may have asked for values of other types: count only KVS records.
        if !self.opts.enabled || r.mtype != MessageType::KVS {
            return Ok(());
        }
        if let Some(v) = r.value {
            if let Some(key) = kv_key(v) {
                self.add(&key, r.consul_size);
            }
        }
        Ok(())
    }
}

/// One row of a table: a name, its total bytes and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Type name or key prefix (raw bytes for prefixes).
    #[serde(rename = "Name", serialize_with = "ser_name")]
    pub name: Vec<u8>,
    /// Bytes.
    #[serde(rename = "Sum")]
    pub sum: u64,
    /// Records.
    #[serde(rename = "Count")]
    pub count: u64,
}

fn ser_name<S: serde::Serializer>(name: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    // Go's encoding/json replaces each invalid UTF-8 byte with U+FFFD.
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('\u{fffd}');
        }
    }
    s.serialize_str(&out)
}

/// The meta block of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportMeta {
    /// Snapshot ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// meta.json Size.
    pub size: i64,
    /// Raft index.
    pub index: u64,
    /// Raft term.
    pub term: u64,
    /// Metadata version.
    pub version: i64,
}

impl ReportMeta {
    /// The meta block of the pretty layout (ID, Size, Index, Term, Version), as Consul's and
    /// Vault's inspect both print it.
    pub(crate) fn lines(&self, tw: &mut TabWriter) {
        tw.line(&[b" ID", self.id.as_bytes()]);
        tw.line(&[b" Size", self.size.to_string().as_bytes()]);
        tw.line(&[b" Index", self.index.to_string().as_bytes()]);
        tw.line(&[b" Term", self.term.to_string().as_bytes()]);
        tw.line(&[b" Version", self.version.to_string().as_bytes()]);
    }
}

impl From<&SnapshotMeta> for ReportMeta {
    fn from(m: &SnapshotMeta) -> Self {
        ReportMeta {
            id: m.id.clone(),
            size: m.size,
            index: m.index,
            term: m.term,
            version: m.version,
        }
    }
}

/// What `consul snapshot inspect` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The meta block.
    #[serde(rename = "Meta")]
    pub meta: ReportMeta,
    /// Per-type rows, largest first.
    #[serde(rename = "Stats")]
    pub stats: Vec<Row>,
    /// Per-prefix KV rows, or `None` when there are none.
    #[serde(rename = "StatsKV")]
    pub stats_kv: Option<Vec<Row>>,
    /// Sum of all record sizes.
    #[serde(rename = "TotalSize")]
    pub total_size: u64,
    /// Sum of the KV rows.
    #[serde(rename = "TotalSizeKV")]
    pub total_size_kv: u64,
}

fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| b.sum.cmp(&a.sum).then_with(|| a.name.cmp(&b.name)));
}

impl Report {
    /// Builds a report from rows in any order, sorting them as Consul does.
    pub fn from_parts(
        meta: ReportMeta,
        mut stats: Vec<Row>,
        mut stats_kv: Option<Vec<Row>>,
        total_size: u64,
        total_size_kv: u64,
    ) -> Report {
        sort_rows(&mut stats);
        if let Some(rows) = stats_kv.as_mut() {
            sort_rows(rows);
        }
        Report {
            meta,
            stats,
            stats_kv,
            total_size,
            total_size_kv,
        }
    }

    /// Builds the report from a read snapshot and its KV breakdown.
    pub fn new(snap: &Snapshot, kv: Option<&KvStats>) -> Report {
        let mut stats: Vec<Row> = snap
            .types()
            .map(|(t, s)| Row {
                name: t.name().into_bytes(),
                sum: s.size,
                count: s.count,
            })
            .collect();
        sort_rows(&mut stats);
        let total_size = stats.iter().map(|r| r.sum).sum();
        let (stats_kv, total_size_kv) = match kv {
            Some(kv) if !kv.by_prefix.is_empty() => {
                let mut rows: Vec<Row> = kv
                    .by_prefix
                    .iter()
                    .map(|(p, (c, s))| Row {
                        name: p.clone(),
                        sum: *s,
                        count: *c,
                    })
                    .collect();
                sort_rows(&mut rows);
                (Some(rows), kv.total)
            }
            _ => (None, 0),
        };
        Report {
            meta: ReportMeta::from(&snap.meta),
            stats,
            stats_kv,
            total_size,
            total_size_kv,
        }
    }

    /// Consul's pretty layout, without the final newline the CLI adds.
    pub fn pretty(&self) -> Vec<u8> {
        let mut tw = TabWriter::new(8, 6);
        self.meta.lines(&mut tw);
        tw.line(&[b""]);
        table(&mut tw, b" Type", &self.stats, self.total_size);
        if let Some(kv) = &self.stats_kv {
            tw.line(&[b""]);
            table(&mut tw, b" Key Name", kv, self.total_size_kv);
        }
        tw.finish()
    }

    /// Consul's JSON layout (`MarshalIndent` with three spaces), without a final newline.
    pub fn json(&self) -> String {
        crate::go::json::to_string_indent(self, b"   ")
    }
}

fn table(tw: &mut TabWriter, title: &[u8], rows: &[Row], total: u64) {
    tw.line(&[title, b"Count", b"Size"]);
    tw.line(&[b" ----", b"----", b"----"]);
    for r in rows {
        let mut name = b" ".to_vec();
        name.extend_from_slice(&r.name);
        tw.line(&[
            &name,
            r.count.to_string().as_bytes(),
            byte_size(r.sum).as_bytes(),
        ]);
    }
    tw.line(&[b" ----", b"----", b"----"]);
    tw.line(&[b" Total", b"", byte_size(total).as_bytes()]);
}

/// The meta-only layout of Consul 1.8 and older (`ID`, `Size`, `Index`, `Term`, `Version`).
pub fn legacy(meta: &SnapshotMeta) -> Vec<u8> {
    let mut tw = TabWriter::new(0, 6);
    tw.line(&[b"ID", meta.id.as_bytes()]);
    tw.line(&[b"Size", meta.size.to_string().as_bytes()]);
    tw.line(&[b"Index", meta.index.to_string().as_bytes()]);
    tw.line(&[b"Term", meta.term.to_string().as_bytes()]);
    tw.line(&[b"Version", meta.version.to_string().as_bytes()]);
    let mut out = tw.finish();
    out.push(b'\n');
    out
}

/// Consul's `ByteSize`: binary multiples, one decimal, a trailing `.0` dropped.
pub fn byte_size(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
    ];
    if n == 0 {
        return "0".into();
    }
    let (div, unit) = UNITS
        .iter()
        .find(|(d, _)| n >= *d)
        .copied()
        .unwrap_or((1, "B"));
    let mut s = format!("{:.1}", n as f64 / div as f64);
    if s.ends_with(".0") {
        s.truncate(s.len() - 2);
    }
    s + unit
}

/// Validates a `-kvdepth` value.
pub fn kv_depth(depth: i64) -> Result<usize> {
    usize::try_from(depth)
        .map_err(|_| Error::Usage(format!("-kvdepth must not be negative (got {depth})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_match_consul() {
        for (n, s) in [
            (0, "0"),
            (313, "313B"),
            (1740, "1.7KB"),
            (2048, "2KB"),
            (5141, "5KB"),
            (17228, "16.8KB"),
            (1280, "1.2KB"),
            (3328, "3.2KB"),
            (4625420898, "4.3GB"),
        ] {
            assert_eq!(byte_size(n), s, "{n}");
        }
    }

    #[test]
    fn prefixes_match_consul() {
        assert_eq!(kv_prefix(b"vault/core/leader/x", 2), b"vault/core");
        assert_eq!(kv_prefix(b"a/b/", 3), b"a/b/");
        assert_eq!(kv_prefix(b"abc", 2), b"abc");
        assert_eq!(kv_prefix(b"abc", 0), b"");
    }
}
