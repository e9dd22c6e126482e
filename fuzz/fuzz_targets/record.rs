//! The typed record decoder, identity and redaction on arbitrary record values: the first
//! byte picks the message type, the rest is the msgpack value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapinspect::report::decode::record_json;
use snapinspect::model::secrets::Redactor;
use snapinspect::snapshot::state::MessageType;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let t = MessageType(data[0] % 48);
    let (json, id, _typed) = record_json(t, &data[1..], &Redactor::new_random());
    assert!(id.starts_with(&t.name()));
    let _ = serde_json::to_string(&json).expect("decoded records serialize");
    let _ = snapinspect::write::redact::redact_value(t, &data[1..]);
    let _ = snapinspect::model::shape::check(t, &data[1..]);
});
