//! `state.bin`: the FSM header and the stream of typed records, walked without copying.

use crate::error::{Check, Error, Location, Result};
use crate::go::msgpack::{self, Skipper, Step};

pub use crate::snapshot::msgtype::MessageType;

/// The FSM snapshot header that starts state.bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateHeader {
    /// The state store's highest table index.
    pub last_index: u64,
    /// Length of the header in bytes.
    pub len: u64,
}

/// One record of state.bin.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// 1-based position of the record in state.bin.
    pub number: u64,
    /// The record's message type.
    pub mtype: MessageType,
    /// Offset of the type byte in state.bin.
    pub offset: u64,
    /// Length of type byte plus value.
    pub len: u64,
    /// Bytes Consul's inspect attributes to the record (the header counts into the first).
    pub consul_size: u64,
    /// The msgpack value, when the sink asked for it.
    pub value: Option<&'a [u8]>,
}

/// Receives the header and records of a state.bin as they are walked.
pub trait RecordSink {
    /// Called once meta.json has been parsed (for archives, possibly after the records).
    fn meta(&mut self, _meta: &crate::snapshot::meta::SnapshotMeta) -> Result<()> {
        Ok(())
    }
    /// Called once with the decoded header.
    fn header(&mut self, _header: &StateHeader) -> Result<()> {
        Ok(())
    }
    /// Whether records of this type should carry their value bytes.
    fn wants_value(&mut self, _mtype: MessageType) -> bool {
        false
    }
    /// Called once per record, in stream order.
    fn record(&mut self, _record: &Record<'_>) -> Result<()> {
        Ok(())
    }
    /// Whether Nomad records of this type byte should carry their value bytes.
    fn wants_nomad_value(&mut self, _snapshot_type: u8) -> bool {
        false
    }
    /// Called once per record of a Nomad state.bin, in stream order (instead of `record`);
    /// `mtype.0` is Nomad's `SnapshotType` byte (`snapshot::nomad`), not a Consul type.
    fn nomad_record(&mut self, _record: &Record<'_>) -> Result<()> {
        Ok(())
    }
    /// Called once per entry of a Vault state.bin, in stream order (instead of `record`).
    fn vault_entry(&mut self, _entry: &crate::snapshot::vault::VaultEntry<'_>) -> Result<()> {
        Ok(())
    }
    /// Called once after a read that succeeded: every record seen and every hash checked.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A sink made of a closure, called with every record and its value.
pub struct FnSink<F>(pub F);

impl<F: FnMut(&Record<'_>) -> Result<()>> RecordSink for FnSink<F> {
    fn wants_value(&mut self, _mtype: MessageType) -> bool {
        true
    }
    fn record(&mut self, record: &Record<'_>) -> Result<()> {
        (self.0)(record)
    }
}

/// A sink that wants nothing.
pub struct NullSink;
impl RecordSink for NullSink {}

/// Feeds two sinks from one pass.
pub struct Tee<'a>(pub &'a mut dyn RecordSink, pub &'a mut dyn RecordSink);

impl RecordSink for Tee<'_> {
    fn meta(&mut self, meta: &crate::snapshot::meta::SnapshotMeta) -> Result<()> {
        self.0.meta(meta)?;
        self.1.meta(meta)
    }
    fn header(&mut self, header: &StateHeader) -> Result<()> {
        self.0.header(header)?;
        self.1.header(header)
    }
    fn wants_value(&mut self, mtype: MessageType) -> bool {
        // Both are asked, so that each can track its own wishes.
        let a = self.0.wants_value(mtype);
        let b = self.1.wants_value(mtype);
        a || b
    }
    fn record(&mut self, record: &Record<'_>) -> Result<()> {
        self.0.record(record)?;
        self.1.record(record)
    }
    fn wants_nomad_value(&mut self, t: u8) -> bool {
        let a = self.0.wants_nomad_value(t);
        let b = self.1.wants_nomad_value(t);
        a || b
    }
    fn nomad_record(&mut self, record: &Record<'_>) -> Result<()> {
        self.0.nomad_record(record)?;
        self.1.nomad_record(record)
    }
    fn vault_entry(&mut self, entry: &crate::snapshot::vault::VaultEntry<'_>) -> Result<()> {
        self.0.vault_entry(entry)?;
        self.1.vault_entry(entry)
    }
    fn finish(&mut self) -> Result<()> {
        self.0.finish()?;
        self.1.finish()
    }
}

