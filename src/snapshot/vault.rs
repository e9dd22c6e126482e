//! Vault's (and OpenBao's) raft snapshot: the same gzip(tar) archive as Consul's with a fourth
//! member, `SHA256SUMS.sealed`, and a `state.bin` that has no header: a stream of protobuf
//! `StorageEntry` messages, each prefixed by its length as a uvarint (gogo's "delimited"
//! framing), one per key in ascending key order.
//!
//! Facts from Vault's source: `physical/raft/varint.go` (the delimited reader: a
//! `binary.ReadUvarint` length, then that many bytes; `GetLastReadSize` is the message length
//! without its prefix), `sdk/plugin/pb/backend.proto` (`StorageEntry{1: key string, 2: value
//! bytes, 3: seal_wrap bool}`), `command/operator_raft_snapshot_inspect.go` (the archive
//! members it accepts, `SHA256SUMS.sealed` only skipped). The sealed sums are encrypted by
//! Vault's barrier: offline, only their presence and non-emptiness can be checked.
//!
//! [`StateStream`] decides from the first bytes of state.bin whether it is Consul's
//! (a msgpack header) or Vault's (a uvarint then a protobuf field tag), and walks it with
//! [`StateWalker`] or [`VaultWalker`].

use crate::error::{Check, Error, Location, Result};
use crate::snapshot::state::{MessageType, RecordSink, StateHeader, StateWalker, TypeStat};

/// Which product wrote a snapshot, as found from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// Consul: state.bin starts with the msgpack header `{"LastIndex": N}`.
    #[default]
    Consul,
    /// Vault or OpenBao: delimited protobuf `StorageEntry`s and a `SHA256SUMS.sealed` member.
    Vault,
    /// Nomad: state.bin starts with an empty msgpack map (see `snapshot::nomad`).
    Nomad,
}

impl Product {
    /// The product's name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            Product::Consul => "consul",
            Product::Vault => "vault",
            Product::Nomad => "nomad",
        }
    }

    /// The product's name as written in prose (`Consul`, `Vault`, `Nomad`).
    pub fn title(self) -> &'static str {
        match self {
            Product::Consul => "Consul",
            Product::Vault => "Vault",
            Product::Nomad => "Nomad",
        }
    }
}

/// Largest StorageEntry message accepted (also bounded by `ReadOptions::max_record`).
pub const MAX_ENTRY: u64 = 64 << 20;

/// Longest uvarint (`binary.MaxVarintLen64`).
const MAX_VARINT: usize = 10;

/// One `StorageEntry` of a Vault state.bin.
#[derive(Debug, Clone, Copy)]
pub struct VaultEntry<'a> {
    /// 1-based position in state.bin.
    pub number: u64,
    /// Offset of the length prefix in state.bin.
    pub offset: u64,
    /// Length of the message without its prefix (Vault's `GetLastReadSize`).
    pub size: u64,
    /// The key (valid UTF-8).
    pub key: &'a [u8],
    /// Length of the (encrypted) value.
    pub value_len: u64,
    /// The value: ciphertext under Vault's barrier, never to be printed (a fingerprint may be).
    pub value: &'a [u8],
    /// The `seal_wrap` flag.
    pub seal_wrap: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Len,
    Body,
}

/// Walks a Vault state.bin fed in chunks: framing, well-formed entries, ascending keys.
pub struct VaultWalker {
    phase: Phase,
    varint: Vec<u8>,
    want: usize,
    buf: Vec<u8>,
    offset: u64,
    start: u64,
    records: u64,
    prev_key: Option<Vec<u8>>,
    max_entry: u64,
}

impl Default for VaultWalker {
    fn default() -> Self {
        Self::new()
    }
}

impl VaultWalker {
    /// A walker at the start of a state.bin.
    pub fn new() -> Self {
        VaultWalker {
            phase: Phase::Len,
            varint: Vec::with_capacity(MAX_VARINT),
            want: 0,
            buf: Vec::new(),
            offset: 0,
            start: 0,
            records: 0,
            prev_key: None,
            max_entry: MAX_ENTRY,
        }
    }

