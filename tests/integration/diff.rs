//! `snapinspect diff`: exactly the changes made to a real Consul between two saves, identical
//! snapshots exit 0, and no secret is printed without --show-secrets.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::util;
use crate::util::consul::{self, Options, Server};
use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn diff(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn identical_snapshots_exit_zero() {
    let (code, out) = diff(&["testdata/all.snap", "testdata/all.snap"]);
    assert_eq!(code, 0);
    assert!(out.contains("identical"));
    // The same state re-packed (a raft directory against its .snap twin, and our own pack).
    assert_eq!(diff(&["testdata/kv.snap", "testdata/raw/kv-2-38"]).0, 0);
    assert_eq!(
        diff(&["testdata/all.snap", "testdata/raw/all-restored-2-3262"]).0,
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let packed = dir.path().join("large.snap");
    let p = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args([
            "pack",
            "testdata/raw/large-2-3260",
            "-o",
            packed.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(p.status.success());
    assert_eq!(
        diff(&["testdata/large.snap", packed.to_str().unwrap()]).0,
        0
    );
    // And different ones exit 1 with the numbers of what differs.
    let (code, json) = diff(&[
        "--format",
        "json",
        "testdata/all.snap",
        "testdata/large.snap",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let kvs = util::find(&v["summary"], "type", "KVS");
    assert_eq!(kvs["added"], 3000);
    assert_eq!(kvs["unchanged"], 3);
}

#[test]
fn secrets_are_never_printed_without_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let red = dir.path().join("red.snap");
    let r = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .args(["redact", "testdata/all.snap", "-o", red.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(r.status.success());
    let red = red.to_str().unwrap();
    let old_secret = "11111111-2222-3333-4444-555555555555";
    for format in ["pretty", "json"] {
        let (code, out) = diff(&["--format", format, "testdata/all.snap", red]);
        assert_eq!(code, 1);
        assert!(!out.contains(old_secret), "{format}: a secret was printed");
        assert!(!out.contains("PRIVATE KEY"), "{format}: a key was printed");
    }
    let (_, out) = diff(&["testdata/all.snap", red]);
    assert_eq!(out.matches("secret changed").count(), 5, "{out}");
    let (_, shown) = diff(&["--show-secrets", "testdata/all.snap", red]);
    assert!(shown.contains(old_secret));
}

fn put(server: &Server, path: &str, body: serde_json::Value) -> String {
    let r = ureq::put(&format!("{}{path}", server.http_addr()))
        .set("X-Consul-Token", server.token().unwrap())
        .send_string(&body.to_string())
        .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
    r.into_string().unwrap()
}

#[test]
fn the_changes_made_to_a_real_consul_are_exactly_what_diff_reports() {
    let Some(bin) = consul::require() else { return };
    let server = Server::start(
        &bin,
        Options {
            acl_master_token: Some("11111111-2222-3333-4444-000000000007".into()),
            ..Default::default()
        },
    );
    // Before.
    for (k, v) in [("app/a", "one"), ("app/b", "two"), ("app/c", "three")] {
        server.cli_ok(&["kv", "put", k, v]);
    }
    put(
        &server,
        "/v1/catalog/register",
        serde_json::json!({"Node": "old-node", "Address": "10.0.0.1",
        "Service": {"Service": "legacy", "ID": "legacy-1", "Port": 80}}),
    );
    put(
        &server,
        "/v1/catalog/register",
        serde_json::json!({"Node": "kept-node", "Address": "10.0.0.2"}),
    );
    server.cli_ok(&[
        "acl",
        "policy",
        "create",
        "-name",
        "doomed",
        "-rules",
        "key_prefix \"\" { policy = \"read\" }",
    ]);
    server.cli_ok(&[
        "acl",
        "policy",
        "create",
        "-name",
        "kept",
        "-rules",
        "node_prefix \"\" { policy = \"read\" }",
    ]);
    let created: serde_json::Value = serde_json::from_str(
        &ureq::post(&format!("{}/v1/connect/intentions", server.http_addr()))
            .set("X-Consul-Token", server.token().unwrap())
            .send_string(&serde_json::json!({"SourceName": "web", "DestinationName": "api", "Action": "allow"}).to_string())
            .unwrap()
            .into_string()
            .unwrap(),
    )
    .unwrap();
    let intention_id = created["ID"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.snap");
    server.cli_ok(&["snapshot", "save", before.to_str().unwrap()]);

    // The changes.
    server.cli_ok(&["kv", "put", "app/d", "four"]);
    server.cli_ok(&["kv", "delete", "app/a"]);
    server.cli_ok(&["kv", "put", "app/b", "two, modified"]);
    server.cli_ok(&["kv", "put", "-flags=42", "app/c", "three"]);
    put(
        &server,
        "/v1/catalog/register",
        serde_json::json!({"Node": "kept-node", "Address": "10.0.0.2",
        "Service": {"Service": "newsvc", "ID": "newsvc-1", "Port": 8080}}),
    );
    put(
        &server,
        "/v1/catalog/deregister",
        serde_json::json!({"Node": "old-node"}),
    );
    let token = server.cli_ok(&[
        "acl",
        "token",
        "create",
        "-description",
        "added token",
        "-policy-name",
        "kept",
    ]);
    let accessor = token
        .lines()
        .find(|l| l.starts_with("AccessorID:"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    server.cli_ok(&["acl", "policy", "delete", "-name", "doomed"]);
    let current: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!(
            "{}/v1/connect/intentions/{intention_id}",
            server.http_addr()
        ))
        .set("X-Consul-Token", server.token().unwrap())
        .call()
        .unwrap()
        .into_string()
        .unwrap(),
    )
    .unwrap();
    let mut updated = current.clone();
    updated["Action"] = "deny".into();
    put(
        &server,
        &format!("/v1/connect/intentions/{intention_id}"),
        updated,
    );
    let after = dir.path().join("after.snap");
    server.cli_ok(&["snapshot", "save", after.to_str().unwrap()]);

    let (code, json) = diff(&[
        "--format",
        "json",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut got: BTreeSet<(String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The server's own network coordinate may be refreshed between two saves; it is not one
    // of the changes made here.
    got.retain(|(_, id)| !id.starts_with("CoordinateBatchUpdate:"));
    let policy_id = util::find(&v["changes"], "type", "ACLPolicy")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let expected: BTreeSet<(String, String)> = [
        ("added", "KVS:app/d".to_string()),
        ("removed", "KVS:app/a".to_string()),
        ("changed", "KVS:app/b".to_string()),
        ("changed", "KVS:app/c".to_string()),
        ("added", "Tombstone:app/a".to_string()),
        ("added", "Register:kept-node/service:newsvc-1".to_string()),
        ("removed", "Register:old-node".to_string()),
        ("removed", "Register:old-node/service:legacy-1".to_string()),
        ("added", format!("ACLToken:{accessor}")),
        ("removed", policy_id),
        ("changed", format!("Intention:{intention_id}")),
    ]
    .into_iter()
    .map(|(c, id)| (c.to_string(), id))
    .collect();
    assert_eq!(got, expected);
    let changes = v["changes"].as_array().unwrap();
    let c = changes.iter().find(|c| c["id"] == "KVS:app/c").unwrap();
    assert!(
        c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "/Flags" && f["old"] == 0 && f["new"] == 42),
        "{c}"
    );
    let i = changes
        .iter()
        .find(|c| c["id"].as_str().unwrap().starts_with("Intention:"))
        .unwrap();
    assert!(
        i["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "/Action" && f["old"] == "allow" && f["new"] == "deny"),
        "{i}"
    );
    let p = changes.iter().find(|c| c["type"] == "ACLPolicy").unwrap();
    assert_eq!(p["summary"], "doomed");
    // The pretty layout shows the same, and --stat only the table.
    let (_, text) = diff(&[before.to_str().unwrap(), after.to_str().unwrap()]);
    assert!(text.contains("+ app/d"), "{text}");
    assert!(text.contains("/Flags: 0 -> 42"), "{text}");
    let (_, stat) = diff(&["--stat", before.to_str().unwrap(), after.to_str().unwrap()]);
    assert!(!stat.contains("app/d"));
}
