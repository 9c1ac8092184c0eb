//! Credentials in free text — a tool's result, a file's content — for a host that passes text
//! from an extension to a model or a user ([`SecretBrokerPolicy::redact_text`]).
//!
//! Three passes, each over what the one before left:
//! 1. values of a well-known credential shape, whatever they are called ([`CREDENTIAL_SHAPES`];
//!    first, so a private-key block goes whole before a pass below cuts its first line);
//! 2. `name: value` / `name = value` / `"name": "value"` pairs whose name is secret to the
//!    broker and whose value looks like a credential (at least 8 characters, no blank, two
//!    kinds of characters among lower case, upper case, digits and symbols);
//! 3. each line through [`SecretBrokerPolicy::redact_command`] (assignments, secret flags,
//!    credential headers, URL credentials).
//!
//! A placeholder is left as it is in every pass — `<YOUR_TOKEN>`, `${{ secrets.X }}`,
//! `ghp_xxxx…`, `changeme`, `your-api-key-here` ([`is_placeholder`]): documentation and
//! example files reach the model unchanged, and a real credential is never such a value.
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
    (
        "sendgrid_key",
        r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}",
    ),
    ("digitalocean_token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    // The last field of a `.pgpass` line (`host:port:database:user:password`).
    (
        "pgpass",
        r"(?m)^[^:\s#]+:(?:\d+|\*):[^:\s]+:[^:\s]+:(?P<secret>\S+)$",
    ),
    // The private half of a PuTTY key file.
    (
        "private_key",
        r"Private-Lines:[ \t]*\d+\r?\n(?P<secret>(?:[A-Za-z0-9+/=]+\r?\n?)+)",
    ),
    ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("huggingface_token", r"\bhf_[A-Za-z]{30,}\b"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "private_key",
        // The block's header lines (an encrypted key's `Proc-Type:`), then its base64 body
        // (newlines, also as JSON's `\n`), then the end line if it is there.
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:\\n|\r?\n)?(?:[A-Za-z-]+:[^\n\\]*(?:\\n|\r?\n))*[A-Za-z0-9+/=\r\n\t\\]{16,}(?:-----END [A-Z0-9 ]*PRIVATE KEY-----)?",
    ),
];

/// Rounds of the passes at most (each round that redacts shortens what is left to find).
const MAX_ROUNDS: usize = 4;

/// A `name` then `:` or `=` then a value, quotes optional (`.env`, YAML, JSON, INI).
const PAIR: &str =
    r#"(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,63})["']?[ \t]*[:=][ \t]*["']?(?P<value>[^\s"',;]+)"#;

static SHAPES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    CREDENTIAL_SHAPES
        .iter()
        .filter_map(|(kind, pattern)| Regex::new(pattern).ok().map(|re| (*kind, re)))
        .collect()
});

