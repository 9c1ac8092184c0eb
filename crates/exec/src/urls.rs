//! URL and host classes: where a request goes (loopback, private, public, unknown, cloud
//! instance metadata) and what kind of service it is (paste / webhook drop, tunnel relay,
//! DNS-over-HTTPS), parsed with the `url` crate (WHATWG rules, so every spelling of an IPv4
//! address — decimal, hex, octal, short forms — reads as the address it is) and judged with the
//! host tables of `rules/classes.toml`.
//!
//! A host written in a spelling other than its canonical one (`http://2852039166/`,
//! `http://0xA9FEA9FE/`, `[::ffff:169.254.169.254]`) is also [`Class::Obfuscated`]; one that
//! cannot be parsed is [`Class::Unknown`]. A URL or DNS name that carries an encoded payload
//! (a long opaque query value, path segment or label) is also [`Class::Data`].

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::classes::{Class, Classes};

/// Longest URL that is parsed; a longer one is [`Class::Unknown`] and [`Class::Data`].
pub const MAX_URL_BYTES: usize = 8192;

/// One host rule: hosts (and optional path prefixes) and addresses of a class.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostRule {
    pub class: Classes,
    pub names: Vec<HostName>,
    pub addresses: Vec<IpAddr>,
}

/// A host name pattern: `example.com`, `*.example.com` (the name and every subdomain), with an
/// optional path prefix (`discord.com/api/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostName {
    pub host: String,
    pub subdomains: bool,
    pub path: Option<String>,
}

impl HostName {
    /// Parses `*.example.com/path` (lower-cased).
    pub(crate) fn parse(text: &str) -> Option<HostName> {
        let text = text.trim().to_ascii_lowercase();
        let (host, path) = match text.split_once('/') {
            Some((h, p)) => (h.to_owned(), Some(format!("/{p}"))),
            None => (text, None),
        };
        let (host, subdomains) = match host.strip_prefix("*.") {
            Some(h) => (h.to_owned(), true),
            None => (host, false),
        };
        (!host.is_empty()).then_some(HostName {
            host,
            subdomains,
            path,
        })
    }

    fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = host == self.host
            || (self.subdomains
                && host
                    .strip_suffix(self.host.as_str())
                    .is_some_and(|p| p.ends_with('.')));
        host_ok
            && self
                .path
                .as_deref()
                .is_none_or(|prefix| path.to_ascii_lowercase().starts_with(prefix))
    }
}

/// The host tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostTable {
    pub rules: Vec<HostRule>,
    /// Host name → the (rule, name) pairs naming it ([`HostTable::index`]).
    by_host: HashMap<String, Vec<(usize, usize)>>,
}

impl HostTable {
    /// The classes of a URL; `None` when it names nothing on a network (`file:`, `data:`, no
    /// host at all). A URL with a backslash is judged by both readings — a WHATWG parser's
    /// (`\` is `/`) and a literal one's (curl's) — and holds the classes of both, so
    /// `http://localhost\@evil.example/` leaves the network.
    #[cfg(test)]
    pub(crate) fn classify_url(&self, raw: &str) -> Option<Classes> {
        self.classify_url_in(raw, &|_| Classes::EMPTY)
    }

    /// [`HostTable::classify_url`], plus `kind(PATH)`: the classes of the file the URL's path
    /// names (a script, an archive), judged by the caller's path table.
    pub(crate) fn classify_url_in(
        &self,
        raw: &str,
        kind: &dyn Fn(&str) -> Classes,
    ) -> Option<Classes> {
        let raw = raw.trim();
        if raw.contains('\\') {
            let literal = self.classify_one(&raw.replace('\\', "%5C"), kind);
            let whatwg = self.classify_one(raw, kind);
            return match (whatwg, literal) {
                (Some(a), Some(b)) => Some(with_egress(a.with(b))),
                (a, b) => a.or(b),
            };
        }
        self.classify_one(raw, kind)
    }

