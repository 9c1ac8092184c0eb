//! Integration tests of hostguard-evidence: one binary, one module per property family. The
//! ledger is built with the ledger crate's public API and a seeded RNG.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

#[path = "evidence/checkpoint.rs"]
mod checkpoint;
#[path = "evidence/dsse_sign.rs"]
mod dsse_sign;
#[path = "../../ledger/tests/support/json_edit.rs"]
mod json_edit;

mod fixture {
    use hostguard_evidence::{
        ExecMediationArtifact, ExecMediationLedgerEntry, IncidentBundleFilter,
        IncidentBundleRedactionPolicy, IncidentEvidenceBundle, IncidentEvidenceBundleBuilder,
        KillSwitchAuditEntry, QuotaBreachEvent, RolloutSnapshot, RuntimeHostcallTelemetryArtifact,
        RuntimeHostcallTelemetryEvent, SecretBrokerArtifact, SecretBrokerLedgerEntry,
        SecurityAlert, SecurityAlertArtifact, SecurityAlertCategory, SecurityAlertSeverity,
        TrustStateRecord,
    };
    use hostguard_ledger::{
        Committed, ConfigChangeRecord, DecisionRecord, EntryPayload, KillSwitchRecord, Ledger,
        RolloutTransitionRecord, RuntimeRiskLedgerArtifact,
    };
    use hostguard_risk_core::{
        Capability, EnforcementState, ExecTier, HysteresisConfig, Posterior, RuntimeRiskConfig,
    };
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use std::collections::BTreeMap;

    pub const EXTS: [&str; 3] = ["ext-a", "ext-b", "ext-c"];
    pub const T0: u64 = 1_000;

    pub fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(0x5eed)
    }

    pub fn ext(i: u64) -> &'static str {
        EXTS[(i % 3) as usize]
    }

    pub fn ts(i: u64) -> u64 {
        T0 + 10 * i
    }

    pub fn score(i: u64) -> f64 {
        ((i * 37) % 100) as f64 / 100.0
    }

    pub fn action(score: f64) -> EnforcementState {
        match score {
            s if s >= 0.9 => EnforcementState::Terminate,
            s if s >= 0.7 => EnforcementState::Deny,
            s if s >= 0.5 => EnforcementState::Prompt,
            s if s >= 0.3 => EnforcementState::Harden,
            _ => EnforcementState::Allow,
        }
    }

    pub fn params_hash(i: u64) -> String {
        format!("{:064x}", 0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i + 1))
    }

    pub fn decision(i: u64) -> EntryPayload {
        let s = score(i);
        let capability =
            [Capability::Exec, Capability::Http, Capability::Read][(i % 5 % 3) as usize];
        EntryPayload::Decision(Box::new(DecisionRecord {
            call_id: format!("call-{i}"),
            capability,
            method: capability.as_str().to_owned(),
            params_hash: Committed::new(params_hash(i)),
            policy_reason: "default_caps".to_owned(),
            risk_evaluated: true,
            risk_score: s,
            posterior: Posterior::default(),
            triggers: Vec::new(),
            selected_action: action(s),
            state_before: EnforcementState::Allow,
            state_after: action(s),
            consecutive_unsafe: 0,
            enforced: true,
            rollout_phase: "enforce_all".to_owned(),
            e_process_log: s * 1.5,
            drift: false,
            fallback_reason: None,
            explanation_summary: format!("score {s:.2}"),
            applied: None,
        }))
    }

    /// `n` entries: a global config change at seq 0, a global rollout transition at seq 7 (if
    /// `n > 7`), a kill switch of `ext-b` at seq 11 (if `n > 11`), decisions elsewhere, the
    /// extensions interleaved `a, b, c` by seq.
    pub fn ledger_with(n: u64, limit: usize) -> RuntimeRiskLedgerArtifact {
        let mut rng = rng();
        let mut l = Ledger::new(limit).unwrap();
        for i in 0..n {
            let (e, p) = match i {
                0 => (
                    None,
                    EntryPayload::ConfigChange(ConfigChangeRecord {
                        config: RuntimeRiskConfig {
                            enabled: true,
                            ..RuntimeRiskConfig::default()
                        },
                        hysteresis: HysteresisConfig::default(),
                    }),
                ),
                7 => (
                    None,
                    EntryPayload::RolloutTransition(RolloutTransitionRecord {
                        from: "enforce_all".to_owned(),
                        to: "shadow".to_owned(),
                        reason: "rollback: error rate 0.12".to_owned(),
                    }),
                ),
                11 => (
                    Some("ext-b".to_owned()),
                    EntryPayload::KillSwitch(KillSwitchRecord {
                        engaged: true,
                        reason: "INC-7".to_owned(),
                    }),
                ),
                _ => (Some(ext(i).to_owned()), decision(i)),
            };
            l.append(ts(i), e, p, &mut rng).unwrap();
        }
        l.artifact(
            ts(n) + 1,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
        )
    }

    pub fn ledger() -> RuntimeRiskLedgerArtifact {
        ledger_with(30, 1024)
    }

    pub struct Streams {
        pub ledger: RuntimeRiskLedgerArtifact,
        pub alerts: SecurityAlertArtifact,
        pub telemetry: RuntimeHostcallTelemetryArtifact,
        pub exec: ExecMediationArtifact,
        pub secret: SecretBrokerArtifact,
        pub quota: Vec<QuotaBreachEvent>,
        pub rollout: RolloutSnapshot,
        pub trust: Vec<TrustStateRecord>,
    }

    pub fn alert(i: u64) -> SecurityAlert {
        use SecurityAlertCategory as C;
        SecurityAlert {
            ts_ms: ts(i),
            sequence_id: i + 1,
            extension_id: Some(ext(i).to_owned()),
            category: C::ALL[(i % 7) as usize],
            severity: SecurityAlertSeverity::ALL[(i % 4) as usize],
            capability: "exec".to_owned(),
            method: "exec".to_owned(),
            action_taken: action(score(i)).as_str().to_owned(),
            reason: format!("call `call-{i}` scored `{:.2}`", score(i)),
            reason_codes: vec!["risk_band".to_owned()],
            risk_score: (i % 2 == 0).then(|| score(i)),
            context_hash: format!("ctx{:061x}", i + 1),
            remediation: format!("remediate-call-{i}"),
        }
    }

    pub fn telemetry(i: u64) -> RuntimeHostcallTelemetryEvent {
        let s = score(i);
        RuntimeHostcallTelemetryEvent {
            ts_ms: ts(i),
            extension_id: Some(ext(i).to_owned()),
            call_id: format!("call-{i}"),
            capability: "exec".to_owned(),
            method: "exec".to_owned(),
            features: BTreeMap::from([
                ("burst".to_owned(), (i % 4) as f64 / 4.0),
                ("exec".to_owned(), 1.0),
            ]),
            risk_score: s,
            risk_action: action(s),
            previous_action: EnforcementState::Allow,
            enforced: true,
            blocked: s >= 0.7,
            resource_target_class: "system_path".to_owned(),
            params_hash: params_hash(i),
            args_shape_hash: format!("shape{:059x}", i + 1),
            latency_ms: Some(i % 5),
            outcome: Some("success".to_owned()),
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "a test that reads as one scenario or one table of cases"
    )]
    pub fn streams_with(ledger: RuntimeRiskLedgerArtifact) -> Streams {
        let n = ledger.entries.len() as u64;
        let now = ts(n) + 1;
        let decisions = || (1..n).filter(|i| *i != 7 && *i != 11);
        let alerts = decisions().filter(|i| i % 2 == 1).map(alert).collect();
        let telemetry = decisions().map(telemetry).collect();
        let exec = decisions()
            .filter(|i| i % 3 == 0)
            .map(|i| ExecMediationLedgerEntry {
                ts_ms: ts(i),
                extension_id: Some(ext(i).to_owned()),
                call_id: format!("call-{i}"),
                command_hash: format!("cmd{:061x}", i + 1),
                class: (score(i) >= 0.7).then(|| "reverse_shell".to_owned()),
                tier: if score(i) >= 0.7 {
                    ExecTier::Critical
                } else {
                    ExecTier::Low
                },
                decision: if score(i) >= 0.7 { "deny" } else { "allow" }.to_owned(),
                reason: "exec mediation".to_owned(),
            })
            .collect();
        let secret = decisions()
            .filter(|i| i % 4 == 1)
            .map(|i| SecretBrokerLedgerEntry {
                ts_ms: ts(i),
                extension_id: Some(ext(i).to_owned()),
                call_id: format!("call-{i}"),
                name_hash: format!("name{:060x}", i + 1),
                redacted: true,
                reason: "secret_name_rule".to_owned(),
            })
            .collect();
        let quota = decisions()
            .filter(|i| i % 5 == 2)
            .map(|i| QuotaBreachEvent {
                ts_ms: ts(i),
                extension_id: if i == 12 {
                    None
                } else {
                    Some(ext(i).to_owned())
                },
                call_id: format!("call-{i}"),
                kind: "calls_per_minute".to_owned(),
                limit: 60,
                observed: 60 + i,
            })
            .collect();
        Streams {
            alerts: SecurityAlertArtifact::new(now, alerts),
            telemetry: RuntimeHostcallTelemetryArtifact::new(now, telemetry),
            exec: ExecMediationArtifact::new(now, exec),
            secret: SecretBrokerArtifact::new(now, secret),
            quota,
            rollout: RolloutSnapshot {
                phase: "shadow".to_owned(),
                enforce: false,
                rolled_back_from: Some("enforce_all".to_owned()),
                last_transition_ms: Some(ts(7)),
                transition_count: 3,
                total_decisions: 28,
                false_positive_count: 1,
                error_count: 4,
                avg_latency_ms: 2.25,
                inconclusive: false,
            },
            trust: vec![
                TrustStateRecord {
                    extension_id: "ext-c".to_owned(),
                    trust: "trusted".to_owned(),
                    killed: false,
                    kill_switch_audit: Vec::new(),
                },
                TrustStateRecord {
                    extension_id: "ext-b".to_owned(),
                    trust: "killed".to_owned(),
                    killed: true,
                    kill_switch_audit: vec![
                        KillSwitchAuditEntry {
                            ts_ms: ts(3),
                            extension_id: "ext-b".to_owned(),
                            on: true,
                            reason: "drill".to_owned(),
                        },
                        KillSwitchAuditEntry {
                            ts_ms: ts(4),
                            extension_id: "ext-b".to_owned(),
                            on: false,
                            reason: "drill over".to_owned(),
                        },
                        KillSwitchAuditEntry {
                            ts_ms: ts(11),
                            extension_id: "ext-b".to_owned(),
                            on: true,
                            reason: "INC-7".to_owned(),
                        },
                    ],
                },
                TrustStateRecord {
                    extension_id: "ext-a".to_owned(),
                    trust: "trusted".to_owned(),
                    killed: false,
                    kill_switch_audit: Vec::new(),
                },
            ],
            ledger,
        }
    }

    pub fn streams() -> Streams {
        streams_with(ledger())
    }

    impl Streams {
        pub fn build(
            &self,
            filter: &IncidentBundleFilter,
            redaction: &IncidentBundleRedactionPolicy,
        ) -> IncidentEvidenceBundle {
            IncidentEvidenceBundleBuilder::new(&self.ledger)
                .alerts(&self.alerts.alerts)
                .telemetry(&self.telemetry.entries)
                .exec_mediation(&self.exec.entries)
                .secret_broker(&self.secret.entries)
                .quota_breaches(&self.quota)
                .rollout(self.rollout.clone())
                .trust_states(self.trust.clone())
                .filter(filter.clone())
                .redaction(*redaction)
                .build(5_000)
        }

        /// Every value a redaction policy can hide, by the flag that hides it.
        pub fn secrets(&self) -> Vec<(&'static str, String)> {
            let mut out = Vec::new();
            for e in &self.ledger.entries {
                if let Some(d) = e.decision() {
                    let r = d.params_hash.reveal().unwrap();
                    out.push(("params", r.value.clone()));
                    out.push(("params", r.salt.to_hex()));
                }
            }
            for a in &self.alerts.alerts {
                out.push(("context", a.context_hash.clone()));
                out.push(("remediation", a.remediation.clone()));
            }
            for t in &self.telemetry.entries {
                out.push(("params", t.params_hash.clone()));
                out.push(("args_shape", t.args_shape_hash.clone()));
            }
            for e in &self.exec.entries {
                out.push(("command", e.command_hash.clone()));
            }
            for s in &self.secret.entries {
                out.push(("name", s.name_hash.clone()));
            }
            out
        }
    }
}