/// Count and Consul-accounted bytes of one record type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeStat {
    /// Number of records.
    pub count: u64,
    /// Bytes, as Consul's inspect counts them.
    pub size: u64,
}

/// Largest header accepted; a real one is about 20 bytes.
const MAX_HEADER: usize = 64 * 1024;
/// Default largest record whose bytes are kept for a sink that wants them.
pub const DEFAULT_MAX_RECORD: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    Type,
    Value,
}

/// Walks a state.bin fed in chunks: finds the header and each record's type and extent.
pub struct StateWalker {
    phase: Phase,
    skipper: Skipper,
    offset: u64,
    records: u64,
    cur_type: u8,
    cur_start: u64,
    prev_end: u64,
    buf: Vec<u8>,
    capturing: bool,
    max_record: usize,
    header: Option<StateHeader>,
    stats: Box<[TypeStat; 256]>,
    last_type: Option<MessageType>,
    nomad: bool,
}

impl Default for StateWalker {
    fn default() -> Self {
        Self::new()
    }
}

impl StateWalker {
    /// A walker at the start of a state.bin.
    pub fn new() -> Self {
        StateWalker {
            phase: Phase::Header,
            skipper: Skipper::new(),
            offset: 0,
            records: 0,
            cur_type: 0,
            cur_start: 0,
            prev_end: 0,
            buf: Vec::new(),
            capturing: true,
            max_record: DEFAULT_MAX_RECORD,
            header: None,
            stats: Box::new([TypeStat::default(); 256]),
            last_type: None,
            nomad: false,
        }
    }

    /// Whether the header was Nomad's (an empty map) and the records are Nomad's.
    pub fn is_nomad(&self) -> bool {
        self.nomad
    }

    fn type_name(&self, t: u8) -> String {
        if self.nomad {
            crate::snapshot::nomad::type_name(t)
        } else {
            MessageType(t).name()
        }
    }

    /// Sets the largest record value that is kept in memory for a sink.
    pub fn with_max_record(mut self, max: usize) -> Self {
        self.max_record = max;
        self
    }

    /// Bytes of state.bin consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Records completed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The header, once read.
    pub fn header(&self) -> Option<StateHeader> {
        self.header
    }

    /// Per-type counts and sizes, indexed by type number.
    pub fn stats(&self) -> &[TypeStat; 256] {
        &self.stats
    }

    /// Type of the last complete record.
    pub fn last_type(&self) -> Option<MessageType> {
        self.last_type
    }

    fn record_error(&self, message: String, at: u64) -> Error {
        Error::invalid(
            Check::Record,
            message,
            Location::member("state.bin")
                .record(self.records + 1, Some(self.type_name(self.cur_type)))
                .at(at, "state.bin"),
        )
    }

