//! Helpers shared by the integration tests: running the binary, gzip, tar members, SHA256SUMS,
//! the JSON schemas in docs/.
#![allow(dead_code)]

pub mod consul;
pub mod emulators;
pub mod mutate;
pub mod proxy;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// snapinspect run with `args` from the project's root (where `testdata/...` resolves).
pub fn local(args: &[&str]) -> std::process::Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("snapinspect"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// [`local`]'s (exit code, stdout, stderr), both streams required to be UTF-8.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = local(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes `bytes` as `dir/name`; returns its path as a string, for an argument.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// testdata/all.snap with one byte of its state flipped (inside the gzip stream: a CRC or
/// hash failure).
pub fn corrupt_all_snap() -> Vec<u8> {
    let mut b = std::fs::read(testdata("all.snap")).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x55;
    b
}

/// The JSON schema docs/`file`.
pub fn schema(file: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Where `doc` breaks `schema`: one line an error, with the place in the document.
pub fn schema_errors(schema: &serde_json::Value, doc: &serde_json::Value) -> Vec<String> {
    let v = jsonschema::validator_for(schema).unwrap();
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// The long-running agent's flags on a test's time scale: a save every 2 s, a 3 s check TTL,
/// a 10 s session TTL and a 1 s lock delay.
pub const AGENT_SCHEDULE: [&str; 8] = [
    "--interval",
    "2s",
    "--check-ttl",
    "3s",
    "--session-ttl",
    "10s",
    "--lock-delay",
    "1s",
];

/// Sends `sig` (`-TERM`, `-HUP`, ...) to the process `pid` with kill(1).
pub fn signal(pid: u32, sig: &str) {
    std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
}

/// Sends SIGTERM to `child` and waits for it to exit: its status, or `None` when it still
/// runs after `within`.
pub fn terminate(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    signal(child.id(), "-TERM");
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if start.elapsed() >= within {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Path of a file in testdata/.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

/// A USTAR header as Consul writes one.
pub fn ustar_header(name: &str, size: usize) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000600\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14707316140\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in members {
        out.extend_from_slice(&ustar_header(name, data.len()));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// The members of a testdata snapshot: (meta.json, state.bin).
pub fn members(name: &str) -> (Vec<u8>, Vec<u8>) {
    let raw = gunzip(&std::fs::read(testdata(name)).unwrap());
    let mut t = snapinspect::go::tar::TarReader::new(std::io::BufReader::new(&raw[..]));
    let (mut meta, mut state) = (Vec::new(), Vec::new());
    while let Some(e) = t.next_entry().unwrap() {
        let mut body = Vec::new();
        t.read_data(&e, &mut |c| {
            body.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        match e.name.as_slice() {
            b"meta.json" => meta = body,
            b"state.bin" => state = body,
            _ => {}
        }
    }
    (meta, state)
}

pub fn sums(meta: &[u8], state: &[u8]) -> Vec<u8> {
    format!(
        "{:x}  meta.json\n{:x}  state.bin\n",
        Sha256::digest(meta),
        Sha256::digest(state)
    )
    .into_bytes()
}

/// Peak RSS every command must stay under, in KiB.
pub const RSS_LIMIT_KB: i64 = 64 * 1024;

/// Runs the binary, returning (exit code, stderr, peak RSS in KiB of that process alone, as
/// it reports it through SNAPINSPECT_PEAK_RSS_FILE).
pub fn run_measured(args: &[&str]) -> (i32, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    let rss_file = dir.path().join("rss");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("snapinspect"))
        .args(args)
        .env("SNAPINSPECT_PEAK_RSS_FILE", &rss_file)
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let rss: i64 = std::fs::read_to_string(&rss_file)
        .expect("the binary reports its peak RSS")
        .trim()
        .parse()
        .unwrap();
    assert!(rss > 0);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        rss,
    )
}

/// A .snap with this meta and state, written by the library writer (hashes and Size match).
pub fn snap(meta: &snapinspect::snapshot::meta::SnapshotMeta, state: &[u8]) -> Vec<u8> {
    let opts = snapinspect::write::WriteOptions {
        level: 6,
        mtime: 0,
        threads: 1,
    };
    snapinspect::write::write_snapshot(Vec::new(), meta, &mut &state[..], state.len() as u64, opts)
        .unwrap()
        .1
}

/// A state.bin header `{"LastIndex": N}` (Consul's msgpack), to push records after.
pub fn state_header(last_index: u64) -> Vec<u8> {
    use snapinspect::go::msgpack::encode as e;
    let mut state = Vec::new();
    e::map_len(&mut state, 1);
    e::raw(&mut state, b"LastIndex");
    e::uint(&mut state, last_index);
    state
}

/// Writes `state` (header included) as `dir/name`, a whole .snap with a meta.json for
/// `index`; returns its path.
pub fn write_snap(dir: &Path, name: &str, index: u64, state: &[u8]) -> PathBuf {
    let meta = snapinspect::snapshot::meta::SnapshotMeta {
        version: 1,
        id: format!("2-{index}-1790000000000"),
        index,
        term: 2,
        peers: None,
        servers: None,
        configuration_index: 1,
        size: state.len() as i64,
        crc: None,
    };
    let p = dir.join(name);
    std::fs::write(&p, snap(&meta, state)).unwrap();
    p
}

/// True when the environment variable holds a true value (1, true, yes, on; any case).
pub fn demanded(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// A test that cannot run: fails when `var` demands the requirement, else says so on the real
/// standard error (visible in a passing run; the harness captures only `eprintln!`).
pub fn skip(var: &str, note: &str) {
    if demanded(var) {
        panic!("{var} is set but the test cannot run: {note}");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "=== SKIPPED: {note} ===");
}
