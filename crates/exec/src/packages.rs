//! Package names that imitate well-known ones (typosquats): per ecosystem, the popular names
//! and the squats seen in the wild (`rules/packages.toml`). A name is a look-alike when it is a
//! known squat, or one edit (insert, delete, replace, swap two neighbours) away from a popular
//! name of its ecosystem — or the same once separators are ignored — without being popular
//! itself. `npm install crossenv` (for `cross-env`), `pip install reqeusts`, `cargo add
//! serde_jsom`.

/// One ecosystem's names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ecosystem {
    /// Its name (`npm`, `pypi`, `crates`).
    pub name: String,
    /// The programs that install from it (`npm`, `pnpm`, `yarn`; `pip`, `uv`; `cargo`).
    pub programs: Vec<String>,
    /// Its most used packages (normalised).
    pub popular: Vec<String>,
    /// Squats seen in the wild (normalised).
    pub squats: Vec<String>,
    /// The words after which an install's operands are packages (`install`, `add`, `dlx`).
    pub verbs: Vec<String>,
    /// Programs whose first operand is a package they run (`npx`, `uvx`).
    pub runners: Vec<String>,
}

/// The ecosystems.
#[derive(Debug, Clone, Default)]
pub(crate) struct PackageTable {
    pub ecosystems: Vec<Ecosystem>,
}

/// Shortest name judged by distance (shorter names are one edit from too many others).
const MIN_NAME: usize = 5;
/// Longest name judged.
const MAX_NAME: usize = 214;

/// A package name as registries compare them: lower-case, `_` and `.` read as `-`.
pub(crate) fn normalise(name: &str) -> String {
    name.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if matches!(c, '_' | '.') { '-' } else { c })
        .collect()
}

impl PackageTable {
    /// The ecosystem `program` installs from (a versioned name, `pip3.12`, as its base).
    pub(crate) fn ecosystem(&self, program: &str) -> Option<&Ecosystem> {
        let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        self.ecosystems
            .iter()
            .find(|e| e.programs.iter().any(|p| p == program || p == base))
    }
}

/// Options of an install that take a value, wherever they stand (`npm --prefix DIR i x`).
const VALUE_OPTIONS: &[&str] = &[
    "--prefix",
    "-C",
    "--cwd",
    "--registry",
    "--proxy",
    "--cache",
    "--userconfig",
    "--workspace",
    "-w",
    "--filter",
    "-F",
    "--target",
    "-t",
    "--python",
    "-p",
    "--manifest-path",
    "--index",
    "--root",
    "--dir",
];

impl Ecosystem {
    /// The packages `program` with `words` installs or runs: the operands after the first of
    /// the ecosystem's verbs among the first three operands, or a runner's first operand.
    pub(crate) fn packages<'w>(&self, program: &str, words: &[&'w str]) -> Vec<&'w str> {
        let mut ops = Vec::new();
        let mut rest = words.iter();
        while let Some(w) = rest.next() {
            if VALUE_OPTIONS.contains(w) {
                rest.next();
            } else if !w.starts_with('-') && !w.starts_with('+') {
                ops.push(*w);
            }
        }
        if self.runners.iter().any(|r| r == program) {
            ops.truncate(1);
            return ops;
        }
        match ops
            .iter()
            .take(3)
            .position(|w| self.verbs.iter().any(|v| v == w))
        {
            Some(at) => ops.split_off(at + 1),
            None => Vec::new(),
        }
    }
}

