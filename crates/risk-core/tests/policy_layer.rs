//! Integration tests of risk-core's policy layer: static policy precedence, quotas, the secret
//! broker and runtime-config loading (docs/design.md §2 steps 3, 4, 6 and §3 "Config").

// Helpers outside `#[test]` functions fall outside clippy's test exemptions (clippy.toml); a
// failing test should still fail loudly.
#![expect(
    clippy::unwrap_used,
    reason = "tests fail loudly; helpers are not #[test] fns"
)]

mod policy {
    use hostguard_risk_core::{
        Capability, CapabilitySet, ExtensionOverride, ExtensionPolicy, PolicyError, PolicyMode,
        PolicyProfile, PolicyReason, PolicyVerdict,
    };
    use Capability::*;
    use PolicyReason::*;
    use PolicyVerdict::{Allow, Deny, Prompt};

    fn layered() -> ExtensionPolicy {
        ExtensionPolicy::from_profile(PolicyProfile::Standard)
            .with_deny_caps(CapabilitySet::of(&[Http]))
            .with_extension_override(
                "e",
                ExtensionOverride {
                    allow: CapabilitySet::of(&[Exec, Http, Tool]),
                    deny: CapabilitySet::of(&[Log, Tool]),
                    ..ExtensionOverride::default()
                },
            )
            .unwrap()
    }

    fn check(
        p: &ExtensionPolicy,
        ext: &str,
        cap: Capability,
        verdict: PolicyVerdict,
        reason: PolicyReason,
    ) {
        let d = p.evaluate(ext, cap);
        assert_eq!(
            (d.verdict, d.reason, d.capability),
            (verdict, reason, cap),
            "{ext} {cap}"
        );
    }

    #[test]
    fn extension_deny_beats_default_caps_and_extension_allow() {
        check(&layered(), "e", Log, Deny, ExtensionDeny);
        check(&layered(), "e", Tool, Deny, ExtensionDeny);
    }

    #[test]
    fn global_deny_beats_extension_allow() {
        check(&layered(), "e", Http, Deny, GlobalDeny);
        check(&layered(), "other", Http, Deny, GlobalDeny);
    }

    #[test]
    fn extension_allow_beats_mode_fallback() {
        check(&layered(), "e", Exec, Allow, ExtensionAllow);
        check(&layered(), "other", Exec, Prompt, ModeFallback);
    }

    #[test]
    fn default_caps_allow_what_no_deny_names() {
        check(&layered(), "e", Read, Allow, DefaultCaps);
        check(&layered(), "other", Log, Allow, DefaultCaps);
    }

    #[test]
    fn mode_fallback_follows_extension_mode_then_global_mode() {
        let p = layered()
            .with_extension_override(
                "strict",
                ExtensionOverride {
                    mode: Some(PolicyMode::Strict),
                    ..Default::default()
                },
            )
            .unwrap()
            .with_extension_override(
                "loose",
                ExtensionOverride {
                    mode: Some(PolicyMode::Permissive),
                    ..Default::default()
                },
            )
            .unwrap();
        check(&p, "e", Env, Prompt, ModeFallback);
        check(&p, "strict", Env, Deny, ModeFallback);
        check(&p, "loose", Env, Allow, ModeFallback);
        check(&p, "loose", Http, Deny, GlobalDeny);
        let strict = p.clone().with_mode(PolicyMode::Strict);
        check(&strict, "nobody", Env, Deny, ModeFallback);
        let permissive = p.with_mode(PolicyMode::Permissive);
        check(&permissive, "nobody", Env, Allow, ModeFallback);
    }

