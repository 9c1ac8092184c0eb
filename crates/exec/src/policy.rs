//! Exec mediation policy: a preset threshold plus allow and deny [`ExecPattern`]s, applied per
//! simple command (docs/design.md §2 step 6).
//!
//! Decision order in [`ExecMediationPolicy::mediate`]:
//! 1. preset `Disabled` → allowed (`mediation_disabled`); the analysis is still returned;
//! 2. any simple command (at any depth) matching a deny pattern → denied (`deny_pattern`);
//! 3. no finding at or above the preset threshold → allowed (`below_threshold`);
//! 4. every such finding is individually allowed → allowed (`allow_pattern`); a finding is
//!    allowed only when its tier is below Critical **and** every simple command it involves
//!    matches an allow pattern (so `curl … | sh` needs both stages allowed, and an allowed
//!    `git push -f origin main` does not carry an `rm -rf /` after `;`); findings with no simple
//!    command (`unparsed`) are never allowed by a pattern;
//! 5. otherwise denied (`exec_class_denied`), naming the strictest denied finding.

use std::fmt;

use serde::Serialize;

use super::classify::{analyze, snippet, CommandAnalysis, Detailed, Form};
use super::ExecTier;
use crate::catalog::{Catalog, RuleHit};
use crate::inspect::CommandInspection;

/// Longest pattern accepted.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// Built-in thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecMediationPreset {
    /// Denies High and Critical.
    Default,
    /// Denies Medium, High and Critical.
    Strict,
    /// Denies Critical only.
    Permissive,
    /// Never denies (the analysis is still computed and the risk model still sees the tier).
    Disabled,
}

impl ExecMediationPreset {
    /// The lowest denied tier (`None`: nothing is denied).
    pub const fn threshold(self) -> Option<ExecTier> {
        match self {
            ExecMediationPreset::Default => Some(ExecTier::High),
            ExecMediationPreset::Strict => Some(ExecTier::Medium),
            ExecMediationPreset::Permissive => Some(ExecTier::Critical),
            ExecMediationPreset::Disabled => None,
        }
    }

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExecMediationPreset::Default => "default",
            ExecMediationPreset::Strict => "strict",
            ExecMediationPreset::Permissive => "permissive",
            ExecMediationPreset::Disabled => "disabled",
        }
    }
}

