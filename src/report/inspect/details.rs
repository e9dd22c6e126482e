//! Why a snapshot is big and where it came from: the `inspect --details` report.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use serde::Serialize;

use crate::error::Result;
use crate::go::msgpack::{self, Value};
use crate::go::tabwriter::TabWriter;
use crate::report::inspect::{byte_size, kv_prefix};
use crate::snapshot::archive::Snapshot;
use crate::snapshot::meta::SnapshotMeta;
use crate::snapshot::state::{MessageType, Record, RecordSink};

/// Options of the details report.
#[derive(Debug, Clone)]
pub struct DetailsOptions {
    /// How many of the largest KV entries and records to list.
    pub top: usize,
    /// At most this many entries in every other list too (types, nodes, services, KV tree);
    /// `None` lists them all.
    pub limit: Option<usize>,
    /// Key prefix depth of the KV tree.
    pub kv_depth: usize,
    /// The time "now" in Unix milliseconds, for the snapshot's age.
    pub now_unix_ms: u64,
}

/// Lossy text of raw bytes, for display.
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One of the largest KV entries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TopKv {
    /// Bytes of the value.
    pub value_bytes: u64,
    /// Bytes of the whole record (type byte and msgpack).
    pub record_bytes: u64,
    /// The key.
    pub key: String,
}

/// One of the largest records; ordered by size, then the earlier first (what a top N keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopRecord {
    /// Bytes of the record (type byte and msgpack).
    pub bytes: u64,
    /// 1-based position in state.bin.
    pub number: u64,
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// What the record is about (KV key, node/service, ...), when known.
    pub subject: String,
}

impl Ord for TopRecord {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.bytes
            .cmp(&o.bytes)
            .then_with(|| o.number.cmp(&self.number))
    }
}

impl PartialOrd for TopRecord {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Catalog figures of one node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeStats {
    /// Register records (the node itself, its services and checks).
    pub registers: u64,
    /// Service registrations.
    pub services: u64,
    /// Check registrations.
    pub checks: u64,
    /// Checks that are not passing.
    pub unhealthy_checks: u64,
    /// Sessions held by the node.
    pub sessions: u64,
    /// Network coordinates of the node.
    pub coordinates: u64,
    /// Bytes of its Register records, as Consul's inspect counts them.
    pub register_bytes: u64,
}

/// Catalog figures of one service name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceStats {
    /// Service instances.
    pub instances: u64,
    /// Checks bound to the service's instances.
    pub checks: u64,
    /// Bytes of its Register records, as Consul's inspect counts them.
    pub register_bytes: u64,
}

/// Figures of one KV prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefixStats {
    /// Keys under the prefix.
    pub keys: u64,
    /// Bytes of their values.
    pub value_bytes: u64,
    /// Bytes of their records, as Consul's inspect counts them.
    pub record_bytes: u64,
}

/// Where a snapshot came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Datacenters named by catalog registrations.
    pub datacenters: Vec<String>,
    /// Raft servers from meta.json: (ID, address, suffrage).
    pub raft_servers: Vec<RaftServer>,
    /// Consul versions of the servers, from their `consul` service registrations.
    pub server_versions: BTreeMap<String, String>,
    /// Creation time (RFC 3339, UTC) from the snapshot ID.
    pub created: Option<String>,
    /// Age in seconds at the time of the report.
    pub age_seconds: Option<u64>,
}

/// A raft server in the snapshot's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaftServer {
    /// Server ID.
    pub id: String,
    /// RPC address.
    pub address: String,
    /// voter, nonvoter or staging.
    pub suffrage: String,
}

/// Collects the details while records stream by.
pub struct DetailsSink {
    opts: DetailsOptions,
    top_kv: BinaryHeap<Reverse<TopKv>>,
    top_records: BinaryHeap<Reverse<TopRecord>>,
    nodes: HashMap<String, NodeStats>,
    services: HashMap<String, ServiceStats>,
    kv_tree: HashMap<Vec<u8>, PrefixStats>,
    tombstones: u64,
    datacenters: BTreeMap<String, ()>,
    versions: BTreeMap<String, String>,
}