    #[test]
    fn every_profile_decides_every_capability_as_designed() {
        let table: [(PolicyProfile, [(PolicyVerdict, PolicyReason); 10]); 3] = [
            (
                PolicyProfile::Safe,
                // exec, env, http, read, write, session, ui, events, log, tool
                [
                    (Deny, GlobalDeny),
                    (Deny, GlobalDeny),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Deny, ModeFallback),
                ],
            ),
            (
                PolicyProfile::Standard,
                [
                    (Prompt, ModeFallback),
                    (Prompt, ModeFallback),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Allow, DefaultCaps),
                    (Prompt, ModeFallback),
                ],
            ),
            (PolicyProfile::Permissive, [(Allow, DefaultCaps); 10]),
        ];
        for (profile, row) in table {
            let p = ExtensionPolicy::from_profile(profile);
            assert_eq!(p.profile(), profile);
            for (cap, (verdict, reason)) in Capability::ALL.into_iter().zip(row) {
                check(&p, "any", cap, verdict, reason);
            }
        }
        assert_eq!(
            ExtensionPolicy::from_profile(PolicyProfile::Safe).mode(),
            PolicyMode::Strict
        );
        assert_eq!(
            ExtensionPolicy::from_profile(PolicyProfile::Standard).mode(),
            PolicyMode::Prompt
        );
        assert_eq!(
            ExtensionPolicy::from_profile(PolicyProfile::Permissive).mode(),
            PolicyMode::Permissive
        );
        assert_eq!(
            ExtensionPolicy::default(),
            ExtensionPolicy::from_profile(PolicyProfile::Safe)
        );
    }

    #[test]
    fn reasons_have_stable_codes() {
        let codes: Vec<_> = [
            ExtensionDeny,
            GlobalDeny,
            ExtensionAllow,
            DefaultCaps,
            ModeFallback,
        ]
        .map(PolicyReason::as_str)
        .to_vec();
        assert_eq!(
            codes,
            [
                "extension_deny",
                "global_deny",
                "extension_allow",
                "default_caps",
                "mode_fallback"
            ]
        );
    }

    #[test]
    fn per_extension_override_from_a_policy_file_takes_effect() {
        // Runbook Procedure 2, "add per-extension capability override in policy config".
        let text = r#"
            profile = "safe"
            [per_extension.indexer]
            allow = ["tool"]
            [per_extension.noisy]
            deny = ["HTTP"]
            mode = "prompt"
        "#;
        let p = ExtensionPolicy::from_toml_str(text).unwrap();
        check(&p, "indexer", Tool, Allow, ExtensionAllow);
        check(&p, "other", Tool, Deny, ModeFallback);
        check(&p, "noisy", Http, Deny, ExtensionDeny);
        check(&p, "noisy", Tool, Prompt, ModeFallback);
        check(&p, "indexer", Exec, Deny, GlobalDeny);
    }

    #[test]
    fn policy_round_trips_through_json_and_toml() {
        let p = layered();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(ExtensionPolicy::from_json_str(&json).unwrap(), p);
        let toml_text = toml::to_string(&p).unwrap();
        assert_eq!(ExtensionPolicy::from_toml_str(&toml_text).unwrap(), p);
    }

    #[test]
    fn malformed_policies_are_typed_errors() {
        let err = ExtensionPolicy::from_toml_str("profile = \"safe\"\ncolour = 1\n").unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Malformed {
                    format: "toml",
                    line: Some(2),
                    ..
                }
            ),
            "{err}"
        );
        let err = ExtensionPolicy::from_json_str(r#"{"profile": "safe", "deny_caps": ["root"]}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown capability `root`"),
            "{err}"
        );
        let err = ExtensionPolicy::from_json_str(r#"{"profile": "paranoid"}"#).unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Malformed {
                    format: "json",
                    line: Some(1),
                    ..
                }
            ),
            "{err}"
        );
        let err =
            ExtensionPolicy::from_json_str(r#"{"profile": "safe", "per_extension": {"": {}}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("invalid extension id ``"), "{err}");
        assert_eq!(
            ExtensionPolicy::default().with_extension_override("", ExtensionOverride::default()),
            Err(PolicyError::InvalidExtensionId { id: String::new() })
        );
    }
}

mod quota {
    use hostguard_risk_core::{
        Capability, ExtensionOverride, ExtensionPolicy, PolicyMode, PolicyProfile, QuotaCharge,
        QuotaKind, QuotaLimits, QuotaTracker,
    };
    use proptest::prelude::*;

    const LOG: QuotaCharge = QuotaCharge::for_capability(Capability::Log);
    const EXEC: QuotaCharge = QuotaCharge::for_capability(Capability::Exec);
    const HTTP: QuotaCharge = QuotaCharge::for_capability(Capability::Http);

    fn only(f: impl FnOnce(&mut QuotaLimits)) -> QuotaTracker {
        let mut limits = QuotaLimits::UNLIMITED;
        f(&mut limits);
        QuotaTracker::new(limits)
    }

    fn run(t: &mut QuotaTracker, calls: &[(u64, QuotaCharge)]) -> Vec<Option<QuotaKind>> {
        calls
            .iter()
            .map(|(now, c)| t.check_and_record(*now, c).err().map(|b| b.kind))
            .collect()
    }

    #[test]
    fn per_second_window_is_the_aligned_second() {
        let mut t = only(|l| l.per_second = Some(3));
        let got = run(
            &mut t,
            &[
                (0, LOG),
                (500, LOG),
                (999, LOG),
                (999, LOG),
                (1000, LOG),
                (1999, LOG),
            ],
        );
        assert_eq!(
            got,
            [None, None, None, Some(QuotaKind::PerSecond), None, None]
        );
    }

    #[test]
    fn per_minute_window_slides_by_whole_seconds() {
        let mut t = only(|l| l.per_minute = Some(3));
        // Second 0's call counts up to and including second 59, not at second 60.
        let got = run(
            &mut t,
            &[
                (0, LOG),
                (1_000, LOG),
                (2_000, LOG),
                (59_999, LOG),
                (60_000, LOG),
                (60_001, LOG),
            ],
        );
        assert_eq!(
            got,
            [
                None,
                None,
                None,
                Some(QuotaKind::PerMinute),
                None,
                Some(QuotaKind::PerMinute)
            ]
        );
        assert_eq!(t.usage(60_001).per_minute, 3);
        assert_eq!(t.usage(62_000).per_minute, 1);
        assert_eq!(t.usage(120_000).per_minute, 0);
    }

    #[test]
    fn total_never_resets() {
        let mut t = only(|l| l.total = Some(2));
        let got = run(&mut t, &[(0, LOG), (1, LOG), (3_600_000, LOG)]);
        assert_eq!(got, [None, None, Some(QuotaKind::Total)]);
    }

    #[test]
    fn subprocesses_count_exec_calls_only() {
        let mut t = only(|l| l.subprocesses = Some(2));
        let got = run(
            &mut t,
            &[(0, EXEC), (1, EXEC), (2, LOG), (3, EXEC), (60_000, EXEC)],
        );
        assert_eq!(got, [None, None, None, Some(QuotaKind::Subprocesses), None]);
    }

