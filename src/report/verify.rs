//! `verify`: every check the reader makes plus the cross-checks Consul leaves to a failed
//! restore, with a report per file for people, JSON and Prometheus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::error::{Check, Error, Location};
use crate::model::shape::ShapeSink;
use crate::snapshot::archive::{self, Input, ReadOptions, Snapshot};
use crate::snapshot::msgtype;
use crate::snapshot::state::MessageType;
use crate::version::Version;

/// Options of a verification.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Warnings are errors.
    pub strict: bool,
    /// The Consul version that will restore it (`None`: the snapshot must be restorable by
    /// some Consul version snapinspect knows).
    pub target: Option<Version>,
    /// Record types and config entry kinds no known Consul writes are warnings, not errors.
    pub allow_unknown_types: bool,
    /// How to read: the size limit, and inflate on a second thread (off when several files
    /// are verified at once).
    pub read: ReadOptions,
}

/// A snapshot that passed every verify check, with what it warned about.
#[derive(Debug, Clone)]
pub struct Verified {
    /// What the read found.
    pub snapshot: Snapshot,
    /// Warnings (errors under `strict`).
    pub warnings: Vec<String>,
}

/// Where an error was found, in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorLocation {
    /// Archive member.
    pub member: Option<String>,
    /// Byte offset.
    pub offset: Option<u64>,
    /// What the offset counts (`compressed file`, `tar stream`, `state.bin`).
    pub offset_in: Option<String>,
    /// Record number (1-based).
    pub record: Option<u64>,
    /// Record type name.
    pub record_type: Option<String>,
    /// Line in a text member.
    pub line: Option<u64>,
}

impl From<&Location> for ErrorLocation {
    fn from(l: &Location) -> Self {
        ErrorLocation {
            member: l.member.clone(),
            offset: l.offset,
            offset_in: l.offset_in.map(str::to_string),
            record: l.record,
            record_type: l.record_type.clone(),
            line: l.line,
        }
    }
}

/// Why a file failed, in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    /// `invalid`, `io`, `unsupported` or `usage`.
    pub kind: String,
    /// For invalid snapshots: the check that failed (`gzip`, `tar`, `members`, `hash`, `meta`,
    /// `trailing`, `header`, `record`, `crc`, `consistency`, `limit`).
    pub check: Option<String>,
    /// The one-line message.
    pub message: String,
    /// Where.
    pub location: Option<ErrorLocation>,
    /// The process exit code this error maps to.
    pub exit_code: i32,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        let (kind, check, message, location) = match e {
            Error::Invalid(i) => (
                "invalid",
                Some(i.check.name().to_string()),
                i.to_string(),
                Some(ErrorLocation::from(&i.location)),
            ),
            Error::Io { .. } => ("io", None, e.to_string(), None),
            Error::Unsupported(_) => ("unsupported", None, e.to_string(), None),
            Error::Usage(_) => ("usage", None, e.to_string(), None),
            Error::Remote(_) => ("remote", None, e.to_string(), None),
        };
        ErrorReport {
            kind: kind.into(),
            check,
            message,
            location,
            exit_code: e.exit_code(),
        }
    }
}

/// The snapshot's meta.json, in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetaReport {
    /// Snapshot ID.
    pub id: String,
    /// Raft index.
    pub index: u64,
    /// Raft term.
    pub term: u64,
    /// Metadata version.
    pub version: i64,
    /// state.bin length claimed by meta.json.
    pub size: i64,
    /// Creation time from the ID, Unix milliseconds.
    pub created_unix_ms: Option<u64>,
}

