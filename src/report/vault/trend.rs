//! `trend` over Vault snapshots: per key prefix (at the depth of Vault's inspect `-depth`),
//! entry counts and bytes in each snapshot, for the growth tables and the chart.

use crate::report::trend::Point;
use crate::snapshot::archive::Snapshot;

use super::VaultStats;

/// The one record type of a Vault state.bin, the row `types` holds for it.
pub const ENTRY_TYPE: &str = "StorageEntry";

/// One snapshot's figures: `types` holds all entries as [`ENTRY_TYPE`], `kv_prefixes` the
/// bytes per key prefix and `kv_prefix_counts` the entries per key prefix. Bytes are protobuf
/// message lengths, as Vault's inspect counts them.
pub fn point(display: &str, snap: &Snapshot, stats: &VaultStats) -> Point {
    let (count, size) = stats.totals();
    let mut types = std::collections::BTreeMap::new();
    if count > 0 {
        types.insert(ENTRY_TYPE.to_string(), (count, size));
    }
    let mut bytes = std::collections::BTreeMap::new();
    let mut counts = std::collections::BTreeMap::new();
    for (p, c, s) in stats.prefixes() {
        let name = String::from_utf8_lossy(p).into_owned();
        bytes.insert(name.clone(), s);
        counts.insert(name, c);
    }
    Point {
        path: display.to_string(),
        id: snap.meta.id.clone(),
        created_unix_ms: snap.meta.created_unix_ms(),
        index: snap.meta.index,
        total_bytes: snap.state_size,
        types,
        kv_prefixes: bytes,
        kv_prefix_counts: Some(counts),
    }
}
