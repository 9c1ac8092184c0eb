//! The secret broker (docs/design.md §2 step 6): which environment-variable *names* are secret, what an
//! extension gets instead of a secret's value, and redaction of secrets in command lines for
//! logging.
//!
//! The broker works on names only. It never receives, returns or stores a value: a brokered read
//! yields [`SECRET_PLACEHOLDER`] and a [`secret_name_hash`], and the host withholds the value.
//!
//! # Rules
//!
//! A name is secret when it matches an *exact* name, ends with a *suffix* or starts with a
//! *prefix*, and is not on the *allowlist*. All comparisons are ASCII case-insensitive (hosts on
//! Windows do not preserve case, and `github_token` is as secret as `GITHUB_TOKEN`); surrounding
//! whitespace is ignored; in the name, `-` and `.` match `_` (`github-token`, `db.password`).
//! The allowlist is checked first.
//!
//! The default rules ([`SecretBrokerPolicy::default`]) aim to over-redact: a false positive costs
//! one withheld value, a false negative leaks a credential into a log. So there is no default
//! allowlist entry for "public"-sounding names such as `JWT_PUBLIC_KEY` or `OPENAI_BASE_URL`: a
//! name is a claim about a value, not proof, and hosts can allowlist what they know. The default
//! allowlist holds only the process basics (`PATH`, `HOME`, ...), which are never secret whatever
//! rules a host adds.
//!
//! Free text that may hold a value — what a tool returned to the model — is redacted by
//! [`SecretBrokerPolicy::redact_text`]: the command-line forms above, `name: value` pairs with a
//! secret name, and values of well-known credential shapes ([`CREDENTIAL_SHAPES`]).

mod redact;
mod values;

pub use values::{TextRedaction, CREDENTIAL_SHAPES};

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::DomainTag;

/// What a brokered secret read returns instead of the value. Fixed, so it does not even leak the
/// name into logs that capture the placeholder.
pub const SECRET_PLACEHOLDER: &str = "[REDACTED]";

/// Exact secret names of the default policy: well-known credentials whose names carry no
/// secret-looking suffix, and bare words that are a secret on their own.
pub const DEFAULT_EXACT: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "MONGODB_URI",
    "PGPASSWORD",
    "MYSQL_PWD",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "CREDENTIALS",
    "NETRC",
];

/// Suffixes of the default policy (the conventional ends of credential names). More specific
/// suffixes come first so the reported rule is the most telling one.
pub const DEFAULT_SUFFIXES: &[&str] = &[
    "_API_KEY",
    "_APIKEY",
    "_SECRET_KEY",
    "_PRIVATE_KEY",
    "_ACCESS_KEY",
    "_KEY",
    "_SECRET",
    "_TOKEN",
    "_PASSWORD",
    "_PASSWD",
    "_PASSPHRASE",
    "_PASS",
    "_PWD",
    "_CREDENTIALS",
    "_CREDENTIAL",
    "_PAT",
    "_AUTH",
    "_DSN",
];

/// Prefixes of the default policy: vendors whose every variable is treated as secret-bearing.
pub const DEFAULT_PREFIXES: &[&str] = &["AWS_SECRET", "OPENAI_", "ANTHROPIC_", "STRIPE_", "VAULT_"];

/// The default allowlist: process basics that are never secret.
pub const DEFAULT_ALLOWLIST: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "LANG", "TERM", "TMPDIR", "TZ",
    "HOSTNAME", "EDITOR",
];

/// The kind of rule a secret name matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecretRuleKind {
    /// The whole name.
    Exact,
    /// The end of the name.
    Suffix,
    /// The start of the name.
    Prefix,
}

impl SecretRuleKind {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretRuleKind::Exact => "exact",
            SecretRuleKind::Suffix => "suffix",
            SecretRuleKind::Prefix => "prefix",
        }
    }
}

/// The rule a secret name matched (borrowed from the policy: matching allocates nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretMatch<'p> {
    /// Exact, suffix or prefix.
    pub kind: SecretRuleKind,
    /// The rule text, upper-case as stored.
    pub rule: &'p str,
}

