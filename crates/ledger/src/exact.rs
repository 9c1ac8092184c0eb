//! Reading JSON exactly: [`from_json_exactly`] is the one home of "these bytes hold exactly
//! this typed value", shared by every verifier that reads a ledger artifact, an evidence bundle
//! or an in-toto statement (`docs/ledger-format.md` §4.1, `docs/evidence-format.md` §6.1).
//!
//! A verifier checks the typed value it parsed; whatever the bytes carry beyond it is covered by
//! no hash and seen by no check, yet travels with the file (and under any signature over it).
//! So the bytes must hold nothing else:
//!
//! - no member name repeated in one object, at any depth (serde keeps the last, other parsers
//!   the first: one set of bytes would mean two documents; RFC 8785 through I-JSON, RFC 7493
//!   §2.3, forbids it). serde's derive refuses a repeated *field*, but a map or a `Value` does
//!   not, so the bytes are parsed once into a `Value` that refuses them;
//! - no member the type does not know, at any depth: the types read this way say
//!   `#[serde(deny_unknown_fields)]` (so that a plain `serde_json::from_slice`, such as the
//!   durable file's reader, refuses them too), and an enum's object holds exactly one member;
//! - and nothing written in another form: the value parsed is serialized again and must equal
//!   the bytes member for member (an object written as an array, a missing optional member, a
//!   unit variant written as an object are refused). Numbers compare by value (`1`, `1.0` and
//!   `1e0` are one number), as in the canonical form of RFC 8785.

mod probe;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use probe::{Path, Probe, ProbeError};

/// Why bytes do not hold exactly one value of a type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExactJsonError {
    /// The bytes are not one JSON document of the type's shape: a syntax error, a missing
    /// member, a value of the wrong type, an unknown enum variant.
    #[error(transparent)]
    Malformed(#[from] MalformedJson),
    /// The bytes are JSON of the type's shape but carry content the typed value does not hold:
    /// a repeated member name, a member the type does not know, or a value written in another
    /// form. No hash would cover that content.
    #[error("the JSON holds content its typed value does not: {message}")]
    NonCanonical {
        /// What and where (a member name, a path or a line and column).
        message: String,
    },
}

/// Bytes that are not one JSON document of a type's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}: {message}")]
pub struct MalformedJson {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What was expected.
    pub message: String,
}

impl MalformedJson {
    fn from_serde(e: &serde_json::Error) -> MalformedJson {
        MalformedJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// Parses `bytes` as exactly one `T`: the value, or why the bytes do not hold exactly one (see
/// the module docs for what is refused). Never panics; the depth of the JSON is bounded by
/// `serde_json`'s recursion limit.
pub fn from_json_exactly<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, ExactJsonError> {
    let as_read = parse_strict(bytes)?;
    let typed = T::deserialize(Probe::new(&as_read)).map_err(|e| match e {
        ProbeError::Unknown { .. } => ExactJsonError::NonCanonical {
            message: e.to_string(),
        },
        ProbeError::Shape(message) => ExactJsonError::Malformed(malformed::<T>(bytes, message)),
    })?;
    holds_exactly(&as_read, &typed)?;
    Ok(typed)
}

/// Parses JSON bytes into a `Value`, refusing an object that repeats a member name.
fn parse_strict(bytes: &[u8]) -> Result<Value, ExactJsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde::Deserialize::deserialize(&mut de)
        .map(|StrictValue(v)| v)
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| match e.classify() {
        // INVARIANT (data-is-duplicate): `StrictVisitor` accepts every JSON value; its own
        // errors are the repeated member name and a non-finite number, which JSON text cannot
        // hold (`serde_json` refuses `1e999` as a syntax error). Every other error of a parse
        // is the syntax's or the end of input's.
        serde_json::error::Category::Data => ExactJsonError::NonCanonical {
            message: e.to_string(),
        },
        serde_json::error::Category::Io
        | serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof => {
            ExactJsonError::Malformed(MalformedJson::from_serde(&e))
        }
    })
}

/// The bytes are not a `T` (the probe said why, without a position): `serde_json`'s own parse
/// of them as a `T` names line and column. If that parse succeeds — it should not — the probe's
/// message is kept.
fn malformed<T: DeserializeOwned>(bytes: &[u8], probe_message: String) -> MalformedJson {
    match serde_json::from_slice::<T>(bytes) {
        Err(e) => MalformedJson::from_serde(&e),
        Ok(_) => MalformedJson {
            line: 0,
            column: 0,
            message: probe_message,
        },
    }
}

