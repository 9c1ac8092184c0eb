//! Review of issue 15: `urls_under_other_keys` (detect.rs) judges absolute URLs under keys
//! other than the URL keys, but stops after 64 URL-looking values over *all* keys: decoys under
//! a key that sorts first hide the URL the host will reach.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use hostguard_risk_core::{Context, Detector, HostCall, Taint};
use serde_json::{json, Map, Value};

fn hits(params: Value) -> usize {
    let detector = Detector::builtin(Context::new()).unwrap();
    let host = HostCall::new("e", "c", "tool", params);
    let capability = host.validate().unwrap();
    detector.inspect(&host, capability, Taint::NONE).hits.len()
}

#[test]
fn decoy_urls_under_an_earlier_key_hide_the_url_under_a_later_one() {
    let imds = "http://169.254.169.254/latest/meta-data/iam/security-credentials/role";
    let alone = hits(json!({"name": "notify", "input": {"webhook": imds}}));
    assert!(alone > 0, "the IMDS URL under `webhook` is judged on its own");
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
    let hidden = hits(json!({"name": "notify", "input": input}));
    assert_eq!(hidden, alone, "64 decoy URLs under `a` hide the IMDS URL under `webhook`");
}
