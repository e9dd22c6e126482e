//! The whole archive reader on arbitrary bytes (.snap or plain tar).
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::snapshot::archive::{read_archive, ReadOptions};
use snapinspect::report::inspect::{KvOptions, KvStats};

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions { threaded: false, max_size: Some(64 << 20), ..Default::default() };
    let mut kv = KvStats::new(KvOptions { enabled: true, depth: 2, filter: Vec::new() });
    let _ = read_archive(std::io::Cursor::new(data.to_vec()), &opts, &mut kv);
});
