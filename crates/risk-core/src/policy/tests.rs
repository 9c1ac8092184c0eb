//! Unit tests of the extension policy: profiles, extension ids and capability sets.

use super::*;
use Capability::*;
use PolicyReason::*;
use PolicyVerdict::{Allow as A, Deny as D, Prompt as P};

fn check(
    policy: &ExtensionPolicy,
    ext: &str,
    cap: Capability,
    expected: (PolicyVerdict, PolicyReason),
) {
    let d = policy.evaluate(ext, cap);
    assert_eq!((d.verdict, d.reason), expected, "{ext} {cap}");
    assert_eq!(d.capability, cap);
}

#[test]
fn profiles() {
    let safe = ExtensionPolicy::from_profile(PolicyProfile::Safe);
    check(&safe, "x", Exec, (D, GlobalDeny));
    check(&safe, "x", Env, (D, GlobalDeny));
    check(&safe, "x", Read, (A, DefaultCaps));
    check(&safe, "x", Tool, (D, ModeFallback));
    let standard = ExtensionPolicy::from_profile(PolicyProfile::Standard);
    check(&standard, "x", Exec, (P, ModeFallback));
    check(&standard, "x", Env, (P, ModeFallback));
    check(&standard, "x", Http, (A, DefaultCaps));
    let permissive = ExtensionPolicy::from_profile(PolicyProfile::Permissive);
    check(&permissive, "x", Exec, (A, DefaultCaps));
}

#[test]
fn extension_ids_are_checked() {
    for bad in ["", " ", " ext", "ext\n"] {
        assert!(ExtensionPolicy::default()
            .with_extension_override(bad, ExtensionOverride::default())
            .is_err());
    }
}

#[test]
fn capability_sets() {
    let s = CapabilitySet::of(&[Exec, Log]);
    assert!(s.contains(Exec) && s.contains(Log) && !s.contains(Env));
    assert_eq!(s.without(Exec).iter().collect::<Vec<_>>(), vec![Log]);
    assert_eq!(serde_json::to_string(&s).unwrap(), r#"["exec","log"]"#);
    assert_eq!(
        serde_json::from_str::<CapabilitySet>(r#"["LOG","exec"]"#).unwrap(),
        s
    );
    assert!(serde_json::from_str::<CapabilitySet>(r#"["root"]"#).is_err());
    assert_eq!(CapabilitySet::ALL.iter().count(), Capability::ALL.len());
}
