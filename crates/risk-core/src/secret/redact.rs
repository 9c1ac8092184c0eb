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
//! Every range boundary lies next to an ASCII byte or at the end of the text, hence on a char
//! boundary; the output is still built with checked slicing, and if a slice ever failed the
//! whole command would be replaced by the placeholder (fail closed: a log line loses detail
//! rather than leak).

use std::borrow::Cow;

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

impl Client {
    fn of_program(word: &str) -> Option<Client> {
        match program_base(word).as_str() {
            "mysql" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlshow" | "mysqlcheck"
            | "mysqlsh" | "mysqlbinlog" | "mysqlpump" | "mysqlslap" | "mariadb"
            | "mariadb-dump" | "mariadb-admin" | "mariadb-import" | "mariadb-show"
            | "mariadb-check" | "mariadb-slap" | "mariadb-binlog" | "sshpass" | "mongo"
            | "mongosh" | "mongodump" | "mongorestore" | "mongoexport" | "mongoimport" => {
                Some(Client::ShortP)
            }
            "redis-cli" => Some(Client::ShortA),
            "ldapsearch" | "ldapadd" | "ldapmodify" | "ldapdelete" | "ldapmodrdn"
            | "ldapwhoami" | "ldappasswd" | "ldapcompare" | "ldapexop" => Some(Client::ShortW),
            "sqlcmd" | "bcp" | "osql" | "isql" => Some(Client::ShortUpperP),
            "curl" | "wget" => Some(Client::UserColonPass),
            _ => None,
        }
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

/// The program a word names: `/usr/bin/mysql`, and on Windows `C:\tools\MySQL.EXE`, in any
/// case, `.exe` dropped.
fn program_base(word: &str) -> String {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let mut base = base.to_ascii_lowercase();
    if base.ends_with(".exe") {
        base.truncate(base.len() - ".exe".len());
    }
    base
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

fn word_pass(
    policy: &SecretBrokerPolicy,
    cmd: &str,
    depth: usize,
    ranges: &mut Vec<(usize, usize)>,
) {
    let mut client: Option<Client> = None;
    // curl's `-b` / `--cookie` take cookies (wget's `-b` means "background").
    let mut curl = false;
    let mut pending = Pending::Nothing;
    for token in lex(cmd) {
        let (start, end) = match token {
            Token::Operator => {
                client = None;
                curl = false;
                pending = Pending::Nothing;
                continue;
            }
            Token::Word(start, end) => (start, end),
        };
        let Some(word) = cmd.get(start..end) else {
            continue;
        };
        match std::mem::replace(&mut pending, Pending::Nothing) {
            Pending::Whole => {
                ranges.push((start, end));
                continue;
            }
            Pending::AfterColon => {
                if let Some(colon) = word.find(':') {
                    ranges.push((start + colon + 1, end));
                }
                continue;
            }
            Pending::Assignment => {
                if word == "=" {
                    pending = Pending::Whole;
                    continue;
                }
                if word.len() > 1 && word.starts_with('=') {
                    ranges.push((start + 1, end));
                    continue;
                }
            }
            Pending::Nothing => {}
        }
        // PowerShell: `$env:NAME=value`, `$env:NAME = value`.
        if let Some(rest) = word
            .get(..5)
            .filter(|head| head.eq_ignore_ascii_case("$env:"))
            .and_then(|_| word.get(5..))
        {
            if let Some(range) = secret_assignment(policy, rest) {
                ranges.push((start + 5 + range.0, start + 5 + range.1));
            } else if policy.is_secret(rest).is_some() {
                pending = Pending::Assignment;
            }
            continue;
        }
        // A word quoted as a whole (`'--password=x y'`, `"--token"`: what a host's argv
        // quoting produces for a word with a space) is read as the word inside the quotes.
        let outer_start = start;
        let (start, end, word) = unquoted_word(start, end, word);
        // A quoted word with a blank may be a script (`bash -c '…'`, `ssh host "…"`): its
        // commands are read too.
        if start != outer_start && depth < MAX_NESTED_SCRIPTS && word.bytes().any(is_space) {
            let mut nested = Vec::new();
            word_pass(policy, word, depth + 1, &mut nested);
            ranges.extend(nested.into_iter().map(|(a, b)| (start + a, start + b)));
        }
        if let Some(range) = secret_assignment(policy, word) {
            ranges.push((start + range.0, start + range.1));
            continue;
        }
        if let Some(found) = Client::of_program(word) {
            client = Some(found);
            curl = program_base(word) == "curl";
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = split_flag(long);
            let value_start = start + 2 + name.len() + 1;
            if is_secret_flag(name) || (curl && name == "cookie") {
                match value {
                    Some(_) => ranges.push((value_start, unquoted_end(word, end))),
                    None => pending = Pending::Whole,
                }
            } else if client == Some(Client::UserColonPass) && name == "user" {
                match value {
                    Some(v) => {
                        if let Some(colon) = v.find(':') {
                            ranges.push((value_start + colon + 1, end));
                        }
                    }
                    None => pending = Pending::AfterColon,
                }
            } else if let Some(v) = value {
                // `--env=API_KEY=value`
                if let Some(range) = secret_assignment(policy, v) {
                    ranges.push((value_start + range.0, value_start + range.1));
                }
            }
        } else if let Some(short) = word.strip_prefix('-') {
            let first = short.as_bytes().first().copied();
            let takes_secret =
                first == client.and_then(Client::short_flag) || (curl && first == Some(b'b'));
            if first.is_some() && takes_secret {
                if short.len() == 1 {
                    pending = Pending::Whole;
                } else {
                    ranges.push((start + 2, end));
                }
            } else if client == Some(Client::UserColonPass) && first == Some(b'u') {
                if short.len() == 1 {
                    pending = Pending::AfterColon;
                } else if let Some(colon) = short.find(':') {
                    ranges.push((start + 1 + colon + 1, end));
                }
            } else if short.len() > 1 {
                // Single-dash long flags: `-storepass x`, `-passin pass:x`.
                let (name, value) = split_flag(short);
                if is_secret_flag(name) {
                    match value {
                        Some(_) => ranges.push((start + 1 + name.len() + 1, end)),
                        None => pending = Pending::Whole,
                    }
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
mod tests {
    use super::*;

    fn check(cmd: &str, expected: &str) {
        let policy = SecretBrokerPolicy::default();
        assert_eq!(policy.redact_command(cmd), expected, "{cmd}");
    }

    #[test]
    fn assignments() {
        check("ls -la", "ls -la");
        check("API_KEY=abc123 ./run", "API_KEY=[REDACTED] ./run");
        check(
            "export GITHUB_TOKEN=ghp_x",
            "export GITHUB_TOKEN=[REDACTED]",
        );
        check(
            "env db_password='a b c' app",
            "env db_password=[REDACTED] app",
        );
        check("\"API_KEY=abc\" x", "\"API_KEY=[REDACTED]\" x");
        check("FOO=bar BAR=baz", "FOO=bar BAR=baz");
        check("API_KEY= x", "API_KEY= x");
        check(
            "docker run --env=MY_TOKEN=t1 img",
            "docker run --env=MY_TOKEN=[REDACTED] img",
        );
        check(
            "docker run -e MY_TOKEN=t1 img",
            "docker run -e MY_TOKEN=[REDACTED] img",
        );
        check("a;API_KEY=x;b", "a;API_KEY=[REDACTED];b");
    }

    #[test]
    fn append_assignments() {
        check("API_KEY+=abc ./run", "API_KEY+=[REDACTED] ./run");
        check("export GITHUB_TOKEN+=x", "export GITHUB_TOKEN+=[REDACTED]");
        check("\"API_KEY+=abc\" x", "\"API_KEY+=[REDACTED]\" x");
        check("API_KEY+= x", "API_KEY+= x");
        check("FOO+=bar", "FOO+=bar");
        check("API_KEY+x=y", "API_KEY+x=y");
    }

    #[test]
    fn flags() {
        check("app --password hunter2 -v", "app --password [REDACTED] -v");
        check("app --password=hunter2", "app --password=[REDACTED]");
        check("app --password='hun ter2'", "app --password=[REDACTED]");
        check("gh --token abc", "gh --token [REDACTED]");
        check("x --api_key=abc", "x --api_key=[REDACTED]");
        check("keytool -storepass s3cret", "keytool -storepass [REDACTED]");
        check(
            "openssl rsa -passin pass:s3cret",
            "openssl rsa -passin [REDACTED]",
        );
        check(
            "mysql -u root -phunter2 db",
            "mysql -u root -p[REDACTED] db",
        );
        check("mysql -u root -p hunter2", "mysql -u root -p [REDACTED]");
        check(
            "sudo /usr/bin/mysql -pX",
            "sudo /usr/bin/mysql -p[REDACTED]",
        );
        check("sshpass -p pw ssh host", "sshpass -p [REDACTED] ssh host");
        check("redis-cli -a pw ping", "redis-cli -a [REDACTED] ping");
        check("mkdir -p build", "mkdir -p build");
        check("ssh -p 2222 host", "ssh -p 2222 host");
        check("mysql -pX; mkdir -p y", "mysql -p[REDACTED]; mkdir -p y");
        check(
            "curl -u bob:pw https://x",
            "curl -u bob:[REDACTED] https://x",
        );
        check(
            "curl --user=bob:pw https://x",
            "curl --user=bob:[REDACTED] https://x",
        );
        check("docker run -u 1000:1000 img", "docker run -u 1000:1000 img");
        check(
            "docker login --password-stdin",
            "docker login --password-stdin",
        );
    }

    #[test]
    fn quoted_flag_words() {
        // What `HostCall::command_line` makes of argv words with a space: a quoted word.
        check("app '--password=x y' z", "app '--password=[REDACTED]' z");
        check(
            "app \"--password\" hunter2",
            "app \"--password\" [REDACTED]",
        );
        check("gh '--token' abc", "gh '--token' [REDACTED]");
        check("mysql '-ps3 cret' db", "mysql '-p[REDACTED]' db");
        check("'mysql' -psecret", "'mysql' -p[REDACTED]");
        check("curl '-ubob:p w' u", "curl '-ubob:[REDACTED]' u");
        check("keytool '-storepass' s", "keytool '-storepass' [REDACTED]");
        check("echo '--verbose x'", "echo '--verbose x'");
        check("echo \"-p\" 1", "echo \"-p\" 1");
        check("\"API_KEY=abc\" x", "\"API_KEY=[REDACTED]\" x");
    }

    #[test]
    fn curl_cookie_flags() {
        check(
            "curl -b 'session=abc123' https://h",
            "curl -b [REDACTED] https://h",
        );
        check("curl -bsid=x https://h", "curl -b[REDACTED] https://h");
        check(
            "curl --cookie \"sid=x; csrf=y\" https://h",
            "curl --cookie [REDACTED] https://h",
        );
        check(
            "curl --cookie=sid=x https://h",
            "curl --cookie=[REDACTED] https://h",
        );
        check("git commit -b x", "git commit -b x");
    }

    #[test]
    fn query_and_form_parameters() {
        check(
            "curl 'https://api.example.com/x?api_key=abc123&page=2'",
            "curl 'https://api.example.com/x?api_key=[REDACTED]&page=2'",
        );
        check(
            "curl https://h/cb?access_token=t0k#frag",
            "curl https://h/cb?access_token=[REDACTED]#frag",
        );
        check(
            "curl -d 'user=bob&password=hunter2' https://h/login",
            "curl -d 'user=bob&password=[REDACTED]' https://h/login",
        );
        check(
            "wget \"https://h/?a=1&client-secret=s\"",
            "wget \"https://h/?a=1&client-secret=[REDACTED]\"",
        );
        check(
            "curl 'https://h/?page=2&sort=asc'",
            "curl 'https://h/?page=2&sort=asc'",
        );
        check("a && b", "a && b");
    }

    #[test]
    fn more_password_clients() {
        check(
            "ldapsearch -x -D cn=admin -w s3cret -b dc=x",
            "ldapsearch -x -D cn=admin -w [REDACTED] -b dc=x",
        );
        check("ldapmodify -ws3cret -f x", "ldapmodify -w[REDACTED] -f x");
        check(
            "sqlcmd -S db -U sa -P s3cret -Q q",
            "sqlcmd -S db -U sa -P [REDACTED] -Q q",
        );
        check("mysqlsh -u root -ps3cret", "mysqlsh -u root -p[REDACTED]");
        check("mysqlbinlog -ps3cret x", "mysqlbinlog -p[REDACTED] x");
        check("mariadb-import -ps3cret x", "mariadb-import -p[REDACTED] x");
        check("grep -w word file", "grep -w word file");
        check("rsync -P a b", "rsync -P a b");
    }

    #[test]
    fn powershell_env_assignments() {
        check(
            "$env:GITHUB_TOKEN=\"ghp_x\"; gh auth status",
            "$env:GITHUB_TOKEN=[REDACTED]; gh auth status",
        );
        check(
            "$env:API_KEY = 'abc'; ./run",
            "$env:API_KEY = [REDACTED]; ./run",
        );
        check("$Env:db_password =hunter2", "$Env:db_password =[REDACTED]");
        check("$env:PATH = 'C:\\bin'", "$env:PATH = 'C:\\bin'");
        check("$env:API_KEY; x", "$env:API_KEY; x");
    }

    #[test]
    fn windows_spellings_of_clients() {
        check("mysql.exe -psecret db", "mysql.exe -p[REDACTED] db");
        check(
            "C:\\tools\\MySQL.EXE -u root -p hunter2",
            "C:\\tools\\MySQL.EXE -u root -p [REDACTED]",
        );
        check("curl.exe -u bob:pw u", "curl.exe -u bob:[REDACTED] u");
        check("Redis-Cli -a pw", "Redis-Cli -a [REDACTED]");
        check("mkdir.exe -p x", "mkdir.exe -p x");
    }

    #[test]
    fn commands_inside_a_quoted_script() {
        check(
            "bash -c 'mysql -psecret db'",
            "bash -c 'mysql -p[REDACTED] db'",
        );
        check(
            "sh -c \"app --password hunter2 -v\"",
            "sh -c \"app --password [REDACTED] -v\"",
        );
        check(
            "ssh host \"curl -u bob:pw https://x\"",
            "ssh host \"curl -u bob:[REDACTED] https://x\"",
        );
        check(
            "bash -c \"sh -c 'redis-cli -a pw ping'\"",
            "bash -c \"sh -c 'redis-cli -a [REDACTED] ping'\"",
        );
        check("echo 'mkdir -p build'", "echo 'mkdir -p build'");
    }

    #[test]
    fn unquoted_headers_with_escaped_blanks() {
        check(
            "curl -H Authorization:\\ Bearer\\ abc u",
            "curl -H Authorization:[REDACTED] u",
        );
        check(
            "curl -H Authorization:Bearer\\ abc u",
            "curl -H Authorization:[REDACTED] u",
        );
        check(
            "curl -H X-Api-Key:\\ k1 u",
            "curl -H X-Api-Key:[REDACTED] u",
        );
        check(
            "curl -H Authorization:\\ Bearer\\ abc",
            "curl -H Authorization:[REDACTED]",
        );
    }

    #[test]
    fn headers_and_urls() {
        check(
            "curl -H 'Authorization: Bearer abc.def' https://api",
            "curl -H 'Authorization: Bearer [REDACTED]' https://api",
        );
        check(
            "curl -H \"authorization:token xyz\" u",
            "curl -H \"authorization:token [REDACTED]\" u",
        );
        check(
            "curl -H 'Proxy-Authorization: Basic dXNlcjpw' u",
            "curl -H 'Proxy-Authorization: Basic [REDACTED]' u",
        );
        check(
            "curl -H 'X-Api-Key: k1' u",
            "curl -H 'X-Api-Key: [REDACTED]' u",
        );
        check(
            "git clone https://bob:pw@github.com/x.git",
            "git clone https://bob:[REDACTED]@github.com/x.git",
        );
        check(
            "git clone https://ghp_tok@github.com/x",
            "git clone https://[REDACTED]@github.com/x",
        );
        check(
            "git clone ssh://git@github.com/x",
            "git clone ssh://git@github.com/x",
        );
        check(
            "psql postgres://u:p@db:5432/x",
            "psql postgres://u:[REDACTED]@db:5432/x",
        );
        check(
            "curl https://example.com/a@b",
            "curl https://example.com/a@b",
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for cmd in [
            "",
            "\\",
            "'",
            "\"",
            "\\é",
            "--",
            "-",
            "=",
            "--=",
            "API_KEY=\"",
            "a://@",
            "://",
            "Authorization:",
            "é://é:é@é",
            "mysql -p",
            "curl -u",
        ] {
            let _ = SecretBrokerPolicy::default().redact_command(cmd);
        }
    }
}
