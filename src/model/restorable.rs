//! Whether Consul's restore can load a record: the record's msgpack value walked against the Go
//! type Consul decodes it into, with go-msgpack 0.5.5's conversion rules, then the state-store
//! rules on the decoded values (keys a table's primary index must have).
//!
//! Written by hand: no crate decodes msgpack the way HashiCorp's go-msgpack fork does (which
//! kinds convert into which Go kinds, nil into anything, structs from maps keyed by field name).
//! The walk reads the record's bytes in place, allocates nothing that grows with the record,
//! and stops at the first problem with the path of the field that has it.

use super::consul_structs;
use super::gotype::{Go, Special, Struct};
use super::restore_rules::{self, Drift, StoreRules};
use crate::version::Version;

/// Why Consul would not load a record: where in the record, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the field (`Service.Port`, `Policies[0]`); empty for the record itself.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field {}: {}", self.path, self.message)
        }
    }
}

/// The head of one msgpack value: its kind and, for scalars and strings, its content.
#[derive(Debug, Clone, Copy)]
enum Head<'a> {
    Nil,
    Bool,
    /// Positive fixint.
    Fix(u8),
    /// Negative fixint or `d0..d3`.
    Signed(i64),
    /// `cc..cf`.
    Unsigned(u64),
    /// `ca` (widened) or `cb`.
    Float64(f64),
    /// Old-spec raw (`a0..bf`, `d9..db`).
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(u64),
    Map(u64),
    Ext,
}

impl Head<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool => "a bool",
            Head::Fix(_) | Head::Signed(_) | Head::Unsigned(_) => "an integer",
            Head::Float64(_) => "a float",
            Head::Str(_) => "a string",
            Head::Bin(_) => "binary data",
            Head::Array(_) => "an array",
            Head::Map(_) => "a map",
            Head::Ext => "an extension value",
        }
    }
}

/// Deepest nesting walked; Consul's records nest far less.
const MAX_DEPTH: usize = 64;

struct Cur<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn truncated() -> Problem {
    Problem {
        path: String::new(),
        message: "the value is truncated".into(),
    }
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Problem> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let s = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, Problem> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    /// Reads the next value's head; scalars and strings are consumed whole, containers up to
    /// their first element.
    fn head(&mut self) -> Result<Head<'a>, Problem> {
        let m = self.take(1)?[0];
        Ok(match m {
            0x00..=0x7f => Head::Fix(m),
            0xe0..=0xff => Head::Signed(m as i8 as i64),
            0x80..=0x8f => Head::Map((m & 0x0f) as u64),
            0x90..=0x9f => Head::Array((m & 0x0f) as u64),
            0xa0..=0xbf => Head::Str(self.take((m & 0x1f) as usize)?),
            0xc0 => Head::Nil,
            0xc2 | 0xc3 => Head::Bool,
            0xc4..=0xc6 => {
                let n = self.be(1 << (m - 0xc4))? as usize;
                Head::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.be(1 << (m - 0xc7))? as usize;
                self.take(n + 1)?;
                Head::Ext
            }
            0xca => Head::Float64(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => Head::Float64(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Head::Unsigned(self.be(1 << (m - 0xcc))?),
            0xd0 => Head::Signed(self.be(1)? as u8 as i8 as i64),
            0xd1 => Head::Signed(self.be(2)? as u16 as i16 as i64),
            0xd2 => Head::Signed(self.be(4)? as u32 as i32 as i64),
            0xd3 => Head::Signed(self.be(8)? as i64),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (m - 0xd4)))?;
                Head::Ext
            }
            0xd9..=0xdb => {
                let n = self.be(1 << (m - 0xd9))? as usize;
                Head::Str(self.take(n)?)
            }
            0xdc => Head::Array(self.be(2)?),
            0xdd => Head::Array(self.be(4)?),
            0xde => Head::Map(self.be(2)?),
            0xdf => Head::Map(self.be(4)?),
            0xc1 => {
                return Err(Problem {
                    path: String::new(),
                    message: "holds the reserved msgpack marker 0xc1".into(),
                })
            }
        })
    }
}

