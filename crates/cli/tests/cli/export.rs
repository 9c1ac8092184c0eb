//! `hostguard export --format ocsf|jsonl` (docs/export-format.md): every OCSF line of the demo
//! checked against the published OCSF 1.8.0 requirements of the classes and objects it emits,
//! the counts and ledger links of both formats, and the refusal of a ledger that does not
//! verify.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::fixtures;
use super::support::*;

/// The JSON type an attribute must have (OCSF `integer_t`/`long_t`/`timestamp_t` are integers).
#[derive(Clone, Copy)]
enum Ty {
    Int,
    /// An integer enum: the published ids.
    IntIn(&'static [i64]),
    Str,
    Strs,
    Bool,
    Obj(&'static Shape),
    Objs(&'static Shape),
    /// `unmapped`: any object.
    AnyObj,
}

/// One attribute: name, whether the schema marks it `required`, its type.
struct Attr(&'static str, bool, Ty);

/// A class or object of OCSF 1.8.0 (git tag state 3dcb905d of ocsf/ocsf-schema): the attributes
/// we may emit with their types, every attribute the schema defines (inherited ones and applied
/// profiles included), and its `at_least_one` constraint.
struct Shape {
    name: &'static str,
    attrs: &'static [Attr],
    defined: &'static [&'static str],
    at_least_one: &'static [&'static str],
}

const R: bool = true;
const O: bool = false;
const SEVERITY_IDS: &[i64] = &[0, 1, 2, 3, 4, 5, 6, 99];
const ANALYTIC_TYPE_IDS: &[i64] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99];
const DISPOSITION_IDS: &[i64] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 99,
];
const ENTITY: &[&str] = &["name", "uid"];

static DETECTION_FINDING: Shape = Shape {
    name: "Detection Finding",
    attrs: &[
        Attr("activity_id", R, Ty::IntIn(&[0, 1, 2, 3, 99])),
        Attr("activity_name", O, Ty::Str),
        Attr("category_uid", R, Ty::IntIn(&[2])),
        Attr("category_name", O, Ty::Str),
        Attr("class_uid", R, Ty::IntIn(&[2004])),
        Attr("class_name", O, Ty::Str),
        Attr("type_uid", R, Ty::Int),
        Attr("type_name", O, Ty::Str),
        Attr("severity_id", R, Ty::IntIn(SEVERITY_IDS)),
        Attr("severity", O, Ty::Str),
        Attr("status_id", O, Ty::IntIn(&[0, 1, 2, 3, 4, 5, 6, 99])),
        Attr("status", O, Ty::Str),
        Attr("time", R, Ty::Int),
        Attr("message", O, Ty::Str),
        Attr("is_alert", O, Ty::Bool),
        Attr("risk_score", O, Ty::Int),
        Attr("metadata", R, Ty::Obj(&METADATA)),
        Attr("finding_info", R, Ty::Obj(&FINDING_INFO)),
        Attr("remediation", O, Ty::Obj(&REMEDIATION)),
        Attr("evidences", O, Ty::Objs(&EVIDENCES)),
        Attr("unmapped", O, Ty::AnyObj),
    ],
    defined: &[
        "activity_id",
        "activity_name",
        "anomaly_analyses",
        "category_name",
        "category_uid",
        "class_name",
        "class_uid",
        "comment",
        "confidence",
        "confidence_id",
        "confidence_score",
        "count",
        "device",
        "duration",
        "end_time",
        "enrichments",
        "evidences",
        "finding_info",
        "impact",
        "impact_id",
        "impact_score",
        "is_alert",
        "malware",
        "malware_scan_info",
        "message",
        "metadata",
        "observables",
        "raw_data",
        "raw_data_hash",
        "raw_data_size",
        "remediation",
        "resources",
        "risk_details",
        "risk_level",
        "risk_level_id",
        "risk_score",
        "severity",
        "severity_id",
        "start_time",
        "status",
        "status_code",
        "status_detail",
        "status_id",
        "time",
        "timezone_offset",
        "type_name",
        "type_uid",
        "unmapped",
        "vendor_attributes",
        "vulnerabilities",
    ],
    at_least_one: &[],
};

