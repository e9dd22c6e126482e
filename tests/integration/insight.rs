//! `inspect --details`: largest entries, catalog breakdown, KV tree and provenance, checked
//! against Consul's own `kv export` golden and the plain table.

use std::path::PathBuf;

use assert_cmd::Command;
use base64::Engine;

use crate::util;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn details_json(file: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args(["inspect", "--details", "--format", "json"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn top_five_kv_values_match_consuls_kv_export() {
    let golden: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/golden/large.kv-export.json")).unwrap(),
    )
    .unwrap();
    let sizes: std::collections::HashMap<String, usize> = golden
        .iter()
        .map(|e| {
            let v = base64::engine::general_purpose::STANDARD
                .decode(e["value"].as_str().unwrap_or(""))
                .unwrap();
            (e["key"].as_str().unwrap().to_string(), v.len())
        })
        .collect();
    let mut expected: Vec<usize> = sizes.values().copied().collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.truncate(5);

    let v = details_json("testdata/large.snap", &["--top", "5"]);
    let top = v["details"]["top_kv"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    let got: Vec<usize> = top
        .iter()
        .map(|t| t["value_bytes"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(got, expected);
    for t in top {
        let key = t["key"].as_str().unwrap();
        assert_eq!(
            sizes[key],
            t["value_bytes"].as_u64().unwrap() as usize,
            "{key}"
        );
        assert!(t["record_bytes"].as_u64().unwrap() > t["value_bytes"].as_u64().unwrap());
    }
    // The pretty layout lists them too, after Consul's unchanged report.
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args(["inspect", "--details", "--top", "5", "testdata/large.snap"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let plain = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .arg("testdata/large.snap")
        .output()
        .unwrap();
    assert!(text.starts_with(std::str::from_utf8(&plain.stdout).unwrap().trim_end()));
    assert!(text.contains("Largest KV entries (top 5)"), "{text}");
}

#[test]
fn catalog_breakdowns_sum_to_the_register_total() {
    let v = details_json("testdata/large.snap", &[]);
    let register = util::find(&v["inspect"]["Stats"], "Name", "Register").clone();
    let total_bytes = register["Sum"].as_u64().unwrap();
    let total_count = register["Count"].as_u64().unwrap();
    let nodes = v["details"]["nodes"].as_array().unwrap();
    let services = v["details"]["services"].as_array().unwrap();
    let sum = |rows: &Vec<serde_json::Value>, f: &str| {
        rows.iter().map(|r| r[f].as_u64().unwrap()).sum::<u64>()
    };
    assert_eq!(sum(nodes, "register_bytes"), total_bytes);
    assert_eq!(sum(services, "register_bytes"), total_bytes);
    assert_eq!(sum(nodes, "registers"), total_count);
    // 100 external nodes with 200 services and 100 checks, plus the server and external-db.
    assert_eq!(nodes.len(), 102);
    assert_eq!(sum(nodes, "services"), sum(services, "instances"));
    assert_eq!(sum(nodes, "checks"), sum(services, "checks"));
    assert_eq!(sum(nodes, "coordinates"), 2);
    assert_eq!(sum(nodes, "sessions"), 2);
    let fixture_b = nodes.iter().find(|n| n["name"] == "fixture-b").unwrap();
    assert_eq!(fixture_b["sessions"], 2);
}

#[test]
fn provenance_names_datacenter_servers_version_and_age() {
    let v = details_json("testdata/all.snap", &[]);
    let p = &v["details"]["provenance"];
    assert_eq!(p["datacenters"], serde_json::json!(["dc1"]));
    assert_eq!(p["raft_servers"].as_array().unwrap().len(), 1);
    assert_eq!(p["raft_servers"][0]["address"], "127.0.0.1:8300");
    assert_eq!(p["raft_servers"][0]["suffrage"], "voter");
    assert_eq!(p["server_versions"]["fixture-b"], "1.8.7");
    // ID 2-53-1795504043268: milliseconds since the Unix epoch.
    assert_eq!(p["created"], "2026-11-24T07:07:23.268Z");
    assert!(p["age_seconds"].as_u64().is_some());
}

#[test]
fn kv_tree_counts_keys_and_bytes_per_prefix() {
    let v = details_json("testdata/kv.snap", &["--kvdepth", "1"]);
    let tree = v["details"]["kv_tree"].as_array().unwrap();
    let app = tree.iter().find(|r| r["name"] == "app").unwrap();
    assert_eq!(app["keys"], 20);
    let big = tree.iter().find(|r| r["name"] == "big").unwrap();
    assert_eq!(big["value_bytes"], 70000);
    assert_eq!(
        tree.iter()
            .map(|r| r["keys"].as_u64().unwrap())
            .sum::<u64>(),
        27
    );
    assert_eq!(v["details"]["tombstones"], 1);
}
