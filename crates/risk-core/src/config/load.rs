//! Loading a [`RuntimeRiskConfig`] from its sources: defaults, then a file (TOML or JSON), then
//! `HOSTGUARD_RISK_*` environment variables, then the command line; each later source wins.
//!
//! Every value, whatever its source, goes through one text parser, so `"0.1"` and `0.1` in a
//! file, `HOSTGUARD_RISK_ALPHA=0.1` and `--alpha 0.1` mean the same and fail the same way.

use super::keys::{format_of, Format};
use super::{
    check_f64, check_int, ConfigError, ConfigField, ConfigSource, ResolvedRiskConfig,
    RuntimeRiskConfig,
};
use crate::hysteresis::BandProfile;
use crate::source_text::{char_column, json_message, json_top_level_keys, line_column};

/// The prefix of every environment variable the loader reads.
pub const ENV_PREFIX: &str = "HOSTGUARD_RISK_";

/// A config file, by name and contents (risk-core does no I/O: the caller reads it).
///
/// The format follows the name's extension (`.toml`, `.json`, case-insensitive); otherwise the
/// contents decide: a first non-blank `{` means JSON, anything else TOML. Keys are the field
/// names of [`RuntimeRiskConfig`]; unknown keys are errors; a missing key keeps the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigFile<'a> {
    /// The name to report in sources and errors (usually the path).
    pub name: &'a str,
    /// The file's contents.
    pub contents: &'a str,
}

/// Command-line overrides, as the user typed them (parsed here, so errors look the same as for
/// every other source). `None` leaves the field to lower sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliOverrides {
    /// `enabled`.
    pub enabled: Option<String>,
    /// `enforce`.
    pub enforce: Option<String>,
    /// `alpha`.
    pub alpha: Option<String>,
    /// `window_size`.
    pub window_size: Option<String>,
    /// `ledger_limit`.
    pub ledger_limit: Option<String>,
    /// `decision_timeout_ms`.
    pub decision_timeout_ms: Option<String>,
    /// `fail_closed`.
    pub fail_closed: Option<String>,
    /// `band_profile`.
    pub band_profile: Option<String>,
    /// `cooldown_calls`.
    pub cooldown_calls: Option<String>,
    /// `de_escalation_margin`.
    pub de_escalation_margin: Option<String>,
}

impl CliOverrides {
    /// The override of `field`, if any.
    pub fn get(&self, field: ConfigField) -> Option<&str> {
        match field {
            ConfigField::Enabled => self.enabled.as_deref(),
            ConfigField::Enforce => self.enforce.as_deref(),
            ConfigField::Alpha => self.alpha.as_deref(),
            ConfigField::WindowSize => self.window_size.as_deref(),
            ConfigField::LedgerLimit => self.ledger_limit.as_deref(),
            ConfigField::DecisionTimeoutMs => self.decision_timeout_ms.as_deref(),
            ConfigField::FailClosed => self.fail_closed.as_deref(),
            ConfigField::Profile => self.band_profile.as_deref(),
            ConfigField::CooldownCalls => self.cooldown_calls.as_deref(),
            ConfigField::DeEscalationMargin => self.de_escalation_margin.as_deref(),
        }
    }
}

