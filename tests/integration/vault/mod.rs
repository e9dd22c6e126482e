//! Vault raft snapshots (issue 19, the Vault slice): detection from content, verify (framing,
//! ascending keys, the sealed sums), inspect in Vault's layout and JSON, Consul-only commands
//! refused with exit 5; decode, diff, trend and the secrets sweep in `reports`. The fixture is
//! synthetic (testdata/README.md).

mod reports;

use crate::util;
use crate::util::{run, write_file};

use std::collections::BTreeMap;

use snapinspect::write::vault::{
    demo_entries, demo_meta, demo_snapshot, vault_state, write_vault_snapshot,
};

/// A Vault snapshot whose state.bin is `state`, with a sealed-sums member or not.
fn vault_snap(state: &[u8], sealed: Option<&[u8]>) -> Vec<u8> {
    write_vault_snapshot(&demo_meta(), state, sealed, 0).unwrap()
}

#[test]
fn the_fixture_is_what_the_generator_writes() {
    util::assert_fixture("vault.snap", &demo_snapshot().unwrap(), "vault_fixture");
}

#[test]
fn verify_says_ok_with_the_entry_count() {
    let (code, out, err) = run(&["verify", "testdata/vault.snap"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("OK    testdata/vault.snap  index=1234 records=20 size=")
            && out.lines().next().unwrap().ends_with(" product=vault"),
        "{out}"
    );
    let (code, out, _) = run(&["verify", "--format", "json", "testdata/vault.snap"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["files"][0]["product"], "vault");
    assert_eq!(doc["files"][0]["records"], 20);
}

#[test]
fn verify_dir_mixes_consul_and_vault() {
    let out = util::verify_copies_of(&["all.snap", "vault.snap"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("OK ") && lines[0].contains("all.snap"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("OK ") && lines[1].contains("vault.snap"),
        "{out}"
    );
    assert_eq!(lines[2], "2 checked: 2 OK");
}

/// Go's tabwriter (minwidth 8, padding 6) for one block of cells, written here from Go's
/// rules: a column's width is its widest cell plus padding, at least minwidth, over the
/// consecutive lines that have a cell in that column (a tab-terminated one).
fn go_table(lines: &[Vec<String>]) -> Vec<String> {
    // Enough for the two shapes used here: the meta block (2 cells) and Vault's key table.
    let w = |cells: &[&String]| {
        cells
            .iter()
            .map(|c| c.chars().count() + 6)
            .max()
            .unwrap()
            .max(8)
    };
    let col0: Vec<&String> = lines.iter().map(|l| &l[0]).collect();
    let w0 = w(&col0);
    // Column 1 of the key table: its block ends at the " ----\t----" line (one terminated
    // cell); the Total line starts a block of its own (an empty cell: minwidth).
    let block: Vec<&String> = lines
        .iter()
        .take_while(|l| l.len() == 3)
        .map(|l| &l[1])
        .collect();
    let w1 = if block.is_empty() { 0 } else { w(&block) };
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut s = format!("{:<w0$}", l[0]);
            if l.len() == 3 {
                let w1 = if i < block.len() { w1 } else { 8 };
                s.push_str(&format!("{:<w1$}", l[1]));
                s.push_str(&l[2]);
            } else {
                s.push_str(&l[1]);
            }
            s
        })
        .collect()
}

/// Consul's and Vault's ByteSize, written again from Vault's source.
fn byte_size(n: u64) -> String {
    let (v, unit) = match n {
        0 => return "0".into(),
        n if n >= 1 << 40 => (n as f64 / (1u64 << 40) as f64, "TB"),
        n if n >= 1 << 30 => (n as f64 / (1u64 << 30) as f64, "GB"),
        n if n >= 1 << 20 => (n as f64 / (1u64 << 20) as f64, "MB"),
        n if n >= 1 << 10 => (n as f64 / 1024.0, "KB"),
        n => (n as f64, "B"),
    };
    let s = format!("{v:.1}");
    format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
}

/// The expected inspect output, computed from the generator's entries (not from the reader):
/// sizes are protobuf message lengths (Vault's GetLastReadSize).
fn golden(depth: usize, filter: &str) -> String {
    let meta = demo_meta();
    let state = vault_state(&demo_entries());
    let mut stats: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut total = 0;
    for (k, v, w) in demo_entries() {
        if !k.starts_with(filter) {
            continue;
        }
        let size = snapinspect::write::vault::storage_entry(k.as_bytes(), &v, w).len() as u64;
        let parts: Vec<&str> = k.split('/').collect();
        let d = if depth == 0 || depth > parts.len() {
            parts.len()
        } else {
            depth
        };
        let e = stats.entry(parts[..d].join("/")).or_default();
        e.0 += 1;
        e.1 += size;
        total += size;
    }
    let metas: Vec<Vec<String>> = [
        ("ID", meta.id.clone()),
        ("Size", state.len().to_string()),
        ("Index", meta.index.to_string()),
        ("Term", meta.term.to_string()),
        ("Version", meta.version.to_string()),
    ]
    .iter()
    .map(|(k, v)| vec![format!(" {k}"), v.clone()])
    .collect();
    let mut out = go_table(&metas).join("\n");
    out.push('\n');
    if !stats.is_empty() {
        let mut rows: Vec<(String, u64, u64)> =
            stats.into_iter().map(|(k, (c, s))| (k, c, s)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut t = vec![
            vec![" Key Name".into(), "Count".into(), "Size".into()],
            vec![" ----".into(), "----".into(), "----".into()],
        ];
        for (k, c, s) in rows {
            t.push(vec![format!(" {k}"), c.to_string(), byte_size(s)]);
        }
        t.push(vec![" ----".into(), "----".into()]);
        t.push(vec![" Total Size".into(), "".into(), byte_size(total)]);
        out.push_str("\n\n");
        out.push_str(&go_table(&t).join("\n"));
    }
    out.push('\n');
    out
}

#[test]
fn inspect_prints_vaults_layout_byte_for_byte() {
    let (code, out, err) = run(&["inspect", "testdata/vault.snap"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, golden(2, ""));
    assert!(out.contains("\n\n\n Key Name"), "{out}");
    for (args, depth, filter) in [
        (vec!["-depth", "1"], 1, ""),
        (vec!["-depth=0"], 0, ""),
        (
            vec!["--kvdepth", "3", "--kvfilter", "logical/"],
            3,
            "logical/",
        ),
        (vec!["-filter", "sys/"], 2, "sys/"),
        (vec!["-filter", "nothing/"], 2, "nothing/"),
    ] {
        let mut a = vec!["inspect"];
        a.extend(args.iter());
        a.push("testdata/vault.snap");
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(out, golden(depth, filter), "{args:?}");
    }
    let (code, _, err) = run(&["inspect", "-depth", "-1", "testdata/vault.snap"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn inspect_json_is_vaults_output_format() {
    let (code, out, err) = run(&[
        "inspect",
        "-format=json",
        "-depth",
        "1",
        "testdata/vault.snap",
    ]);
    assert_eq!(code, 0, "{err}");
    // Go's MarshalIndent with two spaces, fields in struct order.
    assert!(
        out.starts_with("{\n  \"Meta\": {\n    \"ID\": \"bolt-snapshot\",\n    \"Size\": "),
        "{out}"
    );
    assert!(out.ends_with("}\n"));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(doc["TotalCountKV"], 20);
    let stats = doc["StatsKV"].as_array().unwrap();
    let names: Vec<&str> = stats.iter().map(|s| s["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["core", "logical", "sys"]);
    assert_eq!(stats[0]["Count"], 9);
    let sum: u64 = stats.iter().map(|s| s["Size"].as_u64().unwrap()).sum();
    assert_eq!(doc["TotalSizeKV"], sum);
    // No entry matches: StatsKV is Go's nil slice.
    let (_, out, _) = run(&[
        "inspect",
        "-format=json",
        "-filter",
        "x/",
        "testdata/vault.snap",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["StatsKV"].is_null());
}

/// Runs verify on bytes; (exit code, stdout).
fn verify(bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "x.snap", bytes);
    let (code, out, _) = run(&["verify", &p]);
    (code, out)
}

#[test]
fn damaged_vault_snapshots_fail_with_exit_3_naming_the_problem() {
    let entries = demo_entries();
    let good = vault_state(&entries);
    let sealed: &[u8] = b"opaque sealed sums";

    // A bad varint: the third entry's length prefix runs 10 bytes and overflows.
    let first_two = vault_state(&entries[..2]).len();
    let mut bad = good[..first_two].to_vec();
    bad.extend([0xff; 10]);
    bad.extend(&good[first_two..]);
    let (code, out) = verify(&vault_snap(&bad, Some(sealed)));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("bad varint") && out.contains("entry 3"),
        "{out}"
    );

    // Keys out of order.
    let mut swapped = entries.clone();
    swapped.swap(4, 5);
    let (code, out) = verify(&vault_snap(&vault_state(&swapped), Some(sealed)));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("keys out of order") && out.contains("entry 6"),
        "{out}"
    );

    // A repeated key.
    let mut repeated = entries.clone();
    repeated.insert(1, repeated[0].clone());
    let (code, out) = verify(&vault_snap(&vault_state(&repeated), Some(sealed)));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("repeats"), "{out}");

    // SHA256SUMS.sealed missing, then empty.
    let (code, out) = verify(&vault_snap(&good, None));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("SHA256SUMS.sealed is missing"), "{out}");
    let (code, out) = verify(&vault_snap(&good, Some(b"")));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("SHA256SUMS.sealed is empty"), "{out}");

    // A truncated entry (the hashes are recomputed, so only the framing can tell).
    let (code, out) = verify(&vault_snap(&good[..good.len() - 7], Some(sealed)));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("truncated entry") && out.contains("entry 20"),
        "{out}"
    );

    // A length over the limit is refused before anything is buffered.
    let mut huge = good[..first_two].to_vec();
    huge.extend([0x80, 0x80, 0x80, 0x80, 0x01]);
    let (code, out) = verify(&vault_snap(&huge, Some(sealed)));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("byte limit") && out.contains("entry 3"),
        "{out}"
    );

    // The sealed-sums member beside a Consul state.bin is not a Vault snapshot.
    let (meta, state) = util::members("basic.snap");
    let tar = util::tar(&[
        ("meta.json", &meta),
        ("state.bin", &state),
        ("SHA256SUMS", &util::sums(&meta, &state)),
        ("SHA256SUMS.sealed", sealed),
    ]);
    let (code, out) = verify(&util::gzip(&tar));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("SHA256SUMS.sealed"), "{out}");
}

#[test]
fn consul_only_commands_refuse_vault_with_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.snap");
    for args in [
        vec!["acl", "tokens", "testdata/vault.snap"],
        vec!["compat", "testdata/vault.snap"],
        vec!["redact", "-o", out.to_str().unwrap(), "testdata/vault.snap"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 5, "{args:?}: {err}");
        assert!(
            err.contains("Consul snapshots only") && err.contains("Vault"),
            "{err}"
        );
    }
    assert!(!out.exists(), "redact wrote nothing");
}
