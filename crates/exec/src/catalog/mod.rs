//! The rule catalog: rules as data (`rules/*.toml`, compiled in), each with an id, a title, the
//! MITRE ATT&CK techniques it covers, a severity and what it matches — effects (a verb on an
//! object of some classes), program names and argument shapes, exec classifier findings,
//! the extension's taint — plus its own examples, which run as tests. The catalog also holds
//! the class tables (paths, hosts, env names) and the program table the effects are derived
//! with, so every piece of detection knowledge has one home (docs/detection.md).
//!
//! Adding a rule is adding a `[[rule]]` entry to a file under `rules/`; adding a file is
//! dropping it there (the build lists the folder).

mod load;
mod matcher;
mod tools;

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::classes::Classes;
use crate::code_api::CodeTable;
use crate::envnames::EnvTable;
use crate::packages::PackageTable;
use crate::paths::{Context, PathTable};
use crate::programs::ProgramTable;
use crate::urls::HostTable;

pub use load::CatalogError;
pub use matcher::{Facts, Method, StageView, Taint};
use tools::ToolTable;
pub use tools::{ToolFamily, ToolKind};

/// How bad a rule's match is: the exec tier scale, `Low < Medium < High < Critical`. The
/// mediation preset's threshold applies to it for every method; High also floors the risk
/// state at Prompt.
pub type Severity = crate::ExecTier;

/// A rule's own example: a command line, or a hostcall of another method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Example {
    /// A command line (an `exec` call).
    Command(String),
    /// A hostcall: method and params.
    Call {
        /// The hostcall method (`fs`, `http`, `env`, `tool`, `exec`).
        method: String,
        /// Its params.
        params: serde_json::Value,
    },
}

impl fmt::Display for Example {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Example::Command(c) => write!(f, "exec `{c}`"),
            Example::Call { method, params } => write!(f, "{method} {params}"),
        }
    }
}

/// One rule of the catalog.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `tactic.name`, unique.
    pub id: String,
    /// One line: what it catches.
    pub title: String,
    /// Why it matters and what it does not catch (one or two sentences).
    pub why: String,
    /// MITRE ATT&CK technique ids (`T1552.005`).
    pub attack: Vec<String>,
    /// How bad a match is.
    pub severity: Severity,
    /// The file under `rules/` that holds it.
    pub file: String,
    /// Examples that must fire it.
    pub fire: Vec<Example>,
    /// Examples that must not.
    pub pass: Vec<Example>,
    when: Vec<matcher::Condition>,
}

impl Rule {
    /// What the extension must have done before for some condition of the rule to hold (the
    /// history its examples are judged with).
    pub fn taint(&self) -> Taint {
        self.when.iter().fold(Taint::NONE, |t, c| t.with(c.taint))
    }

    /// The rule's conditions as the catalog wrote them (for `hostguard rules explain`).
    pub fn conditions(&self) -> Vec<String> {
        self.when.iter().map(ToString::to_string).collect()
    }
}

/// A rule that fired, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    /// The rule's index in [`Catalog::rules`].
    pub rule: usize,
    /// Its severity (copied: the hot path need not look it up).
    pub severity: Severity,
    /// The part of the call it fired on (a simple command's text, or the method).
    pub segment: String,
    /// The simple commands involved (indices into the command's forms; empty off exec).
    pub parts: Vec<usize>,
}

/// The catalog: rules, class tables and the program table.
#[derive(Debug, Clone)]
pub struct Catalog {
    rules: Vec<Rule>,
    pub(crate) paths: PathTable,
    pub(crate) hosts: HostTable,
    pub(crate) env: EnvTable,
    pub(crate) programs: ProgramTable,
    pub(crate) code: CodeTable,
    pub(crate) packages: PackageTable,
    pub(crate) conditions: ConditionIndex,
    pub(crate) tools: ToolTable,
}

/// The rule files compiled in: (file name, text), from `rules/*.toml` (build.rs lists them).
const BUILTIN_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

impl Catalog {
    /// The built-in catalog (parsed once per process).
    ///
    /// Errors: a [`CatalogError`] naming the file, the rule and the field when the compiled-in
    /// files do not load (the test suite loads them, so a release cannot ship one that fails).
    pub fn builtin() -> Result<&'static Catalog, CatalogError> {
        static BUILTIN: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalog::from_files(BUILTIN_FILES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A catalog from `(file name, TOML text)` pairs: the built-in files' format.
    ///
    /// Errors: the first problem found, naming file, rule and field.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        load::load(files)
    }

