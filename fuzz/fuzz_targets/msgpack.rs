//! The msgpack decoder against the skipper: both agree on where a value ends, and a decoded
//! value re-encodes to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::go::msgpack::{decode, encode, value_len};

fuzz_target!(|data: &[u8]| {
    let skipped = value_len(data);
    if let Ok((v, n)) = decode(data) {
        assert_eq!(skipped.ok(), Some(n), "skipper and decoder disagree");
        let mut again = Vec::new();
        encode::value(&mut again, &v);
        let (v2, _) = decode(&again).expect("re-encoded value decodes");
        // NaN != NaN, so compare the encodings instead of the values.
        let mut again2 = Vec::new();
        encode::value(&mut again2, &v2);
        assert_eq!(again, again2);
    }
});
