//! Against a real Consul 1.8.7: our output equals Consul's own, Consul accepts what we write,
//! and we read what a live Consul saves. Skipped loudly without Consul; required in CI.

use crate::util;

use std::path::Path;

use crate::util::consul::{self, Options, Server};

#[test]
fn legacy_inspect_equals_consul_1_8_7_byte_for_byte() {
    let Some(bin) = consul::require() else { return };
    for name in ["basic", "kv", "all", "large"] {
        let file = util::testdata(&format!("{name}.snap"));
        let theirs = std::process::Command::new(&bin)
            .args(["snapshot", "inspect"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(theirs.status.success());
        let mine = util::local(&["inspect", "--format", "legacy", file.to_str().unwrap()]);
        assert_eq!(mine.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&mine.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{name}"
        );
        let golden = std::fs::read(util::testdata(&format!("golden/{name}.inspect.txt"))).unwrap();
        assert_eq!(mine.stdout, golden, "{name} golden");
    }
}

#[test]
fn a_snapshot_saved_from_a_live_server_reads_and_verifies() {
    let Some(bin) = consul::require() else { return };
    let server = Server::start(&bin, Options::default());
    for i in 0..25 {
        server.cli_ok(&[
            "kv",
            "put",
            &format!("live/key-{i:02}"),
            &format!("value {i}"),
        ]);
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("live.snap");
    server.cli_ok(&["snapshot", "save", snap.to_str().unwrap()]);
    let out = util::local(&["inspect", "--format", "json", snap.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kvs = util::find(&v["Stats"], "Name", "KVS");
    assert_eq!(kvs["Count"], 25);
    let theirs = server.cli_ok(&["snapshot", "inspect", snap.to_str().unwrap()]);
    let mine = util::local(&["inspect", "--format", "legacy", snap.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&mine.stdout), theirs);
    let verify = util::local(&["verify", "--strict", snap.to_str().unwrap()]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn consul_accepts_what_we_write() {
    let Some(bin) = consul::require() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A generated snapshot passes Consul's own archive checks.
    let generated = dir.path().join("generated.snap");
    let g = util::local(&[
        "generate",
        "--size",
        "4MiB",
        "--seed",
        "7",
        "-o",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(
        g.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&g.stderr)
    );
    let inspect = std::process::Command::new(&bin)
        .args(["snapshot", "inspect"])
        .arg(&generated)
        .output()
        .unwrap();
    assert!(
        inspect.status.success(),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );

    // The raft directory of kv.snap, re-written by our writer with parallel compression, is
    // restored by a real server, and its KV store then equals Consul's own export.
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/raw/kv-2-38");
    let meta = snapinspect::snapshot::meta::SnapshotMeta::parse(
        &std::fs::read(raw.join("meta.json")).unwrap(),
    )
    .unwrap();
    let state = std::fs::read(raw.join("state.bin")).unwrap();
    let opts = snapinspect::write::WriteOptions {
        threads: 2,
        ..Default::default()
    };
    let (_, bytes) = snapinspect::write::write_snapshot(
        Vec::new(),
        &meta,
        &mut &state[..],
        state.len() as u64,
        opts,
    )
    .unwrap();
    let packed = dir.path().join("packed.snap");
    std::fs::write(&packed, bytes).unwrap();
    let server = Server::start(&bin, Options::default());
    server.cli_ok(&["snapshot", "restore", packed.to_str().unwrap()]);
    let export: serde_json::Value =
        serde_json::from_str(&server.cli_ok(&["kv", "export", ""])).unwrap();
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(util::testdata("golden/kv.kv-export.json")).unwrap())
            .unwrap();
    assert_eq!(export, golden);
}
