//! `hostguard completions SHELL` and `hostguard man`: generated from the clap definition, so
//! they name every command the binary has. The list of commands is read from the binary's own
//! `--help`, never written here, so a new command is checked the day it is added.

use super::support::*;

/// The top-level commands `hostguard --help` lists (the `Commands:` block, `help` aside).
fn commands() -> Vec<String> {
    let out = hostguard(&["--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names: Vec<String> = out
        .stdout
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A command's line is indented two spaces; a wrapped description line further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    // Enough to tell a parse of the help text that found nothing from a real list.
    for expected in ["run", "ledger", "completions", "man"] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    names
}

fn completions(shell: &str) -> String {
    let out = hostguard(&["completions", shell]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    out.stdout
}

#[test]
fn bash_completions_name_every_command() {
    let script = completions("bash");
    assert!(
        script.contains("complete -F _hostguard"),
        "not a bash script"
    );
    for command in commands() {
        // bash lists a command's word among the candidate words of `hostguard`.
        let word = format!(" {command} ");
        let listed = script
            .lines()
            .filter(|l| l.contains("opts=\""))
            .any(|l| l.replace('"', " ").contains(&word));
        assert!(listed, "bash completions lack `{command}`");
    }
}

#[test]
fn zsh_completions_name_every_command() {
    let script = completions("zsh");
    assert!(script.starts_with("#compdef hostguard"), "not a zsh script");
    for command in commands() {
        assert!(
            script.contains(&format!("'{command}:")),
            "zsh completions lack `{command}`"
        );
    }
}

#[test]
fn every_shell_clap_supports_gets_a_script() {
    for shell in ["fish", "powershell", "elvish"] {
        let script = completions(shell);
        assert!(script.contains("hostguard"), "{shell}");
        assert!(script.contains("ledger"), "{shell}");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = hostguard(&["completions", "tcsh"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("hostguard: "), "{}", out.stderr);
    assert!(out.stderr.contains("'tcsh'"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn man_page_names_every_command_and_the_exit_status() {
    let out = hostguard(&["man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    assert!(page.contains(".TH hostguard 1"), "not a roff page");
    for command in commands() {
        // roff escapes the dash: `hostguard\-what\-if(1)`.
        let entry = format!("hostguard-{command}(1)").replace('-', "\\-");
        assert!(page.contains(&entry), "man page lacks `{command}`");
    }
    let status = page
        .split(".SH \"EXIT STATUS\"\n")
        .nth(1)
        .unwrap_or_else(|| unreachable!("no EXIT STATUS section: {page}"));
    let status = status.split("\n.SH").next().unwrap();
    for code in ["0", "1", "2"] {
        assert!(
            status.contains(&format!(".TP\n{code}\n")),
            "exit code {code}"
        );
    }
}

#[test]
fn man_prints_the_page_of_a_subcommand_and_refuses_an_unknown_one() {
    let out = hostguard(&["man", "ledger", "verify"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(".TH hostguard-ledger-verify 1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\\-\\-checkpoint"), "{}", out.stdout);
    let out = hostguard(&["man", "ledger", "frobnicate"]);
    assert_bad_input(
        &out,
        "hostguard: man: `hostguard-ledger` has no command `frobnicate`",
    );
}
