//! A serde `Serializer` that writes the RFC 8785 canonical JSON of a value directly, without
//! building a `serde_json::Value` first: the bundle hash runs over 100 000-record bundles, and
//! the intermediate tree (a heap string per key, a map node per object) cost more than the
//! hashing itself.
//!
//! Output is byte-identical to `canonical::to_canonical_string(&serde_json::to_value(v)?)`
//! for every value this crate serializes that has a JSON form (a non-finite float has none and
//! is an error here) (tested here and over whole bundles in
//! `tests/evidence.rs`): members are buffered per object and emitted sorted by UTF-16 key,
//! and each serde construct maps to JSON exactly as `serde_json::to_value` maps it.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use crate::canonical::{write_f64, write_string};

mod key;

use key::KeySerializer;

/// Why a value has no canonical JSON form.
#[derive(Debug)]
pub(crate) struct CanonicalError(String);

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanonicalError {}

impl ser::Error for CanonicalError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CanonicalError(msg.to_string())
    }
}

impl From<fmt::Error> for CanonicalError {
    fn from(_: fmt::Error) -> Self {
        CanonicalError("formatting failed".to_owned())
    }
}

/// Buffers shared by every level of one serialization, so that writing a record allocates
/// nothing once they have grown: the member stack of the objects under construction, the
/// arena of their map keys, and the space an object is sorted in.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    members: Vec<Member>,
    keys: String,
    sorted: String,
    /// The sorted member order of each struct type seen so far: a struct serializes the same
    /// static keys in the same order every time, so its permutation is computed once. Each
    /// use re-checks the keys, so a struct that skips a field just falls back to sorting.
    orders: Vec<StructOrder>,
    perm: Vec<usize>,
}

#[derive(Debug)]
struct StructOrder {
    name: &'static str,
    keys: Vec<&'static str>,
    perm: Vec<usize>,
    /// `"key":`, escaped, for each member in sorted order.
    prefixes: Vec<String>,
}

impl StructOrder {
    fn fits(&self, name: &'static str, members: &[Member]) -> bool {
        self.name == name
            && self.keys.len() == members.len()
            && self
                .keys
                .iter()
                .zip(members)
                .all(|(k, m)| matches!(m.key, Key::Static(s) if same_str(s, k)))
    }
}

/// String equality, trying the pointer first: a struct's field names are the same statics on
/// every call.
fn same_str(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

#[derive(Debug, Clone, Copy)]
struct Member {
    key: Key,
    /// Byte range of the member's value in the output.
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy)]
enum Key {
    Static(&'static str),
    /// Byte range in `Scratch::keys`.
    Arena(usize, usize),
}

impl Key {
    fn get(self, arena: &str) -> &str {
        match self {
            Key::Static(k) => k,
            Key::Arena(start, end) => arena.get(start..end).unwrap_or(""),
        }
    }
}

/// RFC 8785 §3.2.3 order: UTF-16 code units. It differs from byte order only between a
/// supplementary character (UTF-8 lead byte `F0`–`F4`) and one in `U+E000..U+FFFF` (lead byte
/// `EE`/`EF`), so plain byte order is used unless such a byte is present.
pub(crate) fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.bytes().chain(b.bytes()).any(|c| c >= 0xee) {
        a.encode_utf16().cmp(b.encode_utf16())
    } else {
        a.cmp(b)
    }
}

/// Appends the canonical JSON of `value` to `out`.
pub(crate) fn append_canonical<T: Serialize + ?Sized>(
    value: &T,
    out: &mut String,
    scratch: &mut Scratch,
) -> Result<(), CanonicalError> {
    value.serialize(Canonical { out, s: scratch })
}

struct Canonical<'a> {
    out: &'a mut String,
    s: &'a mut Scratch,
}

/// An object under construction. Member values are written to the output in arrival order
/// and their keys and ranges pushed on the shared member stack; `finish` lays the members out
/// sorted in `Scratch::sorted` and moves that over the unsorted bytes.
struct Object<'a> {
    out: &'a mut String,
    s: &'a mut Scratch,
    start: usize,
    base: usize,
    keys_base: usize,
    pending_key: Option<Key>,
    /// For `{"variant": {...}}`: the variant name wrapping the object.
    variant: Option<&'static str>,
    /// The struct (or struct variant) name; `None` for maps, whose keys vary.
    name: Option<&'static str>,
}

