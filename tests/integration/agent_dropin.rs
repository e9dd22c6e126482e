//! snapinspect as a drop-in for Consul and Consul Enterprise users: the Enterprise snapshot
//! agent's flag spellings and config keys (honoured, accepted with one warning, refused, or
//! a typo with a suggestion), and `save -append-filename` naming files as `consul snapshot
//! save` does; against a real Consul 1.8.7 with ACLs on where Consul is needed.

use std::path::Path;
use std::process::Output;

use crate::util::consul::{acl_server, Server, MASTER};
use crate::util::text;
use assert_cmd::Command;

/// Runs snapinspect against `server` (with the master token), or against nothing.
fn run(server: Option<&Server>, args: &[&str]) -> Output {
    let mut c = Command::cargo_bin("snapinspect").unwrap();
    c.args(args)
        .env_remove("CONSUL_HTTP_TOKEN_FILE")
        .env_remove("CONSUL_HTTP_SSL");
    match server {
        Some(s) => c
            .env("CONSUL_HTTP_ADDR", s.http_addr())
            .env("CONSUL_HTTP_TOKEN", MASTER),
        // Nothing listens there: these runs must fail before they connect.
        None => c
            .env(
                "CONSUL_HTTP_ADDR",
                format!("127.0.0.1:{}", crate::util::consul::free_port()),
            )
            .env_remove("CONSUL_HTTP_TOKEN"),
    };
    c.output().unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn verifies(path: &Path) -> bool {
    Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["verify", "--quiet"])
        .arg(path)
        .output()
        .unwrap()
        .status
        .success()
}

/// The one line of stderr that says which Enterprise settings were ignored.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("accepted but not implemented"))
        .collect()
}