impl Ecosystem {
    /// Whether `spec` (a package argument: `name`, `name@1.2`, `name==1.2`, `name[extra]`)
    /// names a look-alike of a popular package.
    pub(crate) fn lookalike(&self, spec: &str) -> bool {
        // `alias@npm:real`: the package fetched is the one after `npm:`.
        if let Some((_, real)) = spec.split_once("@npm:") {
            if self.lookalike(real) {
                return true;
            }
        }
        let name = package_name(spec);
        if name.is_empty() || name.len() > MAX_NAME {
            return false;
        }
        let name = normalise(name);
        if self.squats.contains(&name) {
            return true;
        }
        if name.len() < MIN_NAME || self.popular.contains(&name) {
            return false;
        }
        let squashed: String = name.chars().filter(|c| *c != '-').collect();
        self.popular.iter().any(|p| {
            p.len() >= MIN_NAME
                && (within_one_edit(&name, p)
                    || squashed == p.chars().filter(|c| *c != '-').collect::<String>())
        })
    }
}

/// The name part of a package argument: a scope is kept (`@babel/core`), a version, extras or
/// a marker dropped.
fn package_name(spec: &str) -> &str {
    let (scope, rest) = match spec.strip_prefix('@') {
        Some(r) => match r.split_once('/') {
            Some((s, n)) => (Some(s), n),
            None => (None, spec),
        },
        None => (None, spec),
    };
    let end = rest
        .find(['@', '=', '<', '>', '~', '!', '[', ';', ' ', ':'])
        .unwrap_or(rest.len());
    match scope {
        // `@scope/name@1.2`: keep the scope with the name.
        Some(s) => spec.get(..s.len() + 2 + end).unwrap_or(spec),
        None => rest.get(..end).unwrap_or(rest),
    }
}

/// Whether `a` and `b` differ by at most one insert, delete, replacement or swap of two
/// neighbouring characters (optimal string alignment distance ≤ 1).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (
        a.get(prefix..).unwrap_or(&[]),
        b.get(prefix..).unwrap_or(&[]),
    );
    let tail = |x: &[u8], n: usize| x.get(n..).unwrap_or(&[]).to_vec();
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            tail(ra, 1) == tail(rb, 1)
                || (ra.len() >= 2
                    && ra.first() == rb.get(1)
                    && ra.get(1) == rb.first()
                    && tail(ra, 2) == tail(rb, 2))
        }
        std::cmp::Ordering::Greater => tail(ra, 1) == rb,
        std::cmp::Ordering::Less => ra == tail(rb, 1).as_slice(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npm() -> Ecosystem {
        Ecosystem {
            name: "npm".into(),
            programs: vec!["npm".into()],
            popular: ["cross-env", "electron", "react", "preact", "chalk"]
                .iter()
                .map(|s| normalise(s))
                .collect(),
            squats: vec!["crossenv".into()],
            verbs: vec![
                "install".into(),
                "i".into(),
                "in".into(),
                "add".into(),
                "dlx".into(),
            ],
            runners: vec!["npx".into()],
        }
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("reqeusts", "requests"));
        assert!(within_one_edit("colourama", "colorama"));
        assert!(within_one_edit("serde-jsom", "serde-json"));
        assert!(within_one_edit("python3-dateutil", "python-dateutil"));
        assert!(!within_one_edit("vitest", "vite"));
        assert!(!within_one_edit("abc", "cba"));
    }

    #[test]
    fn lookalikes() {
        let e = npm();
        for spec in [
            "crossenv",
            "electorn",
            "electorn@1.0.0",
            "cross_env2",
            "chalkk",
            "x@npm:electorn",
        ] {
            assert!(e.lookalike(spec), "{spec}");
        }
        for spec in [
            "cross-env",
            "react",
            "preact",
            "chalk@5.3.0",
            "lodash",
            "@types/node",
            "vue",
        ] {
            assert!(!e.lookalike(spec), "{spec}");
        }
        assert_eq!(package_name("@babel/core@7.1.0"), "@babel/core");
        assert_eq!(package_name("requests[socks]>=2.0"), "requests");
        let words = ["--prefix", "/tmp/x", "in", "electorn", "--save"];
        assert_eq!(e.packages("npm", &words), ["electorn"]);
        assert_eq!(e.packages("npx", &["-y", "crossenv", "arg"]), ["crossenv"]);
        assert!(e.packages("npm", &["run", "build"]).is_empty());
    }
}
