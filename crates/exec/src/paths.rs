//! Path classes: where a path is (workspace, home, temporary, the root) and what it is (a
//! secret source, a persistence point, the system's or the host's files…), from the catalog's
//! path tables (`rules/classes.toml`) and a few facts only code can state (devices, homes).
//!
//! A path is normalised lexically first (`//`, `/./`, `..`, `~`, `$HOME`, `${HOME}`); matching
//! is ASCII case-insensitive (the default file systems of macOS and Windows are). Work is
//! bounded: a path longer than [`MAX_PATH_BYTES`] is judged by its first [`MAX_PATH_BYTES`].

use crate::classes::{Class, Classes};
use crate::facts::{is_block_device, normalise};
use crate::glob::{ends_of, PathGlob, SplitPath};
use std::collections::HashMap;

/// Longest path that is classified whole.
pub const MAX_PATH_BYTES: usize = 4096;

/// What the host told the gate about where it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The workspace root (absolute, normalised), if the host stated one.
    workspace: Option<String>,
    /// The user's home, when known (taken from a workspace under `/home/U` or `/Users/U`).
    home: Option<String>,
    /// Folders (and files) of the gate's own state, absolute and normalised: every path in
    /// one is `guarded` (a gateway's pins, kill switch, mapping: no extension may change them).
    host_paths: Vec<String>,
    /// How many written contents deep this inspection is (content inspected to judge a write
    /// that itself writes content): bounded by [`MAX_CONTENT_DEPTH`].
    pub(crate) content_depth: u8,
}

/// Deepest nesting of written content judged (`printf 'echo x > f' > g` is two deep).
pub(crate) const MAX_CONTENT_DEPTH: u8 = 2;

impl Context {
    /// A context with no workspace: relative paths are the workspace, absolute ones are not.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context whose workspace is `root` (an absolute path; `None` if it is not absolute).
    /// A root under `/home/U/` or `/Users/U/` also tells the user's home, so `~/x` resolves.
    pub fn with_workspace(root: &str) -> Option<Context> {
        if !root.starts_with('/') {
            return None;
        }
        let root = normalise(root);
        let home = ["/home/", "/Users/"].iter().find_map(|base| {
            let user = root.strip_prefix(base)?.split('/').next()?;
            (!user.is_empty()).then(|| format!("{base}{user}"))
        });
        Some(Context {
            workspace: Some(root),
            home,
            host_paths: Vec::new(),
            content_depth: 0,
        })
    }

    /// The same context with the user's home folder `home` (absolute; `None` if it is not), so
    /// `~/x` and `$HOME/x` resolve whatever the workspace (a host that knows `$HOME`).
    pub fn with_home(mut self, home: &str) -> Option<Context> {
        if !home.starts_with('/') {
            return None;
        }
        self.home = Some(normalise(home));
        Some(self)
    }

    /// The same context with `path` (absolute; `None` if it is not) the gate's own state: every
    /// path in it is classed `guarded`, whatever the call that names it.
    pub fn with_host_path(mut self, path: &str) -> Option<Context> {
        if !path.starts_with('/') {
            return None;
        }
        self.host_paths.push(normalise(path));
        Some(self)
    }

