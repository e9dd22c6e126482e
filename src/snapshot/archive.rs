//! Reading a snapshot in one streaming pass: input forms, gzip, tar members, hashes, meta.json
//! and the state.bin record stream, checked the way Consul checks them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::gzip::{sniff_unsupported, GzipSource};
use sha2::{Digest, Sha256};

use crate::error::{Check, Error, Location, Result};
use crate::go::tar::{from_io, go_quote, to_io, TarReader};
use crate::snapshot::meta::{SnapshotMeta, MAX_META_BYTES};
use crate::snapshot::pipeline::{self, CountingReader, LimitedReader};
use crate::snapshot::state::{MessageType, RecordSink, StateHeader, TypeStat};
use crate::snapshot::vault::{self, Product, Sealed, StateStream};

/// Largest SHA256SUMS accepted; Consul writes 152 bytes.
const MAX_SUMS_BYTES: u64 = 1 << 20;

/// Where a snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A `.snap` archive (gzip of tar), or a plain tar, on disk.
    Archive(PathBuf),
    /// An archive on standard input.
    Stdin,
    /// A raft snapshot directory, or a `state.bin` with its `meta.json` beside it.
    Raw {
        /// The directory holding `meta.json`.
        dir: PathBuf,
        /// The `state.bin` file.
        state: PathBuf,
    },
    /// An object-store URL (`s3://bucket/key`), read through [`ReadOptions::opener`].
    Url(String),
}

/// URL schemes [`Input::from_arg`] reads as object-store URLs rather than paths.
const URL_SCHEMES: [&str; 6] = ["s3://", "gs://", "az://", "abfs://", "http://", "https://"];

/// A function that opens an object-store URL as a byte stream.
pub type OpenUrl = dyn Fn(&str) -> Result<Box<dyn Read + Send>> + Send + Sync;

/// Opens an object-store URL as a byte stream; installed by the caller (the CLI installs
/// `live::storage`'s), so that this layer knows nothing of networks.
#[derive(Clone)]
pub struct UrlOpener(pub Arc<OpenUrl>);

impl std::fmt::Debug for UrlOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlOpener")
    }
}

impl Input {
    /// Interprets a command-line argument: `-`, a directory, a `state.bin`, or an archive.
    pub fn from_arg(arg: impl AsRef<std::ffi::OsStr>) -> Input {
        let arg = arg.as_ref();
        if arg == "-" {
            return Input::Stdin;
        }
        if let Some(url) = arg.to_str().filter(|a| Input::is_url(a)) {
            return Input::Url(url.to_string());
        }
        let p = PathBuf::from(arg);
        if p.is_dir() {
            return Input::Raw {
                state: p.join("state.bin"),
                dir: p,
            };
        }
        let is_state = p
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase() == "state.bin")
            .unwrap_or(false);
        if is_state {
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            return Input::Raw { dir, state: p };
        }
        Input::Archive(p)
    }

    /// Whether an argument names an object-store URL (`s3://...`) rather than a path.
    pub fn is_url(arg: &str) -> bool {
        URL_SCHEMES
            .iter()
            .any(|s| arg.len() > s.len() && arg[..s.len()].eq_ignore_ascii_case(s))
    }

    /// A short description for messages.
    pub fn display(&self) -> String {
        match self {
            Input::Archive(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".into(),
            Input::Raw { dir, .. } => dir.display().to_string(),
            Input::Url(u) => u.clone(),
        }
    }
}

/// How the snapshot was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// gzip(tar), as Consul writes it.
    Gzip,
    /// A plain, uncompressed tar.
    Tar,
    /// A raft snapshot directory or bare state.bin with meta.json.
    Raw,
}

