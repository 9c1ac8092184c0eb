//! `hostguard completions SHELL` and `hostguard man [COMMAND]...`: shell completion scripts
//! (clap_complete) and manual pages (clap_mangen), both generated from the clap definition in
//! `args.rs`, so neither can disagree with `--help` or need a hand-written flag list.

use clap::CommandFactory as _;
use clap_complete::Shell;
use clap_mangen::Man;
use hostguard_cli::error::{CliError, CliResult, ExitKind};

use crate::args::Cli;

/// The binary's name, as completions register it.
const BIN: &str = "hostguard";

/// Prints the completion script of `shell` for every command, subcommand and flag.
pub(crate) fn completions(shell: Shell) -> CliResult {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    hostguard_cli::out!("{}", String::from_utf8_lossy(&script))?;
    Ok(ExitKind::Ok)
}

/// Prints the man page of the command named by `path` (`["ledger", "verify"]`; empty: the top
/// page): name, synopsis, description, options, subcommands (each pointing to its own page,
/// `hostguard-ledger(1)`), the exit status contract and the version.
pub(crate) fn man(path: &[String]) -> CliResult {
    // Built, so subcommands carry their display names (`hostguard-ledger`) and versions.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut page = &root;
    for name in path {
        page = page
            .find_subcommand(name)
            .ok_or_else(|| unknown(page, name))?;
    }
    let man = Man::new(page.clone()).source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")));
    let roff = render(man, page)
        .map_err(|e| CliError::input(format!("man: cannot render the page: {e}")))?;
    hostguard_cli::out!("{}", String::from_utf8_lossy(&roff))?;
    Ok(ExitKind::Ok)
}

fn render(man: Man, cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    out.extend_from_slice(exit_status_section().as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// `EXIT STATUS`: the exit-code contract every command keeps ([`ExitKind`]).
fn exit_status_section() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for kind in ExitKind::ALL {
        roff.push_str(&format!(
            ".TP\n{}\n{}\n",
            kind.code(),
            escape(kind.meaning())
        ));
    }
    roff
}

/// Text as a roff line: backslashes escaped, a leading `.` or `'` kept literal.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

/// `man` was given a command `cmd` does not have: bad usage, naming the ones it has.
fn unknown(cmd: &clap::Command, name: &str) -> CliError {
    let known: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
    let known = if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    };
    CliError::input(format!(
        "man: `{}` has no command `{name}` (commands: {known})",
        cmd.get_display_name().unwrap_or(cmd.get_name())
    ))
}
