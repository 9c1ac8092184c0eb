//! Glob matching, the one implementation behind exec patterns and the rule catalog: `*` (any
//! run of characters), `?` (one character), `[…]` classes (`!`/`^` negation, `a-z` ranges; an
//! unclosed `[` is a literal), `\` escapes. Words match whole; paths match segment by segment,
//! where a `**` segment stands for any number of whole segments and `*` never crosses a `/`.
//!
//! Work is bounded: a word match is O(len(glob) · len(text)) (one backtracking point, the
//! classic greedy algorithm); a path match adds at most one level of `**` backtracking per
//! `**` segment of the glob, and the catalog's globs hold at most two.

/// Whether `glob` matches all of `text`; `fold` compares ASCII letters case-insensitively.
pub(crate) fn word_matches(glob: &str, text: &str, fold: bool) -> bool {
    let (g, t) = (glob.as_bytes(), text.as_bytes());
    let (mut gi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match g.get(gi) {
            Some(b'*') => {
                star = Some((gi, ti));
                gi += 1;
                continue;
            }
            Some(b'?') => Some((1, char_len(t, ti))),
            Some(b'[') => match class_match(g, gi, char_at(text, ti), fold) {
                Some((true, len)) => Some((len, char_len(t, ti))),
                Some((false, _)) => None,
                // No closing `]`: a literal `[`.
                None => (t.get(ti) == Some(&b'[')).then_some((1, 1)),
            },
            Some(b'\\') => match g.get(gi + 1) {
                Some(&e) => t
                    .get(ti)
                    .is_some_and(|&c| same(e, c, fold))
                    .then_some((2, 1)),
                None => (t.get(ti) == Some(&b'\\')).then_some((1, 1)),
            },
            Some(&c) => t
                .get(ti)
                .is_some_and(|&x| same(c, x, fold))
                .then_some((1, 1)),
            None => None,
        };
        match step {
            Some((glen, tlen)) => {
                gi += glen;
                ti += tlen;
            }
            None => match star {
                Some((sg, st)) => {
                    let next = st + char_len(t, st);
                    gi = sg + 1;
                    ti = next;
                    star = Some((sg, next));
                }
                None => return false,
            },
        }
    }
    g.get(gi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// The literal text a word glob's matches must start and end with (`xmrig*` → `xmrig`, ``;
/// `*.pem` → ``, `.pem`): two comparisons refuse most texts before the matcher runs. A glob
/// with an escape has none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Anchors {
    head: String,
    tail: String,
}

impl Anchors {
    fn of(glob: &str) -> Anchors {
        if glob.contains('\\') {
            return Anchors::default();
        }
        let first = glob.find(['*', '?', '[']).unwrap_or(glob.len());
        // A `]` closes a class only after a `[`; otherwise it is a literal.
        let ends: &[char] = if glob.contains('[') {
            &['*', '?', ']']
        } else {
            &['*', '?']
        };
        let last = glob.rfind(ends).map_or(glob.len(), |i| i + 1);
        Anchors {
            head: glob.get(..first).unwrap_or("").to_ascii_lowercase(),
            tail: glob
                .get(last.max(first)..)
                .unwrap_or("")
                .to_ascii_lowercase(),
        }
    }

    /// Whether `text` starts with the head and ends with the tail (ASCII case-insensitive).
    fn admit(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let (h, l) = (self.head.as_bytes(), self.tail.as_bytes());
        t.len() >= h.len() + l.len()
            && t.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h))
            && t.get(t.len() - l.len()..)
                .is_some_and(|s| s.eq_ignore_ascii_case(l))
    }
}

/// The shape of a word glob, for matching without the general matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// No wildcard: equal, ASCII case-insensitive.
    Exact,
    /// `LIT*`, `*LIT`, `LIT*LIT`: the anchors decide.
    Anchored,
    /// `*LIT*` (the literal, lower-case): contained.
    Contains(String),
    /// Anything else: the anchors, then the matcher.
    General,
}

/// A word glob of the catalog, compiled by shape: most match with a comparison or a search,
/// and the anchors refuse most texts before the general matcher runs. Matching is ASCII
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordGlob {
    text: String,
    anchors: Anchors,
    shape: Shape,
}

impl WordGlob {
    pub(crate) fn new(text: &str) -> WordGlob {
        let special = |c: char| matches!(c, '*' | '?' | '[' | '\\');
        let stars = text.matches('*').count();
        let plain = !text.contains(['?', '[', '\\']);
        let shape = if !text.contains(special) {
            Shape::Exact
        } else if plain && stars == 1 {
            Shape::Anchored
        } else if plain
            && stars == 2
            && text.len() > 2
            && text.starts_with('*')
            && text.ends_with('*')
        {
            Shape::Contains(
                text.get(1..text.len() - 1)
                    .unwrap_or("")
                    .to_ascii_lowercase(),
            )
        } else {
            Shape::General
        };
        WordGlob {
            text: text.to_owned(),
            anchors: Anchors::of(text),
            shape,
        }
    }

