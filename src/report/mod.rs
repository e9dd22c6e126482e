//! Reports: each command's sink over the record stream and the result it prints.

pub mod acl;
pub mod compat;
pub mod decode;
pub mod diff;
pub mod inspect;
pub mod scan;
pub mod trend;
pub mod verify;
