//! Value types of the record model: text that may not be UTF-8, byte slices, Go times and
//! durations, and a lossless generic value.

use base64::Engine;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::go::msgpack::Value;

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A Go string: usually UTF-8 text, but any bytes; non-UTF-8 renders as `{"base64": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(pub Vec<u8>);

impl Text {
    /// The text, lossily.
    pub fn lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lossy())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(t) => s.serialize_str(t),
            Err(_) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("base64", &b64(&self.0))?;
                m.end()
            }
        }
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(BytesVisitor).map(Text)
    }
}

/// A Go `[]byte`: rendered as standard base64, as Go's encoding/json does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(BytesVisitor).map(Bytes)
    }
}

/// A Go `time.Time` in its binary form (version, seconds since year 1, nanoseconds, zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GoTime {
    /// Seconds since 0001-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds.
    pub nanos: u32,
    /// Zone offset in seconds east of UTC; `None` for UTC.
    pub offset: Option<i32>,
}

impl GoTime {
    /// Parses Go's `MarshalBinary` form (15 or 16 bytes).
    pub fn from_binary(b: &[u8]) -> Option<GoTime> {
        if b.len() < 15 || !(b[0] == 1 || b[0] == 2) {
            return None;
        }
        let seconds = i64::from_be_bytes(b[1..9].try_into().ok()?);
        let nanos = u32::from_be_bytes(b[9..13].try_into().ok()?);
        let minutes = i16::from_be_bytes(b[13..15].try_into().ok()?);
        let mut offset = if minutes == -1 {
            None
        } else {
            Some(minutes as i32 * 60)
        };
        if b[0] == 2 {
            if b.len() < 16 {
                return None;
            }
            offset = offset.map(|o| o + b[15] as i8 as i32);
        } else if b.len() != 15 {
            return None;
        }
        Some(GoTime {
            seconds,
            nanos,
            offset,
        })
    }

    /// Go's zero time.
    pub fn is_zero(&self) -> bool {
        self.seconds == 0 && self.nanos == 0
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.seconds - 62_135_596_800
    }

    /// RFC 3339 with nanoseconds trimmed as Go's RFC3339Nano does, in the time's own offset.
    pub fn rfc3339(&self) -> String {
        let local = self.unix() + self.offset.unwrap_or(0) as i64;
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        match self.offset {
            None | Some(0) => s.push('Z'),
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let o = o.abs();
                s.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o % 3600 / 60));
            }
        }
        s
    }
}

impl Serialize for GoTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for GoTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let b = d.deserialize_bytes(BytesVisitor)?;
        GoTime::from_binary(&b)
            .ok_or_else(|| de::Error::custom(format!("{} bytes are not a Go binary time", b.len())))
    }
}

/// A Go `time.Duration` (integer nanoseconds), rendered as Go's `Duration.String()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GoDuration(pub i64);

/// Go's `time.Duration.String()`: `1h2m3.5s`, `200ms`, `0s`.
pub fn go_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let hours = u / 3_600_000_000_000;
    let minutes = u / 60_000_000_000 % 60;
    let secs = frac(u % 60_000_000_000, 1_000_000_000);
    let mut s = sign.to_string();
    if hours > 0 {
        s.push_str(&format!("{hours}h{minutes}m"));
    } else if minutes > 0 {
        s.push_str(&format!("{minutes}m"));
    }
    s.push_str(&format!("{secs}s"));
    s
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{rest:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&go_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(GoDuration)
    }
}

/// Any value, kept losslessly as JSON: strings that are not UTF-8 become `{"base64": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Any(pub serde_json::Value);

struct AnyVisitor;

fn bytes_json(v: &[u8]) -> serde_json::Value {
    match std::str::from_utf8(v) {
        Ok(s) => serde_json::Value::String(s.to_string()),
        Err(_) => serde_json::json!({ "base64": b64(v) }),
    }
}

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(bytes_json(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element::<Any>()? {
            v.push(x.0);
        }
        Ok(serde_json::Value::Array(v))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut m = serde_json::Map::new();
        while let Some((k, v)) = map.next_entry::<String, Any>()? {
            m.insert(k, v.0);
        }
        Ok(serde_json::Value::Object(m))
    }
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor).map(Any)
    }
}

