//! save, restore, unpack and the Consul client under faults: a proxy on 127.0.0.1 in front of
//! a real Consul 1.8.7 hangs, slows down, resets, answers 500s, cuts bodies and lies about
//! Content-Length; every case ends in a clear error (or succeeds), never a stall.

use crate::util;

use std::path::Path;
use std::process::{Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::consul::{self, acl_server, MASTER};
use crate::util::proxy::{Fault, FaultProxy};
use crate::util::text;
use assert_cmd::Command;

/// snapinspect with a clean Consul environment plus `env`.
fn cmd(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("snapinspect").unwrap();
    c.args(args);
    for v in [
        "CONSUL_HTTP_ADDR",
        "CONSUL_HTTP_TOKEN",
        "CONSUL_HTTP_TOKEN_FILE",
        "CONSUL_HTTP_SSL",
        "CONSUL_HTTP_SSL_VERIFY",
        "CONSUL_CACERT",
        "CONSUL_TLS_SERVER_NAME",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn timed(mut c: Command) -> (Output, Duration) {
    let start = Instant::now();
    let out = c.timeout(Duration::from_secs(60)).output().unwrap();
    (out, start.elapsed())
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every fault on GET /v1/snapshot ends `save` with one clear line within seconds, nothing
/// left behind; a slow but steady download succeeds although it takes longer than the
/// timeout (the timeout bounds each silence of a transfer, not its whole); SIGTERM stops a
/// stalled download at once.
#[test]
fn save_under_faults_ends_in_a_clear_error_never_a_stall() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let proxy = FaultProxy::start(server.http_port());
    let addr = format!("http://{}", proxy.addr());
    let env = [
        ("CONSUL_HTTP_ADDR", addr.as_str()),
        ("CONSUL_HTTP_TOKEN", MASTER),
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.snap");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(&str, Fault, &str)> = vec![
        ("hang", Fault::Hang, "--timeout"),
        ("stall", Fault::Stall(1500), "--timeout"),
        ("lie", Fault::LieLength(5000), "--timeout"),
        ("cut", Fault::Cut(1500), "closed"),
        ("reset", Fault::Reset, "Consul"),
        ("500", Fault::Status(500, b"boom".to_vec()), "500 boom"),
    ];
    for (name, fault, want) in cases {
        proxy.clear();
        proxy.set("/v1/snapshot", fault);
        let (r, took) = timed(cmd(&env, &["save", "--timeout", "2s", out_s]));
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(4), "{name}: {err}");
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(!err.contains(MASTER), "{name}: the token leaked");
        assert!(
            entries(dir.path()).is_empty(),
            "{name}: {:?}",
            entries(dir.path())
        );
    }

    // Slow but steady: ~3 KB in 256-byte pieces 300 ms apart, longer than the 1 s timeout.
    proxy.clear();
    proxy.set("/v1/snapshot", Fault::Slow(256, Duration::from_millis(300)));
    let (r, took) = timed(cmd(&env, &["save", "--timeout", "1s", out_s]));
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(took > Duration::from_secs(1), "{took:?}");
    std::fs::remove_file(&out).unwrap();

    // SIGTERM during a stalled download: out within a second or two, exit 130, no temp file.
    proxy.clear();
    proxy.set("/v1/snapshot", Fault::Stall(1500));
    let mut child = Process::new(env!("CARGO_BIN_EXE_snapinspect"))
        .args(["save", "--timeout", "60s", out_s])
        .env("CONSUL_HTTP_ADDR", &addr)
        .env("CONSUL_HTTP_TOKEN", MASTER)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !entries(dir.path()).iter().any(|f| f.ends_with(".tmp")) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no download began"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = Instant::now();
    let status = util::terminate(&mut child, Duration::from_secs(5)).expect("save ignored SIGTERM");
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "{:?}",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

/// A 16 MiB error body with terminal escapes, a forged log line and the token: one short
/// line, escaped, without the token.
#[test]
fn server_error_bodies_are_cut_escaped_and_never_echo_the_token() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let proxy = FaultProxy::start(server.http_port());
    let mut body =
        format!("\x1b[31mdenied\n2026-01-01T00:00:00Z [INFO] forged line {MASTER}\n").into_bytes();
    body.resize(16 << 20, b'x');
    proxy.set("/v1/snapshot", Fault::Status(500, body));
    let addr = format!("http://{}", proxy.addr());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.snap");
    let (r, took) = timed(cmd(
        &[("CONSUL_HTTP_ADDR", &addr), ("CONSUL_HTTP_TOKEN", MASTER)],
        &["save", out.to_str().unwrap()],
    ));
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(4), "{err}");
    assert!(took < Duration::from_secs(10));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.len() < 1000, "{} bytes", err.len());
    assert!(!err.contains('\x1b') && !err.contains(MASTER), "{err}");
    assert!(
        err.contains("\\x1b[31mdenied\\n2026") && err.contains("<token>"),
        "{err}"
    );
    assert!(err.contains("more bytes)"), "{err}");
}

