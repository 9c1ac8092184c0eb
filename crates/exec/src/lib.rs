//! hostguard exec: the shell parser, the exec classifier and the mediation policy — what a
//! command line does, judged from its parse, never matched as substrings (docs/design.md §2 step 6).
//!
//! The lowest layer of hostguard: pure, no I/O, no clock, no randomness, never panics on input.
//! risk-core consumes its verdicts.
//!
//! - [`classify_command`] tokenizes the command line like a shell (quotes, escapes, `$'…'`,
//!   `$IFS`, empty-quote tricks, brace expansion, heredocs — with the substitutions of an
//!   unquoted-delimiter body —, redirections), splits it into the simple commands of every
//!   compound (`;` `&&` `||` `|` `&`, newlines, `( … )`, `{ …; }`, `time { …; }`,
//!   `if`/`while`/`for`/`select` bodies, functions), peels wrappers (`sudo`, `doas`, `pkexec`,
//!   `env`, `nohup`, `timeout`, `xargs`, `command`, `exec`, `nice`, `stdbuf`, `time`,
//!   `setsid`, `chrt`, `taskset`, `unshare`, `nsenter`, `numactl`, `strace`, `gosu`,
//!   `fakeroot`, `flock`, `parallel`, `busybox`, `toybox`…, with their options, `--` and
//!   long-option abbreviations, `env`'s and `sudo`'s `VAR=value` words) and leading
//!   `VAR=value` assignments, follows `$(…)`, backticks, `<(…)`,
//!   `bash -c`/`sh -c`/`zsh -c`/`dash -c`, `su -c`, `sg`, `script -c`, `eval`, `env -S`,
//!   `ssh host cmd`, `find -exec` (every `-exec`, `{}` read as a starting point), aliases and
//!   function calls (body run with the call's arguments), shell commands given as option
//!   values or scripts (`tar --to-command`, `rsync -e`, `ssh -o ProxyCommand`, `vim -c '!…'`,
//!   `sed 'e cmd'`, `git -c core.pager`, `git config`, npm scripts, `GIT_SSH_COMMAND=`,
//!   `PAGER=`, `EDITOR=`, `LESSOPEN=`…, and the substitutions of `BASH_ENV`/`ENV`/`PS4`, which
//!   a shell expands), heredocs fed to a shell (the last redirection of stdin wins) and `at`
//!   jobs
//!   recursively, and applies the rules of each [`ExecClass`]. A wrapper with no command left
//!   that starts a shell (`sudo -s`, `su`) reads stdin like one. The strictest finding wins;
//!   each class has one fixed [`ExecTier`].
//! - [`ExecMediationPolicy`] turns the analysis into an [`ExecDecision`]: a preset threshold
//!   ([`ExecMediationPreset`]) and allow / deny [`ExecPattern`]s applied per simple command.
//!   Deny patterns always win; an allow pattern never allows a Critical finding, and a finding
//!   spanning several simple commands (a pipe to a shell, a download then its execution) is
//!   allowed only if every one of them is allowed — so an allow pattern can never allow a
//!   compound whose other parts are dangerous.
//!
//! Static knowledge the classifier uses: literal assignments earlier in the same command line
//! (`a=rm; $a -rf /`, `export x=/`, `a+=m`, `set -- …` positional parameters, `read x <<< /`,
//! `printf -v x /`, `for d in / ~` loop values, `${x:-/}` defaults of unknown variables), a
//! statically known working directory (`cd / && rm -rf *`, `cd -`, `$PWD`, `$(pwd)`,
//! `env -C /`, `sudo -D /`),
//! inherited by nested scripts and substitutions, which start from the state where they run,
//! and used to resolve written paths (`cd /etc && echo … >> sudoers`); literal substitutions
//! and pipelines (`$(echo rm)`, `printf` formats, `echo cm0= | base64 -d`, `| rev`,
//! `echo -e '\x72m'`, `cat <<EOF | sh`, an empty `$()`, `$(cd /; pwd)`), empty positional
//! parameters at top level (the line runs with no arguments), `${PATH:0:1}` as `/`, brace expansion
//! (`{rm,-rf,/}`), globbed program paths (`/bin/r? -rf /`), `sh -c '$0 $1' rm /` positional
//! parameters, words piped or redirected into `xargs` (and `find ROOT`'s output as paths under
//! ROOT), a pipe into `sh -c` whose script runs a stdin shell, `$FUNCNAME`, and the strings
//! interpreter code hands to `system()`, `exec "…"`, `qx{…}`, `subprocess.run([…])`,
//! `execSync`, `spawnSync(prog, [args])`, awk `"cmd" | getline` or backticks — inline (`-c`,
//! `-e`) or fed on stdin (`python3 <<'EOF'`, `echo … | node`, `python3 <(echo …)`).
//!
//! Each class has one fixed tier (see [`ExecClass`]); two choices worth stating:
//! - **git**: a force push to `main`/`master`/`trunk`/`prod*`/`release*`/`stable`, a force push
//!   with no branch named (it may be the current protected branch), `push --mirror`, deleting a
//!   protected branch, `filter-branch`/`filter-repo` and `reflog expire --expire=now` are
//!   [`ExecClass::DestructiveGitRewrite`] (High: denied by default, they rewrite shared history
//!   beyond recovery). A plain force push of a named feature branch is
//!   [`ExecClass::GitForcePush`] (Medium), `--force-with-lease` of a named feature branch is Low
//!   (it refuses to overwrite unseen work), `reset --hard` and `gc --prune=now` are
//!   [`ExecClass::GitDiscardWork`] (Medium: local, recoverable only from the reflog);
//! - **startup files** (`~/.bashrc`, `~/.profile`, `~/.zshrc`…, git hooks) are written all the
//!   time by installers; a write is [`ExecClass::CronPersistence`] (High) only when the
//!   content is downloaded, is Medium or worse when classified itself, or runs something from
//!   `/tmp`, `/var/tmp` or `/dev/shm`; content the classifier cannot see (`cp x ~/.bashrc`) is
//!   [`ExecClass::StartupFileModification`] (Medium). Writes to system cron, systemd, init,
//!   rc and launchd locations are always High;
//! - **loader and start-up injection** ([`ExecClass::LoaderInjection`], High), set as a
//!   leading assignment, through `env`/`sudo` (`sudo -E` keeps it) or by `export`: a preload
//!   (`LD_PRELOAD`, `LD_AUDIT`, `DYLD_INSERT_LIBRARIES`, `GCONV_PATH`) of anything but a
//!   system library directory (`/usr/lib…`, `/lib…`, `/usr/local/lib…`) or a bare `ld.so`
//!   name — `LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2` stays Low, a library from
//!   `/tmp`, a home, the project or `$X` is a finding; a search path (`LD_LIBRARY_PATH`,
//!   `PYTHONPATH`, `PERL5LIB`, `NODE_PATH`…) only when it points into a temporary location
//!   (`/tmp`, `/var/tmp`, `/dev/shm`, `/proc`, `/dev/fd`…), so `LD_LIBRARY_PATH=./target/debug`
//!   and `PYTHONPATH=.` stay Low; a start-up file (`BASH_ENV`, `ENV`, `PYTHONSTARTUP`) or a
//!   module loaded by `NODE_OPTIONS`/`RUBYOPT`/`JAVA_TOOL_OPTIONS` when temporary or
//!   unresolvable (a bare package such as `--require ts-node/register` is a dependency), and
//!   `PERL5OPT=-M` that is not a module name (`-M'strict;system …'`). Relative entries are
//!   resolved against a known working directory (`cd /tmp && LD_LIBRARY_PATH=. ls`).
//!
//! # Pattern language
//!
//! See [`ExecPattern`]: whitespace-separated word globs (`*` and `?` within a word, `[a-z]`
//! classes, `\` escape, a final `**` for "any further words"), matched against each simple
//! command as written and with its wrappers peeled; the first word matches the program's
//! basename. `git push -f origin feature/*`, `npm run **`, `rm -rf ./build*` (which does not
//! match `rm -rf ./build /`: a glob never crosses a word boundary).
//!
//! # Bounded work
//!
//! Input over [`MAX_COMMAND_BYTES`] is not parsed; nesting deeper than [`MAX_DEPTH`] or more
//! than [`WORK_BUDGET_BYTES`] of parsing in total stops the analysis. Either yields the
//! [`ExecClass::Unparsed`] finding (High): denied by the Default and Strict presets. Variable
//! values over 4 KiB are forgotten, expansions stop at the input cap, at most
//! [`MAX_FINDINGS`] findings are kept (the strictest win a full table).
//!
//! # Known bypasses and limits
//!
//! The classifier judges the text, not a running shell; the host must run exactly the string
//! that was classified. It does not close:
//! - values it cannot know: the environment (`rm -rf "$DIR"`, `rm -rf /$x` with `x` unset
//!   and so empty, `rm -rf ~/$x`), `read x` from a file or a command, `x=$(cat f)`, the
//!   output of other commands (`rm -rf $(dirname /etc)`, `ls -A / | xargs rm -rf`), `${x//a/b}` / `${x#p}` rewrites and `${x@P}` (read as `$x`), `IFS` reassignment
//!   (`IFS=,; c=rm,-rf,/; $c`), arrays (`a=(rm -rf /); "${a[@]}"`), aliases and functions
//!   defined outside the command line, `PATH` manipulation (`PATH=.:$PATH ls` running a
//!   planted `ls`), relative `cd` from an unknown directory; loader variables already in the
//!   environment or naming an unknown variable as a search path (`LD_LIBRARY_PATH=$D`, read
//!   as the project's own), a preloaded or search-path library the project itself planted
//!   (`LD_LIBRARY_PATH=./lib` after writing `./lib/libc.so.6`), `PERL5DB` and other
//!   interpreter hooks not in the list;
//! - file contents: `bash ./script.sh`, `source f`, `cat f | sh`, `sh -c "$(cat f)"`,
//!   `xargs rm -rf < list` are Low; so are `make`, `npm run` and other runners of files;
//! - interpreter code beyond the markers: commands built at run time
//!   (`os.system("r" + "m -rf /")`), `exec(base64.b64decode(…))`, `exec(sys.stdin.read())`
//!   fed by a pipe, file or socket APIs used directly (`shutil.rmtree("/")`,
//!   `open("/etc/passwd", "w")`);
//! - programs not modelled as runners (`docker run … sh -c`, `kubectl exec`, `npx`,
//!   `systemd-run`, `firejail`) and destructive programs without a rule (`iptables -F`,
//!   `userdel`, `terraform destroy`, `lvremove`, `zfs destroy`, database and cloud CLIs,
//!   `truncate` of ordinary files, `rm -rf` of system subdirectories not in the list such as
//!   `/usr/lib/x86_64-linux-gnu` or `/etc/nginx`);
//! - targets it cannot resolve: relative paths from an unknown directory (except four or
//!   more bare `..`), `~+`, `~-`;
//! - shell dialect corners: `case` patterns, extglob, arithmetic side effects, zsh/fish-only
//!   syntax, PowerShell syntax under `pwsh -Command`, nested brace groups (only the first
//!   `{a,b}` group of a word expands), `{a..z}` sequences, a for-loop variable is judged with
//!   all its values at once (never one value per iteration), `sed` scripts beyond one command
//!   per line, function call chains deeper than [`MAX_DEPTH`] (read as `unparsed`).
//!
//! The risk model (docs/design.md §3) still sees every exec call; mediation is one layer of several.