    /// Where the located path `normal` stands to the gate's own paths: `Guarded` in one (or a
    /// wildcard whose fixed part reaches one: `~/.hostguard/*/pins.json`), `GuardedParent`
    /// above one, `None` elsewhere.
    fn host_path_class(&self, normal: &str) -> Option<Class> {
        let absolute = match (normal.starts_with('/'), self.workspace.as_deref()) {
            (true, _) => normal.to_owned(),
            (false, Some(ws)) => normalise(&format!("{ws}/{normal}")),
            (false, None) => return None,
        };
        // A wildcard reaches what its first wild segment matches under its fixed folder, with
        // the shell's rule that a leading `*`, `?` or `[` never matches a leading dot.
        let (fixed, wild) = match absolute.find(['*', '?', '[', '{']) {
            Some(at) => {
                let (fixed, _) = absolute.get(..at)?.rsplit_once('/')?;
                let segment = absolute.get(fixed.len() + 1..)?.split('/').next()?;
                (fixed.to_owned(), Some(segment.to_owned()))
            }
            None => (absolute, None),
        };
        let inside = |p: &String| fixed == *p || under(&fixed, p);
        let above = |p: &String| under(p, &fixed) || (fixed.is_empty() && p.starts_with('/'));
        let reached = |p: &String| {
            let Some(segment) = wild.as_deref() else {
                return false;
            };
            let component = p
                .get(fixed.len()..)
                .unwrap_or_default()
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            (!component.starts_with('.') || segment.starts_with('.'))
                && crate::glob::word_matches(segment, component, false)
        };
        let reaches = |p: &String| above(p) && reached(p);
        if self.host_paths.iter().any(inside) || self.host_paths.iter().any(reaches) {
            return Some(Class::Guarded);
        }
        // A wildcard names what it matches, not its fixed folder.
        (wild.is_none() && self.host_paths.iter().any(above)).then_some(Class::GuardedParent)
    }

    /// The same context, one written content deeper.
    pub(crate) fn deeper(&self) -> Context {
        Context {
            content_depth: self.content_depth.saturating_add(1),
            ..self.clone()
        }
    }

    /// The workspace root, if stated.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }
}

/// Whether `path` lies strictly under the folder `dir` (both normalised).
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/') || (dir.ends_with('/') && !rest.is_empty()))
}

/// Which paths a class holds, in the three scopes of `rules/classes.toml`.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathRule {
    pub class: Classes,
    /// Globs relative to a home directory (`.ssh/id_*`).
    pub home: Vec<PathGlob>,
    /// Globs of absolute paths (`/etc/cron.d/**`).
    pub absolute: Vec<PathGlob>,
    /// Globs matched against the whole normalised path, wherever it is (`**/.env`).
    pub anywhere: Vec<PathGlob>,
    /// Globs (whole normalised path) that this entry does not cover (`**/*.pub`).
    pub except: Vec<PathGlob>,
}

/// The path tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathTable {
    pub rules: Vec<PathRule>,
    /// Dot-named tool directories that are not hiding places (lower-case, relative to a home).
    pub known_dot_dirs: Vec<String>,
    /// Dot-named project entries that are not hiding places inside the workspace (lower-case
    /// names).
    pub workspace_dot_names: Vec<String>,
    /// Which globs can match which paths ([`PathTable::index`]).
    index: PathIndex,
}

/// Where a glob applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Anywhere,
    Absolute,
    Home,
}

/// One glob of one rule.
#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: usize,
    scope: Scope,
    glob: usize,
}

/// The globs of the path rules by what a path must have for them to match: the last segment
/// (`**/id_rsa`), its extension (`**/*.pem`) or the first segment (`/etc/**`, `.ssh/id_*`);
/// the rest are tried on every path. A path is checked against a few dozen globs, not all.
#[derive(Debug, Clone, Default)]
struct PathIndex {
    always: Vec<Entry>,
    by_last: HashMap<String, Vec<Entry>>,
    by_extension: HashMap<String, Vec<Entry>>,
    by_first: HashMap<String, Vec<Entry>>,
}

/// The key of a segment that is a literal (lower-case), or `*.ext` (its `.ext`).
fn literal(seg: &str) -> Option<String> {
    (!seg.is_empty() && !seg.contains(['*', '?', '[', '\\'])).then(|| seg.to_ascii_lowercase())
}

fn extension(seg: &str) -> Option<String> {
    seg.strip_prefix('*')
        .filter(|rest| rest.starts_with('.'))
        .and_then(literal)
}

