//! Keys, signed ledger checkpoints and signed DSSE envelopes through the binary
//! (`docs/ledger-format.md` §8, `docs/evidence-format.md` §5.1).

use crate::rechain::rechain;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hostguard_ledger::{LedgerEntry, RuntimeRiskLedgerArtifact};
use serde_json::Value;

use super::fixtures;
use super::ledger_fixture;
use super::support::*;

/// A temp dir with a key pair `k` / `k.pub` named `ops.example/ledger` and the fixture ledger.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let o = hostguard(&[
            "key",
            "generate",
            "--out",
            s(&dir.path().join("k")),
            "--name",
            "ops.example/ledger",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        write(dir.path(), "ledger.json", &ledger_fixture::json());
        Setup { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        s(&self.path(name)).to_owned()
    }

    /// Signs a checkpoint of `ledger` into `cp.txt`.
    fn checkpoint(&self, ledger: &str) {
        let o = hostguard(&[
            "ledger",
            "checkpoint",
            &self.p(ledger),
            "--key",
            &self.p("k"),
            "--out",
            &self.p("cp.txt"),
        ]);
        assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    }

    /// `ledger verify LEDGER --checkpoint cp.txt --pubkey PUB --json`: exit code and the
    /// checkpoint verdict.
    fn verify(&self, ledger: &str, pubkey: &str, extra: &[&str]) -> (i32, Value) {
        let (l, c, p) = (self.p(ledger), self.p("cp.txt"), self.p(pubkey));
        let mut args = vec![
            "ledger",
            "verify",
            &l,
            "--checkpoint",
            &c,
            "--pubkey",
            &p,
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = hostguard(&args);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        let json: Value = serde_json::from_str(&o.stdout).unwrap_or(Value::Null);
        (o.code, json.get("checkpoint").cloned().unwrap_or_default())
    }

    fn write_ledger(&self, name: &str, a: &RuntimeRiskLedgerArtifact) {
        std::fs::write(self.path(name), serde_json::to_string(a).unwrap()).unwrap();
    }
}

fn artifact(entries: Vec<LedgerEntry>) -> RuntimeRiskLedgerArtifact {
    let base = ledger_fixture::artifact();
    RuntimeRiskLedgerArtifact::from_entries(
        base.generated_at_ms,
        base.config,
        base.hysteresis,
        entries,
    )
}

fn verdict_code(verdict: &Value) -> &str {
    verdict
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("none")
}

mod keys {
    use super::*;