    /// Feeds the next chunk of state.bin.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<()> {
        let mut i = 0usize;
        while i < chunk.len() {
            match self.phase {
                Phase::Header => {
                    let step = self.skipper.advance(&chunk[i..]).map_err(|e| {
                        Error::invalid(
                            Check::Header,
                            format!("state.bin header is not valid msgpack: {e}"),
                            Location::member("state.bin").at(e.offset, "state.bin"),
                        )
                    })?;
                    let used = match step {
                        Step::Done(n) => n,
                        Step::NeedMore => chunk.len() - i,
                    };
                    if self.buf.len() + used > MAX_HEADER {
                        return Err(Error::invalid(
                            Check::Header,
                            format!("state.bin header is larger than {MAX_HEADER} bytes"),
                            Location::member("state.bin").at(0, "state.bin"),
                        ));
                    }
                    self.buf.extend_from_slice(&chunk[i..i + used]);
                    i += used;
                    self.offset += used as u64;
                    if let Step::Done(_) = step {
                        // Nomad's header is `SnapshotHeader{}`: an empty map (nomad/fsm.go).
                        self.nomad = is_empty_map(&self.buf);
                        let h = if self.nomad {
                            StateHeader {
                                last_index: 0,
                                len: self.buf.len() as u64,
                            }
                        } else {
                            parse_header(&self.buf)?
                        };
                        self.header = Some(h);
                        // Consul's inspect counts the header into the first record.
                        self.prev_end = 0;
                        self.buf.clear();
                        sink.header(&h)?;
                        self.phase = Phase::Type;
                    }
                }
                Phase::Type => {
                    self.cur_type = chunk[i];
                    self.cur_start = self.offset;
                    i += 1;
                    self.offset += 1;
                    self.skipper.reset();
                    self.buf.clear();
                    self.capturing = if self.nomad {
                        sink.wants_nomad_value(self.cur_type)
                    } else {
                        sink.wants_value(MessageType(self.cur_type))
                    };
                    self.phase = Phase::Value;
                }
                Phase::Value => {
                    let value_start = self.cur_start + 1;
                    let step = self.skipper.advance(&chunk[i..]).map_err(|e| {
                        self.record_error(
                            format!("malformed msgpack value: {e}"),
                            value_start + e.offset,
                        )
                    })?;
                    let used = match step {
                        Step::Done(n) => n,
                        Step::NeedMore => chunk.len() - i,
                    };
                    if self.capturing {
                        if self.buf.len() + used > self.max_record {
                            return Err(Error::invalid(
                                Check::Limit,
                                format!(
                                    "record value is larger than the {} byte limit for decoded records",
                                    self.max_record
                                ),
                                Location::member("state.bin")
                                    .record(self.records + 1, Some(self.type_name(self.cur_type)))
                                    .at(self.cur_start, "state.bin"),
                            ));
                        }
                        self.buf.extend_from_slice(&chunk[i..i + used]);
                    }
                    i += used;
                    self.offset += used as u64;
                    if let Step::Done(_) = step {
                        self.records += 1;
                        let mtype = MessageType(self.cur_type);
                        let consul_size = self.offset - self.prev_end;
                        self.prev_end = self.offset;
                        let st = &mut self.stats[self.cur_type as usize];
                        st.count += 1;
                        st.size += consul_size;
                        self.last_type = Some(mtype);
                        let rec = Record {
                            number: self.records,
                            mtype,
                            offset: self.cur_start,
                            len: self.offset - self.cur_start,
                            consul_size,
                            value: if self.capturing {
                                Some(&self.buf)
                            } else {
                                None
                            },
                        };
                        if self.nomad {
                            sink.nomad_record(&rec)?;
                        } else {
                            sink.record(&rec)?;
                        }
                        self.phase = Phase::Type;
                    }
                }
            }
        }
        Ok(())
    }

    /// Declares the end of state.bin; fails if it ended inside the header or a record.
    pub fn finish(&mut self) -> Result<StateHeader> {
        match self.phase {
            Phase::Header => Err(Error::invalid(
                Check::Header,
                if self.offset == 0 {
                    "state.bin is empty: it has no header".to_string()
                } else {
                    format!("state.bin ends inside its header after {} bytes", self.offset)
                },
                Location::member("state.bin").at(self.offset, "state.bin"),
            )),
            Phase::Value => Err(self.record_error(
                format!(
                    "state.bin ends inside a record: the record starts at byte {} and the stream ends {} bytes later",
                    self.cur_start,
                    self.offset - self.cur_start
                ),
                self.offset,
            )),
            Phase::Type => Ok(self.header.expect("header is read before records")),
        }
    }
}

/// An empty msgpack map in any of its encodings.
fn is_empty_map(buf: &[u8]) -> bool {
    matches!(buf, [0x80] | [0xde, 0, 0] | [0xdf, 0, 0, 0, 0])
}

