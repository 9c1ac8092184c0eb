//! `RuntimeRiskConfig`: the risk controller's knobs (docs/design.md §3 "Config"), their ranges, and
//! loading them from sources with precedence CLI > env > file > defaults.
//!
//! risk-core does no I/O: [`ResolvedRiskConfig::load`] takes the config file's *name and
//! contents*, the environment as `(key, value)` pairs (the CLI passes `std::env::vars()`, tests
//! inject their own) and the command line's overrides as [`CliOverrides`]. The result remembers
//! which source set every field ([`ResolvedRiskConfig::explain`], for `hostguard config
//! explain`). A value that is unparsable or out of range is a [`ConfigError`] naming the field,
//! the value as given, the allowed range and the source: never a silent clamp, never a panic.
//!
//! | field                  | range                         | env (`HOSTGUARD_RISK_` + …) |
//! |------------------------|-------------------------------|-----------------------------|
//! | `enabled`              | bool                          | `ENABLED`                   |
//! | `enforce`              | bool                          | `ENFORCE`                   |
//! | `alpha`                | [1e-6, 0.5], finite           | `ALPHA`                     |
//! | `window_size`          | [8, 4096]                     | `WINDOW`                    |
//! | `ledger_limit`         | [32, 1000000]                 | `LEDGER_LIMIT`              |
//! | `decision_timeout_ms`  | [1, 2000]                     | `DECISION_TIMEOUT_MS`       |
//! | `fail_closed`          | bool                          | `FAIL_CLOSED`               |
//! | `profile`              | safe, balanced, permissive    | `PROFILE`                   |
//! | `cooldown_calls`       | [1, 1000]                     | `COOLDOWN_CALLS`            |
//! | `de_escalation_margin` | [0, 0.5], finite              | `DE_ESCALATION_MARGIN`      |
//!
//! Booleans accept `true`/`false`/`1`/`0`/`yes`/`no`, case-insensitive, in every source.

mod error;
mod keys;
mod load;
#[cfg(feature = "schema")]
mod schema;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hysteresis::{BandProfile, HysteresisConfig, ScoreBands};
use crate::policy::PolicyProfile;

pub use error::ConfigError;
pub use load::{CliOverrides, ConfigFile, ENV_PREFIX};
#[cfg(feature = "schema")]
pub use schema::config_file_schema;

/// The risk controller's configuration. Defaults are those of docs/design.md §3.
///
/// Fields are public so hosts can write `RuntimeRiskConfig { enabled: true,
/// ..RuntimeRiskConfig::default() }` (the runbook does); every consumer validates the value it
/// receives, so an out-of-range field is an error at build time, never a silent clamp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuntimeRiskConfig {
    /// Whether the risk model runs at all (default false).
    pub enabled: bool,
    /// Whether risk verdicts are enforced; always equals the rollout phase's `is_enforcing()`.
    pub enforce: bool,
    /// Type-I error budget of the sequential test and the drift quantile, in [1e-6, 0.5]:
    /// smaller alpha → fewer false alarms, less sensitive.
    pub alpha: f64,
    /// Effective memory of the model in calls, in [8, 4096].
    pub window_size: usize,
    /// Ledger entries kept in memory, in [32, 1_000_000].
    pub ledger_limit: usize,
    /// Decision-time budget in milliseconds, in [1, 2000].
    pub decision_timeout_ms: u64,
    /// On a timeout or controller error: deny (true) or allow (false).
    pub fail_closed: bool,
    /// Score-band profile; `None` follows the policy profile.
    pub profile: Option<BandProfile>,
    /// Calls below the de-escalation line before going down one level, in [1, 1000].
    pub cooldown_calls: u32,
    /// How far below a state's entry threshold a call must score to count, in [0, 0.5].
    pub de_escalation_margin: f64,
}

impl Default for RuntimeRiskConfig {
    fn default() -> Self {
        RuntimeRiskConfig {
            enabled: false,
            enforce: true,
            alpha: 0.01,
            window_size: 128,
            ledger_limit: 2048,
            decision_timeout_ms: 50,
            fail_closed: true,
            profile: None,
            cooldown_calls: 3,
            de_escalation_margin: 0.10,
        }
    }
}

