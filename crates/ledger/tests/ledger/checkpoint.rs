//! Signed checkpoints (issue 14, `docs/ledger-format.md` §8): signing, opening, and the
//! consistency of a ledger with a checkpoint — through the public API only.
//!
//! The mutation suite plays an attacker who holds the ledger file but not the key: every cut
//! and every re-chain recomputes every hash correctly, so the mutated ledger verifies as a chain
//! on its own; the checkpoint must refuse it, every time.

use crate::rechain::rechain_from as rechain;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hostguard_ledger::{
    check_ledger_against_checkpoint, open_checkpoint, verify_runtime_risk_ledger_artifact,
    Checkpoint, CheckpointCoverage, CheckpointErrorCode, Digest, EntryPayload, KillSwitchRecord,
    Ledger, LedgerEntry, NoteName, RiskStateResetRecord, RuntimeRiskLedgerArtifact, SignerKey,
    VerifiedCheckpoint, VerifierKey,
};
use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const ORIGIN: &str = "hostguard.example/ledger";

fn name(text: &str) -> NoteName {
    NoteName::new(text).unwrap()
}

fn key(seed: u8) -> SignerKey {
    SignerKey::from_seed(name(ORIGIN), &[seed; 32])
}

/// `n` entries from genesis, payloads and timestamps drawn from `seed`.
fn ledger(n: usize, seed: u64) -> RuntimeRiskLedgerArtifact {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut l = Ledger::new(n.max(1)).unwrap();
    for i in 0..n {
        let payload = if (seed as usize + i) % 3 == 0 {
            EntryPayload::RiskStateReset(RiskStateResetRecord {
                reason: format!("r{i}"),
            })
        } else {
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: i % 2 == 0,
                reason: format!("INC-{seed}-{i}"),
            })
        };
        l.append(
            1_000 + i as u64,
            Some(format!("ext-{}", i % 3)),
            payload,
            &mut rng,
        )
        .unwrap();
    }
    l.artifact(
        9_000,
        RuntimeRiskConfig::default(),
        HysteresisConfig::default(),
    )
}

fn artifact(entries: Vec<LedgerEntry>) -> RuntimeRiskLedgerArtifact {
    RuntimeRiskLedgerArtifact::from_entries(
        9_000,
        RuntimeRiskConfig::default(),
        HysteresisConfig::default(),
        entries,
    )
}

/// Signs a checkpoint of the first `size` entries of `full`, and opens it with the trusted key.
fn checkpoint_of(full: &RuntimeRiskLedgerArtifact, size: usize) -> VerifiedCheckpoint {
    let prefix = artifact(full.entries[..size].to_vec());
    let signed = Checkpoint::of_ledger(name(ORIGIN), &prefix)
        .unwrap()
        .sign(&key(1));
    open_checkpoint(signed.as_bytes(), &key(1).verifier(), &name(ORIGIN)).unwrap()
}

fn refused(mutated: &RuntimeRiskLedgerArtifact, cp: &VerifiedCheckpoint) -> CheckpointErrorCode {
    let report = verify_runtime_risk_ledger_artifact(mutated);
    assert!(
        report.valid,
        "the attacker's ledger must verify as a chain on its own: {:?}",
        report.errors
    );
    match check_ledger_against_checkpoint(mutated, cp) {
        Ok(coverage) => panic!("the checkpoint accepted a mutated ledger: {coverage:?}"),
        Err(e) => e.code(),
    }
}

mod signing {
    use super::*;

    #[test]
    fn a_signed_checkpoint_opens_and_matches_its_ledger_and_its_growth() {
        let full = ledger(12, 7);
        let cp = checkpoint_of(&full, 8);
        assert_eq!(cp.checkpoint().size(), 8);
        assert_eq!(cp.checkpoint().head(), full.entries[7].ledger_hash);
        assert_eq!(cp.keyid(), key(1).keyid());
        let prefix = artifact(full.entries[..8].to_vec());
        assert_eq!(
            check_ledger_against_checkpoint(&prefix, &cp).unwrap(),
            CheckpointCoverage {
                covered: 8,
                after: 0
            }
        );
        assert_eq!(
            check_ledger_against_checkpoint(&full, &cp).unwrap(),
            CheckpointCoverage {
                covered: 8,
                after: 4
            }
        );
    }

