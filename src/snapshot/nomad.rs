//! Nomad's raft snapshot: the same gzip(tar) archive as Consul's (Nomad's
//! `helper/snapshot/archive.go` is Consul's), and a state.bin that starts with an empty msgpack
//! map (`SnapshotHeader{}`, written by `nomadSnapshot.Persist` in `nomad/fsm.go`) followed by
//! records of one `SnapshotType` byte and one msgpack value each (go-msgpack v2 with
//! `structs.MsgpackHandle`, `nomad/structs/structs.go`). The walk itself is the Consul walker's
//! (`snapshot::state::StateWalker`, which switches to this table when the header is empty);
//! this module is the one table of Nomad's snapshot types.
//!
//! Facts, from hashicorp/nomad:
//! - `nomad/fsm.go`: the `SnapshotType` constants and `snapshotTypeStrings` (the names
//!   `nomad operator snapshot inspect` prints; type 30 prints as `WrappedRootKeys` and 31 as
//!   `HostVolumeSnapshot`), `Unknown(N)` for any other type in CE (`SnapshotType.String`).
//! - `nomad/fsm.go` `restoreImpl`: a type with no case and no Enterprise restorer fails the
//!   whole restore with `Unrecognized snapshot type: [N]` (so since 0.1.0); `EventSinkSnapshot`
//!   fails it too (1.0.0 stopped the restore silently there); TimeTable (since 1.9.2),
//!   VaultAccessor and SITokenAccessor (since 1.10.0) are decoded and dropped.
//! - The first release of each line whose `nomad/fsm.go` has the constant (git tags of
//!   hashicorp/nomad): JobSubmission was backported to 1.6.6 and 1.7.3, so 1.7.0-1.7.2 and
//!   1.6.0-1.6.5 refuse it (hashicorp/nomad#20072: a 1.7.5 snapshot fails on 1.6.2).
//! - Namespace moved from Enterprise to CE in 1.0.0 and kept its Enterprise number, 64;
//!   numbers above 64 are Enterprise's (`nomad/fsm_ce.go` names none of them).

use crate::version::Version;

/// One type of Nomad's snapshot table.
#[derive(Debug, Clone, Copy)]
pub struct NomadTypeInfo {
    /// The type byte.
    pub number: u8,
    /// The name `SnapshotType.String()` gives.
    pub name: &'static str,
    /// The first release of each line that restores it; every later line restores it too.
    pub since: &'static [(u32, u32, u32)],
    /// How Nomad's restore treats it.
    pub restore: Restore,
}

/// What Nomad's `Restore` does with a record of a known type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// Decoded into the state store.
    Kept,
    /// Decoded and dropped (a table Nomad removed); since this version.
    DroppedSince(u32, u32, u32),
    /// The restore fails.
    Refused,
}

const fn t(
    number: u8,
    name: &'static str,
    since: &'static [(u32, u32, u32)],
    restore: Restore,
) -> NomadTypeInfo {
    NomadTypeInfo {
        number,
        name,
        since,
        restore,
    }
}

use Restore::*;

