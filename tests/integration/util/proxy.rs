//! A fault-injecting TCP proxy on 127.0.0.1 in front of a real Consul: per request path it
//! passes, hangs, resets, answers with a status, slows down, cuts or stalls the answer, or
//! lies about its Content-Length. It also acts as an HTTP proxy (absolute-form requests and
//! CONNECT tunnels), and records what clients sent. std only, one thread per direction; every
//! wait is bounded (two minutes at most) and ends when the proxy is dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest any connection is held.
const MAX_HOLD: Duration = Duration::from_secs(120);

/// What to do with a request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward it.
    Pass,
    /// Read it, never answer, hold the connection open.
    Hang,
    /// Reset the connection at once (closed with unread data: the kernel sends RST).
    Reset,
    /// Answer with this status and body instead of Consul.
    Status(u16, Vec<u8>),
    /// Forward the answer in pieces of this many bytes, pausing between them.
    Slow(usize, Duration),
    /// Forward this many bytes of the answer, then close.
    Cut(usize),
    /// Forward this many bytes of the answer, then hold the connection open, silent.
    Stall(usize),
    /// Forward the whole answer announcing this many more bytes than it has, then hold the
    /// connection open.
    LieLength(u64),
}

struct Rule {
    prefix: String,
    fault: Fault,
    times: Option<usize>,
}

