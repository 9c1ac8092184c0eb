//! Unit tests of the event stream: line parsing, error columns, the reader on arbitrary bytes.

use super::parse::LineError;
use super::*;
use hostguard_manager::RolloutPhase;

fn err(line: &str) -> LineError {
    match parse_line(line) {
        Ok(event) => panic!("expected an error for {line}, parsed {event:?}"),
        Err(e) => e,
    }
}

fn check_err(line: &str, column: usize, contains: &str) {
    let (c, m) = err(line);
    assert_eq!(c, column, "column of `{m}` in {line}");
    assert!(m.contains(contains), "`{m}` lacks `{contains}`");
}

#[test]
fn hostcall_line_parses_with_derived_capability() {
    let line = r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"fs","params":{"op":"read","path":"a"},"outcome":{"latency_ms":3}}"#;
    let Ok(Event::Hostcall(call)) = parse_line(line) else {
        panic!("not a hostcall")
    };
    assert_eq!(call.derived, Some(Capability::Read));
    assert_eq!(call.outcome.and_then(|o| o.latency_ms), Some(3));
}

#[test]
fn operator_lines_parse() {
    let Ok(Event::Operator(op)) =
        parse_line(r#"{"ts_ms":5,"op":"set_rollout_phase","phase":"enforce_all"}"#)
    else {
        panic!("not an op")
    };
    assert_eq!(
        op.action,
        OperatorAction::SetRolloutPhase {
            phase: RolloutPhase::EnforceAll
        }
    );
}

#[test]
fn bad_lines_name_column_and_expectation() {
    check_err("{", 1, "expected one JSON object per line");
    check_err(r#"{"ts_ms":"x"}"#, 12, "expected u64");
    check_err(r#"{"ts_ms":1,"bogus":2}"#, 18, "unknown field `bogus`");
    check_err(
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"nope","params":{}}"#,
        54,
        "unknown method `nope`",
    );
    check_err(
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":[]}"#,
        70,
        "expected `params` to be a JSON object",
    );
    check_err(
        r#"{"ts_ms":1,"extension_id":"e","method":"exec","params":{}}"#,
        1,
        "expected field `call_id`",
    );
    check_err(r#"{"extension_id":"e"}"#, 1, "expected field `ts_ms`");
    check_err(
        r#"{"ts_ms":1,"op":"explode"}"#,
        17,
        "expected `op` to be one of",
    );
    check_err(
        r#"{"ts_ms":1,"op":"set_rollout_phase","phase":"all"}"#,
        45,
        "found `all`",
    );
    check_err(
        r#"{"ts_ms":1,"op":"advance_rollout","method":"exec"}"#,
        44,
        "belongs to hostcall lines",
    );
    check_err(
        r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{},"capability":"read"}"#,
        86,
        "must match the derived one",
    );
}

proptest::proptest! {
    /// The reader never panics, whatever the bytes, and a reported column is on the line.
    #[test]
    fn reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let reader = EventReader::new(Path::new("fuzz.jsonl"), std::io::Cursor::new(bytes));
        for item in reader {
            let _ = item;
        }
    }

    /// Lines that are almost valid: every error has a column within the line.
    #[test]
    fn errors_point_inside_the_line(
        key in "[a-z_]{1,14}",
        value in proptest::prop_oneof![
            proptest::strategy::Just("1".to_owned()),
            proptest::strategy::Just("\"x\"".to_owned()),
            proptest::strategy::Just("{}".to_owned()),
            proptest::strategy::Just("[]".to_owned()),
            proptest::strategy::Just("null".to_owned()),
        ],
        cut in 0usize..120,
    ) {
        let full = format!(r#"{{"ts_ms":1,"extension_id":"e","call_id":"c","method":"log","params":{{}},"{key}":{value}}}"#);
        let line = full.get(..cut.min(full.len())).unwrap_or(&full);
        if let Err((column, message)) = parse_line(line) {
            proptest::prop_assert!(column >= 1 && column <= line.len().max(1), "{column} {message} {line}");
            proptest::prop_assert!(message.contains("expected"), "{message}");
        }
        let _ = value_column(line, &key);
    }
}

#[test]
fn value_column_ignores_nested_and_quoted_keys() {
    let line = r#"{"params":{"method":"x"},"note":"\"method\":","method":"exec"}"#;
    assert_eq!(value_column(line, "method"), Some(56));
}

#[test]
fn the_op_table_lists_every_documented_op_in_order() {
    let table: Vec<&str> = super::parse::OP_DEFS.iter().map(|d| d.op).collect();
    assert_eq!(table, OperatorAction::OPS.to_vec());
}
