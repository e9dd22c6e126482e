//! Nomad raft snapshots (issue 19, the Nomad slice): detection from content, verify (every
//! record walked, types checked as Nomad's restore treats them), inspect in Nomad's layout and
//! JSON, decode with Nomad's secrets redacted, diff by record identity, trend, compat with
//! the Nomad releases that restore each type (hashicorp/nomad#20072), and Consul-only
//! commands refused with exit 5. The fixture is synthetic (testdata/README.md).

use crate::util;
use crate::util::{run, write_file};

use snapinspect::write::nomad::{
    demo_meta, demo_records, demo_snapshot, nomad_state, write_nomad_snapshot, DEMO_JWT, DEMO_KEK,
    DEMO_NODE_SECRETS, DEMO_TOKEN_SECRETS, V,
};

fn snap(records: &[(u8, V)]) -> Vec<u8> {
    write_nomad_snapshot(&demo_meta(), &nomad_state(records)).unwrap()
}

fn snap_state(state: &[u8]) -> Vec<u8> {
    write_nomad_snapshot(&demo_meta(), state).unwrap()
}

fn secrets() -> Vec<&'static str> {
    let mut s = DEMO_TOKEN_SECRETS.to_vec();
    s.extend(DEMO_NODE_SECRETS);
    s.extend([DEMO_KEK, DEMO_JWT, "encrypted-variable-items"]);
    s
}

