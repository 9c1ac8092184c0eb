//! Redaction of secrets in command lines, for logging (see
//! [`SecretBrokerPolicy::redact_command`] for the recognised forms).
//!
//! Three passes collect byte ranges to hide; overlapping ranges are merged and each is replaced
//! by [`SECRET_PLACEHOLDER`]:
//! 1. a shell-ish word pass (quotes and backslash escapes keep a word together; `; & | ( ) < >`
//!    and backticks separate words and end a simple command) for assignments and flags;
//! 2. an HTTP header pass over the raw text;
//! 3. a URL-credential pass over the raw text.
//!
//! The word pass keeps its own splitter on purpose, not the exec crate's shell lexer: a
//! redactor must be *coarser* than a shell. The shell lexer skips comments (`# --password x`),
//! keeps heredoc and `$(…)` bodies apart from the words, splits at an unquoted `$IFS` and
//! reports char offsets; built on it, redaction would hide less of the text that still lands
//! in the log line (a secret in a comment or a heredoc). What a program is named is the exec
//! crate's one reading ([`program_base`]).
//!
//! Every range boundary lies next to an ASCII byte or at the end of the text, hence on a char
//! boundary; the output is still built with checked slicing, and if a slice ever failed the
//! whole command would be replaced by the placeholder (fail closed: a log line loses detail
//! rather than leak).

use std::borrow::Cow;

use hostguard_exec::program_base;

use super::{ends_with_ci, SecretBrokerPolicy, SECRET_PLACEHOLDER};

/// Long-flag name endings (after `--` or `-`, lower-cased, `_` read as `-`) that take a secret.
const SECRET_FLAG_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "token",
    "secret",
    "api-key",
    "apikey",
    "access-key",
    "secret-key",
    "private-key",
    "credentials",
];

/// Whole long-flag names that take a secret.
const SECRET_FLAG_NAMES: &[&str] = &[
    "pass",
    "pwd",
    "storepass",
    "keypass",
    "passin",
    "passout",
    "srcstorepass",
    "deststorepass",
];

/// Headers whose value is a credential (matched case-insensitively, colon included).
const CREDENTIAL_HEADERS: &[&str] = &[
    "proxy-authorization:",
    "authorization:",
    "cookie:",
    "x-api-key:",
    "x-auth-token:",
    "private-token:",
];

/// Clients whose short flags take a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// `-p<password>` / `-p <password>`: mysql family, sshpass, mongo tools.
    ShortP,
    /// `-a <password>`: redis-cli.
    ShortA,
    /// `-w <password>`: the OpenLDAP clients.
    ShortW,
    /// `-P <password>`: the SQL Server clients.
    ShortUpperP,
    /// `-u user:pass` / `--user user:pass`: curl, wget.
    UserColonPass,
}

/// Which clients take a password by a short flag, by program name (see [`program_base`]).
const CLIENTS: &[(Client, &[&str])] = &[
    (
        Client::ShortP,
        &[
            "mysql",
            "mysqldump",
            "mysqladmin",
            "mysqlimport",
            "mysqlshow",
            "mysqlcheck",
            "mysqlsh",
            "mysqlbinlog",
            "mysqlpump",
            "mysqlslap",
            "mariadb",
            "mariadb-dump",
            "mariadb-admin",
            "mariadb-import",
            "mariadb-show",
            "mariadb-check",
            "mariadb-slap",
            "mariadb-binlog",
            "sshpass",
            "mongo",
            "mongosh",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
        ],
    ),
    (Client::ShortA, &["redis-cli"]),
    (
        Client::ShortW,
        &[
            "ldapsearch",
            "ldapadd",
            "ldapmodify",
            "ldapdelete",
            "ldapmodrdn",
            "ldapwhoami",
            "ldappasswd",
            "ldapcompare",
            "ldapexop",
        ],
    ),
    (Client::ShortUpperP, &["sqlcmd", "bcp", "osql", "isql"]),
    (Client::UserColonPass, &["curl", "wget"]),
];

impl Client {
    /// The client `base` (a [`program_base`]) is, if any.
    fn of_program(base: &str) -> Option<Client> {
        CLIENTS
            .iter()
            .find(|(_, names)| names.contains(&base))
            .map(|(client, _)| *client)
    }

