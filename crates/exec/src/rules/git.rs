//! The rules of `git`: `-c` values and `config` keys git runs as shell commands, aliases given
//! on the command line, and the history-rewriting and work-discarding subcommands (force
//! pushes, mirror pushes, deleting protected branches, `filter-branch`, `reflog expire`,
//! `gc --prune=now`, `reset --hard`).

use crate::classify::{Analyzer, ExecClass};
use crate::facts::{normalise, shell_quote, PROTECTED_BRANCHES};
use crate::seq::SeqState;
use crate::stage::{long_option, Stage};

/// Git global options whose value is the next word.
const GIT_GLOBALS_WITH_VALUE: &[&str] = &[
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
    "--config-env",
    "--attr-source",
];

/// Git configuration keys (lowercase) whose value git runs as a shell command.
const GIT_COMMAND_KEYS: &[&str] = &[
    "core.pager",
    "core.editor",
    "core.sshcommand",
    "core.fsmonitor",
    "core.askpass",
    "sequence.editor",
    "diff.external",
    "credential.helper",
    "gpg.program",
    "uploadpack.packobjectshook",
];

/// A git command line: its `-c` values, its subcommand, and the words after it.
struct GitLine<'s> {
    config: Vec<&'s str>,
    sub: &'s str,
    rest: Vec<&'s str>,
}

impl<'s> GitLine<'s> {
    /// Skips global options: `-C dir`, `-c k=v`, `--git-dir=…` / `--git-dir …`, `--no-pager`.
    fn parse(s: &'s Stage) -> GitLine<'s> {
        let mut words = s.texts().peekable();
        let mut sub = "";
        let mut config: Vec<&str> = Vec::new();
        while let Some(t) = words.next() {
            if t == "-c" {
                config.extend(words.next());
            } else if t == "-C" || GIT_GLOBALS_WITH_VALUE.contains(&t) {
                words.next();
            } else if !t.starts_with('-') {
                sub = t;
                break;
            }
        }
        GitLine {
            config,
            sub,
            rest: words.collect(),
        }
    }

    /// The option is given; git accepts unambiguous abbreviations of long options (`--mirr`,
    /// `--har`).
    fn has(&self, f: &str) -> bool {
        self.rest.iter().any(|t| match f.strip_prefix("--") {
            Some(name) => long_option(t, name).is_some(),
            None => *t == f,
        })
    }

    /// `--name=value` or `--name value`, the value one of `values`.
    fn long_value(&self, name: &str, values: &[&str]) -> bool {
        self.rest
            .iter()
            .enumerate()
            .any(|(i, t)| match long_option(t, name) {
                Some(Some(v)) => values.contains(&v),
                Some(None) => self.rest.get(i + 1).is_some_and(|v| values.contains(v)),
                None => false,
            })
    }

    /// The words after the subcommand that are no options.
    fn positional(&self) -> Vec<&'s str> {
        self.rest
            .iter()
            .copied()
            .filter(|t| !t.starts_with('-'))
            .collect()
    }
}

