//! snapinspect: read, check, decode, compare and write HashiCorp Consul snapshot archives.
//!
//! The library does the work; the `snapinspect` binary (feature `cli`, on by default) parses
//! flags and prints. A snapshot is read in one streaming pass by [`read`], which checks every
//! layer the way Consul does (gzip, tar members, SHA256SUMS, meta.json, the state.bin header)
//! and feeds each record of `state.bin` to a [`RecordSink`]. Every command is such a sink plus
//! a report.
//!
//! The folders are layers, each importing only those below it (`docs/ARCHITECTURE.md`):
//! [`go`] (Go behaviour Consul relies on), [`snapshot`] (the reader and the message-type
//! table), [`model`] (typed records, secrets, the restore check), [`write`] (Consul's archive
//! layout, atomic files, redact, generate), [`report`] (inspect, verify, decode, diff, scan,
//! trend, compat, acl) and [`live`] (the Consul HTTP client, save and restore, the agent).
//!
//! # Example: KV bytes by top-level prefix, with a sink of your own
//!
//! ```
//! use std::collections::BTreeMap;
//! use snapinspect::{read, Input, MessageType, Model, ReadOptions, Record, RecordSink, Result};
//!
//! /// Bytes of KV values under each first path segment.
//! #[derive(Default)]
//! struct KvBytes(BTreeMap<String, u64>);
//!
//! impl RecordSink for KvBytes {
//!     fn wants_value(&mut self, t: MessageType) -> bool {
//!         t == MessageType::KVS
//!     }
//!     fn record(&mut self, r: &Record<'_>) -> Result<()> {
//!         if let Some(Ok(Model::Kvs(entry))) = Model::from_record(r) {
//!             let key = entry.Key.lossy();
//!             let prefix = key.split('/').next().unwrap_or_default().to_string();
//!             let len = entry.Value.map_or(0, |v| v.0.len() as u64);
//!             *self.0.entry(prefix).or_default() += len;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let mut sink = KvBytes::default();
//! let snap = read(&Input::from_arg("testdata/kv.snap"), &ReadOptions::default(), &mut sink)?;
//! assert!(snap.records > 0 && !sink.0.is_empty());
//! for (prefix, bytes) in &sink.0 {
//!     println!("{prefix:<20} {bytes:>10}");
//! }
//! # Ok::<(), snapinspect::Error>(())
//! ```

#![warn(missing_docs)]

pub mod error;
/// Public for the fuzz targets, benchmarks and tests; not a stable API.
#[doc(hidden)]
pub mod go;
pub mod live;
pub mod model;
pub mod report;
pub mod snapshot;
pub mod version;
pub mod write;

pub use error::{Error, Result};
pub use model::Model;
pub use snapshot::archive::{read, read_path, Input, ReadOptions, Snapshot};
pub use snapshot::msgtype::MessageType;
pub use snapshot::state::{FnSink, Record, RecordSink};
