//! Rules from their TOML: id, title, ATT&CK ids, severity, conditions (every name checked
//! against the program families, methods, taint flags and finding classes) and examples.

use super::raw::{RawCondition, RawRule};
use crate::analysis::ExecClass;
use crate::catalog::matcher::{Condition, EffectPattern, Method, Taint};
use crate::catalog::{Example, Rule, Severity};
use crate::glob::WordGlob;
use crate::programs::ProgramTable;

pub(super) fn rule(file: &str, r: RawRule, programs: &ProgramTable) -> Result<Rule, String> {
    let valid_id = r.id.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && r.id
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.')
    });
    if !valid_id {
        return Err("id must be `tactic.name` in lower case".into());
    }
    if r.title.trim().is_empty() || r.why.trim().is_empty() {
        return Err("`title` and `why` must say something".into());
    }
    if r.attack.is_empty() {
        return Err("`attack` names no ATT&CK technique".into());
    }
    if let Some(bad) = r.attack.iter().find(|t| !is_attack_id(t)) {
        return Err(format!(
            "`{bad}` is not an ATT&CK technique id (`T1234` or `T1234.001`)"
        ));
    }
    let severity: Severity = Severity::from_name(&r.severity).ok_or_else(|| {
        format!(
            "severity `{}`: expected low, medium, high or critical",
            r.severity
        )
    })?;
    if r.when.is_empty() {
        return Err("`when` holds no condition".into());
    }
    let mut when = Vec::new();
    for (i, c) in r.when.into_iter().enumerate() {
        when.push(condition(c, programs).map_err(|m| format!("when[{i}]: {m}"))?);
    }
    if r.fire.is_empty() || r.pass.is_empty() {
        return Err("a rule needs at least one `fire` and one `pass` example".into());
    }
    let fire = r.fire.into_iter().map(example).collect::<Result<_, _>>()?;
    let pass = r.pass.into_iter().map(example).collect::<Result<_, _>>()?;
    Ok(Rule {
        id: r.id,
        title: r.title,
        why: r.why.split_whitespace().collect::<Vec<_>>().join(" "),
        attack: r.attack,
        severity,
        file: file.to_owned(),
        fire,
        pass,
        when,
    })
}

fn is_attack_id(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = rest.split_once('.').unwrap_or((rest, ""));
    main.len() == 4
        && main.bytes().all(|b| b.is_ascii_digit())
        && (sub.is_empty() || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit())))
}

pub(super) fn condition(c: RawCondition, programs: &ProgramTable) -> Result<Condition, String> {
    let patterns = |v: &[String]| -> Result<Vec<EffectPattern>, String> {
        v.iter().map(|t| EffectPattern::parse(t)).collect()
    };
    let mut family = 0u64;
    for f in &c.family {
        family |= programs
            .known_family(f)
            .ok_or_else(|| format!("unknown program family `{f}`"))?;
    }
    let mut methods = Vec::new();
    for m in &c.methods {
        methods.push(Method::from_name(m).ok_or_else(|| {
            format!("unknown method `{m}` (expected exec, fs, http, env, tool or other)")
        })?);
    }
    let mut taint = Taint::NONE;
    for t in &c.taint {
        taint = taint.with(
            Taint::from_name(t)
                .ok_or_else(|| format!("unknown taint `{t}` (expected secret or download)"))?,
        );
    }
    for f in &c.finding {
        if !ExecClass::ALL.iter().any(|k| k.as_str() == f) {
            return Err(format!("unknown exec finding class `{f}`"));
        }
    }
    let globs = |v: Vec<String>| -> Vec<WordGlob> { v.iter().map(|s| WordGlob::new(s)).collect() };
    let mut cond = Condition {
        effects: patterns(&c.effects)?,
        any_effect: patterns(&c.any_effect)?,
        no_effect: patterns(&c.no_effect)?,
        program: globs(c.program),
        family,
        family_names: c.family,
        args: globs(c.args),
        all_args: globs(c.all_args),
        no_args: globs(c.no_args),
        subcommand: globs(c.subcommand),
        wrapper: globs(c.wrapper),
        wrapper_args: globs(c.wrapper_args),
        methods,
        taint,
        finding: c.finding,
        needs: 0,
        any_needs: Vec::new(),
    };
    let selective = !cond.effects.is_empty()
        || !cond.any_effect.is_empty()
        || !cond.program.is_empty()
        || cond.family != 0
        || !cond.args.is_empty()
        || !cond.all_args.is_empty()
        || !cond.subcommand.is_empty()
        || !cond.wrapper.is_empty()
        || !cond.wrapper_args.is_empty()
        || !cond.finding.is_empty();
    if !selective {
        return Err(
            "a condition must name effects, programs, families, arguments or findings (it would match every call)".into(),
        );
    }
    cond.seal();
    Ok(cond)
}

fn example(v: toml::Value) -> Result<Example, String> {
    match v {
        toml::Value::String(s) => Ok(Example::Command(s)),
        toml::Value::Table(mut t) => {
            let method = match t.remove("method") {
                Some(toml::Value::String(m)) => m,
                _ => return Err("an example table needs a string `method`".into()),
            };
            let params = match t.remove("params") {
                Some(p @ toml::Value::Table(_)) => p,
                _ => return Err("an example table needs a `params` table".into()),
            };
            if let Some(key) = t.keys().next() {
                return Err(format!(
                    "unknown example key `{key}` (expected `method` and `params`)"
                ));
            }
            let params =
                serde_json::to_value(params).map_err(|e| format!("example params: {e}"))?;
            Ok(Example::Call { method, params })
        }
        _ => Err("an example is a command string or a table with `method`".into()),
    }
}