    #[test]
    fn generate_writes_a_0600_private_key_and_a_verifier_key() {
        let t = Setup::new();
        let private = std::fs::read_to_string(t.path("k")).unwrap();
        let public = std::fs::read_to_string(t.path("k.pub")).unwrap();
        assert!(
            private.starts_with("PRIVATE+KEY+ops.example/ledger+"),
            "key file form"
        );
        assert!(private.ends_with('\n') && public.ends_with('\n'));
        let verifier = hostguard_ledger::VerifierKey::parse(public.trim_end()).unwrap();
        let signer = hostguard_ledger::SignerKey::parse(private.trim_end()).unwrap();
        assert_eq!(signer.verifier(), verifier);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(t.path("k")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }

    #[test]
    fn generate_never_overwrites_and_never_prints_the_secret() {
        let t = Setup::new();
        let before = std::fs::read(t.path("k")).unwrap();
        let o = hostguard(&["key", "generate", "--out", &t.p("k")]);
        assert_bad_input(&o, "refusing to overwrite");
        assert_eq!(std::fs::read(t.path("k")).unwrap(), before);
        // An existing K.pub refuses too, and leaves no K behind.
        std::fs::write(t.path("j.pub"), "x").unwrap();
        let o = hostguard(&["key", "generate", "--out", &t.p("j")]);
        assert_bad_input(&o, "refusing to overwrite");
        assert!(!t.path("j").exists());
        let o = hostguard(&["key", "generate", "--out", &t.p("m")]);
        assert_eq!(o.code, 0);
        let secret = std::fs::read_to_string(t.path("m")).unwrap();
        // `PRIVATE+KEY+<name>+<key id>+<base64 key data>`: the data may hold `+` itself, so it is
        // the fifth field and everything after (a split from the right could leave a short
        // fragment that turns up in the output by chance).
        let data = secret.trim_end().splitn(5, '+').nth(4).unwrap();
        assert!(data.len() >= 40, "{data}");
        assert!(!o.stdout.contains(data) && !o.stderr.contains(data));
        assert!(secret.starts_with("PRIVATE+KEY+hostguard+"), "default name");
    }

    #[test]
    fn a_bad_name_or_key_file_is_bad_input() {
        let t = Setup::new();
        let o = hostguard(&["key", "generate", "--out", &t.p("n"), "--name", "a b"]);
        assert_bad_input(&o, "--name");
        write(t.dir.path(), "junk.pub", "not a key\n");
        t.checkpoint("ledger.json");
        let o = hostguard(&[
            "ledger",
            "verify",
            &t.p("ledger.json"),
            "--checkpoint",
            &t.p("cp.txt"),
            "--pubkey",
            &t.p("junk.pub"),
        ]);
        assert_bad_input(&o, "expected a verifier key");
        let o = hostguard(&[
            "ledger",
            "checkpoint",
            &t.p("ledger.json"),
            "--key",
            &t.p("k.pub"),
        ]);
        assert_bad_input(&o, "expected a private key");
        let o = hostguard(&[
            "ledger",
            "verify",
            &t.p("ledger.json"),
            "--checkpoint",
            &t.p("cp.txt"),
        ]);
        assert_eq!(o.code, 2, "--checkpoint needs --pubkey");
    }
}

mod checkpoints {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_against_its_ledger_exit_zero() {
        let t = Setup::new();
        t.checkpoint("ledger.json");
        let text = std::fs::read_to_string(t.path("cp.txt")).unwrap();
        let n = ledger_fixture::artifact().entries.len();
        assert!(
            text.starts_with(&format!("ops.example/ledger\n{n}\n")),
            "{text}"
        );
        let (code, v) = t.verify("ledger.json", "k.pub", &[]);
        assert_eq!((code, v["valid"].as_bool()), (0, Some(true)), "{v}");
        assert_eq!(v["covered"], n);
        assert_eq!(v["after"], 0);
        let o = hostguard(&[
            "ledger",
            "verify",
            &t.p("ledger.json"),
            "--checkpoint",
            &t.p("cp.txt"),
            "--pubkey",
            &t.p("k.pub"),
        ]);
        assert_eq!(o.code, 0);
        assert!(
            o.stdout.contains("checkpoint")
                && o.stdout.contains(": valid: origin `ops.example/ledger`"),
            "{}",
            o.stdout
        );
    }