    /// The glob as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the glob has no wildcard (it matches one text).
    pub(crate) fn is_literal(&self) -> bool {
        self.shape == Shape::Exact
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Exact => text.eq_ignore_ascii_case(&self.text),
            Shape::Anchored => self.anchors.admit(text),
            Shape::Contains(lit) => contains_folded(text, lit),
            Shape::General => self.anchors.admit(text) && word_matches(&self.text, text, true),
        }
    }
}

/// Whether `text` contains `lower` (lower-case), ASCII case-insensitive.
fn contains_folded(text: &str, lower: &str) -> bool {
    let (t, n) = (text.as_bytes(), lower.as_bytes());
    n.is_empty() || t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// A path glob of the catalog, compiled: the anchors of its first and last segments (unless
/// they are `**`) refuse most paths before the segment matcher runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathGlob {
    text: String,
    first: Option<Anchors>,
    last: Option<Anchors>,
    /// Literal segments every matching path holds somewhere (`**/node_modules/**`).
    required: Vec<String>,
}

/// A path's first and last non-empty segments.
pub(crate) fn ends_of(path: &str) -> (&str, &str) {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let first = segs.next().unwrap_or("");
    (first, segs.next_back().unwrap_or(first))
}

/// A path split once for matching against many globs.
pub(crate) struct SplitPath<'a> {
    pub text: &'a str,
    pub segments: Vec<&'a str>,
}

impl<'a> SplitPath<'a> {
    pub(crate) fn new(text: &'a str) -> SplitPath<'a> {
        SplitPath {
            text,
            segments: text.split('/').filter(|s| !s.is_empty()).collect(),
        }
    }

    fn ends(&self) -> (&'a str, &'a str) {
        let first = self.segments.first().copied().unwrap_or("");
        (first, self.segments.last().copied().unwrap_or(first))
    }
}

impl PathGlob {
    pub(crate) fn new(text: &str) -> PathGlob {
        let (first, last) = ends_of(text);
        let anchor = |seg: &str| (seg != "**" && !seg.is_empty()).then(|| Anchors::of(seg));
        let required = text
            .split('/')
            .filter(|s| !s.is_empty() && !s.contains(['*', '?', '[', '\\']))
            .map(str::to_ascii_lowercase)
            .collect();
        PathGlob {
            text: text.to_owned(),
            first: anchor(first),
            last: anchor(last),
            required,
        }
    }

