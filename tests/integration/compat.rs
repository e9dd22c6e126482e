//! `snapinspect compat`: newer, Enterprise and unknown record types against a target version.

use crate::util;

use assert_cmd::Command;

fn compat(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("compat")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_type_newer_than_the_target_is_reported_and_exits_1() {
    // all.snap holds FederationState, first written by Consul 1.8.0.
    let (code, out) = compat(&["--target", "1.7.4", "testdata/all.snap"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FederationState"), "{out}");
    assert!(
        out.contains("first known in Consul 1.8.0, newer than 1.7.4"),
        "{out}"
    );
    assert!(out.contains("can NOT restore"), "{out}");
    let (code, out) = compat(&["--target", "1.8.7", "testdata/all.snap"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Consul 1.8.7 can restore this snapshot."),
        "{out}"
    );
    let (code, out) = compat(&["testdata/basic.snap"]);
    assert_eq!(code, 0);
    assert!(out.contains("known to Consul 1.8.0 and later"), "{out}");
    assert_eq!(compat(&["--target", "one.two", "testdata/basic.snap"]).0, 2);
}

#[test]
fn enterprise_and_unknown_types_are_not_restorable_on_ce() {
    let (meta, state) = util::members("basic.snap");
    let mut state = state;
    // An Enterprise namespace record (type 65, a raw protobuf string) and an unknown type 44.
    state.extend_from_slice(&[65, 0xa3, 1, 2, 3]);
    state.extend_from_slice(&[44, 0x80]);
    let text = String::from_utf8(meta).unwrap();
    let meta = text
        .replace("\"Size\":2230", &format!("\"Size\":{}", state.len()))
        .into_bytes();
    let snap = util::gzip(&util::tar(&[
        ("meta.json", &meta),
        ("state.bin", &state),
        ("SHA256SUMS", &util::sums(&meta, &state)),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ent.snap");
    std::fs::write(&p, snap).unwrap();
    let p = p.to_str().unwrap();
    let (code, json) = compat(&["--target", "1.18.0", "--format", "json", p]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let types = v["types"].as_array().unwrap();
    let t65 = types.iter().find(|t| t["number"] == 65).unwrap();
    assert_eq!(t65["enterprise"], true);
    assert_eq!(t65["restorable"], false);
    let t44 = types.iter().find(|t| t["number"] == 44).unwrap();
    assert_eq!(t44["unknown"], true);
    assert_eq!(t44["name"], "Unknown(44)");
    assert_eq!(v["restorable"], false);
}
