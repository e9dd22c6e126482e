//! `agent`: the open snapshot agent (schedule, retention, leader election), its ACL policy,
//! and the token it runs with.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
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

/// Arguments of `agent`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    conn: ConnArgs,
    /// A JSON config file (the Enterprise agent's `snapshot_agent` shape; flags win over it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Time between snapshots [default: 1h].
    #[arg(long, value_parser = duration)]
    interval: Option<Duration>,
    /// How many snapshots to keep in the directory, 0 for all [default: 30].
    #[arg(long)]
    retain: Option<usize>,
    /// Directory the snapshots go to [default: .].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
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
    /// Consul removes the service after its check has been critical this long [default: 72h].
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

/// The config file: `{"snapshot_agent": {...}}` or its inside.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http_addr: Option<String>,
    token: Option<String>,
    token_file: Option<PathBuf>,
    datacenter: Option<String>,
    ca_file: Option<PathBuf>,
    ca_path: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    tls_server_name: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    snapshot: SnapshotSection,
    #[serde(default)]
    local_storage: LocalStorage,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct SnapshotSection {
    interval: Option<String>,
    retain: Option<usize>,
    stale: Option<bool>,
    service: Option<String>,
    deregister_after: Option<String>,
    lock_key: Option<String>,
    session_ttl: Option<String>,
    lock_delay: Option<String>,
    check_ttl: Option<String>,
    stale_after: Option<String>,
    max_failures: Option<u32>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct LocalStorage {
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    snapshot_agent: FileConfig,
}

fn read_config(path: &PathBuf) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading the config file {}", path.display()), e))?;
    let bad = |e: serde_json::Error| Error::Usage(format!("config file {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
    if v.get("snapshot_agent").is_some() {
        Ok(serde_json::from_value::<Wrapped>(v)
            .map_err(bad)?
            .snapshot_agent)
    } else {
        serde_json::from_value(v).map_err(bad)
    }
}

fn file_duration(v: &Option<String>, what: &str) -> Result<Option<Duration>, Error> {
    v.as_deref()
        .map(|s| duration(s).map_err(|e| Error::Usage(format!("config {what}: {e}"))))
        .transpose()
}

/// Merges flags over the config file over the defaults.
fn settings(a: &Args) -> Result<(ConnArgs, AgentConfig), Error> {
    let f = match &a.config {
        Some(p) => read_config(p)?,
        None => FileConfig::default(),
    };
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
    let cfg = AgentConfig {
        interval: a
            .interval
            .or(file_duration(&s.interval, "interval")?)
            .unwrap_or(d.interval),
        retain: a.retain.or(s.retain).unwrap_or(d.retain),
        dir: a.dir.clone().or(f.local_storage.path).unwrap_or(d.dir),
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
    };
    if cfg.interval < Duration::from_secs(1) {
        return Err(Error::Usage("--interval must be at least 1s".into()));
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
    Ok((conn, cfg))
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
    let (conn, cfg) = settings(&a)?;
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
    std::fs::create_dir_all(&cfg.dir)
        .map_err(|e| Error::io(format!("creating {}", cfg.dir.display()), e))?;
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
