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
use crate::live::consul::{Body, BodyReader, Cancelled, Client};
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

/// The client of a transfer: bounded between bytes only, stopped by `cancel`.
pub(crate) fn transfer_client(client: &Client, cancel: &Option<Arc<AtomicBool>>) -> Client {
    let client = client.for_transfer();
    match cancel {
        Some(c) => client.with_cancel(c.clone()),
        None => client,
    }
}

/// A snapshot Consul is sending: the body, its `X-Consul-Index`, and what a failed read of
/// the body was doing.
pub(crate) struct Download {
    pub(crate) body: BodyReader,
    pub(crate) consul_index: Option<u64>,
    pub(crate) reading: String,
}

/// Asks Consul for a snapshot (`GET /v1/snapshot`, `?stale` when asked) with a transfer
/// client.
pub(crate) fn get_snapshot(client: &Client, stale: bool) -> Result<Download> {
    let path = if stale {
        "/v1/snapshot?stale"
    } else {
        "/v1/snapshot"
    };
    let resp = client.call("GET", path, Body::Empty, SNAPSHOT_PERMISSION)?;
    Ok(Download {
        consul_index: resp
            .header("X-Consul-Index")
            .and_then(|v| v.trim().parse().ok()),
        body: resp.body,
        reading: format!(
            "downloading the snapshot from Consul at {}",
            client.address()
        ),
    })
}

/// Verifies the snapshot Consul is sending (read through `sent`) with every check, then runs
/// `before_keep`; the snapshot and its warnings. An invalid one is said to be Consul's.
pub(crate) fn verify_sent(
    sent: impl Read + Send + 'static,
    before_keep: Option<BeforeKeep<'_>>,
) -> Result<(Snapshot, Vec<String>)> {
    let verify::Verified { snapshot, warnings } = verify::check_with(
        |o, s| archive::read_archive(sent, o, s),
        &VerifyOptions::default(),
    )
    .map_err(|e| match e {
        // Still an invalid snapshot (exit 3), said to be Consul's.
        Error::Invalid(mut i) => {
            i.message = format!(
                "the snapshot Consul sent is not valid, nothing was kept: {}",
                i.message
            );
            Error::Invalid(i)
        }
        other => other,
    })?;
    if let Some(check) = before_keep {
        check(&snapshot)?;
    }
    Ok((snapshot, warnings))
}

