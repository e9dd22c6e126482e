//! Sockets with deadlines: every connect, read and write of the client is bounded by an idle
//! limit (the longest silence accepted), optionally by a deadline for the whole request, and
//! watches a cancel flag, so that a hung or slow server, or a signal, ends a request within a
//! fraction of a second of the limit. Also the proxy variables (`HTTP_PROXY`, `HTTPS_PROXY`,
//! `NO_PROXY`) as Go's `net/http` reads them.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a blocked read or write looks at the cancel flag.
const POLL: Duration = Duration::from_millis(200);

/// The error a cancelled request fails with (the cancel flag was set).
#[derive(Debug)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// True when `e` (or the error it wraps) is a cancellation.
pub fn is_cancelled(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<Cancelled>())
}

/// The limits one request runs under.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The longest silence accepted, in milliseconds (shared so that a request can lengthen
    /// it once its body is sent: Consul answers a restore only after applying it).
    pub idle_ms: Arc<AtomicU64>,
    /// When the whole request must be over (API calls; none for snapshot transfers).
    pub deadline: Option<Instant>,
    /// Set from elsewhere (a signal, a lost lock) to stop the request.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The `--timeout` figure, for messages.
    pub timeout: Duration,
}

impl Limits {
    fn idle(&self) -> Duration {
        Duration::from_millis(self.idle_ms.load(Ordering::Relaxed))
    }

    /// Fails when cancelled or past the deadline.
    pub fn check(&self) -> io::Result<()> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
        {
            return Err(io::Error::other(Cancelled));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no complete answer within {} (--timeout)",
                    humantime::format_duration(self.timeout)
                ),
            ));
        }
        Ok(())
    }

    /// How long the next blocking step may take: a poll slice, cut to the idle limit left
    /// and to the deadline.
    fn slice(&self, since: Instant) -> io::Result<Duration> {
        self.check()?;
        let idle = self.idle();
        let waited = since.elapsed();
        if waited >= idle {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "Consul sent nothing for {} (--timeout)",
                    humantime::format_duration(Duration::from_secs(idle.as_secs().max(1)))
                ),
            ));
        }
        let mut s = POLL.min(idle - waited);
        if let Some(d) = self.deadline {
            s = s.min(d.saturating_duration_since(Instant::now()));
        }
        Ok(s.max(Duration::from_millis(1)))
    }
}

/// A TCP or Unix socket under [`Limits`].
pub struct Guarded {
    sock: Sock,
    limits: Limits,
}

enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Guarded {
    fn set_read(&self, d: Duration) {
        let _ = match &self.sock {
            Sock::Tcp(s) => s.set_read_timeout(Some(d)),
            Sock::Unix(s) => s.set_read_timeout(Some(d)),
        };
    }

    fn set_write(&self, d: Duration) {
        let _ = match &self.sock {
            Sock::Tcp(s) => s.set_write_timeout(Some(d)),
            Sock::Unix(s) => s.set_write_timeout(Some(d)),
        };
    }
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let since = Instant::now();
        loop {
            let slice = self.limits.slice(since)?;
            self.set_read(slice);
            let r = match &mut self.sock {
                Sock::Tcp(s) => s.read(buf),
                Sock::Unix(s) => s.read(buf),
            };
            match r {
                Err(e) if would_block(&e) => continue,
                other => return other,
            }
        }
    }
}

impl Write for Guarded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let since = Instant::now();
        loop {
            let slice = self.limits.slice(since)?;
            self.set_write(slice);
            let r = match &mut self.sock {
                Sock::Tcp(s) => s.write(buf),
                Sock::Unix(s) => s.write(buf),
            };
            match r {
                Err(e) if would_block(&e) => continue,
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Connects to a Unix socket under `limits`.
pub fn unix(path: &std::path::Path, limits: Limits) -> io::Result<Guarded> {
    limits.check()?;
    let s = UnixStream::connect(path)?;
    Ok(Guarded {
        sock: Sock::Unix(s),
        limits,
    })
}

/// Resolves `host:port` on a helper thread, so that a hung resolver is bounded too.
fn resolve(host: &str, port: u16, limits: &Limits) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send((name.as_str(), port).to_socket_addrs().map(|a| a.collect()));
    });
    let since = Instant::now();
    loop {
        let slice = limits.slice(since)?;
        match rx.recv_timeout(slice) {
            Ok(r) => return r,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => return Err(io::Error::other("the name resolver failed")),
        }
    }
}

