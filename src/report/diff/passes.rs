//! The three passes of a diff: index OLD, classify NEW, fetch OLD's side of each change.

use super::*;

/// Content hashes of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hashes {
    /// Everything, maps compared regardless of entry order.
    pub(super) full: u64,
    /// Everything but CreateIndex/ModifyIndex fields.
    pub(super) content: u64,
}

pub(super) fn is_index_key(k: &Value<'_>) -> bool {
    matches!(k.as_bytes(), Some(b"CreateIndex") | Some(b"ModifyIndex"))
}

/// Hashes a value with maps in key order, optionally skipping raft index fields.
pub(super) fn hash_value<H: Hasher>(v: &Value<'_>, skip_indexes: bool, h: &mut H) {
    match v {
        Value::Map(entries) => {
            let mut sorted: Vec<&(Value<'_>, Value<'_>)> = entries
                .iter()
                .filter(|(k, _)| !(skip_indexes && is_index_key(k)))
                .collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(&b.0.as_bytes()));
            h.write_u8(b'm');
            h.write_usize(sorted.len());
            for (k, val) in sorted {
                hash_value(k, skip_indexes, h);
                hash_value(val, skip_indexes, h);
            }
        }
        Value::Array(items) => {
            h.write_u8(b'a');
            h.write_usize(items.len());
            for i in items {
                hash_value(i, skip_indexes, h);
            }
        }
        Value::Raw(b) | Value::Bin(b) => {
            h.write_u8(b's');
            b.hash(h);
        }
        Value::Int(i) => {
            h.write_u8(b'i');
            h.write_i128(*i as i128);
        }
        Value::Uint(u) => {
            h.write_u8(b'i');
            h.write_i128(*u as i128);
        }
        Value::F32(f) => {
            h.write_u8(b'f');
            h.write_u64((*f as f64).to_bits());
        }
        Value::F64(f) => {
            h.write_u8(b'f');
            h.write_u64(f.to_bits());
        }
        Value::Bool(b) => h.write_u8(if *b { b'T' } else { b'F' }),
        Value::Nil => h.write_u8(b'n'),
        Value::Ext(t, d) => {
            h.write_u8(b'x');
            h.write_i8(*t);
            d.hash(h);
        }
    }
}

pub(super) fn hashes(v: &Value<'_>) -> Hashes {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, false, &mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, true, &mut b);
    Hashes {
        full: a.finish(),
        content: b.finish(),
    }
}

/// A 128-bit hash of an identity: the maps hold this instead of the identity text, so memory
/// per record does not depend on key lengths.
pub(super) type IdHash = [u64; 2];

pub(super) fn id_hash(id: &str) -> IdHash {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    a.write_u8(1);
    id.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    b.write_u8(2);
    id.hash(&mut b);
    [a.finish(), b.finish()]
}

/// `id`, or `id#n` for the n-th occurrence of an identity that repeats.
pub(super) fn numbered(id: &str, n: u32) -> String {
    if n <= 1 {
        id.to_string()
    } else {
        format!("{id}#{n}")
    }
}

pub(super) fn identity(t: MessageType, v: &Value<'_>) -> String {
    match Model::decode_typed(t, v) {
        Ok(m) => m.identity().render(t),
        Err(_) => format!("{}:?", t.name()),
    }
}

pub(super) fn selected(opts: &DiffOptions, t: MessageType, v: &Value<'_>) -> bool {
    if !opts.types.is_empty() && !opts.types.contains(&t) {
        return false;
    }
    if let Some(p) = &opts.kv_prefix {
        if !matches!(t, MessageType::KVS | MessageType::TOMBSTONE) {
            return false;
        }
        let key = v.get("Key").and_then(|k| k.as_bytes()).unwrap_or_default();
        return key.starts_with(p);
    }
    true
}

/// Marks an OLD entry that NEW has shown (its hashes are no longer needed).
pub(super) const SEEN: Hashes = Hashes {
    full: u64::MAX,
    content: u64::MAX,
};

/// Pass 1: identity hash -> content hashes of OLD: 32 bytes a record in the map, and nothing
/// that grows with key lengths.
pub(super) struct IndexPass<'o> {
    pub(super) opts: &'o DiffOptions,
    pub(super) map: HashMap<IdHash, Hashes>,
    /// Identities OLD holds more than once, with how many times (rare: Unknown types).
    pub(super) dups: HashMap<IdHash, u32>,
}

