//! `snapinspect generate`: a realistic synthetic snapshot of a chosen size, for benchmarks.

use std::path::PathBuf;

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::write::generate::{self, GenOptions};

/// Arguments of `generate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Approximate size of state.bin, e.g. 64MiB or 1GiB.
    #[arg(long, value_parser = super::args::parse_size)]
    size: u64,
    /// Seed; the same seed and size give the same state.bin.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A variant of the same snapshot, for diffs (0 is the base): about 0.5% of KV entries
    /// removed, 0.5% changed and 100 added.
    #[arg(long, default_value_t = 0)]
    variant: u64,
    /// Where to write the .snap (or, with --raw, the directory).
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// Write a raft snapshot directory instead of a .snap archive.
    #[arg(long)]
    raw: bool,
    /// No progress display.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Runs `generate`.
pub fn run(a: Args) -> Result<i32, Error> {
    if !a.raw {
        let opts = GenOptions {
            size: a.size,
            seed: a.seed,
            variant: a.variant,
        };
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let spec = super::progress::Spec {
            label: a.output.display().to_string(),
            total: Some(a.size),
            phases: vec!["generating".into(), "compressing".into()],
            unit: super::progress::Unit::Bytes,
        };
        let progress = super::progress::Progress::start(spec, counter.clone(), a.quiet);
        let meta = generate::generate_snapshot_counted(
            opts,
            &a.output,
            Default::default(),
            &super::signal::temp_files(),
            Some(counter),
        );
        drop(progress);
        let meta = meta?;
        eprintln!(
            "generated {} (state.bin {} bytes, index {})",
            a.output.display(),
            meta.size,
            meta.index
        );
        return Ok(EXIT_OK);
    }
    let meta = generate::generate_raw_dir(
        GenOptions {
            size: a.size,
            seed: a.seed,
            variant: a.variant,
        },
        &a.output,
    )?;
    eprintln!(
        "generated {} (state.bin {} bytes, index {})",
        a.output.display(),
        meta.size,
        meta.index
    );
    Ok(EXIT_OK)
}
