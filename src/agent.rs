//! The snapshot agent: saves verified snapshots on a schedule into a directory, keeps the
//! newest N, and elects one leader among several agents through a Consul session and a KV
//! lock; registers itself in the catalog with TTL checks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::consul::{encode, encode_key, Body, Client};
use crate::error::{Error, Result};
use crate::transfer;

/// Name of the TTL check every agent passes while it runs.
pub const ALIVE_CHECK: &str = "Consul Snapshot Agent Alive";
/// Name of the TTL check the leader passes while its saves succeed.
pub const SAVING_CHECK: &str = "Consul Snapshot Agent Saving Snapshots";

/// 0: no agent; 1: an agent runs; 2: it was asked to stop.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Asks a running agent to stop (from a signal handler); false when no agent runs.
pub fn request_shutdown() -> bool {
    STATE
        .compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
}

fn stopping() -> bool {
    STATE.load(Ordering::SeqCst) == 2
}

/// Everything the agent does, from flags or a config file.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Time between saves.
    pub interval: Duration,
    /// How many snapshots to keep in `dir` (0: all).
    pub retain: usize,
    /// Where snapshots go.
    pub dir: PathBuf,
    /// Let a follower answer.
    pub stale: bool,
    /// KV key of the leader lock.
    pub lock_key: String,
    /// Service name in the catalog.
    pub service: String,
    /// TTL of the leader-election session (Consul allows 10s to 24h).
    pub session_ttl: Duration,
    /// Lock delay of the session: how long the lock stays unclaimable after the leader dies.
    pub lock_delay: Duration,
    /// TTL of the catalog checks.
    pub check_ttl: Duration,
    /// Consul removes the service once its check has been critical this long.
    pub deregister_after: Duration,
    /// Save once (if this agent gets the lock) and exit.
    pub once: bool,
    /// Take part in leader election (off: always save, for a single cron job).
    pub lock: bool,
    /// Register the service and checks in the catalog.
    pub register: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            interval: Duration::from_secs(3600),
            retain: 30,
            dir: PathBuf::from("."),
            stale: false,
            lock_key: "consul-snapshot/lock".into(),
            service: "consul-snapshot".into(),
            session_ttl: Duration::from_secs(15),
            lock_delay: Duration::from_secs(15),
            check_ttl: Duration::from_secs(30),
            deregister_after: Duration::from_secs(72 * 3600),
            once: false,
            lock: true,
            register: true,
        }
    }
}

/// Writes one log line to stderr: time, level, event.
pub fn log(level: &str, msg: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    eprintln!("{} [{level}] {msg}", crate::insight::rfc3339_utc(now));
}

fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The file name of a snapshot saved at `unix_ms` with raft index `index`; names sort by time.
pub fn file_name(unix_ms: u64, index: u64) -> String {
    let t = crate::insight::rfc3339_utc(unix_ms); // 2026-11-30T12:00:00.123Z
    let compact: String = t.chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("consul-{compact}-{index}.snap")
}

/// True for names [`file_name`] makes (the only files retention ever deletes).
pub fn is_agent_file(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("consul-")
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
}

/// Deletes the oldest agent snapshots in `dir` beyond the newest `retain`; the names deleted.
pub fn prune(dir: &Path, retain: usize) -> Result<Vec<PathBuf>> {
    if retain == 0 {
        return Ok(Vec::new());
    }
    let rd =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_agent_file(n))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(retain);
    let mut removed = Vec::new();
    for n in names.into_iter().take(excess) {
        let p = dir.join(&n);
        std::fs::remove_file(&p).map_err(|e| Error::io(format!("removing {}", p.display()), e))?;
        removed.push(p);
    }
    Ok(removed)
}

/// The least ACL policy the agent needs, as HCL.
pub fn policy_hcl(cfg: &AgentConfig, node: &str) -> String {
    format!(
        "# snapinspect agent: the least a snapshot agent needs.\n\
         # GET /v1/snapshot (saving a snapshot) needs acl = \"write\".\n\
         acl = \"write\"\n\
         # The leader lock.\n\
         key \"{key}\" {{\n  policy = \"write\"\n}}\n\
         # The leader-election session, created on the agent's node.\n\
         session \"{node}\" {{\n  policy = \"write\"\n}}\n\
         # The agent's own service and its TTL checks.\n\
         service \"{service}\" {{\n  policy = \"write\"\n}}\n",
        key = cfg.lock_key,
        service = cfg.service,
    )
}