impl RecordSink for IndexPass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let bh = id_hash(&base);
        let h = if self.map.contains_key(&bh) {
            let n = self.dups.entry(bh).or_insert(1);
            *n += 1;
            id_hash(&numbered(&base, *n))
        } else {
            bh
        };
        self.map.insert(h, hashes(&v));
        Ok(())
    }
}
/// What pass 2 keeps of a record of NEW that differs from OLD (pass 3 adds the removed).
pub(super) struct Pending {
    pub(super) mtype: MessageType,
    pub(super) kind: ChangeKind,
    /// NEW's side, redacted (none for a removed record).
    pub(super) new: Option<Json>,
}

/// What pass 3 finds of a record of OLD that changed or went away.
pub(super) struct OldSide {
    pub(super) mtype: MessageType,
    pub(super) removed: bool,
    /// OLD's side, redacted.
    pub(super) json: Json,
}

/// Pass 2: classify NEW, keep the new side of what is not unchanged.
pub(super) struct ClassifyPass<'o> {
    pub(super) opts: &'o DiffOptions,
    pub(super) old: HashMap<IdHash, Hashes>,
    pub(super) changed: BTreeMap<String, Pending>,
    pub(super) unchanged: BTreeMap<MessageType, u64>,
    pub(super) redactor: &'o Redactor,
}

/// A record's redacted JSON, with a KV value reduced to its size and fingerprint unless
/// values are shown (so what a diff keeps of a changed record stays small).
pub(super) fn record_json(
    t: MessageType,
    v: &Value<'_>,
    redactor: &Redactor,
    show_values: bool,
) -> Json {
    let (model, _) = Model::decode(t, v);
    let mut json = serde_json::to_value(&model).unwrap_or(Json::Null);
    redactor.redact(t, &mut json);
    if t == MessageType::KVS && !show_values {
        hide_kv_value(&mut json, redactor);
    }
    json
}

impl RecordSink for ClassifyPass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let h = hashes(&v);
        // The n-th occurrence of an identity in NEW pairs with the n-th in OLD.
        let mut n = 1;
        let (id, kind) = loop {
            let id = numbered(&base, n);
            let idh = id_hash(&id);
            match self.old.get_mut(&idh) {
                Some(old) if *old == SEEN => n += 1,
                Some(old) => {
                    let kind = if old.full == h.full {
                        None
                    } else if old.content == h.content {
                        Some(ChangeKind::IndexOnly)
                    } else {
                        Some(ChangeKind::Changed)
                    };
                    *old = SEEN;
                    break (id, kind);
                }
                None if self.changed.contains_key(&id) => n += 1,
                None => break (id, Some(ChangeKind::Added)),
            }
        };
        match kind {
            None => *self.unchanged.entry(r.mtype).or_default() += 1,
            Some(k) => {
                let keep = k != ChangeKind::IndexOnly || self.opts.include_indexes;
                let json =
                    keep.then(|| record_json(r.mtype, &v, self.redactor, self.opts.show_values));
                self.changed.insert(
                    id,
                    Pending {
                        mtype: r.mtype,
                        kind: k,
                        new: json,
                    },
                );
            }
        }
        Ok(())
    }
}

/// Pass 3: the identities and old side of changed and removed records.
pub(super) struct OldSidePass<'o> {
    pub(super) opts: &'o DiffOptions,
    /// Occurrences so far of the identities OLD holds more than once.
    pub(super) dups: HashMap<IdHash, u32>,
    /// Identity hashes wanted: removed (true) or changed (false).
    pub(super) wanted: HashMap<IdHash, bool>,
    pub(super) found: HashMap<String, OldSide>,
    pub(super) redactor: &'o Redactor,
}

impl RecordSink for OldSidePass<'_> {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Ok((v, _)) = msgpack::decode(r.value.unwrap_or_default()) else {
            return Ok(());
        };
        if !selected(self.opts, r.mtype, &v) {
            return Ok(());
        }
        let base = identity(r.mtype, &v);
        let bh = id_hash(&base);
        let id = match self.dups.get_mut(&bh) {
            Some(n) => {
                *n += 1;
                numbered(&base, *n)
            }
            None => base,
        };
        if let Some(removed) = self.wanted.get(&id_hash(&id)) {
            self.found.insert(
                id,
                OldSide {
                    mtype: r.mtype,
                    removed: *removed,
                    json: record_json(r.mtype, &v, self.redactor, self.opts.show_values),
                },
            );
        }
        Ok(())
    }
}
