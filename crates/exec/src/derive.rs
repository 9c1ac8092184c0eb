//! What a simple command does: its [`Effect`]s, derived from the program table and the parse
//! (redirections, operands, option values, wrappers, the background operator, inline
//! interpreter code) — never from the command's spelling.

use crate::analysis::RRedir;
use crate::catalog::Catalog;
use crate::classes::{Class, Classes, Effect, Verb};
use crate::code::code_effects;
use crate::inspect::ContentJudge;
use crate::lex::RedirKind;
use crate::paths::Context;
use crate::programs::{PathFlag, Program, Role};
use crate::seq::SeqState;
use crate::stage::Stage;
use crate::urls::name_carries_data;
use crate::wrappers::{INTERPRETERS, SHELLS};

mod words;

use words::{
    expansions, is_named_remote, is_wipe_source, looks_like_host, mode_classes, mount_source,
    operands, recursive, remote_spec, sends, uploaded_file, written_content,
};

/// Most effects kept per simple command.
const MAX_EFFECTS: usize = 64;

/// Wrappers that leave the command running after the call returns.
const DETACHING_WRAPPERS: &[&str] = &[
    "nohup",
    "setsid",
    "daemonize",
    "disown",
    "start-stop-daemon",
];

/// Programs that dump the whole environment when given no operand.
const ENV_DUMPERS: &[&str] = &["env", "printenv"];

/// Where a simple command runs, beyond its words.
pub(crate) struct StageContext<'a> {
    /// Its pipeline ends in `&`.
    pub background: bool,
    /// The wrapper programs peeled off it.
    pub wrappers: &'a [String],
    /// Variables it sets for itself, as `NAME=VALUE` (`X=1 cmd`, `env X=1 cmd`).
    pub assigned: &'a [String],
}

/// The effects of stage `s`, run where `state` says.
pub(crate) fn stage_effects(
    catalog: &Catalog,
    ctx: &Context,
    s: &Stage,
    state: &SeqState,
    sc: &StageContext<'_>,
) -> Vec<Effect> {
    let (background, wrappers) = (sc.background, sc.wrappers);
    let mut d = Deriver {
        catalog,
        ctx,
        state,
        out: Vec::new(),
    };
    let texts: Vec<&str> = s.texts().collect();
    let (program, consumed) = catalog.programs.lookup(&s.prog, &texts);
    let wiping = s.operands().iter().any(|o| is_wipe_source(o))
        || s.redirs
            .iter()
            .any(|r| r.kind == RedirKind::In && is_wipe_source(&r.target));
    let content = written_content(s);
    let mut judge = content
        .as_deref()
        .map(|c| ContentJudge::new(catalog, ctx, c));
    // `: > f`, `true > f`: a command with no output truncates what it is redirected to.
    let truncates = matches!(s.prog.as_str(), ":" | "true" | "");
    d.redirections(&s.redirs, wiping, truncates, judge.as_mut());
    let sending = sends(program, s);
    if matches!(s.prog.as_str(), "tar" | "gtar" | "bsdtar") {
        d.tar(s);
    } else {
        d.operands(program, s, sending, consumed);
    }
    if s.prog == "tee" {
        for op in operands(program, s) {
            d.written(Verb::Write, op, judge.as_mut());
        }
    }
    d.path_flags(program, s);
    d.host_flags(program, s);
    d.env_reads(s, wrappers);
    d.env_writes(s, sc.assigned);
    d.dd(s);
    d.runs(program, s);
    d.secrets(program, s);
    d.packages(s);
    if let Some(url) = &program.upload_to {
        d.url(Verb::Send, url, Classes::of(&[Class::Data]));
    }
    if background
        || wrappers
            .iter()
            .any(|w| DETACHING_WRAPPERS.contains(&w.as_str()))
        || s.texts()
            .any(|t| program.detach_flags.iter().any(|f| f == t))
    {
        let object = d.program_classes(s);
        d.push(Verb::Spawn, object.plus(Class::Detached));
    }
    if INTERPRETERS.contains(&s.prog.as_str())
        || matches!(s.prog.as_str(), "awk" | "gawk" | "mawk" | "nawk")
    {
        // Inline code, or code fed on stdin (a here-doc, a here-string, a literal pipe).
        let inline = s.inline_code();
        let code = if inline.is_empty() {
            s.stdin_script()
                .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()))
                .unwrap_or_default()
        } else {
            inline
        };
        if !code.is_empty() {
            for e in code_effects(catalog, ctx, &s.prog, &code) {
                d.push(e.verb, e.classes);
            }
        }
    }
    d.out.truncate(MAX_EFFECTS);
    d.out
}

