//! What the earlier commands of a script established ([`SeqState`]): literal variables and
//! positional parameters, aliases and functions defined in the line, the working directory
//! when statically known, and the files downloaded so far (a later command running one is a
//! download-and-execute).

use std::rc::Rc;

use crate::analysis::Arg;
use crate::facts::{is_root_or_home, normalise, strip_dot, url_basename, DOWNLOADERS};
use crate::lex::RedirKind;
use crate::stage::Stage;
use crate::wrappers::{INTERPRETERS, SHELLS};

/// Aliases live among the variables under this prefix (not a valid variable name).
pub(crate) const ALIAS_PREFIX: &str = "alias:";

/// What the earlier commands of a script established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SeqState {
    /// Literal assignments (`a=rm`), latest last; bounded. Shared with nested scripts that
    /// inherit this state until one of them assigns.
    pub vars: Rc<Vec<(String, Arg)>>,
    /// The working directory when statically known (absolute, normalised).
    pub(super) cwd: Option<String>,
    /// The one before the last `cd` (for `cd -`).
    pub(super) oldpwd: Option<String>,
    /// Files downloaded so far (as written, normalised) and the simple command that did it.
    pub(super) downloads: Vec<(String, usize)>,
    /// Functions defined (name, body source), latest last.
    pub(super) functions: Rc<Vec<(String, String)>>,
}

const MAX_VARS: usize = 64;
/// Longest variable value tracked (`a=$a$a` doubling must not grow without bound).
const MAX_VAR_BYTES: usize = 4096;

impl SeqState {
    pub(crate) fn assign(&mut self, assigns: &[Arg]) {
        if assigns.is_empty() {
            return;
        }
        let vars = Rc::make_mut(&mut self.vars);
        for a in assigns {
            if let Some((name, value)) = a.text.split_once('=') {
                let append = name.ends_with('+');
                let name = name.trim_end_matches('+');
                // `a+=m` appends to the value known so far.
                let joined;
                let value = match vars.iter().rev().find(|(n, _)| n == name) {
                    Some((_, old)) if append => {
                        joined = format!("{}{value}", old.text);
                        joined.as_str()
                    }
                    _ => value,
                };
                if value.len() > MAX_VAR_BYTES {
                    // Too long to track: the variable becomes unknown.
                    vars.retain(|(n, _)| n != name);
                    continue;
                }
                if vars.len() >= MAX_VARS {
                    vars.remove(0);
                }
                vars.push((
                    name.to_owned(),
                    Arg {
                        text: value.to_owned(),
                        fetch: a.fetch,
                        critical_pid: a.critical_pid,
                        content: None,
                        shell_sink: a.shell_sink,
                    },
                ));
            }
        }
    }
}

impl SeqState {
    /// The value of alias `name`, when defined earlier.
    pub(crate) fn alias(&self, name: &str) -> Option<&str> {
        if name.is_empty() {
            return None;
        }
        let key = format!("{}{name}", ALIAS_PREFIX);
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| v.text.as_str())
    }

    /// The body of function `name`, when defined.
    pub(crate) fn function(&self, name: &str) -> Option<&str> {
        self.functions
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_str())
    }

    /// Defines function `name`.
    pub(crate) fn define_function(&mut self, name: &str, body: &str) {
        let functions = Rc::make_mut(&mut self.functions);
        if functions.len() >= MAX_VARS {
            functions.remove(0);
        }
        functions.push((name.to_owned(), body.to_owned()));
    }

    /// Forgets function `name`.
    pub(crate) fn forget_function(&mut self, name: &str) {
        if self.functions.iter().any(|(n, _)| n == name) {
            Rc::make_mut(&mut self.functions).retain(|(n, _)| n != name);
        }
    }

    /// Forgets alias `name`.
    pub(crate) fn unalias(&mut self, name: &str) {
        let key = format!("{}{name}", ALIAS_PREFIX);
        Rc::make_mut(&mut self.vars).retain(|(n, _)| *n != key);
    }

    /// `for NAME in values…` / `select NAME in values…`: the variable takes every value in
    /// turn; rules judge all of them at once (`for d in / ~; do rm -rf "$d"; done`).
    pub(crate) fn assign_list(&mut self, name: &str, values: &[Arg]) {
        let sep = super::classify::LIST_SEP.to_string();
        let texts: Vec<&str> = values.iter().map(|a| a.text.as_str()).collect();
        let assignment = Arg {
            text: format!("{name}={}", texts.join(&sep)),
            fetch: values.iter().any(|a| a.fetch),
            critical_pid: values.iter().any(|a| a.critical_pid),
            content: None,
            shell_sink: false,
        };
        self.assign(std::slice::from_ref(&assignment));
    }
}

impl SeqState {
    pub(super) fn cd(&mut self, target: Option<&str>) {
        let previous = self.cwd.clone();
        self.cwd = match target {
            // `cd -`: back to the previous directory.
            Some("-") => self.oldpwd.clone(),
            None | Some("~") => Some("/home/~".to_owned()),
            Some(t) => {
                let n = normalise(t);
                if n.starts_with('/') {
                    Some(n)
                } else {
                    self.cwd.as_ref().map(|c| normalise(&format!("{c}/{t}")))
                }
            }
        };
        self.oldpwd = previous;
        // `$PWD` follows a known working directory (`cd / && rm -rf "$PWD"/*`).
        let pwd = self.cwd.clone().unwrap_or_default();
        if pwd.is_empty() {
            if self.vars.iter().any(|(n, _)| n == "PWD") {
                Rc::make_mut(&mut self.vars).retain(|(n, _)| n != "PWD");
            }
        } else {
            self.assign(&[Arg::plain(&format!("PWD={pwd}"))]);
        }
    }