/// Connects to `host:port` over TCP under `limits` (each address tried in turn, each
/// attempt bounded by the idle limit and the deadline, and watching the cancel flag).
pub fn tcp(host: &str, port: u16, limits: Limits) -> io::Result<Guarded> {
    let addrs = resolve(host, port, &limits)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for a in addrs {
        let since = Instant::now();
        loop {
            let slice = match limits.slice(since) {
                Ok(s) => s,
                Err(e) => {
                    last = e;
                    break;
                }
            };
            match TcpStream::connect_timeout(&a, slice) {
                Ok(s) => {
                    s.set_nodelay(true).ok();
                    return Ok(Guarded {
                        sock: Sock::Tcp(s),
                        limits,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => continue,
                Err(e) => {
                    last = e;
                    break;
                }
            }
        }
        if is_cancelled(&last) {
            return Err(last);
        }
    }
    Err(last)
}

/// An HTTP proxy to go through: `HTTP_PROXY` / `HTTPS_PROXY` (or lowercase), as Go reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy's host.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// `Proxy-Authorization` value, from the URL's user and password.
    pub auth: Option<String>,
}

fn env_any(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| crate::live::env(n))
}

/// The proxy for a request to `host:port` (`tls`: https), from the environment; `None` for
/// a direct connection. Like Go: loopback addresses and `localhost` are never proxied, and
/// `NO_PROXY` lists hosts, domains (`.example.com` or `example.com`, subdomains included),
/// IP addresses, CIDR ranges, optionally with `:port`, or `*`.
pub fn proxy_for(host: &str, port: u16, tls: bool) -> Result<Option<Proxy>, String> {
    let var = if tls {
        env_any(&["HTTPS_PROXY", "https_proxy"])
    } else {
        env_any(&["HTTP_PROXY", "http_proxy"])
    };
    let Some(url) = var else { return Ok(None) };
    if host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    {
        return Ok(None);
    }
    if let Some(no) = env_any(&["NO_PROXY", "no_proxy"]) {
        if no_proxy_matches(&no, host, port) {
            return Ok(None);
        }
    }
    parse_proxy(&url).map(Some)
}

fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if entry == "*" {
            return true;
        }
        let entry = entry.to_ascii_lowercase();
        if let Some((net, bits)) = entry.split_once('/') {
            if let (Some(ip), Ok(net), Ok(bits)) = (ip, net.parse::<IpAddr>(), bits.parse::<u32>())
            {
                if in_cidr(ip, net, bits) {
                    return true;
                }
            }
            continue;
        }
        let (name, eport) = match entry.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.parse::<u16>().is_ok() => {
                (h.to_string(), p.parse::<u16>().ok())
            }
            _ => (entry.trim_matches(['[', ']']).to_string(), None),
        };
        if eport.is_some_and(|p| p != port) {
            continue;
        }
        if let (Some(ip), Ok(eip)) = (ip, name.parse::<IpAddr>()) {
            if ip == eip {
                return true;
            }
            continue;
        }
        let bare = name.trim_start_matches("*.").trim_start_matches('.');
        if host == bare || host.ends_with(&format!(".{bare}")) {
            return true;
        }
    }
    false
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn parse_proxy(url: &str) -> Result<Proxy, String> {
    let rest = match url.split_once("://") {
        None => url,
        Some(("http", r)) => r,
        Some((scheme, _)) => {
            return Err(format!(
                "proxy {scheme}:// is not supported (only http:// proxies, with CONNECT for https)"
            ))
        }
    };
    let rest = rest.split('/').next().unwrap_or("");
    let (auth, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hp)) => {
            use base64::Engine;
            let decoded = percent_decode(userinfo);
            (
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(decoded)
                )),
                hp,
            )
        }
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (
            h,
            p.parse::<u16>()
                .map_err(|_| "the proxy URL has a bad port".to_string())?,
        ),
        _ => (hostport, 80),
    };
    let host = host.trim_matches(['[', ']']).to_string();
    if host.is_empty() {
        return Err("the proxy URL has no host".into());
    }
    Ok(Proxy { host, port, auth })
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Opens a CONNECT tunnel to `host:port` through the proxy on `stream`.
pub fn connect_tunnel(
    stream: &mut Guarded,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> io::Result<()> {
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(a) = &proxy.auth {
        req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    // Read the proxy's answer byte by byte up to the empty line: nothing of the tunnel's
    // own bytes may be consumed here.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the proxy's answer to CONNECT is too long",
            ));
        }
        if stream.read(&mut b)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection in answer to CONNECT",
            ));
        }
        head.push(b[0]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line.split_whitespace().nth(1).unwrap_or("");
    if !status.starts_with('2') {
        let first = line.lines().next().unwrap_or("").trim();
        return Err(io::Error::other(format!(
            "the proxy refused the tunnel: {}",
            super::clean_text(first, None)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_as_go_reads_it() {
        let m = |list, host, port| no_proxy_matches(list, host, port);
        assert!(m("*", "consul.example", 8500));
        assert!(m("example.com", "consul.example.com", 1));
        assert!(m(".example.com", "consul.example.com", 1));
        assert!(m("example.com", "example.com", 1));
        assert!(!m("example.com", "badexample.com", 1));
        assert!(m("10.0.0.0/8", "10.1.2.3", 1));
        assert!(!m("10.0.0.0/8", "11.1.2.3", 1));
        assert!(m("consul.local:8500", "consul.local", 8500));
        assert!(!m("consul.local:8500", "consul.local", 8501));
        assert!(m("a.b, 192.168.1.1", "192.168.1.1", 1));
    }

    #[test]
    fn proxy_urls() {
        let p = parse_proxy("http://user:p%40ss@proxy.corp:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        use base64::Engine;
        let want = base64::engine::general_purpose::STANDARD.encode("user:p@ss");
        assert_eq!(p.auth.unwrap(), format!("Basic {want}"));
        assert_eq!(parse_proxy("proxy:8080").unwrap().port, 8080);
        assert!(parse_proxy("socks5://x:1").is_err());
    }

    #[test]
    fn a_silent_peer_times_out_and_a_cancel_is_seen() {
        let (a, _b) = UnixStream::pair().unwrap();
        let limits = Limits {
            idle_ms: Arc::new(AtomicU64::new(300)),
            deadline: None,
            cancel: None,
            timeout: Duration::from_millis(300),
        };
        let mut g = Guarded {
            sock: Sock::Unix(a),
            limits,
        };
        let t = Instant::now();
        let e = g.read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() < Duration::from_secs(2));

        let (a, _b) = UnixStream::pair().unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let mut g = Guarded {
            sock: Sock::Unix(a),
            limits: Limits {
                idle_ms: Arc::new(AtomicU64::new(60_000)),
                deadline: None,
                cancel: Some(cancel.clone()),
                timeout: Duration::from_secs(60),
            },
        };
        let c = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            c.store(true, Ordering::SeqCst);
        });
        let t = Instant::now();
        let e = g.read(&mut [0u8; 4]).unwrap_err();
        assert!(is_cancelled(&e), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
