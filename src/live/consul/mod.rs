//! A client for Consul's HTTP API with the `consul` CLI's connection conventions: address
//! (`http://`, `https://`, `unix://`), token, token file, datacenter, stale reads and TLS, from
//! flags or the same `CONSUL_*` environment variables, and the proxy variables.
//!
//! The HTTP/1.1 exchange is written here (one request per connection; response heads parsed by
//! `httparse`, TLS by `rustls`) because the small blocking clients (ureq and the like) cannot
//! talk over a Unix socket, which Consul offers and operators use for the local agent; one
//! code path for the three transports also keeps the streaming of multi-GiB snapshot bodies,
//! in both directions, explicit and bounded.
//!
//! Every request has deadlines ([`net`]): connecting, each read and write (the idle limit,
//! `--timeout`), and for API calls the whole request; a cancel flag ends one at once.

mod http;
mod net;
mod options;
mod tls;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

pub use http::{Body, BodyReader, Response};
pub use net::{is_cancelled, Cancelled};
pub use options::{parse_go_bool, ConnectOptions, DEFAULT_TIMEOUT};

use crate::error::{Error, Result};

/// How much of an error body is read, and how much of it is shown.
const ERROR_BODY_READ: u64 = 64 * 1024;
const ERROR_BODY_SHOWN: usize = 300;
/// How long Consul may stay silent after the last byte of a restore before it answers (it
/// applies the snapshot first), at the least.
const RESTORE_ANSWER_WAIT: Duration = Duration::from_secs(600);

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
    proxy: Option<net::Proxy>,
    timeout: Duration,
    /// Whether the whole request is bounded by `timeout` (API calls), or only each silence
    /// (snapshot transfers, which may take long).
    whole_request: bool,
    cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Client")
            .field("address", &self.address)
            .finish()
    }
}

