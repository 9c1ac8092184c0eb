//! `cargo xtask deps` part two: no two files of a crate import each other (STYLE.md "No circles
//! between files"). A file's module is its first path component under `src/` (`classify.rs`
//! and `classify/expand.rs` are module `classify`); it imports module `m` when its non-test,
//! non-comment code names `crate::m`. Two modules that name each other are a circle: the
//! shared part belongs in a third file below both.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Fails when a crate under `crates/` has two modules that import each other.
pub fn check(root: &Path) -> Result<()> {
    let mut circles = Vec::new();
    let crates = fs::read_dir(root.join("crates")).context("reading crates/")?;
    let mut checked = 0usize;
    for entry in crates {
        let src = entry?.path().join("src");
        if !src.is_dir() {
            continue;
        }
        checked += 1;
        let imports = module_imports(&src)?;
        for (a, uses) in &imports {
            for b in uses.iter().filter(|b| *a < **b) {
                if imports.get(b).is_some_and(|back| back.contains(a)) {
                    circles.push(format!("{}: `{a}` <-> `{b}`", src.display()));
                }
            }
        }
    }
    if circles.is_empty() {
        println!("    no file circles ({checked} crates)");
        Ok(())
    } else {
        bail!("files import each other:\n  {}", circles.join("\n  "))
    }
}

/// Each top-level module of `src` and the sibling modules it names as `crate::…`.
fn module_imports(src: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src)? {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let Some(module) = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_owned())
        else {
            continue;
        };
        if module == "lib" || module == "main" {
            continue;
        }
        let text =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let named = imports.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = line.get(i + "crate::".len()..).unwrap_or_default();
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    named.insert(name);
                }
            }
        }
    }
    Ok(imports)
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn two_files_that_import_each_other_fail_and_a_third_below_both_passes() {
        let root = std::env::temp_dir().join(format!("hostguard-circles-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        write(&root, "crates/x/src/lib.rs", "mod a;\nmod b;\n");
        write(
            &root,
            "crates/x/src/a.rs",
            "use crate::b::B;\npub struct A;\n",
        );
        write(
            &root,
            "crates/x/src/b/inner.rs",
            "// crate::a in a comment does not count\nuse crate::a::A;\n",
        );
        let err = check(&root).unwrap_err().to_string();
        assert!(err.contains("`a` <-> `b`"), "{err}");
        write(&root, "crates/x/src/b/inner.rs", "use crate::shared::S;\n");
        write(
            &root,
            "crates/x/src/a.rs",
            "use crate::b::B;\nuse crate::shared::S;\n#[cfg(test)]\nuse crate::a::A;\n",
        );
        check(&root).unwrap();
        fs::remove_dir_all(&root).unwrap();
    }
}