    /// Every rule, in file then declaration order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with id `id`.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The classes of a path, where the host runs in `ctx`.
    pub fn classify_path(&self, path: &str, ctx: &Context) -> Classes {
        self.paths.classify(path, ctx)
    }

    /// The classes of a URL; `None` when it names no network resource (`file:`).
    pub fn classify_url(&self, url: &str) -> Option<Classes> {
        self.hosts
            .classify_url_in(url, &|path| self.paths.file_kind(path))
    }

    /// The classes of a bare host name or address.
    pub fn classify_host(&self, host: &str) -> Classes {
        self.hosts.classify_host(host)
    }

    /// The classes of an env-var name.
    pub fn classify_env(&self, name: &str) -> Classes {
        self.env.classify(name)
    }

    /// Every rule `facts` fire, appended to `hits` (a rule already in `hits` is not added
    /// again).
    pub fn judge(&self, facts: &Facts<'_>, hits: &mut Vec<RuleHit>) {
        let signature = matcher::signature(facts.effects);
        let program = facts.stage.map(|s| s.program.to_ascii_lowercase());
        let named = program
            .as_deref()
            .and_then(|p| self.conditions.by_program.get(p))
            .map_or(&[][..], Vec::as_slice);
        let mut fired: Option<usize> = None;
        for &(r, c) in merged(&self.conditions.other, named) {
            if fired == Some(r) || hits.iter().any(|h| h.rule == r && h.parts == facts.parts) {
                continue;
            }
            let Some(rule) = self.rules.get(r) else {
                continue;
            };
            if rule
                .when
                .get(c)
                .is_some_and(|c| c.matches(facts, signature))
            {
                fired = Some(r);
                hits.push(RuleHit {
                    rule: r,
                    severity: rule.severity,
                    segment: facts.segment.to_owned(),
                    parts: facts.parts.to_vec(),
                });
            }
        }
    }
}

impl Catalog {
    /// What tool `name` does, when the tool table knows it (an MCP tool's name may carry a
    /// server prefix: `fs__read_file`, `filesystem.read_file` are looked up by their last part
    /// too).
    pub fn tool_kind(&self, name: &str) -> Option<ToolKind> {
        self.tools.kind(name)
    }

    /// The dangerous family tool `name` claims: a listed name, or one containing or starting
    /// with a listed part (`run_in_terminal` is a shell), tested shell first; a `fetch` tool is
    /// [`ToolFamily::Http`].
    pub fn tool_family(&self, name: &str) -> Option<ToolFamily> {
        self.tools.family(name)
    }
}

/// [`Catalog::tool_family`] of the built-in catalog. Should the built-in catalog not load
/// (the test suite loads it, so a release cannot ship one that fails), every name is
/// [`ToolFamily::Shell`]: fail closed, a shell is mediated and policy-gated.
pub fn tool_family(name: &str) -> Option<ToolFamily> {
    match Catalog::builtin() {
        Ok(catalog) => catalog.tool_family(name),
        Err(_) => Some(ToolFamily::Shell),
    }
}

/// The rules' conditions by the program they need: a condition that names only literal
/// programs is tried only on a simple command running one of them; every other condition on
/// every part. Both lists are in (rule, condition) order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConditionIndex {
    by_program: HashMap<String, Vec<(usize, usize)>>,
    other: Vec<(usize, usize)>,
}

impl ConditionIndex {
    pub(crate) fn build(rules: &[Rule]) -> ConditionIndex {
        let mut index = ConditionIndex::default();
        for (r, rule) in rules.iter().enumerate() {
            for (c, cond) in rule.when.iter().enumerate() {
                let literal =
                    !cond.program.is_empty() && cond.program.iter().all(|g| g.is_literal());
                if literal {
                    for g in &cond.program {
                        let list = index
                            .by_program
                            .entry(g.as_str().to_ascii_lowercase())
                            .or_default();
                        if !list.contains(&(r, c)) {
                            list.push((r, c));
                        }
                    }
                } else {
                    index.other.push((r, c));
                }
            }
        }
        index
    }
}

/// Two (rule, condition)-ordered lists as one, in order.
fn merged<'a>(
    a: &'a [(usize, usize)],
    b: &'a [(usize, usize)],
) -> impl Iterator<Item = &'a (usize, usize)> {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x <= y => {
                i += 1;
                x
            }
            (_, Some(y)) => {
                j += 1;
                y
            }
            (Some(x), None) => {
                i += 1;
                x
            }
            (None, None) => return None,
        };
        Some(next)
    })
}
