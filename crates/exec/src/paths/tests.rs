//! Unit tests of `paths.rs`.

use super::*;

/// Every rule, every glob: what the index must agree with.
fn scan(t: &PathTable, full: &str, home_rel: Option<&str>) -> Classes {
    let path = SplitPath::new(full);
    let home = home_rel.map(SplitPath::new);
    let mut classes = Classes::EMPTY;
    for rule in &t.rules {
        let hit = rule.anywhere.iter().any(|g| g.matches(&path))
            || (full.starts_with('/') && rule.absolute.iter().any(|g| g.matches(&path)))
            || home
                .as_ref()
                .is_some_and(|h| rule.home.iter().any(|g| g.matches(h)));
        if hit && !rule.except.iter().any(|g| g.matches(&path)) {
            classes = classes.with(rule.class);
        }
    }
    classes
}

#[test]
fn the_index_finds_what_a_scan_finds() {
    let Ok(catalog) = crate::Catalog::builtin() else {
        panic!("catalog");
    };
    let t = &catalog.paths;
    let paths: &[(&str, Option<&str>)] = &[
        ("/home/dev/.ssh/id_rsa", Some(".ssh/id_rsa")),
        ("/home/dev/.ssh/id_rsa.pub", Some(".ssh/id_rsa.pub")),
        ("/home/dev/.aws/credentials", Some(".aws/credentials")),
        ("/home/dev/.bashrc", Some(".bashrc")),
        (
            "/home/dev/.config/systemd/user/x.service",
            Some(".config/systemd/user/x.service"),
        ),
        (
            "/home/dev/Library/LaunchAgents/com.x.plist",
            Some("Library/LaunchAgents/com.x.plist"),
        ),
        ("/home/dev/.cache/pip/x.tar.gz", Some(".cache/pip/x.tar.gz")),
        ("/etc/shadow", None),
        ("/etc", None),
        ("/etc/sudoers.d/90-x", None),
        ("/usr/local/bin/git", None),
        ("/proc/self/environ", None),
        ("/tmp/.x/agent", None),
        ("/var/log/auth.log", None),
        ("/dev/input/event3", None),
        ("project/.git/hooks/pre-commit", None),
        ("src/lib.rs", None),
        ("certs/server.PEM", None),
        ("certs/ca.pem", None),
        ("package.json", None),
        ("yarn.lock", None),
        ("scripts/build.sh", None),
        ("dist/app.tar.gz", None),
        (".venv/lib/python3.12/site-packages/sitecustomize.py", None),
        ("terraform.tfstate", None),
        ("", None),
        ("/", None),
    ];
    for (full, home) in paths {
        assert_eq!(
            t.matched_classes(full, *home, Classes::EMPTY),
            scan(t, full, *home),
            "{full}"
        );
    }
}

const SEGMENTS: &[&str] = &[
    "home",
    "dev",
    ".ssh",
    "id_rsa",
    "id_ed25519.pub",
    ".aws",
    "credentials",
    "etc",
    "shadow",
    "sudoers.d",
    ".config",
    "systemd",
    "user",
    "x.service",
    "tmp",
    ".x",
    "src",
    "lib.rs",
    "a.pem",
    "package.json",
    ".git",
    "hooks",
    "pre-commit",
    "usr",
    "bin",
    "Library",
    "LaunchAgents",
    "k.plist",
    ".cache",
    "x.tar.gz",
    "proc",
    "1",
    "environ",
    "..",
    ".",
];

proptest::proptest! {
    #[test]
    fn the_index_agrees_with_a_scan_on_any_path(
        picks in proptest::collection::vec(0..SEGMENTS.len(), 0..7),
        absolute in proptest::bool::ANY,
        home_cut in 0..4usize,
    ) {
        let Ok(catalog) = crate::Catalog::builtin() else {
            panic!("catalog");
        };
        let t = &catalog.paths;
        let segs: Vec<&str> = picks.iter().filter_map(|&i| SEGMENTS.get(i).copied()).collect();
        let joined = segs.join("/");
        let full = if absolute { format!("/{joined}") } else { joined.clone() };
        let home_rel = segs.get(home_cut.min(segs.len())..).map(|r| r.join("/"));
        let home_rel = home_rel.as_deref().filter(|_| absolute);
        proptest::prop_assert_eq!(
            t.matched_classes(&full, home_rel, Classes::EMPTY),
            scan(t, &full, home_rel)
        );
    }
}
