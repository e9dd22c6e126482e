//! The snapshot agent: saves verified snapshots on a schedule into a directory, keeps the
//! newest N, and elects one leader among several agents through a Consul session and a KV
//! lock; registers itself in the catalog with TTL checks that tell the truth.
//!
//! Heartbeat, session and save are separate tasks, each with its own retries and backoff, so
//! that one failing never stops the others: a check Consul lost is registered again, a lost
//! session ends leadership (and a save in progress, whose file is then discarded), and the
//! saving check turns critical when the newest good snapshot is too old or `max_failures`
//! saves in a row failed (after which this agent gives up the lock).

pub mod config;
mod files;
mod keepalive;
mod policy;
#[cfg(feature = "storage")]
mod remote;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

pub use files::{
    check_prefix, drop_warnings, file_name, file_name_with, is_agent_file, is_agent_file_with,
    Kept, Pruned, Retention, DEFAULT_PREFIX,
};
pub use keepalive::KeepAlive;
pub use policy::{policy_hcl, policy_rules_json};
#[cfg(feature = "storage")]
pub use remote::{is_agent_object, object_name, KeptObject, RemoteRetention, RemoteTarget};

use crate::error::{Error, Result};
use crate::live::consul::{encode, encode_key, Body, Client};
use crate::live::transfer::{self, SaveOptions};

mod run;

/// Name of the TTL check every agent passes while it runs.
pub const ALIVE_CHECK: &str = "Consul Snapshot Agent Alive";
/// Name of the TTL check the leader passes while its saves succeed.
pub const SAVING_CHECK: &str = "Consul Snapshot Agent Saving Snapshots";

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
    /// Consul removes the service once its check has been critical this long (zero: never).
    pub deregister_after: Duration,
    /// The saving check turns critical when the newest good snapshot is older than this
    /// (default: twice the interval).
    pub stale_after: Option<Duration>,
    /// After this many failed saves in a row the saving check turns critical and the agent
    /// gives up leadership (the Enterprise agent's `max_failures`).
    pub max_failures: u32,
    /// Save once (if this agent gets the lock) and exit.
    pub once: bool,
    /// Take part in leader election (off: always save, for a single cron job).
    pub lock: bool,
    /// Register the service and checks in the catalog.
    pub register: bool,
    /// What the snapshot files' names start with (`<prefix>-<UTC time>-<index>.snap`);
    /// retention counts only files of this prefix. See [`check_prefix`].
    pub name_prefix: String,
    /// Object storage to write to instead of `dir` (S3, Azure Blob, GCS).
    #[cfg(feature = "storage")]
    pub remote: Option<RemoteTarget>,
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
            stale_after: None,
            max_failures: 3,
            once: false,
            lock: true,
            register: true,
            name_prefix: DEFAULT_PREFIX.into(),
            #[cfg(feature = "storage")]
            remote: None,
        }
    }
}

impl AgentConfig {
    /// The age of the newest good snapshot at which the saving check turns critical.
    pub fn stale_bound(&self) -> Duration {
        self.stale_after.unwrap_or(self.interval * 2)
    }
}

/// Writes one log line to stderr: time, level, event.
pub fn log(level: &str, msg: &str) {
    eprintln!(
        "{} [{level}] {msg}",
        crate::report::inspect::details::rfc3339_utc(now_ms())
    );
}

fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A duration for people, to the second.
fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
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

/// What the saving check reports, from what the leader knows.
#[derive(Clone, Debug)]
pub struct SaveHealth {
    /// When the newest good snapshot was taken (Unix ms), if there is one.
    pub last_good_ms: Option<u64>,
    /// When this agent became the leader (Unix ms).
    pub since_ms: u64,
    /// Failed saves in a row.
    pub failures: u32,
    /// The bound on them.
    pub max_failures: u32,
    /// The age of the newest good snapshot at which the check turns critical.
    pub stale_after: Duration,
    /// The last failure.
    pub last_error: Option<String>,
}

