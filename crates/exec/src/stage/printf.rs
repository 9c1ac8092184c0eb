//! What `printf FORMAT ARGS…` prints, for the statically known output of a command
//! (`printf -v x /`, `$(printf '\x72m')`).

use crate::lex::unescape;

/// What `printf FORMAT ARGS…` prints: `%s`, `%b`, `%c`, `%d`/`%i`, `%%`, widths and `%.Ns`
/// precision, backslash escapes; the format is reused while arguments remain, as bash does.
/// `None` for a conversion it does not model (`-v` and `%q` included).
pub(crate) fn printf(format: &str, args: &[&str]) -> Option<String> {
    if format.starts_with('-') {
        return None;
    }
    let mut out = String::new();
    let mut next = 0;
    for _ in 0..64 {
        let before = next;
        let mut chars = format.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            out.push_str(&unescape(&std::mem::take(&mut literal)));
            let mut left = false;
            while let Some(&f) = chars.peek() {
                if !matches!(f, '-' | '+' | ' ' | '#' | '0') {
                    break;
                }
                left |= f == '-';
                chars.next();
            }
            let mut width = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                width = width
                    .saturating_mul(10)
                    .saturating_add(d as usize)
                    .min(4096);
                chars.next();
            }
            let mut precision = None;
            if chars.peek() == Some(&'.') {
                chars.next();
                let mut p = 0usize;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    p = p.saturating_mul(10).saturating_add(d as usize).min(4096);
                    chars.next();
                }
                precision = Some(p);
            }
            let arg = args.get(next).copied().unwrap_or("");
            next += 1;
            let mut value: String = match chars.next()? {
                's' => arg.to_owned(),
                'b' => unescape(arg),
                'c' => arg.chars().take(1).collect(),
                'd' | 'i' => arg.parse::<i64>().unwrap_or(0).to_string(),
                _ => return None,
            };
            if let Some(p) = precision {
                value = value.chars().take(p).collect();
            }
            let pad = " ".repeat(width.saturating_sub(value.chars().count()));
            if left {
                out.push_str(&value);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&value);
            }
        }
        out.push_str(&unescape(&literal));
        if next >= args.len() || next == before {
            break;
        }
    }
    Some(out)
}
