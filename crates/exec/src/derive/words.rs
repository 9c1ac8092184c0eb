//! Reading a simple command's words for effects: operands and what they name (a remote end,
//! a host, an uploaded file, a mount source), whether it sends or recurses, permission modes,
//! the variables a word expands. Pure functions of the words, no catalog.

use crate::classes::{Class, Classes};
use crate::programs::{PathFlag, Program};
use crate::stage::Stage;

/// The host side of a container mount: `SRC:DST[:opts]` (a named volume, without a `/`, is
/// none), or the `source=`/`src=` of a `--mount` spec.
pub(super) fn mount_source(value: &str) -> Option<&str> {
    if value.contains("source=") || value.contains("src=") {
        return value.split(',').find_map(|kv| {
            kv.strip_prefix("source=")
                .or_else(|| kv.strip_prefix("src="))
        });
    }
    let source = value.split(':').next()?;
    (source.starts_with(['/', '~', '.', '$'])).then_some(source)
}

/// What `s` writes, when it is known before it runs: the output of `echo`, `printf` or `cat`
/// of a here-doc, or (for `tee`) the literal text piped into it.
pub(super) fn written_content(s: &Stage) -> Option<String> {
    let text = if s.prog == "tee" {
        s.stdin_script()
            .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()))
    } else {
        s.literal_output()
    };
    text.filter(|t| !t.is_empty())
}

/// The operands of `s` (see [`Program::operand_words`]).
pub(super) fn operands<'s>(program: &Program, s: &'s Stage) -> Vec<&'s str> {
    program.operand_words(s.texts())
}

/// Whether the command sends data: a send option, or a method option naming a writing method.
pub(super) fn sends(program: &Program, s: &Stage) -> bool {
    let texts: Vec<&str> = s.texts().collect();
    let flag_present = texts.iter().any(|t| {
        program.send_flags.iter().any(|f| {
            *t == f.as_str()
                || t.strip_prefix(f.as_str())
                    .is_some_and(|r| r.starts_with('='))
                || (f.len() == 2
                    && !f.starts_with("--")
                    && t.starts_with(f.as_str())
                    && t.len() > 2)
        })
    });
    let upload_flag = texts.iter().any(|t| {
        program
            .path_flags
            .iter()
            .any(|(f, w)| *w == PathFlag::Upload && (t == f || t.starts_with(&format!("{f}="))))
    });
    let method = texts.iter().enumerate().any(|(i, t)| {
        program.method_flags.iter().any(|f| {
            let value = if t == f {
                texts.get(i + 1).copied()
            } else {
                t.strip_prefix(f.as_str())
                    .map(|r| r.trim_start_matches('='))
            };
            value.is_some_and(|v| {
                matches!(v.to_ascii_uppercase().as_str(), "POST" | "PUT" | "PATCH")
            })
        })
    });
    flag_present || upload_flag || method
}

/// The file an upload option names: `@file`, `name=@file`, `name=<file`, or the value itself.
pub(super) fn uploaded_file(value: &str) -> Option<&str> {
    let v = value.rsplit_once("=@").map_or(value, |(_, f)| f);
    let v = v.rsplit_once("=<").map_or(v, |(_, f)| f);
    let v = v.strip_prefix('@').unwrap_or(v);
    let v = v.split(';').next().unwrap_or(v);
    (!v.is_empty() && v != "-").then_some(v)
}

/// `host:path` or `user@host:path` (not a URL, not a Windows drive, not a plain path).
pub(super) fn remote_spec(op: &str) -> Option<(&str, &str)> {
    if op.starts_with(['/', '.', '~']) || op.contains("://") {
        return None;
    }
    let (host, path) = op.split_once(':')?;
    let host_part = host.rsplit_once('@').map_or(host, |(_, h)| h);
    (host_part.len() > 1 && !host_part.contains('/') && looks_like_host(host_part))
        .then_some((host, path))
}

/// A host name or address: dotted, or an IPv6 literal, or `localhost`.
pub(super) fn looks_like_host(op: &str) -> bool {
    let h = op.rsplit_once('@').map_or(op, |(_, h)| h);
    !h.starts_with('-')
        && !h.contains('/')
        && (h.contains('.') || h.contains(':') || h == "localhost")
        && h.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

/// A source of zeros or random bytes: writing it over a file destroys the file.
pub(super) fn is_wipe_source(path: &str) -> bool {
    matches!(path, "/dev/zero" | "/dev/urandom" | "/dev/random")
}

/// `name:path` naming a configured remote (rclone): a word, a colon, anything.
pub(super) fn is_named_remote(op: &str) -> bool {
    let Some((name, _)) = op.split_once(':') else {
        return false;
    };
    !name.is_empty()
        && !op.starts_with(['/', '.', '~'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

pub(super) fn recursive(s: &Stage) -> bool {
    s.has_flag('r', "recursive") || s.has_flag('R', "recursive")
}

/// Mode qualifiers of `chmod MODE …` (`u+s`, `4755`, `+x`, `777`, `-R`).
pub(super) fn mode_classes(s: &Stage) -> Classes {
    let mut c = Classes::EMPTY;
    if recursive(s) {
        c = c.plus(Class::Recursive);
    }
    if s.prog != "chmod" {
        return c;
    }
    let mode = s.operands().first().copied().unwrap_or("");
    c.with(crate::classes::mode_classes(mode))
}

/// The variable names a word expands (`$NAME`, `${NAME}`, `${NAME:-x}`).
pub(super) fn expansions(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        let after = rest.get(at + 1..).unwrap_or("");
        let body = after.strip_prefix('{').unwrap_or(after);
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        if len > 0 {
            out.extend(body.get(..len));
        }
        rest = body.get(len.max(1)..).unwrap_or("");
        if out.len() >= 16 {
            break;
        }
    }
    out
}
