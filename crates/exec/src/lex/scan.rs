//! Scanners over the source chars that find where something ends without tokenizing it: the
//! `)` matching a `(` (quotes, escapes, comments and heredoc bodies skipped, as bash does), the
//! `}` closing a `${`, a closing quote, a heredoc's delimiter and the end of its body. Pure
//! functions of the text; each returns an index (the end of input when nothing closes).

pub(super) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

pub(super) fn ends_word(c: char) -> bool {
    is_blank(c) || matches!(c, '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>')
}

/// Index of the `}` closing a `${` whose text starts at `start` (nested `${…}` and `$(…)`
/// skipped), or the end of input.
pub(super) fn closing_brace(s: &[char], start: usize) -> usize {
    let mut depth = 1usize;
    let mut j = start;
    while let Some(&c) = s.get(j) {
        match c {
            '\\' => j += 1,
            '$' if s.get(j + 1) == Some(&'(') => {
                j = matching_paren(s, j + 1).unwrap_or(s.len());
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
        j += 1;
    }
    s.len()
}

/// Index of the `)` matching the `(` at `open`, skipping quotes, escapes, comments and
/// heredoc bodies (a `'` or `)` in a heredoc or a comment does not end the substitution,
/// as in bash). Linear in the text scanned.
pub(super) fn matching_paren(s: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = open;
    let mut word_start = true;
    // Delimiters of heredocs whose bodies start after the next newline.
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    while let Some(&c) = s.get(j) {
        let mut next_word_start = false;
        match c {
            '\\' => j += 1,
            '\'' => j = find_char(s, j + 1, |c| c == '\''),
            '"' => j = closing_double_quote(s, j + 1),
            '#' if word_start => j = find_char(s, j + 1, |c| c == '\n') - 1,
            '<' if s.get(j + 1) == Some(&'<') && s.get(j + 2) != Some(&'<') => {
                let (after, delim, strip) = heredoc_delimiter(s, j + 2);
                heredocs.push((delim, strip));
                j = after;
                continue;
            }
            '\n' => {
                next_word_start = true;
                for (delim, strip) in std::mem::take(&mut heredocs) {
                    j = skip_heredoc_body(s, j, &delim, strip);
                }
            }
            '(' => {
                depth += 1;
                next_word_start = true;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(j);
                }
            }
            ' ' | '\t' | ';' | '&' | '|' => next_word_start = true,
            _ => {}
        }
        word_start = next_word_start;
        j += 1;
    }
    None
}

/// The index of the first char at or after `from` that `stop` accepts (the end of input
/// when none does).
pub(super) fn find_char(s: &[char], from: usize, stop: impl Fn(char) -> bool) -> usize {
    let mut j = from;
    while s.get(j).is_some_and(|&c| !stop(c)) {
        j += 1;
    }
    j
}

/// The index of the `"` closing a double-quoted string whose text starts at `from`
/// (backslash escapes skipped; the end of input when unterminated).
pub(super) fn closing_double_quote(s: &[char], from: usize) -> usize {
    let mut j = from;
    while let Some(&c) = s.get(j) {
        match c {
            '\\' => j += 1,
            '"' => break,
            _ => {}
        }
        j += 1;
    }
    j
}

/// After `<<` at `from`: the index past the delimiter word, the delimiter with its quotes
/// removed, and whether it was `<<-` (leading tabs stripped).
pub(super) fn heredoc_delimiter(s: &[char], from: usize) -> (usize, String, bool) {
    let mut j = from;
    let strip = s.get(j) == Some(&'-');
    if strip {
        j += 1;
    }
    j = find_char(s, j, |c| !is_blank(c));
    let mut delim = String::new();
    while let Some(&d) = s.get(j) {
        if ends_word(d) {
            break;
        }
        if !matches!(d, '\'' | '"' | '\\') {
            delim.push(d);
        }
        j += 1;
    }
    (j, delim, strip)
}

/// From the newline at `newline`: skips body lines up to and including the delimiter
/// line, returning the index of the newline (or end) that ends it.
pub(super) fn skip_heredoc_body(s: &[char], newline: usize, delim: &str, strip: bool) -> usize {
    let mut j = newline;
    loop {
        let start = j + 1;
        let end = find_char(s, start, |c| c == '\n');
        let line: String = s.get(start..end).unwrap_or(&[]).iter().collect();
        j = end;
        let cmp = if strip {
            line.trim_start_matches('\t')
        } else {
            line.as_str()
        };
        if cmp == delim || end >= s.len() {
            return j;
        }
    }
}
