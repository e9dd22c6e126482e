//! The agent writing to object storage (S3, Azure Blob, GCS): object names as the Enterprise
//! snapshot agent makes them, the save (streamed into a multipart upload while it is
//! verified, or through a local scratch directory), and retention of the agent's own objects
//! under its prefix with the same safety rules as the local files'.
//!
//! The Enterprise agent's reference (hashicorp/consul
//! `website/content/commands/snapshot/agent.mdx`) says its objects are
//! `<aws-s3-key-prefix>/consul-*.snap` with the snapshot ID in the name, the ID "a UNIX
//! timestamp with nanosecond resolution"; with `-aws-s3-static-snapshot-name` "the `<key>` is
//! simply the value of that configuration" and nothing is rotated; `-local-scratch-path` is
//! where snapshots are stored "prior to sending them off to the configured storage backend".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::run::Outcome;
use super::*;
use crate::live::storage::{ObjectUrl, Storage};
use crate::live::upload::{self, Listed};

/// Where a remote agent writes: the store, the bucket and key prefix, and how.
#[derive(Debug, Clone)]
pub struct RemoteTarget {
    /// The client (its settings: region, endpoint, encryption, credentials).
    pub storage: Arc<Storage>,
    /// The bucket (container) and the key prefix, as a prefix URL (`s3://bucket/prefix/`, or
    /// `s3://bucket/` for none).
    pub prefix: ObjectUrl,
    /// Every snapshot under this one key (`-aws-s3-static-snapshot-name`): no rotation.
    pub static_name: Option<String>,
    /// Save and verify into this directory first, then upload (`local_scratch_path`).
    pub scratch: Option<PathBuf>,
}

impl RemoteTarget {
    /// A target in `bucket` under `key_prefix` (slashes around it are trimmed; empty: the
    /// bucket's top).
    pub fn new(storage: Arc<Storage>, url: ObjectUrl, key_prefix: &str) -> RemoteTarget {
        let p = key_prefix.trim_matches('/');
        let key = if p.is_empty() {
            String::new()
        } else {
            format!("{p}/")
        };
        RemoteTarget {
            storage,
            prefix: url.with_key(key),
            static_name: None,
            scratch: None,
        }
    }

    /// Where the snapshot taken at `unix_nanos` goes.
    pub fn object(&self, name_prefix: &str, unix_nanos: u128) -> ObjectUrl {
        match &self.static_name {
            Some(s) => self.prefix.with_key(s.trim_start_matches('/')),
            None => self.prefix.with_key(format!(
                "{}{}",
                self.prefix.key,
                object_name(name_prefix, unix_nanos)
            )),
        }
    }

    /// Where the agent writes, for logs: `s3://bucket/prefix/consul-*.snap`.
    pub fn describe(&self, name_prefix: &str) -> String {
        match &self.static_name {
            Some(_) => self.object(name_prefix, 0).url(),
            None => format!("{}{name_prefix}-*.snap", self.prefix.url()),
        }
    }
}

/// The object name of a snapshot taken at `unix_nanos`: `consul-<unix nanoseconds>.snap`, as
/// the Enterprise agent names them (the prefix in place of `consul`).
pub fn object_name(name_prefix: &str, unix_nanos: u128) -> String {
    format!("{name_prefix}-{unix_nanos}.snap")
}

/// True for names [`object_name`] makes with this prefix (the only objects retention ever
/// deletes); the name is the part after the key prefix, with no `/`.
pub fn is_agent_object(name_prefix: &str, name: &str) -> bool {
    name.strip_prefix(name_prefix)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(".snap"))
        .is_some_and(|d| !d.is_empty() && d.len() <= 39 && d.bytes().all(|b| b.is_ascii_digit()))
}

fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

/// What retention knows of one valid object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptObject {
    /// The object's key.
    pub key: String,
    /// When the snapshot was taken (Unix ms): the time in its meta ID, else the time in its
    /// name.
    pub time_ms: u64,
    /// Its raft index.
    pub index: u64,
    /// Its record count.
    pub records: u64,
}

