//! Vault's reports beyond verify and inspect: an empty Vault, decode (keys, sizes and
//! fingerprints, never values), diff by key, trend by key prefix, and the sweep proving that no
//! command prints a value's bytes. Expected figures are computed here from the generator's
//! entries, not by the reader.

use super::vault_snap;
use crate::util;
use crate::util::{run, write_file};

use std::path::Path;

use sha2::{Digest, Sha256};
use snapinspect::write::vault::{demo_entries, demo_meta, vault_state, write_vault_snapshot};

type Entries = Vec<(&'static str, Vec<u8>, bool)>;

/// A Vault snapshot of `entries` at raft index `index`, written into `dir`.
fn snap_at(dir: &Path, name: &str, index: u64, entries: &[(&str, Vec<u8>, bool)]) -> String {
    let mut meta = demo_meta();
    meta.index = index;
    let bytes =
        write_vault_snapshot(&meta, &vault_state(entries), Some(b"sealed sums"), 0).unwrap();
    write_file(dir, name, &bytes)
}

fn fingerprint(value: &[u8]) -> String {
    Sha256::digest(value)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn an_empty_vault_verifies_inspects_and_decodes() {
    let dir = tempfile::tempdir().unwrap();
    // Vault's order: state.bin before SHA256SUMS.sealed (the member decides after the walk).
    let p = write_file(dir.path(), "empty.snap", &vault_snap(&[], Some(b"sealed")));
    let (code, out, err) = run(&["verify", &p]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("records=0") && out.contains("product=vault"),
        "{out}"
    );
    // The sealed member first, too.
    let meta = demo_meta().to_go_json() + "\n";
    let tar = util::tar(&[
        ("SHA256SUMS.sealed", b"sealed"),
        ("meta.json", meta.as_bytes()),
        ("state.bin", b""),
        ("SHA256SUMS", &util::sums(meta.as_bytes(), b"")),
    ]);
    let first = write_file(dir.path(), "first.snap", &util::gzip(&tar));
    let (code, out, err) = run(&["verify", &first]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("product=vault"), "{out}");

    // inspect: the meta block only (Vault prints no key table without entries).
    let (code, out, err) = run(&["inspect", &p]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(" ID "), "{out}");
    assert!(!out.contains("Key Name"), "{out}");
    let (code, out, _) = run(&["inspect", "-format=json", &p]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["TotalCountKV"], 0);
    // decode: the meta line alone.
    let (code, out, err) = run(&["decode", &p]);
    assert_eq!(code, 0, "{err}");
    let l = lines(&out);
    assert_eq!(l.len(), 1, "{out}");
    assert_eq!(l[0]["product"], "vault");

    // diff and trend take it: every key of the fixture is added.
    let (code, out, err) = run(&["diff", "--format", "json", &p, "testdata/vault.snap"]);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), demo_entries().len());
    assert!(changes.iter().all(|c| c["change"] == "added"));
    let (code, out, _) = run(&["diff", &p, &first]);
    assert_eq!(code, 0);
    assert!(out.ends_with("\nidentical\n"), "{out}");
    let (code, out, err) = run(&["trend", "--format", "json", &p, "testdata/vault.snap"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["snapshots"][0]["total_bytes"], 0);

    // Without the sealed member it is not a Vault snapshot: Consul's error, exit 3; with an
    // empty one, Vault's.
    let (code, out, _) = run(&[
        "verify",
        &write_file(dir.path(), "n.snap", &vault_snap(&[], None)),
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("state.bin is empty"), "{out}");
    let (code, out, _) = run(&[
        "verify",
        &write_file(dir.path(), "e.snap", &vault_snap(&[], Some(b""))),
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("SHA256SUMS.sealed is empty"), "{out}");
}

#[test]
fn decode_prints_keys_sizes_and_fingerprints() {
    let (code, out, err) = run(&["decode", "testdata/vault.snap"]);
    assert_eq!(code, 0, "{err}");
    let l = lines(&out);
    let entries = demo_entries();
    assert_eq!(l.len(), entries.len() + 1);
    assert_eq!(l[0]["product"], "vault");
    assert_eq!(l[0]["meta"]["ID"], "bolt-snapshot");
    let mut offset = 0u64;
    for (i, ((k, v, w), line)) in entries.iter().zip(&l[1..]).enumerate() {
        let msg = snapinspect::write::vault::storage_entry(k.as_bytes(), v, *w);
        let want = serde_json::json!({
            "n": i + 1,
            "offset": offset,
            "key": k,
            "size": msg.len(),
            "value_bytes": v.len(),
            "seal_wrap": w,
            "fingerprint": fingerprint(v),
        });
        assert_eq!(line, &want);
        offset += vault_state(&entries[i..i + 1]).len() as u64;
    }
    // A key prefix selects entries; --show-secrets changes nothing (values are never shown).
    let (code, out, _) = run(&["decode", "--kv-prefix", "sys/", "testdata/vault.snap"]);
    assert_eq!(code, 0);
    let keys: Vec<String> = lines(&out)[1..]
        .iter()
        .map(|l| l["key"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<&str> = entries
        .iter()
        .map(|e| e.0)
        .filter(|k| k.starts_with("sys/"))
        .collect();
    assert_eq!(keys, want);
    let (_, shown, _) = run(&["decode", "--show-secrets", "testdata/vault.snap"]);
    assert_eq!(shown, run(&["decode", "testdata/vault.snap"]).1);
    // Consul's or Nomad's type filter means nothing here: exit 2, nothing printed.
    for t in ["KVS", "Job"] {
        let (code, out, err) = run(&["decode", "--type", t, "testdata/vault.snap"]);
        assert_eq!(code, 2, "{t}: {err}");
        assert!(out.is_empty() && err.contains("--kv-prefix"), "{out}{err}");
    }
}

/// OLD's entries and NEW's: one removed, one added, one changed in content at the same size,
/// one in size, one in seal_wrap only; the rest the same.
fn old_and_new() -> (Entries, Entries) {
    let old = demo_entries();
    let mut new = old.clone();
    new.retain(|e| e.0 != "sys/token/id/h1a2b3c");
    for e in new.iter_mut() {
        match e.0 {
            "core/mounts" => e.1[0] ^= 0xff,
            "sys/policy/default" => e.1.extend_from_slice(b"more"),
            "core/keyring" => e.2 = true,
            _ => {}
        }
    }
    new.push((
        "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/data/app/api",
        vec![7; 99],
        false,
    ));
    new.sort_by(|a, b| a.0.cmp(b.0));
    (old, new)
}

#[test]
fn diff_compares_vault_snapshots_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = old_and_new();
    let o = snap_at(dir.path(), "old.snap", 100, &old);
    let n = snap_at(dir.path(), "new.snap", 200, &new);
    let (code, out, err) = run(&["diff", "--format", "json", &o, &n]);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema"], "snapinspect-diff/1");
    assert_eq!(doc["product"], "vault");
    assert_eq!(
        (doc["old_index"].as_u64(), doc["new_index"].as_u64()),
        (Some(100), Some(200))
    );
    assert_eq!(doc["identical"], false);
    let side = |e: &(&str, Vec<u8>, bool)| serde_json::json!({"bytes": e.1.len(), "fingerprint": fingerprint(&e.1), "seal_wrap": e.2});
    let find = |v: &Entries, k: &str| v.iter().find(|e| e.0 == k).unwrap().clone();
    let want: Vec<serde_json::Value> = [
        ("core/keyring", "changed"),
        ("core/mounts", "changed"),
        (
            "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/data/app/api",
            "added",
        ),
        ("sys/policy/default", "changed"),
        ("sys/token/id/h1a2b3c", "removed"),
    ]
    .iter()
    .map(|(k, c)| {
        let o = (*c != "added").then(|| side(&find(&old, k)));
        let n = (*c != "removed").then(|| side(&find(&new, k)));
        serde_json::json!({"key": k, "change": c, "old": o, "new": n})
    })
    .collect();
    assert_eq!(doc["changes"].as_array().unwrap(), &want);
    // The summary by key prefix (two parts) counts every key once.
    let summary = doc["summary"].as_array().unwrap();
    let total: u64 = summary
        .iter()
        .map(|s| {
            ["added", "removed", "changed", "unchanged"]
                .iter()
                .map(|k| s[k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(total as usize, old.len() + 1);
    let tokens = summary.iter().find(|s| s["prefix"] == "sys/token").unwrap();
    assert_eq!(
        (tokens["removed"].as_u64(), tokens["unchanged"].as_u64()),
        (Some(1), Some(1))
    );

    // Text: the summary, then each key under its prefix with its sign.
    let (code, text, _) = run(&["diff", &o, &n]);
    assert_eq!(code, 1);
    assert!(
        text.starts_with(&format!("--- {o}  (bolt-snapshot, index 100)\n")),
        "{text}"
    );
    let mounts = find(&new, "core/mounts");
    for want in [
        "\nPrefix ",
        "  ~ core/keyring  350 bytes, fingerprint ",
        ", seal_wrap false -> true\n",
        &format!(
            "  ~ core/mounts  1500 bytes, fingerprint {} -> {}\n",
            fingerprint(&find(&old, "core/mounts").1),
            fingerprint(&mounts.1)
        ),
        "  ~ sys/policy/default  1400 -> 1404 bytes, fingerprint ",
        "  + logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/data/app/api  99 bytes, fingerprint ",
        "\nsys/token\n  - sys/token/id/h1a2b3c  520 bytes, fingerprint ",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    // --stat: the summary only; -q: nothing, the exit status answers.
    let (code, stat, _) = run(&["diff", "--stat", &o, &n]);
    assert_eq!(code, 1);
    assert!(stat.contains("Prefix") && !stat.contains("  ~ "), "{stat}");
    let (code, quiet, _) = run(&["diff", "-q", &o, &n]);
    assert_eq!((code, quiet.as_str()), (1, ""));
    // A key prefix narrows the diff; the same snapshot twice is identical.
    let (code, out, _) = run(&["diff", "--format", "json", "--kv-prefix", "sys/", &o, &n]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["sys/policy/default", "sys/token/id/h1a2b3c"]);
    let (code, out, _) = run(&["diff", "--kv-prefix", "logical/5e", &o, &n]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("\nidentical\n"), "{out}");
    let (code, out, _) = run(&["diff", &o, &o]);
    assert_eq!(code, 0);
    assert!(out.ends_with("\nidentical\n"), "{out}");
    // Options that mean nothing for Vault: exit 2.
    for flag in ["--show-values", "--type=KVS", "--type=Job"] {
        let (code, out, err) = run(&["diff", flag, &o, &n]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(out.is_empty());
    }
}

/// `diff` and `trend` of `a` and `b`, each way round: every one exits 5 with no output and
/// one line on stderr; those lines.
fn refused_across_products(a: &str, b: &str) -> Vec<String> {
    let mut errs = Vec::new();
    for args in [
        ["diff", a, b],
        ["diff", b, a],
        ["trend", a, b],
        ["trend", b, a],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 5, "{args:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        errs.push(err);
    }
    errs
}

#[test]
fn diff_and_trend_across_products_exit_5_with_one_line() {
    for err in refused_across_products("testdata/all.snap", "testdata/vault.snap") {
        assert!(
            err.contains("compares snapshots of one product")
                && err.contains("a Consul snapshot")
                && err.contains("a Vault snapshot"),
            "{err}"
        );
    }
}

#[test]
fn diff_and_trend_of_vault_and_nomad_exit_5() {
    for err in refused_across_products("testdata/vault.snap", "testdata/nomad.snap") {
        assert!(
            err.contains("one product") && err.contains("Vault") && err.contains("Nomad"),
            "{err}"
        );
    }
}

#[test]
fn trend_follows_vault_key_prefixes_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = old_and_new();
    let mut grown = new.clone();
    for i in 0..5 {
        grown.push((
            Box::leak(format!("sys/token/id/t{i}").into_boxed_str()),
            vec![1; 500],
            false,
        ));
    }
    grown.sort_by(|a, b| a.0.cmp(b.0));
    // Named against their order: trend orders by index (Vault's IDs carry no time).
    let a = snap_at(dir.path(), "c.snap", 100, &old);
    let b = snap_at(dir.path(), "a.snap", 200, &new);
    let c = snap_at(dir.path(), "b.snap", 300, &grown);
    let svg = dir.path().join("t.svg");
    let (code, out, err) = run(&[
        "trend",
        "--format",
        "json",
        "--plot",
        svg.to_str().unwrap(),
        &c,
        &a,
        &b,
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["product"], "vault");
    let paths: Vec<&str> = doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [a.as_str(), b.as_str(), c.as_str()]);
    // Per-prefix bytes and counts, computed from the entries.
    let at = |entries: &Entries, p: &str| -> (u64, u64) {
        entries
            .iter()
            .filter(|e| e.0.starts_with(p) && e.0[p.len()..].starts_with('/'))
            .fold((0, 0), |(c, s), e| {
                let m = snapinspect::write::vault::storage_entry(e.0.as_bytes(), &e.1, e.2);
                (c + 1, s + m.len() as u64)
            })
    };
    let tokens = util::find(&doc["kv_prefixes"], "name", "sys/token");
    let (f, l) = (at(&old, "sys/token"), at(&grown, "sys/token"));
    assert_eq!(tokens["first_count"].as_u64(), Some(f.0));
    assert_eq!(tokens["last_count"].as_u64(), Some(l.0));
    assert_eq!(tokens["first_bytes"].as_u64(), Some(f.1));
    assert_eq!(tokens["last_bytes"].as_u64(), Some(l.1));
    assert_eq!(l.0, 6);
    // The largest growth comes first.
    assert_eq!(doc["kv_prefixes"][0]["name"], "sys/token");
    let first = &doc["snapshots"][0];
    assert_eq!(first["kv_prefix_counts"]["sys/token"], 2);
    assert_eq!(first["types"]["StorageEntry"][0], old.len());
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("Snapshot size by key prefix") && svg.contains("sys/token"));
    // Text: growth by key prefix, with counts.
    let (code, text, _) = run(&["trend", "--kvdepth", "1", &a, &b, &c]);
    assert_eq!(code, 0);
    assert!(
        text.contains("Growth by key prefix, first to last"),
        "{text}"
    );
    assert!(text.contains("  sys "), "{text}");
}

/// Every form in which a value's bytes could leak into output.
fn leaked_forms(value: &[u8]) -> Vec<String> {
    use base64::Engine;
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    vec![
        // Any part of a value: its first bytes, as text, hex, base64 and a byte list.
        String::from_utf8_lossy(&value[..24]).into_owned(),
        hex[..48].to_string(),
        b64[..32].to_string(),
        format!("{:?}", &value[..12])
            .trim_end_matches(']')
            .to_string(),
        // A whole value, tail included.
        String::from_utf8_lossy(&value[value.len() - 40..]).into_owned(),
        hex,
        b64,
    ]
}

fn leaks(text: &str, values: &[Vec<u8>]) -> Vec<String> {
    let forms: std::collections::BTreeSet<String> =
        values.iter().flat_map(|v| leaked_forms(v)).collect();
    forms
        .into_iter()
        .filter(|f| text.contains(f.as_str()))
        .collect()
}

#[test]
fn no_command_prints_a_vault_value() {
    let dir = tempfile::tempdir().unwrap();
    // Values that are printable text, so that any leak is visible in every form.
    let value = |k: &str| format!("VAULT-PLANTED-CIPHERTEXT-{k}-{}", "x".repeat(40)).into_bytes();
    let mut old: Entries = demo_entries()
        .into_iter()
        .map(|(k, _, w)| (k, value(k), w))
        .collect();
    let o = snap_at(dir.path(), "o.snap", 1, &old);
    old[3].1 = value("changed");
    old.remove(5);
    let n = snap_at(dir.path(), "n.snap", 2, &old);
    let mut values: Vec<Vec<u8>> = demo_entries().iter().map(|e| value(e.0)).collect();
    values.push(value("changed"));
    // The check finds a planted value in each form (it can fail).
    for form in leaked_forms(&values[0]) {
        assert!(
            leaks(&format!("..{form}.."), &values).contains(&form),
            "{form}"
        );
    }
    let out_file = dir.path().join("out");
    let prom = dir.path().join("m.prom");
    let svg = dir.path().join("t.svg");
    let unpacked = dir.path().join("x");
    let tprom = dir.path().join("t.prom");
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", &n],
        vec!["inspect", "-format=json", "-depth", "0", &n],
        vec!["inspect", "--meta", &n],
        vec!["verify", &n],
        vec!["verify", "--format", "json", &n],
        vec!["verify", "--prometheus", prom.to_str().unwrap(), &n],
        vec!["decode", &n],
        vec!["decode", "--show-secrets", &n],
        vec!["diff", &o, &n],
        vec!["diff", "--show-secrets", &o, &n],
        vec!["diff", "--format", "json", "--show-secrets", &o, &n],
        vec!["diff", "--show-values", &o, &n],
        vec!["trend", &o, &n],
        vec!["trend", "--prometheus", tprom.to_str().unwrap(), &o, &n],
        vec![
            "trend",
            "--format",
            "json",
            "--plot",
            svg.to_str().unwrap(),
            &o,
            &n,
        ],
        vec!["scan", &n],
        vec!["scan", "--format", "json", &n],
        vec!["acl", "tokens", "--show-secrets", &n],
        vec!["compat", &n],
        vec!["redact", "-o", out_file.to_str().unwrap(), &n],
        vec!["unpack", "-C", unpacked.to_str().unwrap(), &n],
    ];
    let mut checked = 0;
    for args in &runs {
        let (code, out, err) = run(args);
        assert!(code != 101, "{args:?} panicked: {err}");
        let found = leaks(&format!("{out}{err}"), &values);
        assert!(found.is_empty(), "{args:?} printed a value: {found:?}");
        checked += 1;
    }
    for f in [&prom, &svg, &tprom, &out_file] {
        if let Ok(bytes) = std::fs::read(f) {
            let found = leaks(&String::from_utf8_lossy(&bytes), &values);
            assert!(found.is_empty(), "{} holds a value: {found:?}", f.display());
        }
    }
    assert_eq!(checked, runs.len());
    assert!(prom.exists() && svg.exists() && tprom.exists());
}

#[test]
fn verify_prometheus_names_the_product() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["all.snap", "vault.snap"] {
        std::fs::copy(util::testdata(name), dir.path().join(name)).unwrap();
    }
    let prom = dir.path().join("m.prom");
    let (code, out, err) = run(&[
        "verify",
        "-q",
        "--prometheus",
        prom.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&prom).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let mut products: Vec<(String, String)> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "snapinspect_snapshot_product")
        .map(|s| {
            let path = s.labels.get("path").unwrap();
            let file = Path::new(path).file_name().unwrap().to_str().unwrap();
            (
                file.to_string(),
                s.labels.get("product").unwrap().to_string(),
            )
        })
        .collect();
    products.sort();
    assert_eq!(
        products,
        [
            ("all.snap".to_string(), "consul".to_string()),
            ("vault.snap".to_string(), "vault".to_string())
        ]
    );
}

#[test]
fn keys_are_escaped_once_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let old: Entries = vec![("a/x", vec![1], false)];
    let new: Entries = vec![("a/x", vec![1], false), ("b/line\nbreak", vec![2], false)];
    let o = snap_at(dir.path(), "o.snap", 1, &old);
    let n = snap_at(dir.path(), "n.snap", 2, &new);
    let (code, text, _) = run(&["diff", &o, &n]);
    assert_eq!(code, 1);
    assert!(text.contains("  + b/line\\nbreak  1 bytes"), "{text}");
    assert!(text.contains("\nb/line\\nbreak  1 "), "{text}");
    assert!(
        !text.contains("\\\\n") && !text.contains("line\nbreak"),
        "{text}"
    );
    // JSON keeps the key exact.
    let (_, out, _) = run(&["diff", "--format", "json", &o, &n]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["changes"][0]["key"], "b/line\nbreak");
}

#[test]
fn trend_prometheus_carries_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = old_and_new();
    let a = snap_at(dir.path(), "a.snap", 100, &old);
    let b = snap_at(dir.path(), "b.snap", 200, &new);
    let parse = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
    };
    let value = |s: &prometheus_parse::Sample| match s.value {
        prometheus_parse::Value::Gauge(v) => v,
        _ => panic!("{s:?} is not a gauge"),
    };
    let prom = dir.path().join("vault.prom");
    let (code, _, err) = run(&["trend", "--prometheus", prom.to_str().unwrap(), &a, &b]);
    assert_eq!(code, 0, "{err}");
    let scrape = parse(&prom);
    assert!(!scrape.samples.is_empty());
    assert!(
        scrape
            .samples
            .iter()
            .all(|s| s.labels.get("product") == Some("vault")),
        "{:?}",
        scrape.samples
    );
    let find = |metric: &str, label: &str, v: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && s.labels.get(label) == Some(v))
            .map(value)
    };
    assert_eq!(
        find("snapinspect_trend_prefix_entries", "prefix", "sys/token"),
        Some(1.0)
    );
    assert_eq!(
        find("snapinspect_trend_records", "type", "StorageEntry"),
        Some(new.len() as f64)
    );
    let removed = snapinspect::write::vault::storage_entry(
        b"sys/token/id/h1a2b3c",
        &old.iter()
            .find(|e| e.0 == "sys/token/id/h1a2b3c")
            .unwrap()
            .1,
        false,
    );
    assert_eq!(
        find("snapinspect_trend_growth_bytes", "prefix", "sys/token"),
        Some(-(removed.len() as f64))
    );
    assert!(scrape.docs.contains_key("snapinspect_trend_last_index"));
    // Consul's carry product="consul".
    let prom = dir.path().join("consul.prom");
    let (code, _, err) = run(&[
        "trend",
        "--prometheus",
        prom.to_str().unwrap(),
        "testdata/kv.snap",
        "testdata/all.snap",
    ]);
    assert_eq!(code, 0, "{err}");
    let scrape = parse(&prom);
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric == "snapinspect_trend_records" && s.labels.get("type") == Some("KVS")));
    assert!(scrape
        .samples
        .iter()
        .all(|s| s.labels.get("product") == Some("consul")));
}