/// The same policy as Consul's JSON rules.
pub fn policy_rules_json(cfg: &AgentConfig, node: &str) -> serde_json::Value {
    json!({
        "acl": "write",
        "key": { cfg.lock_key.clone(): { "policy": "write" } },
        "session": { node: { "policy": "write" } },
        "service": { cfg.service.clone(): { "policy": "write" } },
    })
}

/// Renews a session and passes TTL checks on a second thread while something long runs.
pub struct KeepAlive {
    /// The Consul to talk to.
    pub client: Client,
    /// The session to renew.
    pub session: Option<String>,
    /// The TTL checks (IDs) to pass.
    pub checks: Vec<String>,
    /// How often.
    pub every: Duration,
}

impl KeepAlive {
    /// Runs `f`, keeping the session and checks alive until it returns.
    pub fn during<T>(&self, f: impl FnOnce() -> T) -> T {
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| self.run(&done));
            let r = f();
            done.store(true, Ordering::SeqCst);
            r
        })
    }

    fn run(&self, done: &std::sync::atomic::AtomicBool) {
        let mut last = Instant::now();
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            if last.elapsed() < self.every {
                continue;
            }
            last = Instant::now();
            if let Some(id) = &self.session {
                let _ = self.client.send(
                    "PUT",
                    &format!("/v1/session/renew/{}", encode(id)),
                    Body::Empty,
                );
            }
            for c in &self.checks {
                let _ = self.client.put_json(
                    &format!("/v1/agent/check/update/{}", encode(c)),
                    &json!({ "Status": "passing", "Output": "saving a snapshot" }),
                    "",
                );
            }
        }
    }
}

