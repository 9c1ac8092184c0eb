//! Static extension policy (docs/design.md §2 step 3): profiles, modes, capability sets, per-extension
//! overrides and the five-layer precedence.
//!
//! Precedence, first match wins:
//! 1. per-extension deny  → deny  (`extension_deny`)
//! 2. global deny         → deny  (`global_deny`)
//! 3. per-extension allow → allow (`extension_allow`)
//! 4. default caps        → allow (`default_caps`)
//! 5. mode fallback       → strict: deny, prompt: prompt, permissive: allow (`mode_fallback`);
//!    the mode is the extension's override mode if it has one, else the global mode.
//!
//! A global deny beats a per-extension allow on purpose: an operator who denies `exec` for the
//! whole host must not be overridden by one extension's entry. To grant one extension a
//! capability the profile denies, remove it from `deny_caps` and add a per-extension allow
//! (runbook Procedure 2, "add per-extension capability override").
//!
//! [`ExtensionPolicy::evaluate`] allocates nothing: capability sets are bit sets and the
//! per-extension lookup borrows the id.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::hysteresis::BandProfile;
use crate::quota::QuotaLimits;
use crate::source_text::{json_message, line_column, location};

mod file;

use file::PolicyFile;

/// The named starting points of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyProfile {
    /// Strict mode; read, write, http, session, events, ui, log allowed; exec and env denied.
    Safe,
    /// Prompt mode; the same default caps; exec and env need a person's approval.
    Standard,
    /// Every capability allowed (risk model, mediation and quotas still apply).
    Permissive,
}

impl PolicyProfile {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyProfile::Safe => "safe",
            PolicyProfile::Standard => "standard",
            PolicyProfile::Permissive => "permissive",
        }
    }

    /// Parses a profile name (case-insensitive, surrounding whitespace ignored).
    pub fn parse(name: &str) -> Option<PolicyProfile> {
        [
            PolicyProfile::Safe,
            PolicyProfile::Standard,
            PolicyProfile::Permissive,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The score-band set that follows this profile (docs/design.md §3): Safe → safe,
    /// Standard → balanced, Permissive → permissive.
    pub const fn band_profile(self) -> BandProfile {
        match self {
            PolicyProfile::Safe => BandProfile::Safe,
            PolicyProfile::Standard => BandProfile::Balanced,
            PolicyProfile::Permissive => BandProfile::Permissive,
        }
    }

    /// The mode this profile starts from.
    pub const fn mode(self) -> PolicyMode {
        match self {
            PolicyProfile::Safe => PolicyMode::Strict,
            PolicyProfile::Standard => PolicyMode::Prompt,
            PolicyProfile::Permissive => PolicyMode::Permissive,
        }
    }
}

impl fmt::Display for PolicyProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a capability no layer above the fallback decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyMode {
    /// Deny.
    Strict,
    /// Ask a person.
    Prompt,
    /// Allow.
    Permissive,
}

impl PolicyMode {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyMode::Strict => "strict",
            PolicyMode::Prompt => "prompt",
            PolicyMode::Permissive => "permissive",
        }
    }

    /// The verdict of the mode fallback layer.
    pub const fn fallback(self) -> PolicyVerdict {
        match self {
            PolicyMode::Strict => PolicyVerdict::Deny,
            PolicyMode::Prompt => PolicyVerdict::Prompt,
            PolicyMode::Permissive => PolicyVerdict::Allow,
        }
    }
}

/// A mebibyte, for the write-bytes presets.
const MIB: u64 = 1024 * 1024;

/// The global quota presets, one per mode (a per-extension override replaces them).
impl QuotaLimits {
    /// The preset of a policy mode. Stricter modes get tighter limits; even `Permissive` keeps
    /// rate limits (docs/design.md §2 step 3: "quotas still apply") and only lifts the lifetime total.
    pub const fn for_mode(mode: PolicyMode) -> QuotaLimits {
        match mode {
            PolicyMode::Strict => QuotaLimits {
                per_second: Some(10),
                per_minute: Some(300),
                total: Some(50_000),
                subprocesses: Some(16),
                write_bytes: Some(16 * MIB),
                http_requests: Some(120),
            },
            // A coding agent indexing a workspace reads well over 100 files a second in bursts
            // (fixtures/traces `read-burst-index`); the per-second cap stops a runaway loop, not
            // a burst, and the per-minute cap bounds the sustained rate at 100 calls/s.
            PolicyMode::Prompt => QuotaLimits {
                per_second: Some(250),
                per_minute: Some(6_000),
                total: Some(500_000),
                subprocesses: Some(64),
                write_bytes: Some(256 * MIB),
                http_requests: Some(1_200),
            },
            PolicyMode::Permissive => QuotaLimits {
                per_second: Some(1_000),
                per_minute: Some(30_000),
                total: None,
                subprocesses: Some(256),
                write_bytes: Some(1024 * MIB),
                http_requests: Some(6_000),
            },
        }
    }
}

