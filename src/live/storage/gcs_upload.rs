//! Google Cloud Storage uploads by the JSON API's resumable upload, hand-written: object_store's
//! GCS multipart upload speaks the XML API's multipart uploads, which the emulators do not
//! implement (fake-gcs-server, fsouza/fake-gcs-server#852), while the JSON API's resumable
//! upload is Google's documented way to stream a large object of unknown size (and the one
//! fake-gcs-server implements: `resumableUpload`, `uploadFileContent` and
//! `deleteResumableUpload` in fsouza/fake-gcs-server `fakestorage/upload.go`).
//!
//! The protocol (Google's "Perform resumable uploads", cloud.google.com/storage/docs/
//! performing-resumable-uploads): `POST {base}/upload/storage/v1/b/{bucket}/o?uploadType=
//! resumable&name={name}` answers with the session URI in `Location`; each chunk is a `PUT` to
//! it with `Content-Range: bytes A-B/*`, a multiple of 256 KiB except the last, answered `308`
//! with `Range: bytes=0-N` (what was persisted) while more is expected; the object appears when
//! the total is given (`bytes A-B/TOTAL` on the last chunk, or an empty `bytes */TOTAL`, as the
//! Go client ends a stream), answered 200 or 201; a `DELETE` of the session URI cancels it
//! (answered 499). [`ResumableUpload`] is object_store's [`MultipartUpload`] over that, so
//! `WriteMultipart`, the bounded parts in flight and abort-on-invalid stay as for S3 and Azure:
//! parts are numbered as they are handed over and each one's request waits for the one before.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use object_store::gcp::GcpCredentialProvider;
use object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};
use tokio::sync::oneshot;

use super::{env, gcs, one_line, StorageOptions};
use crate::error::{Error, Result};

/// Chunks other than the last must be a multiple of this (256 KiB).
pub const CHUNK_ALIGN: u64 = 256 << 10;

/// Google's endpoint when no emulator is named.
const GOOGLE: &str = "https://storage.googleapis.com";

/// How many times a chunk may be only partly persisted (the store keeps a prefix and asks for
/// the rest) before the upload is given up.
const SHORT_WRITES: usize = 3;

fn failed(msg: impl Into<String>) -> object_store::Error {
    object_store::Error::Generic {
        store: "GCS",
        source: msg.into().into(),
    }
}

/// What starts resumable uploads into one bucket.
#[derive(Debug, Clone)]
pub struct Uploader {
    http: reqwest::Client,
    base: String,
    bucket: String,
    /// `None` with an emulator (no authentication, as the client libraries do).
    auth: Option<GcpCredentialProvider>,
    timeout: Duration,
    part_timeout: Duration,
}

impl Uploader {
    /// An uploader for `bucket`: `STORAGE_EMULATOR_HOST`'s emulator without credentials, or
    /// Google with a bearer token from object_store's GCS credential chain (`gcs::build`).
    /// `part_timeout` bounds each chunk's request, the storage timeout every other request.
    pub fn new(bucket: &str, opts: &StorageOptions, part_timeout: Duration) -> Result<Uploader> {
        match env("STORAGE_EMULATOR_HOST") {
            Some(host) => Uploader::at(&gcs::emulator_url(&host), bucket, None, opts, part_timeout),
            None => {
                let store = gcs::build(bucket, opts)?;
                let auth = Some(store.credentials().clone());
                Uploader::at(GOOGLE, bucket, auth, opts, part_timeout)
            }
        }
    }

    /// An uploader for `bucket` at the endpoint `base` (`http://127.0.0.1:4443` for an
    /// emulator), with `auth`'s bearer tokens or none.
    pub fn at(
        base: &str,
        bucket: &str,
        auth: Option<GcpCredentialProvider>,
        opts: &StorageOptions,
        part_timeout: Duration,
    ) -> Result<Uploader> {
        // reqwest is built without a crypto provider and panics without one: ring, as
        // `Storage::new` installs it (an error means one is installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
            .build()
            .map_err(|e| Error::Usage(format!("gs://{bucket}: {}", one_line(e))))?;
        Ok(Uploader {
            http,
            base: base.trim_end_matches('/').to_string(),
            bucket: bucket.to_string(),
            auth,
            timeout: opts.timeout,
            part_timeout,
        })
    }

