//! Unit tests of `wrappers.rs`.

use super::*;

fn args(src: &str) -> Vec<Arg> {
    src.split_whitespace().map(Arg::plain).collect()
}

/// The program that finally runs, and the scripts found.
fn check(src: &str, program: &str, scripts: &[&str]) {
    let argv = args(src);
    let u = unwrap(&argv);
    let got = argv.get(u.start).map_or("", |a| a.text.as_str());
    assert_eq!(got, program, "{src:?}");
    let found: Vec<&str> = u.scripts.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(found, scripts, "{src:?}");
}

#[test]
fn wrappers_are_peeled() {
    check("sudo -u root -E rm -rf /", "rm", &[]);
    check("sudo -- rm x", "rm", &[]);
    check("env -i A=1 B=2 rm x", "rm", &[]);
    check("env -S rm_-rf x", "", &["rm_-rf x"]);
    check("nohup timeout -s KILL 10s nice -n 5 rm x", "rm", &[]);
    check("xargs -0 -n 1 rm -rf", "rm", &[]);
    check("xargs -i rm -rf {}", "rm", &[]);
    check("xargs -e --replace rm -rf {}", "rm", &[]);
    check("nice --adjustment 5 rm x", "rm", &[]);
    check("command -v rm", "", &[]);
    check("command rm x", "rm", &[]);
    check("exec -a name rm x", "rm", &[]);
    check("stdbuf -o0 time -p doas -u root /bin/rm x", "/bin/rm", &[]);
    check("bash -c x", "bash", &["x"]);
    check("sudo sh -lc x", "sh", &["x"]);
    check("bash -o pipefail -c x", "bash", &["x"]);
    check("su -c x root", "", &["x"]);
    check("eval rm -rf /", "", &["rm -rf /"]);
    check("ssh -p 22 host rm -rf /", "ssh", &["rm -rf /"]);
    check("busybox rm x", "rm", &[]);
    check("nohup -- rm x", "rm", &[]);
    check("pkexec --user root rm x", "rm", &[]);
    check("chrt -i 0 rm x", "rm", &[]);
    check("chrt -p 0 4242", "chrt", &[]);
    check("taskset -c 0 rm x", "rm", &[]);
    check("unshare -r -w / rm x", "rm", &[]);
    check("nsenter -t 1 -m rm x", "rm", &[]);
    check("strace -f -o log rm x", "rm", &[]);
    check("gosu root rm x", "rm", &[]);
    check("flock -w 5 /tmp/l rm x", "rm", &[]);
    check("flock /tmp/l -c x", "", &["x"]);
    check("sg root -c x", "", &["x"]);
    check("script -qc x /dev/null", "", &["x"]);
    check("ls -la", "ls", &[]);
}

#[test]
fn stdin_readers() {
    assert!(reads_stdin("bash", &args("")));
    assert!(reads_stdin("bash", &args("-s -- x")));
    assert!(!reads_stdin("bash", &args("-c x")));
    assert!(!reads_stdin("bash", &args("install.sh")));
    assert!(reads_stdin("python", &args("-")));
    assert!(reads_stdin("bash", &args("-o pipefail")));
    assert!(reads_stdin("python3", &args("-W ignore")));
    assert!(!reads_stdin("python", &args("-c x")));
    assert!(!reads_stdin("jq", &args("")));
    assert_eq!(program_name("/usr/bin/python3.11"), "python3");
}
