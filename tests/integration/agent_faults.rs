//! The snapshot agent under faults, against a real Consul 1.8.7 behind a fault-injecting
//! proxy: checks that tell the truth, re-registration, leadership proven before a file is
//! kept, max_failures, retention that never loses the last good backup, and a stop that
//! works while a download stalls.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::util;
use crate::util::consul::{acl_server, Server, MASTER};
use crate::util::proxy::{Fault, FaultProxy};

/// A server with ACLs, a proxy in front of it, and a directory for an agent's files.
fn setup() -> Option<(Server, FaultProxy, tempfile::TempDir)> {
    let server = acl_server(None)?;
    let proxy = FaultProxy::start(server.http_port());
    Some((server, proxy, tempfile::tempdir().unwrap()))
}

struct Agent {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
}

impl Agent {
    /// An agent through `proxy`, saving into `root`/a.
    fn via(proxy: &FaultProxy, root: &tempfile::TempDir, extra: &[&str]) -> Agent {
        Agent::start(
            &format!("http://{}", proxy.addr()),
            &root.path().join("a"),
            extra,
        )
    }

    fn start(addr: &str, dir: &Path, extra: &[&str]) -> Agent {
        std::fs::create_dir_all(dir).unwrap();
        let log = dir.with_extension("log");
        let child = Process::new(env!("CARGO_BIN_EXE_snapinspect"))
            .args(["agent", "--dir"])
            .arg(dir)
            .args(util::AGENT_SCHEDULE)
            .args(extra)
            .env("CONSUL_HTTP_ADDR", addr)
            .env("CONSUL_HTTP_TOKEN", MASTER)
            .env_remove("CONSUL_HTTP_SSL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Agent {
            child,
            dir: dir.to_path_buf(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn snaps(&self) -> Vec<String> {
        names(&self.dir)
            .into_iter()
            .filter(|f| f.ends_with(".snap"))
            .collect()
    }

    fn service_id(&self) -> String {
        format!("-{}", self.child.id())
    }

    fn term(&mut self) -> (std::process::ExitStatus, Duration) {
        let start = Instant::now();
        match util::terminate(&mut self.child, Duration::from_secs(10)) {
            Some(s) => (s, start.elapsed()),
            None => panic!("the agent ignored SIGTERM\n{}", self.log()),
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn wait_for(what: &str, limit: Duration, log: impl Fn() -> String, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// (check name, status) of the agent's checks, straight from Consul.
fn checks(server: &Server, agent: &Agent) -> Vec<(String, String)> {
    let v = server.api("/v1/health/checks/consul-snapshot");
    let mut out: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["ServiceID"]
                .as_str()
                .unwrap_or("")
                .ends_with(&agent.service_id())
        })
        .map(|c| {
            (
                c["Name"].as_str().unwrap().to_string(),
                c["Status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn has(checks: &[(String, String)], name: &str, status: &str) -> bool {
    checks.iter().any(|(n, s)| n.ends_with(name) && s == status)
}

/// A 500 on the check registration, a Consul that lost the agent's service, and a failing
/// heartbeat: the missing checks come back, and saves go on meanwhile.
#[test]
fn checks_are_registered_again_and_a_failing_heartbeat_does_not_stop_saves() {
    let Some((server, proxy, root)) = setup() else {
        return;
    };
    proxy.times(
        "/v1/agent/check/register",
        Fault::Status(500, b"injected".to_vec()),
        1,
    );
    let agent = Agent::via(&proxy, &root, &[]);
    let log = || agent.log();
    wait_for("both checks passing", Duration::from_secs(20), log, || {
        let c = checks(&server, &agent);
        has(&c, "Alive", "passing") && has(&c, "Saving Snapshots", "passing")
    });
    assert!(agent.log().contains("500 injected"), "{}", agent.log());

    // Consul lost the service (as after a restart without its data): registered again.
    let id = server.api("/v1/agent/services");
    let sid = id
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.ends_with(&agent.service_id()))
        .unwrap()
        .clone();
    server.put(&format!("/v1/agent/service/deregister/{sid}"), "");
    wait_for(
        "the service registered again",
        Duration::from_secs(20),
        log,
        || {
            let c = checks(&server, &agent);
            has(&c, "Alive", "passing") && has(&c, "Saving Snapshots", "passing")
        },
    );
    assert!(agent.log().contains("registered again"), "{}", agent.log());

    // Every check update fails: saves go on, and the alive check goes critical (its TTL).
    proxy.set(
        "/v1/agent/check/update",
        Fault::Status(500, b"updates broken".to_vec()),
    );
    let saves = || agent.log().matches("saved and verified").count();
    let before = saves();
    wait_for("two more saves", Duration::from_secs(20), log, || {
        saves() >= before + 2
    });
    wait_for(
        "the alive check critical",
        Duration::from_secs(20),
        log,
        || has(&checks(&server, &agent), "Alive", "critical"),
    );
    proxy.clear();
    wait_for("checks passing again", Duration::from_secs(20), log, || {
        has(&checks(&server, &agent), "Alive", "passing")
    });
}

/// A download that stalls: the saving check turns critical once the newest good snapshot
/// is older than --stale-after, and SIGTERM ends the agent within 5 s leaving no temp file.
#[test]
fn a_stalled_download_turns_the_saving_check_critical_and_sigterm_still_works() {
    let Some((server, proxy, root)) = setup() else {
        return;
    };
    let mut agent = Agent::via(&proxy, &root, &["--timeout", "60s", "--stale-after", "4s"]);
    let log = || agent.log();
    wait_for("a first save", Duration::from_secs(20), log, || {
        !agent.snaps().is_empty()
    });
    proxy.set("/v1/snapshot", Fault::Stall(1500));
    wait_for("a stalled download", Duration::from_secs(10), log, || {
        names(&agent.dir).iter().any(|f| f.ends_with(".tmp"))
    });
    wait_for(
        "the saving check critical",
        Duration::from_secs(15),
        log,
        || has(&checks(&server, &agent), "Saving Snapshots", "critical"),
    );
    assert!(
        has(&checks(&server, &agent), "Alive", "passing"),
        "{:?}",
        checks(&server, &agent)
    );
    let (status, took) = agent.term();
    assert!(took < Duration::from_secs(5), "{took:?}\n{}", agent.log());
    assert!(status.success(), "{}", agent.log());
    assert!(
        !names(&agent.dir).iter().any(|f| f.ends_with(".tmp")),
        "{:?}",
        names(&agent.dir)
    );
}

/// The session destroyed in the middle of a slow save: the save stops, its file is
/// discarded, and nothing is written afterwards by the agent that lost the lock.
#[test]
fn a_session_lost_mid_save_discards_the_file() {
    let Some((server, proxy, root)) = setup() else {
        return;
    };
    proxy.set("/v1/snapshot", Fault::Slow(256, Duration::from_millis(400)));
    let agent = Agent::via(&proxy, &root, &[]);
    let log = || agent.log();
    wait_for("a download", Duration::from_secs(20), log, || {
        names(&agent.dir).iter().any(|f| f.ends_with(".tmp"))
    });
    let sessions = server.api("/v1/session/list");
    let id = sessions[0]["ID"].as_str().unwrap().to_string();
    server.put(&format!("/v1/session/destroy/{id}"), "");
    wait_for("leadership lost", Duration::from_secs(10), log, || {
        agent
            .log()
            .contains("the snapshot in progress was discarded")
    });
    assert!(
        agent.snaps().is_empty(),
        "{:?}\n{}",
        agent.snaps(),
        agent.log()
    );
    assert!(!names(&agent.dir).iter().any(|f| f.ends_with(".tmp")));
}

/// Saves failing max_failures times in a row: the saving check critical and the lock given
/// up.
#[test]
fn max_failures_turns_the_check_critical_and_gives_up_the_lock() {
    let Some((server, proxy, root)) = setup() else {
        return;
    };
    proxy.set(
        "/v1/snapshot",
        Fault::Status(500, b"snapshot broken".to_vec()),
    );
    let agent = Agent::via(&proxy, &root, &["--max-failures", "2"]);
    let log = || agent.log();
    wait_for("giving up", Duration::from_secs(20), log, || {
        agent.log().contains("giving up leadership")
    });
    assert!(has(
        &checks(&server, &agent),
        "Saving Snapshots",
        "critical"
    ));
    let lock = server.api("/v1/kv/consul-snapshot/lock");
    assert!(lock[0]["Session"].is_null(), "{lock}");
    assert!(agent.log().contains("snapshot broken"), "{}", agent.log());
}

/// `--retain 1` beside a newer-named invalid file keeps the new valid snapshot (and never
/// deletes the invalid one); a killed run's temp file is removed at start.
#[test]
fn retain_one_with_an_invalid_newer_named_file_keeps_the_new_snapshot() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bogus = "consul-20991231T235959.000Z-999999.snap";
    std::fs::write(dir.path().join(bogus), b"not a snapshot").unwrap();
    let stale = ".snapinspect-4000000-abcdef.tmp";
    std::fs::write(dir.path().join(stale), b"half").unwrap();
    let r = Process::new(env!("CARGO_BIN_EXE_snapinspect"))
        .args(["agent", "--once", "--retain", "1", "--dir"])
        .arg(dir.path())
        .env("CONSUL_HTTP_ADDR", server.http_addr())
        .env("CONSUL_HTTP_TOKEN", MASTER)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(r.status.success(), "{err}");
    let files = names(dir.path());
    assert_eq!(files.len(), 2, "{files:?}\n{err}");
    assert!(files.contains(&bogus.to_string()));
    let new = files.iter().find(|f| *f != bogus).unwrap();
    assert!(snapinspect::live::agent::is_agent_file(new));
    let ok = Process::new(env!("CARGO_BIN_EXE_snapinspect"))
        .args(["verify", "--quiet"])
        .arg(dir.path().join(new))
        .status()
        .unwrap();
    assert!(ok.success());
    assert!(err.contains("is not a valid snapshot"), "{err}");
    assert!(err.contains("left by a run that was killed"), "{err}");
}

/// Consul stops answering anything: the agent logs the deadlines it hits, and SIGTERM still
/// ends it within 5 s (every call watches the stop; the clean-up is bounded).
#[test]
fn a_hung_consul_cannot_hold_the_agent_past_sigterm() {
    let Some((_server, proxy, root)) = setup() else {
        return;
    };
    let mut agent = Agent::via(&proxy, &root, &["--timeout", "2s"]);
    let log = || agent.log();
    wait_for("a first save", Duration::from_secs(20), log, || {
        !agent.snaps().is_empty()
    });
    proxy.set("/", Fault::Hang);
    wait_for("a deadline logged", Duration::from_secs(15), log, || {
        agent.log().contains("(--timeout)")
    });
    let (status, took) = agent.term();
    assert!(took < Duration::from_secs(5), "{took:?}\n{}", agent.log());
    assert!(status.success(), "{}", agent.log());
    assert!(!names(&agent.dir).iter().any(|f| f.ends_with(".tmp")));
}
