//! Real Consul is the judge: mutated snapshots (kind swaps at any depth, emptied and removed
//! keys, unknown, Enterprise, raft-log-only and legacy records, extra and missing fields,
//! duplicates) are restored into a real Consul 1.8.7 on 127.0.0.1, which is then restarted on
//! the same data; snapinspect's verdict for 1.8.7 must never call restorable a snapshot that
//! Consul fails to restore or to start again from. The other direction (refused, but Consul
//! loads it) is reported.
//!
//! `SNAPINSPECT_ORACLE_CASES` (default 40), `SNAPINSPECT_ORACLE_SEED`,
//! `SNAPINSPECT_ORACLE_WORKERS` (default 2) and `SNAPINSPECT_ORACLE_REPORT` (a file for the
//! per-case table) tune a run.

use crate::util;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::util::consul::{Options, Server};
use crate::util::mutate::{self, Fixture, Rng};
use snapinspect::report::compat::Version;
use snapinspect::report::verify::{check_input, VerifyOptions};
use snapinspect::snapshot::archive::Input;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// snapinspect's verdict for Consul 1.8.7: `Ok` restorable, `Err(why)` refused.
fn ours(path: &std::path::Path) -> Result<(), String> {
    let opts = VerifyOptions {
        target: Some(Version::parse("1.8.7").unwrap()),
        read: snapinspect::ReadOptions {
            threaded: false,
            ..Default::default()
        },
        ..Default::default()
    };
    check_input(&Input::Archive(path.to_path_buf()), &opts)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Consul's verdict: restores, and starts again from the restored state.
fn consuls(binary: &std::path::Path, snap: &[u8]) -> Result<(), String> {
    // A fresh server per case; a start that loses a port race to a parallel test is retried.
    let mut server = (0..3)
        .find_map(|_| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Server::start(binary, Options::default())
            }))
            .ok()
        })
        .expect("a Consul 1.8.7 server starts within three tries");
    let put = ureq::put(&format!("{}/v1/snapshot", server.http_addr()))
        .timeout(Duration::from_secs(60))
        .send_bytes(snap);
    if let Err(e) = put {
        let alive = server.alive();
        return Err(format!(
            "restore failed ({}){}",
            match e {
                ureq::Error::Status(code, r) => format!(
                    "HTTP {code}: {}",
                    r.into_string()
                        .unwrap_or_default()
                        .trim()
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
                ureq::Error::Transport(t) => format!("transport: {}", t.kind()),
            },
            if alive { "" } else { "; the server died" }
        ));
    }
    std::thread::sleep(Duration::from_millis(300));
    if !server.alive() {
        return Err("the server died after the restore".into());
    }
    if !server.restart(Duration::from_secs(40)) {
        let log = std::fs::read_to_string(server.dir().join("restart.log")).unwrap_or_default();
        let line = log
            .lines()
            .find(|l| l.contains("failed") || l.contains("panic") || l.contains("error"))
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>();
        return Err(format!(
            "restored, but the server did not start again: {line}"
        ));
    }
    Ok(())
}

#[test]
fn consul_1_8_7_judges_mutated_snapshots() {
    let Some(binary) = util::consul::require() else {
        return;
    };
    let cases = env_num("SNAPINSPECT_ORACLE_CASES", 40) as usize;
    let seed = env_num("SNAPINSPECT_ORACLE_SEED", 20261205);
    let workers = env_num("SNAPINSPECT_ORACLE_WORKERS", 2).max(1) as usize;
    let fixtures: Vec<Fixture> = ["basic.snap", "kv.snap", "all.snap", "acl.snap"]
        .into_iter()
        .map(mutate::fixture)
        .collect();
    let mut rng = Rng(seed);
    let all: Vec<_> = (0..cases)
        .map(|_| mutate::case(&fixtures, &mut rng))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let rows: Mutex<Vec<(usize, String, bool, bool)>> = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let (all, fixtures, rows, binary, dir) = (&all, &fixtures, &rows, &binary, dir.path());
            s.spawn(move || {
                for (i, c) in all.iter().enumerate().filter(|(i, _)| i % workers == w) {
                    let f = fixtures.iter().find(|f| f.name == c.fixture).unwrap();
                    let bytes = mutate::snap(f, &c.records);
                    let p: PathBuf = dir.join(format!("case-{i}.snap"));
                    std::fs::write(&p, &bytes).unwrap();
                    let o = ours(&p);
                    let k = consuls(binary, &bytes);
                    let line = format!(
                        "case {i:4} {:10} {}\n    snapinspect: {}\n    consul:      {}",
                        c.fixture,
                        c.what,
                        match &o {
                            Ok(()) => "restorable".to_string(),
                            Err(e) => format!("refused: {e}"),
                        },
                        match &k {
                            Ok(()) => "restored and restarted".to_string(),
                            Err(e) => e.clone(),
                        }
                    );
                    rows.lock().unwrap().push((i, line, o.is_ok(), k.is_ok()));
                }
            });
        }
    });
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| r.0);
    let false_ok: Vec<_> = rows.iter().filter(|r| r.2 && !r.3).collect();
    let over: Vec<_> = rows.iter().filter(|r| !r.2 && r.3).collect();
    let both_ok = rows.iter().filter(|r| r.2 && r.3).count();
    let both_no = rows.iter().filter(|r| !r.2 && !r.3).count();
    let summary = format!(
        "oracle: {} cases (seed {seed}) in {:.0} s against Consul 1.8.7: {both_ok} restorable and restored, \
         {both_no} refused and failed in Consul, {} refused although Consul loads them, {} FALSE RESTORABLE",
        rows.len(),
        start.elapsed().as_secs_f64(),
        over.len(),
        false_ok.len()
    );
    if let Ok(path) = std::env::var("SNAPINSPECT_ORACLE_REPORT") {
        let mut f = std::fs::File::create(path).unwrap();
        writeln!(f, "{summary}").unwrap();
        for r in &rows {
            writeln!(f, "{}", r.1).unwrap();
        }
    }
    // Visible in a passing run: the harness does not capture writes to the real stderr.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{summary}");
    for r in &over {
        let _ = writeln!(err, "over-cautious: {}", r.1);
    }
    assert!(
        false_ok.is_empty(),
        "{summary}\n{}",
        false_ok
            .iter()
            .map(|r| r.1.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        both_ok > 0 && both_no > 0,
        "{summary}: the cases must cover both verdicts"
    );
}
