//! The ACL audit: findings about tokens, policies, roles and methods, with a severity each.

use super::*;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Untidy or wasteful.
    Low,
    /// Broken or risky.
    Medium,
    /// Grants full or near-full control.
    High,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    /// The level's name: `info`, `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Parses a level's name (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

/// One audit finding about one ACL object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What was found: `global-management`, `never-expires`, `expired`, ... (see docs/ACL.md).
    pub kind: &'static str,
    /// The kind of object: `token`, `policy`, `role`, `auth-method`, `binding-rule`.
    pub object: &'static str,
    /// The object's ID (AccessorID for tokens, name for auth methods).
    pub id: String,
    /// The object's name (description for tokens).
    pub name: String,
    /// What exactly is wrong.
    pub detail: String,
}

/// Schema id of the audit's JSON (docs/acl-audit.schema.json).
pub const AUDIT_SCHEMA: &str = "snapinspect-acl-audit/1";

/// The audit's result.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Schema id, [`AUDIT_SCHEMA`].
    pub schema: &'static str,
    /// The lowest severity listed (`None`: every finding is listed).
    pub min_severity: Option<Severity>,
    /// The findings listed, most serious first.
    pub findings: Vec<Finding>,
    /// Number of findings per severity, listed or not.
    pub counts: BTreeMap<&'static str, usize>,
}

/// Whether policy rules (HCL or JSON) grant `key = "write"` at the top level; comment lines
/// are ignored.
pub fn grants_write(rules: &str, key: &str) -> bool {
    let re = regex::Regex::new(&format!(
        r#"(?:^|[\s{{,])"?{}"?\s*[=:]\s*"write""#,
        regex::escape(key)
    ))
    .expect("a valid regex");
    rules.lines().any(|line| {
        let l = line.trim_start();
        !(l.starts_with('#') || l.starts_with("//")) && re.is_match(line)
    })
}

/// A moment as Unix seconds and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds.
    pub nanos: u32,
}

impl Instant {
    /// Now, by the system clock.
    pub fn now() -> Instant {
        Instant::from(std::time::SystemTime::now())
    }

    /// Parses an RFC 3339 time (`2024-05-01T12:00:00Z`, offsets and fractions allowed).
    pub fn parse_rfc3339(s: &str) -> Option<Instant> {
        // humantime takes UTC only; apply an explicit offset by hand.
        let s = s.trim();
        let (base, offset) = match s.len().checked_sub(6).map(|i| s.split_at(i)) {
            Some((b, o))
                if (o.starts_with('+') || o.starts_with('-')) && o.as_bytes()[3] == b':' =>
            {
                let h: i64 = o[1..3].parse().ok()?;
                let m: i64 = o[4..6].parse().ok()?;
                let sign = if o.starts_with('-') { -1 } else { 1 };
                (format!("{b}Z"), sign * (h * 3600 + m * 60))
            }
            _ => (s.to_string(), 0),
        };
        let t = humantime::parse_rfc3339_weak(base.trim_end_matches(['Z', 'z']))
            .or_else(|_| humantime::parse_rfc3339(&base))
            .ok()?;
        let i = Instant::from(t);
        Some(Instant {
            secs: i.secs - offset,
            nanos: i.nanos,
        })
    }

    /// The moment a Go time stands for.
    pub fn of(t: &GoTime) -> Instant {
        Instant {
            secs: t.unix(),
            nanos: t.nanos,
        }
    }
}

impl From<std::time::SystemTime> for Instant {
    fn from(t: std::time::SystemTime) -> Instant {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Instant {
                secs: d.as_secs() as i64,
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let (mut secs, mut nanos) = (-(d.as_secs() as i64), d.subsec_nanos());
                if nanos > 0 {
                    secs -= 1;
                    nanos = 1_000_000_000 - nanos;
                }
                Instant { secs, nanos }
            }
        }
    }
}

