//! `snapinspect decode`: every record as a line of JSON.

use std::io::BufWriter;

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::report::decode::DecodeSink;
use snapinspect::snapshot::vault::Product;

use super::args::{SecretArgs, SnapshotArgs, TypeFilter};

/// Arguments of `decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    filter: TypeFilter,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// Runs `decode`.
pub fn run(a: Args) -> Result<i32, Error> {
    // `--type` names a Consul type or a Nomad one; which applies is known once read.
    let nomad_types = a.filter.nomad_types();
    let filter = match (a.filter.filter(), &nomad_types) {
        (Ok(f), _) => Some(f),
        (Err(_), Some(_)) => None,
        // Neither Consul's nor Nomad's type names.
        (Err(e), None) => return Err(e),
    };
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = DecodeSink::new(
        out,
        filter.clone().unwrap_or_default(),
        a.secrets.redactor(),
    );
    sink.consul_off = filter.is_none();
    sink.nomad_types = nomad_types;
    let result = a.snapshot.read(&mut sink);
    sink.finish()?;
    let snap = result?;
    if snap.product != Product::Nomad {
        if filter.is_none() {
            // A Nomad type name given for a snapshot of another product.
            a.filter.filter()?;
        }
        snap.require_consul("decode")?;
    }
    Ok(EXIT_OK)
}
