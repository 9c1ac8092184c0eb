//! Inspection: a command line (or the effects of any other hostcall) judged by the rule
//! catalog. A command is parsed once; every simple command yields its effects and is judged
//! with its program and arguments; every exec classifier finding is judged through the
//! catalog's finding rules; and the whole line's effects are judged together (a secret read
//! in one stage and a send in another is one exfiltration).

use crate::catalog::{Catalog, Facts, Method, RuleHit, StageView, Taint};
use crate::classes::{Class, Classes, Effect, Verb};
use crate::classify::{analyze_with, snippet, CommandAnalysis, Detailed, StageFacts};
use crate::paths::{Context, MAX_CONTENT_DEPTH};
use crate::ExecTier;

/// Most hits kept per call.
pub const MAX_HITS: usize = 64;
/// How dangerous written content must be to count as armed (see
/// [`Catalog::content_is_armed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmedBar {
    /// High findings or rules, or code run from the network, a decoder, temporary or hidden
    /// space: for files that legitimately fetch (build scripts, CI workflows, scripts).
    Severe,
    /// That, or any fetch or send off the machine: for files that should never reach out
    /// (start-up files, hidden and temporary drops, the host's territory).
    Network,
}

/// Most kinds of place one call may write the same content to before it is judged armed
/// without looking further ([`ContentJudge`]).
pub const MAX_CONTENT_PLACES: usize = 4;

/// Judges one piece of written content for every place a call writes it to, once per kind of
/// place (the classes of the target decide the bar): `echo x > a > b > c`, `tee a b c` or an
/// `fs` write naming many paths cost one judgement per kind, not one per path. A call that
/// writes the same content to more than [`MAX_CONTENT_PLACES`] kinds of place is judged armed
/// without looking further: the work stays bounded, and such a call fails closed.
#[derive(Debug)]
pub struct ContentJudge<'a> {
    catalog: &'a Catalog,
    ctx: &'a Context,
    content: &'a str,
    judged: Vec<(Classes, Classes)>,
}

impl<'a> ContentJudge<'a> {
    /// A judge of `content` where the host runs in `ctx`.
    pub fn new(catalog: &'a Catalog, ctx: &'a Context, content: &'a str) -> ContentJudge<'a> {
        ContentJudge {
            catalog,
            ctx,
            content,
            judged: Vec::new(),
        }
    }

    /// What the content adds to a target of classes `target` ([`Catalog::content_classes`]).
    pub fn classes(&mut self, target: Classes) -> Classes {
        if let Some((_, extra)) = self.judged.iter().find(|(t, _)| *t == target) {
            return *extra;
        }
        if self.judged.len() >= MAX_CONTENT_PLACES {
            return Classes::of(&[Class::Armed]);
        }
        let extra = self.catalog.content_classes(target, self.content, self.ctx);
        self.judged.push((target, extra));
        extra
    }
}

/// Most string literals of written content judged as command lines.
pub const MAX_ARMED_LITERALS: usize = 32;

/// A command line, inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInspection {
    /// The exec classifier's analysis (classes and tiers of the shell-level findings).
    pub analysis: CommandAnalysis,
    /// Everything the line does, over every simple command (deduplicated).
    pub effects: Vec<Effect>,
    /// The rules that fired.
    pub hits: Vec<RuleHit>,
    pub(crate) detailed: Detailed,
}

impl CommandInspection {
    /// The strictest severity among the hits (`Low` when none fired).
    pub fn tier(&self) -> ExecTier {
        strictest(&self.hits)
    }

    /// Each simple command: its text and its effects (for `hostguard rules test`).
    pub fn stages(&self) -> impl Iterator<Item = (&str, &[Effect])> {
        self.detailed
            .stages
            .iter()
            .map(|s| (s.segment.as_str(), s.effects.as_slice()))
    }
}

/// The strictest severity of `hits` (`Low` for none).
pub fn strictest(hits: &[RuleHit]) -> ExecTier {
    hits.iter()
        .map(|h| h.severity)
        .max()
        .unwrap_or(ExecTier::Low)
}