    fn classify_one(&self, raw: &str, kind: &dyn Fn(&str) -> Classes) -> Option<Classes> {
        if raw.len() > MAX_URL_BYTES {
            return Some(Classes::of(&[Class::Unknown, Class::Egress, Class::Data]));
        }
        let lower_scheme = raw
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(
            lower_scheme.as_str(),
            "file" | "data" | "about" | "javascript"
        ) {
            return None;
        }
        if CLOUD_STORAGE_SCHEMES.contains(&lower_scheme.as_str()) {
            // A bucket name is not a host: the data goes to the provider's cloud.
            return Some(Classes::of(&[Class::Public, Class::Egress]));
        }
        // A zone id (`[fe80::1%25eth0]`) names an interface, not a host: drop it.
        let unzoned = strip_zone(raw);
        let raw = unzoned.as_deref().unwrap_or(raw);
        let parsed = Url::parse(raw)
            .ok()
            .filter(|u| u.host().is_some())
            .or_else(|| {
                (!raw.contains("://"))
                    .then(|| Url::parse(&format!("http://{raw}")).ok())
                    .flatten()
            });
        let Some(url) = parsed else {
            return raw
                .contains("://")
                .then_some(Classes::of(&[Class::Unknown, Class::Egress]));
        };
        let mut classes = match url.host() {
            Some(Host::Domain(d)) => self.domain(d, url.path()),
            Some(Host::Ipv4(a)) => self.address(IpAddr::V4(a)).plus(Class::IpLiteral),
            Some(Host::Ipv6(a)) => self.address(IpAddr::V6(a)).plus(Class::IpLiteral),
            None => Classes::of(&[Class::Unknown]),
        };
        let canonical = url.host_str().unwrap_or_default().trim_end_matches('.');
        if raw_host(raw).is_some_and(|h| !h.eq_ignore_ascii_case(canonical)) {
            classes = classes.plus(Class::Obfuscated);
        }
        if is_doh_query(&url) {
            classes = classes.plus(Class::DnsOverHttps);
        }
        if url_carries_data(&url) {
            classes = classes.plus(Class::Data);
        }
        // The file the path names, as the server reads it: percent-escapes decoded, a
        // trailing `/` ignored (`/x.s%68/` names `x.sh`).
        let path = decoded(url.path());
        let path = path.trim_end_matches('/');
        if names_binary(path) {
            classes = classes.plus(Class::Binary);
        }
        classes = classes.with(kind(path));
        Some(with_egress(classes))
    }

    /// The classes of a bare host (`nc HOST 4444`, `ssh user@HOST`, `dig HOST`): a name or an
    /// address, read as a URL's host would be.
    pub(crate) fn classify_host(&self, host: &str) -> Classes {
        let host = host.trim().trim_end_matches('.');
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let bracketed = host.starts_with('[');
        let authority = if bracketed || host.matches(':').count() <= 1 {
            host.to_owned()
        } else {
            format!("[{host}]")
        };
        self.classify_url_in(&format!("http://{authority}/"), &|_| Classes::EMPTY)
            .map(|c| c.minus(Class::Data))
            .unwrap_or(Classes::of(&[Class::Unknown, Class::Egress]))
    }

    /// Indexes the rules' names by host (after loading).
    pub(crate) fn index(&mut self) {
        let mut by_host: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (r, rule) in self.rules.iter().enumerate() {
            for (n, name) in rule.names.iter().enumerate() {
                by_host.entry(name.host.clone()).or_default().push((r, n));
            }
        }
        self.by_host = by_host;
    }

    fn domain(&self, domain: &str, path: &str) -> Classes {
        let d = domain.trim_end_matches('.').to_ascii_lowercase();
        if d.split('.').any(str::is_empty) {
            // `a..b`: no resolver agrees on what that names.
            return Classes::of(&[Class::Unknown]);
        }
        // The names that can match: the host itself and every parent domain (`*.x.com`).
        let parents = std::iter::once(d.as_str())
            .chain(d.match_indices('.').filter_map(|(i, _)| d.get(i + 1..)));
        let mut classes = Classes::EMPTY;
        for suffix in parents {
            for &(r, n) in self.by_host.get(suffix).into_iter().flatten() {
                let Some(rule) = self.rules.get(r) else {
                    continue;
                };
                if rule.names.get(n).is_some_and(|name| name.matches(&d, path)) {
                    classes = classes.with(rule.class);
                }
            }
        }
        if classes.has(Class::Metadata) {
            return classes;
        }
        let base = if d == "localhost" || d.ends_with(".localhost") {
            Class::Loopback
        } else if !d.contains('.') || PRIVATE_SUFFIXES.iter().any(|s| d.ends_with(s)) {
            Class::Private
        } else if d.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            // Dotted digits the parser did not take as an address (`1.2.3.4.5`).
            Class::Unknown
        } else {
            Class::Public
        };
        classes.plus(base)
    }

    fn address(&self, addr: IpAddr) -> Classes {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        let mut classes = Classes::EMPTY;
        for rule in &self.rules {
            if rule.addresses.contains(&addr) {
                classes = classes.with(rule.class);
            }
        }
        if classes.has(Class::Metadata) {
            return classes;
        }
        let base = match addr {
            IpAddr::V4(a) => ipv4_class(a),
            IpAddr::V6(a) => ipv6_class(a),
        };
        classes.plus(base)
    }
}

