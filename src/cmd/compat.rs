//! `snapinspect compat`: can a given Consul version restore this snapshot?

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::model::shape::ProblemSink;
use snapinspect::report::compat::{self, Version};
use snapinspect::snapshot::archive::{self, Input, ReadOptions};
use snapinspect::snapshot::state::NullSink;

/// Output layouts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table and a verdict line.
    Pretty,
    /// One JSON document.
    Json,
}

/// Arguments of `compat`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Consul version that would restore it, e.g. 1.8.7 or 1.15.2+ent.
    #[arg(long)]
    target: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// The snapshot.
    file: String,
}

/// Runs `compat`; exits 1 when the target cannot restore the snapshot.
pub fn run(a: Args) -> Result<i32, Error> {
    let target = match &a.target {
        Some(t) => Some(Version::parse(t).ok_or_else(|| {
            Error::Usage(format!("--target {t:?} is not a Consul version like 1.8.7"))
        })?),
        None => None,
    };
    let input = Input::from_arg(&a.file);
    let (snap, records) = match target {
        Some(v) => {
            let mut sink = ProblemSink::new(v);
            let snap = archive::read(&input, &ReadOptions::default(), &mut sink)
                .map_err(|e| super::inspect::with_input(e, &input))?;
            let records = sink
                .findings
                .into_iter()
                .map(
                    |(record_type, count, first_record, message)| compat::RecordFinding {
                        record_type,
                        count,
                        first_record,
                        message,
                    },
                )
                .collect();
            (snap, records)
        }
        None => (
            archive::read(&input, &ReadOptions::default(), &mut NullSink)
                .map_err(|e| super::inspect::with_input(e, &input))?,
            Vec::new(),
        ),
    };
    let present: Vec<_> = snap.types().map(|(t, s)| (t, s.count)).collect();
    let report = compat::check_records(&present, target, records);
    let out = match a.format {
        Format::Pretty => report.pretty(),
        Format::Json => snapinspect::go::json::to_string_indent(&report, b"  ") + "\n",
    };
    super::emit(out.as_bytes())?;
    Ok(
        if report.restorable == Some(false) || (target.is_none() && !report.all_types_known) {
            EXIT_FINDING
        } else {
            EXIT_OK
        },
    )
}