    #[test]
    fn checkpoint_to_stdout_with_an_origin_and_a_grown_ledger() {
        let t = Setup::new();
        let full = ledger_fixture::artifact();
        t.write_ledger("prefix.json", &artifact(full.entries[..4].to_vec()));
        let o = hostguard(&[
            "ledger",
            "checkpoint",
            &t.p("prefix.json"),
            "--key",
            &t.p("k"),
            "--origin",
            "ops.example/other-log",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        std::fs::write(t.path("cp.txt"), &o.stdout).unwrap();
        let (code, v) = t.verify("ledger.json", "k.pub", &[]);
        assert_eq!((code, verdict_code(&v)), (1, "checkpoint_origin_mismatch"));
        let (code, v) = t.verify(
            "ledger.json",
            "k.pub",
            &["--origin", "ops.example/other-log"],
        );
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["after"], full.entries.len() - 4);
    }

    #[test]
    fn cut_and_rechained_ledgers_are_refused() {
        let t = Setup::new();
        t.checkpoint("ledger.json");
        let full = ledger_fixture::artifact();
        let n = full.entries.len();
        let mut edited = full.entries.clone();
        edited[2].ts_ms += 1;
        let cases = [
            (
                "tail.json",
                artifact(full.entries[..n - 2].to_vec()),
                "checkpoint_tail_cut",
            ),
            (
                "head.json",
                artifact(full.entries[2..].to_vec()),
                "checkpoint_head_unproven",
            ),
            (
                "headgen.json",
                artifact(rechain(full.entries[2..].to_vec())),
                "checkpoint_tail_cut",
            ),
            (
                "edit.json",
                artifact(rechain(edited)),
                "checkpoint_head_mismatch",
            ),
        ];
        for (name, a, want) in cases {
            t.write_ledger(name, &a);
            // Each verifies as a chain on its own…
            let o = hostguard(&["ledger", "verify", &t.p(name)]);
            assert_eq!(o.code, 0, "{name}: {}", o.stdout);
            // …and the checkpoint refuses it.
            let (code, v) = t.verify(name, "k.pub", &[]);
            assert_eq!((code, verdict_code(&v)), (1, want), "{name}: {v}");
        }
    }

    #[test]
    fn wrong_key_forged_and_edited_checkpoints_are_refused() {
        let t = Setup::new();
        t.checkpoint("ledger.json");
        let o = hostguard(&[
            "key",
            "generate",
            "--out",
            &t.p("other"),
            "--name",
            "ops.example/ledger",
        ]);
        assert_eq!(o.code, 0);
        let (code, v) = t.verify("ledger.json", "other.pub", &[]);
        assert_eq!((code, verdict_code(&v)), (1, "checkpoint_unknown_key"));

        let good = std::fs::read_to_string(t.path("cp.txt")).unwrap();
        let lines: Vec<&str> = good.split('\n').collect();
        let n: u64 = lines[1].parse().unwrap();
        let fewer = (n - 1).to_string();
        let other_head = STANDARD.encode([9u8; 32]);
        let (body, line) = good.split_once("\n\n").unwrap();
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        raw[40] ^= 0x01;
        let flipped = format!("{body}\n\n— ops.example/ledger {}\n", STANDARD.encode(&raw));
        let count = [lines[0], fewer.as_str(), lines[2], "", lines[4], ""].join("\n");
        let hash = [lines[0], lines[1], other_head.as_str(), "", lines[4], ""].join("\n");
        for (text, want) in [
            (flipped, "checkpoint_signature_invalid"),
            (count, "checkpoint_signature_invalid"),
            (hash, "checkpoint_signature_invalid"),
            (good.replace('\n', "\r\n"), "checkpoint_malformed"),
            (format!("{body}\next\n\n{line}"), "checkpoint_malformed"),
            ("garbage".to_owned(), "checkpoint_malformed"),
        ] {
            std::fs::write(t.path("cp.txt"), &text).unwrap();
            let (code, v) = t.verify("ledger.json", "k.pub", &[]);
            assert_eq!((code, verdict_code(&v)), (1, want), "{text:?}: {v}");
        }
    }

    #[test]
    fn a_ledger_that_does_not_verify_is_not_checkpointed() {
        let t = Setup::new();
        let mut a = ledger_fixture::artifact();
        a.entries[1].ts_ms += 1;
        t.write_ledger("bad.json", &a);
        let o = hostguard(&["ledger", "checkpoint", &t.p("bad.json"), "--key", &t.p("k")]);
        assert_eq!(o.code, 1, "{}", o.stdout);
        assert!(
            o.stderr.contains("checkpoint_ledger_invalid"),
            "{}",
            o.stderr
        );
        assert!(o.stdout.is_empty());
    }
}

mod envelopes {
    use super::*;

    fn bundle() -> String {
        fixtures::s("bundles/incident-external.json")
    }

    fn export(t: &Setup, key: &str, out: &str) {
        let o = hostguard(&[
            "bundle",
            "export",
            &bundle(),
            "--dsse",
            "--key",
            &t.p(key),
            "--out",
            &t.p(out),
        ]);
        assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
        assert!(
            o.stdout.contains("signed by `ops.example/ledger+"),
            "{}",
            o.stdout
        );
    }

    fn verify(path: &Path, pubkey: Option<&Path>) -> (i32, Value) {
        let mut args = vec!["bundle", "verify", s(path), "--json"];
        if let Some(p) = pubkey {
            args.extend(["--pubkey", s(p)]);
        }
        let o = hostguard(&args);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        (
            o.code,
            serde_json::from_str(&o.stdout).unwrap_or(Value::Null),
        )
    }

    fn edit(t: &Setup, f: impl Fn(&mut Value)) -> PathBuf {
        let mut env: Value =
            serde_json::from_str(&std::fs::read_to_string(t.path("env.json")).unwrap()).unwrap();
        f(&mut env);
        let path = t.path("edited.json");
        std::fs::write(&path, env.to_string()).unwrap();
        path
    }

    #[test]
    fn a_signed_envelope_verifies_with_its_key_and_is_not_called_signed_without_one() {
        let t = Setup::new();
        export(&t, "k", "env.json");
        let (code, r) = verify(&t.path("env.json"), Some(&t.path("k.pub")));
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["signature"]["valid"], true);
        assert_eq!(r["statement"]["valid"], true);
        assert_eq!(r["bundle"]["valid"], true);
        let (code, r) = verify(&t.path("env.json"), None);
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["signature"]["checked"], false);
        assert_eq!(r["signature"]["valid"], Value::Null);
        let o = hostguard(&["bundle", "verify", &t.p("env.json")]);
        assert!(o.stdout.contains("signature: NOT CHECKED"), "{}", o.stdout);
        assert!(!o.stdout.contains("signature: valid"), "{}", o.stdout);
    }

