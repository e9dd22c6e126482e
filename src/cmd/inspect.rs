//! `snapinspect inspect`: Consul's inspect report.

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::report::inspect::details::{DetailsOptions, DetailsSink};
use snapinspect::report::inspect::{self, KvOptions, KvStats, Report};
use snapinspect::snapshot::archive::{self, Input, ReadOptions};
use snapinspect::snapshot::state::Tee;

/// Output layouts of inspect.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Consul's table layout.
    Pretty,
    /// Consul's JSON layout.
    Json,
    /// The meta-only layout of Consul 1.8 and older.
    Legacy,
}

/// Arguments of `inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Break KV space usage down by key prefix.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    kvdetails: Option<bool>,
    /// Key prefix depth of the KV breakdown.
    #[arg(long, default_value_t = 2, allow_negative_numbers = true)]
    kvdepth: i64,
    /// Only KV keys with this prefix in the breakdown.
    #[arg(long, default_value = "")]
    kvfilter: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Fail once more than this many uncompressed bytes have been read.
    #[arg(long, value_name = "BYTES")]
    max_size: Option<u64>,
    /// Also show why the snapshot is big and where it came from (after Consul's report).
    #[arg(long)]
    details: bool,
    /// With --details: how many of the largest KV entries and records to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// The snapshot: a .snap file, a raft snapshot directory, DIR/state.bin, or - for stdin.
    file: String,
}

/// Runs `inspect`.
pub fn run(a: Args) -> Result<i32, Error> {
    let enabled = a.kvdetails.unwrap_or(false);
    let depth = if enabled {
        inspect::kv_depth(a.kvdepth)?
    } else {
        2
    };
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let opts = ReadOptions {
        max_size: a.max_size,
        progress: Some(counter.clone()),
        ..Default::default()
    };
    let mut kv = KvStats::new(KvOptions {
        enabled,
        depth,
        filter: a.kvfilter.into_bytes(),
    });
    let input = Input::from_arg(&a.file);
    let progress = super::progress::Progress::start(&input, counter, a.quiet);
    let mut details = DetailsSink::new(DetailsOptions {
        top: if a.details { a.top } else { 0 },
        kv_depth: inspect::kv_depth(a.kvdepth)?,
        now_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    });
    let snap = if a.details {
        archive::read(&input, &opts, &mut Tee(&mut kv, &mut details))
    } else {
        archive::read(&input, &opts, &mut kv)
    }
    .map_err(|e| with_input(e, &input));
    drop(progress);
    let snap = snap?;
    let report = Report::new(&snap, Some(&kv));
    let mut out = match (a.format, a.details) {
        (Format::Pretty, false) => report.pretty(),
        (Format::Json, false) => report.json().into_bytes(),
        (Format::Legacy, _) => inspect::legacy(&snap.meta),
        (Format::Pretty, true) => {
            let mut o = report.pretty();
            o.extend_from_slice(b"\n\n");
            o.extend_from_slice(details.report(&snap).pretty().trim_end().as_bytes());
            o
        }
        (Format::Json, true) => {
            let both = serde_json::json!({ "inspect": report, "details": details.report(&snap) });
            snapinspect::go::json::to_string_indent(&both, b"   ").into_bytes()
        }
    };
    out.push(b'\n');
    super::emit(&out)?;
    Ok(EXIT_OK)
}

/// Prefixes an error with the input it concerns.
pub fn with_input(e: Error, input: &Input) -> Error {
    match e {
        Error::Invalid(mut i) => {
            i.message = format!("{}: {}", input.display(), i.message);
            Error::Invalid(i)
        }
        Error::Unsupported(m) => Error::Unsupported(format!("{}: {m}", input.display())),
        other => other,
    }
}
