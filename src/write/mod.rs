//! Writing snapshots exactly as Consul lays them out: USTAR members `meta.json`, `state.bin`,
//! `SHA256SUMS`, two zero blocks, gzip on top; and atomic file output.

pub mod generate;
pub mod nomad;
pub(crate) mod pargz;
pub mod redact;
pub mod vault;

mod atomic;

pub use atomic::{
    remove_stale_temp_files, temp_file_in, unnamed_temp_file, write_atomic, write_atomic_named,
    Registered, TempFiles, TEMP_PREFIX,
};

use std::io::{self, Read, Write};

use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::snapshot::archive::hex;
use crate::snapshot::meta::SnapshotMeta;

/// A reader or writer that adds the bytes passing through it to a shared counter (what a
/// progress display watches).
pub struct Counted<T> {
    /// The reader or writer.
    pub inner: T,
    /// The counter, if anyone watches.
    pub counter: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl<T> Counted<T> {
    fn count(&self, n: usize) {
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(n);
        Ok(n)
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(n);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Largest size a USTAR size field holds (11 octal digits); beyond it Go adds a PAX record.
const USTAR_MAX_SIZE: u64 = 0o77777777777;

/// Options for writing.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// gzip level, 0 (store) to 9 (smallest); Consul uses 6.
    pub level: u32,
    /// Modification time of the members, in Unix seconds (Consul uses the time of writing).
    pub mtime: u64,
    /// Compression threads; more than one compresses blocks in parallel into one gzip member.
    pub threads: usize,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            level: 6,
            mtime: now_unix(),
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

/// The current time in whole Unix seconds.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A USTAR header as Go's `archive/tar` writes it for Consul's members.
fn header(name: &[u8], size: u64, mtime: u64, typeflag: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000600\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    let size_field = if size > USTAR_MAX_SIZE { 0 } else { size };
    h[124..136].copy_from_slice(format!("{size_field:011o}\0").as_bytes());
    h[136..148].copy_from_slice(format!("{:011o}\0", mtime.min(USTAR_MAX_SIZE)).as_bytes());
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[329..337].copy_from_slice(b"0000000\0");
    h[337..345].copy_from_slice(b"0000000\0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn pad(out: &mut dyn Write, len: u64) -> io::Result<()> {
    let p = ((512 - len % 512) % 512) as usize;
    out.write_all(&[0u8; 512][..p])
}

fn member(out: &mut dyn Write, name: &str, data: &[u8], mtime: u64) -> io::Result<()> {
    out.write_all(&header(name.as_bytes(), data.len() as u64, mtime, b'0'))?;
    out.write_all(data)?;
    pad(out, data.len() as u64)
}

/// Writes the uncompressed tar of a snapshot; `meta.size` is set to `state_len`.
///
/// `state` must yield exactly `state_len` bytes; it is streamed, never held whole.
/// Returns the meta that was written.
pub fn write_tar(
    out: &mut dyn Write,
    meta: &SnapshotMeta,
    state: &mut dyn Read,
    state_len: u64,
    mtime: u64,
) -> Result<SnapshotMeta> {
    let io_err = |e: io::Error| Error::io("writing the snapshot", e);
    let mut meta = meta.clone();
    meta.size = state_len as i64;
    meta.crc = None;
    let mut meta_json = meta.to_go_json().into_bytes();
    meta_json.push(b'\n');
    let meta_sum = Sha256::digest(&meta_json);
    member(out, "meta.json", &meta_json, mtime).map_err(io_err)?;

    if state_len > USTAR_MAX_SIZE {
        let record = format!("size={state_len}\n");
        // The record's length prefix counts itself.
        let mut n = record.len() + 2;
        while format!("{n} {record}").len() != n {
            n += 1;
        }
        let pax = format!("{n} {record}");
        out.write_all(&header(
            b"PaxHeaders.0/state.bin",
            pax.len() as u64,
            mtime,
            b'x',
        ))
        .map_err(io_err)?;
        out.write_all(pax.as_bytes()).map_err(io_err)?;
        pad(out, pax.len() as u64).map_err(io_err)?;
    }
    out.write_all(&header(b"state.bin", state_len, mtime, b'0'))
        .map_err(io_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut written: u64 = 0;
    loop {
        let n = match state.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("reading state.bin", e)),
        };
        written += n as u64;
        if written > state_len {
            return Err(Error::Usage(format!(
                "state.bin is longer than the {state_len} bytes announced"
            )));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io_err)?;
    }
    if written != state_len {
        return Err(Error::Usage(format!(
            "state.bin is {written} bytes, not the {state_len} bytes announced"
        )));
    }
    pad(out, state_len).map_err(io_err)?;
    let sums = format!(
        "{}  meta.json\n{}  state.bin\n",
        hex(&meta_sum),
        hex(&hasher.finalize())
    );
    member(out, "SHA256SUMS", sums.as_bytes(), mtime).map_err(io_err)?;
    out.write_all(&[0u8; 1024]).map_err(io_err)?;
    Ok(meta)
}

/// Writes a `.snap` (gzip of the tar) to `out`; returns the meta written.
pub fn write_snapshot<W: Write>(
    out: W,
    meta: &SnapshotMeta,
    state: &mut dyn Read,
    state_len: u64,
    opts: WriteOptions,
) -> Result<(SnapshotMeta, W)> {
    let io_err = |e| Error::io("writing the snapshot", e);
    if opts.threads > 1 {
        let mut gz =
            crate::write::pargz::ParGzWriter::new(out, opts.level, opts.threads).map_err(io_err)?;
        let meta = write_tar(&mut gz, meta, state, state_len, opts.mtime)?;
        return Ok((meta, gz.finish().map_err(io_err)?));
    }
    let mut gz = flate2::GzBuilder::new()
        .operating_system(255)
        .write(out, Compression::new(opts.level.min(9)));
    let meta = write_tar(&mut gz, meta, state, state_len, opts.mtime)?;
    Ok((meta, gz.finish().map_err(io_err)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::archive::{read_archive, ReadOptions};
    use crate::snapshot::state::NullSink;

    fn meta() -> SnapshotMeta {
        SnapshotMeta {
            version: 1,
            id: "2011-2005-1".into(),
            index: 2005,
            term: 2011,
            peers: None,
            servers: Some(vec![crate::snapshot::meta::Server {
                suffrage: 0,
                id: "hello".into(),
                address: "127.0.0.1:8300".into(),
            }]),
            configuration_index: 0,
            size: 0,
            crc: None,
        }
    }

    fn state() -> Vec<u8> {
        let mut s = vec![0x81, 0xa9];
        s.extend_from_slice(b"LastIndex");
        s.push(0x05);
        for i in 0..100u8 {
            s.extend_from_slice(&[16, 0x81, 0xa1, b'K', i & 0x7f]);
        }
        s
    }

    #[test]
    fn tar_layout_matches_consul() {
        let st = state();
        let mut tar = Vec::new();
        let m = write_tar(
            &mut tar,
            &meta(),
            &mut &st[..],
            st.len() as u64,
            1_600_000_000,
        )
        .unwrap();
        let meta_len = m.to_go_json().len() as u64 + 1;
        let p = |n: u64| n.div_ceil(512) * 512;
        assert_eq!(
            tar.len() as u64,
            512 + p(meta_len) + 512 + p(st.len() as u64) + 512 + 512 + 1024
        );
        assert_eq!(&tar[100..108], b"0000600\0");
        assert_eq!(&tar[124..136], format!("{meta_len:011o}\0").as_bytes());
        assert_eq!(&tar[154..156], b"\0 ");
        assert!(tar[tar.len() - 1024..].iter().all(|&b| b == 0));
        let sums_at = tar.len() - 1024 - 512;
        assert_eq!(
            &tar[sums_at..sums_at + 152]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            &2
        );
        let snap = read_archive(
            std::io::Cursor::new(tar),
            &ReadOptions::default(),
            &mut NullSink,
        )
        .unwrap();
        assert_eq!(snap.meta, m);
        assert_eq!(snap.records, 100);
    }

    #[test]
    fn gzip_round_trip_and_length_check() {
        let st = state();
        let (m, out) = write_snapshot(
            Vec::new(),
            &meta(),
            &mut &st[..],
            st.len() as u64,
            WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(m.size as usize, st.len());
        let snap = read_archive(
            std::io::Cursor::new(out),
            &ReadOptions::default(),
            &mut NullSink,
        )
        .unwrap();
        assert_eq!(snap.state_size as usize, st.len());
        assert!(write_tar(
            &mut Vec::new(),
            &meta(),
            &mut &st[..],
            st.len() as u64 + 1,
            0
        )
        .is_err());
        assert!(write_tar(
            &mut Vec::new(),
            &meta(),
            &mut &st[..],
            st.len() as u64 - 1,
            0
        )
        .is_err());
    }
}
