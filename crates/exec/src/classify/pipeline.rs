//! What flows through a pipeline as the classifier walks it: a simple command's words after
//! expansion, the words `xargs` reads, what a stage sends on to the next, whether a pipeline
//! passes its stdin through, the outputs of successive pipelines, and the programs a globbed
//! or `python -m` program name stands for.

use std::rc::Rc;

use super::expand::{resolve_redir, resolve_word};
use crate::analysis::{Arg, RRedir, Summary, Upstream, MAX_COMMAND_BYTES};
use crate::lex::RedirKind;
use crate::parse::SimpleCommand;
use crate::seq::SeqState;
use crate::stage::Stage;
use crate::wrappers::{program_name, Unwrapped, SHELLS};

/// Where a simple command stands in its pipeline.
pub(super) struct Position<'u> {
    /// Its index in the pipeline.
    pub index: usize,
    /// What the earlier stages send it.
    pub upstream: &'u Rc<Upstream>,
    /// The pipeline ends in `&`.
    pub background: bool,
}

/// The words and redirections of `sc` after expansion.
pub(super) fn resolve_command(
    sc: &SimpleCommand,
    subs: &[Option<Summary>],
    at: &Position<'_>,
    state: &SeqState,
) -> (Vec<Arg>, Vec<RRedir>) {
    // In a function body `$FUNCNAME` is the function's own name.
    let with_funcname: Option<Vec<(String, Arg)>> = sc.in_function.as_ref().map(|f| {
        let mut vars = state.vars.as_ref().clone();
        vars.push(("FUNCNAME".to_owned(), Arg::plain(f)));
        vars
    });
    let vars = with_funcname.as_deref().unwrap_or(&state.vars);
    // `curl … | bash -c "$(cat)"`: a substitution that copies stdin reads the pipe.
    let stdin_fetch = at.index > 0 && at.upstream.fetch;
    let mut argv: Vec<Arg> = Vec::new();
    for word in &sc.words {
        resolve_word(word, subs, vars, stdin_fetch, &mut argv);
    }
    let redirs: Vec<RRedir> = sc
        .redirs
        .iter()
        .map(|r| resolve_redir(r, subs, vars, stdin_fetch))
        .collect();
    (argv, redirs)
}

/// `echo / | xargs rm -rf`, `xargs rm -rf <<< /`: the words xargs reads become arguments of
/// `inner` (the program and its words). What `find ROOT` prints lies under ROOT: its roots
/// stand for it (`find / -mindepth 1 | xargs rm -rf`).
pub(super) fn xargs_input(
    inner: &mut Vec<Arg>,
    unwrapped: &mut Unwrapped,
    redirs: &[RRedir],
    at: &Position<'_>,
) {
    let own = redirs.iter().rev().find_map(|r| match r.kind {
        RedirKind::HereString => Some(r.target.clone()),
        RedirKind::HereDoc => r.body.clone(),
        RedirKind::In => r.content.clone(),
        _ => None,
    });
    let piped = (at.index > 0)
        .then(|| {
            at.upstream
                .static_value
                .clone()
                .or_else(|| at.upstream.paths.clone())
        })
        .flatten();
    let Some(words) = own.or(piped) else {
        return;
    };
    let replace = unwrapped
        .xargs_replace
        .as_deref()
        .filter(|r| !r.is_empty() && inner.iter().skip(1).any(|a| a.text.contains(*r)));
    match replace {
        // `xargs -I{} sh -c 'rm -rf {}'`: each line replaces the string.
        Some(r) => {
            let line = words.lines().next().unwrap_or("").trim().to_owned();
            for a in inner.iter_mut().skip(1) {
                a.text = a.text.replace(r, &line);
            }
        }
        None => {
            inner.extend(words.split_whitespace().take(64).map(Arg::plain));
        }
    }
    // The shell script (and its `$1`…) now has its arguments.
    if let Some(first) = inner.first() {
        if SHELLS.contains(&program_name(&first.text).as_str()) {
            let rest = inner.get(1..).unwrap_or(&[]);
            unwrapped.scripts = crate::wrappers::shell_script(rest).into_iter().collect();
        }
    }
}

