//! `snapinspect acl` around the edges: a snapshot without ACL data says so, the token table
//! marks expired tokens as of `--now`, and `acl audit --min-severity` lists only the findings
//! at or above a level while the counts (and `--fail-on`) still see every finding.

use assert_cmd::Command;
use serde_json::Value;

fn acl(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("acl")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const NO_ACL: &str = "snapinspect: no ACL data in this snapshot (ACLs were never enabled)\n";
const LISTS: [&str; 5] = [
    "tokens",
    "policies",
    "roles",
    "auth-methods",
    "binding-rules",
];

#[test]
fn a_snapshot_without_acl_data_says_so() {
    for cmd in LISTS.iter().chain(&["audit"]) {
        for format in ["text", "json"] {
            let (code, out, err) = acl(&[cmd, "--format", format, "testdata/kv.snap"]);
            assert_eq!(code, 0, "{cmd} {format}: {err}");
            assert_eq!(err, NO_ACL, "{cmd} {format}: one line on stderr");
            if format == "json" && *cmd != "audit" {
                // The API's answer for no objects: an empty list.
                assert_eq!(out, "[]\n", "{cmd}");
            }
        }
        // A snapshot with ACL data has nothing to say on stderr.
        let (code, _, err) = acl(&[cmd, "testdata/acl.snap"]);
        assert_eq!(code, 0);
        assert_eq!(err, "", "{cmd}");
    }
    // Standard output is what it was: the audit's count line alone.
    let (_, out, _) = acl(&["audit", "testdata/kv.snap"]);
    assert_eq!(out, "0 findings: 0 high, 0 medium, 0 low, 0 info\n");
    // `show` has nothing to show: a usage error that gives the reason.
    let (code, out, err) = acl(&["show", "anything", "testdata/kv.snap"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("no ACL data in this snapshot (ACLs were never enabled)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The token table's rows: description -> Expires cell.
fn expires(now: &str) -> Vec<(String, String)> {
    let (code, out, err) = acl(&["tokens", "--now", now, "testdata/acl.snap"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    let at = header.find("Expires").unwrap();
    let desc = header.find("Description").unwrap();
    let policies = header.find("Policies").unwrap();
    lines
        .map(|l| {
            (
                l[desc..policies].trim().to_string(),
                l[at..].trim().to_string(),
            )
        })
        .collect()
}

fn expired(now: &str) -> Vec<String> {
    let mut v: Vec<String> = expires(now)
        .into_iter()
        .filter(|(_, e)| e.ends_with(" (expired)"))
        .map(|(d, _)| d)
        .collect();
    v.sort();
    v
}

#[test]
fn the_token_table_marks_expired_tokens() {
    // Before any expiry: nothing is marked; tokens without expiry say never.
    assert!(expired("2000-01-01T00:00:00Z").is_empty());
    let rows = expires("2000-01-01T00:00:00Z");
    assert_eq!(rows.len(), 12);
    let never = rows.iter().filter(|(_, e)| e == "never").count();
    assert_eq!(never, 9);
    // Between expiries: only "acl admin" (expires 13:38:56.678992254) has expired.
    assert_eq!(expired("2026-11-30T14:00:00Z"), ["acl admin"]);
    let admin = expires("2026-11-30T14:00:00Z")
        .into_iter()
        .find(|(d, _)| d == "acl admin")
        .unwrap();
    assert_eq!(admin.1, "2026-11-30T13:38:56.678992254Z (expired)");
    // Exactly at the expiration time a token is still valid; a nanosecond later it is not.
    assert!(expired("2026-11-30T13:38:56.678992254Z").is_empty());
    assert_eq!(expired("2026-11-30T13:38:56.678992255Z"), ["acl admin"]);
    // Offsets count: 15:00 at +01:00 is 14:00Z.
    assert_eq!(expired("2026-11-30T15:00:00+01:00"), ["acl admin"]);
    // Much later, the three tokens with an expiration time, as the audit says.
    assert_eq!(
        expired("2100-01-01T00:00:00Z"),
        ["acl admin", "local short-lived", "token created via login"]
    );
    // The JSON stays in the API's shape whatever --now says.
    let (_, a, _) = acl(&["tokens", "--format", "json", "testdata/acl.snap"]);
    let (_, b, _) = acl(&[
        "tokens",
        "--format",
        "json",
        "--now",
        "2100-01-01T00:00:00Z",
        "testdata/acl.snap",
    ]);
    assert_eq!(a, b);
    assert!(!a.contains("expired"));
    // A time that is not RFC 3339 is a usage error.
    let (code, _, err) = acl(&["tokens", "--now", "soon", "testdata/acl.snap"]);
    assert_eq!(code, 2, "{err}");
}

fn audit(extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["audit", "--format", "json", "--now", "2000-01-01T00:00:00Z"];
    args.extend(extra);
    args.push("testdata/acl.snap");
    let (code, out, err) = acl(&args);
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

#[test]
fn min_severity_lists_only_findings_at_or_above_it() {
    let (_, all) = audit(&[]);
    assert_eq!(all["min_severity"], Value::Null);
    let all_findings = all["findings"].as_array().unwrap();
    assert_eq!(all_findings.len(), 18);
    let rank = |s: &str| {
        ["info", "low", "medium", "high"]
            .iter()
            .position(|l| *l == s)
    };
    for (level, listed) in [("info", 18), ("low", 10), ("medium", 8), ("high", 3)] {
        let (code, v) = audit(&["--min-severity", level]);
        assert_eq!(code, 0);
        assert_eq!(v["min_severity"], level);
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), listed, "{level}");
        assert!(findings
            .iter()
            .all(|f| rank(f["severity"].as_str().unwrap()) >= rank(level)));
        // The same findings, in the same order, as the full list at that level and above.
        let expected: Vec<&Value> = all_findings
            .iter()
            .filter(|f| rank(f["severity"].as_str().unwrap()) >= rank(level))
            .collect();
        assert_eq!(findings.iter().collect::<Vec<_>>(), expected, "{level}");
        // The counts still count every finding.
        assert_eq!(v["counts"], all["counts"], "{level}");
    }
    // The text: the table lists the findings at the level, the count line says what is not.
    let (code, out, _) = acl(&[
        "audit",
        "--now",
        "2000-01-01T00:00:00Z",
        "--min-severity",
        "high",
        "testdata/acl.snap",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 1, "{out}");
    assert!(lines[1..4].iter().all(|l| l.starts_with("high ")), "{out}");
    assert_eq!(
        lines[4],
        "18 findings: 3 high, 5 medium, 2 low, 8 info (15 below high not listed)"
    );
    // Without hidden findings the count line is as it always was.
    let (_, out, _) = acl(&[
        "audit",
        "--now",
        "2000-01-01T00:00:00Z",
        "--min-severity",
        "info",
        "testdata/acl.snap",
    ]);
    assert!(out.ends_with("\n18 findings: 3 high, 5 medium, 2 low, 8 info\n"));
    // --fail-on sees every finding, listed or not.
    let (code, v) = audit(&["--min-severity", "high", "--fail-on", "medium"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
    let (code, _) = audit(&["--min-severity", "info", "--fail-on", "high"]);
    assert_eq!(code, 1);
    let (code, _, err) = acl(&["audit", "--min-severity", "severe", "testdata/acl.snap"]);
    assert_eq!(code, 2, "{err}");
}
