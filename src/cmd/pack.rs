//! `pack`, `unpack` and `redact`: writing snapshots, atomically.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use snapinspect::archive::{self, Input, ReadOptions};
use snapinspect::error::{Error, EXIT_OK};
use snapinspect::meta::SnapshotMeta;
use snapinspect::redact::RedactSink;
use snapinspect::shape::ShapeSink;
use snapinspect::writer::{self, WriteOptions};

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
    /// The .snap to write.
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// gzip level: 1 fastest, 9 smallest (Consul writes 6).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
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
) -> Result<SnapshotMeta, Error> {
    let f = open(state)?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", state.display()), e))?
        .len();
    let mut reader = BufReader::with_capacity(1 << 20, f);
    writer::write_atomic(out, |file| {
        let w = BufWriter::with_capacity(1 << 20, file);
        let opts = WriteOptions {
            level,
            ..Default::default()
        };
        let (m, w) = writer::write_snapshot(w, meta, &mut reader, len, opts)?;
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
    if a.dir.is_some() {
        archive::read(&input, &ReadOptions::default(), &mut ShapeSink::default())
            .map_err(|e| super::inspect::with_input(e, &input))?;
    }
    let written = pack_files(&meta, &state_path, &a.output, a.level)?;
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
}

/// Runs `unpack`: verifies everything first, then extracts; nothing is written otherwise.
pub fn unpack(a: UnpackArgs) -> Result<i32, Error> {
    let input = Input::Archive(a.file.clone());
    archive::read(&input, &ReadOptions::default(), &mut ShapeSink::default())
        .map_err(|e| super::inspect::with_input(e, &input))?;
    std::fs::create_dir_all(&a.dir)
        .map_err(|e| Error::io(format!("creating {}", a.dir.display()), e))?;
    let f = BufReader::with_capacity(1 << 20, open(&a.file)?);
    let gz = BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(f));
    let mut tar = snapinspect::tarball::TarReader::new(gz);
    let mut staged = Vec::new();
    while let Some(e) = tar.next_entry()? {
        let name = String::from_utf8_lossy(&e.name).into_owned();
        let mut tmp = tempfile::Builder::new()
            .prefix(".snapinspect-")
            .tempfile_in(&a.dir)
            .map_err(|err| Error::io(format!("creating a file in {}", a.dir.display()), err))?;
        {
            let mut w = BufWriter::new(tmp.as_file_mut());
            tar.read_data(&e, &mut |c| {
                w.write_all(c).map_err(|err| Error::io("writing", err))
            })?;
            w.flush().map_err(|err| Error::io("writing", err))?;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|err| Error::io("syncing", err))?;
        staged.push((name, tmp));
    }
    for (name, tmp) in staged {
        let target = a.dir.join(&name);
        tmp.persist(&target)
            .map_err(|e| Error::io(format!("renaming into {}", target.display()), e.error))?;
    }
    eprintln!("unpacked {} into {}", a.file.display(), a.dir.display());
    Ok(EXIT_OK)
}

/// Arguments of `redact`.
#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    /// The snapshot to copy.
    file: String,
    /// The redacted .snap to write.
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// gzip level of the copy.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
}

/// Runs `redact`.
pub fn redact(a: RedactArgs) -> Result<i32, Error> {
    let input = Input::from_arg(&a.file);
    let dir = match a.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The redacted state is staged in an anonymous temp file beside the output.
    let staged = tempfile::tempfile_in(&dir)
        .map_err(|e| Error::io(format!("creating a temp file in {}", dir.display()), e))?;
    let mut sink = RedactSink::new(BufWriter::with_capacity(1 << 20, staged));
    let snap = archive::read(&input, &ReadOptions::default(), &mut sink)
        .map_err(|e| super::inspect::with_input(e, &input))?;
    let (replaced, dropped, len) = (sink.replaced.clone(), sink.dropped, sink.written);
    let mut staged = sink
        .finish()?
        .into_inner()
        .map_err(|e| Error::io("writing the redacted state", e.into_error()))?;
    staged
        .rewind()
        .map_err(|e| Error::io("rereading the redacted state", e))?;
    let mut reader = BufReader::with_capacity(1 << 20, staged);
    writer::write_atomic(&a.output, |file| {
        let w = BufWriter::with_capacity(1 << 20, file);
        let opts = WriteOptions {
            level: a.level,
            ..Default::default()
        };
        let (_, w) = writer::write_snapshot(w, &snap.meta, &mut reader, len, opts)?;
        w.into_inner()
            .map_err(|e| Error::io("writing the snapshot", e.into_error()))?;
        Ok(())
    })?;
    let mut report = String::new();
    for (kind, n) in &replaced {
        report.push_str(&format!("replaced {n} {kind}\n"));
    }
    if replaced.is_empty() {
        report.push_str("no secrets found\n");
    }
    if dropped > 0 {
        report.push_str(&format!("dropped {dropped} peering secret record(s)\n"));
    }
    report.push_str(&format!("wrote {}\n", a.output.display()));
    super::emit(report.as_bytes())?;
    Ok(EXIT_OK)
}
