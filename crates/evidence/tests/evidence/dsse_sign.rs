//! Signed DSSE envelopes (`docs/evidence-format.md` §5.1): Ed25519 over
//! `PAE(payloadType, payload)`, keyid `<name>+<hex id>`, through the public API.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use hostguard_evidence::{
    dsse_pae, DsseEnvelope, DsseSignature, DsseSignatureErrorCode, IncidentBundleFilter,
    IncidentBundleRedactionPolicy, DSSE_PAYLOAD_TYPE,
};
use hostguard_ledger::{NoteName, SignerKey};
use sha2::{Digest as _, Sha256};

fn key(name: &str, seed: u8) -> SignerKey {
    SignerKey::from_seed(NoteName::new(name).unwrap(), &[seed; 32])
}

fn envelope() -> DsseEnvelope {
    crate::fixture::streams()
        .build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        )
        .to_dsse_envelope()
        .unwrap()
}

fn signed(k: &SignerKey) -> DsseEnvelope {
    let mut env = envelope();
    env.sign(k).unwrap();
    env
}

fn code(env: &DsseEnvelope, k: &SignerKey) -> Option<DsseSignatureErrorCode> {
    env.verify_signature(&k.verifier()).err().map(|e| e.code())
}

#[test]
fn a_signed_envelope_verifies_with_the_right_key_and_still_unwraps() {
    let k = key("ops.example/evidence", 1);
    let env = signed(&k);
    assert_eq!(env.signatures.len(), 1);
    assert_eq!(env.signatures[0].keyid, k.keyid());
    assert_eq!(code(&env, &k), None);
    let back = DsseEnvelope::from_json_slice(env.to_json().unwrap().as_bytes()).unwrap();
    assert_eq!(code(&back, &k), None);
    assert_eq!(back.bundle().unwrap(), envelope().bundle().unwrap());
    // Signing again with the same key replaces its signature.
    let mut again = env.clone();
    again.sign(&k).unwrap();
    assert_eq!(again.signatures, env.signatures);
}

#[test]
fn the_signature_is_ed25519_over_the_pae_of_the_decoded_payload() {
    let k = key("ops.example/evidence", 1);
    let env = signed(&k);
    let payload = STANDARD.decode(&env.payload).unwrap();
    let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    let pae = dsse_pae(DSSE_PAYLOAD_TYPE, &payload);
    assert!(pae.starts_with(format!("DSSEv1 28 {DSSE_PAYLOAD_TYPE} {} ", payload.len()).as_bytes()));
    assert!(k.verifier().verify(&pae, &sig));
    assert!(!k.verifier().verify(env.payload.as_bytes(), &sig));
}

#[test]
fn another_key_is_refused() {
    let env = signed(&key("ops.example/evidence", 1));
    // Same name, other key: another key id, so no signature names it.
    assert_eq!(
        code(&env, &key("ops.example/evidence", 2)),
        Some(DsseSignatureErrorCode::UnknownKey)
    );
    assert_eq!(
        code(&env, &key("other.example", 1)),
        Some(DsseSignatureErrorCode::UnknownKey)
    );
}

#[test]
fn an_altered_payload_is_refused() {
    let k = key("ops.example/evidence", 1);
    let env = signed(&k);
    let mut text = String::from_utf8(STANDARD.decode(&env.payload).unwrap()).unwrap();
    text = text.replacen("\"alerts\":[", "\"alerts\":[ ", 1);
    let mut altered = env.clone();
    altered.payload = STANDARD.encode(text.as_bytes());
    assert_eq!(
        code(&altered, &k),
        Some(DsseSignatureErrorCode::SignatureInvalid)
    );
    let mut retyped = env;
    retyped.payload_type = "application/json".to_owned();
    assert_eq!(
        code(&retyped, &k),
        Some(DsseSignatureErrorCode::SignatureInvalid)
    );
}

#[test]
fn forged_signatures_are_refused() {
    let k = key("ops.example/evidence", 1);
    let env = signed(&k);
    let raw = STANDARD.decode(&env.signatures[0].sig).unwrap();
    for bit in (0..raw.len() * 8).step_by(7) {
        let mut flipped = raw.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let mut forged = env.clone();
        forged.signatures[0].sig = STANDARD.encode(&flipped);
        assert_eq!(
            code(&forged, &k),
            Some(DsseSignatureErrorCode::SignatureInvalid),
            "bit {bit}"
        );
    }
    // An attacker's own signature under the trusted keyid, beside a valid one: refused, not
    // skipped.
    let mut relabelled = signed(&key("ops.example/evidence", 2));
    relabelled.signatures[0].keyid = k.keyid();
    assert_eq!(
        code(&relabelled, &k),
        Some(DsseSignatureErrorCode::SignatureInvalid)
    );
    let mut both = env.clone();
    both.signatures.push(relabelled.signatures[0].clone());
    assert_eq!(
        code(&both, &k),
        Some(DsseSignatureErrorCode::SignatureInvalid)
    );
    for sig in ["", "!!", "AAAA"] {
        let mut junk = env.clone();
        junk.signatures[0].sig = sig.to_owned();
        assert_eq!(
            code(&junk, &k),
            Some(DsseSignatureErrorCode::SignatureInvalid)
        );
    }
}

