//! The snapshot agent and `save` writing to object storage, against a real Consul 1.8.7 and a
//! real S3 emulator (moto in server mode, one per test on a free loopback port): one verified
//! object per run, retention of the agent's own objects, an invalid snapshot (cut by the fault
//! proxy) that leaves no object and no pending multipart upload, the JSON config's
//! `aws_storage` block with `local_scratch_path`, `save -o s3://` then `verify` and `restore`,
//! and access keys that never reach the output. Skipped loudly without Consul or moto.

use std::process::{Command, Output};

use crate::util;
use crate::util::consul::{self, Options, Server};
use crate::util::emulators::{an_invalid_body_is_refused, azurite, bare_process, moto, Moto};
use crate::util::proxy::{Fault, FaultProxy};
use crate::util::text;

/// Recognisable keys: moto takes any, and neither may ever be printed.
const KEY_ID: &str = "AKIASNAPINSPECTTEST1";
const SECRET: &str = "sEcReT/snapinspect+never+printed0000000";

/// A Consul server (no ACLs) and a moto server, or `None` after a loud note.
fn setup() -> Option<(Server, Moto)> {
    let m = moto()?;
    let bin = consul::require()?;
    Some((Server::start(&bin, Options::default()), m))
}

/// A Consul server holding about 10 MiB (a snapshot of more than one upload part) behind a
/// fault proxy, and moto with the bucket `backups`; or `None` after a loud note.
fn large_behind_a_proxy() -> Option<(Server, Moto, FaultProxy)> {
    let (server, m) = setup()?;
    m.bucket("backups");
    server.fill(10);
    let proxy = FaultProxy::start(server.http_port());
    Some((server, m, proxy))
}

/// snapinspect with no AWS variables at all: everything comes from the flags given.
fn bare() -> Command {
    let mut c = bare_process();
    c.env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("CONSUL_HTTP_TOKEN");
    c
}

/// The flags that name `bucket` on the moto at `endpoint`, and the keys.
fn s3_flags<'a>(bucket: &'a str, endpoint: &'a str) -> [&'a str; 10] {
    [
        "-aws-s3-bucket",
        bucket,
        "-aws-s3-region",
        "us-east-1",
        "-aws-s3-endpoint",
        endpoint,
        "-aws-access-key-id",
        KEY_ID,
        "-aws-secret-access-key",
        SECRET,
    ]
}

/// `agent --once` (with the leader lock and the catalog registration, as a cron job runs it)
/// into `bucket` on moto, by flags.
fn agent_once(addr: &str, endpoint: &str, bucket: &str, extra: &[&str]) -> Output {
    bare()
        .args(["agent", "--once", "-http-addr", addr])
        .args(s3_flags(bucket, endpoint))
        .arg("-aws-s3-force-path-style")
        .args(extra)
        .output()
        .unwrap()
}

/// `agent` with `args`, saving to the bucket `backups` on moto by flags, its standard error
/// written to `log`.
fn spawn_agent(args: &[&str], m: &Moto, log: &tempfile::NamedTempFile) -> std::process::Child {
    bare()
        .arg("agent")
        .args(args)
        .args(s3_flags("backups", &m.endpoint))
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap()
}

