//! A client for Consul's HTTP API with the `consul` CLI's connection conventions: address
//! (`http://`, `https://`, `unix://`), token, token file, datacenter, stale reads and TLS, from
//! flags or the same `CONSUL_*` environment variables.
//!
//! The HTTP/1.1 exchange is written here (one request per connection; response heads parsed by
//! `httparse`, TLS by `rustls`) because the small blocking clients (ureq and the like) cannot
//! talk over a Unix socket, which Consul offers and operators use for the local agent; one
//! code path for the three transports also keeps the streaming of multi-GiB snapshot bodies,
//! in both directions, explicit and bounded.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::error::{Error, Result};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest error or JSON body read into memory.
const MAX_SMALL_BODY: u64 = 16 << 20;

/// How to reach Consul: the `consul` CLI's flags; unset fields fall back to the environment.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `-http-addr`: `host:port`, `http://…`, `https://…` or `unix:///path`.
    pub http_addr: Option<String>,
    /// `-token`.
    pub token: Option<String>,
    /// `-token-file`: a file holding the token (wins over a token, as in Consul).
    pub token_file: Option<PathBuf>,
    /// `-datacenter`.
    pub datacenter: Option<String>,
    /// `-ca-file`: PEM CA bundle to verify the server with.
    pub ca_file: Option<PathBuf>,
    /// `-ca-path`: a directory of PEM CA certificates.
    pub ca_path: Option<PathBuf>,
    /// `-client-cert`: PEM client certificate for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// `-client-key`: PEM key of the client certificate.
    pub client_key: Option<PathBuf>,
    /// `-tls-server-name`: the name to expect in the server's certificate.
    pub tls_server_name: Option<String>,
    /// `CONSUL_HTTP_SSL_VERIFY=false`: do not verify the server's certificate.
    pub ssl_verify: Option<bool>,
    /// Socket read/write timeout (none: wait as long as the server takes).
    pub timeout: Option<Duration>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_bool(name: &str) -> Option<bool> {
    env(name).map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "t" | "true"))
}

impl ConnectOptions {
    /// Fills what the flags left unset from `CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, ….
    pub fn with_env(mut self) -> Self {
        if self.http_addr.is_none() {
            self.http_addr = env("CONSUL_HTTP_ADDR");
            if let (Some(a), Some(true)) = (&self.http_addr, env_bool("CONSUL_HTTP_SSL")) {
                if !a.contains("://") {
                    self.http_addr = Some(format!("https://{a}"));
                }
            }
        }
        if self.token.is_none() {
            self.token = env("CONSUL_HTTP_TOKEN");
        }
        if self.token_file.is_none() {
            self.token_file = env("CONSUL_HTTP_TOKEN_FILE").map(PathBuf::from);
        }
        if self.datacenter.is_none() {
            self.datacenter = env("CONSUL_DATACENTER");
        }
        if self.ca_file.is_none() {
            self.ca_file = env("CONSUL_CACERT").map(PathBuf::from);
        }
        if self.ca_path.is_none() {
            self.ca_path = env("CONSUL_CAPATH").map(PathBuf::from);
        }
        if self.client_cert.is_none() {
            self.client_cert = env("CONSUL_CLIENT_CERT").map(PathBuf::from);
        }
        if self.client_key.is_none() {
            self.client_key = env("CONSUL_CLIENT_KEY").map(PathBuf::from);
        }
        if self.tls_server_name.is_none() {
            self.tls_server_name = env("CONSUL_TLS_SERVER_NAME");
        }
        if self.ssl_verify.is_none() {
            self.ssl_verify = env_bool("CONSUL_HTTP_SSL_VERIFY");
        }
        self
    }
}

/// Where the server listens.
#[derive(Debug, Clone)]
enum Target {
    Tcp { host: String, port: u16, tls: bool },
    Unix(PathBuf),
}

/// A Consul HTTP API client.
#[derive(Clone)]
pub struct Client {
    target: Target,
    address: String,
    token: Option<String>,
    datacenter: Option<String>,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Client")
            .field("address", &self.address)
            .finish()
    }
}

