//! Records per message type, counted by a closure sink.
//! Usage: `cargo run --example type_counts -- FILE.snap`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use snapinspect::{read, FnSink, Input, ReadOptions};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: type_counts FILE.snap");
        return ExitCode::from(2);
    };
    let mut counts = BTreeMap::new();
    let mut sink = FnSink(|r: &snapinspect::Record<'_>| {
        *counts.entry(r.mtype).or_insert(0u64) += 1;
        Ok(())
    });
    if let Err(e) = read(&Input::from_arg(&path), &ReadOptions::default(), &mut sink) {
        eprintln!("error: {e}");
        return ExitCode::from(e.exit_code() as u8);
    }
    for (t, n) in counts {
        println!("{:<28} {n:>10}", t.name());
    }
    ExitCode::SUCCESS
}
