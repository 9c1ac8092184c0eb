//! Canonical JSON (RFC 8785, JCS) over `serde_json::Value`: the bytes the bundle hash covers
//! (`docs/evidence-format.md` §3).
//!
//! - objects: members sorted by their keys' UTF-16 code units, no whitespace;
//! - strings: `"`, `\` and the control characters escaped (`\b \t \n \f \r`, others `\u00xx`
//!   with lowercase hex); everything else, non-ASCII included, written as UTF-8;
//! - numbers: floats as ECMAScript `Number.prototype.toString` (shortest round-trip digits,
//!   `-0` as `0`); integers (JSON numbers serde_json holds as `u64` / `i64`) as exact decimal.
//!   The one departure from RFC 8785: an integer beyond ±2^53 is written exactly rather than
//!   rounded through a double, because counters and timestamps are `u64`.

use std::fmt::{self, Write};

use serde_json::ser::Formatter as _;
use serde_json::{Map, Number, Value};

/// Writes the canonical encoding of `value` to `out`.
pub fn write_canonical<W: Write + ?Sized>(value: &Value, out: &mut W) -> fmt::Result {
    match value {
        Value::Null => out.write_str("null"),
        Value::Bool(true) => out.write_str("true"),
        Value::Bool(false) => out.write_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                write_canonical(item, out)?;
            }
            out.write_char(']')
        }
        Value::Object(map) => write_object(map, out),
    }
}

/// The canonical encoding of `value`.
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_canonical(value, &mut out);
    out
}

fn write_object<W: Write + ?Sized>(map: &Map<String, Value>, out: &mut W) -> fmt::Result {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    // RFC 8785 §3.2.3: sort by UTF-16 code units (differs from byte order above the BMP).
    members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.write_char('{')?;
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.write_char(',')?;
        }
        write_string(key, out)?;
        out.write_char(':')?;
        write_canonical(value, out)?;
    }
    out.write_char('}')
}

/// Writes a JSON string with exactly the escapes of RFC 8785 §3.2.2.2.
pub(crate) fn write_string<W: Write + ?Sized>(s: &str, out: &mut W) -> fmt::Result {
    out.write_char('"')?;
    let mut rest = s;
    // Copy runs of characters that need no escape in one call (hashing streams through this).
    // The bytes that need an escape are ASCII, so a byte position is a char boundary.
    while let Some(pos) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        let (plain, tail) = rest.split_at(pos);
        out.write_str(plain)?;
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.write_str("\\\"")?,
            Some('\\') => out.write_str("\\\\")?,
            Some('\u{8}') => out.write_str("\\b")?,
            Some('\t') => out.write_str("\\t")?,
            Some('\n') => out.write_str("\\n")?,
            Some('\u{c}') => out.write_str("\\f")?,
            Some('\r') => out.write_str("\\r")?,
            Some(c) => write!(out, "\\u{:04x}", u32::from(c))?,
            None => {}
        }
        rest = chars.as_str();
    }
    out.write_str(rest)?;
    out.write_char('"')
}

fn write_number<W: Write + ?Sized>(n: &Number, out: &mut W) -> fmt::Result {
    if let Some(u) = n.as_u64() {
        write!(out, "{u}")
    } else if let Some(i) = n.as_i64() {
        write!(out, "{i}")
    } else if let Some(f) = n.as_f64() {
        write_f64(f, out)
    } else {
        // serde_json numbers are always one of the three; fail closed to a stable token.
        out.write_str("null")
    }
}

/// ECMAScript `Number.prototype.toString(10)` for a finite double (ECMA-262 §6.1.6.1.20).
/// Non-finite values (which JSON cannot carry) are written as `null`.
///
/// The shortest round-trip digits come from serde_json's float formatter (Ryū) into a stack
/// buffer; only their layout is ECMAScript's: plain decimal for `1e-6 <= |x| < 1e21`, else
/// `d[.ddd]e±x`.
pub fn write_f64<W: Write + ?Sized>(f: f64, out: &mut W) -> fmt::Result {
    if !f.is_finite() {
        return out.write_str("null");
    }
    if f == 0.0 {
        return out.write_char('0');
    }
    let mut buf = [0u8; 40];
    let len = {
        let mut cursor = std::io::Cursor::new(buf.as_mut_slice());
        serde_json::ser::CompactFormatter
            .write_f64(&mut cursor, f.abs())
            .map_err(|_| fmt::Error)?;
        usize::try_from(cursor.position()).map_err(|_| fmt::Error)?
    };
    let text = buf.get(..len).ok_or(fmt::Error)?;
    let (digits, n) = shortest_digits(text).ok_or(fmt::Error)?;
    let digits =
        std::str::from_utf8(digits.0.get(..digits.1).ok_or(fmt::Error)?).map_err(|_| fmt::Error)?;
    if f < 0.0 {
        out.write_char('-')?;
    }
    write_ecmascript(digits, n, out)
}

