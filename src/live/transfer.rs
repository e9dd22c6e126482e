//! Moving snapshots to and from a live Consul: `save` (download, verified while it streams
//! to a temp file, kept only when whole) and `restore` (the file read once into a private
//! staged copy while it is verified, and that copy sent: the bytes verified are the bytes
//! sent). Transfers are bounded by the client's idle timeout and stop when a cancel flag is
//! set.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::live::consul::{Body, Cancelled, Client};
use crate::report::verify::{self, VerifyOptions};
use crate::snapshot::archive::{self, Snapshot};
use crate::write::TempFiles;

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

/// A check run once the snapshot is verified and before it is renamed into place; an error
/// discards the file (the agent proves it still holds the lock here).
pub type BeforeKeep<'a> = &'a dyn Fn(&Snapshot) -> Result<()>;

/// How to save.
pub struct SaveOptions<'a> {
    /// Let a follower answer (`?stale`).
    pub stale: bool,
    /// Counts the bytes downloaded.
    pub progress: Option<Arc<AtomicU64>>,
    /// Set from elsewhere (a signal, a lost lock) to stop the download; nothing is kept.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Run after verification, before the rename.
    pub before_keep: Option<BeforeKeep<'a>>,
    /// Where the download's temp file is registered while it is written.
    pub temps: &'a TempFiles,
}

/// Copies what the verifier reads into a file, naming a failed read or write as such.
struct Tee<R> {
    inner: R,
    out: File,
    written: Arc<AtomicU64>,
    /// What a failed read was doing ("downloading the snapshot from ...").
    reading: String,
    /// What a failed write was doing ("saving the snapshot into DIR").
    writing: String,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                return Err(crate::go::tar::to_io(Error::io(self.reading.clone(), e)));
            }
        };
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let what = if e.raw_os_error() == Some(28) {
                "disk full"
            } else {
                "cannot write"
            };
            return Err(crate::go::tar::to_io(Error::io(
                format!("{what}: {} (nothing was kept)", self.writing),
                e,
            )));
        }
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn was_cancelled(cancel: &Option<Arc<AtomicBool>>) -> bool {
    cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
}

/// The error of a transfer stopped by its cancel flag.
pub fn cancelled(what: &str) -> Error {
    Error::io(
        format!("{what}: stopped (interrupted, or leadership lost); nothing was kept"),
        io::Error::other(Cancelled),
    )
}