fn push_top<T: Ord>(heap: &mut BinaryHeap<Reverse<T>>, item: T, n: usize) {
    if n == 0 {
        return;
    }
    if heap.len() < n {
        heap.push(Reverse(item));
    } else if let Some(Reverse(min)) = heap.peek() {
        if item > *min {
            heap.pop();
            heap.push(Reverse(item));
        }
    }
}

/// Keeps the first `n` entries; returns how many were dropped.
fn truncate<T>(v: &mut Vec<T>, n: usize) -> u64 {
    let dropped = v.len().saturating_sub(n) as u64;
    v.truncate(n);
    dropped
}

fn str_of(v: Option<&Value<'_>>) -> String {
    v.and_then(|v| v.as_bytes()).map(text).unwrap_or_default()
}

impl DetailsSink {
    /// A collector for these options.
    pub fn new(opts: DetailsOptions) -> Self {
        DetailsSink {
            opts,
            top_kv: BinaryHeap::new(),
            top_records: BinaryHeap::new(),
            nodes: HashMap::new(),
            services: HashMap::new(),
            kv_tree: HashMap::new(),
            tombstones: 0,
            datacenters: BTreeMap::new(),
            versions: BTreeMap::new(),
        }
    }

    fn register(&mut self, v: &Value<'_>, size: u64) -> String {
        let node = str_of(v.get("Node"));
        let dc = str_of(v.get("Datacenter"));
        if !dc.is_empty() {
            self.datacenters.insert(dc, ());
        }
        let service = v.get("Service").filter(|s| !s.is_nil());
        let check = v.get("Check").filter(|c| !c.is_nil());
        let ns = self.nodes.entry(node.clone()).or_default();
        ns.registers += 1;
        ns.register_bytes += size;
        if let Some(s) = service {
            ns.services += 1;
            let name = str_of(s.get("Service"));
            if name == "consul" {
                if let Some(ver) = s
                    .get("Meta")
                    .and_then(|m| m.get("version"))
                    .and_then(|v| v.as_bytes())
                {
                    self.versions.insert(node.clone(), text(ver));
                }
            }
            let st = self.services.entry(name.clone()).or_default();
            st.instances += 1;
            st.register_bytes += size;
            format!("{node}/service {}", str_of(s.get("ID")))
        } else if let Some(c) = check {
            ns.checks += 1;
            if str_of(c.get("Status")) != "passing" {
                ns.unhealthy_checks += 1;
            }
            let svc = str_of(c.get("ServiceName"));
            let key = if svc.is_empty() {
                "(node checks)".to_string()
            } else {
                svc
            };
            let st = self.services.entry(key).or_default();
            st.checks += 1;
            st.register_bytes += size;
            format!("{node}/check {}", str_of(c.get("CheckID")))
        } else {
            let st = self
                .services
                .entry("(node registrations)".into())
                .or_default();
            st.register_bytes += size;
            format!("{node}/node")
        }
    }