/// A token or datacenter holding CR/LF is refused before anything is sent (exit 2).
#[test]
fn control_characters_in_a_token_or_datacenter_are_refused_before_sending() {
    let Some(server) = acl_server(None) else {
        return;
    };
    let proxy = FaultProxy::start(server.http_port());
    let addr = format!("http://{}", proxy.addr());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.snap");
    let out = out.to_str().unwrap();
    for (token, extra) in [
        ("abc\r\nX-Evil: 1", vec![]),
        ("abc\x1b", vec![]),
        (MASTER, vec!["-datacenter", "dc1\r\nX-Evil: 1"]),
    ] {
        let mut args = vec!["save"];
        args.extend(extra);
        args.push(out);
        let (r, _) = timed(cmd(
            &[("CONSUL_HTTP_ADDR", &addr), ("CONSUL_HTTP_TOKEN", token)],
            &args,
        ));
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(
            err.contains("control character") && !err.contains("Evil"),
            "{err}"
        );
    }
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

/// CONSUL_HTTP_SSL and CONSUL_HTTP_SSL_VERIFY are Go booleans; anything else is a usage
/// error, and verification off is said aloud.
#[test]
fn ssl_variables_are_go_booleans_and_verification_off_is_loud() {
    for (var, value) in [("CONSUL_HTTP_SSL_VERIFY", "yes"), ("CONSUL_HTTP_SSL", "on")] {
        let (r, _) = timed(cmd(&[(var, value)], &["save", "/nonexistent/x.snap"]));
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(err.contains(var) && err.contains("ParseBool"), "{err}");
    }
    let port = consul::free_port().to_string();
    let addr = format!("https://127.0.0.1:{port}");
    let (r, _) = timed(cmd(
        &[("CONSUL_HTTP_ADDR", &addr), ("CONSUL_HTTP_SSL_VERIFY", "F")],
        &["save", "/nonexistent/x.snap"],
    ));
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(4), "{err}");
    assert!(
        err.contains("warning: TLS certificate verification is off"),
        "{err}"
    );
}

