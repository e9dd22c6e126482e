//! `snapinspect verify`: prove backups are whole, for backup jobs and monitoring.

use std::path::PathBuf;

use snapinspect::error::{Error, EXIT_FINDING, EXIT_INVALID, EXIT_OK};
use snapinspect::report::verify::{self, FileReport, VerifyOptions};

use super::args::OutputFormat;

/// Arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print failures (and the --max-age verdict) only.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Warnings (Enterprise records, records some Consul versions refuse) are errors too.
    #[arg(long)]
    strict: bool,
    /// Judge for this Consul version (e.g. 1.8.7, 1.15.2+ent): every record must load on it.
    /// Without it a snapshot must load on some Consul version snapinspect knows.
    #[arg(long, value_name = "VERSION")]
    target: Option<String>,
    /// Record types and config entry kinds no known Consul writes are warnings, not errors.
    #[arg(long)]
    allow_unknown_types: bool,
    /// Output format (JSON schema: docs/verify.schema.json).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Also write node_exporter textfile-collector metrics to this file (atomically).
    #[arg(long, value_name = "PATH")]
    prometheus: Option<PathBuf>,
    /// Exit 1 when the newest valid snapshot is older than this (e.g. 36h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    max_age: Option<std::time::Duration>,
    /// Fail once more than this many uncompressed bytes have been read from one file (e.g. 512MiB).
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    max_size: Option<u64>,
    #[command(flatten)]
    storage: super::storage::StorageArgs,
    /// Files to verify: .snap archives, raft snapshot directories, DIR/state.bin, or
    /// directories, which are searched recursively for *.snap files; objects (s3://BUCKET/KEY,
    /// az://CONTAINER/BLOB, gs://BUCKET/OBJECT), and a prefix ending in / (s3://BUCKET/PREFIX/)
    /// for every *.snap object below it.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs `verify`.
pub fn run(a: Args) -> Result<i32, Error> {
    a.storage.apply();
    let inputs = super::storage::expand(&a.paths)?;
    if inputs.is_empty() {
        return Err(Error::Usage(format!(
            "no *.snap files found in {}",
            a.paths
                .iter()
                .map(|p| p.to_string_lossy())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let target = match &a.target {
        Some(t) => Some(snapinspect::version::Version::parse(t).ok_or_else(|| {
            Error::Usage(format!("--target {t:?} is not a Consul version like 1.8.7"))
        })?),
        None => None,
    };
    let opts = VerifyOptions {
        strict: a.strict,
        target,
        allow_unknown_types: a.allow_unknown_types,
        read: snapinspect::ReadOptions {
            max_size: a.max_size,
            threaded: true,
            opener: super::storage::opener(),
            ..Default::default()
        },
    };
    // Text lines are printed as each file (and every one before it) is done.
    let stream = a.format == OutputFormat::Text;
    let mut stream_err = None;
    let files_done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let spec = super::progress::Spec {
        label: format!("{} snapshot(s)", inputs.len()),
        total: Some(inputs.len() as u64),
        phases: vec!["verifying".into()],
        unit: super::progress::Unit::Files,
    };
    // Lines streaming to the same terminal are progress enough (and a bar would tear them).
    let lines_on_terminal = stream && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let progress =
        super::progress::Progress::start(spec, files_done.clone(), a.quiet || lines_on_terminal);
    let reports = verify::verify_each(&inputs, &opts, threads, |r| {
        files_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !stream || stream_err.is_some() {
            return;
        }
        let mut out = String::new();
        if !a.quiet || !r.valid {
            out.push_str(&verify::line(r));
            out.push('\n');
        }
        // -q hides OK lines, never a warning.
        for w in &r.warnings {
            out.push_str(&format!("WARN  {}: {w}\n", r.path));
        }
        if let Err(e) = super::emit(super::color::verify(&out).as_bytes()) {
            stream_err = Some(e);
        }
    });
    drop(progress);
    if let Some(e) = stream_err {
        return Err(e);
    }
    let now = now_ms();

    // The staleness verdict first: the JSON summary carries it with the real exit code.
    let newest = reports
        .iter()
        .filter(|r| r.valid)
        .filter_map(|r| r.meta.as_ref()?.created_unix_ms)
        .max();
    let stale = a.max_age.map(|max_age| {
        let limit = max_age.as_millis() as u64;
        match newest {
            None => Some("STALE no valid snapshot found".to_string()),
            Some(t) if now.saturating_sub(t) > limit => Some(format!(
                "STALE newest valid snapshot is {} old, more than {}",
                humantime::format_duration(std::time::Duration::from_secs(
                    now.saturating_sub(t) / 1000
                )),
                humantime::format_duration(max_age)
            )),
            Some(_) => None,
        }
    });
    let mut code = exit_code(&reports);
    if matches!(stale, Some(Some(_))) && code == EXIT_OK {
        code = EXIT_FINDING;
    }

    let mut out = String::new();
    match a.format {
        OutputFormat::Text => {
            if !a.quiet {
                let ok = reports.iter().filter(|r| r.valid).count();
                let failed = reports.len() - ok;
                out.push_str(&format!("{} checked: {ok} OK", reports.len()));
                if failed > 0 {
                    out.push_str(&format!(", {failed} FAILED"));
                }
                out.push('\n');
            }
            if let Some(Some(v)) = &stale {
                out.push_str(v);
                out.push('\n');
            }
        }
        OutputFormat::Json => {
            let mut summary = summary(&reports);
            summary["exit_code"] = code.into();
            summary["stale"] = stale.as_ref().map(|s| s.is_some()).into();
            summary["newest_unix_ms"] = newest.into();
            summary["max_age_seconds"] = a.max_age.map(|d| d.as_secs()).into();
            let doc = serde_json::json!({
                "schema": "snapinspect-verify/1",
                "files": reports,
                "summary": summary,
            });
            out.push_str(&serde_json::to_string_pretty(&doc).expect("serializable"));
            out.push('\n');
            if let Some(Some(v)) = &stale {
                eprintln!("snapinspect: {v}");
            }
        }
    }
    if let Some(path) = &a.prometheus {
        let text = verify::prometheus(&reports, now);
        snapinspect::write::write_atomic(path, &super::signal::temp_files(), |f| {
            use std::io::Write;
            super::args::world_readable(f, path)?;
            f.write_all(text.as_bytes())
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))
        })?;
    }
    let out = if a.format == OutputFormat::Text {
        super::color::verify(&out)
    } else {
        out
    };
    super::emit(out.as_bytes())?;
    Ok(code)
}

fn summary(reports: &[FileReport]) -> serde_json::Value {
    serde_json::json!({
        "files": reports.len(),
        "valid": reports.iter().filter(|r| r.valid).count(),
        "invalid": reports.iter().filter(|r| !r.valid).count(),
        "exit_code": exit_code(reports),
    })
}

/// 0 when every file is valid, 3 when any is invalid, else the first error's code.
fn exit_code(reports: &[FileReport]) -> i32 {
    if reports.iter().all(|r| r.valid) {
        return EXIT_OK;
    }
    if reports.iter().any(|r| {
        r.error
            .as_ref()
            .map(|e| e.exit_code == EXIT_INVALID)
            .unwrap_or(false)
    }) {
        return EXIT_INVALID;
    }
    reports
        .iter()
        .find_map(|r| r.error.as_ref().map(|e| e.exit_code))
        .unwrap_or(EXIT_OK)
}