mod filter {
    use crate::fixture::{self, streams, ts};
    use hostguard_evidence::{
        build_incident_evidence_bundle, verify_incident_evidence_bundle,
        verify_incident_evidence_bundle_json, IncidentBundleFilter, IncidentBundleRedactionPolicy,
        SecurityAlertCategory, SecurityAlertSeverity,
    };

    fn all_timestamps(b: &hostguard_evidence::IncidentEvidenceBundle) -> Vec<(&'static str, u64)> {
        let mut out = Vec::new();
        out.extend(
            b.ledger
                .entries
                .iter()
                .filter(|e| !e.is_elided())
                .map(|e| ("ledger", e.ts_ms)),
        );
        out.extend(b.alerts.iter().map(|e| ("alerts", e.ts_ms)));
        out.extend(b.telemetry.iter().map(|e| ("telemetry", e.ts_ms)));
        out.extend(b.exec_mediation.iter().map(|e| ("exec", e.ts_ms)));
        out.extend(b.secret_broker.iter().map(|e| ("secret", e.ts_ms)));
        out.extend(b.quota_breaches.iter().map(|e| ("quota", e.ts_ms)));
        out.extend(
            b.trust
                .iter()
                .flat_map(|t| t.kill_switch_audit.iter().map(|k| ("kill", k.ts_ms))),
        );
        out
    }

    #[test]
    fn time_bounds_are_inclusive_on_every_section() {
        let s = streams();
        // ts(3) and ts(13) are exact timestamps of records in every section.
        let filter = IncidentBundleFilter {
            start_ms: Some(ts(3)),
            end_ms: Some(ts(13)),
            ..IncidentBundleFilter::default()
        };
        let b = s.build(&filter, &IncidentBundleRedactionPolicy::default());
        let stamps = all_timestamps(&b);
        assert!(
            stamps.iter().all(|(_, t)| (ts(3)..=ts(13)).contains(t)),
            "{stamps:?}"
        );
        for section in ["ledger", "telemetry"] {
            assert!(
                stamps.contains(&(section, ts(3))),
                "{section} lacks the start bound"
            );
            assert!(
                stamps.contains(&(section, ts(13))),
                "{section} lacks the end bound"
            );
        }
        assert!(stamps.contains(&("alerts", ts(3))) && stamps.contains(&("alerts", ts(13))));
        assert!(stamps.contains(&("exec", ts(3))));
        assert!(stamps.contains(&("secret", ts(13))));
        assert!(stamps.contains(&("quota", ts(12))));
        assert!(stamps.contains(&("kill", ts(3))) && stamps.contains(&("kill", ts(11))));
        // The ledger span is exactly seq 3..=13, nothing elided (no extension filter).
        let seqs: Vec<u64> = b.ledger.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (3..=13).collect::<Vec<_>>());
        assert_eq!(b.summary.ledger_elided_count, 0);
        // One millisecond narrower on each side drops both bounds.
        let narrower = IncidentBundleFilter {
            start_ms: Some(ts(3) + 1),
            end_ms: Some(ts(13) - 1),
            ..IncidentBundleFilter::default()
        };
        let n = s.build(&narrower, &IncidentBundleRedactionPolicy::default());
        assert!(all_timestamps(&n)
            .iter()
            .all(|(_, t)| *t != ts(3) && *t != ts(13)));
        assert_eq!(n.ledger.entries.first().unwrap().seq, 4);
        let report = verify_incident_evidence_bundle(&b);
        assert!(report.valid, "{:?}", report.errors);
    }

    #[test]
    fn extension_filter_over_an_interleaved_ledger_verifies_valid_and_intact() {
        let s = streams();
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-a".to_owned()),
            ..IncidentBundleFilter::default()
        };
        let b = s.build(&filter, &IncidentBundleRedactionPolicy::default());
        let report = verify_incident_evidence_bundle(&b);
        assert!(report.valid, "{:?}", report.errors);
        assert!(report.ledger_chain_intact && b.summary.ledger_chain_intact);
        // The span runs from seq 0 (global config change) to the last ext-a entry, with every
        // ext-b / ext-c entry inside it elided: continuous seqs, nothing dropped.
        let seqs: Vec<u64> = b.ledger.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (0..=27).collect::<Vec<_>>());
        for e in &b.ledger.entries {
            let global = matches!(e.seq, 0 | 7);
            let mine = e.seq % 3 == 0 && e.seq != 0;
            assert_eq!(!e.is_elided(), global || mine, "seq {}", e.seq);
            if !e.is_elided() {
                assert!(e.extension_id.is_none() || e.extension_id.as_deref() == Some("ext-a"));
            }
        }
        assert_eq!(b.summary.ledger_entry_count, 2 + 9);
        assert_eq!(b.summary.ledger_elided_count, 28 - 11);
        assert_eq!(b.summary.distinct_extensions, 1);
        let mentions = |id: &Option<String>| id.is_none() || id.as_deref() == Some("ext-a");
        assert!(b.alerts.iter().all(|a| mentions(&a.extension_id)));
        assert!(b.telemetry.iter().all(|a| mentions(&a.extension_id)));
        assert!(b.exec_mediation.iter().all(|a| mentions(&a.extension_id)));
        assert!(b.secret_broker.iter().all(|a| mentions(&a.extension_id)));
        assert!(b.quota_breaches.iter().all(|a| mentions(&a.extension_id)));
        // The global quota breach (no extension) is in every extension's scope.
        assert!(b.quota_breaches.iter().any(|q| q.extension_id.is_none()));
        assert_eq!(b.trust.len(), 1);
        assert_eq!(b.trust[0].extension_id, "ext-a");
        // Replay of the bundle's ledger works and skips the elided entries.
        let replay = hostguard_evidence::replay_runtime_risk_ledger_artifact(&b.ledger).unwrap();
        assert!(replay.steps.iter().all(|st| st.extension_id == "ext-a"));
    }

    #[test]
    fn extension_and_time_filters_combine_and_elide_inside_the_span() {
        let s = streams();
        let filter = IncidentBundleFilter {
            start_ms: Some(ts(5)),
            end_ms: Some(ts(20)),
            extension_id: Some("ext-b".to_owned()),
            ..IncidentBundleFilter::default()
        };
        let b = s.build(&filter, &IncidentBundleRedactionPolicy::internal());
        let report = verify_incident_evidence_bundle(&b);
        assert!(report.valid, "{:?}", report.errors);
        // In scope: the global rollout transition (7) and ext-b's 10, 11, 13, 16, 19.
        let seqs: Vec<u64> = b.ledger.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (7..=19).collect::<Vec<_>>());
        let disclosed: Vec<u64> = b
            .ledger
            .entries
            .iter()
            .filter(|e| !e.is_elided())
            .map(|e| e.seq)
            .collect();
        assert_eq!(disclosed, [7, 10, 11, 13, 16, 19]);
        assert_eq!(b.ledger.anchor.first_seq, 7);
        assert_eq!(b.ledger.anchor.evicted_count, 7);
        assert!(!s.ledger.config.enabled);
        // The header carries the configuration in force at the anchor (seq 0's config change).
        assert!(b.ledger.config.enabled);
    }

    #[test]
    fn category_and_severity_filters_apply_to_alerts_only() {
        let s = streams();
        let filter = IncidentBundleFilter {
            alert_categories: Some(vec![
                SecurityAlertCategory::ExecMediation,
                SecurityAlertCategory::AnomalyDenial,
            ]),
            min_severity: Some(SecurityAlertSeverity::Warning),
            ..IncidentBundleFilter::default()
        };
        let b = s.build(&filter, &IncidentBundleRedactionPolicy::default());
        assert!(!b.alerts.is_empty());
        for a in &b.alerts {
            assert!(matches!(
                a.category,
                SecurityAlertCategory::ExecMediation | SecurityAlertCategory::AnomalyDenial
            ));
            assert!(a.severity >= SecurityAlertSeverity::Warning);
        }
        let expected = s
            .alerts
            .alerts
            .iter()
            .filter(|a| {
                matches!(
                    a.category,
                    SecurityAlertCategory::ExecMediation | SecurityAlertCategory::AnomalyDenial
                ) && a.severity >= SecurityAlertSeverity::Warning
            })
            .count();
        assert_eq!(b.alerts.len(), expected);
        // Other sections are untouched by alert-only filters.
        assert_eq!(b.telemetry.len(), s.telemetry.entries.len());
        assert_eq!(b.summary.ledger_entry_count, s.ledger.entries.len() as u64);
        let only_critical = IncidentBundleFilter {
            min_severity: Some(SecurityAlertSeverity::Critical),
            ..IncidentBundleFilter::default()
        };
        let c = s.build(&only_critical, &IncidentBundleRedactionPolicy::default());
        assert!(c
            .alerts
            .iter()
            .all(|a| a.severity == SecurityAlertSeverity::Critical));
        assert!(!c.alerts.is_empty());
        assert!(verify_incident_evidence_bundle(&c).valid);
    }

    #[test]
    fn a_filter_that_matches_nothing_gives_an_empty_valid_bundle() {
        let s = streams();
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-z".to_owned()),
            start_ms: Some(ts(1)),
            end_ms: Some(ts(6)),
            ..IncidentBundleFilter::default()
        };
        let b = build_incident_evidence_bundle(
            &s.ledger,
            &s.alerts,
            &s.telemetry,
            &s.exec,
            &s.secret,
            &s.quota,
            &filter,
            &IncidentBundleRedactionPolicy::default(),
            9_000,
        );
        assert!(b.ledger.entries.is_empty());
        assert_eq!(b.summary.ledger_entry_count, 0);
        assert_eq!(b.summary.peak_risk_score, 0.0);
        let report = verify_incident_evidence_bundle(&b);
        assert!(
            report.valid && report.ledger_chain_intact,
            "{:?}",
            report.errors
        );
        let empty = fixture::streams_with(fixture::ledger_with(0, 8));
        let e = empty.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        assert!(verify_incident_evidence_bundle(&e).valid);
    }

    #[test]
    fn a_retention_truncated_source_ledger_bundles_and_verifies() {
        // Limit 16 of 40 entries: the source is anchored at seq 24.
        let s = fixture::streams_with(fixture::ledger_with(40, 16));
        assert_eq!(s.ledger.anchor.first_seq, 24);
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let report = verify_incident_evidence_bundle(&b);
        assert!(report.valid, "{:?}", report.errors);
        assert_eq!(b.ledger.anchor.first_seq, 24);
        assert_eq!(b.summary.ledger_entry_count, 16);
    }

    /// Every edge case of scope, under every redaction preset, verifies valid in both forms
    /// (in memory and as exported JSON), and re-bundling a bundle's own ledger verifies too.
    #[test]
    fn every_edge_case_of_scope_verifies_in_memory_and_as_json() {
        let f = |start: Option<u64>, end: Option<u64>, ext: Option<&str>| IncidentBundleFilter {
            start_ms: start,
            end_ms: end,
            extension_id: ext.map(str::to_owned),
            ..IncidentBundleFilter::default()
        };
        let filters = [
            f(None, None, None),
            f(Some(ts(20)), Some(ts(10)), None), // start > end
            f(None, None, Some("ext-z")),        // no entries: only global ones
            f(Some(ts(7)), Some(ts(7)), None),   // both bounds on a global entry's ts
            f(Some(ts(11)), Some(ts(11)), Some("ext-a")), // another extension's ts only
            f(Some(ts(3)), Some(ts(29)), Some("ext-b")),
            f(Some(u64::MAX), None, None),
            f(None, Some(0), None),
        ];
        let presets = [
            IncidentBundleRedactionPolicy::default(),
            IncidentBundleRedactionPolicy::internal(),
            IncidentBundleRedactionPolicy {
                redact_remediation: true,
                ..IncidentBundleRedactionPolicy::external()
            },
        ];
        let sources = [
            fixture::streams(),
            fixture::streams_with(fixture::ledger_with(40, 16)), // retention-evicted head
            fixture::streams_with(fixture::ledger_with(0, 8)),   // empty ledger
            fixture::streams_with(fixture::ledger_with(1, 8)),   // one global entry
        ];
        for s in &sources {
            for filter in &filters {
                for policy in &presets {
                    let b = s.build(filter, policy);
                    let r = verify_incident_evidence_bundle(&b);
                    assert!(r.valid, "{filter:?} {policy:?}: {:?}", r.errors);
                    let json = b.to_json().unwrap();
                    let r = verify_incident_evidence_bundle_json(json.as_bytes());
                    assert!(r.valid, "{filter:?} {policy:?} (JSON): {:?}", r.errors);
                    let again = fixture::streams_with(b.ledger.clone()).build(filter, policy);
                    let r = verify_incident_evidence_bundle(&again);
                    assert!(r.valid, "re-bundled {filter:?}: {:?}", r.errors);
                }
            }
        }
    }
}

