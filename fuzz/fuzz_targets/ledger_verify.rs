//! Fuzz target: verify and replay never panic on any bytes (DESIGN §10), and replay refuses
//! exactly what verify rejects.

#![no_main]

use hostguard_ledger::{
    replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
    RuntimeRiskLedgerArtifact,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(artifact) = RuntimeRiskLedgerArtifact::from_json_slice(data) {
        let report = verify_runtime_risk_ledger_artifact(&artifact);
        assert_eq!(report.valid, report.errors.is_empty());
        let replay = replay_runtime_risk_ledger_artifact(&artifact);
        assert_eq!(report.valid, replay.is_ok());
    }
});
