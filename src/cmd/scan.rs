//! `snapinspect scan`: which records carry secrets, and which KV values look like secrets.

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::report::scan::{ScanReport, ScanSink};
use snapinspect::snapshot::archive::{self, Input, ReadOptions};

/// Output layouts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables.
    Pretty,
    /// One JSON document.
    Json,
}

/// Arguments of `scan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Exit 1 when any secret is found (a gate before a snapshot leaves the team).
    #[arg(long)]
    fail_on_secrets: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// The snapshot.
    file: String,
}

/// Runs `scan`.
pub fn run(a: Args) -> Result<i32, Error> {
    let input = Input::from_arg(&a.file);
    let mut sink = ScanSink::default();
    archive::read(&input, &ReadOptions::default(), &mut sink)
        .map_err(|e| super::inspect::with_input(e, &input))?;
    let report = ScanReport {
        secret_records: sink.records,
        suspect_values: sink.values,
    };
    let out = match a.format {
        Format::Pretty => report.pretty(),
        Format::Json => snapinspect::go::json::to_string_indent(&report, b"  ") + "\n",
    };
    super::emit(out.as_bytes())?;
    Ok(if a.fail_on_secrets && report.count() > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    })
}
