//! Unit tests of the risk config: ranges, hysteresis bands and field names.

use super::*;

fn check(config: RuntimeRiskConfig, expected: Result<(), &str>) {
    assert_eq!(
        config.validate().map_err(|e| e.to_string()),
        expected.map_err(str::to_owned)
    );
}

#[test]
fn validate_ranges() {
    let d = RuntimeRiskConfig::default();
    check(d, Ok(()));
    check(
        RuntimeRiskConfig { alpha: 0.0, ..d },
        Err("`alpha` value `0` from code is out of range (allowed: [1e-6, 0.5])"),
    );
    check(
        RuntimeRiskConfig {
            alpha: f64::NAN,
            ..d
        },
        Err("`alpha` value `NaN` from code is not a finite number (allowed: [1e-6, 0.5])"),
    );
    check(
        RuntimeRiskConfig {
            window_size: 7,
            ..d
        },
        Err("`window_size` value `7` from code is out of range (allowed: [8, 4096])"),
    );
    check(
        RuntimeRiskConfig {
            ledger_limit: usize::MAX,
            ..d
        },
        Err(&format!(
            "`ledger_limit` value `{}` from code is out of range (allowed: [32, 1000000])",
            usize::MAX
        )),
    );
    check(
        RuntimeRiskConfig {
            decision_timeout_ms: 0,
            ..d
        },
        Err("`decision_timeout_ms` value `0` from code is out of range (allowed: [1, 2000])"),
    );
    check(
        RuntimeRiskConfig {
            cooldown_calls: 1001,
            ..d
        },
        Err("`cooldown_calls` value `1001` from code is out of range (allowed: [1, 1000])"),
    );
    check(
        RuntimeRiskConfig {
            de_escalation_margin: -0.1,
            ..d
        },
        Err("`de_escalation_margin` value `-0.1` from code is out of range (allowed: [0, 0.5])"),
    );
}

#[test]
fn hysteresis_bands_follow_policy_unless_named() {
    let d = RuntimeRiskConfig::default();
    for (policy, band) in [
        (PolicyProfile::Safe, BandProfile::Safe),
        (PolicyProfile::Standard, BandProfile::Balanced),
        (PolicyProfile::Permissive, BandProfile::Permissive),
    ] {
        assert_eq!(
            d.hysteresis_config(policy).bands,
            ScoreBands::for_profile(band)
        );
    }
    let named = RuntimeRiskConfig {
        profile: Some(BandProfile::Permissive),
        cooldown_calls: 7,
        ..d
    };
    let h = named.hysteresis_config(PolicyProfile::Safe);
    assert_eq!(h.bands, ScoreBands::for_profile(BandProfile::Permissive));
    assert_eq!((h.cooldown_calls, h.de_escalation_margin), (7, 0.10));
}

#[test]
fn field_names_are_unique_and_round_trip() {
    for f in ConfigField::ALL {
        assert_eq!(ConfigField::from_key(f.as_str()), Some(f));
        assert_eq!(ConfigField::from_env_var(f.env_var()), Some(f));
        assert_eq!(
            ResolvedRiskConfig::defaults().source(f),
            &ConfigSource::Default
        );
    }
}
