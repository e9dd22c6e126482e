//! Go types as Consul's restore decodes records into them: the vocabulary of the restore
//! schema (`consul_structs`), checked against record bytes by `restorable`.

/// A Go type that go-msgpack decodes a msgpack value into.
#[derive(Debug, Clone, Copy)]
pub enum Go {
    /// `string`.
    Str,
    /// `[]byte`.
    Bytes,
    /// A signed integer of this many bits (`int` and `time.Duration` are 64).
    Int(u8),
    /// An unsigned integer of this many bits (`uint` is 64).
    Uint(u8),
    /// A float of this many bits.
    Float(u8),
    /// `bool`.
    Bool,
    /// `time.Time`, decoded by `UnmarshalBinary` from a raw string.
    Time,
    /// `interface{}`: whatever go-msgpack decodes without a target type.
    Any,
    /// `[]T`.
    Slice(&'static Go),
    /// `map[K]V`.
    Map(&'static Go, &'static Go),
    /// `*T`: nil, or a value of `T`.
    Ptr(&'static Go),
    /// A struct, decoded from a map keyed by field names.
    Struct(&'static Struct),
    /// A type whose `UnmarshalBinary` decodes one msgpack value of the inner type from the
    /// bytes of a raw string (Consul's `ProxyConfigEntry`).
    Binary(&'static Go),
    /// A value Consul decodes with code of its own.
    Special(Special),
}

/// Values Consul decodes with code of its own rather than go-msgpack's reflection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `structs.ConfigEntryRequest`: a raw string holding the kind (a string) and then the
    /// request map whose `Entry` is the concrete config entry for that kind.
    ConfigEntryRequest,
}

/// A Go struct: its name and its fields as go-msgpack sees them (embedded structs flattened).
#[derive(Debug)]
pub struct Struct {
    /// The Go type name, e.g. `structs.NodeService`.
    pub name: &'static str,
    /// The fields, in Go declaration order.
    pub fields: &'static [Field],
}

/// One field of a struct.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The msgpack key: the Go field name, or its `codec` tag.
    pub name: &'static str,
    /// The Go type.
    pub ty: Go,
}

/// Shorthand for a field present since the type appeared.
pub const fn f(name: &'static str, ty: Go) -> Field {
    Field { name, ty }
}
