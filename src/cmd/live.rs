//! `save` and `restore`: snapshots to and from a live Consul, with the `consul` CLI's flags.

use std::path::PathBuf;
use std::time::Duration;

use snapinspect::error::{Error, EXIT_FINDING, EXIT_OK};
use snapinspect::live::consul::{Client, ConnectOptions};
use snapinspect::live::transfer::{self, SaveOptions};
use snapinspect::report::verify::VerifyOptions;
use snapinspect::version::Version;
use snapinspect::Input;

use super::signal::{self, EXIT_INTERRUPTED};

fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (write e.g. 30s, 5m)"))?;
    if d < Duration::from_millis(100) {
        return Err(format!("{s:?}: at least 100ms"));
    }
    Ok(d)
}

/// How to reach Consul, as the `consul` CLI takes it (each flag also reads its `CONSUL_*`
/// environment variable).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConnArgs {
    /// Consul's HTTP address: host:port, http://, https:// or unix:///path [env: CONSUL_HTTP_ADDR; default 127.0.0.1:8500].
    #[arg(long, value_name = "ADDR")]
    pub http_addr: Option<String>,
    /// ACL token [env: CONSUL_HTTP_TOKEN].
    #[arg(long)]
    pub token: Option<String>,
    /// File holding the ACL token [env: CONSUL_HTTP_TOKEN_FILE].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Datacenter to ask (default: the agent's) [env: CONSUL_DATACENTER].
    #[arg(long)]
    pub datacenter: Option<String>,
    /// PEM CA file to verify Consul's TLS certificate [env: CONSUL_CACERT].
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Directory of PEM CA certificates [env: CONSUL_CAPATH].
    #[arg(long, value_name = "DIR")]
    pub ca_path: Option<PathBuf>,
    /// PEM client certificate for mutual TLS [env: CONSUL_CLIENT_CERT].
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// PEM key of the client certificate [env: CONSUL_CLIENT_KEY].
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Server name to expect in Consul's certificate [env: CONSUL_TLS_SERVER_NAME].
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// Deadline of every request to Consul: connecting, each silence while reading or
    /// writing, and the whole of an API call (a snapshot transfer only between bytes)
    /// [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,
}

impl ConnArgs {
    /// The connection options, flags first.
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            http_addr: self.http_addr.clone(),
            token: self.token.clone(),
            token_file: self.token_file.clone(),
            datacenter: self.datacenter.clone(),
            ca_file: self.ca_file.clone(),
            ca_path: self.ca_path.clone(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            tls_server_name: self.tls_server_name.clone(),
            timeout: self.timeout,
            ..Default::default()
        }
    }

    /// A client for these options.
    pub fn client(&self) -> Result<Client, Error> {
        Client::new(&self.options())
    }
}

/// Arguments of `save`.
#[derive(clap::Args, Debug)]
pub struct SaveArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Let any server answer, not only the leader (works without a leader; may be behind).
    #[arg(long)]
    stale: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Add the leader's Consul version and/or the datacenter to FILE's name before its
    /// extension, as `consul snapshot save -append-filename version,dc` does
    /// (backup.snap becomes backup-1.17.0-dc1.snap).
    #[arg(long, value_name = "LIST")]
    append_filename: Option<String>,
    /// Where to write the snapshot (written only once it is verified); `-` is standard
    /// output (the snapshot is staged privately and sent only once verified); an object URL
    /// (`s3://BUCKET/KEY`) is uploaded while it is verified and completed only when valid.
    #[arg(required_unless_present = "output", conflicts_with = "output")]
    file: Option<PathBuf>,
    /// The same as FILE, as other commands spell it.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `save`.
