//! Fuzz target: the exec classifier and mediation never panic, stay within their bounds, and
//! are deterministic, whatever bytes an extension sends as a command line (docs/design.md §2 step 6).
#![no_main]

use hostguard_exec::{
    classify_command, ExecMediationPolicy, ExecMediationPreset, ExecPattern, ExecTier, MAX_FINDINGS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let command = String::from_utf8_lossy(data);
    let analysis = classify_command(&command);
    assert!(analysis.findings.len() <= MAX_FINDINGS);
    let strictest = analysis.findings.iter().map(|f| f.tier).max().unwrap_or(ExecTier::Low);
    assert_eq!(analysis.tier, strictest);
    assert_eq!(analysis.class.is_some(), !analysis.findings.is_empty());
    assert_eq!(classify_command(&command), analysis, "classification is deterministic");

    let decision = ExecMediationPolicy::from_preset(ExecMediationPreset::Strict).mediate(&command);
    assert_eq!(decision.analysis, analysis);
    assert_eq!(decision.allowed, analysis.tier < ExecTier::Medium);

    // The same bytes as a pattern: never panics, and an allow pattern never allows Critical.
    if let Ok(pattern) = ExecPattern::new(&command) {
        let policy = ExecMediationPolicy::default().with_allow_pattern(pattern);
        let d = policy.mediate(&command);
        assert!(!(d.allowed && d.analysis.is_critical()));
    }
});
