//! Quotas: how much one extension may do per second, per minute and in total (docs/design.md §2 step 4).
//!
//! [`QuotaLimits`] holds the limits (presets per [`PolicyMode`](crate::PolicyMode), in the policy module; a per-extension override in
//! [`ExtensionPolicy`](crate::ExtensionPolicy) replaces the global set for that extension).
//! [`QuotaTracker`] counts one extension's calls in bounded memory and refuses a call that would
//! exceed a limit. **A refused call is not counted**: a breach leaves the tracker unchanged, so an
//! extension that hammers a closed gate does not push its own window further out.
//!
//! # Windows
//!
//! Time is the caller's `now_ms` (no clock reads). Calls fall into aligned one-second buckets
//! `[k·1000, (k+1)·1000)`.
//! - `per_second` is a *fixed* window: the calls of the current aligned second.
//! - `per_minute`, `subprocesses`, `write_bytes` and `http_requests` are *sliding* windows of 60
//!   whole seconds: the current aligned second and the 59 before it. A call at second `k` stops
//!   counting at the start of second `k + 60`.
//! - `total` counts every accepted call since the tracker was created.
//!
//! Memory is a fixed ring of 60 second-buckets, whatever the call rate.
//!
//! A clock that goes backwards is treated as standing still: the tracker keeps the latest time it
//! has seen, so an earlier `now_ms` can neither panic, underflow nor reopen a closed window.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::capability::Capability;

/// Seconds in the sliding window.
const WINDOW_SECONDS: u64 = 60;
/// Same, as an array length.
const WINDOW_LEN: usize = 60;
/// Limits on what one extension may do. `None` means unlimited: spelled `"unlimited"` in TOML and
/// JSON, and every field is required there, so a forgotten field never lifts a limit silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuotaLimits {
    /// Calls in the current aligned second.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub per_second: Option<u64>,
    /// Calls in the sliding 60-second window.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub per_minute: Option<u64>,
    /// Calls since the tracker was created.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub total: Option<u64>,
    /// Subprocesses started (exec calls) in the sliding 60-second window.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub subprocesses: Option<u64>,
    /// Bytes written in the sliding 60-second window.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub write_bytes: Option<u64>,
    /// HTTP requests in the sliding 60-second window.
    #[serde(with = "limit_serde")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "limit_serde::schema"))]
    pub http_requests: Option<u64>,
}

impl QuotaLimits {
    /// No limit at all.
    pub const UNLIMITED: QuotaLimits = QuotaLimits {
        per_second: None,
        per_minute: None,
        total: None,
        subprocesses: None,
        write_bytes: None,
        http_requests: None,
    };
}

/// Which limit a call would have exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// [`QuotaLimits::per_second`].
    PerSecond,
    /// [`QuotaLimits::per_minute`].
    PerMinute,
    /// [`QuotaLimits::total`].
    Total,
    /// [`QuotaLimits::subprocesses`].
    Subprocesses,
    /// [`QuotaLimits::write_bytes`].
    WriteBytes,
    /// [`QuotaLimits::http_requests`].
    HttpRequests,
}

impl QuotaKind {
    /// The snake_case name, as in [`QuotaLimits`]' fields.
    pub const fn as_str(self) -> &'static str {
        match self {
            QuotaKind::PerSecond => "per_second",
            QuotaKind::PerMinute => "per_minute",
            QuotaKind::Total => "total",
            QuotaKind::Subprocesses => "subprocesses",
            QuotaKind::WriteBytes => "write_bytes",
            QuotaKind::HttpRequests => "http_requests",
        }
    }
}

impl fmt::Display for QuotaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one call costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaCharge {
    /// The call's capability.
    pub capability: Capability,
    /// Bytes the call writes.
    pub write_bytes: u64,
    /// Whether the call starts a subprocess.
    pub subprocess: bool,
    /// Whether the call is an HTTP request.
    pub http: bool,
}

