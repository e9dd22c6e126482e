//! JSON written the way Go's `encoding/json` writes it: HTML-safe escapes, Go's control
//! escapes, invalid UTF-8 as U+FFFD, and `MarshalIndent`'s layout.

use std::io::{self, Write};

/// Appends `bytes` as a JSON string literal, escaped as Go's `encoding/json` does.
pub fn write_str(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(out, c);
        }
        // Go replaces each byte of an invalid sequence with U+FFFD.
        for _ in chunk.invalid() {
            out.push_str("\\ufffd");
        }
    }
    out.push('"');
}

/// Returns `bytes` as a quoted Go-style JSON string literal.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    write_str(&mut s, bytes);
    s
}

fn push_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
            out.push_str(&format!("\\u{:04x}", c as u32));
        }
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// A serde_json formatter that escapes strings as Go does, around an inner formatter.
pub struct GoFormatter<F>(pub F);

impl GoFormatter<serde_json::ser::PrettyFormatter<'static>> {
    /// Go's `json.MarshalIndent(v, "", indent)`.
    pub fn indent(indent: &'static [u8]) -> Self {
        GoFormatter(serde_json::ser::PrettyFormatter::with_indent(indent))
    }
}

impl GoFormatter<serde_json::ser::CompactFormatter> {
    /// Go's `json.Marshal`.
    pub fn compact() -> Self {
        GoFormatter(serde_json::ser::CompactFormatter)
    }
}

macro_rules! delegate {
    ($($name:ident ( $($arg:ident : $ty:ty),* );)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for GoFormatter<F> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut s = String::with_capacity(fragment.len());
        for c in fragment.chars() {
            push_char(&mut s, c);
        }
        w.write_all(s.as_bytes())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape::*;
        let s = match escape {
            Quote => "\\\"".to_string(),
            ReverseSolidus => "\\\\".to_string(),
            Solidus => "/".to_string(),
            LineFeed => "\\n".to_string(),
            CarriageReturn => "\\r".to_string(),
            Tab => "\\t".to_string(),
            Backspace => "\\u0008".to_string(),
            FormFeed => "\\u000c".to_string(),
            AsciiControl(b) => format!("\\u{:04x}", b),
        };
        w.write_all(s.as_bytes())
    }
}

/// Serializes `value` with Go's `MarshalIndent(v, "", indent)` layout and escaping.
pub fn to_string_indent<T: serde::Serialize>(value: &T, indent: &'static [u8]) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter::indent(indent));
    value
        .serialize(&mut ser)
        .expect("serializing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Serializes `value` compactly with Go's escaping.
pub fn to_string_compact<T: serde::Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter::compact());
    value
        .serialize(&mut ser)
        .expect("serializing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            quote(b"a<b>&c\x01\x08\n"),
            r#""a\u003cb\u003e\u0026c\u0001\u0008\n""#
        );
        assert_eq!(quote(b"ok\xffend"), r#""ok\ufffdend""#);
        assert_eq!(
            to_string_compact(&serde_json::json!({"k": "<x>\u{2028}"})),
            r#"{"k":"\u003cx\u003e\u2028"}"#
        );
    }
}
