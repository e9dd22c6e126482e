//! The `snapinspect` command: parses flags, calls the library, prints, exits with one code.

mod cmd;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: see cmd::signal.
    cmd::signal::install();
    let code = cmd::run(std::env::args_os().collect());
    report_peak_rss();
    ExitCode::from(code as u8)
}

/// With `SNAPINSPECT_PEAK_RSS_FILE` set, writes this process's peak resident memory in KiB
/// (VmHWM) to that file: how the tests and benchmarks measure memory. (A parent's `wait4`
/// figure would also count the memory of the process that spawned it.)
fn report_peak_rss() {
    let Some(path) = std::env::var_os("SNAPINSPECT_PEAK_RSS_FILE") else {
        return;
    };
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    if let Some(kib) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        let _ = std::fs::write(path, kib.to_string());
    }
}