impl SaveHealth {
    /// The check's status and output at `now_ms`.
    pub fn status(&self, now_ms: u64) -> (&'static str, String) {
        let age = |t: u64| Duration::from_millis(now_ms.saturating_sub(t));
        let last = self.last_error.as_deref().unwrap_or("");
        if self.max_failures > 0 && self.failures >= self.max_failures {
            return (
                "critical",
                format!(
                    "{} saves in a row failed (max_failures {}); the last: {last}",
                    self.failures, self.max_failures
                ),
            );
        }
        match self.last_good_ms {
            Some(t) if age(t) > self.stale_after => (
                "critical",
                format!(
                    "the newest good snapshot is {} old, older than {} (stale_after)",
                    human(age(t)),
                    human(self.stale_after)
                ),
            ),
            None if age(self.since_ms) > self.stale_after => (
                "critical",
                format!(
                    "no good snapshot in the {} since this agent became the leader",
                    human(age(self.since_ms))
                ),
            ),
            newest if self.failures > 0 => (
                "warning",
                format!(
                    "the last save failed ({} of max_failures {}): {last}; newest good snapshot: {}",
                    self.failures,
                    self.max_failures,
                    newest.map_or("none".into(), |t| format!("{} old", human(age(t))))
                ),
            ),
            Some(t) => (
                "passing",
                format!("leader; newest good snapshot {} old", human(age(t))),
            ),
            None => ("passing", "leader; the first snapshot is being taken".into()),
        }
    }
}

/// One of the agent's tasks (heartbeat, session, election, save): when it runs next, and
/// its failures in a row, each logged once with what happened and when it is retried.
struct Task {
    name: &'static str,
    next: Instant,
    failures: u32,
    last_error: Option<String>,
}

impl Task {
    fn new(name: &'static str) -> Task {
        Task {
            name,
            next: Instant::now(),
            failures: 0,
            last_error: None,
        }
    }

    fn due(&self) -> bool {
        Instant::now() >= self.next
    }

    fn ok(&mut self, every: Duration) {
        if self.failures > 0 {
            log(
                "INFO",
                &format!(
                    "{} works again after {} failure(s)",
                    self.name, self.failures
                ),
            );
        }
        self.failures = 0;
        self.last_error = None;
        self.next = Instant::now() + every;
    }

    /// Backoff: 0.5 s, 1 s, 2 s ... up to `cap`.
    fn failed(&mut self, e: &Error, cap: Duration) {
        self.failures += 1;
        let pause = Duration::from_millis(500)
            .saturating_mul(1u32 << (self.failures - 1).min(16))
            .min(cap)
            .max(Duration::from_millis(200));
        let msg = e.to_string();
        if self.last_error.as_deref() != Some(msg.as_str()) || self.failures.is_power_of_two() {
            log(
                "ERROR",
                &format!(
                    "{} failed ({} in a row; retrying in {:.1}s): {msg}",
                    self.name,
                    self.failures,
                    pause.as_secs_f64()
                ),
            );
        }
        self.last_error = Some(msg);
        self.next = Instant::now() + pause;
    }
}

/// A running agent's view of Consul.
pub struct Agent {
    /// Calls that stop at once when the stop flag is set.
    client: Client,
    /// The same without the stop flag, for the clean-up after a stop.
    quiet_client: Client,
    cfg: AgentConfig,
    service_id: String,
    stop: Arc<AtomicBool>,
    temps: Arc<crate::write::TempFiles>,
    session: Option<String>,
    leader: bool,
    registered: bool,
    saving_registered: bool,
    last_saving_status: String,
    last_renew_ok: Instant,
    beat: Task,
    renew: Task,
    elect: Task,
    save: Task,
    health: SaveHealth,
    retention: Retention,
    #[cfg(feature = "storage")]
    remote_retention: RemoteRetention,
}

