//! From tokens to structure: pipelines of simple commands, with the reserved words of compound
//! commands (`if`, `while`, `do`, `{ … }`, `( … )`) dropped and function definitions tracked
//! (their bodies are what makes a fork bomb).
//!
//! The parser is deliberately forgiving: it never rejects input. Compound commands are
//! flattened into the simple commands they run, which is all the classifier needs: a command in
//! a loop body, a subshell or an `if` branch is as dangerous as one at top level.

use super::lex::{lex, Op, Redir, Sub, Token, Word};

/// One simple command: words and redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SimpleCommand {
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    /// The function whose body this command is in.
    pub in_function: Option<String>,
}

/// Simple commands joined by `|`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pipeline {
    pub stages: Vec<SimpleCommand>,
    /// Ended by `&`.
    pub background: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Script {
    /// In source order.
    pub pipelines: Vec<Pipeline>,
    /// Substitution bodies referenced by the words.
    pub subs: Vec<Sub>,
    /// The tokenizer gave up on deeply nested expansion text.
    pub overflow: bool,
    /// Function definitions: name and body source text.
    pub functions: Vec<(String, String)>,
}

/// Reserved words dropped at command position.
const RESERVED: &[&str] = &[
    "!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "in",
];

/// Parses `src`. Never fails.
pub(crate) fn parse(src: &str) -> Script {
    let lexed = lex(src);
    let mut parser = Parser {
        src: src.chars().collect(),
        ..Parser::default()
    };
    let mut ends = lexed.ends.into_iter();
    let mut tokens = lexed.tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        parser.cur_end = ends.next().unwrap_or(0);
        match token {
            Token::Word(word) => parser.word(word),
            Token::Redir(redir) => parser.cur.redirs.push(redir),
            Token::Op(Op::Open)
                if parser.pending_function.is_some()
                    && parser.cur.words.is_empty()
                    && matches!(tokens.peek(), Some(Token::Op(Op::Close))) =>
            {
                // `function f() { … }`: the `()` after the name.
                tokens.next();
                parser.cur_end = ends.next().unwrap_or(0);
            }
            Token::Op(Op::Open) => {
                let is_definition = parser.cur.words.len() == 1
                    && parser.cur.redirs.is_empty()
                    && matches!(tokens.peek(), Some(Token::Op(Op::Close)));
                if is_definition {
                    tokens.next();
                    parser.cur_end = ends.next().unwrap_or(0);
                    let name = parser.cur.words.pop().map(|w| w.text).unwrap_or_default();
                    parser.define(name);
                } else {
                    parser.finish_stage();
                    parser.open();
                }
            }
            Token::Op(Op::Close) => {
                parser.finish_stage();
                parser.close();
                parser.finish_pipeline(false);
            }
            Token::Op(Op::Pipe) => {
                if parser.cur.words.is_empty() && parser.cur.redirs.is_empty() {
                    // `{ a; } | b` and `(a) | b`: the group's last pipeline continues.
                    if parser.pipe.is_empty() {
                        if let Some(last) = parser.script.pipelines.pop() {
                            parser.pipe = last.stages;
                        }
                    }
                } else {
                    parser.finish_stage();
                }
            }
            Token::Op(Op::Seq | Op::And | Op::Or) => {
                parser.finish_stage();
                parser.finish_pipeline(false);
            }
            Token::Op(Op::Background) => {
                parser.finish_stage();
                parser.finish_pipeline(true);
            }
        }
    }
    parser.finish_stage();
    parser.finish_pipeline(false);
    parser.script.subs = lexed.subs;
    parser.script.overflow = lexed.overflow;
    parser.script
}

#[derive(Default)]
struct Parser {
    script: Script,
    pipe: Vec<SimpleCommand>,
    cur: SimpleCommand,
    /// `function name` seen, name not yet read.
    function_keyword: bool,
    /// A function defined, its body not yet opened.
    pending_function: Option<String>,
    /// The function whose body is open, and the group depth inside it.
    function: Option<(String, usize)>,
    /// The `time` keyword (and its `-p`) just started this command: `time { …; }`.
    after_time: bool,
    /// `coproc NAME` read: NAME names the coprocess if a group follows, else it is the command.
    coproc_name: Option<Word>,
    /// `coproc` just read.
    coproc_pending: bool,
    /// The source, and the char offset just past the current token.
    src: Vec<char>,
    cur_end: usize,
    /// Where the open function's body starts.
    body_start: usize,
}

