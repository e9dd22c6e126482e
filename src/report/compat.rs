//! Restore compatibility: which Consul versions know each record type, and whether a target
//! version can restore a snapshot.
//!
//! The versions come from the one message-type table, [`crate::snapshot::msgtype`]; record-level
//! findings (a record a version cannot load although it knows the type) from
//! [`crate::model::shape::ProblemSink`].

use serde::Serialize;

use crate::snapshot::msgtype;
use crate::snapshot::state::MessageType;

pub use crate::version::Version;

/// How one record type fares on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeVerdict {
    /// Type name.
    pub name: String,
    /// Type number.
    pub number: u8,
    /// Records of this type.
    pub count: u64,
    /// First Consul version that knows it, if known.
    pub since: Option<String>,
    /// An Enterprise-only type.
    pub enterprise: bool,
    /// A type snapinspect does not know.
    pub unknown: bool,
    /// Whether the target restores it (`None` without a target).
    pub restorable: Option<bool>,
    /// Why not, in words.
    pub reason: Option<String>,
}

/// Records of one kind that the target cannot load although it knows their type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFinding {
    /// Type name.
    pub record_type: String,
    /// How many records.
    pub count: u64,
    /// The first such record's number.
    pub first_record: u64,
    /// Why, in words.
    pub message: String,
}

/// Schema id of compat's JSON (docs/compat.schema.json).
pub const SCHEMA: &str = "snapinspect-compat/1";

/// The compatibility report of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompatReport {
    /// Schema id, [`SCHEMA`].
    pub schema: &'static str,
    /// The target version, if one was given.
    pub target: Option<String>,
    /// Every record type present.
    pub types: Vec<TypeVerdict>,
    /// The oldest CE version that knows every (non-Enterprise, known) type present.
    pub minimum_version: String,
    /// The first CE version that no longer restores one of the types present, if any.
    pub removed_in: Option<String>,
    /// Whether every type present is one that some Consul version restores from a snapshot.
    pub all_types_known: bool,
    /// Whether the target can restore the snapshot (`None` without a target).
    pub restorable: Option<bool>,
    /// Records the target cannot load although it knows their type (shape changes between
    /// versions, with the issue that records each).
    pub records: Vec<RecordFinding>,
    /// With a CE target of 1.18.2 or later: the Enterprise records a restore in downgrade mode
    /// (CONSUL_ENTERPRISE_DOWNGRADE_TO_CE=true) drops.
    pub downgrade_drops: Option<u64>,
}

/// First CE version whose restore can drop Enterprise records (hashicorp/consul#20977).
const DOWNGRADE_SINCE: Version = Version::ce(1, 18, 2);

/// Judges the record types present (with counts) against an optional target version.
pub fn check(present: &[(MessageType, u64)], target: Option<Version>) -> CompatReport {
    check_records(present, target, Vec::new())
}

/// Like [`check`], with the record-level findings for the target.
pub fn check_records(
    present: &[(MessageType, u64)],
    target: Option<Version>,
    records: Vec<RecordFinding>,
) -> CompatReport {
    let mut minimum = Version::ce(0, 7, 0);
    let mut removed_in: Option<Version> = None;
    let mut all_known = true;
    let mut types = Vec::new();
    let mut enterprise_records = 0;
    for &(t, count) in present {
        let info = msgtype::info(t.0).filter(|i| i.in_snapshots);
        let enterprise = t.is_enterprise();
        let unknown = info.is_none() && !enterprise;
        if unknown {
            all_known = false;
        }
        if enterprise {
            enterprise_records += count;
        }
        if let Some(i) = info {
            if let Some(since) = i.since {
                if since.triple() > minimum.triple() {
                    minimum = since;
                }
            }
            if let Some(r) = i.removed {
                if removed_in.is_none_or(|m| r.triple() < m.triple()) {
                    removed_in = Some(r);
                }
            }
        }
        let (restorable, reason) = match target {
            None => (None, None),
            Some(v) => {
                if enterprise && !v.enterprise {
                    (
                        Some(false),
                        Some(format!("Enterprise type; Consul CE {v} cannot restore it")),
                    )
                } else if enterprise {
                    (Some(true), None)
                } else {
                    match info {
                        None if msgtype::info(t.0).is_some() => (
                            Some(false),
                            Some(
                                "a raft-log operation; no Consul restores it from a snapshot"
                                    .into(),
                            ),
                        ),
                        None => (
                            Some(false),
                            Some(format!(
                                "unknown type {}; no Consul up to {} restores it",
                                t.0,
                                msgtype::KNOWN_UP_TO
                            )),
                        ),
                        Some(i) if i.since.is_some_and(|s| v.triple() < s.triple()) => (
                            Some(false),
                            Some(format!(
                                "first known in Consul {}, newer than {v}",
                                i.since.expect("checked")
                            )),
                        ),
                        Some(i) => match i.removed {
                            Some(u) if v.triple() >= u.triple() => (
                                Some(false),
                                Some(format!("Consul {u} and later no longer restore it")),
                            ),
                            _ => (Some(true), None),
                        },
                    }
                }
            }
        };
        types.push(TypeVerdict {
            name: t.name(),
            number: t.0,
            count,
            since: info.and_then(|i| i.since).map(|v| v.to_string()),
            enterprise,
            unknown,
            restorable,
            reason,
        });
    }
    let restorable =
        target.map(|_| types.iter().all(|t| t.restorable == Some(true)) && records.is_empty());
    let downgrade_drops = match target {
        Some(v)
            if !v.enterprise
                && v.triple() >= DOWNGRADE_SINCE.triple()
                && enterprise_records > 0 =>
        {
            Some(enterprise_records)
        }
        _ => None,
    };
    let all_types_known = all_known && removed_in.is_none_or(|r| minimum.triple() < r.triple());
    CompatReport {
        schema: SCHEMA,
        target: target.map(|v| v.to_string()),
        types,
        minimum_version: minimum.to_string(),
        removed_in: removed_in.map(|v| v.to_string()),
        all_types_known,
        restorable,
        records,
        downgrade_drops,
    }
}

