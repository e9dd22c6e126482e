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
    let filter = a.filter.filter()?;
    let types_given = !filter.types.is_empty();
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = DecodeSink::new(out, filter, a.secrets.redactor());
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
    if snap.product != Product::Vault {
        snap.require_consul("decode")?;
    }
    Ok(EXIT_OK)
}
