//! serde's data model over a decoded msgpack value, so record structs can `#[derive(Deserialize)]`.
//!
//! Raw strings are offered as `str` when they are UTF-8 and as bytes otherwise; the model's
//! [`Text`](super::Text) and [`Bytes`](super::Bytes) types accept both, so nothing is lost.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::go::msgpack::Value;

/// A decoding error: what did not fit where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError(pub String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Deserializes from a borrowed msgpack value.
pub struct ValueDeserializer<'a, 'b>(pub &'b Value<'a>);

impl<'de, 'a: 'de, 'b> IntoDeserializer<'de, DeError> for &'b Value<'a> {
    type Deserializer = ValueDeserializer<'a, 'b>;
    fn into_deserializer(self) -> Self::Deserializer {
        ValueDeserializer(self)
    }
}

struct Seq<'a, 'b>(std::slice::Iter<'b, Value<'a>>);

impl<'de, 'a: 'de, 'b> SeqAccess<'de> for Seq<'a, 'b> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(v) => seed.deserialize(ValueDeserializer(v)).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'a, 'b> {
    iter: std::slice::Iter<'b, (Value<'a>, Value<'a>)>,
    value: Option<&'b Value<'a>>,
}

impl<'de, 'a: 'de, 'b> MapAccess<'de> for Map<'a, 'b> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDeserializer(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self
            .value
            .take()
            .ok_or_else(|| DeError("value requested before key".into()))?;
        seed.deserialize(ValueDeserializer(v))
    }
}

/// Map keys: strings as strings, integers as their decimal text (Go's map[uint64]... keys).
struct KeyDeserializer<'a, 'b>(&'b Value<'a>);

impl<'de, 'a: 'de, 'b> de::Deserializer<'de> for KeyDeserializer<'a, 'b> {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Raw(b) | Value::Bin(b) => match std::str::from_utf8(b) {
                Ok(s) => visitor.visit_borrowed_str(s),
                Err(_) => visitor.visit_string(String::from_utf8_lossy(b).into_owned()),
            },
            Value::Int(i) => visitor.visit_string(i.to_string()),
            Value::Uint(u) => visitor.visit_string(u.to_string()),
            other => visitor.visit_string(format!("{other:?}")),
        }
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, 'a: 'de, 'b> de::Deserializer<'de> for ValueDeserializer<'a, 'b> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Nil => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Uint(u) => visitor.visit_u64(*u),
            Value::F32(f) => visitor.visit_f32(*f),
            Value::F64(f) => visitor.visit_f64(*f),
            Value::Raw(b) | Value::Bin(b) => match std::str::from_utf8(b) {
                Ok(s) => visitor.visit_borrowed_str(s),
                Err(_) => visitor.visit_borrowed_bytes(b),
            },
            Value::Array(items) => visitor.visit_seq(Seq(items.iter())),
            Value::Map(entries) => visitor.visit_map(Map {
                iter: entries.iter(),
                value: None,
            }),
            Value::Ext(_, data) => visitor.visit_borrowed_bytes(data),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Nil => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Raw(b) | Value::Bin(b) => visitor.visit_borrowed_bytes(b),
            Value::Nil => visitor.visit_borrowed_bytes(&[]),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Deserializes a `T` from a decoded msgpack value.
pub fn from_value<'a, T: serde::Deserialize<'a>>(v: &Value<'a>) -> Result<T, DeError> {
    T::deserialize(ValueDeserializer(v))
}