impl KeptObject {
    fn of(key: &str, snap: &crate::snapshot::archive::Snapshot) -> KeptObject {
        let from_id = super::files::time_in_id(&snap.meta.id);
        let from_name = key
            .rsplit('-')
            .next()
            .and_then(|t| t.strip_suffix(".snap"))
            .and_then(|t| t.parse::<u128>().ok())
            .map(|n| (n / 1_000_000) as u64);
        KeptObject {
            key: key.to_string(),
            time_ms: from_id.or(from_name).unwrap_or(0),
            index: snap.meta.index,
            records: snap.records,
        }
    }

    /// As [`Kept`], for [`drop_warnings`].
    fn as_kept(&self, url: &ObjectUrl) -> Kept {
        Kept {
            path: PathBuf::from(url.with_key(self.key.clone()).url()),
            time_ms: self.time_ms,
            index: self.index,
            records: self.records,
        }
    }
}

/// An object in the agent's pattern that is not a valid snapshot (its URL), and why.
pub type InvalidObject = (String, String);

/// An object's identity for the cache: size and entity tag (else the time it was written).
type Stamp = (u64, Option<String>, std::time::SystemTime);

/// Retention of the agent's objects, with a cache of what each proved to be (each object is
/// read once while it stays unchanged).
#[derive(Default)]
pub struct RemoteRetention {
    cache: HashMap<String, (Stamp, std::result::Result<KeptObject, String>)>,
}

fn stamp(l: &Listed) -> Stamp {
    (l.size, l.e_tag.clone(), l.last_modified)
}

impl RemoteRetention {
    /// Remembers an object just saved (verified while it uploaded); `listed` is how the
    /// listing shows it, when known.
    fn remember(&mut self, key: &str, snap: &crate::snapshot::archive::Snapshot) {
        // The stamp is learnt at the next listing; until then a placeholder that matches
        // nothing marks it as known-good.
        self.cache.insert(
            key.to_string(),
            (
                (u64::MAX, None, std::time::UNIX_EPOCH),
                Ok(KeptObject::of(key, snap)),
            ),
        );
    }

    /// The valid agent objects under the prefix, newest first (by time, then index), and the
    /// invalid ones not reported before (key, why). A listing that fails is an error: nothing
    /// is known, so nothing may be deleted.
    pub fn scan(
        &mut self,
        target: &RemoteTarget,
        name_prefix: &str,
    ) -> Result<(Vec<KeptObject>, Vec<InvalidObject>)> {
        let listed = upload::list(&target.storage, &target.prefix)?;
        let mut valid = Vec::new();
        let mut new_invalid = Vec::new();
        let mut seen = Vec::new();
        for l in listed {
            let Some(name) = l.key.strip_prefix(target.prefix.key.as_str()) else {
                continue;
            };
            if name.contains('/') || !is_agent_object(name_prefix, name) {
                continue;
            }
            seen.push(l.key.clone());
            let st = stamp(&l);
            if let Some((s, r)) = self.cache.get_mut(&l.key) {
                if s.0 == u64::MAX {
                    *s = st.clone(); // the object just saved: its stamp, now known
                }
                if *s == st {
                    if let Ok(k) = r {
                        valid.push(k.clone());
                    }
                    continue;
                }
            }
            let url = target.prefix.with_key(l.key.clone());
            let r = match upload::verify_object(&target.storage, &url) {
                Ok(v) => Ok(KeptObject::of(&l.key, &v.snapshot)),
                Err(e @ Error::Invalid(_)) => Err(e.to_string()),
                // A read that failed (a timeout, throttling, credentials) says nothing of the
                // object: it is neither counted nor deleted this time, and read again next time.
                Err(e) => {
                    log(
                        "WARN",
                        &format!(
                            "{} could not be read; retention does not count it this time: {e}",
                            url.url()
                        ),
                    );
                    continue;
                }
            };
            match &r {
                Ok(k) => valid.push(k.clone()),
                Err(why) => new_invalid.push((url.url(), why.clone())),
            }
            self.cache.insert(l.key.clone(), (st, r));
        }
        self.cache.retain(|k, _| seen.contains(k));
        // Equal times and indexes (Consul hands out its latest snapshot again when nothing
        // changed): the later name, whose time is the save's, is the newer.
        valid.sort_by(|a, b| (b.time_ms, b.index, &b.key).cmp(&(a.time_ms, a.index, &a.key)));
        Ok((valid, new_invalid))
    }

