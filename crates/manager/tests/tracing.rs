//! The `tracing` events a host sees (docs/tracing.md): targets, levels, field names and values
//! are a contract. Each test installs a capturing subscriber for its own thread
//! (`with_default`), drives a manager through the public API and checks every event against the
//! verdict or the ledger it describes.

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]
#![expect(
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use hostguard_manager::{
    check_ledger_against_checkpoint, open_checkpoint, verify_incident_evidence_bundle,
    verify_runtime_risk_ledger_artifact, Checkpoint, ExtensionManager, ExtensionPolicy,
    FsyncPolicy, HostCall, IncidentBundleFilter, IncidentBundleRedactionPolicy, ManualClock,
    NoteName, PolicyProfile, QuotaLimits, RolloutPhase, RuntimeRiskConfig, SecurityAlertCategory,
    SignerKey, Verdict, ALERT_TARGET, CONTROL_TARGET, DECISION_TARGET, VERIFY_TARGET,
};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The documented fields of each target (docs/tracing.md); optional ones are absent when the
/// value does not exist.
const DECISION_FIELDS: [&str; 15] = [
    "extension",
    "call_id",
    "method",
    "capability",
    "seq",
    "action",
    "selected",
    "applied",
    "basis",
    "enforced",
    "phase",
    "reason_code",
    "score",
    "risk_state",
    "rule",
];
const ALERT_FIELDS: [&str; 10] = [
    "category",
    "severity",
    "action",
    "code",
    "rule",
    "extension",
    "call_id",
    "seq",
    "alert_seq",
    "score",
];
const CONTROL_FIELDS: [&str; 10] = [
    "action",
    "extension",
    "call_id",
    "seq",
    "recorded",
    "automatic",
    "from",
    "to",
    "code",
    "approved",
];
const VERIFY_FIELDS: [&str; 10] = [
    "subject",
    "valid",
    "entries",
    "errors",
    "code",
    "first_invalid_index",
    "covered",
    "after",
    "truncated_bytes",
    "extensions",
];

/// One recorded field value.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Str(String),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// One captured event: target, level, fields (the message apart).
#[derive(Debug, Clone)]
struct Captured {
    target: String,
    level: Level,
    fields: BTreeMap<String, V>,
}

impl Captured {
    fn names(&self) -> Vec<&str> {
        self.fields.keys().map(String::as_str).collect()
    }
    fn str(&self, name: &str) -> &str {
        match &self.fields[name] {
            V::Str(s) => s,
            other => panic!("`{name}` is {other:?}, not a string"),
        }
    }
    fn get(&self, name: &str) -> Option<&V> {
        self.fields.get(name)
    }
}

/// Records every event's target, level and fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, V>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), V::Str(value.to_owned()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), V::U64(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), V::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), V::Bool(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Only the message is recorded through `Debug`; any other field would be a type the
        // contract does not name, so it is kept to fail the field-name checks.
        if field.name() != "message" {
            self.0
                .insert(field.name().to_owned(), V::Str(format!("{value:?}")));
        }
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
        });
    }
}

/// Runs `f` with the capturing subscriber as this thread's default; returns its result and
/// the hostguard events it emitted.
fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Captured>) {
    let layer = Capture::default();
    let events = Arc::clone(&layer.0);
    let subscriber = tracing_subscriber::registry().with(layer);
    let out = tracing::subscriber::with_default(subscriber, f);
    let events = events.lock().unwrap().clone();
    (out, events)
}

fn of<'a>(events: &'a [Captured], target: &str) -> Vec<&'a Captured> {
    events.iter().filter(|e| e.target == target).collect()
}

/// `documented` minus the optional fields whose value is absent.
fn expected<'a>(documented: &[&'a str], absent: &[&str]) -> Vec<&'a str> {
    let mut names: Vec<&str> = documented
        .iter()
        .copied()
        .filter(|n| !absent.contains(n))
        .collect();
    names.sort_unstable();
    names
}

fn manager(profile: PolicyProfile) -> ExtensionManager {
    ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(ExtensionPolicy::from_profile(profile))
        .quota(QuotaLimits::UNLIMITED)
        .rollout_phase(RolloutPhase::EnforceAll)
        .rng_seed(7)
        .clock(ManualClock::new(1_000))
        .build()
        .unwrap()
}

