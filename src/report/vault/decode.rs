//! `decode` of a Vault snapshot: a meta line, then one JSON line per `StorageEntry` with its
//! key, sizes, `seal_wrap` and a fingerprint of the value. The value itself is ciphertext
//! under Vault's barrier and is never printed, whatever the flags.

use serde::Serialize;

use crate::error::Error;
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::vault::VaultEntry;

use super::fingerprint;

/// Why `--type` cannot select Vault entries.
pub const TYPE_FILTER: &str =
    "--type selects Consul's or Nomad's record types; a Vault snapshot holds only StorageEntry records (select keys with --kv-prefix)";

/// One output line for an entry.
#[derive(Serialize)]
struct EntryLine<'a> {
    n: u64,
    offset: u64,
    key: &'a str,
    size: u64,
    value_bytes: u64,
    seal_wrap: bool,
    fingerprint: String,
}

/// The first line of a Vault decode: meta.json as Vault wrote it and the product.
pub fn meta_line(meta: Option<&SnapshotMeta>) -> String {
    let meta = match meta {
        Some(m) => serde_json::from_str::<serde_json::Value>(&m.to_go_json()).unwrap_or_default(),
        None => serde_json::Value::Null,
    };
    let line = serde_json::json!({ "meta": meta, "product": "vault" });
    crate::go::json::to_string_compact(&line)
}

/// The line of one entry: position, key, sizes, `seal_wrap` and the value's fingerprint.
pub fn entry_line(e: &VaultEntry<'_>) -> String {
    let key = String::from_utf8_lossy(e.key);
    crate::go::json::to_string_compact(&EntryLine {
        n: e.number,
        offset: e.offset,
        key: &key,
        size: e.size,
        value_bytes: e.value_len,
        seal_wrap: e.seal_wrap,
        fingerprint: fingerprint(e.value),
    })
}

/// Refuses Consul's type filter for a Vault snapshot (exit 2).
pub fn check_types(types_given: bool) -> Result<(), Error> {
    if types_given {
        return Err(Error::Usage(TYPE_FILTER.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_no_value_bytes() {
        let value = b"\x01\x02ciphertext-bytes";
        let e = VaultEntry {
            number: 3,
            offset: 40,
            size: 30,
            key: b"sys/policy/<default>",
            value_len: value.len() as u64,
            value,
            seal_wrap: true,
        };
        let line = entry_line(&e);
        assert_eq!(
            line,
            format!(
                "{{\"n\":3,\"offset\":40,\"key\":\"sys/policy/\\u003cdefault\\u003e\",\"size\":30,\"value_bytes\":18,\"seal_wrap\":true,\"fingerprint\":\"{}\"}}",
                fingerprint(value)
            )
        );
        assert!(!line.contains("ciphertext"));
    }
}
