//! Snapshots read from S3 URLs, against a real S3 emulator: moto in server mode
//! (`scripts/install-emulators.sh`; `SNAPINSPECT_MOTO` names its python, else `python3`),
//! one server per test on a free loopback port. Without moto the tests say so and pass, unless
//! `SNAPINSPECT_REQUIRE_EMULATORS` demands it.

use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::util;
use crate::util::emulators::moto;

#[test]
fn inspect_of_an_object_is_byte_for_byte_the_local_one() {
    let Some(m) = moto() else { return };
    m.bucket("snaps");
    for name in ["all.snap", "kv.snap"] {
        m.put("snaps", name, &std::fs::read(util::testdata(name)).unwrap());
        for extra in [&[][..], &["--format", "json"][..], &["--kvdetails"][..]] {
            let path = format!("testdata/{name}");
            let want = util::local(&[&["inspect"][..], extra, &[path.as_str()]].concat());
            assert!(want.status.success());
            let url = format!("s3://snaps/{name}");
            let got = m
                .cmd()
                .arg("inspect")
                .args(extra)
                .arg(&url)
                .output()
                .unwrap();
            assert!(
                got.status.success(),
                "{url}: {}",
                String::from_utf8_lossy(&got.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&want.stdout),
                "{url} {extra:?}"
            );
        }
    }
}

#[test]
fn verify_a_prefix_lists_its_snap_objects_and_names_the_corrupt_one() {
    let Some(m) = moto() else { return };
    m.bucket("snaps");
    let all = std::fs::read(util::testdata("all.snap")).unwrap();
    let kv = std::fs::read(util::testdata("kv.snap")).unwrap();
    m.put("snaps", "backups/one/all.snap", &all);
    m.put("snaps", "backups/kv.snap", &kv);
    m.put("snaps", "backups/notes.txt", b"not a snapshot");
    m.put("snaps", "elsewhere/all.snap", &all);

    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("verify.prom");
    let out = m
        .cmd()
        .args(["verify", "s3://snaps/backups/", "--prometheus"])
        .arg(&prom)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ok: Vec<&str> = text.lines().filter(|l| l.starts_with("OK")).collect();
    assert_eq!(ok.len(), 2, "{text}");
    assert!(ok[0].contains("s3://snaps/backups/kv.snap"), "{text}");
    assert!(ok[1].contains("s3://snaps/backups/one/all.snap"), "{text}");
    assert!(!text.contains("notes.txt") && !text.contains("elsewhere"));
    let metrics = std::fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains("s3://snaps/backups/kv.snap"), "{metrics}");

    // The JSON has the shape local files give, with the URLs as paths.
    let out = m
        .cmd()
        .args(["verify", "--format", "json", "s3://snaps/backups/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: serde_json::Value = serde_json::from_slice(
        &util::local(&["verify", "--format", "json", "testdata/kv.snap"]).stdout,
    )
    .unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&got), keys(&want));
    let files = got["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(keys(&files[0]), keys(&want["files"][0]));
    assert_eq!(files[0]["path"], "s3://snaps/backups/kv.snap");
    assert_eq!(files[0]["file_bytes"], kv.len() as u64);

    // One corrupt object: exit 3, and the FAIL line names it.
    m.put("snaps", "backups/zz-bad.snap", &util::corrupt_all_snap());
    let out = m
        .cmd()
        .args(["verify", "s3://snaps/backups/"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    let fail: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fail.len(), 1, "{text}");
    assert!(fail[0].contains("s3://snaps/backups/zz-bad.snap"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("OK")).count(), 2);

    // A single object, a prefix with nothing below, and a local file beside them.
    let out = m
        .cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "verify",
            "s3://snaps/elsewhere/all.snap",
            "testdata/kv.snap",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = m
        .cmd()
        .args(["verify", "s3://snaps/nothing/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no *.snap files found in s3://snaps/nothing/"));
}

#[test]
fn decode_scan_diff_and_trend_read_objects() {
    let Some(m) = moto() else { return };
    m.bucket("snaps");
    for name in ["all.snap", "kv.snap"] {
        m.put("snaps", name, &std::fs::read(util::testdata(name)).unwrap());
    }
    for (args, url) in [
        (vec!["decode"], "s3://snaps/kv.snap"),
        (vec!["scan"], "s3://snaps/all.snap"),
        (vec!["compat"], "s3://snaps/all.snap"),
        (vec!["acl", "tokens"], "s3://snaps/all.snap"),
    ] {
        let local_path = url.replace("s3://snaps/", "testdata/");
        let want = util::local(&[&args[..], &[local_path.as_str()]].concat());
        let got = m.cmd().args(&args).arg(url).output().unwrap();
        assert_eq!(got.status.code(), want.status.code(), "{args:?} {url}");
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{args:?} {url}"
        );
    }
    let out = m
        .cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["diff", "-q", "s3://snaps/all.snap", "testdata/all.snap"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = m
        .cmd()
        .args(["diff", "-q", "s3://snaps/all.snap", "s3://snaps/kv.snap"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = m
        .cmd()
        .args(["trend", "--format", "json", "s3://snaps/"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_object_or_bucket_is_one_line_naming_the_url_and_exit_4() {
    let Some(m) = moto() else { return };
    m.bucket("snaps");
    for (url, what) in [
        ("s3://snaps/nope.snap", "no such object"),
        ("s3://no-such-bucket/x.snap", "no such bucket"),
    ] {
        for cmd in [&["inspect"][..], &["verify"][..], &["decode"][..]] {
            let out = m.cmd().args(cmd).arg(url).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(4),
                "{cmd:?} {url}: {stderr}{stdout}"
            );
            // verify's report is one line per file (then its count); the others' error is one line.
            let said = if cmd == ["verify"] {
                stdout.lines().next().unwrap_or_default().to_string()
            } else {
                assert_eq!(stderr.trim_end().lines().count(), 1, "{cmd:?}: {stderr}");
                stderr.to_string()
            };
            assert!(said.starts_with("FAIL") || cmd != ["verify"], "{said}");
            assert!(said.contains(url) && said.contains(what), "{cmd:?}: {said}");
        }
    }
    // Listing a bucket that does not exist.
    let out = m
        .cmd()
        .args(["verify", "s3://no-such-bucket/"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("s3://no-such-bucket/") && stderr.contains("no such bucket"));
}

#[test]
fn an_unreachable_endpoint_fails_within_the_deadline() {
    // Nothing listens on this port: connecting is refused, retried briefly, then exit 4.
    let port = util::consul::free_port();
    let mut c = Command::cargo_bin("snapinspect").unwrap();
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1");
    let start = Instant::now();
    let out = c.args(["inspect", "s3://snaps/all.snap"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(start.elapsed() < Duration::from_secs(40));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s3://snaps/all.snap"), "{stderr}");
}

#[test]
fn without_an_opener_a_url_is_unsupported() {
    let input = snapinspect::Input::from_arg("s3://snaps/all.snap");
    assert_eq!(input, snapinspect::Input::Url("s3://snaps/all.snap".into()));
    let mut sink = snapinspect::FnSink(|_: &snapinspect::Record<'_>| Ok(()));
    let e = snapinspect::read(&input, &snapinspect::ReadOptions::default(), &mut sink).unwrap_err();
    assert_eq!(e.exit_code(), snapinspect::error::EXIT_UNSUPPORTED);
    assert!(e.to_string().contains("s3://snaps/all.snap"));
}