/// Schemes of cloud object stores (`s3://bucket/key`).
const CLOUD_STORAGE_SCHEMES: &[&str] = &[
    "s3", "s3a", "s3n", "gs", "gcs", "az", "abfs", "abfss", "wasb", "wasbs", "r2", "b2", "oss",
    "cos", "swift", "hdfs",
];

/// Name suffixes of hosts on the local network.
const PRIVATE_SUFFIXES: &[&str] = &[
    ".local",
    ".internal",
    ".lan",
    ".home.arpa",
    ".intranet",
    ".localdomain",
    ".corp",
    ".svc",
    ".cluster.local",
];

fn with_egress(classes: Classes) -> Classes {
    if classes.has(Class::Public) || classes.has(Class::Unknown) {
        classes.plus(Class::Egress)
    } else {
        classes
    }
}

fn ipv4_class(a: Ipv4Addr) -> Class {
    let [o0, o1, ..] = a.octets();
    if a.is_loopback() {
        Class::Loopback
    } else if a.is_private() || a.is_link_local() || (o0 == 100 && (64..128).contains(&o1)) {
        Class::Private
    } else if a.is_unspecified() || a.is_broadcast() || a.is_multicast() || o0 == 0 || o0 >= 240 {
        Class::Unknown
    } else {
        Class::Public
    }
}

fn ipv6_class(a: Ipv6Addr) -> Class {
    let first = a.segments().first().copied().unwrap_or(0);
    if a.is_loopback() {
        Class::Loopback
    } else if a.is_unspecified() || a.is_multicast() {
        Class::Unknown
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
        Class::Private
    } else {
        Class::Public
    }
}

/// `raw` without the zone id of a bracketed IPv6 host, when it has one.
fn strip_zone(raw: &str) -> Option<String> {
    let open = raw.find('[')?;
    let close = open + raw.get(open..)?.find(']')?;
    let zone = open + raw.get(open..close)?.find('%')?;
    Some(format!("{}{}", raw.get(..zone)?, raw.get(close..)?))
}

/// The host as written in `raw` (after the scheme, userinfo and port removed), if any.
fn raw_host(raw: &str) -> Option<&str> {
    let after = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = after.split(['/', '?', '#', '\\']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.find(']').and_then(|end| host.get(..=end))?
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        }
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then_some(host)
}