#[test]
fn unsigned_unnamed_and_url_safe_signatures() {
    let k = key("ops.example/evidence", 1);
    assert_eq!(
        code(&envelope(), &k),
        Some(DsseSignatureErrorCode::Unsigned)
    );
    let env = signed(&k);
    let raw = STANDARD.decode(&env.signatures[0].sig).unwrap();
    // No keyid, URL-safe alphabet (DSSE: verifiers accept either): the signature decides.
    let mut unnamed = env.clone();
    unnamed.signatures = vec![DsseSignature {
        keyid: String::new(),
        sig: URL_SAFE.encode(&raw),
    }];
    assert_eq!(code(&unnamed, &k), None);
    // Another key's signature beside ours is ignored.
    let mut cosigned = env.clone();
    cosigned.sign(&key("witness.example", 3)).unwrap();
    assert_eq!(cosigned.signatures.len(), 2);
    assert_eq!(code(&cosigned, &k), None);
    let mut bad_payload = env;
    bad_payload.payload = "!!".to_owned();
    assert_eq!(
        code(&bad_payload, &k),
        Some(DsseSignatureErrorCode::PayloadNotBase64)
    );
}

mod vectors {
    //! §5.1's vector: the §4 bundle's envelope signed with the test key of
    //! `docs/ledger-format.md` §8.7 (seed `00 01 … 1f`) named `hostguard.example/evidence`.
    use super::*;
    use crate::hash::doc_block;

    fn doc() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/evidence-format.md"
        ))
        .unwrap()
    }

    fn vector_key() -> SignerKey {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
        SignerKey::from_seed(NoteName::new("hostguard.example/evidence").unwrap(), &seed)
    }

    #[test]
    fn the_signed_envelope_vector_of_the_format_doc_holds() {
        let doc = doc();
        let key = vector_key();
        let mut env = crate::kat::bundle().to_dsse_envelope().unwrap();
        env.sign(&key).unwrap();
        let payload = STANDARD.decode(&env.payload).unwrap();
        let pae = dsse_pae(DSSE_PAYLOAD_TYPE, &payload);
        let pae_hash: String = Sha256::digest(&pae)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let head = format!("DSSEv1 28 {DSSE_PAYLOAD_TYPE} {}", payload.len());
        let signatures = serde_json::to_string(&env.signatures).unwrap();
        println!("{}\n{head}\n{pae_hash}\n{signatures}", key.verifier());
        assert_eq!(
            doc_block(&doc, "<!-- kat:dsse_verifier_key -->"),
            key.verifier().to_string()
        );
        assert_eq!(doc_block(&doc, "<!-- kat:dsse_pae_head -->"), head);
        assert_eq!(doc_block(&doc, "<!-- kat:dsse_pae_sha256 -->"), pae_hash);
        assert_eq!(doc_block(&doc, "<!-- kat:dsse_signatures -->"), signatures);
        // The payload is the statement the doc's recipe rebuilds from the §4 bundle.
        let bundle = doc_block(&doc, "<!-- kat:bundle -->");
        let hash = doc_block(&doc, "<!-- kat:hash -->");
        let rebuilt = format!(
            "{{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{{\"name\":\"hostguard-incident-evidence-bundle\",\"digest\":{{\"sha256\":\"{}\"}}}}],\"predicateType\":\"https://hostguard.dev/incident-evidence/v1\",\"predicate\":{bundle}}}",
            hash.trim()
        );
        assert_eq!(String::from_utf8(payload).unwrap(), rebuilt);
        assert!(env.verify_signature(&key.verifier()).is_ok());
    }
}

#[test]
fn an_envelope_with_a_member_it_does_not_know_or_repeats_is_refused() {
    use hostguard_evidence::EvidenceError;
    let json = signed(&key("ops.example/k", 1)).to_json().unwrap();
    let extra_top = json.replacen('{', "{\"smuggled\":1,", 1);
    let extra_sig = json.replacen("{\"keyid\"", "{\"smuggled\":1,\"keyid\"", 1);
    let repeated = json.replacen('{', "{\"payload\":\"\",", 1);
    for (what, bytes) in [
        ("top", extra_top),
        ("signature", extra_sig),
        ("repeated", repeated),
    ] {
        assert_ne!(bytes, json, "{what}");
        match DsseEnvelope::from_json_slice(bytes.as_bytes()) {
            Err(EvidenceError::NonCanonicalContent { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    // keyid may be absent, as DSSE allows.
    let start = json.find("\"keyid\":").unwrap();
    let end = start + json[start..].find(',').unwrap() + 1;
    let unkeyed = format!("{}{}", &json[..start], &json[end..]);
    let parsed = DsseEnvelope::from_json_slice(unkeyed.as_bytes()).unwrap();
    assert_eq!(parsed.signatures[0].keyid, "");
}
