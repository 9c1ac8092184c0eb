//! Tests of command-line redaction: one line per recognised form, and properties over random
//! command lines.

use super::*;

fn check(cmd: &str, expected: &str) {
    let policy = SecretBrokerPolicy::default();
    assert_eq!(policy.redact_command(cmd), expected, "{cmd}");
}

#[test]
fn assignments() {
    check("ls -la", "ls -la");
    check("API_KEY=abc123 ./run", "API_KEY=[REDACTED] ./run");
    check(
        "export GITHUB_TOKEN=ghp_x",
        "export GITHUB_TOKEN=[REDACTED]",
    );
    check(
        "env db_password='a b c' app",
        "env db_password=[REDACTED] app",
    );
    check("\"API_KEY=abc\" x", "\"API_KEY=[REDACTED]\" x");
    check("FOO=bar BAR=baz", "FOO=bar BAR=baz");
    check("API_KEY= x", "API_KEY= x");
    check(
        "docker run --env=MY_TOKEN=t1 img",
        "docker run --env=MY_TOKEN=[REDACTED] img",
    );
    check(
        "docker run -e MY_TOKEN=t1 img",
        "docker run -e MY_TOKEN=[REDACTED] img",
    );
    check("a;API_KEY=x;b", "a;API_KEY=[REDACTED];b");
}

#[test]
fn append_assignments() {
    check("API_KEY+=abc ./run", "API_KEY+=[REDACTED] ./run");
    check("export GITHUB_TOKEN+=x", "export GITHUB_TOKEN+=[REDACTED]");
    check("\"API_KEY+=abc\" x", "\"API_KEY+=[REDACTED]\" x");
    check("API_KEY+= x", "API_KEY+= x");
    check("FOO+=bar", "FOO+=bar");
    check("API_KEY+x=y", "API_KEY+x=y");
}

#[test]
fn flags() {
    check("app --password hunter2 -v", "app --password [REDACTED] -v");
    check("app --password=hunter2", "app --password=[REDACTED]");
    check("app --password='hun ter2'", "app --password=[REDACTED]");
    check("gh --token abc", "gh --token [REDACTED]");
    check("x --api_key=abc", "x --api_key=[REDACTED]");
    check("keytool -storepass s3cret", "keytool -storepass [REDACTED]");
    check(
        "openssl rsa -passin pass:s3cret",
        "openssl rsa -passin [REDACTED]",
    );
    check(
        "mysql -u root -phunter2 db",
        "mysql -u root -p[REDACTED] db",
    );
    check("mysql -u root -p hunter2", "mysql -u root -p [REDACTED]");
    check(
        "sudo /usr/bin/mysql -pX",
        "sudo /usr/bin/mysql -p[REDACTED]",
    );
    check("sshpass -p pw ssh host", "sshpass -p [REDACTED] ssh host");
    check("redis-cli -a pw ping", "redis-cli -a [REDACTED] ping");
    check("mkdir -p build", "mkdir -p build");
    check("ssh -p 2222 host", "ssh -p 2222 host");
    check("mysql -pX; mkdir -p y", "mysql -p[REDACTED]; mkdir -p y");
    check(
        "curl -u bob:pw https://x",
        "curl -u bob:[REDACTED] https://x",
    );
    check(
        "curl --user=bob:pw https://x",
        "curl --user=bob:[REDACTED] https://x",
    );
    check("docker run -u 1000:1000 img", "docker run -u 1000:1000 img");
    check(
        "docker login --password-stdin",
        "docker login --password-stdin",
    );
}

#[test]
fn quoted_flag_words() {
    // What `HostCall::command_line` makes of argv words with a space: a quoted word.
    check("app '--password=x y' z", "app '--password=[REDACTED]' z");
    check(
        "app \"--password\" hunter2",
        "app \"--password\" [REDACTED]",
    );
    check("gh '--token' abc", "gh '--token' [REDACTED]");
    check("mysql '-ps3 cret' db", "mysql '-p[REDACTED]' db");
    check("'mysql' -psecret", "'mysql' -p[REDACTED]");
    check("curl '-ubob:p w' u", "curl '-ubob:[REDACTED]' u");
    check("keytool '-storepass' s", "keytool '-storepass' [REDACTED]");
    check("echo '--verbose x'", "echo '--verbose x'");
    check("echo \"-p\" 1", "echo \"-p\" 1");
    check("\"API_KEY=abc\" x", "\"API_KEY=[REDACTED]\" x");
}

#[test]
fn curl_cookie_flags() {
    check(
        "curl -b 'session=abc123' https://h",
        "curl -b [REDACTED] https://h",
    );
    check("curl -bsid=x https://h", "curl -b[REDACTED] https://h");
    check(
        "curl --cookie \"sid=x; csrf=y\" https://h",
        "curl --cookie [REDACTED] https://h",
    );
    check(
        "curl --cookie=sid=x https://h",
        "curl --cookie=[REDACTED] https://h",
    );
    check("git commit -b x", "git commit -b x");
}

