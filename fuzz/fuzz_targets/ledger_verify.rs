//! Fuzz target: verify and replay never panic on any bytes (docs/design.md §10), replay refuses
//! exactly what verify rejects, and the JSON verifier agrees with the exact parse.

#![no_main]

use hostguard_ledger::{
    replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
    verify_runtime_risk_ledger_artifact_json, ExactJsonError, RuntimeRiskLedgerArtifact,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let json = verify_runtime_risk_ledger_artifact_json(data);
    let parsed = RuntimeRiskLedgerArtifact::from_json_slice(data);
    // Only bytes that are no artifact at all have no report.
    assert_eq!(
        json.is_err(),
        matches!(parsed, Err(ExactJsonError::Malformed(_)))
    );
    if let Ok(report) = &json {
        assert_eq!(report.valid, report.errors.is_empty());
    }
    if let Ok(artifact) = parsed {
        let report = verify_runtime_risk_ledger_artifact(&artifact);
        assert_eq!(report.valid, report.errors.is_empty());
        assert_eq!(json.as_ref().ok(), Some(&report));
        let replay = replay_runtime_risk_ledger_artifact(&artifact);
        assert_eq!(report.valid, replay.is_ok());
    }
});
