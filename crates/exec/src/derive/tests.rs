//! Unit tests of `derive.rs`.

use super::*;

#[test]
fn helpers() {
    assert_eq!(uploaded_file("file=@/tmp/x.tgz"), Some("/tmp/x.tgz"));
    assert_eq!(uploaded_file("@.env"), Some(".env"));
    assert_eq!(uploaded_file("/tmp/.kc.txt"), Some("/tmp/.kc.txt"));
    assert_eq!(uploaded_file("@-"), None);
    assert_eq!(
        remote_spec("deploy@10.0.4.13:/tmp/.lsp"),
        Some(("deploy@10.0.4.13", "/tmp/.lsp"))
    );
    assert_eq!(remote_spec("./a:b"), None);
    assert_eq!(remote_spec("m:bk/dev"), None);
    assert_eq!(
        expansions("Bearer ${GITHUB_TOKEN}x$HOME"),
        vec!["GITHUB_TOKEN", "HOME"]
    );
}
