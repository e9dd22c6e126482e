//! Command-line parsing and dispatch; each command lives in its own file.

use std::ffi::OsString;
use std::io::{self, Write};

use clap::{CommandFactory, Parser, Subcommand};
use snapinspect::error::{Error, EXIT_IO, EXIT_OK, EXIT_USAGE};

mod acl;
mod agent;
#[cfg(feature = "storage")]
mod agent_storage;
mod args;
mod color;
mod compat;
mod decode;
mod diff;
mod generate;
mod inspect;
pub mod live;
mod pack;
mod plot;
pub mod progress;
mod scan;
pub mod signal;
mod storage;
mod trend;
mod verify;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a finding (differences, secrets found, a stale backup)
  2  usage error
  3  invalid or corrupt snapshot
  4  I/O error (missing file, permission, network)
  5  unsupported input (not a Consul snapshot, unknown format version)";

/// Inspect, verify and decode HashiCorp Consul snapshot archives.
#[derive(Parser, Debug)]
#[command(
    name = "snapinspect",
    version,
    about,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true,
    override_usage = "snapinspect FILE            (what a snapshot holds, as inspect)\n       snapinspect <COMMAND> [OPTIONS] ..."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour OK/FAIL/WARN, diff signs and audit severities: auto (a terminal, unless
    /// NO_COLOR is set), always or never.
    #[arg(long, value_enum, global = true, default_value_t = color::ColorChoice::Auto)]
    color: color::ColorChoice,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show what a snapshot holds, as `consul snapshot inspect` does (the default command).
    #[command(after_help = EXIT_CODES)]
    Inspect(inspect::Args),
    /// Print every record as a line of JSON (typed, secrets redacted unless --show-secrets).
    #[command(after_help = EXIT_CODES)]
    Decode(decode::Args),
    /// Prove snapshots are whole: every hash and every record, many files in parallel.
    #[command(after_help = EXIT_CODES)]
    Verify(verify::Args),
    /// Compare two snapshots: what restoring NEW over OLD would change (exit 1 if anything).
    #[command(after_help = EXIT_CODES)]
    Diff(diff::Args),
    /// Turn a raft snapshot directory (or meta.json and state.bin) into a .snap.
    #[command(after_help = EXIT_CODES)]
    Pack(pack::PackArgs),
    /// Verify a .snap, then extract meta.json, state.bin and SHA256SUMS.
    #[command(after_help = EXIT_CODES)]
    Unpack(pack::UnpackArgs),
    /// Write a copy with every secret replaced, safe to hand over or restore into a test cluster.
    #[command(after_help = EXIT_CODES)]
    Redact(pack::RedactArgs),
    /// List the records that carry secrets and KV values that look like secrets (never the secrets).
    #[command(after_help = EXIT_CODES)]
    Scan(scan::Args),
    /// Show how snapshots grow over time, per type and per KV prefix (--plot for an SVG chart).
    #[command(after_help = EXIT_CODES)]
    Trend(trend::Args),
    /// Say which Consul versions can restore a snapshot (exit 1 if --target cannot).
    #[command(after_help = EXIT_CODES)]
    Compat(compat::Args),
    /// Download a snapshot from Consul, verified while it streams; kept only when whole.
    #[command(after_help = EXIT_CODES)]
    Save(live::SaveArgs),
    /// Verify a snapshot in full, then restore it into Consul.
    #[command(after_help = EXIT_CODES)]
    Restore(live::RestoreArgs),
    /// The open snapshot agent: scheduled, verified, retained saves with leader election.
    #[command(after_help = EXIT_CODES)]
    Agent(Box<agent::Args>),
    /// Write a realistic synthetic snapshot of a chosen size (for benchmarks and scale tests).
    #[command(after_help = EXIT_CODES)]
    Generate(generate::Args),
    /// ACL tokens, policies, roles, auth methods and binding rules as Consul's ACL API shows them; audit.
    #[command(after_help = EXIT_CODES)]
    Acl(acl::Args),
    /// Print the version and the newest Consul release whose snapshots it knows.
    Version,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `snapinspect man > snapinspect.1`.
    Man,
}

/// Names of subcommands, so that `snapinspect FILE` can mean `snapinspect inspect FILE`.
fn subcommand_names() -> Vec<String> {
    let cmd = Cli::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names.push("help".into());
    names
}

