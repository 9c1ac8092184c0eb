//! The vocabulary of detection: what a hostcall *does* ([`Effect`]: a [`Verb`] on an object
//! described by [`Classes`]), whatever method carried it. A path, a URL, an env name and a
//! few qualifiers all land in one class set, so one rule (`read:secret`, `send:egress+data`)
//! covers `fs`, `exec`, `http`, `env` and `tool` calls alike (docs/detection.md "Model").

use std::fmt;

/// One class of an effect's object. The names are the catalog's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Class {
    // What a path is.
    /// Credentials and secrets: keys, tokens, cloud and package-manager credentials, password
    /// and browser stores, shell histories, `/etc/shadow`, `/proc/*/environ`.
    Secret,
    /// Something the system or a tool runs later on its own: start-up files, schedulers,
    /// service units, launch agents, autostart entries, authorized keys, git hooks, loader
    /// configuration.
    Persistence,
    /// Who may do what: sudoers, passwd/shadow/group, PAM, sshd and polkit configuration.
    Privilege,
    /// The operating system's own files (`/etc`, `/usr`, `/bin`, `/boot`, `/System`…).
    System,
    /// The host's and other tools' territory: editor and extension installs, other agents'
    /// configuration, programs on the PATH, package-manager configuration.
    Host,
    /// Caches and build output that tools recreate (`~/.cache`, `node_modules`, `target`).
    Cache,
    /// Records of what happened: logs, login records, shell histories.
    Audit,
    /// A version-control store itself (`.git`, `.hg`, `.svn`), not its hooks.
    Repository,
    /// A block device or raw memory (`/dev/sda`, `/dev/mem`).
    Device,
    /// Backups and snapshots.
    Backup,
    /// A file a tool runs on its own in the project: build scripts, package manifests with
    /// install hooks, test bootstraps, CI workflows.
    Autorun,
    /// Where packages come from: package-manager configuration and lock files.
    PackageSource,
    /// A script or program source (`.sh`, `.py`, `.js`…): content that is meant to run.
    Script,
    /// An archive or compressed bundle (`.zip`, `.tar.gz`, `.7z`…): content packed to be
    /// unpacked elsewhere.
    Archive,
    /// The user's own documents and media (`~/Documents`, `~/Desktop`, `~/Pictures`…).
    UserData,
    // Where a path is.
    /// Inside the workspace the host stated (relative paths are).
    Workspace,
    /// The workspace root itself.
    WorkspaceRoot,
    /// A temporary location (`/tmp`, `/var/tmp`, `/dev/shm`).
    Temp,
    /// Under a home directory (outside the workspace).
    Home,
    /// A home directory itself.
    HomeRoot,
    /// The file-system root `/` itself.
    FsRoot,
    /// A dot-named file or directory outside the workspace (a hiding place).
    Hidden,
    /// A path outside the workspace (absolute and not under its root, or escaping it).
    Outside,
    /// A relative path that climbs out of the workspace through `..`.
    Traversal,
    // Where a URL or host goes.
    /// The machine itself.
    Loopback,
    /// The local network.
    Private,
    /// The internet.
    Public,
    /// A host that cannot be judged (unparsable, numeric tricks).
    Unknown,
    /// A cloud instance-metadata endpoint: the machine's credentials.
    Metadata,
    /// Leaves the machine and its network (public, unknown or metadata).
    Egress,
    /// The host was written as an IP address.
    IpLiteral,
    /// The host was written in a non-canonical spelling (decimal, hex, octal, mapped IPv6).
    Obfuscated,
    /// A paste, file-drop, webhook, chat-bot or request-catcher service.
    DropService,
    /// A tunnel or relay service (`ngrok`, `trycloudflare`…).
    TunnelService,
    /// A DNS-over-HTTPS resolver.
    DnsOverHttps,
    /// An official package registry or a major code host (where packages come from).
    Registry,
    // What an env name is.
    /// A credential-shaped variable name (`*_TOKEN`, `*_SECRET`, `*PASSWORD*`…).
    SecretName,
    /// A variable the loader or a shell reads to run code (`LD_PRELOAD`, `BASH_ENV`).
    LoaderName,
    /// A variable that steers shell history (`HISTFILE`, `HISTSIZE`).
    HistoryName,
    // Qualifiers.
    /// The effect carries data out (a request body, an upload, data in a URL or DNS name).
    Data,
    /// Recursive (a whole tree).
    Recursive,
    /// Runs on after the call returns (background, `nohup`, `setsid`, a daemon flag).
    Detached,
    /// The code came from the network or a decoder (`curl | sh`, `base64 -d | sh`).
    Fetched,
    /// Language-level code given inline to an interpreter.
    Inline,
    /// A set-user-ID or set-group-ID mode.
    Setuid,
    /// A mode that makes a file executable.
    Executable,
    /// A mode that lets everyone write.
    WorldWritable,
    /// The object was named by a wildcard or a value known only at run time.
    Indirect,
    /// Written content that is itself dangerous (it downloads, runs fetched code, or its own
    /// rules reach Medium).
    Armed,
    /// A native executable or library: written content with an executable's magic number,
    /// or a URL whose path names a binary (`.so`, `.dylib`, `linux-x64`…).
    Binary,
    /// A name that imitates a well-known one: a typosquatted package.
    Lookalike,
    /// The gate's own state, declared by the host (`Context::with_host_path`): an MCP
    /// gateway's pins, kill switch and mapping.
    Guarded,
    /// A folder that holds the gate's own state (deleting or moving it takes the state along).
    GuardedParent,
}

