//! `inspect` of a Vault snapshot, as `vault operator raft snapshot inspect` prints it
//! (Vault's `command/operator_raft_snapshot_inspect.go`): the meta block, then key counts and
//! sizes by key prefix (`-depth`, `-filter`), sorted by count descending then name, and the
//! total size; `-format=json` is its `OutputFormat` through `OutputData`, that is
//! `json.MarshalIndent(data, "", "  ")` (Vault's `command/format.go`).

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Result;
use crate::go::tabwriter::TabWriter;
use crate::report::inspect::{byte_size, ReportMeta};
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::state::RecordSink;
use crate::snapshot::vault::VaultEntry;

use super::prefix;

/// Counts Vault entries by key prefix, as Vault's `kvEnhance` does.
#[derive(Debug, Default)]
pub struct VaultStats {
    depth: usize,
    filter: Vec<u8>,
    prefixes: HashMap<Vec<u8>, (u64, u64)>,
    total_count: u64,
    total_size: u64,
}

impl VaultStats {
    /// `depth` 0 means the whole key; `filter` keeps keys with that prefix.
    pub fn new(depth: usize, filter: impl Into<Vec<u8>>) -> Self {
        VaultStats {
            depth,
            filter: filter.into(),
            ..Default::default()
        }
    }
}

impl VaultStats {
    /// Count and size (message bytes) per key prefix, in no particular order.
    pub fn prefixes(&self) -> impl Iterator<Item = (&[u8], u64, u64)> + '_ {
        self.prefixes
            .iter()
            .map(|(k, (c, s))| (k.as_slice(), *c, *s))
    }

    /// Entries counted and their message bytes.
    pub fn totals(&self) -> (u64, u64) {
        (self.total_count, self.total_size)
    }
}

impl RecordSink for VaultStats {
    fn vault_entry(&mut self, e: &VaultEntry<'_>) -> Result<()> {
        if e.key.is_empty() || !e.key.starts_with(&self.filter) {
            return Ok(());
        }
        // Vault adds GetLastReadSize: the message without its length prefix.
        let s = self
            .prefixes
            .entry(prefix(e.key, self.depth).to_vec())
            .or_default();
        s.0 += 1;
        s.1 += e.size;
        self.total_count += 1;
        self.total_size += e.size;
        Ok(())
    }
}

/// Vault's `MetadataInfo`: the same fields, names and layout as Consul's meta block.
pub type MetadataInfo = ReportMeta;

/// Vault's `typeStats`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TypeStats {
    name: String,
    count: u64,
    size: u64,
}

/// Vault's `OutputFormat`: what inspect prints.
#[derive(Debug, Clone, Serialize)]
pub struct VaultReport {
    #[serde(rename = "Meta")]
    meta: MetadataInfo,
    #[serde(rename = "StatsKV")]
    stats_kv: Option<Vec<TypeStats>>,
    #[serde(rename = "TotalCountKV")]
    total_count_kv: u64,
    #[serde(rename = "TotalSizeKV")]
    total_size_kv: u64,
}

impl VaultReport {
    /// The report of a read that fed `stats`.
    pub fn new(meta: &SnapshotMeta, stats: &VaultStats) -> Self {
        let mut rows: Vec<TypeStats> = stats
            .prefixes
            .iter()
            .map(|(k, (c, s))| TypeStats {
                // Keys are valid UTF-8 (the walker checks), so prefixes are too.
                name: String::from_utf8_lossy(k).into_owned(),
                count: *c,
                size: *s,
            })
            .collect();
        rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        VaultReport {
            meta: MetadataInfo::from(meta),
            stats_kv: if rows.is_empty() { None } else { Some(rows) },
            total_count_kv: stats.total_count,
            total_size_kv: stats.total_size,
        }
    }

    /// Vault's table layout (`formatTable`), without the newline `UI.Output` adds.
    pub fn pretty(&self) -> Vec<u8> {
        let mut tw = TabWriter::new(8, 6);
        self.meta.lines(&mut tw);
        if let Some(rows) = &self.stats_kv {
            tw.line(&[b""]);
            tw.line(&[b""]);
            tw.line(&[b" Key Name", b"Count", b"Size"]);
            tw.line(&[b" ----", b"----", b"----"]);
            for r in rows {
                let name = format!(" {}", r.name);
                tw.line(&[
                    name.as_bytes(),
                    r.count.to_string().as_bytes(),
                    byte_size(r.size).as_bytes(),
                ]);
            }
            tw.line(&[b" ----", b"----"]);
            tw.line(&[
                b" Total Size",
                b"",
                byte_size(self.total_size_kv).as_bytes(),
            ]);
        } else {
            tw.line(&[b""]);
        }
        tw.finish()
    }

    /// Vault's JSON (`json.MarshalIndent(data, "", "  ")`), without the final newline.
    pub fn json(&self) -> String {
        crate::go::json::to_string_indent(self, b"  ")
    }
}