/// A running agent's view of Consul.
pub struct Agent {
    client: Client,
    cfg: AgentConfig,
    service_id: String,
    session: Option<String>,
    leader: bool,
    last_renew: Instant,
    last_beat: Option<Instant>,
    next_save: Instant,
    last_save_ok: bool,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl Agent {
    /// An agent for this Consul and configuration (nothing is contacted yet).
    pub fn new(client: Client, cfg: AgentConfig) -> Agent {
        let service_id = format!("{}-{}-{}", cfg.service, hostname(), std::process::id());
        Agent {
            client,
            cfg,
            service_id,
            session: None,
            leader: false,
            last_renew: Instant::now(),
            last_beat: None,
            next_save: Instant::now(),
            last_save_ok: true,
        }
    }

    fn alive_id(&self) -> String {
        format!("{}:alive", self.service_id)
    }

    fn saving_id(&self) -> String {
        format!("{}:saving", self.service_id)
    }

    fn register(&mut self) -> Result<()> {
        let body = json!({
            "ID": self.service_id,
            "Name": self.cfg.service,
            "Meta": { "snapinspect_version": env!("CARGO_PKG_VERSION") },
            "Checks": [{
                "CheckID": self.alive_id(),
                "Name": ALIVE_CHECK,
                "TTL": secs(self.cfg.check_ttl),
                "Status": "passing",
                "DeregisterCriticalServiceAfter": secs(self.cfg.deregister_after.max(Duration::from_secs(60))),
            }],
        });
        let needs = format!("service \"{}\" {{ policy = \"write\" }}", self.cfg.service);
        self.client
            .put_json("/v1/agent/service/register", &body, &needs)?;
        log(
            "INFO",
            &format!(
                "registered service {} as {} with check {ALIVE_CHECK:?}",
                self.cfg.service, self.service_id
            ),
        );
        self.last_beat = Some(Instant::now());
        Ok(())
    }

    fn check_update(&self, id: &str, status: &str, note: &str) -> Result<()> {
        let needs = format!("service \"{}\" {{ policy = \"write\" }}", self.cfg.service);
        self.client.put_json(
            &format!("/v1/agent/check/update/{}", encode(id)),
            &json!({ "Status": status, "Output": note }),
            &needs,
        )?;
        Ok(())
    }

    fn heartbeat(&mut self) -> Result<()> {
        if !self.cfg.register {
            return Ok(());
        }
        let due = self
            .last_beat
            .is_none_or(|t| t.elapsed() >= self.cfg.check_ttl / 3);
        if !due {
            return Ok(());
        }
        let r = self.check_update(&self.alive_id(), "passing", "snapinspect agent running");
        if let Err(Error::Remote(m)) = &r {
            if m.contains("404") || m.contains("Unknown check") || m.contains("does not have") {
                // The local Consul agent lost our registration (restart): register again.
                self.register()?;
            }
        } else {
            r?;
        }
        if self.leader {
            let (status, note) = if self.last_save_ok {
                ("passing", "leader; last save succeeded")
            } else {
                ("critical", "leader; last save failed")
            };
            self.check_update(&self.saving_id(), status, note)?;
        }
        self.last_beat = Some(Instant::now());
        Ok(())
    }

    fn create_session(&mut self) -> Result<()> {
        let body = json!({
            "Name": format!("snapinspect snapshot agent {}", self.service_id),
            "TTL": secs(self.cfg.session_ttl),
            "LockDelay": secs(self.cfg.lock_delay),
            "Behavior": "release",
        });
        let v = self.client.put_json(
            "/v1/session/create",
            &body,
            "session \"<this node>\" { policy = \"write\" }",
        )?;
        let id = v["ID"]
            .as_str()
            .ok_or_else(|| Error::Remote("session/create answered without an ID".into()))?
            .to_string();
        log(
            "INFO",
            &format!("session {id} created (TTL {})", secs(self.cfg.session_ttl)),
        );
        self.session = Some(id);
        self.last_renew = Instant::now();
        Ok(())
    }

    fn renew(&mut self) -> Result<()> {
        let Some(id) = self.session.clone() else {
            return Ok(());
        };
        if self.last_renew.elapsed() < self.cfg.session_ttl / 3 {
            return Ok(());
        }
        let resp = self.client.send(
            "PUT",
            &format!("/v1/session/renew/{}", encode(&id)),
            Body::Empty,
        )?;
        if resp.status == 404 {
            log("WARN", &format!("session {id} expired; leadership lost"));
            self.session = None;
            self.step_down()?;
            return Ok(());
        }
        if !(200..300).contains(&resp.status) {
            let status = resp.status;
            let text = resp.text().unwrap_or_default();
            return Err(self.client.status_error(
                "PUT",
                "/v1/session/renew",
                status,
                text.trim(),
                "session \"<this node>\" { policy = \"write\" }",
            ));
        }
        self.last_renew = Instant::now();
        Ok(())
    }

    fn key_needs(&self) -> String {
        format!("key \"{}\" {{ policy = \"write\" }}", self.cfg.lock_key)
    }

    fn try_acquire(&mut self) -> Result<()> {
        if self.session.is_none() {
            self.create_session()?;
        }
        let id = self.session.clone().expect("session created above");
        let holder = json!({
            "Agent": self.service_id,
            "Host": hostname(),
            "PID": std::process::id(),
        });
        let v = self.client.put_json(
            &format!(
                "/v1/kv/{}?acquire={}",
                encode_key(&self.cfg.lock_key),
                encode(&id)
            ),
            &holder,
            &self.key_needs(),
        );
        let v = match v {
            Err(Error::Remote(m))
                if m.contains("invalid session") || m.contains("Invalid session") =>
            {
                log("WARN", &format!("session {id} is gone; creating a new one"));
                self.session = None;
                return Ok(());
            }
            other => other?,
        };
        if v.as_bool() == Some(true) {
            self.become_leader()?;
        }
        Ok(())
    }

    fn become_leader(&mut self) -> Result<()> {
        self.leader = true;
        self.last_save_ok = true;
        self.next_save = Instant::now();
        if self.cfg.lock {
            log(
                "INFO",
                &format!(
                    "acquired the lock {}: this agent is the leader",
                    self.cfg.lock_key
                ),
            );
        } else {
            log("INFO", "leader election off (--no-lock): this agent saves");
        }
        if self.cfg.register {
            let body = json!({
                "ID": self.saving_id(),
                "Name": SAVING_CHECK,
                "ServiceID": self.service_id,
                "TTL": secs(self.cfg.check_ttl),
                "Status": "passing",
            });
            let needs = format!("service \"{}\" {{ policy = \"write\" }}", self.cfg.service);
            self.client
                .put_json("/v1/agent/check/register", &body, &needs)?;
        }
        Ok(())
    }

    fn step_down(&mut self) -> Result<()> {
        if !self.leader {
            return Ok(());
        }
        self.leader = false;
        log("WARN", "no longer the leader");
        if self.cfg.register {
            let _ = self.client.send(
                "PUT",
                &format!("/v1/agent/check/deregister/{}", encode(&self.saving_id())),
                Body::Empty,
            );
        }
        Ok(())
    }

    /// Checks the lock still names our session (a restore or an operator may have taken it).
    fn still_leader(&mut self) -> Result<bool> {
        let v = self.client.get_json(
            &format!("/v1/kv/{}", encode_key(&self.cfg.lock_key)),
            &self.key_needs(),
        );
        let holder = match v {
            Ok(v) => v[0]["Session"].as_str().map(str::to_string),
            Err(Error::Remote(m)) if m.contains(" 404 ") => None,
            Err(e) => return Err(e),
        };
        if holder.is_some() && holder == self.session {
            return Ok(true);
        }
        self.step_down()?;
        Ok(false)
    }

    fn save_now(&mut self) -> Result<()> {
        let start_ms = now_ms();
        std::fs::create_dir_all(&self.cfg.dir)
            .map_err(|e| Error::io(format!("creating {}", self.cfg.dir.display()), e))?;
        // A large snapshot takes longer than the session and check TTLs: keep both alive on
        // a second thread while the download runs, or the lock would pass to another agent
        // (and the alive check go critical) in the middle of a save.
        let keeper = KeepAlive {
            client: self.client.clone(),
            session: if self.cfg.lock {
                self.session.clone()
            } else {
                None
            },
            checks: if self.cfg.register {
                vec![self.alive_id(), self.saving_id()]
            } else {
                Vec::new()
            },
            every: (self.cfg.session_ttl / 3).min(self.cfg.check_ttl / 3),
        };
        let dir = self.cfg.dir.clone();
        let (client, stale) = (self.client.clone(), self.cfg.stale);
        let result = keeper.during(|| {
            transfer::save_into(&client, stale, &dir, None, |snap| {
                dir.join(file_name(start_ms, snap.meta.index))
            })
        });
        self.last_renew = Instant::now();
        match result {
            Ok(saved) => {
                self.last_save_ok = true;
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
                for p in prune(&self.cfg.dir, self.cfg.retain)? {
                    log(
                        "INFO",
                        &format!("removed {} (retain {})", p.display(), self.cfg.retain),
                    );
                }
                Ok(())
            }
            Err(e) => {
                self.last_save_ok = false;
                Err(e)
            }
        }
    }

    /// Releases the lock, destroys the session and deregisters the service.
    pub fn shutdown(&mut self) {
        if let Some(id) = self.session.take() {
            if self.leader {
                let _ = self.client.send(
                    "PUT",
                    &format!(
                        "/v1/kv/{}?release={}",
                        encode_key(&self.cfg.lock_key),
                        encode(&id)
                    ),
                    Body::Bytes(b""),
                );
                log("INFO", &format!("released the lock {}", self.cfg.lock_key));
            }
            let _ = self.client.send(
                "PUT",
                &format!("/v1/session/destroy/{}", encode(&id)),
                Body::Empty,
            );
        }
        self.leader = false;
        if self.cfg.register {
            let _ = self.client.send(
                "PUT",
                &format!("/v1/agent/service/deregister/{}", encode(&self.service_id)),
                Body::Empty,
            );
            log("INFO", &format!("deregistered service {}", self.service_id));
        }
    }

    /// One pass of the loop: heartbeat, session, election, and a save when one is due.
    fn step(&mut self) -> Result<()> {
        self.heartbeat()?;
        if !self.cfg.lock {
            if !self.leader {
                self.become_leader()?;
            }
        } else {
            self.renew()?;
            if !self.leader {
                self.try_acquire()?;
            }
        }
        if self.leader && Instant::now() >= self.next_save {
            if self.cfg.lock && !self.still_leader()? {
                return Ok(());
            }
            let r = self.save_now();
            self.next_save = Instant::now() + self.cfg.interval;
            self.last_beat = None; // report the save's outcome at once
            self.heartbeat()?;
            r?;
        }
        Ok(())
    }

    /// Runs until stopped (SIGINT/SIGTERM) or, with `once`, after one attempt; then cleans up.
    /// Returns whether this agent saved a snapshot (for `once`).
    pub fn run(&mut self) -> Result<bool> {
        let _ = STATE.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
        let result = self.run_inner();
        self.shutdown();
        STATE.store(0, Ordering::SeqCst);
        log("INFO", "agent stopped");
        result
    }

    fn run_inner(&mut self) -> Result<bool> {
        log(
            "INFO",
            &format!(
                "snapinspect agent {} starting: Consul {}, every {}, retain {}, into {}, lock {}",
                env!("CARGO_PKG_VERSION"),
                self.client.address(),
                humantime::format_duration(self.cfg.interval),
                self.cfg.retain,
                self.cfg.dir.display(),
                if self.cfg.lock {
                    self.cfg.lock_key.as_str()
                } else {
                    "off"
                }
            ),
        );
        if self.cfg.register {
            self.register()?;
        }
        if self.cfg.once {
            self.heartbeat()?;
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
                self.become_leader()?;
            }
            self.save_now()?;
            return Ok(true);
        }
        let tick = Duration::from_millis(200);
        let mut failures = 0u32;
        let mut last_error: Option<String> = None;
        while !stopping() {
            match self.step() {
                Ok(()) => {
                    if failures > 0 {
                        log("INFO", "Consul reachable again");
                    }
                    failures = 0;
                    last_error = None;
                }
                Err(e) => {
                    failures += 1;
                    let msg = e.to_string();
                    // One line per new problem, not one per retry.
                    if last_error.as_deref() != Some(msg.as_str()) {
                        log("ERROR", &msg);
                        last_error = Some(msg);
                    }
                    if matches!(e, Error::Usage(_)) {
                        return Err(e);
                    }
                }
            }
            let backoff = if failures > 0 {
                Duration::from_secs(u64::from(failures.min(10)))
            } else {
                Duration::from_secs(1)
            };
            let until = Instant::now() + backoff;
            while Instant::now() < until && !stopping() {
                std::thread::sleep(tick);
            }
        }
        log("INFO", "stop requested");
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_are_recognised() {
        let a = file_name(1_700_000_000_000, 12);
        let b = file_name(1_700_000_001_500, 9);
        assert_eq!(a, "consul-20231114T221320.000Z-12.snap");
        assert!(a < b);
        assert!(is_agent_file(&a) && is_agent_file(&b));
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

    #[test]
    fn prune_keeps_the_newest_and_only_touches_agent_files() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5u64 {
            std::fs::write(
                dir.path().join(file_name(1_700_000_000_000 + i * 1000, i)),
                b"x",
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("keep-me.snap"), b"x").unwrap();
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(removed.len(), 3);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![
                file_name(1_700_000_003_000, 3),
                file_name(1_700_000_004_000, 4),
                "keep-me.snap".to_string()
            ]
        );
    }

    #[test]
    fn policy_names_every_permission() {
        let cfg = AgentConfig::default();
        let hcl = policy_hcl(&cfg, "node-1");
        for want in [
            "acl = \"write\"",
            "key \"consul-snapshot/lock\"",
            "session \"node-1\"",
            "service \"consul-snapshot\"",
        ] {
            assert!(hcl.contains(want), "{want}");
        }
        let j = policy_rules_json(&cfg, "node-1");
        assert_eq!(j["key"]["consul-snapshot/lock"]["policy"], "write");
    }
}