impl Agent {
    /// An agent for this Consul and configuration (nothing is contacted yet); it stops once
    /// `stop` is set (a save in progress is cancelled and its temp file removed). Its temp
    /// files are registered in `temps`.
    pub fn new(
        client: Client,
        cfg: AgentConfig,
        stop: Arc<AtomicBool>,
        temps: Arc<crate::write::TempFiles>,
    ) -> Agent {
        let service_id = format!("{}-{}-{}", cfg.service, hostname(), std::process::id());
        let retention = Retention::with_prefix(&cfg.name_prefix);
        let health = SaveHealth {
            last_good_ms: None,
            since_ms: now_ms(),
            failures: 0,
            max_failures: cfg.max_failures,
            stale_after: cfg.stale_bound(),
            last_error: None,
        };
        Agent {
            client: client.with_cancel(stop.clone()),
            quiet_client: client,
            cfg,
            service_id,
            stop,
            temps,
            session: None,
            leader: false,
            registered: false,
            saving_registered: false,
            last_saving_status: String::new(),
            last_renew_ok: Instant::now(),
            beat: Task::new("heartbeat"),
            renew: Task::new("session renewal"),
            elect: Task::new("lock acquisition"),
            save: Task::new("save"),
            retention,
            health,
            #[cfg(feature = "storage")]
            remote_retention: RemoteRetention::default(),
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn alive_id(&self) -> String {
        format!("{}:alive", self.service_id)
    }

    fn saving_id(&self) -> String {
        format!("{}:saving", self.service_id)
    }

    fn service_needs(&self) -> String {
        format!("service \"{}\" {{ policy = \"write\" }}", self.cfg.service)
    }

    fn key_needs(&self) -> String {
        format!("key \"{}\" {{ policy = \"write\" }}", self.cfg.lock_key)
    }

    fn register(&mut self) -> Result<()> {
        let mut check = json!({
            "CheckID": self.alive_id(),
            "Name": ALIVE_CHECK,
            "TTL": secs(self.cfg.check_ttl),
            // Passing only once an update says so (right after this).
            "Status": "critical",
        });
        // Zero turns the removal off, as the Enterprise agent's -deregister-after 0 does.
        if !self.cfg.deregister_after.is_zero() {
            check["DeregisterCriticalServiceAfter"] =
                json!(secs(self.cfg.deregister_after.max(Duration::from_secs(60))));
        }
        let body = json!({
            "ID": self.service_id,
            "Name": self.cfg.service,
            "Meta": { "snapinspect_version": env!("CARGO_PKG_VERSION") },
            "Checks": [check],
        });
        self.client
            .put_json("/v1/agent/service/register", &body, &self.service_needs())?;
        self.registered = true;
        Ok(())
    }

    fn register_saving(&mut self) -> Result<()> {
        let (status, _) = self.health.status(now_ms());
        // Consul 1.8 takes no Output here; the next update sets it.
        let body = json!({
            "ID": self.saving_id(),
            "Name": SAVING_CHECK,
            "ServiceID": self.service_id,
            "TTL": secs(self.cfg.check_ttl),
            "Status": status,
        });
        self.client
            .put_json("/v1/agent/check/register", &body, &self.service_needs())?;
        self.saving_registered = true;
        log(
            "INFO",
            &format!("registered check {SAVING_CHECK:?} ({status})"),
        );
        Ok(())
    }

    fn check_update(&self, id: &str, status: &str, note: &str) -> Result<()> {
        self.client.put_json(
            &format!("/v1/agent/check/update/{}", encode(id)),
            &json!({ "Status": status, "Output": note }),
            &self.service_needs(),
        )?;
        Ok(())
    }

    /// Registers what is missing (after a Consul restart that lost state, or a failed
    /// registration), then passes the alive check and, as leader, reports the saving check.
    fn heartbeat(&mut self) -> Result<()> {
        if !self.registered {
            let again = self.beat.failures > 0;
            self.register()?;
            log(
                "INFO",
                &format!(
                    "{} service {} as {} with check {ALIVE_CHECK:?}",
                    if again {
                        "registered again"
                    } else {
                        "registered"
                    },
                    self.cfg.service,
                    self.service_id
                ),
            );
        }
        let role = if self.leader { "leader" } else { "standby" };
        let r = self.check_update(
            &self.alive_id(),
            "passing",
            &format!("snapinspect agent running ({role})"),
        );
        if let Err(e) = r {
            // Consul answers an update of a check it does not know (it restarted without
            // its state, or someone removed it) with "Unknown check" (404 in later
            // versions): register again on the next try.
            if missing_check(&e) {
                self.registered = false;
                self.saving_registered = false;
            }
            return Err(e);
        }
        if self.leader && self.cfg.register {
            if !self.saving_registered {
                self.register_saving()?;
            }
            let (status, note) = self.health.status(now_ms());
            if status != self.last_saving_status {
                let level = if status == "passing" { "INFO" } else { "WARN" };
                log(level, &format!("saving check {status}: {note}"));
                self.last_saving_status = status.to_string();
            }
            if let Err(e) = self.check_update(&self.saving_id(), status, &note) {
                if missing_check(&e) {
                    self.saving_registered = false;
                }
                return Err(e);
            }
        }
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
        self.last_renew_ok = Instant::now();
        Ok(())
    }

    /// Renews the session; a session Consul no longer knows ends leadership at once, and
    /// renewals failing for a whole TTL do too (the lock can no longer be proven).
    fn renew_session(&mut self) -> Result<()> {
        let Some(id) = self.session.clone() else {
            return Ok(());
        };
        let r = self.client.send(
            "PUT",
            &format!("/v1/session/renew/{}", encode(&id)),
            Body::Empty,
        );
        let result = match r {
            Ok(resp) if resp.status == 404 => {
                log(
                    "WARN",
                    &format!(
                        "session {id} is gone (renew answered 404: Consul invalidated or lost it)"
                    ),
                );
                self.session = None;
                self.step_down("the session is gone");
                return Ok(());
            }
            Ok(resp) if (200..300).contains(&resp.status) => {
                self.last_renew_ok = Instant::now();
                return Ok(());
            }
            Ok(resp) => {
                let status = resp.status;
                let text = self.client.error_text(resp);
                Err(self.client.status_error(
                    "PUT",
                    "/v1/session/renew",
                    status,
                    &text,
                    "session \"<this node>\" { policy = \"write\" }",
                ))
            }
            Err(e) => Err(e),
        };
        if self.leader && self.last_renew_ok.elapsed() >= self.cfg.session_ttl {
            self.step_down(&format!(
                "session renewals failed for {}: Consul may have invalidated the session",
                human(self.cfg.session_ttl)
            ));
        }
        result
    }

    fn try_acquire(&mut self) -> Result<()> {
        if self.session.is_none() {
            self.create_session()?;
        }
        let Some(id) = self.session.clone() else {
            return Ok(());
        };
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
            self.become_leader();
        }
        Ok(())
    }

    fn become_leader(&mut self) {
        self.leader = true;
        self.health.since_ms = now_ms();
        self.save.next = Instant::now();
        self.beat.next = Instant::now();
        self.saving_registered = false;
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
    }

    /// Ends leadership (another agent holds the lock, or it cannot be proven): the saving
    /// check is removed, another agent's reports instead.
    fn step_down(&mut self, why: &str) {
        if !self.leader {
            return;
        }
        self.leader = false;
        log("WARN", &format!("no longer the leader: {why}"));
        if self.cfg.register {
            let _ = self.client.send(
                "PUT",
                &format!("/v1/agent/check/deregister/{}", encode(&self.saving_id())),
                Body::Empty,
            );
            self.saving_registered = false;
        }
    }

    /// Gives the lock up after `max_failures` failed saves, so that another agent can save;
    /// the saving check stays critical, saying so.
    fn give_up(&mut self) {
        let (status, note) = self.health.status(now_ms());
        log(
            "ERROR",
            &format!("{note}: giving up leadership so that another agent can save"),
        );
        if self.cfg.register {
            let _ = self.check_update(&self.saving_id(), status, &note);
        }
        if let Some(id) = &self.session {
            let _ = self.client.send(
                "PUT",
                &format!(
                    "/v1/kv/{}?release={}",
                    encode_key(&self.cfg.lock_key),
                    encode(id)
                ),
                Body::Bytes(b""),
            );
        }
        self.leader = false;
        // Leave the lock to the others for a while.
        self.elect.next = Instant::now() + self.cfg.session_ttl.max(self.cfg.lock_delay);
    }

    /// Whether the lock still names this agent's session.
    fn holds_lock(&self) -> Result<bool> {
        lock_is_ours(&self.client, &self.cfg.lock_key, self.session.as_deref())
    }
}

/// Whether an error of a check update says Consul does not know the check.
fn missing_check(e: &Error) -> bool {
    let m = e.to_string();
    m.contains("Unknown check")
        || m.contains(": 404 ")
        || m.contains("does not have associated TTL")
}

/// Whether the KV lock `key` names `session`.
fn lock_is_ours(client: &Client, key: &str, session: Option<&str>) -> Result<bool> {
    let v = client.get_json(
        &format!("/v1/kv/{}", encode_key(key)),
        &format!("key \"{key}\" {{ policy = \"write\" }}"),
    );
    let holder = match v {
        Ok(v) => v[0]["Session"].as_str().map(str::to_string),
        Err(Error::Remote(m)) if m.contains(" 404 ") => None,
        Err(e) => return Err(e),
    };
    Ok(holder.is_some() && holder.as_deref() == session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saving_check_tells_the_truth() {
        let h = SaveHealth {
            last_good_ms: Some(1_000_000),
            since_ms: 0,
            failures: 0,
            max_failures: 3,
            stale_after: Duration::from_secs(60),
            last_error: None,
        };
        assert_eq!(h.status(1_030_000).0, "passing");
        assert_eq!(h.status(1_061_000).0, "critical");
        let failing = SaveHealth {
            failures: 1,
            last_error: Some("boom".into()),
            ..h.clone()
        };
        let (s, note) = failing.status(1_030_000);
        assert_eq!(s, "warning");
        assert!(note.contains("boom"), "{note}");
        let given_up = SaveHealth {
            failures: 3,
            ..failing
        };
        assert_eq!(given_up.status(1_030_000).0, "critical");
        let fresh = SaveHealth {
            last_good_ms: None,
            since_ms: 1_000_000,
            ..h
        };
        assert_eq!(fresh.status(1_010_000).0, "passing");
        assert_eq!(fresh.status(1_100_000).0, "critical");
    }
}
