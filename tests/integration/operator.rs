//! One vocabulary across commands, as an operator expects it: version spellings, completions
//! and a man page, `snapinspect FILE` in the usage line, one size syntax for --max-size,
//! `--format text|json` (with `pretty` as an alias), `-o -` for standard output, `diff -q`,
//! a JSON verify verdict that carries the real exit code and staleness, and file modes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util;
use crate::util::text;

fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn snap(name: &str) -> String {
    util::testdata(name).to_str().unwrap().to_string()
}

#[test]
fn every_version_spelling_prints_the_version() {
    let mut seen = Vec::new();
    for v in ["version", "--version", "-version", "-V"] {
        let (code, out, err) = run(&[v]);
        assert_eq!(code, 0, "{v}: {err}");
        let out = text(&out);
        assert!(
            out.starts_with(&format!("snapinspect {}\n", env!("CARGO_PKG_VERSION"))),
            "{v}: {out}"
        );
        assert!(out.contains("up to Consul 2.1.0"), "{v}: {out}");
        seen.push(out);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        let out = text(&out);
        for sub in ["inspect", "verify", "redact", "agent"] {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    assert_ne!(run(&["completions", "tcsh"]).0, 0);
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    let out = text(&out);
    assert!(out.contains(".TH snapinspect 1"), "{out}");
    assert!(out.contains("verify"));
}

#[test]
fn help_shows_the_file_form() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    let out = text(&out);
    let usage = out.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(usage.contains("snapinspect FILE"), "{usage}");
}

#[test]
fn max_size_takes_units_on_every_reading_command() {
    let f = snap("all.snap");
    for cmd in [
        vec!["inspect"],
        vec!["decode"],
        vec!["scan"],
        vec!["compat"],
        vec!["verify"],
        vec!["acl", "tokens"],
    ] {
        let small: Vec<&str> = cmd
            .iter()
            .copied()
            .chain(["--max-size", "1KiB", &f])
            .collect();
        let (code, _, err) = run(&small);
        assert_eq!(code, 3, "{cmd:?}: {err}");
        let big: Vec<&str> = cmd
            .iter()
            .copied()
            .chain(["--max-size", "1GiB", &f])
            .collect();
        let (code, _, err) = run(&big);
        assert_eq!(code, 0, "{cmd:?}: {err}");
    }
    // The commands that read several inputs or stage them take it too.
    for args in [
        vec!["trend", "--max-size", "1KiB", f.as_str(), f.as_str()],
        vec!["diff", "--max-size", "1KiB", f.as_str(), f.as_str()],
        vec![
            "unpack",
            "--max-size",
            "1KiB",
            f.as_str(),
            "-C",
            "/nonexistent/never-created",
        ],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("--max-size"), "{args:?}: {err}");
    }
    let (code, _, err) = run(&["inspect", "--max-size", "12 parsecs", &f]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn format_text_and_its_pretty_alias_everywhere() {
    let f = snap("all.snap");
    let other = snap("acl.snap");
    for cmd in [
        vec!["inspect", &f],
        vec!["scan", &f],
        vec!["compat", &f],
        vec!["acl", "tokens", &f],
        vec!["acl", "audit", &f],
        vec!["diff", &f, &other],
        vec!["trend", &f, &other],
        vec!["verify", &f],
    ] {
        let with = |format: &str| {
            let mut args = vec![cmd[0]];
            if cmd[0] == "acl" {
                args.push(cmd[1]);
            }
            args.extend(["--format", format]);
            args.extend(cmd.iter().skip(if cmd[0] == "acl" { 2 } else { 1 }));
            run(&args)
        };
        let (code_t, text_out, err) = with("text");
        assert!(matches!(code_t, 0 | 1), "{cmd:?} --format text: {err}");
        let (code_p, pretty_out, _) = with("pretty");
        assert_eq!(code_t, code_p);
        if cmd[0] != "acl" || cmd[1] != "tokens" {
            // Token tables show fresh redaction markers each run; the rest is stable.
            if cmd[0] != "verify" {
                assert_eq!(text_out, pretty_out, "{cmd:?}");
            }
        }
        let (_, json_out, _) = with("json");
        let start = json_out
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap();
        assert!(matches!(json_out[start], b'{' | b'['), "{cmd:?}");
    }
}

#[test]
fn redact_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(dir.path())
        .args(["redact", &snap("all.snap"), "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("replaced 4 acl-secret-id"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file named -"
    );
    let verify = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["verify", "--strict", "-"])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

#[test]
fn diff_quiet_is_the_exit_status_only() {
    let (code, out, err) = run(&["diff", "-q", &snap("all.snap"), &snap("large.snap")]);
    assert_eq!((code, out.len(), err.len()), (1, 0, 0));
    let (code, out, _) = run(&["diff", "--quiet", &snap("kv.snap"), &snap("kv.snap")]);
    assert_eq!((code, out.len()), (0, 0));
}

#[test]
fn verify_json_carries_the_exit_code_and_staleness() {
    let f = snap("all.snap");
    let verdict = |extra: &[&str]| {
        let mut args = vec!["verify", "--format", "json"];
        args.extend(extra);
        args.push(&f);
        let (code, out, _) = run(&args);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        (code, doc["summary"].clone())
    };
    let (code, s) = verdict(&[]);
    assert_eq!((code, s["exit_code"].as_i64()), (0, Some(0)));
    assert!(
        s["stale"].is_null() && s["max_age_seconds"].is_null(),
        "{s}"
    );
    assert!(s["newest_unix_ms"].as_u64().is_some());
    // The fixture was written in 2026-11: an hour's bound makes it stale, a century's not.
    let (code, s) = verdict(&["--max-age", "1h"]);
    assert_eq!((code, s["exit_code"].as_i64()), (1, Some(1)), "{s}");
    assert_eq!(s["stale"], true);
    assert_eq!(s["max_age_seconds"], 3600);
    let (code, s) = verdict(&["--max-age", "36500d"]);
    assert_eq!((code, s["exit_code"].as_i64()), (0, Some(0)), "{s}");
    assert_eq!(s["stale"], false);
    // STALE is said once.
    let (_, out, _) = run(&["verify", "--max-age", "1h", &f]);
    assert_eq!(text(&out).matches("STALE").count(), 1);
}

#[test]
fn metrics_and_charts_are_world_readable_snapshots_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("m.prom");
    let svg = dir.path().join("t.svg");
    let copy = dir.path().join("r.snap");
    let f = snap("all.snap");
    let p = |x: &Path| x.to_str().unwrap().to_string();
    assert_eq!(run(&["verify", "--prometheus", &p(&prom), &f]).0, 0);
    assert_eq!(
        run(&["trend", "--plot", &p(&svg), &f, &snap("large.snap")]).0,
        0
    );
    assert_eq!(run(&["redact", &f, "-o", &p(&copy)]).0, 0);
    let mode = |x: &Path| std::fs::metadata(x).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&prom), 0o644);
    assert_eq!(mode(&svg), 0o644);
    assert_eq!(mode(&copy), 0o600);
}