mod redaction {
    use crate::fixture::streams;
    use hostguard_evidence::{
        verify_incident_evidence_bundle, IncidentBundleFilter, IncidentBundleRedactionPolicy,
        REDACTED,
    };

    fn only(flag: &str) -> IncidentBundleRedactionPolicy {
        let mut p = IncidentBundleRedactionPolicy::internal();
        match flag {
            "params" => p.redact_params_hash = true,
            "context" => p.redact_context_hash = true,
            "args_shape" => p.redact_args_shape_hash = true,
            "command" => p.redact_command_hash = true,
            "name" => p.redact_name_hash = true,
            "remediation" => p.redact_remediation = true,
            other => panic!("unknown flag {other}"),
        }
        p
    }

    const FLAGS: [&str; 6] = [
        "params",
        "context",
        "args_shape",
        "command",
        "name",
        "remediation",
    ];

    #[test]
    fn every_redaction_flag_redacts_its_fields_and_only_those() {
        let s = streams();
        for flag in FLAGS {
            let b = s.build(&IncidentBundleFilter::default(), &only(flag));
            let report = verify_incident_evidence_bundle(&b);
            assert!(
                report.valid && report.redaction_applied,
                "{flag}: {:?}",
                report.errors
            );
            let json = b.to_json().unwrap();
            for (owner, value) in s.secrets() {
                assert_eq!(
                    json.contains(&value),
                    owner != flag,
                    "flag `{flag}`: value of `{owner}` `{value}`"
                );
            }
            let is = |v: &str| v == REDACTED;
            assert!(b
                .alerts
                .iter()
                .all(|a| is(&a.context_hash) == (flag == "context")));
            assert!(b
                .alerts
                .iter()
                .all(|a| is(&a.remediation) == (flag == "remediation")));
            assert!(b
                .telemetry
                .iter()
                .all(|t| is(&t.params_hash) == (flag == "params")));
            assert!(b
                .telemetry
                .iter()
                .all(|t| is(&t.args_shape_hash) == (flag == "args_shape")));
            assert!(b
                .exec_mediation
                .iter()
                .all(|e| is(&e.command_hash) == (flag == "command")));
            assert!(b
                .secret_broker
                .iter()
                .all(|e| is(&e.name_hash) == (flag == "name")));
            for e in &b.ledger.entries {
                if let Some(d) = e.decision() {
                    assert_eq!(d.params_hash.is_redacted(), flag == "params");
                }
            }
        }
    }

    #[test]
    fn no_redacted_value_appears_anywhere_in_the_bundle_json() {
        let s = streams();
        let all = IncidentBundleRedactionPolicy {
            redact_remediation: true,
            ..IncidentBundleRedactionPolicy::external()
        };
        for policy in [IncidentBundleRedactionPolicy::default(), all] {
            for ext in [None, Some("ext-a".to_owned())] {
                let filter = IncidentBundleFilter {
                    extension_id: ext,
                    ..IncidentBundleFilter::default()
                };
                let b = s.build(&filter, &policy);
                assert!(verify_incident_evidence_bundle(&b).valid);
                let json = b.to_json().unwrap();
                let envelope = b.to_dsse_envelope().unwrap().to_json().unwrap();
                let statement = String::from_utf8(
                    base64::Engine::decode(
                        &base64::engine::general_purpose::STANDARD,
                        b.to_dsse_envelope().unwrap().payload,
                    )
                    .unwrap(),
                )
                .unwrap();
                let mut checked = 0;
                for (owner, value) in s.secrets() {
                    if owner == "remediation" && !policy.redact_remediation {
                        continue;
                    }
                    checked += 1;
                    assert!(!json.contains(&value), "`{owner}` value `{value}` leaked");
                    assert!(!envelope.contains(&value) && !statement.contains(&value));
                }
                assert!(checked > 100, "the scan must cover every original hash");
            }
        }
        // Sanity: the same scan finds every value when nothing is redacted.
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::internal(),
        );
        let json = b.to_json().unwrap();
        assert!(s.secrets().iter().all(|(_, v)| json.contains(v)));
    }

    /// Elision must hide another extension's entry from a reader who guesses: knowing an
    /// elided entry's exact content (here: the source entry itself) and everything the bundle
    /// discloses must not let anyone confirm it against the elided `body_digest`. Before
    /// encoding version 2 (per-entry salt), encoding the guessed content reproduced the digest
    /// of an elided kill switch in about 16 000 guesses.
    #[test]
    fn an_elided_entry_cannot_be_confirmed_by_guessing_its_content() {
        use hostguard_ledger::{body_digest, encode_body, Salt};
        let s = streams();
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-a".to_owned()),
            ..IncidentBundleFilter::default()
        };
        for policy in [
            IncidentBundleRedactionPolicy::default(),
            IncidentBundleRedactionPolicy::internal(),
        ] {
            let b = s.build(&filter, &policy);
            let json = b.to_json().unwrap();
            // Every salt the bundle discloses, and none.
            let mut salts = vec![Salt::default()];
            for e in &b.ledger.entries {
                salts.extend(e.salt);
                if let Some(r) = e.decision().and_then(|d| d.params_hash.reveal()) {
                    salts.push(r.salt);
                }
            }
            let mut elided = 0;
            for e in b.ledger.entries.iter().filter(|e| e.is_elided()) {
                elided += 1;
                assert!(e.salt.is_none());
                let source = &s.ledger.entries[e.seq as usize];
                let secret = source.salt.unwrap();
                assert!(
                    !json.contains(&secret.to_hex()),
                    "seq {} salt leaked",
                    e.seq
                );
                for salt in &salts {
                    let mut buf = Vec::new();
                    encode_body(
                        &mut buf,
                        salt,
                        source.seq,
                        source.ts_ms,
                        source.extension_id.as_deref(),
                        source.payload().unwrap(),
                    )
                    .unwrap();
                    assert_ne!(
                        body_digest(&buf),
                        e.body_digest,
                        "elided seq {} confirmed from disclosed material",
                        e.seq
                    );
                }
            }
            assert!(elided > 10, "{elided}");
        }
    }

    #[test]
    fn a_redacted_ledger_keeps_its_commitments_and_verifies() {
        let s = streams();
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let ledger = hostguard_evidence::verify_runtime_risk_ledger_artifact(&b.ledger);
        assert!(ledger.valid, "{:?}", ledger.errors);
        assert_eq!(ledger.redacted_count, 27);
        for (e, orig) in b.ledger.entries.iter().zip(&s.ledger.entries) {
            if let (Some(d), Some(o)) = (e.decision(), orig.decision()) {
                assert_eq!(d.params_hash.commitment(), o.params_hash.commitment());
            }
        }
    }
}