    const fn short_flag(self) -> Option<u8> {
        match self {
            Client::ShortP => Some(b'p'),
            Client::ShortA => Some(b'a'),
            Client::ShortW => Some(b'w'),
            Client::ShortUpperP => Some(b'P'),
            Client::UserColonPass => None,
        }
    }
}

/// What the next word is, because of the flag before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    /// The whole word is a secret.
    Whole,
    /// The part after the first `:` is a secret (`user:pass`).
    AfterColon,
    /// A PowerShell `$env:SECRET` was named: `= value` or `=value` may follow.
    Assignment,
}

pub(super) fn redact_command<'a>(policy: &SecretBrokerPolicy, cmd: &'a str) -> Cow<'a, str> {
    let mut ranges = Vec::new();
    word_pass(policy, cmd, 0, &mut ranges);
    header_pass(cmd, &mut ranges);
    url_pass(cmd, &mut ranges);
    parameter_pass(policy, cmd, &mut ranges);
    if ranges.is_empty() {
        return Cow::Borrowed(cmd);
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(cmd.len());
    let mut cursor = 0;
    for (start, end) in merge(ranges) {
        match cmd.get(cursor..start) {
            Some(kept) => out.push_str(kept),
            None => return Cow::Owned(SECRET_PLACEHOLDER.to_owned()),
        }
        out.push_str(SECRET_PLACEHOLDER);
        cursor = end;
    }
    match cmd.get(cursor..) {
        Some(kept) => out.push_str(kept),
        None => return Cow::Owned(SECRET_PLACEHOLDER.to_owned()),
    }
    Cow::Owned(out)
}