    #[test]
    fn the_checkpoint_text_is_the_c2sp_layout() {
        let full = ledger(3, 1);
        let text = Checkpoint::of_ledger(name(ORIGIN), &full)
            .unwrap()
            .sign(&key(1));
        let head = STANDARD.encode(full.entries[2].ledger_hash.as_bytes());
        let (body, sig) = text.split_once("\n\n").unwrap();
        assert_eq!(format!("{body}\n"), format!("{ORIGIN}\n3\n{head}\n"));
        assert!(sig.starts_with(&format!("— {ORIGIN} ")), "{sig}");
        assert!(sig.ends_with('\n') && sig.lines().count() == 1, "{sig}");
        let raw = STANDARD
            .decode(sig.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        assert_eq!(raw.len(), 4 + 64);
        assert_eq!(raw[..4], key(1).id().to_bytes());
        assert!(key(1)
            .verifier()
            .verify(format!("{body}\n").as_bytes(), &raw[4..]));
    }

    #[test]
    fn an_empty_ledger_checkpoints_to_size_zero_and_the_genesis_head() {
        let empty = artifact(Vec::new());
        let c = Checkpoint::of_ledger(name(ORIGIN), &empty).unwrap();
        assert_eq!((c.size(), c.head()), (0, Digest::GENESIS));
        assert!(c
            .body()
            .ends_with("\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"));
        let cp = open_checkpoint(
            c.sign(&key(1)).as_bytes(),
            &key(1).verifier(),
            &name(ORIGIN),
        )
        .unwrap();
        let grown = ledger(3, 2);
        assert_eq!(
            check_ledger_against_checkpoint(&grown, &cp).unwrap(),
            CheckpointCoverage {
                covered: 0,
                after: 3
            }
        );
    }

    #[test]
    fn a_ledger_that_does_not_verify_is_not_signed_nor_checked() {
        let mut full = ledger(4, 3);
        let cp = checkpoint_of(&full, 4);
        full.entries[1].ts_ms += 1;
        let e = Checkpoint::of_ledger(name(ORIGIN), &full).unwrap_err();
        assert_eq!(e.code(), CheckpointErrorCode::LedgerInvalid);
        assert!(e.to_string().contains("body_digest_mismatch"), "{e}");
        let e = check_ledger_against_checkpoint(&full, &cp).unwrap_err();
        assert_eq!(e.code(), CheckpointErrorCode::LedgerInvalid);
    }

    #[test]
    fn a_retention_anchored_ledger_cannot_prove_its_head() {
        let mut l = Ledger::new(4).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        for i in 0..10 {
            let p = EntryPayload::RiskStateReset(RiskStateResetRecord {
                reason: format!("r{i}"),
            });
            l.append(i, None, p, &mut rng).unwrap();
        }
        let a = l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        assert!(verify_runtime_risk_ledger_artifact(&a).valid);
        // Signing the head of a retained window is fine (its size counts evicted entries)…
        let c = Checkpoint::of_ledger(name(ORIGIN), &a).unwrap();
        assert_eq!(c.size(), 10);
        let cp = open_checkpoint(
            c.sign(&key(1)).as_bytes(),
            &key(1).verifier(),
            &name(ORIGIN),
        )
        .unwrap();
        // …but only a ledger from genesis proves it.
        let e = check_ledger_against_checkpoint(&a, &cp).unwrap_err();
        assert_eq!(e.code(), CheckpointErrorCode::HeadUnproven);
    }
}

mod refusals {
    use super::*;

    fn signed(seed: u8, origin: &str) -> String {
        let full = ledger(5, 5);
        Checkpoint::of_ledger(name(origin), &full)
            .unwrap()
            .sign(&key(seed))
    }

    fn open(text: &str) -> Result<VerifiedCheckpoint, CheckpointErrorCode> {
        open_checkpoint(text.as_bytes(), &key(1).verifier(), &name(ORIGIN)).map_err(|e| e.code())
    }