/// What stage `i` of a pipeline sends on: whether it fetches or downloads, its statically
/// known output (`$(pwd)` in a known directory, `echo x | base64 -d`), the paths it passes
/// through (`find ROOT | grep …`), and its part and segment.
pub(super) fn advance_upstream(up: &mut Upstream, stage: &Stage, i: usize, state: &SeqState) {
    up.fetch |= stage.is_fetcher();
    up.downloader |= stage.is_downloader();
    up.static_value = if i == 0 {
        match stage.prog.as_str() {
            "pwd" => state.cwd.clone(),
            _ => stage.literal_output(),
        }
    } else {
        up.static_value.take().and_then(|v| stage.transform(v))
    };
    up.paths = if i == 0 {
        (stage.prog == "find").then(|| stage.find_roots().join(" "))
    } else if matches!(
        stage.prog.as_str(),
        "grep" | "egrep" | "fgrep" | "sort" | "uniq" | "head" | "tail" | "cat" | "tee"
    ) {
        up.paths.take()
    } else {
        None
    };
    up.parts.push(stage.idx);
    if up.segment.len() < 200 {
        if !up.segment.is_empty() {
            up.segment.push_str(" | ");
        }
        up.segment.push_str(&stage.segment);
    }
}

/// Every stage copies its stdin to its output (`cat`, `tee`, `$(</dev/stdin)`).
pub(super) fn passes_stdin_through(stages: &[Stage]) -> bool {
    stages.iter().all(|st| {
        let from_stdin = st
            .redirs
            .iter()
            .filter(|r| r.kind == RedirKind::In)
            .all(|r| r.target == "/dev/stdin");
        from_stdin
            && match st.prog.as_str() {
                "cat" | "tee" => st
                    .operands()
                    .iter()
                    .all(|o| *o == "-" || *o == "/dev/stdin" || st.prog == "tee"),
                // `$(</dev/stdin)`
                "" => st.redirs.iter().any(|r| r.kind == RedirKind::In),
                _ => false,
            }
    })
}

/// The outputs of successive pipelines, while each is known.
pub(super) fn join_output(acc: Option<String>, out: Option<String>) -> Option<String> {
    match (acc, out) {
        (Some(mut acc), Some(o)) if acc.len() + o.len() < MAX_COMMAND_BYTES => {
            // `echo` ends its line: outputs of successive commands are separate lines.
            if !acc.is_empty() && !o.is_empty() && !acc.ends_with('\n') {
                acc.push('\n');
            }
            acc.push_str(&o);
            Some(acc)
        }
        _ => None,
    }
}

/// `python -m MODULE ARGS…` as the stage of `MODULE ARGS…` (pip, http.server, venv…); `None`
/// for anything else.
pub(super) fn module_stage(stage: &Stage) -> Option<Stage> {
    if !stage.prog.starts_with("python") {
        return None;
    }
    let at = stage.args.iter().position(|a| a.text == "-m")?;
    let module = stage.args.get(at + 1)?;
    let name = module
        .text
        .split('.')
        .next()
        .unwrap_or(&module.text)
        .to_ascii_lowercase();
    Some(Stage {
        prog: name,
        prog_text: module.text.clone(),
        args: stage.args.get(at + 2..).unwrap_or(&[]).to_vec(),
        ..stage.clone()
    })
}

/// Programs with rules, for globbed program names.
const RULE_PROGRAMS: &[&str] = &[
    "rm", "dd", "mkfs", "wipefs", "shred", "nc", "ncat", "socat", "crontab", "chmod", "chown",
    "shutdown", "reboot", "halt", "poweroff", "kill", "pkill", "killall", "curl", "wget", "bash",
    "sh", "python", "python3", "perl", "find", "git", "tee", "cp", "mv",
];

pub(super) fn glob_candidates(glob: &str) -> Vec<&'static str> {
    RULE_PROGRAMS
        .iter()
        .copied()
        .filter(|p| crate::policy::glob_match(glob, p))
        .take(8)
        .collect()
}
