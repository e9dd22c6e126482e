//! Writes to Google Cloud Storage (the JSON API's resumable upload), against fake-gcs-server
//! and, for the agent, a real Consul 1.8.7: every size edge of the chunk protocol round-trips
//! byte for byte, an aborted upload leaves nothing, `agent --once -gcs-bucket` leaves one
//! verified object and `-retain 1` keeps the newer, a cut or invalid snapshot leaves no object,
//! and `save -o gs://` then `verify`. Skipped loudly without the emulator or Consul.

use std::process::Output;
use std::time::Duration;

use object_store::{MultipartUpload, WriteMultipart};
use snapinspect::live::storage::gcs_upload::{Uploader, CHUNK_ALIGN};
use snapinspect::live::storage::{Storage, StorageOptions};
use snapinspect::live::upload::PART_SIZE;

use crate::util::consul::{self, Options, Server};
use crate::util::emulators::{an_invalid_body_is_refused, fake_gcs, FakeGcs};
use crate::util::proxy::{Fault, FaultProxy};
use crate::util::text;

/// The names and sizes of the objects in `bucket` (JSON API listing).
fn objects(gcs: &FakeGcs, bucket: &str) -> Vec<(String, u64)> {
    let body = ureq::get(&format!("http://{}/storage/v1/b/{bucket}/o", gcs.host))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut out: Vec<(String, u64)> = v["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| {
                    let size = o["size"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                    (o["name"].as_str().unwrap().to_string(), size)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn names(gcs: &FakeGcs, bucket: &str) -> Vec<String> {
    objects(gcs, bucket).into_iter().map(|(n, _)| n).collect()
}

/// An object's bytes (JSON API media download; `name` without slashes).
fn download(gcs: &FakeGcs, bucket: &str, name: &str) -> Vec<u8> {
    let mut body = Vec::new();
    std::io::Read::read_to_end(
        &mut ureq::get(&format!(
            "http://{}/download/storage/v1/b/{bucket}/o/{name}?alt=media",
            gcs.host
        ))
        .call()
        .unwrap()
        .into_reader(),
        &mut body,
    )
    .unwrap();
    body
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 4099) as u8).collect()
}

/// Every size edge of the protocol, through object_store's `WriteMultipart` as the agent
/// drives it: nothing, less than one 256 KiB chunk, exactly one, exactly one part (completed
/// by an empty `bytes */TOTAL`), a part and a whole chunk, a part and one byte (the short last
/// chunk carries the total). Each object appears only when finished and reads back whole; an
/// upload aborted after a part leaves no object.
#[test]
fn resumable_uploads_round_trip_every_size() {
    let Some(gcs) = fake_gcs() else { return };
    gcs.bucket("edges");
    let storage = Storage::new(StorageOptions::default()).unwrap();
    let rt = storage.runtime().clone();
    let up = Uploader::at(
        &format!("http://{}", gcs.host),
        "edges",
        None,
        &StorageOptions::default(),
        Duration::from_secs(60),
    )
    .unwrap();
    let align = CHUNK_ALIGN as usize;
    let sizes = [
        0,
        1,
        align - 1,
        align,
        PART_SIZE,
        PART_SIZE + align,
        PART_SIZE + 1,
        2 * PART_SIZE + 3 * align + 17,
    ];
    for size in sizes {
        let name = format!("obj-{size}.bin");
        let data = pattern(size);
        let session = rt.block_on(up.begin(&name)).unwrap();
        let _inside = rt.enter();
        let mut w = WriteMultipart::new_with_chunk_size(
            Box::new(session) as Box<dyn MultipartUpload>,
            PART_SIZE,
        );
        for piece in data.chunks(1 << 20) {
            rt.block_on(w.wait_for_capacity(2)).unwrap();
            w.write(piece);
        }
        rt.block_on(w.wait_for_capacity(0)).unwrap();
        assert!(
            !names(&gcs, "edges").contains(&name),
            "{name} visible before it was finished"
        );
        rt.block_on(w.finish())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = download(&gcs, "edges", &name);
        assert_eq!(got.len(), size, "{name}");
        assert!(got == data, "{name}: the bytes differ");
    }
    assert_eq!(names(&gcs, "edges").len(), sizes.len());

    // Aborted after a whole chunk went up: the session is cancelled (a DELETE of its URI,
    // seen by a proxy in front of the emulator), no object.
    let port: u16 = gcs.host.rsplit(':').next().unwrap().parse().unwrap();
    let proxy = FaultProxy::start(port);
    let via = Uploader::at(
        &format!("http://{}", proxy.addr()),
        "edges",
        None,
        &StorageOptions::default(),
        Duration::from_secs(60),
    )
    .unwrap();
    let session = rt.block_on(via.begin("aborted.bin")).unwrap();
    let _inside = rt.enter();
    let mut w =
        WriteMultipart::new_with_chunk_size(Box::new(session) as Box<dyn MultipartUpload>, align);
    w.write(&pattern(align + 5));
    rt.block_on(w.wait_for_capacity(0)).unwrap();
    assert!(!proxy.saw(b"DELETE /upload/storage/v1/b/edges/o?"));
    rt.block_on(w.abort()).unwrap();
    assert!(proxy.saw(b"PUT /upload/storage/v1/b/edges/o?"));
    assert!(proxy.saw(b"DELETE /upload/storage/v1/b/edges/o?"));
    assert!(!names(&gcs, "edges").contains(&"aborted.bin".to_string()));

    // A bucket that does not exist: a clear error at the start.
    let err = rt.block_on(
        Uploader::at(
            &format!("http://{}", gcs.host),
            "no-such-bucket",
            None,
            &StorageOptions::default(),
            Duration::from_secs(60),
        )
        .unwrap()
        .begin("x.bin"),
    );
    assert!(err.is_err(), "an upload began into a missing bucket");
}

/// A Consul server (no ACLs) and fake-gcs-server, or `None` after a loud note.
fn setup() -> Option<(Server, FakeGcs)> {
    let gcs = fake_gcs()?;
    let bin = consul::require()?;
    Some((Server::start(&bin, Options::default()), gcs))
}

fn agent_once(gcs: &FakeGcs, addr: &str, bucket: &str, extra: &[&str]) -> Output {
    gcs.cmd()
        .args(["agent", "--once", "-http-addr", addr, "-gcs-bucket", bucket])
        .args(extra)
        .output()
        .unwrap()
}

fn verify(gcs: &FakeGcs, url: &str) -> Output {
    gcs.cmd().args(["verify", url]).output().unwrap()
}

/// The snapshots under `consul-snapshot/` in `bucket`.
fn snaps(gcs: &FakeGcs, bucket: &str) -> Vec<(String, u64)> {
    objects(gcs, bucket)
        .into_iter()
        .filter(|(n, _)| n.starts_with("consul-snapshot/consul-") && n.ends_with(".snap"))
        .collect()
}

/// The task's acceptance for GCS: `agent --once -gcs-bucket` leaves one verified object
/// (`verify gs://B/consul-snapshot/` exits 0); a second run with `-retain 1` leaves one, the
/// newer; an object not the agent's under the prefix is never touched.
#[test]
fn agent_once_writes_to_gcs_and_retain_keeps_the_newer() {
    let Some((server, gcs)) = setup() else { return };
    gcs.bucket("backups");
    gcs.put("backups", "consul-snapshot/notes.txt", b"not ours");
    let addr = server.http_addr();
    let out = agent_once(&gcs, &addr, "backups", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = snaps(&gcs, "backups");
    assert_eq!(first.len(), 1, "{first:?}");
    let v = verify(&gcs, "gs://backups/consul-snapshot/");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    assert!(
        text(&v.stdout).contains(&format!("OK    gs://backups/{}", first[0].0)),
        "{}",
        text(&v.stdout)
    );

    server.put("/v1/kv/more", "x");
    let out = agent_once(&gcs, &addr, "backups", &["-retain", "1"]);
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let now = snaps(&gcs, "backups");
    assert_eq!(now.len(), 1, "{now:?} {log}");
    assert_ne!(now[0].0, first[0].0);
    assert!(
        log.contains(&format!("removed gs://backups/{}", first[0].0)),
        "{log}"
    );
    assert!(names(&gcs, "backups").contains(&"consul-snapshot/notes.txt".to_string()));
    let v = verify(&gcs, &format!("gs://backups/{}", now[0].0));
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

/// A snapshot cut after its first 8 MiB part went up (the fault proxy between Consul and the
/// agent) leaves no object (the session is cancelled); so does a body that is not a snapshot,
/// for the agent and for `save -o gs://`. Untouched, the same large snapshot goes up whole.
#[test]
fn an_invalid_snapshot_leaves_no_gcs_object() {
    let Some((server, gcs)) = setup() else { return };
    gcs.bucket("backups");
    server.fill(10);
    let proxy = FaultProxy::start(server.http_port());
    let via = format!("http://{}", proxy.addr());
    let cut_at = 9 << 20; // past the first part (8 MiB)
    proxy.set("/v1/snapshot", Fault::Cut(cut_at));
    let out = agent_once(&gcs, &via, "backups", &[]);
    let log = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{log}");
    assert_eq!(names(&gcs, "backups"), Vec::<String>::new(), "{log}");

    an_invalid_body_is_refused(
        &proxy,
        || agent_once(&gcs, &via, "backups", &[]),
        || gcs.cmd(),
        "gs://backups/manual/x.snap",
    );
    assert!(names(&gcs, "backups").is_empty());

    proxy.clear();
    let out = agent_once(&gcs, &via, "backups", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = snaps(&gcs, "backups");
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(
        s[0].1 > cut_at as u64,
        "the snapshot is only {} bytes",
        s[0].1
    );
    let v = verify(&gcs, "gs://backups/consul-snapshot/");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

/// `save -o gs://BUCKET/KEY` uploads a verified snapshot that `verify` reads back; a corrupt
/// object beside it makes `verify` of the prefix exit 3 naming it; a missing bucket is a
/// one-line I/O error (exit 4).
#[test]
fn save_to_a_gcs_url_then_verify() {
    let Some((server, gcs)) = setup() else { return };
    gcs.bucket("snaps");
    server.put("/v1/kv/before", "1");
    let save = |url: &str| {
        gcs.cmd()
            .args(["save", "-http-addr", &server.http_addr(), "-o", url])
            .output()
            .unwrap()
    };
    let out = save("gs://snaps/dc1/a.snap");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Saved and verified snapshot to index "));
    let v = verify(&gcs, "gs://snaps/dc1/");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    let v = verify(&gcs, "gs://snaps/dc1/a.snap");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));

    let mut bad = download(&gcs, "snaps", "dc1%2Fa.snap");
    let mid = bad.len() / 2;
    bad.truncate(mid);
    gcs.put("snaps", "dc1/b.snap", &bad);
    let v = verify(&gcs, "gs://snaps/dc1/");
    assert_eq!(v.status.code(), Some(3), "{}", text(&v.stdout));
    assert!(text(&v.stdout).contains("gs://snaps/dc1/b.snap"));

    let out = save("gs://no-such-bucket/a.snap");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("gs://no-such-bucket/a.snap"), "{err}");
    assert!(err.contains("no such bucket"), "{err}");
}
