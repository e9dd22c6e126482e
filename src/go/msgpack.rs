//! Consul's msgpack dialect: a resumable zero-copy skipper, a borrowing decoder and an encoder.
//!
//! Written by hand rather than with `rmp`/`rmpv` because snapinspect needs three things those
//! crates do not give together: (1) a *resumable* skipper that finds the end of a value fed in
//! arbitrary chunks without allocating or recursing, so a hostile length field or nesting depth
//! can never make us allocate or overflow the stack; (2) a decoder that borrows raw strings as
//! bytes, because Consul's old-spec "raw" type holds strings and byte slices alike and may carry
//! invalid UTF-8; (3) an encoder that writes exactly what HashiCorp's go-msgpack 0.5.5 writes
//! (raw without str8, minimal integer widths, float64 always `cb`).

use std::fmt;

/// A msgpack structure error, with the offset (relative to the value's start) where found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgpackError {
    /// What is wrong.
    pub message: String,
    /// Byte offset of the problem, relative to where decoding started.
    pub offset: u64,
}

impl fmt::Display for MsgpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// How a marker byte continues: bytes of length field, then what to do.
#[derive(Clone, Copy)]
enum Shape {
    /// Marker plus `n` payload bytes, no nested values.
    Fixed(u8),
    /// Marker, then a big-endian length of `len_bytes` bytes, then `extra` fixed bytes
    /// (the ext type byte), then `length` payload bytes.
    Sized { len_bytes: u8, extra: u8 },
    /// Marker, then a big-endian count of `len_bytes` bytes, then `count * per` nested values.
    Container { len_bytes: u8, per: u8 },
    /// A fix container: the count is in the marker's low bits.
    FixContainer { mask: u8, per: u8 },
    /// A fixstr: the length is in the marker's low five bits.
    FixStr,
    /// The reserved marker 0xc1.
    Invalid,
}

#[inline]
fn shape(m: u8) -> Shape {
    match m {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => Shape::Fixed(0),
        0x80..=0x8f => Shape::FixContainer { mask: 0x0f, per: 2 },
        0x90..=0x9f => Shape::FixContainer { mask: 0x0f, per: 1 },
        0xa0..=0xbf => Shape::FixStr,
        0xc1 => Shape::Invalid,
        0xc4 | 0xd9 => Shape::Sized {
            len_bytes: 1,
            extra: 0,
        },
        0xc5 | 0xda => Shape::Sized {
            len_bytes: 2,
            extra: 0,
        },
        0xc6 | 0xdb => Shape::Sized {
            len_bytes: 4,
            extra: 0,
        },
        0xc7 => Shape::Sized {
            len_bytes: 1,
            extra: 1,
        },
        0xc8 => Shape::Sized {
            len_bytes: 2,
            extra: 1,
        },
        0xc9 => Shape::Sized {
            len_bytes: 4,
            extra: 1,
        },
        0xca => Shape::Fixed(4),
        0xcb => Shape::Fixed(8),
        0xcc | 0xd0 => Shape::Fixed(1),
        0xcd | 0xd1 => Shape::Fixed(2),
        0xce | 0xd2 => Shape::Fixed(4),
        0xcf | 0xd3 => Shape::Fixed(8),
        0xd4 => Shape::Fixed(2),
        0xd5 => Shape::Fixed(3),
        0xd6 => Shape::Fixed(5),
        0xd7 => Shape::Fixed(9),
        0xd8 => Shape::Fixed(17),
        0xdc => Shape::Container {
            len_bytes: 2,
            per: 1,
        },
        0xdd => Shape::Container {
            len_bytes: 4,
            per: 1,
        },
        0xde => Shape::Container {
            len_bytes: 2,
            per: 2,
        },
        0xdf => Shape::Container {
            len_bytes: 4,
            per: 2,
        },
    }
}

/// Bytes of marker plus length field that must be seen together before acting on a marker.
#[inline]
fn head_len(m: u8) -> usize {
    match shape(m) {
        Shape::Sized { len_bytes, extra } => 1 + len_bytes as usize + extra as usize,
        Shape::Container { len_bytes, .. } => 1 + len_bytes as usize,
        _ => 1,
    }
}

#[inline]
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64)
}