    /// Lowers the largest entry accepted.
    pub fn with_max_entry(mut self, max: u64) -> Self {
        self.max_entry = max.min(MAX_ENTRY);
        self
    }

    /// Entries completed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn error(&self, check: Check, message: String, at: u64) -> Error {
        let n = self.records + 1;
        Error::invalid(
            check,
            format!("entry {n} at byte {}: {message}", self.start),
            Location::member("state.bin")
                .record(n, Some("StorageEntry".into()))
                .at(at, "state.bin"),
        )
    }

    /// Feeds the next chunk of state.bin.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<()> {
        let mut i = 0;
        while i < chunk.len() {
            match self.phase {
                Phase::Len => {
                    if self.varint.is_empty() {
                        self.start = self.offset;
                    }
                    let b = chunk[i];
                    i += 1;
                    self.offset += 1;
                    self.varint.push(b);
                    // binary.ReadUvarint: the 10th byte may only be 0 or 1.
                    if self.varint.len() == MAX_VARINT && b > 1 {
                        return Err(self.error(
                            Check::Record,
                            "bad varint: the length prefix overflows 64 bits".into(),
                            self.offset - 1,
                        ));
                    }
                    if b < 0x80 {
                        let len = uvarint(&self.varint).expect("a complete varint");
                        self.varint.clear();
                        if len > self.max_entry {
                            return Err(self.error(
                                Check::Limit,
                                format!(
                                    "the length prefix claims {len} bytes, more than the {} byte limit for one entry",
                                    self.max_entry
                                ),
                                self.start,
                            ));
                        }
                        self.want = len as usize;
                        self.buf.clear();
                        self.phase = Phase::Body;
                        if self.want == 0 {
                            self.complete(sink)?;
                        }
                    }
                }
                Phase::Body => {
                    let take = (self.want - self.buf.len()).min(chunk.len() - i);
                    self.buf.extend_from_slice(&chunk[i..i + take]);
                    i += take;
                    self.offset += take as u64;
                    if self.buf.len() == self.want {
                        self.complete(sink)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn complete(&mut self, sink: &mut dyn RecordSink) -> Result<()> {
        let body_at = self.offset - self.buf.len() as u64;
        let e = parse_entry(&self.buf)
            .map_err(|(m, at)| self.error(Check::Record, m, body_at + at as u64))?;
        if e.key.is_empty() {
            // Vault's restore puts every key into bolt, which refuses an empty one.
            return Err(self.error(
                Check::Record,
                "the StorageEntry has no key (Vault's restore cannot store it)".into(),
                self.start,
            ));
        }
        if let Some(prev) = &self.prev_key {
            if e.key <= prev.as_slice() {
                let what = if e.key == prev.as_slice() {
                    "repeats"
                } else {
                    "sorts before"
                };
                return Err(self.error(
                    Check::Record,
                    format!(
                        "keys out of order: {} {what} the previous key {} (Vault writes keys strictly ascending)",
                        crate::go::json::quote(e.key),
                        crate::go::json::quote(prev)
                    ),
                    self.start,
                ));
            }
        }
        self.records += 1;
        sink.vault_entry(&VaultEntry {
            number: self.records,
            offset: self.start,
            size: self.want as u64,
            key: e.key,
            value_len: e.value_len,
            value: e.value,
            seal_wrap: e.seal_wrap,
        })?;
        let key = e.key.to_vec();
        self.prev_key = Some(key);
        self.phase = Phase::Len;
        Ok(())
    }

    /// Declares the end of state.bin; fails if it ended inside a length prefix or an entry.
    pub fn finish(&mut self) -> Result<()> {
        match self.phase {
            Phase::Len if self.varint.is_empty() => Ok(()),
            Phase::Len => Err(self.error(
                Check::Record,
                format!(
                    "truncated varint: state.bin ends inside a length prefix after {} byte(s)",
                    self.varint.len()
                ),
                self.offset,
            )),
            Phase::Body => Err(self.error(
                Check::Record,
                format!(
                    "truncated entry: the length prefix claims {} bytes but state.bin ends after {}",
                    self.want,
                    self.buf.len()
                ),
                self.offset,
            )),
        }
    }
}

/// Decodes a complete uvarint as Go's `binary.Uvarint`.
fn uvarint(b: &[u8]) -> Option<u64> {
    let mut x: u64 = 0;
    for (i, &c) in b.iter().enumerate().take(MAX_VARINT) {
        if c < 0x80 {
            if i == MAX_VARINT - 1 && c > 1 {
                return None;
            }
            return Some(x | (c as u64) << (7 * i));
        }
        x |= ((c & 0x7f) as u64) << (7 * i);
    }
    None
}

/// Reads a uvarint at `*pos`, advancing it; `None` if malformed or cut short.
fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let end = b.len().min(*pos + MAX_VARINT);
    let n = b[*pos..end].iter().position(|&c| c < 0x80)? + 1;
    let v = uvarint(&b[*pos..*pos + n])?;
    *pos += n;
    Some(v)
}

struct Parsed<'a> {
    key: &'a [u8],
    value_len: u64,
    value: &'a [u8],
    seal_wrap: bool,
}

/// Parses one `StorageEntry` as proto3 unmarshalling does: unknown fields are skipped, a
/// known field with another wire type counts as unknown, the last occurrence wins, and a
/// string must be valid UTF-8. Errors carry the offset within the message.
fn parse_entry(b: &[u8]) -> Result<Parsed<'_>, (String, usize)> {
    let mut p = Parsed {
        key: &[],
        value_len: 0,
        value: &[],
        seal_wrap: false,
    };
    let mut pos = 0;
    while pos < b.len() {
        let at = pos;
        let tag = read_varint(b, &mut pos)
            .ok_or_else(|| ("malformed protobuf: bad field tag varint".to_string(), at))?;
        let (field, wire) = (tag >> 3, tag & 7);
        if field == 0 {
            return Err(("malformed protobuf: field number 0".into(), at));
        }
        match wire {
            0 => {
                let v = read_varint(b, &mut pos)
                    .ok_or_else(|| (format!("malformed protobuf: field {field} has a bad varint"), at))?;
                if field == 3 {
                    p.seal_wrap = v != 0;
                }
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                if b.len() - pos < n {
                    return Err((format!("malformed protobuf: field {field} is cut short"), at));
                }
                pos += n;
            }
            2 => {
                let len = read_varint(b, &mut pos).ok_or_else(|| {
                    (format!("malformed protobuf: field {field} has a bad length varint"), at)
                })?;
                if len > (b.len() - pos) as u64 {
                    return Err((
                        format!(
                            "malformed protobuf: field {field} claims {len} bytes, the message has {} left",
                            b.len() - pos
                        ),
                        at,
                    ));
                }
                let data = &b[pos..pos + len as usize];
                pos += len as usize;
                match field {
                    1 => {
                        if std::str::from_utf8(data).is_err() {
                            return Err(("the key (a proto3 string) is not valid UTF-8".into(), at));
                        }
                        p.key = data;
                    }
                    2 => {
                        p.value_len = len;
                        p.value = data;
                    }
                    _ => {}
                }
            }
            _ => {
                return Err((
                    format!("malformed protobuf: field {field} has wire type {wire}, which a StorageEntry never holds"),
                    at,
                ))
            }
        }
    }
    Ok(p)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Undecided,
    Consul,
    Vault,
}