fn parse_address(addr: &str) -> Result<Target> {
    if let Some(path) = addr.strip_prefix("unix://") {
        return Ok(Target::Unix(PathBuf::from(path)));
    }
    let (tls, rest) = if let Some(r) = addr.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = addr.strip_prefix("http://") {
        (false, r)
    } else if addr.contains("://") {
        return Err(Error::Usage(format!(
            "unknown scheme in the Consul address {addr:?} (use http://, https:// or unix://)"
        )));
    } else {
        (false, addr)
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(port) => (h, port),
            Err(_) if !h.contains(']') && h.contains(':') => (rest, default_port(tls)),
            Err(_) => {
                return Err(Error::Usage(format!(
                    "bad port in the Consul address {addr:?}"
                )))
            }
        },
        _ => (rest, default_port(tls)),
    };
    if host.is_empty() {
        return Err(Error::Usage(format!(
            "no host in the Consul address {addr:?}"
        )));
    }
    Ok(Target::Tcp {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        tls,
    })
}

fn default_port(tls: bool) -> u16 {
    if tls {
        8501
    } else {
        8500
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("reading the {what} {}", path.display()), e))
}

fn pem_certs(data: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: std::result::Result<Vec<_>, _> = CertificateDer::pem_slice_iter(data).collect();
    let certs = certs.map_err(|e| {
        Error::Usage(format!(
            "{} is not a PEM certificate file: {e}",
            path.display()
        ))
    })?;
    if certs.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Accepts any server certificate (`CONSUL_HTTP_SSL_VERIFY=false`), still checking signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(o: &ConnectOptions) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS set-up: {e}")))?;
    let builder = if o.ssl_verify == Some(false) {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let mut files = Vec::new();
        if let Some(f) = &o.ca_file {
            files.push(f.clone());
        }
        if let Some(dir) = &o.ca_path {
            let rd = std::fs::read_dir(dir)
                .map_err(|e| Error::io(format!("reading the CA directory {}", dir.display()), e))?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        }
        if files.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for f in &files {
            for c in pem_certs(&read_file(f, "CA certificate")?, f)? {
                roots.add(c).map_err(|e| {
                    Error::Usage(format!("bad CA certificate in {}: {e}", f.display()))
                })?;
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&o.client_cert, &o.client_key) {
        (Some(cert), Some(key)) => {
            let certs = pem_certs(&read_file(cert, "client certificate")?, cert)?;
            let key_der =
                PrivateKeyDer::from_pem_slice(&read_file(key, "client key")?).map_err(|e| {
                    Error::Usage(format!("{} is not a PEM private key: {e}", key.display()))
                })?;
            builder
                .with_client_auth_cert(certs, key_der)
                .map_err(|e| Error::Usage(format!("client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Error::Usage(
                "a client certificate needs both -client-cert and -client-key".into(),
            ))
        }
    };
    Ok(Arc::new(config))
}

/// A connected byte stream: TCP, TLS over TCP, or a Unix socket.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A request body.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (JSON).
    Bytes(&'a [u8]),
    /// A stream of exactly this many bytes (a snapshot file).
    Reader(&'a mut dyn Read, u64),
}

/// How a response body is delimited.
#[derive(Debug)]
enum Framing {
    Length(u64),
    Chunked { left: u64, done: bool },
    Close,
}

/// The body of a response, read as it arrives.
pub struct BodyReader {
    stream: BufReader<Box<dyn Stream>>,
    framing: Framing,
}

impl BodyReader {
    fn chunk_size(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        (&mut self.stream).take(1024).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad chunk header in the HTTP response",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let hex = text.trim().split(';').next().unwrap_or("").trim();
        u64::from_str_radix(hex, 16).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad chunk size {hex:?} in the HTTP response"),
            )
        })
    }

    fn skip_line(&mut self) -> io::Result<usize> {
        let mut line = Vec::new();
        (&mut self.stream).take(8192).read_until(b'\n', &mut line)?;
        Ok(line.len())
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::Close => self.stream.read(buf),
            Framing::Length(0) => Ok(0),
            Framing::Length(left) => {
                let want = (buf.len() as u64).min(left) as usize;
                let n = self.stream.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the connection closed with {left} bytes of the response to come"),
                    ));
                }
                self.framing = Framing::Length(left - n as u64);
                Ok(n)
            }
            Framing::Chunked { done: true, .. } => Ok(0),
            Framing::Chunked { left: 0, .. } => {
                let size = self.chunk_size()?;
                if size == 0 {
                    // Trailers, then the empty line.
                    while self.skip_line()? > 2 {}
                    self.framing = Framing::Chunked {
                        left: 0,
                        done: true,
                    };
                    return Ok(0);
                }
                self.framing = Framing::Chunked {
                    left: size,
                    done: false,
                };
                self.read(buf)
            }
            Framing::Chunked { left, .. } => {
                let want = (buf.len() as u64).min(left) as usize;
                let n = self.stream.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection closed in the middle of the response",
                    ));
                }
                let left = left - n as u64;
                if left == 0 {
                    self.skip_line()?;
                }
                self.framing = Framing::Chunked { left, done: false };
                Ok(n)
            }
        }
    }
}

