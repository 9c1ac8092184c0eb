//! Where in a config or policy text a parse error is, and its message without serde_json's
//! position suffix: shared by the policy parser and the config loader.

/// `:line:column` (or `:line`) after a file name, as every message places a position.
pub(crate) fn position(line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        (None, Some(_)) | (None, None) => String::new(),
    }
}

/// ` at line L, column C` (the policy parser's messages, which name no file).
pub(crate) fn location(line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        (None, Some(_)) | (None, None) => String::new(),
    }
}

/// serde_json's message without its trailing ` at line L column C` (the error carries both).
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

/// 1-based line and column (in chars) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, ch) in text.char_indices() {
        if i >= offset {
            break;
        }
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// The 1-based column in chars of serde_json's 1-based column in bytes on 1-based `line` of
/// `text` (every message counts columns in chars).
pub(crate) fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(row) = text.split('\n').nth(line.saturating_sub(1)) else {
        return byte_column;
    };
    let before = byte_column.saturating_sub(1).min(row.len());
    let chars = row.char_indices().take_while(|(i, _)| *i < before).count();
    chars.saturating_add(1)
}

/// The keys of a JSON object's top level, each with the byte offset of its opening quote, in
/// text order (for messages that place a key; the text parsed already, so a malformed tail
/// only shortens the list).
pub(crate) fn json_top_level_keys(text: &str) -> Vec<(String, usize)> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '"' => {
                let end = string_end(text, i);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
                let rest = text.get(end..).unwrap_or_default().trim_start();
                let key = text
                    .get(i..end)
                    .and_then(|q| serde_json::from_str::<String>(q).ok());
                if let (1, true, Some(key)) = (depth, rest.starts_with(':'), key) {
                    keys.push((key, i));
                }
            }
            _ => {}
        }
    }
    keys
}

/// The byte offset of the value of top-level key `key` in the JSON object `text` (the first
/// such key; `None` when there is none, or no value after it): the one scanner of top-level
/// keys serves messages that point at a value (`hostguard events check`) as well.
pub fn json_value_offset(text: &str, key: &str) -> Option<usize> {
    let (_, at) = json_top_level_keys(text)
        .into_iter()
        .find(|(k, _)| k == key)?;
    let after = string_end(text, at);
    let rest = text.get(after..)?;
    let value = rest.trim_start().strip_prefix(':')?.trim_start();
    let offset = after + (rest.len() - value.len());
    (offset < text.len()).then_some(offset)
}

/// The byte offset just past the JSON string that opens at `start`.
fn string_end(text: &str, start: usize) -> usize {
    let mut escaped = false;
    for (i, ch) in text.get(start + 1..).unwrap_or_default().char_indices() {
        match (escaped, ch) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return start + 1 + i + 1,
            (false, _) => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_top_level_keys_skip_nested_keys_strings_and_values() {
        let text = r#"{"a": {"b": 1}, "c\"d": "x:\"y", "e" : [{"f": 2}], "g": "h"}"#;
        let keys: Vec<(String, usize)> = json_top_level_keys(text);
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["a", "c\"d", "e", "g"]);
        assert_eq!(keys.first().map(|(_, o)| *o), Some(1));
        assert_eq!(json_top_level_keys("{\"cut"), []);
        assert_eq!(json_value_offset(text, "e"), Some(39));
        assert_eq!(json_value_offset(text, "b"), None, "not a top-level key");
        assert_eq!(json_value_offset(r#"{"a":"#, "a"), None, "no value");
    }

    #[test]
    fn char_column_turns_bytes_into_chars() {
        assert_eq!(char_column("{\"a\": \"ééé\" x}", 1, 14), 11);
        assert_eq!(char_column("ab\ncd", 2, 2), 2);
        assert_eq!(char_column("ab", 5, 3), 3, "no such line: as given");
    }

    #[test]
    fn line_column_counts_chars() {
        assert_eq!(line_column("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_column("ab\ncé\nx", 3), (2, 1));
        assert_eq!(line_column("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_column("", 10), (1, 1));
    }
}
