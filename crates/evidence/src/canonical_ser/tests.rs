//! Unit tests of the canonical JSON serializer: byte-identical to the `serde_json::Value` path.

use super::*;
use crate::canonical::to_canonical_string;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum E {
    Unit,
    New(u8),
    Tuple(u8, bool),
    Struct { z: f64, a: Option<String> },
}

#[derive(Serialize)]
struct Newtype(i32);

#[derive(Serialize)]
struct S {
    zeta: Vec<E>,
    alpha: BTreeMap<String, f64>,
    mid: (u64, char, Newtype),
    none: Option<u8>,
    text: &'static str,
    big: u64,
    neg: i64,
    floats: [f64; 6],
}

fn check<T: Serialize>(value: &T) {
    let mut out = String::new();
    append_canonical(value, &mut out, &mut Scratch::default()).unwrap();
    let expected = to_canonical_string(&serde_json::to_value(value).unwrap());
    assert_eq!(out, expected);
}

#[test]
fn matches_canonicalised_serde_json_values() {
    check(&S {
        zeta: vec![
            E::Unit,
            E::New(7),
            E::Tuple(1, true),
            E::Struct {
                z: 1e-7,
                a: Some("q\"\n\u{1}é".to_owned()),
            },
        ],
        alpha: [
            ("b".to_owned(), 0.5),
            ("a".to_owned(), 1.0),
            ("\u{1f600}".to_owned(), 2.0),
            ("\u{fb01}".to_owned(), 3.0),
        ]
        .into_iter()
        .collect(),
        mid: (3, 'x', Newtype(-4)),
        none: None,
        text: "t",
        big: u64::MAX,
        neg: i64::MIN,
        floats: [0.1, -0.0, 1e21, 123.456, 1e-7, 5e-324],
    });
    // Non-finite floats have no canonical form (serde_json would write `null`).
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut out = String::new();
        assert!(append_canonical(&Some(f), &mut out, &mut Scratch::default()).is_err());
    }
    check(&Vec::<u8>::new());
    // The cached order is re-checked: a struct that sometimes skips a field still sorts.
    #[derive(Serialize)]
    struct Skips {
        b: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u8>,
        c: u8,
    }
    let mut scratch = Scratch::default();
    for v in [
        Skips {
            b: 1,
            a: Some(2),
            c: 3,
        },
        Skips {
            b: 1,
            a: None,
            c: 3,
        },
        Skips {
            b: 1,
            a: Some(2),
            c: 3,
        },
    ] {
        let mut out = String::new();
        append_canonical(&v, &mut out, &mut scratch).unwrap();
        assert_eq!(out, to_canonical_string(&serde_json::to_value(&v).unwrap()));
    }
    check(&BTreeMap::<String, u8>::new());
}
