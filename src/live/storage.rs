//! Snapshots in object storage: `s3://bucket/key`, `az://container/blob` and
//! `gs://bucket/object` URLs read as streams, and prefixes (`s3://bucket/prefix/`) listed for
//! the `.snap` objects below them.
//!
//! The rest of the crate is synchronous; the clients (object_store) are asynchronous, so they
//! run here, at the edge, on a small tokio runtime of their own. An object is read through a
//! bounded channel of chunks fed by the download, so memory stays bounded whatever the size;
//! every network call has a deadline. Credentials and endpoints come from the variables each
//! cloud's own CLI reads (`docs/STORAGE.md`): AWS here and in `aws_profile`, Azure in `azure`,
//! Google Cloud Storage in `gcs`.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
#[cfg(feature = "s3")]
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, GetOptions, ObjectMeta, ObjectStore, RetryConfig};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::live::env;
use crate::snapshot::archive::UrlOpener;

#[cfg(feature = "s3")]
pub mod aws_profile;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "gcs")]
pub mod gcs;
#[cfg(feature = "gcs")]
pub mod gcs_upload;

/// Chunks of an object buffered between the download and the reader.
const CHUNKS: usize = 16;

/// The object stores a URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Amazon S3 and S3-compatible stores: `s3://bucket/key`.
    S3,
    /// Azure Blob Storage: `az://container/blob`.
    Azure,
    /// Google Cloud Storage: `gs://bucket/object`.
    Gcs,
}

impl Scheme {
    /// The URL scheme, as written before `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Azure => "az",
            Scheme::Gcs => "gs",
        }
    }

    fn of(scheme: &str) -> Option<Scheme> {
        [Scheme::S3, Scheme::Azure, Scheme::Gcs]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(scheme))
    }
}

/// An object-store URL (`s3://bucket/key`, `az://container/blob`, `gs://bucket/object`), split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// Which store.
    pub scheme: Scheme,
    /// The bucket (the container, for Azure).
    pub bucket: String,
    /// The object's key, or a prefix (empty, or ending in `/`).
    pub key: String,
}

/// The name the first slice used for [`ObjectUrl`].
pub type S3Url = ObjectUrl;

impl ObjectUrl {
    /// Parses `SCHEME://bucket/key`, `SCHEME://bucket/prefix/` or `SCHEME://bucket`.
    pub fn parse(url: &str) -> Result<ObjectUrl> {
        let Some((scheme_text, rest)) = url.split_once("://") else {
            return Err(Error::Usage(format!("{url}: not an object URL")));
        };
        let Some(scheme) = Scheme::of(scheme_text) else {
            return Err(Error::Unsupported(format!(
                "{url}: {scheme_text}:// URLs are not supported (s3://, az://, gs://)"
            )));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains(|c: char| c.is_control() || c == ' ') {
            let s = scheme.as_str();
            return Err(Error::Usage(format!(
                "{url}: not an object URL ({s}://BUCKET/KEY or {s}://BUCKET/PREFIX/)"
            )));
        }
        Ok(ObjectUrl {
            scheme,
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Whether the URL names a prefix (`s3://bucket/`, `s3://bucket/dir/`), not an object.
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// The URL again, as `SCHEME://bucket/key`.
    pub fn url(&self) -> String {
        format!("{}://{}/{}", self.scheme.as_str(), self.bucket, self.key)
    }

    /// The same store and bucket, another key.
    pub fn with_key(&self, key: impl Into<String>) -> ObjectUrl {
        ObjectUrl {
            scheme: self.scheme,
            bucket: self.bucket.clone(),
            key: key.into(),
        }
    }

    /// The key as object_store's path.
    pub fn path(&self) -> ObjectPath {
        ObjectPath::parse(&self.key).unwrap_or_else(|_| ObjectPath::from(self.key.as_str()))
    }
}

/// How the storage client behaves.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Bounds connecting, every silence while a response streams, and each listing or
    /// request up to its first byte (retries included).
    pub timeout: Duration,
    /// S3 settings given as flags or config (the agent's `-aws-s3-*`); they win over the
    /// environment.
    pub s3: S3Settings,
    /// Azure settings given as flags or config (the agent's `-azure-blob-*`); they win over
    /// the environment.
    pub azure: AzureSettings,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            timeout: Duration::from_secs(30),
            s3: S3Settings::default(),
            azure: AzureSettings::default(),
        }
    }
}

/// S3 settings that override the AWS variables (each `None` or `false` leaves them be).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// The region (`-aws-s3-region`).
    pub region: Option<String>,
    /// The endpoint URL (`-aws-s3-endpoint`), for S3-compatible stores.
    pub endpoint: Option<String>,
    /// Path-style requests (`-aws-s3-force-path-style`).
    pub force_path_style: bool,
    /// Server-side encryption with S3-managed keys, AES256 (`-aws-s3-server-side-encryption`).
    pub server_side_encryption: bool,
    /// Server-side encryption with KMS (`-aws-s3-enable-kms`).
    pub enable_kms: bool,
    /// The KMS key ID (`-aws-s3-kms-key`); the bucket's default key when `None`.
    pub kms_key: Option<String>,
    /// The access key ID (`-aws-access-key-id`).
    pub access_key_id: Option<String>,
    /// The secret access key (`-aws-secret-access-key`); a secret, never printed.
    pub secret_access_key: Option<String>,
    /// The session token (`-aws-session-token`); a secret, never printed.
    pub session_token: Option<String>,
}