/// A response: status, headers, and the body as a stream.
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: BodyReader,
}

impl Response {
    /// Reads a response's head from a stream; the body is then read as it arrives.
    pub fn read_from<S: Read + Write + Send + 'static>(stream: S) -> io::Result<Response> {
        let mut reader = BufReader::with_capacity(256 * 1024, Box::new(stream) as Box<dyn Stream>);
        let (status, headers) = read_head(&mut reader)?;
        let framing = framing(&headers);
        Ok(Response {
            status,
            headers,
            body: BodyReader {
                stream: reader,
                framing,
            },
        })
    }

    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads the whole body (up to 16 MiB) as text.
    pub fn text(mut self) -> Result<String> {
        let mut v = Vec::new();
        (&mut self.body)
            .take(MAX_SMALL_BODY)
            .read_to_end(&mut v)
            .map_err(|e| Error::io("reading Consul's response", e))?;
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    /// Reads the whole body (up to 16 MiB) as JSON.
    pub fn json(self) -> Result<serde_json::Value> {
        let text = self.text()?;
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| {
            Error::Remote(format!(
                "Consul answered with JSON that does not parse: {e}"
            ))
        })
    }
}

/// Percent-encodes a path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a KV key, keeping its slashes.
pub fn encode_key(key: &str) -> String {
    key.split('/').map(encode).collect::<Vec<_>>().join("/")
}

impl Client {
    /// A client for these options (flags first, then the environment, then 127.0.0.1:8500).
    pub fn new(opts: &ConnectOptions) -> Result<Client> {
        let o = opts.clone().with_env();
        let address = o
            .http_addr
            .clone()
            .unwrap_or_else(|| "127.0.0.1:8500".to_string());
        let target = parse_address(&address)?;
        let token = match &o.token_file {
            Some(f) => {
                let t = std::fs::read_to_string(f)
                    .map_err(|e| Error::io(format!("reading the token file {}", f.display()), e))?;
                Some(t.trim().to_string()).filter(|t| !t.is_empty())
            }
            None => o.token.clone(),
        };
        let tls = match &target {
            Target::Tcp {
                tls: true, host, ..
            } => {
                let name = o.tls_server_name.clone().unwrap_or_else(|| host.clone());
                let server_name = ServerName::try_from(name.clone()).map_err(|_| {
                    Error::Usage(format!("{name:?} is not a valid TLS server name"))
                })?;
                Some((tls_config(&o)?, server_name))
            }
            _ => None,
        };
        Ok(Client {
            target,
            address: match parse_address(&address)? {
                Target::Unix(p) => format!("unix://{}", p.display()),
                Target::Tcp { host, port, tls } => {
                    let scheme = if tls { "https" } else { "http" };
                    if host.contains(':') {
                        format!("{scheme}://[{host}]:{port}")
                    } else {
                        format!("{scheme}://{host}:{port}")
                    }
                }
            },
            token,
            datacenter: o.datacenter.clone(),
            tls,
            timeout: o.timeout,
        })
    }

    /// The address as a URL, for messages.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// True when a token will be sent.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// A copy that sends this token instead.
    pub fn with_token(&self, token: Option<String>) -> Client {
        Client {
            token,
            ..self.clone()
        }
    }

