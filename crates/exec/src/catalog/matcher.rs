//! Rule conditions and how they match the facts of a call.
//!
//! A rule fires when any of its `when` conditions holds; a condition holds when every key it
//! sets holds. Effect patterns are `verb:class+class!class` (the verb may be `*`; `+` joins
//! classes that must all be present, `!` prefixes a class that must be absent).

use std::fmt;

use crate::classes::{Class, Classes, Effect, Verb};
use crate::glob::WordGlob;

/// The hostcall method a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `exec`, or a shell tool.
    Exec,
    /// `fs`, or a file tool.
    Fs,
    /// `http`, or a fetch tool.
    Http,
    /// `env`.
    Env,
    /// Another `tool`.
    Tool,
    /// `session`, `ui`, `events`, `log`.
    Other,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 6] = [
        Method::Exec,
        Method::Fs,
        Method::Http,
        Method::Env,
        Method::Tool,
        Method::Other,
    ];

    /// The catalog name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Exec => "exec",
            Method::Fs => "fs",
            Method::Http => "http",
            Method::Env => "env",
            Method::Tool => "tool",
            Method::Other => "other",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// What the extension did earlier (within the risk window), as rule conditions see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Taint(u8);

impl Taint {
    /// Nothing noteworthy earlier.
    pub const NONE: Taint = Taint(0);
    /// A secret was read (a secret file, a credential store, a secret env var, cloud
    /// instance metadata): data leaving afterwards is the exfiltration shape.
    pub const SECRET: Taint = Taint(1);
    /// Something was downloaded to a file: running it afterwards is ingress of a tool.
    pub const DOWNLOAD: Taint = Taint(2);

    /// Every flag with its catalog name.
    pub const NAMED: [(Taint, &'static str); 2] =
        [(Taint::SECRET, "secret"), (Taint::DOWNLOAD, "download")];

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Taint) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union.
    #[must_use]
    pub const fn with(self, other: Taint) -> Taint {
        Taint(self.0 | other.0)
    }

    pub(crate) fn from_name(name: &str) -> Option<Taint> {
        Taint::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(t, _)| *t)
    }

    fn names(self) -> Vec<&'static str> {
        Taint::NAMED
            .iter()
            .filter(|(t, _)| self.contains(*t))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// One simple command, as program and argument conditions see it.
#[derive(Debug, Clone, Copy)]
pub struct StageView<'a> {
    /// The program that runs (basename, lower-case, wrappers peeled).
    pub program: &'a str,
    /// Its arguments after expansion.
    pub args: &'a [String],
    /// Its first operand (options and their values skipped: `git -C /repo reset` → `reset`).
    pub subcommand: Option<&'a str>,
    /// The program families it belongs to (bits of the program table's families).
    pub families: u64,
    /// The wrapper programs peeled off before it (`sudo`, `nohup`, `nsenter`…).
    pub wrappers: &'a [String],
    /// Every word of those wrappers, options included (`-S`, `-n`, `--target=1`).
    pub wrapper_args: &'a [String],
}

/// Everything a rule can look at for one part of a call.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The method the call came through.
    pub method: Method,
    /// What it does.
    pub effects: &'a [Effect],
    /// The simple command, for exec parts.
    pub stage: Option<StageView<'a>>,
    /// The exec classifier's findings (class names) on this part.
    pub findings: &'a [&'static str],
    /// What the extension did earlier.
    pub taint: Taint,
    /// How a hit names the part (a command's text, or the method).
    pub segment: &'a str,
    /// The simple commands involved.
    pub parts: &'a [usize],
}

/// `verb:classes!classes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EffectPattern {
    pub verb: Option<Verb>,
    pub all: Classes,
    pub none: Classes,
}

impl EffectPattern {
    /// The signature bits an effect matching this pattern sets.
    fn needs(&self) -> u128 {
        self.verb.map_or(0, |v| 1u128 << (v as u8)) | (u128::from(self.all.bits()) << VERB_BITS)
    }