fn parse_header(buf: &[u8]) -> Result<StateHeader> {
    let loc = || Location::member("state.bin").at(0, "state.bin");
    let v = msgpack::decode_exact(buf).map_err(|e| {
        Error::invalid(
            Check::Header,
            format!("state.bin header is not valid msgpack: {e}"),
            loc(),
        )
    })?;
    let entries = match &v {
        msgpack::Value::Map(entries) => entries,
        _ => {
            return Err(Error::invalid(
                Check::Header,
                "state.bin header is not a msgpack map {\"LastIndex\": N}",
                loc(),
            ))
        }
    };
    // Consul decodes the header into a struct: every key must be a string.
    if let Some((k, _)) = entries.iter().find(|(k, _)| k.as_bytes().is_none()) {
        return Err(Error::invalid(
            Check::Header,
            format!("state.bin header has a non-string key ({k:?}); Consul's header is {{\"LastIndex\": N}}"),
            loc(),
        ));
    }
    let last = entries
        .iter()
        .find(|(k, _)| k.as_bytes() == Some(b"LastIndex"))
        .map(|(_, v)| v);
    match last {
        Some(v) => match v.as_u64() {
            Some(n) => Ok(StateHeader { last_index: n, len: buf.len() as u64 }),
            None => Err(Error::invalid(
                Check::Header,
                "state.bin header's LastIndex is not an unsigned integer",
                loc(),
            )),
        },
        None if entries.is_empty() => Err(Error::Unsupported(
            "state.bin starts with an empty header map, not Consul's {\"LastIndex\": N}: this looks like a Nomad snapshot".into(),
        )),
        None => Err(Error::Unsupported(
            "state.bin header has no LastIndex: this is not a Consul FSM snapshot".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<(u8, u64, u64, Option<Vec<u8>>)>);
    impl RecordSink for Collect {
        fn wants_value(&mut self, t: MessageType) -> bool {
            t.0 == 2
        }
        fn record(&mut self, r: &Record<'_>) -> Result<()> {
            self.0.push((
                r.mtype.0,
                r.offset,
                r.consul_size,
                r.value.map(|v| v.to_vec()),
            ));
            Ok(())
        }
    }

    fn stream() -> Vec<u8> {
        let mut s = vec![0x81, 0xa9];
        s.extend_from_slice(b"LastIndex");
        s.push(5);
        s.extend_from_slice(&[2, 0x81, 0xa1, b'K', 0xa1, b'v']);
        s.extend_from_slice(&[16, 0x92, 1, 2]);
        s
    }

    #[test]
    fn walks_records_in_any_chunking() {
        let s = stream();
        for chunk in 1..=s.len() {
            let mut w = StateWalker::new();
            let mut c = Collect(Vec::new());
            for part in s.chunks(chunk) {
                w.feed(part, &mut c).unwrap();
            }
            let h = w.finish().unwrap();
            assert_eq!(h.last_index, 5);
            assert_eq!(c.0.len(), 2);
            assert_eq!(
                c.0[0],
                (2, 12, 18, Some(vec![0x81, 0xa1, b'K', 0xa1, b'v']))
            );
            assert_eq!(c.0[1], (16, 18, 4, None));
        }
    }

    #[test]
    fn truncation_is_reported_with_record_and_offset() {
        let s = stream();
        let mut w = StateWalker::new();
        w.feed(&s[..s.len() - 1], &mut NullSink).unwrap();
        let e = w.finish().unwrap_err().to_string();
        assert!(e.contains("record 2 (Index)"), "{e}");
        assert!(e.contains("byte 21 of the state.bin"), "{e}");
    }

    #[test]
    fn names_match_consul() {
        assert_eq!(MessageType(2).name(), "KVS");
        assert_eq!(MessageType(37).name(), "Unknown(37)");
        assert_eq!(MessageType(65).name(), "Unknown(65)");
        assert_eq!(MessageType::parse("acltoken"), Some(MessageType(17)));
    }
}
