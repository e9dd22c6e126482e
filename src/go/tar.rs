//! A streaming tar reader with Go `archive/tar` semantics, as Consul reads snapshots.
//!
//! Written by hand instead of using the `tar` crate because snapinspect needs Go's exact
//! end-of-archive rules (one or two zero blocks or a clean EOF; a zero block followed by a
//! non-zero one is an error), access to the stream afterwards to count leftover bytes, the
//! byte offset of every problem, and hard caps on PAX and GNU long-name records (the `tar`
//! crate buffers those whole, so a hostile size field could make it allocate without bound).

use std::io::{self, BufRead};

use crate::error::{Check, Error, Location, Result};

/// Largest PAX or GNU long-name record accepted (Go's limit too).
const MAX_SPECIAL: u64 = 1 << 20;

/// One member's header, as resolved from USTAR, GNU and PAX records.
#[derive(Debug, Clone)]
pub struct EntryHeader {
    /// The member name, raw bytes.
    pub name: Vec<u8>,
    /// Bytes of member data.
    pub size: u64,
    /// The typeflag byte.
    pub typeflag: u8,
    /// Offset of the member's (first) header in the tar stream.
    pub header_offset: u64,
}

/// Turns an error from the underlying stream into the project's error.
pub fn from_io(e: io::Error, what: &str) -> Error {
    if e.get_ref().map(|i| i.is::<Error>()).unwrap_or(false) {
        let inner = e.into_inner().expect("checked above");
        return *inner.downcast::<Error>().expect("checked above");
    }
    Error::io(format!("reading {what}"), e)
}

/// Wraps a project error so it can travel through `std::io` readers.
pub fn to_io(e: Error) -> io::Error {
    io::Error::other(e)
}

/// Reads tar members from a buffered stream, tracking the byte offset.
pub struct TarReader<R> {
    r: R,
    pos: u64,
}