    /// Builds the report once the snapshot has been read.
    pub fn report(self, snap: &Snapshot) -> Details {
        let total: u64 = snap.types().map(|(_, s)| s.size).sum();
        let mut types: Vec<TypeShare> = snap
            .types()
            .map(|(t, s)| TypeShare {
                name: t.name(),
                count: s.count,
                bytes: s.size,
                percent: if total == 0 {
                    0.0
                } else {
                    (s.size as f64 * 1000.0 / total as f64).round() / 10.0
                },
            })
            .collect();
        types.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
        let mut top_kv: Vec<TopKv> = self.top_kv.into_iter().map(|Reverse(t)| t).collect();
        top_kv.sort_by(|a, b| b.cmp(a));
        let mut top_records: Vec<TopRecord> =
            self.top_records.into_iter().map(|Reverse(t)| t).collect();
        top_records.sort_by(|a, b| b.cmp(a));
        let mut nodes: Vec<(String, NodeStats)> = self.nodes.into_iter().collect();
        nodes.sort_by(|a, b| {
            b.1.register_bytes
                .cmp(&a.1.register_bytes)
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut services: Vec<(String, ServiceStats)> = self.services.into_iter().collect();
        services.sort_by(|a, b| {
            b.1.register_bytes
                .cmp(&a.1.register_bytes)
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut kv_tree: Vec<(String, PrefixStats)> = self
            .kv_tree
            .into_iter()
            .map(|(k, v)| (text(&k), v))
            .collect();
        kv_tree.sort_by(|a, b| {
            b.1.record_bytes
                .cmp(&a.1.record_bytes)
                .then_with(|| a.0.cmp(&b.0))
        });
        let limit = self.opts.limit;
        let mut omitted = Omitted::default();
        if let Some(n) = limit {
            omitted.types = truncate(&mut types, n);
            omitted.nodes = truncate(&mut nodes, n);
            omitted.services = truncate(&mut services, n);
            omitted.kv_tree = truncate(&mut kv_tree, n);
        }
        Details {
            schema: SCHEMA,
            limit,
            omitted,
            provenance: provenance(
                &snap.meta,
                self.datacenters.into_keys().collect(),
                self.versions,
                self.opts.now_unix_ms,
            ),
            types,
            total_bytes: total,
            top_kv,
            top_records,
            nodes: nodes
                .into_iter()
                .map(|(name, stats)| Named { name, stats })
                .collect(),
            services: services
                .into_iter()
                .map(|(name, stats)| Named { name, stats })
                .collect(),
            tombstones: self.tombstones,
            kv_depth: self.opts.kv_depth,
            kv_tree: kv_tree
                .into_iter()
                .map(|(name, stats)| Named { name, stats })
                .collect(),
        }
    }
}

impl RecordSink for DetailsSink {
    fn wants_value(&mut self, t: MessageType) -> bool {
        matches!(
            t,
            MessageType::KVS
                | MessageType::REGISTER
                | MessageType::SESSION
                | MessageType::COORDINATE_BATCH_UPDATE
                | MessageType::TOMBSTONE
        ) || self.opts.top > 0
    }

    fn record(&mut self, r: &Record<'_>) -> Result<()> {
        let Some(bytes) = r.value else { return Ok(()) };
        let value = msgpack::decode(bytes).ok().map(|(v, _)| v);
        let mut subject = String::new();
        if let Some(v) = &value {
            match r.mtype {
                MessageType::KVS => {
                    let key = v.get("Key").and_then(|k| k.as_bytes()).unwrap_or_default();
                    let value_len = v
                        .get("Value")
                        .and_then(|x| x.as_bytes())
                        .map(|x| x.len())
                        .unwrap_or(0) as u64;
                    subject = text(key);
                    push_top(
                        &mut self.top_kv,
                        TopKv {
                            value_bytes: value_len,
                            record_bytes: r.len,
                            key: subject.clone(),
                        },
                        self.opts.top,
                    );
                    let p = self
                        .kv_tree
                        .entry(kv_prefix(key, self.opts.kv_depth).to_vec())
                        .or_default();
                    p.keys += 1;
                    p.value_bytes += value_len;
                    p.record_bytes += r.consul_size;
                }
                MessageType::REGISTER => subject = self.register(v, r.consul_size),
                MessageType::SESSION => {
                    let node = str_of(v.get("Node"));
                    self.nodes.entry(node.clone()).or_default().sessions += 1;
                    subject = format!("{node}/session {}", str_of(v.get("ID")));
                }
                MessageType::COORDINATE_BATCH_UPDATE => {
                    if let Value::Array(items) = v {
                        for c in items {
                            let node = str_of(c.get("Node"));
                            self.nodes.entry(node.clone()).or_default().coordinates += 1;
                            subject = node;
                        }
                    }
                }
                MessageType::TOMBSTONE => {
                    self.tombstones += 1;
                    subject = str_of(v.get("Key"));
                }
                // A legacy ACL's ID is its secret: never show it.
                MessageType::ACL => subject = str_of(v.get("Name")),
                _ => {
                    for k in ["Key", "Name", "ID", "AccessorID"] {
                        let s = str_of(v.get(k));
                        if !s.is_empty() {
                            subject = s;
                            break;
                        }
                    }
                }
            }
        }
        push_top(
            &mut self.top_records,
            TopRecord {
                bytes: r.len,
                number: r.number,
                type_name: r.mtype.name(),
                subject,
            },
            self.opts.top,
        );
        Ok(())
    }
}

/// Share of one record type in the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeShare {
    /// Type name.
    pub name: String,
    /// Records.
    pub count: u64,
    /// Bytes, as Consul's inspect counts them.
    pub bytes: u64,
    /// Percent of all record bytes, one decimal.
    pub percent: f64,
}

/// A name with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named<T> {
    /// Node name, service name or key prefix.
    pub name: String,
    /// Its figures.
    #[serde(flatten)]
    pub stats: T,
}

/// Schema id of the details report's JSON (docs/details.schema.json).
pub const SCHEMA: &str = "snapinspect-details/1";

/// How many entries `--top` left out of each bounded list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// Record types.
    pub types: u64,
    /// Nodes.
    pub nodes: u64,
    /// Service names.
    pub services: u64,
    /// KV prefixes.
    pub kv_tree: u64,
}

/// The `inspect --details` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Details {
    /// Schema id, [`SCHEMA`].
    pub schema: &'static str,
    /// The bound on every list (`--top`); `None`: only top_kv and top_records are bounded.
    pub limit: Option<usize>,
    /// Entries the bound left out, per list.
    pub omitted: Omitted,
    /// Where the snapshot came from.
    pub provenance: Provenance,
    /// Types by share of the total, largest first.
    pub types: Vec<TypeShare>,
    /// All record bytes (state.bin's length).
    pub total_bytes: u64,
    /// The largest KV entries by value size.
    pub top_kv: Vec<TopKv>,
    /// The largest records.
    pub top_records: Vec<TopRecord>,
    /// Catalog figures per node, by Register bytes.
    pub nodes: Vec<Named<NodeStats>>,
    /// Catalog figures per service name, by Register bytes; node registrations and node
    /// checks have buckets of their own so that the column sums to the Register total.
    pub services: Vec<Named<ServiceStats>>,
    /// KV tombstones.
    pub tombstones: u64,
    /// Depth of the KV tree.
    pub kv_depth: usize,
    /// KV figures per key prefix.
    pub kv_tree: Vec<Named<PrefixStats>>,
}

