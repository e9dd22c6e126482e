//! "An invalid download is never kept": `save` from a server that answers `GET /v1/snapshot`
//! with a damaged snapshot (cut short, a flipped byte, not a snapshot at all) exits 3, names
//! what is wrong, and leaves no file (neither the target nor a temp file) behind.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use crate::util;

/// Serves `body` as Consul's answer to every request, until the test ends.
fn serve(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            // The request head, up to the blank line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" || line == "\n" {
                    break;
                }
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip\r\nX-Consul-Index: 53\r\nX-Consul-Knownleader: true\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn save_from(body: Vec<u8>, dir: &Path) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .env_remove("CONSUL_HTTP_ADDR")
        .env_remove("CONSUL_HTTP_TOKEN")
        .args(["save", "--http-addr", &serve(body), "-q"])
        .arg(dir.join("backup.snap"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_damaged_download_exits_3_and_leaves_no_file() {
    let good = std::fs::read(util::testdata("all.snap")).unwrap();
    let (meta, state) = util::members("all.snap");
    let mut flipped_state = state.clone();
    flipped_state[state.len() / 2] ^= 0x40;
    let flipped = util::gzip(&util::tar(&[
        ("meta.json", &meta),
        ("state.bin", &flipped_state),
        ("SHA256SUMS", &util::sums(&meta, &state)),
    ]));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("cut short", good[..good.len() / 2].to_vec(), "not valid"),
        ("a flipped byte in state.bin", flipped, "not valid"),
        (
            "not a snapshot",
            b"<html>maintenance</html>".to_vec(),
            "not valid",
        ),
        ("empty", Vec::new(), "not valid"),
    ];
    for (what, body, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, err) = save_from(body, dir.path());
        assert_eq!(code, 3, "{what}: exit {code}, stderr: {err}");
        assert!(err.contains(needle), "{what}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{what}: left behind {left:?}");
    }
    // The same server with the whole snapshot: kept, so the cases above failed for the damage.
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = save_from(good.clone(), dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(dir.path().join("backup.snap")).unwrap(), good);
}

/// `save -` sends the snapshot to standard output only once it verified; a damaged one sends
/// nothing. `-o FILE` is the same as FILE.
#[test]
fn save_to_standard_output_only_when_whole() {
    let good = std::fs::read(util::testdata("all.snap")).unwrap();
    let run = |body: Vec<u8>, target: &[&str]| {
        assert_cmd::Command::cargo_bin("snapinspect")
            .unwrap()
            .env_remove("CONSUL_HTTP_ADDR")
            .env_remove("CONSUL_HTTP_TOKEN")
            .args(["save", "--http-addr", &serve(body), "-q"])
            .args(target)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let out = run(good.clone(), &["-"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, good);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Saved and verified snapshot to index 53")
    );
    let out = run(good[..good.len() / 2].to_vec(), &["-"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty(), "a damaged snapshot reached stdout");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("o.snap");
    let out = run(good.clone(), &["-o", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&p).unwrap(), good);
}