/// API Activity with the Security Control profile applied.
static API_ACTIVITY: Shape = Shape {
    name: "API Activity",
    attrs: &[
        Attr("activity_id", R, Ty::IntIn(&[0, 1, 2, 3, 4, 99])),
        Attr("activity_name", O, Ty::Str),
        Attr("category_uid", R, Ty::IntIn(&[6])),
        Attr("category_name", O, Ty::Str),
        Attr("class_uid", R, Ty::IntIn(&[6003])),
        Attr("class_name", O, Ty::Str),
        Attr("type_uid", R, Ty::Int),
        Attr("type_name", O, Ty::Str),
        Attr("severity_id", R, Ty::IntIn(SEVERITY_IDS)),
        Attr("severity", O, Ty::Str),
        Attr("time", R, Ty::Int),
        Attr("message", O, Ty::Str),
        Attr("actor", R, Ty::Obj(&ACTOR)),
        Attr("api", R, Ty::Obj(&API)),
        Attr("src_endpoint", R, Ty::Obj(&NETWORK_ENDPOINT)),
        Attr("action_id", O, Ty::IntIn(&[0, 1, 2, 3, 4, 99])),
        Attr("action", O, Ty::Str),
        Attr("disposition_id", O, Ty::IntIn(DISPOSITION_IDS)),
        Attr("disposition", O, Ty::Str),
        Attr("is_alert", O, Ty::Bool),
        Attr("policy", O, Ty::Obj(&POLICY)),
        Attr("risk_score", O, Ty::Int),
        Attr("metadata", R, Ty::Obj(&METADATA)),
        Attr("unmapped", O, Ty::AnyObj),
    ],
    defined: &[
        "action",
        "action_id",
        "activity_id",
        "activity_name",
        "actor",
        "api",
        "attacks",
        "authorizations",
        "category_name",
        "category_uid",
        "class_name",
        "class_uid",
        "confidence",
        "confidence_id",
        "confidence_score",
        "count",
        "disposition",
        "disposition_id",
        "dst_endpoint",
        "duration",
        "end_time",
        "enrichments",
        "firewall_rule",
        "http_request",
        "http_response",
        "is_alert",
        "malware",
        "malware_scan_info",
        "message",
        "metadata",
        "observables",
        "policy",
        "raw_data",
        "raw_data_hash",
        "raw_data_size",
        "resources",
        "risk_details",
        "risk_level",
        "risk_level_id",
        "risk_score",
        "severity",
        "severity_id",
        "src_endpoint",
        "start_time",
        "status",
        "status_code",
        "status_detail",
        "status_id",
        "time",
        "timezone_offset",
        "type_name",
        "type_uid",
        "unmapped",
    ],
    at_least_one: &[],
};

static METADATA: Shape = Shape {
    name: "metadata",
    attrs: &[
        Attr("version", R, Ty::Str),
        Attr("product", R, Ty::Obj(&PRODUCT)),
        Attr("log_name", O, Ty::Str),
        Attr("uid", O, Ty::Str),
        Attr("correlation_uid", O, Ty::Str),
        Attr("profiles", O, Ty::Strs),
    ],
    defined: &[
        "correlation_uid",
        "debug",
        "event_code",
        "extension",
        "extensions",
        "is_truncated",
        "labels",
        "log_format",
        "log_level",
        "log_name",
        "log_provider",
        "log_source",
        "log_version",
        "logged_time",
        "loggers",
        "modified_time",
        "original_event_uid",
        "original_time",
        "processed_time",
        "product",
        "profiles",
        "reporter",
        "sequence",
        "source",
        "tags",
        "tenant_uid",
        "total_queued_duration",
        "transformation_info_list",
        "transmit_time",
        "type",
        "uid",
        "untruncated_size",
        "version",
    ],
    at_least_one: &[],
};

static PRODUCT: Shape = Shape {
    name: "product",
    attrs: &[
        Attr("name", O, Ty::Str),
        Attr("vendor_name", O, Ty::Str),
        Attr("version", O, Ty::Str),
    ],
    defined: &[
        "cpe_name",
        "feature",
        "lang",
        "name",
        "path",
        "uid",
        "url_string",
        "vendor_name",
        "version",
    ],
    at_least_one: ENTITY,
};

