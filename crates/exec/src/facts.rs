//! What the rules know about a system: program families, sensitive paths, devices, modes,
//! and the markers of interpreter code (docs/design.md §2 step 6). Pure predicates over strings;
//! paths are normalised lexically (`//`, `/./`, `..`, `~`, `$HOME`) before they are compared.

mod embedded;

pub(super) use embedded::{embedded_commands, is_socket_shell};

pub(super) const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "fetch",
    "aria2c",
    "http",
    "https",
    "xh",
    "lwp-request",
    "lwp-download",
    "get",
    "httpie",
    "tftp",
    "ftp",
];
pub(super) const NETWORK_TOOLS: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "nc.traditional",
    "nc.openbsd",
    "socat",
    "telnet",
    "cryptcat",
];
/// Programs whose output comes from another machine: DNS TXT records, text browsers, a
/// remote command (`dig +short txt x | sh`, `ssh host cat x | sh`).
pub(super) const REMOTE_READERS: &[&str] = &[
    "dig", "nslookup", "host", "drill", "lynx", "links", "elinks", "w3m", "ssh", "scp",
];
pub(super) const CRITICAL_PROCESSES: &[&str] = &[
    "init",
    "systemd",
    "sshd",
    "ssh",
    "launchd",
    "systemd-logind",
    "systemd-journald",
    "dbus-daemon",
];
pub(super) const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local",
    "/usr/share",
    "/usr/include",
    "/var/lib",
    "/var/log",
    "/var/spool",
    "/etc/ssh",
    "/System",
    "/Library",
    "/Applications",
    "/Users",
    "/private",
    "/Volumes",
    "/cores",
];
pub(super) const BLOCK_DEVICE_PREFIXES: &[&str] = &[
    "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-", "mapper/", "mem",
    "kmem", "port", "sr", "nbd", "zram", "sg", "root", "by-id/", "disk/", "block/", "mtd", "zd",
    "zvol/", "rbd", "drbd", "bcache", "pmem", "ram", "ada", "da", "char/1:1", "char/1:2",
    "char/1:4",
];
/// Directories of `/dev` that hold no disks (every other `/dev/x/y` may be an LVM volume).
pub(super) const NON_BLOCK_DEV_DIRS: &[&str] = &[
    "pts",
    "shm",
    "fd",
    "mqueue",
    "hugepages",
    "net",
    "input",
    "snd",
    "dri",
    "bus",
    "cpu",
    "usb",
    "serial",
    "v4l",
    "tcp",
    "udp",
    "char",
    "vfio",
    "hidraw",
    "dma_heap",
    "cuse",
    "gpiochip",
    "stdin",
    "stdout",
    "stderr",
    "null",
    "tty",
    "console",
];
pub(super) const CREDENTIAL_FILES: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/group",
    "/etc/sudoers",
    "/etc/ld.so.preload",
    "/etc/master.passwd",
    "/etc/doas.conf",
    "/private/etc/sudoers",
    "/etc/ssh/sshd_config",
    "/etc/sudo.conf",
];
pub(super) const CREDENTIAL_DIRS: &[&str] = &[
    "/etc/sudoers.d/",
    "/etc/pam.d/",
    "/etc/security/",
    "/etc/ssh/sshd_config.d/",
    "/root/.ssh/",
    "/etc/polkit-1/",
    "/usr/share/polkit-1/rules.d/",
];
pub(super) const HOME_CREDENTIAL_FILES: &[&str] = &[
    ".ssh/authorized_keys",
    ".ssh/authorized_keys2",
    ".k5login",
    ".rhosts",
    ".shosts",
];
pub(super) const PERSISTENCE_PREFIXES: &[&str] = &[
    "/etc/cron",
    "/var/spool/cron",
    "/etc/anacrontab",
    "/etc/systemd/",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/etc/init.d/",
    "/etc/init/",
    "/etc/rc.local",
    "/etc/rc",
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/zsh/",
    "/etc/zshrc",
    "/etc/environment",
    "/etc/update-motd.d/",
    "/etc/xdg/autostart/",
    "/Library/LaunchDaemons/",
    "/Library/LaunchAgents/",
    "/etc/ld.so.conf",
];
pub(super) const HOME_PERSISTENCE_PREFIXES: &[&str] = &[
    ".config/systemd/",
    ".local/share/systemd/",
    ".config/autostart/",
    "Library/LaunchAgents/",
    ".ssh/rc",
];
pub(super) const HOME_STARTUP_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".config/fish/config.fish",
    ".tcshrc",
    ".cshrc",
    ".kshrc",
    ".xprofile",
    ".xinitrc",
    ".xsession",
    ".ssh/config",
];
pub(super) const PROTECTED_BRANCHES: &[&str] = &[
    "main",
    "master",
    "trunk",
    "prod",
    "production",
    "release",
    "stable",
    "head",
];

