//! `diff` of two Vault snapshots, by key: added, removed, changed (size, fingerprint or
//! `seal_wrap` differs), with a summary per key prefix. Values are ciphertext: they are
//! compared by a SHA-256 fingerprint and shown only as size and fingerprint, with no flag to
//! show them.
//!
//! As Consul's diff, three streamed passes keep memory proportional to the number of keys,
//! not their size: OLD once for a sorted table of 24 bytes a key (a 64-bit hash of the key,
//! the value's fingerprint, size and flags), NEW once to classify every key by binary search,
//! OLD again for the keys that NEW no longer has. Only the differing keys are kept with their
//! names. Hashes are SHA-256 prefixes of 64 bits, as Consul's diff compares 64-bit hashes.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::report::diff::{side, ChangeKind, DiffOptions};
use crate::snapshot::archive::{self, Input, ReadOptions, Snapshot};
use crate::snapshot::state::RecordSink;
use crate::snapshot::vault::{Product, VaultEntry};

use super::prefix;

/// Key depth of the summary's prefixes: the default of `-depth` in Vault's
/// `command/operator_raft_snapshot_inspect.go`.
pub const SUMMARY_DEPTH: usize = 2;

/// What a diff compares of one value: its fingerprint, size and `seal_wrap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Side {
    fingerprint: [u8; 8],
    /// Values are at most an entry long, 64 MiB (`snapshot::vault::MAX_ENTRY`).
    bytes: u32,
    seal_wrap: bool,
}

impl Side {
    fn of(e: &VaultEntry<'_>) -> Side {
        let d = Sha256::digest(e.value);
        Side {
            fingerprint: d[..8].try_into().expect("8 bytes"),
            bytes: u32::try_from(e.value_len).unwrap_or(u32::MAX),
            seal_wrap: e.seal_wrap,
        }
    }

    fn shown(&self) -> ValueSide {
        ValueSide {
            bytes: self.bytes as u64,
            fingerprint: crate::snapshot::archive::hex(&self.fingerprint),
            seal_wrap: self.seal_wrap,
        }
    }
}

fn key_hash(key: &[u8]) -> u64 {
    u64::from_le_bytes(Sha256::digest(key)[..8].try_into().expect("8 bytes"))
}

/// One key of OLD: 24 bytes (the fields of [`Side`] laid out flat).
#[derive(Debug, Clone, Copy)]
struct Old {
    key: u64,
    fingerprint: [u8; 8],
    bytes: u32,
    seal_wrap: bool,
    seen: bool,
}

const _: () = assert!(std::mem::size_of::<Old>() == 24);

impl Old {
    fn new(key: &[u8], s: Side) -> Old {
        Old {
            key: key_hash(key),
            fingerprint: s.fingerprint,
            bytes: s.bytes,
            seal_wrap: s.seal_wrap,
            seen: false,
        }
    }

    fn side(&self) -> Side {
        Side {
            fingerprint: self.fingerprint,
            bytes: self.bytes,
            seal_wrap: self.seal_wrap,
        }
    }
}

/// OLD's keys, sorted by key hash once pass 1 is done.
struct OldKeys(Vec<Old>);

impl OldKeys {
    fn get_mut(&mut self, key: &[u8]) -> Option<&mut Old> {
        let h = key_hash(key);
        let i = self.0.binary_search_by_key(&h, |o| o.key).ok()?;
        Some(&mut self.0[i])
    }

    fn get(&self, key: &[u8]) -> Option<&Old> {
        let h = key_hash(key);
        let i = self.0.binary_search_by_key(&h, |o| o.key).ok()?;
        Some(&self.0[i])
    }
}

/// One side of a changed entry: the value's size and fingerprint, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueSide {
    /// Length of the (encrypted) value.
    pub bytes: u64,
    /// First 8 bytes of the value's SHA-256, hex.
    pub fingerprint: String,
    /// The entry's `seal_wrap` flag.
    pub seal_wrap: bool,
}

/// One differing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// The storage key.
    pub key: String,
    /// How it differs (`added`, `removed` or `changed`).
    pub change: ChangeKind,
    /// OLD's value (`null` when added).
    pub old: Option<ValueSide>,
    /// NEW's value (`null` when removed).
    pub new: Option<ValueSide>,
}

/// Counts of one key prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefixSummary {
    /// The key prefix ([`SUMMARY_DEPTH`] parts).
    pub prefix: String,
    /// Keys only in NEW.
    pub added: u64,
    /// Keys only in OLD.
    pub removed: u64,
    /// Keys whose value differs.
    pub changed: u64,
    /// Keys that are the same.
    pub unchanged: u64,
}

