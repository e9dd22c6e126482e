//! `snapinspect inspect` on the real Consul 1.8.7 fixtures: per-type counts, raw directories,
//! options, and the README's first command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Type name -> count, from the pretty table.
fn counts(report: &str) -> BTreeMap<String, u64> {
    let block = report.split("\n\n").nth(1).expect("type table");
    block
        .lines()
        .filter(|l| {
            !l.contains("----")
                && !l.trim_start().starts_with("Type")
                && !l.trim_start().starts_with("Total")
        })
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_string(), cols[1].parse().unwrap())
        })
        .collect()
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect()
}

/// The per-type counts stated in testdata/README.md (from the fixtures' provenance notes).
fn fixture_counts() -> Vec<(&'static str, BTreeMap<String, u64>)> {
    let all = [
        ("Register", 13),
        ("KVS", 3),
        ("Session", 2),
        ("Tombstone", 1),
        ("CoordinateBatchUpdate", 2),
        ("PreparedQuery", 2),
        ("Autopilot", 1),
        ("Intention", 3),
        ("ConnectCA", 1),
        ("ConnectCAProviderState", 1),
        ("ConnectCAConfig", 1),
        ("Index", 28),
        ("ACLToken", 5),
        ("ACLPolicy", 3),
        ("ConfigEntry", 8),
        ("ACLRole", 1),
        ("ACLBindingRule", 1),
        ("ACLAuthMethod", 1),
        ("ChunkingState", 1),
        ("FederationState", 1),
    ];
    let mut large = expect(&all);
    large.insert("Register".into(), 413);
    large.insert("KVS".into(), 3003);
    large.insert("Index".into(), 30);
    vec![
        (
            "basic.snap",
            expect(&[
                ("Register", 3),
                ("Autopilot", 1),
                ("Index", 6),
                ("ChunkingState", 1),
                ("FederationState", 1),
            ]),
        ),
        (
            "kv.snap",
            expect(&[
                ("Register", 3),
                ("KVS", 27),
                ("Tombstone", 1),
                ("CoordinateBatchUpdate", 1),
                ("Autopilot", 1),
                ("Index", 9),
                ("ChunkingState", 1),
                ("FederationState", 1),
            ]),
        ),
        ("all.snap", expect(&all)),
        ("large.snap", large),
    ]
}

#[test]
fn every_fixture_has_the_documented_counts() {
    for (file, want) in fixture_counts() {
        let (code, out, err) = run(&[&format!("testdata/{file}")]);
        assert_eq!(code, 0, "{file}: {err}");
        assert_eq!(counts(&out), want, "{file}");
    }
    // all.snap: 20 types, 79 records; large.snap: 3481 records.
    let total = |f: &str| counts(&run(&[f]).1).values().sum::<u64>();
    assert_eq!(total("testdata/all.snap"), 79);
    assert_eq!(total("testdata/large.snap"), 3481);
}

#[test]
fn raw_directories_match_their_snap_twins() {
    for (dir, twin) in [
        ("kv-2-38", "kv.snap"),
        ("large-2-3260", "large.snap"),
        ("all-restored-2-3262", "all.snap"),
    ] {
        let (c1, raw_dir, e1) = run(&[&format!("testdata/raw/{dir}")]);
        let (c2, raw_state, e2) = run(&[&format!("testdata/raw/{dir}/state.bin")]);
        let (c3, snap, _) = run(&[&format!("testdata/{twin}")]);
        assert_eq!((c1, c2, c3), (0, 0, 0), "{e1}{e2}");
        assert_eq!(raw_dir, raw_state);
        // The type tables are identical; the meta block may differ (a restore writes a new index).
        let table = |s: &str| s.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        assert_eq!(table(&raw_dir), table(&snap), "{dir} vs {twin}");
    }
}

#[test]
fn raw_directory_crc_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("testdata/raw/kv-2-38");
    std::fs::copy(src.join("meta.json"), tmp.path().join("meta.json")).unwrap();
    let mut state = std::fs::read(src.join("state.bin")).unwrap();
    let n = state.len();
    state[n - 100] ^= 0x01; // inside the last KV value: still valid msgpack
    std::fs::write(tmp.path().join("state.bin"), &state).unwrap();
    let (code, _, err) = run(&[tmp.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("CRC"), "{err}");
    // Without the CRC the same bytes are accepted (meta.json inside archives never has one).
    let meta = std::fs::read_to_string(src.join("meta.json")).unwrap();
    let no_crc = meta.replace(",\"CRC\":\"5bY5VYfTLRA=\"", "");
    assert_ne!(meta, no_crc);
    std::fs::write(tmp.path().join("meta.json"), no_crc).unwrap();
    assert_eq!(run(&[tmp.path().to_str().unwrap()]).0, 0);
}

#[test]
fn kv_details_depth_and_filter() {
    let (code, out, _) = run(&[
        "inspect",
        "--kvdetails",
        "--kvdepth",
        "1",
        "testdata/kv.snap",
    ]);
    assert_eq!(code, 0);
    let kv = out.split("\n\n").nth(2).expect("KV table");
    assert!(kv.starts_with(" Key Name"), "{kv}");
    assert!(kv.contains(" app           20 "), "{kv}");
    assert!(kv.contains(" big           1          68.4KB"), "{kv}");
    // Consul's single-dash spellings give the same output.
    let (_, consul_style, _) = run(&["-kvdetails", "-kvdepth=1", "testdata/kv.snap"]);
    assert_eq!(consul_style, out);
    // A filter that matches nothing prints no KV table, as Consul does.
    let (_, none, _) = run(&[
        "inspect",
        "--kvdetails",
        "--kvfilter",
        "nothing/",
        "testdata/kv.snap",
    ]);
    assert_eq!(none.split("\n\n").count(), 2);
    let (_, json, _) = run(&[
        "inspect",
        "--kvdetails",
        "--kvfilter",
        "app/",
        "--format",
        "json",
        "testdata/kv.snap",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v["StatsKV"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Count"], 20);
    assert_eq!(v["TotalSize"], 75216);
    assert_eq!(
        run(&["inspect", "--kvdetails", "--kvdepth=-1", "testdata/kv.snap"]).0,
        2
    );
}

#[test]
fn readme_first_command_runs_on_a_bundled_snapshot() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let first = readme
        .lines()
        .find(|l| l.trim_start().starts_with("cargo run"))
        .expect("README shows a cargo run command");
    let first = first.split('#').next().unwrap();
    let args: Vec<&str> = first
        .split(" -- ")
        .nth(1)
        .expect("cargo run -- ARGS")
        .split_whitespace()
        .collect();
    assert!(
        Path::new(&root()).join(args.last().unwrap()).exists(),
        "{first}"
    );
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    // The independent golden of the same command (scripts/inspect-reference.py).
    let expected = std::fs::read_to_string(root().join("testdata/golden/inspect/all.txt")).unwrap();
    assert_eq!(out, expected);
}

#[test]
fn standard_input_and_json_output() {
    let bytes = std::fs::read(root().join("testdata/basic.snap")).unwrap();
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["inspect", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Meta"]["ID"], "2-7-1795503972889");
    assert_eq!(v["Meta"]["Size"], 2230);
    assert_eq!(v["TotalSize"], 2230);
    assert!(v["StatsKV"].is_null());
    assert_eq!(v["Stats"][0]["Name"], "Register");
}
