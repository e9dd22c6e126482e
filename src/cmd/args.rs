//! The flags several commands share, each defined once: the snapshot to read, the output
//! format, the record filter, and whether secrets are shown.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use snapinspect::error::Error;
use snapinspect::model::secrets::Redactor;
use snapinspect::report::decode::Filter;
use snapinspect::snapshot::archive::{self, Input, ReadOptions, Snapshot};
use snapinspect::snapshot::state::{MessageType, RecordSink};

/// The one size parser of the command line: `512MiB`, `1GiB`, `500k` or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => return Err(format!("unknown size unit {u:?} in {s:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

/// Output layouts of the reports (inspect adds Consul's legacy layout of its own).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Text for people: tables and lines.
    #[value(alias = "pretty")]
    Text,
    /// One JSON document.
    Json,
}

/// The snapshot a command reads, and how.
#[derive(clap::Args, Debug)]
pub struct SnapshotArgs {
    /// Fail once more than this many uncompressed bytes have been read (e.g. 512MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub storage: super::storage::StorageArgs,
    /// The snapshot: a .snap file, a raft snapshot directory, DIR/state.bin, an object URL
    /// (s3://BUCKET/KEY, az://CONTAINER/BLOB, gs://BUCKET/OBJECT), or - for stdin.
    pub file: PathBuf,
}

impl SnapshotArgs {
    /// The input the argument names.
    pub fn input(&self) -> Input {
        Input::from_arg(&self.file)
    }

    /// Reads the snapshot into `sink` in one pass, with a progress bar on a terminal unless
    /// `-q`; an error names the input.
    pub fn read(&self, sink: &mut dyn RecordSink) -> Result<Snapshot, Error> {
        let input = self.input();
        self.storage.apply();
        let counter = Arc::new(AtomicU64::new(0));
        let opts = ReadOptions {
            max_size: self.max_size,
            progress: Some(counter.clone()),
            opener: super::storage::opener(),
            ..Default::default()
        };
        let progress = super::progress::Progress::start(
            super::progress::Spec::reading(&input),
            counter,
            self.quiet,
        );
        let result = archive::read(&input, &opts, sink).map_err(|e| with_input(e, &input));
        drop(progress);
        result
    }
}

/// Which records a command looks at.
#[derive(clap::Args, Debug)]
pub struct TypeFilter {
    /// Only records of this type (name such as KVS or ACLToken, or number); repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only KV entries and tombstones whose key starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub kv_prefix: Option<String>,
}

impl TypeFilter {
    /// The filter, or a usage error naming a type that does not exist.
    pub fn filter(&self) -> Result<Filter, Error> {
        let mut types = Vec::new();
        for t in &self.types {
            types.push(MessageType::parse(t).ok_or_else(|| {
                let names = snapinspect::snapshot::msgtype::TABLE
                    .iter()
                    .map(|i| i.name)
                    .filter(|n| !n.is_empty());
                match did_you_mean(t, names) {
                    Some(n) => {
                        Error::Usage(format!("unknown record type {t:?}; did you mean {n}?"))
                    }
                    None => Error::Usage(format!("unknown record type {t:?}")),
                }
            })?);
        }
        Ok(Filter {
            types,
            kv_prefix: self.kv_prefix.clone().map(String::into_bytes),
        })
    }
}

impl TypeFilter {
    /// The `--type` names as Nomad type bytes, or `None` if one is not Nomad's (or
    /// `--kv-prefix` is given, which only Consul has).
    pub fn nomad_types(&self) -> Option<Vec<u8>> {
        if self.kv_prefix.is_some() {
            return None;
        }
        self.types
            .iter()
            .map(|t| snapinspect::snapshot::nomad::type_by_name(t))
            .collect()
    }
}

/// Whether secrets are printed.
#[derive(clap::Args, Debug)]
pub struct SecretArgs {
    /// Print secrets (ACL SecretIDs, private keys, tokens) instead of redaction markers.
    #[arg(long)]
    pub show_secrets: bool,
}

impl SecretArgs {
    /// Markers for secrets unless `--show-secrets` was given.
    pub fn redactor(&self) -> Redactor {
        Redactor::for_show_secrets(self.show_secrets)
    }
}

/// Prefixes an error with the input it concerns.
pub fn with_input(e: Error, input: &Input) -> Error {
    match (e, input) {
        // A directory that is not a raft snapshot directory: say what to do instead.
        (Error::Io { context, source }, Input::Raw { dir, .. })
            if !dir.join("meta.json").exists() && dir.is_dir() =>
        {
            Error::Io {
                context: format!(
                    "{context}; {} is not a raft snapshot directory (to check every snapshot below it, run `snapinspect verify {}`)",
                    dir.display(),
                    dir.display()
                ),
                source,
            }
        }
        (e, _) => with_input_name(e, input),
    }
}

fn with_input_name(e: Error, input: &Input) -> Error {
    match e {
        Error::Invalid(mut i) => {
            i.message = format!("{}: {}", input.display(), i.message);
            Error::Invalid(i)
        }
        Error::Unsupported(m) => Error::Unsupported(format!("{}: {m}", input.display())),
        other => other,
    }
}

/// A JSON document as the reports print it: Go's escaping, indented by `indent`, a newline.
pub fn json<T: serde::Serialize>(value: &T, indent: &'static [u8]) -> String {
    snapinspect::go::json::to_string_indent(value, indent) + "\n"
}

/// Makes a file others may read (0644): metrics and charts, unlike snapshots and tokens,
/// which stay 0600.
pub fn world_readable(f: &std::fs::File, path: &std::path::Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::io(format!("setting the mode of {}", path.display()), e))
}

/// Edit distance (Levenshtein) between two short words, case-insensitive.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word` (a typo of it, or a word it starts), if any is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = if !lower.is_empty() && c.to_lowercase().starts_with(&lower) {
                1
            } else {
                distance(word, c)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
