//! Moving snapshots to and from a live Consul: `save` (download, verified while it streams
//! to a temp file, kept only when whole) and `restore` (verified locally first, then sent).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::archive::{self, Input, Snapshot};
use crate::consul::{Body, Client};
use crate::error::{Error, Result};
use crate::verify::{self, VerifyOptions};

/// The permission `GET`/`PUT /v1/snapshot` need, for error messages.
pub const SNAPSHOT_PERMISSION: &str = "acl = \"write\" (snapshots need a management-level token)";

/// What a save produced.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Where the verified snapshot was written.
    pub path: PathBuf,
    /// The snapshot as read while it downloaded.
    pub snapshot: Snapshot,
    /// `X-Consul-Index` of the response (the raft index Consul reports).
    pub consul_index: Option<u64>,
    /// Warnings of the verification (unknown record types).
    pub warnings: Vec<String>,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Wall time of the download and verification.
    pub elapsed: Duration,
}

/// Copies what the verifier reads into the temp file, naming a failed write as such.
struct Tee<R> {
    inner: R,
    out: File,
    written: Arc<AtomicU64>,
    dir: PathBuf,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let what = if e.raw_os_error() == Some(28) {
                "disk full"
            } else {
                "cannot write"
            };
            return Err(crate::tarball::to_io(Error::io(
                format!(
                    "{what}: saving the snapshot into {} (nothing was kept)",
                    self.dir.display()
                ),
                e,
            )));
        }
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Downloads a snapshot (`GET /v1/snapshot`, `?stale` when asked) into `dir`, verifying it
/// as it streams; the file gets the name `name` returns once the snapshot is known, and is
/// kept only if every check passed.
pub fn save_into(
    client: &Client,
    stale: bool,
    dir: &Path,
    progress: Option<Arc<AtomicU64>>,
    name: impl FnOnce(&Snapshot) -> PathBuf,
) -> Result<Saved> {
    let start = Instant::now();
    let path = if stale {
        "/v1/snapshot?stale"
    } else {
        "/v1/snapshot"
    };
    let resp = client.call("GET", path, Body::Empty, SNAPSHOT_PERMISSION)?;
    let consul_index = resp
        .header("X-Consul-Index")
        .and_then(|v| v.trim().parse().ok());
    let written = progress.unwrap_or_default();
    written.store(0, Ordering::Relaxed);
    let body = resp.body;
    let counter = written.clone();
    let dir_buf = dir.to_path_buf();
    let ((snapshot, warnings), path) = crate::writer::write_atomic_named(
        dir,
        move |file| {
            let out = file
                .try_clone()
                .map_err(|e| Error::io("duplicating the temp file handle", e))?;
            let tee = Tee {
                inner: body,
                out,
                written: counter,
                dir: dir_buf,
            };
            let opts = VerifyOptions {
                threaded: true,
                ..Default::default()
            };
            verify::check_with(|o, s| archive::read_archive(tee, o, s), &opts).map_err(
                |e| match e {
                    Error::Invalid(i) => Error::Remote(format!(
                        "the snapshot Consul sent is not valid, nothing was kept: {i}"
                    )),
                    other => other,
                },
            )
        },
        |(snap, _)| name(snap),
    )?;
    Ok(Saved {
        path,
        snapshot,
        consul_index,
        warnings,
        bytes: written.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    })
}

/// Downloads a snapshot to `out` (atomically, verified while it streams); `progress`, when
/// given, counts the bytes downloaded.
pub fn save(
    client: &Client,
    stale: bool,
    out: &Path,
    progress: Option<Arc<AtomicU64>>,
) -> Result<Saved> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    save_into(client, stale, &dir, progress, |_| out.to_path_buf())
}

/// Verifies `file` with every check; the snapshot and warnings, or why it must not be sent.
pub fn check_for_restore(file: &Path) -> Result<(Snapshot, Vec<String>)> {
    let input = Input::Archive(file.to_path_buf());
    verify::check_input(&input, &VerifyOptions::default())
}

/// Verifies `file`, then sends it to Consul (`PUT /v1/snapshot`); `progress`, when given,
/// counts the bytes sent.
pub fn restore(client: &Client, file: &Path, progress: Option<Arc<AtomicU64>>) -> Result<Snapshot> {
    let (snap, _) = check_for_restore(file)?;
    let mut f =
        File::open(file).map_err(|e| Error::io(format!("opening {}", file.display()), e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?
        .len();
    let mut counted = crate::pipeline::CountingReader::new(&mut f, progress.unwrap_or_default());
    client.call(
        "PUT",
        "/v1/snapshot",
        Body::Reader(&mut counted, len),
        SNAPSHOT_PERMISSION,
    )?;
    Ok(snap)
}