impl Class {
    /// Every class, in declaration order (bit `i` of [`Classes`] is `ALL[i]`).
    pub const ALL: [Class; 53] = [
        Class::Secret,
        Class::Persistence,
        Class::Privilege,
        Class::System,
        Class::Host,
        Class::Cache,
        Class::Audit,
        Class::Repository,
        Class::Device,
        Class::Backup,
        Class::Autorun,
        Class::PackageSource,
        Class::Script,
        Class::Archive,
        Class::UserData,
        Class::Workspace,
        Class::WorkspaceRoot,
        Class::Temp,
        Class::Home,
        Class::HomeRoot,
        Class::FsRoot,
        Class::Hidden,
        Class::Outside,
        Class::Traversal,
        Class::Loopback,
        Class::Private,
        Class::Public,
        Class::Unknown,
        Class::Metadata,
        Class::Egress,
        Class::IpLiteral,
        Class::Obfuscated,
        Class::DropService,
        Class::TunnelService,
        Class::DnsOverHttps,
        Class::Registry,
        Class::SecretName,
        Class::LoaderName,
        Class::HistoryName,
        Class::Data,
        Class::Recursive,
        Class::Detached,
        Class::Fetched,
        Class::Inline,
        Class::Setuid,
        Class::Executable,
        Class::WorldWritable,
        Class::Indirect,
        Class::Armed,
        Class::Binary,
        Class::Lookalike,
        Class::Guarded,
        Class::GuardedParent,
    ];

