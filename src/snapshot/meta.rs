//! `meta.json`: raft's snapshot metadata, parsed leniently as Go does and written as Go writes it.

use base64::Engine;
use serde_json::Value as Json;

use crate::go::json;

/// One raft server in the snapshot's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Server {
    /// 0 voter, 1 nonvoter, 2 staging.
    pub suffrage: i64,
    /// Server ID (usually the node UUID).
    #[serde(rename = "ID")]
    pub id: String,
    /// RPC address, `host:port`.
    pub address: String,
}

/// raft.SnapshotMeta, the content of `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotMeta {
    /// Snapshot metadata format version (raft writes 1).
    pub version: i64,
    /// `<term>-<index>-<unix milliseconds>`.
    pub id: String,
    /// Raft index of the last entry in the snapshot.
    pub index: u64,
    /// Raft term.
    pub term: u64,
    /// Legacy peer list (msgpack bytes), `None` for JSON null.
    pub peers: Option<Vec<u8>>,
    /// Raft servers; `None` for JSON null.
    pub servers: Option<Vec<Server>>,
    /// Raft index of the configuration.
    pub configuration_index: u64,
    /// Length of `state.bin` in bytes.
    pub size: i64,
    /// CRC-64/ECMA of state.bin, big-endian, present only in raft snapshot directories.
    pub crc: Option<Vec<u8>>,
}

/// Largest `meta.json` accepted; real ones are a few hundred bytes.
pub const MAX_META_BYTES: u64 = 1 << 20;

fn field<'a>(obj: &'a serde_json::Map<String, Json>, name: &str) -> Option<&'a Json> {
    // Go matches an exact key first, then any key equal under case folding; the last such
    // key in the document wins, as Go overwrites on each match.
    let mut found = None;
    for (k, v) in obj {
        if k == name || k.eq_ignore_ascii_case(name) {
            found = Some(v);
        }
    }
    found
}

fn uint(obj: &serde_json::Map<String, Json>, name: &str) -> Result<u64, String> {
    match field(obj, name) {
        None | Some(Json::Null) => Ok(0),
        Some(Json::Number(n)) => n.as_u64().ok_or_else(|| {
            format!("json: cannot unmarshal number {n} into field {name} of type uint64")
        }),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into field {name} of type uint64",
            kind(other)
        )),
    }
}

fn int(obj: &serde_json::Map<String, Json>, name: &str) -> Result<i64, String> {
    match field(obj, name) {
        None | Some(Json::Null) => Ok(0),
        Some(Json::Number(n)) => n.as_i64().ok_or_else(|| {
            format!("json: cannot unmarshal number {n} into field {name} of type int64")
        }),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into field {name} of type int64",
            kind(other)
        )),
    }
}

fn string(obj: &serde_json::Map<String, Json>, name: &str) -> Result<String, String> {
    match field(obj, name) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into field {name} of type string",
            kind(other)
        )),
    }
}

fn bytes(obj: &serde_json::Map<String, Json>, name: &str) -> Result<Option<Vec<u8>>, String> {
    match field(obj, name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(Some)
            .map_err(|e| format!("field {name} is not valid base64: {e}")),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into field {name} of type []uint8",
            kind(other)
        )),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

