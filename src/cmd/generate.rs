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
    /// Where to write the .snap (`-`: standard output), or with --raw the directory.
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
    if !a.raw && a.output.as_os_str() == "-" {
        return to_stdout(&a);
    }
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

/// `generate -o -`: the state is staged in an unnamed temp file, then the archive streams out.
fn to_stdout(a: &Args) -> Result<i32, Error> {
    use std::io::{BufReader, BufWriter, Seek, Write};
    let mut staged = snapinspect::write::unnamed_temp_file(None)
        .map_err(|e| Error::io("creating a temp file", e))?;
    let generated = {
        let mut w = BufWriter::with_capacity(1 << 20, &mut staged);
        generate::generate_state(
            GenOptions {
                size: a.size,
                seed: a.seed,
                variant: a.variant,
            },
            &mut w,
        )
        .and_then(|g| w.flush().map(|_| g))
        .map_err(|e| Error::io("writing the generated state", e))?
    };
    staged
        .rewind()
        .map_err(|e| Error::io("rereading the generated state", e))?;
    let meta = generate::meta_for(
        generated.state_len,
        generated.last_index,
        1_790_000_000_000 + a.seed,
    );
    let out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let (meta, mut out) = snapinspect::write::write_snapshot(
        out,
        &meta,
        &mut BufReader::with_capacity(1 << 20, staged),
        generated.state_len,
        Default::default(),
    )?;
    out.flush()
        .map_err(|e| Error::io("writing to standard output", e))?;
    eprintln!(
        "generated a snapshot on standard output (state.bin {} bytes, index {})",
        meta.size, meta.index
    );
    Ok(EXIT_OK)
}
