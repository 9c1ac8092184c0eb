//! The features of one call and the weights that turn them into a score (docs/design.md §3).
//!
//! **This file is the one place** where feature weights and capability base scores live; each
//! constant carries one line of rationale. `docs/risk-model.md` explains the table. Every feature
//! value is in `[0, 1]`; a weight may be negative (a known-safe command lowers risk).
//!
//! The score is `s = clamp01(Σ weight_i · feature_i)`, where one feature is the window mean of
//! the extension's recent scores. The clamp is a final mathematical bound only: the positive
//! weights sum to more than 1 so that several strong signals saturate at 1 instead of being
//! averaged away, and the one negative weight could take an otherwise-zero sum below 0.

use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use hostguard_exec::{Class, Classes, ExecTier};

// ---------------------------------------------------------------------------------------------
// Weights: the contribution of a feature at value 1.
// ---------------------------------------------------------------------------------------------

/// Capability base score: what the call *could* do, before looking at its arguments.
pub const W_CAPABILITY: f64 = 0.25;
/// Exec tier from the classifier: the strongest single signal, a Critical command alone is Deny.
pub const W_EXEC_TIER: f64 = 0.56;
/// A Low-tier command (git, cargo, ls…) is routine developer work: it lowers risk.
pub const W_EXEC_SAFE: f64 = -0.10;
/// The classifier named a critical class (reverse shell, pipe-to-shell…): on top of the tier.
pub const W_EXEC_CRITICAL_CLASS: f64 = 0.05;
/// Sensitive path or `..` traversal: credentials and system config are what attackers read.
pub const W_SENSITIVE_PATH: f64 = 0.30;
/// HTTP target class: unknown > public > private > loopback.
pub const W_HTTP_TARGET: f64 = 0.15;
/// The secret broker judged the env name secret: reading it is the first half of exfiltration.
pub const W_SECRET_ENV: f64 = 0.20;
/// Calls in the last second: scripted abuse is fast, a person is not.
pub const W_BURST_1S: f64 = 0.06;
/// Calls in the last ten seconds: sustained volume.
pub const W_BURST_10S: f64 = 0.04;
/// Fraction of recent outcomes that were errors: probing fails a lot.
pub const W_ERROR_RATE: f64 = 0.10;
/// Consecutive failures: a run of denials is probing, not bad luck.
pub const W_FAILURE_STREAK: f64 = 0.08;
/// First use of a dangerous capability by this extension: new behaviour deserves a look.
pub const W_NOVELTY: f64 = 0.05;
/// Secret env or sensitive file read, then a public/unknown http call: the exfiltration shape.
pub const W_EXFILTRATION_SHAPE: f64 = 0.55;
/// Window mean of recent scores: context; a run of risky calls keeps the score up.
pub const W_WINDOW_MEAN: f64 = 0.20;

// ---------------------------------------------------------------------------------------------
// Base scores and feature scales.
// ---------------------------------------------------------------------------------------------

/// Capability base scores (feature `capability`), in `[0, 1]`.
pub const fn capability_base(capability: Capability) -> f64 {
    match capability {
        // Runs arbitrary code.
        Capability::Exec => 0.8,
        // Can read secrets.
        Capability::Env => 0.5,
        // Can move data off the machine.
        Capability::Http => 0.5,
        // Can change the workspace.
        Capability::Write => 0.3,
        // Unknown host tools: could do anything the host lets them.
        Capability::Tool => 0.3,
        // Reading is routine; sensitive paths are scored separately.
        Capability::Read => 0.1,
        // Host plumbing: little harm possible.
        Capability::Session | Capability::Ui | Capability::Events => 0.05,
        // Logging: the least harmful call there is.
        Capability::Log => 0.02,
    }
}

/// Exec tier scale (feature `exec_tier`); `None` on an exec call means "not classified" and
/// scores like Medium (unknown is not safe).
pub const fn exec_tier_value(tier: Option<ExecTier>) -> f64 {
    match tier {
        Some(ExecTier::Low) => 0.0,
        // Medium alone stays just under the e-process flag line; repeated, with context, over it.
        Some(ExecTier::Medium) | None => 0.25,
        // High alone lands in Prompt (balanced): a person decides.
        Some(ExecTier::High) => 0.85,
        // Critical alone lands in Deny (balanced).
        Some(ExecTier::Critical) => 1.0,
    }
}

/// Calls within one second at which `burst_1s` saturates at 1.
pub const BURST_1S_SATURATION: f64 = 20.0;
/// Calls within ten seconds at which `burst_10s` saturates at 1.
pub const BURST_10S_SATURATION: f64 = 60.0;
/// Consecutive failures at which `failure_streak` saturates at 1.
pub const FAILURE_STREAK_SATURATION: f64 = 5.0;

/// Number of features.
pub const FEATURE_COUNT: usize = 14;

