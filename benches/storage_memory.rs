//! Peak memory of `snapinspect verify s3://...` on a 64 MiB and a 1 GiB snapshot held by a
//! real S3 emulator (moto in server mode, `scripts/install-emulators.sh`): the object is read
//! once, as a stream, so the peak must not grow with the object's size and must stay under
//! 64 MiB (issue 20). Run with `cargo bench --bench storage_memory`; results go to
//! docs/PERFORMANCE.md by hand, with the machine and the date.
//!
//! Not a criterion benchmark: what is measured is the peak resident memory of the command
//! (read by the binary itself from `/proc/self/status` and written to the file named by
//! `SNAPINSPECT_PEAK_RSS_FILE`), with its wall time beside it. The archives are generated on
//! first use and cached under target/bench-data, as benches/read.rs does. Without moto it says
//! so and succeeds, unless `SNAPINSPECT_REQUIRE_EMULATORS` is set; a peak over the bound
//! fails the run (exit 1).

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use snapinspect::write::generate::{generate_snapshot, GenOptions};
use snapinspect::write::WriteOptions;

/// The bound the issue sets on `verify s3://...`.
const LIMIT_KIB: u64 = 64 * 1024;

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/emulators/bin/python");
    std::env::var_os("SNAPINSPECT_MOTO")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")])
        .find(|py| {
            Command::new(py)
                .args(["-c", "import moto.server"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

fn archive(label: &str, size: u64) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(format!("bench-{label}-seed1.snap"));
    if !p.exists() {
        eprintln!("generating {} ...", p.display());
        generate_snapshot(
            GenOptions {
                size,
                seed: 1,
                variant: 0,
            },
            &p,
            WriteOptions {
                level: 6,
                mtime: 0,
                threads: 2,
            },
            &snapinspect::write::TempFiles::new(),
        )
        .unwrap();
    }
    p
}

fn main() {
    // `cargo bench` passes --bench (and filters); nothing here takes them.
    let Some(py) = moto_python() else {
        let msg = "storage_memory: moto is not installed (scripts/install-emulators.sh)";
        if std::env::var_os("SNAPINSPECT_REQUIRE_EMULATORS").is_some() {
            eprintln!("{msg}, and SNAPINSPECT_REQUIRE_EMULATORS is set");
            std::process::exit(1);
        }
        eprintln!("=== SKIPPED: {msg} ===");
        return;
    };
    let inputs = [
        ("64MiB", archive("64MiB", 64 << 20)),
        ("1GiB", archive("1GiB", 1 << 30)),
    ];

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _moto = Moto(
        Command::new(&py)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while ureq::get(&format!("{endpoint}/")).call().is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ureq::put(&format!("{endpoint}/bench")).call().unwrap();

    let mut failed = false;
    println!("| object | size | wall | peak RSS |");
    println!("|---|---|---|---|");
    for (label, path) in &inputs {
        let len = std::fs::metadata(path).unwrap().len();
        // Without a content type moto waits for a form body that never ends.
        ureq::put(&format!("{endpoint}/bench/{label}.snap"))
            .set("Content-Type", "application/octet-stream")
            .set("Content-Length", &len.to_string())
            .send(File::open(path).unwrap())
            .unwrap();
        let rss_file = tempfile::NamedTempFile::new().unwrap();
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_snapinspect"))
            .args(["verify", "-q", &format!("s3://bench/{label}.snap")])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("SNAPINSPECT_PEAK_RSS_FILE", rss_file.path())
            .output()
            .unwrap();
        let wall = t.elapsed();
        assert!(
            out.status.success(),
            "verify s3://bench/{label}.snap failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let kib: u64 = std::fs::read_to_string(rss_file.path())
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        println!(
            "| s3://bench/{label}.snap | {:.1} MiB | {:.2} s | {:.1} MiB |",
            len as f64 / (1 << 20) as f64,
            wall.as_secs_f64(),
            kib as f64 / 1024.0
        );
        if kib > LIMIT_KIB {
            eprintln!("peak RSS {kib} KiB is over the bound of {LIMIT_KIB} KiB");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
