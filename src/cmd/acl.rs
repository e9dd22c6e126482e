//! `snapinspect acl`: the ACL objects of a snapshot in the shapes of Consul's ACL HTTP API,
//! one object by ID or name, and an audit.

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::model::secrets::Redactor;
use snapinspect::report::acl::{Acl, AclSink, Instant, Severity};
use snapinspect::snapshot::state::MessageType;

use super::args::{OutputFormat, SecretArgs, SnapshotArgs};

/// Options shared by the listing commands.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Output format (JSON in the shapes of Consul's ACL HTTP API).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// Arguments of `acl tokens`.
#[derive(clap::Args, Debug)]
pub struct TokensArgs {
    /// The time that decides which tokens have expired, marked `(expired)` in the table
    /// (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<Instant>,
    #[command(flatten)]
    list: ListArgs,
}

/// Arguments of `acl show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Output format (JSON in the shapes of Consul's ACL HTTP API).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    secrets: SecretArgs,
    /// A token AccessorID, policy or role ID or name, auth method name or binding rule ID
    /// (or a unique prefix of an ID).
    id: String,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("unknown level {s:?}: use info, low, medium or high"))
}

fn parse_now(s: &str) -> Result<Instant, String> {
    Instant::parse_rfc3339(s)
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 time such as 2024-05-01T12:00:00Z"))
}

/// Arguments of `acl audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Output format (JSON in the shapes of Consul's ACL HTTP API).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Exit 1 when a finding at this level or above exists (info, low, medium, high), listed
    /// or not.
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// List only findings at this level or above (info, low, medium, high); the counts still
    /// count every finding.
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    min_severity: Option<Severity>,
    /// The time that decides which tokens have expired (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<Instant>,
    #[command(flatten)]
    snapshot: SnapshotArgs,
}

/// The `acl` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AclCommand {
    /// ACL tokens, as /v1/acl/tokens lists them (no SecretID unless --show-secrets).
    Tokens(TokensArgs),
    /// ACL policies, as /v1/acl/policies lists them.
    Policies(ListArgs),
    /// ACL roles, as /v1/acl/roles lists them.
    Roles(ListArgs),
    /// ACL auth methods, as /v1/acl/auth-methods lists them.
    AuthMethods(ListArgs),
    /// ACL binding rules, as /v1/acl/binding-rules lists them.
    BindingRules(ListArgs),
    /// One object by ID or name, as its /v1/acl/<kind>/:id endpoint shows it (policies with rules).
    Show(ShowArgs),
    /// Findings with a severity each: management tokens, expiry, dangling links, risky policies.
    Audit(AuditArgs),
}

/// Arguments of `acl`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: AclCommand,
}

/// Reads the ACL objects, with the note to give when the snapshot has none.
fn load_with_note(snapshot: &SnapshotArgs) -> Result<(Acl, Option<String>), Error> {
    let mut sink = AclSink::default();
    let snap = snapshot.read(&mut sink)?;
    snap.require_consul("acl")?;
    let legacy = snap
        .types()
        .filter(|(t, _)| *t == MessageType::ACL)
        .map(|(_, s)| s.count)
        .sum();
    let acl = Acl::new(sink.state);
    let note = acl.no_data_note(legacy);
    Ok((acl, note))
}

/// Reads the ACL objects; for a snapshot without any, says so in one line on stderr.
fn load(snapshot: &SnapshotArgs) -> Result<Acl, Error> {
    let (acl, note) = load_with_note(snapshot)?;
    if let Some(n) = note {
        eprintln!("snapinspect: {n}");
    }
    Ok(acl)
}

fn json(v: &serde_json::Value) -> String {
    super::args::json(v, b"    ")
}

/// Runs `acl`.
pub fn run(a: Args) -> Result<i32, Error> {
    match a.command {
        AclCommand::Tokens(t) => {
            let now = t.now.unwrap_or_else(Instant::now);
            list(t.list, |acl, r| {
                (acl.tokens_json(r), acl.tokens_table_at(r, now))
            })
        }
        AclCommand::Policies(l) => list(l, |acl, _| (acl.policies_json(), acl.policies_table())),
        AclCommand::Roles(l) => list(l, |acl, _| (acl.roles_json(), acl.roles_table())),
        AclCommand::AuthMethods(l) => list(l, |acl, _| {
            (acl.auth_methods_json(), acl.auth_methods_table())
        }),
        AclCommand::BindingRules(l) => list(l, |acl, _| {
            (acl.binding_rules_json(), acl.binding_rules_table())
        }),
        AclCommand::Show(s) => show(s),
        AclCommand::Audit(a) => audit(a),
    }
}

fn list(
    l: ListArgs,
    view: impl Fn(&Acl, &Redactor) -> (serde_json::Value, String),
) -> Result<i32, Error> {
    let acl = load(&l.snapshot)?;
    let r = l.secrets.redactor();
    let (j, table) = view(&acl, &r);
    let out = match l.format {
        OutputFormat::Json => json(&j),
        OutputFormat::Text => table,
    };
    super::emit(out.as_bytes())?;
    Ok(EXIT_OK)
}

fn show(s: ShowArgs) -> Result<i32, Error> {
    let (acl, note) = load_with_note(&s.snapshot)?;
    if let Some(n) = note {
        return Err(Error::Usage(format!("{n}: nothing is {:?}", s.id)));
    }
    let found = acl.find(&s.id);
    let f = match found.as_slice() {
        [f] => *f,
        [] => {
            return Err(Error::Usage(format!(
                "no ACL token, policy, role, auth method or binding rule in {} is {:?}",
                s.snapshot.input().display(),
                s.id
            )))
        }
        many => {
            let names: Vec<String> = many.iter().map(|f| acl.describe(*f)).collect();
            return Err(Error::Usage(format!(
                "{:?} matches {} ACL objects: {}",
                s.id,
                many.len(),
                names.join("; ")
            )));
        }
    };
    let r = s.secrets.redactor();
    let out = match s.format {
        OutputFormat::Json => json(&acl.show_json(f, &r)),
        OutputFormat::Text => acl.show_pretty(f, &r),
    };
    super::emit(out.as_bytes())?;
    Ok(EXIT_OK)
}

fn audit(a: AuditArgs) -> Result<i32, Error> {
    let acl = load(&a.snapshot)?;
    let mut report = acl.audit(a.now.unwrap_or_else(Instant::now));
    if let Some(level) = a.min_severity {
        report = report.at_least(level);
    }
    match a.format {
        OutputFormat::Json => super::emit(super::args::json(&report, b"  ").as_bytes())?,
        OutputFormat::Text => {
            let text = snapinspect::report::text(|w| report.write_text(w));
            super::emit(super::color::audit(&text).as_bytes())?
        }
    }
    Ok(match a.fail_on {
        Some(level) if report.has_at_least(level) => EXIT_FINDING,
        _ => EXIT_OK,
    })
}