/// Every shape at once: one pass says which shapes occur at all.
static SHAPE_SET: LazyLock<Option<regex::RegexSet>> =
    LazyLock::new(|| regex::RegexSet::new(CREDENTIAL_SHAPES.iter().map(|(_, p)| *p)).ok());

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
        // A pass can uncover what an earlier one did not see (a header's value redacted shows
        // the pair behind it): the passes run again on their own output until nothing changes.
        for _ in 0..MAX_ROUNDS {
            let before = kinds.len();
            out = self.redact_round(out, &mut kinds);
            if kinds.len() == before {
                break;
            }
        }
        kinds.sort_unstable();
        kinds.dedup();
        TextRedaction { text: out, kinds }
    }

    /// One round of the three passes; each kind found is pushed to `kinds`.
    fn redact_round<'a>(&self, text: Cow<'a, str>, kinds: &mut Vec<&'static str>) -> Cow<'a, str> {
        let mut out = text;
        let present: Vec<usize> = match SHAPE_SET.as_ref() {
            Some(set) => set.matches(&out).into_iter().collect(),
            None => (0..SHAPES.len()).collect(),
        };
        for (kind, re) in present.into_iter().filter_map(|i| SHAPES.get(i)) {
            let mut hit = false;
            let done = re.replace_all(&out, |caps: &regex::Captures<'_>| {
                let whole = caps.get(0).map_or("", |m| m.as_str());
                // A shape with a `secret` group hides that group only.
                let secret = caps.name("secret").or(caps.get(0));
                let Some(secret) = secret.filter(|m| !is_placeholder(m.as_str())) else {
                    return whole.to_owned();
                };
                hit = true;
                let start = caps.get(0).map_or(0, |m| m.start());
                let head = whole
                    .get(..secret.start().saturating_sub(start))
                    .unwrap_or_default();
                let tail = whole
                    .get(secret.end().saturating_sub(start)..)
                    .unwrap_or_default();
                format!("{head}{SECRET_PLACEHOLDER}{tail}")
            });
            if hit {
                kinds.push(*kind);
                let done = done.into_owned();
                out = Cow::Owned(done);
            }
        }
        if let Some(pairs) = self.redact_pairs(&out) {
            kinds.push("secret_pair");
            out = Cow::Owned(pairs);
        }
        if let Cow::Owned(lines) = self.redact_lines(&out) {
            kinds.push("command_form");
            out = Cow::Owned(lines);
        }
        out
    }

    /// Whether a key in text names a secret: the broker's exact and suffix rules, on the name
    /// as written or in snake case (`apiKey`, `clientSecret`, `AccountKey`). Prefix rules
    /// (`STRIPE_`, `OPENAI_`) name a vendor, not a credential: a key `stripe_event` in a log
    /// holds an event id.
    fn names_a_secret(&self, name: &str) -> bool {
        let snake = snake_case(name);
        let data = NOT_SECRET_IN_TEXT.iter().any(|end| {
            snake.len() >= end.len()
                && snake
                    .get(snake.len() - end.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(end))
        });
        !data
            && [name, snake.as_str()].iter().any(|n| {
                self.is_secret(n)
                    .is_some_and(|m| m.kind != super::SecretRuleKind::Prefix)
            })
    }

    /// Pass 3: each line as a command line, its placeholders given back.
    fn redact_lines<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut changed = false;
        let lines: Vec<Cow<'_, str>> = text
            .split('\n')
            .map(|line| match self.redact_command(line) {
                Cow::Owned(done) => match keep_placeholders(line, &done) {
                    Some(kept) if kept != line => {
                        changed = true;
                        Cow::Owned(kept)
                    }
                    Some(_) => Cow::Borrowed(line),
                    // The redaction cannot be lined up with the line: keep it whole.
                    None => {
                        changed = true;
                        Cow::Owned(done)
                    }
                },
                borrowed => borrowed,
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
        let mut at = 0;
        // A pair that is not a secret may hide the name of one as its value (`Bearer :
        // password: x`, the value ending like a name): the search goes on from that value.
        while let Some(caps) = re.captures_at(text, at) {
            let (Some(whole), Some(name), Some(value)) =
                (caps.get(0), caps.name("name"), caps.name("value"))
            else {
                break;
            };
            let value_text = value.as_str();
            let named = self.names_a_secret(name.as_str()) && credential_like(value_text);
            if !(named || basic_auth(name.as_str(), value_text)) || is_placeholder(value_text) {
                at = match value_text.ends_with([':', '=']) {
                    true => value.start().max(whole.start() + 1),
                    false => whole.end().max(whole.start() + 1),
                };
                continue;
            }
            out.push_str(text.get(last..value.start())?);
            out.push_str(SECRET_PLACEHOLDER);
            last = value.end();
            at = value.end();
        }
        if last == 0 {
            return None;
        }
        out.push_str(text.get(last..)?);
        Some(out)
    }
}

/// `redacted` (what `redact_command` made of `line`) with each redacted part that was a
/// placeholder given back; `None` when the two cannot be lined up.
fn keep_placeholders(line: &str, redacted: &str) -> Option<String> {
    let pieces: Vec<&str> = redacted.split(SECRET_PLACEHOLDER).collect();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    let last = pieces.len().saturating_sub(1);
    for (i, piece) in pieces.iter().enumerate() {
        let start = if i == 0 {
            line.starts_with(piece).then_some(0)?
        } else if i == last {
            let start = line.len().checked_sub(piece.len())?;
            (start >= at && line.ends_with(piece)).then_some(start)?
        } else {
            at + line.get(at..)?.find(piece)?
        };
        if i > 0 {
            let gap = line.get(at..start)?;
            // A placeholder, or a URL with no password (`REDIS_URL=redis://localhost:6379/0`).
            let harmless =
                is_placeholder(gap) || (gap.contains("://") && url_password(gap).is_none());
            out.push_str(if harmless { gap } else { SECRET_PLACEHOLDER });
        }
        out.push_str(piece);
        at = start + piece.len();
    }
    (at == line.len()).then_some(out)
}

