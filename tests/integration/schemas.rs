//! snapinspect's own JSON: every document carries its `schema` id first and follows the
//! schema file in docs/ that has that id (Consul's inspect JSON is Consul's and carries none);
//! a document that breaks a schema is rejected. Also `inspect --details --top` and
//! `inspect --meta`.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::{run, schema, schema_errors};

const SNAPS: [&str; 4] = [
    "testdata/all.snap",
    "testdata/acl.snap",
    "testdata/kv.snap",
    "testdata/large.snap",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command that exits 0 or 1 (a finding) and parses its JSON.
fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// Validates `doc` against docs/`file` and checks that it starts with the schema's id.
fn check(file: &str, doc: &Value, what: &str) {
    let s = schema(file);
    let errors = schema_errors(&s, doc);
    assert!(errors.is_empty(), "{what} against {file}: {errors:#?}");
    let id = s["$id"].as_str().unwrap();
    assert_eq!(doc["schema"], id, "{what}");
    let first = doc.as_object().unwrap().keys().next().unwrap();
    assert_eq!(first, "schema", "{what}: the schema id comes first");
}

/// The documents of every command that prints snapinspect's own JSON, with their schema files.
fn documents() -> Vec<(&'static str, String, Value)> {
    let now = "2000-01-01T00:00:00Z";
    let mut docs = Vec::new();
    let mut add = |file: &'static str, args: Vec<&str>, doc: Value| {
        docs.push((file, args.join(" "), doc));
    };
    for snap in SNAPS {
        add(
            "verify.schema.json",
            vec!["verify", snap],
            json(&["verify", "--format", "json", snap]),
        );
        add(
            "scan.schema.json",
            vec!["scan", snap],
            json(&["scan", "--format", "json", snap]),
        );
        add(
            "compat.schema.json",
            vec!["compat", snap],
            json(&["compat", "--format", "json", snap]),
        );
        add(
            "compat.schema.json",
            vec!["compat --target 1.8.7", snap],
            json(&["compat", "--format", "json", "--target", "1.8.7", snap]),
        );
        add(
            "acl-audit.schema.json",
            vec!["acl audit", snap],
            json(&["acl", "audit", "--format", "json", "--now", now, snap]),
        );
        add(
            "acl-audit.schema.json",
            vec!["acl audit --min-severity medium", snap],
            json(&[
                "acl",
                "audit",
                "--format",
                "json",
                "--now",
                "2100-01-01T00:00:00Z",
                "--min-severity",
                "medium",
                snap,
            ]),
        );
        for top in [None, Some("3")] {
            let mut args = vec!["inspect", "--details", "--format", "json"];
            if let Some(n) = top {
                args.extend(["--top", n]);
            }
            args.push(snap);
            let both = json(&args);
            assert_eq!(
                both.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["inspect", "details"]
            );
            assert!(both["inspect"].get("schema").is_none(), "Consul's JSON");
            add("details.schema.json", args, both["details"].clone());
        }
        add(
            "inspect-meta.schema.json",
            vec!["inspect --meta", snap],
            json(&["inspect", "--meta", "--format", "json", snap]),
        );
    }
    add(
        "diff.schema.json",
        vec!["diff kv all"],
        json(&[
            "diff",
            "--format",
            "json",
            "testdata/kv.snap",
            "testdata/all.snap",
        ]),
    );
    add(
        "diff.schema.json",
        vec!["diff acl acl"],
        json(&[
            "diff",
            "--format",
            "json",
            "testdata/acl.snap",
            "testdata/acl.snap",
        ]),
    );
    add(
        "diff.schema.json",
        vec!["diff --show-values"],
        json(&[
            "diff",
            "--format",
            "json",
            "--show-values",
            "--include-indexes",
            "testdata/all.snap",
            "testdata/acl.snap",
        ]),
    );
    let mut args = vec!["trend", "--format", "json"];
    args.extend(SNAPS);
    add("trend.schema.json", args.clone(), json(&args));
    // Vault's diff (key by key) and trend (by key prefix), against a changed copy.
    let dir = tempfile::tempdir().unwrap();
    let changed = vault_changed(dir.path());
    let changed = changed.to_str().unwrap();
    for (what, args) in [
        (
            "diff vault",
            vec!["diff", "--format", "json", "testdata/vault.snap", changed],
        ),
        (
            "trend vault",
            vec!["trend", "--format", "json", "testdata/vault.snap", changed],
        ),
    ] {
        let file = if what.starts_with("diff") {
            "diff.schema.json"
        } else {
            "trend.schema.json"
        };
        add(file, vec![what], json(&args));
    }
    docs
}

