//! Restore compatibility: which Consul versions know each record type, and whether a target
//! version can restore a snapshot.
//!
//! The version table below is the one place that records when each message type appeared in
//! Consul (CE). It follows Consul's changelog and source history: snapshots exist since 0.7.0,
//! so types older than that are listed as 0.7.0. Types marked "never in snapshots" are raft
//! log operations that a snapshot does not contain.

use serde::Serialize;

use crate::state::MessageType;

/// A Consul version, `major.minor.patch`, with an Enterprise flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// Enterprise build (`+ent`).
    pub enterprise: bool,
}

impl Version {
    const fn ce(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
            enterprise: false,
        }
    }

    /// Parses `1.8.7`, `v1.16`, `1.15.2+ent` or `1.15.2-ent`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let (core, enterprise) = match s.find(['+', '-']) {
            Some(i) => (&s[..i], s[i + 1..].contains("ent")),
            None => (s, false),
        };
        let mut it = core.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map(|m| m.parse().ok()).unwrap_or(Some(0))?;
        let patch = it.next().map(|p| p.parse().ok()).unwrap_or(Some(0))?;
        if it.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            enterprise,
        })
    }

    fn triple(self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}{}",
            self.major,
            self.minor,
            self.patch,
            if self.enterprise { "+ent" } else { "" }
        )
    }
}

/// What the table knows of one message type.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    /// The message type number.
    pub number: u8,
    /// First Consul version that writes and restores it.
    pub since: Version,
    /// Last Consul version that restores it, if support was removed.
    pub restorable_until: Option<Version>,
}