/// A lexed token: a word's byte range, or an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Word(usize, usize),
    Operator,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_operator(b: u8) -> bool {
    matches!(b, b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' | b'`')
}

/// Splits `cmd` into words and operators. Never fails: an unterminated quote runs to the end.
fn lex(cmd: &str) -> Vec<Token> {
    let bytes = cmd.as_bytes();
    let len = bytes.len();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if is_space(b) {
            i += 1;
        } else if is_operator(b) {
            tokens.push(Token::Operator);
            i += 1;
        } else {
            let start = i;
            while let Some(&c) = bytes.get(i) {
                if is_space(c) || is_operator(c) {
                    break;
                }
                i = match c {
                    // Skip the escaped char whole (it may be multi-byte).
                    b'\\' => {
                        let next = cmd
                            .get(i + 1..)
                            .and_then(|rest| rest.chars().next())
                            .map_or(0, char::len_utf8);
                        i + 1 + next
                    }
                    b'\'' => find_from(bytes, i + 1, |x| x == b'\'').map_or(len, |q| q + 1),
                    b'"' => closing_double_quote(bytes, i + 1).map_or(len, |q| q + 1),
                    _ => i + 1,
                };
            }
            tokens.push(Token::Word(start, i.min(len)));
        }
    }
    tokens
}

fn find_from(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| pred(b))
        .map(|p| p + from)
}

fn closing_double_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// How deep quoted scripts are read as commands (`bash -c "sh -c '…'"`).
const MAX_NESTED_SCRIPTS: usize = 4;

/// The word pass over `cmd` (a script nested `depth` quotes deep): byte ranges to hide are
/// appended to `ranges`.
fn word_pass(
    policy: &SecretBrokerPolicy,
    cmd: &str,
    depth: usize,
    ranges: &mut Vec<(usize, usize)>,
) {
    let mut pass = WordPass {
        policy,
        depth,
        ranges,
        command: Command::default(),
    };
    for token in lex(cmd) {
        match token {
            // An operator ends the simple command: its client and pending flag end with it.
            Token::Operator => pass.command = Command::default(),
            Token::Word(start, end) => {
                if let Some(word) = cmd.get(start..end) {
                    pass.word(word, start, end);
                }
            }
        }
    }
}

/// What the word pass knows of the simple command it is in.
#[derive(Debug, Clone, Copy)]
struct Command {
    /// The password-taking client it runs, once named.
    client: Option<Client>,
    /// It runs curl: `-b` / `--cookie` take cookies (wget's `-b` means "background").
    curl: bool,
    /// What the next word is, because of the word before it.
    pending: Pending,
}

impl Default for Command {
    fn default() -> Self {
        Command {
            client: None,
            curl: false,
            pending: Pending::Nothing,
        }
    }
}

/// The word pass over one script.
struct WordPass<'p, 'r> {
    policy: &'p SecretBrokerPolicy,
    depth: usize,
    ranges: &'r mut Vec<(usize, usize)>,
    command: Command,
}

impl WordPass<'_, '_> {
    fn hide(&mut self, start: usize, end: usize) {
        self.ranges.push((start, end));
    }

    /// One word at `start..end` of the script.
    fn word(&mut self, word: &str, start: usize, end: usize) {
        if self.take_pending(word, start, end) || self.powershell_env(word, start) {
            return;
        }
        // A word quoted as a whole (`'--password=x y'`, `"--token"`: what a host's argv
        // quoting produces for a word with a space) is read as the word inside the quotes.
        let outer_start = start;
        let (start, end, word) = unquoted_word(start, end, word);
        // A quoted word with a blank may be a script (`bash -c '…'`, `ssh host "…"`): its
        // commands are read too.
        if start != outer_start && self.depth < MAX_NESTED_SCRIPTS && word.bytes().any(is_space) {
            let mut nested = Vec::new();
            word_pass(self.policy, word, self.depth + 1, &mut nested);
            self.ranges
                .extend(nested.into_iter().map(|(a, b)| (start + a, start + b)));
        }
        if let Some(range) = secret_assignment(self.policy, word) {
            self.hide(start + range.0, start + range.1);
            return;
        }
        let base = program_base(word);
        if let Some(found) = Client::of_program(&base) {
            self.command.client = Some(found);
            self.command.curl = base == "curl";
            return;
        }
        if let Some(long) = word.strip_prefix("--") {
            self.long_flag(long, word, start, end);
        } else if let Some(short) = word.strip_prefix('-') {
            self.short_flag(short, start, end);
        }
    }

    /// Consumes the pending flag's value, if the word is one; `true` when the word is done.
    fn take_pending(&mut self, word: &str, start: usize, end: usize) -> bool {
        match std::mem::replace(&mut self.command.pending, Pending::Nothing) {
            Pending::Whole => self.hide(start, end),
            Pending::AfterColon => {
                if let Some(colon) = word.find(':') {
                    self.hide(start + colon + 1, end);
                }
            }
            Pending::Assignment if word == "=" => self.command.pending = Pending::Whole,
            Pending::Assignment if word.len() > 1 && word.starts_with('=') => {
                self.hide(start + 1, end);
            }
            Pending::Assignment | Pending::Nothing => return false,
        }
        true
    }

    /// PowerShell: `$env:NAME=value`, `$env:NAME = value`; `true` when the word is one.
    fn powershell_env(&mut self, word: &str, start: usize) -> bool {
        let Some(rest) = word
            .get(..5)
            .filter(|head| head.eq_ignore_ascii_case("$env:"))
            .and_then(|_| word.get(5..))
        else {
            return false;
        };
        if let Some(range) = secret_assignment(self.policy, rest) {
            self.hide(start + 5 + range.0, start + 5 + range.1);
        } else if self.policy.is_secret(rest).is_some() {
            self.command.pending = Pending::Assignment;
        }
        true
    }

    /// `--name`, `--name=value` (`long` is the word after `--`, `word` all of it).
    fn long_flag(&mut self, long: &str, word: &str, start: usize, end: usize) {
        let (name, value) = split_flag(long);
        let value_start = start + 2 + name.len() + 1;
        if is_secret_flag(name) || (self.command.curl && name == "cookie") {
            match value {
                Some(_) => self.hide(value_start, unquoted_end(word, end)),
                None => self.command.pending = Pending::Whole,
            }
        } else if self.command.client == Some(Client::UserColonPass) && name == "user" {
            match value {
                Some(v) => {
                    if let Some(colon) = v.find(':') {
                        self.hide(value_start + colon + 1, end);
                    }
                }
                None => self.command.pending = Pending::AfterColon,
            }
        } else if let Some(v) = value {
            // `--env=API_KEY=value`
            if let Some(range) = secret_assignment(self.policy, v) {
                self.hide(value_start + range.0, value_start + range.1);
            }
        }
    }

    /// `-x`, `-xvalue`, and single-dash long flags (`short` is the word after `-`).
    fn short_flag(&mut self, short: &str, start: usize, end: usize) {
        let client = self.command.client;
        let first = short.as_bytes().first().copied();
        let takes_secret = first == client.and_then(Client::short_flag)
            || (self.command.curl && first == Some(b'b'));
        if first.is_some() && takes_secret {
            if short.len() == 1 {
                self.command.pending = Pending::Whole;
            } else {
                self.hide(start + 2, end);
            }
        } else if client == Some(Client::UserColonPass) && first == Some(b'u') {
            if short.len() == 1 {
                self.command.pending = Pending::AfterColon;
            } else if let Some(colon) = short.find(':') {
                self.hide(start + 1 + colon + 1, end);
            }
        } else if short.len() > 1 {
            // Single-dash long flags: `-storepass x`, `-passin pass:x`.
            let (name, value) = split_flag(short);
            if is_secret_flag(name) {
                match value {
                    Some(_) => self.hide(start + 1 + name.len() + 1, end),
                    None => self.command.pending = Pending::Whole,
                }
            }
        }
    }
}

/// `word` (at `start..end`) without a pair of matching quotes around all of it, with its range.
fn unquoted_word(start: usize, end: usize, word: &str) -> (usize, usize, &str) {
    let bytes = word.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(b'"'), Some(b'"')) | (Some(b'\''), Some(b'\'')) if bytes.len() > 1 => {
            match word.get(1..word.len() - 1) {
                Some(inner) => (start + 1, end - 1, inner),
                None => (start, end, word),
            }
        }
        _ => (start, end, word),
    }
}

/// `name` and `Some(value)` of `name=value`, or `name` and `None`.
fn split_flag(flag: &str) -> (&str, Option<&str>) {
    match flag.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (flag, None),
    }
}

fn is_secret_flag(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let normal = name.to_ascii_lowercase().replace('_', "-");
    SECRET_FLAG_NAMES.contains(&normal.as_str())
        || SECRET_FLAG_SUFFIXES
            .iter()
            .any(|s| ends_with_ci(&normal, s))
}

/// The end of a word, leaving out a closing quote that matches an opening one.
fn unquoted_end(word: &str, end: usize) -> usize {
    let bytes = word.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(b'"'), Some(b'"')) | (Some(b'\''), Some(b'\'')) if bytes.len() > 1 => end - 1,
        _ => end,
    }
}

/// The value range (relative to `word`) of `NAME=value` or `NAME+=value` (optionally quoted as a
/// whole, as in `"NAME=value"`) when `NAME` is secret and the value non-empty.
fn secret_assignment(policy: &SecretBrokerPolicy, word: &str) -> Option<(usize, usize)> {
    let bytes = word.as_bytes();
    let quote = usize::from(matches!(bytes.first(), Some(b'"' | b'\'')));
    let name_len = bytes
        .get(quote..)?
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))?;
    let first = *bytes.get(quote)?;
    // `NAME=value`, or the shell's append form `NAME+=value`.
    let operator_len = match (bytes.get(quote + name_len), bytes.get(quote + name_len + 1)) {
        (Some(b'='), _) => 1,
        (Some(b'+'), Some(b'=')) => 2,
        _ => return None,
    };
    if name_len == 0 || first.is_ascii_digit() {
        return None;
    }
    let name = word.get(quote..quote + name_len)?;
    policy.is_secret(name)?;
    let value_start = quote + name_len + operator_len;
    let value_end = if quote == 1 {
        unquoted_end(word, word.len())
    } else {
        word.len()
    };
    (value_end > value_start).then_some((value_start, value_end))
}

fn header_pass(cmd: &str, ranges: &mut Vec<(usize, usize)>) {
    let bytes = cmd.as_bytes();
    for header in CREDENTIAL_HEADERS {
        let mut from = 0;
        while let Some(at) = find_ci(bytes, header.as_bytes(), from) {
            from = at + header.len();
            // `proxy-authorization:` also contains `authorization:`; skip the inner match.
            if *header == "authorization:" && ends_with_ci(cmd.get(..at).unwrap_or(""), "proxy-") {
                continue;
            }
            let quote = at
                .checked_sub(1)
                .and_then(|p| bytes.get(p))
                .copied()
                .filter(|q| matches!(q, b'"' | b'\''));
            let value_start = skip_blanks(bytes, from);
            let value_end = |start: usize| match quote {
                Some(q) => find_from(bytes, start, |b| b == q || b == b'\n').unwrap_or(bytes.len()),
                // Unquoted, a backslash-escaped blank or quote is part of the value
                // (`-H Authorization:\ Bearer\ tok`).
                None => find_unescaped(bytes, start, |b| is_space(b) || b == b'"' || b == b'\'')
                    .unwrap_or(bytes.len()),
            };
            let mut secret_start = value_start;
            if header.ends_with("authorization:") {
                // `Bearer <credential>`: keep the scheme, hide what follows it.
                let word_end = find_from(bytes, value_start, |b| {
                    is_space(b) || b == b'"' || b == b'\''
                })
                .unwrap_or(bytes.len());
                let after = skip_blanks(bytes, word_end);
                let is_scheme = word_end > value_start
                    && after > word_end
                    && bytes
                        .get(value_start..word_end)
                        .is_some_and(|w| w.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'))
                    && bytes.get(after).is_some_and(|b| !matches!(b, b'"' | b'\''));
                if is_scheme {
                    secret_start = after;
                }
            }
            let secret_end = value_end(secret_start);
            if secret_end > secret_start {
                ranges.push((secret_start, secret_end));
            }
        }
    }
}

/// As [`find_from`], skipping the byte after each backslash.
fn find_unescaped(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if pred(b) {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

fn skip_blanks(bytes: &[u8], from: usize) -> usize {
    find_from(bytes, from, |b| b != b' ' && b != b'\t').unwrap_or(bytes.len())
}

/// First ASCII case-insensitive occurrence of `needle` in `hay` at or after `from`.
fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

fn url_pass(cmd: &str, ranges: &mut Vec<(usize, usize)>) {
    let bytes = cmd.as_bytes();
    let mut from = 0;
    while let Some(sep) = find_ci(bytes, b"://", from) {
        from = sep + 3;
        let scheme_start = bytes
            .get(..sep)
            .and_then(|head| {
                head.iter()
                    .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
            })
            .map_or(0, |p| p + 1);
        let scheme = cmd.get(scheme_start..sep).unwrap_or("");
        let authority_end = find_from(bytes, from, |b| {
            is_space(b) || matches!(b, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`')
        })
        .unwrap_or(bytes.len());
        let Some(authority) = bytes.get(from..authority_end) else {
            continue;
        };
        let Some(at) = authority.iter().rposition(|&b| b == b'@') else {
            continue;
        };
        let userinfo = authority.get(..at).unwrap_or(&[]);
        match userinfo.iter().position(|&b| b == b':') {
            Some(colon) if colon + 1 < at => ranges.push((from + colon + 1, from + at)),
            Some(_) => {}
            None => {
                let http =
                    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
                if http && at > 0 {
                    ranges.push((from, from + at));
                }
            }
        }
    }
}

