//! Unit tests of checkpoints: the canonical decimal sizes and the body.

use super::*;

fn check_decimal(text: &str, expected: Option<u64>) {
    assert_eq!(parse_decimal(text), expected, "{text:?}");
}

#[test]
fn sizes_are_canonical_decimal() {
    check_decimal("0", Some(0));
    check_decimal("12", Some(12));
    check_decimal("18446744073709551615", Some(u64::MAX));
    check_decimal("18446744073709551616", None);
    check_decimal("012", None);
    check_decimal("00", None);
    check_decimal("+1", None);
    check_decimal("-1", None);
    check_decimal("1 ", None);
    check_decimal("", None);
    check_decimal("١", None);
}

fn key() -> SignerKey {
    SignerKey::from_seed(NoteName::new("example.com/log").unwrap(), &[9; 32])
}

fn open(text: &str) -> Result<VerifiedCheckpoint, CheckpointErrorCode> {
    let k = key();
    open_checkpoint(text.as_bytes(), &k.verifier(), k.name()).map_err(|e| e.code())
}

fn signed(body: &str) -> String {
    format!("{body}\n{}", note::sign_line(&key(), body))
}

fn check_body(body: &str, expected: Result<u64, CheckpointErrorCode>) {
    match (open(&signed(body)), expected) {
        (Ok(v), Ok(size)) => assert_eq!(v.checkpoint().size(), size, "{body:?}"),
        (Err(code), Err(want)) => assert_eq!(code, want, "{body:?}"),
        (got, want) => panic!("{body:?}: got {got:?}, expected {want:?}"),
    }
}

const H: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const H1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

#[test]
fn bodies_are_parsed_strictly_even_when_validly_signed() {
    use CheckpointErrorCode::*;
    check_body(&format!("example.com/log\n0\n{H}\n"), Ok(0));
    check_body(&format!("example.com/log\n3\n{H1}\n"), Ok(3));
    check_body(&format!("example.com/log\n0\n{H1}\n"), Err(Malformed));
    check_body(&format!("example.com/log\n3\n{H1}\next\n"), Err(Malformed));
    check_body(&format!("example.com/log\n03\n{H1}\n"), Err(Malformed));
    check_body(
        &format!("example.com/log\n3\n{}\n", &H1[..43]),
        Err(Malformed),
    );
    check_body("example.com/log\n3\nAQEB\n", Err(Malformed));
    check_body(&format!("example com\n3\n{H1}\n"), Err(Malformed));
    check_body(&format!("example.com/log\n3\n{H1}"), Err(Malformed));
    check_body(
        &format!("other.example/log\n3\n{H1}\n"),
        Err(OriginMismatch),
    );
}

#[test]
fn a_signature_by_another_key_is_ignored_and_a_wrong_one_refused() {
    use CheckpointErrorCode::*;
    let body = format!("example.com/log\n3\n{H1}\n");
    let other = SignerKey::from_seed(NoteName::new("witness").unwrap(), &[1; 32]);
    let both = format!(
        "{body}\n{}{}",
        note::sign_line(&other, &body),
        note::sign_line(&key(), &body)
    );
    assert!(open(&both).is_ok());
    let only_other = format!("{body}\n{}", note::sign_line(&other, &body));
    assert_eq!(open(&only_other).unwrap_err(), UnknownKey);
    let edited = signed(&body).replacen("\n3\n", "\n4\n", 1);
    assert_eq!(open(&edited).unwrap_err(), SignatureInvalid);
}

/// Go's `note` package signs the same text with the same key to the same line, so the
/// framing and the key encodings are the C2SP ones (the example of its package doc).
#[test]
fn the_go_note_example_signs_identically() {
    let key = SignerKey::parse(
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    )
    .unwrap();
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    assert_eq!(
        note::sign_line(&key, text),
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
}

#[test]
fn codes_are_distinct_snake_case() {
    let mut seen = std::collections::BTreeSet::new();
    for code in CheckpointErrorCode::ALL {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert!(seen.insert(code.as_str()));
    }
}
