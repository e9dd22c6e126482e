//! `decode` of a Nomad snapshot (`report::decode::DecodeSink` calls it): every record as one
//! line of JSON (the generic msgpack value,
//! with Nomad's type name and the record's identity), secrets redacted unless asked for.

use crate::go::msgpack;
use crate::model::secrets::Redactor;
use crate::report::decode::Line;
use crate::snapshot::state::Record;

/// The JSON of one Nomad record value, its identity, with secrets redacted by `redactor`.
pub fn record_json(t: u8, value: &[u8], redactor: &Redactor) -> (serde_json::Value, String) {
    match msgpack::decode(value) {
        Ok((v, _)) => {
            let mut json = crate::model::values::to_json(&v);
            let id = crate::model::nomad::identity(t, &json);
            crate::model::nomad::redact(t, &mut json, redactor);
            (json, id)
        }
        Err(e) => (
            serde_json::json!({ "error": e.to_string() }),
            format!("{}:?", crate::snapshot::nomad::type_name(t)),
        ),
    }
}

/// The JSON line of one Nomad record (the shape of Consul's decode lines; `typed` is false:
/// the value is the generic msgpack value).
pub fn line(r: &Record<'_>, value: &[u8], redactor: &Redactor) -> String {
    let t = r.mtype.0;
    let (json, id) = record_json(t, value, redactor);
    let line = Line {
        n: r.number,
        offset: r.offset,
        type_name: crate::snapshot::nomad::type_name(t),
        type_id: t,
        id,
        typed: false,
        value: &json,
    };
    crate::go::json::to_string_compact(&line)
}
