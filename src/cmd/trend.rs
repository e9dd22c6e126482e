//! `snapinspect trend`: growth across many snapshots, as a table, JSON and an SVG chart.

use std::path::PathBuf;

use snapinspect::error::{Error, EXIT_OK};

use super::args::OutputFormat;

/// Arguments of `trend`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Also draw bytes per record type over time as an SVG chart at this path.
    #[arg(long, value_name = "SVG")]
    plot: Option<PathBuf>,
    /// Also write node_exporter textfile metrics (the newest snapshot's figures and each
    /// series' growth, labelled with the product) to this path.
    #[arg(long, value_name = "PATH")]
    prometheus: Option<PathBuf>,
    /// Key prefix depth for the per-prefix growth (the same default as inspect's).
    #[arg(long, default_value_t = 2)]
    kvdepth: usize,
    /// Fail once more than this many uncompressed bytes have been read from one snapshot.
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    max_size: Option<u64>,
    /// How many types and prefixes to list (and types to draw).
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    storage: super::storage::StorageArgs,
    /// Snapshots, or directories searched recursively for *.snap (s3://, az:// and gs://
    /// objects and prefixes too).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Runs `trend`.
pub fn run(a: Args) -> Result<i32, Error> {
    a.storage.apply();
    let inputs = super::storage::expand(&a.paths)?;
    let read = snapinspect::ReadOptions {
        max_size: a.max_size,
        opener: super::storage::opener(),
        ..Default::default()
    };
    let report = snapinspect::report::trend::trend_with(&inputs, a.kvdepth, &read)?;
    if let Some(path) = &a.plot {
        let svg = super::plot::svg(&report, a.top.min(8))
            .map_err(|e| Error::Usage(format!("drawing the chart: {e}")))?;
        snapinspect::write::write_atomic(path, &super::signal::temp_files(), |f| {
            use std::io::Write;
            super::args::world_readable(f, path)?;
            f.write_all(svg.as_bytes())
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))
        })?;
    }
    if let Some(path) = &a.prometheus {
        let text = report.prometheus();
        snapinspect::write::write_atomic(path, &super::signal::temp_files(), |f| {
            use std::io::Write;
            super::args::world_readable(f, path)?;
            f.write_all(text.as_bytes())
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))
        })?;
    }
    match a.format {
        OutputFormat::Text => super::emit_with(|w| report.write_text(w, a.top))?,
        OutputFormat::Json => super::emit(super::args::json(&report, b"  ").as_bytes())?,
    }
    Ok(EXIT_OK)
}