mod analysis;
mod catalog;
mod classes;
mod classify;
mod code;
mod code_api;
mod derive;
mod envnames;
mod facts;
mod glob;
mod inspect;
mod lex;
mod loader;
mod packages;
mod parse;
mod paths;
mod policy;
mod programs;
mod rules;
mod seq;
mod stage;
mod urls;
mod wrappers;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use catalog::{
    tool_family, Catalog, CatalogError, Example, Facts, Method, Rule, RuleHit, Severity, StageView,
    Taint, ToolFamily, ToolKind,
};
pub use classes::{mode_classes, Class, Classes, Effect, Verb};
pub(crate) use classify::Arg;
pub use classify::{
    classify_command, CommandAnalysis, ExecClass, ExecFinding, MAX_COMMAND_BYTES, MAX_DEPTH,
    MAX_FINDINGS, WORK_BUDGET_BYTES,
};
pub use facts::shell_quote;
pub use inspect::{
    strictest, ArmedBar, CommandInspection, ContentJudge, MAX_ARMED_LITERALS, MAX_CONTENT_PLACES,
    MAX_HITS,
};
pub use paths::{Context, MAX_PATH_BYTES};
pub use policy::{
    ExecDecision, ExecMediationPolicy, ExecMediationPreset, ExecPattern, ExecPatternError,
    MAX_PATTERN_BYTES,
};
pub use programs::program_base;
pub use urls::MAX_URL_BYTES;

/// How dangerous a command is, `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Every tier, mildest first.
    pub const ALL: [ExecTier; 4] = [
        ExecTier::Low,
        ExecTier::Medium,
        ExecTier::High,
        ExecTier::Critical,
    ];

    /// The tier named `name` (snake_case).
    pub fn from_name(name: &str) -> Option<ExecTier> {
        ExecTier::ALL.into_iter().find(|t| t.as_str() == name)
    }

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