/// Words that make a value a placeholder when they are one of its words (`your-key-here`,
/// `<YOUR_TOKEN>`), never as letters inside it (a key's base64 may spell `your`).
const PLACEHOLDER_WORDS: &[&str] = &[
    "your",
    "example",
    "changeme",
    "replace",
    "placeholder",
    "dummy",
    "sample",
    "redacted",
    "todo",
    "fixme",
    "xxx",
    "xxxx",
];

/// Marks that make a value a placeholder wherever they are in it.
const PLACEHOLDER_MARKS: &[&str] = &[
    "****",
    "...",
    "<",
    ">",
    "{{",
    "${",
    "%s",
    "change-me",
    "change_me",
];

/// Whole values that are placeholders.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password", "passwd", "pass", "secret", "token", "test", "admin", "root", "user", "none",
    "null", "empty", "default", "foo", "bar", "foobar", "hunter2", "letmein", "1234",
];

/// Whether `value` is a stand-in, not a credential: a template or variable (`<…>`, `{{…}}`,
/// `$X`, `${X}`), a word that says so (`your-key-here`, `changeme`, `EXAMPLE`), a bare word
/// such as `password`, or a filler ([`is_filler`]).
fn is_placeholder(value: &str) -> bool {
    // A URL's credentials are judged by their password (`postgres://user:password@host/db`).
    if let Some(password) = url_password(value) {
        return is_placeholder(password);
    }
    let lower = value.trim().trim_matches(['"', '\'']).to_lowercase();
    if lower.is_empty() || is_variable(&lower) || PLACEHOLDER_VALUES.contains(&lower.as_str()) {
        return true;
    }
    if PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let words = lower.split(|c: char| !c.is_ascii_alphanumeric());
    words.into_iter().any(|w| PLACEHOLDER_WORDS.contains(&w)) || is_filler(value)
}

/// A shell or template variable, the whole value: `$TOKEN`, `${TOKEN}` (not `$Xk9mQ2!pLw`).
fn is_variable(value: &str) -> bool {
    let Some(name) = value.strip_prefix('$') else {
        return false;
    };
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value of a credential's shape that is no credential: one character over half of it
/// (`ghp_xxxx…`, `sk_test_0000…`), a run of `xxxx`, or the documentation's `EXAMPLE`.
fn is_filler(value: &str) -> bool {
    if value.contains("xxxx") || value.contains("XXXX") || value.contains("EXAMPLE") {
        return true;
    }
    let mut counts = std::collections::BTreeMap::<char, usize>::new();
    for c in value.chars().filter(|c| c.is_alphanumeric()) {
        *counts.entry(c.to_ascii_lowercase()).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let most = counts.values().copied().max().unwrap_or_default();
    total > 0 && most * 2 >= total
}

/// The password of a URL's userinfo (`scheme://user:PASSWORD@host…`).
fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let (userinfo, _) = rest.split_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.contains('/')).then_some(password)
}

/// A Docker-config or HTTP `auth` value: base64 of `user:password`.
fn basic_auth(name: &str, value: &str) -> bool {
    use base64::Engine as _;
    if !name.eq_ignore_ascii_case("auth") || value.len() < 8 {
        return false;
    }
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|text| {
            text.split_once(':')
                .is_some_and(|(user, password)| !user.is_empty() && !password.is_empty())
        })
}

/// Name endings that hold data, not a credential, though the broker's suffixes match them:
/// pagination tokens, public keys, storage and database keys.
const NOT_SECRET_IN_TEXT: &[&str] = &[
    "next_token",
    "page_token",
    "continuation_token",
    "sync_token",
    "public_key",
    "object_key",
    "cache_key",
    "idempotency_key",
    "sort_key",
    "partition_key",
    "foreign_key",
    "key_id",
];

/// `camelCase` and `PascalCase` as `snake_case` (`clientSecret` → `client_secret`).
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