/// Checks a decision event against the verdict and against the ledger entry it names.
fn check_decision(manager: &ExtensionManager, e: &Captured, host: &HostCall, v: &Verdict) {
    assert_eq!(e.target, DECISION_TARGET);
    let mut absent = Vec::new();
    if v.risk_score().is_none() {
        absent.extend(["score", "risk_state"]);
    }
    if v.rules().is_empty() {
        absent.push("rule");
    }
    assert_eq!(e.names(), expected(&DECISION_FIELDS, &absent));
    assert_eq!(e.str("extension"), host.extension_id);
    assert_eq!(e.str("call_id"), host.call_id);
    assert_eq!(e.str("method"), host.method);
    assert_eq!(e.str("capability"), v.capability().as_str());
    assert_eq!(e.get("seq"), Some(&V::U64(v.ledger_seq())));
    assert_eq!(e.str("action"), v.action().as_str());
    assert_eq!(e.str("applied"), v.state().as_str());
    assert_eq!(e.get("enforced"), Some(&V::Bool(v.enforced())));
    assert_eq!(e.str("reason_code"), v.reason_code());
    assert_eq!(e.get("score"), v.risk_score().map(V::F64).as_ref());
    let risk_state = v.risk_state().map(|s| V::Str(s.as_str().to_owned()));
    assert_eq!(e.get("risk_state"), risk_state.as_ref());
    let rule = v.rules().first().map(|r| V::Str(r.clone()));
    assert_eq!(e.get("rule"), rule.as_ref());
    // The rest is what the ledger recorded for this seq.
    let artifact = manager.runtime_risk_ledger_artifact();
    let entry = artifact
        .entries
        .iter()
        .find(|x| x.seq == v.ledger_seq())
        .unwrap();
    let record = entry.decision().unwrap();
    let applied = record.applied.as_ref().unwrap();
    assert_eq!(record.call_id, host.call_id);
    assert_eq!(e.str("selected"), record.selected_action.as_str());
    assert_eq!(e.str("applied"), applied.action.as_str());
    assert_eq!(e.str("basis"), applied.basis.as_str());
    assert_eq!(e.str("phase"), record.rollout_phase);
}

#[test]
fn an_allowed_call_is_one_debug_decision_event_and_nothing_else() {
    let m = manager(PolicyProfile::Permissive);
    let host = HostCall::new("ext-a", "call-1", "log", json!({"message": "hello"}));
    let (v, events) = capture(|| m.evaluate_hostcall(&host).unwrap());
    assert_eq!(v.action().as_str(), "allow");
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.level, Level::DEBUG);
    check_decision(&m, e, &host, &v);
    assert_eq!(e.str("phase"), "enforce_all");
}

#[test]
fn a_denied_call_is_a_warn_decision_then_its_alert_naming_the_rule() {
    let m = manager(PolicyProfile::Permissive);
    let host = HostCall::new("ext-x", "c-1", "exec", json!({"command": "rm -rf *"}));
    let (v, events) = capture(|| m.evaluate_hostcall(&host).unwrap());
    assert!(v.is_blocked(), "{}", v.reason());
    let decisions = of(&events, DECISION_TARGET);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].level, Level::WARN);
    check_decision(&m, decisions[0], &host, &v);
    assert_eq!(decisions[0].str("rule"), "impact.delete_user_data");
    // The decision comes first, then one event per alert the decision raised.
    assert_eq!(events[0].target, DECISION_TARGET);
    let alerts = m.security_alerts();
    let events = of(&events, ALERT_TARGET);
    assert_eq!(events.len(), alerts.len());
    assert!(!alerts.is_empty());
    for (e, a) in events.iter().zip(&alerts) {
        let mut absent = vec![];
        if a.risk_score.is_none() {
            absent.push("score");
        }
        if a.category != SecurityAlertCategory::ExecMediation {
            absent.push("rule");
        }
        assert_eq!(e.names(), expected(&ALERT_FIELDS, &absent), "{a:?}");
        assert_eq!(e.str("category"), a.category.as_str());
        assert_eq!(e.str("severity"), a.severity.as_str());
        assert_eq!(e.str("action"), a.action_taken);
        assert_eq!(e.str("code"), a.reason_codes[0]);
        assert_eq!(e.str("extension"), "ext-x");
        assert_eq!(e.str("call_id"), "c-1");
        assert_eq!(e.get("seq"), Some(&V::U64(v.ledger_seq())));
        assert_eq!(e.get("alert_seq"), Some(&V::U64(a.sequence_id)));
    }
    let exec = events
        .iter()
        .find(|e| e.str("category") == "exec_mediation")
        .unwrap();
    assert_eq!(exec.level, Level::WARN);
    assert_eq!(exec.str("severity"), "error");
    assert_eq!(exec.str("rule"), "impact.delete_user_data");
    // No field carries the command line.
    for e in &events {
        assert!(e.fields.values().all(|v| *v != V::Str("rm -rf *".into())));
    }
}