impl PathTable {
    /// The classes of `raw` (as written by the extension or the shell, after quote removal).
    pub(crate) fn classify(&self, raw: &str, ctx: &Context) -> Classes {
        let raw = raw.trim();
        if raw.is_empty() {
            return Classes::EMPTY;
        }
        let raw = cut(raw, MAX_PATH_BYTES);
        let where_ = locate(raw, ctx);
        let mut classes = where_.classes;
        if let Some(class) = ctx.host_path_class(&where_.normal) {
            classes = classes.plus(class);
        }
        if self.is_hidden(&where_) {
            classes = classes.plus(Class::Hidden);
        }
        let full = where_.normal.as_str();
        if full.contains(['*', '?', '[', '{', '$', crate::lex::SUB_MARK]) {
            classes = classes.plus(Class::Indirect);
        }
        classes = classes.with(self.matched_classes(full, where_.home_rel(), classes));
        if full.starts_with("/dev/") && is_block_device(full) {
            classes = classes.plus(Class::Device);
        }
        classes
    }
}

impl PathTable {
    /// Indexes the rules' globs (after loading).
    pub(crate) fn index(&mut self) {
        let mut index = PathIndex::default();
        for (r, rule) in self.rules.iter().enumerate() {
            let scopes = [
                (Scope::Anywhere, &rule.anywhere),
                (Scope::Absolute, &rule.absolute),
                (Scope::Home, &rule.home),
            ];
            for (scope, globs) in scopes {
                for (g, glob) in globs.iter().enumerate() {
                    let entry = Entry {
                        rule: r,
                        scope,
                        glob: g,
                    };
                    let (first, last) = ends_of(glob.as_str());
                    let (map, key) = match scope {
                        Scope::Anywhere => match (literal(last), extension(last)) {
                            (Some(k), _) => (&mut index.by_last, k),
                            (None, Some(k)) => (&mut index.by_extension, k),
                            (None, None) => {
                                index.always.push(entry);
                                continue;
                            }
                        },
                        Scope::Absolute | Scope::Home => match literal(first) {
                            Some(k) => (&mut index.by_first, k),
                            None => {
                                index.always.push(entry);
                                continue;
                            }
                        },
                    };
                    map.entry(key).or_default().push(entry);
                }
            }
        }
        self.index = index;
    }

    /// The classes of the rules whose globs match `full` (or, for home globs, `home_rel`) and
    /// whose exceptions do not; rules whose class `known` already holds are skipped.
    fn matched_classes(&self, full: &str, home_rel: Option<&str>, known: Classes) -> Classes {
        let path = SplitPath::new(full);
        let home = home_rel.map(SplitPath::new);
        let lower = |seg: Option<&&str>| seg.map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let last = lower(path.segments.last());
        let index = &self.index;
        let mut keys: Vec<(&HashMap<String, Vec<Entry>>, String)> = vec![
            (&index.by_last, last.clone()),
            (&index.by_first, lower(path.segments.first())),
        ];
        // The extensions of the last segment (`.tar.gz`, `.gz`): its last four dots at most.
        keys.extend(
            last.rmatch_indices('.')
                .take(4)
                .filter_map(|(i, _)| last.get(i..))
                .map(|e| (&index.by_extension, e.to_owned())),
        );
        if let Some(h) = &home {
            keys.push((&index.by_first, lower(h.segments.first())));
        }
        let candidates = index.always.iter().chain(
            keys.iter()
                .filter_map(|(map, key)| map.get(key.as_str()))
                .flatten(),
        );
        let mut classes = Classes::EMPTY;
        let mut refused: Vec<usize> = Vec::new();
        for e in candidates {
            let Some(rule) = self.rules.get(e.rule) else {
                continue;
            };
            if known.with(classes).contains(rule.class) || refused.contains(&e.rule) {
                continue;
            }
            let hit = match e.scope {
                Scope::Anywhere => rule.anywhere.get(e.glob).is_some_and(|g| g.matches(&path)),
                Scope::Absolute => {
                    full.starts_with('/')
                        && rule.absolute.get(e.glob).is_some_and(|g| g.matches(&path))
                }
                Scope::Home => home
                    .as_ref()
                    .is_some_and(|h| rule.home.get(e.glob).is_some_and(|g| g.matches(h))),
            };
            if !hit {
                continue;
            }
            if rule.except.iter().any(|g| g.matches(&path)) {
                refused.push(e.rule);
            } else {
                classes = classes.with(rule.class);
            }
        }
        classes
    }