    #[test]
    fn a_checkpoint_by_another_key_is_refused() {
        // Same name, another seed: another key id.
        assert_eq!(
            open(&signed(2, ORIGIN)).unwrap_err(),
            CheckpointErrorCode::UnknownKey
        );
        let stranger = SignerKey::from_seed(name("stranger.example"), &[1; 32]);
        let text = Checkpoint::of_ledger(name(ORIGIN), &ledger(5, 5))
            .unwrap()
            .sign(&stranger);
        assert_eq!(open(&text).unwrap_err(), CheckpointErrorCode::UnknownKey);
    }

    #[test]
    fn a_forged_signature_claiming_the_trusted_key_is_refused() {
        // Signed by the attacker's key, relabelled with the trusted key's name and id.
        let forged = signed(2, ORIGIN);
        let (body, line) = forged.split_once("\n\n").unwrap();
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        raw[..4].copy_from_slice(&key(1).id().to_bytes());
        let text = format!("{body}\n\n— {ORIGIN} {}\n", STANDARD.encode(&raw));
        assert_eq!(
            open(&text).unwrap_err(),
            CheckpointErrorCode::SignatureInvalid
        );
    }

    #[test]
    fn every_bit_flip_of_the_signature_is_refused() {
        let good = signed(1, ORIGIN);
        assert!(open(&good).is_ok());
        let (body, line) = good.split_once("\n\n").unwrap();
        let raw = STANDARD
            .decode(line.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        for bit in 32..raw.len() * 8 {
            let mut flipped = raw.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let text = format!("{body}\n\n— {ORIGIN} {}\n", STANDARD.encode(&flipped));
            assert_eq!(
                open(&text).unwrap_err(),
                CheckpointErrorCode::SignatureInvalid,
                "bit {bit}"
            );
        }
    }

    #[test]
    fn a_checkpoint_of_another_origin_is_refused() {
        assert_eq!(
            open(&signed(1, "other.example/ledger")).unwrap_err(),
            CheckpointErrorCode::OriginMismatch
        );
    }

    #[test]
    fn a_checkpoint_edited_in_count_or_hash_is_refused() {
        let good = signed(1, ORIGIN);
        let other_head = STANDARD.encode([7u8; 32]);
        let lines: Vec<&str> = good.split('\n').collect();
        for (i, new) in [(1, "4"), (1, "6"), (2, other_head.as_str())] {
            let mut edited = lines.clone();
            edited[i] = new;
            assert_eq!(
                open(&edited.join("\n")).unwrap_err(),
                CheckpointErrorCode::SignatureInvalid,
                "line {i} → {new}"
            );
        }
    }

    #[test]
    fn extension_lines_and_duplicate_signatures_are_malformed() {
        let good = signed(1, ORIGIN);
        let (body, sig) = good.split_once("\n\n").unwrap();
        for text in [
            format!("{body}\nextension\n\n{sig}"),
            format!("{body}\n\n{sig}{sig}"),
            format!("{body}\n\n{sig}\n"),
            good.replace('\n', "\r\n"),
            good.trim_end().to_owned(),
        ] {
            assert_eq!(
                open(&text).unwrap_err(),
                CheckpointErrorCode::Malformed,
                "{text:?}"
            );
        }
    }
}

mod mutations {
    //! 100 % detection: every case of every strategy must be refused.
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_tail_cut_is_detected(n in 2usize..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), keep in any::<prop::sample::Index>()) {
            let full = ledger(n, seed);
            let size = 1 + at.index(n);
            let cp = checkpoint_of(&full, size);
            let kept = keep.index(size);
            let cut = artifact(full.entries[..kept].to_vec());
            prop_assert_eq!(refused(&cut, &cp), CheckpointErrorCode::TailCut);
        }

        #[test]
        fn every_head_cut_with_a_rewritten_anchor_is_detected(n in 2usize..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
            let full = ledger(n, seed);
            let size = 1 + at.index(n);
            let cp = checkpoint_of(&full, size);
            let k = 1 + cut.index(n - 1);
            // The anchor rewritten the way retention writes it: seq k, prev = hash of k − 1.
            let retained = artifact(full.entries[k..].to_vec());
            prop_assert_eq!(refused(&retained, &cp), CheckpointErrorCode::HeadUnproven);
            // Or a forged anchor and a chain recomputed from it.
            let forged = artifact(rechain(full.entries[k..].to_vec(), k as u64, Digest([0xab; 32])));
            prop_assert_eq!(refused(&forged, &cp), CheckpointErrorCode::HeadUnproven);
        }