impl Catalog {
    /// Parses `command`, derives its effects where the host runs in `ctx`, and judges it
    /// given what the extension did before (`taint`). Never panics; work is bounded as the
    /// classifier's is.
    pub fn inspect_command(&self, command: &str, ctx: &Context, taint: Taint) -> CommandInspection {
        let detailed = analyze_with(command, Some((self, ctx)));
        let mut hits = Vec::new();
        let mut effects: Vec<Effect> = Vec::new();
        for stage in &detailed.stages {
            let parts = [stage.idx];
            let facts = Facts {
                method: Method::Exec,
                effects: &stage.effects,
                stage: Some(self.stage_view(stage)),
                findings: &[],
                taint,
                segment: &stage.segment,
                parts: &parts,
            };
            self.judge(&facts, &mut hits);
            for e in &stage.effects {
                if !effects.contains(e) && effects.len() < MAX_HITS * 4 {
                    effects.push(*e);
                }
            }
        }
        for found in &detailed.findings {
            let classes = [found.class.as_str()];
            let facts = Facts {
                method: Method::Exec,
                effects: &[],
                stage: None,
                findings: &classes,
                taint,
                segment: &found.segment,
                parts: &found.parts,
            };
            self.judge(&facts, &mut hits);
        }
        if detailed.stages.len() > 1 {
            self.judge_whole_line(command, &detailed, &effects, taint, &mut hits);
        }
        keep_strictest(&mut hits);
        CommandInspection {
            analysis: detailed.analysis(),
            effects,
            hits,
            detailed,
        }
    }