/// A path being walked, built only when a problem is reported.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, u64),
    Key(&'p Path<'p>),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(p, name) => {
                let base = p.render();
                if base.is_empty() {
                    name.to_string()
                } else {
                    format!("{base}.{name}")
                }
            }
            Path::Index(p, i) => format!("{}[{i}]", p.render()),
            Path::Key(p) => format!("{}{{key}}", p.render()),
        }
    }

    fn problem(&self, message: String) -> Problem {
        Problem {
            path: self.render(),
            message,
        }
    }
}

fn go_name(ty: &Go) -> String {
    match ty {
        Go::Str => "string".into(),
        Go::Bytes => "[]byte".into(),
        Go::Int(64) => "int".into(),
        Go::Int(b) => format!("int{b}"),
        Go::Uint(64) => "uint64".into(),
        Go::Uint(b) => format!("uint{b}"),
        Go::Float(b) => format!("float{b}"),
        Go::Bool => "bool".into(),
        Go::Time => "time.Time".into(),
        Go::Any => "interface{}".into(),
        Go::Slice(e) => format!("[]{}", go_name(e)),
        Go::Map(k, v) => format!("map[{}]{}", go_name(k), go_name(v)),
        Go::Ptr(t) => format!("*{}", go_name(t)),
        Go::Struct(s) => s.name.to_string(),
        Go::Binary(t) => go_name(t),
        Go::Special(Special::ConfigEntryRequest) => "structs.ConfigEntryRequest".into(),
    }
}

fn mismatch(path: &Path<'_>, h: &Head<'_>, ty: &Go) -> Problem {
    path.problem(format!(
        "{} where Consul decodes a Go {}",
        h.kind(),
        go_name(ty)
    ))
}

/// Checks that an integer fits a Go integer kind as go-msgpack converts it.
fn int_fits(path: &Path<'_>, h: &Head<'_>, ty: &Go) -> Result<(), Problem> {
    let (signed, bits) = match *ty {
        Go::Int(b) => (true, b),
        Go::Uint(b) => (false, b),
        _ => unreachable!("only integer kinds"),
    };
    // The value as an i128 covers every msgpack integer exactly.
    let v: i128 = match *h {
        Head::Fix(n) => n as i128,
        Head::Signed(i) => i as i128,
        Head::Unsigned(u) => u as i128,
        _ => return Err(mismatch(path, h, ty)),
    };
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    // go-msgpack reads a u64 marker into an int64 with a wrap: a value above i64::MAX is not
    // an error there but a negative number; snapinspect does not vouch for that either.
    if v < lo || v > hi {
        let what = if v < 0 && !signed {
            format!(
                "the negative integer {v} where Consul decodes a Go {}",
                go_name(ty)
            )
        } else {
            format!("the integer {v}, which overflows a Go {}", go_name(ty))
        };
        return Err(path.problem(what));
    }
    Ok(())
}

/// Go 1.15's `time.Time.UnmarshalBinary`: version 1 and exactly 15 bytes.
fn time_ok(b: &[u8]) -> Result<(), String> {
    match (b.first(), b.len()) {
        (Some(1), 15) => Ok(()),
        (None, _) => Err("an empty string where Consul decodes a Go time.Time".into()),
        (Some(1), n) => Err(format!(
            "a {n}-byte string where Consul decodes a Go time.Time (15 bytes)"
        )),
        (Some(v), _) => Err(format!(
            "a string of time version {v} where Consul decodes a Go time.Time (version 1)"
        )),
    }
}