/// `-local-path`, `-name-prefix`, `-retain`, `-lock-key` and `-service` in the Enterprise
/// agent's single-dash spelling parse and take effect; `-interval 0` is the Enterprise
/// one-shot mode (no election, no registration).
#[test]
fn enterprise_flag_spellings_take_effect() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("snaps");
    let d = dir.to_str().unwrap();
    let once = |extra: &[&str]| {
        let mut args = vec!["agent", "--once", "-local-path", d, "-name-prefix", "foo"];
        args.extend_from_slice(extra);
        run(Some(&server), &args)
    };
    let r = once(&[
        "-retain",
        "1",
        "-lock-key",
        "dropin/lock",
        "-service",
        "snap-dropin",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(err.contains("lock dropin/lock"), "{err}");
    assert!(err.contains("service snap-dropin"), "{err}");
    assert!(warnings(&err).is_empty(), "{err}");
    let files = files_in(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("foo-"), "{files:?}");
    assert!(snapinspect::live::agent::is_agent_file_with(
        "foo", &files[0]
    ));
    assert!(verifies(&dir.join(&files[0])));

    // A valid snapshot under the default name is not this agent's: retention 1 with the
    // prefix foo keeps it and the newest foo file only.
    let other = snapinspect::live::agent::file_name(1_000_000_000_000, 1);
    std::fs::copy(dir.join(&files[0]), dir.join(&other)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let r = once(&["-retain=1"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let now = files_in(&dir);
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&other), "{now:?}");
    assert_eq!(now.iter().filter(|f| f.starts_with("foo-")).count(), 1);
    assert!(
        !now.contains(&files[0]),
        "the older foo file is pruned: {now:?}"
    );

    // -interval 0: one snapshot, no leader election, no catalog registration.
    let d2 = root.path().join("oneshot");
    let r = run(
        Some(&server),
        &["agent", "-interval=0", "-local-path", d2.to_str().unwrap()],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(err.contains("leader election off"), "{err}");
    assert!(!err.contains("registered"), "{err}");
    let saved = files_in(&d2);
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(snapinspect::live::agent::is_agent_file(&saved[0]));

    // --dir and -local-path name the same thing: both at once is a usage error.
    let r = run(None, &["agent", "--dir", d, "-local-path", d, "--once"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
}

/// A config file with valid Enterprise keys snapinspect does not implement (`license_path`,
/// `log`, `snapshot.local_scratch_path`) works and says so in one warning line; `name_prefix`
/// and the newer `backup_destinations.local_storage` are honoured; `-config-dir` skips the
/// Consul agent's own files beside it.
#[test]
fn config_with_enterprise_only_keys_warns_once() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let conf = root.path().join("conf.d");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("10-snapshot.json"),
        serde_json::json!({"snapshot_agent": {
            "http_addr": server.http_addr(),
            "token": MASTER,
            "license_path": "/etc/consul.d/consul.hclic",
            "log": {"level": "DEBUG", "enable_syslog": false},
            "login": {"auth_method": "", "meta": {}},
            "snapshot": {"interval": "1h", "retain": 2, "local_scratch_path": "/var/tmp",
                         "name_prefix": "dc1-backup", "lock_key": "conf/lock"},
            "backup_destinations": {
                "local_storage": [{"path": out}],
                "aws_storage": [{"s3_bucket": "", "s3_key_prefix": "consul-snapshot"}],
            },
        }})
        .to_string(),
    )
    .unwrap();
    // The Consul agent's own config, in the same directory: not the snapshot agent's.
    std::fs::write(
        conf.join("00-consul.json"),
        r#"{"server": true, "datacenter": "dc1"}"#,
    )
    .unwrap();
    let mut c = Command::cargo_bin("snapinspect").unwrap();
    let r = c
        .args(["agent", "--once", "-config-dir", conf.to_str().unwrap()])
        .env_remove("CONSUL_HTTP_ADDR")
        .env_remove("CONSUL_HTTP_TOKEN")
        .output()
        .unwrap();
    let err = text(&r.stderr);
    assert!(r.status.success(), "{err}");
    let w = warnings(&err);
    assert_eq!(w.len(), 1, "{err}");
    for key in ["license_path", "log.level", "snapshot.local_scratch_path"] {
        assert!(w[0].contains(key), "{key} in {}", w[0]);
    }
    assert!(!w[0].contains("login") && !w[0].contains("aws"), "{}", w[0]);
    assert!(err.contains("lock conf/lock"), "{err}");
    let files = files_in(&out);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        snapinspect::live::agent::is_agent_file_with("dc1-backup", &files[0]),
        "{files:?}"
    );

    // The same keys given with -config-file, plus Enterprise flags snapinspect ignores: still
    // one line, naming them all.
    let r = run(
        Some(&server),
        &[
            "agent",
            "--once",
            "-config-file",
            conf.join("10-snapshot.json").to_str().unwrap(),
            "-log-level",
            "warn",
            "-syslog",
        ],
    );
    let err = text(&r.stderr);
    assert!(r.status.success(), "{err}");
    let w = warnings(&err);
    assert_eq!(w.len(), 1, "{err}");
    assert!(
        w[0].contains("-log-level") && w[0].contains("-syslog") && w[0].contains("license_path")
    );
    assert_eq!(files_in(&out).len(), 2);
}

/// A misspelt key is a usage error (exit 2) that names it and suggests the key meant, before
/// anything is sent to Consul.
#[test]
fn config_typo_fails_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("agent.json");
    for (json, want) in [
        (
            r#"{"snapshot_agent": {"snapshot": {"retian": 3}}}"#,
            "unknown key snapshot.retian (did you mean snapshot.retain?)",
        ),
        (
            r#"{"snapshot_agent": {"local_storage": {"paht": "/x"}}}"#,
            "unknown key local_storage.paht",
        ),
        (
            r#"{"snapshot_agent": {"interval": "1h"}}"#,
            "unknown key interval (did you mean snapshot.interval?)",
        ),
        (
            r#"{"snapshot_agent": {"snapshot": {"name-prefix": "x"}}}"#,
            "did you mean snapshot.name_prefix?",
        ),
    ] {
        std::fs::write(&cfg, json).unwrap();
        let r = run(
            None,
            &["agent", "--once", "--config", cfg.to_str().unwrap()],
        );
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{want} in {err}");
        assert!(!err.contains("connect"), "{err}");
    }
}

/// The Enterprise agent's remote-storage settings that snapinspect does not implement (role
/// assumption, custom IAM and STS endpoints, Azure service principals), configured in the
/// file (either shape) or given as a flag, are refused in one line, exit 2, before anything
/// is sent. (Remote storage itself works: `storage_agent.rs`.)
#[test]
fn unsupported_remote_storage_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("agent.json");
    for (json, key) in [
        (
            r#"{"snapshot_agent": {"aws_storage": {"s3_bucket": "backups", "role_arn": "arn:aws:iam::1:role/r"}}}"#,
            "aws_storage.role_arn",
        ),
        (
            r#"{"snapshot_agent": {"backup_destinations": {"aws_storage": [{"s3_bucket": "b", "sts_endpoint": "https://sts"}]}}}"#,
            "backup_destinations.aws_storage[0].sts_endpoint",
        ),
    ] {
        std::fs::write(&cfg, json).unwrap();
        let r = run(
            None,
            &["agent", "--once", "--config", cfg.to_str().unwrap()],
        );
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(key) && err.contains("not supported"), "{err}");
    }
    for flags in [
        &[
            "-aws-s3-bucket",
            "backups",
            "-aws-role-arn",
            "arn:aws:iam::1:role/r",
        ][..],
        &["-aws-web-identity-token-file", "/t"][..],
        &["-azure-blob-container-name=c", "-azure-blob-tenant-id", "t"][..],
    ] {
        let mut args = vec!["agent", "--once"];
        args.extend_from_slice(flags);
        let r = run(None, &args);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("not supported"), "{err}");
    }
}