/// Nomad's snapshot types, by number.
pub const TYPES: &[NomadTypeInfo] = &[
    t(0, "Node", &[(0, 1, 0)], Kept),
    t(1, "Job", &[(0, 1, 0)], Kept),
    t(2, "Index", &[(0, 1, 0)], Kept),
    t(3, "Eval", &[(0, 1, 0)], Kept),
    t(4, "Alloc", &[(0, 1, 0)], Kept),
    t(5, "TimeTable", &[(0, 1, 0)], DroppedSince(1, 9, 2)),
    t(6, "PeriodicLaunch", &[(0, 3, 0)], Kept),
    t(7, "JobSummary", &[(0, 4, 1)], Kept),
    t(8, "VaultAccessor", &[(0, 5, 0)], DroppedSince(1, 10, 0)),
    t(9, "JobVersion", &[(0, 6, 0)], Kept),
    t(10, "Deployment", &[(0, 6, 0)], Kept),
    t(11, "ACLPolicy", &[(0, 7, 0)], Kept),
    t(12, "ACLToken", &[(0, 7, 0)], Kept),
    t(13, "SchedulerConfig", &[(0, 9, 0)], Kept),
    t(14, "ClusterMetadata", &[(0, 10, 4)], Kept),
    t(
        15,
        "ServiceIdentityTokenAccessor",
        &[(0, 10, 4)],
        DroppedSince(1, 10, 0),
    ),
    t(16, "ScalingPolicy", &[(0, 11, 0)], Kept),
    t(17, "CSIPlugin", &[(0, 11, 0)], Kept),
    t(18, "CSIVolume", &[(0, 11, 0)], Kept),
    t(19, "ScalingEvents", &[(0, 11, 0)], Kept),
    t(20, "EventSink", &[(1, 0, 0)], Refused),
    t(21, "ServiceRegistration", &[(1, 3, 0)], Kept),
    t(22, "Variables", &[(1, 4, 0)], Kept),
    t(23, "VariablesQuota", &[(1, 4, 0)], Kept),
    t(24, "RootKeyMeta", &[(1, 4, 0)], Kept),
    t(25, "ACLRole", &[(1, 4, 0)], Kept),
    t(26, "ACLAuthMethod", &[(1, 5, 0)], Kept),
    t(27, "ACLBindingRule", &[(1, 5, 0)], Kept),
    t(28, "NodePool", &[(1, 6, 0)], Kept),
    t(
        29,
        "JobSubmission",
        &[(1, 6, 6), (1, 7, 3), (1, 8, 0)],
        Kept,
    ),
    t(30, "WrappedRootKeys", &[(1, 9, 0)], Kept),
    t(31, "HostVolumeSnapshot", &[(1, 10, 0)], Kept),
    t(64, "Namespace", &[(1, 0, 0)], Kept),
];

/// The newest Nomad release whose table this one follows.
pub const KNOWN_UP_TO: Version = Version::ce(2, 0, 5);

/// The table row of a type byte, if Nomad CE knows it.
pub fn info(number: u8) -> Option<&'static NomadTypeInfo> {
    TYPES.iter().find(|i| i.number == number)
}

/// The name Nomad's inspect prints for a type byte (`Unknown(N)` for others).
pub fn type_name(number: u8) -> String {
    match info(number) {
        Some(i) => i.name.to_string(),
        None => format!("Unknown({number})"),
    }
}

/// The type byte of a name (case-insensitive), or of a number.
pub fn type_by_name(name: &str) -> Option<u8> {
    if let Ok(n) = name.parse::<u8>() {
        return Some(n);
    }
    TYPES
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(name))
        .map(|i| i.number)
}

/// True for Nomad Enterprise's types (above 64: only Enterprise's restorers know them).
pub fn is_enterprise(number: u8) -> bool {
    number > 64
}

impl NomadTypeInfo {
    /// The oldest release that restores it.
    pub fn first(&self) -> Version {
        let (a, b, c) = self.since[0];
        Version::ce(a, b, c)
    }

    /// Whether Nomad `v` restores a snapshot holding this type, as its `Restore` does.
    pub fn restored_by(&self, v: Version) -> bool {
        if self.restore == Refused {
            return false;
        }
        let (ma, mi, pa) = v.triple();
        let last = self.since[self.since.len() - 1];
        if (ma, mi, pa) >= last {
            return true;
        }
        self.since
            .iter()
            .any(|&(a, b, c)| (a, b) == (ma, mi) && pa >= c)
    }

    /// The releases that restore it, in words (`1.6.6+ in 1.6, 1.7.3+ in 1.7, 1.8.0 and later`).
    pub fn restored_by_text(&self) -> String {
        if self.restore == Refused {
            return "no release (the restore fails)".into();
        }
        let n = self.since.len();
        let mut parts: Vec<String> = self.since[..n - 1]
            .iter()
            .map(|(a, b, c)| format!("{a}.{b}.{c}+ in {a}.{b}"))
            .collect();
        let (a, b, c) = self.since[n - 1];
        parts.push(format!("{a}.{b}.{c} and later"));
        parts.join(", ")
    }
}

