//! Loading the catalog from TOML: every file may hold `[[rule]]`, `[[path]]`, `[[host]]`,
//! `[env]` and `[[program]]` tables. Unknown keys, unknown names (classes, verbs, families,
//! finding classes, methods, taint flags), duplicate rule ids, malformed ATT&CK ids, rules
//! without examples and conditions that would match everything are refused with an error that
//! names the file, the rule and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;

use super::matcher::{Condition, EffectPattern, Method, Taint};
use super::{Catalog, Example, Rule, Severity, ToolKind};
use crate::classes::{Class, Classes};
use crate::classify::ExecClass;
use crate::code::{Api, CodeTable};
use crate::envnames::EnvTable;
use crate::glob::{PathGlob, WordGlob, MAX_DOUBLE_STARS};
use crate::packages::{normalise, Ecosystem, PackageTable};
use crate::paths::{PathRule, PathTable};
use crate::programs::{PathFlag, Program, ProgramTable, Role};
use crate::urls::{HostName, HostRule, HostTable};

/// A catalog that does not load: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The file (`rules/NAME.toml`).
    pub file: String,
    /// The rule id or table, when the problem is inside one.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Some(item) => write!(f, "rules/{}: {}: {}", self.file, item, self.message),
            None => write!(f, "rules/{}: {}", self.file, self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    path: Vec<RawPath>,
    #[serde(default)]
    host: Vec<RawHost>,
    #[serde(default)]
    env: Option<RawEnv>,
    #[serde(default)]
    program: Vec<RawProgram>,
    #[serde(default)]
    code: Vec<RawCode>,
    #[serde(default)]
    family: Vec<RawFamily>,
    #[serde(default)]
    hidden: Option<RawHidden>,
    #[serde(default)]
    tool: Vec<RawTool>,
    #[serde(default)]
    ecosystem: Vec<RawEcosystem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEcosystem {
    name: String,
    programs: Vec<String>,
    popular: Vec<String>,
    #[serde(default)]
    squats: Vec<String>,
    verbs: Vec<String>,
    #[serde(default)]
    runners: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTool {
    kind: String,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHidden {
    known: Vec<String>,
    #[serde(default)]
    workspace: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    name: String,
    programs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    what: String,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    why: String,
    attack: Vec<String>,
    severity: String,
    when: Vec<RawCondition>,
    #[serde(default)]
    fire: Vec<toml::Value>,
    #[serde(default)]
    pass: Vec<toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default)]
    effects: Vec<String>,
    #[serde(default)]
    any_effect: Vec<String>,
    #[serde(default)]
    no_effect: Vec<String>,
    #[serde(default)]
    program: Vec<String>,
    #[serde(default)]
    family: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    all_args: Vec<String>,
    #[serde(default)]
    no_args: Vec<String>,
    #[serde(default)]
    subcommand: Vec<String>,
    #[serde(default)]
    wrapper: Vec<String>,
    #[serde(default)]
    wrapper_args: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    taint: Vec<String>,
    #[serde(default)]
    finding: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    class: Vec<String>,
    #[serde(default)]
    home: Vec<String>,
    #[serde(default)]
    absolute: Vec<String>,
    #[serde(default)]
    anywhere: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    class: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    addresses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    not_secret: Vec<String>,
    words: Vec<String>,
    last_words: Vec<String>,
    contains: Vec<String>,
    reference_words: Vec<String>,
    #[serde(default)]
    qualifier_words: Vec<String>,
    loader: Vec<String>,
    history: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    names: Vec<String>,
    #[serde(default)]
    operands: Option<String>,
    #[serde(default)]
    last_operand: Option<String>,
    #[serde(default)]
    urls: Option<String>,
    #[serde(default)]
    send_flags: Vec<String>,
    #[serde(default)]
    path_flags: BTreeMap<String, String>,
    #[serde(default)]
    detach_flags: Vec<String>,
    #[serde(default)]
    method_flags: Vec<String>,
    #[serde(default)]
    runs_script: bool,
    #[serde(default)]
    value_flags: Vec<String>,
    #[serde(default)]
    write_flags: Vec<String>,
    #[serde(default)]
    remotes: bool,
    #[serde(default)]
    first_operand: Option<String>,
    #[serde(default)]
    host_flags: Vec<String>,
    #[serde(default)]
    upload_to: Option<String>,
    #[serde(default)]
    reads_secrets: bool,
    #[serde(default)]
    secret_flags: Vec<String>,
}

/// Builds the catalog from `(file name, text)` pairs.
pub(super) fn load(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
    let mut parsed: Vec<(&str, RawFile)> = Vec::new();
    for (name, text) in files {
        let raw: RawFile = toml::from_str(text).map_err(|e| CatalogError {
            file: (*name).to_owned(),
            item: None,
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        parsed.push((name, raw));
    }
    // Programs first: rules name their families.
    let mut programs = ProgramTable::default();
    let mut paths = PathTable::default();
    let mut packages = PackageTable::default();
    let mut hosts = HostTable::default();
    let mut env: Option<EnvTable> = None;
    let mut code = CodeTable::default();
    let mut tools: BTreeMap<String, ToolKind> = BTreeMap::new();
    for (file, raw) in &mut parsed {
        for t in std::mem::take(&mut raw.tool) {
            let kind = ToolKind::from_name(&t.kind).ok_or_else(|| {
                err(
                    file,
                    "tool",
                    format!(
                        "`kind` `{}`: expected read, write, delete, move, list or fetch",
                        t.kind
                    ),
                )
            })?;
            for n in t.names {
                let key = super::tool_key(&n);
                if tools.insert(key, kind).is_some() {
                    return Err(err(file, "tool", format!("tool `{n}` is listed twice")));
                }
            }
        }
        for c in std::mem::take(&mut raw.code) {
            let api = Api::from_name(&c.what).ok_or_else(|| {
                let names: Vec<&str> = Api::NAMES.iter().map(|(_, n)| *n).collect();
                err(
                    file,
                    "code",
                    format!("`what` `{}`: expected one of {}", c.what, names.join(", ")),
                )
            })?;
            code.entries.push((
                api,
                c.names
                    .into_iter()
                    .map(|n| n.to_ascii_lowercase())
                    .collect(),
            ));
        }
        for p in std::mem::take(&mut raw.program) {
            add_program(&mut programs, p).map_err(|m| err(file, "program", m))?;
        }
        for f in std::mem::take(&mut raw.family) {
            let item = format!("family `{}`", f.name);
            let bit = programs
                .family_bit(&f.name)
                .ok_or_else(|| err(file, &item, "more than 64 program families".into()))?;
            for p in f.programs {
                *programs
                    .family_of
                    .entry(p.to_ascii_lowercase())
                    .or_default() |= bit;
            }
        }
        for p in std::mem::take(&mut raw.path) {
            paths
                .rules
                .push(path_rule(p).map_err(|m| err(file, "path", m))?);
        }
        for h in std::mem::take(&mut raw.host) {
            hosts
                .rules
                .push(host_rule(h).map_err(|m| err(file, "host", m))?);
        }
        for e in std::mem::take(&mut raw.ecosystem) {
            if packages.ecosystems.iter().any(|x| x.name == e.name) {
                return Err(err(
                    file,
                    "ecosystem",
                    format!("ecosystem `{}` is listed twice", e.name),
                ));
            }
            packages.ecosystems.push(Ecosystem {
                name: e.name,
                programs: e.programs.iter().map(|p| p.to_ascii_lowercase()).collect(),
                popular: e.popular.iter().map(|p| normalise(p)).collect(),
                squats: e.squats.iter().map(|p| normalise(p)).collect(),
                verbs: e.verbs,
                runners: e.runners.iter().map(|p| p.to_ascii_lowercase()).collect(),
            });
        }
        if let Some(h) = raw.hidden.take() {
            paths
                .known_dot_dirs
                .extend(h.known.into_iter().map(|k| k.to_ascii_lowercase()));
            paths
                .workspace_dot_names
                .extend(h.workspace.into_iter().map(|k| k.to_ascii_lowercase()));
        }
        if let Some(e) = raw.env.take() {
            if env.is_some() {
                return Err(err(file, "env", "a second `[env]` table".into()));
            }
            env = Some(env_table(e));
        }
    }
    let env = env.ok_or_else(|| err("classes.toml", "env", "no `[env]` table".into()))?;
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids = BTreeSet::new();
    for (file, raw) in parsed {
        for r in raw.rule {
            let id = r.id.clone();
            if !ids.insert(id.clone()) {
                return Err(err(
                    file,
                    &format!("rule `{id}`"),
                    "duplicate rule id".into(),
                ));
            }
            let rule =
                rule(file, r, &programs).map_err(|m| err(file, &format!("rule `{id}`"), m))?;
            rules.push(rule);
        }
    }
    paths.index();
    hosts.index();
    let conditions = super::ConditionIndex::build(&rules);
    Ok(Catalog {
        conditions,
        rules,
        paths,
        hosts,
        env,
        programs,
        code,
        packages,
        tools,
    })
}

fn err(file: &str, item: &str, message: String) -> CatalogError {
    CatalogError {
        file: file.to_owned(),
        item: Some(item.to_owned()),
        message,
    }
}

fn classes(names: &[String]) -> Result<Classes, String> {
    let mut set = Classes::EMPTY;
    for n in names {
        let c = Class::from_name(n).ok_or_else(|| format!("unknown class `{n}`"))?;
        set = set.plus(c);
    }
    if set.is_empty() {
        return Err("`class` names no class".into());
    }
    Ok(set)
}

fn path_globs(globs: &[String]) -> Vec<PathGlob> {
    globs.iter().map(|g| PathGlob::new(g)).collect()
}

fn path_rule(p: RawPath) -> Result<PathRule, String> {
    for g in p
        .home
        .iter()
        .chain(&p.absolute)
        .chain(&p.anywhere)
        .chain(&p.except)
    {
        if g.split('/').filter(|s| *s == "**").count() > MAX_DOUBLE_STARS {
            return Err(format!(
                "glob `{g}` has more than {MAX_DOUBLE_STARS} `**` segments"
            ));
        }
    }
    if let Some(g) = p.absolute.iter().find(|g| !g.starts_with('/')) {
        return Err(format!("`absolute` glob `{g}` does not start with `/`"));
    }
    if let Some(g) = p
        .home
        .iter()
        .find(|g| g.starts_with('/') || g.starts_with('~'))
    {
        return Err(format!(
            "`home` glob `{g}` must be relative to the home directory"
        ));
    }
    Ok(PathRule {
        class: classes(&p.class)?,
        home: path_globs(&p.home),
        absolute: path_globs(&p.absolute),
        anywhere: path_globs(&p.anywhere),
        except: path_globs(&p.except),
    })
}

fn host_rule(h: RawHost) -> Result<HostRule, String> {
    let mut names = Vec::new();
    for n in &h.names {
        names.push(HostName::parse(n).ok_or_else(|| format!("host name `{n}` is empty"))?);
    }
    let mut addresses = Vec::new();
    for a in &h.addresses {
        addresses.push(
            a.parse::<IpAddr>()
                .map_err(|_| format!("`{a}` is not an IP address"))?,
        );
    }
    Ok(HostRule {
        class: classes(&h.class)?,
        names,
        addresses,
    })
}

fn env_table(e: RawEnv) -> EnvTable {
    let up = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_uppercase()).collect();
    EnvTable {
        not_secret: up(e.not_secret),
        words: up(e.words),
        last_words: up(e.last_words),
        contains: up(e.contains),
        reference_words: up(e.reference_words),
        qualifier_words: up(e.qualifier_words),
        loader: up(e.loader),
        history: up(e.history),
    }
}

fn add_program(table: &mut ProgramTable, p: RawProgram) -> Result<(), String> {
    let role = |field: &str, v: &Option<String>| -> Result<Option<Role>, String> {
        v.as_deref()
            .map(|t| {
                Role::parse(t).ok_or_else(|| {
                    format!("`{field}` `{t}`: expected a verb, `host`, `name` or `none`")
                })
            })
            .transpose()
    };
    let urls = match p.urls.as_deref() {
        None | Some("fetch") => Some(crate::classes::Verb::Fetch),
        Some("send") => Some(crate::classes::Verb::Send),
        Some("none") => None,
        Some(other) => return Err(format!("`urls` `{other}`: expected fetch, send or none")),
    };
    let mut path_flags = Vec::new();
    for (flag, what) in p.path_flags {
        let f = PathFlag::parse(&what)
            .ok_or_else(|| format!("path flag `{flag}` = `{what}`: expected a verb or `upload`"))?;
        path_flags.push((flag, f));
    }
    let entry = Program {
        operands: role("operands", &p.operands)?.unwrap_or(Role::Path(crate::classes::Verb::Read)),
        last_operand: role("last_operand", &p.last_operand)?,
        urls,
        send_flags: p.send_flags,
        path_flags,
        detach_flags: p.detach_flags,
        method_flags: p.method_flags,
        runs_script: p.runs_script,
        value_flags: p.value_flags,
        write_flags: p.write_flags,
        remotes: p.remotes,
        first_operand: role("first_operand", &p.first_operand)?,
        host_flags: p.host_flags,
        upload_to: p.upload_to,
        reads_secrets: p.reads_secrets,
        secret_flags: p.secret_flags,
    };
    let index = table.programs.len();
    table.programs.push(entry);
    for name in p.names {
        let name = name.to_ascii_lowercase();
        if table.by_name.insert(name.clone(), index).is_some() {
            return Err(format!("program `{name}` is listed twice"));
        }
    }
    Ok(())
}

fn rule(file: &str, r: RawRule, programs: &ProgramTable) -> Result<Rule, String> {
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

fn condition(c: RawCondition, programs: &ProgramTable) -> Result<Condition, String> {
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