    #[test]
    fn write_bytes_limit_admits_exactly_the_limit() {
        let mut t = only(|l| l.write_bytes = Some(100));
        let w = |n| QuotaCharge::for_capability(Capability::Write).with_write_bytes(n);
        let got = run(
            &mut t,
            &[(0, w(60)), (1, w(41)), (2, w(40)), (3, w(1)), (4, LOG)],
        );
        assert_eq!(
            got,
            [
                None,
                Some(QuotaKind::WriteBytes),
                None,
                Some(QuotaKind::WriteBytes),
                None
            ]
        );
        let breach = only(|l| l.write_bytes = Some(100))
            .check_and_record(0, &w(u64::MAX))
            .unwrap_err();
        assert_eq!((breach.limit, breach.observed), (100, u64::MAX));
    }

    #[test]
    fn http_requests_count_http_calls_only() {
        let mut t = only(|l| l.http_requests = Some(1));
        let got = run(&mut t, &[(0, HTTP), (1, LOG), (2, HTTP), (61_000, HTTP)]);
        assert_eq!(got, [None, None, Some(QuotaKind::HttpRequests), None]);
    }

    #[test]
    fn refused_call_is_not_counted() {
        let mut t = only(|l| {
            l.per_second = Some(1);
            l.total = Some(2);
        });
        let got = run(&mut t, &[(0, LOG), (1, LOG), (2, LOG), (1_000, LOG)]);
        assert_eq!(
            got,
            [
                None,
                Some(QuotaKind::PerSecond),
                Some(QuotaKind::PerSecond),
                None
            ]
        );
        assert_eq!(t.usage(1_000).total, 2);
        let breach = t.check_and_record(2_000, &LOG).unwrap_err();
        assert_eq!(
            (breach.kind, breach.limit, breach.observed),
            (QuotaKind::Total, 2, 3)
        );
        assert_eq!(t.usage(2_000).total, 2);
    }