/// When each message type appeared (Consul CE).
pub const TABLE: &[TypeInfo] = &[
    TypeInfo {
        number: 0,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // Register
    TypeInfo {
        number: 2,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // KVS
    TypeInfo {
        number: 3,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // Session
    // Legacy ACLs: the legacy ACL system was removed in 1.11.0.
    TypeInfo {
        number: 4,
        since: Version::ce(0, 7, 0),
        restorable_until: Some(Version::ce(1, 10, 12)),
    },
    TypeInfo {
        number: 5,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // Tombstone
    TypeInfo {
        number: 6,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // CoordinateBatchUpdate
    TypeInfo {
        number: 7,
        since: Version::ce(0, 7, 0),
        restorable_until: None,
    }, // PreparedQuery
    TypeInfo {
        number: 9,
        since: Version::ce(0, 8, 0),
        restorable_until: None,
    }, // Autopilot
    TypeInfo {
        number: 12,
        since: Version::ce(1, 2, 0),
        restorable_until: None,
    }, // Intention
    TypeInfo {
        number: 13,
        since: Version::ce(1, 2, 0),
        restorable_until: None,
    }, // ConnectCA
    TypeInfo {
        number: 14,
        since: Version::ce(1, 2, 0),
        restorable_until: None,
    }, // ConnectCAProviderState
    TypeInfo {
        number: 15,
        since: Version::ce(1, 2, 0),
        restorable_until: None,
    }, // ConnectCAConfig
    TypeInfo {
        number: 16,
        since: Version::ce(1, 2, 0),
        restorable_until: None,
    }, // Index
    TypeInfo {
        number: 17,
        since: Version::ce(1, 4, 0),
        restorable_until: None,
    }, // ACLToken
    TypeInfo {
        number: 19,
        since: Version::ce(1, 4, 0),
        restorable_until: None,
    }, // ACLPolicy
    TypeInfo {
        number: 22,
        since: Version::ce(1, 5, 0),
        restorable_until: None,
    }, // ConfigEntry
    TypeInfo {
        number: 23,
        since: Version::ce(1, 5, 0),
        restorable_until: None,
    }, // ACLRole
    TypeInfo {
        number: 25,
        since: Version::ce(1, 5, 0),
        restorable_until: None,
    }, // ACLBindingRule
    TypeInfo {
        number: 27,
        since: Version::ce(1, 5, 0),
        restorable_until: None,
    }, // ACLAuthMethod
    TypeInfo {
        number: 29,
        since: Version::ce(1, 7, 0),
        restorable_until: None,
    }, // ChunkingState
    TypeInfo {
        number: 30,
        since: Version::ce(1, 8, 0),
        restorable_until: None,
    }, // FederationState
    TypeInfo {
        number: 31,
        since: Version::ce(1, 9, 0),
        restorable_until: None,
    }, // SystemMetadata
    TypeInfo {
        number: 32,
        since: Version::ce(1, 11, 0),
        restorable_until: None,
    }, // ServiceVirtualIP
    TypeInfo {
        number: 33,
        since: Version::ce(1, 11, 0),
        restorable_until: None,
    }, // FreeVirtualIP
    TypeInfo {
        number: 35,
        since: Version::ce(1, 13, 0),
        restorable_until: None,
    }, // Peering
    TypeInfo {
        number: 38,
        since: Version::ce(1, 13, 0),
        restorable_until: None,
    }, // PeeringTrustBundle
    TypeInfo {
        number: 40,
        since: Version::ce(1, 14, 0),
        restorable_until: None,
    }, // PeeringSecret
    TypeInfo {
        number: 42,
        since: Version::ce(1, 16, 0),
        restorable_until: None,
    }, // Resource
];

/// Looks a type up in the table.
pub fn info(t: MessageType) -> Option<&'static TypeInfo> {
    TABLE.iter().find(|i| i.number == t.0)
}

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

/// The compatibility report of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompatReport {
    /// The target version, if one was given.
    pub target: Option<String>,
    /// Every record type present.
    pub types: Vec<TypeVerdict>,
    /// The oldest CE version that knows every (non-Enterprise, known) type present.
    pub minimum_version: String,
    /// Whether the target can restore the snapshot (`None` without a target).
    pub restorable: Option<bool>,
}

/// Judges the record types present (with counts) against an optional target version.
pub fn check(present: &[(MessageType, u64)], target: Option<Version>) -> CompatReport {
    let mut minimum = Version::ce(0, 7, 0);
    let mut types = Vec::new();
    for &(t, count) in present {
        let info = info(t);
        let enterprise = t.is_enterprise();
        let unknown = info.is_none() && !enterprise;
        if let Some(i) = info {
            if i.since.triple() > minimum.triple() {
                minimum = i.since;
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
                        None => (
                            Some(false),
                            Some(format!(
                                "unknown type {}; no Consul version known to restore it",
                                t.0
                            )),
                        ),
                        Some(i) if v.triple() < i.since.triple() => (
                            Some(false),
                            Some(format!("first known in Consul {}, newer than {v}", i.since)),
                        ),
                        Some(i) => match i.restorable_until {
                            Some(u) if v.triple() > u.triple() => (
                                Some(false),
                                Some(format!("Consul after {u} no longer restores it")),
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
            since: info.map(|i| i.since.to_string()),
            enterprise,
            unknown,
            restorable,
            reason,
        });
    }
    let restorable = target.map(|_| types.iter().all(|t| t.restorable == Some(true)));
    CompatReport {
        target: target.map(|v| v.to_string()),
        types,
        minimum_version: minimum.to_string(),
        restorable,
    }
}

impl CompatReport {
    /// The report as a table and a verdict line.
    pub fn pretty(&self) -> String {
        let mut tw = crate::tabwriter::TabWriter::new(0, 2);
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
        let table = String::from_utf8_lossy(&tw.finish()).into_owned();
        let mut out: String = table
            .lines()
            .map(|l| l.trim_end().to_string() + "\n")
            .collect();
        out.push('\n');
        match (&self.target, self.restorable) {
            (Some(v), Some(true)) => {
                out.push_str(&format!("Consul {v} can restore this snapshot.\n"))
            }
            (Some(v), _) => {
                let n = self
                    .types
                    .iter()
                    .filter(|t| t.restorable == Some(false))
                    .count();
                out.push_str(&format!("Consul {v} can NOT restore this snapshot: {n} record type(s) above are not restorable.\n"))
            }
            _ => out.push_str(&format!(
                "Every record type is known to Consul {} and later (CE).\n",
                self.minimum_version
            )),
        }
        out
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
            check(&[(MessageType(4), 1)], Some(Version::ce(1, 11, 0))).restorable,
            Some(false)
        );
    }
}
