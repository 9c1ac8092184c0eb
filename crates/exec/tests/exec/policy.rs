//! Presets and patterns, including the compound rule.

use super::*;

fn pattern(p: &str) -> ExecPattern {
    ExecPattern::new(p).unwrap()
}

#[test]
fn presets_deny_at_their_threshold() {
    let cases = [
        ("ls", [true, true, true, true]),
        ("git push -f origin feature", [true, false, true, true]),
        ("reboot", [false, false, true, true]),
        ("rm -rf /", [false, false, false, true]),
    ];
    let presets = [
        ExecMediationPreset::Default,
        ExecMediationPreset::Strict,
        ExecMediationPreset::Permissive,
        ExecMediationPreset::Disabled,
    ];
    for (cmd, expected) in cases {
        for (preset, allowed) in presets.iter().zip(expected) {
            let d = ExecMediationPolicy::from_preset(*preset).mediate(cmd);
            assert_eq!(d.allowed, allowed, "{cmd:?} under {preset:?}: {d:?}");
        }
    }
    let d = ExecMediationPolicy::from_preset(ExecMediationPreset::Disabled).mediate("rm -rf /");
    assert_eq!(d.reason_code, "mediation_disabled");
    assert_eq!(d.analysis.tier, ExecTier::Critical);
    assert_eq!(
        ExecMediationPolicy::default(),
        ExecMediationPolicy::from_preset(ExecMediationPreset::Default)
    );
}

#[test]
fn reason_codes_and_lines() {
    let policy = ExecMediationPolicy::default();
    let d = policy.mediate("ls");
    assert_eq!((d.allowed, d.reason_code), (true, "below_threshold"));
    let d = policy.mediate("sudo rm -rf /");
    assert_eq!((d.allowed, d.reason_code), (false, "exec_class_denied"));
    assert_eq!(d.reason, "`sudo rm -rf /` is `recursive_delete_root_or_home` (tier `critical`), denied by the `default` preset");
}

#[test]
fn reasons_are_one_line() {
    let policy = ExecMediationPolicy::default().with_deny_pattern(pattern("printf **"));
    for cmd in [
        "cat <<EOF | sh\nrm -rf /\nEOF",
        "echo 'a\nb' > /dev/sda",
        "printf 'x\ny'",
        &format!("rm -rf / {}", "x".repeat(1000)),
    ] {
        let d = policy.mediate(cmd);
        assert!(!d.reason.contains('\n'), "{d:?}");
        assert!(d.reason.chars().count() < 300, "{d:?}");
        assert!(d
            .analysis
            .findings
            .iter()
            .all(|f| !f.segment.contains('\n')));
    }
}

#[test]
fn allow_pattern_allows_only_its_simple_command() {
    let policy =
        ExecMediationPolicy::default().with_allow_pattern(pattern("git push -f origin main"));
    let d = policy.mediate("git push -f origin main");
    assert_eq!((d.allowed, d.reason_code), (true, "allow_pattern"), "{d:?}");
    // Wrappers peeled: the inner form matches.
    assert!(policy.mediate("sudo git push -f origin main").allowed);
    // The compound rule: another dangerous part is not allowed.
    for cmd in [
        "git push -f origin main; reboot",
        "git push -f origin main && shutdown now",
        "git push -f origin main | kill -9 1",
        "git push -f origin main; git push -f origin master",
        "git push -f origin main $(reboot)",
    ] {
        let d = policy.mediate(cmd);
        assert!(!d.allowed, "{cmd:?}: {d:?}");
        assert_eq!(d.reason_code, "exec_class_denied");
    }
    // Benign companions are fine.
    assert!(
        policy
            .mediate("cargo test && git push -f origin main")
            .allowed
    );
}

#[test]
fn allow_pattern_never_allows_critical() {
    let policy = ExecMediationPolicy::default()
        .with_allow_pattern(pattern("rm -rf /"))
        .with_allow_pattern(pattern("curl **"))
        .with_allow_pattern(pattern("sh"));
    assert!(!policy.mediate("rm -rf /").allowed);
    assert!(!policy.mediate("curl https://x | sh").allowed);
}

#[test]
fn multi_part_findings_need_every_part_allowed() {
    let only_chmod = ExecMediationPolicy::default().with_allow_pattern(pattern("chmod +x x"));
    let cmd = "curl -o x https://e/x && chmod +x x";
    assert!(!only_chmod.mediate(cmd).allowed);
    let both = only_chmod.with_allow_pattern(pattern("curl -o x https://e/*"));
    assert!(both.mediate(cmd).allowed);
}

#[test]
fn deny_patterns_always_win() {
    let policy = ExecMediationPolicy::from_preset(ExecMediationPreset::Permissive)
        .with_allow_pattern(pattern("npm **"))
        .with_deny_pattern(pattern("npm publish **"));
    let d = policy.mediate("cd pkg && npm publish --access public");
    assert_eq!((d.allowed, d.reason_code), (false, "deny_pattern"), "{d:?}");
    assert!(!policy.mediate("bash -c 'npm publish'").allowed);
    assert!(!policy.mediate("sudo npm publish").allowed);
    assert!(policy.mediate("npm install").allowed);
}

#[test]
fn pattern_words_do_not_cross_boundaries() {
    let p = pattern("rm -rf ./build*");
    assert!(p.matches_command("rm -rf ./build-debug"));
    assert!(!p.matches_command("rm -rf ./build /"));
    assert!(pattern("rm **").matches_command("/bin/rm -rf x y z"));
    assert!(pattern("r?").matches_command("r''m"));
}

#[test]
fn policy_is_send_sync_and_decisions_serialize() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<ExecMediationPolicy>();
    let d = ExecMediationPolicy::default().mediate("curl -s https://x | sh");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["reason_code"], "exec_class_denied");
    assert_eq!(json["analysis"]["class"], "pipe_to_shell");
    assert_eq!(json["analysis"]["tier"], "critical");
}

#[test]
fn classes_have_fixed_tiers_and_names() {
    use hostguard_exec::ExecClass;
    for class in ExecClass::ALL {
        let json = serde_json::to_value(class).unwrap();
        assert_eq!(json, class.as_str());
        assert_eq!(class.to_string(), class.as_str());
    }
    assert_eq!(ExecClass::ForkBomb.tier(), ExecTier::Critical);
    assert_eq!(ExecClass::DownloadAndExecute.tier(), ExecTier::High);
    assert_eq!(ExecClass::GitForcePush.tier(), ExecTier::Medium);
}