#[test]
fn query_and_form_parameters() {
    check(
        "curl 'https://api.example.com/x?api_key=abc123&page=2'",
        "curl 'https://api.example.com/x?api_key=[REDACTED]&page=2'",
    );
    check(
        "curl https://h/cb?access_token=t0k#frag",
        "curl https://h/cb?access_token=[REDACTED]#frag",
    );
    check(
        "curl -d 'user=bob&password=hunter2' https://h/login",
        "curl -d 'user=bob&password=[REDACTED]' https://h/login",
    );
    check(
        "wget \"https://h/?a=1&client-secret=s\"",
        "wget \"https://h/?a=1&client-secret=[REDACTED]\"",
    );
    check(
        "curl 'https://h/?page=2&sort=asc'",
        "curl 'https://h/?page=2&sort=asc'",
    );
    check("a && b", "a && b");
}

#[test]
fn more_password_clients() {
    check(
        "ldapsearch -x -D cn=admin -w s3cret -b dc=x",
        "ldapsearch -x -D cn=admin -w [REDACTED] -b dc=x",
    );
    check("ldapmodify -ws3cret -f x", "ldapmodify -w[REDACTED] -f x");
    check(
        "sqlcmd -S db -U sa -P s3cret -Q q",
        "sqlcmd -S db -U sa -P [REDACTED] -Q q",
    );
    check("mysqlsh -u root -ps3cret", "mysqlsh -u root -p[REDACTED]");
    check("mysqlbinlog -ps3cret x", "mysqlbinlog -p[REDACTED] x");
    check("mariadb-import -ps3cret x", "mariadb-import -p[REDACTED] x");
    check("grep -w word file", "grep -w word file");
    check("rsync -P a b", "rsync -P a b");
}

#[test]
fn powershell_env_assignments() {
    check(
        "$env:GITHUB_TOKEN=\"ghp_x\"; gh auth status",
        "$env:GITHUB_TOKEN=[REDACTED]; gh auth status",
    );
    check(
        "$env:API_KEY = 'abc'; ./run",
        "$env:API_KEY = [REDACTED]; ./run",
    );
    check("$Env:db_password =hunter2", "$Env:db_password =[REDACTED]");
    check("$env:PATH = 'C:\\bin'", "$env:PATH = 'C:\\bin'");
    check("$env:API_KEY; x", "$env:API_KEY; x");
}

#[test]
fn windows_spellings_of_clients() {
    check("mysql.exe -psecret db", "mysql.exe -p[REDACTED] db");
    check(
        "C:\\tools\\MySQL.EXE -u root -p hunter2",
        "C:\\tools\\MySQL.EXE -u root -p [REDACTED]",
    );
    check("curl.exe -u bob:pw u", "curl.exe -u bob:[REDACTED] u");
    check("Redis-Cli -a pw", "Redis-Cli -a [REDACTED]");
    check("mkdir.exe -p x", "mkdir.exe -p x");
}

#[test]
fn commands_inside_a_quoted_script() {
    check(
        "bash -c 'mysql -psecret db'",
        "bash -c 'mysql -p[REDACTED] db'",
    );
    check(
        "sh -c \"app --password hunter2 -v\"",
        "sh -c \"app --password [REDACTED] -v\"",
    );
    check(
        "ssh host \"curl -u bob:pw https://x\"",
        "ssh host \"curl -u bob:[REDACTED] https://x\"",
    );
    check(
        "bash -c \"sh -c 'redis-cli -a pw ping'\"",
        "bash -c \"sh -c 'redis-cli -a [REDACTED] ping'\"",
    );
    check("echo 'mkdir -p build'", "echo 'mkdir -p build'");
}

#[test]
fn unquoted_headers_with_escaped_blanks() {
    check(
        "curl -H Authorization:\\ Bearer\\ abc u",
        "curl -H Authorization:[REDACTED] u",
    );
    check(
        "curl -H Authorization:Bearer\\ abc u",
        "curl -H Authorization:[REDACTED] u",
    );
    check(
        "curl -H X-Api-Key:\\ k1 u",
        "curl -H X-Api-Key:[REDACTED] u",
    );
    check(
        "curl -H Authorization:\\ Bearer\\ abc",
        "curl -H Authorization:[REDACTED]",
    );
}

#[test]
fn headers_and_urls() {
    check(
        "curl -H 'Authorization: Bearer abc.def' https://api",
        "curl -H 'Authorization: Bearer [REDACTED]' https://api",
    );
    check(
        "curl -H \"authorization:token xyz\" u",
        "curl -H \"authorization:token [REDACTED]\" u",
    );
    check(
        "curl -H 'Proxy-Authorization: Basic dXNlcjpw' u",
        "curl -H 'Proxy-Authorization: Basic [REDACTED]' u",
    );
    check(
        "curl -H 'X-Api-Key: k1' u",
        "curl -H 'X-Api-Key: [REDACTED]' u",
    );
    check(
        "git clone https://bob:pw@github.com/x.git",
        "git clone https://bob:[REDACTED]@github.com/x.git",
    );
    check(
        "git clone https://ghp_tok@github.com/x",
        "git clone https://[REDACTED]@github.com/x",
    );
    check(
        "git clone ssh://git@github.com/x",
        "git clone ssh://git@github.com/x",
    );
    check(
        "psql postgres://u:p@db:5432/x",
        "psql postgres://u:[REDACTED]@db:5432/x",
    );
    check(
        "curl https://example.com/a@b",
        "curl https://example.com/a@b",
    );
}

