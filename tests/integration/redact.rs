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
        assert!(r.stdout.is_empty(), "the report goes to stderr");
        let report = String::from_utf8(r.stderr).unwrap();
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

/// A snapshot of KV values that look like secrets (and one that does not) and a token.
fn secret_looking_kv(dir: &Path) -> PathBuf {
    use snapinspect::go::msgpack::encode as e;
    let mut state = util::state_header(20);
    let values: &[(&str, &str)] = &[
        ("tls/key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"),
        ("aws/id", "AKIAIOSFODNN7EXAMPLE"),
        ("ci/github", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("auth/jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("app/greeting", "hello, not a secret"),
    ];
    for (i, (k, v)) in values.iter().enumerate() {
        state.push(2);
        e::map_len(&mut state, 4);
        e::raw(&mut state, b"Key");
        e::raw(&mut state, k.as_bytes());
        e::raw(&mut state, b"Value");
        e::raw(&mut state, v.as_bytes());
        e::raw(&mut state, b"CreateIndex");
        e::uint(&mut state, 10 + i as u64);
        e::raw(&mut state, b"ModifyIndex");
        e::uint(&mut state, 10 + i as u64);
    }
    state.push(17);
    e::map_len(&mut state, 3);
    e::raw(&mut state, b"AccessorID");
    e::raw(&mut state, b"aaaaaaaa-0000-4000-8000-000000000001");
    e::raw(&mut state, b"SecretID");
    e::raw(&mut state, b"5ec7e700-0000-4000-8000-000000000001");
    e::raw(&mut state, b"Description");
    e::raw(&mut state, b"a real token");
    util::write_snap(dir, "kv-secrets.snap", 20, &state)
}

/// redact empties the KV values scan flags and mints new ACL secrets scan knows are nobody's:
/// scan --fail-on-secrets passes on the copy; with --keep-kv it does not.
#[test]
fn scan_passes_on_what_redact_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = secret_looking_kv(dir.path());
    let input = input.to_str().unwrap();
    let scan = |f: &str| run(&["scan", "--fail-on-secrets", f]);
    assert_eq!(
        scan(input).status.code(),
        Some(1),
        "the original has secrets"
    );

    let out = dir.path().join("copy.snap");
    let r = run(&["redact", input, "-o", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    let report = String::from_utf8(r.stderr).unwrap();
    assert!(report.contains("replaced 1 acl-secret-id"), "{report}");
    assert!(
        report.contains("emptied 4 KV value(s) that look like secrets"),
        "{report}"
    );
    assert!(report.contains("left 1 other KV value(s)"), "{report}");
    assert!(!report.contains("no secrets found"), "{report}");
    let s = scan(out.to_str().unwrap());
    assert_eq!(
        s.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&s.stdout)
    );
    // The plain value and the keys stay; the secret-looking values are empty.
    let decoded =
        String::from_utf8(run(&["decode", "--type", "KVS", out.to_str().unwrap()]).stdout).unwrap();
    let values: std::collections::BTreeMap<String, serde_json::Value> = decoded
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["value"]["Key"].as_str().unwrap().to_string(),
                v["value"]["Value"].clone(),
            )
        })
        .collect();
    assert_eq!(values.len(), 5, "{decoded}");
    for k in ["tls/key", "aws/id", "ci/github", "auth/jwt"] {
        assert!(
            values[k].is_null() || values[k] == "",
            "{k} kept {:?}",
            values[k]
        );
    }
    assert_eq!(values["app/greeting"], "aGVsbG8sIG5vdCBhIHNlY3JldA==");

    let kept = dir.path().join("kept.snap");
    let r = run(&["redact", "--keep-kv", input, "-o", kept.to_str().unwrap()]);
    let report = String::from_utf8(r.stderr).unwrap();
    assert!(
        report.contains("kept 4 KV value(s) that look like secrets"),
        "{report}"
    );
    assert_eq!(scan(kept.to_str().unwrap()).status.code(), Some(1));
}