        #[test]
        fn every_head_cut_rechained_from_genesis_is_detected(n in 2usize..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
            let full = ledger(n, seed);
            let size = 1 + at.index(n);
            let cp = checkpoint_of(&full, size);
            let k = 1 + cut.index(n - 1);
            let rechained = artifact(rechain(full.entries[k..].to_vec(), 0, Digest::GENESIS));
            let code = refused(&rechained, &cp);
            let expected = if n - k < size {
                CheckpointErrorCode::TailCut
            } else {
                CheckpointErrorCode::HeadMismatch
            };
            prop_assert_eq!(code, expected);
        }

        #[test]
        fn every_rewrite_rechained_from_genesis_is_detected(n in 1usize..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), edit in any::<prop::sample::Index>(), ts in 1u64..1_000) {
            let full = ledger(n, seed);
            let size = 1 + at.index(n);
            let cp = checkpoint_of(&full, size);
            let mut entries = full.entries.clone();
            // Rewrite one covered entry (its time), then re-chain the whole ledger.
            entries[edit.index(size)].ts_ms += ts;
            let rewritten = artifact(rechain(entries, 0, Digest::GENESIS));
            prop_assert_eq!(refused(&rewritten, &cp), CheckpointErrorCode::HeadMismatch);
        }

        #[test]
        fn every_reorder_rechained_from_genesis_is_detected(n in 2usize..40, seed in any::<u64>(), at in any::<prop::sample::Index>(), i in any::<prop::sample::Index>()) {
            let full = ledger(n, seed);
            let size = 2 + at.index(n - 1);
            let cp = checkpoint_of(&full, size);
            let mut entries = full.entries.clone();
            let i = i.index(size - 1);
            entries.swap(i, i + 1);
            let reordered = artifact(rechain(entries, 0, Digest::GENESIS));
            prop_assert_eq!(refused(&reordered, &cp), CheckpointErrorCode::HeadMismatch);
        }
    }
}

mod never_panics {
    use super::*;

    fn exercise(bytes: &[u8], verifier: &VerifierKey) {
        let _ = open_checkpoint(bytes, verifier, &name(ORIGIN));
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = VerifierKey::parse(text);
            let _ = SignerKey::parse(text);
            let _ = NoteName::new(text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn opening_and_key_parsing_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            exercise(&bytes, &key(1).verifier());
        }

        #[test]
        fn opening_and_key_parsing_never_panic_on_arbitrary_text(text in "[a-zA-Z0-9+/=\n —.-]{0,200}") {
            exercise(text.as_bytes(), &key(1).verifier());
        }

        /// Any text, validly signed, opens only when it is exactly a body the code writes
        /// (the fuzz target `checkpoint_open` checks the same on arbitrary bytes).
        #[test]
        fn a_validly_signed_body_opens_only_when_canonical(
            origin in "(hostguard\\.example/ledger|[a-z+ ]{0,3})",
            size in "(0|[0-9]{1,3}|-1|00|\\+1)",
            head in prop_oneof![
                any::<[u8; 32]>().prop_map(|h| STANDARD.encode(h)),
                "[A-Za-z0-9+/=]{0,46}",
            ],
            tail in "(|\n|ext\n)",
        ) {
            let text = format!("{origin}\n{size}\n{head}\n{tail}");
            let k = key(1);
            let sig = [k.id().to_bytes().as_slice(), &k.sign(text.as_bytes())].concat();
            let note = format!("{text}\n— {ORIGIN} {}\n", STANDARD.encode(sig));
            if let Ok(v) = open_checkpoint(note.as_bytes(), &k.verifier(), &name(ORIGIN)) {
                prop_assert_eq!(v.checkpoint().body(), text);
            }
        }

        /// A mutated checkpoint never panics the parser, and one that still opens signs the
        /// very same body: no edit of the signed text gets through.
        #[test]
        fn a_mutated_checkpoint_opens_only_with_its_signed_body(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        ) {
            let c = Checkpoint::of_ledger(name(ORIGIN), &ledger(3, 9)).unwrap();
            let mut bytes = c.sign(&key(1)).into_bytes();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => { bytes.remove(i); }
                    _ => {}
                }
            }
            exercise(&bytes, &key(1).verifier());
            if let Ok(v) = open_checkpoint(&bytes, &key(1).verifier(), &name(ORIGIN)) {
                prop_assert_eq!(v.checkpoint(), &c);
            }
        }
    }
}