mod tamper {
    use crate::fixture::streams;
    use hostguard_evidence::{
        verify_incident_evidence_bundle, verify_incident_evidence_bundle_json,
        BundleVerifyErrorCode as Code, IncidentBundleFilter, IncidentBundleRedactionPolicy,
        IncidentEvidenceBundle, REDACTED,
    };
    use serde_json::Value;

    fn bundle() -> IncidentEvidenceBundle {
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-a".to_owned()),
            ..IncidentBundleFilter::default()
        };
        streams().build(&filter, &IncidentBundleRedactionPolicy::default())
    }

    fn codes(b: &IncidentEvidenceBundle) -> Vec<Code> {
        let r = verify_incident_evidence_bundle(b);
        assert_eq!(r.valid, r.errors.is_empty());
        r.errors.iter().map(|e| e.code).collect()
    }

    fn rehash(mut b: IncidentEvidenceBundle) -> IncidentEvidenceBundle {
        b.bundle_hash = b.compute_hash().unwrap();
        b
    }

    pub(crate) fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    path.push(Value::String(k.clone()));
                    leaves(c, path, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    path.push(Value::from(i));
                    leaves(c, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }

    pub(crate) fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
        path.iter().fold(v, |v, p| match p {
            Value::String(k) => &mut v[k.as_str()],
            Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
            _ => unreachable!(),
        })
    }

    pub(crate) fn mutate(leaf: &Value) -> Value {
        match leaf {
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) if n.is_u64() => Value::from(n.as_u64().unwrap().wrapping_add(1)),
            Value::Number(n) => Value::from(n.as_f64().unwrap() + 0.25),
            // Hex digests: change one hex digit so the value still parses.
            Value::String(s) if s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit()) => {
                let flipped = if s.starts_with('0') { "1" } else { "0" };
                Value::String(format!("{flipped}{}", &s[1..]))
            }
            Value::String(s) => Value::String(format!("{s}x")),
            Value::Null => Value::from(1u64),
            _ => unreachable!(),
        }
    }

    #[test]
    fn every_edit_of_every_leaf_is_reported() {
        let b = bundle();
        assert!(codes(&b).is_empty());
        let v = serde_json::to_value(&b).unwrap();
        let mut paths = Vec::new();
        leaves(&v, &mut Vec::new(), &mut paths);
        assert!(paths.len() > 500, "{}", paths.len());
        let mut checked = 0;
        for path in &paths {
            let mut edited = v.clone();
            let leaf = at(&mut edited, path);
            *leaf = mutate(leaf);
            let Ok(t) = serde_json::from_value::<IncidentEvidenceBundle>(edited.clone()) else {
                continue; // not a bundle any more: the parser refuses it
            };
            let c = codes(&t);
            assert!(!c.is_empty(), "edit at {path:?} went unnoticed");
            let bytes = serde_json::to_vec(&edited).unwrap();
            assert!(
                !verify_incident_evidence_bundle_json(&bytes).valid,
                "{path:?}"
            );
            checked += 1;
        }
        // Edits the parser refuses (enum names, hex digests of the wrong shape) are skipped.
        assert!(checked * 2 > paths.len(), "{checked} of {}", paths.len());
    }

    #[test]
    fn every_summary_count_is_recomputed_even_when_rehashed() {
        let b = bundle();
        type Edit = fn(&mut IncidentEvidenceBundle);
        let edits: Vec<(&str, Edit)> = vec![
            ("ledger_entry_count", |b| b.summary.ledger_entry_count += 1),
            ("alert_count", |b| b.summary.alert_count += 1),
            ("telemetry_event_count", |b| {
                b.summary.telemetry_event_count -= 1
            }),
            ("exec_mediation_count", |b| {
                b.summary.exec_mediation_count += 1
            }),
            ("secret_broker_count", |b| {
                b.summary.secret_broker_count += 1
            }),
            ("quota_breach_count", |b| b.summary.quota_breach_count += 1),
            ("distinct_extensions", |b| {
                b.summary.distinct_extensions += 1
            }),
            ("peak_risk_score", |b| b.summary.peak_risk_score = 0.5),
            ("deny_or_terminate_count", |b| {
                b.summary.deny_or_terminate_count += 1
            }),
            ("ledger_chain_intact", |b| {
                b.summary.ledger_chain_intact = false
            }),
            ("ledger_elided_count", |b| b.summary.ledger_elided_count = 0),
        ];
        for (field, edit) in edits {
            let mut t = b.clone();
            edit(&mut t);
            assert_eq!(
                codes(&t),
                vec![Code::SummaryMismatch, Code::BundleHashMismatch],
                "{field}"
            );
            let r = verify_incident_evidence_bundle(&rehash(t));
            assert_eq!(r.errors.len(), 1, "{field}: {:?}", r.errors);
            assert_eq!(r.errors[0].code, Code::SummaryMismatch);
            assert!(
                r.errors[0].message.contains(field),
                "{}",
                r.errors[0].message
            );
            assert!(!r.summary_consistent && !r.valid);
        }
    }

    #[test]
    fn a_rehashed_section_edit_is_still_caught_by_what_it_breaks() {
        let b = bundle();
        // A disclosed ledger entry edited: the embedded ledger no longer verifies.
        let mut t = b.clone();
        let i = t
            .ledger
            .entries
            .iter()
            .position(|e| !e.is_elided())
            .unwrap();
        t.ledger.entries[i].ts_ms += 1;
        let c = codes(&rehash(t));
        assert!(c.contains(&Code::LedgerInvalid), "{c:?}");
        assert!(
            c.contains(&Code::SummaryMismatch),
            "ledger_chain_intact must be recomputed"
        );
        // A record removed: the count no longer matches.
        let mut t = b.clone();
        t.telemetry.pop();
        assert_eq!(codes(&rehash(t)), vec![Code::SummaryMismatch]);
        // A record from another extension slipped in (with a consistent summary).
        let mut t = b.clone();
        let mut foreign = t.exec_mediation[0].clone();
        foreign.extension_id = Some("ext-b".to_owned());
        t.exec_mediation.push(foreign);
        t.summary = hostguard_evidence::IncidentBundleSummary::compute(&t);
        assert_eq!(codes(&rehash(t)), vec![Code::RecordOutsideFilter]);
        // A redacted hash put back.
        let mut t = b.clone();
        t.secret_broker[0].name_hash = "name00000000".to_owned();
        assert_eq!(codes(&rehash(t)), vec![Code::RedactionNotApplied]);
        // An elided entry revealed as another extension's entry is outside the filter.
        let mut t = b.clone();
        let orig = streams();
        let j = t.ledger.entries.iter().position(|e| e.is_elided()).unwrap();
        let seq = t.ledger.entries[j].seq;
        t.ledger.entries[j] = orig.ledger.entries[seq as usize]
            .redacted(&[hostguard_ledger::RedactableField::ParamsHash]);
        t.summary = hostguard_evidence::IncidentBundleSummary::compute(&t);
        assert_eq!(codes(&rehash(t)), vec![Code::RecordOutsideFilter]);
        // Schema and non-finite floats.
        let mut t = b.clone();
        t.schema = "pi.ext.incident_evidence_bundle.v1".to_owned();
        assert_eq!(codes(&rehash(t)), vec![Code::SchemaMismatch]);
        let mut t = b.clone();
        t.telemetry[0].features.insert("nan".to_owned(), f64::NAN);
        // A non-finite float has no canonical form, so there is no hash to recompute.
        assert!(t.compute_hash().is_err());
        assert_eq!(
            codes(&t),
            vec![Code::NonFiniteFloat, Code::HashUncomputable]
        );
        assert_eq!(REDACTED, "redacted");
    }

    /// §2.3: the ledger span runs from the first in-scope entry to the last, so both ends are
    /// disclosed. An elided entry at either end (an in-scope entry hidden, or a fabricated
    /// elided link whose digest is arbitrary appended past the real head) breaks that rule
    /// even when summary and hash are recomputed.
    #[test]
    fn an_elided_entry_at_either_end_of_the_ledger_span_is_refused() {
        let b = bundle();
        let n = b.ledger.entries.len();
        assert!(!b.ledger.entries[0].is_elided() && !b.ledger.entries[n - 1].is_elided());
        for i in [0, n - 1] {
            let mut entries = b.ledger.entries.clone();
            entries[i] = entries[i].elided();
            let mut t = b.clone();
            t.ledger = hostguard_ledger::RuntimeRiskLedgerArtifact::from_entries(
                b.ledger.generated_at_ms,
                b.ledger.config,
                b.ledger.hysteresis,
                entries,
            );
            t.summary = hostguard_evidence::IncidentBundleSummary::compute(&t);
            let r = verify_incident_evidence_bundle(&rehash(t));
            assert!(r.ledger_chain_intact, "{:?}", r.errors);
            assert_eq!(
                r.errors.iter().map(|e| e.code).collect::<Vec<_>>(),
                vec![Code::LedgerSpanMismatch],
                "entry {i}"
            );
        }
        // A fabricated elided link appended past the head.
        let mut entries = b.ledger.entries.clone();
        let last = entries[n - 1].clone();
        let mut forged = last.elided();
        forged.seq += 1;
        forged.prev_ledger_hash = last.ledger_hash;
        forged.body_digest = hostguard_ledger::Digest([7; 32]);
        forged.ledger_hash = forged.recompute_ledger_hash();
        entries.push(forged);
        let mut t = b.clone();
        t.ledger = hostguard_ledger::RuntimeRiskLedgerArtifact::from_entries(
            b.ledger.generated_at_ms,
            b.ledger.config,
            b.ledger.hysteresis,
            entries,
        );
        t.summary = hostguard_evidence::IncidentBundleSummary::compute(&t);
        assert_eq!(codes(&rehash(t)), vec![Code::LedgerSpanMismatch]);
    }

    /// JSON cannot carry a NaN: serde writes `null`, and an alert's `risk_score` is
    /// `number|null`, so the null parses back as "no score". The hash must not treat a
    /// non-finite score and no score alike, or the exported form of a bundle the builder's
    /// verifier refuses (non-finite score) verifies valid with the very hash the builder
    /// stored.
    #[test]
    fn a_non_finite_alert_score_fails_verification_in_json_form_too() {
        let s = streams();
        let mut alerts = s.alerts.alerts.clone();
        alerts[0].risk_score = Some(f64::NAN);
        let b = hostguard_evidence::IncidentEvidenceBundleBuilder::new(&s.ledger)
            .alerts(&alerts)
            .filter(IncidentBundleFilter::default())
            .build(5_000);
        let r = verify_incident_evidence_bundle(&b);
        assert!(!r.valid);
        assert!(r.errors.iter().any(|e| e.code == Code::NonFiniteFloat));
        let json = b.to_json().unwrap();
        assert!(json.contains("\"risk_score\":null"));
        let r = verify_incident_evidence_bundle_json(json.as_bytes());
        assert!(
            !r.valid,
            "the exported form of a refused bundle verified valid"
        );
        // The same holds for an alert whose score was absent to begin with: a stored hash
        // cannot be matched by a non-finite value in its place.
        let mut t = bundle();
        let i = t
            .alerts
            .iter()
            .position(|a| a.risk_score.is_none())
            .unwrap();
        t.alerts[i].risk_score = Some(f64::INFINITY);
        assert_eq!(
            codes(&t),
            vec![Code::NonFiniteFloat, Code::HashUncomputable]
        );
    }

    #[test]
    fn a_bundle_of_a_tampered_source_ledger_is_not_intact() {
        let mut s = streams();
        s.ledger.entries[3].ts_ms += 1; // ext-a entry, disclosed
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        assert!(!b.summary.ledger_chain_intact);
        let r = verify_incident_evidence_bundle(&b);
        assert!(!r.valid && !r.ledger_chain_intact);
        assert!(
            r.summary_consistent,
            "the summary honestly says the chain is broken"
        );
        assert_eq!(r.bundle_hash, r.recomputed_hash);
    }

    #[test]
    fn json_verification_refuses_garbage_and_unknown_fields() {
        for bytes in [
            &b""[..],
            b"null",
            b"{}",
            b"[1,2]",
            b"\xff\xfe",
            b"{\"schema\":1}",
        ] {
            let r = verify_incident_evidence_bundle_json(bytes);
            assert!(!r.valid);
            assert_eq!(r.errors[0].code, Code::ParseError);
        }
        let b = bundle();
        let mut v = serde_json::to_value(&b).unwrap();
        v["alerts"][0]["smuggled"] = Value::from("payload");
        let r = verify_incident_evidence_bundle_json(&serde_json::to_vec(&v).unwrap());
        assert!(!r.valid);
        assert!(r.errors.iter().any(|e| e.code == Code::NonCanonicalContent));
        let ok = verify_incident_evidence_bundle_json(b.to_json().unwrap().as_bytes());
        assert!(ok.valid, "{:?}", ok.errors);
    }

    /// A member name repeated inside one object (RFC 8785 / I-JSON forbid it): serde keeps the
    /// last value, so the first one is carried in the bytes but covered by no hash, and a
    /// reader that keeps the first value sees a different bundle than the one verified.
    #[test]
    fn json_verification_refuses_duplicate_member_names() {
        let b = bundle();
        let json = b.to_json().unwrap();
        let at = json.find("\"features\":{").unwrap() + "\"features\":{".len();
        let mut dup = json.clone();
        dup.insert_str(at, "\"exec\":0.125,");
        assert_ne!(dup, json);
        let r = verify_incident_evidence_bundle_json(dup.as_bytes());
        assert!(!r.valid, "a duplicated feature name went unnoticed");
        assert!(
            r.errors
                .iter()
                .any(|e| e.code == Code::NonCanonicalContent && e.message.contains("duplicate")),
            "{:?}",
            r.errors
        );
        // The same member repeated with the same value is refused too: the bytes are not the
        // canonical bundle's.
        let mut same = json.clone();
        let exec = &json[at..]
            .find("\"exec\":1")
            .map(|_| "\"exec\":1,")
            .unwrap();
        same.insert_str(at, exec);
        assert!(!verify_incident_evidence_bundle_json(same.as_bytes()).valid);
    }
}