/// Walks one value of Go type `ty` from the cursor.
fn walk(c: &mut Cur<'_>, ty: &Go, path: &Path<'_>, depth: usize) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(path.problem(format!("nesting deeper than {MAX_DEPTH} levels")));
    }
    let start = c.pos;
    let h = c.head().map_err(|p| path.problem(p.message))?;
    // go-msgpack sets the zero value for nil, whatever the Go kind.
    if let Head::Nil = h {
        return Ok(());
    }
    match ty {
        // go-msgpack reads strings with its raw-string reader, which refuses bin.
        Go::Str => match h {
            Head::Str(_) => Ok(()),
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Bytes => match h {
            Head::Str(_) | Head::Bin(_) => Ok(()),
            // A []byte also decodes from an array of small integers, element by element.
            Head::Array(n) => {
                for i in 0..n {
                    walk(c, &Go::Uint(8), &Path::Index(path, i), depth + 1)?;
                }
                Ok(())
            }
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Int(_) | Go::Uint(_) => int_fits(path, &h, ty),
        Go::Float(bits) => match h {
            Head::Float64(f) if *bits == 32 && f.is_finite() && f.abs() > f32::MAX as f64 => {
                Err(path.problem(format!("the float {f}, which overflows a Go float32")))
            }
            Head::Float64(_) | Head::Fix(_) | Head::Signed(_) | Head::Unsigned(_) => Ok(()),
            _ => Err(mismatch(path, &h, ty)),
        },
        // go-msgpack also reads the integers 0 and 1 as false and true.
        Go::Bool => match h {
            Head::Bool | Head::Fix(0 | 1) => Ok(()),
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Time => match h {
            Head::Str(b) | Head::Bin(b) => time_ok(b).map_err(|m| path.problem(m)),
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Any => walk_any_rest(c, &h, path, depth),
        Go::Slice(elem) => match h {
            Head::Array(n) => {
                for i in 0..n {
                    walk(c, elem, &Path::Index(path, i), depth + 1)?;
                }
                Ok(())
            }
            // go-msgpack flattens a map into a slice: key, value, key, value, ...
            Head::Map(n) => {
                for i in 0..n.saturating_mul(2) {
                    walk(c, elem, &Path::Index(path, i), depth + 1)?;
                }
                Ok(())
            }
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Map(k, v) => match h {
            Head::Map(n) => walk_map(c, k, v, n, path, depth),
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Ptr(inner) => {
            c.pos = start;
            walk(c, inner, path, depth)
        }
        Go::Struct(s) => match h {
            Head::Map(n) => walk_struct(c, s, n, path, depth),
            Head::Array(_) => Err(path.problem(format!(
                "an array where Consul decodes a Go {} (a map keyed by field name); \
                 snapinspect does not vouch for structs decoded by position",
                s.name
            ))),
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Binary(inner) => match h {
            Head::Str(b) | Head::Bin(b) => {
                let mut inner_cur = Cur { buf: b, pos: 0 };
                walk(&mut inner_cur, inner, path, depth + 1)
            }
            _ => Err(mismatch(path, &h, ty)),
        },
        Go::Special(Special::ConfigEntryRequest) => match h {
            Head::Str(b) | Head::Bin(b) => config_entry_request(b, path, depth),
            _ => Err(mismatch(path, &h, ty)),
        },
    }
}

/// The rest of a value decoded into an empty interface, its head already read.
fn walk_any_rest(
    c: &mut Cur<'_>,
    h: &Head<'_>,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), Problem> {
    match *h {
        Head::Array(n) => {
            for i in 0..n {
                walk(c, &Go::Any, &Path::Index(path, i), depth + 1)?;
            }
            Ok(())
        }
        // Consul's handle decodes untyped maps as map[string]interface{}: keys are strings.
        Head::Map(n) => walk_map(c, &Go::Str, &Go::Any, n, path, depth),
        // Extension values become a codec.RawExt; everything else is a scalar.
        _ => Ok(()),
    }
}

/// A Go map: keys and values; a repeated key into an interface value is decoded into the
/// value already there, which go-msgpack fails on for scalars, so it is refused.
fn walk_map(
    c: &mut Cur<'_>,
    k: &Go,
    v: &Go,
    n: u64,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), Problem> {
    let track = matches!(v, Go::Any);
    let mut keys: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    for _ in 0..n {
        let key_at = c.pos;
        walk(c, k, &Path::Key(path), depth + 1)?;
        if track {
            let key = &c.buf[key_at..c.pos];
            if !keys.insert(key) {
                return Err(path.problem(
                    "a map with a repeated key whose value is untyped; Consul's decoder fails on \
                     most such repeats"
                        .into(),
                ));
            }
        }
        walk(c, v, path, depth + 1)?;
    }
    Ok(())
}

fn walk_struct(
    c: &mut Cur<'_>,
    s: &Struct,
    n: u64,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), Problem> {
    let mut seen = 0u128;
    for _ in 0..n {
        let key_at = c.pos;
        let kh = c.head().map_err(|p| path.problem(p.message))?;
        let key: &[u8] = match kh {
            Head::Str(k) => k,
            Head::Nil => b"",
            other => {
                c.pos = key_at;
                return Err(path.problem(format!(
                    "{} as a map key where Consul decodes a Go {} (keys are field names)",
                    other.kind(),
                    s.name
                )));
            }
        };
        match s.fields.iter().position(|f| f.name.as_bytes() == key) {
            Some(i) => {
                let field = &s.fields[i];
                // A repeated key is decoded into the value already there (merging maps,
                // failing on interfaces): snapinspect does not vouch for that.
                if i >= 128 || seen & (1u128 << i) != 0 {
                    return Err(Path::Field(path, field.name).problem(format!(
                        "the key {:?} appears twice in one {}",
                        field.name, s.name
                    )));
                }
                seen |= 1u128 << i;
                walk(c, &field.ty, &Path::Field(path, field.name), depth + 1)?
            }
            None => {
                // Unknown fields are decoded into an empty interface and dropped.
                let name = String::from_utf8_lossy(key);
                walk(c, &Go::Any, &Path::Field(path, &name), depth + 1)?
            }
        }
    }
    Ok(())
}

/// `structs.ConfigEntryRequest`'s own decoding: the kind, then the request with the entry of
/// that kind.
fn config_entry_request(b: &[u8], path: &Path<'_>, depth: usize) -> Result<(), Problem> {
    let mut c = Cur { buf: b, pos: 0 };
    let kind = match c.head().map_err(|p| path.problem(p.message))? {
        Head::Str(k) => k,
        other => {
            return Err(path.problem(format!(
                "a config entry that starts with {} instead of its kind (a string)",
                other.kind()
            )))
        }
    };
    // A kind Consul 1.8.7 does not know is judged by version in `RestoreCheck`; its entry is
    // walked untyped here.
    let entry = consul_structs::config_entry_kind(kind).unwrap_or(Go::Any);
    walk(
        &mut c,
        &consul_structs::config_entry_request(entry),
        &Path::Field(path, "Entry"),
        depth + 1,
    )
}

/// Checks one record value against the Go type Consul decodes records of type `t` into.
/// `Ok` for types without a schema.
pub fn check_decode(t: u8, value: &[u8]) -> Result<(), Problem> {
    let Some(ty) = consul_structs::record_schema(t) else {
        return Ok(());
    };
    let mut c = Cur { buf: value, pos: 0 };
    walk(&mut c, &ty, &Path::Root, 0)
}

/// True for the record types Consul's restore decodes into a Go struct this schema knows.
pub fn has_schema(t: u8) -> bool {
    consul_structs::record_schema(t).is_some()
}

/// Checks records as Consul's restore loads them, in stream order (a check may need a
/// service registered by an earlier record).
#[derive(Debug, Default)]
pub struct RestoreCheck {
    /// The Consul version that will restore them (`None`: any Consul that knows the type).
    pub target: Option<Version>,
    /// Accept what no known Consul loads (an unknown config entry kind) with a warning.
    pub allow_unknown: bool,
    rules: StoreRules,
}

impl RestoreCheck {
    /// A check for one target version (`None`: any Consul that knows each type).
    pub fn new(target: Option<Version>) -> Self {
        RestoreCheck {
            target,
            allow_unknown: false,
            rules: StoreRules::default(),
        }
    }

    /// Checks one record: `Err` when the target (or, without one, every Consul that knows
    /// the type) would fail to load it; `Ok(Some(drift))` when it loads but some other Consul
    /// versions refuse it.
    pub fn record(&mut self, t: u8, value: &[u8]) -> Result<Option<Drift>, Problem> {
        if has_schema(t) {
            check_decode(t, value)?;
            self.rules.record(t, value)?;
        }
        match restore_rules::drift(t, value) {
            Some(d) => match self.target {
                Some(v) if d.affects(v) => Err(Problem {
                    path: String::new(),
                    message: if d.reference.is_empty() {
                        format!("{}; the target is Consul {v}", d.message)
                    } else {
                        format!("{} ({}); the target is Consul {v}", d.message, d.reference)
                    },
                }),
                // No known Consul loads it.
                None if d.until.is_none()
                    && d.from == Version::ce(0, 0, 0)
                    && !self.allow_unknown =>
                {
                    Err(Problem {
                        path: String::new(),
                        message: format!("{}; --allow-unknown-types accepts it", d.message),
                    })
                }
                _ if d.warn => Ok(Some(d)),
                _ => Ok(None),
            },
            None => Ok(None),
        }
    }
}

/// Checks one record on its own (no stream order) against `target`.
pub fn check_record(t: u8, value: &[u8], target: Option<Version>) -> Result<(), Problem> {
    RestoreCheck::new(target).record(t, value).map(|_| ())
}