static FINDING_INFO: Shape = Shape {
    name: "finding_info",
    attrs: &[
        Attr("uid", R, Ty::Str),
        Attr("title", O, Ty::Str),
        Attr("desc", O, Ty::Str),
        Attr("types", O, Ty::Strs),
        Attr("created_time", O, Ty::Int),
        Attr("analytic", O, Ty::Obj(&ANALYTIC)),
        Attr("related_analytics", O, Ty::Objs(&ANALYTIC)),
        Attr("attacks", O, Ty::Objs(&ATTACK)),
    ],
    defined: &[
        "analytic",
        "attack_graph",
        "attacks",
        "created_time",
        "data_sources",
        "desc",
        "first_seen_time",
        "kill_chain",
        "last_seen_time",
        "modified_time",
        "product",
        "product_uid",
        "related_analytics",
        "related_events",
        "related_events_count",
        "src_url",
        "tags",
        "title",
        "traits",
        "types",
        "uid",
        "uid_alt",
    ],
    at_least_one: &[],
};

static ANALYTIC: Shape = Shape {
    name: "analytic",
    attrs: &[
        Attr("type_id", R, Ty::IntIn(ANALYTIC_TYPE_IDS)),
        Attr("type", O, Ty::Str),
        Attr("uid", O, Ty::Str),
        Attr("name", O, Ty::Str),
    ],
    defined: &[
        "algorithm",
        "category",
        "desc",
        "name",
        "related_analytics",
        "state",
        "state_id",
        "type",
        "type_id",
        "uid",
        "version",
    ],
    at_least_one: ENTITY,
};

static ATTACK: Shape = Shape {
    name: "attack",
    attrs: &[
        Attr("technique", O, Ty::Obj(&TECHNIQUE)),
        Attr("sub_technique", O, Ty::Obj(&TECHNIQUE)),
    ],
    defined: &[
        "mitigation",
        "sub_technique",
        "tactic",
        "tactics",
        "technique",
        "version",
    ],
    at_least_one: &["tactic", "technique", "sub_technique"],
};

/// `technique` and `sub_technique` define the same attributes.
static TECHNIQUE: Shape = Shape {
    name: "technique",
    attrs: &[Attr("uid", O, Ty::Str)],
    defined: &["name", "src_url", "uid"],
    at_least_one: ENTITY,
};

static REMEDIATION: Shape = Shape {
    name: "remediation",
    attrs: &[Attr("desc", R, Ty::Str)],
    defined: &[
        "cis_controls",
        "desc",
        "kb_article_list",
        "kb_articles",
        "references",
    ],
    at_least_one: &[],
};

static EVIDENCES: Shape = Shape {
    name: "evidences",
    attrs: &[
        Attr("actor", O, Ty::Obj(&ACTOR)),
        Attr("api", O, Ty::Obj(&API)),
    ],
    defined: &[
        "actor",
        "api",
        "connection_info",
        "container",
        "data",
        "database",
        "databucket",
        "device",
        "dst_endpoint",
        "email",
        "file",
        "http_request",
        "http_response",
        "ja4_fingerprint_list",
        "job",
        "name",
        "process",
        "query",
        "resources",
        "script",
        "src_endpoint",
        "tls",
        "uid",
        "url",
        "user",
        "verdict",
        "verdict_id",
    ],
    at_least_one: &[
        "actor",
        "api",
        "connection_info",
        "data",
        "database",
        "databucket",
        "device",
        "dst_endpoint",
        "email",
        "file",
        "process",
        "query",
        "resources",
        "src_endpoint",
        "url",
        "user",
        "job",
        "script",
    ],
};

static ACTOR: Shape = Shape {
    name: "actor",
    attrs: &[Attr("app_name", O, Ty::Str)],
    defined: &[
        "app_name",
        "app_uid",
        "authorizations",
        "idp",
        "invoked_by",
        "process",
        "session",
        "user",
    ],
    at_least_one: &[
        "process",
        "user",
        "invoked_by",
        "session",
        "app_name",
        "app_uid",
    ],
};

static API: Shape = Shape {
    name: "api",
    attrs: &[
        Attr("operation", R, Ty::Str),
        Attr("request", O, Ty::Obj(&REQUEST)),
    ],
    defined: &[
        "group",
        "operation",
        "request",
        "response",
        "service",
        "token",
        "version",
    ],
    at_least_one: &[],
};