fn tar_err(message: impl Into<String>, at: u64) -> Error {
    Error::invalid(
        Check::Tar,
        format!("failed reading snapshot: {}", message.into()),
        Location::default().at(at, "tar stream"),
    )
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let trimmed: &[u8] = {
        let start = field
            .iter()
            .position(|&b| b != b' ' && b != 0)
            .unwrap_or(field.len());
        let end = field
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map(|p| p + 1)
            .unwrap_or(start);
        &field[start..end.max(start)]
    };
    let mut v: u64 = 0;
    for &b in trimmed {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

fn parse_numeric(field: &[u8]) -> Option<u64> {
    if !field.is_empty() && field[0] & 0x80 != 0 {
        // GNU base-256: a negative number is not a valid size.
        if field[0] & 0x40 != 0 {
            return None;
        }
        let mut v: u64 = (field[0] & 0x3f) as u64;
        for &b in &field[1..] {
            if v >> 56 != 0 {
                return None;
            }
            v = (v << 8) | b as u64;
        }
        return Some(v);
    }
    parse_octal(field)
}

fn cstr(field: &[u8]) -> &[u8] {
    match field.iter().position(|&b| b == 0) {
        Some(p) => &field[..p],
        None => field,
    }
}

/// True when a block is a plausible start of a tar archive: a header with a valid checksum,
/// or an all-zero end-of-archive block.
pub fn looks_like_tar(block: &[u8]) -> bool {
    match <&[u8; 512]>::try_from(block) {
        Ok(b) => b.iter().all(|&x| x == 0) || checksum_ok(b),
        Err(_) => false,
    }
}

fn checksum_ok(block: &[u8; 512]) -> bool {
    let Some(want) = parse_octal(&block[148..156]) else {
        return false;
    };
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as u64;
        signed += b as i8 as i64;
    }
    want == unsigned || want as i64 == signed
}

impl<R: BufRead> TarReader<R> {
    /// A reader at the start of a tar stream.
    pub fn new(r: R) -> Self {
        TarReader { r, pos: 0 }
    }

    /// Offset in the tar stream.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Returns the underlying stream, positioned after the end of the archive.
    pub fn into_inner(self) -> R {
        self.r
    }

    /// Access to the underlying stream.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.r
    }

    /// Reads up to one block; returns how many bytes were read (short only at EOF).
    fn read_block(&mut self, block: &mut [u8; 512]) -> Result<usize> {
        let mut got = 0;
        while got < 512 {
            let buf = self
                .r
                .fill_buf()
                .map_err(|e| from_io(e, "the tar stream"))?;
            if buf.is_empty() {
                break;
            }
            let n = buf.len().min(512 - got);
            block[got..got + n].copy_from_slice(&buf[..n]);
            self.r.consume(n);
            got += n;
        }
        self.pos += got as u64;
        Ok(got)
    }

    /// Passes `n` bytes of data to `f`, in chunks as they arrive.
    fn stream(
        &mut self,
        mut n: u64,
        what: &str,
        f: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        while n > 0 {
            let buf = self.r.fill_buf().map_err(|e| from_io(e, what))?;
            if buf.is_empty() {
                return Err(tar_err(
                    format!("unexpected EOF: {what} is truncated, {n} more bytes were expected"),
                    self.pos,
                ));
            }
            let take = (buf.len() as u64).min(n) as usize;
            f(&buf[..take])?;
            self.r.consume(take);
            self.pos += take as u64;
            n -= take as u64;
        }
        Ok(())
    }

    fn read_special(&mut self, size: u64, what: &str) -> Result<Vec<u8>> {
        if size > MAX_SPECIAL {
            return Err(tar_err(
                format!("{what} record of {size} bytes exceeds the {MAX_SPECIAL} byte limit"),
                self.pos,
            ));
        }
        let mut data = Vec::with_capacity(size as usize);
        self.stream(size, what, &mut |c| {
            data.extend_from_slice(c);
            Ok(())
        })?;
        self.skip_padding(size, what)?;
        Ok(data)
    }

    /// Skips the padding after `size` bytes of member data.
    fn skip_padding(&mut self, size: u64, what: &str) -> Result<()> {
        let pad = (512 - size % 512) % 512;
        self.stream(pad, &format!("the padding after {what}"), &mut |_| Ok(()))
    }

    /// Reads the next member's header; `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<EntryHeader>> {
        let mut long_name: Option<Vec<u8>> = None;
        let mut pax_path: Option<Vec<u8>> = None;
        let mut pax_size: Option<u64> = None;
        let mut first_offset: Option<u64> = None;
        loop {
            let offset = self.pos;
            let mut block = [0u8; 512];
            let got = self.read_block(&mut block)?;
            if got == 0 {
                if first_offset.is_some() {
                    return Err(tar_err("unexpected EOF after an extended header", offset));
                }
                return Ok(None);
            }
            if got < 512 {
                return Err(tar_err(
                    format!("unexpected EOF inside a tar header ({got} of 512 bytes)"),
                    offset,
                ));
            }
            if block.iter().all(|&b| b == 0) {
                let mut second = [0u8; 512];
                let got2 = self.read_block(&mut second)?;
                if got2 == 0 || (got2 == 512 && second.iter().all(|&b| b == 0)) {
                    return Ok(None);
                }
                if got2 < 512 {
                    return Err(tar_err(
                        "unexpected EOF inside the end-of-archive blocks",
                        offset + 512,
                    ));
                }
                return Err(tar_err(
                    "archive/tar: invalid tar header (a zero block followed by a non-zero block)",
                    offset + 512,
                ));
            }
            if !checksum_ok(&block) {
                return Err(tar_err(
                    "archive/tar: invalid tar header (bad header checksum)",
                    offset,
                ));
            }
            first_offset.get_or_insert(offset);
            let typeflag = block[156];
            let size = parse_numeric(&block[124..136]).ok_or_else(|| {
                tar_err("archive/tar: invalid tar header (bad size field)", offset)
            })?;
            let magic = &block[257..265];
            let ustar = &magic[..6] == b"ustar\0";
            let mut name = cstr(&block[0..100]).to_vec();
            if ustar {
                let prefix = cstr(&block[345..500]);
                if !prefix.is_empty() {
                    let mut full = prefix.to_vec();
                    full.push(b'/');
                    full.extend_from_slice(&name);
                    name = full;
                }
            }
            match typeflag {
                b'x' => {
                    let data = self.read_special(size, "a PAX header")?;
                    parse_pax(&data, &mut pax_path, &mut pax_size).map_err(|m| {
                        tar_err(format!("archive/tar: invalid PAX record: {m}"), offset)
                    })?;
                    continue;
                }
                b'L' => {
                    let data = self.read_special(size, "a GNU long name")?;
                    long_name = Some(cstr(&data).to_vec());
                    continue;
                }
                b'K' => {
                    self.read_special(size, "a GNU long link name")?;
                    continue;
                }
                b'S' => {
                    return Err(tar_err("sparse tar members are not supported", offset));
                }
                _ => {}
            }
            if let Some(p) = pax_path.take() {
                name = p;
            } else if let Some(l) = long_name.take() {
                name = l;
            }
            let mut size = pax_size.take().unwrap_or(size);
            if matches!(typeflag, b'1'..=b'6') {
                size = 0;
            }
            return Ok(Some(EntryHeader {
                name,
                size,
                typeflag,
                header_offset: first_offset.unwrap_or(offset),
            }));
        }
    }

    /// Streams the current member's data to `f`, then skips its padding.
    pub fn read_data(
        &mut self,
        entry: &EntryHeader,
        f: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let what = format!("member {}", go_quote(&entry.name));
        self.stream(entry.size, &what, f)?;
        self.skip_padding(entry.size, &what)
    }
}

fn parse_pax(
    data: &[u8],
    path: &mut Option<Vec<u8>>,
    size: &mut Option<u64>,
) -> std::result::Result<(), String> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or("missing length")?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("bad length")?;
        if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err("bad record length".into());
        }
        let rec = &rest[sp + 1..len - 1];
        let eq = rec.iter().position(|&b| b == b'=').ok_or("missing '='")?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        match k {
            b"path" => *path = Some(v.to_vec()),
            b"size" => {
                *size = Some(
                    std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or("bad size")?,
                )
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok(())
}

/// Quotes bytes as Go's `%q` does for a string.
pub fn go_quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                '\x07' => s.push_str("\\a"),
                '\x08' => s.push_str("\\b"),
                '\x0c' => s.push_str("\\f"),
                '\x0b' => s.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    s.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() => s.push_str(&format!("\\u{:04x}", c as u32)),
                c => s.push(c),
            }
        }
        for &byte in chunk.invalid() {
            s.push_str(&format!("\\x{byte:02x}"));
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_fields() {
        assert_eq!(parse_octal(b"0000644\0"), Some(0o644));
        assert_eq!(parse_octal(b"  1750 \0"), Some(0o1750));
        assert_eq!(parse_octal(b"\0\0\0"), Some(0));
        assert_eq!(parse_octal(b"12a"), None);
        assert_eq!(
            parse_numeric(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
    }

    #[test]
    fn quoting_matches_go() {
        assert_eq!(go_quote(b"nope"), "\"nope\"");
        assert_eq!(go_quote(b"a\"b\n\xff"), "\"a\\\"b\\n\\xff\"");
    }
}
