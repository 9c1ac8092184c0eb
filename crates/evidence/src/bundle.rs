//! How an [`IncidentEvidenceBundle`] is built: [`build_incident_evidence_bundle`] (runbook
//! Procedure 6 step 4) and [`IncidentEvidenceBundleBuilder`], which also adds the rollout
//! snapshot and trust / kill-switch state (evidence checklist items 7 and 8).
//!
//! Building is pure and deterministic: the same inputs give the same bundle, byte for byte.

use hostguard_ledger::{
    verify_runtime_risk_ledger_artifact, Checkpoint, Digest, EntryPayload, LedgerEntry,
    RedactableField, RuntimeRiskLedgerArtifact,
};

use crate::artifacts::{
    ExecMediationArtifact, RuntimeHostcallTelemetryArtifact, SecretBrokerArtifact,
    SecurityAlertArtifact,
};
use crate::filter::{IncidentBundleFilter, IncidentBundleRedactionPolicy, Scoped, REDACTED};
use crate::hash::compute_bundle_hash;
use crate::incident::{
    IncidentBundleSummary, IncidentEvidenceBundle, INCIDENT_EVIDENCE_BUNDLE_SCHEMA,
};
use crate::records::{
    ExecMediationLedgerEntry, QuotaBreachEvent, RolloutSnapshot, RuntimeHostcallTelemetryEvent,
    SecretBrokerLedgerEntry, SecurityAlert, TrustStateRecord,
};
use crate::source::SourceLedgerStatus;

/// Builds a bundle from the raw artifacts, exactly as runbook Procedure 6 step 4 calls it.
/// Without rollout snapshot and trust state; use [`IncidentEvidenceBundleBuilder`] for those.
#[expect(
    clippy::too_many_arguments,
    reason = "the runbook's nine-argument form is the contract (Procedure 6 step 4)"
)]
pub fn build_incident_evidence_bundle(
    ledger: &RuntimeRiskLedgerArtifact,
    alerts: &SecurityAlertArtifact,
    telemetry: &RuntimeHostcallTelemetryArtifact,
    exec: &ExecMediationArtifact,
    secret: &SecretBrokerArtifact,
    quota_breaches: &[QuotaBreachEvent],
    filter: &IncidentBundleFilter,
    redaction: &IncidentBundleRedactionPolicy,
    now_ms: u64,
) -> IncidentEvidenceBundle {
    IncidentEvidenceBundleBuilder::new(ledger)
        .alerts(&alerts.alerts)
        .telemetry(&telemetry.entries)
        .exec_mediation(&exec.entries)
        .secret_broker(&secret.entries)
        .quota_breaches(quota_breaches)
        .filter(filter.clone())
        .redaction(*redaction)
        .build(now_ms)
}

/// Builds a bundle with all eight items of the runbook's evidence checklist.
///
/// Sections not given are empty; the default filter admits everything and the default
/// redaction is [`IncidentBundleRedactionPolicy::external`] (every hash redacted).
#[derive(Debug, Clone)]
pub struct IncidentEvidenceBundleBuilder<'a> {
    ledger: &'a RuntimeRiskLedgerArtifact,
    alerts: &'a [SecurityAlert],
    telemetry: &'a [RuntimeHostcallTelemetryEvent],
    exec: &'a [ExecMediationLedgerEntry],
    secret: &'a [SecretBrokerLedgerEntry],
    quota: &'a [QuotaBreachEvent],
    rollout: Option<RolloutSnapshot>,
    trust: Vec<TrustStateRecord>,
    filter: IncidentBundleFilter,
    redaction: IncidentBundleRedactionPolicy,
    checkpoint: Option<String>,
}

impl<'a> IncidentEvidenceBundleBuilder<'a> {
    /// A builder over `ledger`.
    pub fn new(ledger: &'a RuntimeRiskLedgerArtifact) -> Self {
        IncidentEvidenceBundleBuilder {
            ledger,
            alerts: &[],
            telemetry: &[],
            exec: &[],
            secret: &[],
            quota: &[],
            rollout: None,
            trust: Vec::new(),
            filter: IncidentBundleFilter::default(),
            redaction: IncidentBundleRedactionPolicy::default(),
            checkpoint: None,
        }
    }

    /// A signed checkpoint of the source ledger (its text, as `hostguard ledger checkpoint`
    /// or the manager's `checkpoints` option writes it). Embedded when it covers the span —
    /// it pins an entry of the source at or after the span's first in-scope entry — and the
    /// span is then extended to that entry (elided when out of scope). One that does not cover
    /// the span is not embedded ([`IncidentEvidenceBundle::checkpoint`] stays `None`): check
    /// that after `build`. Its signature is checked by whoever verifies the bundle with the
    /// signer's key.
    pub fn checkpoint(mut self, text: impl Into<String>) -> Self {
        self.checkpoint = Some(text.into());
        self
    }