/// Whether the JSON as read equals the typed value's JSON, member for member.
fn holds_exactly<T: Serialize>(as_read: &Value, typed: &T) -> Result<(), ExactJsonError> {
    let as_typed = serde_json::to_value(typed).map_err(|e| ExactJsonError::NonCanonical {
        message: format!("the parsed value has no JSON form: {e}"),
    })?;
    match first_difference(as_read, &as_typed) {
        None => Ok(()),
        Some(path) => Err(ExactJsonError::NonCanonical {
            message: format!(
                "{} differs from the value it parses to (a member the type drops, or a value \
                 written in another form)",
                path
            ),
        }),
    }
}

/// The path of the first place where `read` and `typed` differ, if any.
fn first_difference(read: &Value, typed: &Value) -> Option<Path> {
    match (read, typed) {
        (Value::Object(a), Value::Object(b)) => object_difference(a, b),
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(Path::default());
            }
            let (i, diff) = a
                .iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y).map(|d| (i, d)))?;
            Some(diff.within_index(i))
        }
        (Value::Number(a), Value::Number(b)) => (!same_number(a, b)).then(Path::default),
        _ => (read != typed).then(Path::default),
    }
}

fn object_difference(read: &Map<String, Value>, typed: &Map<String, Value>) -> Option<Path> {
    if let Some(extra) = read.keys().find(|k| !typed.contains_key(*k)) {
        return Some(Path::default().within_key(extra));
    }
    if let Some(missing) = typed.keys().find(|k| !read.contains_key(*k)) {
        return Some(Path::default().within_key(missing));
    }
    read.iter().find_map(|(k, v)| {
        let other = typed.get(k)?;
        first_difference(v, other).map(|d| d.within_key(k))
    })
}

/// Beyond 2^53 not every integer is a double: there an integer only equals itself.
const EXACT_INTEGERS: u128 = 1 << 53;

/// Whether two JSON numbers are one value. Stricter than equal canonical forms (RFC 8785
/// writes a float by its shortest round-trip digits) only for an integer beyond 2^53 compared
/// with a float.
fn same_number(a: &Number, b: &Number) -> bool {
    let int = |n: &Number| {
        n.as_u64()
            .map(i128::from)
            .or_else(|| n.as_i64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(i), None) => i.unsigned_abs() <= EXACT_INTEGERS && b.as_f64() == Some(i as f64),
        (None, Some(i)) => i.unsigned_abs() <= EXACT_INTEGERS && a.as_f64() == Some(i as f64),
        (None, None) => a.as_f64().is_some() && a.as_f64() == b.as_f64(),
    }
}