/// One feature of a call. The declaration order is the order of [`crate::Evaluation::features`]
/// (crate::Evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Capability base score.
    Capability,
    /// Exec tier from the classifier.
    ExecTier,
    /// 1 when the exec tier is Low (weight is negative).
    ExecSafe,
    /// 1 when the classifier named a critical class.
    ExecCriticalClass,
    /// 1 when a path argument is sensitive or traverses `..`.
    SensitivePath,
    /// HTTP target class: loopback 0, private 0.4, public 0.8, unknown 1.
    HttpTarget,
    /// 1 when an env read names a secret.
    SecretEnv,
    /// Calls in the last 1 s, scaled.
    Burst1s,
    /// Calls in the last 10 s, scaled.
    Burst10s,
    /// Recent error rate.
    ErrorRate,
    /// Failure streak, scaled.
    FailureStreak,
    /// 1 on the first use of a dangerous capability.
    Novelty,
    /// 1 on the exfiltration shape.
    ExfiltrationShape,
    /// Mean of the recent scores.
    WindowMean,
}

impl Feature {
    /// Every feature, in declaration order.
    pub const ALL: [Feature; FEATURE_COUNT] = [
        Feature::Capability,
        Feature::ExecTier,
        Feature::ExecSafe,
        Feature::ExecCriticalClass,
        Feature::SensitivePath,
        Feature::HttpTarget,
        Feature::SecretEnv,
        Feature::Burst1s,
        Feature::Burst10s,
        Feature::ErrorRate,
        Feature::FailureStreak,
        Feature::Novelty,
        Feature::ExfiltrationShape,
        Feature::WindowMean,
    ];

    /// The code used in explanations and artifacts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Feature::Capability => "capability",
            Feature::ExecTier => "exec_tier",
            Feature::ExecSafe => "exec_safe",
            Feature::ExecCriticalClass => "exec_critical_class",
            Feature::SensitivePath => "sensitive_path",
            Feature::HttpTarget => "http_target",
            Feature::SecretEnv => "secret_env",
            Feature::Burst1s => "burst_1s",
            Feature::Burst10s => "burst_10s",
            Feature::ErrorRate => "error_rate",
            Feature::FailureStreak => "failure_streak",
            Feature::Novelty => "novelty",
            Feature::ExfiltrationShape => "exfiltration_shape",
            Feature::WindowMean => "window_mean",
        }
    }

    /// Position of [`Feature::as_str`] in alphabetical order: the explanation's tie-break
    /// without string comparisons (a test checks it against a sort of the codes).
    pub const fn alphabetical_rank(self) -> u8 {
        match self {
            Feature::Burst10s => 0,
            Feature::Burst1s => 1,
            Feature::Capability => 2,
            Feature::ErrorRate => 3,
            Feature::ExecCriticalClass => 4,
            Feature::ExecSafe => 5,
            Feature::ExecTier => 6,
            Feature::ExfiltrationShape => 7,
            Feature::FailureStreak => 8,
            Feature::HttpTarget => 9,
            Feature::Novelty => 10,
            Feature::SecretEnv => 11,
            Feature::SensitivePath => 12,
            Feature::WindowMean => 13,
        }
    }

    /// The weight of the feature (the constants above).
    pub const fn weight(self) -> f64 {
        match self {
            Feature::Capability => W_CAPABILITY,
            Feature::ExecTier => W_EXEC_TIER,
            Feature::ExecSafe => W_EXEC_SAFE,
            Feature::ExecCriticalClass => W_EXEC_CRITICAL_CLASS,
            Feature::SensitivePath => W_SENSITIVE_PATH,
            Feature::HttpTarget => W_HTTP_TARGET,
            Feature::SecretEnv => W_SECRET_ENV,
            Feature::Burst1s => W_BURST_1S,
            Feature::Burst10s => W_BURST_10S,
            Feature::ErrorRate => W_ERROR_RATE,
            Feature::FailureStreak => W_FAILURE_STREAK,
            Feature::Novelty => W_NOVELTY,
            Feature::ExfiltrationShape => W_EXFILTRATION_SHAPE,
            Feature::WindowMean => W_WINDOW_MEAN,
        }
    }
}

/// Where an http call goes (docs/design.md §3; telemetry's `resource_target_class`). Ordered by how far
/// a request reaches (the stricter of two readings of a URL is the larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HttpTargetClass {
    /// `localhost`, `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918, link-local, unique-local, CGNAT, single-label and `.local`/`.internal` names.
    Private,
    /// A cloud instance-metadata endpoint (`169.254.169.254`, `fd00:ec2::254`,
    /// `100.100.100.200`, `metadata.google.internal`, `metadata.azure.com`): it hands out the
    /// machine's cloud credentials, so a fetch scores like the worst target and counts as a
    /// sensitive read (it arms the exfiltration shape), though the data stays on the network.
    Metadata,
    /// Any other well-formed host.
    Public,
    /// No URL, an unparsable one, or a host that is neither a name nor an address (numeric
    /// tricks such as `http://2130706433/` land here, and score above public).
    Unknown,
}