/// Bytes of state.bin looked at before choosing a walker: a uvarint and one tag byte.
const SNIFF: usize = MAX_VARINT + 1;

/// Whether a state.bin prefix is Vault's: a uvarint length then a StorageEntry field tag
/// (key, value or seal_wrap). Consul's header `0x81 0xa9 "LastIndex"` reads as a varint
/// followed by `L`. `None`: more bytes are needed.
fn sniff(prefix: &[u8], at_end: bool) -> Option<bool> {
    let n = match prefix.iter().take(MAX_VARINT).position(|&c| c < 0x80) {
        Some(i) => i + 1,
        None if prefix.len() >= MAX_VARINT || at_end => return Some(false),
        None => return None,
    };
    if uvarint(&prefix[..n]).is_none() {
        return Some(false);
    }
    match prefix.get(n) {
        Some(&t) => Some(matches!(t, 0x0a | 0x12 | 0x18)),
        None if at_end => Some(false),
        None => None,
    }
}

/// The state.bin walker of any product: Consul's or Vault's, chosen from the content.
pub struct StateStream {
    mode: Mode,
    prefix: Vec<u8>,
    consul: StateWalker,
    vault: VaultWalker,
    /// state.bin ended before its first byte: whose it is waits for `resolve` (Vault's with a
    /// sealed-sums member, else Consul's error for a state.bin without a header).
    empty_finished: bool,
}