mod vectors {
    //! The checkpoint vectors of `docs/ledger-format.md` §8.6, recomputed from the code.
    use super::super::vectors::{block, hex, hex_block, vector_ledger};
    use super::*;

    /// The vector key: seed `00 01 … 1f`.
    fn vector_key() -> SignerKey {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
        SignerKey::from_seed(name(ORIGIN), &seed)
    }

    fn vector_ledger_artifact() -> RuntimeRiskLedgerArtifact {
        vector_ledger().artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default())
    }

    /// The SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) as PEM.
    fn pem(public_key: &[u8; 32]) -> String {
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(public_key);
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }

    /// Every vector, as the doc shows it (`--nocapture` prints them to update the doc).
    fn render() -> Vec<(&'static str, String)> {
        let key = vector_key();
        let verifier = key.verifier();
        let public = verifier.public_key();
        let mut id_input = ORIGIN.as_bytes().to_vec();
        id_input.extend_from_slice(&[0x0a, 0x01]);
        id_input.extend_from_slice(&public);
        let checkpoint = Checkpoint::of_ledger(name(ORIGIN), &vector_ledger_artifact()).unwrap();
        let body = checkpoint.body();
        vec![
            ("checkpoint.public_key", hex(&public)),
            ("checkpoint.key_id_input", hex(&id_input)),
            ("checkpoint.key_id", key.id().to_string()),
            ("checkpoint.verifier_key", verifier.to_string()),
            (
                "checkpoint.private_key",
                key.to_text().expose_secret().to_owned(),
            ),
            ("checkpoint.public_key.pem", pem(&public)),
            ("checkpoint.body", body.clone()),
            ("checkpoint.signature", hex(&key.sign(body.as_bytes()))),
            ("checkpoint.signed", checkpoint.sign(&key)),
        ]
    }

    fn normalized(name: &str, text: &str) -> String {
        if [
            "checkpoint.public_key",
            "checkpoint.key_id_input",
            "checkpoint.signature",
        ]
        .contains(&name)
        {
            text.chars().filter(|c| !c.is_whitespace()).collect()
        } else {
            text.to_owned()
        }
    }

    #[test]
    fn doc_checkpoint_vectors_match_the_code() {
        let rendered = render();
        for (name, value) in &rendered {
            println!("<!-- vector: {name} -->\n{value}\n");
        }
        for (name, value) in rendered {
            let doc = match name {
                "checkpoint.public_key" | "checkpoint.key_id_input" | "checkpoint.signature" => {
                    hex_block(name)
                }
                "checkpoint.key_id" | "checkpoint.verifier_key" | "checkpoint.private_key" => {
                    block(name).trim_end().to_owned()
                }
                _ => block(name),
            };
            assert_eq!(doc, normalized(name, &value), "doc vector `{name}` drifted");
        }
        // The doc's texts, read back: the verifier key parses, the signed checkpoint opens
        // against it, and the vector ledger matches it.
        let verifier = VerifierKey::parse(block("checkpoint.verifier_key").trim_end()).unwrap();
        let private = SignerKey::parse(block("checkpoint.private_key").trim_end()).unwrap();
        assert_eq!(private.verifier(), verifier);
        let cp = open_checkpoint(
            block("checkpoint.signed").as_bytes(),
            &verifier,
            &name(ORIGIN),
        )
        .unwrap();
        assert_eq!(
            check_ledger_against_checkpoint(&vector_ledger_artifact(), &cp).unwrap(),
            CheckpointCoverage {
                covered: 4,
                after: 0
            }
        );
        assert_eq!(
            cp.checkpoint().head().to_hex(),
            hex_block("entry3.ledger_hash")
        );
    }
}
