//! The rule catalog: it loads, and every rule's command-line examples fire it (or, for `pass`,
//! do not). Examples of other methods run through the whole gate in risk-core's tests.

use hostguard_exec::{Catalog, Context, Example, Taint};

fn workspace() -> Context {
    Context::with_workspace("/home/dev/project").unwrap()
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
