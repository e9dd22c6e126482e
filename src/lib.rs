//! snapinspect: read, check, decode, compare and write HashiCorp Consul snapshot archives.
//!
//! The library does the work; the `snapinspect` binary parses flags and prints. A snapshot is
//! read in one streaming pass by [`archive::read`], which checks every layer the way Consul
//! does and feeds each record of `state.bin` to a [`state::RecordSink`]. Every command is such
//! a sink plus a report.

#![warn(missing_docs)]

pub mod error;
pub mod go;
pub mod live;
pub mod model;
pub mod report;
pub mod snapshot;
pub mod version;
pub mod write;

pub use error::{Error, Result};
pub use snapshot::archive::{read, read_path, Input, ReadOptions, Snapshot};
