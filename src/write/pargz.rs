//! Parallel gzip: blocks compressed on several threads into ONE gzip member, as pigz does.
//!
//! Each block is raw-deflated with the previous block's last 32 KiB as its dictionary and
//! ends with a sync flush (the last block with a final flush), so the concatenated outputs
//! form a single valid deflate stream; the CRC-32 and length are computed in order.
//! Written by hand because the `gzp` crate needs a C zlib for this; flate2 on zlib-rs
//! offers the dictionary call we need in pure Rust.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{bounded, Receiver, Sender};
use flate2::{Compress, Compression, FlushCompress, Status};

/// Bytes of input per block.
pub const BLOCK: usize = 1 << 20;
const DICT: usize = 32 * 1024;

struct Job {
    seq: u64,
    data: Vec<u8>,
    dict: Vec<u8>,
    last: bool,
}

type Done = (u64, io::Result<Vec<u8>>);

fn deflate_block(level: u32, job: &Job) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(Compression::new(level), false);
    if !job.dict.is_empty() {
        c.set_dictionary(&job.dict).map_err(io::Error::other)?;
    }
    let flush = if job.last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(job.data.len() / 2 + 1024);
    let mut input = &job.data[..];
    loop {
        if out.capacity() - out.len() < 64 * 1024 {
            out.reserve(256 * 1024);
        }
        let before = c.total_in();
        let status = c
            .compress_vec(input, &mut out, flush)
            .map_err(io::Error::other)?;
        input = &input[(c.total_in() - before) as usize..];
        let room_left = out.len() < out.capacity();
        if input.is_empty() && room_left && (!job.last || status == Status::StreamEnd) {
            return Ok(out);
        }
    }
}

/// A `Write` that gzips what it is given on `threads` worker threads.
pub struct ParGzWriter<W: Write> {
    out: Option<W>,
    block: Vec<u8>,
    dict: Vec<u8>,
    crc: crc32fast::Hasher,
    total: u64,
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    pending: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    next_write: u64,
    max_in_flight: u64,
    workers: Vec<JoinHandle<()>>,
}

impl<W: Write> ParGzWriter<W> {
    /// Starts a writer at gzip `level` (0-9) with `threads` compressing threads.
    pub fn new(mut out: W, level: u32, threads: usize) -> io::Result<Self> {
        // Go's header: no name, MTIME 0, XFL 0, OS 255.
        out.write_all(&[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff])?;
        let threads = threads.max(1);
        let (job_tx, job_rx) = bounded::<Job>(threads * 2);
        let (done_tx, done_rx) = bounded::<Done>(threads * 2 + 2);
        let workers = (0..threads)
            .map(|i| {
                let rx = job_rx.clone();
                let tx = done_tx.clone();
                thread::Builder::new()
                    .name(format!("snapinspect-deflate-{i}"))
                    .spawn(move || {
                        for job in rx {
                            let r = deflate_block(level.min(9), &job);
                            if tx.send((job.seq, r)).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("spawning a compression thread")
            })
            .collect();
        Ok(ParGzWriter {
            out: Some(out),
            block: Vec::with_capacity(BLOCK),
            dict: Vec::new(),
            crc: crc32fast::Hasher::new(),
            total: 0,
            jobs: Some(job_tx),
            done: done_rx,
            pending: BTreeMap::new(),
            next_seq: 0,
            next_write: 0,
            max_in_flight: threads as u64 * 2,
            workers,
        })
    }

    fn write_ready(&mut self) -> io::Result<()> {
        while let Some(data) = self.pending.remove(&self.next_write) {
            self.out.as_mut().expect("writer in use").write_all(&data)?;
            self.next_write += 1;
        }
        Ok(())
    }

    fn collect(&mut self, block_until_below: u64) -> io::Result<()> {
        loop {
            while let Ok((seq, r)) = self.done.try_recv() {
                self.pending.insert(seq, r?);
            }
            self.write_ready()?;
            if self.next_seq - self.next_write <= block_until_below {
                return Ok(());
            }
            let (seq, r) = self
                .done
                .recv()
                .map_err(|_| io::Error::other("a compression thread stopped"))?;
            self.pending.insert(seq, r?);
        }
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let data = std::mem::replace(
            &mut self.block,
            Vec::with_capacity(if last { 0 } else { BLOCK }),
        );
        let dict = std::mem::take(&mut self.dict);
        if !last {
            let start = data.len().saturating_sub(DICT);
            self.dict = data[start..].to_vec();
        }
        let job = Job {
            seq: self.next_seq,
            data,
            dict,
            last,
        };
        self.next_seq += 1;
        self.jobs
            .as_ref()
            .expect("writer in use")
            .send(job)
            .map_err(|_| io::Error::other("a compression thread stopped"))?;
        self.collect(self.max_in_flight)
    }

    /// Compresses what is left, writes the gzip trailer and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        self.collect(0)?;
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        let mut out = self.out.take().expect("writer in use");
        let crc = std::mem::take(&mut self.crc).finalize();
        out.write_all(&crc.to_le_bytes())?;
        out.write_all(&(self.total as u32).to_le_bytes())?;
        Ok(out)
    }
}

impl<W: Write> Write for ParGzWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(BLOCK - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.total += n as u64;
        if self.block.len() == BLOCK {
            self.dispatch(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for ParGzWriter<W> {
    fn drop(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(data: &[u8], level: u32, threads: usize) {
        let mut w = ParGzWriter::new(Vec::new(), level, threads).unwrap();
        // Odd write sizes so blocks straddle writes.
        for chunk in data.chunks(77_777) {
            w.write_all(chunk).unwrap();
        }
        let gz = w.finish().unwrap();
        // One gzip member: the single-member decoder reads it all.
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), data.len());
        assert!(
            out == data,
            "round trip at level {level} with {threads} threads"
        );
    }

    #[test]
    fn single_member_round_trips() {
        let mut data = Vec::new();
        for i in 0..(3 * BLOCK + 1234) {
            data.push(if i % 1000 < 500 {
                (i % 251) as u8
            } else {
                b'a' + (i % 7) as u8
            });
        }
        for (level, threads) in [(6, 2), (1, 3), (9, 1), (0, 2)] {
            round_trip(&data, level, threads);
        }
        round_trip(&[], 6, 2);
        round_trip(&data[..BLOCK], 6, 2);
        round_trip(&data[..2 * BLOCK], 6, 2);
    }
}