    /// The alert stream.
    pub fn alerts(mut self, alerts: &'a [SecurityAlert]) -> Self {
        self.alerts = alerts;
        self
    }

    /// The telemetry stream.
    pub fn telemetry(mut self, telemetry: &'a [RuntimeHostcallTelemetryEvent]) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// The exec-mediation log.
    pub fn exec_mediation(mut self, exec: &'a [ExecMediationLedgerEntry]) -> Self {
        self.exec = exec;
        self
    }

    /// The secret-broker log.
    pub fn secret_broker(mut self, secret: &'a [SecretBrokerLedgerEntry]) -> Self {
        self.secret = secret;
        self
    }

    /// The quota breaches.
    pub fn quota_breaches(mut self, quota: &'a [QuotaBreachEvent]) -> Self {
        self.quota = quota;
        self
    }

    /// The rollout state (checklist item 7).
    pub fn rollout(mut self, snapshot: RolloutSnapshot) -> Self {
        self.rollout = Some(snapshot);
        self
    }

    /// The trust state of every extension (checklist item 8); the filter keeps those in scope.
    pub fn trust_states(mut self, trust: Vec<TrustStateRecord>) -> Self {
        self.trust = trust;
        self
    }

    /// The scope.
    pub fn filter(mut self, filter: IncidentBundleFilter) -> Self {
        self.filter = filter;
        self
    }

    /// What to redact.
    pub fn redaction(mut self, redaction: IncidentBundleRedactionPolicy) -> Self {
        self.redaction = redaction;
        self
    }

    /// Verifies the source ledger, filters, redacts, summarises and hashes. Pure: reads no
    /// clock (`now_ms` is injected).
    ///
    /// Infallible by design: a source ledger that does not verify still gives a bundle
    /// (runbook Procedure 5 exports a corrupted ledger as evidence), but one that records the
    /// failure in `source_ledger`, says `ledger_chain_intact: false` and never verifies.
    pub fn build(&self, now_ms: u64) -> IncidentEvidenceBundle {
        let filter = &self.filter;
        let pinned = self.covering_checkpoint();
        // Once, over the whole source: elision keeps an out-of-scope entry's stored digests, so
        // a tampered entry elided from the span is visible here and nowhere else.
        let source_report = verify_runtime_risk_ledger_artifact(self.ledger);
        let source_ledger = SourceLedgerStatus::from_report(&source_report);
        let r = &self.redaction;

        let alerts = self
            .alerts
            .iter()
            .filter(|a| filter.admits_alert(a))
            .map(|a| {
                let mut a = a.clone();
                redact_if(r.redact_context_hash, &mut a.context_hash);
                redact_if(r.redact_remediation, &mut a.remediation);
                a
            })
            .collect();
        let telemetry = select(self.telemetry, filter, |t| {
            redact_if(r.redact_params_hash, &mut t.params_hash);
            redact_if(r.redact_args_shape_hash, &mut t.args_shape_hash);
        });
        let exec_mediation = select(self.exec, filter, |e| {
            redact_if(r.redact_command_hash, &mut e.command_hash);
        });
        let secret_broker = select(self.secret, filter, |s| {
            redact_if(r.redact_name_hash, &mut s.name_hash);
        });
        let quota_breaches = select(self.quota, filter, |_| {});
        let mut trust: Vec<TrustStateRecord> = self
            .trust
            .iter()
            .filter(|t| filter.admits_trust(t))
            .map(|t| TrustStateRecord {
                kill_switch_audit: t
                    .kill_switch_audit
                    .iter()
                    .filter(|k| filter.admits_audit_of(t, k))
                    .cloned()
                    .collect(),
                ..t.clone()
            })
            .collect();
        // Deterministic whatever order the host's map yielded.
        trust.sort_by(|a, b| a.extension_id.cmp(&b.extension_id));

        let mut bundle = IncidentEvidenceBundle {
            schema: INCIDENT_EVIDENCE_BUNDLE_SCHEMA.to_owned(),
            generated_at_ms: now_ms,
            filter: filter.clone(),
            redaction: *r,
            ledger: ledger_section(self.ledger, filter, r, pinned.map(|(_, seq)| seq), now_ms),
            alerts,
            telemetry,
            exec_mediation,
            secret_broker,
            quota_breaches,
            rollout: self.rollout.clone(),
            trust,
            source_ledger,
            summary: IncidentBundleSummary::default(),
            checkpoint: pinned.map(|(text, _)| text.to_owned()),
            bundle_hash: Digest::GENESIS,
        };
        // INVARIANT (span-of-verified-source): a span cut from a source that verifies verifies
        // too — its entries are the source's, cloned, redacted (commitment kept) or elided
        // (digests kept), and its anchor and head are taken from its own ends — so the
        // source's verdict stands in for a second verification of the span. A source that
        // does not verify makes `ledger_chain_intact` false whatever the span. Should the
        // invariant ever break, the verifier, which re-verifies the span, reports
        // `ledger_invalid` and `summary_mismatch`: it fails closed.
        bundle.summary =
            IncidentBundleSummary::compute_with_ledger_status(&bundle, source_report.valid);
        // A hash that cannot be computed stays all-zero, which the verifier reports: fail closed.
        bundle.bundle_hash = compute_bundle_hash(&bundle).unwrap_or(Digest::GENESIS);
        bundle
    }
}

impl IncidentEvidenceBundleBuilder<'_> {
    /// The checkpoint to embed and the seq of the entry it pins, when it covers the span: it
    /// parses, the source holds that entry, and the entry is not before the span's first
    /// in-scope entry.
    fn covering_checkpoint(&self) -> Option<(&str, u64)> {
        let text = self.checkpoint.as_deref()?;
        let pinned = Checkpoint::read_unverified(text.as_bytes())
            .ok()?
            .size()
            .checked_sub(1)?;
        let entries = &self.ledger.entries;
        let first = entries
            .iter()
            .find(|e| ledger_entry_in_scope(e, &self.filter))?;
        let held = entries.iter().any(|e| e.seq == pinned);
        (held && pinned >= first.seq).then_some((text, pinned))
    }
}

