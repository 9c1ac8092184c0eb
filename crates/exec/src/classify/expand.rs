//! Word expansion as the classifier reads it: substitution marks replaced by what the
//! substitution is known to print, `${name:-word}` defaults, `$NAME` from assignments earlier
//! in the line, `for` lists as several fields, brace expansion, and field splitting of what
//! changed. Pure: the values come in as arguments.

use crate::analysis::{Arg, RRedir, Summary, MAX_COMMAND_BYTES};
use crate::lex::{Redir, Word, DEFAULT_CLOSE, DEFAULT_OPEN, DEFAULT_SEP, LITERAL_DOLLAR, SUB_MARK};

/// Appends the fields `word` expands to.
pub(super) fn resolve_word(
    word: &Word,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
    out: &mut Vec<Arg>,
) {
    let start = out.len();
    expand_word(word, subs, vars, stdin_fetch, out);
    // Quoted `$`s read as `$` again once no variable can be expanded at them.
    for arg in out.iter_mut().skip(start) {
        if arg.text.contains(LITERAL_DOLLAR) {
            arg.text = arg.text.replace(LITERAL_DOLLAR, "$");
        }
    }
}

fn expand_word(
    word: &Word,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
    out: &mut Vec<Arg>,
) {
    let (mut text, mut carried, mut changed) = substitute_marks(word, subs, stdin_fetch);
    if text.contains(DEFAULT_OPEN) {
        text = expand_defaults(&text, vars);
        changed = true;
    }
    if text.contains('$') && !vars.is_empty() {
        let expanded = expand_vars(&text, vars, &mut carried.fetch);
        if expanded != text {
            text = expanded;
            changed = true;
        }
    }
    push_fields(word, text, changed, &carried, out);
}

/// What a word's value carries besides its text (see [`Arg`]).
#[derive(Debug, Clone, Default)]
struct Carried {
    fetch: bool,
    critical_pid: bool,
    content: Option<String>,
    shell_sink: bool,
}

impl Carried {
    fn arg(&self, text: String) -> Arg {
        Arg {
            text,
            fetch: self.fetch,
            critical_pid: self.critical_pid,
            content: self.content.clone(),
            shell_sink: self.shell_sink,
        }
    }
}

/// The word's text with each substitution mark replaced by what the substitution is known to
/// print (a process substitution's output is its content instead), what the substitutions
/// carry, and whether the text changed.
fn substitute_marks(
    word: &Word,
    subs: &[Option<Summary>],
    stdin_fetch: bool,
) -> (String, Carried, bool) {
    let mut text = String::with_capacity(word.text.len());
    let mut carried = Carried::default();
    let mut changed = false;
    let mut sub_ids = word.subs.iter();
    for c in word.text.chars() {
        if c != SUB_MARK {
            text.push(c);
            continue;
        }
        let summary = sub_ids
            .next()
            .and_then(|&k| subs.get(k))
            .and_then(Option::as_ref);
        if let Some(s) = summary {
            carried.fetch |= s.fetches || (stdin_fetch && s.stdin_passthrough);
            carried.critical_pid |= s.critical_pid;
            carried.shell_sink |= s.process && s.stdin_code;
            if s.process {
                carried.content.clone_from(&s.static_value);
            } else if let Some(v) = &s.static_value {
                text.push_str(v.trim_end_matches('\n'));
                changed = true;
                continue;
            }
        }
        text.push(SUB_MARK);
    }
    (text, carried, changed)
}

