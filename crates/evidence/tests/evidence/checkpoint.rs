//! A bundle embeds a signed checkpoint of its source ledger (`docs/evidence-format.md` §2.6):
//! the span runs to the entry the checkpoint pins, the bundle verifies without a key, and with
//! the signer's key every entry of the span up to that one is vouched for.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hostguard_evidence::{
    verify_bundle_checkpoint, verify_incident_evidence_bundle, BundleVerifyErrorCode,
    IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
    IncidentEvidenceBundleBuilder,
};
use hostguard_ledger::{Checkpoint, CheckpointErrorCode, NoteName, SignerKey};

fn key(seed: u8) -> SignerKey {
    SignerKey::from_seed(NoteName::new("ops.example/ledger").unwrap(), &[seed; 32])
}

/// A checkpoint of the fixture ledger's first `size` entries, signed by `k`.
fn checkpoint(size: u64, k: &SignerKey) -> String {
    let ledger = crate::fixture::ledger();
    let head = ledger.entries[(size - 1) as usize].ledger_hash;
    Checkpoint::new(k.name().clone(), size, head)
        .unwrap()
        .sign(k)
}

fn build(filter: &IncidentBundleFilter, checkpoint: Option<String>) -> IncidentEvidenceBundle {
    let s = crate::fixture::streams();
    let mut b = IncidentEvidenceBundleBuilder::new(&s.ledger)
        .alerts(&s.alerts.alerts)
        .filter(filter.clone())
        .redaction(IncidentBundleRedactionPolicy::external());
    if let Some(text) = checkpoint {
        b = b.checkpoint(text);
    }
    b.build(5_000)
}

fn ext_a_early() -> IncidentBundleFilter {
    // ext-a's entries up to seq 12: the span ends there without a checkpoint.
    IncidentBundleFilter {
        extension_id: Some("ext-a".to_owned()),
        end_ms: Some(crate::fixture::ts(12)),
        ..IncidentBundleFilter::default()
    }
}

#[test]
fn the_span_runs_to_the_pinned_entry_and_the_signer_vouches_for_it() {
    let k = key(1);
    let plain = build(&ext_a_early(), None);
    assert_eq!(plain.ledger.entries.last().unwrap().seq, 12);
    let bundle = build(&ext_a_early(), Some(checkpoint(30, &k)));
    assert!(bundle.checkpoint.is_some());
    let last = bundle.ledger.entries.last().unwrap();
    assert_eq!(last.seq, 29);
    assert!(
        last.is_elided(),
        "out of scope, elided, yet allowed as the span's end"
    );
    let report = verify_incident_evidence_bundle(&bundle);
    assert!(report.valid, "{:?}", report.errors);
    let verified = verify_bundle_checkpoint(&bundle, &k.verifier())
        .unwrap()
        .unwrap();
    assert_eq!(verified.checkpoint().size(), 30);
    // The JSON round-trips exactly, checkpoint included.
    let json = bundle.to_json().unwrap();
    assert_eq!(
        IncidentEvidenceBundle::from_json_slice(json.as_bytes()).unwrap(),
        bundle
    );
}

#[test]
fn another_key_a_forged_signature_or_a_swapped_checkpoint_is_refused() {
    let k = key(1);
    let bundle = build(&ext_a_early(), Some(checkpoint(30, &k)));
    let err = verify_bundle_checkpoint(&bundle, &key(2).verifier()).unwrap_err();
    assert_eq!(err.code(), CheckpointErrorCode::UnknownKey);
    // A signature by another key relabelled with the trusted key's id.
    let mut forged = bundle.clone();
    let ours = bundle.checkpoint.as_deref().unwrap();
    let theirs = checkpoint(30, &key(2));
    let sig_of = |text: &str| {
        let line = text.split_once("\n\n").unwrap().1.trim_end();
        STANDARD
            .decode(&line[line.rfind(' ').unwrap() + 1..])
            .unwrap()
    };
    let mut spliced = sig_of(ours)[..4].to_vec();
    spliced.extend_from_slice(&sig_of(&theirs)[4..]);
    let line_start = ours.find("\n\n").unwrap() + 2;
    let prefix = &ours[..line_start + ours[line_start..].rfind(' ').unwrap() + 1];
    forged.checkpoint = Some(format!("{prefix}{}\n", STANDARD.encode(&spliced)));
    let err = verify_bundle_checkpoint(&forged, &k.verifier()).unwrap_err();
    assert_eq!(err.code(), CheckpointErrorCode::SignatureInvalid);
    // The checkpoint is hashed: swapping it changes the bundle hash.
    let mut swapped = bundle.clone();
    swapped.checkpoint = Some(checkpoint(29, &k));
    let report = verify_incident_evidence_bundle(&swapped);
    let codes: Vec<_> = report.errors.iter().map(|e| e.code).collect();
    assert!(
        codes.contains(&BundleVerifyErrorCode::BundleHashMismatch),
        "{codes:?}"
    );
}

#[test]
fn a_checkpoint_that_contradicts_the_span_fails_without_a_key() {
    let k = key(1);
    let mut bundle = build(&ext_a_early(), Some(checkpoint(30, &k)));
    // Pin entry 29 with another hash, signed and re-hashed by someone with a key of their own.
    let other = Checkpoint::new(k.name().clone(), 30, bundle.ledger.entries[0].ledger_hash)
        .unwrap()
        .sign(&k);
    bundle.checkpoint = Some(other);
    bundle.bundle_hash = bundle.compute_hash().unwrap();
    let report = verify_incident_evidence_bundle(&bundle);
    let codes: Vec<_> = report.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, [BundleVerifyErrorCode::CheckpointMismatch]);
}

#[test]
fn a_checkpoint_older_than_the_span_is_not_embedded_and_an_elided_end_is_still_refused() {
    let k = key(1);
    let late = IncidentBundleFilter {
        start_ms: Some(crate::fixture::ts(20)),
        ..IncidentBundleFilter::default()
    };
    let bundle = build(&late, Some(checkpoint(10, &k)));
    assert_eq!(bundle.checkpoint, None);
    // Without a checkpoint pinning it, an elided last entry is a span mismatch as before.
    let mut bundle = build(&ext_a_early(), Some(checkpoint(30, &k)));
    bundle.checkpoint = None;
    bundle.bundle_hash = bundle.compute_hash().unwrap();
    let report = verify_incident_evidence_bundle(&bundle);
    let codes: Vec<_> = report.errors.iter().map(|e| e.code).collect();
    assert!(
        codes.contains(&BundleVerifyErrorCode::LedgerSpanMismatch),
        "{codes:?}"
    );
}
