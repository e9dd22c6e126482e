//! The inspect formatter reproduces Consul's upstream goldens byte for byte from their numbers,
//! and the derived outputs of the spec end to end from Consul's own tar fixtures.

use crate::util;

use std::path::{Path, PathBuf};

use snapinspect::report::inspect::{byte_size, Report, ReportMeta, Row};

fn upstream() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/upstream");
    if p.is_dir() {
        Some(p)
    } else {
        util::skip(
            "SNAPINSPECT_REQUIRE_SHARED",
            "../shared/fixtures/upstream is not present",
        );
        None
    }
}

/// A byte count that Consul's ByteSize prints as `s` (goldens show only the rounded text).
fn sum_for(s: &str) -> u64 {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap());
    let mult: f64 = match unit {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1048576.0,
        "GB" => 1073741824.0,
        u => panic!("unit {u}"),
    };
    let n = (num.parse::<f64>().unwrap() * mult).round() as u64;
    assert_eq!(byte_size(n), s, "chosen sum {n} must print as {s}");
    n
}

/// Rows of a table block: `(name, count, size text)` between the two `----` lines.
fn parse_table(lines: &[&str]) -> (Vec<Row>, u64) {
    let mut rows = Vec::new();
    let mut total = 0;
    let mut in_rows = false;
    for l in lines {
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.first() == Some(&"----") {
            in_rows = !in_rows;
            continue;
        }
        if in_rows {
            rows.push(Row {
                name: cols[0].as_bytes().to_vec(),
                count: cols[1].parse().unwrap(),
                sum: sum_for(cols[2]),
            });
        } else if cols.first() == Some(&"Total") {
            total = sum_for(cols[1]);
        }
    }
    (rows, total)
}

fn report_from_golden(text: &str) -> Report {
    let blocks: Vec<Vec<&str>> = text
        .trim_end_matches('\n')
        .split("\n\n")
        .map(|b| b.lines().collect())
        .collect();
    let meta_val = |i: usize| blocks[0][i].split_whitespace().nth(1).unwrap().to_string();
    let meta = ReportMeta {
        id: meta_val(0),
        size: meta_val(1).parse().unwrap(),
        index: meta_val(2).parse().unwrap(),
        term: meta_val(3).parse().unwrap(),
        version: meta_val(4).parse().unwrap(),
    };
    let (mut stats, total) = parse_table(&blocks[1]);
    // Consul's Total of the type table is the exact state.bin size.
    let total = if byte_size(meta.size as u64) == byte_size(total) {
        meta.size as u64
    } else {
        total
    };
    stats.reverse(); // the formatter must sort them back
    let (kv, kv_total) = match blocks.get(2) {
        Some(b) => {
            let (mut rows, t) = parse_table(b);
            rows.reverse();
            (Some(rows), t)
        }
        None => (None, 0),
    };
    Report::from_parts(meta, stats, kv, total, kv_total)
}

