//! `examples/hostguard.toml` against the code: it loads with no error or warning, every key a
//! config file can set is in it with the default, allowed values and environment variable the
//! loader has, and every live value is the default unless its comment says it differs. The
//! list of keys comes from `ConfigField::ALL`, so adding or renaming a key (or its variable)
//! without updating the example fails here.

use std::path::{Path, PathBuf};

use hostguard_manager::{CliOverrides, ConfigError, ConfigField, ConfigSource, ResolvedRiskConfig};
use serde_json::Value;

use super::support::*;

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hostguard.toml")
}

/// Whether a config source may set `field` at all: the loader refuses a field that is not a
/// setting (`enforce`) from the environment before it parses the value.
fn settable(field: ConfigField) -> bool {
    let env = [(field.env_var(), "true")];
    !matches!(
        ResolvedRiskConfig::load(None, env, &CliOverrides::default()),
        Err(ConfigError::NotASetting { .. })
    )
}

/// `config explain --json` rows by field name.
fn explain(args: &[&str]) -> Vec<Value> {
    let out = hostguard(args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "", "a warning or error while loading");
    let rows: Value = serde_json::from_str(&out.stdout).unwrap();
    rows.as_array().unwrap().clone()
}

fn row(rows: &[Value], field: ConfigField) -> &Value {
    rows.iter()
        .find(|r| r["field"] == field.as_str())
        .unwrap_or_else(|| unreachable!("config explain has no row for `{field}`"))
}

/// The comment paragraph (lines up to a blank line) holding the line that sets `key`, live
/// (`key = …`) or commented out (`# key = …`), and whether it is live.
fn paragraph_of<'a>(text: &'a str, key: &str) -> Option<(&'a str, bool)> {
    text.split("\n\n").find_map(|para| {
        para.lines().find_map(|line| {
            let live = line.strip_prefix(key).is_some_and(is_assignment);
            let commented = line
                .strip_prefix("# ")
                .and_then(|l| l.strip_prefix(key))
                .is_some_and(is_assignment);
            (live || commented).then_some((para, live))
        })
    })
}

fn is_assignment(rest: &str) -> bool {
    rest.trim_start().starts_with('=')
}

/// The value of a `#   name: value` line of a paragraph.
fn documented<'a>(para: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    para.lines()
        .filter_map(|l| l.strip_prefix('#').map(str::trim))
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::trim)
}

#[test]
fn example_config_loads_without_error_through_the_library() {
    let path = example_path();
    let contents = std::fs::read_to_string(&path).unwrap();
    let file = hostguard_manager::ConfigFile {
        name: "examples/hostguard.toml",
        contents: &contents,
    };
    let none = std::iter::empty::<(&str, &str)>();
    let resolved = ResolvedRiskConfig::load(Some(file), none, &CliOverrides::default());
    assert!(resolved.is_ok(), "{resolved:?}");
}

#[test]
fn example_config_documents_every_settable_key_with_the_loaders_default_range_and_env() {
    let path = example_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let defaults = explain(&["config", "explain", "--json"]);
    let loaded = explain(&["config", "explain", "--config", s(&path), "--json"]);
    let file_source = serde_json::to_value(ConfigSource::File(path.display().to_string())).unwrap();
    let default_source = serde_json::to_value(ConfigSource::Default).unwrap();
    let mut checked = 0;
    for field in ConfigField::ALL {
        let key = field.as_str();
        let got = row(&loaded, field);
        if !settable(field) {
            // `enforce`: mentioned in a comment at most, never set.
            assert!(paragraph_of(&text, key).is_none(), "`{key}` is set");
            assert_eq!(got["source"], default_source, "`{key}`");
            continue;
        }
        let (para, live) = paragraph_of(&text, key)
            .unwrap_or_else(|| unreachable!("examples/hostguard.toml lacks key `{key}`"));
        let default = row(&defaults, field)["value"].as_str().unwrap();
        assert_eq!(documented(para, "allowed"), Some(field.allowed()), "{key}");
        assert_eq!(documented(para, "default"), Some(default), "{key}");
        assert_eq!(documented(para, "env"), Some(field.env_var()), "{key}");
        let expected_source = if live { &file_source } else { &default_source };
        assert_eq!(&got["source"], expected_source, "`{key}`");
        // A value other than the default is a choice the comment states.
        let differs = para.contains("differs from the default");
        assert_eq!(got["value"] != default, differs, "`{key}`: {got}");
        checked += 1;
    }
    assert_eq!(
        checked,
        ConfigField::ALL.len() - 1,
        "one field is not a setting"
    );
}

#[test]
fn example_config_sets_no_key_the_code_does_not_know() {
    // Every assignment in the file, live or commented out, is a key of ConfigField::ALL, so a
    // renamed key cannot linger in the example under its old name.
    let text = std::fs::read_to_string(example_path()).unwrap();
    for line in text.lines() {
        let code = line.strip_prefix("# ").unwrap_or(line);
        let Some((key, _)) = code.split_once(" = ") else {
            continue;
        };
        if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            assert!(ConfigField::from_key(key).is_some(), "unknown key `{key}`");
        }
    }
}
