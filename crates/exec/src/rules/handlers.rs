//! The program rules that are functions rather than a finding and its condition (see
//! [`super::programs`]): what `find -exec`, `export`, `printf -v`, `read`, `alias`, `for`,
//! `at`, `systemctl` and npm's script setters do to the line's state or the scripts they run.

use crate::classify::{Analyzer, Arg, ExecClass};
use crate::facts::{is_critical_process, shell_quote};
use crate::seq::{SeqState, ALIAS_PREFIX};
use crate::stage::Stage;
use crate::wrappers::is_assignment;

/// The simple command a program rule looks at.
pub(crate) struct Cmd<'s> {
    pub s: &'s Stage,
    /// Its operands.
    pub ops: Vec<&'s str>,
    /// The parts a finding on it names (its own index).
    pub parts: Vec<usize>,
    /// How deep in nested scripts it runs.
    pub depth: usize,
}

/// `find` tests that select entries by name, path, age, size or owner: what they hand to
/// `-exec` lies below the starting point, never the starting point itself.
const FIND_NARROWING_TESTS: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-regex",
    "-iregex",
    "-lname",
    "-ilname",
    "-newer",
    "-anewer",
    "-cnewer",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-size",
    "-empty",
    "-user",
    "-group",
    "-perm",
    "-links",
    "-inum",
    "-samefile",
];

pub(super) fn find(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let words: Vec<&str> = c.s.texts().collect();
    let roots = c.s.find_roots();
    let deletes = words.contains(&"-delete")
        || words.windows(2).any(|w| {
            matches!(w, [x, y] if (*x == "-exec" || *x == "-execdir") && (*y == "rm" || y.ends_with("/rm")))
        });
    if deletes && roots.iter().any(|t| state.is_root_or_home(t)) {
        a.flag(
            ExecClass::RecursiveDeleteRootOrHome,
            &c.s.segment,
            c.parts.clone(),
        );
    }
    // Each `-exec … ;` / `-exec … +` body, with `{}` read as a starting point (the first path
    // find hands it): `find / -exec sudo rm -rf {} +`.
    let mut rest = words.as_slice();
    while let Some(at) = rest
        .iter()
        .position(|t| matches!(*t, "-exec" | "-execdir" | "-ok" | "-okdir"))
    {
        let body_words = rest.get(at + 1..).unwrap_or(&[]);
        let len = body_words
            .iter()
            .position(|t| *t == ";" || *t == "+")
            .unwrap_or(body_words.len());
        let body = body_words.get(..len).unwrap_or(&[]);
        rest = body_words.get(len..).unwrap_or(&[]);
        if body.is_empty() {
            continue;
        }
        // A name, path or age test narrows what find hands `{}` to entries below the root
        // (`find . -name __pycache__ -exec rm -rf {} +` never removes `.`); without one, the
        // root itself is among them.
        let narrowed = words.iter().any(|t| FIND_NARROWING_TESTS.contains(t));
        for root in roots.iter().take(4) {
            let found = if narrowed {
                format!("{}/{{}}", root.trim_end_matches('/'))
            } else {
                (*root).to_owned()
            };
            // `-exec` runs an argument vector, not a shell line: quote each word so
            // `-exec sh -c 'rm -rf /' \;` keeps its script in one piece.
            let quoted: Vec<String> = body
                .iter()
                .map(|w| shell_quote(&w.replace("{}", &found)))
                .collect();
            let _ = a.nested(&quoted.join(" "), c.depth + 1, state);
        }
    }
}

pub(super) fn export(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    let assigns: Vec<Arg> = s
        .args
        .iter()
        .filter(|a| is_assignment(&a.text))
        .cloned()
        .collect();
    a.command_variables(&assigns, c.depth, state);
    a.loader_variables(&assigns, &s.segment, s.idx, c.depth, state);
    // `printf -v LD_PRELOAD /tmp/x.so; export LD_PRELOAD`: a name exported with the value it
    // got earlier in the line.
    let exported: Vec<Arg> = s
        .args
        .iter()
        .filter_map(|a| {
            let (_, value) = state.vars.iter().rev().find(|(n, _)| *n == a.text)?;
            Some(Arg {
                text: format!("{}={}", a.text, value.text),
                ..value.clone()
            })
        })
        .collect();
    a.loader_variables(&exported, &s.segment, s.idx, c.depth, state);
    state.assign(&assigns);
}

/// `printf -v NAME FORMAT ARGS…` assigns what printf would print.
pub(super) fn printf_v(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    if c.s.args.first().is_none_or(|a| a.text != "-v") {
        return;
    }
    let texts: Vec<&str> = c.s.texts().collect();
    if let (Some(name), Some(format)) = (texts.get(1), texts.get(2)) {
        if let Some(value) = crate::stage::printf(format, texts.get(3..).unwrap_or(&[])) {
            state.assign(&[Arg::plain(&format!("{name}={value}"))]);
        }
    }
}