/// Why Nomad `v` (CE, or Enterprise with `v.enterprise`) cannot restore records of this type
/// byte, or `None` when it can.
pub fn refusal(number: u8, v: Version) -> Option<String> {
    match info(number) {
        Some(i) if i.restore == Refused => Some(format!(
            "Nomad's restore fails on {} records (\"{} is an unsupported snapshot type since Nomad 1.0\")",
            i.name, "EventSinkSnapshot"
        )),
        Some(i) if !i.restored_by(v) => Some(format!(
            "Nomad {v} fails the restore with \"Unrecognized snapshot type: [{number}]\": {} records are restored by {}",
            i.name,
            i.restored_by_text()
        )),
        Some(_) => None,
        None if is_enterprise(number) && v.enterprise => None,
        None if is_enterprise(number) => Some(format!(
            "Nomad CE {v} fails the restore with \"Unrecognized snapshot type: [{number}]\": type {number} is Nomad Enterprise's"
        )),
        None => Some(format!(
            "Nomad {v} fails the restore with \"Unrecognized snapshot type: [{number}]\": no Nomad release up to {KNOWN_UP_TO} writes type {number}"
        )),
    }
}

impl crate::snapshot::archive::Snapshot {
    /// The name of a record type byte in this snapshot's product (Nomad's or Consul's table).
    pub fn type_name(&self, t: u8) -> String {
        match self.product {
            crate::snapshot::vault::Product::Nomad => type_name(t),
            _ => crate::snapshot::state::MessageType(t).name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_submission_follows_its_backports() {
        let js = info(29).unwrap();
        assert_eq!(js.name, "JobSubmission");
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(!js.restored_by(v("1.6.2")));
        assert!(js.restored_by(v("1.6.6")));
        assert!(!js.restored_by(v("1.7.2")));
        assert!(js.restored_by(v("1.7.3")));
        assert!(js.restored_by(v("1.8.0")));
        assert!(js.restored_by(v("2.0.1")));
        assert!(refusal(29, v("1.6.2"))
            .unwrap()
            .contains("Unrecognized snapshot type: [29]"));
        assert_eq!(refusal(29, v("1.7.5")), None);
    }

    struct Types(Vec<(u8, u64)>, u64);
    impl crate::snapshot::state::RecordSink for Types {
        fn nomad_record(
            &mut self,
            r: &crate::snapshot::state::Record<'_>,
        ) -> crate::error::Result<()> {
            self.0.push((r.mtype.0, r.consul_size));
            Ok(())
        }
        fn record(&mut self, _r: &crate::snapshot::state::Record<'_>) -> crate::error::Result<()> {
            self.1 += 1;
            Ok(())
        }
    }

    #[test]
    fn an_empty_header_is_nomads_in_any_chunking() {
        use crate::snapshot::vault::{Product, StateStream};
        // Header {}, then Index {"Key": "jobs"} and Job {} records.
        let mut s = vec![0x80, 2, 0x81, 0xa3];
        s.extend_from_slice(b"Key");
        s.extend_from_slice(&[0xa4, b'j', b'o', b'b', b's', 1, 0x80]);
        for chunk in 1..=s.len() {
            let mut w = StateStream::new();
            let mut t = Types(Vec::new(), 0);
            for part in s.chunks(chunk) {
                w.feed(part, &mut t).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(w.product(), Product::Nomad);
            // Nomad's inspect counts the header into the first record.
            assert_eq!(t.0, vec![(2, 12), (1, 2)]);
            assert_eq!(t.1, 0, "no Consul records");
        }
    }

    #[test]
    fn names_are_nomads() {
        assert_eq!(type_name(30), "WrappedRootKeys");
        assert_eq!(type_name(31), "HostVolumeSnapshot");
        assert_eq!(type_name(64), "Namespace");
        assert_eq!(type_name(40), "Unknown(40)");
        assert_eq!(type_by_name("alloc"), Some(4));
        assert!(refusal(70, Version::parse("1.9.0").unwrap()).is_some());
        assert!(refusal(70, Version::parse("1.9.0+ent").unwrap()).is_none());
        assert!(refusal(20, Version::parse("1.9.0").unwrap()).is_some());
    }
}