#[test]
fn verify_dir_finds_raft_directories_keeps_order_and_tallies() {
    let dir = tempfile::tempdir().unwrap();
    let raft = dir.path().join("data/raft/snapshots/2-38-1795503978868");
    std::fs::create_dir_all(&raft).unwrap();
    for f in ["meta.json", "state.bin"] {
        std::fs::copy(util::testdata(&format!("raw/kv-2-38/{f}")), raft.join(f)).unwrap();
    }
    // A large file first, small ones after: lines still come in walk order.
    std::fs::copy(util::testdata("large.snap"), dir.path().join("a.snap")).unwrap();
    std::fs::copy(util::testdata("basic.snap"), dir.path().join("b.snap")).unwrap();
    std::fs::write(dir.path().join("c.snap"), b"damaged").unwrap();
    let (code, out, err) = run(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    let out = text(&out);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("OK") && lines[0].contains("a.snap"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("OK") && lines[1].contains("b.snap"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("FAIL") && lines[2].contains("c.snap"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("OK") && lines[3].contains("2-38-1795503978868"),
        "{out}"
    );
    assert_eq!(lines[4], "4 checked: 3 OK, 1 FAILED");
    let (code, out, _) = run(&["verify", "-q", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3);
    assert_eq!(text(&out).lines().count(), 1, "-q: the failure only");
}

#[test]
fn errors_that_help() {
    // A typo of a command, with and without a file after it.
    let (code, _, err) = run(&["inspec", &snap("all.snap")]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"inspect\""), "{err}");
    let (code, _, err) = run(&["verfy"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"verify\""), "{err}");
    // A record type that does not exist.
    let (code, _, err) = run(&["decode", "--type", "KV", &snap("all.snap")]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean KVS?"), "{err}");
    // A directory that is not a raft snapshot directory.
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 4);
    assert!(err.contains("snapinspect verify"), "{err}");
    // Bytes after the end of the gzip stream are called that, not a truncation.
    let mut bytes = std::fs::read(util::testdata("all.snap")).unwrap();
    let end = bytes.len();
    bytes.extend_from_slice(b"junk\n");
    let trailing = dir.path().join("trailing.snap");
    std::fs::write(&trailing, &bytes).unwrap();
    let (code, _, err) = run(&[trailing.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(
        err.contains("5 trailing byte(s) after the end of the gzip stream")
            && err.contains(&format!("at byte {end}")),
        "{err}"
    );
    assert!(!err.contains("truncated"), "{err}");
    // A cut file is still a truncation.
    let cut = dir.path().join("cut.snap");
    std::fs::write(&cut, &bytes[..end - 3]).unwrap();
    let (_, _, err) = run(&[cut.to_str().unwrap()]);
    assert!(err.contains("truncated"), "{err}");
    // diff names which input is broken.
    std::fs::write(dir.path().join("bad.snap"), b"not gzip at all, not a tar").unwrap();
    let bad = dir.path().join("bad.snap");
    let (code, _, err) = run(&["diff", &snap("all.snap"), bad.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(err.contains("NEW ") && err.contains("bad.snap"), "{err}");
    let (_, out, _) = run(&["diff", &snap("kv.snap"), &snap("all.snap")]);
    let head = text(&out);
    assert!(
        head.starts_with("--- ") && head.lines().next().unwrap().contains("kv.snap"),
        "{head}"
    );
}

#[test]
fn tls_to_a_plain_http_server_says_so() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "save",
        "--http-addr",
        &format!("https://127.0.0.1:{port}"),
        dir.path().join("x.snap").to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("plain HTTP"), "{err}");
}

#[test]
fn acls_disabled_gets_a_plain_hint() {
    let Some(bin) = crate::util::consul::binary() else {
        return;
    };
    let server = crate::util::consul::Server::start(&bin, Default::default());
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .env("CONSUL_HTTP_ADDR", server.http_addr())
        .env_remove("CONSUL_HTTP_TOKEN")
        .args(["agent", "--create-token", "--token-out"])
        .arg(tempfile::tempdir().unwrap().path().join("t"))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("ACLs are disabled on this Consul"), "{err}");
}

/// A snapshot whose KV keys carry a newline, a tab, an escape sequence, a right-to-left
/// override and CJK text, each with a secret-looking value so that scan lists them.
fn hostile_keys(dir: &Path) -> PathBuf {
    use snapinspect::go::msgpack::encode as e;
    let mut state = util::state_header(9);
    let keys: &[&str] = &[
        "evil\nkey",
        "tab\tkey",
        "esc\u{1b}[31mred",
        "invoice\u{202e}fdp.exe",
        "日本語/キー",
    ];
    for (i, k) in keys.iter().enumerate() {
        state.push(2);
        e::map_len(&mut state, 3);
        e::raw(&mut state, b"Key");
        e::raw(&mut state, k.as_bytes());
        e::raw(&mut state, b"Value");
        e::raw(&mut state, b"AKIAIOSFODNN7EXAMPLE");
        e::raw(&mut state, b"ModifyIndex");
        e::uint(&mut state, i as u64 + 1);
    }
    util::write_snap(dir, "hostile.snap", 9, &state)
}

#[test]
fn untrusted_strings_are_escaped_in_human_output_and_exact_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = hostile_keys(dir.path());
    let f = f.to_str().unwrap();
    let raw_bad = ['\u{1b}', '\u{202e}'];
    for args in [
        vec!["scan", f],
        vec!["inspect", "--details", "--kvdepth", "1", f],
        vec!["diff", &snap("basic.snap"), f],
    ] {
        let (code, out, err) = run(&args);
        assert!(matches!(code, 0 | 1), "{args:?}: {err}");
        let out = text(&out);
        assert!(
            !out.contains(raw_bad),
            "{args:?} printed a raw control: {out:?}"
        );
        assert!(
            !out.contains("evil\nkey") && !out.contains("tab\tkey"),
            "{args:?}: {out}"
        );
        assert!(out.contains("evil\\nkey"), "{args:?}: {out}");
        assert!(out.contains("invoice\\u{202e}fdp.exe"), "{args:?}: {out}");
        assert!(out.contains("日本語"), "{args:?}: {out}");
    }
    // JSON keeps the exact bytes.
    let (_, out, _) = run(&["decode", "--type", "KVS", f]);
    let keys: Vec<String> = text(&out)
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["value"]["Key"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(keys.contains(&"evil\nkey".to_string()), "{keys:?}");
    assert!(
        keys.contains(&"invoice\u{202e}fdp.exe".to_string()),
        "{keys:?}"
    );
}

#[test]
fn colour_on_request_and_never_into_a_pipe() {
    let esc = "\u{1b}[";
    let f = snap("all.snap");
    let (_, out, _) = run(&["--color", "always", "verify", &f]);
    assert!(
        text(&out).starts_with("\u{1b}[32mOK\u{1b}[0m"),
        "{:?}",
        text(&out)
    );
    let (_, out, _) = run(&["diff", "--color=always", &snap("basic.snap"), &f]);
    assert!(text(&out).contains("\u{1b}[32m+\u{1b}[0m"));
    let (_, out, _) = run(&["acl", "audit", "--color", "always", &snap("acl.snap")]);
    assert!(text(&out).contains("\u{1b}[1;31mhigh\u{1b}[0m"));
    // auto (the default) into a pipe, and never: plain text; JSON is never coloured.
    for args in [
        vec!["verify", f.as_str()],
        vec!["--color", "never", "verify", f.as_str()],
        vec![
            "--color",
            "always",
            "verify",
            "--format",
            "json",
            f.as_str(),
        ],
        vec!["diff", &f, &f],
    ] {
        let (_, out, _) = run(&args);
        assert!(!text(&out).contains(esc), "{args:?}");
    }
}

#[test]
fn pack_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(dir.path())
        .args(["pack", "-q"])
        .arg(util::testdata("raw/kv-2-38"))
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let verify = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["verify", "-"])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    assert!(text(&verify.stdout).contains("index=38 records=44"));
}

#[test]
fn generate_to_standard_output() {
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["generate", "-q", "--size", "256KiB", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let verify = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["verify", "-"])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}