impl QuotaCharge {
    /// The charge of one call of `capability`: `exec` starts a subprocess, `http` is a request,
    /// no bytes written (add them with [`QuotaCharge::with_write_bytes`]).
    pub const fn for_capability(capability: Capability) -> QuotaCharge {
        QuotaCharge {
            capability,
            write_bytes: 0,
            subprocess: matches!(capability, Capability::Exec),
            http: matches!(capability, Capability::Http),
        }
    }

    /// The same charge writing `bytes` bytes.
    pub const fn with_write_bytes(mut self, bytes: u64) -> QuotaCharge {
        self.write_bytes = bytes;
        self
    }
}

/// A refused call: which limit, the limit, and what the count would have been with this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("quota `{kind}` exceeded: `{observed}` would pass the limit `{limit}` (capability `{capability}`, at `{now_ms}` ms)")]
pub struct QuotaBreach {
    /// The limit exceeded.
    pub kind: QuotaKind,
    /// Its value.
    pub limit: u64,
    /// The count (or bytes) in the window had the call been accepted.
    pub observed: u64,
    /// The refused call's capability.
    pub capability: Capability,
    /// The time the tracker used (the latest it has seen; see the module docs).
    pub now_ms: u64,
}

/// Current usage, as [`QuotaTracker::usage`] reads it (non-destructively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuotaUsage {
    /// Calls in the current aligned second.
    pub per_second: u64,
    /// Calls in the sliding minute.
    pub per_minute: u64,
    /// Accepted calls since creation.
    pub total: u64,
    /// Subprocesses in the sliding minute.
    pub subprocesses: u64,
    /// Bytes written in the sliding minute.
    pub write_bytes: u64,
    /// HTTP requests in the sliding minute.
    pub http_requests: u64,
}

/// One extension's quota state: a fixed ring of 60 second-buckets and a lifetime total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaTracker {
    limits: QuotaLimits,
    buckets: [Bucket; WINDOW_LEN],
    total: u64,
    latest_ms: u64,
}

impl QuotaTracker {
    /// An empty tracker enforcing `limits`.
    pub fn new(limits: QuotaLimits) -> QuotaTracker {
        QuotaTracker {
            limits,
            buckets: [Bucket::EMPTY; WINDOW_LEN],
            total: 0,
            latest_ms: 0,
        }
    }

    /// The limits in force.
    pub const fn limits(&self) -> &QuotaLimits {
        &self.limits
    }