/// The fields `text` (the expanded `word`) becomes: a `for` variable's values, the words of
/// an unquoted expansion, a brace expansion's alternatives, or the one word.
fn push_fields(word: &Word, text: String, changed: bool, carried: &Carried, out: &mut Vec<Arg>) {
    if text.contains(LIST_SEP) {
        // A `for` variable: every value it takes, each its own field.
        let fields: Vec<&str> = if word.quoted {
            text.split(LIST_SEP).collect()
        } else {
            text.split(|c: char| c == LIST_SEP || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .collect()
        };
        out.extend(fields.into_iter().map(|t| carried.arg(t.to_owned())));
        return;
    }
    if changed && !word.quoted {
        out.extend(text.split_whitespace().map(|t| carried.arg(t.to_owned())));
        return;
    }
    if !changed && !word.braces.is_empty() {
        if let Some(fields) = brace_expand(&text, &word.braces) {
            out.extend(fields.into_iter().map(|t| carried.arg(t)));
            return;
        }
    }
    out.push(carried.arg(text));
}

pub(super) fn resolve_redir(
    r: &Redir,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
) -> RRedir {
    let mut fields = Vec::new();
    resolve_word(&r.target, subs, vars, stdin_fetch, &mut fields);
    let fetch = fields.iter().any(|a| a.fetch);
    let content = fields.iter().find_map(|a| a.content.clone());
    let shell_sink = fields.iter().any(|a| a.shell_sink);
    let words: Vec<String> = fields.into_iter().map(|a| a.text).collect();
    RRedir {
        kind: r.kind,
        target: words.join(" "),
        fetch,
        content,
        shell_sink,
        body: r.body.clone(),
    }
}

/// Variables every shell sets: a `${HOME:-x}` default never applies.
const ALWAYS_SET: &[&str] = &[
    "HOME", "PWD", "USER", "LOGNAME", "PATH", "SHELL", "UID", "EUID", "PPID", "BASH", "HOSTNAME",
];

/// Resolves `${name:-word}` marks (see [`DEFAULT_OPEN`]): the known value, else the word.
fn expand_defaults(text: &str, vars: &[(String, Arg)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(DEFAULT_OPEN) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + DEFAULT_OPEN.len_utf8()..).unwrap_or("");
        let Some(end) = after.find(DEFAULT_CLOSE) else {
            out.push_str(after);
            return out;
        };
        let inner = after.get(..end).unwrap_or("");
        let (name, word) = inner.split_once(DEFAULT_SEP).unwrap_or((inner, ""));
        let alternate = word.starts_with('+');
        let word = word.get(1..).unwrap_or("");
        let known = vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.text.as_str());
        match known {
            Some(value) if !value.is_empty() => {
                out.push_str(if alternate { word } else { value });
            }
            _ if ALWAYS_SET.contains(&name) => {
                if alternate {
                    out.push_str(word);
                } else {
                    out.push('$');
                    out.push_str(name);
                }
            }
            _ => out.push_str(word),
        }
        rest = after.get(end + DEFAULT_CLOSE.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Separates the values of a `for NAME in a b c` variable (see [`SeqState::assign_list`]).
pub(crate) const LIST_SEP: char = '\u{1F}';

/// Replaces `$NAME` by the value of the latest assignment of `NAME` in this script.
fn expand_vars(text: &str, vars: &[(String, Arg)], fetch: &mut bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        if out.len() > MAX_COMMAND_BYTES {
            // Bounded work: stop expanding, keep the text as written.
            break;
        }
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + 1..).unwrap_or("");
        // `${NAME}` (kept braced by the lexer when a name character follows: `${p}m`).
        let braced = after.strip_prefix('{');
        let body = braced.unwrap_or(after);
        let len = if body.starts_with(['@', '*', '#']) {
            // `$@`, `$*`, `$#` (set by `set --`).
            1
        } else {
            body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len())
        };
        let name = body.get(..len).unwrap_or("");
        let closed = braced.is_none() || body.get(len..).is_some_and(|r| r.starts_with('}'));
        let end = if braced.is_some() && closed {
            len + 2
        } else {
            len + usize::from(braced.is_some())
        };
        match vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .filter(|_| len > 0 && closed)
        {
            Some((_, value)) => {
                out.push_str(&value.text);
                *fetch |= value.fetch;
            }
            None => {
                out.push('$');
                out.push_str(after.get(..end).unwrap_or(""));
            }
        }
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Expands the first unquoted `{a,b,…}` group of `text` (prefix and suffix kept).
fn brace_expand(text: &str, marks: &[(usize, char)]) -> Option<Vec<String>> {
    let open_at = marks.iter().position(|&(_, c)| c == '{')?;
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut close = None;
    for &(pos, c) in marks.get(open_at..)? {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(pos);
                    break;
                }
            }
            _ if depth == 1 => commas.push(pos),
            _ => {}
        }
    }
    let close = close?;
    let (open, _) = *marks.get(open_at)?;
    if commas.is_empty() {
        return None;
    }
    let prefix = text.get(..open)?;
    let suffix = text.get(close + 1..)?;
    let mut cuts = vec![open];
    cuts.extend(commas);
    cuts.push(close);
    let fields: Vec<String> = cuts
        .windows(2)
        .take(64)
        .filter_map(|w| match w {
            [a, b] => text
                .get(a + 1..*b)
                .map(|alt| format!("{prefix}{alt}{suffix}")),
            _ => None,
        })
        // An empty alternative expands to nothing (`{bash,}` is the one word `bash`).
        .filter(|f| !f.is_empty())
        .collect();
    (!fields.is_empty()).then_some(fields)
}
