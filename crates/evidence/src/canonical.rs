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
    while let Some(pos) = rest.find(|c: char| c == '"' || c == '\\' || u32::from(c) < 0x20) {
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
pub fn write_f64<W: Write + ?Sized>(f: f64, out: &mut W) -> fmt::Result {
    if !f.is_finite() {
        return out.write_str("null");
    }
    if f == 0.0 {
        return out.write_char('0');
    }
    if f < 0.0 {
        out.write_char('-')?;
    }
    // Rust's `{:e}` prints the shortest digits that round-trip: `d[.ddd]e[-]x`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    // At most 17 significant digits.
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // value = 0.d1d2…dk × 10^n
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        out.write_str(digits)?;
        for _ in 0..(n - k) {
            out.write_char('0')?;
        }
        Ok(())
    } else if 0 < n && n <= 21 {
        // Here n < k, so the split lies inside the digits.
        let at = usize::try_from(n).unwrap_or(0);
        out.write_str(digits.get(..at).unwrap_or(""))?;
        out.write_char('.')?;
        out.write_str(digits.get(at..).unwrap_or(""))
    } else if -6 < n && n <= 0 {
        out.write_str("0.")?;
        for _ in 0..(-n) {
            out.write_char('0')?;
        }
        out.write_str(digits)
    } else {
        let mut chars = digits.chars();
        if let Some(first) = chars.next() {
            out.write_char(first)?;
        }
        let rest = chars.as_str();
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
        check_f64(f64::NAN, "null");
        check_f64(f64::INFINITY, "null");
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
