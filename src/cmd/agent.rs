//! `agent`: the open snapshot agent (schedule, retention, leader election), its ACL policy,
//! and the token it runs with.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use snapinspect::error::{Error, EXIT_OK};
use snapinspect::live::agent::{self, Agent, AgentConfig};
use snapinspect::live::consul::{encode, Client};

use super::live::ConnArgs;

/// Layouts of `--print-policy`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyFormat {
    /// HCL rules, for `consul acl policy create -rules @FILE`.
    Hcl,
    /// The JSON body of `PUT /v1/acl/policy` (Name, Description, Rules).
    Json,
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (write e.g. 30s, 5m, 1h)"))
}

/// Where the Consul Enterprise snapshot agent's own spellings are listed in `--help`.
const ENTERPRISE: &str = "Consul Enterprise spellings";

/// A Go boolean flag's value (`-syslog`, `-syslog=false`).
fn go_bool(s: &str) -> Result<bool, String> {
    snapinspect::live::consul::parse_go_bool(s).ok_or_else(|| format!("{s:?} is not a boolean"))
}

/// Arguments of `agent`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    conn: ConnArgs,
    /// A JSON config file (the Enterprise agent's `snapshot_agent` shape; flags win over it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Time between snapshots; 0 takes one snapshot without leader election or catalog
    /// registration, and exits (as the Enterprise agent does) [default: 1h].
    #[arg(long, value_parser = duration)]
    interval: Option<Duration>,
    /// How many snapshots to keep in the directory, 0 for all [default: 30].
    #[arg(long)]
    retain: Option<usize>,
    /// Directory the snapshots go to [default: .].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// What the snapshot files' names start with: NAME-<UTC time>-<index>.snap; retention
    /// counts only files of this name [default: consul].
    #[arg(long, value_name = "NAME")]
    name_prefix: Option<String>,
    /// Let any server answer (saves work without a leader; may be slightly behind).
    #[arg(long)]
    stale: bool,
    /// Take one snapshot (if this agent gets the lock) and exit: for cron and batch jobs.
    #[arg(long)]
    once: bool,
    /// KV key of the leader lock [default: consul-snapshot/lock].
    #[arg(long, value_name = "KEY")]
    lock_key: Option<String>,
    /// Service name to register [default: consul-snapshot].
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
    /// TTL of the leader-election session, 10s to 24h [default: 15s].
    #[arg(long, value_parser = duration)]
    session_ttl: Option<Duration>,
    /// Lock delay: how long the lock stays unclaimable after a leader dies [default: 15s].
    #[arg(long, value_parser = duration)]
    lock_delay: Option<Duration>,
    /// TTL of the catalog checks [default: 30s].
    #[arg(long, value_parser = duration)]
    check_ttl: Option<Duration>,
    /// Consul removes the service after its check has been critical this long, 0 for never
    /// [default: 72h].
    #[arg(long, value_parser = duration)]
    deregister_after: Option<Duration>,
    /// The saving check turns critical when the newest good snapshot is older than this
    /// [default: twice --interval].
    #[arg(long, value_parser = duration)]
    stale_after: Option<Duration>,
    /// Failed saves in a row after which the saving check turns critical and this agent
    /// gives up the lock, 0 for never [default: 3].
    #[arg(long, value_name = "N")]
    max_failures: Option<u32>,
    /// Do not take part in leader election: always save (one agent only).
    #[arg(long)]
    no_lock: bool,
    /// Do not register a service and checks in the catalog.
    #[arg(long)]
    no_register: bool,
    /// The directory the snapshots go to (--dir).
    #[arg(long, value_name = "DIR", conflicts_with = "dir", help_heading = ENTERPRISE)]
    local_path: Option<PathBuf>,
    /// More JSON config files, read after --config in the order given; a later file's keys
    /// win.
    #[arg(long, value_name = "FILE", help_heading = ENTERPRISE)]
    config_file: Vec<PathBuf>,
    /// Directories whose .json files with a snapshot_agent object are read, in the order of
    /// their names, after the config files.
    #[arg(long, value_name = "DIR", help_heading = ENTERPRISE)]
    config_dir: Vec<PathBuf>,
    /// Accepted, not implemented (every event is logged).
    #[arg(long, value_name = "LEVEL", help_heading = ENTERPRISE, ignore_case = true,
          value_parser = ["trace", "debug", "info", "warn", "error"])]
    log_level: Option<String>,
    /// Accepted, not implemented (the log goes to stderr).
    #[arg(long, value_name = "BOOL", help_heading = ENTERPRISE, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    syslog: Option<bool>,
    /// Accepted, not implemented.
    #[arg(long, value_name = "FACILITY", help_heading = ENTERPRISE)]
    syslog_facility: Option<String>,
    /// With object storage: save and verify each snapshot in this directory first, then
    /// upload it and remove the file (without it the download streams straight into the
    /// upload). Ignored for local storage.
    #[arg(long, value_name = "DIR", help_heading = ENTERPRISE)]
    local_scratch_path: Option<PathBuf>,
    #[cfg(feature = "storage")]
    #[command(flatten)]
    remote: super::agent_storage::RemoteArgs,
    #[command(flatten)]
    unsupported: Unsupported,
    /// Print the least ACL policy the agent needs, and exit.
    #[arg(long)]
    print_policy: bool,
    /// Layout of --print-policy.
    #[arg(long, value_enum, default_value_t = PolicyFormat::Hcl)]
    format: PolicyFormat,
    /// Node the agent's session lives on, for the policy [default: the Consul agent's node
    /// with --create-token, this host's name with --print-policy].
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// With a management token: create (or reuse) the policy and a token for the agent, write
    /// its SecretID to --token-out, and exit.
    #[arg(long)]
    create_token: bool,
    /// Name of the policy --create-token makes.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "snapinspect-snapshot-agent"
    )]
    policy_name: String,
    /// File --create-token writes the agent's SecretID to (mode 0600).
    #[arg(long, value_name = "FILE", default_value = "snapshot-agent.token")]
    token_out: PathBuf,
}

