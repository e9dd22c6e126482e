//! pack, unpack and redact: what we write is whole, secret-free where asked, atomic, and
//! accepted by a real Consul 1.8.7.

use crate::util;

use std::path::{Path, PathBuf};

use crate::util::consul::{self, Options, Server};
use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

/// Every secret of a snapshot, as `decode --show-secrets` shows them.
fn secrets_of(file: &str) -> Vec<String> {
    let out = run(&["decode", "--show-secrets", file]);
    let mut found = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines().skip(1) {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        let v = &l["value"];
        for key in ["SecretID", "PrivateKey", "SigningKey"] {
            if let Some(s) = v[key].as_str() {
                if !s.is_empty() && s != "anonymous" {
                    found.push(s.to_string());
                }
            }
        }
    }
    found
}

/// (type, value bytes) of every record of a .snap, through the library.
fn records(path: &Path) -> Vec<(u8, Vec<u8>)> {
    struct All(Vec<(u8, Vec<u8>)>);
    impl snapinspect::snapshot::state::RecordSink for All {
        fn wants_value(&mut self, _: snapinspect::snapshot::state::MessageType) -> bool {
            true
        }
        fn record(
            &mut self,
            r: &snapinspect::snapshot::state::Record<'_>,
        ) -> snapinspect::Result<()> {
            self.0.push((r.mtype.0, r.value.unwrap().to_vec()));
            Ok(())
        }
    }
    let mut all = All(Vec::new());
    snapinspect::snapshot::archive::read_path(path, &Default::default(), &mut all).unwrap();
    all.0
}

#[test]
fn redacted_copies_hold_no_secret_and_change_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["all", "large"] {
        let input = format!("testdata/{name}.snap");
        let secrets = secrets_of(&input);
        assert!(secrets.len() >= 5, "{name}: {secrets:?}");
        let out = dir.path().join(format!("{name}.redacted.snap"));
        let r = run(&["redact", &input, "-o", out.to_str().unwrap()]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let report = String::from_utf8(r.stdout).unwrap();
        assert!(report.contains("replaced 4 acl-secret-id"), "{report}");
        assert!(report.contains("replaced 1 private-key"), "{report}");
        // Nowhere in the decompressed copy, not even a line of a key.
        let raw = util::gunzip(&std::fs::read(&out).unwrap());
        for s in &secrets {
            for part in s.lines().filter(|l| l.len() >= 20) {
                assert!(
                    !raw.windows(part.len()).any(|w| w == part.as_bytes()),
                    "{name}: secret left in the copy"
                );
            }
        }
        // Every record without a secret is byte-identical; the copy verifies.
        let before = records(&root().join(&input));
        let after = records(&out);
        assert_eq!(before.len(), after.len());
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 5, "{name}: four token secrets and one CA key");
        for ((ta, _), (tb, _)) in before.iter().zip(&after) {
            assert_eq!(ta, tb);
        }
        assert_eq!(
            run(&["verify", "--strict", out.to_str().unwrap()])
                .status
                .code(),
            Some(0)
        );
    }
}