    /// The catalog name (snake_case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Class::Secret => "secret",
            Class::Persistence => "persistence",
            Class::Privilege => "privilege",
            Class::System => "system",
            Class::Host => "host",
            Class::Cache => "cache",
            Class::Audit => "audit",
            Class::Repository => "repository",
            Class::Device => "device",
            Class::Backup => "backup",
            Class::Autorun => "autorun",
            Class::PackageSource => "package_source",
            Class::Script => "script",
            Class::Archive => "archive",
            Class::UserData => "user_data",
            Class::Workspace => "workspace",
            Class::WorkspaceRoot => "workspace_root",
            Class::Temp => "temp",
            Class::Home => "home",
            Class::HomeRoot => "home_root",
            Class::FsRoot => "fs_root",
            Class::Hidden => "hidden",
            Class::Outside => "outside",
            Class::Traversal => "traversal",
            Class::Loopback => "loopback",
            Class::Private => "private",
            Class::Public => "public",
            Class::Unknown => "unknown",
            Class::Metadata => "metadata",
            Class::Egress => "egress",
            Class::IpLiteral => "ip_literal",
            Class::Obfuscated => "obfuscated",
            Class::DropService => "drop_service",
            Class::TunnelService => "tunnel_service",
            Class::DnsOverHttps => "dns_over_https",
            Class::Registry => "registry",
            Class::SecretName => "secret_name",
            Class::LoaderName => "loader_name",
            Class::HistoryName => "history_name",
            Class::Data => "data",
            Class::Recursive => "recursive",
            Class::Detached => "detached",
            Class::Fetched => "fetched",
            Class::Inline => "inline",
            Class::Setuid => "setuid",
            Class::Executable => "executable",
            Class::WorldWritable => "world_writable",
            Class::Indirect => "indirect",
            Class::Armed => "armed",
            Class::Binary => "binary",
            Class::Lookalike => "lookalike",
            Class::Guarded => "guarded",
            Class::GuardedParent => "guarded_parent",
        }
    }

    /// The class named `name`.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == name)
    }

    const fn bit(self) -> u64 {
        1u64 << (self as u8)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Class`]es.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Classes(u64);

impl Classes {
    /// No class.
    pub const EMPTY: Classes = Classes(0);

    /// The set holding exactly `classes`.
    pub const fn of(classes: &[Class]) -> Classes {
        let mut bits = 0u64;
        let mut rest = classes;
        while let [first, tail @ ..] = rest {
            bits |= first.bit();
            rest = tail;
        }
        Classes(bits)
    }

    /// Whether `class` is in the set.
    pub const fn has(self, class: Class) -> bool {
        self.0 & class.bit() != 0
    }

    /// Whether every class of `other` is in the set.
    pub const fn contains(self, other: Classes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the sets share a class.
    pub const fn intersects(self, other: Classes) -> bool {
        self.0 & other.0 != 0
    }

    /// The union.
    #[must_use]
    pub const fn with(self, other: Classes) -> Classes {
        Classes(self.0 | other.0)
    }

    /// The set plus `class`.
    #[must_use]
    pub const fn plus(self, class: Class) -> Classes {
        Classes(self.0 | class.bit())
    }

    /// The classes in both sets.
    #[must_use]
    pub const fn only(self, other: Classes) -> Classes {
        Classes(self.0 & other.0)
    }

    /// The set without `class`.
    #[must_use]
    pub const fn minus(self, class: Class) -> Classes {
        Classes(self.0 & !class.bit())
    }

    /// The raw bits (bit `i` is `Class::ALL[i]`).
    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The classes, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Class> {
        Class::ALL.into_iter().filter(move |c| self.has(*c))
    }
}

impl fmt::Display for Classes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for c in self.iter() {
            if !first {
                f.write_str("+")?;
            }
            first = false;
            f.write_str(c.as_str())?;
        }
        Ok(())
    }
}

/// What a call does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Verb {
    /// Reads a file's content.
    Read,
    /// Creates, replaces, appends to or edits a file.
    Write,
    /// Removes a file or tree.
    Delete,
    /// Makes content unrecoverable in place (`shred`, `truncate`, `dd` over it, encryption).
    Destroy,
    /// Changes a file's mode, owner or attributes.
    Mode,
    /// Runs code from the object (a file, a download, inline code).
    Run,
    /// Downloads from a URL or host.
    Fetch,
    /// Sends to a URL or host (any request; `data` says it carries a payload).
    Send,
    /// Resolves a name through DNS.
    Resolve,
    /// Waits for connections.
    Listen,
    /// Reads an environment variable.
    Env,
    /// Sets (or unsets) an environment variable for a command or the shell.
    Setenv,
    /// Starts a process that outlives the call.
    Spawn,
}

impl Verb {
    /// Every verb.
    pub const ALL: [Verb; 13] = [
        Verb::Read,
        Verb::Write,
        Verb::Delete,
        Verb::Destroy,
        Verb::Mode,
        Verb::Run,
        Verb::Fetch,
        Verb::Send,
        Verb::Resolve,
        Verb::Listen,
        Verb::Env,
        Verb::Setenv,
        Verb::Spawn,
    ];

    /// The catalog name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Read => "read",
            Verb::Write => "write",
            Verb::Delete => "delete",
            Verb::Destroy => "destroy",
            Verb::Mode => "mode",
            Verb::Run => "run",
            Verb::Fetch => "fetch",
            Verb::Send => "send",
            Verb::Resolve => "resolve",
            Verb::Listen => "listen",
            Verb::Env => "env",
            Verb::Setenv => "setenv",
            Verb::Spawn => "spawn",
        }
    }

    /// The verb named `name`.
    pub fn from_name(name: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a call does: a verb on an object of some classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Effect {
    /// What it does.
    pub verb: Verb,
    /// What the object is, where it is, and qualifiers.
    pub classes: Classes,
}

impl Effect {
    /// An effect.
    pub const fn new(verb: Verb, classes: Classes) -> Effect {
        Effect { verb, classes }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.verb, self.classes)
    }
}

/// The classes a file mode sets (`chmod`'s first operand, an fs `chmod`'s `mode`): `setuid`
/// (`u+s`, `4755`, `6755`), `world_writable` (`777`, `o+w`), `executable` (`+x`, `755`).
pub fn mode_classes(mode: &str) -> Classes {
    let mode = mode.trim();
    let mut c = Classes::EMPTY;
    if crate::facts::is_setuid_mode(mode) {
        c = c.plus(Class::Setuid);
    }
    if crate::facts::is_world_writable_mode(mode) {
        c = c.plus(Class::WorldWritable);
    }
    let octal = !mode.is_empty() && mode.bytes().all(|b| b.is_ascii_digit());
    if mode.contains('x') || (octal && mode.bytes().any(|b| (b.wrapping_sub(b'0')) & 1 == 1)) {
        c = c.plus(Class::Executable);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bits_are_distinct() {
        assert!(Class::ALL.len() <= 64);
        for (i, c) in Class::ALL.into_iter().enumerate() {
            assert_eq!(c as usize, i, "ALL is in declaration order");
            assert_eq!(Class::from_name(c.as_str()), Some(c));
        }
        for v in Verb::ALL {
            assert_eq!(Verb::from_name(v.as_str()), Some(v));
        }
        let s = Classes::of(&[Class::Secret, Class::Home]);
        assert!(s.has(Class::Secret) && s.has(Class::Home) && !s.has(Class::Temp));
        assert_eq!(s.to_string(), "secret+home");
        assert!(s.contains(Classes::of(&[Class::Home])));
        assert!(!s.minus(Class::Home).has(Class::Home));
    }
}