impl Parser {
    fn word(&mut self, word: Word) {
        let at_start = self.cur.words.is_empty() && self.cur.redirs.is_empty();
        if at_start && self.function_keyword {
            self.function_keyword = false;
            let name = word.text.trim_end_matches("()").to_owned();
            self.define(name);
            return;
        }
        if at_start && !word.quoted && self.after_time && matches!(word.text.as_str(), "-p" | "--")
        {
            // `time -p`: an option of the keyword (bash runs `time -f x` as a command `-f`).
            return;
        }
        if at_start && !word.quoted && !self.after_time && word.text == "time" {
            // The `time` keyword times the pipeline that follows, groups included.
            self.after_time = true;
            return;
        }
        self.after_time = false;
        if let Some(name) = self.coproc_name.take() {
            if word.text != "{" || word.quoted {
                // `coproc cmd args`: the name was the command.
                self.cur.words.push(name);
            }
        } else if at_start && !word.quoted && word.text == "coproc" {
            self.coproc_pending = true;
            return;
        } else if self.coproc_pending && at_start && !word.quoted {
            self.coproc_pending = false;
            if word.text != "{" {
                self.coproc_name = Some(word);
                return;
            }
        }
        let at_start = self.cur.words.is_empty() && self.cur.redirs.is_empty();
        if at_start && !word.quoted {
            if word.text == "function" {
                self.function_keyword = true;
                return;
            }
            if word.text == "{" {
                self.open();
                return;
            }
            if word.text == "}" {
                self.close();
                return;
            }
            if RESERVED.contains(&word.text.as_str()) {
                return;
            }
        }
        self.cur.words.push(word);
    }

    fn define(&mut self, name: String) {
        self.pending_function = Some(name);
    }

    fn open(&mut self) {
        if let Some(name) = self.pending_function.take() {
            self.function = Some((name, 1));
            self.body_start = self.cur_end;
        } else if let Some((_, depth)) = self.function.as_mut() {
            *depth += 1;
        }
    }

    fn close(&mut self) {
        if let Some((_, depth)) = self.function.as_mut() {
            *depth = depth.saturating_sub(1);
            if *depth == 0 {
                if let Some((name, _)) = self.function.take() {
                    // The body: between the opening token and the closing `}` / `)`.
                    let end = self.cur_end.saturating_sub(1);
                    let body: String = self
                        .src
                        .get(self.body_start..end)
                        .unwrap_or(&[])
                        .iter()
                        .collect();
                    self.script.functions.push((name, body));
                }
            }
        }
    }

    fn finish_stage(&mut self) {
        self.after_time = false;
        self.coproc_pending = false;
        if let Some(name) = self.coproc_name.take() {
            // `coproc cmd`: the lone word was the command.
            self.cur.words.push(name);
        }
        if self.cur.words.is_empty() && self.cur.redirs.is_empty() {
            return;
        }
        let mut stage = std::mem::take(&mut self.cur);
        stage.in_function = self.function.as_ref().map(|(name, _)| name.clone());
        self.pipe.push(stage);
    }

    fn finish_pipeline(&mut self, background: bool) {
        if self.pipe.is_empty() {
            return;
        }
        let stages = std::mem::take(&mut self.pipe);
        self.script.pipelines.push(Pipeline { stages, background });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pipelines as `a b | c` strings, `&` marking background, `@f` a command in function `f`.
    fn check(src: &str, expected: &[&str]) {
        let script = parse(src);
        let got: Vec<String> = script
            .pipelines
            .iter()
            .map(|p| {
                let stages: Vec<String> = p
                    .stages
                    .iter()
                    .map(|s| {
                        let words: Vec<&str> = s.words.iter().map(|w| w.text.as_str()).collect();
                        match &s.in_function {
                            Some(f) => format!("@{f} {}", words.join(" ")),
                            None => words.join(" "),
                        }
                    })
                    .collect();
                let bg = if p.background { " &" } else { "" };
                format!("{}{bg}", stages.join(" | "))
            })
            .collect();
        assert_eq!(got, expected, "{src:?}");
    }

    #[test]
    fn compounds() {
        check("a; b && c || d", &["a", "b", "c", "d"]);
        check("curl x | sh", &["curl x | sh"]);
        check("{ curl x; } | sh", &["curl x | sh"]);
        check("(cd / && curl x) | bash", &["cd /", "curl x | bash"]);
        check("if true; then rm -rf /; fi", &["true", "rm -rf /"]);
        check("while :; do x & done", &[":", "x &"]);
        check("\"{\" a", &["{ a"]);
        check("time { a; }; time -p b | c", &["a", "b | c"]);
        check("time; 'time' x", &["time x"]);
    }

    #[test]
    fn functions() {
        check(":(){ :|:& };:", &["@: : | @: : &", ":"]);
        check(
            "bomb() { bomb | bomb & }; bomb",
            &["@bomb bomb | @bomb bomb &", "bomb"],
        );
        check("function f { f & }; f", &["@f f &", "f"]);
        check("f() ( f | f ); f", &["@f f | @f f", "f"]);
        check("g() { echo; }; g; x", &["@g echo", "g", "x"]);
        let bodies = parse("f() { rm -rf $1; }; g() ( f | f ); function h { { x; }; }").functions;
        assert_eq!(
            bodies,
            [
                ("f".to_owned(), " rm -rf $1; ".to_owned()),
                ("g".to_owned(), " f | f ".to_owned()),
                ("h".to_owned(), " { x; }; ".to_owned()),
            ]
        );
    }
}