    #[test]
    fn another_key_an_altered_payload_and_a_forged_signature_fail() {
        let t = Setup::new();
        export(&t, "k", "env.json");
        let o = hostguard(&[
            "key",
            "generate",
            "--out",
            &t.p("other"),
            "--name",
            "ops.example/ledger",
        ]);
        assert_eq!(o.code, 0);
        let (code, r) = verify(&t.path("env.json"), Some(&t.path("other.pub")));
        assert_eq!(
            (code, r["signature"]["code"].as_str()),
            (1, Some("dsse_unknown_key"))
        );

        let altered = edit(&t, |env| {
            let payload = STANDARD.decode(env["payload"].as_str().unwrap()).unwrap();
            let text =
                String::from_utf8(payload)
                    .unwrap()
                    .replacen("\"alerts\":[", "\"alerts\":[ ", 1);
            env["payload"] = Value::from(STANDARD.encode(text));
        });
        let (code, r) = verify(&altered, Some(&t.path("k.pub")));
        assert_eq!(
            (code, r["signature"]["code"].as_str()),
            (1, Some("dsse_signature_invalid"))
        );

        let forged = edit(&t, |env| {
            let mut sig = STANDARD
                .decode(env["signatures"][0]["sig"].as_str().unwrap())
                .unwrap();
            sig[5] ^= 0x80;
            env["signatures"][0]["sig"] = Value::from(STANDARD.encode(sig));
        });
        let (code, r) = verify(&forged, Some(&t.path("k.pub")));
        assert_eq!(
            (code, r["signature"]["code"].as_str()),
            (1, Some("dsse_signature_invalid"))
        );

        let unsigned = edit(&t, |env| env["signatures"] = Value::Array(Vec::new()));
        let (code, r) = verify(&unsigned, Some(&t.path("k.pub")));
        assert_eq!(
            (code, r["signature"]["code"].as_str()),
            (1, Some("dsse_unsigned"))
        );
    }

    #[test]
    fn an_inconsistent_statement_fails_even_when_validly_signed() {
        let t = Setup::new();
        // A statement whose subject is not the bundle hash, signed with the trusted key.
        let o = hostguard(&["bundle", "export", &bundle(), "--dsse"]);
        assert_eq!(o.code, 0);
        let mut env: hostguard_manager::DsseEnvelope = serde_json::from_str(&o.stdout).unwrap();
        let mut statement: Value =
            serde_json::from_slice(&STANDARD.decode(&env.payload).unwrap()).unwrap();
        statement["subject"][0]["digest"]["sha256"] = Value::from("00".repeat(32));
        env.payload = STANDARD.encode(statement.to_string());
        let key_text = std::fs::read_to_string(t.path("k")).unwrap();
        env.sign(&hostguard_manager::SignerKey::parse(key_text.trim_end()).unwrap())
            .unwrap();
        std::fs::write(t.path("env.json"), env.to_json().unwrap()).unwrap();
        let (code, r) = verify(&t.path("env.json"), Some(&t.path("k.pub")));
        assert_eq!(code, 1);
        assert_eq!(r["signature"]["valid"], true);
        assert_eq!(r["statement"]["code"], "envelope_invalid");
    }

    #[test]
    fn a_bare_bundle_cannot_satisfy_pubkey_and_an_invalid_bundle_is_not_exported() {
        let t = Setup::new();
        let o = hostguard(&["bundle", "verify", &bundle(), "--pubkey", &t.p("k.pub")]);
        assert_eq!(o.code, 1);
        assert!(o.stderr.contains("dsse_unsigned"), "{}", o.stderr);
        let mut b: Value =
            serde_json::from_str(&std::fs::read_to_string(bundle()).unwrap()).unwrap();
        b["generated_at_ms"] = Value::from(1u64);
        write(t.dir.path(), "bad.json", &b.to_string());
        let o = hostguard(&[
            "bundle",
            "export",
            &t.p("bad.json"),
            "--dsse",
            "--key",
            &t.p("k"),
        ]);
        assert_eq!(o.code, 1, "{}", o.stdout);
        assert!(o.stderr.contains("bundle_hash_mismatch"), "{}", o.stderr);
        let o = hostguard(&["bundle", "export", &bundle(), "--key", &t.p("k")]);
        assert_eq!(o.code, 2, "--dsse is required");
    }
}