/// `path` with its ASCII percent-escapes decoded (others kept as written).
fn decoded(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let hex = rest
            .get(at + 1..at + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex.filter(u8::is_ascii) {
            Some(b) => {
                out.push(char::from(b));
                rest = rest.get(at + 3..).unwrap_or("");
            }
            None => {
                out.push('%');
                rest = rest.get(at + 1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a URL path's last segment names a native executable or library: a binary
/// extension, or an OS-and-architecture suffix of a release asset (`tool-linux-x64`).
pub(crate) fn names_binary(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    const EXTENSIONS: &[&str] = &[
        ".so",
        ".dylib",
        ".dll",
        ".exe",
        ".bin",
        ".elf",
        ".appimage",
        ".msi",
        ".dmg",
        ".pkg",
        ".deb",
        ".rpm",
        ".apk",
        ".run",
        ".scr",
    ];
    const PLATFORMS: &[&str] = &[
        "linux-x64",
        "linux-amd64",
        "linux-x86_64",
        "linux-arm64",
        "linux-aarch64",
        "x86_64-linux",
        "x86_64-unknown-linux",
        "aarch64-unknown-linux",
        "darwin-arm64",
        "darwin-amd64",
        "darwin-x64",
        "macos-arm64",
        "macos-x64",
        "apple-darwin",
        "win64",
        "windows-amd64",
    ];
    const ARCH_SUFFIXES: &[&str] = &[
        "-x86_64", "_x86_64", "-amd64", "_amd64", "-arm64", "_arm64", "-aarch64", "_aarch64",
        "-x64",
    ];
    EXTENSIONS.iter().any(|e| last.ends_with(e))
        || last.contains(".so.")
        || PLATFORMS.iter().any(|p| last.contains(p))
        || ARCH_SUFFIXES.iter().any(|a| last.ends_with(a))
}

/// A DNS-over-HTTPS query: `/dns-query` or `/resolve` with a `name` or `dns` parameter.
fn is_doh_query(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    (path.ends_with("/dns-query") || path.ends_with("/resolve"))
        && url.query_pairs().any(|(k, _)| k == "name" || k == "dns")
}

/// Whether a URL carries an encoded payload: a long opaque query value or path segment, or a
/// DNS-over-HTTPS name whose labels carry one.
fn url_carries_data(url: &Url) -> bool {
    let query = url.query_pairs().any(|(k, v)| {
        looks_encoded(&v, 20) || (k == "name" && name_carries_data(&v)) || v.len() > 512
    });
    let path = url
        .path_segments()
        .is_some_and(|mut s| s.any(|seg| looks_encoded(seg, 40)));
    query || path
}

/// Whether a DNS name carries data in its labels: a long opaque label, or an unusually long
/// name (the classic DNS-tunnel shapes: base32 / hex chunks under an attacker's zone).
pub(crate) fn name_carries_data(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.len() > 100
        || name.contains(crate::lex::SUB_MARK)
        || name.contains("$(")
        || name.contains('`')
        || name.split('.').any(|label| looks_encoded(label, 16))
}

/// An opaque token of at least `min` chars: only base64 / base32 / hex characters, with both
/// letters and digits, or upper-case base32.
fn looks_encoded(token: &str, min: usize) -> bool {
    if token.len() < min {
        return false;
    }
    let charset = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'%'));
    if !charset {
        return false;
    }
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let letters = token.bytes().filter(u8::is_ascii_alphabetic).count();
    let separators = token.bytes().filter(|b| matches!(b, b'-' | b'_')).count();
    // Words joined by dashes (`my-feature-branch-name`) are not a payload.
    if separators * 8 > token.len() {
        return false;
    }
    let base32 = token
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'=');
    // base64: the case flips every few characters (words in CamelCase flip once a word).
    let flips = token
        .as_bytes()
        .windows(2)
        .filter(|w| matches!(w, [a, b] if a.is_ascii_lowercase() != b.is_ascii_lowercase() && a.is_ascii_alphabetic() && b.is_ascii_alphabetic()))
        .count();
    (digits >= 2 && letters >= 2) || (base32 && letters >= min) || flips * 4 >= token.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> HostTable {
        let mut t = HostTable {
            by_host: HashMap::new(),
            rules: vec![HostRule {
                class: Classes::of(&[Class::Metadata]),
                names: vec![
                    HostName::parse("metadata.google.internal").unwrap_or_else(|| HostName {
                        host: String::new(),
                        subdomains: false,
                        path: None,
                    }),
                ],
                addresses: vec![IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))],
            }],
        };
        t.index();
        t
    }

    #[test]
    fn every_spelling_of_the_metadata_address_is_metadata() {
        let t = table();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/latest/",
            "http://0xA9FEA9FE/",
            "http://0xa9.0xfe.0xa9.0xfe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./",
            "169.254.169.254/latest",
        ] {
            let c = t.classify_url(url);
            assert!(c.is_some_and(|c| c.has(Class::Metadata)), "{url}: {c:?}");
        }
        let c = t.classify_url("http://2852039166/").unwrap_or_default();
        assert!(c.has(Class::Obfuscated));
        let c = t
            .classify_url("http://169.254.169.254/")
            .unwrap_or_default();
        assert!(!c.has(Class::Obfuscated));
    }

    #[test]
    fn targets() {
        let t = table();
        let has = |url: &str, class: Class| t.classify_url(url).is_some_and(|c| c.has(class));
        assert!(has("http://localhost:8080/api", Class::Loopback));
        assert!(has("http://127.0.0.1/", Class::Loopback));
        assert!(has("http://10.0.0.2/x", Class::Private));
        assert!(has("https://example.com/", Class::Public));
        assert!(has("https://example.com/", Class::Egress));
        assert!(!has("http://localhost/", Class::Egress));
        assert!(has("http://2130706433/", Class::Loopback));
        assert!(has("http://2130706433/", Class::Obfuscated));
        assert!(has("http://[fe80::1]/", Class::Private));
        assert!(has("http://host.internal/", Class::Private));
        assert!(t.classify_url("file:///etc/passwd").is_none());
        assert!(has(
            "https://cdn.example.org/p.gif?d=ewoJImF1dGhzIjogewoJCSJnaGNy",
            Class::Data
        ));
        assert!(!has("https://example.com/search?q=rust+async", Class::Data));
        assert!(has(
            "https://dns.google/resolve?name=QUtJQUlPU0ZPRE5ON0VYQU1QTEU.t.example.net&type=TXT",
            Class::DnsOverHttps
        ));
        assert!(t.classify_host("203.0.113.7").has(Class::Public));
        assert!(t.classify_host("user@10.0.4.13").has(Class::Private));
        assert!(t.classify_host("fd00::1").has(Class::Private));
    }

    #[test]
    fn dns_names_with_data() {
        assert!(name_carries_data(
            "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U.0.x.c2.example.net"
        ));
        assert!(name_carries_data(
            "ORSXG5BAMRQXIYJAONSWG4TFOQ.1.x.example.net"
        ));
        assert!(!name_carries_data("registry.npmjs.org"));
        assert!(!name_carries_data("d3f2ab1c.cloudfront.net"));
        assert!(!name_carries_data(
            "my-long-service-name-prod.eu-west-1.elb.amazonaws.com"
        ));
    }
}