#[test]
fn the_kill_switch_is_a_control_event_and_a_killed_call_a_warn_decision() {
    let m = manager(PolicyProfile::Permissive);
    let (changed, events) = capture(|| m.set_kill_switch("ext-k", true, "INC-7 secret reason"));
    assert!(changed);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (CONTROL_TARGET, Level::INFO));
    let absent = ["call_id", "from", "to", "code", "approved"];
    assert_eq!(e.names(), expected(&CONTROL_FIELDS, &absent));
    assert_eq!(e.str("action"), "kill_switch_on");
    assert_eq!(e.str("extension"), "ext-k");
    assert_eq!(e.get("recorded"), Some(&V::Bool(true)));
    assert_eq!(e.get("automatic"), Some(&V::Bool(false)));
    // `seq` is the ledger entry that records the switch.
    let artifact = m.runtime_risk_ledger_artifact();
    let Some(V::U64(seq)) = e.get("seq") else {
        panic!("no seq: {e:?}")
    };
    let entry = artifact.entries.iter().find(|x| x.seq == *seq).unwrap();
    assert!(matches!(
        entry.payload(),
        Some(hostguard_manager::EntryPayload::KillSwitch(k)) if k.engaged
    ));
    // The operator's free-text reason is in the ledger, not in the event.
    assert!(e
        .fields
        .values()
        .all(|v| !matches!(v, V::Str(s) if s.contains("INC-7"))));

    let host = HostCall::new("ext-k", "c-2", "log", json!({}));
    let (v, events) = capture(|| m.evaluate_hostcall(&host).unwrap());
    assert_eq!(v.reason_code(), "kill_switch");
    let decisions = of(&events, DECISION_TARGET);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].level, Level::WARN);
    check_decision(&m, decisions[0], &host, &v);

    let (lifted, events) = capture(|| m.set_kill_switch("ext-k", false, "cleared"));
    assert!(lifted);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].str("action"), "kill_switch_off");
}

#[test]
fn rollout_changes_and_prompt_answers_are_control_events() {
    let m = ExtensionManager::builder()
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Standard))
        .rollout_phase(RolloutPhase::Shadow)
        .clock(ManualClock::new(1_000))
        .build()
        .unwrap();
    let ((), events) = capture(|| {
        assert!(m.advance_rollout());
        assert!(m.set_rollout_phase(RolloutPhase::Shadow));
    });
    let actions: Vec<_> = events
        .iter()
        .map(|e| (e.target.as_str(), e.level, e.str("action"), e.str("to")))
        .collect();
    assert_eq!(
        actions,
        [
            (CONTROL_TARGET, Level::INFO, "rollout_advance", "log_only"),
            (CONTROL_TARGET, Level::INFO, "rollout_set", "shadow"),
        ]
    );
    assert_eq!(events[0].str("from"), "shadow");
    assert_eq!(events[0].str("code"), "operator_advance");
    assert_eq!(events[1].str("code"), "operator_set");

    let host = HostCall::new("ext-p", "p-1", "exec", json!({"command": "ls"}));
    let v = m.evaluate_hostcall(&host).unwrap();
    assert!(v.requires_prompt(), "{}", v.reason());
    let (resolved, events) = capture(|| m.resolve_prompt("p-1", false));
    assert!(resolved);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.str("action"), "prompt_resolution");
    assert_eq!(e.str("call_id"), "p-1");
    assert_eq!(e.str("extension"), "ext-p");
    assert_eq!(e.get("approved"), Some(&V::Bool(false)));
}

#[test]
fn a_prompted_call_is_an_info_decision() {
    let m = manager(PolicyProfile::Standard);
    let host = HostCall::new("ext-s", "s-1", "exec", json!({"command": "ls"}));
    let (v, events) = capture(|| m.evaluate_hostcall(&host).unwrap());
    assert!(v.requires_prompt(), "{}", v.reason());
    let decisions = of(&events, DECISION_TARGET);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].level, Level::INFO);
    check_decision(&m, decisions[0], &host, &v);
}