/// Query-string and form parameters with a secret name: `?api_key=v`, `&password=v` (in URLs
/// and `-d 'user=a&password=v'` bodies). The value ends at `&`, `#`, `;`, a blank or a quote.
fn parameter_pass(policy: &SecretBrokerPolicy, cmd: &str, ranges: &mut Vec<(usize, usize)>) {
    let bytes = cmd.as_bytes();
    let mut from = 0;
    while let Some(sep) = find_from(bytes, from, |b| b == b'?' || b == b'&') {
        from = sep + 1;
        let name_end = find_from(bytes, from, |b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
        .unwrap_or(bytes.len());
        if name_end == from || bytes.get(name_end) != Some(&b'=') {
            continue;
        }
        let Some(name) = cmd.get(from..name_end) else {
            continue;
        };
        if policy.is_secret(name).is_none() {
            continue;
        }
        let value_start = name_end + 1;
        let value_end = find_from(bytes, value_start, |b| {
            is_space(b) || matches!(b, b'&' | b'#' | b';' | b'"' | b'\'')
        })
        .unwrap_or(bytes.len());
        if value_end > value_start {
            ranges.push((value_start, value_end));
        }
    }
}

/// Sorted ranges → disjoint ranges (overlapping or touching ranges joined).
fn merge(sorted: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests;
