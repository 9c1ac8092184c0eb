//! The program table (`rules/programs.toml`): what a program does with its operands and
//! options — reads, writes, deletes, runs, fetches, sends, resolves — in the spirit of
//! GTFOBins' function list, and which families it belongs to (`downloader`, `miner`,
//! `tunnel`…) for rules to name. A program not in the table reads the paths it is given and
//! fetches the URLs it is given: naming a secret path or a metadata URL to any program counts.

use std::collections::HashMap;

use crate::classes::Verb;

/// The program a word names, read as a path on any OS: the part after the last `/` or `\`,
/// ASCII-lowercased, a trailing `.exe` dropped (`/usr/bin/mysql`, `C:\tools\MySQL.EXE` are
/// `mysql`). Unlike the classifier's own reading of a shell word, `\` separates: the word is
/// text as written (a log line, a Windows path), not a shell word after quote removal.
pub fn program_base(word: &str) -> String {
    lower_without_exe(word.rsplit(['/', '\\']).next().unwrap_or(word))
}

/// `base` ASCII-lowercased, a trailing `.exe` dropped: the one normalisation of a program's
/// file name.
pub(crate) fn lower_without_exe(base: &str) -> String {
    let mut base = base.to_ascii_lowercase();
    if base.ends_with(".exe") {
        base.truncate(base.len() - ".exe".len());
    }
    base
}

/// What a program does to an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A path it acts on with this verb.
    Path(Verb),
    /// A network host it connects to and sends to (`nc HOST PORT`, `ssh HOST`).
    Host,
    /// A DNS name it resolves.
    Name,
    /// Not a path (`echo`'s words, `kill`'s pids).
    Ignore,
}

impl Role {
    pub(crate) fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "host" => Role::Host,
            "name" => Role::Name,
            "none" => Role::Ignore,
            verb => Role::Path(Verb::from_name(verb)?),
        })
    }
}

/// One program's entry.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// What its operands are.
    pub operands: Role,
    /// What its last operand is, when it differs (`cp`'s destination is written).
    pub last_operand: Option<Role>,
    /// What its URL operands are: fetched (`Some(Verb::Fetch)`), sent to, or ignored.
    pub urls: Option<Verb>,
    /// Options whose presence makes it send data (`curl -d`, `wget --post-data`).
    pub send_flags: Vec<String>,
    /// Options whose value is a path, and what is done to it (`-o` write, `-T` read-and-send).
    pub path_flags: Vec<(String, PathFlag)>,
    /// Options that detach it (`--daemon`, `-d`).
    pub detach_flags: Vec<String>,
    /// Options whose value is the request method (`-X`): POST, PUT, PATCH send data.
    pub method_flags: Vec<String>,
    /// Runs its first operand as a script (`bash f`, `python f`, `source f`).
    pub runs_script: bool,
    /// Options that take a value that is not an operand (`-H`, `-o`), besides `path_flags` and
    /// `method_flags`.
    pub value_flags: Vec<String>,
    /// Options that make it write its operands in place (`sed -i`, `perl -i`).
    pub write_flags: Vec<String>,
    /// Its `name:path` operands are named remotes (`rclone copy f remote:dir`).
    pub remotes: bool,
    /// What its first operand is, when it differs (`zip OUT.zip files…`).
    pub first_operand: Option<Role>,
    /// Options whose value is the host it connects to (`openssl s_client -connect h:p`).
    pub host_flags: Vec<String>,
    /// Where it sends what it reads (`gh gist create` → the gists API), if anywhere.
    pub upload_to: Option<String>,
    /// Every run of it reads secrets (`security find-generic-password`, `op read`).
    pub reads_secrets: bool,
    /// Options that make it read secrets (`gpg --export-secret-keys`).
    pub secret_flags: Vec<String>,
}

/// What an option's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathFlag {
    /// A path acted on with this verb.
    Path(Verb),
    /// A file that is read and sent (`curl -T f`, `curl -F x=@f`, `wget --post-file=f`).
    Upload,
    /// A host path handed to a container (`-v SRC:DST[:opts]`, `--mount
    /// type=bind,source=SRC,…`): everything under it is the container's to read.
    Mount,
}

impl PathFlag {
    pub(crate) fn parse(text: &str) -> Option<PathFlag> {
        match text {
            "upload" => Some(PathFlag::Upload),
            "mount" => Some(PathFlag::Mount),
            verb => Verb::from_name(verb).map(PathFlag::Path),
        }
    }
}