struct Shared {
    upstream: u16,
    rules: Mutex<Vec<Rule>>,
    requests: Mutex<Vec<String>>,
    raw: Mutex<Vec<u8>>,
    stop: AtomicBool,
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`upstream`.
    pub fn start(upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream,
            rules: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            raw: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            while !s.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        let s = s.clone();
                        std::thread::spawn(move || handle(c, s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FaultProxy { port, shared }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Applies `fault` to every request whose path starts with `prefix` (newest rule first).
    pub fn set(&self, prefix: &str, fault: Fault) {
        self.rule(prefix, fault, None);
    }

    /// Applies `fault` to the next `times` requests whose path starts with `prefix`.
    pub fn times(&self, prefix: &str, fault: Fault, times: usize) {
        self.rule(prefix, fault, Some(times));
    }

    fn rule(&self, prefix: &str, fault: Fault, times: Option<usize>) {
        self.shared.rules.lock().unwrap().insert(
            0,
            Rule {
                prefix: prefix.into(),
                fault,
                times,
            },
        );
    }

    /// Removes every rule: everything passes again.
    pub fn clear(&self) {
        self.shared.rules.lock().unwrap().clear();
    }

    /// The request lines seen (`GET /v1/snapshot`, `CONNECT host:port`, ...).
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// True when clients sent these bytes anywhere (the first 4 MiB are kept).
    pub fn saw(&self, needle: &[u8]) -> bool {
        let raw = self.shared.raw.lock().unwrap();
        !needle.is_empty() && raw.windows(needle.len()).any(|w| w == needle)
    }

    /// How many bytes clients sent (up to 4 MiB).
    pub fn bytes_seen(&self) -> usize {
        self.shared.raw.lock().unwrap().len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn record(s: &Shared, bytes: &[u8]) {
    let mut raw = s.raw.lock().unwrap();
    let room = (4usize << 20).saturating_sub(raw.len());
    raw.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// Waits (bounded) until the proxy stops or `limit` passes.
fn hold(s: &Shared, limit: Duration) {
    let start = Instant::now();
    while !s.stop.load(Ordering::SeqCst) && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_head(c: &mut TcpStream) -> Option<Vec<u8>> {
    c.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 1 << 20 || c.read(&mut b).ok()? == 0 {
            return None;
        }
        head.push(b[0]);
    }
    c.set_read_timeout(None).ok()?;
    Some(head)
}

fn handle(mut c: TcpStream, s: Arc<Shared>) {
    // Peek at the first line to choose what to do, consuming nothing (for Reset).
    c.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut peek = [0u8; 2048];
    let start = Instant::now();
    let line = loop {
        let n = c.peek(&mut peek).unwrap_or(0);
        if n == 0 && start.elapsed() > Duration::from_secs(10) {
            return;
        }
        if n > 0 && peek[0] == 0x16 {
            // A TLS ClientHello: opaque, passed through.
            break String::from("<tls>");
        }
        if let Some(i) = peek[..n].windows(2).position(|w| w == b"\r\n") {
            break String::from_utf8_lossy(&peek[..i]).into_owned();
        }
        if start.elapsed() > Duration::from_secs(10) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let path = match target.strip_prefix("http://") {
        Some(rest) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or("/".into()),
        None => target.clone(),
    };
    s.requests
        .lock()
        .unwrap()
        .push(format!("{method} {target}").trim().to_string());
    let fault = {
        let mut rules = s.rules.lock().unwrap();
        let mut chosen = Fault::Pass;
        for r in rules.iter_mut() {
            if path.starts_with(&r.prefix) && r.times != Some(0) {
                if let Some(t) = &mut r.times {
                    *t -= 1;
                }
                chosen = r.fault.clone();
                break;
            }
        }
        chosen
    };
    if let Fault::Reset = fault {
        drop(c);
        return;
    }
    let mut up_head = Vec::new();
    if line != "<tls>" {
        let Some(head) = read_head(&mut c) else {
            return;
        };
        record(&s, &head);
        if method == "CONNECT" {
            if c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .is_err()
            {
                return;
            }
        } else {
            let text = String::from_utf8_lossy(&head).into_owned();
            let (first, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
            let version = if matches!(fault, Fault::LieLength(_)) {
                "HTTP/1.0"
            } else {
                "HTTP/1.1"
            };
            up_head = format!("{method} {path} {version}\r\n{rest}").into_bytes();
            let _ = first;
        }
    }
    match &fault {
        Fault::Hang => {
            hold(&s, MAX_HOLD);
            return;
        }
        Fault::Status(code, body) => {
            let _ = c.write_all(
                format!(
                    "HTTP/1.1 {code} Fault\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = c.write_all(body);
            let _ = c.shutdown(Shutdown::Both);
            return;
        }
        _ => {}
    }
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", s.upstream)) else {
        return;
    };
    if up.write_all(&up_head).is_err() {
        return;
    }
    // Client to Consul: raw (a request body, a TLS stream), recorded.
    let (mut c_in, mut up_out) = (c.try_clone().unwrap(), up.try_clone().unwrap());
    let s2 = s.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        c_in.set_read_timeout(Some(Duration::from_millis(200))).ok();
        let start = Instant::now();
        while !s2.stop.load(Ordering::SeqCst) && start.elapsed() < MAX_HOLD {
            match c_in.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    record(&s2, &buf[..n]);
                    if up_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let _ = up_out.shutdown(Shutdown::Write);
    });
    // Consul to client, with the fault.
    up.set_read_timeout(Some(Duration::from_secs(60))).ok();
    if let Fault::LieLength(extra) = fault {
        let mut all = Vec::new();
        let _ = up.read_to_end(&mut all);
        let Some(i) = all.windows(4).position(|w| w == b"\r\n\r\n") else {
            return;
        };
        let head = String::from_utf8_lossy(&all[..i]).into_owned();
        let body = &all[i + 4..];
        let mut out = String::new();
        for (n, l) in head.split("\r\n").enumerate() {
            let lower = l.to_ascii_lowercase();
            if n > 0
                && (lower.starts_with("content-length:")
                    || lower.starts_with("transfer-encoding:")
                    || lower.starts_with("connection:"))
            {
                continue;
            }
            out.push_str(&l.replace("HTTP/1.0", "HTTP/1.1"));
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\n\r\n",
            body.len() as u64 + extra
        ));
        let _ = c.write_all(out.as_bytes());
        let _ = c.write_all(body);
        hold(&s, MAX_HOLD);
        return;
    }
    let mut sent = 0usize;
    let mut buf = vec![0u8; 16384];
    let start = Instant::now();
    while start.elapsed() < MAX_HOLD && !s.stop.load(Ordering::SeqCst) {
        let want = match &fault {
            Fault::Slow(piece, _) => (*piece).min(buf.len()),
            Fault::Cut(after) | Fault::Stall(after) => (after - sent).min(buf.len()),
            _ => buf.len(),
        };
        if want == 0 {
            break;
        }
        let n = match up.read(&mut buf[..want]) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if c.write_all(&buf[..n]).is_err() {
            return;
        }
        sent += n;
        if let Fault::Slow(_, pause) = &fault {
            std::thread::sleep(*pause);
        }
    }
    if let Fault::Stall(_) = fault {
        hold(&s, MAX_HOLD);
        return;
    }
    let _ = c.shutdown(Shutdown::Both);
}