/// Why the broker decided as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecretBrokerReason {
    /// On the allowlist: passed through.
    Allowlisted,
    /// No rule matched: passed through.
    NoRuleMatched,
    /// An exact rule matched: redacted.
    ExactRule,
    /// A suffix rule matched: redacted.
    SuffixRule,
    /// A prefix rule matched: redacted.
    PrefixRule,
    /// No rule listed the name, but it is credential-shaped (its words say so, the catalog's
    /// env classes, docs/detection.md): redacted.
    ShapeRule,
}

impl SecretBrokerReason {
    /// The snake_case code recorded in `SecretBrokerLedgerEntry.reason`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretBrokerReason::Allowlisted => "allowlisted",
            SecretBrokerReason::NoRuleMatched => "no_rule_matched",
            SecretBrokerReason::ExactRule => "exact_rule",
            SecretBrokerReason::SuffixRule => "suffix_rule",
            SecretBrokerReason::PrefixRule => "prefix_rule",
            SecretBrokerReason::ShapeRule => "shape_rule",
        }
    }
}

impl fmt::Display for SecretBrokerReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The broker's answer for one env read. Holds no value, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SecretBrokerDecision {
    /// Whether the value is withheld.
    pub redacted: bool,
    /// What the extension receives instead ([`SECRET_PLACEHOLDER`]) when redacted.
    pub placeholder: Option<String>,
    /// [`secret_name_hash`] of the name as given (lowercase hex).
    pub name_hash: String,
    /// Why.
    pub reason: SecretBrokerReason,
    /// The rule that matched, when one did.
    pub rule: Option<String>,
}

impl SecretBrokerDecision {
    /// The redaction of a credential-shaped name no rule lists.
    pub fn shaped(name: &str) -> SecretBrokerDecision {
        SecretBrokerDecision {
            redacted: true,
            placeholder: Some(SECRET_PLACEHOLDER.to_owned()),
            name_hash: secret_name_hash(name),
            reason: SecretBrokerReason::ShapeRule,
            rule: None,
        }
    }
}

/// Why a secret-broker policy could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretPolicyError {
    /// A rule is empty or all whitespace: it would match every name (suffix, prefix) or none.
    #[error("empty {kind} rule in secret broker policy")]
    EmptyRule {
        /// `exact`, `suffix`, `prefix` or `allowlist`.
        kind: &'static str,
    },
}

/// Name rules of the secret broker. Rules are stored trimmed and upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "SecretRulesFile")]
pub struct SecretBrokerPolicy {
    exact: Vec<String>,
    suffixes: Vec<String>,
    prefixes: Vec<String>,
    allowlist: Vec<String>,
}

impl SecretBrokerPolicy {
    /// A policy from rule lists. Errors on an empty rule.
    pub fn new<S: AsRef<str>>(
        exact: &[S],
        suffixes: &[S],
        prefixes: &[S],
        allowlist: &[S],
    ) -> Result<SecretBrokerPolicy, SecretPolicyError> {
        Ok(SecretBrokerPolicy {
            exact: normalise("exact", exact)?,
            suffixes: normalise("suffix", suffixes)?,
            prefixes: normalise("prefix", prefixes)?,
            allowlist: normalise("allowlist", allowlist)?,
        })
    }

    /// The same policy with `name` added to the allowlist.
    pub fn with_allowed(mut self, name: &str) -> Result<SecretBrokerPolicy, SecretPolicyError> {
        self.allowlist.extend(normalise("allowlist", &[name])?);
        Ok(self)
    }

    /// The same policy with an extra exact rule.
    pub fn with_exact(mut self, name: &str) -> Result<SecretBrokerPolicy, SecretPolicyError> {
        self.exact.extend(normalise("exact", &[name])?);
        Ok(self)
    }

    /// Exact rules.
    pub fn exact(&self) -> &[String] {
        &self.exact
    }

    /// Suffix rules.
    pub fn suffixes(&self) -> &[String] {
        &self.suffixes
    }

    /// Prefix rules.
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// Allowlist.
    pub fn allowlist(&self) -> &[String] {
        &self.allowlist
    }