    fn connect(&self) -> Result<Box<dyn Stream>> {
        let refused = |e: io::Error| {
            let hint = match e.kind() {
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => {
                    " (is a Consul agent running there? set -http-addr or CONSUL_HTTP_ADDR)"
                }
                _ => "",
            };
            Error::io(
                format!("cannot connect to Consul at {}{hint}", self.address),
                e,
            )
        };
        match &self.target {
            Target::Unix(p) => {
                let s = UnixStream::connect(p).map_err(refused)?;
                s.set_read_timeout(self.timeout).ok();
                s.set_write_timeout(self.timeout).ok();
                Ok(Box::new(s))
            }
            Target::Tcp { host, port, .. } => {
                let addrs: Vec<_> = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(refused)?
                    .collect();
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
                let mut stream = None;
                for a in addrs {
                    match TcpStream::connect_timeout(&a, Duration::from_secs(10)) {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                let s = stream.ok_or_else(|| refused(last))?;
                s.set_nodelay(true).ok();
                s.set_read_timeout(self.timeout).ok();
                s.set_write_timeout(self.timeout).ok();
                match &self.tls {
                    None => Ok(Box::new(s)),
                    Some((config, name)) => {
                        let conn = rustls::ClientConnection::new(config.clone(), name.clone())
                            .map_err(|e| Error::Remote(format!("TLS: {e}")))?;
                        Ok(Box::new(rustls::StreamOwned::new(conn, s)))
                    }
                }
            }
        }
    }

    /// Sends one request; `path` may carry a query (`dc` is added when set). Any status.
    pub fn send(&self, method: &str, path: &str, body: Body<'_>) -> Result<Response> {
        let mut path = path.to_string();
        if let Some(dc) = &self.datacenter {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str("dc=");
            path.push_str(&encode(dc));
        }
        let host = match &self.target {
            Target::Unix(_) => "localhost".to_string(),
            Target::Tcp { host, port, .. } if host.contains(':') => format!("[{host}]:{port}"),
            Target::Tcp { host, port, .. } => format!("{host}:{port}"),
        };
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: snapinspect/{}\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(t) = &self.token {
            head.push_str(&format!("X-Consul-Token: {t}\r\n"));
        }
        let len = match &body {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::Reader(_, n) => *n,
        };
        if method != "GET" || len > 0 {
            head.push_str(&format!("Content-Length: {len}\r\n"));
        }
        if matches!(body, Body::Bytes(_)) {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str("\r\n");
        let mut stream = self.connect()?;
        let io_err = |e: io::Error| Error::io(format!("talking to Consul at {}", self.address), e);
        let sent = (|| -> io::Result<()> {
            stream.write_all(head.as_bytes())?;
            match body {
                Body::Empty => {}
                Body::Bytes(b) => stream.write_all(b)?,
                Body::Reader(r, n) => {
                    let copied = io::copy(&mut r.take(n), &mut stream)?;
                    if copied != n {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("the request body ended after {copied} of {n} bytes"),
                        ));
                    }
                }
            }
            stream.flush()
        })();
        // A server may answer (403, 400) before reading the whole body and close: read its
        // answer before reporting the write error.
        match Response::read_from(stream) {
            Ok(r) => Ok(r),
            Err(e) => Err(io_err(sent.err().unwrap_or(e))),
        }
    }

    /// Sends a request and fails on any status but 2xx, with Consul's message and, for a 403,
    /// `needs` (the permission the request requires).
    pub fn call(&self, method: &str, path: &str, body: Body<'_>, needs: &str) -> Result<Response> {
        let resp = self.send(method, path, body)?;
        if (200..300).contains(&resp.status) {
            return Ok(resp);
        }
        let status = resp.status;
        let text = resp.text().unwrap_or_default();
        Err(self.status_error(method, path, status, text.trim(), needs))
    }

    /// The error for a failed request, with what to do about it.
    pub fn status_error(
        &self,
        method: &str,
        path: &str,
        status: u16,
        text: &str,
        needs: &str,
    ) -> Error {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let text = if text.is_empty() { "no message" } else { text };
        let msg = match status {
            403 if self.token.is_none() => format!(
                "{what}: 403 {text}: no token was given; this needs {needs} (pass -token, -token-file or CONSUL_HTTP_TOKEN)"
            ),
            403 => format!("{what}: 403 {text}: the token lacks the permission {needs}"),
            500 if text.contains("No cluster leader") || text.contains("leader") => format!(
                "{what}: 500 {text}: the cluster has no leader right now; retry later, or pass -stale to let a follower answer"
            ),
            _ => format!("{what}: {status} {text}"),
        };
        Error::Remote(msg)
    }

    /// GET a JSON document.
    pub fn get_json(&self, path: &str, needs: &str) -> Result<serde_json::Value> {
        self.call("GET", path, Body::Empty, needs)?.json()
    }

    /// PUT a JSON document; returns the JSON answer (null when empty).
    pub fn put_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        needs: &str,
    ) -> Result<serde_json::Value> {
        let bytes = serde_json::to_vec(body).expect("JSON serialises");
        self.call("PUT", path, Body::Bytes(&bytes), needs)?.json()
    }
}

