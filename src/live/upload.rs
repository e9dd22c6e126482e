//! Snapshots written to object storage: a multipart upload fed, part by part, by the same pass
//! that verifies the snapshot, completed only when every check passed and aborted otherwise,
//! so an invalid snapshot never becomes a visible object and no pending upload is left.
//!
//! Generic over object_store's `MultipartUpload`: the `ObjectStore`'s (S3, Azure Blob: whatever
//! [`Storage::store`] makes for the URL), or, for GCS, the JSON API's resumable upload
//! (`storage::gcs_upload`). Parts are [`PART_SIZE`] bytes with at most
//! [`PARTS_IN_FLIGHT`] uploading while the next one fills, so memory stays bounded whatever the
//! snapshot's size; the async client runs on the storage runtime, at the edge, and the rest
//! stays synchronous. Every request has a deadline.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use object_store::{MultipartUpload, ObjectMeta, ObjectStoreExt, WriteMultipart};
use tokio::runtime::Runtime;

use crate::error::{Error, Result};
use crate::live::consul::Client;
#[cfg(feature = "gcs")]
use crate::live::storage::gcs_upload;
use crate::live::storage::{ObjectUrl, Storage};
use crate::live::transfer::{self, SaveOptions};
use crate::report::verify::{self, VerifyOptions};
use crate::snapshot::archive::{self, Snapshot};

/// Bytes per uploaded part (S3 wants at least 5 MiB for every part but the last).
pub const PART_SIZE: usize = 8 << 20;
/// Parts uploading at once while the next one fills.
pub const PARTS_IN_FLIGHT: usize = 2;

/// One line, for error messages.
fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An object_store error of a write, listing or deletion as the crate's (exit 4), naming the
/// URL in one line.
pub fn store_error(doing: &str, url: &str, e: object_store::Error) -> Error {
    let text = one_line(&e);
    let (kind, what) = match &e {
        _ if text.contains("NoSuchBucket") || text.contains("ContainerNotFound") => {
            (io::ErrorKind::NotFound, "no such bucket".to_string())
        }
        object_store::Error::NotFound { .. } => {
            (io::ErrorKind::NotFound, "no such object".to_string())
        }
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => (io::ErrorKind::PermissionDenied, text),
        _ => (io::ErrorKind::Other, text),
    };
    Error::io(format!("{doing} {url}"), io::Error::new(kind, what))
}

fn timed_out(doing: &str, url: &str, after: Duration) -> Error {
    Error::io(
        format!("{doing} {url}"),
        io::Error::new(io::ErrorKind::TimedOut, format!("no answer in {after:?}")),
    )
}

/// How long one part may take to upload: the storage timeout, but at least two minutes (8 MiB
/// at 70 KB/s).
fn part_deadline(storage: &Storage) -> Duration {
    storage.options().timeout.max(Duration::from_secs(120))
}

/// An object being written: a multipart upload, completed by [`ObjectWriter::finish`]; dropped
/// unfinished (or [`ObjectWriter::abort`]ed), it is aborted and leaves nothing.
pub struct ObjectWriter {
    rt: Arc<Runtime>,
    url: String,
    upload: Option<WriteMultipart>,
    deadline: Duration,
    written: u64,
}

impl std::fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter")
            .field("url", &self.url)
            .field("written", &self.written)
            .finish()
    }
}

/// Starts a multipart upload to `url` (nothing is visible until it is finished).
pub fn create(storage: &Storage, url: &ObjectUrl) -> Result<ObjectWriter> {
    if url.is_prefix() {
        return Err(Error::Usage(format!(
            "{}: names a prefix, not an object to write",
            url.url()
        )));
    }
    let rt = storage.runtime().clone();
    let timeout = storage.options().timeout;
    let deadline = part_deadline(storage);
    // Google Cloud Storage: the JSON API's resumable upload (`gcs_upload` says why).
    #[cfg(feature = "gcs")]
    if url.scheme == crate::live::storage::Scheme::Gcs {
        let up = gcs_upload::Uploader::new(&url.bucket, storage.options(), deadline)?;
        let key = url.key.clone();
        let begin = async move {
            let session = up.begin(&key).await?;
            Ok(Box::new(session) as Box<dyn MultipartUpload>)
        };
        return start(rt, begin, url.url(), timeout, deadline);
    }
    let store = storage.store(url)?;
    let path = url.path();
    let begin = async move { store.put_multipart(&path).await };
    start(rt, begin, url.url(), timeout, deadline)
}

