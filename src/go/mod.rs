//! What Consul's Go behaviour requires of us: the msgpack dialect, the tar reader, Go's JSON
//! escaping, text/tabwriter. The lowest layer: it imports nothing else of this crate.

pub mod json;
pub mod msgpack;
pub mod tabwriter;
pub mod tar;
