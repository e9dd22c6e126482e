//! A real Consul 1.8.7 server for integration tests: found or skipped loudly, started on
//! 127.0.0.1 on free ports with its own data directory, stopped by PID when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Consul binary to test against, if there is one.
pub fn binary() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("SNAPINSPECT_CONSUL").map(PathBuf::from),
        Some(root.join("target/consul-1.8.7/usr/bin/consul")),
        Some(PathBuf::from("consul")),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("Consul v1.8.7"))
            .unwrap_or(false)
    })
}

/// The Consul binary, or `None` after a loud note; panics when SNAPINSPECT_REQUIRE_CONSUL=1.
pub fn require() -> Option<PathBuf> {
    match binary() {
        Some(b) => Some(b),
        None => {
            super::skip(
                "SNAPINSPECT_REQUIRE_CONSUL",
                "real Consul 1.8.7 not found; run scripts/install-consul.sh or set SNAPINSPECT_CONSUL",
            );
            None
        }
    }
}

/// The master token of [`acl_server`].
pub const MASTER: &str = "4c1e5e2a-0000-4000-8000-00000000abcd";

/// A server with ACLs on (default deny, master token [`MASTER`]) and `extra` configuration,
/// or `None` (skipped loudly) without Consul.
pub fn acl_server(extra: Option<serde_json::Value>) -> Option<Server> {
    let bin = require()?;
    Some(Server::start(
        &bin,
        Options {
            acl_master_token: Some(MASTER.into()),
            extra,
            ..Default::default()
        },
    ))
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start a server.
#[derive(Default, Clone)]
pub struct Options {
    /// ACLs on, default deny, with this master token.
    pub acl_master_token: Option<String>,
    /// Connect on.
    pub connect: bool,
    /// Node name (default: a unique one).
    pub node_name: Option<String>,
    /// More agent configuration, merged over the rest (TLS, a Unix socket address...).
    pub extra: Option<serde_json::Value>,
    /// Expect a second server that never comes: the cluster has no leader.
    pub no_leader: bool,
}

/// A running single-server Consul.
pub struct Server {
    child: Child,
    binary: PathBuf,
    config: PathBuf,
    http: u16,
    token: Option<String>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server and waits until it has a leader (and, with ACLs, a working token).
    pub fn start(binary: &Path, opts: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (http, dns, lan, wan, server) = (
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
        );
        let node = opts
            .node_name
            .clone()
            .unwrap_or_else(|| format!("test-{http}"));
        let mut config = serde_json::json!({
            "datacenter": "dc1",
            "node_name": node,
            "data_dir": dir.path().join("data"),
            "server": true,
            "bootstrap_expect": if opts.no_leader { 2 } else { 1 },
            "bind_addr": "127.0.0.1",
            "client_addr": "127.0.0.1",
            "advertise_addr": "127.0.0.1",
            "ports": { "http": http, "dns": dns, "serf_lan": lan, "serf_wan": wan, "server": server, "grpc": -1 },
            "disable_update_check": true,
            "log_level": "warn",
            "performance": { "raft_multiplier": 1 },
        });
        if let Some(t) = &opts.acl_master_token {
            config["acl"] = serde_json::json!({ "enabled": true, "default_policy": "deny", "tokens": { "master": t } });
        }
        if opts.connect {
            config["connect"] = serde_json::json!({ "enabled": true });
        }
        if let Some(serde_json::Value::Object(extra)) = &opts.extra {
            for (k, v) in extra {
                match (config.get_mut(k), v) {
                    // One level deep, so that extra "ports" add to the free ones chosen here.
                    (Some(serde_json::Value::Object(base)), serde_json::Value::Object(more)) => {
                        for (k2, v2) in more {
                            base.insert(k2.clone(), v2.clone());
                        }
                    }
                    _ => config[k] = v.clone(),
                }
            }
        }
        let cfg = dir.path().join("config.json");
        std::fs::write(&cfg, config.to_string()).unwrap();
        let child = spawn(binary, &cfg);
        let no_leader = opts.no_leader;
        let s = Server {
            child,
            binary: binary.to_path_buf(),
            config: cfg,
            http,
            token: opts.acl_master_token,
            _dir: dir,
        };
        if no_leader {
            s.wait_http();
        } else {
            s.wait_ready();
        }
        s
    }

    /// Stops the server (SIGKILL) and starts it again on the same data directory; true when it
    /// comes back with a leader within `timeout`, false when it exits or does not.
    pub fn restart(&mut self, timeout: Duration) -> bool {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::File::create(self.dir().join("restart.log")).unwrap();
        self.child = Command::new(&self.binary)
            .args(["agent", "-config-file"])
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.ready_within(timeout)
    }

    /// True while the server process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the server has a leader; false if it exits or `timeout` passes first.
    pub fn ready_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.alive() {
                return false;
            }
            let leader = ureq::get(&format!("{}/v1/status/leader", self.http_addr()))
                .timeout(Duration::from_secs(2))
                .call()
                .ok()
                .and_then(|r| r.into_string().ok())
                .unwrap_or_default();
            if leader.contains("127.0.0.1") && self.consistent_reads() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Whether the leader is past its barrier write (hashicorp/consul agent/consul/leader.go:
    /// `setConsistentReadReady` after `establishLeadership`): before it, a consistent read is
    /// refused and a snapshot restore can fail with "wait until the configuration entry at 1
    /// has been applied".
    fn consistent_reads(&self) -> bool {
        let mut req = ureq::get(&format!("{}/v1/catalog/nodes?consistent", self.http_addr()))
            .timeout(Duration::from_secs(2));
        if let Some(t) = &self.token {
            req = req.set("X-Consul-Token", t);
        }
        req.call().is_ok()
    }

    fn wait_http(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("{}/v1/status/leader", self.http_addr()))
            .call()
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "Consul's HTTP API did not answer within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                Instant::now() < deadline,
                "Consul did not elect a leader within 60 s"
            );
            let leader = ureq::get(&format!("{}/v1/status/leader", self.http_addr()))
                .call()
                .ok()
                .and_then(|r| r.into_string().ok())
                .unwrap_or_default();
            if leader.contains("127.0.0.1") && self.consistent_reads() {
                let ready = match &self.token {
                    None => true,
                    Some(t) => ureq::get(&format!("{}/v1/acl/token/self", self.http_addr()))
                        .set("X-Consul-Token", t)
                        .call()
                        .is_ok(),
                };
                if ready {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// The HTTP port.
    pub fn http_port(&self) -> u16 {
        self.http
    }

    /// PUT to the HTTP API with the master token; the answer's body.
    pub fn put(&self, path: &str, body: &str) -> String {
        let mut req = ureq::put(&format!("{}{path}", self.http_addr()));
        if let Some(t) = &self.token {
            req = req.set("X-Consul-Token", t);
        }
        req.send_string(body)
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
            .into_string()
            .unwrap()
    }

    /// Writes about `mib` MiB of incompressible KV values, so that a snapshot of this server
    /// spans more than one 8 MiB upload part.
    pub fn fill(&self, mib: usize) {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..mib * 2 {
            let mut v = vec![0u8; 512 * 1024 - 1024];
            for b in v.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            ureq::put(&format!("{}/v1/kv/bulk/{i}", self.http_addr()))
                .send_bytes(&v)
                .unwrap();
        }
    }

    /// GET a JSON document from the HTTP API with the master token.
    pub fn api(&self, path: &str) -> serde_json::Value {
        let mut req = ureq::get(&format!("{}{path}", self.http_addr()));
        if let Some(t) = &self.token {
            req = req.set("X-Consul-Token", t);
        }
        let text = req
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_string()
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The server's data directory's parent (a private temp dir).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// The master token, when ACLs are on.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Runs the consul CLI against this server.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut c = Command::new(&self.binary);
        c.args(args).env("CONSUL_HTTP_ADDR", self.http_addr());
        match &self.token {
            Some(t) => c.env("CONSUL_HTTP_TOKEN", t),
            None => c.env_remove("CONSUL_HTTP_TOKEN"),
        };
        c.output().unwrap()
    }

    /// Runs the consul CLI and asserts it succeeded; returns stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "consul {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn spawn(binary: &Path, cfg: &Path) -> Child {
    Command::new(binary)
        .args(["agent", "-config-file"])
        .arg(cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