impl Program {
    /// Whether option `w` takes the next word as its value (`value_flags`, `path_flags`,
    /// `method_flags`).
    pub(crate) fn takes_value(&self, w: &str) -> bool {
        self.value_flags.iter().any(|f| f == w)
            || self.path_flags.iter().any(|(f, _)| f == w)
            || self.method_flags.iter().any(|f| f == w)
    }

    /// The operands among `words`: the words that are neither options nor the values of
    /// options that take one; every word after `--`. `git -C /repo reset` has the operand
    /// `reset` first, so the subcommand is read past global options.
    pub(crate) fn operand_words<'w>(
        &self,
        words: impl IntoIterator<Item = &'w str>,
    ) -> Vec<&'w str> {
        let mut out = Vec::new();
        let mut words = words.into_iter();
        while let Some(w) = words.next() {
            if w == "--" {
                out.extend(words.by_ref());
                break;
            }
            if w.starts_with('-') && w != "-" {
                if self.takes_value(w) {
                    words.next();
                }
                continue;
            }
            out.push(w);
        }
        out
    }
}

impl Default for Program {
    /// A program the table does not know: it reads the paths and fetches the URLs it is given.
    fn default() -> Program {
        Program {
            operands: Role::Path(Verb::Read),
            last_operand: None,
            urls: Some(Verb::Fetch),
            send_flags: Vec::new(),
            path_flags: Vec::new(),
            detach_flags: Vec::new(),
            method_flags: Vec::new(),
            runs_script: false,
            value_flags: Vec::new(),
            write_flags: Vec::new(),
            remotes: false,
            first_operand: None,
            host_flags: Vec::new(),
            upload_to: None,
            reads_secrets: false,
            secret_flags: Vec::new(),
        }
    }
}

/// The program table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProgramTable {
    pub programs: Vec<Program>,
    /// Program name (lower-case) → index into `programs`.
    pub by_name: HashMap<String, usize>,
    /// Family names; family `i` is bit `i`.
    pub families: Vec<String>,
    /// Program name (lower-case) → its family bits.
    pub family_of: HashMap<String, u64>,
    /// The entry of unknown programs.
    pub unknown: Program,
}

impl ProgramTable {
    /// The entry of program `name` (basename, lower-case).
    pub(crate) fn get(&self, name: &str) -> &Program {
        self.by_name
            .get(name)
            .and_then(|&i| self.programs.get(i))
            .unwrap_or(&self.unknown)
    }

    /// The entry of `name` run with `args`: the most specific of `name sub1 sub2`, `name sub1`
    /// and `name` (subcommand entries such as `gh gist create`), and how many leading operand
    /// words it consumed.
    pub(crate) fn lookup(&self, name: &str, args: &[&str]) -> (&Program, usize) {
        let words: Vec<&str> = self
            .get(name)
            .operand_words(args.iter().copied())
            .into_iter()
            .take(2)
            .collect();
        for n in (1..=words.len()).rev() {
            let key = std::iter::once(name)
                .chain(words.iter().take(n).copied())
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase();
            if let Some(p) = self.by_name.get(&key).and_then(|&i| self.programs.get(i)) {
                return (p, n);
            }
        }
        (self.get(name), 0)
    }

    /// The subcommand of `name` run with `args`: its first operand.
    pub(crate) fn subcommand<'w>(&self, name: &str, args: &'w [String]) -> Option<&'w str> {
        self.get(name)
            .operand_words(args.iter().map(String::as_str))
            .first()
            .copied()
    }

    /// The family bits of program `name`.
    pub(crate) fn families_of(&self, name: &str) -> u64 {
        self.family_of.get(name).copied().unwrap_or(0)
    }

    /// The bit of family `name`, adding it when new (at most 64 families).
    pub(crate) fn family_bit(&mut self, name: &str) -> Option<u64> {
        let i = match self.families.iter().position(|f| f == name) {
            Some(i) => i,
            None => {
                self.families.push(name.to_owned());
                self.families.len() - 1
            }
        };
        (i < 64).then(|| 1u64 << i)
    }

    /// The bit of an existing family.
    pub(crate) fn known_family(&self, name: &str) -> Option<u64> {
        self.families
            .iter()
            .position(|f| f == name)
            .filter(|&i| i < 64)
            .map(|i| 1u64 << i)
    }
}
