//! The JSON Schemas of `schemas/` (crates/cli/src/schemas.rs): up to date with the types, valid
//! draft 2020-12, and matching what hostguard writes and reads — every fixture, a fresh demo,
//! outputs made here — while refusing an unknown member, a wrong type or a missing member.

use std::path::{Path, PathBuf};

use hostguard_cli::events::parse_line;
use hostguard_cli::schemas::{Form, SchemaSpec, SCHEMAS, SCHEMA_DIR};
use serde_json::{json, Value};

use super::support::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec(name: &str) -> &'static SchemaSpec {
    SCHEMAS.iter().find(|s| s.name == name).unwrap()
}

/// The committed schema file of `spec`, compiled (draft 2020-12; nothing is fetched: the
/// crate's remote resolving is off and every `$ref` is local).
fn validator(spec: &SchemaSpec) -> jsonschema::Validator {
    let path = root().join(SCHEMA_DIR).join(spec.file_name());
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

/// Panics with every error when `instance` (from `what`) does not validate.
fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n  {}", errors.join("\n  "));
}

/// Validates a file as `spec`'s form: the whole file, or every non-blank line.
fn assert_file_valid(spec: &SchemaSpec, v: &jsonschema::Validator, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    match spec.form {
        Form::Document => {
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_valid(v, &value, &format!("{} ({})", path.display(), spec.name));
        }
        Form::Line => {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!(!lines.is_empty(), "{} has no line", path.display());
            for (i, line) in lines.iter().enumerate() {
                let value: Value = serde_json::from_str(line).unwrap();
                let what = format!("{}:{} ({})", path.display(), i + 1, spec.name);
                assert_valid(v, &value, &what);
            }
        }
    }
}

/// The files a fixture pattern names: a file, `DIR/*SUFFIX` or `DIR/**/*SUFFIX`.
fn expand(pattern: &str) -> Vec<PathBuf> {
    let Some((dir, file)) = pattern.rsplit_once('/') else {
        return vec![root().join(pattern)];
    };
    let Some(suffix) = file.strip_prefix('*') else {
        return vec![root().join(pattern)];
    };
    let (dir, recursive) = match dir.strip_suffix("/**") {
        Some(dir) => (dir, true),
        None => (dir, false),
    };
    let mut out = Vec::new();
    let mut dirs = vec![root().join(dir)];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if recursive {
                    dirs.push(path);
                }
            } else if path.to_str().unwrap().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_schemas_are_what_the_types_generate_and_valid_2020_12() {
    let generated = hostguard_cli::schemas::render_all().unwrap();
    let dir = root().join(SCHEMA_DIR);
    for (name, text) in &generated {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            committed == *text,
            "{SCHEMA_DIR}/{name} is out of date: run `cargo xtask schemas`"
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    for spec in SCHEMAS {
        let schema: Value = serde_json::from_str(&spec.render().unwrap()).unwrap();
        assert!(jsonschema::meta::is_valid(&schema), "{}", spec.name);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["title"], spec.title);
        assert!(
            ids.insert(schema["$id"].as_str().unwrap().to_owned()),
            "{}",
            spec.name
        );
        let doc = std::fs::read_to_string(root().join(spec.doc)).unwrap();
        assert!(
            doc.contains(&format!("schemas/{}", spec.file_name())),
            "{} does not link its schema {}",
            spec.doc,
            spec.file_name()
        );
    }
}

#[test]
fn every_fixture_validates_against_its_schema() {
    let mut checked = 0;
    for spec in SCHEMAS {
        let v = validator(spec);
        for pattern in spec.fixtures {
            let files = expand(pattern);
            assert!(!files.is_empty(), "`{pattern}` names no file");
            for file in files {
                assert_file_valid(spec, &v, &file);
                checked += 1;
            }
        }
    }
    // The tampered and truncated ledgers are well-formed artifacts whose chain does not verify:
    // a schema checks shape, `ledger verify` checks the chain.
    assert!(checked > 800, "{checked} fixture files checked");
}

#[test]
fn a_fresh_demo_validates_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = hostguard(&["demo", "--out", s(&out)]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut covered = std::collections::BTreeSet::new();
    for spec in SCHEMAS {
        let v = validator(spec);
        for name in spec.demo {
            assert_file_valid(spec, &v, &out.join(name));
            covered.insert((*name).to_owned());
        }
    }
    // Every JSON file the demo writes has a schema (a new artifact needs an entry in SCHEMAS).
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_str().unwrap().to_owned();
        if name.ends_with(".json") || name.ends_with(".jsonl") {
            assert!(
                covered.contains(&name),
                "demo wrote `{name}`, which no schema covers"
            );
        }
    }
}

