//! Code that runs code: values of variables programs run as commands (`GIT_SSH_COMMAND`,
//! `PAGER`…), interpreter code (sockets handed a shell, `fork` in a loop, the commands it hands
//! to the system) and scripts fed on stdin.

use crate::classify::{Analyzer, Arg, ExecClass};
use crate::facts::{embedded_commands, is_socket_shell};
use crate::seq::SeqState;
use crate::stage::Stage;
use crate::wrappers::INTERPRETERS;

/// Environment variables whose value programs run as a shell command (`git` runs
/// `GIT_SSH_COMMAND`, `man` runs `PAGER`, `less` runs `LESSOPEN`, bash runs `PROMPT_COMMAND`).
const COMMAND_VARIABLES: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_SEQUENCE_EDITOR",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "LESSOPEN",
    "LESSCLOSE",
    "PROMPT_COMMAND",
    "BROWSER",
];

impl Analyzer<'_> {
    /// Assignments of [`COMMAND_VARIABLES`]: their values are scripts run later.
    pub(crate) fn command_variables(&mut self, assigns: &[Arg], depth: usize, state: &SeqState) {
        for a in assigns {
            if let Some((name, value)) = a.text.split_once('=') {
                if COMMAND_VARIABLES.contains(&name) && !value.is_empty() {
                    let _ = self.nested(value.trim_start_matches('|'), depth + 1, state);
                }
            }
        }
    }

    /// Rules on interpreter code (inline, or read from stdin): sockets handed a shell, `fork`
    /// in a loop, and the shell commands the code hands to the system (`os.system("…")`,
    /// `subprocess.run(["rm", "-rf", "/"])`, `` `…` ``).
    pub(super) fn interpreter_code(
        &mut self,
        s: &Stage,
        code: &str,
        depth: usize,
        state: &SeqState,
    ) {
        let lower = code.to_ascii_lowercase();
        if is_socket_shell(&lower) {
            self.flag(ExecClass::ReverseShell, &s.segment, vec![s.idx]);
        }
        // `fork` (called with or without parentheses: perl, ruby) inside a loop.
        let forks = lower
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w == "fork");
        let loops = ["while", "loop", "until", "for(;;)", "for (;;)"]
            .iter()
            .any(|l| lower.contains(l));
        if forks && loops {
            self.flag(ExecClass::ForkBomb, &s.segment, vec![s.idx]);
        }
        for command in embedded_commands(code) {
            let _ = self.nested(&command, depth + 1, state);
        }
    }

    /// Code fed on stdin to `s`: a script for a shell, interpreter code for an interpreter
    /// (`python3 <<'EOF' … os.system(…)`).
    pub(super) fn stdin_code(&mut self, s: &Stage, code: &str, depth: usize, state: &SeqState) {
        if INTERPRETERS.contains(&s.prog.as_str()) {
            self.interpreter_code(s, code, depth, state);
        } else {
            let _ = self.nested(code, depth + 1, state);
        }
    }
}
