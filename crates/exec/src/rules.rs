//! The classification rules: per simple command ([`Analyzer::stage`]), per pipeline
//! ([`Analyzer::pipeline`]) and across the commands of one script ([`SeqState`]: variables,
//! working directory, downloaded files).
//!
//! Rules look at the program that finally runs (wrappers peeled, basename, lowercase), its
//! arguments after normalisation, and its redirections. Paths are normalised lexically
//! (`//`, `/./`, `..`, `~`, `$HOME`) before they are compared.

mod code;
mod git;
mod handlers;
mod programs;

use super::classify::{Analyzer, ExecClass};
use super::facts::{
    cron_command, home_relative, is_block_device, is_credential_path, is_startup_file, normalise,
    shell_quote, DOWNLOADERS, HOME_PERSISTENCE_PREFIXES, NETWORK_TOOLS, PERSISTENCE_PREFIXES,
};
use super::lex::RedirKind;
use super::seq::SeqState;
use super::stage::Stage;
use super::wrappers::{shell_script, SHELLS};
use super::ExecTier;

/// `localhost` or a 127/8 or `::1` address.
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// `… | xargs sh -c` / `xargs -0 bash -c 'eval "$1"' _`: stdin becomes the script.
fn code_from_args(s: &Stage) -> bool {
    s.stdin_args.is_some_and(|n| {
        let own = s.args.get(..n).unwrap_or(&[]);
        SHELLS.contains(&s.prog.as_str())
            && s.has_flag('c', "command")
            && shell_script(own).is_none_or(|(code, _)| {
                code.contains('$')
                    || s.stdin_replace
                        .as_deref()
                        .is_some_and(|r| !r.is_empty() && code.contains(r))
            })
    })
}

