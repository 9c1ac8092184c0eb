//! Credentials in free text — a tool's result, a file's content — for a host that passes text
//! from an extension to a model or a user ([`SecretBrokerPolicy::redact_text`]).
//!
//! Three passes, each over what the one before left:
//! 1. each line through [`SecretBrokerPolicy::redact_command`] (assignments, secret flags,
//!    credential headers, URL credentials);
//! 2. `name: value` / `name = value` / `"name": "value"` pairs whose name is secret to the
//!    broker and whose value looks like a credential (at least 8 characters, no blank, two
//!    kinds of characters among lower case, upper case, digits and symbols);
//! 3. values of a well-known credential shape, whatever they are called ([`CREDENTIAL_SHAPES`]).
//!
//! Matching is linear in the text (the `regex` crate); a pattern that would not compile is
//! skipped, and a unit test proves none is.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{SecretBrokerPolicy, SECRET_PLACEHOLDER};

/// Well-known credential shapes: the kind reported, and the pattern of the value.
pub const CREDENTIAL_SHAPES: &[(&str, &str)] = &[
    (
        "aws_access_key_id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b",
    ),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    ("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    ("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("slack_token", r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}"),
    (
        "slack_webhook",
        r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}",
    ),
    (
        "api_key",
        r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}",
    ),
    ("stripe_key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("huggingface_token", r"\bhf_[A-Za-z]{30,}\b"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "private_key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    ),
];

/// A `name` then `:` or `=` then a value, quotes optional (`.env`, YAML, JSON, INI).
const PAIR: &str =
    r#"(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,63})["']?[ \t]*[:=][ \t]*["']?(?P<value>[^\s"',;]+)"#;

static SHAPES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    CREDENTIAL_SHAPES
        .iter()
        .filter_map(|(kind, pattern)| Regex::new(pattern).ok().map(|re| (*kind, re)))
        .collect()
});

static PAIRS: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(PAIR).ok());

/// Text with its credentials replaced by [`SECRET_PLACEHOLDER`], and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRedaction<'a> {
    /// The text, borrowed when nothing was redacted.
    pub text: Cow<'a, str>,
    /// The kinds found (`command_form`, `secret_pair`, a [`CREDENTIAL_SHAPES`] kind), sorted,
    /// each once.
    pub kinds: Vec<&'static str>,
}

impl TextRedaction<'_> {
    /// Whether anything was redacted.
    pub fn redacted(&self) -> bool {
        !self.kinds.is_empty()
    }
}

impl SecretBrokerPolicy {
    /// `text` with every credential the broker recognises replaced by [`SECRET_PLACEHOLDER`]
    /// (module `values`: command-line forms, secret `name: value` pairs, credential shapes).
    /// Never panics, whatever the input.
    pub fn redact_text<'a>(&self, text: &'a str) -> TextRedaction<'a> {
        let mut kinds = Vec::new();
        let mut out = Cow::Borrowed(text);
        let lines = self.redact_lines(&out);
        if let Cow::Owned(lines) = lines {
            kinds.push("command_form");
            out = Cow::Owned(lines);
        }
        if let Some(pairs) = self.redact_pairs(&out) {
            kinds.push("secret_pair");
            out = Cow::Owned(pairs);
        }
        for (kind, re) in SHAPES.iter() {
            if let Cow::Owned(done) = re.replace_all(&out, SECRET_PLACEHOLDER) {
                kinds.push(kind);
                out = Cow::Owned(done);
            }
        }
        kinds.sort_unstable();
        kinds.dedup();
        TextRedaction { text: out, kinds }
    }

    /// Pass 1: each line as a command line.
    fn redact_lines<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut changed = false;
        let lines: Vec<Cow<'_, str>> = text
            .split('\n')
            .map(|line| {
                let done = self.redact_command(line);
                changed |= matches!(done, Cow::Owned(_));
                done
            })
            .collect();
        match changed {
            true => Cow::Owned(lines.join("\n")),
            false => Cow::Borrowed(text),
        }
    }

    /// Pass 2: secret `name: value` pairs; `None` when there is none.
    fn redact_pairs(&self, text: &str) -> Option<String> {
        let re = PAIRS.as_ref()?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let (Some(name), Some(value)) = (caps.name("name"), caps.name("value")) else {
                continue;
            };
            if self.is_secret(name.as_str()).is_none() || !credential_like(value.as_str()) {
                continue;
            }
            out.push_str(text.get(last..value.start())?);
            out.push_str(SECRET_PLACEHOLDER);
            last = value.end();
        }
        if last == 0 {
            return None;
        }
        out.push_str(text.get(last..)?);
        Some(out)
    }
}

