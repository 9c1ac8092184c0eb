//! Integration tests of hostguard-ledger: one binary, one module per property family.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

#[path = "ledger/checkpoint.rs"]
mod checkpoint;
#[path = "support/json_edit.rs"]
mod json_edit;
#[path = "support/rechain.rs"]
mod rechain;

mod fixture {
    use hostguard_ledger::{
        Committed, ConfigChangeRecord, DecisionRecord, EntryPayload, KillSwitchRecord, Ledger,
        RedactableField, RiskStateResetRecord, RollbackThresholds, RollbackTriggerChangeRecord,
        RolloutTransitionRecord, RuntimeRiskLedgerArtifact, TrustChangeRecord,
    };
    use hostguard_risk_core::{
        Capability, EnforcementState, Hysteresis, HysteresisConfig, Posterior, RuntimeRiskConfig,
        StepInput,
    };
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use std::collections::BTreeMap;

    pub fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(0x5eed)
    }

    /// Builds decisions the way the manager does: through the real machine.
    #[derive(Default)]
    pub struct Model {
        pub config: HysteresisConfig,
        /// The rollout phase decisions are recorded under (`enforce_all` unless set), as the
        /// ledger's transitions put it in force.
        pub phase: Option<&'static str>,
        machines: BTreeMap<String, Hysteresis>,
        calls: u64,
    }

    impl Model {
        pub fn decide(
            &mut self,
            ext: &str,
            capability: Capability,
            score: f64,
            triggers: &[&str],
            posterior_unsafe: f64,
        ) -> EntryPayload {
            self.calls += 1;
            let h = self.machines.entry(ext.to_owned()).or_default();
            let (next, outcome) = h.step(
                &self.config,
                StepInput {
                    score,
                    trigger_floor: if triggers.is_empty() {
                        EnforcementState::Allow
                    } else {
                        EnforcementState::Harden
                    },
                    posterior_unsafe,
                },
            );
            *h = next;
            EntryPayload::Decision(Box::new(DecisionRecord {
                call_id: format!("call-{}", self.calls),
                capability,
                method: capability.as_str().to_owned(),
                params_hash: Committed::new(format!("{:064x}", self.calls * 7919)),
                policy_reason: "default_caps".to_owned(),
                risk_evaluated: true,
                risk_score: score,
                posterior: Posterior {
                    safe: 1.0 - posterior_unsafe - 0.1,
                    suspicious: 0.1,
                    unsafe_: posterior_unsafe,
                },
                triggers: triggers.iter().map(|t| (*t).to_owned()).collect(),
                selected_action: outcome.after,
                state_before: outcome.before,
                state_after: outcome.after,
                consecutive_unsafe: outcome.consecutive_unsafe,
                enforced: self.phase.is_none_or(|p| p.starts_with("enforce")),
                rollout_phase: self.phase.unwrap_or("enforce_all").to_owned(),
                e_process_log: score * 1.5,
                drift: false,
                fallback_reason: None,
                explanation_summary: format!("score {score:.3}"),
                applied: None,
            }))
        }

        pub fn reset(&mut self, ext: &str) {
            self.machines.remove(ext);
        }
    }

    pub fn not_evaluated(call: &str) -> EntryPayload {
        EntryPayload::Decision(Box::new(DecisionRecord {
            call_id: call.to_owned(),
            capability: Capability::Exec,
            method: "exec".to_owned(),
            params_hash: Committed::new("ab".repeat(32)),
            policy_reason: "kill_switch".to_owned(),
            risk_evaluated: false,
            risk_score: 0.0,
            posterior: Posterior::default(),
            triggers: vec![],
            selected_action: EnforcementState::Deny,
            state_before: EnforcementState::Allow,
            state_after: EnforcementState::Allow,
            consecutive_unsafe: 0,
            enforced: true,
            rollout_phase: "shadow".to_owned(),
            e_process_log: 0.0,
            drift: false,
            fallback_reason: Some("decision_timeout".to_owned()),
            explanation_summary: "killed".to_owned(),
            applied: None,
        }))
    }

    pub fn config_change() -> EntryPayload {
        EntryPayload::ConfigChange(ConfigChangeRecord {
            config: RuntimeRiskConfig {
                enabled: true,
                ..RuntimeRiskConfig::default()
            },
            hysteresis: HysteresisConfig::default(),
        })
    }

    /// The 13-entry ledger of the tamper test (every entry kind), before redaction/elision.
    pub fn ledger() -> Ledger {
        let mut rng = rng();
        let mut m = Model::default();
        let mut l = Ledger::new(64).unwrap();
        let mut push = |ts: u64, ext: Option<&str>, p: EntryPayload| {
            l.append(ts, ext.map(str::to_owned), p, &mut rng).unwrap();
        };
        push(1_000, None, config_change());
        push(
            1_010,
            Some("ext-a"),
            m.decide("ext-a", Capability::Read, 0.1, &[], 0.05),
        );
        push(
            1_020,
            Some("ext-b"),
            m.decide("ext-b", Capability::Http, 0.45, &[], 0.1),
        );
        push(
            1_030,
            Some("ext-a"),
            m.decide("ext-a", Capability::Exec, 0.8, &["critical_exec"], 0.3),
        );
        push(
            1_040,
            Some("ext-b"),
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: true,
                reason: "INC-7".to_owned(),
            }),
        );
        push(1_050, Some("ext-b"), not_evaluated("call-killed"));
        push(
            1_060,
            Some("ext-b"),
            EntryPayload::TrustChange(TrustChangeRecord {
                from: "trusted".to_owned(),
                to: "killed".to_owned(),
                reason: "INC-7".to_owned(),
            }),
        );
        push(
            1_070,
            None,
            EntryPayload::RolloutTransition(RolloutTransitionRecord {
                from: "enforce_all".to_owned(),
                to: "shadow".to_owned(),
                reason: "rollback: error rate 0.12".to_owned(),
            }),
        );
        // Decisions after the rollback record the phase it put in force.
        m.phase = Some("shadow");
        push(
            1_080,
            Some("ext-a"),
            m.decide("ext-a", Capability::Exec, 0.8, &[], 0.6),
        );
        push(
            1_090,
            Some("ext-a"),
            m.decide("ext-a", Capability::Env, 0.85, &[], 0.7),
        );
        m.reset("ext-a");
        push(
            1_100,
            Some("ext-a"),
            EntryPayload::RiskStateReset(RiskStateResetRecord {
                reason: "operator reset".to_owned(),
            }),
        );
        push(
            1_110,
            Some("ext-a"),
            m.decide("ext-a", Capability::Log, 0.05, &[], 0.01),
        );
        push(1_120, None, rollback_trigger_change());
        l
    }

    /// An operator loosens the rollback trigger so that false positives never roll back.
    pub fn rollback_trigger_change() -> EntryPayload {
        let from = RollbackThresholds {
            max_false_positive_rate: 0.05,
            max_error_rate: 0.1,
            window_size: 100,
            max_latency_ms: 200,
        };
        EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord {
            from,
            to: RollbackThresholds {
                max_false_positive_rate: 1.0,
                ..from
            },
            reason: Some("INC-7: stop rollbacks".to_owned()),
        })
    }

    /// The fixture artifact: entry 1 redacted, entry 2 elided.
    pub fn artifact() -> RuntimeRiskLedgerArtifact {
        let mut a = ledger().artifact(
            5_000,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
        );
        a.entries[1] = a.entries[1].redacted(&[RedactableField::ParamsHash]);
        a.entries[2] = a.entries[2].elided();
        a
    }
}

