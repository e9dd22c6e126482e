//! The outline of each record type: what Consul's restore will decode it into, checked
//! cheaply on every record by `verify` (the top-level keys only, values are skipped).
//!
//! go-msgpack writes every field of a struct, always (no omitempty), and fields are only ever
//! added across Consul versions, so the fields listed here, present since each type first
//! appeared, are in every record Consul ever wrote of that type.

use crate::error::{Check, Error, Location, Result};
use crate::go::msgpack;
use crate::model::restorable::{self, RestoreCheck};
use crate::model::restore_rules::{self, Drift};
use crate::snapshot::state::{MessageType, Record, RecordSink};
use crate::version::Version;

/// The msgpack kind a field must have for Consul to decode it into its Go field.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A string.
    S,
    /// A non-negative integer.
    U,
    /// An integer.
    I,
    /// A bool.
    B,
    /// A string or nil ([]byte).
    RN,
    /// A map or nil (struct pointer, map).
    MN,
}

fn kind_ok(kind: Kind, marker: u8) -> bool {
    let raw = matches!(marker, 0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6);
    let uint = matches!(marker, 0x00..=0x7f | 0xcc..=0xcf);
    let map = matches!(marker, 0x80..=0x8f | 0xde | 0xdf);
    match kind {
        Kind::S => raw,
        Kind::U => uint,
        Kind::I => uint || matches!(marker, 0xe0..=0xff | 0xd0..=0xd3),
        Kind::B => matches!(marker, 0xc2 | 0xc3),
        Kind::RN => raw || marker == 0xc0,
        Kind::MN => map || marker == 0xc0,
    }
}

type Fields = &'static [(&'static str, Kind)];

/// What a record of a type must look like.
enum Outline {
    /// A map with string keys, among them these fields of these kinds.
    Map(Fields),
    /// An array of such maps.
    ArrayOfMaps(Fields),
    /// A raw string (msgpack or protobuf inside).
    Raw,
}

fn outline(t: MessageType) -> Option<Outline> {
    use Kind::*;
    use Outline::*;
    Some(match t {
        MessageType::REGISTER => Map(&[
            ("Address", S),
            ("Check", MN),
            ("Datacenter", S),
            ("Node", S),
            ("Service", MN),
        ]),
        MessageType::KVS | MessageType::TOMBSTONE => Map(&[
            ("CreateIndex", U),
            ("Flags", U),
            ("Key", S),
            ("LockIndex", U),
            ("ModifyIndex", U),
            ("Session", S),
            ("Value", RN),
        ]),
        MessageType::SESSION => Map(&[
            ("CreateIndex", U),
            ("ID", S),
            ("ModifyIndex", U),
            ("Node", S),
        ]),
        MessageType::ACL => Map(&[("ID", S), ("Name", S), ("Rules", S), ("Type", S)]),
        MessageType::COORDINATE_BATCH_UPDATE => ArrayOfMaps(&[("Coord", MN), ("Node", S)]),
        MessageType::PREPARED_QUERY => Map(&[("ID", S), ("Name", S), ("Service", MN)]),
        MessageType::AUTOPILOT => Map(&[
            ("CleanupDeadServers", B),
            ("LastContactThreshold", I),
            ("MaxTrailingLogs", U),
        ]),
        MessageType::INTENTION => Map(&[
            ("Action", S),
            ("DestinationName", S),
            ("ID", S),
            ("SourceName", S),
        ]),
        MessageType::CONNECT_CA => Map(&[("Active", B), ("ID", S), ("Name", S), ("RootCert", S)]),
        MessageType::CONNECT_CA_PROVIDER_STATE => {
            Map(&[("ID", S), ("PrivateKey", S), ("RootCert", S)])
        }
        MessageType::CONNECT_CA_CONFIG => Map(&[("Config", MN), ("Provider", S)]),
        MessageType::INDEX => Map(&[("Key", S), ("Value", U)]),
        MessageType::ACL_TOKEN => Map(&[("AccessorID", S), ("SecretID", S)]),
        MessageType::ACL_POLICY => Map(&[("ID", S), ("Name", S), ("Rules", S)]),
        MessageType::CONFIG_ENTRY => Raw,
        MessageType::ACL_ROLE => Map(&[("ID", S), ("Name", S)]),
        MessageType::ACL_BINDING_RULE => Map(&[("AuthMethod", S), ("ID", S)]),
        MessageType::ACL_AUTH_METHOD => Map(&[("Name", S), ("Type", S)]),
        MessageType::CHUNKING_STATE => Map(&[("ChunkMap", MN)]),
        MessageType::FEDERATION_STATE => Map(&[("State", MN)]),
        MessageType::SYSTEM_METADATA => Map(&[("Key", S), ("Value", S)]),
        MessageType::SERVICE_VIRTUAL_IP => Map(&[("IP", RN), ("Service", MN)]),
        MessageType::FREE_VIRTUAL_IP => Map(&[("IP", RN)]),
        MessageType::PEERING
        | MessageType::PEERING_TRUST_BUNDLE
        | MessageType::PEERING_SECRET
        | MessageType::RESOURCE => Raw,
        _ => return None,
    })
}