/// Options for reading.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Fail once more than this many uncompressed bytes have been read.
    pub max_size: Option<u64>,
    /// Inflate on a second thread.
    pub threaded: bool,
    /// Largest record value kept in memory for sinks that want values.
    pub max_record: usize,
    /// Counter of input bytes read, for progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// Opens [`Input::Url`] inputs; without one they are unsupported.
    pub opener: Option<UrlOpener>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_size: None,
            threaded: true,
            max_record: crate::snapshot::state::DEFAULT_MAX_RECORD,
            progress: None,
            opener: None,
        }
    }
}

/// What a successful read found.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The parsed meta.json.
    pub meta: SnapshotMeta,
    /// The state.bin header.
    pub header: StateHeader,
    /// Count and Consul-accounted size per record type, indexed by type number.
    pub stats: Box<[TypeStat; 256]>,
    /// Number of records.
    pub records: u64,
    /// Length of state.bin.
    pub state_size: u64,
    /// How the snapshot was stored.
    pub format: Format,
    /// Bytes of input read (the compressed file for a `.snap`).
    pub input_size: u64,
    /// Type of the last record.
    pub last_type: Option<MessageType>,
    /// SHA-256 of state.bin.
    pub state_sha256: [u8; 32],
    /// Which product wrote it, from its content (see `snapshot::vault`).
    pub product: Product,
}

impl Snapshot {
    /// Record types present, with their stats, in type-number order.
    pub fn types(&self) -> impl Iterator<Item = (MessageType, TypeStat)> + '_ {
        self.stats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.count > 0)
            .map(|(i, s)| (MessageType(i as u8), *s))
    }
}

/// Reads a snapshot from any input form, feeding its records to `sink`.
pub fn read(input: &Input, opts: &ReadOptions, sink: &mut dyn RecordSink) -> Result<Snapshot> {
    match input {
        Input::Archive(path) => {
            let f = File::open(path)
                .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
            read_archive(f, opts, sink)
        }
        Input::Stdin => read_archive(io::stdin(), opts, sink),
        Input::Raw { dir, state } => read_raw(dir, state, opts, sink),
        Input::Url(url) => match &opts.opener {
            Some(open) => read_archive((open.0)(url)?, opts, sink),
            None => Err(Error::Unsupported(format!(
                "{url}: reading object-store URLs needs snapinspect built with the `s3`, `azure` or `gcs` feature"
            ))),
        },
    }
}

/// Reads the file or directory at `path` (see [`Input::from_arg`]).
pub fn read_path(path: &Path, opts: &ReadOptions, sink: &mut dyn RecordSink) -> Result<Snapshot> {
    read(&Input::from_arg(path), opts, sink)
}

/// Marks errors of the underlying file so that they are not mistaken for corrupt data, and
/// keeps its last bytes (to tell trailing bytes after a gzip stream from a truncated one).
struct FileSource<R> {
    inner: R,
    failed: Arc<AtomicBool>,
    tail: Arc<std::sync::Mutex<Vec<u8>>>,
}

/// How many of the input's last bytes [`FileSource`] keeps.
const TAIL: usize = 24;

impl<R: Read> Read for FileSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) if n > 0 => {
                    if let Ok(mut t) = self.tail.lock() {
                        t.extend_from_slice(&buf[n.saturating_sub(TAIL)..n]);
                        let excess = t.len().saturating_sub(TAIL);
                        t.drain(..excess);
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed.store(true, Ordering::Relaxed);
                    if e.get_ref().is_some_and(|i| i.is::<Error>()) {
                        return Err(e);
                    }
                    return Err(to_io(Error::io("reading the input", e)));
                }
                ok => return ok,
            }
        }
    }
}