    /// What the rules see of one simple command.
    fn stage_view<'s>(&self, stage: &'s StageFacts) -> StageView<'s> {
        StageView {
            program: &stage.program,
            args: &stage.args,
            subcommand: self.programs.subcommand(&stage.program, &stage.args),
            families: stage.families,
            wrappers: &stage.wrappers,
            wrapper_args: &stage.wrapper_args,
        }
    }

    /// The whole line of several simple commands: its effects together, with each simple
    /// command's program and arguments in turn (`gpg -c src && rm -rf src` is one
    /// encryption-then-delete). A rule that already fired on one simple command is not
    /// repeated for the line.
    fn judge_whole_line(
        &self,
        command: &str,
        detailed: &Detailed,
        effects: &[Effect],
        taint: Taint,
        hits: &mut Vec<RuleHit>,
    ) {
        let all: Vec<usize> = detailed.stages.iter().map(|s| s.idx).collect();
        let segment = snippet(command);
        let before = hits.len();
        let views = detailed
            .stages
            .iter()
            .map(|stage| Some(self.stage_view(stage)));
        for view in std::iter::once(None).chain(views) {
            let facts = Facts {
                method: Method::Exec,
                effects,
                stage: view,
                findings: &[],
                taint,
                segment: &segment,
                parts: &all,
            };
            self.judge(&facts, hits);
        }
        let mut i = before;
        while i < hits.len() {
            let rule = hits.get(i).map(|h| h.rule);
            if hits
                .get(..before)
                .is_some_and(|b| b.iter().any(|h| Some(h.rule) == rule))
            {
                hits.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// What written `content` adds to the classes of its `target`: its kind by magic number
    /// ([`Class::Binary`], [`Class::Archive`]), and [`Class::Armed`] when it is dangerous
    /// where it lands — in a persistence point, a hidden or temporary place or the host's
    /// territory outside the workspace it must not reach out at all ([`ArmedBar::Network`]);
    /// in an autorun file, a script, or such a place inside the workspace it must not run
    /// fetched or hidden code, reach High, or send secrets off the machine
    /// ([`ArmedBar::Severe`]); in a package-source file it must not name a source off the
    /// registries (a manifest — autorun and package source at once — a package off them).
    /// Every method that writes content (`fs`, write tools, shell redirections, `tee`) is
    /// judged by this one function.
    pub fn content_classes(&self, target: Classes, content: &str, ctx: &Context) -> Classes {
        let mut extra = content_kind(content);
        if content.is_empty() {
            return extra;
        }
        let never_reaches_out =
            Classes::of(&[Class::Persistence, Class::Hidden, Class::Temp, Class::Host]);
        let runs_later = Classes::of(&[Class::Autorun, Class::Script]);
        let bar = if target.intersects(never_reaches_out) && !target.has(Class::Workspace) {
            Some(ArmedBar::Network)
        } else if target.intersects(runs_later) || target.intersects(never_reaches_out) {
            Some(ArmedBar::Severe)
        } else {
            None
        };
        let autorun = target.has(Class::Autorun);
        let dropped_script = target.has(Class::Script) && !target.has(Class::Workspace);
        let armed = bar.is_some_and(|b| self.content_is_armed(content, ctx, b))
            || (autorun && self.content_sends_secrets(content, ctx))
            || (dropped_script && self.content_is_agent(content, ctx))
            || (target.has(Class::PackageSource)
                && self.content_names_foreign_source(content, autorun));
        if armed {
            extra = extra.plus(Class::Armed);
        }
        extra
    }

    /// Whether `content` written into a place that runs it is itself dangerous, by `bar`:
    /// [`ArmedBar::Severe`] — read as a script, it reaches High or runs fetched, decoded,
    /// temporary or hidden code; [`ArmedBar::Network`] — that, or it fetches or sends across
    /// the network at all (a start-up file that downloads is armed; a CI workflow that
    /// downloads is ordinary).
    ///
    /// The content is read as a script, and each of its string literals as a command line
    /// (code that hands a shell `"curl … | sh"`); bounded to [`MAX_ARMED_LITERALS`] literals
    /// and [`MAX_CONTENT_DEPTH`] levels of content that writes content.
    pub fn content_is_armed(&self, content: &str, ctx: &Context, bar: ArmedBar) -> bool {
        if ctx.content_depth >= MAX_CONTENT_DEPTH {
            return false;
        }
        let ctx = ctx.deeper();
        let dangerous = |e: &Effect| {
            let network = matches!(e.verb, Verb::Fetch | Verb::Send)
                && (e.classes.has(Class::Egress) || e.classes.has(Class::Metadata));
            let runs = e.verb == Verb::Run
                && (e.classes.has(Class::Fetched)
                    || e.classes.has(Class::Temp)
                    || e.classes.has(Class::Hidden));
            runs || (bar == ArmedBar::Network && network)
        };
        let floor = match bar {
            ArmedBar::Severe => ExecTier::High,
            ArmedBar::Network => ExecTier::Medium,
        };
        let armed = |text: &str| {
            let inspection = self.inspect_command(text, &ctx, Taint::NONE);
            inspection.tier() >= floor
                || inspection.analysis.tier >= floor
                || inspection.effects.iter().any(dangerous)
        };
        armed(content) || embedded_texts(content).iter().any(|l| armed(l))
    }

    /// Whether `content`, read as program code, both starts processes and talks to a host off
    /// the machine: the shape of a remote-command agent (run what the server says, post the
    /// output back). Judged for scripts dropped outside the workspace.
    pub fn content_is_agent(&self, content: &str, ctx: &Context) -> bool {
        let effects = crate::code::code_effects(self, ctx, "code", content);
        let spawns = effects.iter().any(|e| e.verb == Verb::Run);
        let talks = effects.iter().any(|e| {
            matches!(e.verb, Verb::Send | Verb::Fetch)
                && e.classes.has(Class::Egress)
                && !e.classes.has(Class::Registry)
        });
        spawns && talks
    }

    /// Whether `content` — read as a script, as program code (a test hook, a setup script) and
    /// through its string literals — sends data off the machine while it takes every secret
    /// there is or a secret file: a CI step posting `${{ toJSON(secrets) }}`, a `conftest.py`
    /// posting `os.environ`. Files a tool runs on its own must not do that. One named secret
    /// used as a credential (`Authorization: Bearer ${{ secrets.CODECOV_TOKEN }}`) is what
    /// the secret is for, and is not this.
    pub fn content_sends_secrets(&self, content: &str, ctx: &Context) -> bool {
        if ctx.content_depth >= MAX_CONTENT_DEPTH {
            return false;
        }
        let ctx = ctx.deeper();
        let mut effects = crate::code::code_effects(self, &ctx, "code", content);
        for text in std::iter::once(content.to_owned()).chain(embedded_texts(content)) {
            effects.extend(self.inspect_command(&text, &ctx, Taint::NONE).effects);
        }
        sends_off_machine(&effects) && reads_secrets(content, &effects)
    }

    /// Whether `content` (written to where packages come from: a registry config, a lock
    /// file, a requirements file) names a package source off the official registries; with
    /// `manifest` (a manifest, whose `homepage` may be anywhere), a URL on a line that names
    /// project metadata (`homepage`, `repository`, `bugs`, `documentation`…) does not count,
    /// unless it names a package archive or a git source. `git@host:path` counts as git.
    pub fn content_names_foreign_source(&self, content: &str, manifest: bool) -> bool {
        let words = |line: &'_ str| {
            line.split(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | '(' | ')' | '<' | '>')
            })
            .filter(|w| w.contains("://") || w.starts_with("git@"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
        };
        content
            .lines()
            .flat_map(|line| {
                let metadata = manifest && names_metadata(line);
                words(line).into_iter().map(move |w| (w, metadata))
            })
            .take(MAX_ARMED_LITERALS)
            .any(|(w, metadata)| self.foreign_source(&w, metadata))
    }

    /// Whether one URL (or `git@host:path`) names a source off the registries; on a metadata
    /// line only a package archive or a git source counts.
    fn foreign_source(&self, word: &str, metadata: bool) -> bool {
        let scp = word
            .strip_prefix("git@")
            .and_then(|r| r.split_once(':'))
            .map(|(host, path)| format!("ssh://{host}/{path}"));
        let git = scp.is_some() || word.starts_with("git+") || word.starts_with("git://");
        let url = scp
            .as_deref()
            .unwrap_or_else(|| word.strip_prefix("git+").unwrap_or(word));
        self.classify_url(url).is_some_and(|c| {
            c.has(Class::Egress)
                && !c.has(Class::Registry)
                && (!metadata || git || c.has(Class::Archive) || c.has(Class::Binary))
        })
    }

    /// Judges the effects of a call of another method (`fs`, `http`, `env`, a tool), with the
    /// call read as the command it stands for when given (`program`: `http`, `fs`, `env` or the
    /// tool's name; `args`: its method and targets, or the tool's flattened input), so argument
    /// rules apply to every method; `segment` names the call in the hits.
    pub fn judge_effects(
        &self,
        method: Method,
        effects: &[Effect],
        call: Option<(&str, &[String])>,
        taint: Taint,
        segment: &str,
    ) -> Vec<RuleHit> {
        let mut hits = Vec::new();
        let stage = call.map(|(program, args)| StageView {
            program,
            args,
            subcommand: self.programs.subcommand(program, args),
            families: self.programs.families_of(program),
            wrappers: &[],
            wrapper_args: &[],
        });
        let facts = Facts {
            method,
            effects,
            stage,
            findings: &[],
            taint,
            segment,
            parts: &[],
        };
        self.judge(&facts, &mut hits);
        keep_strictest(&mut hits);
        hits
    }
}

/// Sorts the strictest first and keeps at most [`MAX_HITS`].
fn keep_strictest(hits: &mut Vec<RuleHit>) {
    hits.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
    hits.truncate(MAX_HITS);
}

/// Magic numbers of written content: native executables (ELF, PE, Mach-O, fat Mach-O) and
/// archives (zip, gzip, xz, 7-Zip, RAR).
const MAGIC: &[(&[u8], Class)] = &[
    (b"\x7fELF", Class::Binary),
    (b"MZ", Class::Binary),
    (&[0xcf, 0xfa, 0xed, 0xfe], Class::Binary),
    (&[0xca, 0xfe, 0xba, 0xbe], Class::Binary),
    (b"PK\x03\x04", Class::Archive),
    (&[0x1f, 0x8b], Class::Archive),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Class::Archive),
    (&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c], Class::Archive),
    (b"Rar!\x1a\x07", Class::Archive),
];