mod verify {
    use super::fixture;
    use hostguard_ledger::{
        verify_runtime_risk_ledger_artifact, Committed, Digest, EntryPayload, Ledger,
        RuntimeRiskLedgerArtifact, VerifyErrorCode,
    };
    use hostguard_risk_core::{Capability, HysteresisConfig, RuntimeRiskConfig};

    fn codes(a: &RuntimeRiskLedgerArtifact) -> Vec<VerifyErrorCode> {
        verify_runtime_risk_ledger_artifact(a)
            .errors
            .iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn fixture_with_redaction_and_elision_verifies() {
        let a = fixture::artifact();
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert!(r.valid, "{:?}", r.errors);
        assert_eq!(r.first_invalid_index, None);
        assert_eq!(
            (
                r.entry_count,
                r.elided_count,
                r.redacted_count,
                r.evicted_count
            ),
            (13, 1, 1, 0)
        );
        assert!(a.entries[1]
            .decision()
            .unwrap()
            .params_hash
            .value()
            .is_none());
    }

    #[test]
    fn retention_truncated_head_verifies_and_counts_evictions() {
        let mut rng = fixture::rng();
        let mut l = Ledger::new(4).unwrap();
        for i in 0..10u64 {
            let r = l
                .append(i, Some("x".into()), fixture::not_evaluated("c"), &mut rng)
                .unwrap();
            assert_eq!(r.evicted.is_some(), i >= 4);
        }
        let a = l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        assert_eq!(a.anchor.first_seq, 6);
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert!(r.valid, "{:?}", r.errors);
        assert_eq!((r.entry_count, r.evicted_count), (4, 6));
    }

    #[test]
    fn forged_anchor_is_detected() {
        let mut rng = fixture::rng();
        let mut l = Ledger::new(4).unwrap();
        for i in 0..6u64 {
            l.append(i, None, fixture::config_change(), &mut rng)
                .unwrap();
        }
        let a = l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        // Pretend the retained entries are the whole history.
        let mut forged = a.clone();
        forged.anchor.evicted_count = 0;
        assert!(codes(&forged).contains(&VerifyErrorCode::AnchorForged));
        let mut forged = a.clone();
        forged.anchor.prev_ledger_hash = Digest::GENESIS;
        assert!(codes(&forged).contains(&VerifyErrorCode::AnchorForged));
        let mut forged = a;
        forged.anchor.evicted_count = 1;
        assert!(codes(&forged).contains(&VerifyErrorCode::AnchorEvictedCountMismatch));
    }

    #[test]
    fn every_control_kind_appends_and_verifies() {
        let mut rng = fixture::rng();
        let mut l = Ledger::new(8).unwrap();
        l.append(
            1,
            Some("x".into()),
            EntryPayload::PromptResolution(hostguard_ledger::PromptResolutionRecord {
                call_id: "c".into(),
                approved: false,
            }),
            &mut rng,
        )
        .unwrap();
        l.append(2, None, fixture::rollback_trigger_change(), &mut rng)
            .unwrap();
        let a = l.artifact(2, RuntimeRiskConfig::default(), HysteresisConfig::default());
        assert!(verify_runtime_risk_ledger_artifact(&a).valid);
        let replay = hostguard_ledger::replay_runtime_risk_ledger_artifact(&a).unwrap();
        assert_eq!(replay.skipped.control, 2);
        assert!(replay.steps.is_empty());
    }

    #[test]
    fn append_seals_placeholders_and_keeps_caller_sealed_commitments() {
        let mut rng = fixture::rng();
        let mut l = Ledger::new(8).unwrap();
        let mut m = fixture::Model::default();
        l.append(
            0,
            None,
            m.decide("x", Capability::Exec, 0.1, &[], 0.0),
            &mut rng,
        )
        .unwrap();
        let sealed = Committed::seal("v", &mut rng);
        let mut p = m.decide("x", Capability::Exec, 0.1, &[], 0.0);
        if let EntryPayload::Decision(d) = &mut p {
            d.params_hash = sealed.clone();
        }
        l.append(1, None, p, &mut rng).unwrap();
        let first = &l.entries()[0].decision().unwrap().params_hash;
        assert_ne!(
            first.reveal().unwrap().salt,
            hostguard_ledger::Salt::default()
        );
        assert!(first.opens());
        assert_eq!(l.entries()[1].decision().unwrap().params_hash, sealed);
    }

    #[test]
    fn schema_mismatch_is_artifact_level() {
        let mut a = fixture::artifact();
        a.schema = "hostguard.runtime_risk_ledger.v0".into();
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert!(!r.valid);
        assert_eq!(r.first_invalid_index, None);
        assert_eq!(codes(&a), vec![VerifyErrorCode::SchemaMismatch]);
    }

    #[test]
    fn non_finite_floats_are_refused_at_append_and_reported_by_verify() {
        let mut rng = fixture::rng();
        let mut l = Ledger::new(8).unwrap();
        let mut m = fixture::Model::default();
        let mut p = m.decide("x", hostguard_risk_core::Capability::Exec, 0.5, &[], 0.1);
        if let EntryPayload::Decision(d) = &mut p {
            d.risk_score = f64::NAN;
        }
        let err = l.append(0, None, p, &mut rng).unwrap_err();
        assert!(err.to_string().contains("decision.risk_score"), "{err}");
        assert!(l.is_empty());

        let mut a = fixture::artifact();
        if let hostguard_ledger::EntryBody::Full(EntryPayload::Decision(d)) = &mut a.entries[3].body
        {
            d.posterior.unsafe_ = f64::INFINITY;
        }
        a.hysteresis.bands.deny = f64::NAN;
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert_eq!(r.first_invalid_index, Some(3));
        let non_finite = r
            .errors
            .iter()
            .filter(|e| e.code == VerifyErrorCode::NonFiniteFloat)
            .count();
        assert_eq!(non_finite, 2, "{:?}", r.errors);
    }

    #[test]
    fn error_codes_serialize_as_stable_snake_case() {
        let json = serde_json::to_string(&VerifyErrorCode::ElidedEntryDisclosesContent).unwrap();
        assert_eq!(json, "\"elided_entry_discloses_content\"");
        assert_eq!(
            VerifyErrorCode::HeadHashMismatch.as_str(),
            "head_hash_mismatch"
        );
        let json = serde_json::to_string(&VerifyErrorCode::NonCanonicalContent).unwrap();
        assert_eq!(json, "\"non_canonical_content\"");
        assert_eq!(
            VerifyErrorCode::NonCanonicalContent.as_str(),
            "non_canonical_content"
        );
    }

    #[test]
    fn sequence_overflow_near_u64_max_is_an_error_not_a_panic() {
        let mut a = fixture::artifact();
        a.anchor.first_seq = u64::MAX;
        a.anchor.evicted_count = u64::MAX;
        a.head.entry_count = u64::MAX;
        a.head.last_seq = Some(u64::MAX);
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert!(!r.valid);
    }
}

mod tamper {
    //! docs/design.md §10: every single-entry edit, removal, duplication, reorder and truncation of the
    //! fixture is detected at the right index (exhaustive, not sampled).
    use super::fixture;
    use hostguard_ledger::{verify_runtime_risk_ledger_artifact, RuntimeRiskLedgerArtifact};
    use serde_json::{json, Value};