    /// The kind of file the last segment of `path` names — [`Class::Script`],
    /// [`Class::Archive`] — by the table's `anywhere` globs (a URL's path names a file the same
    /// way a file name does).
    pub(crate) fn file_kind(&self, path: &str) -> Classes {
        const KINDS: Classes = Classes::of(&[Class::Script, Class::Archive]);
        let name = path.rsplit('/').next().unwrap_or("");
        if name.is_empty() {
            return Classes::EMPTY;
        }
        self.classify(name, &Context::new()).only(KINDS)
    }

    /// A dot-named entry that is not a well-known one. Outside the workspace: in temporary
    /// space any dot-name counts; under a home, a dot-name below the home's own well-known
    /// dot-directories counts too (`~/.local/share/.fontcache`). Inside it: a dot-named file or
    /// directory that is not an ordinary project entry (`scripts/.telemetry.js`).
    fn is_hidden(&self, at: &Located) -> bool {
        if at.classes.has(Class::Workspace) {
            return at.workspace_rel().split('/').any(|comp| {
                let lower = comp.to_ascii_lowercase();
                comp.starts_with('.')
                    && !matches!(comp, "." | "..")
                    && !self.workspace_dot_names.contains(&lower)
            });
        }
        if !at.classes.has(Class::Outside) {
            return false;
        }
        let rest = match at.home_rel() {
            Some(r) => r,
            None if at.classes.has(Class::Temp) => at.normal.as_str(),
            None => return false,
        };
        let mut prefix = String::new();
        for comp in rest.split('/').filter(|c| !c.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(&comp.to_ascii_lowercase());
            if comp.starts_with('.')
                && comp.len() > 1
                && !self
                    .known_dot_dirs
                    .iter()
                    .any(|k| *k == prefix || *k == comp.to_ascii_lowercase())
            {
                return true;
            }
        }
        false
    }
}

/// Where a path is.
struct Located {
    normal: String,
    classes: Classes,
    /// Where the part below the home directory starts in `normal`, when under one.
    home_rel: Option<usize>,
    /// Where the part below the workspace root starts in `normal` (0 for a relative path).
    ws_rel: usize,
}

impl Located {
    fn workspace_rel(&self) -> &str {
        self.normal.get(self.ws_rel..).unwrap_or("")
    }

    fn home_rel(&self) -> Option<&str> {
        self.home_rel.and_then(|start| self.normal.get(start..))
    }
}