/// At least 8 characters, not the placeholder, not code (a call, an index, a variable, a dotted
/// name: `lexer.next()`, `process.env.API_TOKEN`), and two kinds among lower case, upper case,
/// digits and symbols: `hunter22` is, `created_at` and `required` are not.
fn credential_like(value: &str) -> bool {
    if value.chars().count() < 8 || value.contains(SECRET_PLACEHOLDER) {
        return false;
    }
    let code = value.trim_end_matches(['!', '?', ',', ';', ')']);
    let dotted_name = code.contains('.')
        && code.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                && part.chars().count() <= 20
        });
    if dotted_name || value.contains(['(', ')', '[', ']', '{', '}', '<', '>']) {
        return false;
    }
    // A URL is a credential by its password only (`redis://localhost:6379/0` is none).
    if value.contains("://") {
        return url_password(value).is_some_and(|p| !is_placeholder(p));
    }
    // A word of letters only is a name (`SecretStr`, `PostgresDsn`), not a credential.
    if !value
        .chars()
        .any(|c| c.is_ascii_digit() || !c.is_alphanumeric())
    {
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
    fn a_placeholder_beside_a_credential_stays_and_the_credential_goes() {
        let (out, _) =
            redact("curl -H 'Authorization: Bearer <TOKEN>' -u bob:Zq8#rT2vLp https://x.example/");
        assert_eq!(
            out,
            "curl -H 'Authorization: Bearer <TOKEN>' -u bob:[REDACTED] https://x.example/"
        );
        let (out, _) = redact("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----");
        assert_eq!(out, "[REDACTED]");
        let (out, _) = redact(
            r#""private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----\n""#,
        );
        assert_eq!(out, r#""private_key": "[REDACTED]\n""#);
    }

    #[test]
    fn review_cases_a_credential_is_redacted_and_data_is_not() {
        // A key whose base64 spells `your`; a password with `$`; a Docker `auth`.
        let (out, _) = redact("-----BEGIN PRIVATE KEY-----\nMIIEvAIBADyourANBgkqhkiG9w0BAQEFAASCBKYw\n-----END PRIVATE KEY-----");
        assert_eq!(out, "[REDACTED]");
        let (out, _) = redact("DB_PASSWORD=Xk9$mQ2!pLw");
        assert_eq!(out, "DB_PASSWORD=[REDACTED]");
        let (out, _) = redact("Authorization: Bearer : password: -----BEGIN");
        assert_eq!(redact(&out).1, Vec::<&str>::new(), "{out}");
        let (out, _) = redact("DB_PASSWORD=$Xk9mQ2!pLw");
        assert_eq!(out, "DB_PASSWORD=[REDACTED]");
        let (out, _) = redact(r#"{"primaryKey": "q8Vd2LrT0mKx/Hn5Ws7Yb+ab="}"#);
        assert_eq!(out, r#"{"primaryKey": "[REDACTED]"}"#);
        let (out, _) = redact(r#""auth": "Y2ktZGVwbG95ZXI6VFE4eTBMT1Vk""#);
        assert_eq!(out, r#""auth": "[REDACTED]""#);
        // Pagination tokens, public keys, storage keys and code are data.
        for text in [
            r#"{"NextToken": "eyJsYXN0IjoiYWJjMTIzIn0x", "nextPageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA5"}"#,
            "public_key: ssh-ed25519-AAAAC3NzaC1lZDI1NTE5",
            "object_key: uploads/2024/IMG_0001.jpg",
            "  apiKey: process.env.OPENAI_API_KEY!,",
            "SECRET_KEY=${DJANGO_SECRET_KEY}",
        ] {
            let (out, kinds) = redact(text);
            assert_eq!(out, text, "{kinds:?}");
        }
    }

    #[test]
    fn every_shape_compiles() {
        assert_eq!(SHAPES.len(), CREDENTIAL_SHAPES.len());
        assert!(SHAPE_SET.is_some());
        assert!(PAIRS.is_some());
    }

    #[test]
    fn well_known_shapes_are_redacted_wherever_they_are() {
        let cases = [
            ("key AKIAQ3EGUTJZ5XWMLV7P here", "aws_access_key_id"),
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
            "AWS_SECRET_ACCESS_KEY=q8Vd2LrT0mKx/Hn5Ws7YbEc9Jf3Pa1Ug6ZtQoR4i\nREGION=us-east-1",
        );
        assert_eq!(out, "AWS_SECRET_ACCESS_KEY=[REDACTED]\nREGION=us-east-1");
        let (out, _) = redact("DATABASE_URL=postgres://app:Vb7kQ2zLx9@db:5432/app");
        assert_eq!(out, "DATABASE_URL=[REDACTED]");
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
            "export GITHUB_TOKEN=<YOUR_GITHUB_TOKEN>\nexport GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "DATABASE_URL=postgres://user:password@localhost:5432/app\nDB_PASSWORD=changeme\nJWT_SECRET=replace-with-a-long-random-string",
            "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        ];
        for text in texts {
            let r = SecretBrokerPolicy::default().redact_text(text);
            assert!(matches!(r.text, Cow::Borrowed(_)), "{text} -> {}", r.text);
            assert!(!r.redacted());
        }
    }
}
