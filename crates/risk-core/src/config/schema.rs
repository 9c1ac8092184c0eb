//! The JSON Schema of a risk config file (`schemas/risk_config.schema.json`, docs/risk-model.md,
//! `hostguard config explain`): the JSON form of the file; a TOML file holds the same keys.
//!
//! Written by hand: the loader reads the file by hand (`load.rs`: each top-level value reduced to
//! text and parsed as an environment variable's value is), not through
//! `RuntimeRiskConfig`'s serde derive, so a derived schema would refuse files the loader
//! accepts. Keys, ranges and allowed words come from [`ConfigField`], the loader's own table.

use serde_json::{json, Value};

use super::{ConfigField, LEGACY_KEYS};
use crate::hysteresis::BandProfile;
use crate::schema::any_case_trimmed;

/// The words a boolean field accepts (any case, trimmed), besides JSON `true`/`false`.
const BOOL_WORDS: [&str; 6] = ["true", "false", "1", "0", "yes", "no"];

/// The schema of a config file: an object of optional known keys, nothing else.
pub fn config_file_schema() -> schemars::Schema {
    let mut properties: serde_json::Map<String, Value> = ConfigField::ALL
        .into_iter()
        .map(|field| (field.as_str().to_owned(), field_schema(field)))
        .collect();
    // Old key names (`LEGACY_KEYS`) still load, with a warning: `deprecated`, same values; a
    // file must not hold a key under both names (the loader refuses it).
    let mut both_names = Vec::new();
    for (old, field) in LEGACY_KEYS {
        both_names.push(json!({ "required": [old, field.as_str()] }));
        let mut schema = field_schema(field);
        if let Some(object) = schema.as_object_mut() {
            let description = format!(
                "the old name of `{}`: still read, with a warning",
                field.as_str()
            );
            object.insert("deprecated".to_owned(), Value::Bool(true));
            object.insert("description".to_owned(), description.into());
        }
        properties.insert(old.to_owned(), schema);
    }
    schemars::json_schema!({
        "not": { "anyOf": both_names },
        "description": "A risk config file (`--config`, JSON; a TOML file holds the same keys at its top level). Every key is optional (unset keys keep their default or come from the environment or the command line); an unknown key is refused. A value may also be written as a string holding what an environment variable would (`\"0.05\"`, `\"yes\"`).",
        "type": "object",
        "additionalProperties": false,
        "properties": properties
    })
}

/// One key's value: its native JSON form or the same value as text.
fn field_schema(field: ConfigField) -> Value {
    let description = format!(
        "allowed: {} (environment: `{}`)",
        field.allowed(),
        field.env_var()
    );
    let text = json!({ "type": "string", "description": "the value as text, parsed as the environment variable's" });
    let native = match field {
        ConfigField::Enabled | ConfigField::Enforce | ConfigField::FailClosed => json!([
            { "type": "boolean" },
            { "enum": [0, 1] },
            { "type": "string", "pattern": any_case_trimmed(&BOOL_WORDS) }
        ]),
        ConfigField::Profile => {
            let names: Vec<&str> = [
                BandProfile::Safe,
                BandProfile::Balanced,
                BandProfile::Permissive,
            ]
            .iter()
            .map(|p| p.as_str())
            .collect();
            json!([
                { "type": "null", "description": "follow the policy profile" },
                { "type": "string", "pattern": any_case_trimmed(&names) }
            ])
        }
        ConfigField::Alpha | ConfigField::DeEscalationMargin => {
            let (min, max) = field.float_range().unwrap_or((0.0, 0.0));
            json!([{ "type": "number", "minimum": min, "maximum": max }, text])
        }
        ConfigField::WindowSize
        | ConfigField::LedgerLimit
        | ConfigField::DecisionTimeoutMs
        | ConfigField::CooldownCalls => {
            let (min, max) = field.int_range().unwrap_or((0, 0));
            json!([{ "type": "integer", "minimum": min, "maximum": max }, text])
        }
    };
    json!({ "description": description, "anyOf": native })
}
