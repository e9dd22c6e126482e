//! A copy of a snapshot with every secret replaced and every other record byte-identical.

use std::collections::BTreeMap;
use std::io::Write;

use crate::error::{Error, Result};
use crate::go::msgpack::{self, encode, Value};
use crate::model::secrets;
use crate::model::values::to_json;
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::state::{MessageType, Record, RecordSink, StateHeader};

/// A fresh random UUID (version 4), as Consul's SecretIDs are, that scan recognises as
/// minted by redact ([`secrets::minted_uuid`]).
pub fn random_uuid() -> String {
    secrets::minted_uuid()
}

/// What replaces a secret of this kind: new random IDs for ACL secrets and management
/// tokens (the copy stays a working ACL system), empty strings for everything else.
fn replacement(kind: &str) -> Vec<u8> {
    match kind {
        "acl-secret-id" => random_uuid().into_bytes(),
        _ => Vec::new(),
    }
}

fn pointer_parts(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Encodes `v`, writing `overrides[path]` as a raw string in place of the value at that path.
fn encode_with(
    out: &mut Vec<u8>,
    v: &Value<'_>,
    path: &mut Vec<String>,
    overrides: &BTreeMap<Vec<String>, Vec<u8>>,
) {
    if let Some(new) = overrides.get(path) {
        encode::raw(out, new);
        return;
    }
    match v {
        Value::Map(entries) => {
            encode::map_len(out, entries.len());
            for (k, val) in entries {
                encode::value(out, k);
                let key = match k {
                    Value::Raw(b) | Value::Bin(b) => String::from_utf8_lossy(b).into_owned(),
                    other => to_json(other).to_string(),
                };
                path.push(key);
                encode_with(out, val, path, overrides);
                path.pop();
            }
        }
        Value::Array(items) => {
            encode::array_len(out, items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                encode_with(out, item, path, overrides);
                path.pop();
            }
        }
        other => encode::value(out, other),
    }
}

/// Re-encodes `value` with the secrets of a type-`t` record replaced; `None` if it has none.
/// Returns the new bytes and the kinds replaced.
pub fn redact_value(t: MessageType, value: &[u8]) -> Result<Option<(Vec<u8>, Vec<&'static str>)>> {
    let (v, _) = msgpack::decode(value)
        .map_err(|e| Error::Usage(format!("cannot decode a {} record: {e}", t.name())))?;
    if t == MessageType::CONFIG_ENTRY {
        return redact_config_entry(&v);
    }
    let found = secrets::find(t, &to_json(&v));
    if found.is_empty() {
        return Ok(None);
    }
    let overrides: BTreeMap<Vec<String>, Vec<u8>> = found
        .iter()
        .map(|f| (pointer_parts(&f.path), replacement(f.kind)))
        .collect();
    let mut out = Vec::with_capacity(value.len());
    encode_with(&mut out, &v, &mut Vec::new(), &overrides);
    Ok(Some((out, found.iter().map(|f| f.kind).collect())))
}

/// Config entries hide their fields inside a raw msgpack envelope: kind, then the request.
fn redact_config_entry(v: &Value<'_>) -> Result<Option<(Vec<u8>, Vec<&'static str>)>> {
    let Some(raw) = v.as_bytes() else {
        return Ok(None);
    };
    let Ok((kind, n)) = msgpack::decode(raw) else {
        return Ok(None);
    };
    let Ok((req, _)) = msgpack::decode(&raw[n..]) else {
        return Ok(None);
    };
    let Some(entry) = req.get("Entry") else {
        return Ok(None);
    };
    // proxy-defaults wraps its entry once more; keep the layout, redact inside.
    let inner = entry.as_bytes().and_then(|b| msgpack::decode_exact(b).ok());
    let target = inner.as_ref().unwrap_or(entry);
    let mut found = Vec::new();
    if let Some(e) = Some(to_json(target)) {
        let wrapped = serde_json::json!({ "Entry": e });
        found = secrets::find(MessageType::CONFIG_ENTRY, &wrapped);
    }
    if found.is_empty() {
        return Ok(None);
    }
    let overrides: BTreeMap<Vec<String>, Vec<u8>> = found
        .iter()
        .map(|f| (pointer_parts(&f.path)[1..].to_vec(), replacement(f.kind)))
        .collect();
    let mut new_entry = Vec::new();
    encode_with(&mut new_entry, target, &mut Vec::new(), &overrides);
    let mut new_req = Vec::new();
    let entry_override = if inner.is_some() {
        let mut wrapped = Vec::new();
        encode::raw(&mut wrapped, &new_entry);
        wrapped
    } else {
        new_entry
    };
    // Re-encode the request with the new Entry bytes spliced in.
    if let Value::Map(entries) = &req {
        encode::map_len(&mut new_req, entries.len());
        for (k, val) in entries {
            encode::value(&mut new_req, k);
            if k.as_bytes() == Some(b"Entry") {
                new_req.extend_from_slice(&entry_override);
            } else {
                encode::value(&mut new_req, val);
            }
        }
    }
    let mut payload = Vec::new();
    encode::value(&mut payload, &kind);
    payload.extend_from_slice(&new_req);
    let mut out = Vec::new();
    encode::raw(&mut out, &payload);
    Ok(Some((out, found.iter().map(|f| f.kind).collect())))
}

/// Writes a redacted state.bin while the original streams by.
pub struct RedactSink<W: Write> {
    out: W,
    /// Bytes written.
    pub written: u64,
    /// Secrets replaced, by kind.
    pub replaced: BTreeMap<&'static str, u64>,
    /// Records dropped because their secrets cannot be replaced in place (peering secrets).
    pub dropped: u64,
    /// KV values emptied because they look like secrets, by what they look like.
    pub kv_emptied: BTreeMap<&'static str, u64>,
    /// KV values that look like secrets, left as they were (`--keep-kv`), by what they look like.
    pub kv_kept: BTreeMap<&'static str, u64>,
    /// KV values left as they were because none looked like a secret.
    pub kv_left: u64,
    patterns: secrets::SecretPatterns,
    keep_kv: bool,
    /// The meta of the input.
    pub meta: Option<SnapshotMeta>,
}

impl<W: Write> RedactSink<W> {
    /// A sink writing the redacted state.bin to `out`, emptying KV values that look like
    /// secrets (what scan reports).
    pub fn new(out: W) -> Self {
        RedactSink {
            out,
            written: 0,
            replaced: BTreeMap::new(),
            dropped: 0,
            kv_emptied: BTreeMap::new(),
            kv_kept: BTreeMap::new(),
            kv_left: 0,
            patterns: secrets::SecretPatterns::default(),
            keep_kv: false,
            meta: None,
        }
    }

    /// Leaves every KV value as it is, counting those that look like secrets (`--keep-kv`).
    pub fn keep_kv(mut self, keep: bool) -> Self {
        self.keep_kv = keep;
        self
    }

    /// The KV value of a record, emptied when it looks like a secret: the new record bytes.
    fn redact_kv(&mut self, value: &[u8]) -> Option<Vec<u8>> {
        let Some((v, looks)) = msgpack::decode(value).ok().and_then(|(v, _)| {
            let looks = v
                .get("Value")
                .and_then(|x| x.as_bytes())
                .and_then(|b| self.patterns.looks_like(b))?;
            Some((v, looks))
        }) else {
            self.kv_left += 1;
            return None;
        };
        if self.keep_kv {
            *self.kv_kept.entry(looks).or_default() += 1;
            return None;
        }
        *self.kv_emptied.entry(looks).or_default() += 1;
        let overrides: BTreeMap<Vec<String>, Vec<u8>> = [(vec!["Value".to_string()], Vec::new())]
            .into_iter()
            .collect();
        let mut out = Vec::with_capacity(value.len());
        encode_with(&mut out, &v, &mut Vec::new(), &overrides);
        Some(out)
    }

    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::io("writing the redacted state", e))?;
        self.written += b.len() as u64;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out
            .flush()
            .map_err(|e| Error::io("writing the redacted state", e))?;
        Ok(self.out)
    }
}

