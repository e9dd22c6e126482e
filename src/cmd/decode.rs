//! `snapinspect decode`: every record as a line of JSON.

use std::io::BufWriter;

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::report::decode::DecodeSink;
use snapinspect::report::vault::decode as vault;
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
    // A Vault snapshot has no types to select: `--type` is refused for it.
    let types_given = !a.filter.types.is_empty();
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = DecodeSink::new(
        out,
        filter.clone().unwrap_or_default(),
        a.secrets.redactor(),
    );
    sink.consul_off = filter.is_none();
    sink.nomad_types = nomad_types;
    let mut result = a.snapshot.read(&mut sink);
    if let Ok(snap) = &result {
        if snap.product == Product::Vault {
            // Entries: keys, sizes and fingerprints; the encrypted values are never printed.
            result = vault::check_types(types_given)
                .and_then(|_| sink.vault_meta())
                .and(result);
        }
    }
    sink.finish()?;
    let snap = result?;
    if snap.product != Product::Nomad && snap.product != Product::Vault {
        if filter.is_none() {
            // A Nomad type name given for a snapshot of another product.
            a.filter.filter()?;
        }
        snap.require_consul("decode")?;
    }
    Ok(EXIT_OK)
}
