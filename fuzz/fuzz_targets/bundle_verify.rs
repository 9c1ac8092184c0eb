//! Fuzz target: incident bundle verification never panics on any bytes (docs/design.md §10), reports
//! `valid` exactly when it lists no error, and a bundle it accepts round-trips and unwraps from
//! its own DSSE envelope.

#![no_main]

use hostguard_evidence::{
    verify_incident_evidence_bundle, verify_incident_evidence_bundle_json, IncidentEvidenceBundle,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = verify_incident_evidence_bundle_json(data);
    assert_eq!(report.valid, report.errors.is_empty());
    if let Ok(bundle) = IncidentEvidenceBundle::from_json_slice(data) {
        let typed = verify_incident_evidence_bundle(&bundle);
        assert_eq!(typed.valid, typed.errors.is_empty());
        // The JSON form only adds checks.
        assert!(!report.valid || typed.valid);
        if report.valid {
            let envelope = bundle.to_dsse_envelope().expect("a valid bundle serializes");
            assert_eq!(envelope.bundle().expect("its own envelope unwraps"), bundle);
        }
    }
});