impl fmt::Display for PolicyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The static policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyVerdict {
    /// Dispatch (later layers may still tighten).
    Allow,
    /// The host must ask a person.
    Prompt,
    /// Refuse; raises a `PolicyDenial` alert.
    Deny,
}

impl PolicyVerdict {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyVerdict::Allow => "allow",
            PolicyVerdict::Prompt => "prompt",
            PolicyVerdict::Deny => "deny",
        }
    }
}

impl fmt::Display for PolicyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which precedence layer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyReason {
    /// The extension's own deny list.
    ExtensionDeny,
    /// The global deny list.
    GlobalDeny,
    /// The extension's own allow list.
    ExtensionAllow,
    /// The global default capabilities.
    DefaultCaps,
    /// Nothing matched; the (extension's or global) mode decided.
    ModeFallback,
}

impl PolicyReason {
    /// The snake_case code recorded in the ledger (`policy_reason`).
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyReason::ExtensionDeny => "extension_deny",
            PolicyReason::GlobalDeny => "global_deny",
            PolicyReason::ExtensionAllow => "extension_allow",
            PolicyReason::DefaultCaps => "default_caps",
            PolicyReason::ModeFallback => "mode_fallback",
        }
    }
}

impl fmt::Display for PolicyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict and the layer that reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyDecision {
    /// Allow, prompt or deny.
    pub verdict: PolicyVerdict,
    /// Which layer decided.
    pub reason: PolicyReason,
    /// The capability evaluated.
    pub capability: Capability,
}

/// A set of capabilities, stored as a bit set. Serializes as a sorted list of names; parses
/// names case-insensitively and rejects unknown ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapabilitySet(u16);

impl CapabilitySet {
    /// No capability.
    pub const EMPTY: CapabilitySet = CapabilitySet(0);
    /// Every capability.
    pub const ALL: CapabilitySet = CapabilitySet::of(&Capability::ALL);

    /// The set of `caps`.
    pub const fn of(caps: &[Capability]) -> CapabilitySet {
        let mut bits = 0u16;
        let mut rest = caps;
        while let [first, tail @ ..] = rest {
            bits |= Self::bit(*first);
            rest = tail;
        }
        CapabilitySet(bits)
    }

    /// Whether `cap` is in the set.
    pub const fn contains(self, cap: Capability) -> bool {
        self.0 & Self::bit(cap) != 0
    }

    /// The set with `cap` added.
    pub const fn with(self, cap: Capability) -> CapabilitySet {
        CapabilitySet(self.0 | Self::bit(cap))
    }