    /// The glob as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the glob matches the path.
    pub(crate) fn matches(&self, path: &SplitPath<'_>) -> bool {
        let ends = path.ends();
        self.first.as_ref().is_none_or(|a| a.admit(ends.0))
            && self.last.as_ref().is_none_or(|a| a.admit(ends.1))
            && self
                .required
                .iter()
                .all(|r| path.segments.iter().any(|seg| seg.eq_ignore_ascii_case(r)))
            && path_matches(&self.text, path.text)
    }
}

/// Whether path glob `glob` matches `path` (both `/`-separated, ASCII case-insensitive).
/// Empty segments (`//`, a leading or trailing `/`) are ignored on both sides.
pub(crate) fn path_matches(glob: &str, path: &str) -> bool {
    let mut g = glob.split('/').filter(|s| !s.is_empty());
    let mut p = path.split('/').filter(|s| !s.is_empty());
    segments_match(&mut g, &mut p, 0)
}

/// Most `**` segments a path glob may hold (bounds the backtracking).
pub(crate) const MAX_DOUBLE_STARS: usize = 2;

fn segments_match<'a, G, P>(glob: &mut G, path: &mut P, depth: usize) -> bool
where
    G: Iterator<Item = &'a str> + Clone,
    P: Iterator<Item = &'a str> + Clone,
{
    loop {
        match glob.next() {
            None => return path.next().is_none(),
            Some("**") => {
                if depth >= MAX_DOUBLE_STARS {
                    return false;
                }
                // Try every split: `**` takes zero, one, two… segments.
                loop {
                    if segments_match(&mut glob.clone(), &mut path.clone(), depth + 1) {
                        return true;
                    }
                    if path.next().is_none() {
                        return false;
                    }
                }
            }
            Some(seg) => match path.next() {
                Some(p) if word_matches(seg, p, true) => {}
                _ => return false,
            },
        }
    }
}

fn same(a: u8, b: u8, fold: bool) -> bool {
    a == b || (fold && a.eq_ignore_ascii_case(&b))
}

/// Length in bytes of the UTF-8 char starting at `t[i]` (1 for a stray continuation byte).
fn char_len(t: &[u8], i: usize) -> usize {
    match t.get(i) {
        Some(b) if *b >= 0xF0 => 4,
        Some(b) if *b >= 0xE0 => 3,
        Some(b) if *b >= 0xC0 => 2,
        _ => 1,
    }
}

fn char_at(text: &str, i: usize) -> char {
    text.get(i..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('\u{FFFD}')
}

/// Whether `c` is in the class starting at `g[open] == b'['`, and the class's length in glob
/// bytes; `None` when the class is not closed.
fn class_match(g: &[u8], open: usize, c: char, fold: bool) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negated = matches!(g.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let first = i;
    let mut found = false;
    let lower = c.to_ascii_lowercase();
    let in_range = |lo: u8, hi: u8| {
        let (lo, hi) = (char::from(lo), char::from(hi));
        (lo..=hi).contains(&c)
            || (fold && (lo.to_ascii_lowercase()..=hi.to_ascii_lowercase()).contains(&lower))
    };
    loop {
        let &x = g.get(i)?;
        if x == b']' && i > first {
            return Some((found != negated, i + 1 - open));
        }
        match (g.get(i + 1), g.get(i + 2)) {
            (Some(b'-'), Some(&y)) if y != b']' => {
                found |= in_range(x, y);
                i += 3;
            }
            _ => {
                found |= in_range(x, x);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(glob: &str, text: &str, expected: bool) {
        assert_eq!(word_matches(glob, text, false), expected, "{glob} ~ {text}");
    }

    #[test]
    fn words() {
        check("rm", "rm", true);
        check("r?", "rm", true);
        check("*", "", true);
        check("x*z", "xyyz", true);
        check("x*z", "xyy", false);
        check("[a-c]x", "bx", true);
        check("[!a-c]x", "bx", false);
        check("\\*", "*", true);
        check("\\*", "a", false);
        check("[abc", "[abc", true);
        check("?", "é", true);
        check("a*b*c", "aXbYbZc", true);
        assert!(word_matches("XMRIG*", "xmrig-6.21", true));
        assert!(!word_matches("XMRIG*", "xmrig-6.21", false));
    }

    #[test]
    fn paths() {
        for (glob, path, expected) in [
            (".ssh/id_*", ".ssh/id_rsa", true),
            (".ssh/id_*", ".ssh/keys/id_rsa", false),
            ("**/.git/hooks/*", "project/.git/hooks/pre-commit", true),
            ("**/.git/hooks/*", ".git/hooks/pre-commit", true),
            ("**/.git/hooks/**", ".git/hooks/a/b", true),
            ("**/*.pem", "a/b/c/server.PEM", true),
            ("/proc/*/environ", "/proc/1337/environ", true),
            ("/proc/*/environ", "/proc/1337/task/1/environ", false),
            (".config/systemd/**", ".config/systemd/user/x.service", true),
            (".config/systemd/**", ".config/systemd", true),
            ("**", "", true),
        ] {
            assert_eq!(path_matches(glob, path), expected, "{glob} ~ {path}");
        }
    }

    #[test]
    fn compiled_globs_agree_with_the_matcher() {
        let words = [
            "xmrig*",
            "*.pem",
            "rm",
            "a*b",
            "[ab]c",
            "\\*",
            "x?z",
            "*docker.sock*",
            "HEAD~[1-9][0-9]*",
            "*a*",
            "**",
            "*",
            "a*a",
            "*]",
            "a*]x",
        ];
        let texts = [
            "xmrig-6",
            "KEY.PEM",
            "rm",
            "RM",
            "ab",
            "axb",
            "bc",
            "*",
            "xyz",
            "/var/run/docker.sock",
            "HEAD~50",
            "HEAD~5",
            "",
            "a",
            "aba",
            "A",
        ];
        for g in words {
            for t in texts {
                assert_eq!(
                    WordGlob::new(g).matches(t),
                    word_matches(g, t, true),
                    "{g} ~ {t}"
                );
            }
        }
        let paths = [
            "**/*.pem",
            ".ssh/id_*",
            "/etc/**",
            ".config/systemd/**",
            "**/.git/hooks/*",
            "/proc/*/environ",
            "**",
        ];
        let texts = [
            "a/b/k.PEM",
            ".ssh/id_rsa",
            "/etc",
            "/etc/passwd",
            "/etcx/a",
            ".config/systemd",
            "p/.git/hooks/x",
            "/proc/1/environ",
            "",
            "/",
        ];
        for g in paths {
            for t in texts {
                let c = PathGlob::new(g);
                assert_eq!(
                    c.matches(&SplitPath::new(t)),
                    path_matches(g, t),
                    "{g} ~ {t}"
                );
            }
        }
    }

    #[test]
    fn a_long_text_matches_in_bounded_time() {
        let text = "a".repeat(100_000);
        assert!(!word_matches("*a*a*a*b", &text, false));
        let path = "a/".repeat(5_000);
        assert!(!path_matches("**/x/**", &path));
    }
}
