//! `snapinspect scan`: which records carry secrets, and which KV values look like secrets.

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::report::scan::{ScanReport, ScanSink};

use super::args::{json, OutputFormat, SnapshotArgs};

/// Arguments of `scan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Exit 1 when any secret is found (a gate before a snapshot leaves the team).
    #[arg(long)]
    fail_on_secrets: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// Runs `scan`.
pub fn run(a: Args) -> Result<i32, Error> {
    let mut sink = ScanSink::default();
    a.snapshot.read(&mut sink)?.require_consul("scan")?;
    let report = ScanReport {
        secret_records: sink.records,
        suspect_values: sink.values,
    };
    match a.format {
        OutputFormat::Text => super::emit_with(|w| report.write_text(w))?,
        OutputFormat::Json => super::emit(json(&report, b"  ").as_bytes())?,
    }
    Ok(if a.fail_on_secrets && report.count() > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    })
}