/// Rewrites Consul's single-dash long options (`-kvdetails`, `-format=json`) to clap's `--` form,
/// and inserts `inspect` when no subcommand is named.
fn normalize(mut args: Vec<OsString>) -> Vec<OsString> {
    let names = subcommand_names();
    // Global options before the command (`--color never verify ...`) move behind it.
    let mut globals = Vec::new();
    while args.len() > 1 {
        let a = args[1].to_string_lossy().to_string();
        if a == "--color" || a == "-color" {
            globals.extend(args.drain(1..3.min(args.len())));
        } else if a.starts_with("--color=") || a.starts_with("-color=") {
            globals.push(args.remove(1));
        } else {
            break;
        }
    }
    args.extend(globals);
    if args.len() > 1 {
        let first = args[1].to_string_lossy().to_string();
        // Consul's spelling and the usual ones all mean the version command.
        if matches!(first.as_str(), "-V" | "--version" | "-version") {
            args[1] = "version".into();
        }
        let first = args[1].to_string_lossy().to_string();
        let is_global = matches!(first.as_str(), "-h" | "--help");
        if !names.contains(&first) && !is_global {
            args.insert(1, "inspect".into());
        }
    }
    let sub = args
        .get(1)
        .map(|a| a.to_string_lossy().to_string())
        .unwrap_or_default();
    let cmd = Cli::command();
    // The options of the subcommand, and of its own subcommand if it has one (`acl tokens`).
    let nested = args.get(2).map(|a| a.to_string_lossy().to_string());
    let longs: Vec<String> = cmd
        .find_subcommand(&sub)
        .map(|s| {
            let inner = nested.as_deref().and_then(|n| s.find_subcommand(n));
            s.get_arguments()
                .chain(inner.into_iter().flat_map(|i| i.get_arguments()))
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(args.len());
    let mut after_dashdash = false;
    for (i, a) in args.into_iter().enumerate() {
        let s = a.to_string_lossy().to_string();
        if i >= 2 && !after_dashdash && s.starts_with('-') && !s.starts_with("--") && s.len() > 2 {
            let name = s[1..].split('=').next().unwrap_or("");
            if longs.iter().any(|l| l == name) {
                out.push(OsString::from(format!("-{s}")));
                continue;
            }
        }
        if s == "--" {
            after_dashdash = true;
        }
        out.push(a);
    }
    out
}

/// What `version`, `--version` and `-version` print.
fn version_text() -> String {
    format!(
        "snapinspect {}\nKnows Consul snapshot record types up to Consul {}\n",
        env!("CARGO_PKG_VERSION"),
        snapinspect::snapshot::msgtype::KNOWN_UP_TO
    )
}

/// Writes to stdout; a closed pipe ends the program quietly.
pub fn emit(bytes: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("writing to standard output", e))
}

/// Writes a report to stdout through a buffer; a closed pipe ends the program quietly.
pub fn emit_with(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write(&mut out)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("writing to standard output", e))
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    // `snapinspect inspec FILE`: a typo of a command, not a file to inspect.
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        let names = subcommand_names();
        if !first.starts_with('-')
            && !names.iter().any(|n| n == first)
            && !std::path::Path::new(first).exists()
            && (args.len() > 2 || !first.contains(['.', '/']))
        {
            if let Some(n) = args::did_you_mean(first, names.iter().map(String::as_str)) {
                eprintln!("snapinspect: unknown command {first:?}; did you mean {n:?}?");
                return EXIT_USAGE;
            }
        }
    }
    let cli = match Cli::try_parse_from(normalize(args)) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    color::init(cli.color);
    let result = match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Compat(a) => compat::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Decode(a) => decode::run(a),
        Command::Pack(a) => pack::pack(a),
        Command::Unpack(a) => pack::unpack(a),
        Command::Redact(a) => pack::redact(a),
        Command::Scan(a) => scan::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Trend(a) => trend::run(a),
        Command::Save(a) => live::save(a),
        Command::Restore(a) => live::restore(a),
        Command::Agent(a) => agent::run(*a),
        Command::Acl(a) => acl::run(a),
        Command::Version => emit(version_text().as_bytes()).map(|_| EXIT_OK),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "snapinspect", &mut out);
            emit(&out).map(|_| EXIT_OK)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::io("rendering the manual page", e))
                .and_then(|_| emit(&out))
                .map(|_| EXIT_OK)
        }
    };
    match result {
        Ok(code) => code,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("snapinspect: {e}");
            let code = e.exit_code();
            if code == EXIT_IO || code == EXIT_USAGE {
                return code;
            }
            code
        }
    }
}