/// Starts the multipart upload `begin` makes, named `name` in errors; `timeout` bounds the
/// start, `deadline` each part.
fn start(
    rt: Arc<Runtime>,
    begin: impl Future<Output = object_store::Result<Box<dyn MultipartUpload>>>,
    name: String,
    timeout: Duration,
    deadline: Duration,
) -> Result<ObjectWriter> {
    let started = rt.block_on(async { tokio::time::timeout(timeout, begin).await });
    let upload = match started {
        Err(_) => return Err(timed_out("starting the upload of", &name, timeout)),
        Ok(r) => r.map_err(|e| store_error("writing", &name, e))?,
    };
    Ok(ObjectWriter {
        rt,
        url: name,
        upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
        deadline,
        written: 0,
    })
}

impl ObjectWriter {
    /// The object's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends `buf`; waits while [`PARTS_IN_FLIGHT`] parts upload, so at most that many
    /// parts and the one filling are held in memory.
    pub fn write(&mut self, buf: &[u8]) -> Result<()> {
        let Some(up) = self.upload.as_mut() else {
            return Err(Error::io(
                format!("writing {}", self.url),
                io::Error::other("the upload has ended"),
            ));
        };
        let deadline = self.deadline;
        let waited = self.rt.block_on(async {
            tokio::time::timeout(deadline, up.wait_for_capacity(PARTS_IN_FLIGHT)).await
        });
        match waited {
            Err(_) => return Err(timed_out("uploading a part of", &self.url, deadline)),
            Ok(Err(e)) => return Err(store_error("writing", &self.url, e)),
            Ok(Ok(())) => {}
        }
        // A full part is handed to a task of the runtime at once.
        let _inside = self.rt.enter();
        up.write(buf);
        self.written += buf.len() as u64;
        Ok(())
    }

    /// Uploads the last part and completes the upload: the object appears, whole.
    pub fn finish(mut self) -> Result<u64> {
        // The parts in flight first, while the upload is still ours to abort (an error or a
        // timeout returns here, and the drop aborts it).
        if let Some(up) = self.upload.as_mut() {
            let deadline = self.deadline;
            let waited = self
                .rt
                .block_on(async { tokio::time::timeout(deadline, up.wait_for_capacity(0)).await });
            match waited {
                Err(_) => return Err(timed_out("uploading a part of", &self.url, deadline)),
                Ok(Err(e)) => return Err(store_error("writing", &self.url, e)),
                Ok(Ok(())) => {}
            }
        }
        let Some(up) = self.upload.take() else {
            return Err(Error::io(
                format!("writing {}", self.url),
                io::Error::other("the upload has ended"),
            ));
        };
        // The last part and the completion.
        let deadline = self.deadline * 2;
        let done = self
            .rt
            .block_on(async { tokio::time::timeout(deadline, up.finish()).await });
        match done {
            Ok(Ok(_)) => Ok(self.written),
            Ok(Err(e)) => Err(store_error("writing", &self.url, e)),
            // Only the last part and the completion can time out here; a bucket lifecycle rule
            // for incomplete uploads clears what such a rare failure leaves.
            Err(_) => Err(timed_out("completing the upload of", &self.url, deadline)),
        }
    }

    /// Aborts the upload: the parts uploaded so far are discarded, no object appears.
    pub fn abort(mut self) -> Result<()> {
        self.abort_inner()
    }

    fn abort_inner(&mut self) -> Result<()> {
        let Some(up) = self.upload.take() else {
            return Ok(());
        };
        let deadline = self.deadline;
        let done = self
            .rt
            .block_on(async { tokio::time::timeout(deadline, up.abort()).await });
        match done {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(store_error("aborting the upload of", &self.url, e)),
            Err(_) => Err(timed_out("aborting the upload of", &self.url, deadline)),
        }
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        let _ = self.abort_inner();
    }
}

