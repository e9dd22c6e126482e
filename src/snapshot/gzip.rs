//! The gzip layer: inflate errors named as Consul names them, with the compressed offset,
//! and trailing bytes after the last member told apart from a truncated stream.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::{Check, Error, Location};
use crate::go::tar::to_io;

/// Turns inflate errors into the project's gzip errors, with the compressed offset.
pub(crate) struct GzipSource<R> {
    pub(crate) inner: MultiGzDecoder<R>,
    pub(crate) file_failed: Arc<AtomicBool>,
    pub(crate) compressed: Arc<AtomicU64>,
    pub(crate) tail: Arc<std::sync::Mutex<Vec<u8>>>,
    /// Bytes inflated so far.
    pub(crate) out: u64,
}

/// When the input ends within what would be the next member's header: how many bytes follow
/// a complete gzip member (its trailer's ISIZE matches everything inflated), if any.
fn trailing_after_member(tail: &[u8], inflated: u64) -> Option<usize> {
    (1..10).find(|&k| {
        tail.len() >= k + 8 && {
            let at = tail.len() - k - 4;
            let isize = u32::from_le_bytes([tail[at], tail[at + 1], tail[at + 2], tail[at + 3]]);
            isize == inflated as u32 && tail[tail.len() - k..].first() != Some(&0x1f)
        }
    })
}

fn gzip_error(e: &io::Error, offset: u64) -> Error {
    let text = e.to_string();
    let message = if e.kind() == io::ErrorKind::UnexpectedEof {
        "unexpected EOF: the gzip stream is truncated".to_string()
    } else if text.contains("checksum") {
        "gzip: invalid checksum (the CRC-32 or length in the gzip trailer does not match the data)"
            .to_string()
    } else if text.contains("header") {
        "gzip: invalid header (bytes after the end of the gzip stream, or a damaged member header)"
            .to_string()
    } else {
        format!("flate: corrupt deflate data ({text})")
    };
    Error::invalid(
        Check::Gzip,
        message,
        Location::default().at(offset, "compressed file"),
    )
}

impl<R: Read> Read for GzipSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.out += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.get_ref().map(|i| i.is::<Error>()).unwrap_or(false)
                    || self.file_failed.load(Ordering::Relaxed)
                {
                    return Err(e);
                }
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    let tail = self.tail.lock().map(|t| t.clone()).unwrap_or_default();
                    if let Some(k) = trailing_after_member(&tail, self.out) {
                        let at = self.compressed.load(Ordering::Relaxed) - k as u64;
                        return Err(to_io(Error::invalid(
                            Check::Gzip,
                            format!(
                                "gzip: invalid header ({k} trailing byte(s) after the end of the gzip stream, too few for another member)"
                            ),
                            Location::default().at(at, "compressed file"),
                        )));
                    }
                }
                Err(to_io(gzip_error(
                    &e,
                    self.compressed.load(Ordering::Relaxed),
                )))
            }
        }
    }
}

/// What a foreign input is, told by its first bytes.
pub(crate) fn sniff_unsupported(prefix: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 6] = [
        (b"PK\x03\x04", "a zip archive"),
        (b"BZh", "a bzip2 file"),
        (b"\xfd7zXZ\x00", "an xz file"),
        (b"\x28\xb5\x2f\xfd", "a zstd file"),
        (b"SQLite format 3\0", "an SQLite database"),
        (
            b"\x81\xa9LastIndex",
            "a bare Consul state.bin (pass it as DIR/state.bin with its meta.json beside it)",
        ),
    ];
    MAGICS
        .iter()
        .find(|(m, _)| prefix.starts_with(m))
        .map(|(_, what)| *what)
}
