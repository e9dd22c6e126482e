//! The agent's loop: each task when it is due, the save with its leadership proofs, and the
//! clean-up when it stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// How a save ended when it did not fail.
pub(super) enum Outcome {
    Saved,
    /// Not saved, and not a failure: leadership was lost, or a stop was asked.
    Skipped,
}

/// Warns that a kept file or object (`name`) is not a valid snapshot, and why.
pub(super) fn warn_invalid(name: impl std::fmt::Display, why: &str) {
    log(
        "WARN",
        &format!(
            "{name} is not a valid snapshot; retention does not count it and never deletes it: {why}"
        ),
    );
}

impl Agent {
    /// Saves a snapshot, proving leadership before and after: the lock is checked before
    /// the download, the session kept alive during it (a lost session stops it), and the
    /// lock checked again before the file is renamed into place and before pruning.
    fn save_now(&mut self) -> Result<Outcome> {
        #[cfg(feature = "storage")]
        if self.cfg.remote.is_some() {
            return self.save_remote();
        }
        let start_ms = now_ms();
        std::fs::create_dir_all(&self.cfg.dir)
            .map_err(|e| Error::io(format!("creating {}", self.cfg.dir.display()), e))?;
        let dir = self.cfg.dir.clone();
        let prefix = self.cfg.name_prefix.clone();
        let saved = self.guarded(|client, opts| {
            transfer::save_into(client, opts, &dir, |snap| {
                dir.join(file_name_with(&prefix, start_ms, snap.meta.index))
            })
        })?;
        let Some(saved) = saved else {
            return Ok(Outcome::Skipped);
        };
        self.saved(start_ms);
        log(
            "INFO",
            &format!(
                "saved and verified {} index={} records={} size={} in {:.1}s",
                saved.path.display(),
                saved.snapshot.meta.index,
                saved.snapshot.records,
                saved.bytes,
                saved.elapsed.as_secs_f64()
            ),
        );
        for w in &saved.warnings {
            log("WARN", &format!("{}: {w}", saved.path.display()));
        }
        self.retention.remember(&saved.path, &saved.snapshot);
        let (valid, invalid) = self.retention.scan(&self.cfg.dir)?;
        self.log_invalid(&invalid);
        let new = Kept::of(&saved.path, &saved.snapshot);
        if let Some(prev) = valid.iter().find(|k| k.path != saved.path) {
            for w in drop_warnings(prev, &new) {
                log("WARN", &format!("{}: {w}", saved.path.display()));
            }
        }
        if self.cfg.lock && !self.holds_lock()? {
            self.step_down("the lock passed to another session after the save; not pruning");
            return Ok(Outcome::Saved);
        }
        let pruned = self
            .retention
            .prune(&self.cfg.dir, self.cfg.retain, &saved.path)?;
        self.log_invalid(&pruned.invalid);
        for p in pruned.removed {
            log(
                "INFO",
                &format!("removed {} (retain {})", p.display(), self.cfg.retain),
            );
        }
        Ok(Outcome::Saved)
    }

    /// Records a good save in the saving check's health.
    pub(super) fn saved(&mut self, start_ms: u64) {
        // The keeper renewed the session during the save; renew again now to be sure.
        self.last_renew_ok = Instant::now();
        self.renew.next = Instant::now();
        self.health.last_good_ms = Some(start_ms);
        self.health.failures = 0;
        self.health.last_error = None;
    }

