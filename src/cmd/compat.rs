//! `snapinspect compat`: can a given Consul version restore this snapshot?

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::model::shape::ProblemSink;
use snapinspect::report::compat::{self, Version};
use snapinspect::snapshot::state::NullSink;

use super::args::{json, OutputFormat, SnapshotArgs};

/// Arguments of `compat`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Consul version that would restore it, e.g. 1.8.7 or 1.15.2+ent.
    #[arg(long)]
    target: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// Runs `compat`; exits 1 when the target cannot restore the snapshot.
pub fn run(a: Args) -> Result<i32, Error> {
    let target = match &a.target {
        Some(t) => Some(Version::parse(t).ok_or_else(|| {
            Error::Usage(format!(
                "--target {t:?} is not a version like 1.8.7 (Consul's, or Nomad's for a Nomad snapshot)"
            ))
        })?),
        None => None,
    };
    let (snap, records) = match target {
        Some(v) => {
            let mut sink = ProblemSink::new(v);
            let snap = a.snapshot.read(&mut sink)?;
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
        None => (a.snapshot.read(&mut NullSink)?, Vec::new()),
    };
    if snap.product == snapinspect::snapshot::vault::Product::Nomad {
        return nomad(&snap, a.target.as_deref(), a.format);
    }
    snap.require_consul("compat")?;
    let present: Vec<_> = snap.types().map(|(t, s)| (t, s.count)).collect();
    let report = compat::check_records(&present, target, records);
    match a.format {
        OutputFormat::Text => super::emit_with(|w| report.write_text(w))?,
        OutputFormat::Json => super::emit(json(&report, b"  ").as_bytes())?,
    }
    Ok(
        if report.restorable == Some(false) || (target.is_none() && !report.all_types_known) {
            EXIT_FINDING
        } else {
            EXIT_OK
        },
    )
}

/// `compat` of a Nomad snapshot: the oldest Nomad release that restores it and, with
/// `--target`, whether that release does (exit 1 if not, or if no release does).
fn nomad(
    snap: &snapinspect::snapshot::archive::Snapshot,
    target: Option<&str>,
    format: OutputFormat,
) -> Result<i32, Error> {
    let target = target.and_then(Version::parse);
    let report = snapinspect::report::nomad::NomadCompat::new(snap, target);
    match format {
        OutputFormat::Text => super::emit(report.pretty().as_bytes())?,
        OutputFormat::Json => super::emit(json(&report, b"  ").as_bytes())?,
    }
    Ok(
        if report.restorable == Some(false) || report.oldest.is_none() {
            EXIT_FINDING
        } else {
            EXIT_OK
        },
    )
}