impl Default for StateStream {
    fn default() -> Self {
        Self::new()
    }
}

impl StateStream {
    /// A walker at the start of a state.bin.
    pub fn new() -> Self {
        StateStream {
            mode: Mode::Undecided,
            prefix: Vec::new(),
            consul: StateWalker::new(),
            vault: VaultWalker::new(),
            empty_finished: false,
        }
    }

    /// Sets the largest record kept in memory (Consul) or accepted (Vault).
    pub fn with_max_record(mut self, max: usize) -> Self {
        self.consul = self.consul.with_max_record(max);
        self.vault = self.vault.with_max_entry(max as u64);
        self
    }

    /// A `SHA256SUMS.sealed` member was seen: an undecided state.bin is Vault's.
    pub fn expect_vault(&mut self) {
        if self.mode == Mode::Undecided && self.prefix.is_empty() {
            self.mode = Mode::Vault;
        }
    }

    fn decide(&mut self, vault: bool, sink: &mut dyn RecordSink) -> Result<()> {
        self.mode = if vault { Mode::Vault } else { Mode::Consul };
        let prefix = std::mem::take(&mut self.prefix);
        self.feed(&prefix, sink)
    }

    /// Feeds the next chunk of state.bin.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<()> {
        match self.mode {
            Mode::Consul => self.consul.feed(chunk, sink),
            Mode::Vault => self.vault.feed(chunk, sink),
            Mode::Undecided => {
                let take = (SNIFF - self.prefix.len()).min(chunk.len());
                self.prefix.extend_from_slice(&chunk[..take]);
                if let Some(v) = sniff(&self.prefix, false) {
                    self.decide(v, sink)?;
                    self.feed(&chunk[take..], sink)?;
                }
                Ok(())
            }
        }
    }

    /// Declares the end of state.bin.
    pub fn finish(&mut self) -> Result<()> {
        if self.mode == Mode::Undecided && !self.prefix.is_empty() {
            let v = sniff(&self.prefix, true).unwrap_or(false);
            self.decide(v, &mut crate::snapshot::state::NullSink)?;
        }
        match self.mode {
            Mode::Consul => self.consul.finish().map(|_| ()),
            Mode::Vault => self.vault.finish(),
            // Empty: decided in `resolve` by the sealed-sums member, which may come later.
            Mode::Undecided => {
                self.empty_finished = true;
                Ok(())
            }
        }
    }

    /// The product, once the stream is decided (an empty stream counts as Consul's).
    pub fn product(&self) -> Product {
        match self.mode {
            Mode::Vault => Product::Vault,
            _ if self.consul.is_nomad() => Product::Nomad,
            _ => Product::Consul,
        }
    }

    /// The Consul header; a default one for Vault, which has none.
    pub fn header(&self) -> Option<StateHeader> {
        match self.mode {
            Mode::Vault => Some(StateHeader::default()),
            _ => self.consul.header(),
        }
    }

    /// Records (Consul) or entries (Vault) completed.
    pub fn records(&self) -> u64 {
        match self.mode {
            Mode::Vault => self.vault.records(),
            _ => self.consul.records(),
        }
    }

    /// Consul's per-type stats (all zero for Vault).
    pub fn stats(&self) -> &[TypeStat; 256] {
        self.consul.stats()
    }

    /// Type of the last Consul record.
    pub fn last_type(&self) -> Option<MessageType> {
        self.consul.last_type()
    }
}