    const ENUM_NAMES: &[&str] = &[
        "allow",
        "harden",
        "prompt",
        "deny",
        "terminate",
        "exec",
        "env",
        "http",
        "read",
        "write",
        "session",
        "ui",
        "events",
        "log",
        "tool",
        "safe",
        "balanced",
        "permissive",
    ];

    /// Every leaf path of a JSON value (object keys and array indices).
    fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    path.push(json!(k));
                    leaves(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                // The array itself is a leaf too (push / pop an element).
                out.push(path.clone());
                for (i, child) in items.iter().enumerate() {
                    path.push(json!(i));
                    leaves(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }

    fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
        path.iter().fold(v, |v, k| match k {
            Value::String(s) => &mut v[s.as_str()],
            Value::Number(n) => &mut v[n.as_u64().unwrap() as usize],
            _ => unreachable!(),
        })
    }

    /// Candidate replacements for a leaf, all different from it.
    fn mutations(leaf: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        match leaf {
            Value::Null => {
                out.push(json!("x"));
                out.push(json!({"value": "v", "salt": "00".repeat(16)}));
                out.push(json!("safe"));
                // A salt where there is none (an elided entry's).
                out.push(json!("5a".repeat(16)));
            }
            Value::Bool(b) => out.push(json!(!b)),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    out.push(json!(u + 1));
                    if u > 0 {
                        out.push(json!(u - 1));
                    }
                } else if let Some(f) = n.as_f64() {
                    out.push(json!(f + 0.125));
                    out.push(json!(-f - 1.0));
                }
            }
            Value::String(s) => {
                // A hex digest: flip its first digit.
                if s.len() >= 32 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                    let first = if s.starts_with('0') { "1" } else { "0" };
                    out.push(json!(format!("{first}{}", &s[1..])));
                }
                if s == "elided" {
                    // Un-elide with forged content.
                    out.push(json!({"full": {"risk_state_reset": {"reason": "x"}}}));
                }
                for name in ENUM_NAMES {
                    if name != s {
                        out.push(json!(name));
                    }
                }
                out.push(json!(format!("{s}x")));
                out.push(Value::Null);
            }
            Value::Array(items) => {
                let mut longer = items.clone();
                longer.push(json!("injected"));
                out.push(Value::Array(longer));
                if !items.is_empty() {
                    out.push(Value::Array(items[..items.len() - 1].to_vec()));
                }
            }
            Value::Object(_) => {}
        }
        out
    }

    fn parse(v: Value) -> Option<RuntimeRiskLedgerArtifact> {
        serde_json::from_value(v).ok()
    }

    fn first_invalid(a: &RuntimeRiskLedgerArtifact) -> Option<usize> {
        let r = verify_runtime_risk_ledger_artifact(a);
        assert_eq!(r.valid, r.errors.is_empty());
        r.first_invalid_index
    }

    #[test]
    fn every_edit_of_every_field_of_every_entry_is_detected_at_its_index() {
        let a = fixture::artifact();
        let base = serde_json::to_value(&a).unwrap();
        let mut checked = 0usize;
        for i in 0..a.entries.len() {
            let entry = &base["entries"][i];
            let mut paths = Vec::new();
            leaves(entry, &mut Vec::new(), &mut paths);
            for path in paths {
                let mut leaf_entry = entry.clone();
                let original = at(&mut leaf_entry, &path).clone();
                let mut applied = 0;
                for m in mutations(&original) {
                    let mut v = base.clone();
                    *at(&mut v["entries"][i], &path) = m.clone();
                    let Some(tampered) = parse(v) else { continue };
                    if tampered == a {
                        continue;
                    }
                    applied += 1;
                    checked += 1;
                    assert_eq!(
                        first_invalid(&tampered),
                        Some(i),
                        "entry {i} path {path:?}: {original} -> {m}"
                    );
                }
                assert!(applied > 0, "no mutation of entry {i} path {path:?} parses");
            }
        }
        assert!(checked > 250, "only {checked} edits checked");
    }

    #[test]
    fn every_edit_of_anchor_and_head_is_detected() {
        let a = fixture::artifact();
        let base = serde_json::to_value(&a).unwrap();
        for section in ["anchor", "head"] {
            let mut paths = Vec::new();
            leaves(&base[section], &mut Vec::new(), &mut paths);
            for path in paths {
                let original = at(&mut base[section].clone(), &path).clone();
                for m in mutations(&original) {
                    let mut v = base.clone();
                    *at(&mut v[section], &path) = m.clone();
                    let Some(tampered) = parse(v) else { continue };
                    let r = verify_runtime_risk_ledger_artifact(&tampered);
                    assert!(!r.valid, "{section} {path:?}: {original} -> {m}");
                }
            }
        }
    }

    #[test]
    fn every_removal_is_detected_at_its_index() {
        let a = fixture::artifact();
        for i in 0..a.entries.len() {
            let mut t = a.clone();
            t.entries.remove(i);
            assert_eq!(first_invalid(&t), Some(i), "removal of {i}");
        }
    }

    #[test]
    fn every_duplication_is_detected_at_the_copy() {
        let a = fixture::artifact();
        for i in 0..a.entries.len() {
            let mut t = a.clone();
            t.entries.insert(i + 1, a.entries[i].clone());
            assert_eq!(first_invalid(&t), Some(i + 1), "duplication of {i}");
        }
    }

    #[test]
    fn every_adjacent_swap_is_detected_at_the_first_of_the_pair() {
        let a = fixture::artifact();
        for i in 0..a.entries.len() - 1 {
            let mut t = a.clone();
            t.entries.swap(i, i + 1);
            assert_eq!(first_invalid(&t), Some(i), "swap of {i}");
        }
    }

    #[test]
    fn every_tail_truncation_is_detected_at_the_first_missing_index() {
        let a = fixture::artifact();
        for k in 0..a.entries.len() {
            let mut t = a.clone();
            t.entries.truncate(k);
            assert_eq!(first_invalid(&t), Some(k), "truncation to {k}");
        }
    }

    #[test]
    fn a_rehashed_edit_of_the_last_entry_is_caught_by_the_head_checkpoint() {
        let a = fixture::artifact();
        let mut t = a.clone();
        let last = t.entries.last_mut().unwrap();
        last.ts_ms += 1;
        let mut buf = Vec::new();
        last.body_digest = last.recompute_body_digest(&mut buf).unwrap().unwrap();
        last.ledger_hash = last.recompute_ledger_hash();
        assert_eq!(first_invalid(&t), Some(a.entries.len() - 1));
    }
}

