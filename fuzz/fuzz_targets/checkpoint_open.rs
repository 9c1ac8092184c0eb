//! Fuzz target: opening a signed checkpoint and parsing note keys never panic on any bytes
//! (`docs/ledger-format.md` §8); the bytes are also signed as a checkpoint body with a fixed
//! key, so the body parser is reached past the signature check, and a body that opens is exactly
//! the body the code would write (strict parsing: nothing else is accepted).

#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hostguard_ledger::{
    check_ledger_against_checkpoint, open_checkpoint, NoteName, RuntimeRiskLedgerArtifact,
    SignerKey, VerifierKey,
};
use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = NoteName::new("fuzz.example/log") else {
        return;
    };
    let key = SignerKey::from_seed(name, &[7; 32]);
    let verifier = key.verifier();
    let _ = open_checkpoint(data, &verifier, key.name());
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = VerifierKey::parse(text);
    let _ = SignerKey::parse(text);
    let mut sig = key.id().to_bytes().to_vec();
    sig.extend_from_slice(&key.sign(text.as_bytes()));
    let note = format!("{text}\n— {} {}\n", key.name(), STANDARD.encode(sig));
    if let Ok(cp) = open_checkpoint(note.as_bytes(), &verifier, key.name()) {
        assert_eq!(cp.checkpoint().body(), text);
        let empty = RuntimeRiskLedgerArtifact::from_entries(
            0,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
            Vec::new(),
        );
        let _ = check_ledger_against_checkpoint(&empty, &cp);
    }
});
