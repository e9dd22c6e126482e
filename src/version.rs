//! Consul versions: parsed from `1.8.7`, `v1.16`, `1.15.2+ent`; ordered by number.

use serde::Serialize;

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
    /// A Consul CE version.
    pub const fn ce(major: u32, minor: u32, patch: u32) -> Version {
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

    /// `(major, minor, patch)`, for ordering regardless of the Enterprise flag.
    pub fn triple(self) -> (u32, u32, u32) {
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