/// A bundle's JSON must hold exactly the bundle that is verified and hashed: a member the
/// bundle does not know, or a repeated member name, at any depth, is `non_canonical_content`
/// and nothing else is checked (docs/evidence-format.md §6.1).
mod strict {
    use crate::fixture::streams;
    use crate::json_edit::{object_at, objects, with_member, with_repeated, with_unknown};
    use hostguard_evidence::{
        verify_incident_evidence_bundle_json, BundleVerifyErrorCode as Code, EvidenceError,
        IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
    };
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use std::sync::OnceLock;

    /// Scoped to `ext-a` (elided entries inside the span) under external redaction.
    fn bundle(redaction: &IncidentBundleRedactionPolicy) -> IncidentEvidenceBundle {
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-a".to_owned()),
            ..IncidentBundleFilter::default()
        };
        streams().build(&filter, redaction)
    }

    /// A telemetry event's `features`: a map, where a new name is a new feature, not an unknown
    /// member (it changes the bundle and its hash).
    fn is_map(path: &[Value]) -> bool {
        path.last() == Some(&json!("features"))
    }

    /// Refused by the exact parse and by the JSON verifier, with one `non_canonical_content`.
    fn assert_non_canonical(bytes: &[u8], what: &str) {
        match IncidentEvidenceBundle::from_json_slice(bytes) {
            Err(EvidenceError::NonCanonicalContent { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
        let r = verify_incident_evidence_bundle_json(bytes);
        let codes: Vec<Code> = r.errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, [Code::NonCanonicalContent], "{what}: {:?}", r.errors);
        assert!(
            !r.valid && !r.ledger_chain_intact && !r.redaction_applied,
            "{what}"
        );
    }

    #[test]
    fn every_object_with_an_unknown_or_repeated_member_is_refused() {
        let b = bundle(&IncidentBundleRedactionPolicy::default());
        let r = verify_incident_evidence_bundle_json(b.to_json().unwrap().as_bytes());
        assert!(r.valid, "{:?}", r.errors);
        let v = serde_json::to_value(&b).unwrap();
        // Control: rewritten here (members sorted), the same bundle still verifies.
        let rewritten = with_member(&v, &[json!("nowhere")], "x", &Value::Null);
        assert!(verify_incident_evidence_bundle_json(rewritten.as_bytes()).valid);
        let paths = objects(&v);
        assert!(paths.len() >= 120, "{} objects", paths.len());
        for path in &paths {
            if !is_map(path) {
                let unknown = with_unknown(&v, path);
                assert_non_canonical(unknown.as_bytes(), &format!("unknown at {path:?}"));
            }
            let repeated = with_repeated(&v, path);
            assert_non_canonical(repeated.as_bytes(), &format!("repeated at {path:?}"));
        }
    }

    /// An externally redacted bundle carrying the redacted value and its salt beside the
    /// commitment (or anywhere else) must not verify, let alone claim the redaction applied.
    #[test]
    fn a_redacted_value_and_its_salt_cannot_travel_in_an_unknown_member() {
        let external = bundle(&IncidentBundleRedactionPolicy::default());
        let internal = bundle(&IncidentBundleRedactionPolicy::internal());
        let i = external
            .ledger
            .entries
            .iter()
            .position(|e| e.decision().is_some_and(|d| d.params_hash.is_redacted()))
            .unwrap();
        let reveal = internal.ledger.entries[i]
            .decision()
            .unwrap()
            .params_hash
            .reveal()
            .unwrap();
        let reveal = serde_json::to_value(reveal).unwrap();
        let v = serde_json::to_value(&external).unwrap();
        let decision = [
            json!("ledger"),
            json!("entries"),
            json!(i),
            json!("body"),
            json!("full"),
            json!("decision"),
        ];
        let params = [&decision[..], &[json!("params_hash")]].concat();
        for (path, name) in [
            (&params[..], "reveal_copy"),
            (&decision[..], "params"),
            (&[][..], "params_reveal"),
        ] {
            let smuggled = with_member(&v, path, name, &reveal);
            assert!(smuggled.contains(reveal["salt"].as_str().unwrap()));
            assert_non_canonical(smuggled.as_bytes(), name);
        }
    }

    fn base() -> &'static (Value, Vec<Vec<Value>>) {
        static BASE: OnceLock<(Value, Vec<Vec<Value>>)> = OnceLock::new();
        BASE.get_or_init(|| {
            let v =
                serde_json::to_value(bundle(&IncidentBundleRedactionPolicy::default())).unwrap();
            let paths = objects(&v);
            (v, paths)
        })
    }

    fn any_member_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            Just(json!({})),
            Just(json!(["x"])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A member inserted in any object of a valid bundle — a new name, or the name of a
        /// member the object has — is always refused as non-canonical content (in the features
        /// map, where a new name is a new feature, only a repeated name is tried).
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
            let repeat = repeat || is_map(path);
            let name = if repeat { existing.get(&names).as_str() } else { fresh.as_str() };
            let bytes = with_member(v, path, name, &value);
            assert_non_canonical(bytes.as_bytes(), &format!("{name} at {path:?}"));
        }
    }
}

/// A bundle must never launder a source ledger that does not verify: the builder elides
/// out-of-scope entries keeping their *stored* digests, so without checking the source a
/// tampered entry outside the scope would vanish and the bundle would verify.
mod source_ledger {
    use crate::fixture::{self, streams, streams_with, ts, Streams};
    use crate::tamper::{at, leaves, mutate};
    use hostguard_evidence::{
        verify_incident_evidence_bundle, verify_incident_evidence_bundle_json,
        verify_runtime_risk_ledger_artifact, BundleVerifyErrorCode as Code, IncidentBundleFilter,
        IncidentBundleRedactionPolicy, IncidentBundleSummary, IncidentEvidenceBundle,
        RuntimeRiskLedgerArtifact,
    };
    use hostguard_ledger::VerifyErrorCode;
    use serde_json::Value;

    fn only(ext: &str) -> IncidentBundleFilter {
        IncidentBundleFilter {
            extension_id: Some(ext.to_owned()),
            ..IncidentBundleFilter::default()
        }
    }

    /// Every extension filter, including none and one that matches nothing.
    fn extension_filters() -> Vec<IncidentBundleFilter> {
        let mut out = vec![IncidentBundleFilter::default(), only("ext-z")];
        out.extend(fixture::EXTS.iter().map(|e| only(e)));
        out
    }

