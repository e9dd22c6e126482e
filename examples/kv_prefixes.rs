//! KV bytes and entries under each key prefix of a snapshot, with a sink of our own.
//! Usage: `cargo run --example kv_prefixes -- FILE.snap [DEPTH]`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use snapinspect::{read, Input, MessageType, Model, ReadOptions, Record, RecordSink, Result};

/// Bytes and entries per key prefix of `depth` segments.
struct KvPrefixes {
    depth: usize,
    by_prefix: BTreeMap<String, (u64, u64)>,
}

impl RecordSink for KvPrefixes {
    fn wants_value(&mut self, t: MessageType) -> bool {
        t == MessageType::KVS
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        if let Some(Ok(Model::Kvs(entry))) = Model::from_record(r) {
            let key = entry.Key.lossy();
            let prefix: Vec<&str> = key.split('/').take(self.depth).collect();
            let slot = self.by_prefix.entry(prefix.join("/")).or_default();
            slot.0 += entry.Value.map_or(0, |v| v.0.len() as u64);
            slot.1 += 1;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: kv_prefixes FILE.snap [DEPTH]");
        return ExitCode::from(2);
    };
    let depth = args
        .next()
        .and_then(|d| d.to_str().and_then(|d| d.parse().ok()))
        .unwrap_or(1);
    let mut sink = KvPrefixes {
        depth,
        by_prefix: BTreeMap::new(),
    };
    match read(&Input::from_arg(&path), &ReadOptions::default(), &mut sink) {
        Ok(snap) => {
            println!(
                "{} records, last index {}",
                snap.records, snap.header.last_index
            );
            for (prefix, (bytes, entries)) in &sink.by_prefix {
                println!("{prefix:<40} {bytes:>12} B {entries:>8} entries");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