mod roundtrip {
    use super::fixture;
    use hostguard_ledger::{EntryPayload, RuntimeRiskLedgerArtifact};

    #[test]
    fn artifact_json_round_trips_bit_exactly() {
        let mut a = fixture::artifact();
        // Awkward floats: shortest-representation edge cases, subnormals, negative zero.
        if let hostguard_ledger::EntryBody::Full(EntryPayload::Decision(d)) = &mut a.entries[3].body
        {
            d.risk_score = 0.1 + 0.2;
            d.posterior.safe = 5e-324;
            d.posterior.suspicious = -0.0;
            d.e_process_log = 1.7976931348623157e308;
        }
        a.config.alpha = 1.0 / 3.0;
        let json = a.to_json().unwrap();
        let back = RuntimeRiskLedgerArtifact::from_json_slice(json.as_bytes()).unwrap();
        assert_eq!(back.to_json().unwrap(), json);
        let (x, y) = (
            a.entries[3].decision().unwrap(),
            back.entries[3].decision().unwrap(),
        );
        for (p, q) in [
            (x.risk_score, y.risk_score),
            (x.posterior.safe, y.posterior.safe),
            (x.posterior.suspicious, y.posterior.suspicious),
            (x.e_process_log, y.e_process_log),
            (a.config.alpha, back.config.alpha),
        ] {
            assert_eq!(p.to_bits(), q.to_bits());
        }
        assert_eq!(back, a);
    }

    #[test]
    fn hashes_are_lowercase_hex_and_uppercase_is_refused() {
        let a = fixture::artifact();
        let json = a.to_json().unwrap();
        let h = a.entries[0].ledger_hash.to_hex();
        assert!(json.contains(&h));
        let upper = json.replace(&h, &h.to_uppercase());
        assert!(RuntimeRiskLedgerArtifact::from_json_slice(upper.as_bytes()).is_err());
    }
}

mod replay {
    use super::fixture;
    use hostguard_ledger::{
        replay_runtime_risk_ledger_artifact, EntryPayload, Ledger, ReplayError,
        RuntimeRiskLedgerArtifact,
    };
    use hostguard_risk_core::{Capability, EnforcementState, HysteresisConfig, RuntimeRiskConfig};

    #[test]
    fn replay_of_the_fixture_is_consistent_and_skips_what_it_must() {
        let a = fixture::artifact();
        let r = replay_runtime_risk_ledger_artifact(&a).unwrap();
        assert_eq!(r.inconsistent_count, 0, "{:#?}", r.steps);
        // Entries 1,3,8,9,11 are risk-evaluated decisions (2 is elided, 5 was not evaluated).
        let idx: Vec<_> = r.steps.iter().map(|s| s.index).collect();
        assert_eq!(idx, vec![1, 3, 8, 9, 11]);
        assert_eq!(r.skipped.elided, 1);
        assert_eq!(r.skipped.not_risk_evaluated, 1);
        assert_eq!(r.skipped.control, 6);
        let states: Vec<_> = r.steps.iter().map(|s| s.derived_state).collect();
        use EnforcementState::*;
        assert_eq!(states, vec![Allow, Deny, Deny, Terminate, Allow]);
    }

    #[test]
    fn the_runbook_replay_loop_compiles_and_runs() -> Result<(), ReplayError> {
        let ledger = fixture::artifact();
        let replay = replay_runtime_risk_ledger_artifact(&ledger)?;
        let mut out = String::new();
        for step in &replay.steps {
            out += &format!(
                "[{}] ext={} cap={}.{} score={:.3} action={:?} state={:?}\n",
                step.ts_ms,
                step.extension_id,
                step.capability,
                step.method,
                step.risk_score,
                step.selected_action,
                step.derived_state
            );
        }
        assert!(out.contains("ext=ext-a cap=exec.exec score=0.800"), "{out}");
        let ext_entries: Vec<_> = ledger
            .entries
            .iter()
            .filter(|e| e.extension_id.as_deref() == Some("ext-a"))
            .collect();
        assert_eq!(ext_entries.len(), 6);
        Ok(())
    }

    #[test]
    fn a_decision_the_machine_would_not_make_is_inconsistent() {
        let mut rng = fixture::rng();
        let mut m = fixture::Model::default();
        let mut l = Ledger::new(64).unwrap();
        let mut p = m.decide("x", Capability::Exec, 0.8, &[], 0.1);
        if let EntryPayload::Decision(d) = &mut p {
            d.state_after = EnforcementState::Allow; // a bug let a deny-level call through
        }
        l.append(0, Some("x".into()), p, &mut rng).unwrap();
        let a = l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        let r = replay_runtime_risk_ledger_artifact(&a).unwrap();
        assert_eq!(r.inconsistent_count, 1);
        assert_eq!(r.steps[0].derived_state, EnforcementState::Deny);
        assert!(!r.steps[0].consistent);
    }

    #[test]
    fn replay_refuses_a_ledger_that_does_not_verify() {
        let mut a = fixture::artifact();
        a.entries[4].ts_ms += 1;
        let err = replay_runtime_risk_ledger_artifact(&a).unwrap_err();
        let ReplayError::LedgerInvalid {
            first_invalid_index,
            ..
        } = &err
        else {
            unreachable!()
        };
        assert_eq!(*first_invalid_index, Some(4));
        assert!(err.to_string().contains("body_digest_mismatch"), "{err}");
    }

    #[test]
    fn config_change_entries_apply_from_their_position() {
        let mut rng = fixture::rng();
        let mut m = fixture::Model::default();
        let mut l = Ledger::new(64).unwrap();
        l.append(
            0,
            Some("x".into()),
            m.decide("x", Capability::Read, 0.45, &[], 0.0),
            &mut rng,
        )
        .unwrap();
        // Switch to the permissive bands: 0.45 no longer hardens.
        let permissive = HysteresisConfig {
            bands: hostguard_risk_core::ScoreBands::for_profile(
                hostguard_risk_core::BandProfile::Permissive,
            ),
            ..HysteresisConfig::default()
        };
        m.config = permissive;
        m.reset("x");
        l.append(
            1,
            None,
            EntryPayload::ConfigChange(hostguard_ledger::ConfigChangeRecord {
                config: RuntimeRiskConfig::default(),
                hysteresis: permissive,
            }),
            &mut rng,
        )
        .unwrap();
        l.append(
            2,
            Some("x".into()),
            hostguard_ledger::EntryPayload::RiskStateReset(
                hostguard_ledger::RiskStateResetRecord { reason: "r".into() },
            ),
            &mut rng,
        )
        .unwrap();
        l.append(
            3,
            Some("y".into()),
            m.decide("y", Capability::Read, 0.45, &[], 0.0),
            &mut rng,
        )
        .unwrap();
        let a = l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        let r = replay_runtime_risk_ledger_artifact(&a).unwrap();
        let states: Vec<_> = r
            .steps
            .iter()
            .map(|s| (s.derived_state, s.consistent))
            .collect();
        assert_eq!(
            states,
            vec![
                (EnforcementState::Harden, true),
                (EnforcementState::Allow, true)
            ]
        );
    }