/// Up to 17 significant digits (Ryū never needs more), as ASCII, with their count.
struct Digits([u8; 24], usize);

/// Parses Ryū's output (`1.0`, `0.001`, `1.5e-7`, `1e21`) into significant digits `d1…dk`
/// (no leading or trailing zeros) and `n` with value `0.d1…dk × 10^n`.
fn shortest_digits(text: &[u8]) -> Option<(Digits, i64)> {
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e') {
        Some(i) => {
            let e = std::str::from_utf8(text.get(i + 1..)?)
                .ok()?
                .parse::<i64>()
                .ok()?;
            (text.get(..i)?, e)
        }
        None => (text, 0),
    };
    let mut digits = Digits([0u8; 24], 0);
    let mut int_len = 0i64;
    let mut seen_point = false;
    let mut leading_zeros = 0i64;
    for &c in mantissa {
        match c {
            b'.' => seen_point = true,
            b'0'..=b'9' => {
                if !seen_point {
                    int_len += 1;
                }
                if digits.1 == 0 && c == b'0' {
                    leading_zeros += 1;
                } else {
                    *digits.0.get_mut(digits.1)? = c;
                    digits.1 += 1;
                }
            }
            _ => return None,
        }
    }
    while digits.1 > 0 && digits.0.get(digits.1 - 1) == Some(&b'0') {
        digits.1 -= 1;
    }
    if digits.1 == 0 {
        return None;
    }
    Some((digits, int_len + exp - leading_zeros))
}

