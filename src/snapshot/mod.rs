//! Reading a snapshot: inputs, gzip, tar members, hashes, meta.json, the state header, the
//! record walker that feeds a [`state::RecordSink`], and the one message-type table; Vault's
//! state stream and the choice between the two in [`vault`].

pub mod archive;
mod gzip;
pub mod meta;
pub mod msgtype;
pub(crate) mod pipeline;
pub mod state;
pub mod vault;
