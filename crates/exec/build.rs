//! Lists `rules/*.toml` (at the repository root) for `catalog::BUILTIN_FILES`: adding a rule
//! file is dropping it into the folder. The files are compiled in with `include_str!`; they are
//! parsed and validated at run time by `Catalog::builtin` (and by the test suite).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let rules = manifest.join("../../rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut names: Vec<String> = match std::fs::read_dir(&rules) {
        Ok(dir) => dir
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect(),
        Err(e) => {
            println!("cargo:warning=cannot list {}: {e}", rules.display());
            Vec::new()
        }
    };
    names.sort();
    let mut out = String::from("&[\n");
    for name in &names {
        let path = rules.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("rule_files.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