impl ResolvedRiskConfig {
    /// Resolves the config from defaults < `file` < `env` < `cli`.
    ///
    /// `env` is every environment variable (the loader picks the `HOSTGUARD_RISK_*` ones; any
    /// other name with that prefix is an error). Errors are reported in source order (file, then
    /// env in field order, then CLI in field order); the first one is returned.
    ///
    /// ```
    /// use hostguard_risk_core::{CliOverrides, ConfigField, ConfigFile, ConfigSource, ResolvedRiskConfig};
    ///
    /// let file = ConfigFile { name: "risk.toml", contents: "alpha = 0.05\nwindow_size = 256" };
    /// let env = [("HOSTGUARD_RISK_WINDOW_SIZE", "512")];
    /// let cli = CliOverrides { enabled: Some("yes".into()), ..CliOverrides::default() };
    /// let resolved = ResolvedRiskConfig::load(Some(file), env, &cli)?;
    /// assert_eq!(resolved.config().window_size, 512);
    /// assert_eq!(resolved.source(ConfigField::Alpha), &ConfigSource::File("risk.toml".into()));
    /// assert_eq!(resolved.source(ConfigField::Enabled), &ConfigSource::Cli);
    ///
    /// let err = ResolvedRiskConfig::load(None, [("HOSTGUARD_RISK_ALPHA", "abc")], &cli).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "`alpha` value `abc` from env `HOSTGUARD_RISK_ALPHA` is not a number (allowed: [1e-6, 0.5])"
    /// );
    /// # Ok::<(), hostguard_risk_core::ConfigError>(())
    /// ```
    pub fn load<I, K, V>(
        file: Option<ConfigFile<'_>>,
        env: I,
        cli: &CliOverrides,
    ) -> Result<ResolvedRiskConfig, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut resolved = ResolvedRiskConfig::defaults();
        if let Some(file) = file {
            load_file(&mut resolved, file)?;
        }
        let mut vars = Vec::new();
        for (key, value) in env {
            let key = key.as_ref();
            if !key.starts_with(ENV_PREFIX) {
                continue;
            }
            let field = ConfigField::from_env_var(key)
                .or_else(|| ConfigField::from_legacy_env_var(key))
                .ok_or_else(|| ConfigError::UnknownEnvVar {
                    var: key.to_owned(),
                })?;
            vars.push((field, key.to_owned(), value.as_ref().to_owned()));
        }
        // Deterministic error order whatever order the environment lists variables in.
        vars.sort();
        refuse_both_names(&vars, ConfigField::env_var, "the environment")?;
        for (field, var, value) in vars {
            if var != field.env_var() {
                resolved.warn_legacy(&var, field.env_var(), "environment");
            }
            set(&mut resolved, field, Some(&value), ConfigSource::Env(var))?;
        }
        for field in ConfigField::ALL {
            if let Some(value) = cli.get(field) {
                set(&mut resolved, field, Some(value), ConfigSource::Cli)?;
            }
        }
        Ok(resolved)
    }
}

fn load_file(resolved: &mut ResolvedRiskConfig, file: ConfigFile<'_>) -> Result<(), ConfigError> {
    let path = file.name.to_owned();
    let entries = match format_of(file.name, file.contents) {
        Format::Toml => toml_entries(file, &path)?,
        Format::Json => json_entries(file, &path)?,
    };
    apply_entries(resolved, entries, &path)
}

/// A TOML file's top-level (key, value) pairs.
fn toml_entries(file: ConfigFile<'_>, path: &str) -> Result<Vec<(String, Scalar)>, ConfigError> {
    let table: toml::Table = toml::from_str(file.contents).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(file.contents, span.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ConfigError::MalformedFile {
            path: path.to_owned(),
            format: "toml",
            line,
            column,
            message: e.message().trim().replace('\n', "; "),
        }
    })?;
    Ok(table
        .into_iter()
        .map(|(k, v)| (k, toml_scalar(&v)))
        .collect())
}

/// A JSON file's top-level (key, value) pairs, sorted by key; a repeated key is an error.
fn json_entries(file: ConfigFile<'_>, path: &str) -> Result<Vec<(String, Scalar)>, ConfigError> {
    let malformed = |line, column, message| ConfigError::MalformedFile {
        path: path.to_owned(),
        format: "json",
        line,
        column,
        message,
    };
    let value: serde_json::Value = serde_json::from_str(file.contents).map_err(|e| {
        let column = char_column(file.contents, e.line(), e.column());
        malformed(Some(e.line()), Some(column), json_message(&e))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(malformed(
            None,
            None,
            "the top level must be an object".to_owned(),
        ));
    };
    // serde_json keeps the last of two equal keys: find a repeated one ourselves
    // (TOML refuses one on its own), so no value is dropped unseen.
    let mut seen = std::collections::BTreeSet::new();
    let repeated = json_top_level_keys(file.contents)
        .into_iter()
        .find(|(k, _)| !seen.insert(k.clone()));
    if let Some((key, offset)) = repeated {
        let (line, column) = line_column(file.contents, offset);
        return Err(malformed(
            Some(line),
            Some(column),
            format!("duplicate key `{key}`"),
        ));
    }
    let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, json_scalar(&v))).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// Sets every field a file names, in field order; an unknown key is refused before any value
