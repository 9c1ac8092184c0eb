//! The shell commands interpreter code hands to the system: the string literals passed to
//! `system()`, `subprocess.run([…])`, `execSync`, backticks… (markers, not a parse), and code
//! that opens a socket and hands it a shell.

/// Calls that run a shell command, in interpreter code (lowercase markers).
const SYSTEM_CALLS: &[&str] = &[
    "system(",
    "system ",
    "popen(",
    "exec(",
    "exec ",
    "execute(",
    "execsync(",
    "spawnsync(",
    "check_output(",
    "check_call(",
    "getoutput(",
    "getstatusoutput(",
    ".run(",
    ".call(",
    "spawn(",
    "deno.command(",
    "popen2(",
    "shell_exec(",
    "passthru(",
    "%x(",
    "%x{",
    "qx(",
    "qx{",
    "`",
];

/// Most embedded commands taken from one piece of interpreter code.
const MAX_EMBEDDED: usize = 16;

/// The string literals interpreter code passes to [`SYSTEM_CALLS`]: a quoted string, a list of
/// quoted strings (joined by spaces), or the text between backticks.
pub(crate) fn embedded_commands(code: &str) -> Vec<String> {
    let lower = code.to_ascii_lowercase();
    let mut out = Vec::new();
    for marker in SYSTEM_CALLS {
        let mut from = 0;
        while let Some(at) = lower.get(from..).and_then(|rest| rest.find(marker)) {
            let start = from + at + marker.len();
            from = start;
            if out.len() >= MAX_EMBEDDED {
                return out;
            }
            let Some(rest) = code.get(start..) else {
                break;
            };
            if *marker == "`" {
                if let Some(end) = rest.find('`') {
                    out.extend(rest.get(..end).map(str::to_owned));
                    from = start + end + 1;
                }
                continue;
            }
            // Perl / Ruby quote-like operators: `qx{…}`, `qx(…)`, `%x(…)` hold the command.
            if let Some(close) = match *marker {
                "qx{" | "%x{" => Some('}'),
                "qx(" | "%x(" => Some(')'),
                _ => None,
            } {
                if !rest.starts_with(['\'', '"']) {
                    if let Some(end) = rest.find(close) {
                        out.extend(rest.get(..end).map(str::to_owned));
                        from = start + end + 1;
                    }
                    continue;
                }
            }
            let mut words = Vec::new();
            // Quoted words, a list of them (`['rm', '-rf', '/']`), or a program then its list
            // (`spawnSync('rm', ['-rf', '/'])`).
            let mut chars = rest.trim_start().chars();
            while let Some(q) = chars.next() {
                match q {
                    '\'' | '"' => {
                        let mut lit = String::new();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => lit.extend(chars.next()),
                                c if c == q => break,
                                c => lit.push(c),
                            }
                        }
                        words.push(lit);
                    }
                    ' ' | ',' | '\t' | '[' | ']' => {}
                    _ => break,
                }
            }
            if words.len() == 1 {
                out.extend(words);
            } else if !words.is_empty() {
                // An argument vector: each word is one argument (`['sh', '-c', 'a | b']`).
                let quoted: Vec<String> = words.iter().map(|w| crate::shell_quote(w)).collect();
                out.push(quoted.join(" "));
            }
        }
    }
    // awk: `"cmd" | getline`, `"cmd" |& getline`.
    let mut rest = code;
    while let Some(at) = rest.find("getline") {
        if out.len() >= MAX_EMBEDDED {
            break;
        }
        let before = rest.get(..at).unwrap_or("").trim_end();
        let before = before
            .strip_suffix("|&")
            .or_else(|| before.strip_suffix('|'))
            .map(str::trim_end);
        if let Some(quoted) = before.and_then(|b| b.strip_suffix('"')) {
            if let Some(open) = quoted.rfind('"') {
                out.extend(quoted.get(open + 1..).map(str::to_owned));
            }
        }
        rest = rest.get(at + "getline".len()..).unwrap_or("");
    }
    out
}

/// Interpreter code that opens a socket and hands it a shell or process.
pub(crate) fn is_socket_shell(code: &str) -> bool {
    const SOCKET: &[&str] = &[
        "socket",
        "fsockopen",
        "tcpsocket",
        "net.connect",
        "net.socket",
        "createconnection",
        "/dev/tcp/",
        "/inet/tcp/",
        "/inet/udp/",
        "io::socket",
        "stream_socket_client",
        "require(\"net\")",
        "require('net')",
        "node:net",
    ];
    const SPAWN: &[&str] = &[
        "subprocess",
        "pty.spawn",
        "dup2",
        "exec",
        "/bin/sh",
        "/bin/bash",
        "sh -i",
        "child_process",
        "system(",
        "popen",
        "spawn",
        "proc_open",
        "shell_exec",
        "passthru",
        "cmd.exe",
        "|&",
        "getline",
    ];
    SOCKET.iter().any(|m| code.contains(m)) && SPAWN.iter().any(|m| code.contains(m))
}