/// A `Value` whose objects have distinct member names.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value without repeated member names")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate member name `{key}`"
                )));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        n: u64,
        f: f64,
        opt: Option<String>,
        map: BTreeMap<String, f64>,
        items: Vec<Inner>,
        body: Body,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: bool,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Body {
        Full(Inner),
        Elided,
    }

    /// Without `deny_unknown_fields`: the comparison with the typed value still refuses.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Lax {
        a: bool,
    }

    const BASE: &str = concat!(
        r#"{"n":1,"f":0.5,"opt":null,"map":{"x":1.0},"#,
        r#""items":[{"a":true}],"body":{"full":{"a":false}}}"#
    );

    #[derive(Debug)]
    enum Expect {
        Ok,
        Malformed,
        /// Refused as non-canonical, the message containing this.
        NonCanonical(&'static str),
    }

    fn check(json: &str, expected: Expect) {
        let got = from_json_exactly::<Outer>(json.as_bytes());
        match (&got, &expected) {
            (Ok(_), Expect::Ok) | (Err(ExactJsonError::Malformed(_)), Expect::Malformed) => {}
            (Err(ExactJsonError::NonCanonical { message }), Expect::NonCanonical(part))
                if message.contains(part) => {}
            _ => panic!("{json}: expected {expected:?}, got {got:?}"),
        }
    }

    /// `BASE` with `from` replaced by `to` (once).
    fn edit(from: &str, to: &str) -> String {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    }

    #[test]
    fn the_exact_bytes_and_other_layouts_of_the_same_value_are_read() {
        check(BASE, Expect::Ok);
        check(&BASE.replace(',', " ,\n "), Expect::Ok);
        check(&edit(r#""n":1,"f":0.5"#, r#""f":0.5,"n":1"#), Expect::Ok);
        check(&edit(r#""f":0.5"#, r#""f":0.50"#), Expect::Ok);
        check(&edit(r#""f":0.5"#, r#""f":1"#), Expect::Ok);
        check(&edit(r#""f":0.5"#, r#""f":5e-1"#), Expect::Ok);
        check(&edit(r#""f":0.5"#, r#""f":9007199254740992"#), Expect::Ok);
        check(&edit(r#""opt":null"#, r#""opt":"\u0041""#), Expect::Ok);
    }

    #[test]
    fn unknown_members_are_non_canonical_at_any_depth_with_their_place() {
        check(
            &edit(r#""n":1"#, r#""n":1,"x":0"#),
            Expect::NonCanonical("unknown member `x` in the top level"),
        );
        check(
            &edit(r#"{"a":true}"#, r#"{"a":true,"x":0}"#),
            Expect::NonCanonical("unknown member `x` in `items[0]`"),
        );
        check(
            &edit(r#"{"a":false}"#, r#"{"a":false,"x":0}"#),
            Expect::NonCanonical("unknown member `x` in `body.full`"),
        );
        check(
            &edit(r#"{"full":{"a":false}}"#, r#"{"full":{"a":false},"x":0}"#),
            Expect::NonCanonical("a member beside the enum's variant (`full`, `x`) in `body`"),
        );
        // The comparison with the typed value refuses what a lax type drops.
        let lax = from_json_exactly::<Lax>(br#"{"a":true,"x":0}"#);
        let refused = matches!(&lax, Err(ExactJsonError::NonCanonical { message })
            if message.contains("`x`"));
        assert!(refused, "{lax:?}");
        assert_eq!(
            from_json_exactly::<Lax>(br#"{"a":true}"#),
            Ok(Lax { a: true })
        );
    }

    #[test]
    fn repeated_member_names_are_non_canonical_in_structs_maps_and_enums() {
        let dup = Expect::NonCanonical("duplicate member name");
        check(&edit(r#""n":1"#, r#""n":1,"n":1"#), dup);
        check(
            &edit(r#"{"x":1.0}"#, r#"{"x":1.0,"x":2.0}"#),
            Expect::NonCanonical("duplicate member name `x`"),
        );
        check(
            &edit(r#"{"a":true}"#, r#"{"a":true,"a":false}"#),
            Expect::NonCanonical("duplicate member name `a`"),
        );
        check(
            &edit(
                r#"{"full":{"a":false}}"#,
                r#"{"full":{"a":false},"full":{"a":true}}"#,
            ),
            Expect::NonCanonical("duplicate member name `full`"),
        );
    }

    #[test]
    fn a_value_written_in_another_form_is_non_canonical() {
        check(&edit(r#""opt":null,"#, ""), Expect::NonCanonical("`opt`"));
        check(
            &edit(r#"[{"a":true}]"#, "[[true]]"),
            Expect::NonCanonical("`items[0]`"),
        );
        check(
            &edit(r#"{"full":{"a":false}}"#, r#"{"elided":null}"#),
            Expect::NonCanonical("`body`"),
        );
        // Beyond 2^53 an integer is not the double it parses to.
        check(
            &edit(r#""f":0.5"#, r#""f":9007199254740993"#),
            Expect::NonCanonical("`f`"),
        );
    }

    #[test]
    fn bytes_that_are_not_the_type_are_malformed_with_a_position() {
        check("", Expect::Malformed);
        check(r#"{"n":"#, Expect::Malformed);
        check(&format!("{BASE} x"), Expect::Malformed);
        check(&edit(r#""n":1"#, r#""n":1.5"#), Expect::Malformed);
        check(&edit(r#""f":0.5"#, r#""f":1e999"#), Expect::Malformed);
        check(&edit(r#""items":[{"a":true}],"#, ""), Expect::Malformed);
        check(&edit(r#""full""#, r#""fool""#), Expect::Malformed);
        check(&edit(r#"{"full":{"a":false}}"#, "{}"), Expect::Malformed);
        let wrong = edit(r#""n":1"#, "\n\"n\":\"1\"");
        match from_json_exactly::<Outer>(wrong.as_bytes()) {
            Err(ExactJsonError::Malformed(m)) => {
                assert_eq!((m.line, m.column), (2, 7), "{m}");
                assert!(m.message.contains("invalid type"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// What `serde_json` and serde's derive do on their own (why this module exists): a
    /// repeated member of a map is kept silently, an unknown member of a struct without
    /// `deny_unknown_fields` is dropped silently; a repeated struct field, an unknown member
    /// under `deny_unknown_fields` and a second member in an enum's object are refused.
    #[test]
    fn serde_alone_refuses_repeated_fields_but_not_repeated_map_keys() {
        let map: Result<BTreeMap<String, u8>, _> = serde_json::from_str(r#"{"x":1,"x":2}"#);
        assert_eq!(map.unwrap().get("x"), Some(&2));
        let lax: Lax = serde_json::from_str(r#"{"a":true,"x":0}"#).unwrap();
        assert_eq!(lax, Lax { a: true });
        assert!(serde_json::from_str::<Lax>(r#"{"a":true,"a":false}"#).is_err());
        assert!(serde_json::from_str::<Inner>(r#"{"a":true,"x":0}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"full":{"a":true},"x":0}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"full":{"a":true},"full":{"a":true}}"#).is_err());
        // A unit variant in object form is accepted by serde_json; `from_json_exactly` is not.
        assert_eq!(
            serde_json::from_str::<Body>(r#"{"elided":null}"#).unwrap(),
            Body::Elided
        );
    }
}
