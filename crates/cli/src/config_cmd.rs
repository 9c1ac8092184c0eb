//! `hostguard config explain`: the resolved risk config and where each field came from
//! (defaults < file < `HOSTGUARD_RISK_*` env < command line, docs/design.md §3).

use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    CliOverrides, ConfigError, ConfigField, ConfigFile, ConfigSource, ResolvedRiskConfig,
};

use crate::error::{CliError, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// Resolves the config from an optional file, the process environment and the CLI overrides.
/// Any error (unreadable file, bad value from any source) is bad input (exit 2).
pub fn resolve(file: Option<&Path>, cli: &CliOverrides) -> CliResult<ResolvedRiskConfig> {
    let resolved = resolve_with_env(file, cli, risk_env()?)?;
    for warning in resolved.warnings() {
        eprintln!("hostguard: warning: {warning}");
    }
    Ok(resolved)
}

/// The fields `file` sets that a `HOSTGUARD_RISK_*` variable of the process environment
/// overrides, as `(field, variable)`.
pub fn env_overrides_of_file(file: &Path) -> CliResult<Vec<(&'static str, String)>> {
    let none = CliOverrides::default();
    let file_only = resolve_with_env(Some(file), &none, std::iter::empty::<(String, String)>())?;
    let with_env = resolve_with_env(Some(file), &none, risk_env()?)?;
    Ok(ConfigField::ALL
        .into_iter()
        .filter_map(
            |field| match (file_only.source(field), with_env.source(field)) {
                (ConfigSource::File(_), ConfigSource::Env(var)) => {
                    Some((field.as_str(), var.clone()))
                }
                _ => None,
            },
        )
        .collect())
}

/// The process's `HOSTGUARD_RISK_*` variables (any other variable is none of ours, whatever
/// its bytes); one of ours whose name or value is not UTF-8 is bad input, never a panic.
fn risk_env() -> CliResult<Vec<(String, String)>> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else {
            continue; // not UTF-8: cannot be `HOSTGUARD_RISK_…`
        };
        if !name.starts_with(hostguard_manager::ENV_PREFIX) {
            continue;
        }
        let value = value
            .into_string()
            .map_err(|_| CliError::input(format!("environment variable `{name}` is not UTF-8")))?;
        vars.push((name.to_owned(), value));
    }
    Ok(vars)
}

fn resolve_with_env<I, K, V>(
    file: Option<&Path>,
    cli: &CliOverrides,
    env: I,
) -> CliResult<ResolvedRiskConfig>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let contents = match file {
        Some(path) => Some(read_text(path)?),
        None => None,
    };
    let name = file.map(|p| p.display().to_string());
    let config_file = match (&name, &contents) {
        (Some(name), Some(contents)) => Some(ConfigFile { name, contents }),
        _ => None,
    };
    ResolvedRiskConfig::load(config_file, env, cli).map_err(|e| {
        // `file:line:column: message` when the error is at a place in the file.
        let placed = config_file.and_then(|f| e.position_in(f).map(|at| (f.name, at)));
        CliError::input(match (&e, placed) {
            (ConfigError::MalformedFile { .. }, Some(_)) => e.to_string(),
            (_, Some((name, (line, column)))) => format!("{name}:{line}:{column}: {e}"),
            (_, None) => format!("config: {e}"),
        })
    })
}

/// Reads a text file; bytes that are not UTF-8 are bad input at their line and column.
fn read_text(path: &Path) -> CliResult<String> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("read", path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .unwrap_or_default();
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        CliError::at(
            path,
            line,
            column,
            "expected UTF-8 text (a TOML or JSON config)",
        )
    })
}

/// The human table: field, value, source, allowed values.
pub fn render(resolved: &ResolvedRiskConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:<12} {:<34} allowed",
        "field", "value", "source"
    );
    for line in resolved.explain() {
        let _ = writeln!(
            out,
            "{:<22} {:<12} {:<34} {}",
            line.field,
            line.value,
            line.source.to_string(),
            line.allowed
        );
    }
    if resolved.source(ConfigField::Enabled) == &ConfigSource::Default {
        let _ = writeln!(
            out,
            "note: no source sets `enabled`; a host gets `false`, but `hostguard run` and `what-if` enable the risk controller"
        );
    }
    out
}

/// `hostguard config explain [--config FILE] [flags] [--json]`.
pub fn explain(file: Option<&Path>, cli: &CliOverrides, json: bool) -> CliResult {
    let resolved = resolve(file, cli)?;
    if json {
        crate::outln!("{}", to_json_pretty(&resolved.explain())?)?;
    } else {
        crate::out!("{}", render(&resolved))?;
    }
    Ok(ExitKind::Ok)
}