fn validate(schema_file: &str, doc: &serde_json::Value) {
    let errors = util::schema_errors(&util::schema(schema_file), doc);
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

#[test]
fn the_fixture_is_what_the_generator_writes() {
    util::assert_fixture("nomad.snap", &demo_snapshot().unwrap(), "nomad_fixture");
}

#[test]
fn verify_says_ok_and_names_the_product() {
    let (code, out, err) = run(&["verify", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "OK    testdata/nomad.snap  index=2150 records=35 size=7627 product=nomad\n"
        ),
        "{out}"
    );
    let (code, out, _) = run(&["verify", "--format", "json", "testdata/nomad.snap"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &doc["files"][0];
    assert_eq!(f["product"], "nomad");
    assert_eq!(f["records"], 35);
    // Nomad's names, not Consul's for the same numbers (2 is Nomad's Index, Consul's KVS).
    assert_eq!(f["record_counts"]["Index"], 10);
    assert_eq!(f["record_counts"]["Alloc"], 3);
    assert_eq!(f["record_counts"]["JobSubmission"], 1);
    assert!(f["record_counts"].get("KVS").is_none(), "{f}");
    validate("verify.schema.json", &doc);
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("m.prom");
    let (code, _, err) = run(&[
        "verify",
        "--prometheus",
        prom.to_str().unwrap(),
        "testdata/nomad.snap",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(prom).unwrap();
    assert!(
        text.contains(
            "snapinspect_snapshot_product{path=\"testdata/nomad.snap\",product=\"nomad\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("type=\"WrappedRootKeys\"} 1"), "{text}");
}

#[test]
fn verify_dir_mixes_consul_nomad_and_vault() {
    let out = util::verify_copies_of(&["all.snap", "nomad.snap", "vault.snap"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("OK ") && lines[0].contains("all.snap"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("OK ")
            && lines[1].contains("nomad.snap")
            && lines[1].ends_with(" product=nomad"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("OK ") && lines[2].ends_with(" product=vault"),
        "{out}"
    );
    assert_eq!(lines[3], "3 checked: 3 OK");
}

#[test]
fn inspect_prints_nomads_layout_byte_for_byte() {
    let (code, out, err) = run(&["inspect", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    let golden = std::fs::read_to_string(util::testdata("golden/nomad/inspect.txt")).unwrap();
    assert_eq!(out, golden);
    // The bare form is inspect too.
    assert_eq!(run(&["testdata/nomad.snap"]).1, golden);
    // The sizes are Nomad's accounting: the total is state.bin's length.
    assert!(out.contains("\nTotal            35     7.4 KiB\n"), "{out}");
}

#[test]
fn inspect_json_is_nomads_format() {
    let (code, out, err) = run(&["inspect", "--format", "json", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("{\n    \"Meta\": {\n        \"Version\": 1,\n"),
        "{out}"
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    validate("nomad-inspect.schema.json", &doc);
    // Nomad's own spelling.
    assert_eq!(run(&["inspect", "-json", "testdata/nomad.snap"]).1, out);
    let stats = doc["Stats"].as_array().unwrap();
    let sum: u64 = stats.iter().map(|s| s["Sum"].as_u64().unwrap()).sum();
    let count: u64 = stats.iter().map(|s| s["Count"].as_u64().unwrap()).sum();
    assert_eq!((sum, count), (7627, 35));
    assert_eq!(stats[0]["Name"], "Alloc");
    let sums: Vec<u64> = stats.iter().map(|s| s["Sum"].as_u64().unwrap()).collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "{sums:?}");
}

#[test]
fn damaged_nomad_snapshots_fail_with_exit_3_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = nomad_state(&demo_records());
    let verify = |name: &str, bytes: &[u8]| {
        let p = write_file(dir.path(), name, bytes);
        let (code, out, err) = run(&["verify", &p]);
        (code, format!("{out}{err}"))
    };
    // Cut inside the last record (a JobSubmission).
    let (code, out) = verify("cut.snap", &snap_state(&good[..good.len() - 10]));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("ends inside a record") && out.contains("(JobSubmission)"),
        "{out}"
    );
    // A byte that is no msgpack value (0xc1) where the first Node record's value starts.
    let mut bad = good.clone();
    let node_at = nomad_state(&demo_records()[..10]).len();
    assert_eq!(bad[node_at], 0);
    bad[node_at + 1] = 0xc1;
    let (code, out) = verify("badvalue.snap", &snap_state(&bad));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("malformed msgpack") && out.contains("record 11 (Node)"),
        "{out}"
    );
    // A type no Nomad writes: Nomad's restore fails with "Unrecognized snapshot type".
    let mut recs = demo_records();
    recs.push((40, V::Map(vec![])));
    let (code, out) = verify("unknown.snap", &snap(&recs));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("type 40") && out.contains("Unrecognized snapshot type"),
        "{out}"
    );
    let p = write_file(dir.path(), "unknown2.snap", &snap(&recs));
    let (code, _, err) = run(&["verify", "--allow-unknown-types", &p]);
    assert_eq!(code, 0, "{err}");
    // EventSink: every Nomad since 1.0 refuses it.
    let mut recs = demo_records();
    recs.push((20, V::Map(vec![])));
    let (code, out) = verify("eventsink.snap", &snap(&recs));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("EventSink"), "{out}");
    // An Enterprise type: a warning, an error under --strict.
    let mut recs = demo_records();
    recs.push((70, V::Map(vec![])));
    let p = write_file(dir.path(), "ent.snap", &snap(&recs));
    let (code, out, err) = run(&["verify", &p]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["verify", "--strict", &p]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(format!("{out}{err}").contains("Enterprise"), "{out}{err}");
    // A flipped byte in state.bin fails the SHA256SUMS check.
    let mut archive = util::gunzip(&snap_state(&good));
    let at = 1024 + 512 + 200; // inside state.bin (meta.json's header and block come first)
    archive[at] ^= 0x01;
    let (code, out) = verify("flipped.snap", &util::gzip(&archive));
    assert_eq!(code, 3, "{out}");
    // Nothing after the header is a valid (empty) Nomad state.
    let (code, out) = verify("empty.snap", &snap(&[]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("records=0") && out.contains("product=nomad"),
        "{out}"
    );
}

#[test]
fn consul_only_commands_refuse_a_nomad_snapshot_with_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.snap");
    for args in [
        vec!["acl", "tokens", "testdata/nomad.snap"],
        vec!["scan", "testdata/nomad.snap"],
        vec!["redact", "testdata/nomad.snap", "-o", out.to_str().unwrap()],
        vec!["inspect", "--details", "testdata/nomad.snap"],
        vec![
            "restore",
            "--dry-run",
            "-http-addr",
            "127.0.0.1:1",
            "testdata/nomad.snap",
        ],
    ] {
        let (code, stdout, err) = run(&args);
        assert_eq!(code, 5, "{args:?}: {stdout}{err}");
        let last = err.lines().last().unwrap_or("");
        assert!(last.contains("Nomad snapshot"), "{args:?}: {err}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    assert!(!out.exists());
}

/// A snapshot as Nomad 1.7.5 writes it: JobSubmission records (1.7.3+), root key metadata
/// (24) and no wrapped root keys (30, 1.9+).
fn nomad_175() -> Vec<u8> {
    let mut recs: Vec<(u8, V)> = demo_records()
        .into_iter()
        .filter(|(t, _)| *t != 30)
        .collect();
    recs.push((24, V::Map(vec![("KeyID".into(), V::Str("k".into()))])));
    snap(&recs)
}

#[test]
fn compat_names_the_nomad_releases_that_restore_it() {
    let (code, out, err) = run(&["compat", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Oldest Nomad that restores this snapshot: 1.9.0"),
        "{out}"
    );
    assert!(
        out.contains("JobSubmission    1      1.6.6+ in 1.6, 1.7.3+ in 1.7, 1.8.0 and later"),
        "{out}"
    );
    // hashicorp/nomad#20072: a 1.7.5 snapshot with JobSubmission records fails on 1.6.2.
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "n175.snap", &nomad_175());
    let (code, out, _) = run(&["compat", "--target", "1.6.2", &p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Nomad 1.6.2 cannot restore it"), "{out}");
    assert!(
        out.contains("\"Unrecognized snapshot type: [29]\""),
        "{out}"
    );
    assert_eq!(out.matches("Unrecognized").count(), 1, "{out}");
    let (code, out, _) = run(&["compat", &p]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Oldest Nomad that restores this snapshot: 1.6.6"),
        "{out}"
    );
    for (v, want) in [
        ("1.6.6", 0),
        ("1.7.2", 1),
        ("1.7.3", 0),
        ("1.7.5", 0),
        ("1.8.0", 0),
    ] {
        let (code, out, _) = run(&["compat", "--target", v, &p]);
        assert_eq!(code, want, "{v}: {out}");
    }
    // verify --target says the same, as an invalid snapshot for that release.
    let (code, out, err) = run(&["verify", "--target", "1.6.2", &p]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("JobSubmission"),
        "{out}{err}"
    );
    let (code, out, _) = run(&["compat", "--format", "json", "--target", "1.6.2", &p]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    validate("nomad-compat.schema.json", &doc);
    assert_eq!(doc["restorable"], false);
    assert_eq!(doc["oldest"], "1.6.6");
    assert_eq!(doc["product"], "nomad");
}

#[test]
fn decode_prints_every_record_with_secrets_redacted() {
    let (code, out, err) = run(&["decode", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 36);
    assert_eq!(lines[0]["meta"]["Index"], 2150);
    for l in &lines[1..] {
        validate("decode.schema.json", l);
    }
    let token = lines.iter().find(|l| l["type"] == "ACLToken").unwrap();
    assert_eq!(token["id"], "ACLToken:acce5500-0000-4000-8000-00000000a001");
    assert!(token["value"]["SecretID"]
        .as_str()
        .unwrap()
        .starts_with("[redacted:"));
    let key = lines
        .iter()
        .find(|l| l["type"] == "WrappedRootKeys")
        .unwrap();
    let wk = &key["value"]["WrappedKeys"][0];
    assert!(wk["KeyEncryptionKey"]
        .as_str()
        .unwrap()
        .starts_with("[redacted:"));
    assert!(wk["WrappedDataEncryptionKey"]
        .as_str()
        .unwrap()
        .starts_with("[redacted:"));
    assert_eq!(
        lines.iter().find(|l| l["type"] == "JobSubmission").unwrap()["id"],
        "JobSubmission:default/web@1"
    );
    for s in secrets() {
        assert!(!out.contains(s), "decode printed {s}");
        assert!(!err.contains(s), "decode printed {s}");
    }
    let (code, shown, _) = run(&["decode", "--show-secrets", "testdata/nomad.snap"]);
    assert_eq!(code, 0);
    for s in secrets() {
        assert!(shown.contains(s), "--show-secrets did not print {s}");
    }
    // --type takes Nomad's names.
    let (code, out, err) = run(&[
        "decode",
        "--type",
        "Alloc",
        "--type",
        "Namespace",
        "testdata/nomad.snap",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1 + 3 + 1, "{out}");
    let (code, _, err) = run(&["decode", "--type", "Job", "testdata/all.snap"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn diff_compares_records_by_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["diff", "testdata/nomad.snap", "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{out}{err}");
    // NEW: one alloc gone, a job's priority changed, a token's secret changed, an eval added.
    let mut recs = demo_records();
    recs.retain(|(t, v)| !(*t == 4 && format!("{v:?}").contains("000000000003")));
    for (t, v) in recs.iter_mut() {
        let V::Map(fields) = v else { continue };
        let id = fields
            .iter()
            .find(|(k, _)| k == "ID" || k == "AccessorID")
            .map(|(_, v)| format!("{v:?}"));
        for (k, f) in fields.iter_mut() {
            if *t == 1 && id.as_deref() == Some("Str(\"web\")") && k == "Priority" {
                *f = V::Int(70);
            }
            if *t == 12 && k == "SecretID" && matches!(f, V::Str(s) if s == DEMO_TOKEN_SECRETS[1]) {
                *f = V::Str("5ec7e700-0000-4000-8000-00000000a0ff".into());
            }
        }
    }
    recs.push((
        3,
        V::Map(vec![
            (
                "ID".into(),
                V::Str("e0000000-0000-4000-8000-000000000009".into()),
            ),
            ("Namespace".into(), V::Str("default".into())),
            ("Status".into(), V::Str("pending".into())),
        ]),
    ));
    let new = write_file(dir.path(), "new.snap", &snap(&recs));
    let (code, out, err) = run(&["diff", "testdata/nomad.snap", &new]);
    assert_eq!(code, 1, "{out}{err}");
    for want in [
        "\nAlloc\n  - a0000000-0000-4000-8000-000000000003  Name \"web.web[1]\"\n",
        "\nJob\n  ~ default/web  Name \"web\"\n      /Priority: 50 -> 70\n",
        "\nEval\n  + e0000000-0000-4000-8000-000000000009  Status \"pending\"\n",
        "\nACLToken\n  ~ acce5500-0000-4000-8000-00000000a002  Name \"ci deploys\"\n      secret changed\n",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert!(
        !out.contains("5ec7e700-0000-4000-8000-00000000a0ff"),
        "{out}"
    );
    for s in secrets() {
        assert!(!out.contains(s), "diff printed {s}");
    }
    let (code, out, _) = run(&["diff", "--format", "json", "testdata/nomad.snap", &new]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    validate("diff.schema.json", &doc);
    assert_eq!(doc["product"], "nomad");
    let changes = doc["changes"].as_array().unwrap();
    let find = |id: &str| {
        changes
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {out}"))
    };
    assert_eq!(
        find("Alloc:a0000000-0000-4000-8000-000000000003")["change"],
        "removed"
    );
    assert_eq!(
        find("Eval:e0000000-0000-4000-8000-000000000009")["change"],
        "added"
    );
    let job = find("Job:default/web");
    assert_eq!(job["change"], "changed");
    assert_eq!(job["fields"][0]["path"], "/Priority");
    assert_eq!(job["fields"][0]["new"], 70);
    let tok = find("ACLToken:acce5500-0000-4000-8000-00000000a002");
    assert_eq!(tok["secret_changed"], true);
    assert!(tok["fields"].as_array().unwrap().is_empty(), "{tok}");
    // --type takes Nomad's names (ACLToken is 12 in Nomad, 17 in Consul).
    let (code, out, err) = run(&[
        "diff",
        "--stat",
        "--type",
        "ACLToken",
        "testdata/nomad.snap",
        &new,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("\nACLToken  0      0        1        0           1\n"),
        "{out}"
    );
    assert!(!out.contains("Alloc"), "{out}");
    // Consul's diff of the same command still says consul, and mixing products is exit 5.
    let (_, out, _) = run(&[
        "diff",
        "--format",
        "json",
        "testdata/kv.snap",
        "testdata/all.snap",
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["product"],
        "consul"
    );
    let (code, _, err) = run(&["diff", "testdata/nomad.snap", "testdata/all.snap"]);
    assert_eq!(code, 5, "{err}");
}

#[test]
fn trend_follows_nomad_types_and_refuses_mixed_products() {
    let dir = tempfile::tempdir().unwrap();
    let mut meta = demo_meta();
    meta.id = "3-2400-1795700000000".into();
    meta.index = 2400;
    let mut recs = demo_records();
    recs.push((3, V::Map(vec![("ID".into(), V::Str("e9".into()))])));
    let later = write_file(
        dir.path(),
        "later.snap",
        &write_nomad_snapshot(&meta, &nomad_state(&recs)).unwrap(),
    );
    let (code, out, err) = run(&["trend", "--format", "json", &later, "testdata/nomad.snap"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    validate("trend.schema.json", &doc);
    assert_eq!(doc["snapshots"][0]["path"], "testdata/nomad.snap");
    let eval = util::find(&doc["types"], "name", "Eval");
    assert_eq!(
        (eval["first_count"].as_u64(), eval["last_count"].as_u64()),
        (Some(2), Some(3))
    );
    let (code, _, err) = run(&["trend", "testdata/nomad.snap", "testdata/all.snap"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("one product"), "{err}");
}

#[test]
fn no_command_prints_a_nomad_secret() {
    let dir = tempfile::tempdir().unwrap();
    let f = "testdata/nomad.snap";
    let prom = dir.path().join("m.prom");
    let prom = prom.to_str().unwrap();
    let mut runs: Vec<Vec<&str>> = vec![
        vec!["inspect", f],
        vec!["inspect", "--format", "json", f],
        vec!["inspect", "--meta", f],
        vec!["verify", f],
        vec!["verify", "--format", "json", f],
        vec!["verify", "--prometheus", prom, f],
        vec!["decode", f],
        vec!["decode", "--type", "ACLToken", "--type", "Node", f],
        vec!["decode", "--kv-prefix", "", f],
        vec!["compat", f],
        vec!["compat", "--format", "json", "--target", "1.6.2", f],
        vec!["diff", "testdata/nomad.snap", f],
        vec!["trend", f, f],
        vec!["trend", "--format", "json", f, f],
    ];
    for cmd in ["acl", "scan"] {
        runs.push(vec![cmd, f]);
    }
    for args in runs {
        let (code, out, err) = run(&args);
        assert!(code <= 5, "{args:?}: {code} {err}");
        let written = std::fs::read_to_string(prom).unwrap_or_default();
        for s in secrets() {
            assert!(
                !out.contains(s) && !err.contains(s) && !written.contains(s),
                "{args:?} printed {s}"
            );
        }
    }
    // With --kv-prefix (Consul's KV filter) no Nomad record is printed, only the meta line.
    let (code, out, _) = run(&["decode", "--kv-prefix", "", f]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// Damaged Nomad state.bins (bytes flipped, cut, inserted; hashes and Size matching, so the
/// walk is reached) through the library: every read ends in a result or an error, never a
/// panic, and the reports of what was read build.
#[test]
fn mutated_nomad_states_never_panic() {
    use snapinspect::model::secrets::Redactor;
    use snapinspect::report::decode::{DecodeSink, Filter};
    use snapinspect::snapshot::archive::{read_archive, ReadOptions};
    let good = nomad_state(&demo_records());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..1500 {
        let mut s = good.clone();
        for _ in 0..(1 + next() % 3) {
            let at = (next() as usize) % s.len();
            match next() % 4 {
                0 => s[at] ^= 1 << (next() % 8),
                1 => s[at] = next() as u8,
                2 => s.truncate(at.max(1)),
                _ => s.insert(at, next() as u8),
            }
        }
        let bytes = snap_state(&s);
        let mut sink = DecodeSink::new(Vec::new(), Filter::default(), Redactor::keyed_by(b"m"));
        match read_archive(
            std::io::Cursor::new(bytes),
            &ReadOptions::default(),
            &mut sink,
        ) {
            Ok(snap) => {
                ok += 1;
                let _ = snapinspect::report::nomad::NomadReport::new(&snap).pretty();
                let _ = snapinspect::report::nomad::NomadCompat::new(&snap, None).pretty();
            }
            Err(e) => {
                failed += 1;
                assert!(matches!(e.exit_code(), 3 | 5), "{e}");
            }
        }
    }
    assert!(ok > 0 && failed > 0, "{ok} read, {failed} failed");
}

#[test]
fn unpack_and_pack_keep_a_nomad_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("raw");
    let (code, _, err) = run(&["unpack", "testdata/nomad.snap", "-C", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // The extracted directory reads as a raft snapshot directory of Nomad's.
    let (code, text, err) = run(&["verify", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("records=35") && text.contains("product=nomad"),
        "{text}"
    );
    let snap = dir.path().join("again.snap");
    let (code, _, err) = run(&[
        "pack",
        "--meta",
        out.join("meta.json").to_str().unwrap(),
        "--state",
        out.join("state.bin").to_str().unwrap(),
        "-o",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, a, _) = run(&["inspect", snap.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(a, run(&["inspect", "testdata/nomad.snap"]).1);
}
