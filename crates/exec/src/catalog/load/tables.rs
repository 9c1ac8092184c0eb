//! The catalog's tables from their TOML: tools, interpreter APIs, programs and their families,
//! paths, hosts, package ecosystems, hidden names and env names. Rules come after (they name
//! program families); see [`super::rules`].

use std::net::IpAddr;

use super::error::{err, CatalogError};
use super::raw::{RawEnv, RawFile, RawHost, RawPath, RawProgram, RawToolFamily};
use crate::catalog::tools::{family_key, tool_key, ToolFamily, ToolKind, ToolTable};
use crate::classes::{Class, Classes};
use crate::code_api::{Api, CodeTable};
use crate::envnames::EnvTable;
use crate::glob::{PathGlob, MAX_DOUBLE_STARS};
use crate::packages::{normalise, Ecosystem, PackageTable};
use crate::paths::{PathRule, PathTable};
use crate::programs::{PathFlag, Program, ProgramTable, Role};
use crate::urls::{HostName, HostRule, HostTable};

/// Every table but the rules, as the files fill them.
#[derive(Default)]
pub(super) struct Tables {
    pub programs: ProgramTable,
    pub paths: PathTable,
    pub packages: PackageTable,
    pub hosts: HostTable,
    pub env: Option<EnvTable>,
    pub code: CodeTable,
    pub tools: ToolTable,
}

impl Tables {
    /// Takes every table out of `raw` (file `file`), leaving its rules.
    pub(super) fn add(&mut self, file: &str, raw: &mut RawFile) -> Result<(), CatalogError> {
        self.add_tools(file, raw)?;
        for f in std::mem::take(&mut raw.tool_family) {
            self.add_tool_family(f)
                .map_err(|m| err(file, "tool_family", m))?;
        }
        self.add_code(file, raw)?;
        for p in std::mem::take(&mut raw.program) {
            add_program(&mut self.programs, p).map_err(|m| err(file, "program", m))?;
        }
        self.add_families(file, raw)?;
        for p in std::mem::take(&mut raw.path) {
            let rule = path_rule(p).map_err(|m| err(file, "path", m))?;
            self.paths.rules.push(rule);
        }
        for h in std::mem::take(&mut raw.host) {
            let rule = host_rule(h).map_err(|m| err(file, "host", m))?;
            self.hosts.rules.push(rule);
        }
        self.add_ecosystems(file, raw)?;
        if let Some(h) = raw.hidden.take() {
            self.paths
                .known_dot_dirs
                .extend(h.known.into_iter().map(|k| k.to_ascii_lowercase()));
            self.paths
                .workspace_dot_names
                .extend(h.workspace.into_iter().map(|k| k.to_ascii_lowercase()));
        }
        if let Some(e) = raw.env.take() {
            if self.env.is_some() {
                return Err(err(file, "env", "a second `[env]` table".into()));
            }
            self.env = Some(env_table(e));
        }
        Ok(())
    }

    fn add_tools(&mut self, file: &str, raw: &mut RawFile) -> Result<(), CatalogError> {
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
                if self.tools.kinds.insert(tool_key(&n), kind).is_some() {
                    return Err(err(file, "tool", format!("tool `{n}` is listed twice")));
                }
            }
        }
        Ok(())
    }

    fn add_tool_family(&mut self, f: RawToolFamily) -> Result<(), String> {
        let family = ToolFamily::from_name(&f.family)
            .ok_or_else(|| format!("`family` `{}`: expected shell, env or http", f.family))?;
        let keys = |v: Vec<String>| -> Result<Vec<String>, String> {
            v.into_iter()
                .map(|n| {
                    let key = family_key(&n);
                    if key.is_empty() {
                        Err(format!("tool family name `{n}` has no letter or digit"))
                    } else {
                        Ok(key)
                    }
                })
                .collect()
        };
        let entry = self.tools.families.entry(family).or_default();
        entry.names.extend(keys(f.names)?);
        entry.contains.extend(keys(f.contains)?);
        entry.prefixes.extend(keys(f.prefixes)?);
        Ok(())
    }

    fn add_code(&mut self, file: &str, raw: &mut RawFile) -> Result<(), CatalogError> {
        for c in std::mem::take(&mut raw.code) {
            let api = Api::from_name(&c.what).ok_or_else(|| {
                let names: Vec<&str> = Api::NAMES.iter().map(|(_, n)| *n).collect();
                err(
                    file,
                    "code",
                    format!("`what` `{}`: expected one of {}", c.what, names.join(", ")),
                )
            })?;
            let names = c
                .names
                .into_iter()
                .map(|n| n.to_ascii_lowercase())
                .collect();
            self.code.entries.push((api, names));
        }
        Ok(())
    }

    fn add_families(&mut self, file: &str, raw: &mut RawFile) -> Result<(), CatalogError> {
        for f in std::mem::take(&mut raw.family) {
            let item = format!("family `{}`", f.name);
            let bit = self
                .programs
                .family_bit(&f.name)
                .ok_or_else(|| err(file, &item, "more than 64 program families".into()))?;
            for p in f.programs {
                *self
                    .programs
                    .family_of
                    .entry(p.to_ascii_lowercase())
                    .or_default() |= bit;
            }
        }
        Ok(())
    }

    fn add_ecosystems(&mut self, file: &str, raw: &mut RawFile) -> Result<(), CatalogError> {
        for e in std::mem::take(&mut raw.ecosystem) {
            if self.packages.ecosystems.iter().any(|x| x.name == e.name) {
                return Err(err(
                    file,
                    "ecosystem",
                    format!("ecosystem `{}` is listed twice", e.name),
                ));
            }
            self.packages.ecosystems.push(Ecosystem {
                name: e.name,
                programs: e.programs.iter().map(|p| p.to_ascii_lowercase()).collect(),
                popular: e.popular.iter().map(|p| normalise(p)).collect(),
                squats: e.squats.iter().map(|p| normalise(p)).collect(),
                verbs: e.verbs,
                runners: e.runners.iter().map(|p| p.to_ascii_lowercase()).collect(),
            });
        }
        Ok(())
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
