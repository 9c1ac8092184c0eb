//! Unit tests of `facts.rs`.

use super::*;

#[test]
fn paths_normalise() {
    for (t, expected) in [
        ("/", "/"),
        ("//", "/"),
        ("/tmp/../", "/"),
        ("~", "/home/~"),
        ("~/..", "/home"),
        ("$HOME/.bashrc", "/home/~/.bashrc"),
        ("./a/../b", "b"),
        ("../x", "../x"),
        ("/etc/./passwd", "/etc/passwd"),
    ] {
        assert_eq!(normalise(t), expected, "{t}");
    }
}

#[test]
fn root_or_home() {
    for t in [
        "/",
        "/*",
        "~",
        "~/",
        "$HOME",
        "/home",
        "/home/bob",
        "/usr",
        "/e*",
        "/etc/",
        "/.*",
        "~/*",
        "~/.[!.]*",
        "~/.??*",
        "/[a-z]*",
        "~bob",
        "~bob/",
    ] {
        assert!(is_root_or_home(t), "{t}");
    }
    for t in [
        "./node_modules",
        "target/debug",
        "/tmp/x",
        "~/projects/x",
        "build",
        "/home/bob/src",
        "~bob/src",
        "~/*.log",
        "/tmp/*",
        "~/.cache/*",
    ] {
        assert!(!is_root_or_home(t), "{t}");
    }
}

#[test]
fn embedded() {
    assert_eq!(
        embedded_commands("import os; os.system('rm -rf /')"),
        ["rm -rf /"]
    );
    assert_eq!(
        embedded_commands("subprocess.run([\"rm\", \"-rf\", \"/\"])"),
        ["rm -rf /"]
    );
    assert_eq!(embedded_commands("print(`id`)"), ["id"]);
    assert!(embedded_commands("print(1)").is_empty());
}

#[test]
fn modes() {
    for m in [
        "u+s", "+s", "a+s", "4755", "6755", "04755", "u=rwxs", "ug+s",
    ] {
        assert!(is_setuid_mode(m), "{m}");
    }
    for m in ["+x", "755", "1777", "0755", "u+x", "644", "g+s", "2775"] {
        assert!(!is_setuid_mode(m), "{m}");
    }
    assert!(is_world_writable_mode("777"));
    assert!(is_world_writable_mode("o+w"));
    assert!(!is_world_writable_mode("755"));
}

#[test]
fn network_tools_are_net_programs_of_the_catalog() {
    // The classifier's own list (reverse shells, fetchers) must not drift from the program
    // table's `net` family (rules/programs.toml), which also holds programs the classifier
    // judges by their words (`openssl s_client`).
    let catalog = crate::Catalog::builtin().unwrap();
    let net = catalog.programs.known_family("net").unwrap();
    for tool in NETWORK_TOOLS {
        assert_ne!(catalog.programs.families_of(tool) & net, 0, "{tool}");
    }
}
