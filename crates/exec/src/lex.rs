//! The shell tokenizer of exec mediation: turns a command line into words, operators and
//! redirections the way a POSIX shell (bash dialect) would, so that the classifier sees the
//! words the shell would execute rather than the characters the extension wrote.
//!
//! Normalisations done here (docs/design.md §2 step 6):
//! - single quotes, double quotes (with their four escapes), `$'…'` ANSI-C strings (`\n`, `\xHH`,
//!   octal, `\uHHHH`, `\cX`…), `$"…"`, backslash escapes and line continuations are removed, so
//!   `r''m`, `r""m`, `\rm` and `$'\x72m'` all read `rm`;
//! - unquoted `$IFS` / `${IFS}` / `${IFS:0:1}` split words, quoted (or in an assignment value)
//!   they read as a space; `${PATH:0:1}` and `${HOME:0:1}` read `/`; `${NAME:-word}` (and
//!   `:=`, `:+`…) keeps both the name and the default ([`DEFAULT_OPEN`]); other `${NAME…}`
//!   read `$NAME` (`${NAME}` stays braced when a name character follows);
//! - `$(…)`, backticks, `<(…)` and `>(…)` become substitutions: the word holds [`SUB_MARK`]
//!   and the body is kept for recursive classification;
//! - heredoc bodies (`<<EOF`, `<<-EOF`, quoted delimiters) and here-strings are attached to
//!   their redirection; the `$(…)` and backticks of a body with an unquoted delimiter run when
//!   the heredoc is read, so they are substitutions too;
//! - unquoted `{`, `,`, `}` positions are remembered for brace expansion.
//!
//! The tokenizer never fails: an unterminated quote or substitution runs to the end of input.
//! Work is linear in the input except for substitution bodies, which are re-read by the
//! recursive classifier under its own depth and byte budget.

mod escape;
mod scan;
mod token;

use escape::escape;
pub(crate) use escape::unescape;

use scan::{ends_word, is_blank};
pub(crate) use token::{
    Lexed, Op, Redir, RedirKind, Sub, SubKind, Token, Word, DEFAULT_CLOSE, DEFAULT_OPEN,
    DEFAULT_SEP, LITERAL_DOLLAR, SUB_MARK,
};

/// The default word of a `${name…}` operator (`:-w`, `-w`, `:=w`, `=w`, `:+w`, `+w`) after
/// quote removal, when it is plain text (no substitution; those are classified as such).
fn default_word(rest: &str, nesting: usize) -> Option<String> {
    let (kind, word) = [":-", ":=", ":+", "-", "=", "+"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|w| (op.contains('+'), w)))?;
    if word.contains("$(") || word.contains('`') || word.contains('$') {
        return None;
    }
    let lexed = lex_nested(word, nesting + 1);
    let mut words = Vec::new();
    for token in lexed.tokens {
        match token {
            Token::Word(w) => words.push(w.text),
            _ => return None,
        }
    }
    // The first char says which: `+` an alternate value, `-` a default.
    Some(format!(
        "{}{}",
        if kind { '+' } else { '-' },
        words.join(" ")
    ))
}

/// Deepest `${…${…}}` / `$((…))` nesting searched for substitutions (the lexer recurses there).
const MAX_LEX_NESTING: usize = 8;

/// Tokenizes `src`. Never fails, never panics.
pub(crate) fn lex(src: &str) -> Lexed {
    lex_nested(src, 0)
}

fn lex_nested(src: &str, nesting: usize) -> Lexed {
    let mut lexer = Lexer {
        s: src.chars().collect(),
        i: 0,
        out: Lexed::default(),
        pending: Vec::new(),
        nesting,
    };
    lexer.run();
    lexer.out
}

/// A heredoc whose body starts after the next newline.
struct PendingHeredoc {
    /// Index of its redirection token.
    index: usize,
    delim: String,
    /// `<<-`: leading tabs are stripped.
    strip: bool,
    /// The delimiter was unquoted: the body is expanded (`$(…)`, backticks, `${…}` run).
    expands: bool,
}

