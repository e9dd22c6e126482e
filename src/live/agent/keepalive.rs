//! What runs beside a long save: the session renewed and the checks passed on a second
//! thread, the saving check turning critical if the newest good snapshot grows too old
//! meanwhile, and the save stopped at once when the session is lost or a stop is asked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{log, now_ms, SaveHealth};
use crate::live::consul::{encode, Body, Client};

/// Renews a session and passes TTL checks on a second thread while something long runs.
pub struct KeepAlive {
    /// The Consul to talk to.
    pub client: Client,
    /// The session to renew.
    pub session: Option<String>,
    /// The session's TTL: renewals failing this long mean the lock cannot be proven.
    pub session_ttl: Duration,
    /// TTL checks (IDs) to pass while the work runs.
    pub checks: Vec<String>,
    /// The saving check and what it reports (critical once the newest good snapshot is too
    /// old, even while a save is still running).
    pub saving: Option<(String, SaveHealth)>,
    /// How often.
    pub every: Duration,
    /// A stop request (SIGINT/SIGTERM) that must end the work too.
    pub stop: Option<Arc<AtomicBool>>,
    /// Set when the work must stop: the session was lost, or a stop was asked.
    pub abort: Arc<AtomicBool>,
}

impl KeepAlive {
    /// A keeper for `session` with nothing else to do.
    pub fn new(client: Client, session: Option<String>, every: Duration) -> KeepAlive {
        KeepAlive {
            client,
            session,
            session_ttl: Duration::from_secs(86400),
            checks: Vec::new(),
            saving: None,
            every,
            stop: None,
            abort: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs `f`, keeping the session and checks alive until it returns; with why the
    /// session was lost meanwhile, if it was.
    pub fn during<T>(&self, f: impl FnOnce() -> T) -> (T, Option<String>) {
        let done = AtomicBool::new(false);
        let lost = Mutex::new(None);
        let r = std::thread::scope(|s| {
            s.spawn(|| self.run(&done, &lost));
            let r = f();
            done.store(true, Ordering::SeqCst);
            r
        });
        let lost = lost.into_inner().unwrap_or_default();
        (r, lost)
    }

    fn run(&self, done: &AtomicBool, lost: &Mutex<Option<String>>) {
        let started = Instant::now();
        let mut next = Instant::now() + self.every;
        let mut renewed = Instant::now();
        let mut last_status = String::new();
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
            if self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                self.abort.store(true, Ordering::SeqCst);
            }
            if Instant::now() < next {
                continue;
            }
            next = Instant::now() + self.every;
            if let Some(id) = &self.session {
                match self.client.send(
                    "PUT",
                    &format!("/v1/session/renew/{}", encode(id)),
                    Body::Empty,
                ) {
                    Ok(r) if (200..300).contains(&r.status) => renewed = Instant::now(),
                    Ok(r) if r.status == 404 => {
                        self.lose(lost, format!("session {id} is gone (renew answered 404)"));
                    }
                    Ok(r) => log(
                        "WARN",
                        &format!("session renew during the save failed: status {}", r.status),
                    ),
                    Err(e) => log(
                        "WARN",
                        &format!("session renew during the save failed: {e}"),
                    ),
                }
                if renewed.elapsed() >= self.session_ttl {
                    self.lose(
                        lost,
                        format!(
                            "session renewals failed for {}: Consul may have invalidated session {id}",
                            humantime::format_duration(self.session_ttl)
                        ),
                    );
                }
                if renewed.elapsed() >= self.every {
                    // A failed renewal is retried within a second, not a whole period.
                    next = Instant::now() + self.every.min(Duration::from_secs(1));
                }
            }
            let note = format!("saving a snapshot for {}s", started.elapsed().as_secs());
            for c in &self.checks {
                let _ = self.client.put_json(
                    &format!("/v1/agent/check/update/{}", encode(c)),
                    &json!({ "Status": "passing", "Output": note }),
                    "",
                );
            }
            if let Some((id, health)) = &self.saving {
                let (status, text) = health.status(now_ms());
                if status != last_status {
                    if status != "passing" {
                        log("WARN", &format!("saving check {status}: {text}"));
                    }
                    last_status = status.to_string();
                }
                let _ = self.client.put_json(
                    &format!("/v1/agent/check/update/{}", encode(id)),
                    &json!({ "Status": status, "Output": format!("{note}; {text}") }),
                    "",
                );
            }
        }
    }

    fn lose(&self, lost: &Mutex<Option<String>>, why: String) {
        if let Ok(mut l) = lost.lock() {
            if l.is_none() {
                log(
                    "WARN",
                    &format!("{why}: leadership lost; stopping the save"),
                );
                *l = Some(why);
            }
        }
        self.abort.store(true, Ordering::SeqCst);
    }
}
