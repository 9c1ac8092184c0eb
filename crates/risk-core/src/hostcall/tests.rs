//! Unit tests of the hostcall: typed validation errors, declared capabilities and the command lines it frames.

use super::*;
use serde_json::json;

fn call(method: &str, params: Value) -> HostCall {
    HostCall::new("ext", "c1", method, params)
}

#[test]
fn validation_errors_are_typed() {
    assert_eq!(
        HostCall::new("", "c", "exec", json!({})).validate(),
        Err(InvalidHostcall::EmptyExtensionId)
    );
    assert_eq!(
        HostCall::new("e", "", "exec", json!({})).validate(),
        Err(InvalidHostcall::EmptyCallId)
    );
    assert_eq!(
        HostCall::new("e", "c", "", json!({})).validate(),
        Err(InvalidHostcall::EmptyMethod)
    );
    assert_eq!(
        call("exec", json!([1])).validate(),
        Err(InvalidHostcall::ParamsNotObject { found: "array" })
    );
    assert_eq!(
        call("exec", json!(null)).validate(),
        Err(InvalidHostcall::ParamsNotObject { found: "null" })
    );
    assert!(matches!(
        call("nope", json!({})).validate(),
        Err(InvalidHostcall::Capability(_))
    ));
}

#[test]
fn declared_capability_must_match_derived() {
    assert_eq!(
        call("exec", json!({})).with_capability("exec").validate(),
        Ok(Capability::Exec)
    );
    assert_eq!(
        call("exec", json!({})).with_capability(" EXEC ").validate(),
        Ok(Capability::Exec)
    );
    assert_eq!(
        call("exec", json!({"command": "ls"}))
            .with_capability("log")
            .validate(),
        Err(InvalidHostcall::CapabilityMismatch {
            declared: Capability::Log,
            derived: Capability::Exec
        })
    );
    assert_eq!(
        call("tool", json!({"name": "bash"}))
            .with_capability("tool")
            .validate(),
        Err(InvalidHostcall::CapabilityMismatch {
            declared: Capability::Tool,
            derived: Capability::Exec
        })
    );
    assert_eq!(
        call("exec", json!({})).with_capability("root").validate(),
        Err(InvalidHostcall::UnknownDeclaredCapability {
            declared: "root".into()
        })
    );
}

#[test]
fn framed_lines_apply_env_and_cwd_quoted_as_data() {
    let framed = |method: &str, params: Value| {
        HostCall::new("e", "c", method, params).framed_command_lines()
    };
    assert!(framed("exec", json!({"command": "ls"})).is_empty());
    assert_eq!(
        framed(
            "exec",
            json!({"command": "ls", "env": {"LD_PRELOAD": "/tmp/x.so", "N": 1, "Q": "a'b; c"}})
        ),
        vec!["export LD_PRELOAD=/tmp/x.so N=1 'Q=a'\\''b; c'\nls".to_owned()]
    );
    assert_eq!(
        framed(
            "exec",
            json!({"command": "rm -rf *", "cwd": "/", "dir": ["/a", "/b"]})
        ),
        vec![
            "cd /\nrm -rf *".to_owned(),
            "cd '[\"/a\",\"/b\"]'\nrm -rf *".to_owned(),
            "cd /a,/b\nrm -rf *".to_owned(),
        ]
    );
    assert_eq!(
        framed(
            "tool",
            json!({"name": "bash", "input": {"command": "ls", "cwd": "/"}, "env": ["A=1"]})
        ),
        vec!["cd /\nexport A=1\nls".to_owned()]
    );
    assert_eq!(
        framed(
            "exec",
            json!({"command": "ls", "env": "A=1\nB=2", "cwd": null})
        ),
        vec!["cd null\nexport A=1 B=2\nls".to_owned()]
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "a test that reads as one scenario or one table of cases"
)]
#[test]
fn command_line_covers_exec_and_bash_tool_and_stringifies_args() {
    assert_eq!(
        call("exec", json!({"command": "ls", "args": ["-la", "my dir"]}))
            .command_line()
            .as_deref(),
        Some("ls -la 'my dir'")
    );
    assert_eq!(
        call("exec", json!({"command": "sleep", "args": [5, true]}))
            .command_line()
            .as_deref(),
        Some("sleep 5 true")
    );
    assert_eq!(
        call("exec", json!({"command": "rm", "args": [{"x": 1}]}))
            .command_line()
            .as_deref(),
        Some(r#"rm '{"x":1}'"#)
    );
    assert_eq!(
        call(
            "tool",
            json!({"name": "bash", "input": {"command": "rm -rf /"}})
        )
        .command_line()
        .as_deref(),
        Some("rm -rf /")
    );
    assert_eq!(
        call("tool", json!({"name": "Bash", "command": "id"}))
            .command_line()
            .as_deref(),
        Some("id")
    );
    assert_eq!(
        call("tool", json!({"name": "read", "command": "id"})).command_line(),
        None
    );
    assert_eq!(call("http", json!({"command": "id"})).command_line(), None);
    // Every place a host may read a command from is a candidate.
    let lines =
        |method: &str, params: Value| HostCall::new("e", "c", method, params).command_lines();
    assert_eq!(
        lines("exec", json!({"command": ["rm", "-rf", "/"]})),
        vec!["rm -rf /".to_owned()]
    );
    assert_eq!(
        lines(
            "tool",
            json!({"name": "bash", "command": "rm -rf /", "input": {"command": "ls"}})
        ),
        vec!["ls".to_owned(), "rm -rf /".to_owned()]
    );
    assert_eq!(
        lines("tool", json!({"name": "bash", "input": "rm -rf /"})),
        vec!["rm -rf /".to_owned()]
    );
    assert_eq!(
        lines(
            "tool",
            json!({"name": "bash", "input": {"cmd": "rm -rf /"}})
        ),
        vec!["rm -rf /".to_owned()]
    );
    assert_eq!(
        lines("exec", json!({"command": "ls", "cmd": "rm -rf /"})),
        vec!["ls".to_owned(), "rm -rf /".to_owned()]
    );
    assert_eq!(
        lines("exec", json!({"argv": ["rm", "-rf", "/"]})),
        vec![String::new(), "rm -rf /".to_owned()]
    );
    assert_eq!(
        lines("exec", json!({"command": "rm", "args": "-rf /"})),
        vec!["rm -rf /".to_owned(), "rm '-rf /'".to_owned()]
    );
    assert_eq!(
        lines("tool", json!({"name": "zsh", "command": "id"})),
        vec!["id".to_owned()]
    );
    assert!(lines("tool", json!({"name": "read", "command": "id"})).is_empty());
    assert_eq!(
        call("exec", json!({"args": ["it's"]}))
            .command_line()
            .as_deref(),
        Some(r" 'it'\''s'")
    );
}