    /// Accepts and counts the call, or refuses it without counting anything.
    ///
    /// Limits are checked in a fixed order (per second, per minute, total, subprocesses, write
    /// bytes, http requests); the first one the call would exceed is reported. A call is refused
    /// when the count *including it* would exceed the limit, so a limit of `n` admits `n` calls.
    pub fn check_and_record(
        &mut self,
        now_ms: u64,
        charge: &QuotaCharge,
    ) -> Result<(), QuotaBreach> {
        // Monotonic time: a clock going backwards stands still (module docs).
        let now_ms = now_ms.max(self.latest_ms);
        self.latest_ms = now_ms;
        let second = now_ms / 1000;
        let usage = self.usage_at(second);
        let after = QuotaUsage {
            per_second: usage.per_second.saturating_add(1),
            per_minute: usage.per_minute.saturating_add(1),
            total: usage.total.saturating_add(1),
            subprocesses: usage
                .subprocesses
                .saturating_add(u64::from(charge.subprocess)),
            write_bytes: usage.write_bytes.saturating_add(charge.write_bytes),
            http_requests: usage.http_requests.saturating_add(u64::from(charge.http)),
        };
        let checks = [
            (
                QuotaKind::PerSecond,
                self.limits.per_second,
                after.per_second,
            ),
            (
                QuotaKind::PerMinute,
                self.limits.per_minute,
                after.per_minute,
            ),
            (QuotaKind::Total, self.limits.total, after.total),
            (
                QuotaKind::Subprocesses,
                self.limits.subprocesses,
                after.subprocesses,
            ),
            (
                QuotaKind::WriteBytes,
                self.limits.write_bytes,
                after.write_bytes,
            ),
            (
                QuotaKind::HttpRequests,
                self.limits.http_requests,
                after.http_requests,
            ),
        ];
        for (kind, limit, observed) in checks {
            if let Some(limit) = limit {
                if observed > limit {
                    return Err(QuotaBreach {
                        kind,
                        limit,
                        observed,
                        capability: charge.capability,
                        now_ms,
                    });
                }
            }
        }
        // INVARIANT (refused-not-counted): nothing below runs for a refused call.
        let slot = second % WINDOW_SECONDS;
        for (index, bucket) in (0u64..).zip(self.buckets.iter_mut()) {
            if index == slot {
                if !bucket.live || bucket.second != second {
                    *bucket = Bucket {
                        live: true,
                        second,
                        ..Bucket::EMPTY
                    };
                }
                bucket.calls = bucket.calls.saturating_add(1);
                bucket.subprocesses = bucket
                    .subprocesses
                    .saturating_add(u64::from(charge.subprocess));
                bucket.write_bytes = bucket.write_bytes.saturating_add(charge.write_bytes);
                bucket.http_requests = bucket.http_requests.saturating_add(u64::from(charge.http));
            }
        }
        self.total = after.total;
        Ok(())
    }

    /// Usage as of `now_ms` (an earlier time than the latest seen reads as the latest). Reading
    /// changes nothing.
    pub fn usage(&self, now_ms: u64) -> QuotaUsage {
        self.usage_at(now_ms.max(self.latest_ms) / 1000)
    }

    fn usage_at(&self, second: u64) -> QuotaUsage {
        let mut usage = QuotaUsage {
            total: self.total,
            ..QuotaUsage::default()
        };
        for bucket in &self.buckets {
            // A bucket counts when its second lies in [second − 59, second]. Buckets are
            // never in the future of `second` because time is monotonic here.
            let in_window =
                bucket.live && bucket.second <= second && second - bucket.second < WINDOW_SECONDS;
            if !in_window {
                continue;
            }
            if bucket.second == second {
                usage.per_second = usage.per_second.saturating_add(bucket.calls);
            }
            usage.per_minute = usage.per_minute.saturating_add(bucket.calls);
            usage.subprocesses = usage.subprocesses.saturating_add(bucket.subprocesses);
            usage.write_bytes = usage.write_bytes.saturating_add(bucket.write_bytes);
            usage.http_requests = usage.http_requests.saturating_add(bucket.http_requests);
        }
        usage
    }
}

/// The counts of one aligned second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    /// Whether the bucket has ever been written (second 0 is a real second).
    live: bool,
    second: u64,
    calls: u64,
    subprocesses: u64,
    write_bytes: u64,
    http_requests: u64,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        live: false,
        second: 0,
        calls: 0,
        subprocesses: 0,
        write_bytes: 0,
        http_requests: 0,
    };
}