impl RuntimeRiskConfig {
    /// Checks every field against its range (module docs). Errors name the source
    /// [`ConfigSource::Code`]: this is for a config built in code (the loader checks each value at
    /// its own source).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let origin = ConfigSource::Code;
        check_f64(
            ConfigField::Alpha,
            self.alpha,
            &self.alpha.to_string(),
            &origin,
        )?;
        check_int(
            ConfigField::WindowSize,
            i128::try_from(self.window_size).unwrap_or(i128::MAX),
            &self.window_size.to_string(),
            &origin,
        )?;
        check_int(
            ConfigField::LedgerLimit,
            i128::try_from(self.ledger_limit).unwrap_or(i128::MAX),
            &self.ledger_limit.to_string(),
            &origin,
        )?;
        check_int(
            ConfigField::DecisionTimeoutMs,
            i128::from(self.decision_timeout_ms),
            &self.decision_timeout_ms.to_string(),
            &origin,
        )?;
        check_int(
            ConfigField::CooldownCalls,
            i128::from(self.cooldown_calls),
            &self.cooldown_calls.to_string(),
            &origin,
        )?;
        check_f64(
            ConfigField::DeEscalationMargin,
            self.de_escalation_margin,
            &self.de_escalation_margin.to_string(),
            &origin,
        )?;
        Ok(())
    }

    /// The hysteresis knobs of this config under `policy`: the band set named by
    /// [`RuntimeRiskConfig::profile`] if any, else the one that follows the policy profile
    /// (Safe → safe, Standard → balanced, Permissive → permissive; docs/design.md §3).
    pub fn hysteresis_config(&self, policy: PolicyProfile) -> HysteresisConfig {
        let bands = self.profile.unwrap_or(policy.band_profile());
        HysteresisConfig {
            bands: ScoreBands::for_profile(bands),
            cooldown_calls: self.cooldown_calls,
            de_escalation_margin: self.de_escalation_margin,
        }
    }
}

/// A field of [`RuntimeRiskConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConfigField {
    /// `enabled`.
    Enabled,
    /// `enforce`.
    Enforce,
    /// `alpha`.
    Alpha,
    /// `window_size`.
    WindowSize,
    /// `ledger_limit`.
    LedgerLimit,
    /// `decision_timeout_ms`.
    DecisionTimeoutMs,
    /// `fail_closed`.
    FailClosed,
    /// `band_profile` (formerly `profile`).
    Profile,
    /// `cooldown_calls`.
    CooldownCalls,
    /// `de_escalation_margin`.
    DeEscalationMargin,
}

impl ConfigField {
    /// Every field, in declaration order.
    pub const ALL: [ConfigField; 10] = [
        ConfigField::Enabled,
        ConfigField::Enforce,
        ConfigField::Alpha,
        ConfigField::WindowSize,
        ConfigField::LedgerLimit,
        ConfigField::DecisionTimeoutMs,
        ConfigField::FailClosed,
        ConfigField::Profile,
        ConfigField::CooldownCalls,
        ConfigField::DeEscalationMargin,
    ];