/// Reads a `.snap` (or plain tar) from a byte stream.
pub fn read_archive<R: Read + Send + 'static>(
    source: R,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
) -> Result<Snapshot> {
    let counter = opts.progress.clone().unwrap_or_default();
    counter.store(0, Ordering::Relaxed);
    let failed = Arc::new(AtomicBool::new(false));
    let tail = Arc::new(std::sync::Mutex::new(Vec::with_capacity(2 * TAIL)));
    let mut file = FileSource {
        inner: CountingReader::new(source, counter.clone()),
        failed: failed.clone(),
        tail: tail.clone(),
    };
    // Sniff the start to tell gzip from tar and from foreign formats.
    let mut prefix = vec![0u8; 512];
    let mut got = 0;
    while got < prefix.len() {
        match file.read(&mut prefix[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(from_io(e, "the input")),
        }
    }
    prefix.truncate(got);
    let is_gzip = got >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b;
    let is_tar = got >= 512 && crate::go::tar::looks_like_tar(&prefix[..512]);
    if !is_gzip && !is_tar {
        if let Some(what) = sniff_unsupported(&prefix) {
            return Err(Error::Unsupported(format!(
                "the input is {what}, not a Consul snapshot archive"
            )));
        }
        let message = match got {
            0 => "failed to decompress snapshot: EOF (the input is empty)".to_string(),
            1..=9 => "failed to decompress snapshot: unexpected EOF (too short for a gzip header)"
                .to_string(),
            _ => {
                "failed to decompress snapshot: gzip: invalid header (not a gzip file)".to_string()
            }
        };
        return Err(Error::invalid(
            Check::Gzip,
            message,
            Location::default().at(0, "input"),
        ));
    }
    if is_gzip && got < 10 {
        return Err(Error::invalid(
            Check::Gzip,
            "failed to decompress snapshot: unexpected EOF (the gzip header is truncated)",
            Location::default().at(0, "compressed file"),
        ));
    }
    let whole = Cursor::new(prefix).chain(file);
    let format = if is_gzip { Format::Gzip } else { Format::Tar };
    let stream: Box<dyn Read + Send> = if is_gzip {
        Box::new(GzipSource {
            inner: MultiGzDecoder::new(whole),
            file_failed: failed,
            compressed: counter.clone(),
            tail,
            out: 0,
        })
    } else {
        Box::new(whole)
    };
    let stream: Box<dyn Read + Send> = match opts.max_size {
        Some(limit) => Box::new(LimitedReader::new(stream, limit)),
        None => stream,
    };
    let mut snap = if opts.threaded {
        read_tar(pipeline::spawn(stream), format, opts, sink)?
    } else {
        read_tar(
            BufReader::with_capacity(pipeline::BUF_SIZE, stream),
            format,
            opts,
            sink,
        )?
    };
    snap.input_size = counter.load(Ordering::Relaxed);
    sink.finish()?;
    Ok(snap)
}

fn deferrable(e: &Error) -> bool {
    matches!(e, Error::Invalid(_) | Error::Unsupported(_))
}

#[derive(Default)]
struct Member {
    hash: Option<Sha256>,
    seen: u32,
}

impl Member {
    fn hasher(&mut self) -> &mut Sha256 {
        self.seen += 1;
        self.hash.get_or_insert_with(Sha256::new)
    }
    fn digest(&self) -> [u8; 32] {
        self.hash.clone().unwrap_or_default().finalize().into()
    }
}

/// Reads a tar stream of a snapshot: members, hashes, meta.json, records, then leftovers.
pub fn read_tar<B: BufRead>(
    stream: B,
    format: Format,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
) -> Result<Snapshot> {
    let mut tar = TarReader::new(stream);
    let mut walker = StateStream::new().with_max_record(opts.max_record);
    let mut meta_m = Member::default();
    let mut state_m = Member::default();
    let mut meta: Option<SnapshotMeta> = None;
    let mut sums: Option<Vec<u8>> = None;
    let mut walk_err: Option<Error> = None;
    let mut state_len: u64 = 0;
    let mut sealed = Sealed::Missing;

    while let Some(entry) = tar.next_entry()? {
        let loc = || {
            Location::member(&String::from_utf8_lossy(&entry.name))
                .at(entry.header_offset, "tar stream")
        };
        match entry.name.as_slice() {
            b"meta.json" => {
                if entry.size > MAX_META_BYTES {
                    return Err(Error::invalid(
                        Check::Limit,
                        format!(
                            "meta.json is {} bytes, more than the {MAX_META_BYTES} byte limit",
                            entry.size
                        ),
                        loc(),
                    ));
                }
                let mut body = Vec::with_capacity(entry.size as usize);
                let h = meta_m.hasher();
                tar.read_data(&entry, &mut |c| {
                    h.update(c);
                    body.extend_from_slice(c);
                    Ok(())
                })?;
                let m = SnapshotMeta::parse(&body).map_err(|e| {
                    Error::invalid(
                        Check::Meta,
                        format!("failed to decode snapshot metadata: {e}"),
                        loc(),
                    )
                })?;
                sink.meta(&m)?;
                meta = Some(m);
            }
            b"state.bin" => {
                let first = state_m.seen == 0;
                let h = state_m.hasher();
                if !first && walk_err.is_none() {
                    walk_err = Some(Error::invalid(
                        Check::Members,
                        "state.bin appears twice in the archive",
                        loc(),
                    ));
                }
                tar.read_data(&entry, &mut |c| {
                    h.update(c);
                    state_len += c.len() as u64;
                    if walk_err.is_none() {
                        if let Err(e) = walker.feed(c, sink) {
                            if !deferrable(&e) {
                                return Err(e);
                            }
                            walk_err = Some(e);
                        }
                    }
                    Ok(())
                })?;
                if walk_err.is_none() {
                    if let Err(e) = walker.finish() {
                        walk_err = Some(e);
                    }
                }
            }
            b"SHA256SUMS" => {
                if entry.size > MAX_SUMS_BYTES {
                    return Err(Error::invalid(
                        Check::Limit,
                        format!(
                            "SHA256SUMS is {} bytes, more than the {MAX_SUMS_BYTES} byte limit",
                            entry.size
                        ),
                        loc(),
                    ));
                }
                let buf = sums.get_or_insert_with(Vec::new);
                tar.read_data(&entry, &mut |c| {
                    buf.extend_from_slice(c);
                    Ok(())
                })?;
            }
            // Vault's: only its presence and size can be checked offline (snapshot::vault).
            b"SHA256SUMS.sealed" if entry.size <= MAX_SUMS_BYTES => {
                walker.expect_vault();
                let mut n = 0u64;
                tar.read_data(&entry, &mut |c| {
                    n += c.len() as u64;
                    Ok(())
                })?;
                sealed = Sealed::Len(n);
            }
            other => {
                return Err(Error::invalid(
                    Check::Members,
                    format!(
                        "failed to read snapshot file: unexpected file {} in snapshot",
                        go_quote(other)
                    ),
                    loc(),
                ))
            }
        }
    }
    let tar_end = tar.position();

    verify_sums(
        sums.as_deref().unwrap_or(&[]),
        &meta_m.digest(),
        &state_m.digest(),
    )?;
    if meta_m.seen > 1 {
        return Err(Error::invalid(
            Check::Members,
            "meta.json appears twice in the archive",
            Location::member("meta.json"),
        ));
    }

    // Consul drains the decompressor after the tar's end: anything left is an error.
    let mut stream = tar.into_inner();
    // A plain tar (which Consul cannot read at all) may carry tar's zero record padding.
    let mut leftover: u64 = 0;
    let mut nonzero = false;
    loop {
        let n = {
            let buf = stream
                .fill_buf()
                .map_err(|e| from_io(e, "the end of the snapshot"))?;
            if buf.is_empty() {
                break;
            }
            nonzero = nonzero || buf.iter().any(|&b| b != 0);
            buf.len()
        };
        leftover += n as u64;
        stream.consume(n);
    }
    if leftover > 0 && (format == Format::Gzip || nonzero) {
        return Err(Error::invalid(
            Check::Trailing,
            format!("{leftover} unread uncompressed bytes remain after the end of the tar archive"),
            Location::default().at(tar_end, "tar stream"),
        ));
    }

    let meta = meta.ok_or_else(|| {
        Error::invalid(
            Check::Members,
            "failed checking integrity of snapshot: file missing for \"meta.json\"",
            Location::default(),
        )
    })?;
    finish(
        meta,
        walker,
        walk_err,
        state_len,
        state_m.digest(),
        format,
        sealed,
    )
}

fn finish(
    meta: SnapshotMeta,
    mut walker: StateStream,
    mut walk_err: Option<Error>,
    state_len: u64,
    state_sha256: [u8; 32],
    format: Format,
    sealed: Sealed,
) -> Result<Snapshot> {
    if !(0..=1).contains(&meta.version) {
        return Err(Error::Unsupported(format!(
            "unsupported snapshot version {} in meta.json (raft knows versions 0 and 1)",
            meta.version
        )));
    }
    if meta.size < 0 || meta.size as u64 != state_len {
        return Err(Error::invalid(
            Check::Meta,
            format!(
                "meta.json Size is {} but state.bin holds {state_len} bytes",
                meta.size
            ),
            Location::member("meta.json"),
        ));
    }
    let product = vault::resolve(&mut walker, sealed, &mut walk_err)?;
    if let Some(e) = walk_err {
        return Err(e);
    }
    let header = walker.header().expect("walker finished cleanly");
    Ok(Snapshot {
        meta,
        header,
        stats: Box::new(*walker.stats()),
        records: walker.records(),
        state_size: state_len,
        format,
        input_size: 0,
        last_type: walker.last_type(),
        state_sha256,
        product,
    })
}

fn hash_err(message: String, line: Option<usize>) -> Error {
    let mut loc = Location::member("SHA256SUMS");
    loc.line = line.map(|l| l as u64);
    Error::invalid(
        Check::Hash,
        format!("failed checking integrity of snapshot: {message}"),
        loc,
    )
}

/// Checks SHA256SUMS against the members' digests, as Consul's archive reader does.
pub fn verify_sums(sums: &[u8], meta: &[u8; 32], state: &[u8; 32]) -> Result<()> {
    let mut listed = [false; 2];
    let mut lines: Vec<&[u8]> = sums.split(|&b| b == b'\n').collect();
    if lines.last().map(|l| l.is_empty()).unwrap_or(false) {
        lines.pop();
    }
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.len() > 64 * 1024 {
            return Err(hash_err(
                "bufio.Scanner: token too long".into(),
                Some(i + 1),
            ));
        }
        let hex_end = line
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or(line.len());
        let rest = &line[hex_end..];
        let ws = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let rest = &rest[ws..];
        let tok_end = rest
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..tok_end];
        if line.is_empty() {
            return Err(hash_err(
                "unexpected EOF (empty line in SHA256SUMS)".into(),
                Some(i + 1),
            ));
        }
        if hex_end == 0 || hex_end % 2 == 1 || ws == 0 || token.is_empty() {
            return Err(hash_err(
                format!("malformed SHA256SUMS line {}", go_quote(line)),
                Some(i + 1),
            ));
        }
        let digest: Vec<u8> = (0..hex_end / 2)
            .map(|j| {
                u8::from_str_radix(std::str::from_utf8(&line[2 * j..2 * j + 2]).unwrap(), 16)
                    .unwrap()
            })
            .collect();
        let (idx, want) = match token {
            b"meta.json" => (0, meta),
            b"state.bin" => (1, state),
            other => {
                return Err(hash_err(
                    format!("list missing hash for {}", go_quote(other)),
                    Some(i + 1),
                ))
            }
        };
        listed[idx] = true;
        if digest.as_slice() != want.as_slice() {
            return Err(hash_err(
                format!("hash check failed for {}", go_quote(token)),
                Some(i + 1),
            ));
        }
    }
    for (idx, name) in ["meta.json", "state.bin"].iter().enumerate() {
        if !listed[idx] {
            return Err(hash_err(format!("file missing for \"{name}\""), None));
        }
    }
    Ok(())
}