/// Text from the server made safe to print: the token removed, control characters escaped
/// (no terminal escapes, no forged log lines), and cut to a few hundred bytes.
pub fn clean_text(text: &str, token: Option<&str>) -> String {
    let text = match token.filter(|t| !t.is_empty()) {
        Some(t) => text.replace(t, "<token>"),
        None => text.to_string(),
    };
    let mut out = String::new();
    let mut shown = 0usize;
    for (i, c) in text.char_indices() {
        if shown >= ERROR_BODY_SHOWN {
            out.push_str(&format!("... ({} more bytes)", text.len() - i));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f || ('\u{80}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
        shown += c.len_utf8();
    }
    out
}

/// Refuses a header value holding a control character (CR or LF would inject headers).
fn check_header_value(what: &str, v: &str) -> Result<()> {
    if v.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(Error::Usage(format!(
            "the {what} holds a control character (CR, LF or another below 0x20, or DEL); refusing to send it"
        )));
    }
    Ok(())
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
        let o = opts.clone().with_env()?;
        let address = o.address();
        let target = parse_address(&address)?;
        let token = match &o.token_file {
            Some(f) => {
                let t = std::fs::read_to_string(f)
                    .map_err(|e| Error::io(format!("reading the token file {}", f.display()), e))?;
                Some(t.trim().to_string()).filter(|t| !t.is_empty())
            }
            None => o.token.clone(),
        };
        if let Some(t) = &token {
            check_header_value("token", t)?;
        }
        if let Some(dc) = &o.datacenter {
            check_header_value("datacenter", dc)?;
        }
        let (tls, proxy) = match &target {
            Target::Tcp { tls, host, port } => {
                let proxy = net::proxy_for(host, *port, *tls).map_err(Error::Usage)?;
                let tls = if *tls {
                    let name = o.tls_server_name.clone().unwrap_or_else(|| host.clone());
                    let server_name = ServerName::try_from(name.clone()).map_err(|_| {
                        Error::Usage(format!("{name:?} is not a valid TLS server name"))
                    })?;
                    if o.ssl_verify == Some(false) {
                        eprintln!(
                            "snapinspect: warning: TLS certificate verification is off (CONSUL_HTTP_SSL_VERIFY=false): the server at {address} is not authenticated and the token can be stolen"
                        );
                    }
                    Some((tls::tls_config(&o)?, server_name))
                } else {
                    None
                };
                (tls, proxy)
            }
            Target::Unix(_) => (None, None),
        };
        Ok(Client {
            address: match &target {
                Target::Unix(p) => format!("unix://{}", p.display()),
                Target::Tcp { host, port, tls } => {
                    let scheme = if *tls { "https" } else { "http" };
                    if host.contains(':') {
                        format!("{scheme}://[{host}]:{port}")
                    } else {
                        format!("{scheme}://{host}:{port}")
                    }
                }
            },
            target,
            token,
            datacenter: o.datacenter.clone(),
            tls,
            proxy,
            timeout: o.timeout.unwrap_or(DEFAULT_TIMEOUT),
            whole_request: true,
            cancel: None,
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

    /// The `--timeout` figure.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A copy that sends this token instead (refused if it holds a control character).
    pub fn with_token(&self, token: Option<String>) -> Result<Client> {
        if let Some(t) = &token {
            check_header_value("token", t)?;
        }
        Ok(Client {
            token,
            ..self.clone()
        })
    }

    /// A copy whose requests stop (with [`Cancelled`]) once `cancel` is set.
    pub fn with_cancel(&self, cancel: Arc<AtomicBool>) -> Client {
        Client {
            cancel: Some(cancel),
            ..self.clone()
        }
    }

    /// A copy with another timeout (shorter calls while shutting down).
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            timeout,
            ..self.clone()
        }
    }

    /// A copy for snapshot transfers: only each silence is bounded by the timeout, not the
    /// whole request (a multi-GiB snapshot takes as long as it takes while bytes flow).
    pub fn for_transfer(&self) -> Client {
        Client {
            whole_request: false,
            ..self.clone()
        }
    }

    fn limits(&self) -> net::Limits {
        net::Limits {
            idle_ms: Arc::new(AtomicU64::new(self.timeout.as_millis() as u64)),
            deadline: self.whole_request.then(|| Instant::now() + self.timeout),
            cancel: self.cancel.clone(),
            timeout: self.timeout,
        }
    }

    fn connect(&self, limits: net::Limits) -> Result<Box<dyn http::Stream>> {
        let refused = |e: io::Error| {
            let hint = match e.kind() {
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => {
                    " (is a Consul agent running there? set -http-addr or CONSUL_HTTP_ADDR)"
                }
                _ => "",
            };
            let via = match &self.proxy {
                Some(p) => format!(" through the proxy {}:{}", p.host, p.port),
                None => String::new(),
            };
            Error::io(
                format!("cannot connect to Consul at {}{via}{hint}", self.address),
                e,
            )
        };
        match &self.target {
            Target::Unix(p) => Ok(Box::new(net::unix(p, limits).map_err(refused)?)),
            Target::Tcp { host, port, .. } => {
                let mut s = match &self.proxy {
                    None => net::tcp(host, *port, limits).map_err(refused)?,
                    Some(p) => {
                        let mut s = net::tcp(&p.host, p.port, limits).map_err(refused)?;
                        if self.tls.is_some() {
                            net::connect_tunnel(&mut s, p, host, *port).map_err(refused)?;
                        }
                        s
                    }
                };
                match &self.tls {
                    None => Ok(Box::new(s)),
                    Some((config, name)) => {
                        let mut conn = rustls::ClientConnection::new(config.clone(), name.clone())
                            .map_err(|e| Error::Remote(format!("TLS: {e}")))?;
                        // The handshake now, so that its failure is named as such.
                        while conn.is_handshaking() {
                            conn.complete_io(&mut s).map_err(|e| {
                                let hint = if e.to_string().contains("InvalidContentType")
                                    || e.to_string().contains("corrupt message")
                                {
                                    " (the server answered in plain HTTP, not TLS: use an http:// address, or unset CONSUL_HTTP_SSL)"
                                } else {
                                    ""
                                };
                                Error::io(format!("TLS handshake with {}{hint}", self.address), e)
                            })?;
                        }
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
        // Through a plain-HTTP proxy the request names the whole URL.
        let target = match (&self.proxy, &self.tls) {
            (Some(_), None) => format!("http://{host}{path}"),
            _ => path.clone(),
        };
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: snapinspect/{}\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let (Some(p), None) = (&self.proxy, &self.tls) {
            if let Some(a) = &p.auth {
                head.push_str(&format!("Proxy-Authorization: {a}\r\n"));
            }
        }
        if let Some(t) = &self.token {
            check_header_value("token", t)?;
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
        let limits = self.limits();
        let idle = limits.idle_ms.clone();
        let mut stream = self.connect(limits)?;
        let what = format!("{method} {}", path.split('?').next().unwrap_or(&path));
        let io_err = |e: io::Error| {
            if is_cancelled(&e) {
                Error::io(format!("{what} to Consul at {}", self.address), e)
            } else {
                Error::io(format!("{what}: talking to Consul at {}", self.address), e)
            }
        };
        let uploads = matches!(body, Body::Reader(..));
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
        if uploads {
            let wait = RESTORE_ANSWER_WAIT.max(self.timeout);
            idle.store(
                wait.as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        if let Err(e) = &sent {
            // Cancelled or timed out: do not wait for an answer.
            if is_cancelled(e) || e.kind() == io::ErrorKind::TimedOut {
                return Err(io_err(sent.unwrap_err()));
            }
        }
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
        let text = self.error_text(resp);
        Err(self.status_error(method, path, status, &text, needs))
    }

    /// The start of an error body (at most 64 KiB are read), trimmed.
    pub fn error_text(&self, resp: Response) -> String {
        let mut v = Vec::new();
        let mut body = resp.body;
        let _ = (&mut body).take(ERROR_BODY_READ).read_to_end(&mut v);
        String::from_utf8_lossy(&v).trim().to_string()
    }

    /// The error for a failed request, with what to do about it; the server's text is cut to
    /// a few hundred bytes, its control characters escaped and the token removed.
    pub fn status_error(
        &self,
        method: &str,
        path: &str,
        status: u16,
        text: &str,
        needs: &str,
    ) -> Error {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let text = clean_text(text.trim(), self.token.as_deref());
        let text = if text.is_empty() {
            "no message".to_string()
        } else {
            text
        };
        let msg = match status {
            403 if self.token.is_none() => format!(
                "{what}: 403 {text}: no token was given; this needs {needs} (pass -token, -token-file or CONSUL_HTTP_TOKEN)"
            ),
            403 => format!("{what}: 403 {text}: the token lacks the permission {needs}"),
            401 if text.contains("ACL support disabled") => format!(
                "{what}: 401 {text}: ACLs are disabled on this Consul (acl.enabled is false), so no token or policy is needed: run without the token step"
            ),
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

    #[test]
    fn server_text_is_cleaned() {
        let t = clean_text(
            "denied\n2026 [INFO] forged\x1b[31m tok-123",
            Some("tok-123"),
        );
        assert_eq!(t, "denied\\n2026 [INFO] forged\\x1b[31m <token>");
        let long = "x".repeat(10_000);
        let c = clean_text(&long, None);
        assert!(c.len() < 400 && c.ends_with("(9700 more bytes)"), "{c}");
    }

    #[test]
    fn control_characters_in_a_token_or_datacenter_are_refused() {
        for (token, dc) in [
            ("a\r\nX-Evil: 1", "dc1"),
            ("ok", "dc1\nx"),
            ("t\x7f", "dc1"),
        ] {
            let e = Client::new(&ConnectOptions {
                http_addr: Some("127.0.0.1:1".into()),
                token: Some(token.into()),
                datacenter: Some(dc.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{e}");
            assert!(!e.to_string().contains("Evil"), "{e}");
        }
    }
}
