//! The progress display, seen on a real terminal (a tmux pane): it appears for a long run with
//! the file name, the phase, a percent, and a rate within 2x of the bytes over the elapsed
//! time; it never appears when stderr is not a terminal, or with -q.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("snapinspect")
}

/// A snapshot whose decode takes a few seconds in a test build.
fn big_snapshot(dir: &Path) -> PathBuf {
    let p = dir.join("big.snap");
    let out = Command::new(bin())
        .args(["generate", "-q", "--size", "32MiB", "-o"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    p
}

/// Runs `args` in a detached tmux pane; returns every distinct screen seen (with the time
/// since the start at which it was seen) and the wall time.
fn in_tmux(socket: &str, args: &[&str]) -> (Vec<(String, Duration)>, Duration) {
    // The display starts after its usual first second, as an operator sees it.
    let cmd = format!(
        "{} {} > /dev/null; echo SNAPINSPECT-DONE; sleep 30",
        bin().display(),
        args.join(" ")
    );
    let start = Instant::now();
    let ok = Command::new("tmux")
        .args([
            "-L",
            socket,
            "new-session",
            "-d",
            "-x",
            "220",
            "-y",
            "8",
            &cmd,
        ])
        .status()
        .unwrap()
        .success();
    assert!(ok, "tmux new-session failed");
    let mut screens: Vec<(String, Duration)> = Vec::new();
    let took = loop {
        let shot = Command::new("tmux")
            .args(["-L", socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&shot.stdout).into_owned();
        if text.contains("SNAPINSPECT-DONE") {
            break start.elapsed();
        }
        if !text.trim().is_empty() && screens.last().map(|s| &s.0) != Some(&text) {
            screens.push((text, start.elapsed()));
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run did not end"
        );
        std::thread::sleep(Duration::from_millis(30));
    };
    let _ = Command::new("tmux")
        .args(["-L", socket, "kill-server"])
        .status();
    (screens, took)
}

/// Bytes in a size such as `12.50 MiB`.
fn bytes(num: &str, unit: &str) -> f64 {
    let n: f64 = num.parse().unwrap();
    n * match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1048576.0,
        "GiB" => 1073741824.0,
        u => panic!("unit {u}"),
    }
}

/// The rate a progress line shows, in bytes per second.
fn shown_rate(line: &str) -> Option<f64> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let unit = w[1].strip_suffix("/s")?;
        Some(bytes(w[0], unit))
    })
}

#[test]
fn progress_shows_on_a_terminal_with_a_true_rate_and_never_when_piped() {
    if !tmux_available() {
        eprintln!("=== SKIPPED progress test: tmux is not installed ===");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = big_snapshot(dir.path());
    let size = std::fs::metadata(&snap).unwrap().len() as f64;
    let file = snap.to_str().unwrap();
    let socket = format!("snapinspect-test-{}", std::process::id());

    let (screens, _took) = in_tmux(&socket, &["decode", file]);
    let lines: Vec<(&str, Duration)> = screens
        .iter()
        .flat_map(|(s, at)| s.lines().map(move |l| (l, *at)))
        .filter(|(l, _)| l.contains("reading") && l.contains("big.snap"))
        .collect();
    assert!(!lines.is_empty(), "no progress line seen: {screens:?}");
    assert!(lines.iter().any(|(l, _)| l.contains('%')), "{lines:?}");
    // Each shown rate against the bytes the same line shows over the time since the start.
    let mut checked = 0;
    for (line, at) in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        // "1.56 MiB/12.99 MiB": the amount done, then the total.
        let Some(done) = words.windows(2).find_map(|w| {
            let (unit, _) = w[1].split_once('/')?;
            (!w[1].ends_with("/s") && w[0].parse::<f64>().is_ok()).then(|| bytes(w[0], unit))
        }) else {
            continue;
        };
        let Some(rate) = shown_rate(line) else {
            continue;
        };
        let expected = done / at.as_secs_f64();
        assert!(
            rate <= 2.0 * expected && rate >= expected / 2.0,
            "shown {rate:.0} B/s, but {done:.0} bytes in {at:?} is {expected:.0} B/s: {line}"
        );
        checked += 1;
    }
    assert!(checked > 0, "{lines:?}");
    let _ = size;

    // -q: nothing on the terminal but the end marker.
    let (screens, _) = in_tmux(&format!("{socket}-q"), &["decode", "-q", file]);
    assert!(
        screens.iter().all(|(s, _)| !s.contains("reading")),
        "-q showed progress: {screens:?}"
    );

    // Not a terminal: stderr to a pipe holds nothing, even when asked to show at once.
    let out = Command::new(bin())
        .args(["decode", file])
        .env("SNAPINSPECT_PROGRESS_AFTER_MS", "0")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