impl<W: Write> RecordSink for RedactSink<W> {
    fn meta(&mut self, meta: &SnapshotMeta) -> Result<()> {
        self.meta = Some(meta.clone());
        Ok(())
    }

    fn header(&mut self, h: &StateHeader) -> Result<()> {
        let mut b = Vec::new();
        encode::map_len(&mut b, 1);
        encode::raw(&mut b, b"LastIndex");
        encode::uint(&mut b, h.last_index);
        self.put(&b)
    }

    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let v = r.value.expect("every value was requested");
        if r.mtype == MessageType::PEERING_SECRET {
            self.dropped += 1;
            *self.replaced.entry("peering-secret").or_default() += 1;
            return Ok(());
        }
        self.put(&[r.mtype.0])?;
        if r.mtype == MessageType::KVS {
            return match self.redact_kv(v) {
                Some(new) => self.put(&new),
                None => self.put(v),
            };
        }
        match redact_value(r.mtype, v)? {
            Some((new, kinds)) => {
                for k in kinds {
                    *self.replaced.entry(k).or_default() += 1;
                }
                self.put(&new)
            }
            None => self.put(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, random_uuid());
    }

    #[test]
    fn a_token_is_re_encoded_with_only_its_secret_changed() {
        let mut t = Vec::new();
        encode::map_len(&mut t, 3);
        encode::raw(&mut t, b"AccessorID");
        encode::raw(&mut t, b"a");
        encode::raw(&mut t, b"Local");
        encode::bool(&mut t, false);
        encode::raw(&mut t, b"SecretID");
        encode::raw(&mut t, b"11111111-2222-3333-4444-555555555555");
        let (new, kinds) = redact_value(MessageType::ACL_TOKEN, &t).unwrap().unwrap();
        assert_eq!(kinds, vec!["acl-secret-id"]);
        assert_eq!(new.len(), t.len());
        assert_eq!(&new[..new.len() - 36], &t[..t.len() - 36]);
        assert_ne!(new, t);
    }
}
