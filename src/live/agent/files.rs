//! The agent's snapshot files: their names, and retention. Retention counts only valid
//! snapshots in this agent's own name pattern, orders them by their own time and raft index
//! (from meta.json, not from the name), never deletes the file just saved nor the newest
//! valid one, and never touches invalid files or files of any other name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::report::verify::{self, VerifyOptions};
use crate::snapshot::archive::{Input, ReadOptions, Snapshot};

/// The prefix of the agent's file names unless `name_prefix` says otherwise (the Enterprise
/// agent's local files start with it too).
pub const DEFAULT_PREFIX: &str = "consul";

/// Why `prefix` cannot start the agent's file names, if it cannot: it must be 1 to 64
/// letters, digits, `.`, `_` or `-`, and start with a letter or digit (no hidden files, no
/// paths, nothing a shell or another tool would read as an option).
pub fn check_prefix(prefix: &str) -> std::result::Result<(), String> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 64
        && prefix.starts_with(|c: char| c.is_ascii_alphanumeric())
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name prefix {prefix:?}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        ))
    }
}

/// The file name of a snapshot saved at `unix_ms` with raft index `index`:
/// `consul-<UTC time>-<index>.snap`.
pub fn file_name(unix_ms: u64, index: u64) -> String {
    file_name_with(DEFAULT_PREFIX, unix_ms, index)
}

/// The file name of a snapshot saved at `unix_ms` with raft index `index`, starting with
/// `prefix` instead of `consul`.
pub fn file_name_with(prefix: &str, unix_ms: u64, index: u64) -> String {
    let t = crate::report::inspect::details::rfc3339_utc(unix_ms); // 2026-11-30T12:00:00.123Z
    let compact: String = t.chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("{prefix}-{compact}-{index}.snap")
}

/// True for names [`file_name`] makes (the only files retention ever deletes).
pub fn is_agent_file(name: &str) -> bool {
    is_agent_file_with(DEFAULT_PREFIX, name)
}

/// True for names [`file_name_with`] makes with this prefix.
pub fn is_agent_file_with(prefix: &str, name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(".snap"))
    else {
        return false;
    };
    let Some((time, index)) = rest.rsplit_once('-') else {
        return false;
    };
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && time.len() >= 16
        && time.starts_with(|c: char| c.is_ascii_digit())
        && time.ends_with('Z')
        && time.contains('T')
        && !time.contains('-')
}

/// What retention knows of one valid snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The file.
    pub path: PathBuf,
    /// When the snapshot was taken, in Unix milliseconds: the time in its meta ID
    /// (`term-index-millis`, as raft names snapshots), else the file's modification time.
    pub time_ms: u64,
    /// Its raft index (meta.json).
    pub index: u64,
    /// Its record count.
    pub records: u64,
}

/// The time in a snapshot's meta ID (`term-index-millis`, as raft names snapshots), in Unix
/// milliseconds; `None` when the ID carries none.
pub(crate) fn time_in_id(id: &str) -> Option<u64> {
    id.rsplit('-')
        .next()
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|&t| t > 1_000_000_000_000)
}

impl Kept {
    /// From a verified snapshot read from `path`.
    pub fn of(path: &Path, snap: &Snapshot) -> Kept {
        let from_id = time_in_id(&snap.meta.id);
        let time_ms = from_id.unwrap_or_else(|| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0)
        });
        Kept {
            path: path.to_path_buf(),
            time_ms,
            index: snap.meta.index,
            records: snap.records,
        }
    }
}

/// A file's identity for the cache: length and modification time.
type Stamp = (u64, Option<SystemTime>);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    m.is_file().then(|| (m.len(), m.modified().ok()))
}

/// A file in the agent's pattern that is not a valid snapshot, and why.
pub type Invalid = (PathBuf, String);

/// What one retention pass did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Files deleted.
    pub removed: Vec<PathBuf>,
    /// Files in the agent's pattern that are not valid snapshots, with why (first seen).
    pub invalid: Vec<Invalid>,
}

