//! Loading the catalog from TOML: every file may hold `[[rule]]`, `[[path]]`, `[[host]]`,
//! `[env]`, `[[program]]`, `[[tool]]`, `[[tool_family]]` and the other tables of [`raw`]
//! (turned into tables by [`tables`], rules by [`rules`]). Unknown keys, unknown names
//! (classes, verbs, families, finding classes, methods, taint flags), duplicate rule ids,
//! malformed ATT&CK ids, rules without examples and conditions that would match everything are
//! refused with an error that names the file, the rule and the field.

mod error;
mod raw;
mod rules;
mod tables;

use std::collections::BTreeSet;

use super::{Catalog, Rule};
use error::err;
pub use error::CatalogError;
use raw::RawFile;
use tables::Tables;

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
    // Tables first: rules name program families.
    let mut tables = Tables::default();
    for (file, raw) in &mut parsed {
        tables.add(file, raw)?;
    }
    let Tables {
        programs,
        mut paths,
        packages,
        mut hosts,
        env,
        code,
        tools,
    } = tables;
    let env = env.ok_or_else(|| err("classes.toml", "env", "no `[env]` table".into()))?;
    let rules = all_rules(parsed, &programs)?;
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

/// Every file's rules, in file then declaration order; ids unique.
fn all_rules(
    parsed: Vec<(&str, RawFile)>,
    programs: &crate::programs::ProgramTable,
) -> Result<Vec<Rule>, CatalogError> {
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
            let rule = rules::rule(file, r, programs)
                .map_err(|m| err(file, &format!("rule `{id}`"), m))?;
            rules.push(rule);
        }
    }
    Ok(rules)
}