#[test]
fn odd_input_never_panics() {
    for cmd in [
        "",
        "\\",
        "'",
        "\"",
        "\\é",
        "--",
        "-",
        "=",
        "--=",
        "API_KEY=\"",
        "a://@",
        "://",
        "Authorization:",
        "é://é:é@é",
        "mysql -p",
        "curl -u",
    ] {
        let _ = SecretBrokerPolicy::default().redact_command(cmd);
    }
}

mod properties {
    //! For random command lines holding a secret value in one of the recognised forms, the
    //! output never holds the value; for any input, redaction never panics.

    use proptest::prelude::*;

    use super::super::SecretBrokerPolicy;

    /// Every recognised form, `{S}` where the secret goes.
    const FORMS: &[&str] = &[
        "API_KEY={S} ./run",
        "export GITHUB_TOKEN={S}",
        "env db_password='{S} x' app",
        "\"API_KEY={S}\" x",
        "API_KEY+={S}",
        "docker run --env=MY_TOKEN={S} img",
        "docker run -e MY_TOKEN={S} img",
        "app --password {S} -v",
        "app --password={S}",
        "app --password='{S} x'",
        "gh --token {S}",
        "x --api_key={S}",
        "app '--password={S} y' z",
        "app \"--password\" {S}",
        "keytool -storepass {S}",
        "openssl rsa -passin pass:{S}",
        "mysql -u root -p{S} db",
        "mysql -u root -p {S}",
        "sudo /usr/bin/mysql -p{S}",
        "mysql '-p{S} x' db",
        "sshpass -p {S} ssh host",
        "redis-cli -a {S} ping",
        "ldapsearch -x -w {S} -b dc=x",
        "ldapmodify -w{S} -f x",
        "sqlcmd -S db -U sa -P {S} -Q q",
        "C:\\tools\\MySQL.EXE -u root -p {S}",
        "curl -u bob:{S} https://x",
        "curl --user=bob:{S} https://x",
        "curl '-ubob:{S}' u",
        "curl -b 'session={S}' https://h",
        "curl -b{S} https://h",
        "curl --cookie \"sid={S}; csrf=y\" https://h",
        "curl --cookie={S} https://h",
        "curl 'https://api.example.com/x?api_key={S}&page=2'",
        "curl https://h/cb?access_token={S}#frag",
        "curl -d 'user=bob&password={S}' https://h/login",
        "curl -H 'Authorization: Bearer {S}' https://api",
        "curl -H \"authorization:token {S}\" u",
        "curl -H 'Proxy-Authorization: Basic {S}' u",
        "curl -H 'X-Api-Key: {S}' u",
        "curl -H Authorization:\\ Bearer\\ {S} u",
        "git clone https://bob:{S}@github.com/x.git",
        "git clone https://{S}@github.com/x",
        "psql postgres://u:{S}@db:5432/x",
        "$env:GITHUB_TOKEN=\"{S}\"; gh auth status",
        "$env:API_KEY = '{S}'; ./run",
        "bash -c 'mysql -p{S} db'",
        "sh -c \"app --password {S} -v\"",
        "ssh host \"curl -u bob:{S} https://x\"",
        "bash -c \"sh -c 'redis-cli -a {S} ping'\"",
    ];

    /// A simple command around the form: benign words that cannot hold the secret (no
    /// upper-case letters: every secret starts with `S3cr`).
    fn simple_command() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z0-9./_=-]{1,8}", 0..4).prop_map(|w| w.join(" "))
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("; "),
            Just(" && "),
            Just(" || "),
            Just(" | "),
            Just("\n"),
            Just(" & ")
        ]
    }

    proptest! {
        #[test]
        fn a_secret_in_a_recognised_form_never_survives(
            form in proptest::sample::select(FORMS),
            secret in "S3cr[A-Za-z0-9_.-]{1,16}",
            before in simple_command(),
            first in separator(),
            after in simple_command(),
            second in separator(),
            trailing in simple_command(),
        ) {
            let form = form.replace("{S}", &secret);
            let line = if before.is_empty() {
                format!("{form}{second}{after} {trailing}")
            } else {
                format!("{before}{first}{form}{second}{after} {trailing}")
            };
            let redacted = SecretBrokerPolicy::default().redact_command(&line);
            prop_assert!(!redacted.contains(&secret), "{line:?} -> {redacted:?}");
        }

        #[test]
        fn redaction_never_panics(cmd in "\\PC{0,64}") {
            let _ = SecretBrokerPolicy::default().redact_command(&cmd);
        }

        #[test]
        fn redaction_never_panics_on_shell_punctuation(
            cmd in "[-a-z:=@/\\\\'\" ;&|()<>`$?#._+]{0,48}",
        ) {
            let _ = SecretBrokerPolicy::default().redact_command(&cmd);
        }
    }
}