#[test]
fn upstream_inspect_goldens_byte_for_byte() {
    let Some(up) = upstream() else { return };
    let dir = up.join("goldens/inspect");
    let mut checked = 0;
    for name in [
        "TestSnapshotInspectCommand.golden",
        "TestSnapshotInspectKVDetailsCommand.golden",
        "TestSnapshotInspectKVDetailsDepthCommand.golden",
        "TestSnapshotInspectKVDetailsDepthFilterCommand.golden",
    ] {
        let golden = std::fs::read_to_string(dir.join(name)).unwrap();
        let report = report_from_golden(&golden);
        let mut out = report.pretty();
        out.push(b'\n'); // the CLI's newline
        assert_eq!(String::from_utf8(out).unwrap(), golden, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

fn formatter_input() -> Report {
    Report::from_parts(
        ReportMeta {
            id: "one".into(),
            size: 2,
            index: 3,
            term: 4,
            version: 1,
        },
        vec![Row {
            name: b"msg".to_vec(),
            sum: 1,
            count: 2,
        }],
        Some(vec![Row {
            name: b"msgKV".to_vec(),
            sum: 1,
            count: 2,
        }]),
        1,
        1,
    )
}

#[test]
fn upstream_formatter_goldens_byte_for_byte() {
    let Some(up) = upstream() else { return };
    let pretty = std::fs::read(up.join("goldens/inspect/pretty.golden")).unwrap();
    let json = std::fs::read_to_string(up.join("goldens/inspect/json.golden")).unwrap();
    assert_eq!(
        String::from_utf8(formatter_input().pretty()).unwrap(),
        String::from_utf8(pretty).unwrap()
    );
    assert_eq!(formatter_input().json(), json);
}

#[test]
fn json_layout_without_kv_has_null_and_html_escapes() {
    let r = Report::from_parts(
        ReportMeta {
            id: "a<b>&".into(),
            size: 0,
            index: 0,
            term: 0,
            version: 1,
        },
        vec![],
        None,
        0,
        0,
    );
    let j = r.json();
    assert!(j.contains("\"ID\": \"a\\u003cb\\u003e\\u0026\""), "{j}");
    assert!(j.contains("\"Stats\": [],"), "{j}");
    assert!(j.contains("\"StatsKV\": null,"), "{j}");
}

/// Extracts the members of one of Consul's upstream tar fixtures into a temp dir.
fn extract(tar: &Path, dir: &Path) {
    let f = std::io::BufReader::new(std::fs::File::open(tar).unwrap());
    let mut t = snapinspect::go::tar::TarReader::new(f);
    while let Some(e) = t.next_entry().unwrap() {
        let mut body = Vec::new();
        t.read_data(&e, &mut |c| {
            body.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        let name = String::from_utf8(e.name.clone()).unwrap();
        std::fs::write(dir.join(name), body).unwrap();
    }
}

#[test]
fn derived_outputs_of_upstream_state_streams() {
    let Some(up) = upstream() else { return };
    let expected_extra = " ID           2-5-1476421566599
 Size         625
 Index        5
 Term         2
 Version      1

 Type          Count      Size
 ----          ----       ----
 Register      3          625B
 ----          ----       ----
 Total                    625B
";
    let expected_spaces = " ID           2-10-1546615723344
 Size         4518
 Index        10
 Term         2
 Version      1

 Type                        Count      Size
 ----                        ----       ----
 ConnectCA                   1          1.5KB
 ConnectCAProviderState      1          1.2KB
 Register                    3          1.2KB
 Autopilot                   1          188B
 Index                       6          151B
 ConnectCAConfig             1          138B
 ----                        ----       ----
 Total                                  4.4KB
";
    for (fixture, expected) in [
        ("extra.tar", expected_extra),
        ("spaces-meta.tar", expected_spaces),
    ] {
        let dir = tempfile::tempdir().unwrap();
        extract(&up.join("test-snapshot").join(fixture), dir.path());
        let out = assert_cmd::Command::cargo_bin("snapinspect")
            .unwrap()
            .arg(dir.path().join("state.bin"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            expected,
            "{fixture}"
        );
    }
}

/// The arguments each golden of `testdata/golden/inspect/` was made with (Consul's flags), the
/// same list as `VARIANTS` in `scripts/inspect-reference.py`.
const VARIANTS: &[(&str, &[&str])] = &[
    ("txt", &[]),
    ("kvdetails.txt", &["-kvdetails"]),
    ("kvdepth1.txt", &["-kvdetails", "-kvdepth", "1"]),
    ("kvdepth3.txt", &["-kvdetails", "-kvdepth=3"]),
    ("json", &["-format", "json"]),
    ("kvdetails.json", &["-kvdetails", "-format=json"]),
];

/// inspect prints, byte for byte, what the independent reference reader
/// (`scripts/inspect-reference.py`, written from the spec with no code of ours) printed for
/// every testdata snapshot: the default table, -kvdetails at depths 1, 2 and 3, and JSON.
#[test]
fn inspect_matches_the_independent_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden/inspect");
    let mut compared = 0;
    for snap in ["acl", "all", "basic", "kv", "large"] {
        for (suffix, flags) in VARIANTS {
            let golden = dir.join(format!("{snap}.{suffix}"));
            let expected =
                std::fs::read(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
            let file = util::testdata(&format!("{snap}.snap"));
            let out = assert_cmd::Command::cargo_bin("snapinspect")
                .unwrap()
                .args(*flags)
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{snap} {flags:?}");
            assert!(
                out.stdout == expected,
                "{snap} {flags:?} differs from {}:\n--- golden\n{}\n--- ours\n{}",
                golden.display(),
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&out.stdout)
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 30);
}