/// What a `Debug` impl shows of a secret setting: whether it is set, never its value.
fn redacted(v: &Option<String>) -> Option<&'static str> {
    v.as_ref().map(|_| "<redacted>")
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("force_path_style", &self.force_path_style)
            .field("server_side_encryption", &self.server_side_encryption)
            .field("enable_kms", &self.enable_kms)
            .field("kms_key", &self.kms_key)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .finish()
    }
}

/// Azure Blob settings that override the Azure variables.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AzureSettings {
    /// The storage account (`-azure-blob-account-name`).
    pub account_name: Option<String>,
    /// The account key (`-azure-blob-account-key`); a secret, never printed.
    pub account_key: Option<String>,
    /// The cloud (`-azure-blob-environment`: AzurePublicCloud, AzureUSGovernmentCloud,
    /// AzureChinaCloud, AzureGermanCloud).
    pub environment: Option<String>,
}

impl std::fmt::Debug for AzureSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureSettings")
            .field("account_name", &self.account_name)
            .field("account_key", &redacted(&self.account_key))
            .field("environment", &self.environment)
            .finish()
    }
}

/// An S3 client for snapshot readers: one runtime, one store per bucket.
pub struct Storage {
    rt: Arc<Runtime>,
    opts: StorageOptions,
    stores: Mutex<HashMap<(Scheme, String), Arc<dyn ObjectStore>>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("opts", &self.opts).finish()
    }
}

/// One line, for error messages.
fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The HTTP client of the Azure and GCS stores: the S3 store's deadlines (connecting and each
/// silence bounded by `timeout`, no bound on a whole transfer); plain http when asked for.
#[cfg(any(feature = "azure", feature = "gcs"))]
fn http_client(timeout: Duration, allow_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_timeout_disabled()
        .with_connect_timeout(timeout)
        .with_read_timeout(timeout)
        .with_allow_http(allow_http)
}

/// The S3 store's retries: at most 3, all within `timeout`.
#[cfg(any(feature = "azure", feature = "gcs"))]
fn retry(timeout: Duration) -> RetryConfig {
    RetryConfig {
        max_retries: 3,
        retry_timeout: timeout,
        ..Default::default()
    }
}

impl Storage {
    /// A client with its own small runtime (one worker thread).
    pub fn new(opts: StorageOptions) -> Result<Storage> {
        // reqwest is built without a crypto provider of its own: use ring, as the rest of
        // the crate does (an error means one is installed already, which is as good).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("snapinspect-storage")
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the storage client", e))?;
        Ok(Storage {
            rt: Arc::new(rt),
            opts,
            stores: Mutex::new(HashMap::new()),
        })
    }

    /// An opener for [`crate::snapshot::archive::ReadOptions::opener`].
    pub fn opener(self: &Arc<Self>) -> UrlOpener {
        let me = self.clone();
        UrlOpener(Arc::new(move |url: &str| me.open(url)))
    }