    /// Builds a long single-extension history, keeps only its tail, and checks that replay
    /// from the seeded mid-history machine agrees with the live one everywhere.
    #[test]
    fn retention_truncated_history_replays_consistently() {
        let scores = [
            0.65, 0.2, 0.2, 0.2, 0.2, 0.45, 0.2, 0.2, 0.2, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
        ];
        for keep in 1..scores.len() {
            let mut rng = fixture::rng();
            let mut m = fixture::Model::default();
            let mut l = Ledger::new(keep).unwrap();
            for (i, s) in scores.iter().enumerate() {
                let p = m.decide("x", Capability::Read, *s, &[], 0.0);
                l.append(i as u64, Some("x".into()), p, &mut rng).unwrap();
            }
            let a: RuntimeRiskLedgerArtifact =
                l.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
            let r = replay_runtime_risk_ledger_artifact(&a).unwrap();
            assert!(r.mid_history);
            assert_eq!(r.inconsistent_count, 0, "keep {keep}: {:#?}", r.steps);
        }
    }
}

mod durable {
    use super::fixture;
    use hostguard_ledger::{
        verify_runtime_risk_ledger_artifact, DurableError, DurableLedger, FsyncPolicy,
        RuntimeRiskLedgerArtifact,
    };
    use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
    use std::num::NonZeroU32;
    use std::path::Path;

    fn write_fixture(path: &Path, n: usize) -> Vec<u8> {
        let (mut d, _) = DurableLedger::open(path, 1024, FsyncPolicy::Never).unwrap();
        let mut rng = fixture::rng();
        let mut m = fixture::Model::default();
        for i in 0..n {
            let p = m.decide(
                "ext-a",
                hostguard_risk_core::Capability::Exec,
                0.3,
                &[],
                0.1,
            );
            d.append(i as u64, Some("ext-a".into()), p, &mut rng)
                .unwrap();
        }
        d.sync().unwrap();
        std::fs::read(path).unwrap()
    }

    fn assert_valid(d: &DurableLedger) {
        let a = RuntimeRiskLedgerArtifact::from_entries(
            0,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
            d.ledger().entries().iter().cloned().collect(),
        );
        let r = verify_runtime_risk_ledger_artifact(&a);
        assert!(r.valid, "{:?}", r.errors);
    }