impl Analyzer<'_> {
    pub(super) fn git(&mut self, s: &Stage, depth: usize, state: &SeqState, parts: &[usize]) {
        let line = GitLine::parse(s);
        self.git_config_values(&line, depth, state);
        let class = match line.sub {
            "push" => push_class(&line),
            "config" => self.git_config(&line, depth, state),
            "filter-branch" | "filter-repo" => Some(ExecClass::DestructiveGitRewrite),
            "reflog"
                if line.rest.first() == Some(&"expire")
                    && (line.long_value("expire", &["now", "all"])
                        || line.long_value("expire-unreachable", &["now", "all"])) =>
            {
                Some(ExecClass::DestructiveGitRewrite)
            }
            "gc" if line.long_value("prune", &["now", "all"]) => Some(ExecClass::GitDiscardWork),
            "reset" if line.has("--hard") => Some(ExecClass::GitDiscardWork),
            _ => None,
        };
        if let Some(class) = class {
            self.flag(class, &s.segment, parts.to_vec());
        }
    }

    /// `-c` values git runs as shell commands, and aliases defined on the command line.
    fn git_config_values(&mut self, line: &GitLine<'_>, depth: usize, state: &SeqState) {
        let sub = line.sub;
        for kv in &line.config {
            let Some((key, value)) = kv.split_once('=') else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if GIT_COMMAND_KEYS.contains(&key.as_str()) {
                let _ = self.nested(value.trim_start_matches('!'), depth + 1, state);
            } else if key.strip_prefix("alias.") == Some(sub) && !sub.is_empty() {
                let args: Vec<String> = line.rest.iter().map(|w| shell_quote(w)).collect();
                let cmd = match value.strip_prefix('!') {
                    // `!cmd`: a shell command, given the alias's arguments.
                    Some(cmd) => format!("{cmd} {}", args.join(" ")),
                    None => format!("git {value} {}", args.join(" ")),
                };
                let _ = self.nested(&cmd, depth + 1, state);
            }
        }
    }

    /// `git config [--global] core.pager 'cmd'`: a command git runs later; hooks taken from a
    /// world-writable temporary directory run on every commit.
    fn git_config(
        &mut self,
        line: &GitLine<'_>,
        depth: usize,
        state: &SeqState,
    ) -> Option<ExecClass> {
        let positional = line.positional();
        let (key, value) = match positional.as_slice() {
            ["set", k, v, ..] | [k, v, ..] => (k.to_ascii_lowercase(), *v),
            _ => (String::new(), ""),
        };
        let runs = GIT_COMMAND_KEYS.contains(&key.as_str())
            || (key.starts_with("alias.") && value.starts_with('!'));
        if runs {
            let _ = self.nested(value.trim_start_matches('!'), depth + 1, state);
        }
        let tmp_hooks = key == "core.hookspath"
            && ["/tmp", "/var/tmp", "/dev/shm"]
                .iter()
                .any(|t| normalise(value) == *t || normalise(value).starts_with(&format!("{t}/")));
        tmp_hooks.then_some(ExecClass::CronPersistence)
    }
}

/// `git push`: a rewrite of shared history (mirror, prune, deleting or force-pushing a
/// protected or unnamed branch), a force push of a named feature branch, or nothing.
fn push_class(line: &GitLine<'_>) -> Option<ExecClass> {
    let rest = &line.rest;
    let lease = line.has("--force-with-lease");
    let force = line.has("--force")
        || rest.iter().any(|t| {
            (t.starts_with('-') && !t.starts_with("--") && t.contains('f')) || t.starts_with('+')
        });
    let positional = line.positional();
    let refspecs = positional.get(1..).unwrap_or(&[]);
    let branch = |spec: &str| {
        let spec = spec.trim_start_matches('+');
        let dst = spec.rsplit(':').next().unwrap_or(spec);
        dst.trim_start_matches("refs/heads/").to_ascii_lowercase()
    };
    let protected = refspecs.iter().any(|r| {
        let b = branch(r);
        // A glob refspec (`refs/heads/*:refs/heads/*`) names every branch.
        PROTECTED_BRANCHES.contains(&b.as_str()) || b.starts_with("release/") || b.contains('*')
    });
    // A branch known only at run time (`"$(git branch --show-current)"`, `$B`) may be the
    // protected one: it counts as no branch named.
    let unnamed = refspecs.is_empty()
        || refspecs
            .iter()
            .any(|r| branch(r).contains(['$', crate::lex::SUB_MARK]));
    let deletes =
        line.has("--delete") || line.has("-d") || refspecs.iter().any(|r| r.starts_with(':'));
    // `--prune` deletes every remote branch with no local counterpart.
    if line.has("--mirror") || line.has("--prune") || (deletes && protected) {
        Some(ExecClass::DestructiveGitRewrite)
    } else if force {
        if unnamed || protected || line.has("--all") {
            Some(ExecClass::DestructiveGitRewrite)
        } else {
            Some(ExecClass::GitForcePush)
        }
    } else if lease {
        // `--force-with-lease` refuses to overwrite work it has not seen: safe on a named
        // feature branch, still a rewrite of a protected or unknown branch.
        if protected || line.has("--all") {
            Some(ExecClass::DestructiveGitRewrite)
        } else if unnamed {
            Some(ExecClass::GitForcePush)
        } else {
            None
        }
    } else {
        None
    }
}
