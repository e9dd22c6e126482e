//! `decode`: every record as one line of JSON, typed where the model knows the type, secrets
//! redacted unless asked for.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::go::msgpack;
use crate::model::secrets::Redactor;
use crate::model::{Any, Model};
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::state::{MessageType, Record, RecordSink, StateHeader};

/// Which records to print.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these types (all when empty).
    pub types: Vec<MessageType>,
    /// Only KV entries and tombstones whose key starts with this (all records when `None`).
    pub kv_prefix: Option<Vec<u8>>,
}

impl Filter {
    fn type_ok(&self, t: MessageType) -> bool {
        let kv = matches!(t, MessageType::KVS | MessageType::TOMBSTONE);
        (self.types.is_empty() || self.types.contains(&t)) && (self.kv_prefix.is_none() || kv)
    }
}

/// One output line for a record (Consul's or Nomad's).
#[derive(Serialize)]
pub(crate) struct Line<'a> {
    pub(crate) n: u64,
    pub(crate) offset: u64,
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    pub(crate) type_id: u8,
    pub(crate) id: String,
    pub(crate) typed: bool,
    pub(crate) value: &'a serde_json::Value,
}

/// Writes each record as a JSON line to `out` while the snapshot streams by.
pub struct DecodeSink<W: Write> {
    out: W,
    filter: Filter,
    redactor: Redactor,
    meta: Option<SnapshotMeta>,
    /// Records printed.
    pub printed: u64,
    /// Records that fell back to the generic value.
    pub untyped: u64,
    /// Vault's meta line is printed (before its first entry).
    vault_started: bool,
    /// Only these Nomad types, for a Nomad snapshot (all when empty; none when `None`, as
    /// for a KV prefix, which Nomad has no records for).
    pub nomad_types: Option<Vec<u8>>,
    /// Print no Consul records (the type filter named Nomad types).
    pub consul_off: bool,
}

impl<W: Write> DecodeSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W, filter: Filter, redactor: Redactor) -> Self {
        DecodeSink {
            out,
            filter,
            redactor,
            meta: None,
            printed: 0,
            untyped: 0,
            vault_started: false,
            nomad_types: Some(Vec::new()),
            consul_off: false,
        }
    }

    /// Prints Vault's meta line unless printed already (for a Vault snapshot with no entries,
    /// once the read has shown what it is).
    pub fn vault_meta(&mut self) -> Result<()> {
        if self.vault_started {
            return Ok(());
        }
        self.vault_started = true;
        let line = crate::report::vault::decode::meta_line(self.meta.as_ref());
        self.write_line(&line)
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out
            .flush()
            .map_err(|e| Error::io("writing the output", e))?;
        Ok(self.out)
    }

    fn write_line(&mut self, line: &str) -> Result<()> {
        self.out
            .write_all(line.as_bytes())
            .and_then(|_| self.out.write_all(b"\n"))
            .map_err(|e| Error::io("writing the output", e))
    }
}

/// Decodes one record value to its JSON, identity text and whether the typed model took it,
/// with secrets redacted by `redactor`.
pub fn record_json(
    t: MessageType,
    value: &[u8],
    redactor: &Redactor,
) -> (serde_json::Value, String, bool) {
    let (json, id, typed) = match msgpack::decode(value) {
        Ok((v, _)) => {
            let (model, typed) = Model::decode(t, &v);
            let id = model.identity().render(t);
            (
                serde_json::to_value(&model).unwrap_or(serde_json::Value::Null),
                id,
                typed,
            )
        }
        Err(e) => (
            serde_json::json!({ "error": e.to_string() }),
            format!("{}:?", t.name()),
            false,
        ),
    };
    let mut json = json;
    redactor.redact(t, &mut json);
    (json, id, typed)
}

impl<W: Write> RecordSink for DecodeSink<W> {
    fn meta(&mut self, meta: &SnapshotMeta) -> Result<()> {
        self.meta = Some(meta.clone());
        Ok(())
    }

    fn header(&mut self, h: &StateHeader) -> Result<()> {
        let meta = match &self.meta {
            Some(m) => {
                serde_json::from_str::<serde_json::Value>(&m.to_go_json()).unwrap_or_default()
            }
            None => serde_json::Value::Null,
        };
        let line = serde_json::json!({ "meta": meta, "last_index": h.last_index });
        self.write_line(&crate::go::json::to_string_compact(&line))
    }

    fn wants_value(&mut self, t: MessageType) -> bool {
        !self.consul_off && self.filter.type_ok(t)
    }

    fn wants_nomad_value(&mut self, t: u8) -> bool {
        match &self.nomad_types {
            Some(types) => types.is_empty() || types.contains(&t),
            None => false,
        }
    }

    fn nomad_record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(v) = r.value else { return Ok(()) };
        if !self.wants_nomad_value(r.mtype.0) {
            return Ok(());
        }
        let text = crate::report::nomad::decode::line(r, v, &self.redactor);
        self.printed += 1;
        self.untyped += 1;
        self.write_line(&text)
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(v) = r.value else { return Ok(()) };
        if self.consul_off || !self.filter.type_ok(r.mtype) {
            return Ok(());
        }
        if let Some(prefix) = &self.filter.kv_prefix {
            let key = crate::report::inspect::kv_key(v).unwrap_or_default();
            if !key.starts_with(prefix) {
                return Ok(());
            }
        }
        let (json, id, typed) = record_json(r.mtype, v, &self.redactor);
        if !typed {
            self.untyped += 1;
        }
        let line = Line {
            n: r.number,
            offset: r.offset,
            type_name: r.mtype.name(),
            type_id: r.mtype.0,
            id,
            typed,
            value: &json,
        };
        let text = crate::go::json::to_string_compact(&line);
        self.printed += 1;
        self.write_line(&text)
    }

    fn vault_entry(&mut self, e: &crate::snapshot::vault::VaultEntry<'_>) -> Result<()> {
        // Consul's types, or Nomad's (`consul_off`): none selects a Vault entry.
        crate::report::vault::decode::check_types(
            !self.filter.types.is_empty() || self.consul_off,
        )?;
        self.vault_meta()?;
        if let Some(prefix) = &self.filter.kv_prefix {
            if !e.key.starts_with(prefix) {
                return Ok(());
            }
        }
        self.printed += 1;
        self.write_line(&crate::report::vault::decode::entry_line(e))
    }
}

/// Decodes a record value to its model (typed or generic), without redaction.
pub fn model(t: MessageType, value: &[u8]) -> Option<(Model, bool)> {
    let (v, _) = msgpack::decode(value).ok()?;
    Some(Model::decode(t, &v))
}

/// The generic JSON of a value, for records the model does not know.
pub fn generic(value: &[u8]) -> Option<Any> {
    let (v, _) = msgpack::decode(value).ok()?;
    Some(Any(crate::model::values::to_json(&v)))
}
