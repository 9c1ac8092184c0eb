//! The versioned binary canonical encoding of an entry body (`docs/ledger-format.md` §2).
//!
//! Fixed field order, integers big-endian, strings as a u32-BE byte length then UTF-8, f64 as
//! IEEE-754 bits big-endian, `Option` as a 0/1 tag, enums as one code byte. Non-finite floats
//! are refused: they are not values the ledger stores (docs/design.md §5).

use hostguard_risk_core::{
    BandProfile, HysteresisConfig, Posterior, RuntimeRiskConfig, ScoreBands,
};

use crate::digest::Salt;
use crate::record::{
    ConfigChangeRecord, DecisionRecord, EntryPayload, FindingRecord, KillSwitchRecord,
    PromptResolutionRecord, ResumeRecord, RiskStateResetRecord, RollbackThresholds,
    RollbackTriggerChangeRecord, RolloutTransitionRecord, ToolPinRecord, TrustChangeRecord,
};

/// Version byte of the encoding. A change to the layout of an existing kind bumps it; a new kind
/// code leaves every existing body's bytes as they were and does not (`docs/ledger-format.md`
/// §2: kind `07` was added under version 2).
pub const ENCODING_VERSION: u8 = 0x02;

/// Why a body cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// A float is NaN or infinite.
    #[error("field `{field}` is not finite (`{value}`); the ledger stores finite floats only")]
    NonFinite {
        /// Dotted path of the field.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A disclosed entry carries no salt (encoding version 2 starts every body with one).
    #[error("the entry has a body but no salt; encoding version 2 starts every body with one")]
    MissingSalt,
    /// A string or list is longer than a u32 length prefix can say.
    #[error("field `{field}` has length `{len}`, above the u32 length prefix limit")]
    TooLong {
        /// Dotted path of the field.
        field: &'static str,
        /// The offending length.
        len: usize,
    },
}

/// Appends the canonical encoding of a body to `out` (which the caller clears and reuses, so
/// an append allocates nothing once the buffer has grown).
pub fn encode_body(
    out: &mut Vec<u8>,
    salt: &Salt,
    seq: u64,
    ts_ms: u64,
    extension_id: Option<&str>,
    payload: &EntryPayload,
) -> Result<(), EncodeError> {
    let mut w = Writer { out };
    w.u8(ENCODING_VERSION);
    w.out.extend_from_slice(&salt.0);
    w.u64(seq);
    w.u64(ts_ms);
    w.opt_str("extension_id", extension_id)?;
    w.u8(payload.kind_code());
    match payload {
        EntryPayload::Decision(d) => w.decision(d),
        EntryPayload::KillSwitch(KillSwitchRecord { engaged, reason }) => {
            w.bool(*engaged);
            w.str("kill_switch.reason", reason)
        }
        EntryPayload::TrustChange(TrustChangeRecord { from, to, reason }) => {
            w.str("trust_change.from", from)?;
            w.str("trust_change.to", to)?;
            w.str("trust_change.reason", reason)
        }
        EntryPayload::RolloutTransition(RolloutTransitionRecord { from, to, reason }) => {
            w.str("rollout_transition.from", from)?;
            w.str("rollout_transition.to", to)?;
            w.str("rollout_transition.reason", reason)
        }
        EntryPayload::ConfigChange(ConfigChangeRecord { config, hysteresis }) => {
            w.runtime_config(config)?;
            w.hysteresis(hysteresis)
        }
        EntryPayload::RiskStateReset(RiskStateResetRecord { reason }) => {
            w.str("risk_state_reset.reason", reason)
        }
        EntryPayload::PromptResolution(PromptResolutionRecord { call_id, approved }) => {
            w.str("prompt_resolution.call_id", call_id)?;
            w.bool(*approved);
            Ok(())
        }
        EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord { from, to, reason }) => {
            w.thresholds(
                [
                    "rollback_trigger_change.from.max_false_positive_rate",
                    "rollback_trigger_change.from.max_error_rate",
                ],
                from,
            )?;
            w.thresholds(
                [
                    "rollback_trigger_change.to.max_false_positive_rate",
                    "rollback_trigger_change.to.max_error_rate",
                ],
                to,
            )?;
            w.opt_str("rollback_trigger_change.reason", reason.as_deref())
        }
        EntryPayload::Resume(r) => w.resume(r),
        EntryPayload::ToolPin(ToolPinRecord {
            tool,
            pin,
            standing,
            reason,
        }) => {
            w.str("tool_pin.tool", tool)?;
            w.out.extend_from_slice(pin.as_bytes());
            w.u8(standing.code());
            w.str("tool_pin.reason", reason)
        }
        EntryPayload::Finding(FindingRecord {
            rule,
            subject,
            action,
        }) => {
            w.str("finding.rule", rule)?;
            w.str("finding.subject", subject)?;
            w.str("finding.action", action)
        }
    }
}