impl Analyzer<'_> {
    /// Rules on one simple command. Returns whether it runs what arrives on its stdin as code
    /// (a shell reading stdin, also inside its `sh -c` script: `… | sh -c 'exec bash'`).
    pub(crate) fn stage(&mut self, s: &Stage, depth: usize, state: &mut SeqState) -> bool {
        let parts = vec![s.idx];
        let runs_stdin = self.nested_commands(s, depth, state);
        // Downloaded code run directly: `$(curl …)` as the program, or as the script of a
        // shell / interpreter / `source`, or fed to one through a redirection.
        let sink_fetch = s.is_shell_or_interpreter()
            && (s.args.iter().any(|a| a.fetch)
                || s.redirs
                    .iter()
                    .any(|r| r.fetch && matches!(r.kind, RedirKind::In | RedirKind::HereString)));
        if s.prog_fetch || sink_fetch {
            self.flag(ExecClass::PipeToShell, &s.segment, parts.clone());
        }
        // A heredoc or here-string fed to a shell is a script.
        if s.reads_stdin() {
            if let Some(body) = s.stdin_script() {
                self.stdin_code(s, &body, depth, state);
            }
        }
        self.upstream(s, runs_stdin || code_from_args(s), depth, state);
        self.shell_sinks(s, depth, state);
        self.socket_redirections(s);
        for path in s.written_paths() {
            // Relative to a known working directory: `cd /etc && echo … >> sudoers`.
            self.written(s, &state.resolve(&path), depth, &parts);
        }
        let cmd = handlers::Cmd {
            s,
            ops: s.operands(),
            parts,
            depth,
        };
        self.program_rules(&cmd, state);
        // Sequence rules: downloads, then their execution.
        if let Some(download) = state.executes_download(s) {
            self.flag(
                ExecClass::DownloadAndExecute,
                &s.segment,
                vec![download, s.idx],
            );
        }
        state.record_downloads(s);
        runs_stdin
    }

    /// The commands `s` runs besides itself: an alias's expansion, shell commands given as
    /// option values, nested scripts. Returns whether it runs its stdin as code.
    fn nested_commands(&mut self, s: &Stage, depth: usize, state: &SeqState) -> bool {
        // An alias defined earlier in the line (`shopt -s expand_aliases; alias x='rm -rf /'`).
        if let Some(value) = state.alias(&s.prog_text) {
            let args: Vec<String> = s.texts().map(shell_quote).collect();
            let line = format!("{value} {}", args.join(" "));
            // Bash expands an alias once: not again inside its own expansion
            // (`alias ls='ls --color'`), so neither does the expansion here.
            let mut inner = state.clone();
            inner.unalias(&s.prog_text);
            let _ = self.nested(&line, depth + 1, &inner);
        }
        // Shell commands given as option values: `tar --to-command=…`, `rsync -e …`,
        // `ssh -o ProxyCommand=…`, `vim -c '!…'`, `zip -TT …`, `man -P …`.
        for command in s.option_commands() {
            let _ = self.nested(&command, depth + 1, state);
        }
        // Nested scripts: sh -c, eval, su -c, env -S, ssh host cmd, watch. They read this
        // command's stdin.
        let mut runs_stdin = s.reads_stdin() && s.stdin_script().is_none();
        for (body, fetch) in &s.scripts {
            let nested = self.nested(body, depth + 1, state);
            runs_stdin |= nested.stdin_code && s.stdin_script().is_none();
            if *fetch {
                self.flag(ExecClass::PipeToShell, &s.segment, vec![s.idx]);
            }
        }
        runs_stdin
    }

    /// What earlier pipeline stages feed `s`: code when it runs its stdin (`runs_code`), a
    /// crontab's lines.
    fn upstream(&mut self, s: &Stage, runs_code: bool, depth: usize, state: &SeqState) {
        let Some(up) = &s.upstream else {
            return;
        };
        let mut up_parts = up.parts.clone();
        up_parts.push(s.idx);
        let up_segment = super::classify::snippet(&format!("{} | {}", up.segment, s.segment));
        if runs_code {
            if up.fetch {
                self.flag(ExecClass::PipeToShell, &up_segment, up_parts);
            } else if let Some(script) = &up.static_value {
                self.stdin_code(s, script, depth, state);
            }
        }
        if s.prog == "crontab" {
            // The lines a piped crontab install will run: judge their commands.
            if let Some(table) = &up.static_value {
                for line in table.lines() {
                    let command = cron_command(line);
                    if !command.is_empty() {
                        let _ = self.script(command, depth + 1);
                    }
                }
            }
        }
    }

    /// Output sent into a shell through a process substitution (`curl … > >(sh)`,
    /// `… | tee >(bash)`), and statically known process-substitution content read as a script
    /// (`bash <(echo …)`, `sh < <(echo …)`).
    fn shell_sinks(&mut self, s: &Stage, depth: usize, state: &SeqState) {
        let feeds_shell = s
            .redirs
            .iter()
            .any(|r| r.shell_sink && matches!(r.kind, RedirKind::Out | RedirKind::Append))
            || (s.prog == "tee" && s.args.iter().any(|a| a.shell_sink));
        if feeds_shell {
            let up = s.upstream.as_deref();
            if s.is_fetcher() || up.is_some_and(|u| u.fetch) {
                self.flag(ExecClass::PipeToShell, &s.segment, vec![s.idx]);
            } else if let Some(text) = match s.prog.as_str() {
                "tee" => up.and_then(|u| u.static_value.clone()),
                _ => s.literal_output(),
            } {
                let _ = self.nested(&text, depth + 1, state);
            }
        }
        if s.is_shell_or_interpreter() {
            let contents = s
                .args
                .iter()
                .filter_map(|a| a.content.as_deref())
                .chain(s.redirs.iter().filter_map(|r| r.content.as_deref()));
            let contents: Vec<String> = contents.map(str::to_owned).collect();
            for content in contents {
                self.stdin_code(s, &content, depth, state);
            }
        }
    }

    /// Redirections to sockets. Reading a loopback port (`</dev/tcp/127.0.0.1/5432`, a
    /// readiness probe) wires no shell to anyone.
    fn socket_redirections(&mut self, s: &Stage) {
        for r in &s.redirs {
            let target = normalise(&r.target);
            let socket = target
                .strip_prefix("/dev/tcp/")
                .or_else(|| target.strip_prefix("/dev/udp/"));
            if let Some(rest) = socket {
                let host = rest.split('/').next().unwrap_or("");
                let probe = r.kind == RedirKind::In && is_loopback_host(host) && !s.reads_stdin();
                if !probe {
                    self.flag(ExecClass::ReverseShell, &s.segment, vec![s.idx]);
                }
            }
        }
    }

    /// Rules on a path `s` writes.
    fn written(&mut self, s: &Stage, path: &str, depth: usize, parts: &[usize]) {
        let p = normalise(path);
        if matches!(s.prog.as_str(), "rm" | "unlink") && p.contains(['*', '?', '[']) {
            // Removing a glob's worth of files is the recursive-delete rule's business.
            return;
        }
        if is_block_device(&p) {
            self.flag(ExecClass::DeviceWrite, &s.segment, parts.to_vec());
        }
        if p == "/proc/sysrq-trigger" {
            self.flag(ExecClass::SystemShutdown, &s.segment, parts.to_vec());
        }
        if is_credential_path(&p) {
            self.flag(
                ExecClass::CredentialModification,
                &s.segment,
                parts.to_vec(),
            );
        }
        // Normalised paths carry no trailing `/`: compare `dir/` so a directory named as the
        // destination (`cp x /etc/init.d/`) matches a `dir/` prefix.
        if matches!(s.prog.as_str(), "rm" | "unlink") {
            // Removing a hook, a cron job or a startup file persists nothing.
            return;
        }
        let dir = format!("{p}/");
        let home_rel = home_relative(&dir);
        let persistent = PERSISTENCE_PREFIXES.iter().any(|x| dir.starts_with(x))
            || home_rel.is_some_and(|r| HOME_PERSISTENCE_PREFIXES.iter().any(|x| r.starts_with(x)));
        if persistent {
            self.flag(ExecClass::CronPersistence, &s.segment, parts.to_vec());
            return;
        }
        if is_startup_file(&p) {
            // A startup file (or git hook) runs later on its own: judge what is written into it.
            let upstream_download = s.upstream.as_ref().is_some_and(|u| u.downloader);
            let (segment, all_parts) = match &s.upstream {
                Some(up) => {
                    let mut all = up.parts.clone();
                    all.push(s.idx);
                    (
                        super::classify::snippet(&format!("{} | {}", up.segment, s.segment)),
                        all,
                    )
                }
                None => (s.segment.clone(), parts.to_vec()),
            };
            let class = if s.is_downloader() || upstream_download {
                Some(ExecClass::CronPersistence)
            } else {
                match s.written_content() {
                    Some(content) => {
                        let lower = content.to_ascii_lowercase();
                        let tier = self.script(&content, depth + 1).tier;
                        let downloads = DOWNLOADERS.iter().any(|d| {
                            lower
                                .split(|c: char| !c.is_ascii_alphanumeric())
                                .any(|w| w == *d)
                        });
                        let runs_from_tmp = ["/tmp/", "/var/tmp/", "/dev/shm/"]
                            .iter()
                            .any(|t| lower.contains(t));
                        (tier >= Some(ExecTier::Medium) || downloads || runs_from_tmp)
                            .then_some(ExecClass::CronPersistence)
                    }
                    None => Some(ExecClass::StartupFileModification),
                }
            };
            if let Some(class) = class {
                self.flag(class, &segment, all_parts);
            }
        }
    }

    /// Rules on a pipeline (stages already classified one by one, with their upstream).
    pub(crate) fn pipeline(&mut self, stages: &[Stage], background: bool) {
        let all_parts: Vec<usize> = stages.iter().map(|s| s.idx).collect();
        let segment = || {
            let segs: Vec<&str> = stages.iter().map(|s| s.segment.as_str()).collect();
            super::classify::snippet(&segs.join(" | "))
        };
        // A shell between network tools: `cat f | sh -i 2>&1 | nc h p > f`.
        let has_shell = stages
            .iter()
            .any(|s| SHELLS.contains(&s.prog.as_str()) && s.reads_stdin());
        let has_net = stages.iter().any(|s| {
            NETWORK_TOOLS.contains(&s.prog.as_str())
                || (s.prog == "openssl" && s.texts().any(|t| t == "s_client"))
        });
        if has_shell && has_net && stages.len() > 1 {
            self.flag(ExecClass::ReverseShell, &segment(), all_parts.clone());
        }
        // Fork bombs: a function that runs itself in a pipe or in the background.
        for stage in stages {
            if let Some(f) = &stage.in_function {
                if stage.prog_text == *f && (stages.len() > 1 || background) {
                    self.flag(ExecClass::ForkBomb, &segment(), all_parts.clone());
                }
            }
        }
    }
}
