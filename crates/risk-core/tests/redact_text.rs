//! The secret broker's redaction of free text (`redact_text`) on any input: it never panics,
//! a second pass finds nothing the first left (what it recognises, it removes), and text with
//! nothing redacted comes back borrowed and unchanged.

use hostguard_risk_core::{SecretBrokerPolicy, SECRET_PLACEHOLDER};
use proptest::prelude::*;

/// Text built from pieces that credentials, placeholders and their surroundings are made of.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("AKIA".to_owned()),
        Just("ghp_".to_owned()),
        Just("sk-".to_owned()),
        Just("password".to_owned()),
        Just("token".to_owned()),
        Just("API_KEY".to_owned()),
        Just("clientSecret".to_owned()),
        Just(": ".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("\n".to_owned()),
        Just(" ".to_owned()),
        Just("-----BEGIN PRIVATE KEY-----".to_owned()),
        Just("-----END PRIVATE KEY-----".to_owned()),
        Just("postgres://u:".to_owned()),
        Just("@host/db".to_owned()),
        Just("Authorization: Bearer ".to_owned()),
        Just(SECRET_PLACEHOLDER.to_owned()),
        Just("<YOUR_TOKEN>".to_owned()),
        "[A-Za-z0-9+/_.-]{1,40}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn redaction_never_panics_and_leaves_nothing_it_would_redact(text in texty()) {
        let policy = SecretBrokerPolicy::default();
        let once = policy.redact_text(&text);
        let twice = policy.redact_text(&once.text);
        prop_assert!(!twice.redacted(), "{text:?} -> {:?} -> {:?}", once.text, twice.text);
        if !once.redacted() {
            prop_assert_eq!(once.text.as_ref(), text.as_str());
        }
    }
}
