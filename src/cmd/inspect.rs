//! `snapinspect inspect`: Consul's inspect report.

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::report::inspect::details::{DetailsOptions, DetailsSink, MetaBlock};
use snapinspect::report::inspect::{self, KvOptions, KvStats, Report};
use snapinspect::report::vault::{VaultReport, VaultStats};
use snapinspect::snapshot::state::{NullSink, Tee};
use snapinspect::snapshot::vault::Product;

use super::args::SnapshotArgs;

/// Output layouts of inspect.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Consul's table layout (`text` is the same).
    #[value(alias = "text")]
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
    /// Vault's spelling of --kvdepth (`-depth`; 0: whole keys).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    depth: Option<i64>,
    /// Vault's spelling of --kvfilter (`-filter`).
    #[arg(long, value_name = "PREFIX")]
    filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Nomad's spelling of --format json (`-json`).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Also show why the snapshot is big and where it came from (after Consul's report).
    #[arg(long)]
    details: bool,
    /// With --details: at most N entries in every list (without it: the 10 largest KV
    /// entries and records, 10 nodes in the text, every node, service and prefix in JSON).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Only the meta block (ID, Size, Index, Term, Version and the creation time in the ID),
    /// as text or with --format json as one JSON object.
    #[arg(long, conflicts_with_all = ["details", "kvdetails"])]
    meta: bool,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// Runs `inspect`.
pub fn run(mut a: Args) -> Result<i32, Error> {
    if a.json {
        a.format = Format::Json;
    }
    if a.meta {
        return meta(a);
    }
    let enabled = a.kvdetails.unwrap_or(false);
    let kvdepth = a.depth.unwrap_or(a.kvdepth);
    let kvfilter = a.filter.clone().unwrap_or(a.kvfilter.clone());
    let depth = if enabled {
        inspect::kv_depth(kvdepth)?
    } else {
        2
    };
    // Vault's breakdown is always on (its -details defaults to true).
    let mut vault = VaultStats::new(inspect::kv_depth(kvdepth)?, kvfilter.as_bytes());
    let mut kv = KvStats::new(KvOptions {
        enabled,
        depth,
        filter: kvfilter.into_bytes(),
    });
    let mut details = DetailsSink::new(DetailsOptions {
        top: if a.details { a.top.unwrap_or(10) } else { 0 },
        limit: a.top,
        kv_depth: inspect::kv_depth(a.kvdepth)?,
        now_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    });
    let snap = if a.details {
        a.snapshot
            .read(&mut Tee(&mut Tee(&mut kv, &mut vault), &mut details))?
    } else {
        a.snapshot.read(&mut Tee(&mut kv, &mut vault))?
    };
    if snap.product != Product::Consul {
        let mut out = match (a.format, a.details) {
            (Format::Legacy, _) => inspect::legacy(&snap.meta),
            (_, true) => {
                return Err(Error::Unsupported(format!(
                    "--details reads Consul's records; this is a {} snapshot",
                    snap.product.title()
                )))
            }
            (format, false) if snap.product == Product::Nomad => {
                let report = snapinspect::report::nomad::NomadReport::new(&snap);
                if format == Format::Pretty {
                    report.pretty().into_bytes()
                } else {
                    report.json().into_bytes()
                }
            }
            (format, false) => {
                let report = VaultReport::new(&snap.meta, &vault);
                if format == Format::Pretty {
                    report.pretty()
                } else {
                    report.json().into_bytes()
                }
            }
        };
        out.push(b'\n');
        super::emit(&out)?;
        return Ok(EXIT_OK);
    }
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

/// `inspect --meta`: the whole snapshot is read (and checked), only its meta block printed.
fn meta(a: Args) -> Result<i32, Error> {
    let snap = a.snapshot.read(&mut NullSink)?;
    let block = MetaBlock::new(&snap.meta);
    match a.format {
        Format::Json => super::emit(super::args::json(&block, b"  ").as_bytes())?,
        Format::Legacy => super::emit(&inspect::legacy(&snap.meta))?,
        Format::Pretty => super::emit_with(|w| block.write_text(w))?,
    }
    Ok(EXIT_OK)
}
