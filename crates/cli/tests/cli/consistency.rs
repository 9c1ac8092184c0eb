//! One test per contradiction a user met between two commands (issue 16): what one command says,
//! the other must not deny.

use super::support::*;

/// The `N alerts triaged — P0: …` line of a triage rendering.
fn triage_counts(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("alerts triaged"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default()
}

#[test]
fn the_demo_and_offline_triage_of_its_alerts_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let demo = hostguard(&["demo", "--out", s(&out)]);
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    let offline = hostguard(&["triage", s(&out.join("alerts.json"))]);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    let counts = triage_counts(&demo.stdout);
    assert!(counts.contains("P0"), "{}", demo.stdout);
    assert_eq!(counts, triage_counts(&offline.stdout));
    // `triage --json` over the alerts is the run's triage.json, byte for byte.
    let json = hostguard(&["triage", "--json", s(&out.join("alerts.json"))]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(
        json.stdout,
        std::fs::read_to_string(out.join("triage.json")).unwrap()
    );
}

#[test]
fn triage_json_joins_back_to_its_alert() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    let json = hostguard(&["triage", "--json", s(&out.join("alerts.json"))]);
    let triaged: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let alerts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("alerts.json")).unwrap()).unwrap();
    let triaged = triaged.as_array().unwrap();
    let alerts = alerts["alerts"].as_array().unwrap();
    assert_eq!(triaged.len(), alerts.len());
    for (t, a) in triaged.iter().zip(alerts) {
        for key in ["ts_ms", "sequence_id", "extension_id"] {
            assert_eq!(t["alert"][key], a[key], "{key}");
        }
        assert!(t["triage"]["severity"].as_str().unwrap().starts_with('P'));
    }
}

/// A stream of allowed calls, each flagged a false positive, under `enforce_all`: flags on
/// allowed calls are warnings and must not roll the rollout back.
#[test]
fn false_positive_flags_on_allowed_calls_are_refused_and_roll_nothing_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..30 {
        lines.push_str(&format!(
            "{{\"ts_ms\":{},\"extension_id\":\"calm\",\"call_id\":\"c{i}\",\"method\":\"fs\",\"params\":{{\"op\":\"read\",\"path\":\"src/main.rs\"}},\"false_positive\":true}}\n",
            1_000 + i * 10
        ));
    }
    let stream = write(dir.path(), "e.jsonl", &lines);
    let out = dir.path().join("o");
    let o = hostguard(&[
        "run",
        "--events",
        s(&stream),
        "--out",
        s(&out),
        "--phase",
        "enforce-all",
        "--profile",
        "permissive",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("call `c0` was allowed"), "{}", o.stderr);
    assert!(o.stdout.contains("phase `enforce_all`;"), "{}", o.stdout);
    let rollout = std::fs::read_to_string(out.join("rollout.json")).unwrap();
    assert!(rollout.contains("\"false_positive_count\": 0"), "{rollout}");
}