/// Schema id of `inspect --meta --format json` (docs/inspect-meta.schema.json).
pub const META_SCHEMA: &str = "snapinspect-inspect-meta/1";

/// The meta block alone (`inspect --meta`): meta.json's fields and the creation time the ID
/// carries (`term-index-unixms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetaBlock {
    /// Schema id, [`META_SCHEMA`].
    pub schema: &'static str,
    /// Snapshot ID.
    pub id: String,
    /// meta.json Size.
    pub size: i64,
    /// Raft index.
    pub index: u64,
    /// Raft term.
    pub term: u64,
    /// Metadata version.
    pub version: i64,
    /// Creation time, Unix milliseconds, from the ID (`None` when the ID has none).
    pub created_unix_ms: Option<u64>,
    /// The same as RFC 3339, UTC.
    pub created: Option<String>,
}

impl MetaBlock {
    /// The block of a snapshot's meta.
    pub fn new(m: &SnapshotMeta) -> MetaBlock {
        let created_unix_ms = m.created_unix_ms();
        MetaBlock {
            schema: META_SCHEMA,
            id: m.id.clone(),
            size: m.size,
            index: m.index,
            term: m.term,
            version: m.version,
            created_unix_ms,
            created: created_unix_ms.map(rfc3339_utc),
        }
    }

