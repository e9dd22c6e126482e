//! `snapinspect trend` over snapshots of a growing real Consul: growth per type and prefix,
//! oldest first, and a valid SVG chart.

use crate::util;
use crate::util::consul::{self, Options, Server};
use assert_cmd::Command;

#[test]
fn a_growing_cluster_trends_up() {
    let Some(bin) = consul::require() else { return };
    let server = Server::start(&bin, Options::default());
    let dir = tempfile::tempdir().unwrap();
    // Saved in time order, named so that name order is not time order.
    let names = ["c-first.snap", "a-second.snap", "b-third.snap"];
    let mut written = 0;
    for (round, (name, keys)) in names.iter().zip([10, 50, 100]).enumerate() {
        while written < keys {
            let value = "x".repeat(100 * (round + 1));
            server.cli_ok(&["kv", "put", &format!("grow/key-{written:03}"), &value]);
            written += 1;
        }
        server.cli_ok(&["snapshot", "save", dir.path().join(name).to_str().unwrap()]);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let svg = dir.path().join("trend.svg");
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .args([
            "trend",
            "--format",
            "json",
            "--kvdepth",
            "1",
            "--plot",
            svg.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let snaps = v["snapshots"].as_array().unwrap();
    let order: Vec<&str> = snaps
        .iter()
        .map(|s| s["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(order, names, "oldest first, by the time in the snapshot ID");
    let kvs: Vec<u64> = snaps
        .iter()
        .map(|s| s["types"]["KVS"][0].as_u64().unwrap())
        .collect();
    assert_eq!(kvs, vec![10, 50, 100]);
    let kv_growth = util::find(&v["types"], "name", "KVS");
    assert_eq!(kv_growth["first_count"], 10);
    assert_eq!(kv_growth["last_count"], 100);
    assert!(kv_growth["delta_bytes"].as_i64().unwrap() > 100 * 100);
    assert_eq!(v["types"][0]["name"], "KVS", "KVS grew most");
    let grow = util::find(&v["kv_prefixes"], "name", "grow");
    assert!(grow["last_bytes"].as_u64().unwrap() > grow["first_bytes"].as_u64().unwrap());
    // The chart is valid SVG with a line per drawn type and the type names in its legend.
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("valid XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lines = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "polyline" || n.tag_name().name() == "path")
        .count();
    assert!(lines >= 2, "{lines} lines");
    assert!(
        doc.descendants()
            .any(|n| n.text().map(str::trim) == Some("KVS")),
        "legend names KVS"
    );
    // The table layout says the same.
    let pretty = Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["trend", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let pretty = String::from_utf8(pretty.stdout).unwrap();
    assert!(pretty.contains("Growth by type"), "{pretty}");
    assert!(
        pretty.contains("(10)") && pretty.contains("(100)"),
        "{pretty}"
    );
}
