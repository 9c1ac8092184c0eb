//! The serializer of map keys for the canonical JSON writer: strings, and (as serde_json does)
//! integers, chars, bools and unit variants written as strings; anything else is an error.

use std::fmt::Write as _;

use serde::ser::{self, Serialize};

use super::CanonicalError;

/// Map keys: strings (and, as serde_json does, integers and bools written as strings).
pub(super) struct KeySerializer<'k> {
    pub(super) arena: &'k mut String,
}

fn key_error() -> CanonicalError {
    CanonicalError("map key must be a string".to_owned())
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = ser::Impossible<(), CanonicalError>;
    type SerializeTuple = ser::Impossible<(), CanonicalError>;
    type SerializeTupleStruct = ser::Impossible<(), CanonicalError>;
    type SerializeTupleVariant = ser::Impossible<(), CanonicalError>;
    type SerializeMap = ser::Impossible<(), CanonicalError>;
    type SerializeStruct = ser::Impossible<(), CanonicalError>;
    type SerializeStructVariant = ser::Impossible<(), CanonicalError>;

    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        self.arena.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_i8(self, v: i8) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_i16(self, v: i16) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_i32(self, v: i32) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_i64(self, v: i64) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_u8(self, v: u8) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_u16(self, v: u16) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_u32(self, v: u32) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_u64(self, v: u64) -> Result<(), CanonicalError> {
        Ok(write!(self.arena, "{v}")?)
    }
    fn serialize_f32(self, _: f32) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.arena.push_str(variant);
        Ok(())
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
        _: &'static str,
        _: &T,
    ) -> Result<(), CanonicalError> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CanonicalError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CanonicalError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CanonicalError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CanonicalError> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CanonicalError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, CanonicalError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CanonicalError> {
        Err(key_error())
    }
}
