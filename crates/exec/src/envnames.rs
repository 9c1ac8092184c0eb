//! Env-name classes: a credential-*shaped* name (judged by its words, not looked up in a
//! list), a name the loader or a shell runs code from, a name that steers shell history. The
//! word lists live in `rules/classes.toml` (`[env]`).
//!
//! A name is split into words at `_`, `-`, `.` and at lower→upper case changes
//! (`githubToken` → `GITHUB`, `TOKEN`); comparisons are ASCII case-insensitive.

use crate::classes::{Class, Classes};

/// Longest name judged (longer names are judged by their first 256 bytes).
const MAX_NAME_BYTES: usize = 256;

/// The env-name tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvTable {
    /// Never credential-shaped, whatever their words (`PWD`, `SSH_AUTH_SOCK`).
    pub not_secret: Vec<String>,
    /// A word anywhere makes the name credential-shaped (`TOKEN`, `SECRET`, `PASSWORD`).
    pub words: Vec<String>,
    /// Only as the last word (`AUTH`, `KEY`, `PAT`, `SK`).
    pub last_words: Vec<String>,
    /// Anywhere in the name with separators removed (`PGPASSWORD`, `APIKEY`).
    pub contains: Vec<String>,
    /// A last word that makes a name *about* a secret rather than one (`KEY_PATH`, `TOKEN_FILE`).
    pub reference_words: Vec<String>,
    /// Trailing words that only say which copy it is (`_LIVE`, `_PROD`, `_V2`, a number): the
    /// word before them is the name's last word (`STRIPE_SK_LIVE` ends in `SK`).
    pub qualifier_words: Vec<String>,
    /// Names the loader or a shell runs code from.
    pub loader: Vec<String>,
    /// Names that steer shell history.
    pub history: Vec<String>,
}

impl EnvTable {
    /// The classes of env name `name`.
    pub(crate) fn classify(&self, name: &str) -> Classes {
        let name = name.trim();
        let name = name.get(..MAX_NAME_BYTES.min(name.len())).unwrap_or(name);
        let mut classes = Classes::EMPTY;
        let eq = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        if eq(&self.loader) {
            classes = classes.plus(Class::LoaderName);
        }
        if eq(&self.history) {
            classes = classes.plus(Class::HistoryName);
        }
        if !eq(&self.not_secret) && self.secret_shaped(name) {
            classes = classes.plus(Class::SecretName);
        }
        classes
    }

    fn secret_shaped(&self, name: &str) -> bool {
        let mut words = words(name);
        while words.len() > 1
            && words.last().is_some_and(|w| {
                self.qualifier_words.contains(w) || w.bytes().all(|b| b.is_ascii_digit())
            })
        {
            words.pop();
        }
        let Some(last) = words.last() else {
            return false;
        };
        // A name that contains a credential compound is one whatever it ends with
        // (`AWS_ACCESS_KEY_ID` is half of a key pair): over-redacting costs one value.
        let squashed: String = words.concat();
        if self.contains.iter().any(|c| squashed.contains(c.as_str())) {
            return true;
        }
        if self.reference_words.iter().any(|w| w == last) && words.len() > 1 {
            return false;
        }
        let has = |list: &[String], w: &str| list.iter().any(|x| x == w);
        words.iter().any(|w| has(&self.words, w)) || has(&self.last_words, last)
    }
}

/// The upper-case words of a name.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ' | '/' | ':') {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> EnvTable {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        EnvTable {
            not_secret: v(&["PWD", "SSH_AUTH_SOCK"]),
            words: v(&[
                "TOKEN",
                "SECRET",
                "PASSWORD",
                "PASSWD",
                "APIKEY",
                "CREDENTIALS",
            ]),
            last_words: v(&["KEY", "AUTH", "PAT", "SK", "PASS", "PWD"]),
            contains: v(&["PASSWORD", "SECRET", "TOKEN", "APIKEY", "ACCESSKEY"]),
            reference_words: v(&["PATH", "FILE", "DIR"]),
            qualifier_words: v(&["LIVE", "PROD", "V2"]),
            loader: v(&["LD_PRELOAD"]),
            history: v(&["HISTFILE"]),
        }
    }

    #[test]
    fn shapes() {
        let t = table();
        for name in [
            "GITHUB_TOKEN",
            "githubToken",
            "github-token",
            "PGPASSWORD",
            "STRIPE_KEY",
            "MYSQL_PWD",
            "AWS_ACCESS_KEY_ID",
            "VAULTTOKEN",
            "DB_PASS",
            "GITHUB_PAT",
            "STRIPE_SK_LIVE",
            "DB_PASS_2",
            "DEPLOY_KEY_PROD_V2",
        ] {
            assert!(t.classify(name).has(Class::SecretName), "{name}");
        }
        for name in [
            "PATH",
            "PWD",
            "SSH_AUTH_SOCK",
            "KEYBOARD_LAYOUT",
            "AUTHOR_NAME",
            "SSH_KEY_PATH",
            "KEY_ID",
            "NODE_ENV",
            "BYPASS_CACHE",
            "NODE_ENV_PROD",
            "PORT_2",
        ] {
            assert!(!t.classify(name).has(Class::SecretName), "{name}");
        }
        assert!(t.classify("ld_preload").has(Class::LoaderName));
        assert!(t.classify("HISTFILE").has(Class::HistoryName));
    }
}