    /// Deletes the valid agent objects beyond the newest `retain` (0: keep all), never
    /// `just_saved` nor the newest valid one; returns the URLs deleted and the invalid
    /// objects newly seen.
    pub fn prune(
        &mut self,
        target: &RemoteTarget,
        name_prefix: &str,
        retain: usize,
        just_saved: &str,
    ) -> Result<(Vec<String>, Vec<InvalidObject>)> {
        let (valid, invalid) = self.scan(target, name_prefix)?;
        let mut removed = Vec::new();
        if retain == 0 {
            return Ok((removed, invalid));
        }
        for (i, k) in valid.iter().enumerate() {
            if i < retain.max(1) || k.key == just_saved {
                continue;
            }
            let url = target.prefix.with_key(k.key.clone());
            upload::delete(&target.storage, &url)?;
            self.cache.remove(&k.key);
            removed.push(url.url());
        }
        Ok((removed, invalid))
    }
}

impl Agent {
    /// Saves a snapshot to the remote target with leadership proven as for local files; then,
    /// unless a static name is used, prunes the agent's objects to `retain`.
    pub(super) fn save_remote(&mut self) -> Result<Outcome> {
        let Some(target) = self.cfg.remote.clone() else {
            return Ok(Outcome::Skipped);
        };
        let start_ms = now_ms();
        let url = target.object(&self.cfg.name_prefix, unix_nanos());
        let saved = self.guarded(|client, opts| match &target.scratch {
            Some(dir) => upload::save_via_scratch(client, opts, &target.storage, &url, dir),
            None => upload::save_to_object(client, opts, &target.storage, &url),
        })?;
        let Some(saved) = saved else {
            return Ok(Outcome::Skipped);
        };
        self.saved(start_ms);
        let name = saved.url.url();
        log(
            "INFO",
            &format!(
                "saved and verified {name} index={} records={} size={} in {:.1}s",
                saved.snapshot.meta.index,
                saved.snapshot.records,
                saved.bytes,
                saved.elapsed.as_secs_f64()
            ),
        );
        for w in &saved.warnings {
            log("WARN", &format!("{name}: {w}"));
        }
        if target.static_name.is_some() {
            // One key, overwritten each time (versioning, if any, is the bucket's).
            return Ok(Outcome::Saved);
        }
        self.remote_retention.remember(&url.key, &saved.snapshot);
        // The snapshot is safe in the store: a retention that fails (a listing refused, say
        // without s3:ListBucket) is logged, never a failed save, and deletes nothing it could
        // not prove it may.
        if let Err(e) = self.prune_remote(&target, &url, &name, &saved.snapshot) {
            log(
                "ERROR",
                &format!("retention on {} stopped: {e}", target.prefix.url()),
            );
        }
        Ok(Outcome::Saved)
    }