    /// Asserts the bundle does not verify, in memory or as JSON, and says why.
    fn assert_refused(b: &IncidentEvidenceBundle, what: &str) {
        assert!(!b.source_ledger.valid, "{what}: source recorded as valid");
        assert!(
            !b.summary.ledger_chain_intact,
            "{what}: summary says intact"
        );
        let r = verify_incident_evidence_bundle(b);
        assert!(!r.valid, "{what}: bundle verifies");
        assert!(!r.ledger_chain_intact, "{what}: report says intact");
        assert!(r.summary_consistent, "{what}: {:?}", r.errors);
        assert!(
            r.errors.iter().any(|e| e.code == Code::SourceLedgerInvalid),
            "{what}: {:?}",
            r.errors
        );
        let j = verify_incident_evidence_bundle_json(b.to_json().unwrap().as_bytes());
        assert!(!j.valid, "{what}: JSON form verifies");
    }

    fn tampered_b_entry() -> Streams {
        let mut s = streams();
        // seq 4 is ext-b's decision, inside ext-a's span (seq 0 ..= 27).
        assert_eq!(s.ledger.entries[4].extension_id.as_deref(), Some("ext-b"));
        s.ledger.entries[4].ts_ms += 1;
        assert!(!verify_runtime_risk_ledger_artifact(&s.ledger).valid);
        s
    }

    #[test]
    fn a_bundle_of_a_tampered_ledger_never_verifies_extension_filter() {
        let s = tampered_b_entry();
        for redaction in [
            IncidentBundleRedactionPolicy::default(),
            IncidentBundleRedactionPolicy::internal(),
        ] {
            let b = s.build(&only("ext-a"), &redaction);
            // The tampered entry is elided: the embedded span alone would verify.
            assert!(b.ledger.entries[4].is_elided());
            assert!(verify_runtime_risk_ledger_artifact(&b.ledger).valid);
            assert_refused(&b, "ext-a filter over a tampered ext-b entry");
            let sl = &b.source_ledger;
            assert_eq!(sl.first_invalid_index, Some(4));
            assert_eq!(sl.entry_count, 30);
            assert_eq!(sl.error_count, sl.errors.len() as u64);
            assert_eq!(sl.errors[0].index, Some(4));
            assert_eq!(sl.errors[0].code, VerifyErrorCode::BodyDigestMismatch);
        }
    }

    #[test]
    fn a_bundle_of_a_tampered_ledger_never_verifies_time_filter() {
        let mut s = streams();
        // Move seq 4's timestamp out of the window: in the span, out of scope, so elided.
        s.ledger.entries[4].ts_ms = ts(100);
        let filter = IncidentBundleFilter {
            start_ms: Some(ts(2)),
            end_ms: Some(ts(6)),
            ..IncidentBundleFilter::default()
        };
        let b = s.build(&filter, &IncidentBundleRedactionPolicy::default());
        let seqs: Vec<u64> = b.ledger.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3, 4, 5, 6]);
        assert!(b.ledger.entries[2].is_elided());
        assert!(verify_runtime_risk_ledger_artifact(&b.ledger).valid);
        assert_refused(&b, "time filter eliding a tampered entry");
    }

    #[test]
    fn a_bundle_of_a_tampered_ledger_whose_span_is_empty_never_verifies() {
        // Global entries are in every extension's scope: a window after the end empties it.
        let filter = IncidentBundleFilter {
            start_ms: Some(ts(1_000)),
            ..only("ext-a")
        };
        let b = tampered_b_entry().build(&filter, &IncidentBundleRedactionPolicy::default());
        assert!(b.ledger.entries.is_empty());
        assert_refused(&b, "empty span");
    }

    #[test]
    fn a_healthy_ledgers_bundles_still_verify() {
        let s = streams();
        let windows = [
            (None, None),
            (Some(ts(5)), Some(ts(20))),
            (Some(ts(40)), None),
        ];
        for filter in extension_filters() {
            for (start_ms, end_ms) in windows {
                for redaction in [
                    IncidentBundleRedactionPolicy::default(),
                    IncidentBundleRedactionPolicy::internal(),
                ] {
                    let f = IncidentBundleFilter {
                        start_ms,
                        end_ms,
                        ..filter.clone()
                    };
                    let b = s.build(&f, &redaction);
                    let r = verify_incident_evidence_bundle(&b);
                    assert!(r.valid, "{f:?}: {:?}", r.errors);
                    assert!(r.ledger_chain_intact && b.summary.ledger_chain_intact);
                    // The builder takes the source's verdict for the span's: check it.
                    assert!(verify_runtime_risk_ledger_artifact(&b.ledger).valid);
                    assert_eq!(IncidentBundleSummary::compute(&b), b.summary);
                    let sl = &b.source_ledger;
                    assert!(sl.valid && sl.errors.is_empty() && sl.error_count == 0);
                    assert_eq!((sl.entry_count, sl.first_invalid_index), (30, None));
                }
            }
        }
    }

    /// Every single-entry edit of a small ledger (every leaf of every entry's JSON changed,
    /// every entry removed, duplicated, swapped with its successor), bundled under every
    /// extension filter: never valid. Exhaustive, not sampled (docs/design.md §10).
    #[test]
    fn every_single_entry_edit_under_every_extension_filter_never_verifies() {
        let source = fixture::ledger_with(12, 64);
        let json = serde_json::to_value(&source).unwrap();
        let n = source.entries.len();
        let mut tampered: Vec<(String, RuntimeRiskLedgerArtifact)> = Vec::new();
        for i in 0..n {
            let mut paths = Vec::new();
            leaves(&json["entries"][i], &mut Vec::new(), &mut paths);
            for path in paths {
                let mut v = json.clone();
                let leaf = at(&mut v["entries"][i], &path);
                *leaf = mutate(leaf);
                if let Ok(a) = serde_json::from_value(v) {
                    tampered.push((format!("entry {i} leaf {path:?}"), a));
                }
            }
            let mut removed = source.clone();
            removed.entries.remove(i);
            tampered.push((format!("entry {i} removed"), removed));
            let mut duplicated = source.clone();
            duplicated.entries.insert(i, source.entries[i].clone());
            tampered.push((format!("entry {i} duplicated"), duplicated));
            if i + 1 < n {
                let mut swapped = source.clone();
                swapped.entries.swap(i, i + 1);
                tampered.push((format!("entries {i} and {} swapped", i + 1), swapped));
            }
        }
        assert!(tampered.len() > 20 * n, "only {} edits", tampered.len());
        let filters = extension_filters();
        for (what, ledger) in &tampered {
            assert!(
                !verify_runtime_risk_ledger_artifact(ledger).valid,
                "{what}: the ledger verifier misses it"
            );
            let s = streams_with(ledger.clone());
            for f in &filters {
                let b = s.build(f, &IncidentBundleRedactionPolicy::default());
                assert_refused(&b, &format!("{what}, filter {:?}", f.extension_id));
            }
        }
    }

    #[test]
    fn the_source_ledger_section_is_covered_by_the_hash_and_checked_for_consistency() {
        let healthy = streams().build(&only("ext-a"), &IncidentBundleRedactionPolicy::default());
        let mut b = healthy.clone();
        b.source_ledger.entry_count += 1;
        let codes: Vec<Code> = verify_incident_evidence_bundle(&b)
            .errors
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, [Code::BundleHashMismatch]);

        // A record that contradicts itself fails closed, even rehashed.
        let tampered =
            tampered_b_entry().build(&only("ext-a"), &IncidentBundleRedactionPolicy::default());
        let mut b = tampered.clone();
        b.source_ledger.valid = true;
        b.summary.ledger_chain_intact = true;
        b.bundle_hash = b.compute_hash().unwrap();
        let r = verify_incident_evidence_bundle(&b);
        assert!(!r.valid && !r.ledger_chain_intact);
        let codes: Vec<Code> = r.errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, [Code::SourceLedgerInvalid, Code::SummaryMismatch]);

        // A span longer than the source it claims to come from.
        let mut b = healthy.clone();
        b.source_ledger.entry_count = 1;
        b.bundle_hash = b.compute_hash().unwrap();
        let codes: Vec<Code> = verify_incident_evidence_bundle(&b)
            .errors
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, [Code::SourceLedgerInvalid, Code::SummaryMismatch]);

        // The section names codes and indices only: no content of an elided entry.
        let j: Value = serde_json::to_value(&tampered.source_ledger).unwrap();
        assert_eq!(
            j,
            serde_json::json!({
                "valid": false, "entry_count": 30, "first_invalid_index": 4, "error_count": 1,
                "errors": [{"index": 4, "code": "body_digest_mismatch"}]
            })
        );
    }
}

mod hash {
    use crate::fixture::streams;
    use hostguard_evidence::{
        canonical_bundle_json, to_canonical_string, verify_incident_evidence_bundle,
        IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
    };
    use sha2::{Digest as _, Sha256};

