//! Exec classifier and mediation policy (docs/design.md §2 step 6): table-driven classes and tiers,
//! benign developer commands, presets and patterns (with the compound rule), and properties.

// Helpers outside `#[test]` functions fall outside clippy's test exemptions (clippy.toml); a
// failing test should still fail loudly.
#![expect(
    clippy::unwrap_used,
    reason = "tests fail loudly; helpers are not #[test] fns"
)]

use hostguard_exec::{
    classify_command, ExecClass, ExecMediationPolicy, ExecMediationPreset, ExecPattern, ExecTier,
};

/// `expected`: `None` for benign (tier Low, no finding), or the strictest class.
fn check(cmd: &str, expected: Option<ExecClass>) {
    let a = classify_command(cmd);
    match expected {
        None => assert_eq!(
            (a.tier, a.class),
            (ExecTier::Low, None),
            "expected benign: {cmd:?} → {a:?}"
        ),
        Some(class) => {
            assert_eq!(a.class, Some(class), "{cmd:?} → {a:?}");
            assert_eq!(a.tier, class.tier(), "{cmd:?} → {a:?}");
        }
    }
}

#[path = "exec/benign.rs"]
mod benign;
#[path = "exec/catalog.rs"]
mod catalog;
#[path = "exec/dangerous.rs"]
mod dangerous;
#[path = "exec/policy.rs"]
mod policy;
#[path = "exec/properties.rs"]
mod properties;