/// Retention with a cache of what each file proved to be (each file is verified once while
/// it stays unchanged).
pub struct Retention {
    prefix: String,
    cache: HashMap<PathBuf, (Stamp, std::result::Result<Kept, String>)>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention::with_prefix(DEFAULT_PREFIX)
    }
}

impl Retention {
    /// Retention of the files whose names start with `prefix` (see [`file_name_with`]).
    pub fn with_prefix(prefix: &str) -> Retention {
        Retention {
            prefix: prefix.to_string(),
            cache: HashMap::new(),
        }
    }

    /// Remembers a file just saved (verified while it downloaded).
    pub fn remember(&mut self, path: &Path, snap: &Snapshot) {
        if let Some(s) = stamp(path) {
            self.cache
                .insert(path.to_path_buf(), (s, Ok(Kept::of(path, snap))));
        }
    }

    /// The valid agent snapshots in `dir`, newest first (by time, then index), and the
    /// invalid ones not reported before.
    pub fn scan(&mut self, dir: &Path) -> Result<(Vec<Kept>, Vec<Invalid>)> {
        let rd = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let mut valid = Vec::new();
        let mut new_invalid = Vec::new();
        let mut seen = Vec::new();
        for e in rd.flatten() {
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !is_agent_file_with(&self.prefix, &name) {
                continue;
            }
            let path = dir.join(&name);
            let Some(st) = stamp(&path) else { continue };
            seen.push(path.clone());
            match self.cache.get(&path) {
                Some((s, r)) if *s == st => {
                    if let Ok(k) = r {
                        valid.push(k.clone());
                    }
                    continue;
                }
                _ => {}
            }
            let opts = VerifyOptions {
                read: ReadOptions {
                    threaded: false,
                    ..Default::default()
                },
                ..Default::default()
            };
            let r = verify::check_input(&Input::Archive(path.clone()), &opts)
                .map(|v| Kept::of(&path, &v.snapshot))
                .map_err(|e| e.to_string());
            match &r {
                Ok(k) => valid.push(k.clone()),
                Err(why) => new_invalid.push((path.clone(), why.clone())),
            }
            self.cache.insert(path, (st, r));
        }
        self.cache.retain(|p, _| seen.contains(p));
        valid.sort_by_key(|k| std::cmp::Reverse((k.time_ms, k.index)));
        Ok((valid, new_invalid))
    }

    /// Deletes the valid agent snapshots in `dir` beyond the newest `retain` (0: keep all),
    /// never `just_saved` nor the newest valid one.
    pub fn prune(&mut self, dir: &Path, retain: usize, just_saved: &Path) -> Result<Pruned> {
        let (valid, invalid) = self.scan(dir)?;
        let mut out = Pruned {
            invalid,
            ..Default::default()
        };
        if retain == 0 {
            return Ok(out);
        }
        for (i, k) in valid.iter().enumerate() {
            if i < retain.max(1) || k.path == just_saved {
                continue;
            }
            std::fs::remove_file(&k.path)
                .map_err(|e| Error::io(format!("removing {}", k.path.display()), e))?;
            self.cache.remove(&k.path);
            out.removed.push(k.path.clone());
        }
        Ok(out)
    }
}

