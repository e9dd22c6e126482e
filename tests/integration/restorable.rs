//! "Verified" means "Consul will load it": records edited so that a real Consul 1.8.7 fails to
//! restore them are refused by verify (exit 3, record, type and field named) and by restore;
//! the type table's versions, Enterprise and unknown types, and version drift.

use crate::util;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::mutate::{self, Fixture};
use snapinspect::go::msgpack::{self, encode, Value};

fn bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("snapinspect"))
}

/// Runs the binary; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn enc(v: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode::value(&mut out, v);
    out
}

/// Writes a case into `dir` and returns its path.
fn write(dir: &Path, name: &str, f: &Fixture, records: &[(u8, Vec<u8>)]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, mutate::snap(f, records)).unwrap();
    p
}

/// Edits the first record of type `t` that `pick` accepts with `edit`; returns its number.
fn edit(
    records: &mut [(u8, Vec<u8>)],
    t: u8,
    pick: impl Fn(&Value<'_>) -> bool,
    edit: impl Fn(&mut Value<'_>),
) -> usize {
    for (i, (rt, bytes)) in records.iter_mut().enumerate() {
        if *rt != t {
            continue;
        }
        let copy = bytes.clone();
        let mut v = msgpack::decode_exact(&copy).unwrap();
        if !pick(&v) {
            continue;
        }
        edit(&mut v);
        *bytes = enc(&v);
        return i + 1;
    }
    panic!("no record of type {t} to edit");
}

/// One broken edit: (name, records, record number, the field path verify must name).
type Broken = (&'static str, Vec<(u8, Vec<u8>)>, usize, &'static str);

/// The four edits of the issue that a real Consul 1.8.7 panics on.
fn broken(f: &Fixture) -> Vec<Broken> {
    let mut out = Vec::new();

    let mut r = f.records.clone();
    let n = edit(
        &mut r,
        0,
        |v| v.get("Service").is_some_and(|s| !s.is_nil()),
        |v| *v.get_mut("Service").unwrap().get_mut("Port").unwrap() = Value::Raw(b"80"),
    );
    out.push(("port-string.snap", r, n, "Service.Port"));

    let mut r = f.records.clone();
    let n = edit(
        &mut r,
        17,
        |_| true,
        |v| *v.get_mut("Policies").unwrap() = Value::Raw(b"global-management"),
    );
    out.push(("policies-string.snap", r, n, "Policies"));

    let mut r = f.records.clone();
    let n = edit(
        &mut r,
        0,
        |_| true,
        |v| *v.get_mut("Node").unwrap() = Value::Raw(b""),
    );
    out.push(("empty-node.snap", r, n, "Node"));

    let mut r = f.records.clone();
    let at = r.len() - 1;
    r.insert(
        at,
        (
            60,
            enc(&Value::Map(vec![(Value::Raw(b"Key"), Value::Raw(b"x"))])),
        ),
    );
    out.push(("type-60.snap", r, at + 1, ""));
    out
}

#[test]
fn the_four_edits_fail_verify_naming_record_type_and_field() {
    let f = mutate::fixture("all.snap");
    let dir = tempfile::tempdir().unwrap();
    for (name, records, n, field) in broken(&f) {
        let p = write(dir.path(), name, &f, &records);
        let (code, out, _) = run(&["verify", p.to_str().unwrap()]);
        assert_eq!(code, 3, "{name}: {out}");
        assert!(out.starts_with("FAIL"), "{name}: {out}");
        assert!(
            out.contains(&format!("record {n} (")),
            "{name} names record {n}: {out}"
        );
        if field.is_empty() {
            assert!(
                out.contains("type 60") && out.contains("--allow-unknown-types"),
                "{out}"
            );
            assert!(
                out.contains(&format!(
                    "up to {}",
                    snapinspect::snapshot::msgtype::KNOWN_UP_TO
                )),
                "{out}"
            );
        } else {
            assert!(
                out.contains(&format!("field {field}:")),
                "{name} names {field}: {out}"
            );
        }
        // The same verdict for the Consul version the tests run.
        let (code, _, _) = run(&["verify", "--target", "1.8.7", p.to_str().unwrap()]);
        assert_eq!(code, 3, "{name}");
    }
}

#[test]
fn restore_refuses_the_four_edits_and_consul_stays_up() {
    let Some(consul) = util::consul::require() else {
        return;
    };
    let server = util::consul::Server::start(&consul, util::consul::Options::default());
    let f = mutate::fixture("all.snap");
    let dir = tempfile::tempdir().unwrap();
    for (name, records, n, _) in broken(&f) {
        let p = write(dir.path(), name, &f, &records);
        let (code, out, err) = run(&[
            "restore",
            "-http-addr",
            &server.http_addr(),
            p.to_str().unwrap(),
        ]);
        assert_ne!(code, 0, "{name}: restore must refuse it: {out}{err}");
        assert!(err.contains(&format!("record {n} (")), "{name}: {err}");
        // Nothing reached Consul: it still has a leader and its own (empty) KV store.
        assert!(server
            .api("/v1/status/leader")
            .as_str()
            .unwrap()
            .contains("127.0.0.1"));
    }
    // The unedited snapshot restores.
    let ok = write(dir.path(), "ok.snap", &f, &f.records);
    let (code, out, err) = run(&[
        "restore",
        "-http-addr",
        &server.http_addr(),
        ok.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn every_testdata_record_passes_the_restore_check_and_decodes_fully() {
    let v187 = snapinspect::version::Version::parse("1.8.7");
    for name in [
        "basic.snap",
        "kv.snap",
        "all.snap",
        "acl.snap",
        "large.snap",
    ] {
        let f = mutate::fixture(name);
        let mut check = snapinspect::model::restorable::RestoreCheck::new(v187);
        for (i, (t, v)) in f.records.iter().enumerate() {
            assert_eq!(check.record(*t, v), Ok(None), "{name} record {}", i + 1);
            let value = msgpack::decode_exact(v).unwrap();
            let mt = snapinspect::snapshot::state::MessageType(*t);
            snapinspect::model::Model::decode_typed(mt, &value)
                .unwrap_or_else(|e| panic!("{name} record {} ({}): {e}", i + 1, mt.name()));
        }
    }
}

/// A FeatureGate record as Consul 2.1 writes one: policy and status together.
fn feature_gate() -> Vec<u8> {
    let raft = |ci: i64| {
        vec![
            (Value::Raw(b"CreateIndex"), Value::Int(ci)),
            (Value::Raw(b"ModifyIndex"), Value::Int(ci)),
        ]
    };
    let mut policy = vec![(Value::Raw(b"Settings"), Value::Map(vec![]))];
    policy.extend(raft(10));
    let mut status = vec![
        (Value::Raw(b"Features"), Value::Map(vec![])),
        (Value::Raw(b"PolicyIndex"), Value::Int(10)),
        (Value::Raw(b"RegistryDigest"), Value::Raw(b"0")),
    ];
    status.extend(raft(11));
    enc(&Value::Map(vec![
        (Value::Raw(b"Policy"), Value::Map(policy)),
        (Value::Raw(b"Status"), Value::Map(status)),
    ]))
}

#[test]
fn a_type_45_record_needs_consul_2_1() {
    let f = mutate::fixture("kv.snap");
    let mut r = f.records.clone();
    // Before ChunkingState, as Consul writes it.
    let at = r.len() - 1;
    r.insert(at, (45, feature_gate()));
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "fg.snap", &f, &r);
    let p = p.to_str().unwrap();
    let (code, out, _) = run(&["verify", p]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("OK"), "{out}");
    let (code, out, _) = run(&["compat", p]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2.1.0"), "{out}");
    assert_eq!(run(&["compat", "--target", "2.0.0", p]).0, 1);
    assert_eq!(run(&["compat", "--target", "2.1.0", p]).0, 0);
    assert_eq!(run(&["verify", "--target", "2.0.0", p]).0, 3);
    assert_eq!(run(&["verify", "--target", "2.1.0", p]).0, 0);
}

#[test]
fn unknown_types_fail_unless_allowed_and_quiet_never_hides_a_warning() {
    let f = mutate::fixture("basic.snap");
    let mut r = f.records.clone();
    let at = r.len() - 1;
    r.insert(at, (44, enc(&Value::Map(vec![]))));
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t44.snap", &f, &r);
    let p = p.to_str().unwrap();
    assert_eq!(run(&["verify", p]).0, 3);
    let (code, out, _) = run(&["verify", "-q", "--allow-unknown-types", p]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("WARN") && out.contains("type 44"),
        "-q shows the warning: {out}"
    );
    assert_eq!(
        run(&["verify", "--strict", "--allow-unknown-types", p]).0,
        3
    );
    // A raft-log-only type is never restorable, whatever the flags.
    let mut r = f.records.clone();
    r.insert(at, (1, enc(&Value::Map(vec![]))));
    let p = write(dir.path(), "t1.snap", &f, &r);
    let (code, out, _) = run(&["verify", "--allow-unknown-types", p.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Deregister"), "{out}");
    // compat never calls a snapshot with an unknown type known to some Consul.
    let p = dir.path().join("t44.snap");
    let (code, out, _) = run(&["compat", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("Every record type is known"), "{out}");
}

#[test]
fn enterprise_records_are_reported_not_errors() {
    let f = mutate::fixture("basic.snap");
    let mut r = f.records.clone();
    r.insert(0, (65, enc(&Value::Raw(b"\x0a\x07default"))));
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ent.snap", &f, &r);
    let p = p.to_str().unwrap();
    let (code, out, _) = run(&["verify", p]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("WARN") && out.contains("Enterprise") && out.contains("Namespace"),
        "{out}"
    );
    let (code, out, _) = run(&["verify", "--target", "1.8.7", p]);
    assert_eq!(code, 3, "{out}");
    assert_eq!(run(&["verify", "--target", "1.15.2+ent", p]).0, 0);
    let (code, out, _) = run(&["compat", "--target", "1.18.2", p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CONSUL_ENTERPRISE_DOWNGRADE_TO_CE"), "{out}");
}

#[test]
fn tokens_without_accessor_load_on_1_8_but_not_on_1_16() {
    let f = mutate::fixture("acl.snap");
    let mut r = f.records.clone();
    edit(
        &mut r,
        17,
        |_| true,
        |v| *v.get_mut("AccessorID").unwrap() = Value::Raw(b""),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "noaccessor.snap", &f, &r);
    let p = p.to_str().unwrap();
    let (code, out, _) = run(&["verify", p]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hashicorp/consul#21368"), "{out}");
    assert_eq!(run(&["verify", "--target", "1.8.7", p]).0, 0);
    let (code, out, _) = run(&["verify", "--target", "1.16.0", p]);
    assert_eq!(code, 3, "{out}");
    let (code, out, _) = run(&["compat", "--target", "1.16.0", p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("hashicorp/consul#21368"), "{out}");
}

#[test]
fn the_stream_cross_checks() {
    let f = mutate::fixture("kv.snap");
    let dir = tempfile::tempdir().unwrap();
    // ChunkingState twice.
    let mut r = f.records.clone();
    let last = r.last().unwrap().clone();
    r.push(last);
    let p = write(dir.path(), "chunk2.snap", &f, &r);
    let (code, out, _) = run(&["verify", p.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.contains("ChunkingState appears 2 times"), "{out}");
    // ChunkingState not last.
    let mut r = f.records.clone();
    let last = r.pop().unwrap();
    r.insert(0, last);
    let p = write(dir.path(), "chunkfirst.snap", &f, &r);
    let (code, out, _) = run(&["verify", p.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(
        out.contains("ChunkingState is not the last record"),
        "{out}"
    );
    // The header's LastIndex beyond the meta Index.
    let mut g = mutate::fixture("kv.snap");
    let mut h = Vec::new();
    encode::map_len(&mut h, 1);
    encode::raw(&mut h, b"LastIndex");
    encode::uint(&mut h, g.meta.index + 1);
    g.header = h;
    let p = write(dir.path(), "lastindex.snap", &g, &g.records.clone());
    let (code, out, _) = run(&["verify", p.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.contains("is beyond meta.json Index"), "{out}");
}