/// Serde for a limit: a non-negative integer, or the string `"unlimited"` for `None`.
mod limit_serde {
    use std::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) const UNLIMITED: &str = "unlimited";

    /// Written by hand because the limit serializes by hand: a non-negative integer, or
    /// `unlimited` in any case (what [`deserialize`] accepts; [`serialize`] writes it lowercase).
    #[cfg(feature = "schema")]
    pub(super) fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a non-negative integer, or \"unlimited\" (any case) for no limit",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": u64::MAX },
                { "type": "string", "pattern": crate::schema::any_case(&[UNLIMITED]) }
            ]
        })
    }

    pub(super) fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_u64(*n),
            None => s.serialize_str(UNLIMITED),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(LimitVisitor)
    }

    struct LimitVisitor;

    impl Visitor<'_> for LimitVisitor {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer or \"unlimited\"")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format_args!("limit `{v}` is negative")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.eq_ignore_ascii_case(UNLIMITED) {
                Ok(None)
            } else {
                Err(E::custom(format_args!(
                    "limit `{v}` is neither a non-negative integer nor \"unlimited\""
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyMode;

    fn limits() -> QuotaLimits {
        QuotaLimits {
            per_second: Some(2),
            per_minute: Some(5),
            total: Some(100),
            subprocesses: Some(1),
            write_bytes: Some(10),
            http_requests: Some(1),
        }
    }

    /// Runs `(now_ms, charge)` calls and compares each outcome: `None` accepted, or the kind.
    fn check(calls: &[(u64, QuotaCharge)], expected: &[Option<QuotaKind>]) {
        let mut tracker = QuotaTracker::new(limits());
        let got: Vec<_> = calls
            .iter()
            .map(|(t, c)| tracker.check_and_record(*t, c).err().map(|b| b.kind))
            .collect();
        assert_eq!(got, expected, "{calls:?}");
    }

    const LOG: QuotaCharge = QuotaCharge::for_capability(Capability::Log);
    const EXEC: QuotaCharge = QuotaCharge::for_capability(Capability::Exec);
    const HTTP: QuotaCharge = QuotaCharge::for_capability(Capability::Http);

    #[test]
    fn windows() {
        use QuotaKind::*;
        check(
            &[(0, LOG), (999, LOG), (999, LOG)],
            &[None, None, Some(PerSecond)],
        );
        check(&[(0, LOG), (999, LOG), (1000, LOG)], &[None, None, None]);
        check(
            &[
                (0, LOG),
                (1, LOG),
                (1000, LOG),
                (1001, LOG),
                (2000, LOG),
                (2001, LOG),
            ],
            &[None, None, None, None, None, Some(PerMinute)],
        );
        check(
            &[
                (0, LOG),
                (1, LOG),
                (1000, LOG),
                (1001, LOG),
                (2000, LOG),
                (60_000, LOG),
            ],
            &[None, None, None, None, None, None],
        );
        check(&[(0, EXEC), (5, EXEC)], &[None, Some(Subprocesses)]);
        check(
            &[(0, HTTP), (5, HTTP), (5, LOG)],
            &[None, Some(HttpRequests), None],
        );
        check(
            &[
                (0, LOG.with_write_bytes(10)),
                (1, LOG.with_write_bytes(1)),
                (2, LOG),
            ],
            &[None, Some(WriteBytes), None],
        );
    }

    #[test]
    fn clock_going_backwards_stands_still() {
        let mut t = QuotaTracker::new(limits());
        assert_eq!(t.check_and_record(5_000, &LOG), Ok(()));
        assert_eq!(t.check_and_record(5_001, &LOG), Ok(()));
        let breach = t.check_and_record(0, &LOG).unwrap_err();
        assert_eq!((breach.kind, breach.now_ms), (QuotaKind::PerSecond, 5_001));
        assert_eq!(t.usage(0).per_second, 2);
    }

    #[test]
    fn limit_serde_round_trips() {
        let json = serde_json::to_string(&QuotaLimits::for_mode(PolicyMode::Permissive)).unwrap();
        assert!(json.contains("\"total\":\"unlimited\""), "{json}");
        let back: QuotaLimits = serde_json::from_str(&json).unwrap();
        assert_eq!(back, QuotaLimits::for_mode(PolicyMode::Permissive));
        assert!(serde_json::from_str::<QuotaLimits>(r#"{"per_second": 1}"#).is_err());
        let toml_text = "per_second = -1\nper_minute = 1\ntotal = 1\nsubprocesses = 1\nwrite_bytes = 1\nhttp_requests = 1\n";
        assert!(toml::from_str::<QuotaLimits>(toml_text).is_err());
    }
}
