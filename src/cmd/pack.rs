//! `pack`, `unpack` and `redact`: writing snapshots, atomically.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use snapinspect::error::{Error, EXIT_OK};
use snapinspect::model::shape::ShapeSink;
use snapinspect::snapshot::archive::{self, Input, ReadOptions};
use snapinspect::snapshot::meta::SnapshotMeta;
use snapinspect::write::redact::RedactSink;
use snapinspect::write::{self, WriteOptions};

fn level(l: u32) -> Result<u32, String> {
    if l <= 9 {
        Ok(l)
    } else {
        Err("the gzip level is 0 to 9".into())
    }
}

/// Arguments of `pack`.
#[derive(clap::Args, Debug)]
pub struct PackArgs {
    /// A raft snapshot directory (meta.json and state.bin).
    #[arg(conflicts_with_all = ["meta", "state"], required_unless_present_all = ["meta", "state"])]
    dir: Option<PathBuf>,
    /// meta.json to use (with --state).
    #[arg(long, requires = "state")]
    meta: Option<PathBuf>,
    /// state.bin to use (with --meta).
    #[arg(long, requires = "meta")]
    state: Option<PathBuf>,
    /// The .snap to write (`-`: standard output).
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// gzip level: 1 fastest, 9 smallest (Consul writes 6).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
    /// No progress display.
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn open(p: &Path) -> Result<File, Error> {
    File::open(p).map_err(|e| Error::io(format!("opening {}", p.display()), e))
}

/// Writes `meta` and the state file `state` as a .snap at `out`, atomically.
fn pack_files(
    meta: &SnapshotMeta,
    state: &Path,
    out: &Path,
    level: u32,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> Result<SnapshotMeta, Error> {
    let f = open(state)?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", state.display()), e))?
        .len();
    let mut reader = BufReader::with_capacity(
        1 << 20,
        write::Counted {
            inner: f,
            counter: progress,
        },
    );
    if out.as_os_str() == "-" {
        // `-o -`: the archive goes to standard output.
        let w = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let opts = WriteOptions {
            level,
            ..Default::default()
        };
        let (m, mut w) = write::write_snapshot(w, meta, &mut reader, len, opts)?;
        w.flush()
            .map_err(|e| Error::io("writing to standard output", e))?;
        return Ok(m);
    }
    write::write_atomic(out, &super::signal::temp_files(), |file| {
        let w = BufWriter::with_capacity(1 << 20, file);
        let opts = WriteOptions {
            level,
            ..Default::default()
        };
        let (m, w) = write::write_snapshot(w, meta, &mut reader, len, opts)?;
        w.into_inner()
            .map_err(|e| Error::io("writing the snapshot", e.into_error()))?;
        Ok(m)
    })
}

/// Runs `pack`.
pub fn pack(a: PackArgs) -> Result<i32, Error> {
    let _ = level(a.level);
    let (meta_path, state_path) = match (&a.dir, &a.meta, &a.state) {
        (Some(d), _, _) => (d.join("meta.json"), d.join("state.bin")),
        (None, Some(m), Some(s)) => (m.clone(), s.clone()),
        _ => {
            return Err(Error::Usage(
                "pack needs a directory, or --meta and --state".into(),
            ))
        }
    };
    // Check the state (and a raft directory's CRC) before writing anything.
    let input = Input::Raw {
        dir: meta_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        state: state_path.clone(),
    };
    let meta_bytes = std::fs::read(&meta_path)
        .map_err(|e| Error::io(format!("reading {}", meta_path.display()), e))?;
    let meta = SnapshotMeta::parse(&meta_bytes).map_err(|e| {
        Error::invalid(
            snapinspect::error::Check::Meta,
            format!("{}: {e}", meta_path.display()),
            Default::default(),
        )
    })?;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let spec = super::progress::Spec {
        phases: vec!["checking".into(), "packing".into()],
        ..super::progress::Spec::reading(&input)
    };
    let progress = super::progress::Progress::start(spec, counter.clone(), a.quiet);
    if a.dir.is_some() {
        let read = ReadOptions {
            progress: Some(counter.clone()),
            ..Default::default()
        };
        archive::read(&input, &read, &mut ShapeSink::default())
            .map_err(|e| super::args::with_input(e, &input))?;
    }
    counter.store(0, std::sync::atomic::Ordering::Relaxed);
    let written = pack_files(&meta, &state_path, &a.output, a.level, Some(counter));
    drop(progress);
    let written = written?;
    eprintln!(
        "wrote {} (index {}, state.bin {} bytes)",
        a.output.display(),
        written.index,
        written.size
    );
    Ok(EXIT_OK)
}

/// Arguments of `unpack`.
#[derive(clap::Args, Debug)]
pub struct UnpackArgs {
    /// The .snap to unpack.
    file: PathBuf,
    /// The directory to write meta.json, state.bin and SHA256SUMS into (created if needed).
    #[arg(short = 'C', long = "directory")]
    dir: PathBuf,
    /// No progress display.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Fail once more than this many uncompressed bytes have been read.
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    max_size: Option<u64>,
}

/// The only names unpack ever creates, whatever the archive says.
const MEMBERS: [&str; 3] = ["meta.json", "state.bin", "SHA256SUMS"];

/// Runs `unpack`: the file is read once into a private staged copy while it is verified;
/// only then are the three members extracted, from that copy, under fixed names in the
/// directory: all three appear, or none.
pub fn unpack(a: UnpackArgs) -> Result<i32, Error> {
    let stop = super::signal::stop_flag();
    let input = Input::Archive(a.file.clone());
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let opts = snapinspect::report::verify::VerifyOptions {
        read: ReadOptions {
            progress: Some(counter.clone()),
            max_size: a.max_size,
            ..Default::default()
        },
        ..Default::default()
    };
    let spec = super::progress::Spec {
        phases: vec!["verifying and staging".into()],
        ..super::progress::Spec::reading(&input)
    };
    let progress = super::progress::Progress::start(spec, counter, a.quiet);
    // Staged beside the target when it exists (same filesystem), nothing created before
    // the snapshot proved valid.
    let near = [Some(a.dir.as_path()), a.dir.parent()]
        .into_iter()
        .flatten()
        .find(|d| d.is_dir());
    let staged = snapinspect::live::transfer::stage(&a.file, near, &opts)
        .map_err(|e| super::args::with_input(e, &input));
    drop(progress);
    let staged = staged?;
    std::fs::create_dir_all(&a.dir)
        .map_err(|e| Error::io(format!("creating {}", a.dir.display()), e))?;
    let interrupted = || {
        Error::io(
            "unpacking",
            std::io::Error::other("interrupted; nothing was extracted"),
        )
    };
    let mut f = BufReader::with_capacity(1 << 20, staged.file);
    let gzip = f
        .fill_buf()
        .map_err(|e| Error::io("rereading the staged copy", e))?
        .starts_with(&[0x1f, 0x8b]);
    let source: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(f),
        ))
    } else {
        Box::new(f)
    };
    let mut tar = snapinspect::go::tar::TarReader::new(source);
    let temps = super::signal::temp_files();
    let mut extracted = Vec::new();
    while let Some(e) = tar.next_entry()? {
        let Some(name) = MEMBERS.iter().find(|m| m.as_bytes() == &e.name[..]) else {
            return Err(Error::invalid(
                snapinspect::error::Check::Members,
                format!(
                    "unexpected file {:?} in snapshot",
                    String::from_utf8_lossy(&e.name)
                ),
                Default::default(),
            ));
        };
        if extracted.iter().any(|(n, _, _)| n == name) {
            return Err(Error::invalid(
                snapinspect::error::Check::Members,
                format!("{name} appears twice in the snapshot"),
                Default::default(),
            ));
        }
        let (mut tmp, guard) = write::temp_file_in(&a.dir, &temps)?;
        {
            let mut w = BufWriter::new(tmp.as_file_mut());
            tar.read_data(&e, &mut |c| {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(interrupted());
                }
                w.write_all(c).map_err(|err| Error::io("writing", err))
            })?;
            w.flush().map_err(|err| Error::io("writing", err))?;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|err| Error::io("syncing", err))?;
        extracted.push((*name, tmp, guard));
    }
    if extracted.len() != MEMBERS.len() || stop.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(interrupted());
    }
    // All three or none: a failed rename takes back the ones done.
    let mut done: Vec<PathBuf> = Vec::new();
    for (name, tmp, _guard) in extracted {
        let target = a.dir.join(name);
        if let Err(e) = tmp.persist(&target) {
            for d in &done {
                let _ = std::fs::remove_file(d);
            }
            return Err(Error::io(
                format!("renaming into {}", target.display()),
                e.error,
            ));
        }
        done.push(target);
    }
    if let Ok(d) = File::open(&a.dir) {
        let _ = d.sync_all();
    }
    eprintln!("unpacked {} into {}", a.file.display(), a.dir.display());
    Ok(EXIT_OK)
}