    /// Drop warnings against the newest other object, then retention, with the lock proven.
    fn prune_remote(
        &mut self,
        target: &RemoteTarget,
        url: &ObjectUrl,
        name: &str,
        snap: &crate::snapshot::archive::Snapshot,
    ) -> Result<()> {
        let prefix = self.cfg.name_prefix.clone();
        let saved = snap;
        let (valid, invalid) = self.remote_retention.scan(target, &prefix)?;
        self.log_invalid_objects(&invalid);
        let new = KeptObject::of(&url.key, saved).as_kept(&target.prefix);
        if let Some(prev) = valid.iter().find(|k| k.key != url.key) {
            for w in drop_warnings(&prev.as_kept(&target.prefix), &new) {
                log("WARN", &format!("{name}: {w}"));
            }
        }
        if self.cfg.lock && !self.holds_lock()? {
            self.step_down("the lock passed to another session after the save; not pruning");
            return Ok(());
        }
        let (removed, invalid) =
            self.remote_retention
                .prune(target, &prefix, self.cfg.retain, &url.key)?;
        self.log_invalid_objects(&invalid);
        for u in removed {
            log("INFO", &format!("removed {u} (retain {})", self.cfg.retain));
        }
        Ok(())
    }

    pub(super) fn log_invalid_objects(&self, invalid: &[InvalidObject]) {
        for (u, why) in invalid {
            super::run::warn_invalid(u, why);
        }
    }

    /// At start: the newest valid object (for the saving check), and stale scratch files.
    pub(super) fn start_remote(&mut self) -> Result<()> {
        let Some(target) = self.cfg.remote.clone() else {
            return Ok(());
        };
        if let Some(dir) = &target.scratch {
            for p in crate::write::remove_stale_temp_files(dir) {
                log(
                    "INFO",
                    &format!("removed {}, left by a run that was killed", p.display()),
                );
            }
        }
        if target.static_name.is_some() {
            return Ok(());
        }
        let prefix = self.cfg.name_prefix.clone();
        // A listing that fails here is not fatal: the saves may still work (a policy without
        // s3:ListBucket, a store briefly away); retention says so again after each save.
        let (valid, invalid) = match self.remote_retention.scan(&target, &prefix) {
            Ok(x) => x,
            Err(e) => {
                log(
                    "WARN",
                    &format!(
                        "cannot list {} (retention will not prune until it can): {e}",
                        target.prefix.url()
                    ),
                );
                return Ok(());
            }
        };
        self.log_invalid_objects(&invalid);
        if let Some(newest) = valid.first() {
            let url = target.prefix.with_key(newest.key.clone()).url();
            self.found_newest(newest.time_ms, url, newest.index);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_the_enterprise_agents() {
        let n = object_name("consul", 1_479_360_073_448_728_784);
        assert_eq!(n, "consul-1479360073448728784.snap");
        assert!(is_agent_object("consul", &n));
        for other in [
            "consul-.snap",
            "consul-20231114T221320.000Z-12.snap",
            "consul-12.snap.tmp",
            "consul-1a.snap",
            "other-12.snap",
            "consul-2-12.snap",
            "notes.txt",
        ] {
            assert!(!is_agent_object("consul", other), "{other}");
        }
        assert!(!is_agent_object("consul-2", &n));
        assert!(is_agent_object("consul-2", "consul-2-5.snap"));
    }

    #[test]
    fn targets_name_their_objects() {
        let storage = Arc::new(Storage::new(Default::default()).unwrap());
        let url = ObjectUrl::parse("s3://b").unwrap();
        let t = RemoteTarget::new(storage.clone(), url.clone(), "/consul-snapshot/");
        assert_eq!(
            t.object("consul", 5).url(),
            "s3://b/consul-snapshot/consul-5.snap"
        );
        assert_eq!(t.describe("consul"), "s3://b/consul-snapshot/consul-*.snap");
        let top = RemoteTarget::new(storage.clone(), url.clone(), "");
        assert_eq!(top.object("x", 7).url(), "s3://b/x-7.snap");
        let fixed = RemoteTarget {
            static_name: Some("latest.snap".into()),
            ..RemoteTarget::new(storage, url, "p")
        };
        assert_eq!(fixed.object("consul", 9).url(), "s3://b/latest.snap");
    }
}