/// A path's location classes and its normalised form.
fn locate(raw: &str, ctx: &Context) -> Located {
    let unixy = unix_spelling(raw);
    let raw = unixy.as_deref().unwrap_or(raw);
    let braced = raw
        .strip_prefix("${HOME}")
        .map(|rest| format!("$HOME{rest}"));
    let mut normal = normalise(braced.as_deref().unwrap_or(raw));
    if let Some(home) = &ctx.home {
        if let Some(rest) = normal.strip_prefix("/home/~") {
            if rest.is_empty() || rest.starts_with('/') {
                normal = format!("{home}{rest}");
            }
        }
    }
    // A relative path is relative to the workspace: with its root known, `../.kube/config`
    // is the home's `.kube/config`.
    if let Some(ws) = ctx.workspace.as_deref() {
        if !normal.starts_with('/') && (normal == ".." || normal.starts_with("../")) {
            normal = normalise(&format!("{ws}/{normal}"));
        }
    }
    let mut classes = Classes::EMPTY;
    if !normal.starts_with('/') {
        if normal == ".." || normal.starts_with("../") {
            classes = classes.plus(Class::Outside).plus(Class::Traversal);
        } else {
            classes = classes.plus(Class::Workspace);
            // `.`, or a glob naming everything in it (`*`, `./*`, `.*`).
            if normal == "." || matches!(normal.as_str(), "*" | ".*" | "{*,.*}" | "* .*") {
                classes = classes.plus(Class::WorkspaceRoot);
            }
        }
        return Located {
            normal,
            classes,
            home_rel: None,
            ws_rel: 0,
        };
    }
    if let Some(ws) = ctx.workspace.as_deref() {
        let inside = normal == ws || normal.strip_prefix(ws).is_some_and(|r| r.starts_with('/'));
        if inside {
            classes = classes.plus(Class::Workspace);
            let everything = normal
                .strip_prefix(ws)
                .is_some_and(|r| matches!(r, "" | "/*" | "/.*"));
            if everything {
                classes = classes.plus(Class::WorkspaceRoot);
            }
            return Located {
                ws_rel: ws.len().min(normal.len()),
                normal,
                classes,
                home_rel: None,
            };
        }
    }
    classes = classes.plus(Class::Outside);
    if normal == "/" {
        classes = classes.plus(Class::FsRoot);
    }
    let lower = normal.to_ascii_lowercase();
    if TEMP_DIRS
        .iter()
        .any(|t| lower == *t || lower.strip_prefix(t).is_some_and(|r| r.starts_with('/')))
    {
        classes = classes.plus(Class::Temp);
    }
    let (home_root, home_rel) = home_split(&normal);
    if home_root || home_rel.is_some() {
        classes = classes.plus(Class::Home);
    }
    if home_root {
        classes = classes.plus(Class::HomeRoot);
    }
    let home_rel = home_rel.map(|r| normal.len() - r.len());
    Located {
        normal,
        classes,
        home_rel,
        ws_rel: 0,
    }
}

/// The same path in Unix spelling, when it is written otherwise: a `file://` URL, or a Windows
/// path (`C:\Users\u\.ssh\id_rsa` → `/Users/u/.ssh/id_rsa`, `%USERPROFILE%\x` → `~/x`).
fn unix_spelling(raw: &str) -> Option<String> {
    let lower = raw.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("file://") {
        let rest = raw.get(7..).unwrap_or("");
        // `file://host/path`: the path starts at the first `/`.
        return Some(
            rest.find('/')
                .map_or_else(String::new, |i| rest.get(i..).unwrap_or("").to_owned()),
        );
    }
    if !raw.contains('\\') {
        return None;
    }
    let bytes = raw.as_bytes();
    let drive = bytes.len() >= 2
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.get(1) == Some(&b':');
    let profile = raw.to_ascii_lowercase().starts_with("%userprofile%");
    let mut out = raw.replace('\\', "/");
    if drive {
        out = out.get(2..).unwrap_or("").to_owned();
    } else if profile {
        out = format!("~{}", out.get("%userprofile%".len()..).unwrap_or(""));
    } else {
        return None;
    }
    Some(out)
}

/// Temporary directories (lower-case; macOS's `/private` spellings included).
const TEMP_DIRS: &[&str] = &[
    "/tmp",
    "/var/tmp",
    "/dev/shm",
    "/private/tmp",
    "/private/var/tmp",
    "/private/var/folders",
    "/var/folders",
    "/run/user",
];

/// Whether `p` is a home directory itself, and its part below the home directory.
fn home_split(p: &str) -> (bool, Option<&str>) {
    if p == "/root" {
        return (true, None);
    }
    if let Some(r) = p.strip_prefix("/root/") {
        return (false, Some(r));
    }
    let Some(r) = p
        .strip_prefix("/home/")
        .or_else(|| p.strip_prefix("/Users/"))
    else {
        return (false, None);
    };
    match r.split_once('/') {
        None => (!r.is_empty(), None),
        Some((_, rel)) => (false, Some(rel)),
    }
}

/// At most `max` bytes of `s`, cut on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests;