#[test]
fn ledger_verification_is_one_verify_event_valid_or_not() {
    let m = manager(PolicyProfile::Permissive);
    for i in 0..3 {
        let host = HostCall::new("ext-v", format!("v-{i}"), "log", json!({}));
        m.evaluate_hostcall(&host).unwrap();
    }
    let artifact = m.runtime_risk_ledger_artifact();
    let (report, events) = capture(|| verify_runtime_risk_ledger_artifact(&artifact));
    assert!(report.valid);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (VERIFY_TARGET, Level::INFO));
    let optional = ["code", "first_invalid_index", "covered", "after"];
    let absent = [&optional[..], &["truncated_bytes", "extensions"]].concat();
    assert_eq!(e.names(), expected(&VERIFY_FIELDS, &absent));
    assert_eq!(e.str("subject"), "ledger");
    assert_eq!(e.get("valid"), Some(&V::Bool(true)));
    let entries = artifact.entries.len() as u64;
    assert_eq!(e.get("entries"), Some(&V::U64(entries)));
    assert_eq!(e.get("errors"), Some(&V::U64(0)));

    let mut tampered = artifact.clone();
    tampered.entries[1].ts_ms += 1;
    let (report, events) = capture(|| verify_runtime_risk_ledger_artifact(&tampered));
    assert!(!report.valid);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (VERIFY_TARGET, Level::WARN));
    assert_eq!(e.get("valid"), Some(&V::Bool(false)));
    assert_eq!(e.get("errors"), Some(&V::U64(report.errors.len() as u64)));
    assert_eq!(e.str("code"), report.errors[0].code.as_str());
    let first = report.first_invalid_index.map(|i| V::U64(i as u64));
    assert_eq!(e.get("first_invalid_index"), first.as_ref());
}

#[test]
fn bundle_verification_is_one_verify_event_valid_or_not() {
    let m = manager(PolicyProfile::Permissive);
    let host = HostCall::new("ext-b", "b-1", "exec", json!({"command": "rm -rf *"}));
    m.evaluate_hostcall(&host).unwrap();
    let bundle = m.incident_evidence_bundle(
        &IncidentBundleFilter::default(),
        &IncidentBundleRedactionPolicy::default(),
    );
    let (report, events) = capture(|| verify_incident_evidence_bundle(&bundle));
    assert!(report.valid, "{:?}", report.errors);
    // One event: the bundle's check of its embedded ledger is not a second one.
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (VERIFY_TARGET, Level::INFO));
    let absent = [
        "code",
        "first_invalid_index",
        "covered",
        "after",
        "truncated_bytes",
        "extensions",
    ];
    assert_eq!(e.names(), expected(&VERIFY_FIELDS, &absent));
    assert_eq!(e.str("subject"), "bundle");
    let entries = report.ledger.as_ref().unwrap().entry_count as u64;
    assert_eq!(e.get("entries"), Some(&V::U64(entries)));
    assert_eq!(e.get("errors"), Some(&V::U64(0)));

    let mut tampered = bundle.clone();
    tampered.ledger.entries[0].ts_ms += 1;
    let (report, events) = capture(|| verify_incident_evidence_bundle(&tampered));
    assert!(!report.valid);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (VERIFY_TARGET, Level::WARN));
    assert_eq!(e.str("code"), report.errors[0].code.as_str());
    let errors = report.errors.len() as u64;
    assert_eq!(e.get("errors"), Some(&V::U64(errors)));
}

#[test]
fn checkpoint_verification_is_a_verify_event_per_step() {
    let m = manager(PolicyProfile::Permissive);
    for i in 0..3 {
        let host = HostCall::new("ext-c", format!("c-{i}"), "log", json!({}));
        m.evaluate_hostcall(&host).unwrap();
    }
    let artifact = m.runtime_risk_ledger_artifact();
    let name = NoteName::new("hostguard.test/ledger").unwrap();
    let key = SignerKey::from_seed(name.clone(), &[7; 32]);
    let note = Checkpoint::of_ledger(name.clone(), &artifact)
        .unwrap()
        .sign(&key);
    let (coverage, events) = capture(|| {
        let verified = open_checkpoint(note.as_bytes(), &key.verifier(), &name).unwrap();
        check_ledger_against_checkpoint(&artifact, &verified).unwrap()
    });
    let n = artifact.entries.len() as u64;
    assert_eq!((coverage.covered, coverage.after), (n, 0));
    let steps: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.target.as_str(),
                e.level,
                e.str("subject"),
                e.get("covered"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                VERIFY_TARGET,
                Level::INFO,
                "checkpoint_signature",
                Some(&V::U64(n))
            ),
            (VERIFY_TARGET, Level::INFO, "checkpoint", Some(&V::U64(n))),
        ]
    );
    assert_eq!(events[1].get("after"), Some(&V::U64(0)));
    assert_eq!(events[1].get("entries"), Some(&V::U64(n)));

    let stranger = SignerKey::from_seed(name.clone(), &[8; 32]);
    let (refused, events) =
        capture(|| open_checkpoint(note.as_bytes(), &stranger.verifier(), &name));
    let code = refused.unwrap_err().code();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.target.as_str(), e.level), (VERIFY_TARGET, Level::WARN));
    assert_eq!(e.get("valid"), Some(&V::Bool(false)));
    assert_eq!(e.str("code"), code.as_str());
    assert_eq!(e.get("errors"), Some(&V::U64(1)));
}