static REQUEST: Shape = Shape {
    name: "request",
    attrs: &[Attr("uid", R, Ty::Str)],
    defined: &["containers", "data", "flags", "uid"],
    at_least_one: &[],
};

static NETWORK_ENDPOINT: Shape = Shape {
    name: "network_endpoint",
    attrs: &[Attr("name", O, Ty::Str)],
    defined: &[
        "agent_list",
        "domain",
        "hostname",
        "hw_info",
        "instance_uid",
        "interface_name",
        "interface_uid",
        "ip",
        "location",
        "mac",
        "mac_vendor",
        "name",
        "os",
        "owner",
        "pool",
        "subnet_uid",
        "type",
        "type_id",
        "uid",
        "vlan_uid",
        "vpc_uid",
        "zone",
        "autonomous_system",
        "fingerprints",
        "intermediate_ips",
        "isp",
        "isp_org",
        "network_scope",
        "network_scope_id",
        "port",
        "proxy_endpoint",
        "svc_name",
    ],
    at_least_one: &[
        "ip",
        "uid",
        "name",
        "hostname",
        "svc_name",
        "instance_uid",
        "interface_uid",
        "interface_name",
        "domain",
    ],
};

static POLICY: Shape = Shape {
    name: "policy",
    attrs: &[Attr("name", O, Ty::Str)],
    defined: &[
        "data",
        "desc",
        "group",
        "is_applied",
        "name",
        "type",
        "uid",
        "version",
    ],
    at_least_one: &["name", "type", "uid"],
};

/// Every violation of `shape` by `value`, each naming its path.
fn check(value: &Value, shape: &Shape, path: &str, errors: &mut Vec<String>) {
    let Some(obj) = value.as_object() else {
        errors.push(format!("{path}: {} is not an object", shape.name));
        return;
    };
    for Attr(name, required, _) in shape.attrs {
        if *required && !obj.contains_key(*name) {
            errors.push(format!(
                "{path}: required `{name}` of {} missing",
                shape.name
            ));
        }
    }
    if !shape.at_least_one.is_empty() && !shape.at_least_one.iter().any(|k| obj.contains_key(*k)) {
        errors.push(format!(
            "{path}: {} has none of {:?}",
            shape.name, shape.at_least_one
        ));
    }
    for (key, v) in obj {
        let at = format!("{path}.{key}");
        if !shape.defined.contains(&key.as_str()) {
            errors.push(format!("{at}: {} defines no `{key}`", shape.name));
        }
        match shape.attrs.iter().find(|a| a.0 == key) {
            Some(Attr(_, _, ty)) => check_type(v, *ty, &at, errors),
            None => errors.push(format!("{at}: not in the test's typed table")),
        }
    }
}

fn check_type(v: &Value, ty: Ty, at: &str, errors: &mut Vec<String>) {
    let ok = match ty {
        Ty::Int => v.is_i64() || v.is_u64(),
        Ty::IntIn(ids) => v.as_i64().is_some_and(|i| ids.contains(&i)),
        Ty::Str => v.is_string(),
        Ty::Strs => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Ty::Bool => v.is_boolean(),
        Ty::AnyObj => v.is_object(),
        Ty::Obj(shape) => {
            check(v, shape, at, errors);
            true
        }
        Ty::Objs(shape) => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(item, shape, &format!("{at}[{i}]"), errors);
                }
                true
            }
            None => false,
        },
    };
    if !ok {
        errors.push(format!("{at}: `{v}` is not of the published type or enum"));
    }
}

