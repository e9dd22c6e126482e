//! The cloud storage emulators the storage tests run against, started per test on a free
//! loopback port and stopped when dropped: moto in server mode for S3
//! (`scripts/install-emulators.sh`; `SNAPINSPECT_MOTO` names its python, else `python3`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// A moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The python that has moto: `SNAPINSPECT_MOTO`, the venv the install script makes, or python3.
pub fn moto_python() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/emulators/bin/python");
    let candidates = std::env::var_os("SNAPINSPECT_MOTO")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")]);
    candidates.into_iter().find(|py| {
        StdCommand::new(py)
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Starts moto on a free port, or says why not (and fails when emulators are demanded).
pub fn moto() -> Option<Moto> {
    let Some(py) = moto_python() else {
        super::skip(
            "SNAPINSPECT_REQUIRE_EMULATORS",
            "storage: moto is not installed (run scripts/install-emulators.sh and set SNAPINSPECT_MOTO)",
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = StdCommand::new(&py)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && ureq::get(&format!("{}/", moto.endpoint)).call().is_ok()
        {
            return Some(moto);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Moto {
    /// Creates a bucket (moto takes unsigned requests; names have at least 3 characters).
    pub fn bucket(&self, name: &str) {
        ureq::put(&format!("{}/{name}", self.endpoint))
            .call()
            .unwrap();
    }

    /// Uploads an object.
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        // Without a content type moto waits for a form body that never ends.
        ureq::put(&format!("{}/{bucket}/{key}", self.endpoint))
            .set("Content-Type", "application/octet-stream")
            .send_bytes(body)
            .unwrap();
    }

    /// snapinspect with the AWS variables pointing at this server, and no others.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("snapinspect").unwrap();
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("AWS_") {
                c.env_remove(k);
            }
        }
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY");
        c
    }
}