/// ECMA-262 Number::toString layout of `0.digits × 10^n` (positive).
fn write_ecmascript<W: Write + ?Sized>(digits: &str, n: i64, out: &mut W) -> fmt::Result {
    let k = i64::try_from(digits.len()).map_err(|_| fmt::Error)?;
    if k <= n && n <= 21 {
        out.write_str(digits)?;
        for _ in 0..(n - k) {
            out.write_char('0')?;
        }
        Ok(())
    } else if 0 < n && n <= 21 {
        // Here n < k, so the split lies inside the digits.
        let at = usize::try_from(n).map_err(|_| fmt::Error)?;
        out.write_str(digits.get(..at).ok_or(fmt::Error)?)?;
        out.write_char('.')?;
        out.write_str(digits.get(at..).ok_or(fmt::Error)?)
    } else if -6 < n && n <= 0 {
        out.write_str("0.")?;
        for _ in 0..(-n) {
            out.write_char('0')?;
        }
        out.write_str(digits)
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.write_str(first)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        let e = n - 1;
        if e >= 0 {
            write!(out, "e+{e}")
        } else {
            write!(out, "e{e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value, expected: &str) {
        assert_eq!(to_canonical_string(&value), expected, "{value:?}");
    }

    fn check_f64(f: f64, expected: &str) {
        let mut out = String::new();
        write_f64(f, &mut out).unwrap();
        assert_eq!(out, expected, "{f:?}");
    }

    #[test]
    fn ecmascript_number_formatting() {
        // Vectors from RFC 8785 appendix B and ECMA-262.
        check_f64(0.0, "0");
        check_f64(-0.0, "0");
        check_f64(1.0, "1");
        check_f64(-1.5, "-1.5");
        check_f64(0.1, "0.1");
        check_f64(100.0, "100");
        check_f64(1e21, "1e+21");
        check_f64(1e20, "100000000000000000000");
        check_f64(123456789012345680000.0, "123456789012345680000");
        check_f64(1e-6, "0.000001");
        check_f64(1e-7, "1e-7");
        check_f64(1.5e-7, "1.5e-7");
        check_f64(5e-324, "5e-324");
        check_f64(f64::MAX, "1.7976931348623157e+308");
        check_f64(-f64::MAX, "-1.7976931348623157e+308");
        check_f64(9007199254740992.0, "9007199254740992");
        check_f64(333333333.3333333, "333333333.3333333");
        check_f64(0.000001234, "0.000001234");
        check_f64(0.97, "0.97");
        check_f64(-123.456, "-123.456");
        check_f64(999999999999999900000.0, "999999999999999900000");
        check_f64(0.3, "0.3");
        check_f64(2.0 / 3.0, "0.6666666666666666");
        check_f64(0.001, "0.001");
        check_f64(1e16, "10000000000000000");
        check_f64(1.2345e16, "12345000000000000");
        check_f64(1.5e300, "1.5e+300");
        check_f64(-2.5e-10, "-2.5e-10");
        check_f64(f64::MIN_POSITIVE, "2.2250738585072014e-308");
        check_f64(f64::NAN, "null");
        check_f64(f64::INFINITY, "null");
    }

    /// An independent reference: Rust's shortest `Display` in the plain range, `{:e}` outside.
    /// On an exact tie between two shortest candidates Rust may pick the odd one where
    /// ECMAScript (and Ryū, Python, V8) pick the even one — `807898899485104.25` prints
    /// `…104.2` in JavaScript — so the properties compare layout and round trip, not digits.
    fn reference(f: f64) -> String {
        if !f.is_finite() {
            return "null".to_owned();
        }
        if f == 0.0 {
            return "0".to_owned();
        }
        if (1e-6..1e21).contains(&f.abs()) {
            return format!("{f}");
        }
        let sci = format!("{f:e}");
        let (m, e) = sci.split_once('e').unwrap();
        let e: i64 = e.parse().unwrap();
        format!("{m}e{}{e}", if e >= 0 { "+" } else { "" })
    }

    fn same_layout(
        out: &str,
        reference: &str,
        f: f64,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        proptest::prop_assert_eq!(out.len(), reference.len(), "{} vs {}", out, reference);
        if f.is_finite() {
            proptest::prop_assert_eq!(out.parse::<f64>().unwrap(), f);
        }
        let shape = |s: &str| {
            s.chars()
                .map(|c| if c.is_ascii_digit() { 'd' } else { c })
                .collect::<String>()
        };
        proptest::prop_assert_eq!(shape(out), shape(reference));
        Ok(())
    }

    #[test]
    fn ties_round_to_even_as_ecmascript_does() {
        // The literal is the double 807898899485104.25 exactly (ulp 0.125): a tie.
        check_f64(807_898_899_485_104.2, "807898899485104.2");
    }

    proptest::proptest! {
        #[test]
        fn float_layout_matches_the_reference_on_random_bit_patterns(bits in proptest::prelude::any::<u64>()) {
            let f = f64::from_bits(bits);
            let mut out = String::new();
            write_f64(f, &mut out).unwrap();
            same_layout(&out, &reference(f), f)?;
        }

        #[test]
        fn float_layout_matches_the_reference_on_scores(x in 0.0f64..1.0, scale in -30i32..30) {
            let f = x * 10f64.powi(scale);
            let mut out = String::new();
            write_f64(f, &mut out).unwrap();
            same_layout(&out, &reference(f), f)?;
        }
    }

    #[test]
    fn objects_sort_keys_and_drop_whitespace() {
        check(
            json!({"b": 1, "a": [true, null, "x"], "c": {"z": 0.5, "y": -2}}),
            r#"{"a":[true,null,"x"],"b":1,"c":{"y":-2,"z":0.5}}"#,
        );
        check(json!({}), "{}");
        check(json!([]), "[]");
        check(json!(u64::MAX), "18446744073709551615");
        check(json!(1.0), "1");
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it in UTF-8.
        check(
            json!({"\u{fb01}": 1, "\u{1f600}": 2}),
            "{\"\u{1f600}\":2,\"\u{fb01}\":1}",
        );
    }

    #[test]
    fn strings_escape_only_what_jcs_escapes() {
        check(
            json!("a\"b\\c\n\t\r\u{8}\u{c}\u{1}\u{1f}/é€"),
            "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f/é€\"",
        );
    }
}