/// The fields a ledger entry redacts under `policy`.
pub(crate) fn ledger_redactions(
    policy: &IncidentBundleRedactionPolicy,
) -> &'static [RedactableField] {
    if policy.redact_params_hash {
        &[RedactableField::ParamsHash]
    } else {
        &[]
    }
}

/// Whether a ledger entry is disclosed in a bundle with `filter`: not already elided, and in
/// time and extension scope.
pub(crate) fn ledger_entry_in_scope(entry: &LedgerEntry, filter: &IncidentBundleFilter) -> bool {
    !entry.is_elided() && filter.admits(entry.ts_ms, entry.extension_id.as_deref())
}

/// The covered span: from the first in-scope entry to the last (seq order) — or to the entry a
/// checkpoint pins (`pinned`), when that is later — in-scope entries disclosed (and redacted),
/// every other entry inside the span elided, so the chain from the span's anchor to its head
/// stays continuous (docs/design.md §5, §6).
fn ledger_section(
    source: &RuntimeRiskLedgerArtifact,
    filter: &IncidentBundleFilter,
    redaction: &IncidentBundleRedactionPolicy,
    pinned: Option<u64>,
    now_ms: u64,
) -> RuntimeRiskLedgerArtifact {
    let entries = &source.entries;
    let first = entries
        .iter()
        .position(|e| ledger_entry_in_scope(e, filter));
    let last_in_scope = entries
        .iter()
        .rposition(|e| ledger_entry_in_scope(e, filter));
    let pinned_at = pinned.and_then(|seq| entries.iter().position(|e| e.seq == seq));
    let last = last_in_scope
        .max(pinned_at)
        .filter(|_| last_in_scope.is_some());
    let span: &[LedgerEntry] = match (first, last) {
        (Some(f), Some(l)) => entries.get(f..=l).unwrap_or(&[]),
        _ => &[],
    };
    // The configuration in force at the span's anchor: the latest config change before it,
    // else the source header (which is the configuration at the source's anchor), so replay of
    // the bundle's ledger starts from the right knobs.
    let before = first.and_then(|f| entries.get(..f)).unwrap_or(&[]);
    let (config, hysteresis) = before
        .iter()
        .rev()
        .find_map(|e| match e.payload() {
            Some(EntryPayload::ConfigChange(c)) => Some((c.config, c.hysteresis)),
            _ => None,
        })
        .unwrap_or((source.config, source.hysteresis));
    let fields = ledger_redactions(redaction);
    let disclosed = span
        .iter()
        .map(|e| {
            if ledger_entry_in_scope(e, filter) {
                if fields.is_empty() {
                    e.clone()
                } else {
                    e.redacted(fields)
                }
            } else {
                e.elided()
            }
        })
        .collect();
    RuntimeRiskLedgerArtifact::from_entries(now_ms, config, hysteresis, disclosed)
}

fn select<T: Scoped + Clone>(
    records: &[T],
    filter: &IncidentBundleFilter,
    redact: impl Fn(&mut T),
) -> Vec<T> {
    records
        .iter()
        .filter(|t| filter.admits(t.ts_ms(), t.extension_id()))
        .map(|t| {
            let mut t = t.clone();
            redact(&mut t);
            t
        })
        .collect()
}

fn redact_if(flag: bool, field: &mut String) {
    if flag {
        REDACTED.clone_into(field);
    }
}