    pub(crate) fn parse(text: &str) -> Result<EffectPattern, String> {
        let (verb, classes) = text
            .split_once(':')
            .ok_or_else(|| format!("effect `{text}` is not `verb:classes`"))?;
        let verb = match verb {
            "*" => None,
            v => Some(Verb::from_name(v).ok_or_else(|| {
                let names: Vec<&str> = Verb::ALL.iter().map(|v| v.as_str()).collect();
                format!(
                    "unknown verb `{v}` (expected `*` or one of {})",
                    names.join(", ")
                )
            })?),
        };
        let mut all = Classes::EMPTY;
        let mut none = Classes::EMPTY;
        for (i, part) in split_classes(classes).into_iter().enumerate() {
            let (negated, name) = match part.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, part),
            };
            if name.is_empty() && i == 0 && !negated {
                continue;
            }
            let class = Class::from_name(name).ok_or_else(|| {
                format!(
                    "unknown class `{name}` in effect `{text}` (see docs/detection.md \"Classes\")"
                )
            })?;
            if negated {
                none = none.plus(class);
            } else {
                all = all.plus(class);
            }
        }
        Ok(EffectPattern { verb, all, none })
    }

    fn matches(&self, e: &Effect) -> bool {
        self.verb.is_none_or(|v| v == e.verb)
            && e.classes.contains(self.all)
            && !e.classes.intersects(self.none)
    }
}

/// `a+b!c` → `["a", "b", "!c"]`.
fn split_classes(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if (c == '+' || c == '!') && i > start {
            out.push(text.get(start..i).unwrap_or(""));
            start = if c == '+' { i + 1 } else { i };
        } else if c == '+' {
            start = i + 1;
        }
    }
    out.push(text.get(start..).unwrap_or(""));
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

impl fmt::Display for EffectPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb.map_or("*", Verb::as_str))?;
        f.write_str(":")?;
        write!(f, "{}", self.all)?;
        for c in self.none.iter() {
            write!(f, "!{c}")?;
        }
        Ok(())
    }
}

/// One `when` table of a rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    pub effects: Vec<EffectPattern>,
    pub any_effect: Vec<EffectPattern>,
    pub no_effect: Vec<EffectPattern>,
    pub program: Vec<WordGlob>,
    pub family: u64,
    pub family_names: Vec<String>,
    pub args: Vec<WordGlob>,
    pub all_args: Vec<WordGlob>,
    pub no_args: Vec<WordGlob>,
    pub subcommand: Vec<WordGlob>,
    pub wrapper: Vec<WordGlob>,
    pub wrapper_args: Vec<WordGlob>,
    pub methods: Vec<Method>,
    pub taint: Taint,
    pub finding: Vec<String>,
    /// Bits every matching call's effect signature must have (from `effects`): a quick
    /// reject before the per-effect scan.
    pub needs: u128,
    /// The signature bits of each `any_effect` pattern: a call whose signature holds none of
    /// them cannot match (filled by [`Condition::seal`]).
    pub any_needs: Vec<u128>,
}

/// A quick summary of a call's effects: one bit per verb (the low ones), one per class above.
pub(crate) fn signature(effects: &[Effect]) -> u128 {
    let mut sig = 0u128;
    for e in effects {
        sig |= (1u128 << (e.verb as u8)) | (u128::from(e.classes.bits()) << VERB_BITS);
    }
    sig
}

/// Bits of a signature taken by verbs.
const VERB_BITS: usize = Verb::ALL.len();
const _: () = assert!(
    VERB_BITS + Class::ALL.len() <= 128,
    "a signature is one u128"
);

impl Condition {
    /// Fills [`Condition::needs`] from the effect patterns.
    pub(crate) fn seal(&mut self) {
        self.needs = self.effects.iter().fold(0, |n, p| n | p.needs());
        self.any_needs = self.any_effect.iter().map(EffectPattern::needs).collect();
    }

    pub(crate) fn matches(&self, facts: &Facts<'_>, signature: u128) -> bool {
        if signature & self.needs != self.needs {
            return false;
        }
        if !self.any_needs.is_empty() && !self.any_needs.iter().any(|n| signature & n == *n) {
            return false;
        }
        if !self.methods.is_empty() && !self.methods.contains(&facts.method) {
            return false;
        }
        if !facts.taint.contains(self.taint) {
            return false;
        }
        let any = |p: &EffectPattern| facts.effects.iter().any(|e| p.matches(e));
        if !self.effects.iter().all(any) {
            return false;
        }
        if !self.any_effect.is_empty() && !self.any_effect.iter().any(any) {
            return false;
        }
        if self.no_effect.iter().any(any) {
            return false;
        }
        if !self.finding.is_empty()
            && !facts
                .findings
                .iter()
                .any(|f| self.finding.iter().any(|x| x == f))
        {
            return false;
        }
        self.stage_matches(facts.stage)
    }