    /// The field name, which is also its key in a config file.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfigField::Enabled => "enabled",
            ConfigField::Enforce => "enforce",
            ConfigField::Alpha => "alpha",
            ConfigField::WindowSize => "window_size",
            ConfigField::LedgerLimit => "ledger_limit",
            ConfigField::DecisionTimeoutMs => "decision_timeout_ms",
            ConfigField::FailClosed => "fail_closed",
            ConfigField::Profile => "band_profile",
            ConfigField::CooldownCalls => "cooldown_calls",
            ConfigField::DeEscalationMargin => "de_escalation_margin",
        }
    }

    /// The environment variable that sets the field.
    pub const fn env_var(self) -> &'static str {
        match self {
            ConfigField::Enabled => "HOSTGUARD_RISK_ENABLED",
            ConfigField::Enforce => "HOSTGUARD_RISK_ENFORCE",
            ConfigField::Alpha => "HOSTGUARD_RISK_ALPHA",
            ConfigField::WindowSize => "HOSTGUARD_RISK_WINDOW_SIZE",
            ConfigField::LedgerLimit => "HOSTGUARD_RISK_LEDGER_LIMIT",
            ConfigField::DecisionTimeoutMs => "HOSTGUARD_RISK_DECISION_TIMEOUT_MS",
            ConfigField::FailClosed => "HOSTGUARD_RISK_FAIL_CLOSED",
            ConfigField::Profile => "HOSTGUARD_RISK_BAND_PROFILE",
            ConfigField::CooldownCalls => "HOSTGUARD_RISK_COOLDOWN_CALLS",
            ConfigField::DeEscalationMargin => "HOSTGUARD_RISK_DE_ESCALATION_MARGIN",
        }
    }

    /// The allowed values, as error messages and `config explain` print them.
    pub const fn allowed(self) -> &'static str {
        match self {
            ConfigField::Enabled | ConfigField::FailClosed => "true|false|1|0|yes|no",
            ConfigField::Enforce => "not a setting: follows the rollout phase",
            ConfigField::Alpha => "[1e-6, 0.5]",
            ConfigField::WindowSize => "[8, 4096]",
            ConfigField::LedgerLimit => "[32, 1000000]",
            ConfigField::DecisionTimeoutMs => "[1, 2000]",
            ConfigField::Profile => "safe|balanced|permissive",
            ConfigField::CooldownCalls => "[1, 1000]",
            ConfigField::DeEscalationMargin => "[0, 0.5]",
        }
    }

    /// The inclusive range of a float field (`alpha`, `de_escalation_margin`); `None` for the
    /// others.
    pub const fn float_range(self) -> Option<(f64, f64)> {
        match self {
            ConfigField::Alpha => Some((1e-6, 0.5)),
            ConfigField::DeEscalationMargin => Some((0.0, 0.5)),
            ConfigField::Enabled
            | ConfigField::Enforce
            | ConfigField::WindowSize
            | ConfigField::LedgerLimit
            | ConfigField::DecisionTimeoutMs
            | ConfigField::FailClosed
            | ConfigField::Profile
            | ConfigField::CooldownCalls => None,
        }
    }

    /// The inclusive range of an integer field; `None` for the others.
    pub const fn int_range(self) -> Option<(u64, u64)> {
        match self {
            ConfigField::WindowSize => Some((8, 4096)),
            ConfigField::LedgerLimit => Some((32, 1_000_000)),
            ConfigField::DecisionTimeoutMs => Some((1, 2000)),
            ConfigField::CooldownCalls => Some((1, 1000)),
            ConfigField::Enabled
            | ConfigField::Enforce
            | ConfigField::Alpha
            | ConfigField::FailClosed
            | ConfigField::Profile
            | ConfigField::DeEscalationMargin => None,
        }
    }

    /// The field with file key `key`.
    pub fn from_key(key: &str) -> Option<ConfigField> {
        ConfigField::ALL.into_iter().find(|f| f.as_str() == key)
    }

    /// The field set by environment variable `var`.
    pub fn from_env_var(var: &str) -> Option<ConfigField> {
        ConfigField::ALL.into_iter().find(|f| f.env_var() == var)
    }

    /// The field an old file key (`LEGACY_KEYS`) still sets.
    pub fn from_legacy_key(key: &str) -> Option<ConfigField> {
        legacy(&LEGACY_KEYS, key)
    }

    /// The field an old environment variable (`LEGACY_ENV_VARS`) still sets.
    pub fn from_legacy_env_var(var: &str) -> Option<ConfigField> {
        legacy(&LEGACY_ENV_VARS, var)
    }
}

/// Old file keys, still read with a warning so that a config written before the rename keeps
/// working: one name per concept across flag (`--band-profile`), key (`band_profile`) and
/// variable (`HOSTGUARD_RISK_BAND_PROFILE`).
pub const LEGACY_KEYS: [(&str, ConfigField); 1] = [("profile", ConfigField::Profile)];

/// Old environment variables, still read with a warning (see [`LEGACY_KEYS`]).
pub const LEGACY_ENV_VARS: [(&str, ConfigField); 2] = [
    ("HOSTGUARD_RISK_PROFILE", ConfigField::Profile),
    ("HOSTGUARD_RISK_WINDOW", ConfigField::WindowSize),
];