fn raw_at(v: &[u8]) -> Option<(&[u8], usize)> {
    let (n, h) = match *v.first()? {
        m @ 0xa0..=0xbf => ((m & 0x1f) as usize, 1),
        0xd9 | 0xc4 if v.len() >= 2 => (v[1] as usize, 2),
        0xda | 0xc5 if v.len() >= 3 => (u16::from_be_bytes([v[1], v[2]]) as usize, 3),
        0xdb | 0xc6 if v.len() >= 5 => (u32::from_be_bytes([v[1], v[2], v[3], v[4]]) as usize, 5),
        _ => return None,
    };
    Some((v.get(h..h + n)?, h + n))
}

/// Checks a map's keys are Go field names and include `required` with the right kinds;
/// returns the map's length in bytes.
fn check_map(v: &[u8], required: Fields) -> std::result::Result<usize, String> {
    let (n, mut pos) = restore_rules::map_head(v).ok_or("is not a msgpack map")?;
    let mut seen = vec![false; required.len()];
    for _ in 0..n {
        let (key, used) = raw_at(&v[pos..]).ok_or("has a map key that is not a string")?;
        // Records are Go structs: their keys are Go field names.
        let ident = !key.is_empty()
            && !key[0].is_ascii_digit()
            && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !ident {
            return Err(format!(
                "has a key {:?} that is not a Go field name",
                String::from_utf8_lossy(key)
            ));
        }
        pos += used;
        if let Some(i) = required.iter().position(|(r, _)| r.as_bytes() == key) {
            let (name, kind) = required[i];
            let marker = *v.get(pos).ok_or("is truncated")?;
            if !kind_ok(kind, marker) {
                return Err(format!("has a field {name:?} of the wrong kind (marker 0x{marker:02x}, expected {kind:?})"));
            }
            seen[i] = true;
        }
        pos += msgpack::value_len(&v[pos..]).map_err(|e| e.message)?;
    }
    match required.iter().zip(&seen).find(|(_, s)| !**s) {
        Some(((missing, _), _)) => {
            Err(format!("lacks the field {missing:?} every such record has"))
        }
        None => Ok(pos),
    }
}

/// Checks one record value on its own: every field as Consul's restore decodes it, for the
/// types Consul's restore decodes into Go structs, else the outline; `Ok` for types with
/// neither.
pub fn check(t: MessageType, v: &[u8]) -> std::result::Result<(), String> {
    if restorable::has_schema(t.0) {
        return restorable::check_record(t.0, v, None).map_err(|p| p.to_string());
    }
    check_outline(t, v)
}

fn check_outline(t: MessageType, v: &[u8]) -> std::result::Result<(), String> {
    match outline(t) {
        None => Ok(()),
        Some(Outline::Raw) => raw_at(v)
            .map(|_| ())
            .ok_or_else(|| "is not a msgpack string".into()),
        Some(Outline::Map(required)) => check_map(v, required).map(|_| ()),
        Some(Outline::ArrayOfMaps(required)) => {
            let (n, mut pos) = match *v.first().ok_or("is empty")? {
                m @ 0x90..=0x9f => ((m & 0x0f) as u64, 1),
                0xdc if v.len() >= 3 => (u16::from_be_bytes([v[1], v[2]]) as u64, 3),
                0xdd if v.len() >= 5 => (u32::from_be_bytes([v[1], v[2], v[3], v[4]]) as u64, 5),
                _ => return Err("is not a msgpack array".into()),
            };
            for _ in 0..n {
                pos += check_map(&v[pos..], required)?;
            }
            Ok(())
        }
    }
}

/// A sink that checks every record as Consul's restore would load it, fails on the first
/// record that would not load, and counts records that some other Consul versions refuse.
#[derive(Debug)]
pub struct ShapeSink {
    check: RestoreCheck,
    /// The number of the first record of each type.
    pub first: Vec<u64>,
    /// Records that load, but not on every Consul that knows their type: (drift, count, the
    /// first record's number).
    pub drifts: Vec<(Drift, u64, u64)>,
}

impl Default for ShapeSink {
    fn default() -> Self {
        ShapeSink::for_target(None, false)
    }
}

