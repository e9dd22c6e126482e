//! `snapinspect scan`: secret-bearing records by identity, secret-looking KV values, no secret
//! printed, and --fail-on-secrets as a gate.

use crate::util;

use assert_cmd::Command;
use snapinspect::go::msgpack::encode;
use snapinspect::snapshot::meta::SnapshotMeta;

fn scan(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn lists_every_token_and_the_ca_provider_state_by_identity() {
    let (code, json) = scan(&["--format", "json", "testdata/all.snap"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let recs = v["secret_records"].as_array().unwrap();
    let tokens: Vec<&str> = recs
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("ACLToken:"))
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), 5, "{tokens:?}");
    assert!(tokens.contains(&"ACLToken:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    assert!(recs.iter().any(|r| r["id"]
        .as_str()
        .unwrap()
        .starts_with("ConnectCAProviderState:")
        && r["field"] == "/PrivateKey"));
    // No secret value anywhere in the output.
    assert!(!json.contains("11111111-2222-3333-4444-555555555555"));
    assert!(!json.contains("PRIVATE KEY"));
    let (code, _) = scan(&["--fail-on-secrets", "testdata/all.snap"]);
    assert_eq!(code, 1);
    let (code, _) = scan(&["--fail-on-secrets", "testdata/kv.snap"]);
    assert_eq!(code, 0);
}

#[test]
fn finds_a_pem_key_planted_in_a_kv_value() {
    let (meta_bytes, mut state) = util::members("kv.snap");
    let meta = SnapshotMeta::parse(&meta_bytes).unwrap();
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END RSA PRIVATE KEY-----\n";
    // Append a KVS record holding a PEM private key (scan reads every record, wherever it is).
    let mut rec = vec![2u8];
    encode::map_len(&mut rec, 7);
    for (k, v) in [
        ("CreateIndex", None),
        ("Flags", None),
        ("Key", Some("secrets/tls.key")),
        ("LockIndex", None),
        ("ModifyIndex", None),
        ("Session", Some("")),
        ("Value", Some(pem)),
    ] {
        encode::raw(&mut rec, k.as_bytes());
        match v {
            Some(s) => encode::raw(&mut rec, s.as_bytes()),
            None => encode::uint(&mut rec, 30),
        }
    }
    state.extend_from_slice(&rec);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("planted.snap");
    std::fs::write(&p, util::snap(&meta, &state)).unwrap();
    let (code, out) = scan(&["--fail-on-secrets", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("pem-private-key"), "{out}");
    assert!(out.contains("secrets/tls.key"), "{out}");
    assert!(
        !out.contains("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw"),
        "{out}"
    );
    assert!(!out.contains("BEGIN RSA"), "{out}");
}