#[test]
fn unpack_extracts_only_verified_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let r = run(&["unpack", "testdata/kv.snap", "-C", good.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(
        std::fs::read(good.join("state.bin")).unwrap(),
        std::fs::read(root().join("testdata/raw/kv-2-38/state.bin")).unwrap()
    );
    // The extracted directory reads back as a raw snapshot.
    assert_eq!(
        run(&["verify", good.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let bytes = std::fs::read(root().join("testdata/kv.snap")).unwrap();
    let broken = dir.path().join("broken.snap");
    std::fs::write(&broken, &bytes[..bytes.len() - 10]).unwrap();
    let bad = dir.path().join("bad");
    let r = run(&[
        "unpack",
        broken.to_str().unwrap(),
        "-C",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(3));
    assert!(!bad.exists(), "nothing is written for a broken snapshot");
}

#[test]
fn pack_round_trips_raft_directories() {
    let dir = tempfile::tempdir().unwrap();
    for raw in ["kv-2-38", "large-2-3260", "all-restored-2-3262"] {
        let out = dir.path().join(format!("{raw}.snap"));
        let r = run(&[
            "pack",
            &format!("testdata/raw/{raw}"),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let packed = records(&out);
        let state = std::fs::read(root().join(format!("testdata/raw/{raw}/state.bin"))).unwrap();
        let snap = snapinspect::snapshot::archive::read_path(
            &out,
            &Default::default(),
            &mut snapinspect::snapshot::state::NullSink,
        )
        .unwrap();
        assert_eq!(snap.state_size as usize, state.len());
        assert!(!packed.is_empty());
    }
    // A raft directory whose state does not match its CRC is refused, and nothing is written.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::copy(
        root().join("testdata/raw/kv-2-38/meta.json"),
        bad.join("meta.json"),
    )
    .unwrap();
    let mut state = std::fs::read(root().join("testdata/raw/kv-2-38/state.bin")).unwrap();
    let n = state.len();
    state[n - 100] ^= 1;
    std::fs::write(bad.join("state.bin"), state).unwrap();
    let out = dir.path().join("never.snap");
    assert_eq!(
        run(&["pack", bad.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
    assert!(!out.exists());
}

#[test]
fn an_interrupted_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.snap");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("snapinspect"))
        .args(["generate", "--size", "2GiB", "-o", out.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the output's temp file exists, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        if names
            .iter()
            .any(|n| n.to_string_lossy().starts_with(".snapinspect-"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no temp file appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn consul_restores_packed_and_redacted_snapshots() {
    let Some(bin) = consul::require() else { return };
    let dir = tempfile::tempdir().unwrap();
    let master = "11111111-2222-3333-4444-000000000009";
    for (input, golden, redact) in [
        ("testdata/raw/kv-2-38", "kv", false),
        ("testdata/raw/large-2-3260", "large", false),
        ("testdata/raw/all-restored-2-3262", "all", false),
        ("testdata/all.snap", "all", true),
        ("testdata/large.snap", "large", true),
    ] {
        let out = dir.path().join(format!("{golden}-{redact}.snap"));
        let cmd = if redact { "redact" } else { "pack" };
        let r = run(&[cmd, input, "-o", out.to_str().unwrap()]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{input}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let server = Server::start(
            &bin,
            Options {
                acl_master_token: Some(master.into()),
                connect: true,
                ..Default::default()
            },
        );
        server.cli_ok(&["snapshot", "restore", out.to_str().unwrap()]);
        // The configured master token is recreated by the new leader; wait for it.
        let mut export = String::new();
        for _ in 0..50 {
            let o = server.cli(&["kv", "export", ""]);
            if o.status.success() {
                export = String::from_utf8(o.stdout).unwrap();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let export: serde_json::Value =
            serde_json::from_str(&export).expect("kv export after restore");
        let want: serde_json::Value = serde_json::from_slice(
            &std::fs::read(util::testdata(&format!("golden/{golden}.kv-export.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(export, want, "{input}");
        // The web token's secret: still valid after a plain restore, gone after a redacted one.
        let mut c = std::process::Command::new(&bin);
        c.args(["acl", "token", "read", "-self"])
            .env("CONSUL_HTTP_ADDR", server.http_addr())
            .env("CONSUL_HTTP_TOKEN", "11111111-2222-3333-4444-555555555555");
        let o = c.output().unwrap();
        if golden != "kv" {
            if redact {
                assert!(
                    !o.status.success(),
                    "{input}: the redacted token still works"
                );
                assert!(
                    String::from_utf8_lossy(&o.stderr).contains("ACL not found"),
                    "{}",
                    String::from_utf8_lossy(&o.stderr)
                );
            } else {
                assert!(
                    o.status.success(),
                    "{input}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
    }
}
