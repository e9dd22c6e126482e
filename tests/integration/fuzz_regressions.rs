//! Every input a fuzzer found that crashed, hung or ballooned snapinspect, replayed: through
//! the same library calls as its fuzz target, and as a record of a snapshot through the
//! commands, in bounded time and memory. The inputs live in `testdata/fuzz/<target>/`.

use crate::util;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::{run_measured, RSS_LIMIT_KB};
use snapinspect::snapshot::state::MessageType;

fn findings(target: &str) -> Vec<PathBuf> {
    let dir = util::testdata("fuzz").join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no findings in {}", dir.display());
    v
}

/// The `record` target's body: type byte, then one msgpack value.
fn replay_record(data: &[u8]) {
    let t = MessageType(data[0] % 48);
    let (json, id, _) = snapinspect::report::decode::record_json(
        t,
        &data[1..],
        &snapinspect::model::secrets::Redactor::new_random(),
    );
    assert!(id.starts_with(&t.name()));
    serde_json::to_string(&json).unwrap();
    let _ = snapinspect::write::redact::redact_value(t, &data[1..]);
    let _ = snapinspect::model::shape::check(t, &data[1..]);
}

/// A .snap holding the finding as its one record.
fn as_snapshot(dir: &Path, data: &[u8]) -> String {
    let mut state = vec![0x81, 0xa9];
    state.extend_from_slice(b"LastIndex");
    state.push(0x07);
    state.push(data[0] % 48);
    state.extend_from_slice(&data[1..]);
    let meta = snapinspect::snapshot::meta::SnapshotMeta {
        version: 1,
        id: "2-7-1700000000000".into(),
        index: 7,
        term: 2,
        peers: None,
        servers: None,
        configuration_index: 0,
        size: state.len() as i64,
        crc: None,
    };
    let p = dir.join("finding.snap");
    std::fs::write(&p, util::snap(&meta, &state)).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn record_findings_are_harmless() {
    let tmp = tempfile::tempdir().unwrap();
    for f in findings("record") {
        let data = std::fs::read(&f).unwrap();
        let start = Instant::now();
        replay_record(&data);
        assert!(start.elapsed() < Duration::from_secs(5), "{}", f.display());

        let snap = as_snapshot(tmp.path(), &data);
        let out = tmp.path().join("redacted.snap");
        for args in [
            vec!["decode", snap.as_str()],
            vec!["verify", snap.as_str()],
            vec!["scan", snap.as_str()],
            vec!["redact", snap.as_str(), "-o", out.to_str().unwrap()],
            vec!["diff", snap.as_str(), snap.as_str()],
        ] {
            let start = Instant::now();
            let (code, stderr, rss) = run_measured(&args);
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} {args:?} took {:?}",
                f.display(),
                start.elapsed()
            );
            assert!(
                rss < RSS_LIMIT_KB,
                "{} {args:?}: peak RSS {rss} KiB",
                f.display()
            );
            assert!(
                code != 101 && !stderr.contains("panicked"),
                "{args:?}: {stderr}"
            );
        }
    }
}