/// An array under construction, written straight to the output.
struct Array<'a> {
    out: &'a mut String,
    s: &'a mut Scratch,
    first: bool,
    /// For `{"variant": [...]}`: close the wrapping object too.
    wrapped: bool,
}

impl<'a> Object<'a> {
    fn new(
        out: &'a mut String,
        s: &'a mut Scratch,
        name: Option<&'static str>,
        variant: Option<&'static str>,
    ) -> Self {
        Object {
            name,
            start: out.len(),
            base: s.members.len(),
            keys_base: s.keys.len(),
            out,
            s,
            pending_key: None,
            variant,
        }
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<(), CanonicalError> {
        let start = self.out.len();
        value.serialize(Canonical {
            out: self.out,
            s: self.s,
        })?;
        // INVARIANT (stack discipline): a nested object has truncated the stack back to where
        // it found it, so this member lands right after this object's earlier ones.
        self.s.members.push(Member {
            key,
            start,
            end: self.out.len(),
        });
        Ok(())
    }

    fn finish(self) -> Result<(), CanonicalError> {
        let Scratch {
            members,
            keys,
            sorted,
            orders,
            perm,
        } = &mut *self.s;
        let mine = members
            .get(self.base..)
            .ok_or_else(|| CanonicalError("member stack underflow".to_owned()))?;
        sorted.clear();
        if let Some(v) = self.variant {
            sorted.push('{');
            write_string(v, sorted)?;
            sorted.push(':');
        }
        sorted.push('{');
        let values = Values {
            out: self.out,
            mine,
        };
        let cached = self
            .name
            .and_then(|name| orders.iter().find(|o| o.fits(name, mine)));
        if let Some(order) = cached {
            write_in_order(order, &values, sorted)?;
        } else if let Some(order) = sort_members(self.name, keys, perm, &values, sorted)? {
            orders.push(order);
        }
        sorted.push('}');
        if self.variant.is_some() {
            sorted.push('}');
        }
        self.out.truncate(self.start);
        self.out.push_str(sorted);
        members.truncate(self.base);
        keys.truncate(self.keys_base);
        Ok(())
    }
}

/// The members of the object being finished and the output their values were written to.
struct Values<'v> {
    out: &'v str,
    mine: &'v [Member],
}

impl Values<'_> {
    fn member(&self, index: usize) -> Result<&Member, CanonicalError> {
        self.mine
            .get(index)
            .ok_or_else(|| CanonicalError("member order out of bounds".to_owned()))
    }

    fn value(&self, index: usize) -> Result<&str, CanonicalError> {
        let m = self.member(index)?;
        self.out
            .get(m.start..m.end)
            .ok_or_else(|| CanonicalError("member range out of bounds".to_owned()))
    }
}

/// Writes the members in a struct's cached sorted order, with its cached key prefixes.
fn write_in_order(
    order: &StructOrder,
    values: &Values<'_>,
    sorted: &mut String,
) -> Result<(), CanonicalError> {
    for (i, (&index, prefix)) in order.perm.iter().zip(&order.prefixes).enumerate() {
        if i > 0 {
            sorted.push(',');
        }
        sorted.push_str(prefix);
        sorted.push_str(values.value(index)?);
    }
    Ok(())
}