impl SnapshotMeta {
    /// Parses meta.json as Go's `encoding/json` would into raft.SnapshotMeta.
    pub fn parse(data: &[u8]) -> Result<SnapshotMeta, String> {
        let json: Json = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        let obj = match &json {
            Json::Object(o) => o,
            other => {
                return Err(format!(
                    "json: cannot unmarshal {} into raft.SnapshotMeta",
                    kind(other)
                ))
            }
        };
        let servers = match field(obj, "Configuration") {
            None | Some(Json::Null) => None,
            Some(Json::Object(c)) => match field(c, "Servers") {
                None | Some(Json::Null) => None,
                Some(Json::Array(list)) => {
                    let mut out = Vec::with_capacity(list.len());
                    for s in list {
                        match s {
                            Json::Object(s) => out.push(Server {
                                suffrage: int(s, "Suffrage")?,
                                id: string(s, "ID")?,
                                address: string(s, "Address")?,
                            }),
                            Json::Null => out.push(Server::default()),
                            other => {
                                return Err(format!(
                                    "json: cannot unmarshal {} into raft.Server",
                                    kind(other)
                                ))
                            }
                        }
                    }
                    Some(out)
                }
                Some(other) => {
                    return Err(format!(
                        "json: cannot unmarshal {} into field Servers",
                        kind(other)
                    ))
                }
            },
            Some(other) => {
                return Err(format!(
                    "json: cannot unmarshal {} into field Configuration",
                    kind(other)
                ))
            }
        };
        Ok(SnapshotMeta {
            version: int(obj, "Version")?,
            id: string(obj, "ID")?,
            index: uint(obj, "Index")?,
            term: uint(obj, "Term")?,
            peers: bytes(obj, "Peers")?,
            servers,
            configuration_index: uint(obj, "ConfigurationIndex")?,
            size: int(obj, "Size")?,
            crc: bytes(obj, "CRC")?,
        })
    }

    /// The snapshot's creation time in Unix milliseconds, from the third part of its ID.
    pub fn created_unix_ms(&self) -> Option<u64> {
        let mut parts = self.id.split('-');
        let (_term, _index, ms) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        ms.parse().ok()
    }

    /// The JSON object Go writes for this meta (no trailing newline, no `CRC`).
    pub fn to_go_json(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str(&format!("{{\"Version\":{},\"ID\":", self.version));
        json::write_str(&mut s, self.id.as_bytes());
        s.push_str(&format!(
            ",\"Index\":{},\"Term\":{},\"Peers\":",
            self.index, self.term
        ));
        match &self.peers {
            None => s.push_str("null"),
            Some(p) => {
                s.push('"');
                s.push_str(&base64::engine::general_purpose::STANDARD.encode(p));
                s.push('"');
            }
        }
        s.push_str(",\"Configuration\":{\"Servers\":");
        match &self.servers {
            None => s.push_str("null"),
            Some(list) => {
                s.push('[');
                for (i, srv) in list.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&format!("{{\"Suffrage\":{},\"ID\":", srv.suffrage));
                    json::write_str(&mut s, srv.id.as_bytes());
                    s.push_str(",\"Address\":");
                    json::write_str(&mut s, srv.address.as_bytes());
                    s.push('}');
                }
                s.push(']');
            }
        }
        s.push_str(&format!(
            "}},\"ConfigurationIndex\":{},\"Size\":{}}}",
            self.configuration_index, self.size
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSTREAM: &str = r#"{"Version":1,"ID":"2-13-1602222343947","Index":13,"Term":2,"Peers":"ka4xMjcuMC4wLjE6ODMwMA==","Configuration":{"Servers":[{"Suffrage":0,"ID":"a577b288-b354-770e-e909-da0972eb20e8","Address":"127.0.0.1:8300"}]},"ConfigurationIndex":1,"Size":5141}"#;

    #[test]
    fn round_trips_consul_meta_byte_for_byte() {
        let m = SnapshotMeta::parse(UPSTREAM.as_bytes()).unwrap();
        assert_eq!(m.index, 13);
        assert_eq!(m.size, 5141);
        assert_eq!(m.peers.as_deref(), Some(&b"\x91\xae127.0.0.1:8300"[..]));
        assert_eq!(m.to_go_json(), UPSTREAM);
        assert_eq!(m.created_unix_ms(), Some(1602222343947));
    }

    #[test]
    fn lenient_like_go() {
        let m = SnapshotMeta::parse(
            b"  {\"index\": 5, \"CRC\": \"AAAAAAAAAAE=\", \"Other\": [1]  }   \n",
        )
        .unwrap();
        assert_eq!(m.index, 5);
        assert_eq!(m.crc.unwrap(), vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(SnapshotMeta::parse(b"{\"Index\": -1}").is_err());
        assert!(SnapshotMeta::parse(b"{\"Index\": 1} x").is_err());
        assert!(SnapshotMeta::parse(b"[]").is_err());
    }
}
