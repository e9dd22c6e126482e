//! `snapinspect decode`: every record as a line of JSON.

use std::io::BufWriter;

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::model::secrets::Redactor;
use snapinspect::report::decode::{DecodeSink, Filter};
use snapinspect::snapshot::archive::{self, Input, ReadOptions};
use snapinspect::snapshot::state::MessageType;

/// Arguments of `decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only records of this type (name such as KVS or ACLToken, or number); repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only KV entries and tombstones whose key starts with this.
    #[arg(long, value_name = "PREFIX")]
    kv_prefix: Option<String>,
    /// Print secrets (ACL SecretIDs, private keys, tokens) instead of redaction markers.
    #[arg(long)]
    show_secrets: bool,
    /// Fail once more than this many uncompressed bytes have been read.
    #[arg(long, value_name = "BYTES")]
    max_size: Option<u64>,
    /// The snapshot: a .snap file, a raft snapshot directory, DIR/state.bin, or - for stdin.
    file: String,
}

/// Runs `decode`.
pub fn run(a: Args) -> Result<i32, Error> {
    let mut types = Vec::new();
    for t in &a.types {
        types.push(
            MessageType::parse(t)
                .ok_or_else(|| Error::Usage(format!("unknown record type {t:?}")))?,
        );
    }
    let filter = Filter {
        types,
        kv_prefix: a.kv_prefix.map(String::into_bytes),
    };
    let redactor = if a.show_secrets {
        Redactor::showing()
    } else {
        Redactor::new_random()
    };
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = DecodeSink::new(out, filter, redactor);
    let input = Input::from_arg(&a.file);
    let opts = ReadOptions {
        max_size: a.max_size,
        ..Default::default()
    };
    let result =
        archive::read(&input, &opts, &mut sink).map_err(|e| super::inspect::with_input(e, &input));
    sink.finish()?;
    result?;
    Ok(EXIT_OK)
}
