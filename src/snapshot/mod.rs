//! Reading a snapshot: inputs, gzip, tar members, hashes, meta.json, the state header, the
//! record walker that feeds a [`state::RecordSink`], and the one message-type table; Vault's
//! state stream and the choice between the products in [`vault`]; Nomad's type table in
//! [`nomad`].

pub mod archive;
mod gzip;
pub mod meta;
pub mod msgtype;
pub mod nomad;
pub(crate) mod pipeline;
pub mod state;
pub mod vault;
