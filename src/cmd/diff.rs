//! `snapinspect diff OLD NEW`: what a restore of NEW over OLD would change.

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::report::diff::{self, DiffOptions};
use snapinspect::snapshot::archive::{Input, ReadOptions};
use snapinspect::snapshot::state::MessageType;

/// Output layouts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A summary table and the changes by identity.
    Pretty,
    /// One JSON document (schema snapinspect-diff/1, docs/DIFF.md).
    Json,
}

/// Arguments of `diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Print the summary table only.
    #[arg(long)]
    stat: bool,
    /// Only records of this type (name or number); repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only KV entries and tombstones under this prefix.
    #[arg(long, value_name = "PREFIX")]
    kv_prefix: Option<String>,
    /// Also list Index-table records and changes that touch only CreateIndex/ModifyIndex.
    #[arg(long)]
    include_indexes: bool,
    /// Show KV values (a text diff when both sides are text) instead of sizes and fingerprints.
    #[arg(long)]
    show_values: bool,
    /// Show secrets instead of redaction markers.
    #[arg(long)]
    show_secrets: bool,
    /// The snapshot before (read twice, so not standard input).
    old: String,
    /// The snapshot after.
    new: String,
}

/// Runs `diff`: exit 0 when identical, 1 when they differ.
pub fn run(a: Args) -> Result<i32, Error> {
    let mut types = Vec::new();
    for t in &a.types {
        types.push(
            MessageType::parse(t)
                .ok_or_else(|| Error::Usage(format!("unknown record type {t:?}")))?,
        );
    }
    let opts = DiffOptions {
        types,
        kv_prefix: a.kv_prefix.map(String::into_bytes),
        include_indexes: a.include_indexes,
        show_values: a.show_values,
        show_secrets: a.show_secrets,
    };
    let (old, new) = (Input::from_arg(&a.old), Input::from_arg(&a.new));
    let report = diff::diff(&old, &new, &opts, &ReadOptions::default())?;
    let out = match a.format {
        Format::Pretty => report.pretty(a.stat),
        Format::Json => snapinspect::go::json::to_string_indent(&report, b"  ") + "\n",
    };
    super::emit(out.as_bytes())?;
    Ok(if report.identical {
        EXIT_OK
    } else {
        EXIT_FINDING
    })
}
