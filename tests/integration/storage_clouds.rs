//! Snapshots read from Azure Blob Storage (`az://`) and Google Cloud Storage (`gs://`) URLs,
//! against real emulators started per test on a free loopback port (Azurite; fake-gcs-server),
//! the AWS CLI's shared profiles against moto, and `--timeout` against a server that never
//! answers. Without an emulator the tests that need it say so and pass, unless
//! `SNAPINSPECT_REQUIRE_EMULATORS` demands it (`scripts/install-emulators.sh` installs them).

use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::util;
use crate::util::emulators::{azurite, bare_cmd, fake_gcs, moto, AZURITE_ACCOUNT, AZURITE_KEY};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The checks every cloud must pass, on a store holding `backups/all.snap` and
/// `backups/kv.snap` below `base` (`az://snaps/`), read with the commands `cmd` makes.
fn readers_work(base: &str, put: &dyn Fn(&str, &[u8]), cmd: &dyn Fn() -> Command) {
    let all = std::fs::read(util::testdata("all.snap")).unwrap();
    let kv = std::fs::read(util::testdata("kv.snap")).unwrap();
    put("backups/all.snap", &all);
    put("backups/kv.snap", &kv);
    put("backups/notes.txt", b"not a snapshot");
    put("elsewhere/all.snap", &all);
    let url = |k: &str| format!("{base}{k}");

    // inspect, byte for byte as the local file.
    for extra in [&[][..], &["--format", "json"][..], &["--kvdetails"][..]] {
        let want = util::local(&[&["inspect"][..], extra, &["testdata/all.snap"]].concat());
        let got = cmd()
            .arg("inspect")
            .args(extra)
            .arg(url("backups/all.snap"))
            .output()
            .unwrap();
        assert!(got.status.success(), "{extra:?}: {}", text(&got));
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{extra:?}"
        );
    }
    // The other readers give what they give on the local file.
    for (args, key, file) in [
        (vec!["decode"], "backups/kv.snap", "testdata/kv.snap"),
        (vec!["scan"], "backups/all.snap", "testdata/all.snap"),
        (vec!["compat"], "backups/all.snap", "testdata/all.snap"),
        (
            vec!["acl", "tokens"],
            "backups/all.snap",
            "testdata/all.snap",
        ),
    ] {
        let want = util::local(&[&args[..], &[file]].concat());
        let got = cmd().args(&args).arg(url(key)).output().unwrap();
        assert_eq!(
            got.status.code(),
            want.status.code(),
            "{args:?}: {}",
            text(&got)
        );
        assert_eq!(got.stdout, want.stdout, "{args:?}");
    }
    let out = cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["diff", "-q"])
        .arg(url("backups/all.snap"))
        .arg("testdata/all.snap")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cmd()
        .args(["diff", "-q"])
        .arg(url("backups/all.snap"))
        .arg(url("backups/kv.snap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = cmd()
        .args(["trend", "--format", "json"])
        .arg(url("backups/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // verify of a prefix: its .snap objects, sorted, in the JSON and the metrics too.
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("verify.prom");
    let out = cmd()
        .arg("verify")
        .arg(url("backups/"))
        .arg("--prometheus")
        .arg(&prom)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let metrics = std::fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains(&url("backups/kv.snap")), "{metrics}");
    let ok: Vec<&str> = t.lines().filter(|l| l.starts_with("OK")).collect();
    assert_eq!(ok.len(), 2, "{t}");
    assert!(ok[0].contains(&url("backups/all.snap")), "{t}");
    assert!(ok[1].contains(&url("backups/kv.snap")), "{t}");
    assert!(!t.contains("notes.txt") && !t.contains("elsewhere"), "{t}");
    let out = cmd()
        .args(["verify", "--format", "json"])
        .arg(url("backups/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["files"][1]["path"], url("backups/kv.snap").as_str());
    assert_eq!(got["files"][1]["file_bytes"], kv.len() as u64);

    // --max-age judges the newest: the fixtures are years old.
    let out = cmd()
        .args(["verify", "--max-age", "1h"])
        .arg(url("backups/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // One corrupt object: exit 3, and the FAIL line names it.
    put("backups/zz-bad.snap", &util::corrupt_all_snap());
    let out = cmd().arg("verify").arg(url("backups/")).output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    let fail: Vec<&str> = t.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fail.len(), 1, "{t}");
    assert!(fail[0].contains(&url("backups/zz-bad.snap")), "{t}");

    // A missing object: exit 4, one line naming it.
    let missing = url("backups/missing.snap");
    let out = cmd().arg("inspect").arg(&missing).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains(&format!("reading {missing}: no such object")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn azure_blobs_read_as_local_files() {
    let Some(az) = azurite() else { return };
    az.container("snaps");
    readers_work(
        "az://snaps/",
        &|k: &str, b: &[u8]| az.put("snaps", k, b),
        &|| az.cmd(),
    );
    // A container that does not exist: exit 4, named.
    let out = az
        .cmd()
        .args(["inspect", "az://nothere/x.snap"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("reading az://nothere/x.snap: no such container"),
        "{err}"
    );
}

#[test]
fn azure_account_and_key_from_the_environment_and_never_printed() {
    let Some(az) = azurite() else { return };
    az.container("snaps");
    az.put(
        "snaps",
        "kv.snap",
        &std::fs::read(util::testdata("kv.snap")).unwrap(),
    );
    let want = util::local(&["inspect", "testdata/kv.snap"]).stdout;
    let with = |account: &str, key: &str| {
        let mut c = bare_cmd();
        c.env("AZURE_STORAGE_ACCOUNT", account)
            .env("AZURE_STORAGE_KEY", key)
            .env("AZURE_STORAGE_ENDPOINT", &az.endpoint);
        c
    };
    // AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, as the Azure CLI reads them.
    let out = with(AZURITE_ACCOUNT, AZURITE_KEY)
        .args(["inspect", "az://snaps/kv.snap"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(out.stdout, want);

    // AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_SAS_TOKEN (read and list), a prefix included.
    let out = bare_cmd()
        .env("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
        .env("AZURE_STORAGE_SAS_TOKEN", format!("?{}", az.sas()))
        .env("AZURE_STORAGE_ENDPOINT", &az.endpoint)
        .args(["verify", "az://snaps/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The same token with its signature spoilt: refused, and the token is not printed.
    let spoilt = az.sas().replace("sig=", "sig=AAAA");
    let out = bare_cmd()
        .env("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
        .env("AZURE_STORAGE_SAS_TOKEN", &spoilt)
        .env("AZURE_STORAGE_ENDPOINT", &az.endpoint)
        .args(["inspect", "az://snaps/kv.snap"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    let sig = spoilt.split("sig=").nth(1).unwrap();
    assert!(
        !t.contains(&sig[..16]),
        "the SAS signature was printed: {t}"
    );

    // A wrong key (valid base64), a key that is not base64, and a wrong key in a connection
    // string: each fails with exit 4 or 2, and the key is in no output.
    let wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleQ==";
    let not_b64 = "not*base64*secret*material";
    let in_connection_string = |key: &str| {
        let mut c = bare_cmd();
        c.env(
            "AZURE_STORAGE_CONNECTION_STRING",
            az.connection_string().replace(AZURITE_KEY, key),
        );
        c
    };
    for key in [wrong, not_b64] {
        for args in [
            &["inspect", "az://snaps/kv.snap"][..],
            &["verify", "az://snaps/"][..],
        ] {
            for mut c in [with(AZURITE_ACCOUNT, key), in_connection_string(key)] {
                let out = c.args(args).output().unwrap();
                let t = text(&out);
                assert!(
                    matches!(out.status.code(), Some(2) | Some(4)),
                    "{args:?}: {t}"
                );
                assert!(
                    !t.contains(&key[..12]),
                    "{args:?}: the key was printed: {t}"
                );
            }
        }
    }
}

#[test]
fn gcs_objects_read_as_local_files() {
    let Some(gcs) = fake_gcs() else { return };
    gcs.bucket("snaps");
    readers_work(
        "gs://snaps/",
        &|k: &str, b: &[u8]| gcs.put("snaps", k, b),
        &|| gcs.cmd(),
    );
    // STORAGE_EMULATOR_HOST as a URL works as host:port does.
    let out = gcs
        .cmd()
        .env("STORAGE_EMULATOR_HOST", format!("http://{}/", gcs.host))
        .args(["verify", "gs://snaps/backups/kv.snap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn aws_profiles_from_the_shared_files() {
    let Some(m) = moto() else { return };
    m.bucket("snaps");
    m.put(
        "snaps",
        "kv.snap",
        &std::fs::read(util::testdata("kv.snap")).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s3cr3t-default\n\
         [backup]\naws_access_key_id = AKIABACKUP\naws_secret_access_key = s3cr3t-backup\n",
    )
    .unwrap();
    std::fs::write(&config, "[profile backup]\nregion = eu-west-1\n").unwrap();
    let cmd = |profile: Option<&str>| {
        let mut c = bare_cmd();
        c.env("AWS_ENDPOINT_URL", &m.endpoint)
            .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(p) = profile {
            c.env("AWS_PROFILE", p);
        }
        c
    };
    let want = util::local(&["inspect", "testdata/kv.snap"]).stdout;
    for profile in [None, Some("backup")] {
        let out = cmd(profile)
            .args(["inspect", "s3://snaps/kv.snap"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{profile:?}: {}", text(&out));
        assert_eq!(out.stdout, want, "{profile:?}");
    }
    // A profile that is not there is a usage error naming it.
    let out = cmd(Some("nope"))
        .args(["inspect", "s3://snaps/kv.snap"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("AWS_PROFILE=nope"), "{err}");
    // Without any credentials the same read fails: the profile is what made it work.
    let out = cmd(None)
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("absent"))
        .args(["inspect", "--timeout", "3", "s3://snaps/kv.snap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
}

#[test]
fn timeout_bounds_a_server_that_never_answers() {
    // Accepts connections (the kernel's backlog) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    for (var, value, args) in [
        (
            "AWS_ENDPOINT_URL",
            format!("http://{addr}"),
            ["inspect", "s3://snaps/kv.snap"],
        ),
        (
            "STORAGE_EMULATOR_HOST",
            addr.clone(),
            ["verify", "gs://snaps/"],
        ),
    ] {
        let start = Instant::now();
        let out = bare_cmd()
            .env(var, &value)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .arg(args[0])
            .args(["--timeout", "1"])
            .arg(args[1])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let took = start.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert!(err.contains("no answer in 1s"), "{args:?}: {err}");
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
    }
    drop(silent);
}