/// is parsed, so a typo is reported even when another value is also wrong.
fn apply_entries(
    resolved: &mut ResolvedRiskConfig,
    entries: Vec<(String, Scalar)>,
    path: &str,
) -> Result<(), ConfigError> {
    let field_of = |k: &str| ConfigField::from_key(k).or_else(|| ConfigField::from_legacy_key(k));
    if let Some((key, _)) = entries.iter().find(|(k, _)| field_of(k).is_none()) {
        return Err(ConfigError::UnknownKey {
            key: key.clone(),
            path: path.to_owned(),
        });
    }
    let mut by_field: Vec<(ConfigField, String, Scalar)> = entries
        .into_iter()
        .filter_map(|(k, v)| field_of(&k).map(|f| (f, k, v)))
        .collect();
    by_field.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let place = format!("config file `{path}`");
    refuse_both_names(&by_field, ConfigField::as_str, &place)?;
    for (field, key, scalar) in by_field {
        if key != field.as_str() {
            resolved.warn_legacy(&key, field.as_str(), &place);
        }
        let origin = ConfigSource::File(path.to_owned());
        match scalar {
            Scalar::Text(text) => set(resolved, field, Some(&text), origin)?,
            Scalar::Null => set(resolved, field, None, origin)?,
            Scalar::Composite(shown) => return Err(type_error(field, &shown, origin)),
        }
    }
    Ok(())
}

