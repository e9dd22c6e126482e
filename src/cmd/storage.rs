//! Object-store URLs on the command line: the opener every reader gets, `s3://bucket/prefix/`
//! (and `az://`, `gs://`) expanded to the `.snap` objects below it, and `--timeout`, the one
//! flag every reader shares for them. The client (and its runtime) is made on the first URL,
//! once per process.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use snapinspect::error::Error;
use snapinspect::report::verify;
use snapinspect::snapshot::archive::{Input, UrlOpener};

/// The deadline `--timeout` set for object-store requests (the first reader's flag wins).
static TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Parses `--timeout`: seconds (`5`, `2.5`) or a duration (`30s`, `2m`), at least 100ms.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = match s.trim().parse::<f64>() {
        Ok(secs) if (0.0..1e9).contains(&secs) => Duration::from_secs_f64(secs),
        Ok(_) => return Err(format!("{s:?}: not a number of seconds")),
        Err(_) => humantime::parse_duration(s)
            .map_err(|e| format!("{s:?}: {e} (write seconds, or e.g. 30s, 2m)"))?,
    };
    if d < Duration::from_millis(100) {
        return Err(format!("{s:?}: at least 100ms"));
    }
    Ok(d)
}

/// The flags of every reader that concern object-store URLs.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct StorageArgs {
    /// Deadline for s3://, az:// and gs:// inputs, in seconds (or 30s, 2m): connecting, each
    /// silence while an object streams, and each request or listing up to its first byte,
    /// retries included [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

impl StorageArgs {
    /// Records the flags for the client made on the first URL; call before reading.
    pub fn apply(&self) {
        if let Some(t) = self.timeout {
            let _ = TIMEOUT.set(t);
        }
    }
}

/// The one storage client of the process (made on first use, from the environment and
/// `--timeout`).
#[cfg(feature = "storage")]
pub fn storage() -> Result<std::sync::Arc<snapinspect::live::storage::Storage>, Error> {
    use snapinspect::live::storage::{Storage, StorageOptions};
    static STORAGE: OnceLock<Result<std::sync::Arc<Storage>, String>> = OnceLock::new();
    STORAGE
        .get_or_init(|| {
            let mut opts = StorageOptions::default();
            if let Some(t) = TIMEOUT.get() {
                opts.timeout = *t;
            }
            Storage::new(opts)
                .map(std::sync::Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| {
            Error::io(
                e,
                std::io::Error::other("the storage client could not start"),
            )
        })
}

/// The opener for object-store URL inputs (none without a storage feature: URLs are then
/// unsupported).
pub fn opener() -> Option<UrlOpener> {
    #[cfg(feature = "storage")]
    {
        Some(UrlOpener(std::sync::Arc::new(|url: &str| {
            storage()?.open(url)
        })))
    }
    #[cfg(not(feature = "storage"))]
    {
        None
    }
}

/// Like `report::verify::expand`, and a prefix URL (`s3://bucket/dir/`) becomes the `.snap`
/// objects below it, sorted by key.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<(String, Input)>, Error> {
    let mut out = Vec::new();
    for p in paths {
        match p.to_str().filter(|s| Input::is_url(s)) {
            Some(url) if is_prefix_url(url) => {
                for u in list(url)? {
                    out.push((u.clone(), Input::Url(u)));
                }
            }
            _ => out.extend(verify::expand(std::slice::from_ref(p))),
        }
    }
    Ok(out)
}

/// `s3://bucket` or a URL ending in `/`.
fn is_prefix_url(url: &str) -> bool {
    url.ends_with('/') || !url.split_once("://").is_some_and(|(_, r)| r.contains('/'))
}

#[cfg(feature = "storage")]
fn list(url: &str) -> Result<Vec<String>, Error> {
    storage()?.list(url)
}

#[cfg(not(feature = "storage"))]
fn list(url: &str) -> Result<Vec<String>, Error> {
    Err(Error::Unsupported(format!(
        "{url}: reading object-store URLs needs snapinspect built with the `s3`, `azure` or \
         `gcs` feature"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_in_seconds_or_durations() {
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_timeout("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