fn read_head(r: &mut BufReader<Box<dyn Stream>>) -> io::Result<(u16, Vec<(String, String)>)> {
    let mut buf = Vec::new();
    loop {
        let n = r.by_ref().take(8192).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before a response came",
            ));
        }
        if buf.ends_with(b"\r\n\r\n") || buf.ends_with(b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the response head is larger than 64 KiB",
            ));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the answer is not an HTTP response (is this Consul's HTTP port?)",
            ))
        }
    }
    let status = resp.code.unwrap_or(0);
    let headers = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    Ok((status, headers))
}

fn framing(headers: &[(String, String)]) -> Framing {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if get("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        Framing::Chunked {
            left: 0,
            done: false,
        }
    } else if let Some(n) = get("Content-Length").and_then(|v| v.trim().parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(matches!(
            parse_address("127.0.0.1:8500").unwrap(),
            Target::Tcp {
                port: 8500,
                tls: false,
                ..
            }
        ));
        assert!(matches!(
            parse_address("https://consul.example").unwrap(),
            Target::Tcp {
                port: 8501,
                tls: true,
                ..
            }
        ));
        assert!(matches!(
            parse_address("http://[::1]:9000/").unwrap(),
            Target::Tcp { port: 9000, .. }
        ));
        assert!(matches!(
            parse_address("unix:///run/consul.sock").unwrap(),
            Target::Unix(_)
        ));
        assert!(parse_address("ftp://x").is_err());
        assert!(parse_address("host:notaport").is_err());
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_key("consul-snapshot/lock"), "consul-snapshot/lock");
    }

    /// A response served over a Unix socket pair: chunked framing with an extension and a
    /// trailer, read through the same code as a TCP or TLS answer.
    #[test]
    fn chunked_body() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Consul-Index: 7\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: 1\r\n\r\n")
            .unwrap();
        drop(b);
        let mut r = BufReader::new(Box::new(a) as Box<dyn Stream>);
        let (status, headers) = read_head(&mut r).unwrap();
        assert_eq!(status, 200);
        let framing = framing(&headers);
        let mut body = BodyReader { stream: r, framing };
        let mut s = String::new();
        body.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world");
    }

    /// A stream over bytes in memory (what a hostile server could send).
    struct Canned(io::Cursor<Vec<u8>>);
    impl Read for Canned {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.read(b)
        }
    }
    impl Write for Canned {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn read_all(bytes: Vec<u8>) -> io::Result<(u16, Vec<u8>)> {
        let r = Response::read_from(Canned(io::Cursor::new(bytes)))?;
        let status = r.status;
        let mut body = Vec::new();
        let mut b = r.body;
        b.read_to_end(&mut body)?;
        Ok((status, body))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Whatever a server sends, reading its answer ends with a response or an error, and
        /// a body never holds more than the bytes that came (no length field is trusted).
        #[test]
        fn any_answer_is_read_safely(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            cut in 0usize..200,
            flip in proptest::prelude::any::<(usize, u8)>(),
        ) {
            let good = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n".to_vec();
            for mut input in [noise.clone(), good.clone()] {
                if !input.is_empty() {
                    let i = flip.0 % input.len();
                    input[i] ^= flip.1;
                    input.truncate(input.len().saturating_sub(cut % (input.len() + 1)));
                }
                let len = input.len();
                if let Ok((_, body)) = read_all(input) {
                    proptest::prop_assert!(body.len() <= len);
                }
            }
            let mut framed = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n".to_vec();
            framed.extend_from_slice(&noise);
            proptest::prop_assert!(read_all(framed).is_err());
        }
    }

    #[test]
    fn short_length_body_is_an_error() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap();
        drop(b);
        let mut r = BufReader::new(Box::new(a) as Box<dyn Stream>);
        let (_, headers) = read_head(&mut r).unwrap();
        let mut body = BodyReader {
            stream: r,
            framing: framing(&headers),
        };
        let mut s = Vec::new();
        assert!(body.read_to_end(&mut s).is_err());
    }
}