/// Warnings when a new snapshot holds much less than the one before it: its raft index went
/// back (a restore of an older snapshot, or another cluster), or its record count fell by
/// more than half.
pub fn drop_warnings(prev: &Kept, new: &Kept) -> Vec<String> {
    let mut w = Vec::new();
    if new.index < prev.index {
        w.push(format!(
            "the raft index went back from {} ({}) to {}: was an older snapshot restored, or is this another cluster?",
            prev.index,
            prev.path.display(),
            new.index
        ));
    }
    if prev.records >= 16 && new.records < prev.records / 2 {
        w.push(format!(
            "the record count fell from {} ({}) to {}: more than half of the data is gone",
            prev.records,
            prev.path.display(),
            new.records
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised() {
        let a = file_name(1_700_000_000_000, 12);
        assert_eq!(a, "consul-20231114T221320.000Z-12.snap");
        assert!(is_agent_file(&a));
        for other in [
            "consul-.snap",
            "backup.snap",
            "consul-20231114T221320.000Z-12.snap.tmp",
            "consul-x-1.snap",
            ".snapinspect-abc.tmp",
        ] {
            assert!(!is_agent_file(other), "{other}");
        }
    }

    /// Agents with different prefixes never count (nor delete) each other's files, even when
    /// one prefix starts with the other.
    #[test]
    fn prefixes_keep_agents_apart() {
        let a = file_name_with("foo", 1_700_000_000_000, 12);
        assert_eq!(a, "foo-20231114T221320.000Z-12.snap");
        assert!(is_agent_file_with("foo", &a));
        assert!(!is_agent_file(&a));
        let b = file_name_with("consul-2", 1_700_000_000_000, 12);
        assert!(is_agent_file_with("consul-2", &b));
        assert!(!is_agent_file(&b), "{b}");
        assert!(!is_agent_file_with(
            "consul-2",
            &file_name(1_700_000_000_000, 12)
        ));
        for good in ["consul", "foo", "dc1.prod", "a_b-c", "9"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "a b",
            "..",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    fn snap_bytes(index: u64) -> Vec<u8> {
        let meta = crate::snapshot::meta::SnapshotMeta {
            version: 1,
            id: format!("2-{index}-{}", 1_700_000_000_000 + index * 1000),
            index,
            term: 2,
            peers: None,
            servers: None,
            configuration_index: 0,
            size: 0,
            crc: None,
        };
        let mut state = vec![0x81, 0xa9];
        state.extend_from_slice(b"LastIndex");
        state.push(0x05);
        let opts = crate::write::WriteOptions {
            threads: 1,
            ..Default::default()
        };
        let len = state.len() as u64;
        crate::write::write_snapshot(Vec::new(), &meta, &mut &state[..], len, opts)
            .unwrap()
            .1
    }

    /// Names lie, contents do not: a far-future invalid file is never counted nor deleted,
    /// order follows meta.json, and the file just saved stays.
    #[test]
    fn prune_counts_valid_files_by_their_own_time() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Names in the reverse order of their contents' times.
        let mut paths = Vec::new();
        for i in 0..4u64 {
            let p = d.join(file_name(1_900_000_000_000 - i * 1000, i));
            std::fs::write(&p, snap_bytes(10 + i)).unwrap();
            paths.push(p);
        }
        let bogus = d.join(file_name(4_000_000_000_000, 99));
        std::fs::write(&bogus, b"not a snapshot").unwrap();
        std::fs::write(d.join("keep-me.snap"), b"x").unwrap();
        let mut r = Retention::default();
        let out = r.prune(d, 2, &paths[0]).unwrap();
        // Newest by content: paths[3] (index 13), then paths[2]; paths[0] was just saved.
        let mut removed = out.removed.clone();
        removed.sort();
        let mut want = vec![paths[1].clone()];
        want.sort();
        assert_eq!(removed, want);
        assert_eq!(out.invalid.len(), 1);
        assert!(bogus.exists() && paths[0].exists() && paths[2].exists() && paths[3].exists());
        // The invalid file is reported once.
        let out = r.prune(d, 2, &paths[0]).unwrap();
        assert!(out.invalid.is_empty());
        // retain 1: only the newest valid stays (and the bogus and foreign files).
        let out = r.prune(d, 1, &paths[3]).unwrap();
        assert_eq!(out.removed.len(), 2);
        assert!(paths[3].exists() && bogus.exists() && d.join("keep-me.snap").exists());
    }

    #[test]
    fn drops_are_named() {
        let k = |index, records| Kept {
            path: PathBuf::from("x"),
            time_ms: 0,
            index,
            records,
        };
        assert!(drop_warnings(&k(10, 100), &k(11, 100)).is_empty());
        assert_eq!(drop_warnings(&k(10, 100), &k(9, 100)).len(), 1);
        assert_eq!(drop_warnings(&k(10, 100), &k(11, 40)).len(), 1);
    }
}