    fn needs_stage(&self) -> bool {
        !self.program.is_empty()
            || self.family != 0
            || !self.args.is_empty()
            || !self.all_args.is_empty()
            || !self.subcommand.is_empty()
            || !self.wrapper.is_empty()
            || !self.wrapper_args.is_empty()
    }

    fn stage_matches(&self, stage: Option<StageView<'_>>) -> bool {
        if !self.needs_stage() {
            return self.no_args.is_empty()
                || stage.is_none_or(|s| !any_arg(s.args, &self.no_args));
        }
        let Some(s) = stage else {
            return false;
        };
        if !self.program.is_empty() && !self.program.iter().any(|g| g.matches(s.program)) {
            return false;
        }
        if self.family != 0 && s.families & self.family == 0 {
            return false;
        }
        if !self.subcommand.is_empty()
            && !s
                .subcommand
                .is_some_and(|a| self.subcommand.iter().any(|g| g.matches(a)))
        {
            return false;
        }
        if !self.args.is_empty() && !any_arg(s.args, &self.args) {
            return false;
        }
        if !self
            .all_args
            .iter()
            .all(|g| s.args.iter().any(|a| g.matches(a)))
        {
            return false;
        }
        if any_arg(s.args, &self.no_args) {
            return false;
        }
        if !self.wrapper.is_empty() && !any_arg(s.wrappers, &self.wrapper) {
            return false;
        }
        if !self.wrapper_args.is_empty() && !any_arg(s.wrapper_args, &self.wrapper_args) {
            return false;
        }
        true
    }
}

fn any_arg(args: &[String], globs: &[WordGlob]) -> bool {
    args.iter().any(|a| globs.iter().any(|g| g.matches(a)))
}

/// The globs as written.
fn texts(globs: &[WordGlob]) -> Vec<String> {
    globs.iter().map(|g| g.as_str().to_owned()).collect()
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let list = |name: &str, items: Vec<String>| -> Option<String> {
            (!items.is_empty()).then(|| format!("{name} = [{}]", items.join(", ")))
        };
        let show = |ps: &[EffectPattern]| ps.iter().map(ToString::to_string).collect();
        parts.extend(list(
            "methods",
            self.methods.iter().map(|m| m.as_str().to_owned()).collect(),
        ));
        parts.extend(list("effects", show(&self.effects)));
        parts.extend(list("any_effect", show(&self.any_effect)));
        parts.extend(list("no_effect", show(&self.no_effect)));
        parts.extend(list("program", texts(&self.program)));
        parts.extend(list("family", self.family_names.clone()));
        parts.extend(list("subcommand", texts(&self.subcommand)));
        parts.extend(list("wrapper", texts(&self.wrapper)));
        parts.extend(list("wrapper_args", texts(&self.wrapper_args)));
        parts.extend(list("args", texts(&self.args)));
        parts.extend(list("all_args", texts(&self.all_args)));
        parts.extend(list("no_args", texts(&self.no_args)));
        parts.extend(list("finding", self.finding.clone()));
        parts.extend(list(
            "taint",
            self.taint.names().into_iter().map(str::to_owned).collect(),
        ));
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effect_patterns_parse_and_match() {
        let p = EffectPattern::parse("read:secret!workspace").unwrap_or(EffectPattern {
            verb: None,
            all: Classes::EMPTY,
            none: Classes::EMPTY,
        });
        assert_eq!(p.verb, Some(Verb::Read));
        assert!(p.all.has(Class::Secret) && p.none.has(Class::Workspace));
        let e = Effect::new(Verb::Read, Classes::of(&[Class::Secret, Class::Home]));
        assert!(p.matches(&e));
        let w = Effect::new(Verb::Read, Classes::of(&[Class::Secret, Class::Workspace]));
        assert!(!p.matches(&w));
        assert_eq!(p.to_string(), "read:secret!workspace");
        assert!(EffectPattern::parse("send:egress+data").is_ok());
        assert!(EffectPattern::parse("*:metadata").is_ok());
        assert!(EffectPattern::parse("teleport:secret").is_err());
        assert!(EffectPattern::parse("read:secrets").is_err());
        assert!(EffectPattern::parse("read").is_err());
    }
}
