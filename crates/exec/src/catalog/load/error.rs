//! The one error of catalog loading: the file, the entry and what is wrong.

use std::fmt;

/// A catalog that does not load: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The file (`rules/NAME.toml`).
    pub file: String,
    /// The rule id or table, when the problem is inside one.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Some(item) => write!(f, "rules/{}: {}: {}", self.file, item, self.message),
            None => write!(f, "rules/{}: {}", self.file, self.message),
        }
    }
}

pub(super) fn err(file: &str, item: &str, message: String) -> CatalogError {
    CatalogError {
        file: file.to_owned(),
        item: Some(item.to_owned()),
        message,
    }
}
