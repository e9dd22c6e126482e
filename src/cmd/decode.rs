//! `snapinspect decode`: every record as a line of JSON.

use std::io::BufWriter;

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::report::decode::DecodeSink;

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
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = DecodeSink::new(out, filter, a.secrets.redactor());
    let result = a.snapshot.read(&mut sink);
    sink.finish()?;
    result?.require_consul("decode")?;
    Ok(EXIT_OK)
}
