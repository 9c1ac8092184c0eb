//! The JSON Schemas (draft 2020-12) of every artifact hostguard writes and every input it reads:
//! one table, [`SCHEMAS`], from which `cargo xtask schemas` writes `schemas/` (one
//! `<name>.schema.json` per entry and `schemas/README.md`) and the CLI's schema tests take the
//! fixtures each schema validates. Adding a schema is adding one entry.
//!
//! Schemas are generated from the Rust types with `schemars` (feature `schema`, which derives
//! `JsonSchema` down the crates): artifacts under the serialize contract (what hostguard writes),
//! inputs under the deserialize contract (what it accepts). Formats read by hand have their
//! schema written by hand next to their reader, and the tests run reader and schema side by side.

use hostguard_manager::{
    DsseEnvelope, ExecMediationArtifact, IncidentEvidenceBundle, LedgerEntry, QuotaBreachEvent,
    RolloutSnapshot, RuntimeHostcallTelemetryArtifact, RuntimeRiskLedgerArtifact,
    RuntimeRiskLedgerVerificationReport, SecretBrokerArtifact, SecurityAlertArtifact,
    TrustStateRecord,
};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use crate::bundle_cmd::BundleBuildReport;
use crate::checkpoint_cmd::{CheckpointReport, VerifyJson};
use crate::demo::DemoSummary;
use crate::drive::VerdictLine;
use crate::envelope_cmd::ExportReport;
use crate::error::CliError;
use crate::events::{hostcall_event_schema, EventsCheckReport};
use crate::key_cmd::KeyGenerateReport;
use crate::labels::TraceLabels;
use crate::run_summary::RunSummary;
use crate::triage_cmd::TriagedAlert;
use crate::whatif_cmd::WhatIfReport;

/// The folder of the schemas, from the repository root.
pub const SCHEMA_DIR: &str = "schemas";

/// The base of every schema's `$id` (the repository's address; nothing is fetched from it).
pub const ID_BASE: &str = "https://example.invalid/hostguard/schemas/";

/// What one instance of a schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A whole JSON file.
    Document,
    /// One line of a JSONL file (every line is validated on its own).
    Line,
}

/// One schema: its file, its type, what it describes, and what it validates.
#[derive(Debug, Clone, Copy)]
pub struct SchemaSpec {
    /// The file stem: `schemas/<name>.schema.json`.
    pub name: &'static str,
    /// The schema's `title`.
    pub title: &'static str,
    /// A whole file or one line of one.
    pub form: Form,
    /// The artifact or input and the commands that write or read it (markdown).
    pub describes: &'static str,
    /// The format doc that links it.
    pub doc: &'static str,
    /// The schema without `$id` and `title` (generated from a type, or written by hand).
    pub generate: fn() -> Schema,
    /// The fixtures it validates, from the repository root: a file, `DIR/*SUFFIX` (the files of
    /// DIR ending in SUFFIX) or `DIR/**/*SUFFIX` (and of every folder below).
    pub fixtures: &'static [&'static str],
    /// The files of `hostguard demo --out DIR` it validates.
    pub demo: &'static [&'static str],
}

