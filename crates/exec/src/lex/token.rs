//! What the tokenizer produces: words after quote removal (with their substitution and
//! brace marks), control and redirection operators, substitution bodies, and the private-use
//! chars that mark substitutions, quoted `$`s and `${name:-word}` defaults inside a word.

/// Stands in a word for the output of a substitution whose value is unknown.
pub(crate) const SUB_MARK: char = '\u{FFFC}';

/// A `$` that was quoted or escaped (`'$x'`, `\\$x`): the classifier expands no variable at it
/// and reads it back as `$` once the word is resolved.
pub(crate) const LITERAL_DOLLAR: char = '\u{E003}';

/// `${name:-word}` (and `-`, `:=`, `=`, `:+`, `+`) is written `DEFAULT_OPEN name DEFAULT_SEP
/// (`-` or `+`) word DEFAULT_CLOSE`: the classifier reads the variable's value when it knows
/// it, the word otherwise (an unset variable is the usual reason to write a default) — except
/// for variables a shell always sets (`HOME`, `PWD`…), whose default never applies.
pub(crate) const DEFAULT_OPEN: char = '\u{E000}';
/// See [`DEFAULT_OPEN`].
pub(crate) const DEFAULT_SEP: char = '\u{E001}';
/// See [`DEFAULT_OPEN`].
pub(crate) const DEFAULT_CLOSE: char = '\u{E002}';

/// One shell word after quote removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text after quote removal and expansion normalisation.
    pub text: String,
    /// Some part of the word was quoted or escaped (no word splitting, no reserved word).
    pub quoted: bool,
    /// Indices into [`Lexed::subs`] of the substitutions, in the order of their marks.
    pub subs: Vec<usize>,
    /// Byte offsets in `text` of unquoted `{`, `,` and `}` (brace expansion candidates).
    pub braces: Vec<(usize, char)>,
}

/// Control operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `;`, `;;`, newline.
    Seq,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `|`, `|&`.
    Pipe,
    /// `&`.
    Background,
    /// `(`.
    Open,
    /// `)`.
    Close,
}

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirKind {
    /// `>`, `>|`, `&>`, `>& file`.
    Out,
    /// `>>`, `&>>`.
    Append,
    /// `<`.
    In,
    /// `<>`.
    ReadWrite,
    /// `>&N`, `<&N`.
    Dup,
    /// `<<`, `<<-`.
    HereDoc,
    /// `<<<`.
    HereString,
}

/// One redirection with its target word (and heredoc body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redir {
    pub kind: RedirKind,
    pub target: Word,
    pub body: Option<String>,
}

/// What a substitution was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubKind {
    /// `$(…)` or backticks.
    Command,
    /// `<(…)` or `>(…)`.
    Process,
}

/// A substitution body, classified recursively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sub {
    pub kind: SubKind,
    pub body: String,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

/// A tokenized command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// For each token, the char offset just past it in the source.
    pub ends: Vec<usize>,
    pub subs: Vec<Sub>,
    /// Expansions nested deeper than [`MAX_LEX_NESTING`] were not searched for substitutions.
    pub overflow: bool,
}