    /// Whether `name` is on the allowlist.
    pub fn is_allowlisted(&self, name: &str) -> bool {
        let name = name.trim();
        self.allowlist.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// The rule `name` matches, or `None` when it is not secret (no rule, or allowlisted).
    /// Order: allowlist, exact, suffix, prefix. Allocation-free.
    pub fn is_secret(&self, name: &str) -> Option<SecretMatch<'_>> {
        let name = name.trim();
        if name.is_empty() || self.is_allowlisted(name) {
            return None;
        }
        // Rules match with `-` and `.` in the name read as `_` (`github-token`, `db.password`).
        let name = name.as_bytes();
        if let Some(rule) = self.exact.iter().find(|r| name_eq(name, r.as_bytes())) {
            return Some(found(SecretRuleKind::Exact, rule));
        }
        if let Some(rule) = self.suffixes.iter().find(|r| {
            name.len()
                .checked_sub(r.len())
                .and_then(|start| name.get(start..))
                .is_some_and(|tail| name_eq(tail, r.as_bytes()))
        }) {
            return Some(found(SecretRuleKind::Suffix, rule));
        }
        self.prefixes
            .iter()
            .find(|r| {
                name.get(..r.len())
                    .is_some_and(|head| name_eq(head, r.as_bytes()))
            })
            .map(|rule| found(SecretRuleKind::Prefix, rule))
    }

    /// Brokers a read of env var `name`. Takes the name only: the value never reaches the broker.
    pub fn broker_env(&self, name: &str) -> SecretBrokerDecision {
        let name_hash = secret_name_hash(name);
        if self.is_allowlisted(name) {
            return SecretBrokerDecision {
                redacted: false,
                placeholder: None,
                name_hash,
                reason: SecretBrokerReason::Allowlisted,
                rule: None,
            };
        }
        match self.is_secret(name) {
            Some(m) => SecretBrokerDecision {
                redacted: true,
                placeholder: Some(SECRET_PLACEHOLDER.to_owned()),
                name_hash,
                reason: match m.kind {
                    SecretRuleKind::Exact => SecretBrokerReason::ExactRule,
                    SecretRuleKind::Suffix => SecretBrokerReason::SuffixRule,
                    SecretRuleKind::Prefix => SecretBrokerReason::PrefixRule,
                },
                rule: Some(m.rule.to_owned()),
            },
            None => SecretBrokerDecision {
                redacted: false,
                placeholder: None,
                name_hash,
                reason: SecretBrokerReason::NoRuleMatched,
                rule: None,
            },
        }
    }

    /// `cmd` with secrets replaced by [`SECRET_PLACEHOLDER`], for logging. Borrowed when nothing
    /// was redacted. Never panics, whatever the input.
    ///
    /// Recognised: `NAME=value` and `NAME+=value` words with a secret `NAME` (also after
    /// `export`, `env`, inside `--flag=NAME=value`; PowerShell `$env:NAME = value`); long flags whose name ends in password, passwd, passphrase, token,
    /// secret, api-key, apikey, access-key, secret-key, private-key, credentials or is `pass`,
    /// `pwd` (`--password x`, `--password=x`; `-storepass x` style for single-dash long flags);
    /// short password flags of known clients only — `-p` for mysql/mariadb tools, sshpass and
    /// mongo tools, `-a` for redis-cli, `-w` for the OpenLDAP clients, `-P` for sqlcmd/bcp —
    /// attached (`-pXXX`) or separate (`-p x`), because `-p`
    /// means "port" or "parents" elsewhere; curl/wget `-u`/`--user user:pass` (the part after
    /// the colon); curl `-b`/`--cookie` values; `Authorization:` / `Proxy-Authorization:` header credentials (after the
    /// scheme), `Cookie:`, `X-Api-Key:`, `X-Auth-Token:`, `Private-Token:` header values; URL
    /// credentials `scheme://user:pass@host` (the password; for http(s) a bare `token@host`
    /// userinfo is redacted whole); query-string and form parameters with a secret name
    /// (`?api_key=v`, `&password=v`).
    ///
    /// A word quoted as a whole is read as the word inside the quotes, and when it holds a blank
    /// as a script too (`bash -c 'mysql -pX'`, `ssh host "curl -u a:b …"`, nested a few deep).
    ///
    /// Not recognised (documented limits): secrets in JSON bodies, in heredocs, or passed through
    /// variables defined elsewhere.
    pub fn redact_command<'a>(&self, cmd: &'a str) -> Cow<'a, str> {
        redact::redact_command(self, cmd)
    }
}

impl Default for SecretBrokerPolicy {
    fn default() -> Self {
        SecretBrokerPolicy {
            exact: upper(DEFAULT_EXACT),
            suffixes: upper(DEFAULT_SUFFIXES),
            prefixes: upper(DEFAULT_PREFIXES),
            allowlist: upper(DEFAULT_ALLOWLIST),
        }
    }
}