    /// Runs `save` (a download that keeps its result only when `before_keep` in the options
    /// agrees) with leadership proven: the lock is checked before it, the session kept alive
    /// during it (a lost session stops it), and the lock checked again before the result is
    /// kept. `None`: skipped (leadership lost, or a stop asked), nothing kept.
    pub(super) fn guarded<T>(
        &mut self,
        save: impl FnOnce(&crate::live::consul::Client, &SaveOptions<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.cfg.lock && !self.holds_lock()? {
            self.step_down("the lock names another session");
            return Ok(None);
        }
        let abort = Arc::new(AtomicBool::new(false));
        let keeper = KeepAlive {
            client: self.client.clone(),
            session: if self.cfg.lock {
                self.session.clone()
            } else {
                None
            },
            session_ttl: self.cfg.session_ttl,
            checks: if self.cfg.register {
                vec![self.alive_id()]
            } else {
                Vec::new()
            },
            saving: (self.cfg.register && self.saving_registered)
                .then(|| (self.saving_id(), self.health.clone())),
            every: (self.cfg.session_ttl / 3).min(self.cfg.check_ttl / 3),
            stop: Some(self.stop.clone()),
            abort: abort.clone(),
        };
        let client = self.client.clone();
        let lock = self
            .cfg
            .lock
            .then(|| (self.cfg.lock_key.clone(), self.session.clone()));
        let aborted = abort.clone();
        let before_keep = move |_: &crate::snapshot::archive::Snapshot| -> Result<()> {
            if aborted.load(Ordering::SeqCst) {
                return Err(transfer::cancelled("saving the snapshot"));
            }
            if let Some((key, session)) = &lock {
                if !lock_is_ours(&client, key, session.as_deref())? {
                    return Err(Error::Remote(format!(
                        "the lock {key} passed to another session during the save; the snapshot was discarded"
                    )));
                }
            }
            Ok(())
        };
        let opts = SaveOptions {
            stale: self.cfg.stale,
            progress: None,
            cancel: Some(abort.clone()),
            before_keep: Some(&before_keep),
            temps: &self.temps,
        };
        let own = self.client.clone();
        let (result, lost) = keeper.during(|| save(&own, &opts));
        if let Some(why) = lost {
            if why.contains("404") {
                self.session = None;
            }
            self.step_down(&format!("{why}; the snapshot in progress was discarded"));
            return Ok(None);
        }
        if self.stopping() {
            return Ok(None);
        }
        match result {
            Ok(s) => Ok(Some(s)),
            Err(Error::Remote(m)) if m.contains("passed to another session") => {
                self.step_down(&m);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// At start-up, takes the newest valid snapshot kept (`name`, a file or an object) as the
    /// last good one, and says so.
    pub(super) fn found_newest(&mut self, time_ms: u64, name: impl std::fmt::Display, index: u64) {
        self.health.last_good_ms = Some(time_ms);
        log(
            "INFO",
            &format!("newest valid snapshot: {name} (index {index})"),
        );
    }

    fn log_invalid(&self, invalid: &[(std::path::PathBuf, String)]) {
        for (p, why) in invalid {
            warn_invalid(p.display(), why);
        }
    }

    /// One pass: every task that is due, each on its own, so that one failing does not
    /// keep the others from running. Only a usage error ends the agent.
    fn pass(&mut self) -> Result<()> {
        let fatal = |e: &Error| matches!(e, Error::Usage(_));
        if self.cfg.register && self.beat.due() {
            let r = self.heartbeat();
            if self.stopping() {
                return Ok(());
            }
            match r {
                Ok(()) => self.beat.ok(self.cfg.check_ttl / 3),
                Err(e) if fatal(&e) => return Err(e),
                Err(e) => self.beat.failed(&e, self.cfg.check_ttl / 3),
            }
        }
        if self.cfg.lock {
            if self.session.is_some() && self.renew.due() {
                let r = self.renew_session();
                if self.stopping() {
                    return Ok(());
                }
                match r {
                    Ok(()) => self.renew.ok(self.cfg.session_ttl / 3),
                    Err(e) if fatal(&e) => return Err(e),
                    Err(e) => self.renew.failed(&e, self.cfg.session_ttl / 6),
                }
            }
            if !self.leader && self.elect.due() && !self.stopping() {
                let r = self.try_acquire();
                if self.stopping() {
                    return Ok(());
                }
                match r {
                    Ok(()) => self.elect.ok(Duration::from_secs(1)),
                    Err(e) if fatal(&e) => return Err(e),
                    Err(e) => self.elect.failed(&e, Duration::from_secs(5)),
                }
            }
        } else if !self.leader {
            self.become_leader();
        }
        if self.leader && self.save.due() && !self.stopping() {
            let r = self.save_now();
            if self.stopping() {
                return Ok(());
            }
            self.beat.next = Instant::now(); // report the outcome at once
            match r {
                Ok(Outcome::Saved) => self.save.ok(self.cfg.interval),
                Ok(Outcome::Skipped) => {}
                Err(e) if fatal(&e) => return Err(e),
                Err(e) => {
                    self.health.failures += 1;
                    self.health.last_error = Some(e.to_string());
                    let cap = (self.cfg.interval / 2)
                        .min(Duration::from_secs(30))
                        .max(Duration::from_secs(1));
                    self.save.failed(&e, cap);
                    if self.cfg.max_failures > 0 && self.health.failures >= self.cfg.max_failures {
                        if self.cfg.lock {
                            self.give_up();
                        } else {
                            let (_, note) = self.health.status(now_ms());
                            log("ERROR", &note);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Releases the lock, destroys the session and deregisters the service, each call
    /// bounded to a second and the whole to three, so that a hung Consul cannot hold the
    /// agent past its stop.
    pub fn shutdown(&mut self) {
        let client = self.quiet_client.with_timeout(Duration::from_secs(1));
        let start = Instant::now();
        let budget = Duration::from_secs(3);
        if let Some(id) = self.session.take() {
            if self.leader {
                let r = client.send(
                    "PUT",
                    &format!(
                        "/v1/kv/{}?release={}",
                        encode_key(&self.cfg.lock_key),
                        encode(&id)
                    ),
                    Body::Bytes(b""),
                );
                match r {
                    Ok(resp) if (200..300).contains(&resp.status) => {
                        log("INFO", &format!("released the lock {}", self.cfg.lock_key))
                    }
                    Ok(resp) => log(
                        "WARN",
                        &format!("releasing the lock answered status {}", resp.status),
                    ),
                    Err(e) => log("WARN", &format!("releasing the lock failed: {e}")),
                }
            }
            if start.elapsed() < budget {
                let _ = client.send(
                    "PUT",
                    &format!("/v1/session/destroy/{}", encode(&id)),
                    Body::Empty,
                );
            }
        }
        self.leader = false;
        if self.cfg.register && start.elapsed() < budget {
            match client.send(
                "PUT",
                &format!("/v1/agent/service/deregister/{}", encode(&self.service_id)),
                Body::Empty,
            ) {
                Ok(_) => log("INFO", &format!("deregistered service {}", self.service_id)),
                Err(e) => log("WARN", &format!("deregistering the service failed: {e}")),
            }
        }
    }

    /// Runs until the stop flag is set or, with `once`, after one attempt; then cleans up.
    /// Returns whether this agent saved a snapshot (for `once`).
    pub fn run(&mut self) -> Result<bool> {
        let result = self.run_inner();
        self.shutdown();
        log("INFO", "agent stopped");
        result
    }

    fn start(&mut self) -> Result<()> {
        log(
            "INFO",
            &format!(
                "snapinspect agent {} starting: Consul {}, every {}, retain {}, into {}, lock {}, timeout {}, stale after {}, max_failures {}",
                env!("CARGO_PKG_VERSION"),
                self.client.address(),
                humantime::format_duration(self.cfg.interval),
                self.cfg.retain,
                self.destination(),
                if self.cfg.lock { self.cfg.lock_key.as_str() } else { "off" },
                humantime::format_duration(self.client.timeout()),
                humantime::format_duration(self.cfg.stale_bound()),
                self.cfg.max_failures,
            ),
        );
        #[cfg(feature = "storage")]
        if self.cfg.remote.is_some() {
            return self.start_remote();
        }
        for p in crate::write::remove_stale_temp_files(&self.cfg.dir) {
            log(
                "INFO",
                &format!("removed {}, left by a run that was killed", p.display()),
            );
        }
        let (valid, invalid) = self.retention.scan(&self.cfg.dir)?;
        self.log_invalid(&invalid);
        if let Some(newest) = valid.first() {
            self.found_newest(newest.time_ms, newest.path.display(), newest.index);
        }
        Ok(())
    }

    /// Where the snapshots go, for the log.
    fn destination(&self) -> String {
        #[cfg(feature = "storage")]
        if let Some(t) = &self.cfg.remote {
            return t.describe(&self.cfg.name_prefix);
        }
        format!(
            "{} as {}-*.snap",
            self.cfg.dir.display(),
            self.cfg.name_prefix
        )
    }

    fn run_inner(&mut self) -> Result<bool> {
        self.start()?;
        if self.cfg.once {
            if self.cfg.register {
                self.heartbeat()?;
            }
            if self.cfg.lock {
                self.try_acquire()?;
                if !self.leader {
                    log(
                        "INFO",
                        &format!(
                            "another agent holds the lock {}; not saving",
                            self.cfg.lock_key
                        ),
                    );
                    return Ok(false);
                }
            } else {
                self.become_leader();
            }
            if self.cfg.register {
                self.heartbeat()?;
            }
            return match self.save_now()? {
                Outcome::Saved => Ok(true),
                Outcome::Skipped if self.stopping() => {
                    Err(transfer::cancelled("saving the snapshot"))
                }
                Outcome::Skipped => Err(Error::Remote(
                    "leadership was lost during the save; nothing was kept".into(),
                )),
            };
        }
        while !self.stopping() {
            self.pass()?;
            let until = Instant::now() + Duration::from_millis(100);
            while Instant::now() < until && !self.stopping() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        log("INFO", "stop requested");
        Ok(false)
    }
}
