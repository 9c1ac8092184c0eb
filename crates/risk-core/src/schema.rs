//! Helpers of the hand-written JSON Schemas (feature `schema`): the patterns of names the parsers
//! read case-insensitively, so that a schema accepts exactly what the parser accepts.

/// An anchored ECMA-262 pattern matching exactly one of `words`, in any ASCII case: the schema of
/// a name parsed with `eq_ignore_ascii_case`.
pub fn any_case(words: &[&str]) -> String {
    format!("^{}$", any_case_group(words))
}

/// As [`any_case`], with optional whitespace around the name: the schema of a name parsed with
/// `trim` then `eq_ignore_ascii_case`.
pub fn any_case_trimmed(words: &[&str]) -> String {
    format!("^\\s*{}\\s*$", any_case_group(words))
}

/// A non-capturing group of `words`, each letter written `[xX]`.
fn any_case_group(words: &[&str]) -> String {
    let alternatives: Vec<String> = words
        .iter()
        .map(|word| {
            word.chars()
                .map(|c| match (c.to_ascii_lowercase(), c.to_ascii_uppercase()) {
                    (lower, upper) if lower == upper => regex_literal(c),
                    (lower, upper) => format!("[{lower}{upper}]"),
                })
                .collect()
        })
        .collect();
    format!("(?:{})", alternatives.join("|"))
}

/// `c` as a literal in a pattern.
fn regex_literal(c: char) -> String {
    if "\\^$.|?*+()[]{}/-".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_spell_every_case() {
        assert_eq!(any_case(&["ab", "c1"]), "^(?:[aA][bB]|[cC]1)$");
        assert_eq!(any_case_trimmed(&["a_b"]), "^\\s*(?:[aA]_[bB])\\s*$");
    }
}
