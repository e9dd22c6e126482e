//! A two-thread reading pipeline: one thread fills large recycled buffers from a source (for a
//! `.snap`, the inflater), the caller's thread hashes and parses them through `BufRead`.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::{Check, Error, Location};
use crate::go::tar::to_io;

/// Size of each pipeline buffer.
pub const BUF_SIZE: usize = 1 << 20;
/// Buffers in flight between the threads (plus one being read, one being filled).
const IN_FLIGHT: usize = 2;

/// Counts bytes read through it into a shared counter, for offsets and progress.
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`, adding every byte read to `count`.
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Enforces a limit on the bytes a source may yield.
pub struct LimitedReader<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> LimitedReader<R> {
    /// Fails with a limit error once more than `limit` bytes have been read.
    pub fn new(inner: R, limit: u64) -> Self {
        LimitedReader {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(to_io(Error::invalid(
                Check::Limit,
                format!(
                    "the snapshot holds more than {} bytes of uncompressed data, the --max-size limit",
                    self.limit
                ),
                Location::default().at(self.limit, "uncompressed stream"),
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

type Msg = io::Result<(Vec<u8>, usize)>;

/// The reading end of the pipeline, a `BufRead` over buffers filled on another thread.
pub struct PipeReader {
    rx: Receiver<Msg>,
    free: Sender<Vec<u8>>,
    cur: Vec<u8>,
    len: usize,
    pos: usize,
    done: bool,
    failed: bool,
}

/// Starts a thread that reads `source` into recycled buffers; returns the reading end.
pub fn spawn<R: Read + Send + 'static>(mut source: R) -> PipeReader {
    let (tx, rx) = bounded::<Msg>(IN_FLIGHT);
    let (free_tx, free_rx) = bounded::<Vec<u8>>(IN_FLIGHT + 2);
    thread::Builder::new()
        .name("snapinspect-inflate".into())
        .spawn(move || {
            let mut allocated = 0;
            loop {
                let mut buf = match free_rx.try_recv() {
                    Ok(b) => b,
                    Err(_) if allocated < IN_FLIGHT + 2 => {
                        allocated += 1;
                        vec![0u8; BUF_SIZE]
                    }
                    Err(_) => match free_rx.recv() {
                        Ok(b) => b,
                        Err(_) => return,
                    },
                };
                let mut filled = 0;
                let mut eof = false;
                while filled < buf.len() {
                    match source.read(&mut buf[filled..]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            if filled > 0 && tx.send(Ok((buf, filled))).is_err() {
                                return;
                            }
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
                if filled > 0 && tx.send(Ok((buf, filled))).is_err() {
                    return;
                }
                if eof {
                    return;
                }
            }
        })
        .expect("spawning the inflate thread");
    PipeReader {
        rx,
        free: free_tx,
        cur: Vec::new(),
        len: 0,
        pos: 0,
        done: false,
        failed: false,
    }
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PipeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.failed {
            return Err(io::Error::other("the input stream failed earlier"));
        }
        while self.pos >= self.len && !self.done {
            if !self.cur.is_empty() {
                let _ = self.free.try_send(std::mem::take(&mut self.cur));
            }
            match self.rx.recv() {
                Ok(Ok((buf, len))) => {
                    self.cur = buf;
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.failed = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    self.len = 0;
                    self.pos = 0;
                }
            }
        }
        Ok(&self.cur[self.pos..self.len])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_every_byte_in_order() {
        let data: Vec<u8> = (0..(3 * BUF_SIZE + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut r = spawn(io::Cursor::new(data.clone()));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn forwards_errors() {
        struct Fails;
        impl Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let mut r = spawn(Fails);
        assert!(r.fill_buf().is_err());
        assert!(r.fill_buf().is_err());
    }
}
