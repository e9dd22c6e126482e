//! diff of two inputs: the bytes are split in two archives, written to files (diff reads OLD
//! twice) and compared, record by record or (Vault) key by key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::snapshot::archive::{Input, ReadOptions};
use snapinspect::report::diff::{diff_products, DiffOptions, ProductDiff};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = 1 + (data[0] as usize * (data.len() - 1)) / 256;
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.snap"), dir.path().join("b.snap"));
    std::fs::write(&a, &data[1..split]).expect("write");
    std::fs::write(&b, &data[split..]).expect("write");
    let read = ReadOptions { threaded: false, max_size: Some(64 << 20), ..Default::default() };
    let opts = DiffOptions { include_indexes: data[0] & 1 == 1, show_values: data[0] & 2 == 2, ..Default::default() };
    if let Ok(report) = diff_products(&Input::Archive(a.clone()), &Input::Archive(b), &opts, &read) {
        let _ = match &report {
            ProductDiff::Records(r) => r.pretty(false),
            ProductDiff::Keys(r) => r.pretty(false),
        };
        // A snapshot is identical to itself (Consul's records, Vault's keys).
        let same = diff_products(&Input::Archive(a.clone()), &Input::Archive(a), &opts, &read).expect("it read once");
        assert!(match same {
            ProductDiff::Records(r) => r.identical,
            ProductDiff::Keys(r) => r.identical,
        });
    }
});
