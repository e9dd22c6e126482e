//! Live Consul: the HTTP client, save and restore transfers, and the snapshot agent; snapshots
//! in object storage (`storage`, features `s3`, `azure`, `gcs`).

pub mod agent;
pub mod consul;
#[cfg(feature = "storage")]
pub mod storage;
pub mod transfer;
#[cfg(feature = "storage")]
pub mod upload;

/// An environment variable as the Consul and AWS CLIs read it: unset and empty are the same.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