/// Refuses a source that sets one field under both its name and an old one; `entries` are
/// sorted by field.
fn refuse_both_names<T>(
    entries: &[(ConfigField, String, T)],
    name: fn(ConfigField) -> &'static str,
    place: &str,
) -> Result<(), ConfigError> {
    for pair in entries.windows(2) {
        if let [(a, a_name, _), (b, b_name, _)] = pair {
            if a == b {
                let old = if a_name == name(*a) { b_name } else { a_name };
                return Err(ConfigError::NameTwice {
                    new: name(*a),
                    old: old.clone(),
                    place: place.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// A file value, reduced to what the text parser needs.
enum Scalar {
    /// A string, number or boolean, as text.
    Text(String),
    /// JSON `null` (allowed for `profile` only: follow the policy profile).
    Null,
    /// An array, table or date, rendered for the error message.
    Composite(String),
}

fn toml_scalar(value: &toml::Value) -> Scalar {
    match value {
        toml::Value::String(s) => Scalar::Text(s.clone()),
        toml::Value::Integer(i) => Scalar::Text(i.to_string()),
        // `Debug` keeps the `.0` of `128.0`, so a float is never taken for an integer.
        toml::Value::Float(f) => Scalar::Text(format!("{f:?}")),
        toml::Value::Boolean(b) => Scalar::Text(b.to_string()),
        toml::Value::Datetime(_) | toml::Value::Array(_) | toml::Value::Table(_) => {
            Scalar::Composite(value.to_string())
        }
    }
}

fn json_scalar(value: &serde_json::Value) -> Scalar {
    match value {
        serde_json::Value::Null => Scalar::Null,
        serde_json::Value::String(s) => Scalar::Text(s.clone()),
        // serde_json reads an integer beyond u64/i64 as a float (`1.8446744073709552e19`): past
        // 2^53 every float is integral, so show it as the integer it is — then the error says
        // "out of range", not "not an integer".
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.is_finite() && f.abs() >= 9_007_199_254_740_992.0 => {
                Scalar::Text(format!("{f:.0}"))
            }
            _ => Scalar::Text(n.to_string()),
        },
        serde_json::Value::Bool(b) => Scalar::Text(b.to_string()),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Scalar::Composite(value.to_string())
        }
    }
}

/// Parses `value` for `field` and records `origin`. `None` (JSON null) unsets the profile and is
/// a type error for every other field.
fn set(
    resolved: &mut ResolvedRiskConfig,
    field: ConfigField,
    value: Option<&str>,
    origin: ConfigSource,
) -> Result<(), ConfigError> {
    let config: &mut RuntimeRiskConfig = &mut resolved.config;
    let Some(raw) = value else {
        if field == ConfigField::Profile {
            config.profile = None;
            resolved.sources.set(field, origin);
            return Ok(());
        }
        return Err(type_error(field, "null", origin));
    };
    let text = raw.trim();
    match field {
        ConfigField::Enabled => config.enabled = parse_bool(field, raw, &origin)?,
        // `enforce` follows the rollout phase. A file may hold it (a serialized config loads
        // back; the value is recorded, never used), a variable or a flag someone set to
        // change enforcement is refused with the reason.
        ConfigField::Enforce if matches!(origin, ConfigSource::File(_)) => {
            config.enforce = parse_bool(field, raw, &origin)?;
        }
        ConfigField::Enforce => {
            return Err(ConfigError::NotASetting {
                field,
                value: raw.to_owned(),
                origin,
            })
        }
        ConfigField::FailClosed => config.fail_closed = parse_bool(field, raw, &origin)?,
        ConfigField::Alpha => config.alpha = parse_f64(field, raw, &origin)?,
        ConfigField::DeEscalationMargin => {
            config.de_escalation_margin = parse_f64(field, raw, &origin)?;
        }
        ConfigField::WindowSize => config.window_size = parse_int(field, raw, &origin)?,
        ConfigField::LedgerLimit => config.ledger_limit = parse_int(field, raw, &origin)?,
        ConfigField::DecisionTimeoutMs => {
            config.decision_timeout_ms = parse_int(field, raw, &origin)?;
        }
        ConfigField::CooldownCalls => config.cooldown_calls = parse_int(field, raw, &origin)?,
        ConfigField::Profile => {
            config.profile =
                Some(
                    BandProfile::parse(text).ok_or_else(|| ConfigError::UnknownProfile {
                        field,
                        value: raw.to_owned(),
                        allowed: field.allowed(),
                        origin: origin.clone(),
                    })?,
                );
        }
    }
    resolved.sources.set(field, origin);
    Ok(())
}

fn parse_bool(field: ConfigField, raw: &str, origin: &ConfigSource) -> Result<bool, ConfigError> {
    let text = raw.trim();
    if ["true", "1", "yes"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(text))
    {
        Ok(true)
    } else if ["false", "0", "no"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(text))
    {
        Ok(false)
    } else {
        Err(ConfigError::BadBool {
            field,
            value: raw.to_owned(),
            allowed: field.allowed(),
            origin: origin.clone(),
        })
    }
}

fn parse_f64(field: ConfigField, raw: &str, origin: &ConfigSource) -> Result<f64, ConfigError> {
    let value: f64 = raw.trim().parse().map_err(|_| ConfigError::Unparsable {
        field,
        value: raw.to_owned(),
        expected: "a number",
        allowed: field.allowed(),
        origin: origin.clone(),
    })?;
    check_f64(field, value, raw, origin)
}

fn parse_int<T: TryFrom<u64>>(
    field: ConfigField,
    raw: &str,
    origin: &ConfigSource,
) -> Result<T, ConfigError> {
    let text = raw.trim();
    let value: i128 = match text.parse() {
        Ok(value) => value,
        // An integer too long for i128 is still an integer: out of range, not unparsable.
        Err(_) if is_integer_literal(text) => i128::MAX,
        Err(_) => {
            return Err(ConfigError::Unparsable {
                field,
                value: raw.to_owned(),
                expected: "an integer",
                allowed: field.allowed(),
                origin: origin.clone(),
            })
        }
    };
    let checked = check_int(field, value, raw, origin)?;
    // Every range fits the field's type; a failure here would be a range bug: fail closed.
    T::try_from(checked).map_err(|_| ConfigError::OutOfRange {
        field,
        value: raw.to_owned(),
        allowed: field.allowed(),
        origin: origin.clone(),
    })
}

fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn type_error(field: ConfigField, shown: &str, origin: ConfigSource) -> ConfigError {
    match field {
        ConfigField::Enabled | ConfigField::Enforce | ConfigField::FailClosed => {
            ConfigError::BadBool {
                field,
                value: shown.to_owned(),
                allowed: field.allowed(),
                origin,
            }
        }
        ConfigField::Profile => ConfigError::UnknownProfile {
            field,
            value: shown.to_owned(),
            allowed: field.allowed(),
            origin,
        },
        ConfigField::Alpha | ConfigField::DeEscalationMargin => ConfigError::Unparsable {
            field,
            value: shown.to_owned(),
            expected: "a number",
            allowed: field.allowed(),
            origin,
        },
        ConfigField::WindowSize
        | ConfigField::LedgerLimit
        | ConfigField::DecisionTimeoutMs
        | ConfigField::CooldownCalls => ConfigError::Unparsable {
            field,
            value: shown.to_owned(),
            expected: "an integer",
            allowed: field.allowed(),
            origin,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `(file name, contents)` with env `env` and checks the result's `Debug` rendering
    /// (config) or error message.
    fn check(
        file: Option<(&str, &str)>,
        env: &[(&str, &str)],
        expected: Result<(ConfigField, &str), &str>,
    ) {
        let file = file.map(|(name, contents)| ConfigFile { name, contents });
        let got = ResolvedRiskConfig::load(file, env.iter().copied(), &CliOverrides::default());
        match (got, expected) {
            (Ok(resolved), Ok((field, source))) => {
                assert_eq!(resolved.source(field).to_string(), source);
            }
            (Err(e), Err(message)) => assert_eq!(e.to_string(), message),
            (got, expected) => panic!("{got:?} != {expected:?}"),
        }
    }

    /// Loads a file and env; returns the warnings or the error message.
    fn warnings(file: &str, env: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let file = ConfigFile {
            name: "c.toml",
            contents: file,
        };
        ResolvedRiskConfig::load(Some(file), env.iter().copied(), &CliOverrides::default())
            .map(|r| r.warnings().to_vec())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn old_names_still_work_with_a_warning_and_never_beside_the_new_one() {
        assert_eq!(warnings("band_profile = \"safe\"", &[]), Ok(vec![]));
        assert_eq!(
            warnings("profile = \"safe\"", &[("HOSTGUARD_RISK_WINDOW", "64")]),
            Ok(vec![
                "config file `c.toml`: `profile` is the old name of `band_profile`: it still works, but rename it".to_owned(),
                "environment: `HOSTGUARD_RISK_WINDOW` is the old name of `HOSTGUARD_RISK_WINDOW_SIZE`: it still works, but rename it".to_owned(),
            ])
        );
        assert_eq!(
            warnings("profile = \"safe\"\nband_profile = \"balanced\"", &[]),
            Err("`band_profile` and its old name `profile` are both set in config file `c.toml`: keep `band_profile` only".to_owned())
        );
        assert_eq!(
            warnings("", &[("HOSTGUARD_RISK_WINDOW", "64"), ("HOSTGUARD_RISK_WINDOW_SIZE", "64")]),
            Err("`HOSTGUARD_RISK_WINDOW_SIZE` and its old name `HOSTGUARD_RISK_WINDOW` are both set in the environment: keep `HOSTGUARD_RISK_WINDOW_SIZE` only".to_owned())
        );
    }

    #[test]
    fn an_error_about_a_file_key_is_placed_at_the_key() {
        let place = |name: &str, contents: &str, env: &[(&str, &str)]| {
            let file = ConfigFile { name, contents };
            ResolvedRiskConfig::load(Some(file), env.iter().copied(), &CliOverrides::default())
                .err()
                .and_then(|e| e.position_in(file))
        };
        assert_eq!(
            place("c.toml", "alpha = 0.1\n window_size = 4097\n", &[]),
            Some((2, 2))
        );
        assert_eq!(
            place("c.toml", "alpha = 0.1\nwindow = 64\n", &[]),
            Some((2, 1))
        );
        assert_eq!(
            place("c.json", "{\"alpha\": 0.1,\n \"profile\": \"x\"}", &[]),
            Some((2, 2))
        );
        assert_eq!(place("c.toml", "alpha = \"", &[]), Some((1, 10)));
        // A value from the environment is not the file's.
        assert_eq!(
            place("c.toml", "alpha = 0.1", &[("HOSTGUARD_RISK_ALPHA", "9")]),
            None
        );
    }

    #[test]
    fn sources_and_messages() {
        check(None, &[], Ok((ConfigField::Alpha, "defaults")));
        check(
            Some(("c.toml", "alpha = 0.1")),
            &[],
            Ok((ConfigField::Alpha, "file `c.toml`")),
        );
        check(
            Some(("c", "{\"alpha\": 0.1}")),
            &[],
            Ok((ConfigField::Alpha, "file `c`")),
        );
        check(
            None,
            &[("HOSTGUARD_RISK_WINDOW", "64")],
            Ok((ConfigField::WindowSize, "env `HOSTGUARD_RISK_WINDOW`")),
        );
        check(
            None,
            &[("PATH", "/bin")],
            Ok((ConfigField::Alpha, "defaults")),
        );
        check(
            None,
            &[("HOSTGUARD_RISK_ALPHA", "abc")],
            Err("`alpha` value `abc` from env `HOSTGUARD_RISK_ALPHA` is not a number (allowed: [1e-6, 0.5])"),
        );
        check(
            Some(("c.toml", "window_size = 4097")),
            &[],
            Err("`window_size` value `4097` from file `c.toml` is out of range (allowed: [8, 4096])"),
        );
        check(
            Some(("c.toml", "alpha = nan")),
            &[],
            Err("`alpha` value `NaN` from file `c.toml` is not a finite number (allowed: [1e-6, 0.5])"),
        );
        check(
            Some(("c.json", r#"{"ledger_limit": 18446744073709551616}"#)),
            &[],
            Err("`ledger_limit` value `18446744073709551616` from file `c.json` is out of range (allowed: [32, 1000000])"),
        );
        check(
            Some(("c.json", r#"{"window_size": 128.5}"#)),
            &[],
            Err("`window_size` value `128.5` from file `c.json` is not an integer (allowed: [8, 4096])"),
        );
        check(
            Some(("c.toml", "alpah = 0.1")),
            &[],
            Err("unknown key `alpah` in config file `c.toml` (allowed: enabled, enforce, alpha, window_size, ledger_limit, decision_timeout_ms, fail_closed, band_profile, cooldown_calls, de_escalation_margin)"),
        );
        check(
            Some(("c.toml", "alpha = \n")),
            &[],
            Err("c.toml:1:9: malformed toml config file: invalid string; expected `\"`, `'`"),
        );
    }

    #[test]
    fn a_json_key_given_twice_is_an_error() {
        // Not the last value silently: the first (here out of range) would vanish unseen.
        let got = ResolvedRiskConfig::load(
            Some(ConfigFile {
                name: "c.json",
                contents: r#"{"alpha": 0.9, "alpha": 0.1}"#,
            }),
            std::iter::empty::<(&str, &str)>(),
            &CliOverrides::default(),
        );
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err("c.json:1:16: malformed json config file: duplicate key `alpha`".to_owned())
        );
    }

    #[test]
    fn format_follows_name_then_content() {
        let f = |name, contents| format_of(name, contents);
        assert_eq!(f("x.TOML", "{"), Format::Toml);
        assert_eq!(f("x.json", "a = 1"), Format::Json);
        assert_eq!(f("x", "  {}"), Format::Json);
        assert_eq!(f("x", "a = 1"), Format::Toml);
    }
}
