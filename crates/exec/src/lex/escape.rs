//! ANSI-C backslash escapes (`\n`, `\xHH`, octal, `\uHHHH`, `\cX`…), as `$'…'`, `echo -e`
//! and `printf` interpret them: read at a cursor over the source chars.

/// Interprets ANSI-C backslash escapes in `text` (as `echo -e`, `printf` and `$'…'` do).
pub(crate) fn unescape(text: &str) -> String {
    let s: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = String::with_capacity(text.len());
    while let Some(&c) = s.get(i) {
        i += 1;
        if c == '\\' {
            if let Some(d) = escape(&s, &mut i) {
                out.push(d);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// After a backslash in ANSI-C text: the escaped char (a lone trailing backslash reads as
/// itself).
pub(super) fn escape(s: &[char], i: &mut usize) -> Option<char> {
    let Some(e) = s.get(*i).copied() else {
        return Some('\\');
    };
    *i += 1;
    match e {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'e' | 'E' => Some('\u{1b}'),
        'f' => Some('\u{c}'),
        'v' => Some('\u{b}'),
        'x' => radix_char(s, i, 16, 2),
        'u' => radix_char(s, i, 16, 4),
        'U' => radix_char(s, i, 16, 8),
        '0'..='7' => {
            *i -= 1;
            radix_char(s, i, 8, 3)
        }
        'c' => {
            let ctl = s
                .get(*i)
                .copied()
                .and_then(|c| char::from_u32(u32::from(c) & 0x1f));
            *i += 1;
            ctl
        }
        other => Some(other),
    }
}

/// Up to `max` digits of `radix` at `i`, as a char.
fn radix_char(s: &[char], i: &mut usize, radix: u32, max: usize) -> Option<char> {
    let mut value: u32 = 0;
    let mut n = 0;
    while n < max {
        let Some(d) = s.get(*i).copied().and_then(|c| c.to_digit(radix)) else {
            break;
        };
        value = value.saturating_mul(radix).saturating_add(d);
        *i += 1;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    char::from_u32(value)
}