/// Whether a transfer's cancel flag is set.
pub(crate) fn was_cancelled(cancel: &Option<Arc<AtomicBool>>) -> bool {
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
    let client = transfer_client(client, &opts.cancel);
    let result = (|| {
        let Download {
            body,
            consul_index,
            reading,
        } = get_snapshot(&client, opts.stale)?;
        let written = opts.progress.clone().unwrap_or_default();
        written.store(0, Ordering::Relaxed);
        let counter = written.clone();
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
                verify_sent(tee, opts.before_keep)
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
    stage_from(
        src,
        &format!("reading {}", input.display()),
        staging_dir,
        opts,
    )
}

/// As [`stage`], from a stream already open (an object being downloaded); `reading` says
/// what a failed read was doing.
pub fn stage_from(
    src: impl Read + Send + 'static,
    reading: &str,
    staging_dir: Option<&Path>,
    opts: &VerifyOptions,
) -> Result<Staged> {
    let tmp = crate::write::unnamed_temp_file(staging_dir)
        .map_err(|e| Error::io("creating a private staging file", e))?;
    let written = Arc::new(AtomicU64::new(0));
    let tee = Tee {
        inner: src,
        out: tmp
            .try_clone()
            .map_err(|e| Error::io("duplicating the staging file handle", e))?,
        written: written.clone(),
        reading: reading.to_string(),
        writing: "staging a private copy".into(),
    };
    let verify::Verified { snapshot, warnings } =
        verify::check_with(|o, s| archive::read_archive(tee, o, s), opts)?;
    // A Vault snapshot has a fourth member that neither unpack nor Consul takes; a Nomad
    // one unpacks (restore refuses it below).
    if snapshot.product == crate::snapshot::vault::Product::Vault {
        snapshot.require_consul("unpack or restore into Consul")?;
    }
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
    let v = verify::check_input(&input, opts)?;
    v.snapshot.require_consul("restore into Consul")?;
    Ok(v)
}

/// Sends a staged snapshot to Consul (`PUT /v1/snapshot`); `progress` counts the bytes sent,
/// `cancel` stops the upload.
pub fn send_staged(
    client: &Client,
    staged: &mut Staged,
    progress: Option<Arc<AtomicU64>>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<()> {
    let client = transfer_client(client, &cancel);
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
    staged.snapshot.require_consul("restore into Consul")?;
    send_staged(client, &mut staged, progress, cancel)?;
    Ok(staged.snapshot)
}

/// What `-append-filename` adds to a saved snapshot's name, as newer `consul snapshot save`
/// does (hashicorp/consul `command/snapshot/save/snapshot_save.go`, added by pull request
/// 18625 and narrowed to `version` and `dc` by pull request 18680): the leader's
/// Consul version (from `/v1/operator/autopilot/health`), then the datacenter of the agent
/// asked (`/v1/agent/self`), each after a `-`, before the extension, always in that order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppendFilename {
    /// Append the leader's version.
    pub version: bool,
    /// Append the datacenter.
    pub dc: bool,
    /// Values Consul once documented (`node`, `status`) and now ignores: ignored here too,
    /// so that a name is the same as Consul's.
    pub ignored: Vec<String>,
}

impl AppendFilename {
    /// Parses the comma-separated list (`version,dc`); an unknown value is an error.
    pub fn parse(list: &str) -> Result<AppendFilename> {
        let mut out = AppendFilename::default();
        for v in list.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            match v {
                "version" => out.version = true,
                "dc" => out.dc = true,
                "node" | "status" => out.ignored.push(v.to_string()),
                other => {
                    return Err(Error::Usage(format!(
                        "-append-filename: unknown value {other:?} (Consul knows version and dc)"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Whether anything is appended.
    pub fn any(&self) -> bool {
        self.version || self.dc
    }

    /// `file` with the values appended, asking Consul for them.
    pub fn apply(&self, client: &Client, file: &Path) -> Result<PathBuf> {
        let mut parts = Vec::new();
        if self.version {
            // 429 says the cluster is unhealthy, with the same body (as Consul's API client
            // takes it).
            let path = "/v1/operator/autopilot/health";
            let resp = client.send("GET", path, Body::Empty)?;
            let health = match resp.status {
                200 | 429 => resp.json()?,
                status => {
                    let text = client.error_text(resp);
                    return Err(client.status_error("GET", path, status, &text, "operator:read"));
                }
            };
            let leader = health["Servers"]
                .as_array()
                .and_then(|l| l.iter().find(|s| s["Leader"] == true));
            let Some(version) = leader.and_then(|s| s["Version"].as_str()) else {
                return Err(Error::Remote(
                    "-append-filename version: /v1/operator/autopilot/health names no leader with a version".into(),
                ));
            };
            parts.push(version.to_string());
        }
        if self.dc {
            let me = client.get_json("/v1/agent/self", "agent:read")?;
            if let Some(dc) = me["Config"]["Datacenter"].as_str() {
                parts.push(dc.to_string());
            }
        }
        for p in &parts {
            if p.contains(['/', '\0']) {
                return Err(Error::Remote(format!(
                    "-append-filename: Consul answered {p:?}, which cannot be part of a file name"
                )));
            }
        }
        Ok(with_suffixes(file, &parts))
    }
}

/// `file` with `-part` for each part inserted before its extension, where Go's
/// `filepath.Ext` puts it (the last `.` of the last element; `.hidden` is all extension).
pub fn with_suffixes(file: &Path, parts: &[String]) -> PathBuf {
    if parts.is_empty() {
        return file.to_path_buf();
    }
    let name = file.file_name().unwrap_or_default();
    let as_path = Path::new(name);
    let (stem, ext): (std::ffi::OsString, std::ffi::OsString) =
        match (as_path.file_stem(), as_path.extension()) {
            (Some(s), Some(e)) => {
                let mut dot = std::ffi::OsString::from(".");
                dot.push(e);
                (s.to_os_string(), dot)
            }
            _ if name.as_encoded_bytes().first() == Some(&b'.') => {
                (std::ffi::OsString::new(), name.to_os_string())
            }
            _ => (name.to_os_string(), std::ffi::OsString::new()),
        };
    let mut new = stem;
    for p in parts {
        new.push("-");
        new.push(p);
    }
    new.push(ext);
    file.with_file_name(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_go_where_consul_puts_them() {
        let parts = vec!["1.8.7".to_string(), "dc1".to_string()];
        for (file, want) in [
            ("backup.snap", "backup-1.8.7-dc1.snap"),
            ("dir/backup.tgz", "dir/backup-1.8.7-dc1.tgz"),
            ("a.tar.gz", "a.tar-1.8.7-dc1.gz"),
            ("backup", "backup-1.8.7-dc1"),
            ("backup.", "backup-1.8.7-dc1."),
            ("d.d/backup", "d.d/backup-1.8.7-dc1"),
            (".hidden", "-1.8.7-dc1.hidden"),
        ] {
            assert_eq!(with_suffixes(Path::new(file), &parts), Path::new(want));
        }
        assert_eq!(with_suffixes(Path::new("b.snap"), &[]), Path::new("b.snap"));
    }

    #[test]
    fn the_list_is_consuls() {
        let a = AppendFilename::parse("dc,version").unwrap();
        assert!(a.version && a.dc && a.ignored.is_empty());
        let a = AppendFilename::parse("version,dc,node,status").unwrap();
        assert_eq!(a.ignored, ["node", "status"]);
        assert!(!AppendFilename::parse("").unwrap().any());
        assert!(AppendFilename::parse("versoin").is_err());
    }
}