struct Deriver<'a> {
    catalog: &'a Catalog,
    ctx: &'a Context,
    state: &'a SeqState,
    out: Vec<Effect>,
}

impl Deriver<'_> {
    fn push(&mut self, verb: Verb, classes: Classes) {
        let e = Effect::new(verb, classes);
        if self.out.len() < MAX_EFFECTS && !self.out.contains(&e) {
            self.out.push(e);
        }
    }

    fn path(&mut self, verb: Verb, path: &str, extra: Classes) {
        let resolved = self.state.resolve(path);
        let classes = self.catalog.classify_path(&resolved, self.ctx).with(extra);
        self.push(verb, classes);
    }

    /// A write of `path` with `content` when it is known: the content's classes join the
    /// path's (an executable's magic, armed content: [`Catalog::content_classes`]).
    fn written(&mut self, verb: Verb, path: &str, content: Option<&mut ContentJudge<'_>>) {
        let resolved = self.state.resolve(path);
        let mut classes = self.catalog.classify_path(&resolved, self.ctx);
        if let Some(judge) = content {
            classes = classes.with(judge.classes(classes));
        }
        self.push(verb, classes);
    }

    fn url(&mut self, verb: Verb, url: &str, extra: Classes) {
        if let Some(c) = self.catalog.classify_url(url) {
            self.push(verb, c.with(extra));
        }
    }

    /// Redirections; `wiping`: the command copies zeros or random bytes, so what it writes
    /// over is destroyed (`head -c 1M /dev/urandom > f`).
    fn redirections(
        &mut self,
        redirs: &[RRedir],
        wiping: bool,
        truncates: bool,
        mut content: Option<&mut ContentJudge<'_>>,
    ) {
        for r in redirs {
            let t = r.target.as_str();
            if let Some(rest) = t
                .strip_prefix("/dev/tcp/")
                .or_else(|| t.strip_prefix("/dev/udp/"))
            {
                let host = rest.split('/').next().unwrap_or("");
                let mut c = self.catalog.classify_host(host);
                if matches!(
                    r.kind,
                    RedirKind::Out | RedirKind::Append | RedirKind::ReadWrite
                ) {
                    c = c.plus(Class::Data);
                }
                self.push(Verb::Send, c);
                continue;
            }
            let quiet = matches!(
                t,
                "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "-"
            ) || t.starts_with("/dev/fd/")
                || t.starts_with('&');
            if quiet {
                continue;
            }
            match r.kind {
                RedirKind::Out | RedirKind::Append | RedirKind::ReadWrite => {
                    let emptied = truncates && r.kind == RedirKind::Out;
                    let verb = if wiping || emptied {
                        Verb::Destroy
                    } else {
                        Verb::Write
                    };
                    self.written(verb, t, content.as_deref_mut());
                }
                RedirKind::In => self.path(Verb::Read, t, Classes::EMPTY),
                RedirKind::Dup | RedirKind::HereDoc | RedirKind::HereString => {}
            }
        }
    }

    fn operands(&mut self, program: &Program, s: &Stage, sending: bool, consumed: usize) {
        let all = operands(program, s);
        let ops = all.get(consumed..).unwrap_or(&[]).to_vec();
        let skip_first = program.runs_script || (s.prog == "git" && consumed == 0);
        let n = ops.len();
        let in_place = s.texts().any(|t| {
            program
                .write_flags
                .iter()
                .any(|f| t == f || t.starts_with(&format!("{f}=")))
        });
        // An in-place edit (`sed -i 's#a#b#' f`) writes what its words say: they are the
        // content judged for each file it edits.
        let edit_text = in_place.then(|| s.texts().collect::<Vec<_>>().join("\n"));
        let mut edit_judge = edit_text
            .as_deref()
            .map(|t| ContentJudge::new(self.catalog, self.ctx, t));
        for (i, op) in ops.iter().enumerate() {
            if op.is_empty() || (skip_first && i == 0 && !op.contains("://")) {
                continue;
            }
            let last = i + 1 == n && n > 1;
            if op.contains("://") {
                self.url_operand(program, op, last, sending);
                continue;
            }
            let role = match (i, last, program.first_operand, program.last_operand) {
                (_, true, _, Some(r)) | (0, _, Some(r), _) => r,
                _ if in_place => Role::Path(Verb::Write),
                _ => program.operands,
            };
            if self.remote_operand(program, op, role, last) {
                continue;
            }
            if let (Some(judge), Role::Path(Verb::Write)) = (edit_judge.as_mut(), role) {
                self.written(Verb::Write, op, Some(judge));
                continue;
            }
            self.role_operand(role, op, i == 0, s, sending);
        }
    }

    /// A URL operand: fetched (or what the program's `urls` says), sent when the command
    /// sends or it is a copy's destination (`aws s3 cp f s3://b/`).
    fn url_operand(&mut self, program: &Program, op: &str, last: bool, sending: bool) {
        let upload = sending || (last && program.last_operand.is_some());
        let verb = if upload {
            Some(Verb::Send)
        } else {
            program.urls
        };
        if let Some(v) = verb {
            let extra = if v == Verb::Send {
                Classes::of(&[Class::Data])
            } else {
                Classes::EMPTY
            };
            self.url(v, op, extra);
        }
    }

    /// A remote end given as an operand — `remote:path` of a sync tool whose remotes are
    /// named, not addressed (rclone), or `host:path` (scp, rsync) where a path is expected;
    /// `true` when `op` was one.
    fn remote_operand(&mut self, program: &Program, op: &str, role: Role, last: bool) -> bool {
        let verb = if last { Verb::Send } else { Verb::Fetch };
        let mut c = if program.remotes && is_named_remote(op) {
            Classes::of(&[Class::Unknown, Class::Egress])
        } else if let Some((host, _)) = remote_spec(op).filter(|_| matches!(role, Role::Path(_))) {
            self.catalog.classify_host(host)
        } else {
            return false;
        };
        if last {
            c = c.plus(Class::Data);
        }
        self.push(verb, c);
        true
    }

    /// An operand by what the program does to it.
    fn role_operand(&mut self, role: Role, op: &str, first: bool, s: &Stage, sending: bool) {
        match role {
            Role::Ignore => {}
            Role::Host => {
                if looks_like_host(op) {
                    let mut c = self.catalog.classify_host(op);
                    if s.upstream.is_some() || sending {
                        c = c.plus(Class::Data);
                    }
                    self.push(Verb::Send, c);
                }
            }
            Role::Name => {
                if looks_like_host(op) || op.contains(crate::lex::SUB_MARK) {
                    let mut c = self.catalog.classify_host(op);
                    if name_carries_data(op) {
                        c = c.plus(Class::Data);
                    }
                    self.push(Verb::Resolve, c);
                }
            }
            Role::Path(verb) => {
                let extra = if verb == Verb::Delete && recursive(s) {
                    Classes::of(&[Class::Recursive])
                } else if verb == Verb::Mode {
                    mode_classes(s)
                } else {
                    Classes::EMPTY
                };
                if verb == Verb::Mode
                    && first
                    && matches!(s.prog.as_str(), "chmod" | "chown" | "chgrp")
                {
                    return;
                }
                self.path(verb, op, extra);
            }
        }
    }

    fn path_flags(&mut self, program: &Program, s: &Stage) {
        let texts: Vec<&str> = s.texts().collect();
        for (i, t) in texts.iter().enumerate() {
            for (flag, what) in &program.path_flags {
                let value = if *t == flag.as_str() {
                    texts.get(i + 1).copied()
                } else {
                    t.strip_prefix(flag.as_str())
                        .and_then(|rest| rest.strip_prefix('='))
                        .or_else(|| {
                            (flag.len() == 2 && !flag.starts_with("--"))
                                .then(|| t.strip_prefix(flag.as_str()))
                                .flatten()
                                .filter(|rest| !rest.is_empty())
                        })
                };
                let Some(value) = value else {
                    continue;
                };
                match what {
                    PathFlag::Path(verb) => self.path(*verb, value, Classes::EMPTY),
                    PathFlag::Upload => {
                        if let Some(file) = uploaded_file(value) {
                            self.path(Verb::Read, file, Classes::EMPTY);
                        }
                    }
                    PathFlag::Mount => {
                        if let Some(source) = mount_source(value) {
                            self.path(Verb::Read, source, Classes::EMPTY);
                        }
                    }
                }
            }
        }
    }

    /// Options whose value is the host connected to (`-connect h:p`).
    fn host_flags(&mut self, program: &Program, s: &Stage) {
        let texts: Vec<&str> = s.texts().collect();
        for (i, t) in texts.iter().enumerate() {
            if program.host_flags.iter().any(|f| f == t) {
                if let Some(v) = texts.get(i + 1) {
                    let host = v.rsplit_once(':').map_or(*v, |(h, p)| {
                        if p.bytes().all(|b| b.is_ascii_digit()) {
                            h
                        } else {
                            v
                        }
                    });
                    let mut c = self.catalog.classify_host(host);
                    if s.upstream.is_some() {
                        c = c.plus(Class::Data);
                    }
                    self.push(Verb::Send, c);
                }
            }
        }
    }

    /// Programs (or options) whose every run reads secrets.
    fn secrets(&mut self, program: &Program, s: &Stage) {
        let flagged = s.texts().any(|t| {
            program
                .secret_flags
                .iter()
                .any(|g| crate::glob::word_matches(g, t, true))
        });
        if program.reads_secrets || flagged {
            self.push(Verb::Read, Classes::of(&[Class::Secret, Class::Outside]));
        }
    }

    /// The packages an install names (`npm install X`, `pip install X`, `python3 -m pip install
    /// X`, `cargo add X`, `npx X`): a look-alike of a popular one is fetched as such.
    fn packages(&mut self, s: &Stage) {
        let texts: Vec<&str> = s.texts().collect();
        let (program, words) = match texts.as_slice() {
            ["-m", "pip", rest @ ..] | ["-mpip", rest @ ..] if s.prog.starts_with("python") => {
                ("pip", rest)
            }
            all => (s.prog.as_str(), all),
        };
        let Some(eco) = self.catalog.packages.ecosystem(program) else {
            return;
        };
        let named = |w: &str| {
            !w.contains("://")
                && !w.starts_with(['.', '/', '~'])
                && (w.starts_with('@') || !w.contains('/'))
        };
        let packages = eco.packages(program, words);
        if packages.iter().any(|w| named(w) && eco.lookalike(w)) {
            self.push(
                Verb::Fetch,
                Classes::of(&[
                    Class::Registry,
                    Class::Public,
                    Class::Egress,
                    Class::Lookalike,
                ]),
            );
        }
    }

    /// `tar`: the mode cluster (`czf`, `-xvf`), the archive after `f`, `-C DIR` moving the
    /// operands that follow; create mode reads the operands and writes the archive, extract
    /// mode reads the archive and writes into the directory.
    fn tar(&mut self, s: &Stage) {
        let words: Vec<&str> = s.texts().collect();
        let mut create = false;
        let mut extract = false;
        let mut archive: Option<&str> = None;
        let mut dir: Option<String> = None;
        let mut i = 0;
        while let Some(&w) = words.get(i) {
            i += 1;
            let long = w.starts_with("--");
            let cluster = if i == 1 && !w.starts_with('-') {
                Some(w)
            } else if w.starts_with('-') && !long {
                w.get(1..)
            } else {
                None
            };
            if let Some(c) = cluster {
                create |= c.contains('c') || c.contains('r') || c.contains('u');
                extract |= c.contains('x');
                if c.contains('f') {
                    archive = words.get(i).copied();
                    i += 1;
                }
                if c == "C" {
                    dir = words.get(i).map(|d| (*d).to_owned());
                    i += 1;
                }
                continue;
            }
            if let Some(v) = w.strip_prefix("--file=") {
                archive = Some(v);
                continue;
            }
            if let Some(v) = w.strip_prefix("--directory=") {
                dir = Some(v.to_owned());
                continue;
            }
            if long {
                create |= matches!(w, "--create" | "--append" | "--update");
                extract |= matches!(w, "--extract" | "--get");
                continue;
            }
            let path = match &dir {
                Some(d) if !w.starts_with('/') => format!("{}/{w}", d.trim_end_matches('/')),
                _ => w.to_owned(),
            };
            if create {
                self.path(Verb::Read, &path, Classes::EMPTY);
            }
        }
        if let Some(a) = archive.filter(|a| *a != "-") {
            if a.contains("://") {
                let verb = if create { Verb::Send } else { Verb::Fetch };
                self.url(verb, a, Classes::EMPTY);
            } else {
                self.path(
                    if create { Verb::Write } else { Verb::Read },
                    a,
                    Classes::EMPTY,
                );
            }
        }
        if extract {
            let target = dir.unwrap_or_else(|| ".".to_owned());
            self.path(Verb::Write, &target, Classes::EMPTY);
        }
    }

    /// `$SECRET` expansions, `printenv NAME`, whole-environment dumps, `/proc/*/environ`.
    fn env_reads(&mut self, s: &Stage, wrappers: &[String]) {
        let ops = s.operands();
        // `env` with no command left is peeled as a wrapper and runs nothing: it prints.
        let bare_env = s.prog.is_empty() && wrappers.last().is_some_and(|w| w == "env");
        let dump = bare_env
            || ENV_DUMPERS.contains(&s.prog.as_str()) && ops.iter().all(|o| o.contains('='))
            || (matches!(s.prog.as_str(), "export" | "declare" | "typeset")
                && (ops.is_empty() || s.texts().any(|t| t == "-p")))
            || (s.prog == "set" && s.args.is_empty());
        if dump {
            // Every variable, names unknown.
            self.push(
                Verb::Env,
                Classes::of(&[Class::SecretName, Class::Indirect]),
            );
        }
        if s.prog == "printenv" {
            for op in &ops {
                let c = self.catalog.classify_env(op);
                if !c.is_empty() {
                    self.push(Verb::Env, c);
                }
            }
        }
        let words = s.texts().chain(s.redirs.iter().map(|r| r.target.as_str()));
        for w in words {
            for name in expansions(w) {
                let c = self.catalog.classify_env(name);
                if c.has(Class::SecretName) {
                    self.push(Verb::Env, c);
                }
            }
        }
    }

    /// Variables set for the command or the shell: `X=1 cmd`, `export X=1`, `unset X`. A URL
    /// given in a variable is one the program will use (`npm_config_registry=http://…`): it is
    /// fetched.
    fn env_writes(&mut self, s: &Stage, assigned: &[String]) {
        let mut settings: Vec<&str> = assigned.iter().map(String::as_str).collect();
        if matches!(
            s.prog.as_str(),
            "export" | "declare" | "typeset" | "readonly" | "local" | "unset"
        ) {
            settings.extend(s.texts().filter(|t| !t.starts_with('-')));
        }
        for setting in settings {
            let (name, value) = setting.split_once('=').unwrap_or((setting, ""));
            let c = self.catalog.classify_env(name);
            if !c.is_empty() {
                self.push(Verb::Setenv, c);
            }
            if value.contains("://") {
                self.url(Verb::Fetch, value, Classes::EMPTY);
            }
        }
    }

    /// `dd`'s `if=` / `of=` words; writing from `/dev/zero` or a random source destroys.
    fn dd(&mut self, s: &Stage) {
        if !matches!(s.prog.as_str(), "dd" | "dcfldd" | "dc3dd") {
            return;
        }
        let input = s.texts().find_map(|t| t.strip_prefix("if="));
        let wiping = input.is_some_and(is_wipe_source);
        if let Some(i) = input.filter(|i| !is_wipe_source(i)) {
            self.path(Verb::Read, i, Classes::EMPTY);
        }
        if let Some(o) = s.texts().find_map(|t| t.strip_prefix("of=")) {
            self.path(
                if wiping { Verb::Destroy } else { Verb::Write },
                o,
                Classes::EMPTY,
            );
        }
    }

    /// The program itself when named by path, and scripts it runs.
    fn runs(&mut self, program: &Program, s: &Stage) {
        if s.prog_text.contains('/') {
            let c = self.program_classes(s);
            self.push(Verb::Run, c);
        }
        if s.prog_fetch {
            self.push(Verb::Run, Classes::of(&[Class::Fetched]));
        }
        let script_runner = program.runs_script
            || SHELLS.contains(&s.prog.as_str())
            || INTERPRETERS.contains(&s.prog.as_str());
        if script_runner && s.inline_code().is_empty() {
            if let Some(first) = s.operands().first() {
                if !first.contains("://") {
                    self.path(Verb::Run, first, Classes::EMPTY);
                }
            }
        }
    }

    fn program_classes(&self, s: &Stage) -> Classes {
        if s.prog_text.contains('/') {
            let resolved = self.state.resolve(&s.prog_text);
            self.catalog.classify_path(&resolved, self.ctx)
        } else {
            Classes::EMPTY
        }
    }
}

#[cfg(test)]
mod tests;