/// A pattern over one simple command.
///
/// Language: the pattern is split on whitespace into word globs. A simple command matches when
/// it has exactly as many words and each word matches its glob, where `*` matches any run of
/// characters within a word (including `/`, never a word boundary), `?` one character,
/// `[abc]` / `[a-z]` / `[!a-z]` one character of a class, and `\` makes the next character
/// literal. A final `**` word matches zero or more further words
/// (`**` anywhere else is an error). The first word, when it contains no `/`, is compared with
/// the program's basename (`rm` matches `/bin/rm`).
///
/// A pattern is tried against two forms of each simple command: as written (wrappers included:
/// `sudo rm -rf build`) and from the program that finally runs (`rm -rf build`). Words are the
/// normalised words the classifier saw: quotes removed, escapes and `$IFS` resolved.
///
/// ```
/// use hostguard_exec::ExecPattern;
/// let p = ExecPattern::new("git push --force origin feature/*")?;
/// assert!(p.matches_command("git push --force origin 'feature/x'"));
/// assert!(!p.matches_command("git push --force origin main"));
/// # Ok::<(), hostguard_exec::ExecPatternError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPattern {
    source: String,
    words: Vec<String>,
    rest: bool,
}

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecPatternError {
    /// No words.
    #[error("empty exec pattern")]
    Empty,
    /// Longer than [`MAX_PATTERN_BYTES`].
    #[error("exec pattern of `{len}` bytes is longer than the allowed `{max}`")]
    TooLong {
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// `**` not as the last word.
    #[error("`**` must be the last word of exec pattern `{pattern}`")]
    MisplacedRest {
        /// The pattern.
        pattern: String,
    },
    /// A control character.
    #[error("control character in exec pattern `{pattern}`")]
    ControlCharacter {
        /// The pattern (escaped).
        pattern: String,
    },
}

impl ExecPattern {
    /// Parses a pattern (see the type docs for the language).
    pub fn new(pattern: &str) -> Result<ExecPattern, ExecPatternError> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(ExecPatternError::TooLong {
                len: pattern.len(),
                max: MAX_PATTERN_BYTES,
            });
        }
        if pattern
            .chars()
            .any(|c| c.is_control() && !c.is_whitespace())
        {
            return Err(ExecPatternError::ControlCharacter {
                pattern: pattern.escape_default().to_string(),
            });
        }
        let mut words: Vec<String> = pattern.split_whitespace().map(str::to_owned).collect();
        let rest = words.last().is_some_and(|w| w == "**");
        if rest {
            words.pop();
        }
        if words.iter().any(|w| w == "**") {
            return Err(ExecPatternError::MisplacedRest {
                pattern: pattern.to_owned(),
            });
        }
        if words.is_empty() {
            return Err(ExecPatternError::Empty);
        }
        Ok(ExecPattern {
            source: pattern.to_owned(),
            words,
            rest,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether any simple command of `command` (at any depth) matches.
    pub fn matches_command(&self, command: &str) -> bool {
        analyze(command).forms.iter().any(|f| self.matches_form(f))
    }

    pub(crate) fn matches_form(&self, form: &Form) -> bool {
        let inner = form.full.get(form.inner_start..).unwrap_or(&[]);
        let inner_rest = inner.get(1..).unwrap_or(&[]);
        self.matches_words(
            form.full.first().map(String::as_str),
            form.full.get(1..),
            true,
        ) || (!inner.is_empty() && self.matches_words(Some(&form.prog), Some(inner_rest), false))
    }

    /// Whether `first` + `rest` (a simple command's words) match.
    fn matches_words(&self, first: Option<&str>, rest: Option<&[String]>, basename: bool) -> bool {
        let (Some(first), Some(rest)) = (first, rest) else {
            return false;
        };
        let len = rest.len() + 1;
        if len < self.words.len() || (!self.rest && len != self.words.len()) {
            return false;
        }
        let mut globs = self.words.iter();
        let Some(first_glob) = globs.next() else {
            return false;
        };
        let program = if basename && !first_glob.contains('/') {
            first.rsplit('/').next().unwrap_or(first)
        } else {
            first
        };
        glob_match(first_glob, program) && globs.zip(rest).all(|(g, w)| glob_match(g, w))
    }
}

impl fmt::Display for ExecPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A preset plus patterns. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecMediationPolicy {
    preset: ExecMediationPreset,
    allow: Vec<ExecPattern>,
    deny: Vec<ExecPattern>,
}

impl Default for ExecMediationPolicy {
    fn default() -> Self {
        ExecMediationPolicy::from_preset(ExecMediationPreset::Default)
    }
}

/// A mediation verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExecDecision {
    /// The command may run.
    pub allowed: bool,
    /// The classification the verdict rests on.
    pub analysis: CommandAnalysis,
    /// `mediation_disabled`, `deny_pattern`, `below_threshold`, `allow_pattern` or
    /// `exec_class_denied`.
    pub reason_code: &'static str,
    /// One human line, lowercase, values in backticks.
    pub reason: String,
}

impl ExecMediationPolicy {
    /// A policy with no patterns.
    pub fn from_preset(preset: ExecMediationPreset) -> Self {
        ExecMediationPolicy {
            preset,
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }

    /// Adds an allow pattern (never allows a Critical finding).
    pub fn with_allow_pattern(mut self, pattern: ExecPattern) -> Self {
        self.allow.push(pattern);
        self
    }

    /// Adds a deny pattern (always wins, except under `Disabled`).
    pub fn with_deny_pattern(mut self, pattern: ExecPattern) -> Self {
        self.deny.push(pattern);
        self
    }

    /// The preset.
    pub fn preset(&self) -> ExecMediationPreset {
        self.preset
    }

    /// Classifies `command` and decides (see the module docs for the order).
    pub fn mediate(&self, command: &str) -> ExecDecision {
        let detailed = analyze(command);
        let items = detailed
            .findings
            .iter()
            .map(|f| Weighed {
                tier: f.class.tier(),
                parts: &f.parts,
                segment: &f.segment,
                label: f.class.as_str(),
            })
            .collect();
        self.decide(&detailed, detailed.analysis(), items)
    }

    /// Decides an inspected command (see [`Catalog::inspect_command`]): the same order as
    /// [`mediate`](Self::mediate), with the catalog's rule hits in place of the classifier's
    /// findings (the finding rules carry those), their severity weighed against the preset.
    pub fn mediate_inspection(
        &self,
        inspection: &CommandInspection,
        catalog: &Catalog,
    ) -> ExecDecision {
        let items = inspection
            .hits
            .iter()
            .map(|h| Weighed {
                tier: h.severity,
                parts: &h.parts,
                segment: &h.segment,
                label: catalog
                    .rules()
                    .get(h.rule)
                    .map_or("rule", |r| r.id.as_str()),
            })
            .collect();
        let mut analysis = inspection.analysis.clone();
        analysis.tier = analysis.tier.max(inspection.tier());
        self.decide(&inspection.detailed, analysis, items)
    }

    fn decide(
        &self,
        detailed: &Detailed,
        analysis: CommandAnalysis,
        items: Vec<Weighed<'_>>,
    ) -> ExecDecision {
        let Some(threshold) = self.preset.threshold() else {
            return decision(
                true,
                analysis,
                "mediation_disabled",
                "exec mediation disabled".to_owned(),
            );
        };
        for form in &detailed.forms {
            if let Some(p) = self.deny.iter().find(|p| p.matches_form(form)) {
                let reason = format!(
                    "`{}` matches deny pattern `{}`",
                    snippet(&form.full.join(" ")),
                    p.as_str()
                );
                return decision(false, analysis, "deny_pattern", reason);
            }
        }
        let denied: Vec<&Weighed<'_>> = items.iter().filter(|f| f.tier >= threshold).collect();
        if denied.is_empty() {
            let reason = format!(
                "tier `{}` below the `{}` preset threshold `{}`",
                analysis.tier,
                self.preset.as_str(),
                threshold
            );
            return decision(true, analysis, "below_threshold", reason);
        }
        let not_allowed = denied.iter().filter(|f| {
            let allowed = f.tier < ExecTier::Critical
                && !f.parts.is_empty()
                && f.parts.iter().all(|&i| {
                    detailed
                        .forms
                        .get(i)
                        .is_some_and(|form| self.allow.iter().any(|p| p.matches_form(form)))
                });
            !allowed
        });
        let strictest = not_allowed.max_by_key(|f| f.tier);
        match strictest {
            Some(f) => {
                let reason = format!(
                    "`{}` is `{}` (tier `{}`), denied by the `{}` preset",
                    f.segment,
                    f.label,
                    f.tier,
                    self.preset.as_str()
                );
                decision(false, analysis, "exec_class_denied", reason)
            }
            None => {
                let reason =
                    format!("every finding at or above `{threshold}` matches an allow pattern");
                decision(true, analysis, "allow_pattern", reason)
            }
        }
    }

    /// The strictest of `hits` this policy's preset denies (for calls of other methods, which
    /// have no patterns): `None` when every hit is below the threshold.
    pub fn denied_hit<'h>(&self, hits: &'h [RuleHit]) -> Option<&'h RuleHit> {
        let threshold = self.preset.threshold()?;
        hits.iter()
            .filter(|h| h.severity >= threshold)
            .max_by_key(|h| h.severity)
    }
}

