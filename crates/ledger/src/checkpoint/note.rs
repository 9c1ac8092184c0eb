//! The C2SP `signed-note` framing (`docs/ledger-format.md` §8.1): a text ending in a newline, a
//! blank line, then signature lines `— <key name> <base64(4-byte key id ‖ signature)>`.
//!
//! Parsing is strict and total: any byte string gives a note or a reason, never a panic.

use std::collections::BTreeSet;

use super::keys::{decode_base64, encode_base64, KeyId, NoteName, SignerKey};

/// The largest signed note read, in bytes: far above 100 signatures of any algorithm a note
/// carries today, far below anything that could hurt.
pub const CHECKPOINT_MAX_BYTES: usize = 1 << 20;

/// The most signature lines a note may carry (C2SP: at least 16 must be accepted; Go's `note`
/// package stops at 100).
pub const CHECKPOINT_MAX_SIGNATURES: usize = 100;

/// What opens a signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// A parsed, not yet verified, signed note.
#[derive(Debug)]
pub(crate) struct SignedNote<'a> {
    /// The signed text: every line before the blank line, final newline included.
    pub(crate) text: &'a str,
    /// The signature lines, in order; no two by the same (name, id).
    pub(crate) signatures: Vec<NoteSignature<'a>>,
}

/// One signature line.
#[derive(Debug)]
pub(crate) struct NoteSignature<'a> {
    /// The key name.
    pub(crate) name: &'a str,
    /// The key id (the first 4 bytes of the decoded signature).
    pub(crate) id: KeyId,
    /// The signature proper (the bytes after the key id).
    pub(crate) signature: Vec<u8>,
}

/// Splits a signed note into text and signature lines, refusing anything malformed: too large,
/// not UTF-8, a control character other than newline, no blank line, a signature line that is
/// not `— <name> <base64>`, non-canonical base64, fewer than 5 signature bytes, too many lines,
/// two signatures by the same key.
pub(crate) fn parse(bytes: &[u8]) -> Result<SignedNote<'_>, String> {
    if bytes.len() > CHECKPOINT_MAX_BYTES {
        return Err(format!(
            "`{}` bytes, more than the `{CHECKPOINT_MAX_BYTES}` allowed",
            bytes.len()
        ));
    }
    let msg = std::str::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 (at byte `{}`)", e.valid_up_to()))?;
    if let Some((at, c)) = msg.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
        return Err(format!(
            "control character `U+{:04X}` at byte `{at}` (only newlines are allowed)",
            u32::from(c)
        ));
    }
    let split = msg
        .rfind("\n\n")
        .ok_or("no blank line between the text and the signatures")?;
    let (text, sigs) = (
        msg.get(..=split).unwrap_or_default(),
        msg.get(split + 2..).unwrap_or_default(),
    );
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err("the signature lines must end with a newline".to_owned());
    }
    let mut signatures = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, line) in sigs.split_terminator('\n').enumerate() {
        if i >= CHECKPOINT_MAX_SIGNATURES {
            return Err(format!(
                "more than `{CHECKPOINT_MAX_SIGNATURES}` signature lines"
            ));
        }
        let sig = signature_line(line).map_err(|e| format!("signature line {}: {e}", i + 1))?;
        if !seen.insert((sig.name, sig.id)) {
            return Err(format!(
                "signature line {}: a second signature by key `{}+{}`",
                i + 1,
                sig.name,
                sig.id
            ));
        }
        signatures.push(sig);
    }
    Ok(SignedNote { text, signatures })
}

/// `— <name> <base64(id ‖ signature)>\n` for `text` (which must end with a newline).
pub(crate) fn sign_line(key: &SignerKey, text: &str) -> String {
    let mut data = key.id().to_bytes().to_vec();
    data.extend_from_slice(&key.sign(text.as_bytes()));
    format!(
        "{SIGNATURE_PREFIX}{} {}\n",
        key.name(),
        encode_base64(&data)
    )
}

fn signature_line(line: &str) -> Result<NoteSignature<'_>, String> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or("expected `— <key name> <base64 signature>`")?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or("expected `— <key name> <base64 signature>`")?;
    NoteName::new(name).map_err(|e| e.to_string())?;
    let data = decode_base64(b64).ok_or("the signature is not canonical standard base64")?;
    match data.as_slice() {
        [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok(NoteSignature {
            name,
            id: KeyId(u32::from_be_bytes([*a, *b, *c, *d])),
            signature: signature.to_vec(),
        }),
        _ => Err("the signature is shorter than 5 bytes".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(note: &str, expected: Result<usize, &str>) {
        let got = parse(note.as_bytes()).map(|n| n.signatures.len());
        match (&got, expected) {
            (Ok(n), Ok(want)) => assert_eq!(*n, want, "{note:?}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{note:?}: `{e}` lacks `{want}`"),
            _ => panic!("{note:?}: got {got:?}, expected {expected:?}"),
        }
    }

    const SIG: &str = "AAAAAAE="; // key id 0, one signature byte

    #[test]
    fn framing_is_strict() {
        check(&format!("a\nb\n\n— k {SIG}\n"), Ok(1));
        check(&format!("a\n\n— k {SIG}\n— j {SIG}\n"), Ok(2));
        check(
            &format!("a\n\n— k {SIG}\n— k {SIG}\n"),
            Err("second signature"),
        );
        check(&format!("a\n\n— k {SIG}"), Err("end with a newline"));
        check(&format!("a\n— k {SIG}\n"), Err("no blank line"));
        check("a\n\n", Err("end with a newline"));
        check(&format!("a\n\n- k {SIG}\n"), Err("expected `—"));
        check(&format!("a\n\n—  k {SIG}\n"), Err("invalid name"));
        check(&format!("a\n\n— k+1 {SIG}\n"), Err("invalid name"));
        check("a\n\n— k AAAAAA==\n", Err("shorter than 5"));
        check("a\n\n— k AAAAAAE\n", Err("canonical"));
        check("a\n\n— k AAAAAAF=\n", Err("canonical"));
        check(&format!("a\n\n— k {SIG} \n"), Err("canonical"));
        check(
            &format!("a\r\n\n— k {SIG}\n"),
            Err("control character `U+000D`"),
        );
        check(&format!("a\t\n\n— k {SIG}\n"), Err("control character"));
        assert!(parse(b"a\n\n\xff\n").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn size_and_signature_count_are_bounded() {
        let many: String = (0..=CHECKPOINT_MAX_SIGNATURES)
            .map(|i| format!("— k{i} {SIG}\n"))
            .collect();
        check(&format!("a\n\n{many}"), Err("more than `100`"));
        let big = "a".repeat(CHECKPOINT_MAX_BYTES);
        check(&format!("{big}\n\n— k {SIG}\n"), Err("bytes, more than"));
    }
}