pub fn save(a: SaveArgs) -> Result<i32, Error> {
    let target = a
        .file
        .clone()
        .or(a.output.clone())
        .expect("clap requires FILE or --output");
    if let Some(url) = target.to_str().filter(|t| Input::is_url(t)) {
        return save_to_url(&a, url);
    }
    // `-`: staged in a private directory, sent to standard output once verified.
    let staging = if target.as_os_str() == "-" {
        Some(tempfile::tempdir().map_err(|e| Error::io("creating a staging directory", e))?)
    } else {
        None
    };
    let target = match &staging {
        Some(d) => d.path().join("snapshot.snap"),
        None => target,
    };
    let append = transfer::AppendFilename::parse(a.append_filename.as_deref().unwrap_or(""))?;
    let client = a.conn.client()?;
    if !append.ignored.is_empty() {
        eprintln!(
            "snapinspect: warning: -append-filename {}: ignored, as Consul ignores them (it appends only version and dc)",
            append.ignored.join(",")
        );
    }
    let file = if append.any() {
        append.apply(&client, &target)?
    } else {
        target.clone()
    };
    let Some(saved) = download(&a, &client, |opts| transfer::save(&client, opts, &file))? else {
        return Ok(EXIT_INTERRUPTED);
    };
    for w in &saved.warnings {
        eprintln!("snapinspect: warning: {w}");
    }
    let index = saved.consul_index.unwrap_or(saved.snapshot.meta.index);
    let line = format!("Saved and verified snapshot to index {index}\n");
    if staging.is_some() {
        // The snapshot is the output; the result line goes to stderr.
        let mut f = std::fs::File::open(&saved.path)
            .map_err(|e| Error::io("rereading the staged snapshot", e))?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut f, &mut out)
            .and_then(|_| std::io::Write::flush(&mut out))
            .map_err(|e| Error::io("writing to standard output", e))?;
        eprint!("{line}");
    } else {
        super::emit(line.as_bytes())?;
    }
    Ok(EXIT_OK)
}

/// Runs `save`'s download (`save`, into a file or an object) with the progress display and
/// the interrupt flag; `None` when interrupted (said on stderr: nothing was kept).
fn download<T>(
    a: &SaveArgs,
    client: &Client,
    save: impl FnOnce(&SaveOptions<'_>) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let spec = super::progress::Spec {
        label: client.address().to_string(),
        total: None,
        phases: vec!["downloading from".into()],
        unit: super::progress::Unit::Bytes,
    };
    let progress = super::progress::Progress::start(spec, counter.clone(), a.quiet);
    let opts = SaveOptions {
        stale: a.stale,
        progress: Some(counter),
        cancel: Some(signal::stop_flag()),
        before_keep: None,
        temps: &signal::temp_files(),
    };
    let saved = save(&opts);
    drop(progress);
    if signal::stopped() {
        eprintln!("snapinspect: interrupted; nothing was kept");
        return Ok(None);
    }
    saved.map(Some)
}

/// `save` to an object URL: streamed into a multipart upload while it is verified.
#[cfg(feature = "storage")]
fn save_to_url(a: &SaveArgs, url: &str) -> Result<i32, Error> {
    use snapinspect::live::{storage::ObjectUrl, upload};
    let u = ObjectUrl::parse(url)?;
    if u.is_prefix() {
        return Err(Error::Usage(format!(
            "{url} names a prefix; give the object's key (s3://BUCKET/KEY.snap)"
        )));
    }
    if a.append_filename.is_some() {
        return Err(Error::Usage(
            "-append-filename works on file names; name the object in the URL".into(),
        ));
    }
    let storage = super::storage::storage()?;
    let client = a.conn.client()?;
    let Some(saved) = download(a, &client, |opts| {
        upload::save_to_object(&client, opts, &storage, &u)
    })?
    else {
        return Ok(EXIT_INTERRUPTED);
    };
    for w in &saved.warnings {
        eprintln!("snapinspect: warning: {w}");
    }
    let index = saved.consul_index.unwrap_or(saved.snapshot.meta.index);
    super::emit(format!("Saved and verified snapshot to index {index}\n").as_bytes())?;
    Ok(EXIT_OK)
}

#[cfg(not(feature = "storage"))]
fn save_to_url(_: &SaveArgs, url: &str) -> Result<i32, Error> {
    Err(Error::Unsupported(format!(
        "{url}: writing object-store URLs needs snapinspect built with the `s3`, `azure` or `gcs` feature"
    )))
}

/// Arguments of `restore`.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Verify for the server's Consul version, print the verdict, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Send it even if the server's Consul version would not load it (records that no Consul
    /// loads are still refused).
    #[arg(long)]
    force: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// The snapshot to restore (verified in full before anything is sent): a file or an
    /// object URL (`s3://BUCKET/KEY`, downloaded once, verified and staged in the same pass).
    file: PathBuf,
}

/// The server's Consul version, from `/v1/agent/self` (`Config.Version`).
fn server_version(client: &snapinspect::live::consul::Client) -> Result<Version, String> {
    let doc = client
        .get_json("/v1/agent/self", "agent:read")
        .map_err(|e| e.to_string())?;
    let text = doc
        .pointer("/Config/Version")
        .and_then(|v| v.as_str())
        .ok_or("the answer has no Config.Version")?;
    Version::parse(text).ok_or_else(|| format!("{text:?} is not a Consul version"))
}