/// The field `name` of `table` stands for.
fn legacy(table: &[(&str, ConfigField)], name: &str) -> Option<ConfigField> {
    table
        .iter()
        .find(|(old, _)| *old == name)
        .map(|(_, field)| *field)
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a field's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum ConfigSource {
    /// The built-in default.
    Default,
    /// A config file, by the name it was loaded under.
    File(String),
    /// An environment variable, by name.
    Env(String),
    /// The command line.
    Cli,
    /// A value built in code and checked with [`RuntimeRiskConfig::validate`].
    Code,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Default => f.write_str("defaults"),
            ConfigSource::File(path) => write!(f, "file `{path}`"),
            ConfigSource::Env(var) => write!(f, "env `{var}`"),
            ConfigSource::Cli => f.write_str("command line"),
            ConfigSource::Code => f.write_str("code"),
        }
    }
}

/// The source of every field of a resolved config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConfigSources {
    /// Source of `enabled`.
    pub enabled: ConfigSource,
    /// Source of `enforce`.
    pub enforce: ConfigSource,
    /// Source of `alpha`.
    pub alpha: ConfigSource,
    /// Source of `window_size`.
    pub window_size: ConfigSource,
    /// Source of `ledger_limit`.
    pub ledger_limit: ConfigSource,
    /// Source of `decision_timeout_ms`.
    pub decision_timeout_ms: ConfigSource,
    /// Source of `fail_closed`.
    pub fail_closed: ConfigSource,
    /// Source of `profile`.
    pub profile: ConfigSource,
    /// Source of `cooldown_calls`.
    pub cooldown_calls: ConfigSource,
    /// Source of `de_escalation_margin`.
    pub de_escalation_margin: ConfigSource,
}

impl ConfigSources {
    /// Every field from the defaults.
    pub const fn defaults() -> ConfigSources {
        ConfigSources {
            enabled: ConfigSource::Default,
            enforce: ConfigSource::Default,
            alpha: ConfigSource::Default,
            window_size: ConfigSource::Default,
            ledger_limit: ConfigSource::Default,
            decision_timeout_ms: ConfigSource::Default,
            fail_closed: ConfigSource::Default,
            profile: ConfigSource::Default,
            cooldown_calls: ConfigSource::Default,
            de_escalation_margin: ConfigSource::Default,
        }
    }

    /// The source of `field`.
    pub const fn get(&self, field: ConfigField) -> &ConfigSource {
        match field {
            ConfigField::Enabled => &self.enabled,
            ConfigField::Enforce => &self.enforce,
            ConfigField::Alpha => &self.alpha,
            ConfigField::WindowSize => &self.window_size,
            ConfigField::LedgerLimit => &self.ledger_limit,
            ConfigField::DecisionTimeoutMs => &self.decision_timeout_ms,
            ConfigField::FailClosed => &self.fail_closed,
            ConfigField::Profile => &self.profile,
            ConfigField::CooldownCalls => &self.cooldown_calls,
            ConfigField::DeEscalationMargin => &self.de_escalation_margin,
        }
    }

    fn set(&mut self, field: ConfigField, source: ConfigSource) {
        let slot = match field {
            ConfigField::Enabled => &mut self.enabled,
            ConfigField::Enforce => &mut self.enforce,
            ConfigField::Alpha => &mut self.alpha,
            ConfigField::WindowSize => &mut self.window_size,
            ConfigField::LedgerLimit => &mut self.ledger_limit,
            ConfigField::DecisionTimeoutMs => &mut self.decision_timeout_ms,
            ConfigField::FailClosed => &mut self.fail_closed,
            ConfigField::Profile => &mut self.profile,
            ConfigField::CooldownCalls => &mut self.cooldown_calls,
            ConfigField::DeEscalationMargin => &mut self.de_escalation_margin,
        };
        *slot = source;
    }
}

/// A loaded, valid config and the source of each field. Only [`ResolvedRiskConfig::load`] (and
/// [`ResolvedRiskConfig::defaults`]) build one, so every value is in range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResolvedRiskConfig {
    config: RuntimeRiskConfig,
    sources: ConfigSources,
    /// Old spellings that were read (`LEGACY_KEYS`, `LEGACY_ENV_VARS`), one message each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// One line of `hostguard config explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConfigExplanation {
    /// The field name.
    pub field: &'static str,
    /// Its resolved value, rendered (`none` for an unset profile).
    pub value: String,
    /// Allowed values.
    pub allowed: &'static str,
    /// Where the value came from.
    pub source: ConfigSource,
}