/// Runs the demo into `dir/demo` and returns the folder.
fn demo(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("demo");
    let o = hostguard(&["demo", "--out", s(&out)]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    out
}

fn export(format: &str, source: &Path) -> Vec<Value> {
    let o = hostguard(&["export", "--format", format, s(source)]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    o.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The alerts of `alerts.json` and the `seq` of every decision entry of `ledger.json`.
fn sources(out: &Path) -> (Vec<Value>, Vec<u64>) {
    let alerts = read(&out.join("alerts.json"));
    let alerts = alerts
        .get("alerts")
        .and_then(Value::as_array)
        .unwrap()
        .clone();
    let ledger = read(&out.join("ledger.json"));
    let decisions = ledger
        .get("entries")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter(|e| e.pointer("/body/full/decision").is_some())
        .map(|e| e.get("seq").and_then(Value::as_u64).unwrap())
        .collect();
    (alerts, decisions)
}

#[test]
fn every_ocsf_line_of_the_demo_meets_the_published_requirements_of_its_class() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path());
    let lines = export("ocsf", &out);
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let shape = match line["class_uid"].as_i64() {
            Some(2004) => &DETECTION_FINDING,
            Some(6003) => &API_ACTIVITY,
            other => {
                errors.push(format!("line {i}: unexpected class_uid {other:?}"));
                continue;
            }
        };
        check(line, shape, &format!("line {i}"), &mut errors);
        let (class, activity) = (line["class_uid"].as_i64(), line["activity_id"].as_i64());
        assert_eq!(
            line["type_uid"].as_i64(),
            Some(class.unwrap() * 100 + activity.unwrap()),
            "line {i}"
        );
        let category = if class == Some(2004) { 2 } else { 6 };
        assert_eq!(line["category_uid"], category, "line {i}");
        assert_eq!(line["metadata"]["version"], "1.8.0", "line {i}");
        assert_eq!(line["metadata"]["product"]["name"], "hostguard", "line {i}");
        assert_eq!(
            line["metadata"]["product"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        if line.get("action_id").is_some() {
            // Security Control attributes are the class's only with the profile applied.
            assert_eq!(
                line["metadata"]["profiles"],
                serde_json::json!(["security_control"])
            );
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The table bites: a line missing a required attribute, with an undefined one, an enum id
    // out of range and a wrongly typed object member is reported on each count.
    let mut broken = lines
        .iter()
        .find(|l| l["class_uid"] == 6003)
        .unwrap()
        .clone();
    let obj = broken.as_object_mut().unwrap();
    obj.remove("actor");
    obj.insert("bogus".into(), Value::Bool(true));
    obj.insert("disposition_id".into(), 28.into());
    broken["api"]["request"]["uid"] = 7.into();
    let mut found = Vec::new();
    check(&broken, &API_ACTIVITY, "broken", &mut found);
    for needle in [
        "`actor`",
        "`bogus`",
        "broken.disposition_id",
        "broken.api.request.uid",
    ] {
        assert!(
            found.iter().any(|e| e.contains(needle)),
            "{needle}: {found:?}"
        );
    }
}

#[test]
fn ocsf_export_has_a_finding_per_alert_and_an_event_per_decision_joined_by_ledger_hash() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path());
    let (alerts, decisions) = sources(&out);
    let lines = export("ocsf", &out);
    let findings: Vec<&Value> = lines.iter().filter(|l| l["class_uid"] == 2004).collect();
    let activity: Vec<&Value> = lines.iter().filter(|l| l["class_uid"] == 6003).collect();
    assert_eq!(findings.len(), alerts.len());
    assert_eq!(findings.len() + activity.len(), lines.len());
    let seqs: Vec<u64> = activity
        .iter()
        .map(|l| l["unmapped"]["ledger_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs, decisions,
        "one API Activity per decision entry, in seq order"
    );
    // Every alert of the demo is about an entry of its ledger; call alerts about a decision,
    // whose API Activity carries the same correlation uid (the entry's ledger hash).
    for (f, alert) in findings.iter().zip(&alerts) {
        assert_eq!(f["unmapped"]["sequence_id"], alert["sequence_id"]);
        assert_eq!(f["time"], alert["ts_ms"]);
        let hash = f["unmapped"]["ledger_hash"].as_str().unwrap();
        assert_eq!(f["metadata"]["correlation_uid"], hash);
        if alert["method"] != "" {
            let event = activity.iter().find(|a| a["metadata"]["uid"] == hash);
            assert!(event.is_some(), "no decision event for {f}");
            let event = event.unwrap();
            assert_eq!(event["api"]["operation"], alert["method"]);
            assert_eq!(event["actor"]["app_name"], alert["extension_id"]);
            assert_eq!(f["evidences"][0]["api"]["request"], event["api"]["request"]);
        }
    }
    let exec = findings
        .iter()
        .find(|f| f["unmapped"]["category"] == "exec_mediation")
        .unwrap();
    assert_eq!(
        exec["finding_info"]["analytic"]["uid"],
        "execution.pipe_to_shell"
    );
    assert_eq!(exec["severity_id"], 5, "critical alert → Critical");
    let first: Vec<String> = lines
        .iter()
        .take(2)
        .chain(findings.iter().copied().take(2))
        .map(Value::to_string)
        .collect();
    insta::assert_snapshot!("export_ocsf_demo_head", first.join("\n"));
}

#[test]
fn jsonl_export_is_flat_documented_and_counts_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path());
    let (alerts, decisions) = sources(&out);
    let lines = export("jsonl", &out);
    let doc = std::fs::read_to_string(fixtures::path("../docs/export-format.md")).unwrap();
    let mut members = BTreeSet::new();
    for line in &lines {
        assert_eq!(line["schema"], "hostguard.export.v1");
        for (key, value) in line.as_object().unwrap() {
            assert!(
                key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{key} is not snake_case"
            );
            assert!(
                !value.is_object(),
                "{key}: a jsonl line is flat (no nested objects)"
            );
            members.insert(key.clone());
        }
    }
    for key in &members {
        assert!(
            doc.contains(&format!("| `{key}` |")),
            "docs/export-format.md lacks `{key}`"
        );
    }
    let kinds = |kind: &str| lines.iter().filter(|l| l["record"] == kind).count();
    assert_eq!(kinds("alert"), alerts.len());
    assert_eq!(kinds("decision"), decisions.len());
    assert_eq!(kinds("alert") + kinds("decision"), lines.len());
}

#[test]
fn a_durable_ledger_file_exports_the_decisions_of_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ledger) = (dir.path().join("out"), dir.path().join("l.jsonl"));
    let o = hostguard(&[
        "run",
        "--events",
        &fixtures::s("streams/incident.jsonl"),
        "--out",
        s(&out),
        "--ledger-file",
        s(&ledger),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let from_file = export("jsonl", &ledger);
    let from_run: Vec<Value> = export("jsonl", &out)
        .into_iter()
        .filter(|l| l["record"] == "decision")
        .collect();
    assert!(!from_file.is_empty());
    assert_eq!(from_file, from_run);
}

#[test]
fn a_ledger_that_does_not_verify_is_refused_with_nothing_on_stdout() {
    let tampered = fixtures::path("ledgers/tampered.json");
    for format in ["ocsf", "jsonl"] {
        let o = hostguard(&["export", "--format", format, s(&tampered)]);
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stdout.is_empty(), "{}", o.stdout);
        assert!(o.stderr.starts_with("hostguard: "), "{}", o.stderr);
        assert!(o.stderr.contains("body_digest_mismatch"), "{}", o.stderr);
    }
    // A run folder whose ledger was swapped for the tampered one is refused the same way.
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path());
    std::fs::copy(&tampered, out.join("ledger.json")).unwrap();
    let o = hostguard(&["export", "--format", "ocsf", s(&out)]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    // --json: the one stdout line is the error document.
    let o = hostguard(&["export", "--format", "ocsf", "--json", s(&tampered)]);
    assert_eq!(o.code, 1);
    let doc: Value = serde_json::from_str(o.stdout.trim_end()).unwrap();
    assert_eq!(doc["schema"], "hostguard.cli_error.v1");
    assert_eq!(doc["exit_code"], 1);
}

#[test]
fn missing_sources_and_bad_formats_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures::path("ledgers/healthy.json"),
        dir.path().join("ledger.json"),
    )
    .unwrap();
    let o = hostguard(&["export", "--format", "ocsf", s(dir.path())]);
    assert_bad_input(&o, "alerts.json");
    assert!(o.stdout.is_empty());
    let o = hostguard(&["export", "--format", "csv", s(dir.path())]);
    assert_eq!(o.code, 2);
    assert_bad_input(
        &hostguard(&[
            "export",
            "--format",
            "ocsf",
            s(&dir.path().join("none.json")),
        ]),
        "cannot read",
    );
}