impl HttpTargetClass {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpTargetClass::Loopback => "loopback",
            HttpTargetClass::Private => "private",
            HttpTargetClass::Metadata => "metadata",
            HttpTargetClass::Public => "public",
            HttpTargetClass::Unknown => "unknown",
        }
    }

    /// The value of feature `http_target`.
    pub const fn feature_value(self) -> f64 {
        match self {
            HttpTargetClass::Loopback => 0.0,
            HttpTargetClass::Private => 0.4,
            HttpTargetClass::Metadata => 1.0,
            HttpTargetClass::Public => 0.8,
            HttpTargetClass::Unknown => 1.0,
        }
    }

    /// Whether data sent there leaves the machine and its network (the exfiltration half).
    pub const fn leaves_network(self) -> bool {
        match self {
            HttpTargetClass::Public | HttpTargetClass::Unknown => true,
            HttpTargetClass::Loopback | HttpTargetClass::Private | HttpTargetClass::Metadata => {
                false
            }
        }
    }

    /// Whether a request there reads credentials (cloud instance metadata).
    pub const fn reads_credentials(self) -> bool {
        match self {
            HttpTargetClass::Metadata => true,
            HttpTargetClass::Loopback
            | HttpTargetClass::Private
            | HttpTargetClass::Public
            | HttpTargetClass::Unknown => false,
        }
    }
}

impl HttpTargetClass {
    /// The target class of an effect's object classes (docs/detection.md "Classes"): cloud
    /// metadata first, then a non-canonical address spelling or an unjudgeable host
    /// (`Unknown`, scored above public), public, private, loopback.
    pub const fn from_classes(c: Classes) -> HttpTargetClass {
        if c.has(Class::Metadata) {
            HttpTargetClass::Metadata
        } else if c.has(Class::Unknown) || c.has(Class::Obfuscated) {
            HttpTargetClass::Unknown
        } else if c.has(Class::Public) {
            HttpTargetClass::Public
        } else if c.has(Class::Private) {
            HttpTargetClass::Private
        } else if c.has(Class::Loopback) {
            HttpTargetClass::Loopback
        } else {
            HttpTargetClass::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostguard_exec::Catalog;
    use HttpTargetClass::*;

    fn check(url: &str, expected: HttpTargetClass) {
        let classes = Catalog::builtin()
            .ok()
            .and_then(|c| c.classify_url(url))
            .unwrap_or_default();
        assert_eq!(
            HttpTargetClass::from_classes(classes),
            expected,
            "{url}: {classes}"
        );
    }

    #[test]
    fn url_classes() {
        check("http://localhost:8080/x", Loopback);
        check("http://LOCALHOST./", Loopback);
        check("http://api.localhost/", Loopback);
        check("http://127.0.0.1/", Loopback);
        check("http://127.9.9.9:1/", Loopback);
        check("http://[::1]:3000/", Loopback);
        check("http://[::ffff:127.0.0.1]/", Unknown);
        check("http://10.0.0.5/", Private);
        check("http://192.168.1.1/", Private);
        check("http://172.16.0.1/", Private);
        check("http://169.254.169.254/latest/meta-data", Metadata);
        check("http://169.254.169.253/", Private);
        check("http://[fd00:ec2::254]/latest/meta-data/", Metadata);
        check("http://100.100.100.200/latest/meta-data", Metadata);
        check(
            "http://metadata.google.internal/computeMetadata/v1/",
            Metadata,
        );
        check("http://METADATA.google.internal./", Metadata);
        check("http://[::ffff:169.254.169.254]/", Metadata);
        check("http://100.64.0.1/", Private);
        check("http://[fd00::1]/", Private);
        check("http://[fe80::1%25eth0]/", Private);
        check("http://buildbox/", Private);
        check("http://printer.local/", Private);
        check("https://example.com/upload", Public);
        check("https://user:pw@evil.example.org:443/?q=1", Public);
        check("https://8.8.8.8/", Public);
        check("https://[2001:db8::1]/", Public);
        check("example.com/path", Public);
        check("http://2130706433/", Unknown);
        check("http://0x7f000001/", Unknown);
        check("http://0177.0.0.1/", Unknown);
        check("http:///", Unknown);
        check("http://[zz]/", Unknown);
        check("http://ex ample.com/", Unknown);
        check("http://a..b/", Unknown);
        check("http://255.255.255.255/", Unknown);
    }

    #[test]
    fn a_backslash_url_is_judged_by_its_stricter_reading() {
        check("http://localhost\\@evil.example/", Public);
        check("http://127.0.0.1\\@10.0.0.1/", Private);
        check("http://localhost\\path", Unknown);
        check("http://evil.example\\@localhost/", Public);
        check("http://localhost/a\\b", Loopback);
    }

    #[test]
    fn every_base_score_and_feature_value_is_in_unit_interval() {
        for c in Capability::ALL {
            assert!((0.0..=1.0).contains(&capability_base(c)));
        }
        for t in [
            None,
            Some(ExecTier::Low),
            Some(ExecTier::Medium),
            Some(ExecTier::High),
            Some(ExecTier::Critical),
        ] {
            assert!((0.0..=1.0).contains(&exec_tier_value(t)));
        }
        let mut codes: Vec<_> = Feature::ALL.iter().map(|f| f.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FEATURE_COUNT);
        for f in Feature::ALL {
            assert_eq!(codes[usize::from(f.alphabetical_rank())], f.as_str());
        }
    }
}