/// What restore checks before sending: that this server's version loads every record.
fn verify_options(target: Option<Version>, force: bool) -> VerifyOptions {
    VerifyOptions {
        target: if force { None } else { target },
        allow_unknown_types: force,
        ..Default::default()
    }
}

/// The one line that says why a snapshot is refused, and exit 1.
fn refuse(file: &std::path::Path, target: Option<Version>, e: Error) -> Result<i32, Error> {
    match e {
        Error::Invalid(i) => {
            let whom = match target {
                Some(v) => format!("Consul {v} would not load it"),
                None => "no Consul would load it".to_string(),
            };
            eprintln!(
                "snapinspect: refusing to restore {}: {whom}: {} (at {}); --force sends it anyway",
                file.display(),
                i.message,
                i.location
            );
            Ok(EXIT_FINDING)
        }
        other => Err(other),
    }
}

/// Runs `restore`.
pub fn restore(a: RestoreArgs) -> Result<i32, Error> {
    let client = a.conn.client()?;
    let target = match server_version(&client) {
        Ok(v) => Some(v),
        Err(why) => {
            eprintln!(
                "snapinspect: warning: could not read the server's Consul version ({why}); \
                 judging for any Consul version snapinspect knows"
            );
            None
        }
    };
    let mut opts = verify_options(target, a.force);
    let url = a
        .file
        .to_str()
        .filter(|t| Input::is_url(t))
        .map(str::to_string);
    let input = match &url {
        Some(u) => Input::Url(u.clone()),
        None => Input::Archive(a.file.clone()),
    };
    opts.read.opener = super::storage::opener();
    if a.dry_run {
        let checked = match &url {
            Some(_) => snapinspect::report::verify::check_input(&input, &opts).and_then(|v| {
                v.snapshot.require_consul("restore into Consul")?;
                Ok(v)
            }),
            None => transfer::check_for_restore(&a.file, &opts),
        };
        let snapinspect::report::verify::Verified {
            snapshot: snap,
            warnings,
        } = match checked {
            Ok(x) => x,
            Err(e) => {
                let e = super::args::with_input(e, &input);
                return refuse(&a.file, target, e);
            }
        };
        for w in &warnings {
            eprintln!("snapinspect: warning: {w}");
        }
        let mut out = String::new();
        out.push_str(&format!(
            "Would restore {} to {}{} (PUT /v1/snapshot, {} bytes); it would load; nothing was sent.\n",
            a.file.display(),
            client.address(),
            target.map(|v| format!(" (Consul {v})")).unwrap_or_default(),
            snap.input_size
        ));
        out.push_str(&format!(
            " ID           {}\n Index        {}\n Term         {}\n Version      {}\n Records      {}\n",
            snap.meta.id, snap.meta.index, snap.meta.term, snap.meta.version, snap.records
        ));
        for (t, s) in snap.types() {
            out.push_str(&format!("   {:<28} {}\n", t.name(), s.count));
        }
        super::emit(out.as_bytes())?;
        return Ok(EXIT_OK);
    }
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let spec = super::progress::Spec {
        phases: vec!["verifying and staging".into(), "sending".into()],
        ..super::progress::Spec::reading(&input)
    };
    let progress = super::progress::Progress::start(spec, counter.clone(), a.quiet);
    let stop = signal::stop_flag();
    let result = match &url {
        Some(u) => restore_url(&client, u, &opts, counter, stop),
        None => transfer::restore(&client, &a.file, &opts, Some(counter), Some(stop)).map(|_| ()),
    };
    drop(progress);
    if signal::stopped() {
        eprintln!("snapinspect: interrupted; the restore was stopped");
        return Ok(EXIT_INTERRUPTED);
    }
    if let Err(e) = result {
        return refuse(&a.file, target, e);
    }
    super::emit(b"Restored snapshot\n")?;
    Ok(EXIT_OK)
}

/// `restore` of an object URL: the download is verified and staged privately in one pass, then
/// the staged copy is sent.
fn restore_url(
    client: &Client,
    url: &str,
    opts: &VerifyOptions,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<(), Error> {
    let Some(opener) = super::storage::opener() else {
        return Err(Error::Unsupported(format!(
            "{url}: reading object-store URLs needs snapinspect built with the `s3`, `azure` or `gcs` feature"
        )));
    };
    let reader = (opener.0)(url)?;
    let mut staged = transfer::stage_from(reader, &format!("reading {url}"), None, opts)?;
    transfer::send_staged(client, &mut staged, Some(counter), Some(stop))
}