/// https: CONSUL_HTTP_SSL=true makes a scheme-less -http-addr (and config file address) TLS,
/// so the token never crosses in clear; HTTPS_PROXY tunnels with CONNECT and HTTP_PROXY
/// forwards, NO_PROXY bypasses.
#[test]
fn tls_everywhere_asked_and_the_proxy_variables() {
    let Some(bin) = consul::require() else { return };
    let certs = tempfile::tempdir().unwrap();
    for args in [
        &["tls", "ca", "create"][..],
        &["tls", "cert", "create", "-server", "-dc", "dc1"][..],
    ] {
        let o = Process::new(&bin)
            .args(args)
            .current_dir(certs.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let p = |n: &str| certs.path().join(n).to_str().unwrap().to_string();
    let https = consul::free_port();
    let server = acl_server(Some(serde_json::json!({
        "ports": { "https": https },
        "ca_file": p("consul-agent-ca.pem"),
        "cert_file": p("dc1-server-consul-0.pem"),
        "key_file": p("dc1-server-consul-0-key.pem"),
    })))
    .unwrap();
    let ca = p("consul-agent-ca.pem");
    let tls_env = |addr: &str| -> Vec<(String, String)> {
        vec![
            ("CONSUL_HTTP_TOKEN".into(), MASTER.into()),
            ("CONSUL_HTTP_SSL".into(), "true".into()),
            ("CONSUL_CACERT".into(), ca.clone()),
            ("CONSUL_TLS_SERVER_NAME".into(), "server.dc1.consul".into()),
            ("CONSUL_HTTP_ADDR".into(), addr.into()),
        ]
    };
    let run = |env: &[(String, String)], args: &[&str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        timed(cmd(&env, args)).0
    };
    let dir = tempfile::tempdir().unwrap();
    let out = |n: &str| dir.path().join(n).to_str().unwrap().to_string();

    // -http-addr without a scheme, CONSUL_HTTP_SSL=true: TLS through the recording proxy.
    let front = FaultProxy::start(https);
    let r = run(
        &tls_env("127.0.0.1:1"),
        &["save", "-http-addr", &front.addr(), &out("flag.snap")],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(front.bytes_seen() > 0);
    assert!(!front.saw(MASTER.as_bytes()) && !front.saw(b"X-Consul-Token"));

    // The same from the agent's config file.
    let cfg = dir.path().join("agent.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"snapshot_agent": {"http_addr": front.addr(),
            "local_storage": {"path": dir.path().join("agent")}}})
        .to_string(),
    )
    .unwrap();
    let r = run(
        &tls_env("127.0.0.1:1"),
        &["agent", "--once", "--config", cfg.to_str().unwrap()],
    );
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(!front.saw(MASTER.as_bytes()) && !front.saw(b"X-Consul-Token"));

    // HTTPS_PROXY: a CONNECT tunnel to a name only the proxy knows; TLS inside it.
    let tunnel = FaultProxy::start(https);
    let mut env = tls_env(&format!("https://consul.invalid:{https}"));
    env.push(("HTTPS_PROXY".into(), format!("http://{}", tunnel.addr())));
    let r = run(&env, &["save", &out("tunnel.snap")]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(
        tunnel.requests()[0].starts_with(&format!("CONNECT consul.invalid:{https}")),
        "{:?}",
        tunnel.requests()
    );
    assert!(!tunnel.saw(MASTER.as_bytes()));

    // HTTP_PROXY: plain http in absolute form; NO_PROXY bypasses it (and the name then
    // does not resolve).
    let forward = FaultProxy::start(server.http_port());
    let plain = format!("http://consul.invalid:{}", server.http_port());
    let env = vec![
        ("CONSUL_HTTP_TOKEN".to_string(), MASTER.to_string()),
        ("CONSUL_HTTP_ADDR".into(), plain.clone()),
        ("HTTP_PROXY".into(), format!("http://{}", forward.addr())),
    ];
    let r = run(&env, &["save", &out("forward.snap")]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(
        forward.requests()[0].starts_with(&format!("GET {plain}/v1/snapshot")),
        "{:?}",
        forward.requests()
    );
    let mut env = env.clone();
    env.push(("NO_PROXY".into(), ".invalid".into()));
    let before = forward.requests().len();
    let r = run(&env, &["save", &out("bypass.snap")]);
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    assert_eq!(forward.requests().len(), before);
}

fn fifo_with(dir: &Path, name: &str, data: Vec<u8>) -> std::path::PathBuf {
    let fifo = dir.join(name);
    let ok = Process::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo failed");
    let f = fifo.clone();
    std::thread::spawn(move || {
        // Opening blocks until a reader comes; a second open by the reader would hang.
        use std::io::Write;
        if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&f) {
            let _ = w.write_all(&data);
        }
    });
    fifo
}

/// unpack and restore read their input once: a FIFO (which can be read only once) works,
/// and what is extracted or sent is what was verified.
#[test]
fn unpack_and_restore_read_their_input_once() {
    let snap = std::fs::read(util::testdata("kv.snap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo_with(dir.path(), "in.snap", snap.clone());
    let out = dir.path().join("out");
    let (r, _) = timed(cmd(
        &[],
        &[
            "unpack",
            fifo.to_str().unwrap(),
            "-C",
            out.to_str().unwrap(),
        ],
    ));
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(entries(&out), vec!["SHA256SUMS", "meta.json", "state.bin"]);

    let Some(server) = acl_server(None) else {
        return;
    };
    let fifo = fifo_with(dir.path(), "restore.snap", snap);
    let (r, _) = timed(cmd(
        &[
            ("CONSUL_HTTP_ADDR", &server.http_addr()),
            ("CONSUL_HTTP_TOKEN", MASTER),
        ],
        &["restore", "--quiet", fifo.to_str().unwrap()],
    ));
    assert!(r.status.success(), "{}", text(&r.stderr));
}
