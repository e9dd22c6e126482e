//! The tar-level reader (members, hashes, records, leftovers) on arbitrary uncompressed bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::snapshot::archive::{read_tar, Format, ReadOptions};
use snapinspect::snapshot::state::NullSink;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions { threaded: false, ..Default::default() };
    let _ = read_tar(std::io::BufReader::new(data), Format::Tar, &opts, &mut NullSink);
});