    #[test]
    fn identical_inputs_give_an_identical_bundle_and_hash() {
        let a = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let b = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        assert_eq!(a, b);
        assert_eq!(a.bundle_hash, b.bundle_hash);
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
        let internal = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::internal(),
        );
        assert_ne!(a.bundle_hash, internal.bundle_hash);
    }

    #[test]
    fn the_hash_is_sha256_of_the_tag_and_the_canonical_json_of_the_hashed_view() {
        let filter = IncidentBundleFilter {
            extension_id: Some("ext-b".to_owned()),
            ..IncidentBundleFilter::default()
        };
        for redaction in [
            IncidentBundleRedactionPolicy::default(),
            IncidentBundleRedactionPolicy::internal(),
        ] {
            let b = streams().build(&filter, &redaction);
            assert!(b.summary.ledger_elided_count > 0);
            check_hashed_view(&b);
        }
    }

    /// The streamed canonical form equals RFC 8785 over the whole serde value minus
    /// `bundle_hash`, with ledger entries replaced by their views.
    fn check_hashed_view(b: &IncidentEvidenceBundle) {
        let mut v = serde_json::to_value(b).unwrap();
        v.as_object_mut().unwrap().remove("bundle_hash");
        // The hashed view: each ledger entry becomes {seq, ledger_hash, elided, reveals}.
        let views: Vec<serde_json::Value> = b
            .ledger
            .entries
            .iter()
            .map(|e| {
                let mut reveals = serde_json::Map::new();
                if let Some(d) = e.decision() {
                    if let Some(r) = d.params_hash.reveal() {
                        reveals.insert("params_hash".to_owned(), serde_json::to_value(r).unwrap());
                    }
                }
                serde_json::json!({
                    "seq": e.seq,
                    "ledger_hash": e.ledger_hash,
                    "elided": e.is_elided(),
                    "reveals": reveals,
                })
            })
            .collect();
        v["ledger"]["entries"] = serde_json::Value::Array(views);
        let whole = to_canonical_string(&v);
        assert_eq!(canonical_bundle_json(b).unwrap(), whole);
        let mut h = Sha256::new();
        h.update([0x10]);
        h.update(whole.as_bytes());
        assert_eq!(b.bundle_hash.0, <[u8; 32]>::from(h.finalize()));
    }

    #[test]
    fn json_round_trip_is_bit_exact_and_still_verifies() {
        let b = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let text = b.to_json().unwrap();
        let back = IncidentEvidenceBundle::from_json_slice(text.as_bytes()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.to_json().unwrap(), text);
        let r = verify_incident_evidence_bundle(&back);
        assert!(r.valid, "{:?}", r.errors);
        assert_eq!(r.bundle_hash, r.recomputed_hash);
    }

    /// Reads the fenced block after `marker` in `docs/evidence-format.md`.
    pub fn doc_block(doc: &str, marker: &str) -> String {
        let start = doc
            .find(marker)
            .unwrap_or_else(|| panic!("marker {marker} missing"));
        let rest = &doc[start..];
        let open = rest.find("```text\n").unwrap() + "```text\n".len();
        let close = rest[open..].find("\n```").unwrap();
        rest[open..open + close].to_owned()
    }

    #[test]
    fn the_known_answer_vector_of_the_format_doc_holds() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/evidence-format.md"
        ))
        .unwrap();
        let canonical = doc_block(&doc, "<!-- kat:canonical -->");
        let hash = doc_block(&doc, "<!-- kat:hash -->");
        // From the doc alone: SHA-256(0x10 ‖ canonical).
        let mut h = Sha256::new();
        h.update([0x10]);
        h.update(canonical.as_bytes());
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, hash.trim());
        // And the code agrees with the doc.
        let b = crate::kat::bundle();
        assert_eq!(b.to_json().unwrap(), doc_block(&doc, "<!-- kat:bundle -->"));
        assert_eq!(canonical_bundle_json(&b).unwrap(), canonical);
        assert_eq!(b.bundle_hash.to_hex(), hash.trim());
        assert!(verify_incident_evidence_bundle(&b).valid);
    }
}

/// The known-answer bundle of `docs/evidence-format.md` §4.
mod kat {
    use hostguard_evidence::{
        IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
        IncidentEvidenceBundleBuilder, QuotaBreachEvent, SecurityAlert, SecurityAlertCategory,
        SecurityAlertSeverity,
    };
    use hostguard_ledger::{
        Committed, DecisionRecord, EntryPayload, KillSwitchRecord, Ledger, Salt,
    };
    use hostguard_risk_core::{
        Capability, EnforcementState, HysteresisConfig, Posterior, RuntimeRiskConfig,
    };
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn decision(call: &str, params: &str, salt: u8, score: f64) -> EntryPayload {
        EntryPayload::Decision(Box::new(DecisionRecord {
            call_id: call.to_owned(),
            capability: Capability::Exec,
            method: "exec".to_owned(),
            params_hash: Committed::with_salt(params.to_owned(), Salt([salt; 16])),
            policy_reason: "default_caps".to_owned(),
            risk_evaluated: true,
            risk_score: score,
            posterior: Posterior::default(),
            triggers: vec!["critical_exec".to_owned()],
            selected_action: EnforcementState::Deny,
            state_before: EnforcementState::Allow,
            state_after: EnforcementState::Deny,
            consecutive_unsafe: 1,
            enforced: true,
            rollout_phase: "enforce_all".to_owned(),
            e_process_log: 1.5,
            drift: false,
            fallback_reason: None,
            explanation_summary: "reverse shell".to_owned(),
            applied: None,
        }))
    }

    /// Three entries — `ext-a`'s decision, `ext-b`'s decision (elided in the bundle), `ext-a`'s
    /// kill switch — with fixed salts; one alert and one quota breach of `ext-a`; filter
    /// `extension_id = "ext-a"`; internal redaction (nothing redacted, so the view shows a
    /// reveal); built at 1 700 000 001 000.
    pub fn bundle() -> IncidentEvidenceBundle {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut l = Ledger::new(8).unwrap();
        let t = 1_700_000_000_000;
        l.append(
            t,
            Some("ext-a".into()),
            decision("call-1", "p-a", 0xa1, 0.97),
            &mut rng,
        )
        .unwrap();
        l.append(
            t + 10,
            Some("ext-b".into()),
            decision("call-2", "p-b", 0xb2, 0.5),
            &mut rng,
        )
        .unwrap();
        let kill = EntryPayload::KillSwitch(KillSwitchRecord {
            engaged: true,
            reason: "INC-1".to_owned(),
        });
        l.append(t + 20, Some("ext-a".into()), kill, &mut rng)
            .unwrap();
        let ledger = l.artifact(
            t + 30,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
        );
        let alerts = [SecurityAlert {
            ts_ms: t,
            sequence_id: 1,
            extension_id: Some("ext-a".to_owned()),
            category: SecurityAlertCategory::ExecMediation,
            severity: SecurityAlertSeverity::Critical,
            capability: "exec".to_owned(),
            method: "exec".to_owned(),
            action_taken: "deny".to_owned(),
            reason: "reverse shell `nc -e`".to_owned(),
            reason_codes: vec!["exec_class_denied".to_owned()],
            risk_score: Some(0.97),
            context_hash: "c0ffee".to_owned(),
            remediation: "engage the kill switch".to_owned(),
        }];
        let quota = [QuotaBreachEvent {
            ts_ms: t + 5,
            extension_id: Some("ext-a".to_owned()),
            call_id: "call-1".to_owned(),
            kind: "calls_per_minute".to_owned(),
            limit: 60,
            observed: 61,
        }];
        IncidentEvidenceBundleBuilder::new(&ledger)
            .alerts(&alerts)
            .quota_breaches(&quota)
            .filter(IncidentBundleFilter {
                extension_id: Some("ext-a".to_owned()),
                ..IncidentBundleFilter::default()
            })
            .redaction(IncidentBundleRedactionPolicy::internal())
            .build(1_700_000_001_000)
    }
}

mod snapshots {
    use crate::fixture::{self, ts};
    use hostguard_evidence::{
        IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
    };

    fn small(redaction: &IncidentBundleRedactionPolicy) -> IncidentEvidenceBundle {
        let s = fixture::streams_with(fixture::ledger_with(9, 64));
        let filter = IncidentBundleFilter {
            start_ms: Some(ts(2)),
            end_ms: Some(ts(8)),
            extension_id: Some("ext-c".to_owned()),
            ..IncidentBundleFilter::default()
        };
        s.build(&filter, redaction)
    }

