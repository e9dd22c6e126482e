//! `snapinspect decode`: every record typed, KV and catalog equal to Consul's own exports,
//! secrets redacted unless asked for, memory flat while streaming.

use crate::util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use snapinspect::model::secrets::Redactor;
use snapinspect::report::decode::record_json;
use snapinspect::snapshot::state::{MessageType, Record, RecordSink, StateWalker};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn decode(args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .arg("decode")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The types the typed model must cover (issue list), by Consul name.
const TYPED: &[&str] = &[
    "Register",
    "KVS",
    "Tombstone",
    "Session",
    "ACLToken",
    "ACLPolicy",
    "ACLRole",
    "ACLBindingRule",
    "ACLAuthMethod",
    "PreparedQuery",
    "Intention",
    "ConnectCA",
    "ConnectCAProviderState",
    "ConnectCAConfig",
    "ConfigEntry",
    "Index",
    "Autopilot",
    "CoordinateBatchUpdate",
    "FederationState",
    "SystemMetadata",
    "ServiceVirtualIP",
    "FreeVirtualIP",
    "ChunkingState",
];

#[test]
fn every_record_of_every_fixture_decodes_typed() {
    for f in [
        "basic.snap",
        "kv.snap",
        "all.snap",
        "large.snap",
        "raw/kv-2-38",
        "raw/large-2-3260",
        "raw/all-restored-2-3262",
    ] {
        let lines = decode(&[&format!("testdata/{f}")]);
        assert!(
            lines[0]["meta"]["ID"].is_string(),
            "{f}: first line is the meta"
        );
        assert!(lines[0]["last_index"].is_u64());
        let records = &lines[1..];
        let inspect: serde_json::Value = serde_json::from_slice(
            &Command::cargo_bin("snapinspect")
                .unwrap()
                .current_dir(root())
                .args(["inspect", "--format", "json", &format!("testdata/{f}")])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let total: u64 = inspect["Stats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Count"].as_u64().unwrap())
            .sum();
        assert_eq!(records.len() as u64, total, "{f}: one line per record");
        for r in records {
            let t = r["type"].as_str().unwrap();
            assert!(TYPED.contains(&t), "{f}: unexpected type {t}");
            assert_eq!(
                r["typed"], true,
                "{f}: record {} ({t}) fell back to generic: {r}",
                r["n"]
            );
            assert!(r["id"].as_str().unwrap().starts_with(t), "{r}");
            assert!(!r["id"].as_str().unwrap().ends_with(":?"), "{r}");
        }
    }
}

/// Feeds a state.bin through the walker and decodes each record typed.
struct TypedCount(BTreeMap<String, (u64, u64)>);
impl RecordSink for TypedCount {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> snapinspect::Result<()> {
        let (_, _, typed) = record_json(r.mtype, r.value.unwrap(), &Redactor::new_random());
        let e = self.0.entry(r.mtype.name()).or_default();
        e.0 += 1;
        e.1 += typed as u64;
        Ok(())
    }
}

#[test]
fn older_consul_streams_decode_typed() {
    let dir = root().join("../shared/fixtures/upstream/test-snapshot");
    if !dir.is_dir() {
        util::skip(
            "SNAPINSPECT_REQUIRE_SHARED",
            "../shared/fixtures/upstream is not present",
        );
        return;
    }
    for (fixture, expected_records) in [("extra.tar", 3u64), ("spaces-meta.tar", 13)] {
        let f = std::io::BufReader::new(std::fs::File::open(dir.join(fixture)).unwrap());
        let mut t = snapinspect::go::tar::TarReader::new(f);
        let mut state = Vec::new();
        while let Some(e) = t.next_entry().unwrap() {
            let mut body = Vec::new();
            t.read_data(&e, &mut |c| {
                body.extend_from_slice(c);
                Ok(())
            })
            .unwrap();
            if e.name == b"state.bin" {
                state = body;
            }
        }
        let mut w = StateWalker::new();
        let mut sink = TypedCount(BTreeMap::new());
        w.feed(&state, &mut sink).unwrap();
        w.finish().unwrap();
        let records: u64 = sink.0.values().map(|c| c.0).sum();
        assert_eq!(records, expected_records, "{fixture}");
        for (t, (n, typed)) in &sink.0 {
            assert_eq!(n, typed, "{fixture}: {t} records not all typed");
        }
    }
}

fn kv_from(lines: &[serde_json::Value]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "KVS")
        .map(|l| {
            let v = &l["value"];
            serde_json::json!({ "key": v["Key"], "flags": v["Flags"], "value": v["Value"].as_str().map(str::to_string).unwrap_or_default() })
        })
        .collect()
}

