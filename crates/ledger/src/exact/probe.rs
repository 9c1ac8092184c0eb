//! [`Probe`]: a serde `Deserializer` over a parsed `Value` whose error type tells a member the
//! type does not know apart from every other mismatch, and says where it is.
//!
//! `serde_json`'s own error reports an unknown member as one more data error (and a second
//! member in an enum's object as a syntax error), so a verifier could not tell "carries content
//! no hash covers" (`non_canonical_content`) from "is not this kind of document". serde's derive
//! raises an unknown member through `de::Error::unknown_field`, which an error type may define:
//! this one makes it [`ProbeError::Unknown`].

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Number, Value};

/// Where in a document: segments innermost first (errors gather them as they unwind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Path(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    /// This path, one member further out.
    pub(super) fn within_key(mut self, key: &str) -> Path {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    /// This path, one array element further out.
    pub(super) fn within_index(mut self, index: usize) -> Path {
        self.0.push(Segment::Index(index));
        self
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the top level");
        }
        f.write_str("`")?;
        for (i, segment) in self.0.iter().rev().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        f.write_str("`")
    }
}

/// Why a `Value` is not the type's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ProbeError {
    /// A member the type does not know (or a second member in an enum's object), in the object
    /// at `at`.
    Unknown {
        /// The offending member.
        what: String,
        /// The object holding it.
        at: Path,
    },
    /// Any other mismatch: a missing member, a wrong type, an unknown variant.
    Shape(String),
}

impl ProbeError {
    fn within_key(self, key: &str) -> ProbeError {
        match self {
            ProbeError::Unknown { what, at } => ProbeError::Unknown {
                what,
                at: at.within_key(key),
            },
            shape @ ProbeError::Shape(_) => shape,
        }
    }

    fn within_index(self, index: usize) -> ProbeError {
        match self {
            ProbeError::Unknown { what, at } => ProbeError::Unknown {
                what,
                at: at.within_index(index),
            },
            shape @ ProbeError::Shape(_) => shape,
        }
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Unknown { what, at } => write!(f, "{what} in {at}"),
            ProbeError::Shape(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError::Shape(msg.to_string())
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        ProbeError::Unknown {
            what: format!("unknown member `{field}`"),
            at: Path::default(),
        }
    }

    fn duplicate_field(field: &'static str) -> Self {
        ProbeError::Unknown {
            what: format!("repeated member `{field}`"),
            at: Path::default(),
        }
    }
}

/// Deserializes from a borrowed `Value` as `serde_json::Value`'s own deserializer does, except
/// for its error type, an enum's object, which must hold exactly one member, and map keys,
/// which are read as strings only (no type read this way has other keys).
pub(super) struct Probe<'de>(&'de Value);

impl<'de> Probe<'de> {
    pub(super) fn new(value: &'de Value) -> Probe<'de> {
        Probe(value)
    }
}

impl<'de> de::Deserializer<'de> for Probe<'de> {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Elements {
                items: items.iter().enumerate(),
            }),
            Value::Object(map) => visitor.visit_map(Members {
                members: map.iter(),
                pending: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            Value::Object(map) => {
                let mut members = map.iter();
                match (members.next(), members.next()) {
                    (Some((key, value)), None) => visitor.visit_enum(Variant { key, value }),
                    (Some(_), Some(_)) => Err(ProbeError::Unknown {
                        what: format!(
                            "a member beside the enum's variant (`{}`)",
                            map.keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join("`, `")
                        ),
                        at: Path::default(),
                    }),
                    (None, _) => Err(de::Error::invalid_length(0, &"one variant member")),
                }
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"an enum")),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, ProbeError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else if let Some(f) = n.as_f64() {
        visitor.visit_f64(f)
    } else {
        // A serde_json number is one of the three (no `arbitrary_precision`); fail closed.
        Err(de::Error::custom(format!("unreadable number `{n}`")))
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Elements<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
}

impl<'de> de::SeqAccess<'de> for Elements<'de> {
    type Error = ProbeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ProbeError> {
        match self.items.next() {
            Some((i, item)) => seed
                .deserialize(Probe(item))
                .map(Some)
                .map_err(|e| e.within_index(i)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Members<'de> {
    members: serde_json::map::Iter<'de>,
    pending: Option<(&'de str, &'de Value)>,
}

impl<'de> de::MapAccess<'de> for Members<'de> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        match self.members.next() {
            Some((key, value)) => {
                self.pending = Some((key, value));
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ProbeError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| ProbeError::Shape("a member value asked for before its key".into()))?;
        seed.deserialize(Probe(value))
            .map_err(|e| e.within_key(key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// An enum's object form: `{"variant": value}`.
struct Variant<'de> {
    key: &'de str,
    value: &'de Value,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = ProbeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), ProbeError> {
        let variant = seed.deserialize(BorrowedStrDeserializer::new(self.key))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = ProbeError;

    fn unit_variant(self) -> Result<(), ProbeError> {
        // `{"elided": null}` reads as `"elided"`, as serde_json reads it; the comparison of
        // the bytes with the typed value then refuses the form.
        match self.value {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(
                unexpected(other),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, ProbeError> {
        let key = self.key;
        seed.deserialize(Probe(self.value))
            .map_err(|e| e.within_key(key))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        let key = self.key;
        de::Deserializer::deserialize_seq(Probe(self.value), visitor).map_err(|e| e.within_key(key))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        let key = self.key;
        de::Deserializer::deserialize_map(Probe(self.value), visitor).map_err(|e| e.within_key(key))
    }
}