/// The result of verifying one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    /// The path as given (or found in a directory).
    pub path: String,
    /// Which product wrote it (`consul`, `vault`), from its content; `None` when the read failed.
    pub product: Option<crate::snapshot::vault::Product>,
    /// True when every check passed.
    pub valid: bool,
    /// Why not, when not.
    pub error: Option<ErrorReport>,
    /// meta.json, when it was read.
    pub meta: Option<MetaReport>,
    /// The state.bin header's LastIndex.
    pub last_index: Option<u64>,
    /// Records in state.bin.
    pub records: u64,
    /// Records per type name.
    pub record_counts: BTreeMap<String, u64>,
    /// Bytes of input read (the compressed file for a .snap).
    pub input_bytes: u64,
    /// Size of the file (or of state.bin for a raft directory) on disk, also when it failed;
    /// 0 for standard input.
    pub file_bytes: u64,
    /// Length of state.bin.
    pub state_bytes: u64,
    /// Wall time of the verification in milliseconds.
    pub duration_ms: f64,
    /// Things that are not errors but deserve a look (unknown record types).
    pub warnings: Vec<String>,
}

/// Checks that need the whole stream: index order, ChunkingState, record types.
fn cross_checks(
    snap: &Snapshot,
    opts: &VerifyOptions,
    first: &[u64],
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    if snap.product == crate::snapshot::vault::Product::Nomad {
        crate::report::nomad::verify_types(snap, opts.target, opts.allow_unknown_types, warnings)?;
        return strict(opts, warnings);
    }
    if snap.header.last_index > snap.meta.index {
        return Err(Error::invalid(
            Check::Consistency,
            format!(
                "state.bin header LastIndex {} is beyond meta.json Index {}",
                snap.header.last_index, snap.meta.index
            ),
            Location::member("state.bin").at(0, "state.bin"),
        ));
    }
    let chunking = snap.stats[MessageType::CHUNKING_STATE.0 as usize].count;
    if chunking > 1 {
        return Err(Error::invalid(
            Check::Consistency,
            format!("ChunkingState appears {chunking} times; Consul writes it at most once"),
            Location::member("state.bin"),
        ));
    }
    if chunking == 1 && snap.last_type != Some(MessageType::CHUNKING_STATE) {
        return Err(Error::invalid(
            Check::Consistency,
            "ChunkingState is not the last record; Consul always writes it last",
            Location::member("state.bin"),
        ));
    }
    type_checks(snap, opts, first, warnings)?;
    strict(opts, warnings)
}

/// Under `--strict`, the first warning is an error.
fn strict(opts: &VerifyOptions, warnings: &[String]) -> Result<(), Error> {
    if opts.strict {
        if let Some(w) = warnings.first() {
            return Err(Error::invalid(
                Check::Record,
                format!("{w} (--strict)"),
                Location::member("state.bin"),
            ));
        }
    }
    Ok(())
}