#[test]
fn diff_memory_grows_by_tens_of_bytes_a_key() {
    // 200,000 keys, 1% removed in NEW: the table of OLD's keys is 24 bytes a key (48 while it
    // grows); a hash map of wider entries would take 150 to 200.
    const N: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let mut keys: Vec<String> = (0..N)
        .map(|i| format!("logical/{:02}/k{i:07}", i % 40))
        .collect();
    keys.sort();
    let keys: &'static [String] = Box::leak(keys.into_boxed_slice());
    let old: Entries = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), vec![i as u8; 8], false))
        .collect();
    let new: Entries = old
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 100 != 0)
        .map(|(_, e)| e.clone())
        .collect();
    let o = snap_at(dir.path(), "o.snap", 1, &old);
    let n = snap_at(dir.path(), "n.snap", 2, &new);
    let (code, err, base) = util::run_measured(&["verify", &o]);
    assert_eq!(code, 0, "{err}");
    let (code, err, rss) = util::run_measured(&["diff", "--stat", &o, &n]);
    assert_eq!(code, 1, "{err}");
    let per_key = (rss - base) * 1024 / N as i64;
    eprintln!("diff of {N} keys: peak RSS {rss} KiB, verify {base} KiB, {per_key} bytes a key");
    assert!(per_key < 64, "{per_key} bytes a key");
}
