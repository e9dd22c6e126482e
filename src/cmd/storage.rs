//! Object-store URLs on the command line: the opener every reader gets, and `s3://bucket/prefix/`
//! expanded to the `.snap` objects below it. The S3 client (and its runtime) is made on the
//! first URL, once per process.

use std::path::PathBuf;

use snapinspect::error::Error;
use snapinspect::report::verify;
use snapinspect::snapshot::archive::{Input, UrlOpener};

/// The one storage client of the process (made on first use, from the environment).
#[cfg(feature = "s3")]
pub fn storage() -> Result<std::sync::Arc<snapinspect::live::storage::Storage>, Error> {
    use snapinspect::live::storage::{Storage, StorageOptions};
    static STORAGE: std::sync::OnceLock<Result<std::sync::Arc<Storage>, String>> =
        std::sync::OnceLock::new();
    STORAGE
        .get_or_init(|| {
            Storage::new(StorageOptions::default())
                .map(std::sync::Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| Error::io(e, std::io::Error::other("the S3 client could not start")))
}

/// The opener for `s3://` inputs (none without the `s3` feature: URLs are then unsupported).
pub fn opener() -> Option<UrlOpener> {
    #[cfg(feature = "s3")]
    {
        Some(UrlOpener(std::sync::Arc::new(|url: &str| {
            storage()?.open(url)
        })))
    }
    #[cfg(not(feature = "s3"))]
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

#[cfg(feature = "s3")]
fn list(url: &str) -> Result<Vec<String>, Error> {
    storage()?.list(url)
}

#[cfg(not(feature = "s3"))]
fn list(url: &str) -> Result<Vec<String>, Error> {
    Err(Error::Unsupported(format!(
        "{url}: reading object-store URLs needs snapinspect built with the `s3` feature"
    )))
}