impl io::Write for ObjectWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ObjectWriter::write(self, buf).map_err(crate::go::tar::to_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Uploads the local file `path` to `url` (streamed in parts; the object appears only once
/// the whole file is uploaded and `keep` agreed; `stop`, asked after every block, and `keep`
/// abort it with their error). Returns the bytes uploaded.
pub fn upload_file(
    storage: &Storage,
    path: &Path,
    url: &ObjectUrl,
    stop: &dyn Fn() -> Result<()>,
    keep: &dyn Fn() -> Result<()>,
) -> Result<u64> {
    let mut f =
        File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut w = create(storage, url)?;
    let mut buf = vec![0u8; 1 << 20];
    let sent = (|| {
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
            };
            w.write(&buf[..n])?;
            stop()?;
        }
        stop()?;
        keep()
    })();
    match sent {
        Ok(()) => w.finish(),
        Err(e) => {
            // Aborted here, not at some later drop; an abort that fails is said with the cause.
            match w.abort() {
                Ok(()) => Err(e),
                Err(a) => Err(Error::Remote(format!(
                    "{e}; and the upload could not be aborted ({a}): remove the pending multipart upload of {} by hand or with a lifecycle rule",
                    url.url()
                ))),
            }
        }
    }
}

/// One object of a listing: its URL, size and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its entity tag, when the store gives one.
    pub e_tag: Option<String>,
    /// When it was last written.
    pub last_modified: SystemTime,
}

/// Every object below the prefix `url` (recursively), in the store's order. A listing that
/// fails or stalls is an error as a whole (never a partial list).
pub fn list(storage: &Storage, url: &ObjectUrl) -> Result<Vec<Listed>> {
    let listed = storage.list_objects(url, |meta: ObjectMeta| Listed {
        key: meta.location.to_string(),
        size: meta.size,
        e_tag: meta.e_tag,
        last_modified: meta.last_modified.into(),
    })?;
    let timeout = storage.options().timeout;
    match listed {
        Ok(l) => Ok(l),
        Err(None) => Err(timed_out("listing", &url.url(), timeout)),
        Err(Some(e)) => Err(store_error("listing", &url.url(), e)),
    }
}

/// Deletes the object at `url`.
pub fn delete(storage: &Storage, url: &ObjectUrl) -> Result<()> {
    let store = storage.store(url)?;
    let path = url.path();
    let timeout = storage.options().timeout;
    let done = storage
        .runtime()
        .block_on(async { tokio::time::timeout(timeout, store.delete(&path)).await });
    match done {
        Err(_) => Err(timed_out("deleting", &url.url(), timeout)),
        Ok(r) => r.map_err(|e| store_error("deleting", &url.url(), e)),
    }
}

/// Verifies the object at `url` with every check, streamed.
pub fn verify_object(storage: &Storage, url: &ObjectUrl) -> Result<verify::Verified> {
    let reader = storage.open(&url.url())?;
    let opts = VerifyOptions::default();
    verify::check_with(|o, s| archive::read_archive(reader, o, s), &opts)
}

/// What a save to object storage produced.
#[derive(Debug, Clone)]
pub struct SavedObject {
    /// The object written.
    pub url: ObjectUrl,
    /// The snapshot as read while it downloaded.
    pub snapshot: Snapshot,
    /// `X-Consul-Index` of the response.
    pub consul_index: Option<u64>,
    /// Warnings of the verification.
    pub warnings: Vec<String>,
    /// Bytes downloaded (and uploaded).
    pub bytes: u64,
    /// Wall time of the transfer and verification.
    pub elapsed: Duration,
}

/// Feeds what the verifier reads into the upload.
struct TeeUpload<R> {
    inner: R,
    out: Arc<Mutex<Option<ObjectWriter>>>,
    counted: Arc<AtomicU64>,
    reading: String,
}