impl ResolvedRiskConfig {
    /// The defaults, every field from [`ConfigSource::Default`].
    pub fn defaults() -> ResolvedRiskConfig {
        ResolvedRiskConfig {
            config: RuntimeRiskConfig::default(),
            sources: ConfigSources::defaults(),
            warnings: Vec::new(),
        }
    }

    /// Old spellings of keys or environment variables the config was read with: each still
    /// works, and each message says the name to use instead.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Records that `old` was read for `field`, whose name is `new`.
    pub(crate) fn warn_legacy(&mut self, old: &str, new: &str, place: &str) {
        self.warnings.push(format!(
            "{place}: `{old}` is the old name of `{new}`: it still works, but rename it"
        ));
    }

    /// The resolved config.
    pub const fn config(&self) -> &RuntimeRiskConfig {
        &self.config
    }

    /// Where each field came from.
    pub const fn sources(&self) -> &ConfigSources {
        &self.sources
    }

    /// The source of `field`.
    pub const fn source(&self, field: ConfigField) -> &ConfigSource {
        self.sources.get(field)
    }

    /// Field, value, allowed values and source of every field, in declaration order.
    pub fn explain(&self) -> Vec<ConfigExplanation> {
        ConfigField::ALL
            .into_iter()
            .map(|field| ConfigExplanation {
                field: field.as_str(),
                value: render(&self.config, field),
                allowed: field.allowed(),
                source: self.sources.get(field).clone(),
            })
            .collect()
    }
}

impl fmt::Display for ResolvedRiskConfig {
    /// One `field = value  (source)` line per field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.explain() {
            writeln!(
                f,
                "{:<22} = {:<10} ({})",
                line.field, line.value, line.source
            )?;
        }
        Ok(())
    }
}

/// Range check of a float field (`alpha`, `de_escalation_margin`).
fn check_f64(
    field: ConfigField,
    value: f64,
    given: &str,
    origin: &ConfigSource,
) -> Result<f64, ConfigError> {
    // No float field: every value fails (NaN contains nothing).
    let (min, max) = field.float_range().unwrap_or((f64::NAN, f64::NAN));
    if !value.is_finite() {
        return Err(ConfigError::NotFinite {
            field,
            value: given.to_owned(),
            allowed: field.allowed(),
            origin: origin.clone(),
        });
    }
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: given.to_owned(),
            allowed: field.allowed(),
            origin: origin.clone(),
        })
    }
}

/// Range check of an integer field.
fn check_int(
    field: ConfigField,
    value: i128,
    given: &str,
    origin: &ConfigSource,
) -> Result<u64, ConfigError> {
    // No integer field: every value fails (the range is empty).
    let (min, max) = field
        .int_range()
        .map_or((1, 0), |(min, max)| (i128::from(min), i128::from(max)));
    if (min..=max).contains(&value) {
        if let Ok(v) = u64::try_from(value) {
            return Ok(v);
        }
    }
    Err(ConfigError::OutOfRange {
        field,
        value: given.to_owned(),
        allowed: field.allowed(),
        origin: origin.clone(),
    })
}

fn render(config: &RuntimeRiskConfig, field: ConfigField) -> String {
    match field {
        ConfigField::Enabled => config.enabled.to_string(),
        // Not a setting: the rollout phase decides (a stored `true` would read as "enforcing"
        // while the default phase, shadow, enforces no model verdict).
        ConfigField::Enforce => "(phase)".to_owned(),
        ConfigField::Alpha => config.alpha.to_string(),
        ConfigField::WindowSize => config.window_size.to_string(),
        ConfigField::LedgerLimit => config.ledger_limit.to_string(),
        ConfigField::DecisionTimeoutMs => config.decision_timeout_ms.to_string(),
        ConfigField::FailClosed => config.fail_closed.to_string(),
        ConfigField::Profile => config
            .profile
            .map_or_else(|| "none".to_owned(), |p| p.as_str().to_owned()),
        ConfigField::CooldownCalls => config.cooldown_calls.to_string(),
        ConfigField::DeEscalationMargin => config.de_escalation_margin.to_string(),
    }
}

#[cfg(test)]
mod tests;
