//! `snapinspect diff OLD NEW`: what a restore of NEW over OLD would change.

use std::path::PathBuf;

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::report::diff::{self, DiffOptions};
use snapinspect::snapshot::archive::{Input, ReadOptions};

use super::args::{json, OutputFormat, SecretArgs, TypeFilter};

/// Arguments of `diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format (JSON: schema snapinspect-diff/1, docs/DIFF.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Print the summary table only.
    #[arg(long)]
    stat: bool,
    /// Print nothing: the exit status says whether they differ (0 same, 1 different), as
    /// diff(1) -q does.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    filter: TypeFilter,
    /// Also list Index-table records and changes that touch only CreateIndex/ModifyIndex.
    #[arg(long)]
    include_indexes: bool,
    /// Show KV values (a text diff when both sides are text) instead of sizes and fingerprints.
    #[arg(long)]
    show_values: bool,
    #[command(flatten)]
    secrets: SecretArgs,
    /// The snapshot before (read twice, so not standard input).
    old: PathBuf,
    /// The snapshot after.
    new: PathBuf,
}

/// Runs `diff`: exit 0 when identical, 1 when they differ.
pub fn run(a: Args) -> Result<i32, Error> {
    let filter = a.filter.filter()?;
    let opts = DiffOptions {
        types: filter.types,
        kv_prefix: filter.kv_prefix,
        include_indexes: a.include_indexes,
        show_values: a.show_values,
        show_secrets: a.secrets.show_secrets,
    };
    let (old, new) = (Input::from_arg(&a.old), Input::from_arg(&a.new));
    let report = diff::diff(&old, &new, &opts, &ReadOptions::default())?;
    match a.format {
        _ if a.quiet => {}
        OutputFormat::Text => super::emit_with(|w| report.write_text(w, a.stat))?,
        OutputFormat::Json => super::emit(json(&report, b"  ").as_bytes())?,
    }
    Ok(if report.identical {
        EXIT_OK
    } else {
        EXIT_FINDING
    })
}
