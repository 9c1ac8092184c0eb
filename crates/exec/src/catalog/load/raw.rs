//! The catalog files' TOML shape, as serde reads it: every table a file may hold, unknown
//! keys refused. [`super`] turns these into the catalog's tables and rules.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub rule: Vec<RawRule>,
    #[serde(default)]
    pub path: Vec<RawPath>,
    #[serde(default)]
    pub host: Vec<RawHost>,
    #[serde(default)]
    pub env: Option<RawEnv>,
    #[serde(default)]
    pub program: Vec<RawProgram>,
    #[serde(default)]
    pub code: Vec<RawCode>,
    #[serde(default)]
    pub family: Vec<RawFamily>,
    #[serde(default)]
    pub hidden: Option<RawHidden>,
    #[serde(default)]
    pub tool: Vec<RawTool>,
    #[serde(default)]
    pub tool_family: Vec<RawToolFamily>,
    #[serde(default)]
    pub ecosystem: Vec<RawEcosystem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEcosystem {
    pub name: String,
    pub programs: Vec<String>,
    pub popular: Vec<String>,
    #[serde(default)]
    pub squats: Vec<String>,
    pub verbs: Vec<String>,
    #[serde(default)]
    pub runners: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawToolFamily {
    pub family: String,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub prefixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTool {
    pub kind: String,
    pub names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHidden {
    pub known: Vec<String>,
    #[serde(default)]
    pub workspace: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFamily {
    pub name: String,
    pub programs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCode {
    pub what: String,
    pub names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: String,
    pub title: String,
    pub why: String,
    pub attack: Vec<String>,
    pub severity: String,
    pub when: Vec<RawCondition>,
    #[serde(default)]
    pub fire: Vec<toml::Value>,
    #[serde(default)]
    pub pass: Vec<toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    #[serde(default)]
    pub effects: Vec<String>,
    #[serde(default)]
    pub any_effect: Vec<String>,
    #[serde(default)]
    pub no_effect: Vec<String>,
    #[serde(default)]
    pub program: Vec<String>,
    #[serde(default)]
    pub family: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub all_args: Vec<String>,
    #[serde(default)]
    pub no_args: Vec<String>,
    #[serde(default)]
    pub subcommand: Vec<String>,
    #[serde(default)]
    pub wrapper: Vec<String>,
    #[serde(default)]
    pub wrapper_args: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub taint: Vec<String>,
    #[serde(default)]
    pub finding: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPath {
    pub class: Vec<String>,
    #[serde(default)]
    pub home: Vec<String>,
    #[serde(default)]
    pub absolute: Vec<String>,
    #[serde(default)]
    pub anywhere: Vec<String>,
    #[serde(default)]
    pub except: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub class: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnv {
    pub not_secret: Vec<String>,
    pub words: Vec<String>,
    pub last_words: Vec<String>,
    pub contains: Vec<String>,
    pub reference_words: Vec<String>,
    #[serde(default)]
    pub qualifier_words: Vec<String>,
    pub loader: Vec<String>,
    pub history: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProgram {
    pub names: Vec<String>,
    #[serde(default)]
    pub operands: Option<String>,
    #[serde(default)]
    pub last_operand: Option<String>,
    #[serde(default)]
    pub urls: Option<String>,
    #[serde(default)]
    pub send_flags: Vec<String>,
    #[serde(default)]
    pub path_flags: BTreeMap<String, String>,
    #[serde(default)]
    pub detach_flags: Vec<String>,
    #[serde(default)]
    pub method_flags: Vec<String>,
    #[serde(default)]
    pub runs_script: bool,
    #[serde(default)]
    pub value_flags: Vec<String>,
    #[serde(default)]
    pub write_flags: Vec<String>,
    #[serde(default)]
    pub remotes: bool,
    #[serde(default)]
    pub first_operand: Option<String>,
    #[serde(default)]
    pub host_flags: Vec<String>,
    #[serde(default)]
    pub upload_to: Option<String>,
    #[serde(default)]
    pub reads_secrets: bool,
    #[serde(default)]
    pub secret_flags: Vec<String>,
}