/// `SHA-256(0x20 ‖ utf8(name))` ([`DomainTag::SecretName`]) of the name's bytes as given, in
/// lowercase hex.
///
/// The name is hashed as given (not case-folded): two spellings are two identities in the
/// ledger even though both match the same rule.
///
/// Known answer (`printf '\x20GITHUB_TOKEN' | sha256sum`):
/// `secret_name_hash("GITHUB_TOKEN")` =
/// `66e135c5792e0202f2f7a2545b8716cc49758f70051881b74fffc1937b0f542c`.
pub fn secret_name_hash(name: &str) -> String {
    let mut hasher = DomainTag::SecretName.hasher();
    hasher.update(name.as_bytes());
    hex::encode(hasher.finalize())
}

/// The serialized shape of a policy: four lists. A missing list keeps the default one, so a file
/// that only adds to the allowlist does not drop every rule by omission.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct SecretRulesFile {
    #[serde(default)]
    exact: Option<Vec<String>>,
    #[serde(default)]
    suffixes: Option<Vec<String>>,
    #[serde(default)]
    prefixes: Option<Vec<String>>,
    #[serde(default)]
    allowlist: Option<Vec<String>>,
}

impl TryFrom<SecretRulesFile> for SecretBrokerPolicy {
    type Error = SecretPolicyError;

    fn try_from(f: SecretRulesFile) -> Result<Self, Self::Error> {
        let defaults = SecretBrokerPolicy::default();
        SecretBrokerPolicy::new(
            &f.exact.unwrap_or(defaults.exact),
            &f.suffixes.unwrap_or(defaults.suffixes),
            &f.prefixes.unwrap_or(defaults.prefixes),
            &f.allowlist.unwrap_or(defaults.allowlist),
        )
    }
}

fn normalise<S: AsRef<str>>(
    kind: &'static str,
    rules: &[S],
) -> Result<Vec<String>, SecretPolicyError> {
    rules
        .iter()
        .map(|r| {
            let r = r.as_ref().trim();
            if r.is_empty() {
                Err(SecretPolicyError::EmptyRule { kind })
            } else {
                Ok(r.to_ascii_uppercase())
            }
        })
        .collect()
}

/// Whether a name part equals a rule part: ASCII case-insensitive, `-` and `.` read as `_`.
fn name_eq(name: &[u8], rule: &[u8]) -> bool {
    let fold = |b: u8| match b {
        b'-' | b'.' => b'_',
        _ => b.to_ascii_uppercase(),
    };
    name.len() == rule.len() && name.iter().zip(rule).all(|(&a, &b)| fold(a) == fold(b))
}

fn found(kind: SecretRuleKind, rule: &str) -> SecretMatch<'_> {
    SecretMatch { kind, rule }
}

fn upper(rules: &[&str]) -> Vec<String> {
    rules.iter().map(|r| r.to_ascii_uppercase()).collect()
}