/// The diff of two Vault snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VaultDiffReport {
    /// Schema identifier (the diff's).
    pub schema: &'static str,
    /// Always Vault.
    pub product: Product,
    /// OLD's snapshot ID.
    pub old_id: String,
    /// NEW's snapshot ID.
    pub new_id: String,
    /// OLD's raft index (Vault's IDs do not tell snapshots apart).
    pub old_index: u64,
    /// NEW's raft index.
    pub new_index: u64,
    /// OLD as given (text header only).
    #[serde(skip)]
    pub old_path: String,
    /// NEW as given (text header only).
    #[serde(skip)]
    pub new_path: String,
    /// Per-prefix counts, by prefix.
    pub summary: Vec<PrefixSummary>,
    /// The differing keys, in key order.
    pub changes: Vec<KeyChange>,
    /// True when nothing differs.
    pub identical: bool,
}

fn selected(opts: &DiffOptions, key: &[u8]) -> bool {
    opts.kv_prefix.as_ref().is_none_or(|p| key.starts_with(p))
}

/// Pass 1 over OLD: key hash to value, for every selected key.
pub struct IndexPass<'a> {
    opts: &'a DiffOptions,
    keys: Vec<Old>,
}

impl<'a> IndexPass<'a> {
    /// A pass with the diff's key filter.
    pub fn new(opts: &'a DiffOptions) -> Self {
        IndexPass {
            opts,
            keys: Vec::new(),
        }
    }
}

impl RecordSink for IndexPass<'_> {
    fn vault_entry(&mut self, e: &VaultEntry<'_>) -> Result<()> {
        if selected(self.opts, e.key) {
            // Keys are unique: the walker fails a snapshot that repeats one.
            self.keys.push(Old::new(e.key, Side::of(e)));
        }
        Ok(())
    }
}

struct ClassifyPass<'a> {
    opts: &'a DiffOptions,
    old: OldKeys,
    changes: Vec<KeyChange>,
    unchanged: BTreeMap<String, u64>,
}

impl RecordSink for ClassifyPass<'_> {
    fn vault_entry(&mut self, e: &VaultEntry<'_>) -> Result<()> {
        if !selected(self.opts, e.key) {
            return Ok(());
        }
        let new = Side::of(e);
        let key = || String::from_utf8_lossy(e.key).into_owned();
        match self.old.get_mut(e.key) {
            None => self.changes.push(KeyChange {
                key: key(),
                change: ChangeKind::Added,
                old: None,
                new: Some(new.shown()),
            }),
            Some(o) => {
                o.seen = true;
                let old = o.side();
                if old == new {
                    let p = String::from_utf8_lossy(prefix(e.key, SUMMARY_DEPTH)).into_owned();
                    *self.unchanged.entry(p).or_default() += 1;
                } else {
                    self.changes.push(KeyChange {
                        key: key(),
                        change: ChangeKind::Changed,
                        old: Some(old.shown()),
                        new: Some(new.shown()),
                    });
                }
            }
        }
        Ok(())
    }
}

struct RemovedPass<'a> {
    opts: &'a DiffOptions,
    old: &'a OldKeys,
    removed: Vec<KeyChange>,
}

impl RecordSink for RemovedPass<'_> {
    fn vault_entry(&mut self, e: &VaultEntry<'_>) -> Result<()> {
        if !selected(self.opts, e.key) {
            return Ok(());
        }
        if let Some(o) = self.old.get(e.key).filter(|o| !o.seen) {
            self.removed.push(KeyChange {
                key: String::from_utf8_lossy(e.key).into_owned(),
                change: ChangeKind::Removed,
                old: Some(o.side().shown()),
                new: None,
            });
        }
        Ok(())
    }
}

/// The one-line refusal (exit 5) of a diff or trend across products.
pub fn mixed(what: &str, a: (&str, Product), b: (&str, Product)) -> Error {
    Error::Unsupported(format!(
        "{what} compares snapshots of one product: {} is a {} snapshot, {} is a {} snapshot",
        a.0,
        a.1.title(),
        b.0,
        b.1.title()
    ))
}

/// Refuses the diff options that have no meaning for Vault (exit 2).
fn check_options(opts: &DiffOptions) -> Result<()> {
    if !opts.types.is_empty() || !opts.nomad_types.is_empty() {
        return Err(Error::Usage(
            "--type selects Consul's or Nomad's record types; a Vault snapshot holds only StorageEntry records (select keys with --kv-prefix)".into(),
        ));
    }
    if opts.show_values {
        return Err(Error::Usage(
            "--show-values: Vault's values are encrypted by its barrier; diff compares them by size and fingerprint only".into(),
        ));
    }
    Ok(())
}