/// Finds the end of msgpack values fed in chunks, without allocating or recursing.
///
/// It keeps a count of values still to be skipped and of payload bytes still to be passed, so
/// memory is constant whatever lengths or nesting the input claims.
#[derive(Debug, Clone, Default)]
pub struct Skipper {
    pending: u64,
    skip: u64,
    head: [u8; 6],
    head_len: u8,
    head_need: u8,
    consumed: u64,
}

/// What [`Skipper::advance`] found in a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The whole chunk was consumed and the value is not finished yet.
    NeedMore,
    /// The value ended after this many bytes of the chunk.
    Done(usize),
}

impl Skipper {
    /// A skipper ready to find the end of one value.
    pub fn new() -> Self {
        Skipper {
            pending: 1,
            ..Default::default()
        }
    }

    /// Starts over for the next value.
    pub fn reset(&mut self) {
        *self = Skipper::new();
    }

    /// Bytes of the current value consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// True when nothing of the current value has been consumed yet.
    pub fn at_start(&self) -> bool {
        self.consumed == 0
    }

    /// Consumes bytes of `buf` until the current value ends or the chunk runs out.
    pub fn advance(&mut self, buf: &[u8]) -> Result<Step, MsgpackError> {
        let mut i = 0usize;
        let n = buf.len();
        loop {
            if self.skip > 0 {
                let avail = (n - i) as u64;
                if avail < self.skip {
                    self.skip -= avail;
                    self.consumed += avail;
                    return Ok(Step::NeedMore);
                }
                i += self.skip as usize;
                self.consumed += self.skip;
                self.skip = 0;
            }
            if self.pending == 0 {
                return Ok(Step::Done(i));
            }
            // Complete a marker head split across chunks.
            if self.head_need > 0 {
                let want = (self.head_need - self.head_len) as usize;
                let take = want.min(n - i);
                self.head[self.head_len as usize..self.head_len as usize + take]
                    .copy_from_slice(&buf[i..i + take]);
                self.head_len += take as u8;
                i += take;
                self.consumed += take as u64;
                if self.head_len < self.head_need {
                    return Ok(Step::NeedMore);
                }
                let head = self.head;
                let len = self.head_need as usize;
                self.head_need = 0;
                self.head_len = 0;
                self.apply(&head[..len])?;
                continue;
            }
            if i >= n {
                return Ok(Step::NeedMore);
            }
            let m = buf[i];
            let hl = head_len(m);
            if i + hl > n {
                let take = n - i;
                self.head[..take].copy_from_slice(&buf[i..]);
                self.head_len = take as u8;
                self.head_need = hl as u8;
                self.consumed += take as u64;
                return Ok(Step::NeedMore);
            }
            self.consumed += hl as u64;
            let start = self.consumed - hl as u64;
            self.apply_at(&buf[i..i + hl], start)?;
            i += hl;
        }
    }

    fn apply(&mut self, head: &[u8]) -> Result<(), MsgpackError> {
        let start = self.consumed - head.len() as u64;
        self.apply_at(head, start)
    }

    #[inline]
    fn apply_at(&mut self, head: &[u8], start: u64) -> Result<(), MsgpackError> {
        let m = head[0];
        self.pending -= 1;
        match shape(m) {
            Shape::Fixed(k) => self.skip = k as u64,
            Shape::FixStr => self.skip = (m & 0x1f) as u64,
            Shape::FixContainer { mask, per } => {
                self.pending = self.pending.saturating_add((m & mask) as u64 * per as u64)
            }
            // The ext type byte (`extra`) is part of the head; the payload follows it.
            Shape::Sized { len_bytes, .. } => self.skip = be(&head[1..1 + len_bytes as usize]),
            Shape::Container { len_bytes, per } => {
                let count = be(&head[1..1 + len_bytes as usize]);
                self.pending = self.pending.saturating_add(count * per as u64);
            }
            Shape::Invalid => {
                return Err(MsgpackError {
                    message: "invalid msgpack marker byte 0xc1".into(),
                    offset: start,
                })
            }
        }
        Ok(())
    }
}

/// Returns the length of the one msgpack value at the start of `buf`, or an error when it is
/// malformed or does not end within `buf`.
pub fn value_len(buf: &[u8]) -> Result<usize, MsgpackError> {
    let mut s = Skipper::new();
    match s.advance(buf)? {
        Step::Done(n) => Ok(n),
        Step::NeedMore => Err(MsgpackError {
            message: format!(
                "msgpack value is truncated: it needs more than the {} bytes available",
                buf.len()
            ),
            offset: buf.len() as u64,
        }),
    }
}