impl SchemaSpec {
    /// `<name>.schema.json`.
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.name)
    }

    /// The schema's stable `$id`.
    pub fn id(&self) -> String {
        format!("{ID_BASE}{}", self.file_name())
    }

    /// The schema with its `$id` and `title`.
    pub fn schema(&self) -> Schema {
        let mut schema = (self.generate)();
        schema.insert("$id".to_owned(), self.id().into());
        schema.insert("title".to_owned(), self.title.into());
        schema.insert(
            "$schema".to_owned(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        schema
    }

    /// The file's bytes: pretty JSON, members sorted, one trailing newline.
    pub fn render(&self) -> Result<String, serde_json::Error> {
        let value = serde_json::to_value(self.schema())?;
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        Ok(text)
    }
}

/// Every schema, in the order of `schemas/README.md`.
pub const SCHEMAS: &[SchemaSpec] = &[
    SchemaSpec { name: "ledger", title: "hostguard runtime risk ledger (hostguard.runtime_risk_ledger.v1)", form: Form::Document,
        describes: "`ledger.json` of `run --out` and `demo`; read by `ledger verify`, `ledger replay`, `ledger checkpoint`, `bundle build`",
        doc: "docs/ledger-format.md", generate: output::<RuntimeRiskLedgerArtifact>,
        fixtures: &["fixtures/runs/incident/ledger.json", "fixtures/ledgers/*.json"], demo: &["ledger.json"] },
    SchemaSpec { name: "ledger_entry", title: "hostguard durable ledger line", form: Form::Line,
        describes: "one line of a durable ledger file (`run --ledger-file`, a host's durable ledger)",
        doc: "docs/ledger-format.md", generate: output::<LedgerEntry>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "ledger_verify_report", title: "hostguard ledger verification report", form: Form::Document,
        describes: "`ledger verify --json`", doc: "docs/ledger-format.md",
        generate: output::<RuntimeRiskLedgerVerificationReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "ledger_verify_checkpoint_report", title: "hostguard ledger and checkpoint verification report", form: Form::Document,
        describes: "`ledger verify --checkpoint C --pubkey P --json`", doc: "docs/ledger-format.md",
        generate: output::<VerifyJson<'static>>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "verdict", title: "hostguard verdict line", form: Form::Line,
        describes: "one line of `verdicts.jsonl` (`run --out`, `demo`)", doc: "docs/event-format.md",
        generate: output::<VerdictLine>, fixtures: &["fixtures/runs/incident/verdicts.jsonl"], demo: &["verdicts.jsonl"] },
    SchemaSpec { name: "alerts", title: "hostguard security alerts", form: Form::Document,
        describes: "`alerts.json` (`run --out`, `demo`); read by `triage`", doc: "docs/runbook.md",
        generate: output::<SecurityAlertArtifact>, fixtures: &["fixtures/runs/incident/alerts.json"], demo: &["alerts.json"] },
    SchemaSpec { name: "telemetry", title: "hostguard hostcall telemetry", form: Form::Document,
        describes: "`telemetry.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<RuntimeHostcallTelemetryArtifact>, fixtures: &["fixtures/runs/incident/telemetry.json"], demo: &["telemetry.json"] },
    SchemaSpec { name: "exec_mediation", title: "hostguard exec mediation records", form: Form::Document,
        describes: "`exec_mediation.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<ExecMediationArtifact>, fixtures: &["fixtures/runs/incident/exec_mediation.json"], demo: &["exec_mediation.json"] },
    SchemaSpec { name: "secret_broker", title: "hostguard secret broker records", form: Form::Document,
        describes: "`secret_broker.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<SecretBrokerArtifact>, fixtures: &["fixtures/runs/incident/secret_broker.json"], demo: &["secret_broker.json"] },
    SchemaSpec { name: "quota_breaches", title: "hostguard quota breaches", form: Form::Document,
        describes: "`quota_breaches.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<Vec<QuotaBreachEvent>>, fixtures: &["fixtures/runs/incident/quota_breaches.json"], demo: &["quota_breaches.json"] },
    SchemaSpec { name: "rollout", title: "hostguard rollout snapshot", form: Form::Document,
        describes: "`rollout.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<RolloutSnapshot>, fixtures: &["fixtures/runs/incident/rollout.json"], demo: &["rollout.json"] },
    SchemaSpec { name: "trust", title: "hostguard trust states and kill-switch audit", form: Form::Document,
        describes: "`trust.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<Vec<TrustStateRecord>>, fixtures: &["fixtures/runs/incident/trust.json"], demo: &["trust.json"] },
    SchemaSpec { name: "triage", title: "hostguard triaged alerts", form: Form::Document,
        describes: "`triage.json` (`run --out`, `demo`)", doc: "docs/runbook.md",
        generate: output::<Vec<TriagedAlert>>, fixtures: &["fixtures/runs/incident/triage.json"], demo: &["triage.json"] },
    SchemaSpec { name: "evidence_bundle", title: "hostguard incident evidence bundle (hostguard.incident_evidence_bundle.v1)", form: Form::Document,
        describes: "`bundle build`, `bundle.json` of `demo`; read by `bundle verify`, `bundle export`", doc: "docs/evidence-format.md",
        generate: output::<IncidentEvidenceBundle>, fixtures: &["fixtures/bundles/*.json"], demo: &["bundle.json"] },
    SchemaSpec { name: "dsse_envelope", title: "hostguard DSSE envelope of an evidence bundle", form: Form::Document,
        describes: "`bundle export --dsse`; read by `bundle verify`", doc: "docs/evidence-format.md",
        generate: output::<DsseEnvelope>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "cli_error", title: "hostguard CLI error (hostguard.cli_error.v1)", form: Form::Document,
        describes: "what a command run with `--json` prints instead of its report when it fails", doc: "docs/runbook.md",
        generate: CliError::json_document_schema, fixtures: &[], demo: &[] },
    SchemaSpec { name: "run_summary", title: "hostguard run summary (hostguard.run_summary.v1)", form: Form::Document,
        describes: "`run --json`", doc: "docs/cli-json.md",
        generate: output::<RunSummary>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "demo_summary", title: "hostguard demo summary (hostguard.demo_summary.v1)", form: Form::Document,
        describes: "`demo --json`", doc: "docs/cli-json.md",
        generate: output::<DemoSummary>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "what_if", title: "hostguard what-if report (hostguard.what_if.v1)", form: Form::Document,
        describes: "`what-if --json`", doc: "docs/cli-json.md",
        generate: output::<WhatIfReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "events_check", title: "hostguard events check report (hostguard.events_check.v1)", form: Form::Document,
        describes: "`events check --json`", doc: "docs/cli-json.md",
        generate: output::<EventsCheckReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "bundle_build", title: "hostguard bundle build report (hostguard.bundle_build.v1)", form: Form::Document,
        describes: "`bundle build --json`", doc: "docs/cli-json.md",
        generate: output::<BundleBuildReport<'static>>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "bundle_export", title: "hostguard bundle export report (hostguard.bundle_export.v1)", form: Form::Document,
        describes: "`bundle export --json`", doc: "docs/cli-json.md",
        generate: output::<ExportReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "ledger_checkpoint", title: "hostguard ledger checkpoint report (hostguard.ledger_checkpoint.v1)", form: Form::Document,
        describes: "`ledger checkpoint --json`", doc: "docs/cli-json.md",
        generate: output::<CheckpointReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "key_generate", title: "hostguard key generate report (hostguard.key_generate.v1)", form: Form::Document,
        describes: "`key generate --json`", doc: "docs/cli-json.md",
        generate: output::<KeyGenerateReport>, fixtures: &[], demo: &[] },
    SchemaSpec { name: "hostcall_event", title: "hostguard hostcall event stream line (hostguard.hostcall_event.v1)", form: Form::Line,
        describes: "one line of the stream `run`, `what-if` and `events check` read", doc: "docs/event-format.md",
        generate: hostcall_event_schema, fixtures: &["fixtures/streams/*.jsonl", "fixtures/traces/**/*.jsonl"], demo: &["events.jsonl"] },
    SchemaSpec { name: "trace_labels", title: "hostguard trace labels (hostguard.trace_labels.v1)", form: Form::Document,
        describes: "`*.labels.json` beside a trace; read by `what-if --labels`, `cargo xtask detect`", doc: "docs/event-format.md",
        generate: input::<TraceLabels>, fixtures: &["fixtures/traces/**/*.labels.json"], demo: &[] },
    SchemaSpec { name: "risk_config", title: "hostguard risk config file", form: Form::Document,
        describes: "`--config` of `run`, `what-if`, `config explain` (JSON; TOML holds the same keys)", doc: "docs/risk-model.md",
        generate: hostguard_risk_core::config_file_schema, fixtures: &[], demo: &[] },
];

/// Every file of `schemas/`: each schema, then `README.md`.
pub fn render_all() -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut files = Vec::with_capacity(SCHEMAS.len() + 1);
    for spec in SCHEMAS {
        files.push((spec.file_name(), spec.render()?));
    }
    files.push(("README.md".to_owned(), readme()));
    Ok(files)
}

/// `schemas/README.md`: which schema describes what, from [`SCHEMAS`].
pub fn readme() -> String {
    let mut out = String::from(README_HEAD);
    for spec in SCHEMAS {
        let form = match spec.form {
            Form::Document => "file",
            Form::Line => "one line",
        };
        let fixtures = if spec.fixtures.is_empty() {
            "made by the tests".to_owned()
        } else {
            spec.fixtures
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "| [`{file}`]({file}) | {form} | {} | [{doc}](../{doc}) | {fixtures} |\n",
            spec.describes,
            file = spec.file_name(),
            doc = spec.doc,
        ));
    }
    out
}

const README_HEAD: &str = "# JSON Schemas

JSON Schemas (draft 2020-12) of every artifact hostguard writes and every input it reads.
**Generated — do not edit**: `cargo xtask schemas` writes this folder from the table
`SCHEMAS` in `crates/cli/src/schemas.rs`, and `cargo xtask schemas --check` (a step of
`cargo xtask ci`) fails when a regeneration would change a byte.

Schemas are generated from the Rust types with `schemars` (the crates' `schema` feature):
artifacts describe what hostguard writes, inputs what it accepts. Where a format is read or
written by hand (the event stream, the risk config file, the CLI error document, digests,
salts, capability sets and quota limits), the schema is written by hand next to the code that
reads or writes it. `\"additionalProperties\": false` marks every object whose reader refuses
unknown members. Every `$id` is stable; no schema refers outside itself.

The CLI's tests (`crates/cli/tests/cli/schemas.rs`) validate every fixture listed here, every
file of a fresh `hostguard demo --out DIR`, and outputs they make themselves, against these
files; and bad documents (an unknown member, a wrong type, a missing member) against them.

| schema | instance | describes | format doc | fixtures |
|---|---|---|---|---|
";

fn output<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

fn input<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>()
}