impl Acl {
    /// Whether a token has an expiration time before `now`.
    pub fn expired(t: &ACLToken, now: Instant) -> bool {
        t.ExpirationTime.is_some_and(|e| Instant::of(&e) < now)
    }

    /// Audits the ACL objects; `now` decides which tokens have expired.
    pub fn audit(&self, now: Instant) -> Audit {
        let s = &self.state;
        let mut out = Vec::new();
        let mut push = |severity, kind, object, id: &Text, name: &Text, detail: String| {
            out.push(Finding {
                severity,
                kind,
                object,
                id: lossy(id),
                name: lossy(name),
                detail,
            })
        };
        let gm = Text(GLOBAL_MANAGEMENT_ID.as_bytes().to_vec());
        for t in &s.tokens {
            let (id, name) = (&t.AccessorID, &t.Description);
            // Management: linked directly, through a role, or a legacy management token.
            let mut via = Vec::new();
            if t.Policies.iter().flatten().any(|l| l.ID == gm) {
                via.push("linked to global-management".to_string());
            }
            for l in t.Roles.iter().flatten() {
                if let Some(role) = self.role(&l.ID) {
                    if role.Policies.iter().flatten().any(|p| p.ID == gm) {
                        via.push(format!(
                            "linked to global-management through role {}",
                            role.Name
                        ));
                    }
                }
            }
            let no_links = t.Policies.as_ref().is_none_or(|p| p.is_empty())
                && t.Roles.as_ref().is_none_or(|r| r.is_empty());
            if t.Type.as_bytes() == b"management" && no_links {
                via.push("legacy management token".to_string());
            }
            if !via.is_empty() {
                push(
                    Severity::High,
                    "global-management",
                    "token",
                    id,
                    name,
                    via.join("; "),
                );
            }
            match &t.ExpirationTime {
                None if id.as_bytes() != ANONYMOUS_ID.as_bytes() => push(
                    Severity::Info,
                    "never-expires",
                    "token",
                    id,
                    name,
                    "the token has no expiration time".into(),
                ),
                Some(_) if Acl::expired(t, now) => push(
                    Severity::Low,
                    "expired",
                    "token",
                    id,
                    name,
                    format!(
                        "expired at {}, still stored",
                        t.ExpirationTime.unwrap_or_default().rfc3339()
                    ),
                ),
                _ => {}
            }
            for l in t.Policies.iter().flatten() {
                if self.policy(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-policy-link",
                        "token",
                        id,
                        name,
                        format!("links policy {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
            for l in t.Roles.iter().flatten() {
                if self.role(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-role-link",
                        "token",
                        id,
                        name,
                        format!("links role {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
        }
        for x in &s.roles {
            for l in x.Policies.iter().flatten() {
                if self.policy(&l.ID).is_none() {
                    push(
                        Severity::Medium,
                        "dangling-policy-link",
                        "role",
                        &x.ID,
                        &x.Name,
                        format!("links policy {} ({}), which does not exist", l.ID, l.Name),
                    );
                }
            }
        }
        for p in &s.policies {
            if p.ID == gm {
                continue; // What it grants is its purpose; the tokens linking it are reported.
            }
            let rules = p.Rules.lossy();
            if grants_write(&rules, "acl") {
                push(
                    Severity::High,
                    "acl-write",
                    "policy",
                    &p.ID,
                    &p.Name,
                    "grants acl = \"write\": its holders can create any token, management included"
                        .into(),
                );
            }
            if grants_write(&rules, "operator") {
                push(
                    Severity::Medium,
                    "operator-write",
                    "policy",
                    &p.ID,
                    &p.Name,
                    "grants operator = \"write\": raft peers, autopilot, keyring, snapshots".into(),
                );
            }
        }
        let mut dupes = |object: &'static str, names: Vec<(&Text, &Text)>| {
            let mut by_name: BTreeMap<&Text, Vec<&Text>> = BTreeMap::new();
            for (name, id) in names {
                by_name.entry(name).or_default().push(id);
            }
            for (name, ids) in by_name.into_iter().filter(|(_, ids)| ids.len() > 1) {
                for id in &ids {
                    push(
                        Severity::Medium,
                        "duplicate-name",
                        object,
                        id,
                        name,
                        format!("{} {object}s are named {name}", ids.len()),
                    );
                }
            }
        };
        dupes(
            "policy",
            s.policies.iter().map(|p| (&p.Name, &p.ID)).collect(),
        );
        dupes("role", s.roles.iter().map(|r| (&r.Name, &r.ID)).collect());
        dupes(
            "auth-method",
            s.auth_methods.iter().map(|a| (&a.Name, &a.Name)).collect(),
        );
        for a in &s.auth_methods {
            if !s.binding_rules.iter().any(|b| b.AuthMethod == a.Name) {
                push(
                    Severity::Low,
                    "no-binding-rules",
                    "auth-method",
                    &a.Name,
                    &a.Name,
                    "no binding rule uses this auth method: every login fails".into(),
                );
            }
        }
        for b in &s.binding_rules {
            if !s.auth_methods.iter().any(|a| a.Name == b.AuthMethod) {
                push(
                    Severity::Medium,
                    "dangling-auth-method",
                    "binding-rule",
                    &b.ID,
                    &b.BindName,
                    format!(
                        "belongs to auth method {}, which is not in the snapshot{MISSING_METHOD_NOTE}",
                        b.AuthMethod
                    ),
                );
            }
        }
        for t in &s.tokens {
            if !t.AuthMethod.is_empty() && !s.auth_methods.iter().any(|a| a.Name == t.AuthMethod) {
                push(
                    Severity::Low,
                    "dangling-auth-method",
                    "token",
                    &t.AccessorID,
                    &t.Description,
                    format!(
                        "created by auth method {}, which is not in the snapshot{MISSING_METHOD_NOTE}",
                        t.AuthMethod
                    ),
                );
            }
        }
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.kind.cmp(b.kind))
                .then(a.object.cmp(b.object))
                .then(a.id.cmp(&b.id))
                .then(a.detail.cmp(&b.detail))
        });
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for l in Severity::ALL {
            counts.insert(l.name(), out.iter().filter(|f| f.severity == l).count());
        }
        Audit {
            schema: AUDIT_SCHEMA,
            min_severity: None,
            findings: out,
            counts,
        }
    }
}

impl Audit {
    /// Whether a finding at `level` or above exists, listed or not.
    pub fn has_at_least(&self, level: Severity) -> bool {
        Severity::ALL
            .iter()
            .any(|l| *l >= level && self.counts.get(l.name()).is_some_and(|&n| n > 0))
    }

    /// Lists only the findings at `level` or above; the counts keep counting every finding.
    pub fn at_least(mut self, level: Severity) -> Audit {
        self.findings.retain(|f| f.severity >= level);
        self.min_severity = Some(level);
        self
    }

    /// All findings, listed or not.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// The report as text (what [`Self::write_text`] writes).
    pub fn pretty(&self) -> String {
        crate::report::text(|w| self.write_text(w))
    }

    /// The findings as a table, most serious first, and a count line.
    pub fn write_text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let rows: Vec<Vec<String>> = self
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.name().to_string(),
                    f.kind.to_string(),
                    f.object.to_string(),
                    f.id.clone(),
                    f.name.clone(),
                    f.detail.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            let t = table(
                &["Severity", "Finding", "Object", "ID", "Name", "Detail"],
                rows,
            );
            w.write_all(t.as_bytes())?;
        }
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .map(|l| format!("{} {}", self.counts[l.name()], l.name()))
            .collect();
        write!(w, "{} findings: {}", self.total(), counts.join(", "))?;
        match self.min_severity {
            Some(l) if self.findings.len() < self.total() => writeln!(
                w,
                " ({} below {} not listed)",
                self.total() - self.findings.len(),
                l.name()
            ),
            _ => writeln!(w),
        }
    }
}