/// testdata/vault.snap with one entry changed, one removed and one added, at a later index.
fn vault_changed(dir: &std::path::Path) -> PathBuf {
    use snapinspect::write::vault::{demo_entries, demo_meta, vault_state, write_vault_snapshot};
    let mut entries = demo_entries();
    entries[0].1.push(1);
    entries.remove(3);
    entries.push(("sys/token/id/zz", vec![2; 40], true));
    let mut meta = demo_meta();
    meta.index += 10;
    let bytes = write_vault_snapshot(&meta, &vault_state(&entries), Some(b"sealed"), 0).unwrap();
    let p = dir.join("changed.snap");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_json_output_follows_its_schema() {
    let docs = documents();
    let mut files: Vec<&str> = docs.iter().map(|d| d.0).collect();
    files.sort();
    files.dedup();
    assert_eq!(
        files,
        [
            "acl-audit.schema.json",
            "compat.schema.json",
            "details.schema.json",
            "diff.schema.json",
            "inspect-meta.schema.json",
            "scan.schema.json",
            "trend.schema.json",
            "verify.schema.json",
        ]
    );
    for (file, what, doc) in &docs {
        check(file, doc, what);
    }
    // The documents are not trivially empty: the fixtures fill the lists the schemas describe.
    let find = |what: &str| &docs.iter().find(|d| d.1 == what).unwrap().2;
    assert!(!find("scan testdata/all.snap")["secret_records"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!find("diff kv all")["changes"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(find("diff vault")["changes"].as_array().unwrap().len(), 3);
    assert_eq!(find("diff vault")["product"], "vault");
    assert_eq!(find("trend vault")["product"], "vault");
    assert!(
        find("acl audit testdata/acl.snap")["findings"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    assert!(
        !find("inspect --details --format json testdata/large.snap")["nodes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn every_decode_line_follows_the_decode_schema() {
    let s = schema("decode.schema.json");
    assert_eq!(s["$id"], "snapinspect-decode/1");
    let v = jsonschema::validator_for(&s).unwrap();
    for snap in SNAPS {
        let (code, out, err) = run(&["decode", snap]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(lines.len() > 1);
        for (i, line) in lines.iter().enumerate() {
            let errors: Vec<String> = v.iter_errors(line).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{snap} line {}: {errors:?}", i + 1);
            // decode's lines stay as they were: no schema field.
            assert!(line.get("schema").is_none());
        }
        // The first line is the meta line, the others records.
        assert!(lines[0].get("meta").is_some());
        assert!(lines[1..].iter().all(|l| l.get("n").is_some()));
        // A record line without its identity is rejected.
        let mut broken = lines[1].clone();
        broken.as_object_mut().unwrap().shift_remove("id");
        assert!(!v.is_valid(&broken));
    }
    // Vault's lines: a meta line naming the product, then entries with fingerprints.
    let (code, out, err) = run(&["decode", "testdata/vault.snap"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 21);
    for (i, line) in lines.iter().enumerate() {
        let errors: Vec<String> = v.iter_errors(line).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "vault line {}: {errors:?}", i + 1);
    }
    assert_eq!(lines[0]["product"], "vault");
    for key in ["fingerprint", "key"] {
        let mut broken = lines[1].clone();
        broken.as_object_mut().unwrap().shift_remove(key);
        assert!(!v.is_valid(&broken), "without {key}");
    }
    let mut broken = lines[1].clone();
    broken["value"] = "c2VjcmV0".into();
    assert!(
        !v.is_valid(&broken),
        "a value field is not part of a Vault line"
    );
}

#[test]
fn schemas_reject_documents_that_break_them() {
    for (file, what, doc) in documents() {
        let s = schema(file);
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&doc), "{what}");
        // Without any one required top-level field, the document is rejected.
        for key in s["required"].as_array().unwrap() {
            let key = key.as_str().unwrap();
            let mut broken = doc.clone();
            assert!(
                broken.as_object_mut().unwrap().shift_remove(key).is_some(),
                "{what}: {key}"
            );
            assert!(!v.is_valid(&broken), "{what} without {key} passes {file}");
        }
        // Another schema's id, or a field no schema knows, is rejected too.
        let mut broken = doc.clone();
        broken["schema"] = "snapinspect-other/1".into();
        assert!(!v.is_valid(&broken), "{what}");
        let mut broken = doc.clone();
        broken["undocumented"] = true.into();
        assert!(!v.is_valid(&broken), "{what}");
    }
    // Deeper down as well: a finding without a severity, a node without its bytes.
    let audit = json(&[
        "acl",
        "audit",
        "--format",
        "json",
        "--now",
        "2000-01-01T00:00:00Z",
        "testdata/acl.snap",
    ]);
    let v = jsonschema::validator_for(&schema("acl-audit.schema.json")).unwrap();
    let mut broken = audit.clone();
    broken["findings"][0]
        .as_object_mut()
        .unwrap()
        .shift_remove("severity");
    assert!(!v.is_valid(&broken));
    let mut broken = audit;
    broken["findings"][0]["severity"] = "severe".into();
    assert!(!v.is_valid(&broken));
    let details = json(&[
        "inspect",
        "--details",
        "--format",
        "json",
        "testdata/large.snap",
    ])["details"]
        .clone();
    // Vault's diff: a value beside its fingerprint, or the items read as Consul's (no product).
    let dir = tempfile::tempdir().unwrap();
    let changed = vault_changed(dir.path());
    let vdiff = json(&[
        "diff",
        "--format",
        "json",
        "testdata/vault.snap",
        changed.to_str().unwrap(),
    ]);
    let v = jsonschema::validator_for(&schema("diff.schema.json")).unwrap();
    assert!(v.is_valid(&vdiff));
    let mut broken = vdiff.clone();
    let change = broken["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["change"] == "changed")
        .unwrap();
    change["old"]["value"] = "c2VjcmV0".into();
    assert!(!v.is_valid(&broken));
    let mut broken = vdiff;
    broken.as_object_mut().unwrap().shift_remove("product");
    assert!(!v.is_valid(&broken));
    let v = jsonschema::validator_for(&schema("details.schema.json")).unwrap();
    let mut broken = details;
    broken["nodes"][0]
        .as_object_mut()
        .unwrap()
        .shift_remove("register_bytes");
    assert!(!v.is_valid(&broken));
}

#[test]
fn schema_files_are_named_by_their_ids() {
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(stem) = name.strip_suffix(".schema.json") else {
            continue;
        };
        let s = schema(&name);
        assert_eq!(s["$id"], format!("snapinspect-{stem}/1"), "{name}");
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
        // decode's lines and Nomad's own inspect JSON carry no schema field.
        if stem != "decode" && stem != "nomad-inspect" {
            assert_eq!(s["properties"]["schema"]["const"], s["$id"], "{name}");
        }
    }
}

/// The lists of the details report that `--top` bounds.
const DETAIL_LISTS: [&str; 6] = [
    "types",
    "top_kv",
    "top_records",
    "nodes",
    "services",
    "kv_tree",
];

#[test]
fn inspect_details_top_bounds_every_list() {
    let full = json(&[
        "inspect",
        "--details",
        "--format",
        "json",
        "--top",
        "100000",
        "testdata/large.snap",
    ])["details"]
        .clone();
    let len = |d: &Value, k: &str| d[k].as_array().unwrap().len();
    for k in DETAIL_LISTS {
        assert!(len(&full, k) > 3, "{k}: large.snap has more than three");
        assert_eq!(full["omitted"].get(k).map_or(0, |n| n.as_u64().unwrap()), 0);
    }
    for n in [1usize, 3] {
        let d = json(&[
            "inspect",
            "--details",
            "--format",
            "json",
            "--top",
            &n.to_string(),
            "testdata/large.snap",
        ])["details"]
            .clone();
        assert_eq!(d["limit"], n);
        for k in DETAIL_LISTS {
            assert_eq!(len(&d, k), n, "--top {n}: {k}");
            // The largest ones, in the same order.
            assert_eq!(
                d[k].as_array().unwrap()[..],
                full[k].as_array().unwrap()[..n]
            );
            if let Some(o) = d["omitted"].get(k) {
                assert_eq!(o.as_u64().unwrap() as usize, len(&full, k) - n, "{k}");
            }
        }
    }
    // Without --top: the 10 largest KV entries and records, every other list in full.
    let d = json(&[
        "inspect",
        "--details",
        "--format",
        "json",
        "testdata/large.snap",
    ])["details"]
        .clone();
    assert_eq!(d["limit"], Value::Null);
    assert_eq!(len(&d, "top_kv"), 10);
    assert_eq!(len(&d, "top_records"), 10);
    for k in ["types", "nodes", "services", "kv_tree"] {
        assert_eq!(d[k], full[k], "{k}");
    }
    // The text follows the same bound and says what it left out.
    let (code, text, err) = run(&["inspect", "--details", "--top", "3", "testdata/large.snap"]);
    assert_eq!(code, 0, "{err}");
    let section = |title: &str| -> Vec<String> {
        let start = text
            .find(title)
            .unwrap_or_else(|| panic!("{title}: {text}"));
        text[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with("  ") && !l.starts_with("  ..."))
            .map(String::from)
            .collect()
    };
    for title in [
        "Share of the snapshot by type",
        "Largest KV entries (top 3)",
        "Largest records (top 3)",
        "Catalog by node",
        "Catalog by service",
        "KV tree at depth",
    ] {
        assert_eq!(section(title).len(), 3, "{title}: {text}");
    }
    let more_nodes = format!(
        "  ... and {} more nodes (raise --top to list them)\n",
        len(&full, "nodes") - 3
    );
    assert!(text.contains(&more_nodes), "{text}");
    // Without --top the text is as before: ten nodes and a pointer to the JSON.
    let (_, text, _) = run(&["inspect", "--details", "testdata/large.snap"]);
    assert!(text.contains("  ... and 92 more nodes (all of them with --format json)"));
    assert!(!text.contains("raise --top"), "{text}");
}

#[test]
fn inspect_meta_prints_only_the_meta_block() {
    for snap in SNAPS {
        let (code, text, err) = run(&["inspect", "--meta", snap]);
        assert_eq!(code, 0, "{err}");
        let (_, full, _) = run(&["inspect", snap]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        // Consul's meta block, byte for byte, then the creation time from the ID.
        assert_eq!(lines[..5], full.lines().collect::<Vec<_>>()[..5], "{snap}");
        assert!(lines[5].starts_with(" Created "), "{text}");
        let doc = json(&["inspect", "--meta", "--format", "json", snap]);
        let verify = json(&["verify", "--format", "json", snap]);
        let meta = &verify["files"][0]["meta"];
        for k in ["id", "index", "term", "version", "size", "created_unix_ms"] {
            assert_eq!(doc[k], meta[k], "{snap} {k}");
        }
        assert!(lines[5].ends_with(doc["created"].as_str().unwrap()));
    }
    let doc = json(&["inspect", "--meta", "--format", "json", "testdata/all.snap"]);
    assert_eq!(doc["id"], "2-53-1795504043268");
    assert_eq!(doc["created"], "2026-11-24T07:07:23.268Z");
    assert_eq!(doc["created_unix_ms"], 1_795_504_043_268u64);
    // Only the meta block: it cannot be combined with the reports after it.
    for other in ["--details", "--kvdetails"] {
        let (code, _, _) = run(&["inspect", "--meta", other, "testdata/all.snap"]);
        assert_eq!(code, 2, "--meta {other}");
    }
    // A broken snapshot is still an error: the whole archive is read and checked.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.snap");
    std::fs::write(&bad, b"not a snapshot").unwrap();
    let (code, out, _) = run(&["inspect", "--meta", bad.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.is_empty());
}
