//! snapinspect: read, check, decode, compare and write HashiCorp Consul snapshot archives.
//!
//! The library does the work; the `snapinspect` binary parses flags and prints. A snapshot is
//! read in one streaming pass by [`archive::read`], which checks every layer the way Consul
//! does and feeds each record of `state.bin` to a [`state::RecordSink`]. Every command is such
//! a sink plus a report.

#![warn(missing_docs)]

pub mod acl;
pub mod agent;
pub mod archive;
pub mod compat;
pub mod consul;
pub mod decode;
pub mod diff;
pub mod error;
pub mod generate;
pub mod gojson;
pub mod insight;
pub mod inspect;
pub mod meta;
pub mod model;
pub mod msgpack;
pub mod msgtype;
pub mod pargz;
pub mod pipeline;
pub mod redact;
pub mod scan;
pub mod secrets;
pub mod shape;
pub mod state;
pub mod tabwriter;
pub mod tarball;
pub mod transfer;
pub mod trend;
pub mod verify;
pub mod version;
pub mod writer;

pub use archive::{read, read_path, Input, ReadOptions, Snapshot};
pub use error::{Error, Result};
