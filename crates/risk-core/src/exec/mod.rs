//! Exec-command mediation (DESIGN §2 step 6): commands are parsed as shell and classified, never
//! matched as substrings.
//!
//! - [`classify_command`] tokenizes the command line like a shell (quotes, escapes, `$'…'`,
//!   `$IFS`, empty-quote tricks, brace expansion, heredocs, redirections), splits it into the
//!   simple commands of every compound (`;` `&&` `||` `|` `&`, newlines, `( … )`, `{ …; }`,
//!   `if`/`while` bodies, functions), peels wrappers (`sudo`, `doas`, `env`, `nohup`,
//!   `timeout`, `xargs`, `command`, `exec`, `nice`, `stdbuf`, `time`, `setsid`, `busybox`…) and
//!   leading `VAR=value` assignments, follows `$(…)`, backticks, `<(…)`, `bash -c`/`sh -c`/
//!   `zsh -c`/`dash -c`, `su -c`, `eval`, `env -S`, `ssh host cmd`, `find -exec` and heredocs
//!   fed to a shell recursively, and applies the rules of each [`ExecClass`]. The strictest
//!   finding wins; each class has one fixed [`ExecTier`].
//! - [`ExecMediationPolicy`] turns the analysis into an [`ExecDecision`]: a preset threshold
//!   ([`ExecMediationPreset`]) and allow / deny [`ExecPattern`]s applied per simple command.
//!   Deny patterns always win; an allow pattern never allows a Critical finding, and a finding
//!   spanning several simple commands (a pipe to a shell, a download then its execution) is
//!   allowed only if every one of them is allowed — so an allow pattern can never allow a
//!   compound whose other parts are dangerous.
//!
//! Static knowledge the classifier uses: literal assignments earlier in the same command line
//! (`a=rm; $a -rf /`), a statically known working directory (`cd / && rm -rf *`), literal
//! substitutions (`$(echo rm)`, `$(echo cm0= | base64 -d)`, `| rev`), `${PATH:0:1}` as `/`.
//!
//! # Pattern language
//!
//! See [`ExecPattern`]: whitespace-separated word globs (`*` within a word, `?`, `\` escape, a
//! final `**` for "any further words"), matched against each simple command as written and
//! with its wrappers peeled; the first word matches the program's basename.
//!
//! # Bounded work
//!
//! Input over [`MAX_COMMAND_BYTES`] is not parsed; nesting deeper than [`MAX_DEPTH`] or more
//! than [`WORK_BUDGET_BYTES`] of parsing in total stops the analysis. Either yields the
//! [`ExecClass::Unparsed`] finding (High): denied by the Default and Strict presets.
//!
//! # Known bypasses and limits
//!
//! The classifier judges text, not a running shell. It does not close:
//! - values it cannot know: variables from the environment or set by another command
//!   (`read x`, `x=$(cat f)`), files' contents (`bash ./script.sh`, `cat f | sh` is Low),
//!   command output other than literal `echo`/`printf`/`base64 -d`/`rev`, aliases and
//!   functions defined elsewhere, `PATH` manipulation (`PATH=. ls` running a planted `ls`);
//! - code inside interpreters beyond a few markers: `python -c "import os;
//!   os.system('rm -rf /')"` is Low, socket one-liners and `fork while fork` are caught;
//! - programs it does not model as wrappers (`docker run … sh -c`, `kubectl exec`, `flock`,
//!   `parallel`, `make` recipes) and destructive programs it has no rule for;
//! - `rm -rf "$DIR"` with `DIR` unknown is Low; only literal `/`, `~`, `$HOME`, homes and system
//!   directories (also after a literal `cd`) are recognised;
//! - shell dialect corners: `case` patterns, extglob, arithmetic side effects, `${x//a/b}`
//!   substitutions (read as `$x`), nested brace groups (only the first `{a,b}` group expands).
//!
//! The risk model (DESIGN §3) still sees every exec call; mediation is one layer of several.

mod classify;
mod lex;
mod parse;
mod policy;
mod rules;
mod wrappers;

use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) use classify::Arg;
pub use classify::{
    classify_command, CommandAnalysis, ExecClass, ExecFinding, MAX_COMMAND_BYTES, MAX_DEPTH,
    MAX_FINDINGS, WORK_BUDGET_BYTES,
};
pub use policy::{
    ExecDecision, ExecMediationPolicy, ExecMediationPreset, ExecPattern, ExecPatternError,
    MAX_PATTERN_BYTES,
};

/// How dangerous a command is, `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecTier {
    /// Ordinary developer commands.
    Low,
    /// Worth a look, not harmful by itself.
    Medium,
    /// Harmful in most contexts.
    High,
    /// Destroys the machine, hands it to someone else or persists an attacker.
    Critical,
}

impl ExecTier {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExecTier::Low => "low",
            ExecTier::Medium => "medium",
            ExecTier::High => "high",
            ExecTier::Critical => "critical",
        }
    }
}

impl fmt::Display for ExecTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
