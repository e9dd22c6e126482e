//! The state.bin record walker on arbitrary bytes, fed in two chunks split by the first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::snapshot::state::{MessageType, Record, RecordSink, StateWalker};

struct Values(u64);
impl RecordSink for Values {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> snapinspect::Result<()> {
        // The walker promises each captured value is exactly one msgpack value.
        let v = r.value.expect("value requested");
        assert_eq!(snapinspect::go::msgpack::value_len(v).expect("walker found a whole value"), v.len());
        self.0 += 1;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let split = (data[0] as usize).min(data.len() - 1) + 1;
    let mut w = StateWalker::new();
    let mut sink = Values(0);
    if w.feed(&data[1..split], &mut sink).is_ok() && w.feed(&data[split..], &mut sink).is_ok() {
        let _ = w.finish();
    }
});