/// ASCII case-insensitive `ends_with`, without allocating.
pub(crate) fn ends_with_ci(text: &str, suffix: &str) -> bool {
    text.len()
        .checked_sub(suffix.len())
        .and_then(|start| text.as_bytes().get(start..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: Option<(SecretRuleKind, &str)>) {
        let policy = SecretBrokerPolicy::default();
        let got = policy.is_secret(name).map(|m| (m.kind, m.rule));
        assert_eq!(got, expected, "{name}");
    }

    #[test]
    fn default_rules() {
        use SecretRuleKind::*;
        check("GITHUB_TOKEN", Some((Exact, "GITHUB_TOKEN")));
        check("github_token", Some((Exact, "GITHUB_TOKEN")));
        check(" DATABASE_URL ", Some((Exact, "DATABASE_URL")));
        check("STRIPE_API_KEY", Some((Suffix, "_API_KEY")));
        check("MY_KEY", Some((Suffix, "_KEY")));
        check("db_password", Some((Suffix, "_PASSWORD")));
        check("NPM_TOKEN", Some((Suffix, "_TOKEN")));
        check("GITLAB_PAT", Some((Suffix, "_PAT")));
        check("OPENAI_ORG", Some((Prefix, "OPENAI_")));
        check("aws_secret_thing", Some((Prefix, "AWS_SECRET")));
        check("PATH", None);
        check("HOME", None);
        check("MONKEY", None);
        check("KEYBOARD_LAYOUT", None);
        check("AWS_ACCESS_KEY_ID", None);
        check("", None);
    }

    #[test]
    fn common_spellings_of_credential_names() {
        use SecretRuleKind::*;
        check("DB_PASS", Some((Suffix, "_PASS")));
        check("smtp_pass", Some((Suffix, "_PASS")));
        check("GOOGLE_APIKEY", Some((Suffix, "_APIKEY")));
        check("APIKEY", Some((Exact, "APIKEY")));
        check("PASSWD", Some((Exact, "PASSWD")));
        check("PASSPHRASE", Some((Exact, "PASSPHRASE")));
        check("CREDENTIALS", Some((Exact, "CREDENTIALS")));
        check("PROXY_BYPASS", None);
        check("SSH_ASKPASS", None);
        check("COMPASS", None);
    }

    #[test]
    fn hyphen_and_dot_spellings_are_secret_too() {
        use SecretRuleKind::*;
        // Env names may hold `-` or `.` (Windows, `env 'a-b=1'`, Node's process.env).
        check("github-token", Some((Exact, "GITHUB_TOKEN")));
        check("my-api-key", Some((Suffix, "_API_KEY")));
        check("db.password", Some((Suffix, "_PASSWORD")));
        check("openai-org", Some((Prefix, "OPENAI_")));
        check("api-key", Some((Exact, "API_KEY")));
        check("key-board", None);
        check("my-path", None);
    }

    #[test]
    fn allowlist_beats_rules() {
        let p = SecretBrokerPolicy::default()
            .with_allowed("public_key")
            .unwrap();
        assert!(p.is_secret("PUBLIC_KEY").is_none());
        assert!(p.is_secret("MY_PUBLIC_KEY").is_some());
        let p = SecretBrokerPolicy::new(&["PATH"], &[], &["P"], &["path"]).unwrap();
        assert!(p.is_secret("PATH").is_none());
        assert!(p.is_secret("PWD").is_some());
    }

    #[test]
    fn a_rules_file_keeps_the_default_lists_it_does_not_name() {
        let p: SecretBrokerPolicy =
            serde_json::from_str(r#"{"allowlist": ["PUBLIC_KEY"]}"#).unwrap();
        assert!(p.is_secret("PUBLIC_KEY").is_none());
        assert!(p.is_secret("GITHUB_TOKEN").is_some());
        let back: SecretBrokerPolicy =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<SecretBrokerPolicy>(r#"{"suffixes": [""]}"#).is_err());
    }

    #[test]
    fn empty_rules_are_refused() {
        assert_eq!(
            SecretBrokerPolicy::new(&["A"], &[" "], &[], &[]),
            Err(SecretPolicyError::EmptyRule { kind: "suffix" })
        );
    }

    #[test]
    fn name_hash_known_answer() {
        // printf '\x20GITHUB_TOKEN' | sha256sum
        assert_eq!(secret_name_hash("GITHUB_TOKEN"), KAV_GITHUB_TOKEN);
        assert_ne!(
            secret_name_hash("GITHUB_TOKEN"),
            secret_name_hash("github_token")
        );
    }

    const KAV_GITHUB_TOKEN: &str =
        "66e135c5792e0202f2f7a2545b8716cc49758f70051881b74fffc1937b0f542c";

    #[test]
    fn broker_decisions() {
        let p = SecretBrokerPolicy::default();
        let d = p.broker_env("GITHUB_TOKEN");
        assert!(d.redacted);
        assert_eq!(d.placeholder.as_deref(), Some(SECRET_PLACEHOLDER));
        assert_eq!(d.reason, SecretBrokerReason::ExactRule);
        assert_eq!(d.name_hash.len(), 64);
        let d = p.broker_env("HOME");
        assert_eq!(
            (d.redacted, d.reason),
            (false, SecretBrokerReason::Allowlisted)
        );
        let d = p.broker_env("EDITOR_THEME");
        assert_eq!(
            (d.redacted, d.reason),
            (false, SecretBrokerReason::NoRuleMatched)
        );
    }

    #[test]
    fn case_helpers() {
        assert!(ends_with_ci("abc_Key", "_KEY"));
        assert!(!ends_with_ci("KEY", "_KEY"));
        assert!(!ends_with_ci("xé", "é_"));
    }
}