    #[test]
    fn per_extension_override_beats_global() {
        let global = QuotaLimits {
            per_second: Some(1),
            ..QuotaLimits::for_mode(PolicyMode::Strict)
        };
        let big = QuotaLimits {
            per_second: Some(5),
            ..global
        };
        let p = ExtensionPolicy::from_profile(PolicyProfile::Safe)
            .with_quota(global)
            .with_extension_override(
                "big",
                ExtensionOverride {
                    quota: Some(big),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(p.quota_limits_for("big"), &big);
        assert_eq!(p.quota_limits_for("small"), &global);
        let mut t_big = QuotaTracker::new(*p.quota_limits_for("big"));
        let mut t_small = QuotaTracker::new(*p.quota_limits_for("small"));
        assert_eq!(
            run(&mut t_big, &[(0, LOG); 6])
                .iter()
                .filter(|r| r.is_none())
                .count(),
            5
        );
        assert_eq!(
            run(&mut t_small, &[(0, LOG); 6])
                .iter()
                .filter(|r| r.is_none())
                .count(),
            1
        );
    }

    #[test]
    fn presets_tighten_with_the_mode() {
        let s = QuotaLimits::for_mode(PolicyMode::Strict);
        let p = QuotaLimits::for_mode(PolicyMode::Prompt);
        let l = QuotaLimits::for_mode(PolicyMode::Permissive);
        assert!(s.per_second < p.per_second && p.per_second < l.per_second);
        assert!(s.per_minute < p.per_minute && p.per_minute < l.per_minute);
        assert_eq!(l.total, None);
        assert_eq!(
            ExtensionPolicy::from_profile(PolicyProfile::Standard).quota(),
            &p
        );
    }

    #[test]
    fn clock_going_backwards_neither_panics_nor_reopens_a_window() {
        let mut t = only(|l| l.per_second = Some(1));
        assert_eq!(t.check_and_record(10_000, &LOG), Ok(()));
        let breach = t.check_and_record(0, &LOG).unwrap_err();
        assert_eq!((breach.kind, breach.now_ms), (QuotaKind::PerSecond, 10_000));
        assert_eq!(t.check_and_record(11_000, &LOG), Ok(()));
        let mut t = only(|l| l.per_minute = Some(2));
        assert_eq!(t.check_and_record(u64::MAX, &LOG), Ok(()));
        assert_eq!(t.check_and_record(3, &LOG), Ok(()));
        assert!(t.check_and_record(u64::MAX - 1, &LOG).is_err());
    }

    /// A naive model: the list of accepted calls, recounted from scratch.
    fn naive(
        limits: &QuotaLimits,
        accepted: &[(u64, QuotaCharge)],
        now: u64,
        c: &QuotaCharge,
    ) -> bool {
        let sec = now / 1000;
        let minute: Vec<_> = accepted
            .iter()
            .filter(|(t, _)| sec - t / 1000 < 60)
            .collect();
        let ok = |limit: Option<u64>, used: u64| limit.is_none_or(|l| used <= l);
        ok(
            limits.per_second,
            accepted.iter().filter(|(t, _)| t / 1000 == sec).count() as u64 + 1,
        ) && ok(limits.per_minute, minute.len() as u64 + 1)
            && ok(limits.total, accepted.len() as u64 + 1)
            && ok(
                limits.subprocesses,
                minute.iter().filter(|(_, x)| x.subprocess).count() as u64
                    + u64::from(c.subprocess),
            )
            && ok(
                limits.write_bytes,
                minute.iter().map(|(_, x)| x.write_bytes).sum::<u64>() + c.write_bytes,
            )
            && ok(
                limits.http_requests,
                minute.iter().filter(|(_, x)| x.http).count() as u64 + u64::from(c.http),
            )
    }

    proptest! {
        #[test]
        fn tracker_agrees_with_a_naive_recount(
            steps in proptest::collection::vec((0u64..3_000, 0usize..4, 0u64..50), 1..200),
        ) {
            let limits = QuotaLimits {
                per_second: Some(4), per_minute: Some(30), total: Some(120),
                subprocesses: Some(6), write_bytes: Some(400), http_requests: Some(8),
            };
            let mut t = QuotaTracker::new(limits);
            let mut accepted = Vec::new();
            let mut now = 0u64;
            for (dt, kind, bytes) in steps {
                now += dt;
                let cap = [Capability::Log, Capability::Exec, Capability::Http, Capability::Write][kind];
                let c = QuotaCharge::for_capability(cap).with_write_bytes(if cap == Capability::Write { bytes } else { 0 });
                let expected = naive(&limits, &accepted, now, &c);
                prop_assert_eq!(t.check_and_record(now, &c).is_ok(), expected);
                if expected {
                    accepted.push((now, c));
                }
            }
        }
    }
}

mod secret {
    use hostguard_risk_core::{
        secret_name_hash, SecretBrokerPolicy, SecretBrokerReason, SecretRuleKind,
        SECRET_PLACEHOLDER,
    };
    use proptest::prelude::*;

    fn kind(name: &str) -> Option<SecretRuleKind> {
        SecretBrokerPolicy::default()
            .is_secret(name)
            .map(|m| m.kind)
    }

    #[test]
    fn exact_suffix_and_prefix_rules_match() {
        assert_eq!(kind("AWS_SECRET_ACCESS_KEY"), Some(SecretRuleKind::Exact));
        assert_eq!(kind("DATABASE_URL"), Some(SecretRuleKind::Exact));
        for name in [
            "X_KEY",
            "X_SECRET",
            "X_TOKEN",
            "X_PASSWORD",
            "X_PASSWD",
            "X_CREDENTIALS",
            "X_PAT",
            "X_API_KEY",
        ] {
            assert_eq!(kind(name), Some(SecretRuleKind::Suffix), "{name}");
        }
        for name in ["AWS_SECRETS_BUCKET", "OPENAI_ORG_ID", "ANTHROPIC_BASE_URL"] {
            assert_eq!(kind(name), Some(SecretRuleKind::Prefix), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "EDITOR",
            "CARGO_HOME",
            "KEYRING_BACKEND",
            "AWS_REGION",
        ] {
            assert_eq!(kind(name), None, "{name}");
        }
    }

    #[test]
    fn rules_are_case_insensitive() {
        for name in [
            "github_token",
            "GitHub_Token",
            "my_api_key",
            "openai_x",
            " Database_Url ",
        ] {
            assert!(kind(name).is_some(), "{name}");
        }
        let custom =
            SecretBrokerPolicy::new(&["session_cookie"], &["_sig"], &["corp_"], &[]).unwrap();
        assert!(custom.is_secret("SESSION_COOKIE").is_some());
        assert!(custom.is_secret("X_SIG").is_some());
        assert!(custom.is_secret("Corp_anything").is_some());
    }

    #[test]
    fn allowlist_wins_over_every_rule() {
        let p = SecretBrokerPolicy::new(&["HOME"], &["ME"], &["HO"], &["home"]).unwrap();
        assert!(p.is_secret("HOME").is_none());
        let d = p.broker_env("Home");
        assert_eq!(
            (d.redacted, d.reason, d.placeholder),
            (false, SecretBrokerReason::Allowlisted, None)
        );
        let p = SecretBrokerPolicy::default()
            .with_allowed("SIGNING_PUBLIC_KEY")
            .unwrap();
        assert!(p.is_secret("signing_public_key").is_none());
    }

    #[test]
    fn broker_returns_placeholder_and_name_hash_never_a_value() {
        let p = SecretBrokerPolicy::default();
        let d = p.broker_env("STRIPE_SECRET_KEY");
        assert!(d.redacted);
        assert_eq!(d.placeholder.as_deref(), Some(SECRET_PLACEHOLDER));
        assert_eq!(d.reason, SecretBrokerReason::SuffixRule);
        assert_eq!(d.rule.as_deref(), Some("_SECRET_KEY"));
        assert_eq!(d.name_hash, secret_name_hash("STRIPE_SECRET_KEY"));
        let json = serde_json::to_value(&d).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["name_hash", "placeholder", "reason", "redacted", "rule"]
        );
    }

    fn check(cmd: &str, expected: &str) {
        assert_eq!(
            SecretBrokerPolicy::default().redact_command(cmd),
            expected,
            "{cmd}"
        );
    }

    #[test]
    fn command_redaction_cases() {
        check("cargo build --release", "cargo build --release");
        check(
            "OPENAI_API_KEY=sk-abc python run.py",
            "OPENAI_API_KEY=[REDACTED] python run.py",
        );
        check(
            "export AWS_SECRET_ACCESS_KEY=wJalr",
            "export AWS_SECRET_ACCESS_KEY=[REDACTED]",
        );
        check(
            "env github_token=\"ghp 1\" gh pr list",
            "env github_token=[REDACTED] gh pr list",
        );
        check("psql --password s3cr3t", "psql --password [REDACTED]");
        check(
            "tool --client-secret=abc",
            "tool --client-secret=[REDACTED]",
        );
        check("mysql -uroot -ps3cr3t app", "mysql -uroot -p[REDACTED] app");
        check("mysqldump -p s3cr3t app", "mysqldump -p [REDACTED] app");
        check(
            "mkdir -p src/bin && cp -p a b",
            "mkdir -p src/bin && cp -p a b",
        );
        check("vault login --token abc", "vault login --token [REDACTED]");
        check(
            "curl -sH 'Authorization: Bearer eyJhbGci.x.y' https://api.example.com",
            "curl -sH 'Authorization: Bearer [REDACTED]' https://api.example.com",
        );
        check(
            "curl -H \"Authorization: Basic dXNlcjpwYXNz\" https://h",
            "curl -H \"Authorization: Basic [REDACTED]\" https://h",
        );
        check(
            "git push https://user:ghp_abc@github.com/o/r.git",
            "git push https://user:[REDACTED]@github.com/o/r.git",
        );
        check(
            "pip install --index-url https://tok@pypi.corp/simple x",
            "pip install --index-url https://[REDACTED]@pypi.corp/simple x",
        );
        check(
            "ls && DB_PASSWORD=x ./migrate | tee log",
            "ls && DB_PASSWORD=[REDACTED] ./migrate | tee log",
        );
    }

    #[test]
    fn unchanged_commands_are_borrowed() {
        let p = SecretBrokerPolicy::default();
        assert!(matches!(
            p.redact_command("ls -la"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    fn secret_name() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                "[A-Z][A-Z0-9]{0,6}",
                prop::sample::select(vec![
                    "_KEY",
                    "_TOKEN",
                    "_SECRET",
                    "_PASSWORD",
                    "_PAT",
                    "_API_KEY"
                ])
            )
                .prop_map(|(a, b)| format!("{a}{b}")),
            prop::sample::select(vec![
                "GITHUB_TOKEN",
                "DATABASE_URL",
                "AWS_SECRET_ACCESS_KEY",
                "PASSWORD"
            ])
            .prop_map(str::to_owned),
            ("[A-Z0-9_]{0,6}").prop_map(|s| format!("OPENAI_{s}")),
            ("[a-z][a-z0-9]{0,6}").prop_map(|s| format!("{s}_token")),
        ]
    }

    proptest! {
        #[test]
        fn redaction_never_leaks_an_assigned_secret(
            name in secret_name(),
            value in "[a-z0-9][a-z0-9._/+:@%,=-]{7,30}",
            quoted in "[ a-z0-9;|&$()<>*?!#-]{8,30}",
            quoting in 0usize..3,
            before in prop::sample::select(vec!["", "export ", "env ", "sudo -E ", "cd /tmp && ", "FOO=1 ", "docker run -e "]),
            after in prop::sample::select(vec!["", " ./run.sh", "; echo done", " | tee log", " && make"]),
        ) {
            let (secret, word) = match quoting {
                0 => (value.clone(), value.clone()),
                1 => (quoted.clone(), format!("'{quoted}'")),
                _ => (quoted.clone(), format!("\"{quoted}\"")),
            };
            let secret_trimmed = secret.trim();
            prop_assume!(secret_trimmed.len() >= 6);
            let context = format!("{before}{name}= {after}{SECRET_PLACEHOLDER}");
            prop_assume!(!context.contains(secret_trimmed));
            let cmd = format!("{before}{name}={word}{after}");
            let out = SecretBrokerPolicy::default().redact_command(&cmd);
            prop_assert!(!out.contains(secret_trimmed), "{} -> {}", cmd, out);
        }

        #[test]
        fn redaction_never_panics(cmd in "\\PC{0,80}") {
            let _ = SecretBrokerPolicy::default().redact_command(&cmd);
        }

        #[test]
        fn redaction_never_panics_on_shell_shaped_input(cmd in "[-a-zA-Z_=:@/ '\"\\\\;&|$()]{0,60}") {
            let _ = SecretBrokerPolicy::default().redact_command(&cmd);
        }
    }
}

mod config {
    use hostguard_risk_core::{
        BandProfile, CliOverrides, ConfigError, ConfigField, ConfigFile, ConfigSource,
        PolicyProfile, ResolvedRiskConfig, RuntimeRiskConfig, ScoreBands,
    };
    use proptest::prelude::*;

    fn env_only(var: &str, value: &str) -> Result<ResolvedRiskConfig, ConfigError> {
        ResolvedRiskConfig::load(None, [(var, value)], &CliOverrides::default())
    }

    fn file_only(name: &str, contents: &str) -> Result<ResolvedRiskConfig, ConfigError> {
        ResolvedRiskConfig::load(
            Some(ConfigFile { name, contents }),
            Vec::<(String, String)>::new(),
            &CliOverrides::default(),
        )
    }

    fn env(field: ConfigField) -> ConfigSource {
        ConfigSource::Env(field.env_var().to_owned())
    }

    #[test]
    fn every_numeric_field_rejects_unparsable_text() {
        for (field, expected) in [
            (ConfigField::Alpha, "a number"),
            (ConfigField::DeEscalationMargin, "a number"),
            (ConfigField::WindowSize, "an integer"),
            (ConfigField::LedgerLimit, "an integer"),
            (ConfigField::DecisionTimeoutMs, "an integer"),
            (ConfigField::CooldownCalls, "an integer"),
        ] {
            for bad in ["abc", "", "1,5", "0x10"] {
                let err = env_only(field.env_var(), bad).unwrap_err();
                assert_eq!(
                    err,
                    ConfigError::Unparsable {
                        field,
                        value: bad.into(),
                        expected,
                        allowed: field.allowed(),
                        origin: env(field)
                    }
                );
                let message = err.to_string();
                assert!(
                    message.contains(field.as_str())
                        && message.contains(field.allowed())
                        && message.contains(field.env_var()),
                    "{message}"
                );
            }
        }
        let err = env_only("HOSTGUARD_RISK_WINDOW", "12.5").unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Unparsable {
                    expected: "an integer",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn every_numeric_field_rejects_values_out_of_range() {
        for (field, low, high) in [
            (ConfigField::Alpha, "0.0000009", "0.51"),
            (ConfigField::WindowSize, "7", "4097"),
            (ConfigField::LedgerLimit, "31", "1000001"),
            (ConfigField::DecisionTimeoutMs, "0", "2001"),
            (ConfigField::CooldownCalls, "0", "1001"),
            (ConfigField::DeEscalationMargin, "-0.01", "0.5001"),
        ] {
            for bad in [
                low,
                high,
                "-5",
                "99999999999999999999999",
                "-99999999999999999999999999999999999999999999",
            ] {
                let err = env_only(field.env_var(), bad).unwrap_err();
                assert_eq!(
                    err,
                    ConfigError::OutOfRange {
                        field,
                        value: bad.into(),
                        allowed: field.allowed(),
                        origin: env(field)
                    }
                );
            }
        }
    }

    #[test]
    fn range_bounds_are_inclusive() {
        for (field, low, high) in [
            (ConfigField::Alpha, "1e-6", "0.5"),
            (ConfigField::WindowSize, "8", "4096"),
            (ConfigField::LedgerLimit, "32", "1000000"),
            (ConfigField::DecisionTimeoutMs, "1", "2000"),
            (ConfigField::CooldownCalls, "1", "1000"),
            (ConfigField::DeEscalationMargin, "0", "0.5"),
        ] {
            for ok in [low, high] {
                let r = env_only(field.env_var(), ok).unwrap();
                assert_eq!(r.source(field), &env(field));
            }
        }
    }

    #[test]
    fn float_fields_reject_nan_and_infinity() {
        for field in [ConfigField::Alpha, ConfigField::DeEscalationMargin] {
            for bad in ["NaN", "nan", "inf", "-inf", "infinity"] {
                let err = env_only(field.env_var(), bad).unwrap_err();
                assert_eq!(
                    err,
                    ConfigError::NotFinite {
                        field,
                        value: bad.into(),
                        allowed: field.allowed(),
                        origin: env(field)
                    }
                );
            }
        }
        let err = file_only("risk.toml", "de_escalation_margin = -inf").unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::NotFinite {
                    field: ConfigField::DeEscalationMargin,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_profile_is_rejected_with_the_allowed_names() {
        for bad in ["standard", "strict", "", "safe,balanced"] {
            let err = env_only("HOSTGUARD_RISK_BAND_PROFILE", bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("`band_profile` value `{bad}` from env `HOSTGUARD_RISK_BAND_PROFILE` is not a known profile (allowed: safe|balanced|permissive)")
            );
        }
        let r = env_only("HOSTGUARD_RISK_BAND_PROFILE", " Permissive ").unwrap();
        assert_eq!(r.config().profile, Some(BandProfile::Permissive));
    }

    /// `enforce` follows the rollout phase: a variable or a flag that sets it is refused with
    /// the reason, never silently ignored; a file may hold it (a serialized config loads back)
    /// and `config explain` says it is not a setting (docs/design.md §3).
    #[test]
    fn enforce_is_refused_from_every_source() {
        let expect = |origin: ConfigSource| {
            move |err: ConfigError| {
                assert!(
                    matches!(&err, ConfigError::NotASetting { field: ConfigField::Enforce, value, origin: o } if value == "true" && *o == origin),
                    "{err:?}"
                );
                assert!(
                    err.to_string().contains("the rollout phase decides"),
                    "{err}"
                );
            }
        };
        expect(env(ConfigField::Enforce))(env_only("HOSTGUARD_RISK_ENFORCE", "true").unwrap_err());
        let from_file = file_only("c.toml", "enforce = false\n").unwrap();
        let explained = from_file.explain();
        let row = explained.iter().find(|e| e.field == "enforce").unwrap();
        assert_eq!(row.allowed, "not a setting: follows the rollout phase");
        let cli = CliOverrides {
            enforce: Some("true".into()),
            ..CliOverrides::default()
        };
        let no_env: [(&str, &str); 0] = [];
        let err = ResolvedRiskConfig::load(None, no_env, &cli).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::NotASetting {
                    origin: ConfigSource::Cli,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn bool_fields_accept_the_documented_spellings_and_nothing_else() {
        for field in [ConfigField::Enabled, ConfigField::FailClosed] {
            for (text, value) in [
                ("true", true),
                ("TRUE", true),
                ("1", true),
                ("yes", true),
                (" Yes ", true),
                ("false", false),
                ("0", false),
                ("no", false),
                ("NO", false),
            ] {
                let r = env_only(field.env_var(), text).unwrap();
                let got = match field {
                    ConfigField::Enabled => r.config().enabled,
                    _ => r.config().fail_closed,
                };
                assert_eq!(got, value, "{field} {text}");
            }
            for bad in ["on", "off", "y", "2", "", "truee"] {
                let err = env_only(field.env_var(), bad).unwrap_err();
                assert_eq!(
                    err,
                    ConfigError::BadBool {
                        field,
                        value: bad.into(),
                        allowed: "true|false|1|0|yes|no",
                        origin: env(field)
                    }
                );
            }
        }
    }

    #[test]
    fn malformed_files_report_line_and_column() {
        let err = file_only("risk.toml", "enabled = true\nalpha = = 3\n").unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::MalformedFile {
                    format: "toml",
                    line: Some(2),
                    column: Some(_),
                    ..
                }
            ),
            "{err}"
        );
        let err = file_only("risk.json", "{\n  \"alpha\": 0.1,\n}").unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::MalformedFile {
                    format: "json",
                    line: Some(3),
                    column: Some(1),
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "risk.json:3:1: malformed json config file: trailing comma"
        );
        let err = file_only("risk.json", "[1, 2]").unwrap_err();
        assert!(
            matches!(err, ConfigError::MalformedFile { format: "json", .. }),
            "{err}"
        );
        let err = file_only("risk.json", "alpha = 0.1").unwrap_err();
        assert!(
            matches!(err, ConfigError::MalformedFile { format: "json", .. }),
            "{err}"
        );
    }

    #[test]
    fn file_values_of_the_wrong_type_name_field_and_file() {
        let err = file_only("risk.toml", "window_size = [1, 2]").unwrap_err();
        assert_eq!(err.to_string(), "`window_size` value `[1, 2]` from file `risk.toml` is not an integer (allowed: [8, 4096])");
        let err = file_only("risk.json", r#"{"enabled": null}"#).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::BadBool {
                    field: ConfigField::Enabled,
                    ..
                }
            ),
            "{err}"
        );
        let err = file_only("risk.json", r#"{"alpha": "abc"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`alpha` value `abc` from file `risk.json` is not a number (allowed: [1e-6, 0.5])"
        );
        let err = file_only("risk.toml", "window_size = 128.0").unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Unparsable {
                    field: ConfigField::WindowSize,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_file_keys_and_env_vars_are_errors() {
        let err = file_only("risk.toml", "alpha = 0.1\nwindow = 64\n").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownKey {
                key: "window".into(),
                path: "risk.toml".into()
            }
        );
        let err = file_only("risk.json", r#"{"Alpha": 0.1}"#).unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownKey {
                key: "Alpha".into(),
                path: "risk.json".into()
            }
        );
        let err = env_only("HOSTGUARD_RISK_FAIL_CLOSE", "1").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownEnvVar {
                var: "HOSTGUARD_RISK_FAIL_CLOSE".into()
            }
        );
        assert!(env_only("HOSTGUARD_OTHER", "x").is_ok());
    }

    #[test]
    fn format_is_chosen_by_extension_then_content() {
        let r = file_only("risk.conf", "{\"alpha\": 0.2}").unwrap();
        assert_eq!(r.config().alpha, 0.2);
        let r = file_only("risk.conf", "alpha = 0.3").unwrap();
        assert_eq!(r.config().alpha, 0.3);
        let r = file_only("RISK.TOML", "").unwrap();
        assert_eq!(r, ResolvedRiskConfig::defaults());
    }

    #[test]
    fn precedence_is_cli_then_env_then_file_then_default_and_each_source_is_recorded() {
        let file = ConfigFile {
            name: "/etc/hostguard/risk.toml",
            contents: "alpha = 0.02\nwindow_size = 256\nledger_limit = 4096\nprofile = \"safe\"\n",
        };
        let env = [
            ("HOSTGUARD_RISK_WINDOW", "512"),
            ("HOSTGUARD_RISK_LEDGER_LIMIT", "8192"),
            ("HOME", "/root"),
        ];
        let cli = CliOverrides {
            ledger_limit: Some("16384".into()),
            enabled: Some("yes".into()),
            ..CliOverrides::default()
        };
        let r = ResolvedRiskConfig::load(Some(file), env, &cli).unwrap();
        let c = r.config();
        assert_eq!(
            (c.alpha, c.window_size, c.ledger_limit, c.enabled),
            (0.02, 512, 16384, true)
        );
        assert_eq!(c.profile, Some(BandProfile::Safe));
        assert_eq!(
            c.decision_timeout_ms,
            RuntimeRiskConfig::default().decision_timeout_ms
        );
        let file_source = ConfigSource::File("/etc/hostguard/risk.toml".into());
        assert_eq!(r.source(ConfigField::Alpha), &file_source);
        assert_eq!(r.source(ConfigField::Profile), &file_source);
        assert_eq!(
            r.source(ConfigField::WindowSize),
            &ConfigSource::Env("HOSTGUARD_RISK_WINDOW".into())
        );
        assert_eq!(r.source(ConfigField::LedgerLimit), &ConfigSource::Cli);
        assert_eq!(r.source(ConfigField::Enabled), &ConfigSource::Cli);
        assert_eq!(
            r.source(ConfigField::DecisionTimeoutMs),
            &ConfigSource::Default
        );
        let explain = r.explain();
        assert_eq!(explain.len(), 10);
        let ledger = explain.iter().find(|e| e.field == "ledger_limit").unwrap();
        assert_eq!(
            (ledger.value.as_str(), &ledger.source),
            ("16384", &ConfigSource::Cli)
        );
        let rendered = r.to_string();
        assert!(
            rendered.contains("window_size            = 512        (env `HOSTGUARD_RISK_WINDOW`)"),
            "{rendered}"
        );
    }

    #[test]
    fn a_lower_source_error_is_reported_even_when_a_higher_source_sets_the_field() {
        let file = ConfigFile {
            name: "risk.toml",
            contents: "alpha = 7",
        };
        let cli = CliOverrides {
            alpha: Some("0.1".into()),
            ..CliOverrides::default()
        };
        let err =
            ResolvedRiskConfig::load(Some(file), Vec::<(&str, &str)>::new(), &cli).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::OutOfRange {
                    origin: ConfigSource::File(_),
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn cli_errors_name_the_command_line() {
        let cli = CliOverrides {
            cooldown_calls: Some("0".into()),
            ..CliOverrides::default()
        };
        let err = ResolvedRiskConfig::load(None, Vec::<(&str, &str)>::new(), &cli).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`cooldown_calls` value `0` from command line is out of range (allowed: [1, 1000])"
        );
    }

    #[test]
    fn serialized_config_loads_back_as_json() {
        let config = RuntimeRiskConfig {
            enabled: true,
            alpha: 0.001,
            profile: Some(BandProfile::Balanced),
            ..RuntimeRiskConfig::default()
        };
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(file_only("x.json", &json).unwrap().config(), &config);
        let json = serde_json::to_string(&RuntimeRiskConfig::default()).unwrap();
        let r = file_only("x.json", &json).unwrap();
        assert_eq!(r.config(), &RuntimeRiskConfig::default());
        assert_eq!(
            r.source(ConfigField::Profile),
            &ConfigSource::File("x.json".into())
        );
    }

    #[test]
    fn hysteresis_bands_follow_the_policy_profile_unless_config_names_one() {
        let r = env_only("HOSTGUARD_RISK_COOLDOWN_CALLS", "5").unwrap();
        let h = r.config().hysteresis_config(PolicyProfile::Standard);
        assert_eq!(h.bands, ScoreBands::for_profile(BandProfile::Balanced));
        assert_eq!(h.cooldown_calls, 5);
        let r = env_only("HOSTGUARD_RISK_PROFILE", "safe").unwrap();
        let h = r.config().hysteresis_config(PolicyProfile::Permissive);
        assert_eq!(h.bands, ScoreBands::for_profile(BandProfile::Safe));
    }

    proptest! {
        #[test]
        fn loader_never_panics_on_arbitrary_strings(
            name in prop::sample::select(vec!["c.toml", "c.json", "c", ""]),
            contents in "\\PC{0,120}",
            var in prop::sample::select(ConfigField::ALL.map(ConfigField::env_var).to_vec()),
            value in "\\PC{0,20}",
            cli in "\\PC{0,20}",
            field in 0usize..10,
        ) {
            let mut overrides = CliOverrides::default();
            let slot = [
                &mut overrides.enabled, &mut overrides.enforce, &mut overrides.alpha,
                &mut overrides.window_size, &mut overrides.ledger_limit,
                &mut overrides.decision_timeout_ms, &mut overrides.fail_closed,
                &mut overrides.band_profile, &mut overrides.cooldown_calls,
                &mut overrides.de_escalation_margin,
            ];
            for (i, s) in slot.into_iter().enumerate() {
                if i == field {
                    *s = Some(cli.clone());
                }
            }
            let file = ConfigFile { name, contents: &contents };
            if let Ok(r) = ResolvedRiskConfig::load(Some(file), [(var, value.as_str())], &overrides) {
                prop_assert!(r.config().validate().is_ok());
            }
        }

        #[test]
        fn loader_never_panics_on_config_shaped_files(
            key in prop::sample::select(ConfigField::ALL.map(ConfigField::as_str).to_vec()),
            value in "[-+0-9a-zA-Z.e\"\\[\\]{}, ]{0,16}",
        ) {
            let toml_text = format!("{key} = {value}\n");
            let json_text = format!("{{\"{key}\": {value}}}");
            for (name, text) in [("c.toml", toml_text), ("c.json", json_text)] {
                if let Ok(r) = file_only(name, &text) {
                    prop_assert!(r.config().validate().is_ok());
                }
            }
        }
    }
}

#[test]
fn a_json_policy_naming_an_extension_twice_is_refused() {
    use hostguard_risk_core::ExtensionPolicy;
    // The second entry would silently replace the first: a deny dropped by a later allow.
    let text = r#"{"profile": "standard", "per_extension": {
        "indexer": {"deny": ["exec"]},
        "indexer": {"allow": ["exec"]}
    }}"#;
    let err = ExtensionPolicy::from_json_str(text).unwrap_err();
    assert!(
        err.to_string().contains("indexer"),
        "the error names the extension: {err}"
    );
    // TOML already refuses a duplicate table.
    let toml = "profile = \"standard\"\n[per_extension.indexer]\ndeny = [\"exec\"]\n[per_extension.indexer]\nallow = [\"exec\"]\n";
    assert!(ExtensionPolicy::from_toml_str(toml).is_err());
}
