//! Live Consul: the HTTP client, save and restore transfers, and the snapshot agent; snapshots
//! in object storage (`storage`, feature `s3`).

pub mod agent;
pub mod consul;
#[cfg(feature = "s3")]
pub mod storage;
pub mod transfer;
#[cfg(feature = "s3")]
pub mod upload;