    /// The set with `cap` removed.
    pub const fn without(self, cap: Capability) -> CapabilitySet {
        CapabilitySet(self.0 & !Self::bit(cap))
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in [`Capability::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    const fn bit(cap: Capability) -> u16 {
        1 << cap.code()
    }
}

impl FromIterator<Capability> for CapabilitySet {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(CapabilitySet::EMPTY, CapabilitySet::with)
    }
}

impl Serialize for CapabilitySet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for cap in self.iter() {
            seq.serialize_element(cap.as_str())?;
        }
        seq.end()
    }
}

/// Written by hand because the set serializes by hand: a list of capability names, each parsed
/// case-insensitively and trimmed (what [`Capability::parse`] accepts); repeats are harmless.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for CapabilitySet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CapabilitySet".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({
            "description": "capability names (exec, env, http, read, write, session, ui, events, log, tool), any case",
            "type": "array",
            "items": {
                "type": "string",
                "pattern": crate::schema::any_case_trimmed(&names)
            }
        })
    }
}

impl<'de> Deserialize<'de> for CapabilitySet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = CapabilitySet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of capability names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CapabilitySet, A::Error> {
                let mut set = CapabilitySet::EMPTY;
                while let Some(name) = seq.next_element::<String>()? {
                    let cap = Capability::parse(&name).ok_or_else(|| {
                        de::Error::custom(format_args!(
                            "unknown capability `{name}` (expected one of exec, env, http, read, write, session, ui, events, log, tool)"
                        ))
                    })?;
                    set = set.with(cap);
                }
                Ok(set)
            }
        }
        d.deserialize_seq(SetVisitor)
    }
}

/// One extension's exceptions to the global policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtensionOverride {
    /// Capabilities allowed for this extension (beaten by both deny lists).
    #[serde(default)]
    pub allow: CapabilitySet,
    /// Capabilities denied for this extension (beats everything).
    #[serde(default)]
    pub deny: CapabilitySet,
    /// This extension's fallback mode, instead of the global one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PolicyMode>,
    /// This extension's quota limits; replaces the global set as a whole (every field is spelled
    /// out, so an override never lifts a limit by omission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaLimits>,
}

impl ExtensionOverride {
    /// An override that allows `caps`.
    pub fn allowing(caps: &[Capability]) -> ExtensionOverride {
        ExtensionOverride {
            allow: CapabilitySet::of(caps),
            ..ExtensionOverride::default()
        }
    }

    /// An override that denies `caps`.
    pub fn denying(caps: &[Capability]) -> ExtensionOverride {
        ExtensionOverride {
            deny: CapabilitySet::of(caps),
            ..ExtensionOverride::default()
        }
    }
}

/// Why a policy could not be built or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A per-extension override names an empty (or all-whitespace) extension id, or one with
    /// surrounding whitespace, which no hostcall could ever match.
    #[error("per-extension override has invalid extension id `{id}` (must be non-empty, without surrounding whitespace)")]
    InvalidExtensionId {
        /// The id as given.
        id: String,
    },
    /// The policy text is not valid TOML/JSON or does not have the policy's shape.
    #[error("malformed policy {format}{}: {message}", location(.line, .column))]
    Malformed {
        /// `toml` or `json`.
        format: &'static str,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// 1-based column, when the parser knows it.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
}

/// The static policy: mode, global capability sets, global quota and per-extension overrides.
///
/// Every value of this type is valid (fields are private, constructors check); see the module
/// docs for the precedence [`ExtensionPolicy::evaluate`] applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "PolicyFile")]
pub struct ExtensionPolicy {
    profile: PolicyProfile,
    mode: PolicyMode,
    default_caps: CapabilitySet,
    deny_caps: CapabilitySet,
    quota: QuotaLimits,
    per_extension: BTreeMap<String, ExtensionOverride>,
}

impl ExtensionPolicy {
    /// The policy of a profile (docs/design.md §2 step 3).
    ///
    /// - Safe: strict mode; default caps read, write, http, session, events, ui, log; exec and
    ///   env on the global deny list (so a per-extension allow cannot re-open them).
    /// - Standard: prompt mode; the same default caps; exec and env fall through to the prompt
    ///   fallback, i.e. need a person's approval.
    /// - Permissive: permissive mode; every capability in the default caps.
    ///
    /// `tool` is in no profile's default caps: under Safe it is denied, under Standard prompted.
    /// The global quota is [`QuotaLimits::for_mode`] of the profile's mode.
    pub fn from_profile(profile: PolicyProfile) -> ExtensionPolicy {
        const DEFAULT_CAPS: CapabilitySet = CapabilitySet::of(&[
            Capability::Read,
            Capability::Write,
            Capability::Http,
            Capability::Session,
            Capability::Events,
            Capability::Ui,
            Capability::Log,
        ]);
        let (default_caps, deny_caps) = match profile {
            PolicyProfile::Safe => (
                DEFAULT_CAPS,
                CapabilitySet::of(&[Capability::Exec, Capability::Env]),
            ),
            PolicyProfile::Standard => (DEFAULT_CAPS, CapabilitySet::EMPTY),
            PolicyProfile::Permissive => (CapabilitySet::ALL, CapabilitySet::EMPTY),
        };
        let mode = profile.mode();
        ExtensionPolicy {
            profile,
            mode,
            default_caps,
            deny_caps,
            quota: QuotaLimits::for_mode(mode),
            per_extension: BTreeMap::new(),
        }
    }

    /// Parses a policy from TOML (see [`ExtensionPolicy::from_json_str`] for the shape).
    pub fn from_toml_str(text: &str) -> Result<ExtensionPolicy, PolicyError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(text, span.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            PolicyError::Malformed {
                format: "toml",
                line,
                column,
                message: e.message().trim().replace('\n', "; "),
            }
        })
    }

    /// Parses a policy from JSON. Shape: `profile` (required: safe | standard | permissive) and
    /// optionally `mode`, `default_caps`, `deny_caps`, `quota` (each replaces the profile's) and
    /// `per_extension` (a map from extension id to `{ allow, deny, mode, quota }`). Unknown keys
    /// are errors.
    pub fn from_json_str(text: &str) -> Result<ExtensionPolicy, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::Malformed {
            format: "json",
            line: Some(e.line()),
            column: Some(e.column()),
            message: json_message(&e),
        })
    }

    /// The same policy with `mode` as the global fallback.
    pub fn with_mode(mut self, mode: PolicyMode) -> ExtensionPolicy {
        self.mode = mode;
        self
    }

    /// The same policy with `caps` as the global default caps.
    pub fn with_default_caps(mut self, caps: CapabilitySet) -> ExtensionPolicy {
        self.default_caps = caps;
        self
    }

    /// The same policy with `caps` as the global deny list.
    pub fn with_deny_caps(mut self, caps: CapabilitySet) -> ExtensionPolicy {
        self.deny_caps = caps;
        self
    }

    /// The same policy with `quota` as the global quota.
    pub fn with_quota(mut self, quota: QuotaLimits) -> ExtensionPolicy {
        self.quota = quota;
        self
    }

    /// The same policy with `over` for `extension_id` (replacing any earlier override for it).
    pub fn with_extension_override(
        mut self,
        extension_id: impl Into<String>,
        over: ExtensionOverride,
    ) -> Result<ExtensionPolicy, PolicyError> {
        let id = valid_extension_id(extension_id.into())?;
        self.per_extension.insert(id, over);
        Ok(self)
    }

    /// The profile this policy started from (it chooses the score-band set, docs/design.md §3).
    pub const fn profile(&self) -> PolicyProfile {
        self.profile
    }

    /// The global fallback mode.
    pub const fn mode(&self) -> PolicyMode {
        self.mode
    }

    /// The global default caps.
    pub const fn default_caps(&self) -> CapabilitySet {
        self.default_caps
    }

    /// The global deny list.
    pub const fn deny_caps(&self) -> CapabilitySet {
        self.deny_caps
    }

    /// The global quota.
    pub const fn quota(&self) -> &QuotaLimits {
        &self.quota
    }

    /// The per-extension overrides, by extension id.
    pub const fn per_extension(&self) -> &BTreeMap<String, ExtensionOverride> {
        &self.per_extension
    }

    /// The quota limits of `extension_id`: its override's if it has one, else the global set.
    pub fn quota_limits_for(&self, extension_id: &str) -> &QuotaLimits {
        self.per_extension
            .get(extension_id)
            .and_then(|o| o.quota.as_ref())
            .unwrap_or(&self.quota)
    }

    /// Decides `capability` for `extension_id` by the five-layer precedence (module docs).
    /// Allocation-free.
    ///
    /// ```
    /// use hostguard_risk_core::{
    ///     Capability, ExtensionOverride, ExtensionPolicy, PolicyProfile, PolicyReason, PolicyVerdict,
    /// };
    ///
    /// let policy = ExtensionPolicy::from_profile(PolicyProfile::Standard)
    ///     .with_extension_override("indexer", ExtensionOverride::allowing(&[Capability::Exec]))?;
    /// let d = policy.evaluate("indexer", Capability::Exec);
    /// assert_eq!((d.verdict, d.reason), (PolicyVerdict::Allow, PolicyReason::ExtensionAllow));
    /// let d = policy.evaluate("other", Capability::Exec);
    /// assert_eq!((d.verdict, d.reason.as_str()), (PolicyVerdict::Prompt, "mode_fallback"));
    /// # Ok::<(), hostguard_risk_core::PolicyError>(())
    /// ```
    pub fn evaluate(&self, extension_id: &str, capability: Capability) -> PolicyDecision {
        let over = self.per_extension.get(extension_id);
        let decide = |verdict, reason| PolicyDecision {
            verdict,
            reason,
            capability,
        };
        if over.is_some_and(|o| o.deny.contains(capability)) {
            return decide(PolicyVerdict::Deny, PolicyReason::ExtensionDeny);
        }
        if self.deny_caps.contains(capability) {
            return decide(PolicyVerdict::Deny, PolicyReason::GlobalDeny);
        }
        if over.is_some_and(|o| o.allow.contains(capability)) {
            return decide(PolicyVerdict::Allow, PolicyReason::ExtensionAllow);
        }
        if self.default_caps.contains(capability) {
            return decide(PolicyVerdict::Allow, PolicyReason::DefaultCaps);
        }
        let mode = over.and_then(|o| o.mode).unwrap_or(self.mode);
        decide(mode.fallback(), PolicyReason::ModeFallback)
    }
}

impl Default for ExtensionPolicy {
    /// The Safe profile: a host that configures nothing gets the strictest policy.
    fn default() -> Self {
        ExtensionPolicy::from_profile(PolicyProfile::Safe)
    }
}

fn valid_extension_id(id: String) -> Result<String, PolicyError> {
    if id.is_empty() || id.trim() != id {
        Err(PolicyError::InvalidExtensionId { id })
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests;
