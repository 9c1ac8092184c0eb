//! The features of one call and the weights that turn them into a score (DESIGN §3).
//!
//! **This file is the one place** where feature weights and capability base scores live; each
//! constant carries one line of rationale. `docs/risk-model.md` explains the table. Every feature
//! value is in `[0, 1]`; a weight may be negative (a known-safe command lowers risk).
//!
//! The score is `s = clamp01(Σ weight_i · feature_i)`, where one feature is the window mean of
//! the extension's recent scores. The clamp is a final mathematical bound only: the positive
//! weights sum to more than 1 so that several strong signals saturate at 1 instead of being
//! averaged away, and the one negative weight could take an otherwise-zero sum below 0.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::capability::Capability;
use hostguard_exec::ExecTier;

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

/// One feature of a call. The declaration order is the order of [`Evaluation::features`]
/// (crate::Evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// Where an http call goes (DESIGN §3; telemetry's `resource_target_class`). Ordered by how far
/// a request reaches (the stricter of two readings of a URL is the larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// Parameters of an http call a host may take its target from.
const URL_KEYS: [&str; 7] = [
    "url", "uri", "href", "endpoint", "base_url", "baseUrl", "host",
];

/// Classifies the target of an http call: every parameter a host may take it from (`url`,
/// `uri`, `href`, `endpoint`, `base_url` / `baseUrl`, `host`), the strictest class wins, so an
/// extension cannot show the gate `url: http://localhost/` and the host `uri: https://evil/`.
/// A non-string value, or no target at all, is `Unknown`. Never panics, never allocates.
pub fn http_target_class(params: Option<&Map<String, Value>>) -> HttpTargetClass {
    let Some(params) = params else {
        return HttpTargetClass::Unknown;
    };
    let mut class: Option<HttpTargetClass> = None;
    // An http tool call (`web_fetch`) carries its target under `input`.
    let input = params.get("input").and_then(Value::as_object);
    for source in std::iter::once(params).chain(input) {
        for key in URL_KEYS {
            let found = match source.get(key) {
                None => continue,
                Some(Value::String(url)) => classify_url(url),
                Some(_) => HttpTargetClass::Unknown,
            };
            // `Ord` follows the feature value: Loopback < Private < Public < Unknown.
            class = Some(class.map_or(found, |c| c.max(found)));
        }
    }
    class.unwrap_or(HttpTargetClass::Unknown)
}

/// Classifies one URL by its host.
///
/// URL parsers disagree on `\\`: WHATWG (browsers, many HTTP clients) reads it as `/`, so
/// `http://localhost\\@evil.example/` goes to `localhost`; RFC 3986 parsers do not, and send
/// it to `evil.example`. A URL with a backslash is classified both ways and the stricter class
/// wins, so the gate never judges the friendlier reading of a URL the host may read the other
/// way.
pub fn classify_url(url: &str) -> HttpTargetClass {
    let whatwg = classify_url_as(url, true);
    if url.contains('\\') {
        whatwg.max(classify_url_as(url, false))
    } else {
        whatwg
    }
}

fn classify_url_as(url: &str, backslash_is_slash: bool) -> HttpTargetClass {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(pos) => url.get(pos.saturating_add(3)..).unwrap_or(""),
        None => url.strip_prefix("//").unwrap_or(url),
    };
    let authority_end = if backslash_is_slash {
        rest.find(['/', '?', '#', '\\'])
    } else {
        rest.find(['/', '?', '#'])
    }
    .unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or("");
    let host_port = match authority.rfind('@') {
        Some(at) => authority.get(at.saturating_add(1)..).unwrap_or(""),
        None => authority,
    };
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let inner = bracketed.split(']').next().unwrap_or("");
        let inner = inner.split('%').next().unwrap_or(inner);
        return match inner.parse::<Ipv6Addr>() {
            Ok(addr) => classify_ipv6(addr),
            Err(_) => HttpTargetClass::Unknown,
        };
    }
    if host_port.matches(':').count() > 1 {
        // An unbracketed IPv6 literal (not valid in a URL, but a host may accept it).
        return match host_port.parse::<Ipv6Addr>() {
            Ok(addr) => classify_ipv6(addr),
            Err(_) => HttpTargetClass::Unknown,
        };
    }
    let host = host_port.split(':').next().unwrap_or("");
    let host = host.strip_suffix('.').unwrap_or(host);
    classify_host(host)
}