#[test]
fn kv_records_equal_consuls_kv_export() {
    for name in ["kv", "all", "large"] {
        let lines = decode(&[&format!("testdata/{name}.snap")]);
        let ours = kv_from(&lines);
        let golden: Vec<serde_json::Value> = serde_json::from_slice(
            &std::fs::read(util::testdata(&format!("golden/{name}.kv-export.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(ours.len(), golden.len(), "{name}");
        assert_eq!(ours, golden, "{name}");
    }
    // The --kv-prefix and --type filters.
    let app = decode(&["--kv-prefix", "app/", "testdata/kv.snap"]);
    assert_eq!(app.len(), 1 + 20);
    assert!(app[1..]
        .iter()
        .all(|l| l["value"]["Key"].as_str().unwrap().starts_with("app/")));
    let idx = decode(&["--type", "Index", "--type", "29", "testdata/kv.snap"]);
    assert_eq!(idx.len(), 1 + 9 + 1);
}

#[test]
fn catalog_nodes_and_services_match_consuls_catalog() {
    let lines = decode(&["testdata/all.snap"]);
    let mut nodes = BTreeMap::new();
    let mut services: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["type"] == "Register") {
        let v = &l["value"];
        nodes.insert(
            v["Node"].as_str().unwrap().to_string(),
            (v["ID"].clone(), v["Address"].clone()),
        );
        if let Some(s) = v["Service"].as_object() {
            let tags = services
                .entry(s["Service"].as_str().unwrap().to_string())
                .or_default();
            for t in s["Tags"].as_array().into_iter().flatten() {
                tags.insert(t.as_str().unwrap().to_string());
            }
        }
    }
    let golden_nodes: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(util::testdata("golden/all.catalog-nodes.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(nodes.len(), golden_nodes.len());
    for g in &golden_nodes {
        let (id, addr) = &nodes[g["Node"].as_str().unwrap()];
        assert_eq!(id, &g["ID"]);
        assert_eq!(addr, &g["Address"]);
    }
    let golden_services: BTreeMap<String, Vec<String>> = serde_json::from_slice(
        &std::fs::read(util::testdata("golden/all.catalog-services.json")).unwrap(),
    )
    .unwrap();
    let golden_services: BTreeMap<String, BTreeSet<String>> = golden_services
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect();
    assert_eq!(services, golden_services);
}

/// Every secret value of a fixture, from `--show-secrets` output: (ACL secret IDs, private keys).
fn secrets(file: &str) -> (Vec<String>, Vec<String>) {
    let lines = decode(&["--show-secrets", file]);
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for l in &lines[1..] {
        let v = &l["value"];
        match l["type"].as_str().unwrap() {
            // "anonymous" is the anonymous token's well-known SecretID, not a secret.
            "ACLToken" if v["SecretID"] != "anonymous" => {
                ids.push(v["SecretID"].as_str().unwrap().to_string())
            }
            "ConnectCA" if !v["SigningKey"].as_str().unwrap().is_empty() => {
                keys.push(v["SigningKey"].as_str().unwrap().to_string())
            }
            "ConnectCAProviderState" => keys.push(v["PrivateKey"].as_str().unwrap().to_string()),
            _ => {}
        }
    }
    (ids, keys)
}

#[test]
fn no_secret_appears_without_show_secrets() {
    for f in [
        "testdata/all.snap",
        "testdata/large.snap",
        "testdata/raw/all-restored-2-3262",
    ] {
        let (ids, keys) = secrets(f);
        assert_eq!(ids.len(), 4, "{f}: four tokens besides the anonymous one");
        assert!(
            ids.contains(&"11111111-2222-3333-4444-555555555555".to_string()),
            "{f}: the web token's secret"
        );
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k.contains("PRIVATE KEY")),
            "{f}: {keys:?}"
        );
        let out = Command::cargo_bin("snapinspect")
            .unwrap()
            .current_dir(root())
            .args(["decode", f])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for s in ids.iter().chain(&keys) {
            assert!(
                !text.contains(s.as_str()),
                "{f}: a secret leaked into decode output"
            );
            // Not even a line of a PEM block.
            for line in s.lines().filter(|l| l.len() > 40) {
                assert!(!text.contains(line), "{f}: part of a key leaked");
            }
        }
        assert!(text.contains("[redacted:"), "{f}");
        let shown = Command::cargo_bin("snapinspect")
            .unwrap()
            .current_dir(root())
            .args(["decode", "--show-secrets", f])
            .output()
            .unwrap();
        let shown = String::from_utf8(shown.stdout).unwrap();
        assert!(ids.iter().all(|s| shown.contains(s.as_str())));
    }
}

#[test]
fn decode_streams_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.snap");
    let opts = snapinspect::write::WriteOptions {
        level: 1,
        mtime: 0,
        threads: 2,
    };
    snapinspect::write::generate::generate_snapshot(
        snapinspect::write::generate::GenOptions {
            size: 96 << 20,
            seed: 5,
            variant: 0,
        },
        &p,
        opts,
        &snapinspect::write::TempFiles::new(),
    )
    .unwrap();
    let (code, err, rss) = util::run_measured(&["decode", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        rss < util::RSS_LIMIT_KB,
        "peak RSS {rss} KiB while decoding 96 MiB of state"
    );
    assert!(Path::new(&p).exists());
}

#[test]
fn no_output_of_any_command_prints_a_secret() {
    let (ids, keys) = secrets("testdata/all.snap");
    assert_eq!(ids.len(), 4);
    let commands: &[&[&str]] = &[
        &["inspect", "testdata/all.snap"],
        &[
            "inspect",
            "--format",
            "json",
            "--kvdetails",
            "testdata/all.snap",
        ],
        &["inspect", "--details", "--top", "100", "testdata/all.snap"],
        &[
            "inspect",
            "--details",
            "--top",
            "100",
            "--format",
            "json",
            "testdata/all.snap",
        ],
        &["verify", "--format", "json", "testdata/all.snap"],
        &["decode", "testdata/all.snap"],
        &["decode", "--type", "ACLToken", "testdata/all.snap"],
        &["compat", "--format", "json", "testdata/all.snap"],
    ];
    for args in commands {
        let out = Command::cargo_bin("snapinspect")
            .unwrap()
            .current_dir(root())
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        for s in ids.iter().chain(&keys) {
            for part in s.lines().filter(|l| l.len() >= 20) {
                assert!(!text.contains(part), "{args:?} printed a secret");
            }
        }
    }
}