/// The command of a crontab line: after `@keyword` or five schedule fields.
pub(super) fn cron_command(line: &str) -> &str {
    let line = line.trim_start();
    if line.starts_with('#') {
        return "";
    }
    let fields = if line.starts_with('@') { 1 } else { 5 };
    let mut rest = line;
    for _ in 0..fields {
        rest = rest.trim_start();
        rest = rest
            .find(char::is_whitespace)
            .and_then(|at| rest.get(at..))
            .unwrap_or("");
    }
    rest.trim()
}

/// `w` as one shell word: as is when it holds only safe characters, else single-quoted (a `'`
/// inside closes, escapes and reopens).
pub fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

pub(super) fn strip_dot(t: &str) -> String {
    t.strip_prefix("./").unwrap_or(t).to_owned()
}

pub(super) fn url_basename(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let after_scheme = path.split_once("://").map_or(path, |(_, r)| r);
    let (_, tail) = after_scheme.split_once('/')?;
    let name = tail.rsplit('/').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// Lexical normalisation: `//` and `/./` collapsed, `..` resolved, trailing `/` dropped, `~`
/// and `$HOME` read as `/home/~` (so `~/..` is `/home`).
pub(super) fn normalise(t: &str) -> String {
    let mut comps: Vec<&str> = Vec::new();
    let (absolute, rest) = if let Some(r) = t.strip_prefix('/') {
        (true, r)
    } else if t == "~" || t == "$HOME" {
        comps.extend(["home", "~"]);
        (true, "")
    } else if let Some(r) = t.strip_prefix("~/").or_else(|| t.strip_prefix("$HOME/")) {
        comps.extend(["home", "~"]);
        (true, r)
    } else if let Some(r) = t.strip_prefix("~root") {
        comps.push("root");
        (true, r.trim_start_matches('/'))
    } else if let Some((user, r)) = tilde_user(t) {
        // `~bob` is bob's home.
        comps.extend(["home", user]);
        (true, r)
    } else {
        (false, t)
    };
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if absolute || comps.last().is_some_and(|l| *l != "..") {
                    comps.pop();
                } else {
                    comps.push("..");
                }
            }
            _ => comps.push(c),
        }
    }
    if absolute {
        format!("/{}", comps.join("/"))
    } else if comps.is_empty() {
        ".".to_owned()
    } else {
        comps.join("/")
    }
}

/// `~user` / `~user/rest`: the user name and the rest.
fn tilde_user(t: &str) -> Option<(&str, &str)> {
    let rest = t.strip_prefix('~')?;
    let (user, r) = rest.split_once('/').unwrap_or((rest, ""));
    let valid = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && user.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    valid.then_some((user, r))
}

/// A glob that matches every entry of its directory, hidden ones included or not: `*`, `.*`,
/// `.[!.]*`, `.??*`, `[a-z]*`, `{*,.*}` (bracket expressions and braces read as wildcards).
fn matches_every_entry(comp: &str) -> bool {
    let mut rest = String::new();
    let mut in_bracket = false;
    for c in comp.chars() {
        match c {
            '[' if !in_bracket => in_bracket = true,
            ']' if in_bracket => {
                in_bracket = false;
                rest.push('?');
            }
            _ if in_bracket => {}
            '{' | '}' | ',' => {}
            c => rest.push(c),
        }
    }
    rest.contains('*') && rest.chars().all(|c| matches!(c, '*' | '?' | '.'))
}

pub(super) fn is_root_or_home(t: &str) -> bool {
    let p = normalise(t);
    let base = match p.rsplit_once('/') {
        Some((parent, last)) if matches_every_entry(last) => parent,
        _ => &p,
    };
    let base = if base.is_empty() { "/" } else { base };
    if base == "/" || base == "/*" {
        return true;
    }
    // `../../../../..` from an unknown directory: four or more levels up is `/` in practice.
    if base.split('/').filter(|c| *c == "..").count() >= 4 && base.split('/').all(|c| c == "..") {
        return true;
    }
    if SYSTEM_DIRS.contains(&base) {
        return true;
    }
    let comps: Vec<&str> = base.trim_start_matches('/').split('/').collect();
    match comps.as_slice() {
        // A user's home.
        ["home" | "Users", _] => true,
        // `/e*`, `/b?n`: a glob of top-level directories.
        [one] => base.starts_with('/') && one.contains(['*', '?', '[']),
        _ => false,
    }
}

pub(super) fn is_system_path(t: &str) -> bool {
    let p = normalise(t);
    p == "/"
        || SYSTEM_DIRS
            .iter()
            .filter(|d| **d != "/home" && **d != "/Users")
            .any(|d| p == *d || p.starts_with(&format!("{d}/")))
}