/// At least 8 characters, not the placeholder, not code (a call, an index, a variable, a dotted
/// name: `lexer.next()`, `process.env.API_TOKEN`), and two kinds among lower case, upper case,
/// digits and symbols: `hunter22` is, `created_at` and `required` are not.
fn credential_like(value: &str) -> bool {
    if value.chars().count() < 8 || value.contains(SECRET_PLACEHOLDER) {
        return false;
    }
    let dotted_name = value.contains('.')
        && value.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
    if dotted_name || value.contains(['(', ')', '[', ']', '{', '}', '$', '<', '>']) {
        return false;
    }
    let kinds = [
        value.chars().any(|c| c.is_lowercase()),
        value.chars().any(|c| c.is_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
        value.chars().any(|c| !c.is_alphanumeric() && c != '_'),
    ];
    kinds.iter().filter(|k| **k).count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> (String, Vec<&'static str>) {
        let r = SecretBrokerPolicy::default().redact_text(text);
        (r.text.into_owned(), r.kinds)
    }

    #[test]
    fn every_shape_compiles() {
        assert_eq!(SHAPES.len(), CREDENTIAL_SHAPES.len());
        assert!(PAIRS.is_some());
    }

    #[test]
    fn well_known_shapes_are_redacted_wherever_they_are() {
        let cases = [
            ("key AKIAIOSFODNN7EXAMPLE here", "aws_access_key_id"),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_token"),
            ("token github_pat_11ABCDEFG0123456789_abcdefghij", "github_token"),
            ("xoxb-123456789012-abcdefghij", "slack_token"),
            ("sk-proj-abcdefghijklmnopqrstuvwx", "api_key"),
            ("sk_live_abcdefghijklmnop1234", "stripe_key"),
            ("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "google_api_key"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop",
                "jwt",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n",
                "private_key",
            ),
        ];
        for (text, kind) in cases {
            let (out, kinds) = redact(text);
            assert!(out.contains(SECRET_PLACEHOLDER), "{text} -> {out}");
            assert!(kinds.contains(&kind), "{text}: {kinds:?}");
        }
    }

    #[test]
    fn secret_pairs_are_redacted_by_name_and_shape() {
        let (out, kinds) = redact(
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nREGION=us-east-1",
        );
        assert_eq!(out, "AWS_SECRET_ACCESS_KEY=[REDACTED]\nREGION=us-east-1");
        assert!(!kinds.is_empty());
        let (out, _) = redact(r#"{"password": "hunter22", "sort_key": "created_at"}"#);
        assert_eq!(
            out,
            r#"{"password": "[REDACTED]", "sort_key": "created_at"}"#
        );
        let (out, _) = redact("db:\n  password: Tr0ub4dor&3\n");
        assert_eq!(out, "db:\n  password: [REDACTED]\n");
    }

    #[test]
    fn ordinary_text_is_borrowed_untouched() {
        let texts = [
            "On branch main\nnothing to commit, working tree clean",
            "fn main() { let token = lexer.next(); }",
            "the password field is required",
            "primary_key: id\nsort_key: created_at",
            "commit 3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
            "see https://example.com/docs?page=2",
            "const token = process.env.GITHUB_TOKEN;\npassword = getpass(prompt)",
        ];
        for text in texts {
            let r = SecretBrokerPolicy::default().redact_text(text);
            assert!(matches!(r.text, Cow::Borrowed(_)), "{text} -> {}", r.text);
            assert!(!r.redacted());
        }
    }
}