/// The kind of file `content` is by its magic number. A host writes content from a string, so a
/// byte above 0x7f arrives as the character with that code point (`"\u00cf\u00fa\u00ed\u00fe"`).
fn content_kind(content: &str) -> Classes {
    let starts_with = |magic: &[u8]| {
        let mut chars = content.chars();
        magic
            .iter()
            .all(|b| chars.next().is_some_and(|c| u32::from(*b) == u32::from(c)))
    };
    MAGIC
        .iter()
        .filter(|(magic, _)| starts_with(magic))
        .fold(Classes::EMPTY, |acc, (_, class)| acc.plus(*class))
}

/// The command lines inside written content besides the content itself: its string literals
/// (code that hands a shell `"curl … | sh"`) and the commands of keyed definitions (`- run:
/// …` in a CI workflow), at most [`MAX_ARMED_LITERALS`].
fn embedded_texts(content: &str) -> Vec<String> {
    crate::code::string_literals(content)
        .into_iter()
        .filter(|l| l.contains(' '))
        .chain(crate::code::keyed_commands(content))
        .take(MAX_ARMED_LITERALS)
        .collect()
}

/// Keys of project metadata in manifests: a URL under them is not a package source.
const METADATA_KEYS: &[&str] = &[
    "homepage",
    "repository",
    "bugs",
    "documentation",
    "changelog",
    "funding",
    "issues",
    "website",
    "source_code",
    "author",
    "license",
    "\"url\"",
    "url =",
];

/// Whether a manifest line names project metadata.
fn names_metadata(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    METADATA_KEYS.iter().any(|k| lower.contains(k))
}

/// Content effects that carry data off the machine (to a host off the registries, or in DNS
/// names).
fn sends_off_machine(effects: &[Effect]) -> bool {
    effects.iter().any(|e| {
        (e.verb == Verb::Send && e.classes.has(Class::Egress) && !e.classes.has(Class::Registry))
            || (e.verb == Verb::Resolve && e.classes.has(Class::Data))
    })
}

/// How CI definitions take every secret at once.
const CI_ALL_SECRETS: &[&str] = &["tojson(secrets)", "tojson( secrets )"];

/// Whether content takes every secret there is — the whole environment (`os.environ`,
/// `process.env`, `env`), every CI secret (`toJSON(secrets)`) — or reads a secret file.
fn reads_secrets(content: &str, effects: &[Effect]) -> bool {
    let lower = content.to_ascii_lowercase();
    effects.iter().any(|e| {
        (e.verb == Verb::Env
            && e.classes
                .contains(Classes::of(&[Class::SecretName, Class::Indirect])))
            || (e.verb == Verb::Read && e.classes.has(Class::Secret))
    }) || CI_ALL_SECRETS.iter().any(|r| lower.contains(r))
}