impl<R: Read> Read for TeeUpload<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => return Err(crate::go::tar::to_io(Error::io(self.reading.clone(), e))),
        };
        if n > 0 {
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            match out.as_mut() {
                Some(w) => w.write(&buf[..n]).map_err(crate::go::tar::to_io)?,
                None => return Err(io::Error::other("the upload has ended")),
            }
            self.counted.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Downloads a snapshot from Consul (`GET /v1/snapshot`) straight into the object `url`,
/// verifying it in the same pass; the upload is completed only if every check passed (and
/// `before_keep` agreed), and aborted otherwise, so nothing else is ever visible.
pub fn save_to_object(
    client: &Client,
    opts: &SaveOptions<'_>,
    storage: &Storage,
    url: &ObjectUrl,
) -> Result<SavedObject> {
    let start = Instant::now();
    let client = transfer::transfer_client(client, &opts.cancel);
    let cancelled = || transfer::was_cancelled(&opts.cancel);
    let slot: Arc<Mutex<Option<ObjectWriter>>> = Arc::new(Mutex::new(None));
    let result = (|| {
        let transfer::Download {
            body,
            consul_index,
            reading,
        } = transfer::get_snapshot(&client, opts.stale)?;
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(create(storage, url)?);
        let counted = opts.progress.clone().unwrap_or_default();
        counted.store(0, Ordering::Relaxed);
        let tee = TeeUpload {
            inner: body,
            out: slot.clone(),
            counted: counted.clone(),
            reading,
        };
        let (snapshot, warnings) = transfer::verify_sent(tee, opts.before_keep)?;
        if cancelled() {
            return Err(transfer::cancelled("saving the snapshot"));
        }
        let writer = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        let writer = writer.ok_or_else(|| Error::Remote("the upload was lost".into()))?;
        let bytes = writer.finish()?;
        Ok(SavedObject {
            url: url.clone(),
            snapshot,
            consul_index,
            warnings,
            bytes,
            elapsed: start.elapsed(),
        })
    })();
    // Whatever failed, the upload is aborted before this returns (not at some later drop).
    let left = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    let aborted = left.map(ObjectWriter::abort);
    match (result, aborted) {
        (Err(_), _) if cancelled() => Err(transfer::cancelled("saving the snapshot")),
        (Err(e), Some(Err(a))) => Err(Error::Remote(format!(
            "{e}; and the upload could not be aborted ({a}): remove the pending multipart upload of {} by hand or with a lifecycle rule",
            url.url()
        ))),
        (r, _) => r,
    }
}

/// Saves through a local scratch directory, as the Enterprise agent's `local_scratch_path`
/// does: the snapshot is downloaded and verified into `scratch` (atomically, as `save`), then
/// uploaded to `url`, then the scratch file is removed (also when the upload fails).
pub fn save_via_scratch(
    client: &Client,
    opts: &SaveOptions<'_>,
    storage: &Storage,
    url: &ObjectUrl,
    scratch: &Path,
) -> Result<SavedObject> {
    std::fs::create_dir_all(scratch)
        .map_err(|e| Error::io(format!("creating {}", scratch.display()), e))?;
    let name = url.key.rsplit('/').next().unwrap_or("snapshot.snap");
    let name = if name.is_empty() {
        "snapshot.snap"
    } else {
        name
    };
    // In the temp files' pattern, so that a run killed during the upload leaves a file the
    // next start removes.
    let local = scratch.join(format!(
        ".snapinspect-{}-scratch-{name}.tmp",
        std::process::id()
    ));
    let saved = transfer::save_into(client, opts, scratch, |_| local.clone())?;
    // The stop flag (a signal, or the lock lost) is asked after every block and `before_keep`
    // (the leader lock) again before the upload completes: either aborts the upload.
    let stop = || {
        if transfer::was_cancelled(&opts.cancel) {
            return Err(transfer::cancelled("uploading the snapshot"));
        }
        Ok(())
    };
    let keep = || {
        opts.before_keep
            .map_or(Ok(()), |check| check(&saved.snapshot))
    };
    let uploaded = upload_file(storage, &saved.path, url, &stop, &keep);
    let removed = std::fs::remove_file(&saved.path);
    let bytes = uploaded?;
    removed.map_err(|e| Error::io(format!("removing {}", saved.path.display()), e))?;
    Ok(SavedObject {
        url: url.clone(),
        snapshot: saved.snapshot,
        consul_index: saved.consul_index,
        warnings: saved.warnings,
        bytes,
        elapsed: saved.elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use object_store::memory::InMemory;
    use object_store::ObjectStore;

    fn writer(store: &InMemory, rt: &Arc<Runtime>, key: &str) -> ObjectWriter {
        let path = object_store::path::Path::from(key);
        let d = Duration::from_secs(10);
        let begin = store.put_multipart(&path);
        start(rt.clone(), begin, format!("mem://{key}"), d, d).unwrap()
    }

    fn keys(store: &InMemory, rt: &Runtime) -> Vec<(String, u64)> {
        rt.block_on(async {
            let mut l = store.list(None);
            let mut out = Vec::new();
            while let Some(m) = l.next().await {
                let m = m.unwrap();
                out.push((m.location.to_string(), m.size));
            }
            out
        })
    }

    /// Parts go up as they fill; the object appears only when finished, whole; a writer
    /// dropped or aborted part-way leaves nothing.
    /// A stop during the upload of a scratch file, or a lock that `keep` finds lost at the
    /// end, aborts it: no object is left; with neither, the object is whole.
    #[test]
    fn a_scratch_upload_stopped_or_refused_leaves_no_object() {
        let storage = Storage::new(crate::live::storage::StorageOptions::default()).unwrap();
        let mem = Arc::new(InMemory::new());
        let url = ObjectUrl::parse("s3://b/consul-1.snap").unwrap();
        storage.set_store(&url, mem.clone());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("scratch.snap");
        std::fs::write(&file, vec![7u8; 3 << 20]).unwrap();
        let ok = || Ok(());
        let lost = || Err(Error::Remote("the lock passed to another session".into()));
        let blocks = std::cell::Cell::new(0);
        let stop_after_one = || {
            blocks.set(blocks.get() + 1);
            if blocks.get() > 1 {
                Err(Error::Remote("stopped".into()))
            } else {
                Ok(())
            }
        };
        let rt = storage.runtime().clone();
        let e = upload_file(&storage, &file, &url, &stop_after_one, &ok).unwrap_err();
        assert!(e.to_string().contains("stopped"), "{e}");
        assert_eq!(keys(&mem, &rt), vec![]);
        let e = upload_file(&storage, &file, &url, &ok, &lost).unwrap_err();
        assert!(e.to_string().contains("another session"), "{e}");
        assert_eq!(keys(&mem, &rt), vec![]);
        assert_eq!(
            upload_file(&storage, &file, &url, &ok, &ok).unwrap(),
            3 << 20
        );
        assert_eq!(
            keys(&mem, &rt),
            vec![("consul-1.snap".to_string(), 3 << 20)]
        );
    }

    #[test]
    fn an_object_appears_only_when_finished() {
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        );
        let store = InMemory::new();
        let chunk = vec![7u8; 1 << 20];
        let mut w = writer(&store, &rt, "a/whole.snap");
        for _ in 0..20 {
            w.write(&chunk).unwrap();
        }
        assert_eq!(w.written(), 20 << 20);
        assert!(
            keys(&store, &rt).is_empty(),
            "visible before it was finished"
        );
        assert_eq!(w.finish().unwrap(), 20 << 20);
        assert_eq!(keys(&store, &rt), [("a/whole.snap".to_string(), 20 << 20)]);

        let mut w = writer(&store, &rt, "a/dropped.snap");
        for _ in 0..9 {
            w.write(&chunk).unwrap();
        }
        drop(w);
        let mut w = writer(&store, &rt, "a/aborted.snap");
        w.write(&chunk).unwrap();
        w.abort().unwrap();
        assert_eq!(keys(&store, &rt).len(), 1);
    }
}