/// Sorts the members by key and writes them; returns the order to cache when the object is a
/// struct (named, every key static).
fn sort_members(
    name: Option<&'static str>,
    keys: &str,
    perm: &mut Vec<usize>,
    values: &Values<'_>,
    sorted: &mut String,
) -> Result<Option<StructOrder>, CanonicalError> {
    let mine = values.mine;
    perm.clear();
    perm.extend(0..mine.len());
    perm.sort_by(|&a, &b| match (mine.get(a), mine.get(b)) {
        (Some(a), Some(b)) => key_order(a.key.get(keys), b.key.get(keys)),
        _ => std::cmp::Ordering::Equal,
    });
    let mut prefixes = Vec::with_capacity(perm.len());
    for (i, &index) in perm.iter().enumerate() {
        let m = values.member(index)?;
        if i > 0 {
            sorted.push(',');
        }
        let mut prefix = String::new();
        write_string(m.key.get(keys), &mut prefix)?;
        prefix.push(':');
        sorted.push_str(&prefix);
        sorted.push_str(values.value(index)?);
        prefixes.push(prefix);
    }
    let statics: Option<Vec<&'static str>> = mine
        .iter()
        .map(|m| match m.key {
            Key::Static(k) => Some(k),
            Key::Arena(..) => None,
        })
        .collect();
    Ok(match (name, statics) {
        (Some(name), Some(statics)) => Some(StructOrder {
            name,
            keys: statics,
            perm: perm.clone(),
            prefixes,
        }),
        _ => None,
    })
}

impl<'a> Array<'a> {
    fn new(
        out: &'a mut String,
        s: &'a mut Scratch,
        variant: Option<&'static str>,
    ) -> Result<Self, CanonicalError> {
        if let Some(v) = variant {
            out.push('{');
            write_string(v, out)?;
            out.push(':');
        }
        out.push('[');
        Ok(Array {
            out,
            s,
            first: true,
            wrapped: variant.is_some(),
        })
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        value.serialize(Canonical {
            out: self.out,
            s: self.s,
        })
    }

    fn finish(self) -> Result<(), CanonicalError> {
        self.out.push(']');
        if self.wrapped {
            self.out.push('}');
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for Canonical<'a> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), CanonicalError> {
        Ok(write!(self.out, "{v}")?)
    }
    fn serialize_i128(self, v: i128) -> Result<(), CanonicalError> {
        Ok(write!(self.out, "{v}")?)
    }
    fn serialize_u8(self, v: u8) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), CanonicalError> {
        Ok(write!(self.out, "{v}")?)
    }
    fn serialize_u128(self, v: u128) -> Result<(), CanonicalError> {
        Ok(write!(self.out, "{v}")?)
    }
    fn serialize_f32(self, v: f32) -> Result<(), CanonicalError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CanonicalError> {
        // JSON has no NaN or infinity (serde writes `null`, which an `Option<f64>` reads back
        // as `None`): a non-finite float has no canonical form, so the hash fails closed
        // rather than equal that of an absent value.
        if !v.is_finite() {
            return Err(CanonicalError(format!(
                "non-finite float `{v}` has no canonical JSON form"
            )));
        }
        Ok(write_f64(v, self.out)?)
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        let mut b = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut b))
    }
    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        Ok(write_string(v, self.out)?)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), CanonicalError> {
        let mut a = Array::new(self.out, self.s, None)?;
        for b in v {
            a.element(b)?;
        }
        a.finish()
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.out.push('{');
        write_string(variant, self.out)?;
        self.out.push(':');
        value.serialize(Canonical {
            out: self.out,
            s: self.s,
        })?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>, CanonicalError> {
        Array::new(self.out, self.s, None)
    }
    fn serialize_tuple(self, _: usize) -> Result<Array<'a>, CanonicalError> {
        Array::new(self.out, self.s, None)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Array<'a>, CanonicalError> {
        Array::new(self.out, self.s, None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Array<'a>, CanonicalError> {
        Array::new(self.out, self.s, Some(variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, CanonicalError> {
        Ok(Object::new(self.out, self.s, None, None))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Object<'a>, CanonicalError> {
        Ok(Object::new(self.out, self.s, Some(name), None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'a>, CanonicalError> {
        Ok(Object::new(self.out, self.s, Some(variant), Some(variant)))
    }
}

macro_rules! array_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Array<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
                self.element(value)
            }
            fn end(self) -> Result<(), CanonicalError> {
                self.finish()
            }
        }
    )*};
}

array_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        let start = self.s.keys.len();
        key.serialize(KeySerializer {
            arena: &mut self.s.keys,
        })?;
        self.pending_key = Some(Key::Arena(start, self.s.keys.len()));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| CanonicalError("map value without a key".to_owned()))?;
        self.member(key, value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.member(Key::Static(key), value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.member(Key::Static(key), value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

#[cfg(test)]
mod tests;