/// A decoded msgpack value that borrows its strings from the input bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// A signed integer (negative fixint or `d0..d3`, or a positive fixint).
    Int(i64),
    /// An unsigned integer (`cc..cf`).
    Uint(u64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// A raw string (old-spec str family): text or bytes, not necessarily UTF-8.
    Raw(&'a [u8]),
    /// A bin8/16/32 value (never written by Consul, accepted on read).
    Bin(&'a [u8]),
    /// An array.
    Array(Vec<Value<'a>>),
    /// A map, in the order its entries were written.
    Map(Vec<(Value<'a>, Value<'a>)>),
    /// An extension value: type and data.
    Ext(i8, &'a [u8]),
}

/// Deepest nesting the decoder accepts; Consul's records nest far less.
pub const MAX_DEPTH: usize = 200;

impl<'a> Value<'a> {
    /// The bytes of a raw or bin value.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Raw(b) | Value::Bin(b) => Some(b),
            _ => None,
        }
    }

    /// The value as text, when it is a raw string holding valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The value as an unsigned integer, when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Uint(u) => Some(u),
            Value::Int(i) if i >= 0 => Some(i as u64),
            _ => None,
        }
    }

    /// The value as a signed integer, when it fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            Value::Uint(u) if u <= i64::MAX as u64 => Some(u as i64),
            _ => None,
        }
    }

    /// The value as a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// True for nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Looks a key up in a map whose keys are raw strings (exact match).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_bytes() == Some(key.as_bytes()))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Mutable lookup of a key in a map whose keys are raw strings.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'a>> {
        match self {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_bytes() == Some(key.as_bytes()))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Decodes exactly one value from `buf`; returns it and the bytes it used.
pub fn decode(buf: &[u8]) -> Result<(Value<'_>, usize), MsgpackError> {
    let mut d = Decoder { buf, pos: 0 };
    let v = d.value(0)?;
    Ok((v, d.pos))
}

/// Decodes `buf` as exactly one value with no bytes after it.
pub fn decode_exact(buf: &[u8]) -> Result<Value<'_>, MsgpackError> {
    let (v, n) = decode(buf)?;
    if n != buf.len() {
        return Err(MsgpackError {
            message: format!("{} bytes follow the msgpack value", buf.len() - n),
            offset: n as u64,
        });
    }
    Ok(v)
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, MsgpackError> {
        Err(MsgpackError {
            message: message.into(),
            offset: self.pos as u64,
        })
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], MsgpackError> {
        let remaining = (self.buf.len() - self.pos) as u64;
        if n > remaining {
            return self.err(format!(
                "msgpack value is truncated: needs {n} bytes, {remaining} remain"
            ));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn uint(&mut self, n: u64) -> Result<u64, MsgpackError> {
        Ok(be(self.take(n)?))
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, MsgpackError> {
        if depth > MAX_DEPTH {
            return self.err(format!("msgpack nesting deeper than {MAX_DEPTH} levels"));
        }
        let m = self.take(1)?[0];
        Ok(match m {
            0x00..=0x7f => Value::Int(m as i64),
            0xe0..=0xff => Value::Int(m as i8 as i64),
            0x80..=0x8f => self.map((m & 0x0f) as u64, depth)?,
            0x90..=0x9f => self.array((m & 0x0f) as u64, depth)?,
            0xa0..=0xbf => Value::Raw(self.take((m & 0x1f) as u64)?),
            0xc0 => Value::Nil,
            0xc1 => {
                self.pos -= 1;
                return self.err("invalid msgpack marker byte 0xc1");
            }
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.uint(1 << (m - 0xc4))?;
                Value::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (m - 0xc7))?;
                let t = self.take(1)?[0] as i8;
                Value::Ext(t, self.take(n)?)
            }
            0xca => Value::F32(f32::from_bits(self.uint(4)? as u32)),
            0xcb => Value::F64(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Value::Uint(self.uint(1 << (m - 0xcc))?),
            0xd0 => Value::Int(self.uint(1)? as u8 as i8 as i64),
            0xd1 => Value::Int(self.uint(2)? as u16 as i16 as i64),
            0xd2 => Value::Int(self.uint(4)? as u32 as i32 as i64),
            0xd3 => Value::Int(self.uint(8)? as i64),
            0xd4..=0xd8 => {
                let t = self.take(1)?[0] as i8;
                Value::Ext(t, self.take(1 << (m - 0xd4))?)
            }
            0xd9..=0xdb => {
                let n = self.uint(1 << (m - 0xd9))?;
                Value::Raw(self.take(n)?)
            }
            0xdc => {
                let n = self.uint(2)?;
                self.array(n, depth)?
            }
            0xdd => {
                let n = self.uint(4)?;
                self.array(n, depth)?
            }
            0xde => {
                let n = self.uint(2)?;
                self.map(n, depth)?
            }
            0xdf => {
                let n = self.uint(4)?;
                self.map(n, depth)?
            }
        })
    }

    fn capacity(&self, n: u64, min_bytes_each: u64) -> usize {
        // Never trust a claimed count beyond what the remaining bytes could hold.
        let remaining = (self.buf.len() - self.pos) as u64;
        n.min(remaining / min_bytes_each) as usize
    }

    fn array(&mut self, n: u64, depth: usize) -> Result<Value<'a>, MsgpackError> {
        let mut v = Vec::with_capacity(self.capacity(n, 1));
        for _ in 0..n {
            v.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(v))
    }

    fn map(&mut self, n: u64, depth: usize) -> Result<Value<'a>, MsgpackError> {
        let mut v = Vec::with_capacity(self.capacity(n, 2));
        for _ in 0..n {
            let k = self.value(depth + 1)?;
            let val = self.value(depth + 1)?;
            v.push((k, val));
        }
        Ok(Value::Map(v))
    }
}