/// A decoded msgpack value as lossless JSON (the generic fallback).
pub fn to_json(v: &Value<'_>) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Uint(u) => (*u).into(),
        Value::F32(f) => serde_json::Number::from_f64(*f as f64)
            .map(serde_json::Value::Number)
            .unwrap_or_default(),
        Value::F64(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or_default(),
        Value::Raw(b) | Value::Bin(b) => bytes_json(b),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Raw(b) | Value::Bin(b) => String::from_utf8_lossy(b).into_owned(),
                        other => {
                            let mut text = String::new();
                            key_text(other, &mut text);
                            text
                        }
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Value::Ext(t, data) => serde_json::json!({ "ext": t, "base64": b64(data) }),
    }
}

/// Longest text of a map key that is not a string.
const MAX_KEY_TEXT: usize = 256;

/// A non-string map key as text, JSON-like, cut at [`MAX_KEY_TEXT`] bytes. Nested strings are
/// written as they are, never escaped again: rendering keys as JSON strings inside keys
/// would double the escapes at every level, exponential in the nesting a record claims.
fn key_text(v: &Value<'_>, out: &mut String) {
    if out.len() >= MAX_KEY_TEXT {
        if !out.ends_with('…') {
            out.push('…');
        }
        return;
    }
    match v {
        Value::Raw(b) | Value::Bin(b) => {
            let s = String::from_utf8_lossy(b);
            let room = MAX_KEY_TEXT.saturating_sub(out.len());
            let mut end = s.len().min(room);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&s[..end]);
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                key_text(x, out);
                if out.len() >= MAX_KEY_TEXT {
                    break;
                }
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                key_text(k, out);
                out.push(':');
                key_text(x, out);
                if out.len() >= MAX_KEY_TEXT {
                    break;
                }
            }
            out.push('}');
        }
        other => out.push_str(&to_json(other).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fuzzer's find: map keys that are maps with map keys, 40 deep. Rendering each key as
    /// a JSON string doubled the escapes per level (gigabytes); now each key is a few
    /// hundred bytes at most.
    #[test]
    fn nested_map_keys_stay_small() {
        let mut v = Value::Raw(b"\"x\"");
        for _ in 0..40 {
            v = Value::Map(vec![(v, Value::Nil)]);
        }
        let outer = Value::Map(vec![(v, Value::Nil)]);
        let j = to_json(&outer);
        let key = j.as_object().unwrap().keys().next().unwrap();
        // The text is cut at MAX_KEY_TEXT; only the closing brackets of each level follow.
        assert!(key.len() <= MAX_KEY_TEXT + 8 * 41, "{}", key.len());
        assert!(key.starts_with("{{{{"), "{key}");
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(200_000_000), "200ms");
        assert_eq!(go_duration(17_000_000_000), "17s");
        assert_eq!(go_duration(15_000_000_000), "15s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(82_800_000_000_000), "23h0m0s");
        assert_eq!(go_duration(90_500_000_000), "1m30.5s");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
    }

    #[test]
    fn times_like_go() {
        // NotBefore of a Consul 1.4 CA root: 01 0000000ed3c17298 00000000 ffff
        let b = [
            1, 0, 0, 0, 0x0e, 0xd3, 0xc1, 0x72, 0x98, 0, 0, 0, 0, 0xff, 0xff,
        ];
        let t = GoTime::from_binary(&b).unwrap();
        assert_eq!(t.rfc3339(), "2019-01-04T15:28:24Z");
        // With an offset of -4h and nanoseconds.
        let mut c = [1u8; 15];
        c[1..9].copy_from_slice(&(1_710_335_655i64 + 62_135_596_800).to_be_bytes());
        c[9..13].copy_from_slice(&109_823_000u32.to_be_bytes());
        c[13..15].copy_from_slice(&(-240i16).to_be_bytes());
        assert_eq!(
            GoTime::from_binary(&c).unwrap().rfc3339(),
            "2024-03-13T09:14:15.109823-04:00"
        );
        assert!(GoTime::from_binary(&[1, 2, 3]).is_none());
    }
}
