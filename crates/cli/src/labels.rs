//! Trace labels (`hostguard.trace_labels.v1`, docs/event-format.md "Labels") and the
//! detection judgement over verdicts: false positives and false negatives (docs/design.md §10).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::drive::VerdictLine;
use crate::error::{read_json_file, CliError, CliResult};

/// The labels schema.
pub const TRACE_LABELS_SCHEMA: &str = "hostguard.trace_labels.v1";

/// Whether an extension or trace is benign or malicious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Does what a user wants.
    Benign,
    /// Attacks the host or its user.
    Malicious,
}

/// A trace's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TraceLabels {
    /// Always [`TRACE_LABELS_SCHEMA`].
    #[cfg_attr(feature = "schema", schemars(extend("const" = TRACE_LABELS_SCHEMA)))]
    pub schema: String,
    /// The trace's name.
    pub trace: String,
    /// The trace's kind.
    pub kind: Label,
    /// What happens in it.
    pub description: String,
    /// Every extension of the trace, labelled.
    pub extensions: BTreeMap<String, Label>,
    /// The calls that do the harm (each once).
    #[cfg_attr(feature = "schema", schemars(extend("uniqueItems" = true)))]
    pub harmful_call_ids: Vec<String>,
}

impl TraceLabels {
    /// Reads and checks a labels file.
    pub fn read(file: &Path) -> CliResult<TraceLabels> {
        let labels: TraceLabels =
            read_json_file(file, "trace labels (`hostguard.trace_labels.v1`)")?;
        if labels.schema != TRACE_LABELS_SCHEMA {
            return Err(CliError::input(format!(
                "{}: expected `schema` `{TRACE_LABELS_SCHEMA}`, found `{}`",
                file.display(),
                labels.schema
            )));
        }
        let problem = |what: &str| {
            Err(CliError::input(format!(
                "{}: labels under which nothing could be judged: {what}",
                file.display()
            )))
        };
        let malicious = labels.extensions.values().any(|l| *l == Label::Malicious);
        let distinct: BTreeSet<&String> = labels.harmful_call_ids.iter().collect();
        if distinct.len() != labels.harmful_call_ids.len() {
            return problem("a call is listed twice in `harmful_call_ids`");
        }
        match labels.kind {
            Label::Malicious if labels.harmful_call_ids.is_empty() => problem(
                "a malicious trace must name its harmful calls (`harmful_call_ids` is empty)",
            ),
            Label::Malicious if !malicious => {
                problem("a malicious trace must label at least one extension `malicious`")
            }
            Label::Benign if malicious || !labels.harmful_call_ids.is_empty() => {
                problem("a benign trace has no malicious extension and no harmful call")
            }
            _ => Ok(labels),
        }
    }
}

/// Detection counts of one run against labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Detection {
    /// Blocked calls of benign extensions (call ids).
    pub false_positives: Vec<String>,
    /// Harmful calls that were not blocked (call ids).
    pub false_negatives: Vec<String>,
    /// Harmful calls blocked.
    pub harmful_blocked: usize,
    /// Harmful calls in the labels.
    pub harmful_total: usize,
    /// Calls of benign extensions.
    pub benign_calls: usize,
    /// Calls of extensions the labels do not name (judged neither way).
    pub unlabelled_calls: usize,
}

/// Judges verdicts against labels, one verdict at a time (constant memory beyond the labels).
#[derive(Debug, Clone)]
pub struct Judge {
    benign: BTreeSet<String>,
    harmful: BTreeSet<String>,
    labelled: BTreeSet<String>,
    seen_harmful: BTreeSet<String>,
    seen_labelled: bool,
    /// The counts so far.
    pub detection: Detection,
}

impl Judge {
    /// A judge for `labels`.
    pub fn new(labels: &TraceLabels) -> Judge {
        Judge {
            benign: labels
                .extensions
                .iter()
                .filter(|(_, l)| **l == Label::Benign)
                .map(|(id, _)| id.clone())
                .collect(),
            harmful: labels.harmful_call_ids.iter().cloned().collect(),
            labelled: labels.extensions.keys().cloned().collect(),
            seen_harmful: BTreeSet::new(),
            seen_labelled: false,
            detection: Detection {
                harmful_total: labels.harmful_call_ids.len(),
                ..Detection::default()
            },
        }
    }

    /// Judges one verdict.
    pub fn observe(&mut self, v: &VerdictLine) {
        if self.labelled.contains(&v.extension_id) {
            self.seen_labelled = true;
        } else {
            self.detection.unlabelled_calls += 1;
        }
        if self.benign.contains(&v.extension_id) {
            self.detection.benign_calls += 1;
            if v.blocked {
                self.detection.false_positives.push(v.call_id.clone());
            }
        }
        if self.harmful.contains(&v.call_id) {
            self.seen_harmful.insert(v.call_id.clone());
            if v.blocked {
                self.detection.harmful_blocked += 1;
            } else {
                self.detection.false_negatives.push(v.call_id.clone());
            }
        }
    }

    /// The harmful call ids of the labels the stream has not made (so far).
    pub fn absent_harmful(&self) -> Vec<String> {
        self.harmful
            .difference(&self.seen_harmful)
            .cloned()
            .collect()
    }

    /// Whether a call of an extension the labels name has been seen.
    pub fn saw_a_labelled_extension(&self) -> bool {
        self.seen_labelled
    }

    /// The counts; a harmful call the stream never made is a false negative too (the labels
    /// and the trace disagree, and a judge must not pass what it did not see).
    pub fn finish(mut self) -> Detection {
        for id in self.harmful.difference(&self.seen_harmful) {
            self.detection.false_negatives.push(id.clone());
        }
        self.detection
    }
}