impl CompatReport {
    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self) -> String {
        crate::report::text(|w| self.write_text(w))
    }

    /// The report as a table and a verdict line.
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut tw = crate::go::tabwriter::TabWriter::for_people();
        tw.line(&[b"Type", b"Records", b"Since", b"Restorable", b"Note"]);
        for t in &self.types {
            let since = t.since.clone().unwrap_or_else(|| {
                if t.enterprise {
                    "Enterprise".into()
                } else {
                    "unknown".into()
                }
            });
            let r = match t.restorable {
                None => "-",
                Some(true) => "yes",
                Some(false) => "NO",
            };
            tw.line(&[
                t.name.as_bytes(),
                t.count.to_string().as_bytes(),
                since.as_bytes(),
                r.as_bytes(),
                t.reason.clone().unwrap_or_default().as_bytes(),
            ]);
        }
        for line in tw.finish_text().lines() {
            writeln!(w, "{}", line.trim_end())?;
        }
        if !self.records.is_empty() {
            w.write_all(b"\nRecords the target cannot load:\n")?;
            for r in &self.records {
                writeln!(
                    w,
                    "  {} {} record(s), first record {}: {}",
                    r.count, r.record_type, r.first_record, r.message
                )?;
            }
        }
        if let (Some(v), Some(n)) = (&self.target, self.downgrade_drops) {
            write!(
                    w,
                "\nWith CONSUL_ENTERPRISE_DOWNGRADE_TO_CE=true, Consul CE {v} restores it and drops the {n} Enterprise record(s) (hashicorp/consul#20977).\n"
            )?;
        }
        w.write_all(b"\n")?;
        match (&self.target, self.restorable) {
            (Some(v), Some(true)) => {
                writeln!(w, "Consul {v} can restore this snapshot.")
            }
            (Some(v), _) => {
                let n = self
                    .types
                    .iter()
                    .filter(|t| t.restorable == Some(false))
                    .count();
                let records = self.records.iter().map(|r| r.count).sum::<u64>();
                writeln!(
                    w,
                    "Consul {v} can NOT restore this snapshot: {n} record type(s) and {records} record(s) above are not restorable."
                )
            }
            _ if !self.all_types_known => writeln!(
                w,
                "No Consul up to {} restores every record type above.",
                msgtype::KNOWN_UP_TO
            ),
            _ => match &self.removed_in {
                Some(r) => writeln!(
                    w,
                    "Every record type is known to Consul {} and later (CE), before {r}.",
                    self.minimum_version
                ),
                None => writeln!(
                    w,
                    "Every record type is known to Consul {} and later (CE).",
                    self.minimum_version
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Version::parse("1.8.7"), Some(Version::ce(1, 8, 7)));
        assert_eq!(Version::parse("v1.16"), Some(Version::ce(1, 16, 0)));
        assert!(Version::parse("1.15.2+ent").unwrap().enterprise);
        assert!(Version::parse("x").is_none());
        assert!(Version::ce(1, 10, 0).triple() > Version::ce(1, 9, 9).triple());
    }

    #[test]
    fn verdicts() {
        let present = [(MessageType(2), 3), (MessageType(30), 1)];
        assert_eq!(
            check(&present, Some(Version::ce(1, 8, 0))).restorable,
            Some(true)
        );
        let r = check(&present, Some(Version::ce(1, 7, 4)));
        assert_eq!(r.restorable, Some(false));
        assert!(r.types[1].reason.as_deref().unwrap().contains("1.8.0"));
        assert_eq!(r.minimum_version, "1.8.0");
        let ent = [(MessageType(65), 1)];
        assert_eq!(
            check(&ent, Some(Version::ce(1, 18, 0))).restorable,
            Some(false)
        );
        assert_eq!(
            check(&[(MessageType(44), 1)], Some(Version::ce(1, 18, 0))).restorable,
            Some(false)
        );
        assert_eq!(
            check(&[(MessageType(4), 1)], Some(Version::ce(1, 15, 0))).restorable,
            Some(false)
        );
        assert_eq!(
            check(&[(MessageType(4), 1)], Some(Version::ce(1, 11, 0))).restorable,
            Some(true)
        );
    }
}