    /// Starts a resumable upload session for the object `name`; nothing is visible yet.
    pub async fn begin(&self, name: &str) -> object_store::Result<ResumableUpload> {
        let mut url = reqwest::Url::parse(&self.base)
            .map_err(|e| failed(format!("{}: {}", self.base, one_line(e))))?;
        url.path_segments_mut()
            .map_err(|_| failed(format!("{}: not a base URL", self.base)))?
            .pop_if_empty()
            .extend(["upload", "storage", "v1", "b", &self.bucket, "o"]);
        url.query_pairs_mut()
            .append_pair("uploadType", "resumable")
            .append_pair("name", name);
        let req = self
            .http
            .post(url)
            .header("X-Upload-Content-Type", "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .timeout(self.timeout);
        let resp = send(req, self.auth.as_ref(), "starting the upload").await?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let what = if status == 404 {
                format!("no such bucket {}", self.bucket)
            } else {
                "starting the upload".to_string()
            };
            return Err(refused(&what, resp).await);
        }
        // The session URI (absolute from Google; a relative one is taken as HTTP does).
        let Some(session) = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| resp.url().join(v).ok())
            .map(String::from)
        else {
            return Err(failed("starting the upload: no session URI in the answer"));
        };
        Ok(ResumableUpload {
            session: Arc::new(Session {
                http: self.http.clone(),
                uri: session,
                auth: self.auth.clone(),
                timeout: self.timeout,
                part_timeout: self.part_timeout,
            }),
            offset: 0,
            closed: false,
            turn: None,
            done: Arc::new(Mutex::new(None)),
        })
    }
}

/// Sends `req` with the bearer token, if any.
async fn send(
    req: reqwest::RequestBuilder,
    auth: Option<&GcpCredentialProvider>,
    doing: &str,
) -> object_store::Result<reqwest::Response> {
    let req = match auth {
        Some(a) => req.bearer_auth(&a.get_credential().await?.bearer),
        None => req,
    };
    req.send().await.map_err(|e| {
        let why = if e.is_timeout() {
            "no answer in time".to_string()
        } else {
            // Without the URL: a session URI is as good as a credential for its upload.
            one_line(e.without_url())
        };
        failed(format!("{doing}: {why}"))
    })
}

/// At most `limit` bytes of an answer's body (the rest is not read).
async fn body_prefix(mut resp: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match resp.chunk().await {
            Ok(Some(c)) => out.extend_from_slice(&c[..c.len().min(limit - out.len())]),
            _ => break,
        }
    }
    out
}