/// One thing a decision weighs: a classifier finding or a rule hit.
struct Weighed<'a> {
    tier: ExecTier,
    parts: &'a [usize],
    segment: &'a str,
    label: &'a str,
}

fn decision(
    allowed: bool,
    analysis: CommandAnalysis,
    reason_code: &'static str,
    reason: String,
) -> ExecDecision {
    ExecDecision {
        allowed,
        analysis,
        reason_code,
        reason,
    }
}

/// `*` any run of chars, `?` one char, `[abc]` / `[a-z]` / `[!x]` one char of a class,
/// `\x` literal `x` (the shared matcher of `crate::glob`).
pub(crate) fn glob_match(glob: &str, text: &str) -> bool {
    crate::glob::word_matches(glob, text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(glob: &str, text: &str, expected: bool) {
        assert_eq!(glob_match(glob, text), expected, "{glob} ~ {text}");
    }

    #[test]
    fn globs() {
        check("*", "", true);
        check("*", "anything/at/all", true);
        check("feature/*", "feature/x", true);
        check("feature/*", "main", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("\\*", "*", true);
        check("\\*", "x", false);
        check("*.sh", "build.sh", true);
        check("*a*b*c", "xxaxxbxxc", true);
        check("*a*b*c", "xxaxxbxx", false);
        check("r[m]", "rm", true);
        check("[a-c]x", "bx", true);
        check("[!a-c]x", "bx", false);
        check("[!a-c]x", "dx", true);
        check("[x", "[x", true);
        check("a\\", "a\\", true);
    }

    #[test]
    fn pattern_errors() {
        assert_eq!(ExecPattern::new("  "), Err(ExecPatternError::Empty));
        assert!(matches!(
            ExecPattern::new("a ** b"),
            Err(ExecPatternError::MisplacedRest { .. })
        ));
        assert!(matches!(
            ExecPattern::new(&"a".repeat(MAX_PATTERN_BYTES + 1)),
            Err(ExecPatternError::TooLong { .. })
        ));
        assert!(matches!(
            ExecPattern::new("a\u{0}"),
            Err(ExecPatternError::ControlCharacter { .. })
        ));
        assert_eq!(ExecPattern::new("**"), Err(ExecPatternError::Empty));
    }
}
