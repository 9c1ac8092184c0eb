//! A config file's format and where its top-level keys are: below the loader (`load.rs`) and
//! its errors (`error.rs`), which both need them.

use crate::source_text::{json_top_level_keys, line_column};

/// A config file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

/// The format of the file `name` with `contents`: the name's extension decides, else the
/// contents (a first non-blank `{` means JSON).
pub(crate) fn format_of(name: &str, contents: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".json") {
        Format::Json
    } else if lower.ends_with(".toml") || !contents.trim_start().starts_with('{') {
        Format::Toml
    } else {
        Format::Json
    }
}

/// The 1-based line and column of the first of `keys` at the top level of the file, if any.
pub(crate) fn key_position(name: &str, contents: &str, keys: &[&str]) -> Option<(usize, usize)> {
    let offsets: Vec<(String, usize)> = match format_of(name, contents) {
        Format::Toml => {
            type Spans = std::collections::BTreeMap<toml::Spanned<String>, serde::de::IgnoredAny>;
            toml::from_str::<Spans>(contents)
                .ok()?
                .into_keys()
                .map(|k| (k.get_ref().clone(), k.span().start))
                .collect()
        }
        Format::Json => json_top_level_keys(contents),
    };
    let offset = offsets
        .into_iter()
        .find(|(k, _)| keys.contains(&k.as_str()))
        .map(|(_, offset)| offset)?;
    Some(line_column(contents, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, contents: &str, keys: &[&str], expected: Option<(usize, usize)>) {
        assert_eq!(key_position(name, contents, keys), expected, "{contents}");
    }

    #[test]
    fn keys_are_found_at_their_line_and_column() {
        check(
            "c.toml",
            "alpha = 0.1\n  window_size = 9\n",
            &["window_size"],
            Some((2, 3)),
        );
        check("c.toml", "[t]\nwindow_size = 9\n", &["window_size"], None);
        check(
            "c.json",
            "{\n \"alpha\": 1,\n \"profile\": 2}",
            &["band_profile", "profile"],
            Some((3, 2)),
        );
        check("c.toml", "alpha = \"", &["alpha"], None);
    }
}