/// An answer that is not the one expected, as an error naming the status and Google's message.
async fn refused(doing: &str, resp: reqwest::Response) -> object_store::Error {
    let status = resp.status();
    let body = String::from_utf8_lossy(&body_prefix(resp, 4096).await).into_owned();
    // Google's JSON errors: {"error": {"code": 403, "message": "..."}}.
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or(body);
    let mut message = one_line(message);
    if message.len() > 200 {
        let mut cut = 200;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    let text = if message.is_empty() {
        format!("{doing}: HTTP {status}")
    } else {
        format!("{doing}: HTTP {status}: {message}")
    };
    match status.as_u16() {
        401 => object_store::Error::Unauthenticated {
            path: String::new(),
            source: text.into(),
        },
        403 => object_store::Error::PermissionDenied {
            path: String::new(),
            source: text.into(),
        },
        _ => failed(text),
    }
}

/// The end of what the store has persisted, from a 308's `Range: bytes=0-N` (none: nothing).
fn persisted(resp: &reqwest::Response) -> Option<u64> {
    match resp.headers().get(reqwest::header::RANGE) {
        None => Some(0),
        Some(v) => parse_range(v.to_str().ok()?),
    }
}

/// `bytes=0-N` as N + 1.
fn parse_range(v: &str) -> Option<u64> {
    let v = v.trim();
    let rest = v
        .strip_prefix("bytes=")
        .or_else(|| v.strip_prefix("bytes "))?;
    let (from, to) = rest.split_once('-')?;
    if from.trim() != "0" {
        return None;
    }
    to.trim().parse::<u64>().ok()?.checked_add(1)
}

/// The object as the final answer describes it (JSON API object resource).
async fn put_result(resp: reqwest::Response) -> PutResult {
    let body = body_prefix(resp, 64 << 10).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    PutResult {
        e_tag: v["etag"].as_str().map(str::to_string),
        version: v["generation"].as_str().map(str::to_string),
        extensions: Default::default(),
    }
}

/// One session, shared by the parts' requests; its URI authorises writing the object, so
/// Debug leaves it out.
struct Session {
    http: reqwest::Client,
    uri: String,
    auth: Option<GcpCredentialProvider>,
    timeout: Duration,
    part_timeout: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("uri", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("part_timeout", &self.part_timeout)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Sends `body` as the bytes from `start`, with the object's `total` size when it is the
    /// last chunk; returns the object once the store has completed it.
    async fn put_chunk(
        &self,
        start: u64,
        body: Bytes,
        total: Option<u64>,
    ) -> object_store::Result<Option<PutResult>> {
        let end = start + body.len() as u64;
        let total_text = total.map_or("*".to_string(), |t| t.to_string());
        let mut from = start;
        let mut short = 0;
        loop {
            let chunk = body.slice((from - start) as usize..);
            let range = format!("bytes {from}-{}/{total_text}", end - 1);
            let req = self
                .http
                .put(&self.uri)
                .header(reqwest::header::CONTENT_RANGE, range)
                .timeout(self.part_timeout)
                .body(chunk);
            let resp = send(req, self.auth.as_ref(), "uploading a part").await?;
            match resp.status().as_u16() {
                200 | 201 if total.is_some() => return Ok(Some(put_result(resp).await)),
                200 | 201 => {
                    return Err(failed(
                        "uploading a part: the store completed the object before its end",
                    ))
                }
                308 => {
                    let Some(got) = persisted(&resp) else {
                        return Err(failed(
                            "uploading a part: an unreadable Range in the answer",
                        ));
                    };
                    if got == end {
                        return match total {
                            None => Ok(None),
                            // All there but not completed: complete it.
                            Some(t) => self.finalize(t).await.map(Some),
                        };
                    }
                    if got < from || got > end {
                        return Err(failed(format!(
                            "uploading a part: the store has {got} bytes, {from} were expected"
                        )));
                    }
                    short += 1;
                    if short > SHORT_WRITES {
                        return Err(failed(format!(
                            "uploading a part: the store kept only {got} of {end} bytes"
                        )));
                    }
                    from = got;
                }
                _ => return Err(refused("uploading a part", resp).await),
            }
        }
    }

    /// Completes the object at `total` bytes with an empty last chunk (`bytes */TOTAL`).
    async fn finalize(&self, total: u64) -> object_store::Result<PutResult> {
        let req = self
            .http
            .put(&self.uri)
            .header(reqwest::header::CONTENT_RANGE, format!("bytes */{total}"))
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .timeout(self.timeout);
        let resp = send(req, self.auth.as_ref(), "completing the upload").await?;
        match resp.status().as_u16() {
            200 | 201 => Ok(put_result(resp).await),
            308 => Err(failed(format!(
                "completing the upload: the store has only {} of {total} bytes",
                persisted(&resp).unwrap_or(0)
            ))),
            _ => Err(refused("completing the upload", resp).await),
        }
    }

    /// Cancels the session (answered 499; a session already gone, 404 or 410, is as good).
    async fn cancel(&self) -> object_store::Result<()> {
        let req = self
            .http
            .delete(&self.uri)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .timeout(self.timeout);
        let resp = send(req, self.auth.as_ref(), "cancelling the upload").await?;
        match resp.status().as_u16() {
            499 | 200..=299 | 404 | 410 => Ok(()),
            _ => Err(refused("cancelling the upload", resp).await),
        }
    }
}

/// A resumable upload in progress: object_store's [`MultipartUpload`] whose parts go up one
/// after another, in the order they were handed over.
#[derive(Debug)]
pub struct ResumableUpload {
    session: Arc<Session>,
    /// Bytes handed over in parts so far.
    offset: u64,
    /// A part shorter than a multiple of [`CHUNK_ALIGN`] was handed over: it is the last.
    closed: bool,
    /// Says whether the part handed over last went up (the next part waits for it).
    turn: Option<oneshot::Receiver<bool>>,
    /// The object, once a last part completed it.
    done: Arc<Mutex<Option<PutResult>>>,
}

/// What object_store's `#[async_trait]` methods return.
type Boxed<'a, T> = Pin<Box<dyn Future<Output = object_store::Result<T>> + Send + 'a>>;

// The trait's async methods written out as `#[async_trait]` declares them (object_store
// `src/upload.rs`), so no macro crate is needed for three methods.
impl MultipartUpload for ResumableUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let start = self.offset;
        let len = data.content_length() as u64;
        self.offset += len;
        let after_last = self.closed;
        // Only the last chunk may be other than a multiple of 256 KiB (WriteMultipart hands
        // over full parts but the last), and it carries the total, completing the object.
        let last = len % CHUNK_ALIGN != 0;
        self.closed |= last;
        let before = self.turn.take();
        let (tx, rx) = oneshot::channel();
        self.turn = Some(rx);
        let session = self.session.clone();
        let done = self.done.clone();
        Box::pin(async move {
            if after_last {
                let _ = tx.send(false);
                return Err(failed("uploading a part: a part after the last one"));
            }
            if let Some(b) = before {
                if b.await != Ok(true) {
                    let _ = tx.send(false);
                    return Err(failed("uploading a part: an earlier part failed"));
                }
            }
            if len == 0 {
                let _ = tx.send(true);
                return Ok(());
            }
            let total = last.then_some(start + len);
            match session.put_chunk(start, Bytes::from(data), total).await {
                Ok(object) => {
                    if let Some(o) = object {
                        *done.lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
                    }
                    let _ = tx.send(true);
                    Ok(())
                }
                Err(e) => {
                    let _ = tx.send(false);
                    Err(e)
                }
            }
        })
    }

    fn complete<'life0, 'async_trait>(&'life0 mut self) -> Boxed<'async_trait, PutResult>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.complete_now())
    }

    fn abort<'life0, 'async_trait>(&'life0 mut self) -> Boxed<'async_trait, ()>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.abort_now())
    }
}