#[test]
fn ledger_file_lines_verify_reports_and_cli_errors_validate() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_file = dir.path().join("ledger.jsonl");
    let o = hostguard(&[
        "run",
        "--events",
        &super::fixtures::s("streams/incident.jsonl"),
        "--out",
        s(&dir.path().join("run")),
        "--ledger-file",
        s(&ledger_file),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_file_valid(
        spec("ledger_entry"),
        &validator(spec("ledger_entry")),
        &ledger_file,
    );

    let report = validator(spec("ledger_verify_report"));
    for (ledger, code) in [("ledgers/healthy.json", 0), ("ledgers/tampered.json", 1)] {
        let o = hostguard(&["ledger", "verify", &super::fixtures::s(ledger), "--json"]);
        assert_eq!(o.code, code, "{}", o.stderr);
        assert_valid(&report, &serde_json::from_str(&o.stdout).unwrap(), ledger);
    }
    let o = hostguard(&["ledger", "verify", s(&ledger_file), "--json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_valid(
        &report,
        &serde_json::from_str(&o.stdout).unwrap(),
        "ledger file",
    );

    let error = validator(spec("cli_error"));
    let missing = dir.path().join("missing.json");
    let o = hostguard(&["ledger", "verify", s(&missing), "--json"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let document: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_valid(&error, &document, "cli error");
    assert!(!error.is_valid(
        &json!({ "schema": "hostguard.cli_error.v1", "valid": true, "exit_code": 2, "error": "x" })
    ));
    assert!(!error.is_valid(
        &json!({ "schema": "hostguard.cli_error.v1", "valid": false, "exit_code": 0, "error": "x" })
    ));
}

#[test]
fn signed_checkpoint_reports_and_dsse_envelopes_validate() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| s(&dir.path().join(name)).to_owned();
    let o = hostguard(&[
        "key",
        "generate",
        "--out",
        &p("k"),
        "--name",
        "ops.example/ledger",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let ledger = super::fixtures::s("ledgers/healthy.json");
    let o = hostguard(&[
        "ledger",
        "checkpoint",
        &ledger,
        "--key",
        &p("k"),
        "--out",
        &p("cp.txt"),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = hostguard(&[
        "ledger",
        "verify",
        &ledger,
        "--checkpoint",
        &p("cp.txt"),
        "--pubkey",
        &p("k.pub"),
        "--json",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = validator(spec("ledger_verify_checkpoint_report"));
    assert_valid(
        &v,
        &serde_json::from_str(&o.stdout).unwrap(),
        "checkpoint report",
    );

    let bundle = super::fixtures::s("bundles/incident-external.json");
    let o = hostguard(&[
        "bundle",
        "export",
        &bundle,
        "--dsse",
        "--key",
        &p("k"),
        "--out",
        &p("b.dsse.json"),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = validator(spec("dsse_envelope"));
    assert_file_valid(spec("dsse_envelope"), &v, &dir.path().join("b.dsse.json"));
    let mut envelope: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("b.dsse.json")).unwrap()).unwrap();
    envelope["signatures"] = json!("not a list");
    assert!(!v.is_valid(&envelope), "a wrong type must not validate");
}

/// Applies `edit` to a copy of `value` and asserts the result no longer validates.
fn assert_refused(v: &jsonschema::Validator, value: &Value, what: &str, edit: impl Fn(&mut Value)) {
    let mut bad = value.clone();
    edit(&mut bad);
    assert!(!v.is_valid(&bad), "{what} still validates");
}

#[test]
fn unknown_members_wrong_types_and_missing_members_are_invalid() {
    let read = |rel: &str| -> Value {
        serde_json::from_slice(&std::fs::read(super::fixtures::path(rel)).unwrap()).unwrap()
    };
    let ledger = read("ledgers/healthy.json");
    let v = validator(spec("ledger"));
    assert_valid(&v, &ledger, "healthy ledger");
    assert_refused(&v, &ledger, "an unknown top-level member", |l| {
        l["extra"] = json!(1)
    });
    assert_refused(&v, &ledger, "an unknown member of an entry", |l| {
        l["entries"][0]["extra"] = json!(1)
    });
    assert_refused(&v, &ledger, "a hash that is not hex", |l| {
        l["entries"][0]["ledger_hash"] = json!("XYZ")
    });
    assert_refused(&v, &ledger, "entries as a string", |l| {
        l["entries"] = json!("none")
    });
    assert_refused(&v, &ledger, "another schema name", |l| {
        l["schema"] = json!("other.v1")
    });
    assert_refused(&v, &ledger, "no entries", |l| {
        l.as_object_mut().unwrap().remove("entries");
    });

    let bundle = read("bundles/incident-external.json");
    let v = validator(spec("evidence_bundle"));
    assert_refused(&v, &bundle, "an unknown bundle member", |b| {
        b["extra"] = json!(1)
    });
    assert_refused(&v, &bundle, "a bundle without its hash", |b| {
        b.as_object_mut().unwrap().retain(|k, _| k != "bundle_hash");
    });

    let labels = read("traces/benign-git-review-1.labels.json");
    let v = validator(spec("trace_labels"));
    assert_refused(&v, &labels, "an unknown labels member", |l| {
        l["note"] = json!("x")
    });
    assert_refused(&v, &labels, "a kind that is not a label", |l| {
        l["kind"] = json!("evil")
    });
    assert_refused(&v, &labels, "labels without a kind", |l| {
        l.as_object_mut().unwrap().remove("kind");
    });

    let verdicts =
        std::fs::read_to_string(super::fixtures::path("runs/incident/verdicts.jsonl")).unwrap();
    let verdict: Value = serde_json::from_str(verdicts.lines().next().unwrap()).unwrap();
    let v = validator(spec("verdict"));
    assert_refused(&v, &verdict, "blocked as a string", |l| {
        l["blocked"] = json!("yes")
    });
    assert_refused(&v, &verdict, "a verdict without call_id", |l| {
        l.as_object_mut().unwrap().remove("call_id");
    });
}

/// Lines the reader and the schema both accept (`true`) or both refuse (`false`).
const EVENT_LINES: &[(&str, bool)] = &[
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{"command":"ls"}}"#,
        true,
    ),
    (
        r#"{"ts_ms":1,"schema":"hostguard.hostcall_event.v1","extension_id":"e","call_id":"c","method":"fs","params":{"op":"read","path":"a"},"capability":" READ ","outcome":{"error_code":null,"latency_ms":3},"false_positive":true}"#,
        true,
    ),
    (
        r#"{"ts_ms":2,"op":"kill_switch","extension_id":"e","reason":"INC-1"}"#,
        true,
    ),
    (
        r#"{"ts_ms":2,"op":"set_rollout_phase","phase":"Enforce_All","reason":"go"}"#,
        true,
    ),
    (r#"{"ts_ms":2,"op":"advance_rollout"}"#, true),
    (
        r#"{"ts_ms":2,"op":"resolve_prompt","call_id":"c","approved":false}"#,
        true,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{"command":"ls"},"extra":1}"#,
        false,
    ),
    (
        r#"{"ts_ms":"soon","extension_id":"e","call_id":"c","method":"exec","params":{}}"#,
        false,
    ),
    (
        r#"{"ts_ms":-1,"extension_id":"e","call_id":"c","method":"exec","params":{}}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"","call_id":"c","method":"exec","params":{}}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","method":"exec","params":{}}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"teleport","params":{}}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":[]}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{},"capability":null}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{},"outcome":{"code":1}}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{},"reason":"x"}"#,
        false,
    ),
    (
        r#"{"ts_ms":1,"schema":"hostguard.hostcall_event.v2","extension_id":"e","call_id":"c","method":"exec","params":{}}"#,
        false,
    ),
    (
        r#"{"extension_id":"e","call_id":"c","method":"exec","params":{}}"#,
        false,
    ),
    (r#"{"ts_ms":2,"op":"kill_switch"}"#, false),
    (
        r#"{"ts_ms":2,"op":"kill_switch","extension_id":"e","phase":"shadow"}"#,
        false,
    ),
    (
        r#"{"ts_ms":2,"op":"set_rollout_phase","phase":"everywhere"}"#,
        false,
    ),
    (r#"{"ts_ms":2,"op":"resolve_prompt","call_id":"c"}"#, false),
    (
        r#"{"ts_ms":2,"op":"advance_rollout","method":"exec"}"#,
        false,
    ),
    (r#"{"ts_ms":2,"op":"reboot"}"#, false),
    (r#"[1,2]"#, false),
    (r#"null"#, false),
];

/// Lines the schema accepts but the reader refuses: what a schema cannot say (the capability
/// derived from `method` and `params`, docs/event-format.md).
const EVENT_LINES_BEYOND_SCHEMA: &[&str] = &[
    r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{"command":"ls"},"capability":"read"}"#,
    r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"fs","params":{"op":"teleport","path":"a"}}"#,
];

#[test]
fn hostcall_event_schema_agrees_with_the_reader() {
    let v = validator(spec("hostcall_event"));
    for (line, accepted) in EVENT_LINES {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(parse_line(line).is_ok(), *accepted, "reader on {line}");
        assert_eq!(v.is_valid(&value), *accepted, "schema on {line}");
    }
    for line in EVENT_LINES_BEYOND_SCHEMA {
        let value: Value = serde_json::from_str(line).unwrap();
        assert!(parse_line(line).is_err(), "reader on {line}");
        assert!(v.is_valid(&value), "schema on {line}");
    }
    // Every fixture line the schema accepts, the reader accepts too (and the fixtures test
    // checks the schema accepts them all).
    for file in expand("fixtures/streams/*.jsonl") {
        for line in std::fs::read_to_string(&file).unwrap().lines().take(2000) {
            assert!(parse_line(line).is_ok(), "{}: {line}", file.display());
        }
    }
}

/// Config files the loader and the schema both accept (`true`) or both refuse.
const CONFIG_FILES: &[(&str, bool)] = &[
    ("{}", true),
    (
        r#"{"enabled":true,"alpha":0.05,"window_size":64,"profile":"safe"}"#,
        true,
    ),
    (
        r#"{"alpha":"0.05","enabled":"YES","fail_closed":0,"profile":" Permissive "}"#,
        true,
    ),
    (
        r#"{"profile":null,"cooldown_calls":1000,"de_escalation_margin":0}"#,
        true,
    ),
    (
        r#"{"enforce":false,"ledger_limit":32,"decision_timeout_ms":2000}"#,
        true,
    ),
    (r#"{"alpha":0.9}"#, false),
    (r#"{"window_size":4}"#, false),
    (r#"{"ledger_limit":2000000}"#, false),
    (r#"{"alpha_typo":0.1}"#, false),
    (r#"{"enabled":"maybe"}"#, false),
    (r#"{"enabled":2}"#, false),
    (r#"{"profile":"loose"}"#, false),
    (r#"{"band_profile":"safe"}"#, true),
    (r#"{"profile":"safe","band_profile":"safe"}"#, false),
    (r#"{"HOSTGUARD_RISK_WINDOW":64}"#, false),
    (r#"{"window_size":[8]}"#, false),
    (r#"{"enabled":null}"#, false),
    (r#"[]"#, false),
];

#[test]
fn risk_config_schema_agrees_with_the_loader() {
    let v = validator(spec("risk_config"));
    let dir = tempfile::tempdir().unwrap();
    for (text, accepted) in CONFIG_FILES {
        let file = write(dir.path(), "risk.json", text);
        let o = hostguard(&["config", "explain", "--config", s(&file)]);
        assert_eq!(o.code == 0, *accepted, "loader on {text}: {}", o.stderr);
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v.is_valid(&value), *accepted, "schema on {text}");
    }
}

/// Runs `args` (a `--json` command) and validates its one document against schema `name`.
fn assert_report_valid(name: &str, args: &[&str]) -> Value {
    let o = hostguard(args);
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_valid(&validator(spec(name)), &doc, &format!("{args:?}"));
    doc
}

#[test]
fn every_commands_json_report_validates() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    assert_report_valid("demo_summary", &["demo", "--out", s(&demo), "--json"]);
    let events = demo.join("events.jsonl");
    assert_report_valid("events_check", &["events", "check", s(&events), "--json"]);
    let run = dir.path().join("run");
    assert_report_valid(
        "run_summary",
        &["run", "--events", s(&events), "--out", s(&run), "--json"],
    );
    let labels = write(
        dir.path(),
        "l.labels.json",
        r#"{"schema":"hostguard.trace_labels.v1","trace":"demo","kind":"malicious","description":"the demo","extensions":{"code-helper":"benign","theme-pack":"malicious"},"harmful_call_ids":["tp-8"]}"#,
    );
    let config = write(dir.path(), "c.toml", "band_profile = \"safe\"\n");
    let what_if = assert_report_valid(
        "what_if",
        &[
            "what-if",
            "--events",
            s(&events),
            "--config",
            s(&config),
            "--labels",
            s(&labels),
            "--json",
        ],
    );
    assert!(what_if["detection"].is_object(), "{what_if}");
    let bundle = dir.path().join("b.json");
    assert_report_valid(
        "bundle_build",
        &[
            "bundle",
            "build",
            "--from",
            s(&run),
            "--out",
            s(&bundle),
            "--json",
        ],
    );
    let key = dir.path().join("k");
    assert_report_valid(
        "key_generate",
        &["key", "generate", "--out", s(&key), "--json"],
    );
    assert_report_valid(
        "ledger_checkpoint",
        &[
            "ledger",
            "checkpoint",
            s(&run.join("ledger.json")),
            "--key",
            s(&key),
            "--json",
        ],
    );
    assert_report_valid(
        "bundle_export",
        &[
            "bundle",
            "export",
            s(&bundle),
            "--dsse",
            "--key",
            s(&key),
            "--json",
        ],
    );
}