#[test]
fn a_resumed_ledger_is_a_verify_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let build = || {
        ExtensionManager::builder()
            .rng_seed(3)
            .clock(ManualClock::new(1_000))
            .durable_ledger(&path, FsyncPolicy::Never)
            .build()
            .unwrap()
    };
    let (first, events) = capture(build);
    assert!(
        of(&events, VERIFY_TARGET).is_empty(),
        "a new ledger resumes nothing"
    );
    for i in 0..3 {
        let host = HostCall::new("ext-r", format!("r-{i}"), "log", json!({}));
        first.evaluate_hostcall(&host).unwrap();
    }
    drop(first);
    let (second, events) = capture(build);
    let report = second.resume_report().unwrap();
    let verify = of(&events, VERIFY_TARGET);
    assert_eq!(verify.len(), 1, "{events:?}");
    let e = verify[0];
    assert_eq!(e.level, Level::INFO);
    let absent = ["code", "first_invalid_index", "covered", "after"];
    assert_eq!(e.names(), expected(&VERIFY_FIELDS, &absent));
    assert_eq!(e.str("subject"), "resume");
    assert_eq!(e.get("valid"), Some(&V::Bool(true)));
    assert_eq!(e.get("entries"), Some(&V::U64(report.entries_found)));
    assert_eq!(e.get("extensions"), Some(&V::U64(report.extensions)));
    assert_eq!(e.get("truncated_bytes"), Some(&V::U64(0)));
    assert_eq!(report.extensions, 1);
}

/// The docs/tracing.md example: `fmt` filtered on `hostguard=info` shows a denial and its
/// alert, and not an allowed call (DEBUG).
#[test]
fn a_host_filtering_hostguard_info_sees_denials_and_not_allows() {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let filter: tracing_subscriber::filter::Targets = "hostguard=info".parse().unwrap();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_filter(filter),
    );
    let m = manager(PolicyProfile::Permissive);
    tracing::subscriber::with_default(subscriber, || {
        let allowed = HostCall::new("ext-f", "allowed-1", "log", json!({}));
        assert!(!m.evaluate_hostcall(&allowed).unwrap().is_blocked());
        let denied = HostCall::new("ext-f", "denied-1", "exec", json!({"command": "rm -rf *"}));
        assert!(m.evaluate_hostcall(&denied).unwrap().is_blocked());
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains("allowed-1"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("WARN hostguard::decision: hostcall decided"),
        "{text}"
    );
    assert!(lines[0].contains("call_id=\"denied-1\""), "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains("hostguard::alert")),
        "{text}"
    );
}

/// docs/tracing.md documents every target and field the tests pin.
#[test]
fn the_document_names_every_target_and_field() {
    let doc = include_str!("../../../docs/tracing.md");
    let targets = [DECISION_TARGET, ALERT_TARGET, CONTROL_TARGET, VERIFY_TARGET];
    for target in targets {
        assert!(doc.contains(&format!("## `{target}`")), "{target}");
    }
    let sections: Vec<&str> = doc.split("\n## ").collect();
    let lists: [(&str, &[&str]); 4] = [
        (DECISION_TARGET, &DECISION_FIELDS),
        (ALERT_TARGET, &ALERT_FIELDS),
        (CONTROL_TARGET, &CONTROL_FIELDS),
        (VERIFY_TARGET, &VERIFY_FIELDS),
    ];
    for (target, fields) in lists {
        let section = sections
            .iter()
            .find(|s| s.starts_with(&format!("`{target}`")))
            .unwrap();
        for field in fields {
            assert!(
                section.contains(&format!("| `{field}` |")),
                "{target}: `{field}` is not in its table"
            );
        }
        // And no documented row that the contract does not pin.
        let rows = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .count();
        assert_eq!(rows, fields.len(), "{target}: documented rows");
    }
}