impl crate::snapshot::archive::Snapshot {
    /// Refuses (exit 5, unsupported) a snapshot that is not Consul's, for commands that only
    /// make sense for Consul; `what` names the command.
    pub fn require_consul(&self, what: &str) -> Result<()> {
        match self.product {
            Product::Consul => Ok(()),
            p => Err(Error::Unsupported(format!(
                "{what} works on Consul snapshots only; this is a {} snapshot ({} read it)",
                p.title(),
                match p {
                    Product::Nomad => "verify, inspect, decode, diff, trend and compat",
                    _ => "verify, inspect, decode, diff and trend",
                }
            ))),
        }
    }
}

/// What the archive held of `SHA256SUMS.sealed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// Not an archive (a raft snapshot directory): nothing to check.
    NotApplicable,
    /// No such member.
    Missing,
    /// Present, with this many bytes.
    Len(u64),
}

/// Settles the product from the walk and the `SHA256SUMS.sealed` member, and checks the
/// member: a Vault archive must carry it, non-empty (the one offline check of the sealed
/// sums); a Consul state.bin must not come with it.
///
/// An empty state.bin is decided here, whatever the order of the members: with a sealed-sums
/// member it is a Vault snapshot with no entries, which is valid (Vault's `FSM.writeTo` in
/// `physical/raft/fsm.go` writes one delimited `StorageEntry` per key of the data bucket,
/// nothing for an empty one, and `FSM.Restore` there, like `loadSnapshot` in
/// `physical/raft/snapshot.go`, reads `ReadMsg` until `io.EOF`, so an empty stream restores an
/// empty store; what Vault refuses is a snapshot at raft index 0, `openFromFSM`'s "no snapshot
/// data"); without the member it is Consul's error, a state.bin with no header.
pub fn resolve(
    stream: &mut StateStream,
    sealed: Sealed,
    walk_err: &mut Option<Error>,
) -> Result<Product> {
    if stream.empty_finished {
        if matches!(sealed, Sealed::Len(_)) {
            stream.mode = Mode::Vault;
        } else if walk_err.is_none() {
            *walk_err = stream.consul.finish().err();
        }
    } else if stream.mode == Mode::Undecided && matches!(sealed, Sealed::Len(_)) {
        stream.mode = Mode::Vault;
    }
    let loc = || Location::member("SHA256SUMS.sealed");
    match (stream.product(), sealed) {
        (Product::Vault, Sealed::Missing) => Err(Error::invalid(
            Check::Members,
            "failed checking integrity of snapshot: SHA256SUMS.sealed is missing (a Vault snapshot carries its checksum list sealed by Vault's barrier)",
            loc(),
        )),
        (Product::Vault, Sealed::Len(0)) => Err(Error::invalid(
            Check::Members,
            "failed checking integrity of snapshot: SHA256SUMS.sealed is empty (Vault's seal did not write the sealed checksums: an incomplete snapshot)",
            loc(),
        )),
        (p @ (Product::Consul | Product::Nomad), Sealed::Len(_)) if walk_err.is_none() => Err(Error::invalid(
            Check::Members,
            format!("SHA256SUMS.sealed (a Vault member) is in the archive, but state.bin starts with {}'s msgpack header, not Vault's length-delimited entries", p.title()),
            loc(),
        )),
        (Product::Consul | Product::Nomad, Sealed::Len(_)) => Err(Error::invalid(
            Check::Record,
            "SHA256SUMS.sealed marks a Vault snapshot, but state.bin does not start with a length-delimited StorageEntry",
            Location::member("state.bin").at(0, "state.bin"),
        )),
        (p, _) => Ok(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keys(Vec<(Vec<u8>, u64, u64)>);
    impl RecordSink for Keys {
        fn vault_entry(&mut self, e: &VaultEntry<'_>) -> Result<()> {
            self.0.push((e.key.to_vec(), e.size, e.value_len));
            Ok(())
        }
    }

    fn entry(key: &str, value: &[u8]) -> Vec<u8> {
        let mut m = vec![0x0a, key.len() as u8];
        m.extend_from_slice(key.as_bytes());
        m.extend_from_slice(&[0x12, value.len() as u8]);
        m.extend_from_slice(value);
        let mut out = vec![m.len() as u8];
        out.extend(m);
        out
    }

    type Walked = (Product, Vec<(Vec<u8>, u64, u64)>);

    fn walk(s: &[u8], chunk: usize) -> Result<Walked> {
        let mut w = StateStream::new();
        let mut k = Keys(Vec::new());
        for part in s.chunks(chunk.max(1)) {
            w.feed(part, &mut k)?;
        }
        w.finish()?;
        Ok((w.product(), k.0))
    }

    #[test]
    fn walks_entries_in_any_chunking() {
        let mut s = entry("core/a", b"xyz");
        s.extend(entry("sys/b", b""));
        for chunk in 1..=s.len() {
            let (p, k) = walk(&s, chunk).unwrap();
            assert_eq!(p, Product::Vault);
            assert_eq!(k.len(), 2);
            assert_eq!(k[0], (b"core/a".to_vec(), 13, 3));
            assert_eq!(k[1].0, b"sys/b");
        }
    }

    #[test]
    fn consul_header_is_not_vault() {
        let mut s = vec![0x81, 0xa9];
        s.extend_from_slice(b"LastIndex");
        s.push(5);
        assert_eq!(walk(&s, 3).unwrap().0, Product::Consul);
        assert_eq!(sniff(&[0x80, 0x00, 0x84], false), Some(false));
    }

    #[test]
    fn damage_is_named() {
        let mut s = entry("b", b"1");
        s.extend(entry("a", b"2"));
        let e = walk(&s, 4).unwrap_err().to_string();
        assert!(
            e.contains("keys out of order") && e.contains("entry 2"),
            "{e}"
        );
        let mut s = entry("a", b"1");
        s.extend([0xff; 10]);
        let e = walk(&s, 4).unwrap_err().to_string();
        assert!(e.contains("bad varint") && e.contains("entry 2"), "{e}");
        let s = entry("abc", b"1");
        let e = walk(&s[..s.len() - 1], 4).unwrap_err().to_string();
        assert!(e.contains("truncated entry"), "{e}");
        let mut s = entry("a", b"1");
        s.extend([0x90, 0x80]);
        let e = walk(&s, 4).unwrap_err().to_string();
        assert!(e.contains("truncated varint"), "{e}");
        let mut s = entry("a", b"1");
        s.extend([0xff, 0xff, 0xff, 0x7f]);
        let e = walk(&s, 4).unwrap_err().to_string();
        assert!(e.contains("byte limit"), "{e}");
    }

    #[test]
    fn an_empty_state_is_decided_by_the_sealed_member() {
        for sealed in [Sealed::Len(5), Sealed::Len(0)] {
            let mut w = StateStream::new();
            w.finish().unwrap();
            // The sealed member comes after state.bin: expect_vault runs after finish.
            w.expect_vault();
            let mut err = None;
            let got = resolve(&mut w, sealed, &mut err);
            assert!(err.is_none());
            match sealed {
                Sealed::Len(0) => assert!(got.unwrap_err().to_string().contains("is empty")),
                _ => {
                    assert_eq!(got.unwrap(), Product::Vault);
                    assert_eq!(w.records(), 0);
                    assert!(w.header().is_some());
                }
            }
        }
        // Before state.bin, too.
        let mut w = StateStream::new();
        w.expect_vault();
        w.finish().unwrap();
        let mut err = None;
        assert_eq!(
            resolve(&mut w, Sealed::Len(5), &mut err).unwrap(),
            Product::Vault
        );
        // Without the member, an empty state.bin is Consul's error.
        for sealed in [Sealed::Missing, Sealed::NotApplicable] {
            let mut w = StateStream::new();
            w.finish().unwrap();
            let mut err = None;
            assert_eq!(resolve(&mut w, sealed, &mut err).unwrap(), Product::Consul);
            let e = err.expect("an error").to_string();
            assert!(e.contains("state.bin is empty"), "{e}");
        }
    }
}