    #[test]
    fn a_file_cut_at_every_byte_of_its_last_entry_reopens_with_a_valid_chain() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full.jsonl");
        let bytes = write_fixture(&full, 5);
        let body = &bytes[..bytes.len() - 1];
        let last_start = body.iter().rposition(|b| *b == b'\n').unwrap() + 1;
        let path = dir.path().join("cut.jsonl");
        let mut rng = fixture::rng();
        for cut in last_start..=bytes.len() {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let (mut d, report) =
                DurableLedger::open(&path, 1024, FsyncPolicy::EveryEntry).unwrap();
            let expected = if cut == bytes.len() { 5 } else { 4 };
            assert_eq!(report.entries_loaded, expected, "cut at {cut}");
            assert_eq!(
                report.truncated_bytes,
                (cut - last_start) as u64 * u64::from(expected == 4)
            );
            assert_valid(&d);
            // The chain continues across the reopen.
            d.append(99, None, fixture::config_change(), &mut rng)
                .unwrap();
            drop(d);
            let (d, report) = DurableLedger::open(&path, 1024, FsyncPolicy::Never).unwrap();
            assert_eq!(report.entries_loaded, expected + 1);
            assert_eq!(report.truncated_bytes, 0);
            assert_valid(&d);
        }
    }

    #[test]
    fn an_unparsable_final_line_with_its_newline_is_corruption_not_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let mut bytes = write_fixture(&path, 3);
        bytes.extend_from_slice(b"\0\0\0\0\n");
        std::fs::write(&path, &bytes).unwrap();
        match DurableLedger::open(&path, 1024, FsyncPolicy::Never) {
            Err(e @ DurableError::CorruptLine { line: 4, .. }) => {
                assert_eq!(e.first_invalid_index(), Some(3));
            }
            other => panic!("{other:?}"),
        }
        // Nothing was cut off: the evidence stays for the operator.
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn a_flipped_bit_in_the_last_complete_line_is_reported_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let bytes = write_fixture(&path, 4);
        let last_start = bytes[..bytes.len() - 1]
            .iter()
            .rposition(|b| *b == b'\n')
            .unwrap()
            + 1;
        // Every byte of the last line but its newline, one bit at a time.
        for at in last_start..bytes.len() - 1 {
            for bit in [0x01u8, 0x20] {
                let mut flipped = bytes.clone();
                flipped[at] ^= bit;
                if flipped[at] == b'\n' {
                    continue;
                }
                std::fs::write(&path, &flipped).unwrap();
                match DurableLedger::open(&path, 1024, FsyncPolicy::Never) {
                    Err(e) => assert_eq!(e.first_invalid_index(), Some(3), "byte {at}: {e}"),
                    Ok((_, report)) => panic!(
                        "byte {at} bit {bit:#x} ({:?}): opened {report:?}",
                        String::from_utf8_lossy(&flipped[at.saturating_sub(60)..at + 30])
                    ),
                }
            }
        }
    }

    #[test]
    fn a_line_longer_than_any_entry_is_refused_before_it_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let mut bytes = write_fixture(&path, 2);
        bytes.extend(std::iter::repeat_n(
            b'a',
            hostguard_ledger::MAX_LINE_BYTES + 10,
        ));
        std::fs::write(&path, &bytes).unwrap();
        match DurableLedger::open(&path, 1024, FsyncPolicy::Never) {
            Err(DurableError::CorruptLine {
                line: 3, message, ..
            }) => {
                assert!(message.contains("longer than"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read(&path).unwrap().len(),
            bytes.len(),
            "nothing cut"
        );
    }

    #[test]
    fn prepare_changes_nothing_and_open_refuses_a_file_changed_since() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let bytes = write_fixture(&path, 3);
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let prepared = DurableLedger::prepare(&path, 1024, &mut |_| {}).unwrap();
        assert_eq!(prepared.report().entries_loaded, 2);
        assert!(prepared.report().truncated_bytes > 0, "the torn third line");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            &bytes[..bytes.len() - 5],
            "nothing cut yet"
        );
        std::fs::write(&path, &bytes).unwrap();
        match prepared.open(FsyncPolicy::Never) {
            Err(DurableError::Changed { .. }) => {}
            other => panic!("{other:?}"),
        }
        // A missing file is an empty ledger, created only by `open`.
        let new = dir.path().join("new.jsonl");
        let prepared = DurableLedger::prepare(&new, 1024, &mut |_| {}).unwrap();
        assert!(!new.exists());
        let (_, report) = prepared.open(FsyncPolicy::Never).unwrap();
        assert_eq!(report.entries_loaded, 0);
        assert!(new.exists());
    }

    #[test]
    fn read_reports_a_torn_tail_without_cutting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let bytes = write_fixture(&path, 3);
        std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
        let mut seqs = Vec::new();
        let report = DurableLedger::read(&path, &mut |e| seqs.push(e.seq)).unwrap();
        assert_eq!(seqs, [0, 1]);
        assert_eq!(report.entries_loaded, 2);
        assert!(report.truncated_bytes > 0);
        assert_eq!(std::fs::read(&path).unwrap(), &bytes[..bytes.len() - 7]);
    }

    #[test]
    fn a_corrupt_middle_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let bytes = write_fixture(&path, 4);
        let text = String::from_utf8(bytes).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1] = "{not json";
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        match DurableLedger::open(&path, 1024, FsyncPolicy::Never) {
            Err(DurableError::CorruptLine { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_parsable_but_tampered_line_breaks_the_chain_even_when_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let bytes = write_fixture(&path, 4);
        let text = String::from_utf8(bytes).unwrap();
        let tampered = text.replacen("\"ts_ms\":3", "\"ts_ms\":4", 1);
        assert_ne!(tampered, text);
        std::fs::write(&path, tampered).unwrap();
        match DurableLedger::open(&path, 1024, FsyncPolicy::Never) {
            Err(DurableError::ChainBroken { line: 4, code, .. }) => {
                assert_eq!(code.as_str(), "body_digest_mismatch");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retention_applies_in_memory_while_the_file_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        write_fixture(&path, 10);
        let (d, report) =
            DurableLedger::open(&path, 3, FsyncPolicy::EveryN(NonZeroU32::new(4).unwrap()))
                .unwrap();
        assert_eq!(report.entries_loaded, 10);
        assert_eq!(d.ledger().len(), 3);
        assert_eq!(d.ledger().evicted_count(), 7);
        let a = d
            .ledger()
            .artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
        assert!(verify_runtime_risk_ledger_artifact(&a).valid);
    }
}

mod strict {
    //! Unknown and repeated members are refused at every depth (docs/ledger-format.md §4.1,
    //! §5): by the types themselves, so that the durable file's reader (a plain
    //! `serde_json::from_slice` of each line) refuses them as well, and by the artifact's JSON
    //! verifier, which reports `non_canonical_content`.
    use super::fixture;
    use super::json_edit::{object_at, objects, with_member, with_repeated, with_unknown};
    use hostguard_ledger::{
        verify_runtime_risk_ledger_artifact_json, DurableError, DurableLedger, ExactJsonError,
        FsyncPolicy, RuntimeRiskLedgerArtifact, VerifyErrorCode,
    };
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use std::path::Path;

    /// The fixture ledger (every entry kind) as the durable file holds it, one value a line.
    fn durable_lines() -> Vec<Value> {
        fixture::ledger()
            .entries()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    }

    fn open_with(dir: &Path, lines: &[String]) -> Result<u64, DurableError> {
        let path = dir.join("l.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        DurableLedger::open(&path, 1024, FsyncPolicy::Never).map(|(_, r)| r.entries_loaded)
    }

    /// Every object of every line, the last one included (only a line without its newline is
    /// torn), edited by `edit`, one at a time: the file must not open, and the error names the
    /// line.
    fn assert_every_durable_edit_refused(edit: fn(&Value, &[Value]) -> String) {
        let dir = tempfile::tempdir().unwrap();
        let values = durable_lines();
        let lines: Vec<String> = fixture::ledger()
            .entries()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        // Control: the lines as the ledger writes them open.
        assert_eq!(open_with(dir.path(), &lines).unwrap(), values.len() as u64);
        let mut checked = 0;
        for (i, v) in values.iter().enumerate() {
            for path in objects(v) {
                let mut edited = lines.clone();
                edited[i] = edit(v, &path);
                match open_with(dir.path(), &edited) {
                    Err(DurableError::CorruptLine { line, .. }) if line == i as u64 + 1 => {}
                    other => panic!("line {} object {path:?}: {other:?}", i + 1),
                }
                checked += 1;
            }
        }
        assert!(checked >= 60, "{checked} objects");
    }

    /// The same entry with its members in another order, or with a space, is not the line the
    /// ledger wrote: refused, the last line included.
    #[test]
    fn a_durable_line_in_another_spelling_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let lines: Vec<String> = fixture::ledger()
            .entries()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let last = lines.len() - 1;
        for (i, respelled) in [
            (0, durable_lines()[0].to_string()),
            (last, lines[last].replacen(':', ": ", 1)),
        ] {
            assert_ne!(respelled, lines[i]);
            let mut edited = lines.clone();
            edited[i] = respelled;
            match open_with(dir.path(), &edited) {
                Err(DurableError::CorruptLine { line, .. }) if line == i as u64 + 1 => {}
                other => panic!("line {}: {other:?}", i + 1),
            }
        }
    }

    #[test]
    fn a_durable_line_with_an_unknown_member_at_any_depth_does_not_open() {
        assert_every_durable_edit_refused(with_unknown);
    }

    #[test]
    fn a_durable_line_with_a_repeated_member_at_any_depth_does_not_open() {
        assert_every_durable_edit_refused(with_repeated);
    }

    /// The artifact's types refuse them too, in every entry kind, elided and redacted entries,
    /// anchor, head, config and hysteresis: a plain `serde_json` parse fails.
    #[test]
    fn the_artifact_types_refuse_unknown_and_repeated_members_at_any_depth() {
        let base = serde_json::to_value(fixture::artifact()).unwrap();
        let paths = objects(&base);
        assert!(paths.len() >= 70, "{} objects", paths.len());
        for path in &paths {
            for edited in [with_unknown(&base, path), with_repeated(&base, path)] {
                let parsed = serde_json::from_str::<RuntimeRiskLedgerArtifact>(&edited);
                assert!(parsed.is_err(), "{path:?} accepted: {edited}");
            }
        }
    }

    /// The artifact's JSON verifier: `non_canonical_content`, artifact-level, and nothing else.
    fn assert_non_canonical(bytes: &[u8], what: &str) {
        match RuntimeRiskLedgerArtifact::from_json_slice(bytes) {
            Err(ExactJsonError::NonCanonical { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
        let report = verify_runtime_risk_ledger_artifact_json(bytes).unwrap();
        assert!(!report.valid, "{what}");
        let errors: Vec<_> = report.errors.iter().map(|e| (e.index, e.code)).collect();
        assert_eq!(
            errors,
            [(None, VerifyErrorCode::NonCanonicalContent)],
            "{what}"
        );
        assert_eq!(report.first_invalid_index, None, "{what}");
    }

    #[test]
    fn the_json_verifier_reports_unknown_and_repeated_members_as_non_canonical_content() {
        let artifact = fixture::artifact();
        let json = artifact.to_json().unwrap();
        let report = verify_runtime_risk_ledger_artifact_json(json.as_bytes()).unwrap();
        assert!(report.valid, "{:?}", report.errors);
        assert_eq!(
            RuntimeRiskLedgerArtifact::from_json_slice(json.as_bytes()).unwrap(),
            artifact
        );
        let base = serde_json::to_value(&artifact).unwrap();
        for path in objects(&base) {
            assert_non_canonical(
                with_unknown(&base, &path).as_bytes(),
                &format!("unknown {path:?}"),
            );
            assert_non_canonical(
                with_repeated(&base, &path).as_bytes(),
                &format!("repeated {path:?}"),
            );
        }
        // An entry that is not there is a finding of the chain, not of the form.
        let mut shorter = artifact.clone();
        shorter.entries.pop();
        let report =
            verify_runtime_risk_ledger_artifact_json(shorter.to_json().unwrap().as_bytes())
                .unwrap();
        assert!(report
            .errors
            .iter()
            .all(|e| e.code != VerifyErrorCode::NonCanonicalContent));
        // Bytes that are no artifact at all are malformed, with a position.
        let malformed =
            verify_runtime_risk_ledger_artifact_json(b"{\n\"schema\": 7\n}").unwrap_err();
        assert_eq!(malformed.line, 2, "{malformed}");
    }

    fn base() -> &'static (Value, Vec<Vec<Value>>) {
        static BASE: std::sync::OnceLock<(Value, Vec<Vec<Value>>)> = std::sync::OnceLock::new();
        BASE.get_or_init(|| {
            let v = serde_json::to_value(fixture::artifact()).unwrap();
            let paths = objects(&v);
            (v, paths)
        })
    }

    fn any_member_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            Just(json!({})),
            Just(json!([])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A member inserted in any object of a valid artifact — a new name, or the name of a
        /// member the object has — is always refused as non-canonical content.
        #[test]
        fn a_member_inserted_at_a_random_object_is_always_refused(
            object in any::<prop::sample::Index>(),
            fresh in "[a-z_]{1,16}",
            existing in any::<prop::sample::Index>(),
            repeat in any::<bool>(),
            value in any_member_value(),
        ) {
            let (v, paths) = base();
            let path = object.get(paths);
            let names: Vec<&String> = object_at(v, path).keys().collect();
            let name = if repeat { existing.get(&names).as_str() } else { fresh.as_str() };
            assert_non_canonical(with_member(v, path, name, &value).as_bytes(), &format!("{name} at {path:?}"));
        }
    }
}

mod never_panics {
    //! Verify and replay never panic on any bytes / any JSON (docs/design.md §10).
    use super::fixture;
    use hostguard_ledger::{
        replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
        RuntimeRiskLedgerArtifact,
    };
    use proptest::prelude::*;
    use serde_json::Value;

    fn exercise(bytes: &[u8]) {
        if let Ok(a) = RuntimeRiskLedgerArtifact::from_json_slice(bytes) {
            let r = verify_runtime_risk_ledger_artifact(&a);
            let replay = replay_runtime_risk_ledger_artifact(&a);
            assert_eq!(r.valid, replay.is_ok());
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,8}".prop_map(Value::String),
            "[0-9a-f]{64}".prop_map(Value::String),
            prop::sample::select(vec!["allow", "terminate", "exec", "elided", "safe"])
                .prop_map(|s| Value::String(s.to_owned())),
        ]
    }

    fn leaf_paths(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let mut p = path.clone();
                    p.push(k.clone());
                    leaf_paths(c, p, out);
                }
            }
            Value::Array(items) => {
                for (i, c) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(i.to_string());
                    leaf_paths(c, p, out);
                }
            }
            _ => {}
        }
    }

    fn set(v: &mut Value, path: &[String], new: Value) {
        let mut cur = v;
        for k in path {
            cur = match cur {
                Value::Object(m) => m.get_mut(k).unwrap(),
                Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
                _ => unreachable!(),
            };
        }
        *cur = new;
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn verify_and_replay_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            exercise(&bytes);
        }

        #[test]
        fn verify_and_replay_never_panic_on_mutated_artifacts(
            edits in prop::collection::vec((any::<prop::sample::Index>(), arb_json()), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let base = serde_json::to_value(fixture::artifact()).unwrap();
            let mut v = base.clone();
            for (idx, new) in edits {
                let mut paths = Vec::new();
                leaf_paths(&v, Vec::new(), &mut paths);
                let path = idx.get(&paths).clone();
                set(&mut v, &path, new);
            }
            let mut bytes = serde_json::to_vec(&v).unwrap();
            exercise(&bytes);
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
                exercise(&bytes);
            }
        }
    }
}

