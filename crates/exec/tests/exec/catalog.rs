//! The rule catalog: it loads, and every rule's command-line examples fire it (or, for `pass`,
//! do not). Examples of other methods run through the whole gate in risk-core's tests.

use hostguard_exec::{Catalog, Context, Example, Taint};

/// The examples' context: the workspace, and a gateway's state folder guarded (rule
/// `defense_evasion.gate_state_tamper`).
fn workspace() -> Context {
    Context::with_workspace("/home/dev/project")
        .and_then(|c| c.with_host_path("/home/dev/.hostguard/git"))
        .unwrap()
}

fn fires(catalog: &Catalog, rule: usize, command: &str, taint: Taint) -> bool {
    catalog
        .inspect_command(command, &workspace(), taint)
        .hits
        .iter()
        .any(|h| h.rule == rule)
}

#[test]
fn the_builtin_catalog_loads() {
    let catalog = Catalog::builtin().unwrap();
    assert!(
        catalog.rules().len() >= 50,
        "{} rules",
        catalog.rules().len()
    );
}

#[test]
fn every_rules_command_examples_fire_and_its_passes_do_not() {
    let catalog = Catalog::builtin().unwrap();
    let mut failures = Vec::new();
    for (i, rule) in catalog.rules().iter().enumerate() {
        // A rule that needs history is judged with it.
        let taint = rule.taint();
        for ex in &rule.fire {
            if let Example::Command(c) = ex {
                if !fires(catalog, i, c, taint) {
                    failures.push(format!("{} should fire on {c:?}", rule.id));
                }
            }
        }
        for ex in &rule.pass {
            if let Example::Command(c) = ex {
                if fires(catalog, i, c, taint) {
                    failures.push(format!("{} should not fire on {c:?}", rule.id));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every shell-level finding class of the exec classifier is mapped to a rule of the same
/// severity, so the catalog (not the classifier) names what fired and the preset's threshold
/// sees the class's own tier.
#[test]
fn every_exec_class_has_a_finding_rule_of_its_tier() {
    let catalog = Catalog::builtin().unwrap();
    for class in hostguard_exec::ExecClass::ALL {
        let wanted = format!("finding = [{}]", class.as_str());
        let rules: Vec<_> = catalog
            .rules()
            .iter()
            .filter(|r| r.conditions().iter().any(|c| c.contains(&wanted)))
            .collect();
        assert!(
            !rules.is_empty(),
            "no rule maps finding `{}`",
            class.as_str()
        );
        for r in rules {
            assert_eq!(
                r.severity,
                class.tier(),
                "{} maps `{}`",
                r.id,
                class.as_str()
            );
        }
    }
}

mod properties {
    use hostguard_exec::{Catalog, Context, Example, Taint, MAX_HITS};
    use proptest::prelude::*;

    fn workspace() -> Context {
        Context::with_workspace("/home/dev/project").unwrap()
    }

    /// Wrappers a command keeps its meaning under (the wrapped line runs the same program). A
    /// line that defines a function only parses whole, and `nohup VAR=1 cmd` runs a program
    /// named `VAR=1`, so such lines are wrapped in a shell.
    fn wrap(how: usize, cmd: &str) -> String {
        let quoted = format!("'{}'", cmd.replace('\'', "'\\''"));
        let assigns = cmd
            .split_whitespace()
            .next()
            .is_some_and(|w| w.contains('=') && !w.starts_with('-'));
        let how = if cmd.contains("()") || (assigns && matches!(how, 1 | 5 | 6 | 7)) {
            3
        } else {
            how
        };
        match how {
            0 => format!("sudo -n {cmd}"),
            1 => format!("nohup {cmd} &"),
            2 => format!("env HG_X=1 {cmd}"),
            3 => format!("bash -c {quoted}"),
            4 => format!("sudo -n env HG_X=1 nohup sh -c {quoted} &"),
            5 => format!("timeout 30 {cmd}"),
            6 => format!("nice -n 19 {cmd}"),
            7 => format!("setsid {cmd}"),
            8 => format!("true && {cmd}"),
            _ => format!("eval {quoted}"),
        }
    }

    /// Every rule's command-line fire examples, with the rule's history.
    fn fire_examples() -> Vec<(String, Taint)> {
        let catalog = Catalog::builtin().unwrap();
        catalog
            .rules()
            .iter()
            .flat_map(|r| {
                r.fire.iter().filter_map(move |e| match e {
                    Example::Command(c) => Some((c.clone(), r.taint())),
                    Example::Call { .. } => None,
                })
            })
            .collect()
    }

    /// Wrapping any rule's fire example in sudo, nohup, env, a shell, timeout, nice, setsid or
    /// eval never lowers the strictest severity of what fires (every example × every wrapper).
    #[test]
    fn wrapping_a_fire_example_never_lowers_its_severity() {
        let catalog = Catalog::builtin().unwrap();
        let mut lowered = Vec::new();
        for (cmd, taint) in fire_examples() {
            let base = catalog.inspect_command(&cmd, &workspace(), taint).tier();
            for how in 0..10 {
                let wrapped = wrap(how, &cmd);
                let got = catalog
                    .inspect_command(&wrapped, &workspace(), taint)
                    .tier();
                if got < base {
                    lowered.push(format!("{cmd} ({base:?}) → {wrapped} ({got:?})"));
                }
            }
        }
        assert!(lowered.is_empty(), "{}", lowered.join("\n"));
    }

    const FRAGMENTS: &[&str] = &[
        "curl ",
        "https://x.example/a.sh",
        " | ",
        "sh",
        "sudo ",
        "-n ",
        "env A=1 ",
        "nohup ",
        "&",
        ";",
        "$(",
        ")",
        "`",
        "'",
        "\"",
        "python3 -c ",
        "import os;os.system(",
        "rm -rf ",
        "~/.ssh/id_rsa",
        "> ",
        ">> ~/.bashrc",
        "<<EOF\n",
        "EOF\n",
        "base64 -d",
        "http://0x7f000001",
        "/dev/tcp/1.2.3.4/9",
        "git -C /r ",
        "reset --hard HEAD~99",
        "aws --profile p iam ",
        "list-users",
        "\\",
        "{a,b}",
        "${IFS}",
        "find . -exec ",
        " {} \\;",
        "xargs -I{} ",
        "node -e ",
        "require('child_process')",
        "chmod +x ",
        "/tmp/.x",
        " 2>&1",
        "\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes: inspection never panics, keeps its bounds and is deterministic.
        #[test]
        fn inspection_is_total_bounded_and_deterministic(s in any::<String>()) {
            let catalog = Catalog::builtin().unwrap();
            let a = catalog.inspect_command(&s, &workspace(), Taint::NONE);
            prop_assert!(a.hits.len() <= MAX_HITS);
            prop_assert_eq!(&a, &catalog.inspect_command(&s, &workspace(), Taint::NONE));
        }

        /// Shell-shaped soup of the parser's hard parts: the same.
        #[test]
        fn fragment_soup_inspects_deterministically(
            picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..48),
            secret in any::<bool>(),
        ) {
            let catalog = Catalog::builtin().unwrap();
            let line: String = picks.iter().filter_map(|&i| FRAGMENTS.get(i).copied()).collect();
            let taint = if secret { Taint::SECRET } else { Taint::NONE };
            let a = catalog.inspect_command(&line, &workspace(), taint);
            prop_assert!(a.hits.len() <= MAX_HITS);
            prop_assert_eq!(&a, &catalog.inspect_command(&line, &workspace(), taint));
        }
    }
}

/// docs/detection.md's coverage table names only rules that exist, and names every rule.
#[test]
fn the_coverage_table_maps_every_rule_and_only_rules() {
    let catalog = Catalog::builtin().unwrap();
    let doc = include_str!("../../../../docs/detection.md");
    let start = doc.find("## Coverage").unwrap();
    let end = doc.find("## Measured").unwrap();
    let table = &doc[start..end];
    let named: Vec<&str> = table
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            t.contains('.')
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
        })
        .collect();
    for id in &named {
        assert!(
            catalog.rule(id).is_some(),
            "docs/detection.md names `{id}`, no such rule"
        );
    }
    for rule in catalog.rules() {
        assert!(
            named.contains(&rule.id.as_str()),
            "rule `{}` is missing from docs/detection.md's coverage table",
            rule.id
        );
    }
}

/// The gate's own state (a gateway's folder, its mapping file) is guarded: a command that
/// writes, deletes or changes it fires the rule wherever it is; reading it, or writing beside
/// it, does not.
#[test]
fn a_host_path_is_host_territory_for_every_command() {
    let catalog = Catalog::builtin().unwrap();
    let ctx = workspace()
        .with_host_path("/srv/gw/state")
        .unwrap()
        .with_host_path("/home/dev/project/mapping.toml")
        .unwrap();
    let tampering = |command: &str| {
        catalog
            .inspect_command(command, &ctx, Taint::default())
            .hits
            .iter()
            .any(|h| catalog.rules()[h.rule].id == "defense_evasion.gate_state_tamper")
    };
    for command in [
        "echo '{\"on\":false}' > /srv/gw/state/kill.json",
        "cp /tmp/p.json /srv/gw/state/pins.json",
        "rm -f /srv/gw/state/../state/pins.json",
        "sed -i s/a/b/ mapping.toml",
        "rm -f /srv/gw/st*/pins.json",
    ] {
        assert!(tampering(command), "{command}");
    }
    for command in [
        "cat /srv/gw/state/pins.json",
        "echo x > /srv/gw/state-old/x",
        "echo x > mapping.toml.bak",
        // Wildcards that cannot reach the state: `*.o` never matches `state`.
        "rm -f /srv/gw/*.o",
        "chmod 600 /srv/*.pem",
    ] {
        assert!(!tampering(command), "{command}");
    }
    assert!(Context::new().with_host_path("relative/dir").is_none());
}