/// Arguments of `redact`.
#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    #[command(flatten)]
    snapshot: super::args::SnapshotArgs,
    /// The redacted .snap to write (`-`: standard output).
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// gzip level of the copy.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
    /// Keep KV values that look like secrets (PEM private keys, tokens); by default they are
    /// emptied, as scan would report them.
    #[arg(long)]
    keep_kv: bool,
}

/// Runs `redact`.
pub fn redact(a: RedactArgs) -> Result<i32, Error> {
    let to_stdout = a.output.as_os_str() == "-";
    let dir = match a.output.parent() {
        Some(d) if !d.as_os_str().is_empty() && !to_stdout => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The redacted state is staged in an anonymous temp file beside the output.
    let staged = write::unnamed_temp_file(Some(&dir))
        .map_err(|e| Error::io(format!("creating a temp file in {}", dir.display()), e))?;
    let mut sink = RedactSink::new(BufWriter::with_capacity(1 << 20, staged)).keep_kv(a.keep_kv);
    let snap = a.snapshot.read(&mut sink)?;
    snap.require_consul("redact")?;
    let (replaced, dropped, len) = (sink.replaced.clone(), sink.dropped, sink.written);
    let (emptied, kept, left) = (sink.kv_emptied.clone(), sink.kv_kept.clone(), sink.kv_left);
    let mut staged = sink
        .finish()?
        .into_inner()
        .map_err(|e| Error::io("writing the redacted state", e.into_error()))?;
    staged
        .rewind()
        .map_err(|e| Error::io("rereading the redacted state", e))?;
    let mut reader = BufReader::with_capacity(1 << 20, staged);
    let opts = WriteOptions {
        level: a.level,
        ..Default::default()
    };
    if to_stdout {
        // `-o -`: the copy goes to standard output (the report stays on stderr).
        let w = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let (_, mut w) = write::write_snapshot(w, &snap.meta, &mut reader, len, opts)?;
        w.flush()
            .map_err(|e| Error::io("writing to standard output", e))?;
    } else {
        write::write_atomic(&a.output, &super::signal::temp_files(), |file| {
            let w = BufWriter::with_capacity(1 << 20, file);
            let (_, w) = write::write_snapshot(w, &snap.meta, &mut reader, len, opts)?;
            w.into_inner()
                .map_err(|e| Error::io("writing the snapshot", e.into_error()))?;
            Ok(())
        })?;
    }
    // What changed and what was left, on stderr (stdout stays free for data).
    let tally = |m: &std::collections::BTreeMap<&str, u64>| {
        m.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (kind, n) in &replaced {
        eprintln!("replaced {n} {kind}");
    }
    if !emptied.is_empty() {
        let n: u64 = emptied.values().sum();
        eprintln!(
            "emptied {n} KV value(s) that look like secrets ({})",
            tally(&emptied)
        );
    }
    if !kept.is_empty() {
        let n: u64 = kept.values().sum();
        eprintln!(
            "kept {n} KV value(s) that look like secrets ({}) because of --keep-kv",
            tally(&kept)
        );
    }
    if replaced.is_empty() && emptied.is_empty() && kept.is_empty() && dropped == 0 {
        eprintln!("no secrets found");
    }
    if dropped > 0 {
        eprintln!("dropped {dropped} peering secret record(s)");
    }
    eprintln!("left {left} other KV value(s) as they were");
    if !to_stdout {
        eprintln!("wrote {}", a.output.display());
    }
    Ok(EXIT_OK)
}
