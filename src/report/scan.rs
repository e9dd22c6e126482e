//! `scan`: which records of a snapshot carry secrets, and which KV values look like secrets,
//! named by identity, never showing a secret.

use serde::Serialize;

use crate::error::Result;
use crate::model::secrets::{self, Redactor, SecretPatterns};
use crate::report::decode::record_json;
use crate::report::inspect::kv_key;
use crate::snapshot::state::{MessageType, Record, RecordSink};

/// A record that carries a secret in a known field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRecord {
    /// The record's identity (`ACLToken:<AccessorID>`).
    pub id: String,
    /// 1-based position in state.bin.
    pub record: u64,
    /// JSON pointer of the field (`/SecretID`).
    pub field: String,
    /// What kind of secret.
    pub kind: String,
}

/// A KV value that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectValue {
    /// The KV key.
    pub key: String,
    /// 1-based position in state.bin.
    pub record: u64,
    /// What it looks like (`pem-private-key`, `jwt`, `aws-access-key-id`, `vault-token`).
    pub looks_like: &'static str,
}

/// Collects secret-bearing records and secret-looking KV values.
pub struct ScanSink {
    patterns: SecretPatterns,
    redactor: Redactor,
    /// Records with secrets in known fields.
    pub records: Vec<SecretRecord>,
    /// KV values that look like secrets.
    pub values: Vec<SuspectValue>,
}

impl Default for ScanSink {
    fn default() -> Self {
        ScanSink {
            patterns: SecretPatterns::default(),
            redactor: Redactor::new_random(),
            records: Vec::new(),
            values: Vec::new(),
        }
    }
}

fn may_hold_secrets(t: MessageType) -> bool {
    matches!(
        t,
        MessageType::KVS
            | MessageType::ACL
            | MessageType::ACL_TOKEN
            | MessageType::PREPARED_QUERY
            | MessageType::CONNECT_CA
            | MessageType::CONNECT_CA_PROVIDER_STATE
            | MessageType::CONNECT_CA_CONFIG
            | MessageType::ACL_AUTH_METHOD
            | MessageType::CONFIG_ENTRY
            | MessageType::SYSTEM_METADATA
            | MessageType::PEERING_SECRET
    )
}

impl RecordSink for ScanSink {
    fn wants_value(&mut self, t: MessageType) -> bool {
        may_hold_secrets(t)
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(v) = r.value else { return Ok(()) };
        if !may_hold_secrets(r.mtype) {
            return Ok(());
        }
        if r.mtype == MessageType::KVS {
            if let Ok((val, _)) = crate::go::msgpack::decode(v) {
                if let Some(bytes) = val.get("Value").and_then(|x| x.as_bytes()) {
                    if let Some(name) = self.patterns.looks_like(bytes) {
                        let key = kv_key(v).unwrap_or_default();
                        self.values.push(SuspectValue {
                            key: String::from_utf8_lossy(&key).into_owned(),
                            record: r.number,
                            looks_like: name,
                        });
                    }
                }
            }
            return Ok(());
        }
        let (mut json, id, _) = record_json(r.mtype, v, &Redactor::showing());
        let shown = json.clone();
        let found = self.redactor.redact(r.mtype, &mut json);
        if r.mtype == MessageType::ACL_TOKEN && found.is_empty() {
            // The anonymous token: its SecretID is the well-known value "anonymous".
            self.records.push(SecretRecord {
                id,
                record: r.number,
                field: "/SecretID".into(),
                kind: "well-known (anonymous)".into(),
            });
            return Ok(());
        }
        for f in found {
            // An ACL secret that redact minted for a copy is nobody's credential.
            let minted = f.kind == "acl-secret-id"
                && shown
                    .pointer(&f.path)
                    .and_then(|s| s.as_str())
                    .is_some_and(secrets::is_minted);
            self.records.push(SecretRecord {
                id: id.clone(),
                record: r.number,
                field: f.path,
                kind: if minted {
                    "well-known (minted by redact)".into()
                } else {
                    f.kind.into()
                },
            });
        }
        Ok(())
    }
}

/// Schema id of scan's JSON (docs/scan.schema.json).
pub const SCHEMA: &str = "snapinspect-scan/1";

/// The scan report; its JSON starts with `"schema": "snapinspect-scan/1"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Records with secrets in known fields.
    pub secret_records: Vec<SecretRecord>,
    /// KV values that look like secrets.
    pub suspect_values: Vec<SuspectValue>,
}

impl Serialize for ScanReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ScanReport", 3)?;
        st.serialize_field("schema", SCHEMA)?;
        st.serialize_field("secret_records", &self.secret_records)?;
        st.serialize_field("suspect_values", &self.suspect_values)?;
        st.end()
    }
}

impl ScanReport {
    /// Secrets that count for `--fail-on-secrets` (well-known values do not).
    pub fn count(&self) -> usize {
        self.secret_records
            .iter()
            .filter(|r| !r.kind.starts_with("well-known"))
            .count()
            + self.suspect_values.len()
    }

    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self) -> String {
        crate::report::text(|w| self.write_text(w))
    }

    /// The report as text.
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(w, "Records carrying secrets: {}", self.secret_records.len())?;
        let mut tw = crate::go::tabwriter::TabWriter::for_people();
        tw.line(&[b"  Record", b"Field", b"Kind", b"Identity"]);
        for r in &self.secret_records {
            tw.line(&[
                format!("  #{}", r.record).as_bytes(),
                r.field.as_bytes(),
                r.kind.as_bytes(),
                r.id.as_bytes(),
            ]);
        }
        w.write_all(tw.finish_text().as_bytes())?;
        write!(
            w,
            "\n\nKV values that look like secrets: {}\n",
            self.suspect_values.len()
        )?;
        if !self.suspect_values.is_empty() {
            let mut tw = crate::go::tabwriter::TabWriter::for_people();
            tw.line(&[b"  Record", b"Looks like", b"Key"]);
            for v in &self.suspect_values {
                tw.line(&[
                    format!("  #{}", v.record).as_bytes(),
                    v.looks_like.as_bytes(),
                    v.key.as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }
}