struct Lexer {
    s: Vec<char>,
    i: usize,
    out: Lexed,
    /// Heredocs whose body starts after the next newline.
    pending: Vec<PendingHeredoc>,
    /// How deep inside expansion text this lexer runs.
    nesting: usize,
}

/// What reading one piece of a word asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Continue,
    /// An unquoted `$IFS`: end the word here.
    Split,
}

#[derive(Default)]
struct WordBuf {
    word: Word,
    started: bool,
}

impl WordBuf {
    fn push(&mut self, c: char) {
        self.started = true;
        self.word.text.push(c);
    }

    /// A char that came quoted or escaped: a `$` among them expands nothing
    /// ([`LITERAL_DOLLAR`]).
    fn push_literal(&mut self, c: char) {
        self.push(if c == '$' { LITERAL_DOLLAR } else { c });
    }

    fn push_str(&mut self, s: &str) {
        self.started = true;
        self.word.text.push_str(s);
    }

    fn quoted(&mut self) {
        self.started = true;
        self.word.quoted = true;
    }

    fn take(&mut self) -> Option<Word> {
        let buf = std::mem::take(self);
        buf.started.then_some(buf.word)
    }

    /// An unquoted all-digit word just before `<` / `>` is a file descriptor number.
    fn is_fd(&self) -> bool {
        self.started
            && !self.word.quoted
            && !self.word.text.is_empty()
            && self.word.text.len() <= 4
            && self.word.text.bytes().all(|b| b.is_ascii_digit())
    }
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.s.get(self.i + ahead).copied()
    }

    fn slice(&self, from: usize, to: usize) -> String {
        self.s
            .get(from..to.min(self.s.len()))
            .map_or_else(String::new, |cs| cs.iter().collect())
    }

    fn flush(&mut self, cur: &mut WordBuf) {
        if let Some(word) = cur.take() {
            self.out.tokens.push(Token::Word(word));
            self.out.ends.push(self.i);
        }
    }

    fn op(&mut self, op: Op, len: usize) {
        self.i += len;
        self.out.tokens.push(Token::Op(op));
        self.out.ends.push(self.i);
    }

    fn run(&mut self) {
        let mut cur = WordBuf::default();
        while let Some(c) = self.peek(0) {
            match c {
                _ if is_blank(c) => {
                    self.flush(&mut cur);
                    self.i += 1;
                }
                '\n' => {
                    self.flush(&mut cur);
                    self.op(Op::Seq, 1);
                    self.read_heredocs();
                }
                '#' if !cur.started => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                ';' => {
                    self.flush(&mut cur);
                    let len = match (self.peek(1), self.peek(2)) {
                        (Some(';'), Some('&')) => 3,
                        (Some(';' | '&'), _) => 2,
                        _ => 1,
                    };
                    self.op(Op::Seq, len);
                }
                '&' => {
                    self.flush(&mut cur);
                    match self.peek(1) {
                        Some('&') => self.op(Op::And, 2),
                        Some('>') => {
                            self.i += 1;
                            self.redirect();
                        }
                        _ => self.op(Op::Background, 1),
                    }
                }
                '|' => {
                    self.flush(&mut cur);
                    match self.peek(1) {
                        Some('|') => self.op(Op::Or, 2),
                        Some('&') => self.op(Op::Pipe, 2),
                        _ => self.op(Op::Pipe, 1),
                    }
                }
                '(' => {
                    self.flush(&mut cur);
                    self.op(Op::Open, 1);
                }
                ')' => {
                    self.flush(&mut cur);
                    self.op(Op::Close, 1);
                }
                '<' | '>' if self.peek(1) == Some('(') => {
                    self.i += 1;
                    self.command_sub(&mut cur, SubKind::Process);
                }
                '<' | '>' => {
                    if cur.is_fd() {
                        cur = WordBuf::default();
                    } else {
                        self.flush(&mut cur);
                    }
                    self.redirect();
                }
                _ => {
                    if self.piece(&mut cur) == Piece::Split {
                        self.flush(&mut cur);
                    }
                }
            }
        }
        self.flush(&mut cur);
    }

    /// Reads one piece of a word at `self.i` (not a word-ending char).
    fn piece(&mut self, cur: &mut WordBuf) -> Piece {
        let Some(c) = self.peek(0) else {
            return Piece::Continue;
        };
        match c {
            '\\' => {
                match self.peek(1) {
                    Some('\n') => {}
                    Some(next) => {
                        cur.quoted();
                        cur.push_literal(next);
                    }
                    None => cur.push('\\'),
                }
                self.i += 2;
            }
            '\'' => {
                cur.quoted();
                self.i += 1;
                while let Some(c) = self.peek(0) {
                    self.i += 1;
                    if c == '\'' {
                        break;
                    }
                    cur.push_literal(c);
                }
            }
            '"' => self.double_quoted(cur),
            '$' => return self.dollar(cur, false),
            '`' => self.backtick(cur),
            '{' | ',' | '}' => {
                cur.word.braces.push((cur.word.text.len(), c));
                cur.push(c);
                self.i += 1;
            }
            _ => {
                cur.push(c);
                self.i += 1;
            }
        }
        Piece::Continue
    }

    fn double_quoted(&mut self, cur: &mut WordBuf) {
        cur.quoted();
        self.i += 1;
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.i += 1;
                    return;
                }
                '\\' => match self.peek(1) {
                    Some(e @ ('$' | '`' | '"' | '\\')) => {
                        cur.push_literal(e);
                        self.i += 2;
                    }
                    Some('\n') => self.i += 2,
                    _ => {
                        cur.push('\\');
                        self.i += 1;
                    }
                },
                '$' => {
                    let _ = self.dollar(cur, true);
                }
                '`' => self.backtick(cur),
                _ => {
                    cur.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// At `$`.
    fn dollar(&mut self, cur: &mut WordBuf, in_quotes: bool) -> Piece {
        match self.peek(1) {
            Some('\'') if !in_quotes => {
                self.i += 1;
                self.ansi_c(cur);
                Piece::Continue
            }
            Some('"') if !in_quotes => {
                self.i += 1;
                self.double_quoted(cur);
                Piece::Continue
            }
            Some('(') if self.peek(2) == Some('(') => {
                // Arithmetic `$((…))`: kept as text; substitutions inside still run.
                let start = self.i;
                let end = scan::matching_paren(&self.s, self.i + 1).unwrap_or(self.s.len());
                let text = self.slice(start, end + 1);
                // The expression between `$((` and `))`.
                let expr = self.slice(start + 3, end.saturating_sub(1));
                self.i = end + 1;
                self.nested_subs(cur, &expr);
                cur.push_str(&text);
                Piece::Continue
            }
            Some('(') => {
                self.i += 1;
                self.command_sub(cur, SubKind::Command);
                Piece::Continue
            }
            Some('{') => {
                let start = self.i + 2;
                let end = scan::closing_brace(&self.s, start);
                let inner = self.slice(start, end);
                self.i = end + 1;
                // `${x:-$(rm -rf /)}`: a default value's substitutions run.
                self.nested_subs(cur, &inner);
                self.parameter(cur, &inner, in_quotes)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let start = self.i + 1;
                let mut end = start;
                while self
                    .s
                    .get(end)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == '_')
                {
                    end += 1;
                }
                let name = self.slice(start, end);
                self.i = end;
                self.parameter(cur, &name, in_quotes)
            }
            Some(c)
                if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
            {
                cur.push('$');
                cur.push(c);
                self.i += 2;
                Piece::Continue
            }
            _ => {
                cur.push('$');
                self.i += 1;
                Piece::Continue
            }
        }
    }

    /// Registers the substitutions inside expansion text (a `${…}` operand, `$((…))`) so they
    /// are classified; the word keeps one mark per substitution.
    fn nested_subs(&mut self, cur: &mut WordBuf, text: &str) {
        if !text.contains("$(") && !text.contains('`') {
            return;
        }
        if self.nesting >= MAX_LEX_NESTING {
            self.out.overflow = true;
            return;
        }
        let inner = lex_nested(text, self.nesting + 1);
        self.out.overflow |= inner.overflow;
        for sub in inner.subs {
            self.push_sub(cur, sub.kind, sub.body);
        }
    }

    /// A parameter expansion `$name` / `${expr}` (`expr` without the braces).
    fn parameter(&mut self, cur: &mut WordBuf, expr: &str, in_quotes: bool) -> Piece {
        let name_len = expr
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(expr.len());
        let (name, rest) = expr.split_at(name_len);
        if name == "IFS" {
            if in_quotes || super::wrappers::is_assignment(&cur.word.text) {
                // Quoted, or the value of an assignment (`X=$IFS`): no word splitting.
                cur.push(' ');
                return Piece::Continue;
            }
            return Piece::Split;
        }
        if matches!(name, "PATH" | "HOME" | "PWD") && rest.starts_with(":0:1") {
            cur.push('/');
            return Piece::Continue;
        }
        if !name.is_empty() {
            if let Some(default) = default_word(rest, self.nesting) {
                // `${x:-/}`: the value of `x` when known, else the default (see `DEFAULT_OPEN`).
                cur.push(DEFAULT_OPEN);
                cur.push_str(name);
                cur.push(DEFAULT_SEP);
                cur.push_str(&default);
                cur.push(DEFAULT_CLOSE);
                return Piece::Continue;
            }
        }
        if name.is_empty() {
            cur.push_str("${");
            cur.push_str(expr);
            cur.push('}');
        } else if self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            // `${p}m`: the braces end the name; `$pm` would be another variable.
            cur.push_str("${");
            cur.push_str(name);
            cur.push('}');
        } else {
            cur.push('$');
            cur.push_str(name);
        }
        Piece::Continue
    }

    /// At `'` after `$`.
    fn ansi_c(&mut self, cur: &mut WordBuf) {
        cur.quoted();
        self.i += 1;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '\'' => return,
                '\\' => {
                    if let Some(d) = escape(&self.s, &mut self.i) {
                        cur.push_literal(d);
                    }
                }
                _ => cur.push_literal(c),
            }
        }
    }

    /// At `(` of `$(`, `<(` or `>(`.
    fn command_sub(&mut self, cur: &mut WordBuf, kind: SubKind) {
        let open = self.i;
        let end = scan::matching_paren(&self.s, open).unwrap_or(self.s.len());
        let body = self.slice(open + 1, end);
        self.i = end + 1;
        self.push_sub(cur, kind, body);
    }

    fn push_sub(&mut self, cur: &mut WordBuf, kind: SubKind, body: String) {
        cur.word.subs.push(self.out.subs.len());
        self.out.subs.push(Sub { kind, body });
        cur.push(SUB_MARK);
    }

    /// At a backtick.
    fn backtick(&mut self, cur: &mut WordBuf) {
        self.i += 1;
        let mut body = String::new();
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '`' => break,
                '\\' => match self.peek(0) {
                    Some(e @ ('`' | '\\' | '$')) => {
                        body.push(e);
                        self.i += 1;
                    }
                    _ => body.push('\\'),
                },
                _ => body.push(c),
            }
        }
        self.push_sub(cur, SubKind::Command, body);
    }

    /// At `<` or `>` (after an optional fd number or `&`).
    fn redirect(&mut self) {
        let first = self.peek(0);
        let (kind, len, strip) = match (first, self.peek(1), self.peek(2)) {
            (Some('>'), Some('>'), _) => (RedirKind::Append, 2, false),
            (Some('>'), Some('|'), _) => (RedirKind::Out, 2, false),
            (Some('>'), Some('&'), _) => (RedirKind::Dup, 2, false),
            (Some('>'), _, _) => (RedirKind::Out, 1, false),
            (Some('<'), Some('<'), Some('<')) => (RedirKind::HereString, 3, false),
            (Some('<'), Some('<'), Some('-')) => (RedirKind::HereDoc, 3, true),
            (Some('<'), Some('<'), _) => (RedirKind::HereDoc, 2, false),
            (Some('<'), Some('>'), _) => (RedirKind::ReadWrite, 2, false),
            (Some('<'), Some('&'), _) => (RedirKind::Dup, 2, false),
            _ => (RedirKind::In, 1, false),
        };
        self.i += len;
        while self.peek(0).is_some_and(is_blank) {
            self.i += 1;
        }
        let target = self.read_word();
        // `>& file` (not a digit or `-`) sends stdout and stderr to the file.
        let kind = if kind == RedirKind::Dup
            && !target.text.is_empty()
            && !target.text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        {
            RedirKind::Out
        } else {
            kind
        };
        if kind == RedirKind::HereDoc {
            self.pending.push(PendingHeredoc {
                index: self.out.tokens.len(),
                delim: target.text.clone(),
                strip,
                expands: !target.quoted,
            });
        }
        self.out.tokens.push(Token::Redir(Redir {
            kind,
            target,
            body: None,
        }));
        self.out.ends.push(self.i);
    }

    fn read_word(&mut self) -> Word {
        let mut cur = WordBuf::default();
        while let Some(c) = self.peek(0) {
            if matches!(c, '<' | '>') && self.peek(1) == Some('(') {
                // `> >(sh)`: a process substitution as the redirection target.
                self.i += 1;
                self.command_sub(&mut cur, SubKind::Process);
                continue;
            }
            if ends_word(c) {
                break;
            }
            if self.piece(&mut cur) == Piece::Split {
                break;
            }
        }
        cur.word
    }

    /// After a newline: the bodies of pending heredocs, in order.
    fn read_heredocs(&mut self) {
        for PendingHeredoc {
            index,
            delim,
            strip,
            expands,
        } in std::mem::take(&mut self.pending)
        {
            let mut body = String::new();
            while self.i < self.s.len() {
                let start = self.i;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let line = self.slice(start, self.i);
                self.i += 1;
                let cmp = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if cmp == delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if expands {
                self.expansion_subs(&body);
            }
            if let Some(Token::Redir(r)) = self.out.tokens.get_mut(index) {
                r.body = Some(body);
            }
        }
    }

    /// Registers the substitutions of text the shell expands like a double-quoted string (the
    /// body of a heredoc with an unquoted delimiter: `cat <<EOF` runs the `$(…)` inside).
    fn expansion_subs(&mut self, text: &str) {
        if !text.contains('$') && !text.contains('`') {
            return;
        }
        let mut inner = Lexer {
            s: text.chars().collect(),
            i: 0,
            out: Lexed::default(),
            pending: Vec::new(),
            nesting: self.nesting,
        };
        // The words are thrown away: only the substitutions found matter.
        let mut scratch = WordBuf::default();
        while let Some(c) = inner.peek(0) {
            match c {
                // `\$`, `\``: escaped, not expanded.
                '\\' => inner.i += 2,
                '$' => {
                    let _ = inner.dollar(&mut scratch, true);
                }
                '`' => inner.backtick(&mut scratch),
                _ => inner.i += 1,
            }
        }
        self.out.overflow |= inner.out.overflow;
        self.out.subs.extend(inner.out.subs);
    }
}

#[cfg(test)]
mod tests;