impl ResumableUpload {
    async fn complete_now(&mut self) -> object_store::Result<PutResult> {
        if let Some(t) = self.turn.take() {
            if t.await != Ok(true) {
                return Err(failed("completing the upload: a part failed"));
            }
        }
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner()).take();
        match done {
            Some(o) => Ok(o),
            None => self.session.finalize(self.offset).await,
        }
    }

    async fn abort_now(&mut self) -> object_store::Result<()> {
        // A completed object cannot be taken back; anything else is cancelled.
        if self
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            return Ok(());
        }
        self.session.cancel().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_the_store_answers_them() {
        assert_eq!(parse_range("bytes=0-262143"), Some(262_144));
        assert_eq!(parse_range("bytes=0-0"), Some(1));
        assert_eq!(parse_range("bytes=5-9"), None);
        assert_eq!(parse_range("nonsense"), None);
        assert_eq!(parse_range("bytes=0-18446744073709551615"), None);
    }

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// What the scripted store saw: `METHOD Content-Range body-length`.
    type Seen = Arc<Mutex<Vec<String>>>;

    /// A store on 127.0.0.1 answering each request by `answer(method, content_range, body)`
    /// with (status, extra headers, body); its base URL and what it saw.
    fn scripted(
        answer: impl Fn(&str, &str, &[u8]) -> (u16, String, String) + Send + 'static,
    ) -> (String, Seen) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        let seen: Seen = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(c) = c else { return };
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut w = c;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let method = line.split(' ').next().unwrap_or("").to_string();
                    let (mut len, mut range) = (0usize, String::new());
                    loop {
                        let mut h = String::new();
                        r.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        match k.to_ascii_lowercase().as_str() {
                            "content-length" => len = v.trim().parse().unwrap(),
                            "content-range" => range = v.trim().to_string(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0u8; len];
                    r.read_exact(&mut body).unwrap();
                    log.lock().unwrap().push(format!("{method} {range} {len}"));
                    let (status, headers, text) = answer(&method, &range, &body);
                    let head = format!(
                        "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\n\r\n{text}",
                        text.len()
                    );
                    w.write_all(head.as_bytes()).unwrap();
                }
            }
        });
        (base, seen)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn uploader(base: &str) -> Uploader {
        let opts = StorageOptions {
            timeout: Duration::from_secs(10),
            ..Default::default()
        };
        Uploader::at(base, "b", None, &opts, Duration::from_secs(10)).unwrap()
    }

    /// A chunk the store keeps only part of (308 with a shorter Range) is sent again from
    /// where the store stopped; a stream of whole chunks is completed by `bytes */TOTAL`.
    #[test]
    fn a_partly_kept_chunk_is_resent_from_where_the_store_stopped() {
        let half = CHUNK_ALIGN / 2;
        let (base, seen) = scripted(move |method, range, _| match (method, range) {
            ("POST", _) => (200, "Location: /SESSION\r\n".into(), String::new()),
            ("PUT", r) if r.starts_with("bytes 0-") => (
                308,
                format!("Range: bytes=0-{}\r\n", half - 1),
                String::new(),
            ),
            ("PUT", r) if r.ends_with("/*") => (
                308,
                format!("Range: bytes=0-{}\r\n", CHUNK_ALIGN - 1),
                String::new(),
            ),
            ("PUT", _) => (
                200,
                String::new(),
                r#"{"etag":"E","generation":"7"}"#.into(),
            ),
            _ => (400, String::new(), "unexpected".into()),
        });
        let rt = runtime();
        let mut session = rt.block_on(uploader(&base).begin("dir/x.snap")).unwrap();
        assert_eq!(session.session.uri, format!("{base}/SESSION"));
        rt.block_on(session.put_part(PutPayload::from(vec![1u8; CHUNK_ALIGN as usize])))
            .unwrap();
        let done = rt.block_on(session.complete_now()).unwrap();
        assert_eq!(done.e_tag.as_deref(), Some("E"));
        assert_eq!(done.version.as_deref(), Some("7"));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "POST  0".to_string(),
                format!("PUT bytes 0-{}/* {}", CHUNK_ALIGN - 1, CHUNK_ALIGN),
                format!("PUT bytes {half}-{}/* {half}", CHUNK_ALIGN - 1),
                format!("PUT bytes */{CHUNK_ALIGN} 0"),
            ]
        );
    }

    /// A short part is the last: it carries the total and completes the object, so
    /// completing sends nothing more; a part after it, or after a failed one, fails.
    #[test]
    fn the_short_last_part_carries_the_total() {
        let (base, seen) = scripted(|method, range, _| match (method, range) {
            ("POST", _) => (200, "Location: /session\r\n".into(), String::new()),
            ("PUT", r) if r.ends_with("/*") => (
                308,
                format!("Range: bytes=0-{}\r\n", CHUNK_ALIGN - 1),
                String::new(),
            ),
            ("PUT", _) => (200, String::new(), "{}".into()),
            _ => (503, String::new(), "no".into()),
        });
        let rt = runtime();
        let mut session = rt.block_on(uploader(&base).begin("x")).unwrap();
        let a = session.put_part(PutPayload::from(vec![1u8; CHUNK_ALIGN as usize]));
        let b = session.put_part(PutPayload::from(vec![2u8; 100]));
        // Polled together, the second first: it waits for the first.
        let (b, a) = rt.block_on(async { futures_util::future::join(b, a).await });
        a.unwrap();
        b.unwrap();
        rt.block_on(session.complete_now()).unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen[1..],
            [
                format!("PUT bytes 0-{}/* {CHUNK_ALIGN}", CHUNK_ALIGN - 1),
                format!(
                    "PUT bytes {CHUNK_ALIGN}-{}/{} 100",
                    CHUNK_ALIGN + 99,
                    CHUNK_ALIGN + 100
                ),
            ]
        );
        let c = session.put_part(PutPayload::from(vec![3u8; 5]));
        assert!(rt.block_on(c).is_err(), "a part after the last one went up");
    }

    /// A part whose request fails fails the ones after it, and completing, without sending
    /// them.
    #[test]
    fn a_failed_part_stops_the_rest() {
        let (base, seen) = scripted(|method, _, _| match method {
            "POST" => (200, "Location: /s\r\n".into(), String::new()),
            _ => (503, String::new(), "busy".into()),
        });
        let rt = runtime();
        let mut session = rt.block_on(uploader(&base).begin("x")).unwrap();
        let a = session.put_part(PutPayload::from(vec![1u8; CHUNK_ALIGN as usize]));
        let b = session.put_part(PutPayload::from(vec![2u8; CHUNK_ALIGN as usize]));
        let e = rt.block_on(a).unwrap_err().to_string();
        assert!(e.contains("uploading a part: HTTP 503"), "{e}");
        assert!(rt.block_on(b).is_err());
        assert!(rt.block_on(session.complete_now()).is_err());
        assert_eq!(
            seen.lock().unwrap().len(),
            2,
            "a part after a failed one was sent"
        );
    }

    /// Refusals are one-line errors naming the status and Google's message; a missing bucket
    /// says so.
    #[test]
    fn refusals_are_one_line() {
        let (base, _) = scripted(|_, _, _| {
            (
                404,
                String::new(),
                r#"{"error":{"code":404,"message":"The specified bucket\ndoes not exist."}}"#
                    .into(),
            )
        });
        let rt = runtime();
        let e = rt
            .block_on(uploader(&base).begin("x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such bucket b: HTTP 404"), "{e}");
        assert!(e.contains("The specified bucket does not exist."), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn parts_are_whole_chunks() {
        assert_eq!(crate::live::upload::PART_SIZE as u64 % CHUNK_ALIGN, 0);
    }
}