/// The Enterprise agent's flags snapinspect does not implement, parsed (hidden) only to be
/// refused (or, for the login flags that need an auth method, ignored) by name rather than
/// misread.
const UNSUPPORTED: &[&str] = &[
    "aws-iam-endpoint",
    "aws-role-arn",
    "aws-role-session-name",
    "aws-web-identity-token-file",
    "aws-sts-endpoint",
    "azure-blob-service-principal-id",
    "azure-blob-service-principal-secret",
    "azure-blob-tenant-id",
    "login-auth-method",
    "login-bearer-token",
    "login-bearer-token-file",
    "login-meta",
];

/// Which of [`UNSUPPORTED`] were given.
#[derive(Debug, Default, Clone)]
struct Unsupported(Vec<&'static str>);

impl clap::FromArgMatches for Unsupported {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Unsupported(
            UNSUPPORTED
                .iter()
                .copied()
                .filter(|n| m.contains_id(n))
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Unsupported::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for Unsupported {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(UNSUPPORTED.iter().map(|n| {
            clap::Arg::new(*n)
                .long(*n)
                .hide(true)
                .num_args(0..=1)
                .action(clap::ArgAction::Append)
        }))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Unsupported::augment_args(cmd)
    }
}

/// Login flags that do nothing without `-login-auth-method` (so, here, nothing at all).
const LOGIN_ONLY_WITH_AUTH_METHOD: &[&str] = &[
    "login-bearer-token",
    "login-bearer-token-file",
    "login-meta",
];

impl Unsupported {
    /// The given flags that are accepted and ignored.
    fn ignored(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .filter(|f| LOGIN_ONLY_WITH_AUTH_METHOD.contains(f))
            .map(|f| format!("-{f}"))
    }

    /// The one line that refuses the first unsupported flag given.
    fn refusal(&self) -> Option<Error> {
        let flag = self
            .0
            .iter()
            .find(|f| !LOGIN_ONLY_WITH_AUTH_METHOD.contains(f))?;
        let why = if flag.starts_with("login-") {
            "logging in through an auth method is not supported yet; give the agent a token (-token, -token-file)"
        } else if flag.starts_with("aws-") {
            "assuming an IAM role or custom IAM/STS endpoints through flags are not supported; set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (web identity), or give keys"
        } else {
            "Azure service principals are not supported; give -azure-blob-account-key or AZURE_STORAGE_ACCOUNT_KEY"
        };
        Some(Error::Usage(format!("-{flag}: {why}")))
    }
}

fn file_duration(v: &Option<String>, what: &str) -> Result<Option<Duration>, Error> {
    v.as_deref()
        .map(|s| duration(s).map_err(|e| Error::Usage(format!("config {what}: {e}"))))
        .transpose()
}

/// What the agent runs with, and the Enterprise settings it was given but ignores.
struct Settings {
    conn: ConnArgs,
    cfg: AgentConfig,
    ignored: Vec<String>,
}

/// Merges flags over the config files over the defaults.
fn settings(a: &Args) -> Result<Settings, Error> {
    if let Some(e) = a.unsupported.refusal() {
        return Err(e);
    }
    let files: Vec<PathBuf> = a.config.iter().chain(&a.config_file).cloned().collect();
    let loaded = if files.is_empty() && a.config_dir.is_empty() {
        agent::config::Loaded::default()
    } else {
        agent::config::load(&files, &a.config_dir)?
    };
    let mut ignored = loaded.ignored;
    let flags = [
        ("-log-level", a.log_level.is_some()),
        ("-syslog", a.syslog == Some(true)),
        ("-syslog-facility", a.syslog_facility.is_some()),
    ];
    ignored.extend(flags.iter().filter(|f| f.1).map(|f| f.0.to_string()));
    ignored.extend(a.unsupported.ignored());
    let f = loaded.config;
    let scratch = a
        .local_scratch_path
        .clone()
        .or(f.snapshot.local_scratch_path.clone())
        .filter(|p| !p.as_os_str().is_empty());
    // A local directory named on purpose: a flag, or a config path other than the default.
    let local_dir = a
        .dir
        .clone()
        .or(a.local_path.clone())
        .or(f
            .local_storage
            .path
            .clone()
            .filter(|p| !p.as_os_str().is_empty() && p.as_os_str() != "."))
        .map(|p| p.display().to_string());
    #[cfg(feature = "storage")]
    let dest = super::agent_storage::destination(
        &a.remote,
        &f,
        scratch,
        local_dir,
        a.conn.timeout.or(file_duration(&f.timeout, "timeout")?),
    )?;
    // The Enterprise agent uses the scratch path only for remote storage.
    let scratch_name = if a.local_scratch_path.is_some() {
        "-local-scratch-path"
    } else {
        "snapshot.local_scratch_path"
    };
    #[cfg(feature = "storage")]
    if dest.scratch_ignored {
        ignored.push(scratch_name.to_string());
    }
    #[cfg(not(feature = "storage"))]
    {
        let _ = local_dir;
        if scratch.is_some() {
            ignored.push(scratch_name.to_string());
        }
    }
    let mut conn = a.conn.clone();
    conn.http_addr = conn.http_addr.or(f.http_addr);
    conn.token = conn.token.or(f.token);
    conn.token_file = conn.token_file.or(f.token_file);
    conn.datacenter = conn.datacenter.or(f.datacenter);
    conn.ca_file = conn.ca_file.or(f.ca_file);
    conn.ca_path = conn.ca_path.or(f.ca_path);
    conn.client_cert = conn.client_cert.or(f.cert_file);
    conn.client_key = conn.client_key.or(f.key_file);
    conn.tls_server_name = conn.tls_server_name.or(f.tls_server_name);
    conn.timeout = conn.timeout.or(file_duration(&f.timeout, "timeout")?);
    let d = AgentConfig::default();
    let s = &f.snapshot;
    let mut cfg = AgentConfig {
        interval: a
            .interval
            .or(file_duration(&s.interval, "interval")?)
            .unwrap_or(d.interval),
        retain: a.retain.or(s.retain).unwrap_or(d.retain),
        dir: a
            .dir
            .clone()
            .or(a.local_path.clone())
            .or(f.local_storage.path)
            .unwrap_or(d.dir),
        stale: a.stale || s.stale.unwrap_or(false),
        lock_key: a
            .lock_key
            .clone()
            .or(s.lock_key.clone())
            .unwrap_or(d.lock_key),
        service: a.service.clone().or(s.service.clone()).unwrap_or(d.service),
        session_ttl: a
            .session_ttl
            .or(file_duration(&s.session_ttl, "session_ttl")?)
            .unwrap_or(d.session_ttl),
        lock_delay: a
            .lock_delay
            .or(file_duration(&s.lock_delay, "lock_delay")?)
            .unwrap_or(d.lock_delay),
        check_ttl: a
            .check_ttl
            .or(file_duration(&s.check_ttl, "check_ttl")?)
            .unwrap_or(d.check_ttl),
        deregister_after: a
            .deregister_after
            .or(file_duration(&s.deregister_after, "deregister_after")?)
            .unwrap_or(d.deregister_after),
        stale_after: a
            .stale_after
            .or(file_duration(&s.stale_after, "stale_after")?),
        max_failures: a.max_failures.or(s.max_failures).unwrap_or(d.max_failures),
        once: a.once,
        lock: !a.no_lock,
        register: !a.no_register,
        name_prefix: a
            .name_prefix
            .clone()
            .or(s.name_prefix.clone())
            .unwrap_or(d.name_prefix),
        #[cfg(feature = "storage")]
        remote: dest.remote,
    };
    agent::check_prefix(&cfg.name_prefix).map_err(Error::Usage)?;
    if cfg.interval.is_zero() {
        // The Enterprise agent's one-shot mode: one snapshot, no election, no registration.
        cfg.once = true;
        cfg.lock = false;
        cfg.register = false;
    } else if cfg.interval < Duration::from_secs(1) {
        return Err(Error::Usage(
            "--interval must be at least 1s (or 0 for one snapshot and exit)".into(),
        ));
    }
    if cfg.lock
        && !(Duration::from_secs(10)..=Duration::from_secs(86400)).contains(&cfg.session_ttl)
    {
        return Err(Error::Usage(
            "--session-ttl must be between 10s and 24h (Consul's limits)".into(),
        ));
    }
    if cfg.check_ttl < Duration::from_secs(1) {
        return Err(Error::Usage("--check-ttl must be at least 1s".into()));
    }
    Ok(Settings { conn, cfg, ignored })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

fn policy_body(a: &Args, cfg: &AgentConfig, node: &str) -> serde_json::Value {
    json!({
        "Name": a.policy_name,
        "Description": format!("snapinspect snapshot agent: save snapshots, hold the lock {}, session on node {}, register service {}", cfg.lock_key, node, cfg.service),
        "Rules": agent::policy_hcl(cfg, node),
    })
}

/// Runs `agent`.
pub fn run(a: Args) -> Result<i32, Error> {
    let Settings { conn, cfg, ignored } = settings(&a)?;
    if !ignored.is_empty() {
        eprintln!(
            "snapinspect: warning: Consul Enterprise settings accepted but not implemented, ignored: {}",
            ignored.join(", ")
        );
    }
    if a.print_policy {
        let node = a.node.clone().unwrap_or_else(hostname);
        let out = match a.format {
            PolicyFormat::Hcl => agent::policy_hcl(&cfg, &node),
            PolicyFormat::Json => {
                let mut body = policy_body(&a, &cfg, &node);
                body["Rules"] =
                    serde_json::Value::String(agent::policy_rules_json(&cfg, &node).to_string());
                serde_json::to_string_pretty(&body).expect("JSON") + "\n"
            }
        };
        super::emit(out.as_bytes())?;
        return Ok(EXIT_OK);
    }
    let client = conn.client()?;
    if a.create_token {
        return create_token(&a, &cfg, &client);
    }
    #[cfg(feature = "storage")]
    let local = cfg.remote.is_none();
    #[cfg(not(feature = "storage"))]
    let local = true;
    if local {
        std::fs::create_dir_all(&cfg.dir)
            .map_err(|e| Error::io(format!("creating {}", cfg.dir.display()), e))?;
    }
    let mut agent = Agent::new(
        client,
        cfg,
        super::signal::stop_flag(),
        super::signal::temp_files(),
    );
    agent.run()?;
    Ok(EXIT_OK)
}

const MANAGEMENT: &str = "acl = \"write\" (a management token, to create policies and tokens)";

/// Creates (or reuses) the agent's policy and token; writes the SecretID to a 0600 file.
fn create_token(a: &Args, cfg: &AgentConfig, client: &Client) -> Result<i32, Error> {
    let node = match &a.node {
        Some(n) => n.clone(),
        None => {
            let v = client.get_json("/v1/agent/self", "agent read on this node")?;
            v["Config"]["NodeName"]
                .as_str()
                .ok_or_else(|| Error::Remote("agent/self answered without Config.NodeName".into()))?
                .to_string()
        }
    };
    let body = policy_body(a, cfg, &node);
    let policies = client.get_json("/v1/acl/policies", MANAGEMENT)?;
    let existing = policies
        .as_array()
        .and_then(|l| l.iter().find(|p| p["Name"] == a.policy_name.as_str()))
        .and_then(|p| p["ID"].as_str())
        .map(str::to_string);
    let mut out = String::new();
    let policy_id = match existing {
        Some(id) => {
            let current =
                client.get_json(&format!("/v1/acl/policy/{}", encode(&id)), MANAGEMENT)?;
            if current["Rules"] != body["Rules"] {
                let mut update = body.clone();
                update["ID"] = json!(id);
                client.put_json(
                    &format!("/v1/acl/policy/{}", encode(&id)),
                    &update,
                    MANAGEMENT,
                )?;
                out.push_str(&format!(
                    "Policy {} ({id}) updated to the rules it needs\n",
                    a.policy_name
                ));
            } else {
                out.push_str(&format!(
                    "Policy {} ({id}) already exists; reused\n",
                    a.policy_name
                ));
            }
            id
        }
        None => {
            let v = client.put_json("/v1/acl/policy", &body, MANAGEMENT)?;
            let id = v["ID"]
                .as_str()
                .ok_or_else(|| Error::Remote("acl/policy answered without an ID".into()))?
                .to_string();
            out.push_str(&format!("Policy {} ({id}) created\n", a.policy_name));
            id
        }
    };
    let description = format!("snapinspect snapshot agent (policy {})", a.policy_name);
    let tokens = client.get_json(
        &format!("/v1/acl/tokens?policy={}", encode(&policy_id)),
        MANAGEMENT,
    )?;
    let existing = tokens
        .as_array()
        .and_then(|l| l.iter().find(|t| t["Description"] == description.as_str()))
        .and_then(|t| t["AccessorID"].as_str())
        .map(str::to_string);
    let (accessor, secret, verb) = match existing {
        Some(acc) => {
            let t = client.get_json(&format!("/v1/acl/token/{}", encode(&acc)), MANAGEMENT)?;
            let secret = t["SecretID"].as_str().unwrap_or_default().to_string();
            (acc, secret, "already exists; reused")
        }
        None => {
            let t = client.put_json(
                "/v1/acl/token",
                &json!({ "Description": description, "Policies": [{ "ID": policy_id }] }),
                MANAGEMENT,
            )?;
            let acc = t["AccessorID"].as_str().unwrap_or_default().to_string();
            let secret = t["SecretID"].as_str().unwrap_or_default().to_string();
            (acc, secret, "created")
        }
    };
    if secret.is_empty() || accessor.is_empty() {
        return Err(Error::Remote(
            "Consul did not return the token's AccessorID and SecretID".into(),
        ));
    }
    // write_atomic's temp file is created with mode 0600 and keeps it through the rename.
    snapinspect::write::write_atomic(&a.token_out, &super::signal::temp_files(), |f| {
        use std::io::Write;
        f.write_all(format!("{secret}\n").as_bytes())
            .map_err(|e| Error::io(format!("writing {}", a.token_out.display()), e))
    })?;
    out.push_str(&format!(
        "Token {accessor} {verb}\nSecretID written to {} (mode 0600); run the agent with -token-file {}\n",
        a.token_out.display(),
        a.token_out.display()
    ));
    super::emit(out.as_bytes())?;
    Ok(EXIT_OK)
}