/// `read a b <<< 'x y'`, `echo x | read a` (bash runs the latter in a subshell, but
/// `lastpipe` and other shells do not): the names take the words of the first line.
pub(super) fn read(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    if s.stdin_script().is_none() && s.upstream.as_ref().is_some_and(|u| u.fetch) {
        // `curl … | while read l; do eval "$l"; done`: the names hold fetched text.
        let fetched: Vec<Arg> = s
            .operands()
            .iter()
            .map(|name| Arg {
                fetch: true,
                ..Arg::plain(&format!("{name}="))
            })
            .collect();
        state.assign(&fetched);
    }
    let input = s
        .stdin_script()
        .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()));
    let Some(input) = input else {
        return;
    };
    let mut names = Vec::new();
    let mut texts = s.texts();
    while let Some(t) = texts.next() {
        if matches!(t, "-a" | "-d" | "-i" | "-n" | "-N" | "-p" | "-t" | "-u") {
            texts.next();
        } else if !t.starts_with('-') {
            names.push(t);
        }
    }
    let line = input.lines().next().unwrap_or("");
    let mut words = line.split_whitespace();
    let mut assigns = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let value = if k + 1 == names.len() {
            // The last name takes the rest of the line.
            words.clone().collect::<Vec<_>>().join(" ")
        } else {
            words.next().unwrap_or("").to_owned()
        };
        assigns.push(Arg::plain(&format!("{name}={value}")));
    }
    state.assign(&assigns);
}

pub(super) fn alias(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    for a in &c.s.args {
        if let Some((name, value)) = a.text.split_once('=') {
            state.assign(&[Arg::plain(&format!("{ALIAS_PREFIX}{name}={value}"))]);
        }
    }
}

pub(super) fn for_loop(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    if let (Some(name), Some(Arg { text: kw, .. })) = (s.args.first(), s.args.get(1)) {
        if kw == "in" && is_assignment(&format!("{}=", name.text)) {
            state.assign_list(&name.text, s.args.get(2..).unwrap_or(&[]));
        }
    }
}

/// `at` / `batch` schedule the script on their stdin: a deferred job, like cron.
pub(super) fn at_job(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    if s.texts()
        .any(|t| matches!(t, "-l" | "-r" | "-d" | "-c" | "-V" | "--help"))
    {
        return;
    }
    a.flag(ExecClass::CronPersistence, &s.segment, c.parts.clone());
    let job = s
        .stdin_script()
        .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()));
    if let Some(job) = job {
        let _ = a.nested(&job, c.depth + 1, state);
    }
    if s.upstream.as_ref().is_some_and(|u| u.fetch) {
        a.flag(ExecClass::PipeToShell, &s.segment, c.parts.clone());
    }
}

pub(super) fn systemctl(a: &mut Analyzer<'_>, c: &Cmd<'_>, _: &mut SeqState) {
    let verbs = &c.ops;
    if verbs.iter().any(|t| {
        matches!(
            *t,
            "poweroff" | "reboot" | "halt" | "kexec" | "emergency" | "rescue" | "soft-reboot"
        ) || t.starts_with("poweroff.target")
            || t.starts_with("reboot.target")
            || t.starts_with("halt.target")
            || t.starts_with("kexec.target")
            || t.starts_with("rescue.target")
            || t.starts_with("emergency.target")
    }) {
        a.flag(ExecClass::SystemShutdown, &c.s.segment, c.parts.clone());
    }
    let stops = verbs
        .first()
        .is_some_and(|v| matches!(*v, "stop" | "kill" | "mask" | "disable"));
    if stops
        && verbs
            .iter()
            .skip(1)
            .any(|t| is_critical_process(t.trim_end_matches(".service")))
    {
        a.flag(
            ExecClass::KillCriticalProcess,
            &c.s.segment,
            c.parts.clone(),
        );
    }
}

/// Package scripts run on install: `npm set-script postinstall 'cmd'`,
/// `npm pkg set scripts.postinstall='cmd'`.
pub(super) fn npm_scripts(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let words: Vec<&str> = c.s.texts().collect();
    let mut commands: Vec<&str> = Vec::new();
    if let Some(i) = words.iter().position(|t| *t == "set-script") {
        commands.extend(words.get(i + 2));
    }
    if words.windows(2).any(|w| w == ["pkg", "set"]) {
        commands.extend(
            words
                .iter()
                .filter(|t| t.starts_with("scripts."))
                .filter_map(|t| t.split_once('=').map(|(_, v)| v)),
        );
    }
    for command in commands {
        let _ = a.nested(command, c.depth + 1, state);
    }
}
