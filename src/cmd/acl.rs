//! `snapinspect acl`: the ACL objects of a snapshot in the shapes of Consul's ACL HTTP API,
//! one object by ID or name, and an audit.

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::model::secrets::Redactor;
use snapinspect::report::acl::{Acl, AclSink, Instant, Severity};
use snapinspect::snapshot::archive::{self, Input, ReadOptions};

/// Output layouts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables (or `Field: value` lines for `show`).
    Pretty,
    /// JSON in the shapes of Consul's ACL HTTP API.
    Json,
}

/// Options shared by the listing commands.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Print token SecretIDs and secrets in auth method configs.
    #[arg(long)]
    show_secrets: bool,
    /// The snapshot.
    file: String,
}

/// Arguments of `acl show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Print the token's SecretID and secrets in an auth method's config.
    #[arg(long)]
    show_secrets: bool,
    /// A token AccessorID, policy or role ID or name, auth method name or binding rule ID
    /// (or a unique prefix of an ID).
    id: String,
    /// The snapshot.
    file: String,
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Exit 1 when a finding at this level or above exists (info, low, medium, high).
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// The time that decides which tokens have expired (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<Instant>,
    /// The snapshot.
    file: String,
}

/// The `acl` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AclCommand {
    /// ACL tokens, as /v1/acl/tokens lists them (no SecretID unless --show-secrets).
    Tokens(ListArgs),
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

fn load(file: &str) -> Result<Acl, Error> {
    let input = Input::from_arg(file);
    let mut sink = AclSink::default();
    archive::read(&input, &ReadOptions::default(), &mut sink)
        .map_err(|e| super::inspect::with_input(e, &input))?;
    Ok(Acl::new(sink.state))
}

fn redactor(show: bool) -> Redactor {
    if show {
        Redactor::showing()
    } else {
        Redactor::new_random()
    }
}

fn json(v: &serde_json::Value) -> String {
    snapinspect::go::json::to_string_indent(v, b"    ") + "\n"
}

/// Runs `acl`.
pub fn run(a: Args) -> Result<i32, Error> {
    match a.command {
        AclCommand::Tokens(l) => list(l, |acl, r| (acl.tokens_json(r), acl.tokens_table(r))),
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
    let acl = load(&l.file)?;
    let r = redactor(l.show_secrets);
    let (j, table) = view(&acl, &r);
    let out = match l.format {
        Format::Json => json(&j),
        Format::Pretty => table,
    };
    super::emit(out.as_bytes())?;
    Ok(EXIT_OK)
}

fn show(s: ShowArgs) -> Result<i32, Error> {
    let acl = load(&s.file)?;
    let found = acl.find(&s.id);
    let f = match found.as_slice() {
        [f] => *f,
        [] => {
            return Err(Error::Usage(format!(
                "no ACL token, policy, role, auth method or binding rule in {} is {:?}",
                s.file, s.id
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
    let r = redactor(s.show_secrets);
    let out = match s.format {
        Format::Json => json(&acl.show_json(f, &r)),
        Format::Pretty => acl.show_pretty(f, &r),
    };
    super::emit(out.as_bytes())?;
    Ok(EXIT_OK)
}

fn audit(a: AuditArgs) -> Result<i32, Error> {
    let acl = load(&a.file)?;
    let report = acl.audit(a.now.unwrap_or_else(Instant::now));
    let out = match a.format {
        Format::Json => snapinspect::go::json::to_string_indent(&report, b"  ") + "\n",
        Format::Pretty => report.pretty(),
    };
    super::emit(out.as_bytes())?;
    Ok(match a.fail_on {
        Some(level) if report.has_at_least(level) => EXIT_FINDING,
        _ => EXIT_OK,
    })
}