pub(super) fn home_relative(p: &str) -> Option<&str> {
    if let Some(r) = p.strip_prefix("/root/") {
        return Some(r);
    }
    let r = p
        .strip_prefix("/home/")
        .or_else(|| p.strip_prefix("/Users/"))?;
    r.split_once('/').map(|(_, rel)| rel)
}

/// Files whose content runs later without anyone typing it: shell startup files, git hooks.
pub(super) fn is_startup_file(p: &str) -> bool {
    home_relative(p).is_some_and(|r| HOME_STARTUP_FILES.iter().any(|f| names(r, f)))
        || p.contains("/.git/hooks/")
        || p.starts_with(".git/hooks/")
        || p.contains("/.husky/")
        || p.starts_with(".husky/")
}

/// `p` is `target`, or a glob that may name it (bash expands a redirection target or an
/// argument glob that matches: `>> /etc/passw?` writes `/etc/passwd`).
fn names(p: &str, target: &str) -> bool {
    if p == target {
        return true;
    }
    if !p.contains(['*', '?', '[']) || p.matches('/').count() != target.matches('/').count() {
        return false;
    }
    // Component by component: `*` never matches a `/`.
    p.split('/').zip(target.split('/')).all(|(g, t)| {
        // A leading `*` or `?` does not match a leading `.` (no `dotglob`).
        (g.starts_with('.') || !t.starts_with('.')) && super::policy::glob_match(g, t)
    })
}

/// `p` is inside directory `d` (written with its trailing `/`), or a glob whose directory part
/// may be `d`.
fn inside(p: &str, d: &str) -> bool {
    if format!("{p}/").starts_with(d) {
        return true;
    }
    let dir = d.trim_end_matches('/');
    p.contains(['*', '?', '['])
        && (names(p, dir)
            || p.rsplit_once('/')
                .is_some_and(|(parent, _)| names(parent, dir)))
}

pub(super) fn is_credential_path(t: &str) -> bool {
    let p = normalise(t);
    CREDENTIAL_FILES.iter().any(|f| names(&p, f))
        || CREDENTIAL_DIRS.iter().any(|d| inside(&p, d))
        || home_relative(&p).is_some_and(|r| HOME_CREDENTIAL_FILES.iter().any(|f| names(r, f)))
}

pub(super) fn is_block_device(t: &str) -> bool {
    let p = normalise(t);
    p.strip_prefix("/dev/").is_some_and(|name| {
        BLOCK_DEVICE_PREFIXES.iter().any(|x| name.starts_with(x))
            // `/dev/<volume group>/<logical volume>` (LVM): any other two-level path.
            || name.split_once('/').is_some_and(|(dir, rest)| {
                !rest.is_empty() && !NON_BLOCK_DEV_DIRS.contains(&dir)
            })
            // A glob that may name a disk: `/dev/s[d]a`, `/dev/*da`.
            || ["sda", "sdb", "vda", "xvda", "hda", "nvme0n1", "mmcblk0", "disk0", "md0", "dm-0"]
                .iter()
                .any(|d| names(name, d))
    })
}

pub(super) fn is_critical_process(t: &str) -> bool {
    let name = t.rsplit('/').next().unwrap_or(t);
    CRITICAL_PROCESSES.contains(&name)
}

/// The setuid bit: `u+s`, `+s`, `a+s`, `4755`, `6755`, `04755`. A setgid bit alone (`g+s`,
/// `2775`) is not flagged: it is the usual way to share a directory between a group.
pub(super) fn is_setuid_mode(mode: &str) -> bool {
    if mode.bytes().all(|b| b.is_ascii_digit()) {
        let digits = mode.trim_start_matches('0');
        return digits.len() == 4
            && digits
                .bytes()
                .next()
                .is_some_and(|b| (b.wrapping_sub(b'0')) & 0b100 != 0);
    }
    mode.split(',').any(|clause| {
        let Some(at) = clause.find(['+', '=']) else {
            return false;
        };
        let who = clause.get(..at).unwrap_or("");
        let perms = clause.get(at + 1..).unwrap_or("");
        perms.contains('s') && (who.is_empty() || who.contains('u') || who.contains('a'))
    })
}

/// `777`, `666`, `o+w`, `a+w`, `+w` (other-writable).
pub(super) fn is_world_writable_mode(mode: &str) -> bool {
    if mode.bytes().all(|b| b.is_ascii_digit()) && !mode.is_empty() {
        return mode
            .bytes()
            .last()
            .is_some_and(|b| (b.wrapping_sub(b'0')) & 0b010 != 0);
    }
    mode.split(',').any(|clause| {
        let (who, perms) = match clause.find(['+', '=']) {
            Some(at) => (
                clause.get(..at).unwrap_or(""),
                clause.get(at + 1..).unwrap_or(""),
            ),
            None => return false,
        };
        perms.contains('w') && (who.is_empty() || who.contains('o') || who.contains('a'))
    })
}

#[cfg(test)]
mod tests;