mod vectors {
    //! The known-answer vectors of `docs/ledger-format.md` §7 are recomputed here, so the doc
    //! cannot drift from the code.
    use hostguard_ledger::{
        commitment, encode_body, verify_runtime_risk_ledger_artifact, Committed, DecisionRecord,
        EntryPayload, KillSwitchRecord, Ledger, LedgerEntry, RollbackThresholds,
        RollbackTriggerChangeRecord, RolloutTransitionRecord, RuntimeRiskLedgerArtifact, Salt,
    };
    use hostguard_risk_core::{
        Capability, EnforcementState, HysteresisConfig, Posterior, RuntimeRiskConfig,
    };
    use rand_chacha::rand_core::SeedableRng;

    const DOC: &str = include_str!("../../../docs/ledger-format.md");

    /// The content of the fenced block after `<!-- vector: name -->`.
    pub fn block(name: &str) -> String {
        let marker = format!("<!-- vector: {name} -->");
        let start = DOC
            .find(&marker)
            .unwrap_or_else(|| panic!("doc lacks vector `{name}`"));
        let rest = &DOC[start + marker.len()..];
        let open = rest.find("```").unwrap();
        let body = &rest[open..];
        let body = &body[body.find('\n').unwrap() + 1..];
        let close = body.find("```").unwrap();
        body[..close].to_owned()
    }