/// Finishes a diff whose OLD (read by `pass1`, giving `old_snap`) is a Vault snapshot: reads
/// NEW, then OLD again for removed keys.
pub fn rest(
    pass1: IndexPass<'_>,
    old_snap: &Snapshot,
    old: &Input,
    new: &Input,
    opts: &DiffOptions,
    read: &ReadOptions,
) -> Result<VaultDiffReport> {
    check_options(opts)?;
    let mut p2 = ClassifyPass {
        opts,
        old: {
            let mut keys = pass1.keys;
            keys.shrink_to_fit();
            keys.sort_unstable_by_key(|o| o.key);
            OldKeys(keys)
        },
        changes: Vec::new(),
        unchanged: BTreeMap::new(),
    };
    let new_snap = archive::read(new, read, &mut p2).map_err(|e| side(e, "NEW", new))?;
    if new_snap.product != Product::Vault {
        return Err(mixed(
            "diff",
            (&format!("OLD {}", old.display()), old_snap.product),
            (&format!("NEW {}", new.display()), new_snap.product),
        ));
    }
    let mut changes = p2.changes;
    if p2.old.0.iter().any(|o| !o.seen) {
        let mut p3 = RemovedPass {
            opts,
            old: &p2.old,
            removed: Vec::new(),
        };
        archive::read(old, read, &mut p3).map_err(|e| side(e, "OLD", old))?;
        changes.extend(p3.removed);
    }
    changes.sort_by(|a, b| a.key.cmp(&b.key));
    let mut summary: BTreeMap<String, PrefixSummary> = BTreeMap::new();
    for (p, n) in &p2.unchanged {
        summary
            .entry(p.clone())
            .or_insert_with(|| PrefixSummary {
                prefix: p.clone(),
                ..Default::default()
            })
            .unchanged += n;
    }
    for c in &changes {
        let p = String::from_utf8_lossy(prefix(c.key.as_bytes(), SUMMARY_DEPTH)).into_owned();
        let s = summary.entry(p.clone()).or_insert_with(|| PrefixSummary {
            prefix: p,
            ..Default::default()
        });
        match c.change {
            ChangeKind::Added => s.added += 1,
            ChangeKind::Removed => s.removed += 1,
            _ => s.changed += 1,
        }
    }
    Ok(VaultDiffReport {
        schema: "snapinspect-diff/1",
        product: Product::Vault,
        old_id: old_snap.meta.id.clone(),
        new_id: new_snap.meta.id.clone(),
        old_index: old_snap.meta.index,
        new_index: new_snap.meta.index,
        old_path: old.display(),
        new_path: new.display(),
        identical: changes.is_empty(),
        summary: summary.into_values().collect(),
        changes,
    })
}

fn describe(v: &ValueSide) -> String {
    format!(
        "{} bytes, fingerprint {}{}",
        v.bytes,
        v.fingerprint,
        if v.seal_wrap { ", seal-wrapped" } else { "" }
    )
}

impl VaultDiffReport {
    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self, stat_only: bool) -> String {
        crate::report::text(|w| self.write_text(w, stat_only))
    }

    /// The report as text: the summary by key prefix, then each differing key by prefix.
    pub fn write_text(&self, w: &mut dyn std::io::Write, stat_only: bool) -> std::io::Result<()> {
        write!(
            w,
            "--- {}  ({}, index {})\n+++ {}  ({}, index {})\n\n",
            self.old_path, self.old_id, self.old_index, self.new_path, self.new_id, self.new_index
        )?;
        let esc = |t: &str| crate::go::tabwriter::escape(t.as_bytes());
        let mut tw = crate::go::tabwriter::TabWriter::for_people();
        tw.line(&[b"Prefix", b"Added", b"Removed", b"Changed", b"Unchanged"]);
        for s in &self.summary {
            tw.line(&[
                s.prefix.as_bytes(),
                s.added.to_string().as_bytes(),
                s.removed.to_string().as_bytes(),
                s.changed.to_string().as_bytes(),
                s.unchanged.to_string().as_bytes(),
            ]);
        }
        w.write_all(tw.finish_text().as_bytes())?;
        w.write_all(b"\n")?;
        if self.identical {
            w.write_all(b"\nidentical\n")?;
            return Ok(());
        }
        if stat_only {
            return Ok(());
        }
        let mut current: Option<&[u8]> = None;
        for c in &self.changes {
            let p = prefix(c.key.as_bytes(), SUMMARY_DEPTH);
            if current != Some(p) {
                write!(w, "\n{}\n", crate::go::tabwriter::escape(p))?;
                current = Some(p);
            }
            let (sign, text) = match (c.change, &c.old, &c.new) {
                (ChangeKind::Added, _, Some(n)) => ('+', describe(n)),
                (ChangeKind::Removed, Some(o), _) => ('-', describe(o)),
                (_, Some(o), Some(n)) => {
                    let mut t = if o.bytes == n.bytes {
                        format!("{} bytes", n.bytes)
                    } else {
                        format!("{} -> {} bytes", o.bytes, n.bytes)
                    };
                    if o.fingerprint == n.fingerprint {
                        t.push_str(&format!(", fingerprint {}", n.fingerprint));
                    } else {
                        t.push_str(&format!(
                            ", fingerprint {} -> {}",
                            o.fingerprint, n.fingerprint
                        ));
                    }
                    if o.seal_wrap != n.seal_wrap {
                        t.push_str(&format!(", seal_wrap {} -> {}", o.seal_wrap, n.seal_wrap));
                    } else if n.seal_wrap {
                        t.push_str(", seal-wrapped");
                    }
                    ('~', t)
                }
                _ => ('?', String::new()),
            };
            writeln!(w, "  {sign} {}  {text}", esc(&c.key))?;
        }
        Ok(())
    }
}
