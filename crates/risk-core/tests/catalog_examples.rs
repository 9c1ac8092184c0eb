//! Every rule's own examples, of every method, through the detector as a host would call it
//! (workspace `/home/dev/project`): the examples that must fire it do, the ones that must not do
//! not. Command lines run as `exec` calls here too, so the detector's framing of a command (and
//! not only the exec crate's inspection) is what is tested.

use hostguard_risk_core::Detector;
use hostguard_risk_core::{derive_capability, Catalog, Context, Example, HostCall};
use serde_json::{json, Value};

fn detector() -> Result<Detector, String> {
    // The examples' context: the workspace, and a gateway's state folder guarded.
    let ctx = Context::with_workspace("/home/dev/project")
        .and_then(|c| c.with_host_path("/home/dev/.hostguard/git"))
        .ok_or("a workspace root")?;
    Detector::builtin(ctx).map_err(|e| e.to_string())
}

/// The example as the hostcall a host would send.
fn call(example: &Example) -> HostCall {
    match example {
        Example::Command(c) => HostCall::new("ext", "c-1", "exec", json!({ "command": c })),
        Example::Call { method, params } => HostCall::new("ext", "c-1", method, params.clone()),
    }
}

/// Whether rule `id` fires on `example`, given the rule's own history.
fn fires(detector: &Detector, id: &str, example: &Example) -> Result<bool, String> {
    let rule = detector.catalog().rule(id).ok_or("no such rule")?;
    let call = call(example);
    let params = match &call.params {
        Value::Object(p) => p.clone(),
        _ => return Err(format!("{example}: params are not an object")),
    };
    let capability =
        derive_capability(&call.method, &params).map_err(|e| format!("{example}: {e}"))?;
    let detection = detector.inspect(&call, capability, rule.taint());
    let rules = detector.catalog().rules();
    Ok(detection
        .hits
        .iter()
        .any(|h| rules.get(h.rule).is_some_and(|r| r.id == id)))
}

#[test]
fn every_rules_examples_of_every_method_fire_and_its_passes_do_not() -> Result<(), String> {
    let detector = detector()?;
    let catalog: &Catalog = detector.catalog();
    let mut failures = Vec::new();
    let mut calls = 0;
    for rule in catalog.rules() {
        let cases = rule
            .fire
            .iter()
            .map(|e| (e, true))
            .chain(rule.pass.iter().map(|e| (e, false)));
        for (example, expected) in cases {
            calls += usize::from(matches!(example, Example::Call { .. }));
            match fires(&detector, &rule.id, example) {
                Ok(got) if got == expected => {}
                Ok(got) => failures.push(format!(
                    "{} {} on {example}",
                    rule.id,
                    if got { "fires" } else { "does not fire" }
                )),
                Err(e) => failures.push(format!("{}: {e}", rule.id)),
            }
        }
    }
    assert!(calls >= 40, "only {calls} examples of other methods");
    assert!(
        failures.is_empty(),
        "{} example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

/// A URL a tool takes under a key of its own is judged, whatever else the input holds: decoy
/// URLs under a key that sorts first (review of issue 15) do not push it out of sight; nor do
/// decoy paths in a read of many files.
mod decoys {
    #![expect(clippy::unwrap_used, reason = "tests fail loudly")]

    use hostguard_risk_core::{Context, Detector, HostCall, Taint};
    use serde_json::{json, Map, Value};

    fn url_hits(params: Value) -> usize {
        let detector = Detector::builtin(Context::new()).unwrap();
        let host = HostCall::new("e", "c", "tool", params);
        let capability = host.validate().unwrap();
        detector.inspect(&host, capability, Taint::NONE).hits.len()
    }

    #[test]
    fn decoy_urls_never_hide_the_url_a_tool_will_reach() {
        let imds = "http://169.254.169.254/latest/meta-data/iam/security-credentials/role";
        let alone = url_hits(json!({"name": "notify", "input": {"webhook": imds}}));
        assert!(
            alone > 0,
            "the IMDS URL under `webhook` is judged on its own"
        );
        let mut input = Map::new();
        input.insert(
            "a".into(),
            Value::Array(
                (0..64)
                    .map(|i| Value::String(format!("https://docs.example.org/{i}")))
                    .collect(),
            ),
        );
        input.insert("webhook".into(), Value::String(imds.into()));
        let hidden = url_hits(json!({"name": "notify", "input": input}));
        assert_eq!(
            hidden, alone,
            "64 decoy URLs under `a` hide the IMDS URL under `webhook`"
        );
    }

    #[test]
    fn decoy_paths_never_hide_the_file_a_tool_will_read() {
        let key = "/home/dev/.ssh/id_rsa";
        let read = |paths: Vec<String>| {
            url_hits(json!({"name": "read_multiple_files", "input": {"paths": paths}}))
        };
        let alone = read(vec![key.to_owned()]);
        assert!(alone > 0, "reading the SSH key fires a rule");
        let mut paths: Vec<String> = (0..64).map(|i| format!("src/m{i}.rs")).collect();
        paths.push(key.to_owned());
        assert!(read(paths) > 0, "64 decoys before it do not hide it");
        let benign: Vec<String> = (0..10).map(|i| format!("src/m{i}.rs")).collect();
        assert_eq!(
            read(benign),
            0,
            "a read of a few project files fires nothing"
        );
    }
}