    /// Consul's meta block (the first lines of `consul snapshot inspect`), then `Created`.
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut tw = TabWriter::new(8, 6);
        let (size, index) = (self.size.to_string(), self.index.to_string());
        let (term, version) = (self.term.to_string(), self.version.to_string());
        let mut rows = vec![(" ID", &self.id), (" Size", &size), (" Index", &index)];
        rows.extend([(" Term", &term), (" Version", &version)]);
        rows.extend(self.created.as_ref().map(|c| (" Created", c)));
        for (k, v) in rows {
            tw.line(&[k.as_bytes(), v.as_bytes()]);
        }
        w.write_all(&tw.finish())?;
        w.write_all(b"\n")
    }
}

/// RFC 3339 (UTC, milliseconds) of a Unix time in milliseconds.
pub fn rfc3339_utc(unix_ms: u64) -> String {
    let secs = (unix_ms / 1000) as i64;
    let ms = unix_ms % 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn provenance(
    meta: &SnapshotMeta,
    datacenters: Vec<String>,
    versions: BTreeMap<String, String>,
    now_ms: u64,
) -> Provenance {
    let created_ms = meta.created_unix_ms();
    Provenance {
        datacenters,
        raft_servers: meta
            .servers
            .iter()
            .flatten()
            .map(|s| RaftServer {
                id: s.id.clone(),
                address: s.address.clone(),
                suffrage: match s.suffrage {
                    0 => "voter".into(),
                    1 => "nonvoter".into(),
                    2 => "staging".into(),
                    n => format!("unknown({n})"),
                },
            })
            .collect(),
        server_versions: versions,
        created: created_ms.map(rfc3339_utc),
        age_seconds: created_ms.map(|c| now_ms.saturating_sub(c) / 1000),
    }
}

/// Renders a duration in seconds as `3d4h`, `5h12m`, `42s`.
pub fn human_age(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// The line under a list that `--top` cut short.
fn more(w: &mut dyn std::io::Write, n: u64, what: &str) -> std::io::Result<()> {
    if n > 0 {
        write!(w, "\n  ... and {n} more {what} (raise --top to list them)")?;
    }
    Ok(())
}

impl Details {
    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self) -> String {
        crate::report::text(|w| self.write_text(w))
    }

    /// The report as text sections.
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let p = &self.provenance;
        w.write_all("Provenance\n".as_bytes())?;
        let mut tw = TabWriter::for_people();
        tw.line(&[b"  Datacenter", p.datacenters.join(", ").as_bytes()]);
        if let Some(c) = &p.created {
            let age = p
                .age_seconds
                .map(|a| format!(" ({} ago)", human_age(a)))
                .unwrap_or_default();
            tw.line(&[b"  Created", format!("{c}{age}").as_bytes()]);
        }
        for s in &p.raft_servers {
            tw.line(&[
                b"  Raft server",
                format!("{} {} ({})", s.address, s.id, s.suffrage).as_bytes(),
            ]);
        }
        for (node, v) in &p.server_versions {
            tw.line(&[b"  Consul version", format!("{v} on {node}").as_bytes()]);
        }
        w.write_all(tw.finish_text().as_bytes())?;
        w.write_all("\n\nShare of the snapshot by type\n".as_bytes())?;
        let mut tw = TabWriter::for_people();
        tw.line(&[b"  Type", b"Count", b"Size", b"Share"]);
        for t in &self.types {
            tw.line(&[
                format!("  {}", t.name).as_bytes(),
                t.count.to_string().as_bytes(),
                byte_size(t.bytes).as_bytes(),
                format!("{:.1}%", t.percent).as_bytes(),
            ]);
        }
        w.write_all(tw.finish_text().as_bytes())?;
        more(w, self.omitted.types, "types")?;
        if !self.top_kv.is_empty() {
            write!(w, "\n\nLargest KV entries (top {})\n", self.top_kv.len())?;
            let mut tw = TabWriter::for_people();
            tw.line(&[b"  Value bytes", b"Record bytes", b"Key"]);
            for k in &self.top_kv {
                tw.line(&[
                    format!("  {}", k.value_bytes).as_bytes(),
                    k.record_bytes.to_string().as_bytes(),
                    k.key.as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
        }
        if !self.top_records.is_empty() {
            write!(w, "\n\nLargest records (top {})\n", self.top_records.len())?;
            let mut tw = TabWriter::for_people();
            tw.line(&[b"  Bytes", b"Record", b"Type", b"Subject"]);
            for r in &self.top_records {
                tw.line(&[
                    format!("  {}", r.bytes).as_bytes(),
                    format!("#{}", r.number).as_bytes(),
                    r.type_name.as_bytes(),
                    r.subject.as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
        }
        if !self.nodes.is_empty() {
            w.write_all("\n\nCatalog by node\n".as_bytes())?;
            let mut tw = TabWriter::for_people();
            tw.line(&[
                b"  Node",
                b"Registers",
                b"Services",
                b"Checks",
                b"Unhealthy",
                b"Sessions",
                b"Coords",
                b"Bytes",
            ]);
            // Without a bound the JSON has every node; the text shows the largest ten.
            let shown = self.nodes.len().min(self.limit.unwrap_or(10));
            for n in &self.nodes[..shown] {
                let s = &n.stats;
                tw.line(&[
                    format!("  {}", n.name).as_bytes(),
                    s.registers.to_string().as_bytes(),
                    s.services.to_string().as_bytes(),
                    s.checks.to_string().as_bytes(),
                    s.unhealthy_checks.to_string().as_bytes(),
                    s.sessions.to_string().as_bytes(),
                    s.coordinates.to_string().as_bytes(),
                    s.register_bytes.to_string().as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
            if shown < self.nodes.len() {
                write!(
                    w,
                    "\n  ... and {} more nodes (all of them with --format json)",
                    self.nodes.len() - shown
                )?;
            }
            more(w, self.omitted.nodes, "nodes")?;
            w.write_all("\n\nCatalog by service\n".as_bytes())?;
            let mut tw = TabWriter::for_people();
            tw.line(&[b"  Service", b"Instances", b"Checks", b"Bytes"]);
            for n in &self.services {
                let s = &n.stats;
                tw.line(&[
                    format!("  {}", n.name).as_bytes(),
                    s.instances.to_string().as_bytes(),
                    s.checks.to_string().as_bytes(),
                    s.register_bytes.to_string().as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
            more(w, self.omitted.services, "services")?;
        }
        if !self.kv_tree.is_empty() {
            write!(
                w,
                "\n\nKV tree at depth {} ({} tombstones)\n",
                self.kv_depth, self.tombstones
            )?;
            let mut tw = TabWriter::for_people();
            tw.line(&[b"  Prefix", b"Keys", b"Value bytes", b"Record bytes"]);
            for n in &self.kv_tree {
                let s = &n.stats;
                tw.line(&[
                    format!("  {}", n.name).as_bytes(),
                    s.keys.to_string().as_bytes(),
                    s.value_bytes.to_string().as_bytes(),
                    s.record_bytes.to_string().as_bytes(),
                ]);
            }
            w.write_all(tw.finish_text().as_bytes())?;
            more(w, self.omitted.kv_tree, "prefixes")?;
        }
        w.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ages() {
        assert_eq!(rfc3339_utc(1_602_222_343_947), "2020-10-09T05:45:43.947Z");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(human_age(90_061), "1d1h");
        assert_eq!(human_age(59), "59s");
    }

    #[test]
    fn top_keeps_the_largest() {
        let mut h = BinaryHeap::new();
        for i in [5u64, 1, 9, 3, 7] {
            push_top(&mut h, i, 3);
        }
        let mut v: Vec<u64> = h.into_iter().map(|Reverse(x)| x).collect();
        v.sort();
        assert_eq!(v, vec![5, 7, 9]);
    }
}