/// Downloads a snapshot (`GET /v1/snapshot`, `?stale` when asked) into `dir`, verifying it
/// as it streams; the file gets the name `name` returns once the snapshot is known, and is
/// kept only if every check passed (and `before_keep` agreed).
pub fn save_into(
    client: &Client,
    opts: &SaveOptions<'_>,
    dir: &Path,
    name: impl FnOnce(&Snapshot) -> PathBuf,
) -> Result<Saved> {
    let start = Instant::now();
    let path = if opts.stale {
        "/v1/snapshot?stale"
    } else {
        "/v1/snapshot"
    };
    let mut client = client.for_transfer();
    if let Some(c) = &opts.cancel {
        client = client.with_cancel(c.clone());
    }
    let result = (|| {
        let resp = client.call("GET", path, Body::Empty, SNAPSHOT_PERMISSION)?;
        let consul_index = resp
            .header("X-Consul-Index")
            .and_then(|v| v.trim().parse().ok());
        let written = opts.progress.clone().unwrap_or_default();
        written.store(0, Ordering::Relaxed);
        let body = resp.body;
        let counter = written.clone();
        let reading = format!(
            "downloading the snapshot from Consul at {}",
            client.address()
        );
        let writing = format!("saving the snapshot into {}", dir.display());
        let ((snapshot, warnings), path) = crate::write::write_atomic_named(
            dir,
            opts.temps,
            move |file| {
                let out = file
                    .try_clone()
                    .map_err(|e| Error::io("duplicating the temp file handle", e))?;
                let tee = Tee {
                    inner: body,
                    out,
                    written: counter,
                    reading,
                    writing,
                };
                let vopts = VerifyOptions::default();
                let verify::Verified {
                    snapshot: snap,
                    warnings,
                } = verify::check_with(|o, s| archive::read_archive(tee, o, s), &vopts).map_err(
                    |e| match e {
                        // Still an invalid snapshot (exit 3), said to be Consul's.
                        Error::Invalid(mut i) => {
                            i.message = format!(
                                "the snapshot Consul sent is not valid, nothing was kept: {}",
                                i.message
                            );
                            Error::Invalid(i)
                        }
                        other => other,
                    },
                )?;
                if let Some(check) = opts.before_keep {
                    check(&snap)?;
                }
                Ok((snap, warnings))
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
    })();
    match result {
        Err(_) if was_cancelled(&opts.cancel) => Err(cancelled("saving the snapshot")),
        other => other,
    }
}

/// Downloads a snapshot to `out` (atomically, verified while it streams).
pub fn save(client: &Client, opts: &SaveOptions<'_>, out: &Path) -> Result<Saved> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    save_into(client, opts, &dir, |_| out.to_path_buf())
}

/// A snapshot read once and verified while a private copy of the same bytes was written: the
/// copy is what gets extracted or sent.
#[derive(Debug)]
pub struct Staged {
    /// The private copy (an anonymous temp file of mode 0600: nothing to clean up, the
    /// system frees it when it is closed or the process ends), positioned at its start.
    pub file: File,
    /// Its length in bytes.
    pub len: u64,
    /// The snapshot as verified.
    pub snapshot: Snapshot,
    /// Warnings of the verification.
    pub warnings: Vec<String>,
}

/// Opens `input` once, copies it into a private staged file (in `staging_dir`, or the
/// system's temp directory) while the same stream runs through `crate::report::verify::check_with`
/// with `opts`; the staged copy, or why the input is not valid.
pub fn stage(input: &Path, staging_dir: Option<&Path>, opts: &VerifyOptions) -> Result<Staged> {
    let src =
        File::open(input).map_err(|e| Error::io(format!("opening {}", input.display()), e))?;
    let tmp = crate::write::unnamed_temp_file(staging_dir)
        .map_err(|e| Error::io("creating a private staging file", e))?;
    let written = Arc::new(AtomicU64::new(0));
    let tee = Tee {
        inner: src,
        out: tmp
            .try_clone()
            .map_err(|e| Error::io("duplicating the staging file handle", e))?,
        written: written.clone(),
        reading: format!("reading {}", input.display()),
        writing: "staging a private copy".into(),
    };
    let verify::Verified { snapshot, warnings } =
        verify::check_with(|o, s| archive::read_archive(tee, o, s), opts)?;
    let mut file = tmp;
    file.sync_all()
        .map_err(|e| Error::io("writing the staging file", e))?;
    file.rewind()
        .map_err(|e| Error::io("rereading the staging file", e))?;
    Ok(Staged {
        file,
        len: written.load(Ordering::Relaxed),
        snapshot,
        warnings,
    })
}

/// Verifies `file` with every check (without keeping a copy); the snapshot and warnings, or
/// why it must not be sent (for `restore --dry-run`).
pub fn check_for_restore(file: &Path, opts: &VerifyOptions) -> Result<verify::Verified> {
    let input = archive::Input::Archive(file.to_path_buf());
    verify::check_input(&input, opts)
}

/// Sends a staged snapshot to Consul (`PUT /v1/snapshot`); `progress` counts the bytes sent,
/// `cancel` stops the upload.
pub fn send_staged(
    client: &Client,
    staged: &mut Staged,
    progress: Option<Arc<AtomicU64>>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<()> {
    let mut client = client.for_transfer();
    if let Some(c) = &cancel {
        client = client.with_cancel(c.clone());
    }
    let len = staged.len;
    let mut counted = crate::snapshot::pipeline::CountingReader::new(
        &mut staged.file,
        progress.unwrap_or_default(),
    );
    let r = client.call(
        "PUT",
        "/v1/snapshot",
        Body::Reader(&mut counted, len),
        SNAPSHOT_PERMISSION,
    );
    match r {
        Err(_) if was_cancelled(&cancel) => Err(cancelled("restoring the snapshot")),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// Reads `file` once into a private staged copy while verifying it with `opts`, then sends
/// that copy (`PUT /v1/snapshot`): what was verified is what is sent.
pub fn restore(
    client: &Client,
    file: &Path,
    opts: &VerifyOptions,
    progress: Option<Arc<AtomicU64>>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<Snapshot> {
    let mut staged = stage(file, None, opts)?;
    send_staged(client, &mut staged, progress, cancel)?;
    Ok(staged.snapshot)
}