    pub fn hex_block(name: &str) -> String {
        block(name).chars().filter(|c| !c.is_whitespace()).collect()
    }

    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The four vector entries, built from fixed inputs.
    pub fn vector_ledger() -> Ledger {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let mut l = Ledger::new(8).unwrap();
        l.append(
            1_700_000_000_000,
            Some("ext-a".into()),
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: true,
                reason: "INC-1".into(),
            }),
            &mut rng,
        )
        .unwrap();
        l.append(
            1_700_000_000_500,
            Some("ext-a".into()),
            EntryPayload::Decision(Box::new(DecisionRecord {
                call_id: "c1".into(),
                capability: Capability::Exec,
                method: "exec".into(),
                params_hash: Committed::new("p"),
                policy_reason: "ok".into(),
                risk_evaluated: true,
                risk_score: 0.5,
                posterior: Posterior {
                    safe: 0.25,
                    suspicious: 0.25,
                    unsafe_: 0.5,
                },
                triggers: vec!["drift".into()],
                selected_action: EnforcementState::Harden,
                state_before: EnforcementState::Allow,
                state_after: EnforcementState::Harden,
                consecutive_unsafe: 0,
                enforced: true,
                rollout_phase: "shadow".into(),
                e_process_log: 1.0,
                drift: true,
                fallback_reason: None,
                explanation_summary: "s".into(),
                applied: None,
            })),
            &mut rng,
        )
        .unwrap();
        l.append(
            1_700_000_001_000,
            None,
            EntryPayload::RolloutTransition(RolloutTransitionRecord {
                from: "shadow".into(),
                to: "log_only".into(),
                reason: "operator".into(),
            }),
            &mut rng,
        )
        .unwrap();
        // Appended last, so entries 0–2 (and their salts, drawn first) are the vectors they
        // were before kind 7 existed.
        l.append(
            1_700_000_001_500,
            None,
            EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord {
                from: RollbackThresholds {
                    max_false_positive_rate: 0.05,
                    max_error_rate: 0.1,
                    window_size: 100,
                    max_latency_ms: 200,
                },
                to: RollbackThresholds {
                    max_false_positive_rate: 1.0,
                    max_error_rate: 0.1,
                    window_size: 100,
                    max_latency_ms: 200,
                },
                reason: None,
            }),
            &mut rng,
        )
        .unwrap();
        l
    }

    /// The kind table of §2 names every kind the code writes, with its code, and every kind has
    /// its payload paragraph (`**name** (`code`)`): a new kind cannot go undocumented.
    #[test]
    fn doc_kind_table_names_every_kind() {
        let mut every_kind = vec![
            super::fixture::not_evaluated("c"),
            super::fixture::config_change(),
            super::fixture::rollback_trigger_change(),
        ];
        every_kind.extend(
            vector_ledger()
                .entries()
                .iter()
                .map(|e| e.payload().unwrap().clone()),
        );
        every_kind.push(EntryPayload::TrustChange(
            hostguard_ledger::TrustChangeRecord {
                from: "a".into(),
                to: "b".into(),
                reason: "r".into(),
            },
        ));
        every_kind.push(EntryPayload::RiskStateReset(
            hostguard_ledger::RiskStateResetRecord { reason: "r".into() },
        ));
        every_kind.push(EntryPayload::PromptResolution(
            hostguard_ledger::PromptResolutionRecord {
                call_id: "c".into(),
                approved: true,
            },
        ));
        let mut codes: Vec<u8> = every_kind.iter().map(EntryPayload::kind_code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(
            codes,
            (0..=7).collect::<Vec<u8>>(),
            "one payload of each kind"
        );
        for p in &every_kind {
            let (code, name) = (p.kind_code(), p.kind_name());
            assert!(
                DOC.contains(&format!("`{code:02x}` {name}")),
                "kind table lacks `{code:02x}` {name}"
            );
            assert!(
                DOC.contains(&format!("**{name}** (`{code:02x}`)")),
                "no layout paragraph for {name}"
            );
        }
    }

    fn encoded(e: &LedgerEntry) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_body(
            &mut buf,
            e.salt.as_ref().unwrap(),
            e.seq,
            e.ts_ms,
            e.extension_id.as_deref(),
            e.payload().unwrap(),
        )
        .unwrap();
        buf
    }

    /// Prints the doc's vector section from the code (run with `--nocapture` to regenerate).
    fn render() -> String {
        let l = vector_ledger();
        let mut out = String::new();
        let entries: Vec<_> = l.entries().iter().cloned().collect();
        out += &format!(
            "entries.json:\n{}\n",
            serde_json::to_string_pretty(&entries).unwrap()
        );
        for e in &entries {
            let body = encoded(e);
            out += &format!("entry{}.body:\n", e.seq);
            for chunk in body.chunks(32) {
                out += &format!("{}\n", hex(chunk));
            }
            out += &format!("entry{}.body_digest: {}\n", e.seq, e.body_digest);
            out += &format!("entry{}.ledger_hash: {}\n", e.seq, e.ledger_hash);
        }
        let d = entries[1].decision().unwrap();
        let r = d.params_hash.reveal().unwrap();
        let mut msg = vec![0x02];
        msg.extend_from_slice(&r.salt.0);
        msg.extend_from_slice(r.value.as_bytes());
        out += &format!("entry1.commitment_input: {}\n", hex(&msg));
        out += &format!("entry1.commitment: {}\n", d.params_hash.commitment());
        out
    }

    #[test]
    fn doc_vectors_match_the_code() {
        let rendered = render();
        println!("{rendered}");
        let doc_entries: Vec<LedgerEntry> = serde_json::from_str(&block("entries.json")).unwrap();
        let code_entries: Vec<LedgerEntry> = vector_ledger().entries().iter().cloned().collect();
        assert_eq!(doc_entries, code_entries, "doc entries.json drifted");
        for e in &doc_entries {
            let n = e.seq;
            assert_eq!(
                hex(&encoded(e)),
                hex_block(&format!("entry{n}.body")),
                "entry{n}.body"
            );
            assert_eq!(
                e.body_digest.to_hex(),
                hex_block(&format!("entry{n}.body_digest"))
            );
            assert_eq!(
                e.ledger_hash.to_hex(),
                hex_block(&format!("entry{n}.ledger_hash"))
            );
            let mut buf = Vec::new();
            assert_eq!(
                e.recompute_body_digest(&mut buf).unwrap(),
                Some(e.body_digest)
            );
            assert_eq!(e.recompute_ledger_hash(), e.ledger_hash);
        }
        let d = doc_entries[1].decision().unwrap();
        let r = d.params_hash.reveal().unwrap();
        let input = hex_block("entry1.commitment_input");
        assert_eq!(
            input,
            format!("02{}{}", r.salt.to_hex(), hex(r.value.as_bytes()))
        );
        assert_eq!(&commitment(&r.salt, &r.value), d.params_hash.commitment());
        assert_eq!(
            d.params_hash.commitment().to_hex(),
            hex_block("entry1.commitment")
        );
        let a = RuntimeRiskLedgerArtifact::from_entries(
            0,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
            doc_entries,
        );
        assert!(verify_runtime_risk_ledger_artifact(&a).valid);
        let _ = Salt::default();
    }
}