    /// `set -- a b c` (or `set a b c`): the positional parameters `$1`…, `$@`, `$*`, `$#`.
    pub(crate) fn set_positional(&mut self, args: &[Arg]) {
        let values = match args.first() {
            Some(a) if a.text == "--" => args.get(1..).unwrap_or(&[]),
            Some(a) if !a.text.starts_with(['-', '+']) => args,
            _ => return,
        };
        // `$1`…`$9`, empty past the last value.
        let mut assigns: Vec<Arg> = (0..9)
            .map(|n| match values.get(n) {
                Some(a) => Arg {
                    text: format!("{}={}", n + 1, a.text),
                    ..a.clone()
                },
                None => Arg::plain(&format!("{}=", n + 1)),
            })
            .collect();
        let texts: Vec<&str> = values.iter().map(|a| a.text.as_str()).collect();
        assigns.push(Arg::plain(&format!("*={}", texts.join(" "))));
        assigns.push(Arg::plain(&format!("#={}", values.len())));
        self.assign(&assigns);
        self.assign_list("@", values);
    }

    /// `t` resolved against the working directory when that is known and `t` is relative.
    pub(super) fn resolve(&self, t: &str) -> String {
        match &self.cwd {
            Some(cwd) if !t.starts_with('/') && !t.starts_with('~') && !t.starts_with('$') => {
                format!("{cwd}/{t}")
            }
            _ => t.to_owned(),
        }
    }

    /// `t` (resolved against a known working directory) is `/`, a home or a system directory,
    /// or a glob of their entries.
    pub(super) fn is_root_or_home(&self, t: &str) -> bool {
        is_root_or_home(&self.resolve(t))
    }

    pub(super) fn record_downloads(&mut self, s: &Stage) {
        if !DOWNLOADERS.contains(&s.prog.as_str()) && s.is_fetcher() {
            // `nc h 1 > x`, `dig +short txt h > x`, `base64 -d p > x`: the output was fetched.
            for r in &s.redirs {
                if matches!(r.kind, RedirKind::Out | RedirKind::Append)
                    && r.target != "/dev/null"
                    && self.downloads.len() < MAX_VARS
                {
                    self.downloads
                        .push((strip_dot(&normalise(&r.target)), s.idx));
                }
            }
            return;
        }
        if !DOWNLOADERS.contains(&s.prog.as_str()) {
            // `curl … | tee f`, `wget -O- … | gunzip > f`: what it writes was downloaded.
            if s.upstream.as_ref().is_some_and(|u| u.downloader) {
                for f in s.written_paths() {
                    if f != "/dev/null" && self.downloads.len() < MAX_VARS {
                        self.downloads.push((strip_dot(&normalise(&f)), s.idx));
                    }
                }
            }
            return;
        }
        let urls: Vec<&str> = s.texts().filter(|t| t.contains("://")).collect();
        let mut files: Vec<String> = Vec::new();
        if let Some(o) = s.flag_value('o', "output") {
            files.push(o);
        }
        if let Some(o) = s.flag_value('O', "output-document") {
            files.push(o);
        } else if s.prog == "wget" || s.has_flag('O', "remote-name") {
            files.extend(urls.iter().filter_map(|u| url_basename(u)));
        }
        for r in &s.redirs {
            if matches!(r.kind, RedirKind::Out | RedirKind::Append) {
                files.push(r.target.clone());
            }
        }
        for f in files {
            if f != "-" && f != "/dev/null" && self.downloads.len() < MAX_VARS {
                self.downloads.push((strip_dot(&normalise(&f)), s.idx));
            }
        }
    }

    /// The simple command that downloaded what `s` executes.
    pub(super) fn executes_download(&self, s: &Stage) -> Option<usize> {
        if self.downloads.is_empty() {
            return None;
        }
        let find = |t: &str| {
            let t = strip_dot(&normalise(t));
            self.downloads
                .iter()
                .find(|(d, _)| {
                    *d == t
                        || d.rsplit('/').next() == Some(t.as_str())
                        || t.rsplit('/').next() == Some(d.as_str())
                })
                .map(|(_, idx)| *idx)
        };
        if let Some(idx) = find(&s.prog_text) {
            return Some(idx);
        }
        if s.reads_stdin() {
            // `sh < downloaded`.
            let fed = s
                .redirs
                .iter()
                .filter(|r| r.kind == RedirKind::In)
                .find_map(|r| find(&r.target));
            if fed.is_some() {
                return fed;
            }
        }
        let ops = s.operands();
        let matches = |t: &&str| find(t).is_some();
        let runs = match s.prog.as_str() {
            "chmod" => {
                let mode = ops.first().copied().unwrap_or("");
                let exec_mode = mode.contains('x')
                    || mode
                        .bytes()
                        .last()
                        .is_some_and(|b| matches!(b, b'1' | b'3' | b'5' | b'7'));
                exec_mode && ops.iter().skip(1).any(matches)
            }
            "source" | "." => ops.first().is_some_and(matches),
            p if SHELLS.contains(&p) || INTERPRETERS.contains(&p) => {
                ops.first().is_some_and(matches)
            }
            _ => false,
        };
        if !runs {
            return None;
        }
        let target = match s.prog.as_str() {
            "chmod" => ops.iter().skip(1).find(|t| matches(t)),
            _ => ops.first(),
        };
        target.and_then(|t| find(t))
    }
}
