//! `snapinspect diff OLD NEW`: what a restore of NEW over OLD would change.

use std::path::PathBuf;

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::report::diff::{self, DiffOptions, ProductDiff};
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
    /// Fail once more than this many uncompressed bytes have been read from one input.
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    max_size: Option<u64>,
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
    #[command(flatten)]
    storage: super::storage::StorageArgs,
    /// The snapshot before (read twice, so not standard input).
    old: PathBuf,
    /// The snapshot after.
    new: PathBuf,
}

/// Runs `diff`: exit 0 when identical, 1 when they differ.
pub fn run(a: Args) -> Result<i32, Error> {
    // `--type` names Consul's types or Nomad's; which applies is known once read.
    let nomad_types = a.filter.nomad_types();
    let (filter, consul_names) = match a.filter.filter() {
        Ok(f) => (f, true),
        Err(e) if nomad_types.is_none() => return Err(e),
        Err(_) => (Default::default(), false),
    };
    let opts = DiffOptions {
        types: filter.types,
        kv_prefix: filter.kv_prefix,
        include_indexes: a.include_indexes,
        show_values: a.show_values,
        show_secrets: a.secrets.show_secrets,
        nomad_types: nomad_types.unwrap_or_default(),
    };
    a.storage.apply();
    let (old, new) = (Input::from_arg(&a.old), Input::from_arg(&a.new));
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let read = ReadOptions {
        max_size: a.max_size,
        progress: Some(counter.clone()),
        opener: super::storage::opener(),
        ..Default::default()
    };
    use super::progress::{input_size, Progress, Spec, Unit};
    let total = match (input_size(&old), input_size(&new)) {
        (Some(o), Some(n)) => Some(2 * o + n),
        _ => None,
    };
    let spec = Spec {
        label: format!("{} {}", old.display(), new.display()),
        total,
        phases: vec![
            "diff: reading OLD".into(),
            "diff: reading NEW".into(),
            "diff: reading OLD again".into(),
        ],
        unit: Unit::Bytes,
    };
    let progress = Progress::start(spec, counter, a.quiet);
    let report = diff::diff_products(&old, &new, &opts, &read);
    drop(progress);
    let report = report?;
    let identical = match &report {
        ProductDiff::Records(r) => r.identical,
        ProductDiff::Keys(r) => r.identical,
    };
    if let ProductDiff::Records(r) = &report {
        if !consul_names && r.product != "nomad" {
            // Nomad type names given for Consul snapshots.
            a.filter.filter()?;
        }
    }
    match a.format {
        _ if a.quiet => {}
        OutputFormat::Text => {
            let text = snapinspect::report::text(|w| match &report {
                ProductDiff::Records(r) => r.write_text(w, a.stat),
                ProductDiff::Keys(r) => r.write_text(w, a.stat),
            });
            super::emit(super::color::diff(&text).as_bytes())?
        }
        OutputFormat::Json => super::emit(
            match &report {
                ProductDiff::Records(r) => json(r, b"  "),
                ProductDiff::Keys(r) => json(r, b"  "),
            }
            .as_bytes(),
        )?,
    }
    Ok(if identical { EXIT_OK } else { EXIT_FINDING })
}