/// The code byte of a band profile: safe 0, balanced 1, permissive 2.
pub const fn band_profile_code(profile: BandProfile) -> u8 {
    match profile {
        BandProfile::Safe => 0,
        BandProfile::Balanced => 1,
        BandProfile::Permissive => 2,
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    fn bool(&mut self, v: bool) {
        self.out.push(u8::from(v));
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn usize(&mut self, v: usize) {
        // usize is at most 64 bits on every supported target.
        self.u64(v as u64);
    }

    fn f64(&mut self, field: &'static str, v: f64) -> Result<(), EncodeError> {
        if !v.is_finite() {
            return Err(EncodeError::NonFinite { field, value: v });
        }
        self.out.extend_from_slice(&v.to_bits().to_be_bytes());
        Ok(())
    }

    fn len(&mut self, field: &'static str, len: usize) -> Result<(), EncodeError> {
        let n = u32::try_from(len).map_err(|_| EncodeError::TooLong { field, len })?;
        self.u32(n);
        Ok(())
    }

    fn str(&mut self, field: &'static str, s: &str) -> Result<(), EncodeError> {
        self.len(field, s.len())?;
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn opt_str(&mut self, field: &'static str, s: Option<&str>) -> Result<(), EncodeError> {
        match s {
            None => {
                self.u8(0);
                Ok(())
            }
            Some(s) => {
                self.u8(1);
                self.str(field, s)
            }
        }
    }

    fn strs(&mut self, field: &'static str, list: &[String]) -> Result<(), EncodeError> {
        self.len(field, list.len())?;
        list.iter().try_for_each(|s| self.str(field, s))
    }

    fn resume(&mut self, r: &ResumeRecord) -> Result<(), EncodeError> {
        // Destructured so that a new field is a compile error here, never an unhashed field.
        let ResumeRecord {
            entries_found,
            truncated_bytes,
            rollout_phase,
            rolled_back_from,
            extensions,
            killed,
            quarantined,
            overridden,
            fail_closed,
        } = r;
        self.u64(*entries_found);
        self.u64(*truncated_bytes);
        self.str("resume.rollout_phase", rollout_phase)?;
        self.opt_str("resume.rolled_back_from", rolled_back_from.as_deref())?;
        self.u64(*extensions);
        self.strs("resume.killed[]", killed)?;
        self.strs("resume.quarantined[]", quarantined)?;
        self.strs("resume.overridden[]", overridden)?;
        self.opt_str("resume.fail_closed", fail_closed.as_deref())
    }

    fn decision(&mut self, d: &DecisionRecord) -> Result<(), EncodeError> {
        // Destructured so that a new field is a compile error here, never an unhashed field.
        let DecisionRecord {
            call_id,
            capability,
            method,
            params_hash,
            policy_reason,
            risk_evaluated,
            risk_score,
            posterior,
            triggers,
            selected_action,
            state_before,
            state_after,
            consecutive_unsafe,
            enforced,
            rollout_phase,
            e_process_log,
            drift,
            fallback_reason,
            explanation_summary,
            applied,
        } = d;
        self.str("decision.call_id", call_id)?;
        self.u8(capability.code());
        self.str("decision.method", method)?;
        self.out
            .extend_from_slice(params_hash.commitment().as_bytes());
        self.str("decision.policy_reason", policy_reason)?;
        self.bool(*risk_evaluated);
        self.f64("decision.risk_score", *risk_score)?;
        let Posterior {
            safe,
            suspicious,
            unsafe_,
        } = posterior;
        self.f64("decision.posterior.safe", *safe)?;
        self.f64("decision.posterior.suspicious", *suspicious)?;
        self.f64("decision.posterior.unsafe", *unsafe_)?;
        self.strs("decision.triggers[]", triggers)?;
        self.u8(selected_action.code());
        self.u8(state_before.code());
        self.u8(state_after.code());
        self.u32(*consecutive_unsafe);
        self.bool(*enforced);
        self.str("decision.rollout_phase", rollout_phase)?;
        self.f64("decision.e_process_log", *e_process_log)?;
        self.bool(*drift);
        self.opt_str("decision.fallback_reason", fallback_reason.as_deref())?;
        self.str("decision.explanation_summary", explanation_summary)?;
        // A trailer only when present: a decision written before `applied` existed keeps its
        // bytes, and the length-prefixed summary ends where the trailer starts, so the two
        // forms never encode alike.
        if let Some(a) = applied {
            self.u8(a.action.code());
            self.u8(a.gate_action.code());
            self.u8(a.basis.code());
        }
        Ok(())
    }

    fn runtime_config(&mut self, c: &RuntimeRiskConfig) -> Result<(), EncodeError> {
        let RuntimeRiskConfig {
            enabled,
            enforce,
            alpha,
            window_size,
            ledger_limit,
            decision_timeout_ms,
            fail_closed,
            profile,
            cooldown_calls,
            de_escalation_margin,
        } = c;
        self.bool(*enabled);
        self.bool(*enforce);
        self.f64("config.alpha", *alpha)?;
        self.usize(*window_size);
        self.usize(*ledger_limit);
        self.u64(*decision_timeout_ms);
        self.bool(*fail_closed);
        match profile {
            None => self.u8(0),
            Some(p) => {
                self.u8(1);
                self.u8(band_profile_code(*p));
            }
        }
        self.u32(*cooldown_calls);
        self.f64("config.de_escalation_margin", *de_escalation_margin)
    }

    /// `max_false_positive_rate f64 · max_error_rate f64 · window_size usize ·
    /// max_latency_ms u64`; `fields` names the two floats for a non-finite error.
    fn thresholds(
        &mut self,
        fields: [&'static str; 2],
        t: &RollbackThresholds,
    ) -> Result<(), EncodeError> {
        let RollbackThresholds {
            max_false_positive_rate,
            max_error_rate,
            window_size,
            max_latency_ms,
        } = t;
        let [fp_field, error_field] = fields;
        self.f64(fp_field, *max_false_positive_rate)?;
        self.f64(error_field, *max_error_rate)?;
        self.usize(*window_size);
        self.u64(*max_latency_ms);
        Ok(())
    }

    fn hysteresis(&mut self, h: &HysteresisConfig) -> Result<(), EncodeError> {
        let HysteresisConfig {
            bands,
            cooldown_calls,
            de_escalation_margin,
        } = h;
        let ScoreBands {
            harden,
            prompt,
            deny,
            terminate,
        } = bands;
        self.f64("hysteresis.bands.harden", *harden)?;
        self.f64("hysteresis.bands.prompt", *prompt)?;
        self.f64("hysteresis.bands.deny", *deny)?;
        self.f64("hysteresis.bands.terminate", *terminate)?;
        self.u32(*cooldown_calls);
        self.f64("hysteresis.de_escalation_margin", *de_escalation_margin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::to_hex;
    use hostguard_risk_core::{Capability, EnforcementState};

    fn check(payload: EntryPayload, expected_payload_hex: &str) {
        let mut out = Vec::new();
        encode_body(&mut out, &Salt([0x5a; 16]), 1, 2, None, &payload).unwrap();
        // version, salt, seq 1, ts 2, no extension: a fixed 34-byte prefix, then kind and
        // payload.
        let prefix = concat!(
            "02",
            "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
            "0000000000000001",
            "0000000000000002",
            "00"
        );
        let hex = to_hex(&out);
        assert_eq!(hex.get(..prefix.len()), Some(prefix));
        assert_eq!(
            hex.get(prefix.len()..),
            Some(expected_payload_hex),
            "{payload:?}"
        );
    }

    #[test]
    fn control_payloads_encode_as_documented() {
        check(
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: false,
                reason: "r".into(),
            }),
            "01000000000172",
        );
        check(
            EntryPayload::RiskStateReset(RiskStateResetRecord { reason: "".into() }),
            "0500000000",
        );
        check(
            EntryPayload::PromptResolution(PromptResolutionRecord {
                call_id: "c".into(),
                approved: true,
            }),
            "06000000016301",
        );
        // from (0.05, 0.10, 100, 200) to (1.0, 0.10, 100, 200), then the optional reason.
        let loosened = RollbackTriggerChangeRecord {
            from: defaults(),
            to: RollbackThresholds {
                max_false_positive_rate: 1.0,
                ..defaults()
            },
            reason: None,
        };
        let from_hex = "3fa999999999999a3fb999999999999a000000000000006400000000000000c8";
        let to_hex = "3ff00000000000003fb999999999999a000000000000006400000000000000c8";
        check(
            EntryPayload::RollbackTriggerChange(loosened.clone()),
            &format!("07{from_hex}{to_hex}00"),
        );
        check(
            EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord {
                reason: Some("r".into()),
                ..loosened
            }),
            &format!("07{from_hex}{to_hex}010000000172"),
        );
    }

    #[test]
    fn tool_pin_and_finding_encode_as_documented() {
        // docs/ledger-format.md §2, the `tool_pin` and `finding` examples.
        check(
            EntryPayload::ToolPin(ToolPinRecord {
                tool: "t".into(),
                pin: crate::digest::Digest([0xab; 32]),
                standing: crate::record::PinStanding::Changed,
                reason: "r".into(),
            }),
            &format!("090000000174{}020000000172", "ab".repeat(32)),
        );
        check(
            EntryPayload::Finding(FindingRecord {
                rule: "r".into(),
                subject: "s".into(),
                action: "a".into(),
            }),
            "0a000000017200000001730000000161",
        );
    }

    #[test]
    fn resume_encodes_as_documented() {
        // docs/ledger-format.md §2, the `resume` example.
        check(
            EntryPayload::Resume(ResumeRecord {
                entries_found: 2,
                truncated_bytes: 0,
                rollout_phase: "shadow".into(),
                rolled_back_from: Some("enforce_all".into()),
                extensions: 1,
                killed: vec!["e".into()],
                quarantined: vec![],
                overridden: vec!["rollout_phase".into()],
                fail_closed: None,
            }),
            concat!(
                "08",
                "0000000000000002",
                "0000000000000000",
                "00000006736861646f77",
                "010000000b656e666f7263655f616c6c",
                "0000000000000001",
                "000000010000000165",
                "00000000",
                "000000010000000d726f6c6c6f75745f7068617365",
                "00"
            ),
        );
    }

    #[test]
    fn a_decision_with_applied_is_the_older_body_and_a_three_byte_trailer() {
        // docs/ledger-format.md §2: `applied.action u8 · applied.gate_action u8 ·
        // applied.basis u8` after the summary, only when the decision carries `applied`.
        let older = DecisionRecord {
            call_id: "c".into(),
            capability: Capability::Exec,
            method: "exec".into(),
            params_hash: crate::Committed::new(String::from("p")),
            policy_reason: "ok".into(),
            risk_evaluated: true,
            risk_score: 0.5,
            posterior: Posterior {
                safe: 0.25,
                suspicious: 0.25,
                unsafe_: 0.5,
            },
            triggers: vec![],
            selected_action: EnforcementState::Deny,
            state_before: EnforcementState::Allow,
            state_after: EnforcementState::Deny,
            consecutive_unsafe: 1,
            enforced: true,
            rollout_phase: "enforce_all".into(),
            e_process_log: 1.0,
            drift: false,
            fallback_reason: None,
            explanation_summary: "s".into(),
            applied: None,
        };
        let newer = DecisionRecord {
            applied: Some(crate::AppliedRecord {
                action: EnforcementState::Deny,
                gate_action: EnforcementState::Allow,
                basis: hostguard_risk_core::EnforcementBasis::EnforceAll,
            }),
            ..older.clone()
        };
        let body = |d: DecisionRecord| {
            let mut out = Vec::new();
            let payload = EntryPayload::Decision(Box::new(d));
            encode_body(&mut out, &Salt([0x5a; 16]), 1, 2, None, &payload).unwrap();
            to_hex(&out)
        };
        assert_eq!(body(newer), format!("{}030005", body(older)));
    }

    fn defaults() -> RollbackThresholds {
        RollbackThresholds {
            max_false_positive_rate: 0.05,
            max_error_rate: 0.10,
            window_size: 100,
            max_latency_ms: 200,
        }
    }

    #[test]
    fn rollback_trigger_change_refuses_non_finite_and_names_the_field() {
        for (from_fp, to_error, field) in [
            (
                f64::NAN,
                0.1,
                "rollback_trigger_change.from.max_false_positive_rate",
            ),
            (
                0.05,
                f64::NEG_INFINITY,
                "rollback_trigger_change.to.max_error_rate",
            ),
        ] {
            let record = RollbackTriggerChangeRecord {
                from: RollbackThresholds {
                    max_false_positive_rate: from_fp,
                    ..defaults()
                },
                to: RollbackThresholds {
                    max_error_rate: to_error,
                    ..defaults()
                },
                reason: None,
            };
            let mut out = Vec::new();
            let err = encode_body(
                &mut out,
                &Salt::default(),
                0,
                0,
                None,
                &EntryPayload::RollbackTriggerChange(record),
            );
            assert!(
                matches!(err, Err(EncodeError::NonFinite { field: f, .. }) if f == field),
                "{err:?}"
            );
        }
    }

    #[test]
    fn config_change_encodes_every_field_and_refuses_non_finite() {
        let mut record = ConfigChangeRecord {
            config: RuntimeRiskConfig::default(),
            hysteresis: HysteresisConfig::default(),
        };
        let mut out = Vec::new();
        encode_body(
            &mut out,
            &Salt::default(),
            0,
            0,
            None,
            &EntryPayload::ConfigChange(record),
        )
        .unwrap();
        // 35-byte header (version, salt, seq, ts, extension, kind) + config
        // (2+8+8+8+8+1+1+4+8 = 48) + hysteresis (4*8+4+8 = 44).
        assert_eq!(out.len(), 35 + 48 + 44);
        record.hysteresis.bands.deny = f64::INFINITY;
        let err = encode_body(
            &mut out,
            &Salt::default(),
            0,
            0,
            None,
            &EntryPayload::ConfigChange(record),
        );
        assert_eq!(
            err,
            Err(EncodeError::NonFinite {
                field: "hysteresis.bands.deny",
                value: f64::INFINITY
            })
        );
    }
}
