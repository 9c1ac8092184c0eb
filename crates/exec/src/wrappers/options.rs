//! Reading a wrapper's own options: how many words they take (short clusters, long options
//! and their abbreviations, `--`), the value of one flag, `env`'s and `nice`'s dialects, and
//! leading `NAME=value` words.

use crate::Arg;

/// `-c value` / `-cvalue` / `--long value` / `--long=value` of `su`-like programs.
pub(super) fn flag_value(rest: &[Arg], short: char, long: &str) -> Option<(String, bool)> {
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        let t = arg.text.as_str();
        if t.starts_with("--") {
            match crate::stage::long_option(t, long) {
                Some(Some(v)) => return Some((v.to_owned(), arg.fetch)),
                Some(None) => return iter.next().map(|a| (a.text.clone(), a.fetch)),
                None => {}
            }
        } else if let Some(cluster) = t.strip_prefix('-') {
            if let Some(at) = cluster.find(short) {
                let attached = cluster.get(at + short.len_utf8()..).unwrap_or("");
                if !attached.is_empty() {
                    return Some((attached.to_owned(), arg.fetch));
                }
                return iter.next().map(|a| (a.text.clone(), a.fetch));
            }
        }
    }
    None
}

/// Number of option words at the start of `rest`: short clusters (`-abc`), where a letter of
/// `with_value` takes the rest of the cluster or the next word; long options (`--x=v`, or
/// `--x v` when `x` is in `long_with_value`); `--` ends options (and is consumed).
pub(super) fn options(rest: &[Arg], with_value: &str, long_with_value: &[&str]) -> Option<usize> {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return Some(i + 1);
        }
        if let Some(long) = t.strip_prefix("--") {
            i += 1;
            // Abbreviations count (`sudo --us root`), as getopt_long accepts them.
            if !long.contains('=') && long_with_value.iter().any(|l| l.starts_with(long)) {
                i += 1;
            }
            continue;
        }
        let Some(cluster) = t.strip_prefix('-').filter(|c| !c.is_empty()) else {
            return Some(i);
        };
        i += 1;
        if let Some(at) = cluster.find(|c: char| with_value.contains(c)) {
            if cluster.len() == at + 1 {
                i += 1;
            }
        }
    }
    Some(i)
}

/// `nice -n 5`, `nice -5`, `nice --adjustment=5`, `nice --adjustment 5` (long options may be
/// abbreviated: `--adj 5`).
pub(super) fn nice_options(rest: &[Arg]) -> Option<usize> {
    match rest.first().map(|a| a.text.as_str()) {
        Some("-n") => Some(2),
        Some(t) if t.len() > 2 && "--adjustment".starts_with(t) => Some(2),
        Some(t) if t.starts_with("-n") || t.starts_with("--adj") => Some(1),
        Some(t)
            if t.starts_with('-')
                && t.len() > 1
                && t.bytes().skip(1).all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            Some(1)
        }
        _ => Some(0),
    }
}

/// `env` options; `-S string` / `--split-string=string` returns the string as a script.
pub(super) fn env_options(rest: &[Arg]) -> (usize, Option<(String, bool)>) {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return (i + 1, None);
        }
        if t.starts_with("--") {
            use crate::stage::long_option;
            i += 1;
            // Long options may be abbreviated (`--split-s=…`, `--ch /`).
            match long_option(t, "split-string") {
                Some(Some(v)) if t.len() > 3 => return (i, Some((v.to_owned(), arg.fetch))),
                Some(None) if t.len() > 3 => {
                    let tail = rest.get(i..).unwrap_or(&[]);
                    return (i, Some((join(tail), tail.iter().any(|a| a.fetch))));
                }
                _ => {}
            }
            let takes_value = ["unset", "chdir"]
                .iter()
                .any(|l| long_option(t, l) == Some(None));
            if takes_value {
                i += 1;
            }
            continue;
        }
        if t == "-" {
            i += 1;
            continue;
        }
        let Some(cluster) = t.strip_prefix('-') else {
            return (i, None);
        };
        i += 1;
        if let Some(at) = cluster.find(['u', 'C', 'S']) {
            let is_split = cluster.get(at..).is_some_and(|c| c.starts_with('S'));
            let attached = cluster.get(at + 1..).unwrap_or("");
            if is_split {
                let mut script = attached.to_owned();
                let tail = rest.get(i..).unwrap_or(&[]);
                if !tail.is_empty() {
                    if !script.is_empty() {
                        script.push(' ');
                    }
                    script.push_str(&join(tail));
                }
                return (
                    rest.len(),
                    Some((script, arg.fetch || tail.iter().any(|a| a.fetch))),
                );
            }
            if attached.is_empty() {
                i += 1;
            }
        }
    }
    (i, None)
}

/// Number of leading `NAME=value` words.
pub(crate) fn assignments(rest: &[Arg]) -> usize {
    rest.iter().take_while(|a| is_assignment(&a.text)).count()
}

/// `NAME=value` / `NAME+=value`.
pub(crate) fn is_assignment(word: &str) -> bool {
    let Some(eq) = word.find('=') else {
        return false;
    };
    let name = word.get(..eq).unwrap_or("");
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn join(args: &[Arg]) -> String {
    let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    words.join(" ")
}