/// Whether the record types present are restorable: by the target, or else by one Consul
/// version snapinspect knows; Enterprise types are warnings unless the target is CE.
fn type_checks(
    snap: &Snapshot,
    opts: &VerifyOptions,
    first: &[u64],
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let at = |t: MessageType| {
        let n = first.get(t.0 as usize).copied().unwrap_or(0);
        let loc = Location::member("state.bin");
        if n > 0 {
            loc.record(n, Some(t.name()))
        } else {
            loc
        }
    };
    let invalid = |t: MessageType, m: String| Error::invalid(Check::Record, m, at(t));
    // The versions that restore every type seen so far: [lo, hi).
    let mut lo = Version::ce(0, 0, 0);
    let mut hi: Option<Version> = None;
    let mut lo_type = None;
    let mut hi_type = None;
    for (t, s) in snap.types() {
        let n = s.count;
        if msgtype::is_enterprise(t.0) {
            let name = msgtype::enterprise_name(t.0)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            match opts.target {
                Some(v) if !v.enterprise => {
                    return Err(invalid(
                        t,
                        format!(
                            "{n} Enterprise record(s) of type {}{name}: Consul CE {v} cannot restore them \
                             (CE 1.18.2 and later drops them with CONSUL_ENTERPRISE_DOWNGRADE_TO_CE=true)",
                            t.0
                        ),
                    ))
                }
                Some(_) => {}
                None => warnings.push(format!(
                    "{n} Enterprise record(s) of type {}{name}: only Consul Enterprise restores them \
                     (Consul CE 1.18.2 and later drops them in downgrade mode)",
                    t.0
                )),
            }
            continue;
        }
        match msgtype::info(t.0) {
            Some(i) if i.in_snapshots => {
                let since = i.since.unwrap_or(Version::ce(0, 0, 0));
                if let Some(v) = opts.target {
                    if v.triple() < since.triple() {
                        return Err(invalid(
                            t,
                            format!(
                                "{n} {} record(s): Consul {v} cannot restore them; Consul writes and restores them since {since}",
                                t.name()
                            ),
                        ));
                    }
                    if let Some(r) = i.removed.filter(|r| v.triple() >= r.triple()) {
                        return Err(invalid(
                            t,
                            format!(
                                "{n} {} record(s): Consul {v} cannot restore them; Consul {r} removed their restore",
                                t.name()
                            ),
                        ));
                    }
                }
                if since.triple() > lo.triple() {
                    lo = since;
                    lo_type = Some(t);
                }
                if let Some(r) = i.removed {
                    if hi.is_none_or(|h| r.triple() < h.triple()) {
                        hi = Some(r);
                        hi_type = Some(t);
                    }
                }
            }
            Some(_) => {
                return Err(invalid(
                    t,
                    format!(
                        "{n} record(s) of type {} ({}), a raft-log operation that no Consul restores from a snapshot",
                        t.0,
                        t.name()
                    ),
                ))
            }
            None => {
                let m = format!(
                    "{n} record(s) of type {}, which no Consul up to {} (the newest snapinspect knows) writes",
                    t.0,
                    msgtype::KNOWN_UP_TO
                );
                if opts.allow_unknown_types && opts.target.is_none() {
                    warnings.push(m);
                } else {
                    return Err(invalid(t, format!("{m}; --allow-unknown-types accepts them")));
                }
            }
        }
    }
    if let (Some(h), Some(lt), Some(ht)) = (hi, lo_type, hi_type) {
        if lo.triple() >= h.triple() {
            return Err(invalid(
                lt,
                format!(
                    "no Consul restores both its {} records (since {lo}) and its {} records (not since {h})",
                    lt.name(),
                    ht.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a snapshot with every verify check (structure, hashes, record shapes, cross-checks);
/// `read` is the reader to use (a file, a download). Returns the snapshot and the warnings.
pub fn check_with(
    read: impl FnOnce(
        &ReadOptions,
        &mut dyn crate::snapshot::state::RecordSink,
    ) -> Result<Snapshot, Error>,
    opts: &VerifyOptions,
) -> Result<Verified, Error> {
    let mut sink = ShapeSink::for_target(opts.target, opts.allow_unknown_types);
    let snapshot = read(&opts.read, &mut sink)?;
    let mut warnings = sink.warnings();
    cross_checks(&snapshot, opts, &sink.first, &mut warnings)?;
    Ok(Verified { snapshot, warnings })
}

/// Verifies one input with every check; the snapshot and the warnings, or the first failure.
pub fn check_input(input: &Input, opts: &VerifyOptions) -> Result<Verified, Error> {
    check_with(|o, s| archive::read(input, o, s), opts)
}

/// Verifies one input; never fails, the result says what happened.
pub fn verify_input(input: &Input, display: &str, opts: &VerifyOptions) -> FileReport {
    let start = Instant::now();
    let mut sink = ShapeSink::for_target(opts.target, opts.allow_unknown_types);
    let result = archive::read(input, &opts.read, &mut sink);
    let mut warnings = sink.warnings();
    let (snap, error) = match result {
        Ok(snap) => {
            let err = cross_checks(&snap, opts, &sink.first, &mut warnings).err();
            (Some(snap), err)
        }
        Err(e) => (None, Some(e)),
    };
    let mut report = FileReport::new(
        display,
        snap.as_ref(),
        error.as_ref(),
        warnings,
        start.elapsed(),
    );
    report.file_bytes = match input {
        Input::Archive(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        Input::Raw { state, .. } => std::fs::metadata(state).map(|m| m.len()).unwrap_or(0),
        Input::Stdin => 0,
        // An object is read whole: its size is what was read.
        Input::Url(_) => report.input_bytes,
    };
    report
}

impl FileReport {
    /// The report for a read that ended with this result.
    pub fn new(
        display: &str,
        snap: Option<&Snapshot>,
        error: Option<&Error>,
        warnings: Vec<String>,
        elapsed: std::time::Duration,
    ) -> FileReport {
        FileReport {
            path: display.to_string(),
            product: snap.map(|s| s.product),
            valid: error.is_none(),
            error: error.map(ErrorReport::from),
            meta: snap.map(|s| MetaReport {
                id: s.meta.id.clone(),
                index: s.meta.index,
                term: s.meta.term,
                version: s.meta.version,
                size: s.meta.size,
                created_unix_ms: s.meta.created_unix_ms(),
            }),
            last_index: snap.map(|s| s.header.last_index),
            records: snap.map(|s| s.records).unwrap_or(0),
            record_counts: snap
                .map(|s| {
                    s.types()
                        .map(|(t, st)| (s.type_name(t.0), st.count))
                        .collect()
                })
                .unwrap_or_default(),
            input_bytes: snap.map(|s| s.input_size).unwrap_or(0),
            file_bytes: 0,
            state_bytes: snap.map(|s| s.state_size).unwrap_or(0),
            duration_ms: elapsed.as_secs_f64() * 1000.0,
            warnings,
        }
    }
}

/// Expands arguments: files stay, directories are walked recursively for `*.snap` (sorted).
pub fn expand<P: AsRef<Path>>(args: &[P]) -> Vec<(String, Input)> {
    let mut out = Vec::new();
    for a in args {
        let p = a.as_ref();
        let is_raft_dir =
            p.is_dir() && p.join("meta.json").is_file() && p.join("state.bin").is_file();
        if p.is_dir() && !is_raft_dir {
            let mut found = Vec::new();
            walk(p, &mut found);
            found.sort();
            for f in found {
                let s = f.to_string_lossy().into_owned();
                let input = if f.is_dir() {
                    Input::from_arg(&f)
                } else {
                    Input::Archive(f)
                };
                out.push((s, input));
            }
        } else {
            out.push((p.to_string_lossy().into_owned(), Input::from_arg(p)));
        }
    }
    out
}

/// Finds `*.snap` files and raft snapshot directories (`meta.json` and `state.bin`, as in
/// Consul's `data/raft/snapshots/`) below `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && p.join("meta.json").is_file() && p.join("state.bin").is_file() {
            out.push(p);
        } else if ft.is_dir() {
            walk(&p, out);
        } else if p.extension().map(|x| x == "snap").unwrap_or(false) {
            out.push(p);
        }
    }
}

/// Verifies many inputs on `threads` threads; reports come back in input order.
pub fn verify_all(
    inputs: &[(String, Input)],
    opts: &VerifyOptions,
    threads: usize,
) -> Vec<FileReport> {
    verify_each(inputs, opts, threads, |_| {})
}

/// Like [`verify_all`], calling `done` with each report as soon as it and every report
/// before it are complete: in input order, without waiting for the whole sweep.
pub fn verify_each(
    inputs: &[(String, Input)],
    opts: &VerifyOptions,
    threads: usize,
    mut done: impl FnMut(&FileReport),
) -> Vec<FileReport> {
    let threads = threads.max(1).min(inputs.len().max(1));
    let per_file = VerifyOptions {
        read: ReadOptions {
            threaded: opts.read.threaded && threads == 1,
            ..opts.read.clone()
        },
        ..opts.clone()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, FileReport)>();
    let mut results: Vec<Option<FileReport>> = inputs.iter().map(|_| None).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, per_file) = (&next, &per_file);
            s.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= inputs.len() {
                    return;
                }
                let (display, input) = &inputs[i];
                let r = verify_input(input, display, per_file);
                if tx.send((i, r)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        // Hand reports on in input order as the prefix completes.
        let mut shown = 0;
        for (i, r) in rx {
            results[i] = Some(r);
            while let Some(Some(r)) = results.get(shown) {
                done(r);
                shown += 1;
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every input ran"))
        .collect()
}

/// The summary line of one report.
pub fn line(r: &FileReport) -> String {
    match &r.error {
        None => format!(
            "OK    {}  index={} records={} size={}{}",
            r.path,
            r.meta.as_ref().map(|m| m.index).unwrap_or(0),
            r.records,
            r.state_bytes,
            match r.product {
                Some(crate::snapshot::vault::Product::Vault) => " product=vault",
                Some(crate::snapshot::vault::Product::Nomad) => " product=nomad",
                _ => "",
            }
        ),
        Some(e) => format!("FAIL  {}: {}", r.path, e.message),
    }
}

/// A Prometheus label value, escaped as the exposition format wants.
pub(crate) fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// node_exporter textfile-collector metrics for the reports.
pub fn prometheus(reports: &[FileReport], now_unix_ms: u64) -> String {
    let mut out = String::new();
    let mut family = |name: &str, help: &str, kind: &str, samples: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, v) in samples {
            if labels.is_empty() {
                out.push_str(&format!("{name} {v}\n"));
            } else {
                out.push_str(&format!("{name}{{{labels}}} {v}\n"));
            }
        }
    };
    let path = |r: &FileReport| format!("path=\"{}\"", escape_label(&r.path));
    family(
        "snapinspect_snapshot_valid",
        "1 if the snapshot passed every check, else 0.",
        "gauge",
        reports
            .iter()
            .map(|r| (path(r), if r.valid { 1.0 } else { 0.0 }))
            .collect(),
    );
    family(
        "snapinspect_snapshot_product",
        "1 for the product that wrote the snapshot (consul, nomad, vault), from its content.",
        "gauge",
        reports
            .iter()
            .filter_map(|r| {
                let p = r.product?;
                Some((format!("{},product=\"{}\"", path(r), p.name()), 1.0))
            })
            .collect(),
    );
    family(
        "snapinspect_snapshot_index",
        "Raft index of the snapshot (meta.json Index).",
        "gauge",
        reports
            .iter()
            .filter_map(|r| r.meta.as_ref().map(|m| (path(r), m.index as f64)))
            .collect(),
    );
    family(
        "snapinspect_snapshot_size_bytes",
        "Bytes of the snapshot file as read.",
        "gauge",
        reports
            .iter()
            .map(|r| (path(r), r.input_bytes as f64))
            .collect(),
    );
    family(
        "snapinspect_snapshot_state_bytes",
        "Bytes of state.bin.",
        "gauge",
        reports
            .iter()
            .map(|r| (path(r), r.state_bytes as f64))
            .collect(),
    );
    family(
        "snapinspect_snapshot_records",
        "Records in state.bin by type.",
        "gauge",
        reports
            .iter()
            .flat_map(|r| {
                r.record_counts.iter().map(move |(t, c)| {
                    (
                        format!("{},type=\"{}\"", path(r), escape_label(t)),
                        *c as f64,
                    )
                })
            })
            .collect(),
    );
    family(
        "snapinspect_snapshot_age_seconds",
        "Age of the snapshot from the creation time in its ID.",
        "gauge",
        reports
            .iter()
            .filter_map(|r| {
                let created = r.meta.as_ref()?.created_unix_ms?;
                Some((path(r), now_unix_ms.saturating_sub(created) as f64 / 1000.0))
            })
            .collect(),
    );
    family(
        "snapinspect_verify_duration_seconds",
        "Wall time spent verifying the snapshot.",
        "gauge",
        reports
            .iter()
            .map(|r| (path(r), r.duration_ms / 1000.0))
            .collect(),
    );
    family(
        "snapinspect_verify_last_run_timestamp_seconds",
        "When snapinspect verify last ran.",
        "gauge",
        vec![(String::new(), (now_unix_ms / 1000) as f64)],
    );
    out
}
