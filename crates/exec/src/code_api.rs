//! The `[[code]]` table of `rules/programs.toml`: which API names of inline interpreter code do
//! what ([`Api`]), as the catalog loads it and the code reader (`code.rs`) reads it.

/// What a group of API names does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Api {
    Delete,
    Read,
    Write,
    Http,
    Send,
    Socket,
    Spawn,
    Eval,
    Decode,
    Walk,
    Env,
    Home,
    Resolve,
}

impl Api {
    pub(crate) const NAMES: [(Api, &'static str); 13] = [
        (Api::Delete, "delete"),
        (Api::Read, "read"),
        (Api::Write, "write"),
        (Api::Http, "http"),
        (Api::Send, "send"),
        (Api::Socket, "socket"),
        (Api::Spawn, "spawn"),
        (Api::Eval, "eval"),
        (Api::Decode, "decode"),
        (Api::Walk, "walk"),
        (Api::Env, "env"),
        (Api::Home, "home"),
        (Api::Resolve, "resolve"),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Api> {
        Api::NAMES.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// The `[[code]]` entries: API names (lower-case) per kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct CodeTable {
    pub entries: Vec<(Api, Vec<String>)>,
}