/// Whether a path argument is sensitive (system config, credentials) or traverses `..`.
/// Allocation-free; ASCII case-insensitive, because the default file systems of macOS and
/// Windows are (`~/.SSH/id_rsa` is `~/.ssh/id_rsa` there). The system prefixes are
/// matched on the path's components, so `//etc/shadow`, `/./etc/shadow` and
/// `file:///etc/shadow` (which the kernel or a host resolve to `/etc/shadow`) are sensitive too.
pub fn is_sensitive_path(path: &str) -> bool {
    const PREFIXES: [&[&str]; 7] = [
        &["etc"],
        &["root"],
        &["proc"],
        &["sys"],
        &["boot"],
        &["var", "run", "secrets"],
        &["run", "secrets"],
    ];
    const COMPONENTS: [&str; 8] = [
        ".ssh",
        ".aws",
        ".gnupg",
        ".kube",
        ".docker",
        ".netrc",
        ".git-credentials",
        ".pgpass",
    ];
    let path = path.trim();
    let path = match path.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("file://") => path.get(7..).unwrap_or(""),
        _ => path,
    };
    if path.starts_with('/') {
        let components = path.split('/').filter(|c| !c.is_empty() && *c != ".");
        for prefix in PREFIXES {
            let mut rest = components.clone();
            if prefix
                .iter()
                .all(|p| rest.next().is_some_and(|c| c.eq_ignore_ascii_case(p)))
            {
                return true;
            }
        }
    }
    path.split(['/', '\\']).any(|component| {
        component == ".."
            || component.eq_ignore_ascii_case(".env")
            || starts_with_ignore_case(component, ".env.")
            || starts_with_ignore_case(component, "id_rsa")
            || starts_with_ignore_case(component, "id_ed25519")
            || starts_with_ignore_case(component, "id_ecdsa")
            || COMPONENTS.iter().any(|c| component.eq_ignore_ascii_case(c))
    })
}

/// The path-like parameters of a call (a path or an array of paths under any key a host may
/// read one from), at the top level or under `input` (tool calls). One pass over the (small)
/// params map; key matching compiles to a length switch.
pub(crate) fn any_sensitive_path(params: Option<&Map<String, Value>>) -> bool {
    fn scan(map: &Map<String, Value>, nested: bool) -> bool {
        let sensitive = |value: &Value| match value {
            Value::String(path) => is_sensitive_path(path),
            Value::Array(paths) => paths
                .iter()
                .any(|p| p.as_str().is_some_and(is_sensitive_path)),
            _ => false,
        };
        map.iter().any(|(key, value)| match key.as_str() {
            "path" | "paths" | "file_path" | "file" | "files" | "filename" | "file_name"
            | "from" | "to" | "dest" | "destination" | "target" | "src" | "source" | "dir"
            | "directory" | "cwd" => sensitive(value),
            "input" if !nested => value.as_object().is_some_and(|input| scan(input, true)),
            _ => false,
        })
    }
    params.is_some_and(|params| scan(params, false))
}