    /// The runtime the client runs on (for callers that drive their own requests).
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.rt
    }

    /// The options this client was made with.
    pub fn options(&self) -> &StorageOptions {
        &self.opts
    }

    /// Puts `store` in place of the one `url`'s bucket would get (tests of the writers).
    #[cfg(test)]
    pub(crate) fn set_store(&self, url: &ObjectUrl, store: Arc<dyn ObjectStore>) {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        stores.insert((url.scheme, url.bucket.clone()), store);
    }

    /// The store (one per scheme and bucket, made on first use) that holds `url`'s object.
    pub fn store(&self, url: &ObjectUrl) -> Result<Arc<dyn ObjectStore>> {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        let id = (url.scheme, url.bucket.clone());
        if let Some(s) = stores.get(&id) {
            return Ok(s.clone());
        }
        let store: Arc<dyn ObjectStore> = match url.scheme {
            #[cfg(feature = "s3")]
            Scheme::S3 => Arc::new(self.s3(&url.bucket)?),
            #[cfg(feature = "azure")]
            Scheme::Azure => Arc::new(azure::build(&url.bucket, &self.opts)?),
            #[cfg(feature = "gcs")]
            Scheme::Gcs => Arc::new(gcs::build(&url.bucket, &self.opts)?),
            #[allow(unreachable_patterns)]
            other => {
                let feature = match other {
                    Scheme::S3 => "s3",
                    Scheme::Azure => "azure",
                    Scheme::Gcs => "gcs",
                };
                return Err(Error::Unsupported(format!(
                    "{}: reading {}:// URLs needs snapinspect built with the `{feature}` feature",
                    url.url(),
                    other.as_str()
                )));
            }
        };
        stores.insert(id, store.clone());
        Ok(store)
    }

    #[cfg(feature = "s3")]
    fn s3(&self, bucket: &str) -> Result<AmazonS3> {
        // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
        // AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, web identity and
        // container credentials...: every AWS_ variable object_store knows (as its
        // `AmazonS3Builder::from_env` reads them); then the AWS_PROFILE's keys and region from
        // the shared files where those leave them unset; then the settings given as flags.
        let set = &self.opts.s3;
        // Keys given as flags replace the variables' and the profile's keys, session token
        // included (a token from the variables belongs to other keys).
        let flag_keys = set.access_key_id.is_some() && set.secret_access_key.is_some();
        let mut b = AmazonS3Builder::new();
        for (k, v) in std::env::vars_os() {
            if let (Some(k), Some(v)) = (k.to_str(), v.to_str()) {
                if !k.starts_with("AWS_") || (flag_keys && k == "AWS_SESSION_TOKEN") {
                    continue;
                }
                if let Ok(key) = k.to_ascii_lowercase().parse() {
                    b = b.with_config(key, v);
                }
            }
        }
        let mut b = aws_profile::apply(b.with_bucket_name(bucket), !flag_keys)?;
        let ignore_endpoints = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        // An endpoint given as a flag wins over the variables (and over the switch that
        // ignores them); the Enterprise agent's -aws-s3-endpoint is a host or a URL.
        let flag_endpoint = set.endpoint.as_ref().map(|e| {
            if e.contains("://") {
                e.clone()
            } else {
                format!("https://{e}")
            }
        });
        let endpoint = if flag_endpoint.is_some() {
            flag_endpoint
        } else if ignore_endpoints {
            None
        } else {
            env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL"))
        };
        if let Some(r) = &set.region {
            b = b.with_region(r);
        }
        if let (Some(id), Some(secret)) = (&set.access_key_id, &set.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
            if let Some(t) = &set.session_token {
                b = b.with_token(t);
            }
        }
        if set.force_path_style {
            b = b.with_virtual_hosted_style_request(false);
        }
        // Server-side encryption as the Enterprise agent asks for it: SSE-S3 (AES256) or
        // SSE-KMS with the bucket's default key or the one named.
        let sse = |b: AmazonS3Builder, v: &str| match "aws_server_side_encryption".parse() {
            Ok(key) => b.with_config(key, v),
            Err(_) => b,
        };
        if set.enable_kms {
            b = match set.kms_key.as_ref().filter(|k| !k.is_empty()) {
                Some(k) => b.with_sse_kms_encryption(k),
                None => sse(b, "aws:kms"),
            };
        } else if set.server_side_encryption {
            b = sse(b, "AES256");
        }
        let mut client = ClientOptions::new()
            .with_timeout_disabled()
            .with_connect_timeout(self.opts.timeout)
            .with_read_timeout(self.opts.timeout);
        if let Some(e) = &endpoint {
            b = b.with_endpoint(e.trim_end_matches('/'));
            // An endpoint given as http:// is asked for (a local emulator, a proxy), as the
            // AWS CLI takes it.
            if e.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
            {
                client = client.with_allow_http(true);
            }
        } else if ignore_endpoints {
            b = b.with_endpoint(format!(
                "https://s3.{}.amazonaws.com",
                set.region
                    .clone()
                    .or_else(|| env("AWS_REGION"))
                    .or_else(|| env("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| "us-east-1".into())
            ));
        }
        if env("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            client = client.with_allow_http(true);
        }
        let s3 = b
            .with_client_options(client)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: self.opts.timeout,
                ..Default::default()
            })
            .build()
            .map_err(|e| Error::Usage(format!("s3://{bucket}: {}", one_line(e))))?;
        Ok(s3)
    }

    /// Maps an object_store error to the crate's: a missing object, bucket or container names
    /// the URL in one line; anything else is an I/O error (exit 4).
    pub fn error(url: &str, e: object_store::Error) -> Error {
        let text = one_line(&e);
        // S3 and GCS (XML API) say NoSuchBucket; Azure says ContainerNotFound.
        let missing_bucket = text.contains("NoSuchBucket") || text.contains("ContainerNotFound");
        let bucket = if url.starts_with("az://") {
            "no such container"
        } else {
            "no such bucket"
        };
        let (kind, what) = match &e {
            object_store::Error::NotFound { .. } if missing_bucket => {
                (io::ErrorKind::NotFound, bucket.to_string())
            }
            object_store::Error::NotFound { .. } => {
                (io::ErrorKind::NotFound, "no such object".to_string())
            }
            _ if missing_bucket => (io::ErrorKind::NotFound, bucket.to_string()),
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => {
                (io::ErrorKind::PermissionDenied, text)
            }
            _ => (io::ErrorKind::Other, text),
        };
        Error::io(format!("reading {url}"), io::Error::new(kind, what))
    }

    /// [`Storage::error`], and a request the HTTP client gave up on for silence is
    /// [`Storage::timed_out`].
    pub fn failed(&self, url: &str, doing: &str, e: object_store::Error) -> Error {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            let http_timeout = s
                .downcast_ref::<object_store::client::HttpError>()
                .is_some_and(|h| h.kind() == object_store::client::HttpErrorKind::Timeout);
            let io_timeout = s
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut);
            if http_timeout || io_timeout {
                return self.timed_out(url, doing);
            }
            source = s.source();
        }
        Storage::error(url, e)
    }

    /// A request that got no answer within the timeout, as the crate's error.
    pub fn timed_out(&self, url: &str, doing: &str) -> Error {
        Error::io(
            format!("reading {url}"),
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{doing}: no answer in {:?}", self.opts.timeout),
            ),
        )
    }

    /// Opens the object at `url` as a stream of its bytes. The request is made here (a missing
    /// object fails now); the body is read as the stream is.
    pub fn open(&self, url: &str) -> Result<Box<dyn Read + Send>> {
        let u = ObjectUrl::parse(url)?;
        if u.is_prefix() {
            return Err(Error::Usage(format!(
                "{url} names a prefix, not an object (verify lists the .snap objects below a prefix)"
            )));
        }
        let store = self.store(&u)?;
        let path = u.path();
        let timeout = self.opts.timeout;
        let got = self.rt.block_on(async {
            tokio::time::timeout(timeout, store.get_opts(&path, GetOptions::default())).await
        });
        let got = match got {
            Err(_) => return Err(self.timed_out(url, "GET")),
            Ok(r) => r.map_err(|e| self.failed(url, "GET", e))?,
        };
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS);
        let name = url.to_string();
        self.rt.spawn(async move {
            let mut stream = got.into_stream();
            loop {
                let item = match tokio::time::timeout(timeout, stream.next()).await {
                    Ok(None) => break,
                    Ok(Some(Ok(b))) => Ok(b),
                    Ok(Some(Err(e))) => {
                        Err(io::Error::other(format!("reading {name}: {}", one_line(e))))
                    }
                    Err(_) => Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("reading {name}: no data for {timeout:?}"),
                    )),
                };
                let failed = item.is_err();
                // A reader that went away ends the download.
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Box::new(ObjectReader {
            rx,
            chunk: Bytes::new(),
            _rt: self.rt.clone(),
        }))
    }

    /// Every object below the prefix `u` (recursively), in the store's order, each as `each`
    /// makes it: `Err(None)` when the listing stalls for the timeout, `Err(Some(e))` when it
    /// fails (never a partial list).
    pub(crate) fn list_objects<T>(
        &self,
        u: &ObjectUrl,
        mut each: impl FnMut(ObjectMeta) -> T,
    ) -> Result<std::result::Result<Vec<T>, Option<object_store::Error>>> {
        let store = self.store(u)?;
        let prefix = (!u.key.is_empty()).then(|| ObjectPath::from(u.key.as_str()));
        let timeout = self.opts.timeout;
        Ok(self.rt.block_on(async {
            let mut stream = store.list(prefix.as_ref());
            let mut out = Vec::new();
            loop {
                match tokio::time::timeout(timeout, stream.next()).await {
                    Err(_) => return Err(None),
                    Ok(None) => return Ok(out),
                    Ok(Some(Err(e))) => return Err(Some(e)),
                    Ok(Some(Ok(meta))) => out.push(each(meta)),
                }
            }
        }))
    }

    /// The `.snap` objects below a prefix URL, as URLs sorted by key.
    pub fn list(&self, url: &str) -> Result<Vec<String>> {
        let u = ObjectUrl::parse(url)?;
        let listed = self.list_objects(&u, |meta| meta.location.to_string())?;
        let mut keys = match listed {
            Ok(k) => k,
            Err(None) => return Err(self.timed_out(url, "listing")),
            Err(Some(e)) => return Err(self.failed(url, "listing", e)),
        };
        keys.retain(|k| k.ends_with(".snap"));
        keys.sort();
        Ok(keys.into_iter().map(|key| u.with_key(key).url()).collect())
    }
}