/// CRC-64 as Go's `hash/crc64` with the ECMA table computes it (CRC-64/XZ).
pub const CRC64_GO_ECMA: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_XZ);

/// Reads a raft snapshot directory or a bare state.bin with meta.json beside it.
pub fn read_raw(
    dir: &Path,
    state: &Path,
    opts: &ReadOptions,
    sink: &mut dyn RecordSink,
) -> Result<Snapshot> {
    let meta_path = dir.join("meta.json");
    let meta_len = std::fs::metadata(&meta_path)
        .map_err(|e| {
            Error::io(
                format!(
                    "reading meta.json from internal snapshot dir {}",
                    dir.display()
                ),
                e,
            )
        })?
        .len();
    if meta_len > MAX_META_BYTES {
        return Err(Error::invalid(
            Check::Limit,
            format!("meta.json is {meta_len} bytes, more than the {MAX_META_BYTES} byte limit"),
            Location::member("meta.json"),
        ));
    }
    let meta_bytes = std::fs::read(&meta_path).map_err(|e| {
        Error::io(
            format!(
                "reading meta.json from internal snapshot dir {}",
                dir.display()
            ),
            e,
        )
    })?;
    let meta = SnapshotMeta::parse(&meta_bytes).map_err(|e| {
        Error::invalid(
            Check::Meta,
            format!("parsing meta.json from internal snapshot dir: {e}"),
            Location::member("meta.json"),
        )
    })?;
    sink.meta(&meta)?;
    let counter = opts.progress.clone().unwrap_or_default();
    counter.store(0, Ordering::Relaxed);
    let f = File::open(state).map_err(|e| Error::io(format!("opening {}", state.display()), e))?;
    let failed = Arc::new(AtomicBool::new(false));
    let src = FileSource {
        inner: CountingReader::new(f, counter.clone()),
        failed,
        tail: Default::default(),
    };
    let src: Box<dyn Read + Send> = match opts.max_size {
        Some(limit) => Box::new(LimitedReader::new(src, limit)),
        None => Box::new(src),
    };
    let mut stream: Box<dyn BufRead> = if opts.threaded {
        Box::new(pipeline::spawn(src))
    } else {
        Box::new(BufReader::with_capacity(pipeline::BUF_SIZE, src))
    };
    let mut walker = StateStream::new().with_max_record(opts.max_record);
    let mut hash = Sha256::new();
    let mut crc = CRC64_GO_ECMA.digest();
    let mut len: u64 = 0;
    let mut walk_err: Option<Error> = None;
    loop {
        let n = {
            let buf = stream.fill_buf().map_err(|e| from_io(e, "state.bin"))?;
            if buf.is_empty() {
                break;
            }
            hash.update(buf);
            crc.update(buf);
            if walk_err.is_none() {
                if let Err(e) = walker.feed(buf, sink) {
                    if !deferrable(&e) {
                        return Err(e);
                    }
                    walk_err = Some(e);
                }
            }
            buf.len()
        };
        len += n as u64;
        stream.consume(n);
    }
    if walk_err.is_none() {
        walk_err = walker.finish().err();
    }
    if let Some(want) = &meta.crc {
        let got = crc.finalize().to_be_bytes();
        if want.as_slice() != got {
            return Err(Error::invalid(
                Check::Crc,
                format!(
                    "meta.json CRC {} does not match the CRC-64 of state.bin ({})",
                    hex(want),
                    hex(&got)
                ),
                Location::member("state.bin"),
            ));
        }
    }
    let mut snap = finish(
        meta,
        walker,
        walk_err,
        len,
        hash.finalize().into(),
        Format::Raw,
        Sealed::NotApplicable,
    )?;
    snap.input_size = counter.load(Ordering::Relaxed);
    sink.finish()?;
    Ok(snap)
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