fn classify_host(host: &str) -> HttpTargetClass {
    if host.is_empty() {
        return HttpTargetClass::Unknown;
    }
    const METADATA_NAMES: [&str; 3] =
        ["metadata.google.internal", "metadata.azure.com", "metadata"];
    let name = host.strip_suffix('.').unwrap_or(host);
    if METADATA_NAMES.iter().any(|m| name.eq_ignore_ascii_case(m)) {
        return HttpTargetClass::Metadata;
    }
    if host.eq_ignore_ascii_case("localhost") || ends_with_ignore_case(host, ".localhost") {
        return HttpTargetClass::Loopback;
    }
    if let Ok(addr) = host.parse::<Ipv4Addr>() {
        return classify_ipv4(addr);
    }
    let valid_name = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    let all_numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    // `0x7f000001` and friends: an address written so that string filters miss it.
    let hex_address = host.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
    if !valid_name || all_numeric || hex_address || host.starts_with('.') || host.contains("..") {
        return HttpTargetClass::Unknown;
    }
    const PRIVATE_SUFFIXES: [&str; 5] = [".local", ".internal", ".lan", ".home.arpa", ".intranet"];
    if !host.contains('.')
        || PRIVATE_SUFFIXES
            .iter()
            .any(|s| ends_with_ignore_case(host, s))
    {
        return HttpTargetClass::Private;
    }
    HttpTargetClass::Public
}

fn classify_ipv4(addr: Ipv4Addr) -> HttpTargetClass {
    let [a, b, ..] = addr.octets();
    // AWS, GCP, Azure, OpenStack, DigitalOcean… (169.254.169.254); Alibaba (100.100.100.200).
    if addr == Ipv4Addr::new(169, 254, 169, 254) || addr == Ipv4Addr::new(100, 100, 100, 200) {
        return HttpTargetClass::Metadata;
    }
    if addr.is_loopback() {
        HttpTargetClass::Loopback
    } else if addr.is_private()
        || addr.is_link_local()
        || addr.is_unspecified()
        || (a == 100 && (64..128).contains(&b))
    {
        HttpTargetClass::Private
    } else if addr.is_broadcast() || addr.is_multicast() || a == 0 || a >= 240 {
        HttpTargetClass::Unknown
    } else {
        HttpTargetClass::Public
    }
}