/// The keys in `bucket` (moto's ListObjectsV2 takes unsigned requests).
fn keys(m: &Moto, bucket: &str) -> Vec<String> {
    let xml = m.get(&format!("{bucket}?list-type=2"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut keys: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Key"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

/// The multipart uploads still pending in `bucket` (ListMultipartUploads).
fn pending_uploads(m: &Moto, bucket: &str) -> Vec<String> {
    let xml = m.get(&format!("{bucket}?uploads"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("Upload"))
        .map(|n| {
            n.children()
                .find(|c| c.has_tag_name("Key"))
                .and_then(|k| k.text())
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

/// `verify` of `url` through moto, with the AWS CLI's variables.
fn verify(m: &Moto, url: &str) -> Output {
    m.cmd().args(["verify", url]).output().unwrap()
}

fn assert_no_secrets(out: &Output) {
    for s in [&out.stdout, &out.stderr] {
        let t = text(s);
        assert!(
            !t.contains(SECRET) && !t.contains(KEY_ID),
            "a key was printed: {t}"
        );
    }
}

/// The acceptance: `agent --once` with `-aws-s3-*` flags leaves one verified object
/// (named as the Enterprise agent names them, encrypted as asked); a second run with
/// `-retain 1` leaves one object, the newer; a foreign object under the prefix is never
/// touched. The keys never appear in the output.
#[test]
fn agent_once_leaves_one_verified_object_and_retain_keeps_the_newest() {
    let Some((server, m)) = setup() else { return };
    m.bucket("backups");
    m.put("backups", "consul-snapshot/notes.snap", b"not ours");
    let addr = server.http_addr();
    let out = agent_once(
        &addr,
        &m.endpoint,
        "backups",
        &["-aws-s3-server-side-encryption"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secrets(&out);
    let first: Vec<String> = keys(&m, "backups")
        .into_iter()
        .filter(|k| k != "consul-snapshot/notes.snap")
        .collect();
    assert_eq!(first.len(), 1, "{first:?}");
    let name = first[0].strip_prefix("consul-snapshot/consul-").unwrap();
    let nanos: u128 = name.strip_suffix(".snap").unwrap().parse().unwrap();
    assert!(nanos > 1_600_000_000_000_000_000, "{name}");
    let log = text(&out.stderr);
    assert!(
        log.contains(&format!("saved and verified s3://backups/{}", first[0])),
        "{log}"
    );
    let head = ureq::head(&format!("{}/backups/{}", m.endpoint, first[0]))
        .call()
        .unwrap();
    assert_eq!(head.header("x-amz-server-side-encryption"), Some("AES256"));
    let v = verify(&m, &format!("s3://backups/{}", first[0]));
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));

    server.put("/v1/kv/grows", "a little more data");
    let out = agent_once(&addr, &m.endpoint, "backups", &["-retain", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secrets(&out);
    let now = keys(&m, "backups");
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&"consul-snapshot/notes.snap".to_string()));
    let second = now
        .iter()
        .find(|k| k.as_str() != "consul-snapshot/notes.snap")
        .unwrap();
    assert_ne!(second, &first[0], "the newer object stays");
    assert!(text(&out.stderr).contains(&format!("removed s3://backups/{}", first[0])));
    let v = verify(&m, "s3://backups/consul-snapshot/");
    // The foreign object is not a snapshot: verify says so, and the agent left it.
    assert_eq!(v.status.code(), Some(3), "{}", text(&v.stdout));
    assert!(text(&v.stdout).contains(&format!("OK    s3://backups/{second}")));
    assert!(pending_uploads(&m, "backups").is_empty());
}

/// A snapshot cut after its first 8 MiB part was uploaded (the fault proxy between Consul and
/// the agent) is invalid: the agent fails, and the bucket has no object and no pending
/// multipart upload (the upload was aborted, its parts discarded). The same for a body that is
/// not a snapshot at all, and for `save -o s3://`.
#[test]
fn an_invalid_snapshot_leaves_no_object_and_no_pending_upload() {
    let Some((_server, m, proxy)) = large_behind_a_proxy() else {
        return;
    };
    let via = format!("http://{}", proxy.addr());
    let cut_at = 9 << 20; // past the first part (8 MiB)
    proxy.set("/v1/snapshot", Fault::Cut(cut_at));
    let out = agent_once(&via, &m.endpoint, "backups", &[]);
    let log = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{log}");
    assert_eq!(keys(&m, "backups"), Vec::<String>::new(), "{log}");
    assert_eq!(
        pending_uploads(&m, "backups"),
        Vec::<String>::new(),
        "{log}"
    );

    an_invalid_body_is_refused(
        &proxy,
        || agent_once(&via, &m.endpoint, "backups", &[]),
        || m.cmd(),
        "s3://backups/manual/x.snap",
    );
    assert!(keys(&m, "backups").is_empty());
    assert!(pending_uploads(&m, "backups").is_empty());

    // Through the proxy untouched, the same large snapshot is saved whole, in several parts.
    proxy.clear();
    let out = agent_once(&via, &m.endpoint, "backups", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let k = keys(&m, "backups");
    assert_eq!(k.len(), 1);
    let v = verify(&m, &format!("s3://backups/{}", k[0]));
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    // So the cut came after the first part had been handed to the upload.
    let head = ureq::head(&format!("{}/backups/{}", m.endpoint, k[0]))
        .call()
        .unwrap();
    let size: usize = head.header("Content-Length").unwrap().parse().unwrap();
    assert!(size > cut_at, "the snapshot is only {size} bytes");
}

/// The JSON config's `aws_storage` block (as the Enterprise agent names its keys) and
/// `snapshot.local_scratch_path`: the object lands under the key prefix, the scratch
/// directory is left empty, and the secret in the file is never printed.
#[test]
fn the_config_file_block_and_a_scratch_directory_work() {
    let Some((server, m)) = setup() else { return };
    m.bucket("cfg-bucket");
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    let cfg = dir.path().join("agent.json");
    let doc = serde_json::json!({"snapshot_agent": {
        "http_addr": server.http_addr(),
        "snapshot": {"interval": "0", "retain": 2, "local_scratch_path": scratch},
        "local_storage": {"path": "."},
        "aws_storage": {
            "access_key_id": KEY_ID, "secret_access_key": SECRET, "s3_region": "us-east-1",
            "s3_bucket": "cfg-bucket", "s3_key_prefix": "dc1/backups",
            "s3_endpoint": m.endpoint, "s3_force_path_style": true,
            "s3_server_side_encryption": false, "s3_static_snapshot_name": ""
        },
        "azure_blob_storage": {"account_name": "", "account_key": "", "container_name": ""},
        "google_storage": {"bucket": ""}
    }});
    std::fs::write(&cfg, doc.to_string()).unwrap();
    for _ in 0..3 {
        let out = bare()
            .args(["agent", "-config-file"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_no_secrets(&out);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let k = keys(&m, "cfg-bucket");
    assert_eq!(k.len(), 2, "retain 2: {k:?}");
    assert!(
        k.iter().all(|k| k.starts_with("dc1/backups/consul-")),
        "{k:?}"
    );
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    assert!(pending_uploads(&m, "cfg-bucket").is_empty());

    // A static name: one key, overwritten, nothing rotated.
    let out = agent_once(
        &server.http_addr(),
        &m.endpoint,
        "cfg-bucket",
        &[
            "-aws-s3-static-snapshot-name",
            "latest/consul.snap",
            "-retain",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let k = keys(&m, "cfg-bucket");
    assert_eq!(k.len(), 3, "{k:?}");
    assert!(k.contains(&"latest/consul.snap".to_string()), "{k:?}");
}

/// `save -o s3://BUCKET/KEY` uploads a verified snapshot; `verify` and `restore` read it back
/// from the bucket (restore: downloaded, verified and staged in one pass, then sent).
#[test]
fn save_to_a_url_then_verify_and_restore_it() {
    let Some((server, m)) = setup() else { return };
    m.bucket("snaps");
    server.put("/v1/kv/before", "1");
    let out = m
        .cmd()
        .args([
            "save",
            "-http-addr",
            &server.http_addr(),
            "-o",
            "s3://snaps/dc1/a.snap",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Saved and verified snapshot to index "));
    let v = verify(&m, "s3://snaps/dc1/");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    server.put("/v1/kv/after", "2");
    let addr = server.http_addr();
    let restore = |flags: &[&str], url: &str| {
        m.cmd()
            .arg("restore")
            .args(flags)
            .args(["-http-addr", &addr, url])
            .output()
            .unwrap()
    };
    let out = restore(&["--dry-run"], "s3://snaps/dc1/a.snap");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Would restore s3://snaps/dc1/a.snap to "));
    let out = restore(&[], "s3://snaps/dc1/a.snap");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = ureq::get(&format!("{}/v1/kv/after", server.http_addr())).call();
    assert!(
        matches!(got, Err(ureq::Error::Status(404, _))),
        "the restore brought back the state without the later key"
    );
    let out = restore(&[], "s3://snaps/dc1/none.snap");
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("no such object"));
}

/// Destinations are checked before anything is contacted: two at once, a local directory
/// beside a bucket, a store's setting without its store, half a key pair and role
/// assumption are usage errors (exit 2) in one line.
#[test]
fn conflicting_or_unsupported_destinations_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, want) in [
        (
            &["-aws-s3-bucket", "b", "-gcs-bucket", "g"][..],
            "two destinations at once",
        ),
        (
            &["-aws-s3-bucket", "b", "--dir", d][..],
            "two destinations at once",
        ),
        (
            &["-aws-s3-bucket", "b", "-local-path", d][..],
            "two destinations at once",
        ),
        (
            &["-aws-s3-region", "eu-west-1"][..],
            "give -aws-s3-bucket too",
        ),
        (
            &["-aws-s3-bucket", "b", "-aws-access-key-id", KEY_ID][..],
            "give both",
        ),
        (
            &["-aws-s3-bucket", "b", "-aws-role-arn", "arn:x"][..],
            "-aws-role-arn",
        ),
    ] {
        let out = bare()
            .args(["agent", "--once", "-http-addr", "127.0.0.1:1"])
            .args(args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{want} in {err}");
        assert!(!err.contains("connect"), "{err}");
    }
}

/// SIGTERM while the download stalls after the first part went up: the agent stops within
/// seconds and aborts the upload, leaving no object and no pending multipart upload.
#[test]
fn a_signal_during_the_upload_aborts_it() {
    let Some((_server, m, proxy)) = large_behind_a_proxy() else {
        return;
    };
    proxy.set("/v1/snapshot", Fault::Stall(9 << 20));
    let log = tempfile::NamedTempFile::new().unwrap();
    let via = format!("http://{}", proxy.addr());
    let mut child = spawn_agent(
        &["--once", "--no-lock", "--no-register", "-http-addr", &via],
        &m,
        &log,
    );
    // The stall holds the download after 9 MiB: wait for the upload to have started.
    let start = std::time::Instant::now();
    while pending_uploads(&m, "backups").is_empty() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no upload started: {}",
            std::fs::read_to_string(log.path()).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status =
        util::terminate(&mut child, std::time::Duration::from_secs(10)).expect("SIGTERM ignored");
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(!status.success(), "{text}");
    assert!(keys(&m, "backups").is_empty(), "{text}");
    assert_eq!(
        pending_uploads(&m, "backups"),
        Vec::<String>::new(),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
}

/// A stand-in for Consul's `GET /v1/snapshot` that serves `file` to every request (the
/// memory test needs a snapshot far larger than a test cluster holds).
fn serve_snapshot(file: std::path::PathBuf) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while head.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let len = std::fs::metadata(&file).unwrap().len();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nX-Consul-Index: 7\r\nConnection: close\r\n\r\n"
            );
            let _ = std::io::copy(&mut std::fs::File::open(&file).unwrap(), &mut conn);
        }
    });
    addr
}

/// Memory stays bounded: `save -o s3://` of a snapshot far larger than the bound (about
/// 80 MiB compressed) streams it through 8 MiB parts, its peak resident memory under 64 MiB,
/// and the object is the snapshot, byte for byte.
#[test]
fn saving_a_large_snapshot_to_s3_stays_in_bounded_memory() {
    let Some(m) = moto() else { return };
    m.bucket("big");
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("big.snap");
    let out = Command::new(env!("CARGO_BIN_EXE_snapinspect"))
        .args(["generate", "--size", "200MiB", "--seed", "3", "-o"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let len = std::fs::metadata(&snap).unwrap().len();
    assert!(len > 72 << 20, "the snapshot is only {len} bytes");
    let addr = serve_snapshot(snap.clone());
    let rss = dir.path().join("rss");
    let out = m
        .cmd()
        .args([
            "save",
            "-q",
            "-http-addr",
            &addr,
            "-o",
            "s3://big/dc1/big.snap",
        ])
        .env("SNAPINSPECT_PEAK_RSS_FILE", &rss)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Saved and verified snapshot to index 7\n"
    );
    let kib: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    eprintln!("save -o s3:// of {len} bytes: peak RSS {kib} KiB");
    assert!(
        kib < 64 * 1024,
        "peak RSS {kib} KiB for a {len}-byte snapshot"
    );
    let head = ureq::head(&format!("{}/big/dc1/big.snap", m.endpoint))
        .call()
        .unwrap();
    assert_eq!(
        head.header("Content-Length"),
        Some(len.to_string().as_str())
    );
    let etag = head.header("ETag").unwrap_or_default().to_string();
    assert!(etag.contains('-'), "a multipart object: {etag}");
    let v = verify(&m, "s3://big/dc1/big.snap");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

/// A listing that fails (the fault proxy in front of the S3 emulator answers 500 to it) deletes
/// nothing: the new object is saved and kept, the old ones stay, the log says retention
/// stopped; once listing works again, retention prunes to `retain`.
#[test]
fn a_failed_listing_deletes_nothing() {
    let Some((server, m)) = setup() else { return };
    m.bucket("backups");
    let addr = server.http_addr();
    for i in 0..2 {
        server.put(&format!("/v1/kv/n{i}"), "x");
        let out = agent_once(&addr, &m.endpoint, "backups", &["-retain", "0"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert_eq!(keys(&m, "backups").len(), 2);
    let port: u16 = m.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let proxy = FaultProxy::start(port);
    proxy.set("/backups?", Fault::Status(500, b"listing broken".to_vec()));
    let via = format!("http://{}", proxy.addr());
    server.put("/v1/kv/n2", "x");
    let out = agent_once(&addr, &via, "backups", &["-retain", "1"]);
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains("cannot list s3://backups/consul-snapshot/"),
        "{log}"
    );
    assert!(
        log.contains("retention on s3://backups/consul-snapshot/ stopped"),
        "{log}"
    );
    assert!(!log.contains("removed"), "{log}");
    assert_eq!(keys(&m, "backups").len(), 3);
    proxy.clear();
    let out = agent_once(&addr, &via, "backups", &["-retain", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(keys(&m, "backups").len(), 1);
}

/// An object retention cannot read (the store answers 503 for it) is said to be unreadable,
/// not invalid, and is neither counted nor deleted; the readable ones are pruned as usual, and
/// once it reads again it is counted.
#[test]
fn an_unreadable_object_is_not_called_invalid_nor_deleted() {
    let Some((server, m)) = setup() else { return };
    m.bucket("backups");
    let addr = server.http_addr();
    for i in 0..2 {
        server.put(&format!("/v1/kv/u{i}"), "x");
        let out = agent_once(&addr, &m.endpoint, "backups", &["-retain", "0"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let mut before = keys(&m, "backups");
    before.sort();
    assert_eq!(before.len(), 2);
    let oldest = before[0].clone();
    let port: u16 = m.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let proxy = FaultProxy::start(port);
    proxy.set(
        &format!("/backups/{oldest}"),
        Fault::Status(503, b"SlowDown".to_vec()),
    );
    let via = format!("http://{}", proxy.addr());
    server.put("/v1/kv/u2", "x");
    let out = agent_once(&addr, &via, "backups", &["-retain", "1"]);
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("could not be read"), "{log}");
    assert!(!log.contains("is not a valid snapshot"), "{log}");
    let after = keys(&m, "backups");
    assert!(after.contains(&oldest), "{after:?}\n{log}");
    assert_eq!(after.len(), 2, "{after:?}\n{log}");
    proxy.clear();
    let out = agent_once(&addr, &via, "backups", &["-retain", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(keys(&m, "backups").len(), 1);
}

/// The long-running agent (leader election, catalog checks) saving to S3 every 2 s keeps
/// exactly `retain` objects, and stops cleanly on SIGTERM with no pending upload.
#[test]
fn the_daemon_rotates_objects_on_schedule() {
    let Some((server, m)) = setup() else { return };
    m.bucket("backups");
    let log = tempfile::NamedTempFile::new().unwrap();
    let addr = server.http_addr();
    let args = [
        &["-http-addr", &addr][..],
        &util::AGENT_SCHEDULE,
        &["-retain", "2"],
    ]
    .concat();
    let mut child = spawn_agent(&args, &m, &log);
    let start = std::time::Instant::now();
    let saves = || {
        std::fs::read_to_string(log.path())
            .unwrap()
            .matches("saved and verified s3://backups/consul-snapshot/consul-")
            .count()
    };
    let removals = || {
        std::fs::read_to_string(log.path())
            .unwrap()
            .matches("removed s3://")
            .count()
    };
    while saves() < 4 || removals() < 2 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{}",
            std::fs::read_to_string(log.path()).unwrap()
        );
        server.put("/v1/kv/tick", &format!("{:?}", start.elapsed()));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    util::signal(child.id(), "-TERM");
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(status.success(), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    // What the log says was kept is what the bucket holds: the newest 2 after every prune
    // (a stop between a save and its prune may leave one more, never fewer).
    let saved = text.matches("saved and verified s3://").count();
    let removed = text
        .matches("removed s3://backups/consul-snapshot/consul-")
        .count();
    assert!(removed >= 2, "{text}");
    let k = keys(&m, "backups");
    assert_eq!(k.len(), saved - removed, "{k:?}\n{text}");
    assert!((2..=3).contains(&k.len()), "{k:?}\n{text}");
    assert!(pending_uploads(&m, "backups").is_empty());
}

/// The same writer against Azure Blob Storage (Azurite): `-azure-blob-container-name` with the
/// account from `AZURE_STORAGE_CONNECTION_STRING` leaves one verified blob under
/// `consul-snapshot/`, and `-retain 1` keeps the newer. (Google Cloud Storage: in
/// `storage_agent_gcs.rs`.)
#[test]
fn the_agent_writes_to_azure_blob_storage() {
    let Some(az) = azurite() else { return };
    let Some(bin) = consul::require() else { return };
    let server = Server::start(&bin, Options::default());
    az.container("backups");
    let run = |extra: &[&str]| {
        az.cmd()
            .args(["agent", "--once", "-http-addr", &server.http_addr()])
            .args(["-azure-blob-container-name", "backups"])
            .args(extra)
            .output()
            .unwrap()
    };
    let listed = || {
        let out = az
            .cmd()
            .args(["verify", "az://backups/consul-snapshot/"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("OK"))
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = listed();
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].starts_with("az://backups/consul-snapshot/consul-"));
    server.put("/v1/kv/more", "x");
    let out = run(&["-retain", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let now = listed();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, first);
    assert!(text(&out.stderr).contains(&format!("removed {}", first[0])));
    // An invalid snapshot leaves no blob (its uncommitted blocks are never visible).
    let proxy = FaultProxy::start(server.http_port());
    let via = format!("http://{}", proxy.addr());
    an_invalid_body_is_refused(
        &proxy,
        || {
            az.cmd()
                .args(["agent", "--once", "-http-addr", &via])
                .args(["-azure-blob-container-name", "backups"])
                .output()
                .unwrap()
        },
        || az.cmd(),
        "az://backups/manual/x.snap",
    );
    assert_eq!(listed(), now);
}