/// Writes msgpack exactly as HashiCorp's go-msgpack 0.5.5 does with Consul's handle.
pub mod encode {
    use super::Value;

    /// Appends nil.
    pub fn nil(out: &mut Vec<u8>) {
        out.push(0xc0);
    }

    /// Appends a bool.
    pub fn bool(out: &mut Vec<u8>, b: bool) {
        out.push(if b { 0xc3 } else { 0xc2 });
    }

    /// Appends an unsigned integer in the smallest form.
    pub fn uint(out: &mut Vec<u8>, u: u64) {
        if u <= 0x7f {
            out.push(u as u8);
        } else if u <= 0xff {
            out.extend_from_slice(&[0xcc, u as u8]);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    }

    /// Appends a signed integer in the smallest form (non-negative values as unsigned).
    pub fn int(out: &mut Vec<u8>, i: i64) {
        if i >= 0 {
            uint(out, i as u64);
        } else if i >= -32 {
            out.push(i as i8 as u8);
        } else if i >= i8::MIN as i64 {
            out.extend_from_slice(&[0xd0, i as i8 as u8]);
        } else if i >= i16::MIN as i64 {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        } else if i >= i32::MIN as i64 {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }

    /// Appends a raw string (str family without str8, as go-msgpack 0.5.5 writes it).
    pub fn raw(out: &mut Vec<u8>, b: &[u8]) {
        let n = b.len();
        if n < 32 {
            out.push(0xa0 | n as u8);
        } else if n < 65536 {
            out.push(0xda);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(0xdb);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        out.extend_from_slice(b);
    }

    /// Appends an array header.
    pub fn array_len(out: &mut Vec<u8>, n: usize) {
        if n < 16 {
            out.push(0x90 | n as u8);
        } else if n < 65536 {
            out.push(0xdc);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(0xdd);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    /// Appends a map header.
    pub fn map_len(out: &mut Vec<u8>, n: usize) {
        if n < 16 {
            out.push(0x80 | n as u8);
        } else if n < 65536 {
            out.push(0xde);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(0xdf);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    /// Appends a whole value.
    pub fn value(out: &mut Vec<u8>, v: &Value<'_>) {
        match v {
            Value::Nil => nil(out),
            Value::Bool(b) => bool(out, *b),
            Value::Int(i) => int(out, *i),
            Value::Uint(u) => uint(out, *u),
            Value::F32(f) => {
                out.push(0xca);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            Value::F64(f) => {
                out.push(0xcb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            Value::Raw(b) => raw(out, b),
            Value::Bin(b) => {
                let n = b.len();
                if n < 256 {
                    out.extend_from_slice(&[0xc4, n as u8]);
                } else if n < 65536 {
                    out.push(0xc5);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xc6);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(b);
            }
            Value::Array(items) => {
                array_len(out, items.len());
                for i in items {
                    value(out, i);
                }
            }
            Value::Map(entries) => {
                map_len(out, entries.len());
                for (k, v) in entries {
                    value(out, k);
                    value(out, v);
                }
            }
            Value::Ext(t, data) => {
                let n = data.len();
                match n {
                    1 => out.push(0xd4),
                    2 => out.push(0xd5),
                    4 => out.push(0xd6),
                    8 => out.push(0xd7),
                    16 => out.push(0xd8),
                    _ if n < 256 => out.extend_from_slice(&[0xc7, n as u8]),
                    _ if n < 65536 => {
                        out.push(0xc8);
                        out.extend_from_slice(&(n as u16).to_be_bytes());
                    }
                    _ => {
                        out.push(0xc9);
                        out.extend_from_slice(&(n as u32).to_be_bytes());
                    }
                }
                out.push(*t as u8);
                out.extend_from_slice(data);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_all(bytes: &[u8], chunk: usize) -> Result<Option<usize>, MsgpackError> {
        let mut s = Skipper::new();
        let mut pos = 0;
        for c in bytes.chunks(chunk.max(1)) {
            match s.advance(c)? {
                Step::Done(n) => return Ok(Some(pos + n)),
                Step::NeedMore => pos += c.len(),
            }
        }
        Ok(None)
    }

    #[test]
    fn skipper_finds_value_end_in_any_chunking() {
        // {"LastIndex": 5} then a trailing byte that is not part of the value.
        let mut v = vec![0x81, 0xa9];
        v.extend_from_slice(b"LastIndex");
        v.push(0x05);
        let end = v.len();
        v.push(0x00);
        for chunk in 1..=v.len() {
            assert_eq!(skip_all(&v, chunk).unwrap(), Some(end), "chunk {chunk}");
        }
    }

    #[test]
    fn skipper_handles_every_marker_family() {
        let mut out = Vec::new();
        encode::map_len(&mut out, 3);
        encode::raw(&mut out, b"a");
        encode::array_len(&mut out, 20);
        for i in 0..20 {
            encode::int(&mut out, -(i * 1000));
        }
        encode::raw(&mut out, b"b");
        encode::raw(&mut out, &[0xff; 70000]);
        encode::raw(&mut out, b"c");
        out.extend_from_slice(&[0xcb, 0, 0, 0, 0, 0, 0, 0, 0]);
        let end = out.len();
        out.extend_from_slice(&[0xd8, 1]);
        out.extend_from_slice(&[0u8; 16]);
        for chunk in [1, 2, 3, 7, 64, 100000] {
            assert_eq!(skip_all(&out, chunk).unwrap(), Some(end));
        }
        let (v, n) = decode(&out).unwrap();
        assert_eq!(n, end);
        assert_eq!(v.get("c"), Some(&Value::F64(0.0)));
    }

    #[test]
    fn hostile_lengths_do_not_allocate() {
        // A str32 claiming 4 GiB, an array32 and a map32 claiming 4G entries.
        for m in [0xdbu8, 0xdd, 0xdf, 0xc6] {
            let bytes = [m, 0xff, 0xff, 0xff, 0xff, 0x01];
            assert_eq!(skip_all(&bytes, 3).unwrap(), None);
            assert!(decode(&bytes).is_err());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let bytes = vec![0x91u8; 100_000];
        assert!(decode(&bytes).is_err());
        assert_eq!(skip_all(&bytes, 4096).unwrap(), None);
    }

    #[test]
    fn reserved_marker_is_rejected() {
        assert!(skip_all(&[0x92, 0x01, 0xc1], 1).is_err());
        assert!(decode(&[0xc1]).is_err());
    }

    #[test]
    fn encoder_uses_go_msgpack_widths() {
        let mut o = Vec::new();
        encode::uint(&mut o, 200);
        encode::int(&mut o, -33);
        encode::raw(&mut o, &[b'x'; 40]);
        assert_eq!(&o[..5], &[0xcc, 200, 0xd0, 0xdf, 0xda]);
        assert_eq!(&o[5..7], &[0, 40]);
    }

    #[test]
    fn decode_encode_round_trip() {
        let mut o = Vec::new();
        encode::map_len(&mut o, 2);
        encode::raw(&mut o, b"K");
        encode::uint(&mut o, 1 << 40);
        encode::raw(&mut o, b"L");
        encode::int(&mut o, -70000);
        let v = decode_exact(&o).unwrap();
        let mut again = Vec::new();
        encode::value(&mut again, &v);
        assert_eq!(o, again);
    }
}