fn classify_ipv6(addr: Ipv6Addr) -> HttpTargetClass {
    if let Some(v4) = addr.to_ipv4_mapped() {
        return classify_ipv4(v4);
    }
    let first = addr.segments().first().copied().unwrap_or(0);
    // AWS's IPv6 instance-metadata endpoint.
    if addr == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return HttpTargetClass::Metadata;
    }
    if addr.is_loopback() {
        HttpTargetClass::Loopback
    } else if addr.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
        HttpTargetClass::Private
    } else if addr.is_multicast() {
        HttpTargetClass::Unknown
    } else {
        HttpTargetClass::Public
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len().saturating_sub(suffix.len())..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use HttpTargetClass::*;

    fn check(url: &str, expected: HttpTargetClass) {
        assert_eq!(classify_url(url), expected, "{url}");
    }

    #[test]
    fn url_classes() {
        check("http://localhost:8080/x", Loopback);
        check("http://LOCALHOST./", Loopback);
        check("http://api.localhost/", Loopback);
        check("http://127.0.0.1/", Loopback);
        check("http://127.9.9.9:1/", Loopback);
        check("http://[::1]:3000/", Loopback);
        check("http://[::ffff:127.0.0.1]/", Loopback);
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
        check("", Unknown);
        check("http://[zz]/", Unknown);
        check("http://ex ample.com/", Unknown);
        check("http://a..b/", Unknown);
        check("http://255.255.255.255/", Unknown);
        assert_eq!(http_target_class(None), Unknown);
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
    fn every_target_parameter_is_classified_and_the_strictest_wins() {
        let class = |v: serde_json::Value| http_target_class(v.as_object());
        assert_eq!(class(json!({"url": "http://localhost/"})), Loopback);
        assert_eq!(
            class(json!({"url": "http://localhost/", "uri": "https://evil.example/"})),
            Public
        );
        assert_eq!(
            class(json!({"url": "http://127.0.0.1/", "href": "https://evil.example/"})),
            Public
        );
        assert_eq!(
            class(json!({"uri": "http://10.0.0.2/", "host": "evil.example"})),
            Public
        );
        assert_eq!(
            class(json!({"url": "http://localhost/", "endpoint": 7})),
            Unknown
        );
        assert_eq!(class(json!({"url": ["https://evil.example/"]})), Unknown);
        assert_eq!(class(json!({"method": "GET"})), Unknown);
        assert_eq!(class(json!({"uri": "http://192.168.1.2/"})), Private);
        // A tool call's target is under `input`.
        assert_eq!(
            class(json!({"name": "web_fetch", "input": {"url": "http://localhost/"}})),
            Loopback
        );
        assert_eq!(
            class(json!({"name": "fetch", "input": {"url": "https://evil.example/"}})),
            Public
        );
    }

    #[test]
    fn sensitive_paths() {
        for path in [
            "/etc/passwd",
            "/etc",
            "/root/.bashrc",
            "~/.ssh/id_rsa",
            "/home/u/.aws/credentials",
            "~/.gnupg/secring.gpg",
            "project/.env",
            ".env.local",
            "../../outside",
            "src/../../x",
            "C:\\Users\\u\\.ssh\\id_ed25519",
            "/proc/self/environ",
            "//etc/shadow",
            "/./etc/shadow",
            "/.//./root/.bashrc",
            "file:///etc/shadow",
            "FILE:///etc/passwd",
            "/run/secrets/kubernetes.io/token",
        ] {
            assert!(is_sensitive_path(path), "{path}");
        }
        for path in [
            "src/main.rs",
            "/etcetera/x",
            "README.md",
            "./target/debug",
            "docs/.envoy.md",
            "environment.txt",
            "/home/u/etc/x",
            "file:///home/u/src/main.rs",
            "",
        ] {
            assert!(!is_sensitive_path(path), "{path}");
        }
    }

    #[test]
    fn sensitive_paths_match_in_any_case() {
        // macOS (APFS) and Windows file systems are case-insensitive by default: these name
        // the same files as their lowercase spellings there.
        for path in [
            "/Users/u/.SSH/id_rsa",
            "~/.Ssh/config",
            "C:\\Users\\u\\.AWS\\credentials",
            "project/.ENV",
            "project/.Env.Local",
            "keys/ID_RSA.pub",
            "/ETC/passwd",
            "/Var/Run/Secrets/token",
        ] {
            assert!(is_sensitive_path(path), "{path}");
        }
        for path in ["/ETCetera/x", "docs/.ENVOY.md", "/home/u/ETC/x"] {
            assert!(!is_sensitive_path(path), "{path}");
        }
    }

    #[test]
    fn path_parameters_are_found_at_top_level_and_under_input() {
        let sensitive = |params: Value| any_sensitive_path(params.as_object());
        for params in [
            serde_json::json!({"op": "read", "file": "/home/u/.ssh/id_rsa"}),
            serde_json::json!({"op": "read", "filename": "/home/u/.aws/credentials"}),
            serde_json::json!({"op": "read", "path": ["README.md", "/etc/shadow"]}),
            serde_json::json!({"op": "read", "paths": ["/home/u/.ssh/id_rsa"]}),
            serde_json::json!({"name": "read", "input": {"files": ["/etc/passwd"]}}),
        ] {
            assert!(sensitive(params.clone()), "{params}");
        }
        assert!(!sensitive(
            serde_json::json!({"op": "read", "paths": ["README.md", 7]})
        ));
        assert!(sensitive(
            serde_json::json!({"op": "read", "path": "/etc/shadow"})
        ));
        assert!(sensitive(
            serde_json::json!({"op": "copy", "from": "a", "to": "../b"})
        ));
        assert!(sensitive(
            serde_json::json!({"name": "read", "input": {"file_path": "~/.aws/config"}})
        ));
        assert!(!sensitive(
            serde_json::json!({"name": "read", "input": {"input": {"path": "/etc"}}})
        ));
        assert!(!sensitive(serde_json::json!({"op": "read", "path": 42})));
        assert!(!sensitive(
            serde_json::json!({"op": "read", "path": "src/lib.rs"})
        ));
        assert!(!any_sensitive_path(None));
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