/// The blocking end of a download: chunks from the channel, in order.
struct ObjectReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
    /// Keeps the runtime that feeds the channel alive.
    _rt: Arc<Runtime>,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = S3Url::parse("s3://b/dir/x.snap").unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("b", "dir/x.snap"));
        assert!(!u.is_prefix());
        assert_eq!(u.url(), "s3://b/dir/x.snap");
        assert!(S3Url::parse("s3://b/dir/").unwrap().is_prefix());
        assert!(S3Url::parse("s3://b").unwrap().is_prefix());
        assert!(S3Url::parse("S3://b/").unwrap().is_prefix());
        assert!(matches!(S3Url::parse("s3:///k"), Err(Error::Usage(_))));
        let g = ObjectUrl::parse("gs://b/k").unwrap();
        assert_eq!((g.scheme, g.url()), (Scheme::Gcs, "gs://b/k".to_string()));
        assert_eq!(ObjectUrl::parse("AZ://c/").unwrap().scheme, Scheme::Azure);
        assert!(matches!(
            ObjectUrl::parse("https://b/k"),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn a_closed_channel_is_the_end_and_errors_pass_through() {
        let rt = Arc::new(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        );
        let (tx, rx) = mpsc::channel(2);
        tx.try_send(Ok(Bytes::from_static(b"abc"))).unwrap();
        tx.try_send(Err(io::Error::other("boom"))).unwrap();
        drop(tx);
        let mut r = ObjectReader {
            rx,
            chunk: Bytes::new(),
            _rt: rt,
        };
        let mut buf = [0u8; 2];
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert_eq!(r.read(&mut buf).unwrap(), 1);
        assert_eq!(r.read(&mut buf).unwrap_err().to_string(), "boom");
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }
}