    #[test]
    fn small_bundle_external_redaction() {
        let b = small(&IncidentBundleRedactionPolicy::external());
        insta::assert_json_snapshot!("bundle_external", b);
        let back =
            IncidentEvidenceBundle::from_json_slice(b.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn small_bundle_internal_redaction() {
        let b = small(&IncidentBundleRedactionPolicy::internal());
        insta::assert_json_snapshot!("bundle_internal", b);
        let back =
            IncidentEvidenceBundle::from_json_slice(b.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(back, b);
    }
}

mod dsse {
    use crate::fixture::streams;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use hostguard_evidence::{
        DsseEnvelope, EvidenceError, IncidentBundleFilter, IncidentBundleRedactionPolicy,
    };
    use serde_json::Value;

    #[test]
    fn envelope_carries_an_in_toto_statement_whose_subject_is_the_bundle_hash() {
        let b = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let env = b.to_dsse_envelope().unwrap();
        let json: Value = serde_json::from_str(&env.to_json().unwrap()).unwrap();
        assert_eq!(json["payloadType"], "application/vnd.in-toto+json");
        assert_eq!(json["signatures"], Value::Array(Vec::new()));
        let statement: Value =
            serde_json::from_slice(&STANDARD.decode(json["payload"].as_str().unwrap()).unwrap())
                .unwrap();
        assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(
            statement["predicateType"],
            "https://hostguard.dev/incident-evidence/v1"
        );
        assert_eq!(
            statement["subject"][0]["digest"]["sha256"],
            b.bundle_hash.to_hex()
        );
        assert_eq!(
            statement["predicate"]["schema"],
            "hostguard.incident_evidence_bundle.v1"
        );
        // And back.
        let parsed = DsseEnvelope::from_json_slice(env.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(parsed.bundle().unwrap(), b);
    }

    #[test]
    fn a_foreign_or_inconsistent_envelope_is_refused() {
        let b = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let env = b.to_dsse_envelope().unwrap();
        let mut wrong_type = env.clone();
        wrong_type.payload_type = "application/json".to_owned();
        assert!(matches!(
            wrong_type.bundle(),
            Err(EvidenceError::Envelope { .. })
        ));
        let mut not_b64 = env.clone();
        not_b64.payload = "!!".to_owned();
        assert!(matches!(
            not_b64.bundle(),
            Err(EvidenceError::Envelope { .. })
        ));
        let mut statement = b.to_in_toto_statement();
        statement.subject[0]
            .digest
            .insert("sha256".to_owned(), "00".repeat(32));
        let mut forged = env;
        forged.payload = STANDARD.encode(serde_json::to_vec(&statement).unwrap());
        assert!(matches!(
            forged.bundle(),
            Err(EvidenceError::Envelope { .. })
        ));
    }

    /// The envelope's payload must hold exactly the bundle that is verified: a member the
    /// statement or bundle type drops on parsing (or a repeated member name) would travel in
    /// the signed bytes without being covered by the bundle hash or seen by the verifier.
    #[test]
    fn dsse_unwrap_refuses_content_the_bundle_does_not_hold() {
        let b = streams().build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let env = b.to_dsse_envelope().unwrap();
        let statement: Value = serde_json::to_value(b.to_in_toto_statement()).unwrap();
        let wrap = |v: &Value| {
            let mut e = env.clone();
            e.payload = STANDARD.encode(serde_json::to_vec(v).unwrap());
            e
        };
        let mut smuggled = statement.clone();
        smuggled["predicate"]["alerts"][0]["params"] = Value::from("unredacted-params-value");
        assert!(
            matches!(
                wrap(&smuggled).bundle(),
                Err(EvidenceError::Envelope { .. })
            ),
            "a member inside the predicate went unnoticed"
        );
        let mut extra = statement.clone();
        extra["note"] = Value::from("not covered by anything");
        assert!(matches!(
            wrap(&extra).bundle(),
            Err(EvidenceError::Envelope { .. })
        ));
        // A repeated member name in the payload bytes.
        let text = String::from_utf8(STANDARD.decode(&env.payload).unwrap()).unwrap();
        let dup = text.replacen(
            "\"predicateType\":",
            "\"predicateType\":\"https://example.com/other\",\"predicateType\":",
            1,
        );
        let mut e = env.clone();
        e.payload = STANDARD.encode(dup.as_bytes());
        assert!(matches!(
            e.bundle(),
            Err(EvidenceError::Json { .. } | EvidenceError::Envelope { .. })
        ));
        // The untouched envelope still unwraps.
        assert_eq!(wrap(&statement).bundle().unwrap(), b);
    }
}

mod builder {
    use crate::fixture::{streams, ts};
    use hostguard_evidence::{
        verify_incident_evidence_bundle, IncidentBundleFilter, IncidentBundleRedactionPolicy,
    };

    #[test]
    fn builder_adds_rollout_and_trust_state_sorted_and_filtered() {
        let s = streams();
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        assert_eq!(b.rollout.as_ref(), Some(&s.rollout));
        let ids: Vec<&str> = b.trust.iter().map(|t| t.extension_id.as_str()).collect();
        assert_eq!(ids, ["ext-a", "ext-b", "ext-c"]);
        assert_eq!(b.trust[1].kill_switch_audit.len(), 3);
        let window = IncidentBundleFilter {
            start_ms: Some(ts(5)),
            extension_id: Some("ext-b".to_owned()),
            ..IncidentBundleFilter::default()
        };
        let w = s.build(&window, &IncidentBundleRedactionPolicy::default());
        assert_eq!(w.trust.len(), 1);
        assert!(w.trust[0].killed);
        let audit: Vec<&str> = w.trust[0]
            .kill_switch_audit
            .iter()
            .map(|k| k.reason.as_str())
            .collect();
        assert_eq!(audit, ["INC-7"]);
        assert!(verify_incident_evidence_bundle(&w).valid);
    }

    /// The builder keeps exactly the audit entries the verifier admits: an audit entry about
    /// another extension inside a trust record (a host that shares one audit log between
    /// records) must not make a healthy, unfiltered bundle fail verification.
    #[test]
    fn a_trust_record_carrying_another_extensions_audit_entry_still_verifies() {
        let mut s = streams();
        let foreign = s.trust[1].kill_switch_audit[0].clone();
        assert_eq!(foreign.extension_id, "ext-b");
        s.trust[2].kill_switch_audit.push(foreign); // into ext-a's record
        for filter in [
            IncidentBundleFilter::default(),
            IncidentBundleFilter {
                start_ms: Some(ts(2)),
                end_ms: Some(ts(20)),
                ..IncidentBundleFilter::default()
            },
        ] {
            let b = s.build(&filter, &IncidentBundleRedactionPolicy::default());
            let r = verify_incident_evidence_bundle(&b);
            assert!(r.valid, "{filter:?}: {:?}", r.errors);
            let a = b.trust.iter().find(|t| t.extension_id == "ext-a").unwrap();
            assert!(a.kill_switch_audit.is_empty(), "{:?}", a.kill_switch_audit);
        }
    }

    #[test]
    fn summary_fields_are_exactly_as_documented() {
        let s = streams();
        let b = s.build(
            &IncidentBundleFilter::default(),
            &IncidentBundleRedactionPolicy::default(),
        );
        let decisions: Vec<u64> = (1..30).filter(|i| *i != 7 && *i != 11).collect();
        let sm = &b.summary;
        assert_eq!(sm.ledger_entry_count, 30);
        assert_eq!(sm.ledger_elided_count, 0);
        assert_eq!(sm.alert_count, s.alerts.alerts.len() as u64);
        assert_eq!(sm.telemetry_event_count, decisions.len() as u64);
        assert_eq!(sm.exec_mediation_count, s.exec.entries.len() as u64);
        assert_eq!(sm.secret_broker_count, s.secret.entries.len() as u64);
        assert_eq!(sm.quota_breach_count, s.quota.len() as u64);
        assert_eq!(sm.distinct_extensions, 3);
        let peak = decisions
            .iter()
            .map(|i| crate::fixture::score(*i))
            .fold(0.0, f64::max);
        assert_eq!(sm.peak_risk_score, peak);
        let denies = decisions
            .iter()
            .filter(|i| crate::fixture::score(**i) >= 0.7)
            .count();
        assert_eq!(sm.deny_or_terminate_count, denies as u64);
        assert!(sm.ledger_chain_intact);
    }
}

/// Runbook Procedure 6, steps 2 to 7, with `use pi::extensions::` replaced by
/// `use hostguard_evidence::` and nothing else changed inside the steps.
mod runbook {
    use crate::fixture::{streams, ts};

    #[expect(
        clippy::too_many_lines,
        reason = "a test that reads as one scenario or one table of cases"
    )]
    #[test]
    fn procedure_6_compiles_and_passes_with_only_the_use_path_changed(
    ) -> Result<(), Box<dyn std::error::Error>> {
        // Step 1 — collect raw artifacts (the manager's accessors, here from the fixture).
        let s = streams();
        let (ledger, alerts, telemetry, exec, secret, quota_breaches) =
            (s.ledger, s.alerts, s.telemetry, s.exec, s.secret, s.quota);
        let (incident_start_ms, incident_end_ms, now_ms) = (ts(1), ts(25), ts(40));

        // Step 2
        use hostguard_evidence::{
            IncidentBundleFilter, SecurityAlertCategory, SecurityAlertSeverity,
        };

        let filter = IncidentBundleFilter {
            start_ms: Some(incident_start_ms),        // Time window start
            end_ms: Some(incident_end_ms),            // Time window end
            extension_id: Some("suspect-ext".into()), // Scope to one extension
            alert_categories: Some(vec![
                // Limit to relevant categories
                SecurityAlertCategory::ExecMediation,
                SecurityAlertCategory::AnomalyDenial,
            ]),
            min_severity: Some(SecurityAlertSeverity::Warning),
        };

        // Step 3
        use hostguard_evidence::IncidentBundleRedactionPolicy;

        let redaction = IncidentBundleRedactionPolicy {
            redact_params_hash: true,
            redact_context_hash: true,
            redact_args_shape_hash: true,
            redact_command_hash: true,
            redact_name_hash: true,
            redact_remediation: false, // Keep human-readable remediation text
        };
        let _internal = IncidentBundleRedactionPolicy {
            redact_params_hash: false,
            redact_context_hash: false,
            redact_args_shape_hash: false,
            redact_command_hash: false,
            redact_name_hash: false,
            redact_remediation: false,
        };

        // Step 4
        use hostguard_evidence::build_incident_evidence_bundle;

        let bundle = build_incident_evidence_bundle(
            &ledger,
            &alerts,
            &telemetry,
            &exec,
            &secret,
            &quota_breaches,
            &filter,
            &redaction,
            now_ms,
        );

        // Step 5
        use hostguard_evidence::verify_incident_evidence_bundle;

        let report = verify_incident_evidence_bundle(&bundle);
        assert!(
            report.valid,
            "Bundle integrity check failed: {:?}",
            report.errors
        );
        assert!(report.ledger_chain_intact, "Ledger hash chain broken");
        assert_eq!(report.bundle_hash, report.recomputed_hash, "Hash mismatch");

        // Step 6
        let summary = &bundle.summary;
        println!("Ledger entries: {}", summary.ledger_entry_count);
        println!("Alerts: {}", summary.alert_count);
        println!("Telemetry events: {}", summary.telemetry_event_count);
        println!("Exec mediation: {}", summary.exec_mediation_count);
        println!("Secret broker: {}", summary.secret_broker_count);
        println!("Quota breaches: {}", summary.quota_breach_count);
        println!("Distinct extensions: {}", summary.distinct_extensions);
        println!("Peak risk score: {:.3}", summary.peak_risk_score);
        println!("Deny/Terminate count: {}", summary.deny_or_terminate_count);
        println!("Ledger chain intact: {}", summary.ledger_chain_intact);

        // Step 7
        use hostguard_evidence::replay_runtime_risk_ledger_artifact;

        let replay = replay_runtime_risk_ledger_artifact(&ledger)?;
        for step in &replay.steps {
            println!(
                "[{}] ext={} cap={}.{} score={:.3} action={:?} state={:?}",
                step.ts_ms,
                step.extension_id,
                step.capability,
                step.method,
                step.risk_score,
                step.selected_action,
                step.derived_state
            );
        }
        Ok(())
    }
}

mod properties {
    use crate::fixture::{self, ts};
    use hostguard_evidence::{
        verify_incident_evidence_bundle, verify_incident_evidence_bundle_json,
        IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentEvidenceBundle,
    };
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn base() -> &'static (IncidentEvidenceBundle, Vec<u8>) {
        static BASE: OnceLock<(IncidentEvidenceBundle, Vec<u8>)> = OnceLock::new();
        BASE.get_or_init(|| {
            let s = fixture::streams_with(fixture::ledger_with(12, 64));
            let b = s.build(
                &IncidentBundleFilter {
                    extension_id: Some("ext-a".to_owned()),
                    ..IncidentBundleFilter::default()
                },
                &IncidentBundleRedactionPolicy::default(),
            );
            let bytes = b.to_json().unwrap().into_bytes();
            (b, bytes)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn verify_never_panics_on_mutated_bytes(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)
        ) {
            let mut bytes = base().1.clone();
            for (idx, byte, kind) in edits {
                if bytes.is_empty() { break; }
                let i = idx.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => { bytes.insert(i, byte); }
                    _ => { bytes.remove(i); }
                }
            }
            let r = verify_incident_evidence_bundle_json(&bytes);
            prop_assert_eq!(r.valid, r.errors.is_empty());
            if r.valid {
                // Only edits that leave the same bundle (whitespace, `0.5` → `0.50`) verify.
                prop_assert_eq!(&IncidentEvidenceBundle::from_json_slice(&bytes).unwrap(), &base().0);
            }
        }

        #[test]
        fn verify_never_panics_on_structurally_mutated_bundles(
            n_alerts in 0usize..4, drop_ledger in 0usize..20, start in 0u64..30, bump in any::<u64>()
        ) {
            let mut b = base().0.clone();
            b.alerts.truncate(n_alerts);
            if drop_ledger < b.ledger.entries.len() {
                b.ledger.entries.remove(drop_ledger);
            }
            b.filter.start_ms = Some(ts(start));
            b.generated_at_ms = b.generated_at_ms.wrapping_add(bump);
            b.summary.alert_count = b.summary.alert_count.wrapping_add(bump);
            let r = verify_incident_evidence_bundle(&b);
            prop_assert_eq!(r.valid, r.errors.is_empty());
            prop_assert!(!r.valid || b == base().0);
        }
    }
}