/// `save -append-filename version,dc` names the file as `consul snapshot save` does: the
/// leader's version, then the datacenter, before the extension; `node` and `status`, which
/// Consul no longer appends, change nothing; an unknown value is a usage error.
#[test]
fn save_append_filename_names_the_file_as_consul_does() {
    let Some(server) = acl_server(None) else {
        return;
    };
    // Autopilot knows the leader's version a few seconds after the election.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let resp = ureq::get(&format!(
            "{}/v1/operator/autopilot/health",
            server.http_addr()
        ))
        .set("X-Consul-Token", MASTER)
        .call();
        let body = match resp {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_string().unwrap_or_default(),
            Err(e) => panic!("autopilot health: {e}"),
        };
        if body.contains("\"Leader\":true") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "autopilot named no leader within 60 s: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = run(
        Some(&server),
        &[
            "save",
            "-append-filename",
            "dc,version",
            d.join("backup.snap").to_str().unwrap(),
        ],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).starts_with("Saved and verified snapshot to index "));
    assert_eq!(files_in(d), ["backup-1.8.7-dc1.snap"]);
    assert!(verifies(&d.join("backup-1.8.7-dc1.snap")));

    let r = run(
        Some(&server),
        &[
            "save",
            "--append-filename=dc",
            d.join("b2.tgz").to_str().unwrap(),
        ],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(d.join("b2-dc1.tgz").exists(), "{:?}", files_in(d));

    let r = run(
        Some(&server),
        &[
            "save",
            "-append-filename",
            "node,status",
            d.join("b3.snap").to_str().unwrap(),
        ],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("warning: -append-filename node,status"));
    assert!(d.join("b3.snap").exists(), "{:?}", files_in(d));

    let r = run(
        None,
        &[
            "save",
            "-append-filename",
            "versoin",
            d.join("b4.snap").to_str().unwrap(),
        ],
    );
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("unknown value \"versoin\""));
    assert_eq!(files_in(d).len(), 3);
}
