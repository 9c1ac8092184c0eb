//! Counted nouns in messages: `1 error`, `2 errors` (one home for the CLI's wording of counts).

/// `n` and the noun, singular for exactly one (`1 entry`, `0 entries`, `3 entries`).
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(0, "error", "errors"), "0 errors");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
