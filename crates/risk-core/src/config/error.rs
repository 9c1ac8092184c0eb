//! Why a config could not be loaded: [`ConfigError`], whose every value-level variant names
//! the field, the value as given, the allowed values and the source.

use super::keys::key_position;
use super::{ConfigField, ConfigFile, ConfigSource, LEGACY_KEYS};

/// Why a config could not be loaded. Every value-level variant names the field, the value as
/// given, the allowed values and the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The value is not of the field's type (`abc` for `alpha`, `1.5` for `window_size`).
    #[error("`{field}` value `{value}` from {origin} is not {expected} (allowed: {allowed})")]
    Unparsable {
        /// The field.
        field: ConfigField,
        /// The value as given.
        value: String,
        /// What was expected (`a number`, `an integer`).
        expected: &'static str,
        /// Allowed values.
        allowed: &'static str,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// The value is a number outside the field's range.
    #[error("`{field}` value `{value}` from {origin} is out of range (allowed: {allowed})")]
    OutOfRange {
        /// The field.
        field: ConfigField,
        /// The value as given.
        value: String,
        /// Allowed range.
        allowed: &'static str,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// The value is NaN or infinite.
    #[error("`{field}` value `{value}` from {origin} is not a finite number (allowed: {allowed})")]
    NotFinite {
        /// The field.
        field: ConfigField,
        /// The value as given.
        value: String,
        /// Allowed range.
        allowed: &'static str,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// `profile` names no band profile.
    #[error("`{field}` value `{value}` from {origin} is not a known profile (allowed: {allowed})")]
    UnknownProfile {
        /// Always [`ConfigField::Profile`].
        field: ConfigField,
        /// The value as given.
        value: String,
        /// `safe|balanced|permissive`.
        allowed: &'static str,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// A field that is recorded but not set: `enforce` follows the rollout phase (a config
    /// source that sets it would be silently ignored otherwise).
    #[error("`{field}` value `{value}` from {origin} is not a setting: the rollout phase decides whether the risk model's verdicts are enforced (set the phase instead: `--phase`, `set_rollout_phase`, `advance_rollout`)")]
    NotASetting {
        /// Always [`ConfigField::Enforce`].
        field: ConfigField,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// A boolean field got something else.
    #[error("`{field}` value `{value}` from {origin} is not a boolean (allowed: {allowed})")]
    BadBool {
        /// The field.
        field: ConfigField,
        /// The value as given.
        value: String,
        /// `true|false|1|0|yes|no`.
        allowed: &'static str,
        /// Where the value came from.
        origin: ConfigSource,
    },
    /// The file is not valid TOML/JSON, or its top level is not a table/object.
    #[error("{path}{}: malformed {format} config file: {message}", crate::source_text::position(.line, .column))]
    MalformedFile {
        /// The file's name.
        path: String,
        /// `toml` or `json`.
        format: &'static str,
        /// 1-based line, when the parser gives it.
        line: Option<usize>,
        /// 1-based column, when the parser gives it.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The file has a key that is not a field.
    #[error("unknown key `{key}` in config file `{path}` (allowed: enabled, enforce, alpha, window_size, ledger_limit, decision_timeout_ms, fail_closed, band_profile, cooldown_calls, de_escalation_margin)")]
    UnknownKey {
        /// The key.
        key: String,
        /// The file's name.
        path: String,
    },
    /// An environment variable with the `HOSTGUARD_RISK_` prefix that sets no field (a typo must
    /// not be ignored silently).
    #[error("unknown environment variable `{var}` (allowed: HOSTGUARD_RISK_ENABLED, _ENFORCE, _ALPHA, _WINDOW_SIZE, _LEDGER_LIMIT, _DECISION_TIMEOUT_MS, _FAIL_CLOSED, _BAND_PROFILE, _COOLDOWN_CALLS, _DE_ESCALATION_MARGIN)")]
    UnknownEnvVar {
        /// The variable's name.
        var: String,
    },
    /// One source sets a field under its name and under its old name (`LEGACY_KEYS`, `LEGACY_ENV_VARS`): which
    /// one wins would be a guess.
    #[error("`{new}` and its old name `{old}` are both set in {place}: keep `{new}` only")]
    NameTwice {
        /// The field's name in that source.
        new: &'static str,
        /// The old name.
        old: String,
        /// The source (`config file `c.toml``, `the environment`).
        place: String,
    },
}

impl ConfigError {
    /// Where in `file` the error is, as a 1-based (line, column): the position the parser gave
    /// for a malformed file, or the key a value-level error is about when the value came from
    /// this file (under its name or an old one). `None` when the error is about another source
    /// or the key cannot be found. Messages are then `file:line:column: message`.
    pub fn position_in(&self, file: ConfigFile<'_>) -> Option<(usize, usize)> {
        let from_file =
            |origin: &ConfigSource| matches!(origin, ConfigSource::File(name) if name == file.name);
        let field_keys = |field: &ConfigField| {
            let mut keys = vec![field.as_str()];
            keys.extend(
                LEGACY_KEYS
                    .iter()
                    .filter(|(_, f)| f == field)
                    .map(|(old, _)| *old),
            );
            keys
        };
        match self {
            ConfigError::MalformedFile { line, column, .. } => Some(((*line)?, (*column)?)),
            ConfigError::Unparsable { field, origin, .. }
            | ConfigError::OutOfRange { field, origin, .. }
            | ConfigError::NotFinite { field, origin, .. }
            | ConfigError::UnknownProfile { field, origin, .. }
            | ConfigError::NotASetting { field, origin, .. }
            | ConfigError::BadBool { field, origin, .. } => {
                if from_file(origin) {
                    key_position(file.name, file.contents, &field_keys(field))
                } else {
                    None
                }
            }
            ConfigError::UnknownKey { key, .. } => {
                key_position(file.name, file.contents, &[key.as_str()])
            }
            ConfigError::NameTwice { old, .. } => {
                key_position(file.name, file.contents, &[old.as_str()])
            }
            ConfigError::UnknownEnvVar { .. } => None,
        }
    }
}
