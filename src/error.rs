//! The one error type of the project and its mapping to exit codes.

use std::fmt;
use std::io;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the command ran and has a finding (differences, secrets, stale backup...).
pub const EXIT_FINDING: i32 = 1;
/// Exit code: the command line was wrong.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the snapshot is invalid or corrupt.
pub const EXIT_INVALID: i32 = 3;
/// Exit code: an I/O error (missing file, permission, network).
pub const EXIT_IO: i32 = 4;
/// Exit code: the input is of a kind snapinspect does not support.
pub const EXIT_UNSUPPORTED: i32 = 5;

/// Where in a snapshot something went wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Archive member (`meta.json`, `state.bin`, `SHA256SUMS`) or other part of the input.
    pub member: Option<String>,
    /// Byte offset, in the unit named by `offset_in`.
    pub offset: Option<u64>,
    /// What `offset` counts: "compressed file", "tar stream", "state.bin", ...
    pub offset_in: Option<&'static str>,
    /// Record number in state.bin (1-based; the header is record 0).
    pub record: Option<u64>,
    /// Record type name, when known.
    pub record_type: Option<String>,
    /// Line number (1-based) in a text member such as SHA256SUMS.
    pub line: Option<u64>,
}

impl Location {
    /// A location inside one archive member.
    pub fn member(name: &str) -> Self {
        Location {
            member: Some(name.to_string()),
            ..Default::default()
        }
    }

    /// Adds a byte offset, with what it counts.
    pub fn at(mut self, offset: u64, offset_in: &'static str) -> Self {
        self.offset = Some(offset);
        self.offset_in = Some(offset_in);
        self
    }

    /// Adds a record number and type name.
    pub fn record(mut self, number: u64, type_name: Option<String>) -> Self {
        self.record = Some(number);
        self.record_type = type_name;
        self
    }

    fn is_empty(&self) -> bool {
        self.member.is_none()
            && self.offset.is_none()
            && self.record.is_none()
            && self.line.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = &self.member {
            parts.push(m.clone());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(r) = self.record {
            match &self.record_type {
                Some(t) => parts.push(format!("record {r} ({t})")),
                None => parts.push(format!("record {r}")),
            }
        }
        if let Some(o) = self.offset {
            match self.offset_in {
                Some(unit) => parts.push(format!("byte {o} of the {unit}")),
                None => parts.push(format!("byte {o}")),
            }
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// Which check found a snapshot invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The gzip layer (header, deflate data, CRC, length, truncation).
    Gzip,
    /// The tar layer (headers, checksums, sizes, end of archive).
    Tar,
    /// The set of members (unexpected, duplicate or missing files).
    Members,
    /// SHA256SUMS against the members' contents.
    Hash,
    /// meta.json contents (JSON, Size, version).
    Meta,
    /// Data left after the end of the tar archive.
    Trailing,
    /// The state.bin header.
    Header,
    /// A state.bin record (msgpack structure, type byte, truncation).
    Record,
    /// The CRC of a raft snapshot directory.
    Crc,
    /// Cross-checks between meta.json and state.bin (index, ordering).
    Consistency,
    /// A configured limit (size, record size) was exceeded.
    Limit,
}

impl Check {
    /// The check's stable name, as used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Check::Gzip => "gzip",
            Check::Tar => "tar",
            Check::Members => "members",
            Check::Hash => "hash",
            Check::Meta => "meta",
            Check::Trailing => "trailing",
            Check::Header => "header",
            Check::Record => "record",
            Check::Crc => "crc",
            Check::Consistency => "consistency",
            Check::Limit => "limit",
        }
    }
}

/// A snapshot that failed a check: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The check that failed.
    pub check: Check,
    /// What is wrong, in words (Consul's wording where Consul has one).
    pub message: String,
    /// Where it is wrong.
    pub location: Location,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} (at {})", self.message, self.location)
        }
    }
}

/// Every error snapinspect reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or a request was wrong.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file, a pipe or the network failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and on what.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The snapshot is invalid or corrupt.
    #[error("invalid snapshot: {0}")]
    Invalid(Box<Invalid>),
    /// The input is of a kind snapinspect does not support.
    #[error("unsupported input: {0}")]
    Unsupported(String),
    /// A remote service (Consul's HTTP API) refused or failed a request.
    #[error("{0}")]
    Remote(String),
}

impl Error {
    /// Builds an invalid-snapshot error.
    pub fn invalid(check: Check, message: impl Into<String>, location: Location) -> Self {
        Error::Invalid(Box::new(Invalid {
            check,
            message: message.into(),
            location,
        }))
    }

    /// Builds an I/O error with context.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Io { .. } | Error::Remote(_) => EXIT_IO,
            Error::Invalid(_) => EXIT_INVALID,
            Error::Unsupported(_) => EXIT_UNSUPPORTED,
        }
    }

    /// A stable one-word kind, as used in JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Io { .. } => "io",
            Error::Invalid(i) => i.check.name(),
            Error::Unsupported(_) => "unsupported",
            Error::Remote(_) => "remote",
        }
    }
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