impl ShapeSink {
    /// A sink judging for one Consul version (`None`: any Consul that knows each type).
    pub fn for_target(target: Option<Version>, allow_unknown: bool) -> Self {
        let mut check = RestoreCheck::new(target);
        check.allow_unknown = allow_unknown;
        ShapeSink {
            check,
            first: vec![0; 256],
            drifts: Vec::new(),
        }
    }

    /// The drifts as warning lines.
    pub fn warnings(&self) -> Vec<String> {
        self.drifts
            .iter()
            .map(|(d, n, first)| {
                format!(
                    "{n} record(s) from record {first} on: {} ({})",
                    d.message, d.reference
                )
            })
            .collect()
    }
}

impl RecordSink for ShapeSink {
    fn wants_value(&mut self, t: MessageType) -> bool {
        restorable::has_schema(t.0) || outline(t).is_some()
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        if self.first[r.mtype.0 as usize] == 0 {
            self.first[r.mtype.0 as usize] = r.number;
        }
        let Some(v) = r.value else {
            return Ok(());
        };
        let err = |m: String| {
            Error::invalid(
                Check::Record,
                format!("this {} record would not restore: {m}", r.mtype.name()),
                Location::member("state.bin")
                    .record(r.number, Some(r.mtype.name()))
                    .at(r.offset, "state.bin"),
            )
        };
        if !restorable::has_schema(r.mtype.0) {
            check_outline(r.mtype, v).map_err(|m| err(format!("it {m}")))?;
        }
        match self.check.record(r.mtype.0, v) {
            Err(p) => return Err(err(p.to_string())),
            Ok(Some(d)) => match self.drifts.iter_mut().find(|(x, _, _)| *x == d) {
                Some(entry) => entry.1 += 1,
                None => self.drifts.push((d, 1, r.number)),
            },
            Ok(None) => {}
        }
        Ok(())
    }
}

/// A sink that checks every record for one Consul version and collects what would not load,
/// without stopping: the record-level findings of `compat --target`.
#[derive(Debug)]
pub struct ProblemSink {
    check: RestoreCheck,
    /// (type name, count, first record, message), at most [`ProblemSink::MAX`] kinds.
    pub findings: Vec<(String, u64, u64, String)>,
}

impl ProblemSink {
    /// Distinct findings kept; further ones count into the last.
    pub const MAX: usize = 20;

    /// A sink for one target version.
    pub fn new(target: Version) -> Self {
        ProblemSink {
            check: RestoreCheck::new(Some(target)),
            findings: Vec::new(),
        }
    }
}

impl RecordSink for ProblemSink {
    fn wants_value(&mut self, t: MessageType) -> bool {
        restorable::has_schema(t.0) || outline(t).is_some()
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(v) = r.value else {
            return Ok(());
        };
        let problem = if !restorable::has_schema(r.mtype.0) {
            check_outline(r.mtype, v).err().map(|m| format!("it {m}"))
        } else {
            None
        };
        let problem =
            problem.or_else(|| self.check.record(r.mtype.0, v).err().map(|p| p.to_string()));
        if let Some(m) = problem {
            let name = r.mtype.name();
            let full = self.findings.len() >= Self::MAX;
            match self.findings.iter().position(|f| f.0 == name && f.3 == m) {
                Some(i) => self.findings[i].1 += 1,
                None if !full => self.findings.push((name, 1, r.number, m)),
                None => {
                    if let Some(f) = self.findings.last_mut() {
                        f.1 += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlines() {
        let mut kv = Vec::new();
        msgpack::encode::map_len(&mut kv, 7);
        for k in [
            "CreateIndex",
            "Flags",
            "Key",
            "LockIndex",
            "ModifyIndex",
            "Session",
            "Value",
        ] {
            msgpack::encode::raw(&mut kv, k.as_bytes());
            match k {
                "Key" | "Value" => msgpack::encode::raw(&mut kv, b"x"),
                "Session" => msgpack::encode::raw(&mut kv, b""),
                _ => msgpack::encode::uint(&mut kv, 1),
            }
        }
        assert!(check(MessageType::KVS, &kv).is_ok());
        let mut bad = kv.clone();
        let at = bad.len() - 2; // the Value: a string; make it a map
        bad[at] = 0x80;
        bad.pop();
        assert!(check(MessageType::KVS, &bad)
            .unwrap_err()
            .contains("field Value: a map where Consul decodes a Go []byte"));
        // Missing fields decode as zero values; an empty node name is what Consul refuses.
        assert!(check(MessageType::REGISTER, &kv)
            .unwrap_err()
            .contains("field Node: is empty"));
        assert!(check(MessageType::INDEX, &[0x81, 0x01, 0x02])
            .unwrap_err()
            .contains("as a map key"));
        assert!(check(MessageType::CONFIG_ENTRY, &[0x80]).is_err());
        assert!(check(MessageType(200), &[0x80]).is_ok());
    }
}
