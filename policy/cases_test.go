package policy

// Shared test inputs: the table tests use them and FuzzCheck seeds its
// corpus with them.

// bypasses must all be denied by a fence with deny: ["rm"].
var bypasses = []string{
	// plain, quoted, escaped, pathed
	"rm x", `\rm x`, `'rm' x`, `"r"m x`, `r\m x`, "r\\\nm x", `/bin/rm x`, `./rm x`, `../../bin/rm x`,
	"RM x", `$'\x72m' x`, `$'r\u006d' x`, `$'\162m' x`, `~/bin/rm x`, `"$HOME"/bin/rm x`, `=rm x`,
	// brace expansion and globs
	"{rm,x} y", "{x,y}; {rm,-rf} /", "/bin/r? x", "/bin/r[m] x", "/usr/bin/r* x", "@(rm) x",
	// lists, pipelines, compound commands
	"ls; rm x", "ls && rm x", "false || rm x", "ls | rm x", "ls |& rm x", "ls & rm x", "ls\nrm x",
	"! rm x", "time rm x", "time -p rm x", "coproc rm x", "(rm x)", "{ rm x; }",
	"if true; then rm x; fi", "if rm x; then :; fi", "if false; then :; elif true; then :; else rm x; fi",
	"for i in a; do rm $i; done", "for ((i=0;i<1;i++)); do rm x; done", "while false; do rm x; done",
	"until rm x; do :; done", "case x in *) rm x;; esac", "select x in a; do rm x; done",
	"f() { rm x; }", "function f { rm x; }", `ls() { rm "$@"; }`,
	// substitutions, everywhere they can hide
	"echo $(rm x)", "echo `rm x`", `echo "$(rm x)"`, `echo "a $(rm x) b"`, "x=$(rm x)", "x=$(rm x) ls",
	"export x=$(rm y)", "local x=$(rm y)", "declare -a a=($(rm y))", `let "x=$(rm y)"`,
	"echo > $(rm x)", `echo hi > "$(rm x)"`, "cat < <(rm x)", "cat <(rm x)", "tee >(rm x)",
	"cat <<EOF\n$(rm x)\nEOF\n", "cat <<< $(rm x)", "echo $(( $(rm x) + 1 ))", "(( $(rm x) ))",
	"[[ -n $(rm x) ]]", "case $(rm x) in *) ;; esac", "for i in $(rm x); do :; done",
	"echo ${x:-$(rm x)}", "echo ${x/$(rm x)/y}", "a[$(rm x)]=1", "echo $(echo $(rm x))",
	// wrappers
	"sudo rm x", "sudo -u root rm x", "sudo -u root -- rm x", "sudo -E -H rm x", "sudo VAR=1 rm x",
	"sudo --user=root rm x", "sudo --user root rm x", "sudo -iu root rm x", "doas rm x", "doas -u root rm x",
	"pkexec --user root rm x", "env rm x", "env -i PATH=/bin rm x", "env -u HOME -- rm x", "env - rm x",
	"env --chdir=/ rm x", "env -C / rm x", "env -S 'rm -rf' x", `env -S"rm x"`, "env -S 'FOO=1 rm x'",
	"command rm x", "command -p rm x", "builtin rm x", "exec rm x", "exec -a foo rm x",
	"nice rm x", "nice -n 10 rm x", "nice -n10 rm x", "nice -10 rm x", "nice --adjustment=5 rm x",
	"nohup rm x &", "nohup -- rm x", "setsid rm x", "unbuffer rm x",
	"timeout 5 rm x", "timeout -s KILL 5 rm x", "timeout --signal=KILL 5s rm x", "timeout --sig KILL 5 rm x",
	"timeout -k 1 5 rm x", "timeout --preserve-status 5 rm x", `\time -f %e rm x`, "/usr/bin/time -o f rm x",
	"stdbuf -o0 rm x", "stdbuf -oL -e0 rm x", "stdbuf --output=0 rm x", "ionice -c3 rm x", "ionice -c 2 -n 7 rm x",
	"chroot / rm x", "chroot --userspec=a:b / rm x", "taskset 0x1 rm x", "taskset -c 0,1 rm x", "chrt 10 rm x",
	"flock /tmp/l rm x", "flock -w 5 /tmp/l rm x", "flock /tmp/l -c 'rm x'", "busybox rm x", "toybox rm x",
	"xargs rm", "ls | xargs rm", "xargs -0 -n1 rm", "xargs -I{} rm {}", "xargs -i rm {}", "xargs -P4 -n 1 rm -f",
	"xargs --max-args=1 rm", "xargs -a list rm", "find . -exec rm {} \\;", "find . -exec rm {} +",
	"find . -execdir rm {} +", "find . -ok rm {} \\;", "find . -okdir rm {} ';'", "find . -name x -exec ls {} \\; -exec rm {} \\;",
	"watch rm x", "watch -n 1 rm x", "watch -x rm x", "watch -n1 'ls; rm x'", "watch -d=cumulative rm x",
	"sudo nice -n 5 timeout 10 env A=1 rm x", "xargs sudo rm", "find . -exec sudo rm {} +",
	// interpreters and code strings
	"bash -c 'rm x'", "bash -lc 'rm x'", `bash -c "rm x"`, "bash -c -- 'rm x'", "bash -o posix -c 'rm x'",
	"bash --norc -c 'rm x'", "bash -ec 'rm x' name arg", "sh -c 'rm x'", "sh -ec 'rm x'", "dash -c 'rm x'",
	"zsh -c 'rm x'", "zsh -c '=rm x'", "ksh -c 'rm x'", "mksh -c 'rm x'", "ash -c 'rm x'", "/bin/bash -c 'rm x'",
	"sudo sh -c 'rm x'", "xargs sh -c 'rm \"$@\"' _", "xargs -I{} sh -c 'rm {}'", "find . -exec sh -c 'rm \"$1\"' _ {} \\;",
	"busybox sh -c 'rm x'", "bash -c \"bash -c 'rm x'\"", "bash -c 'eval \"rm x\"'", "bash -c 'x=$(rm y)'",
	`sh -c "echo; rm $x"`, `bash -c "cd $DIR && rm -rf build"`, "bash <<< 'rm x'", "sh <<'EOF'\nrm x\nEOF\n",
	"bash <<EOF\nrm $x\nEOF\n", "bash -s <<< 'rm x'", "cat f | bash -c 'rm x'",
	"su -c 'rm x'", "su root -c 'rm x'", "su - root -c 'rm x'", "su --command='rm x' root", "su -lc 'rm x'",
	"runuser -u bob -- rm x", "runuser bob -c 'rm x'", "script -qc 'rm x' /dev/null", "script -c 'rm x'",
	"eval rm x", "eval 'rm x'", `eval "rm x"`, "eval 'r''m' x", "eval -- rm x", `eval "rm $x"`, "eval 'ls; rm x'",
	"eval eval rm x", "trap 'rm x' EXIT", "trap -- 'rm x' INT TERM", "alias x=rm; x file", "alias x='rm -rf'",
	"alias ll='ls -l' y='sudo rm'", "mapfile -C 'rm' -c 1 arr < f", "readarray -C rm -c 1 arr < f",
	"hash -p /bin/rm ls; ls", "builtin eval rm x", "command eval 'rm x'", "exec sh -c 'rm x'",
	// dynamic words that may vanish or be a wrapper
	"$x rm x", "$empty rm -rf /", `"$@" rm x`, "$(printf '') rm -rf /", "${x} -u root rm x",
	// partly dynamic names, likely values
	"r$x x", `"$(true)"rm x`, "${p}m x", `"${x:-rm}" -rf /`, "${x:=rm} x", "$(which rm) x", "`command -v rm` x",
	"$(type -P rm) x", "r''m x", `\r\m x`, "$'rm' x",
	// code read from standard input
	"source /dev/stdin <<< 'rm x'", ". /dev/stdin <<EOF\nrm x\nEOF\n", "bash /dev/stdin <<< 'rm x'",
}

// innocent commands must pass a fence with deny: ["rm"].
var innocent = []string{
	"echo rm", "echo rm -rf /", "grep rm file", "grep -r 'rm -rf' .", "ls", "ls -la", "rmdir x", "git rm x",
	"git rm --cached x", "cat /usr/bin/rm", "man rm", "which rm", "type rm", "command -v rm", "command -V rm",
	"printf '%s\\n' rm", "ls | grep rm", "find . -name rm", "find . -name '*.rm' -print", "git commit -m 'rm old files'",
	"echo $(date)", "x=rm", "rm_old_logs", "./rmx", "rm.sh", "echo 'rm x' > script.sh", "cat <<'EOF'\nrm -rf /\nEOF\n",
	"cat <<EOF\nrm $x\nEOF\n", "sh script.sh", "bash ./build.sh --clean", "case x in rm) echo rm;; esac",
	"for rm in a b; do echo $rm; done", "function rmfoo { echo; }", "[ -f rm ]", "test rm = x", "[[ rm == x ]]",
	"sed -e 's/rm/del/' file", "awk '{print \"rm\"}'", `echo "$(echo rm)"`, "git log --grep=rm", "watch -n 5 ls",
	"sudo ls", "sudo -u rm ls", "sudo -u rmuser ls", "xargs echo rm", "env FOO=rm ls", "env -u rm ls", "timeout 5 echo rm",
	"nice -n 5 make", "bash -c 'echo rm'", "sh -c 'ls | grep rm'", "eval echo rm", "alias ll='ls -l'",
	"trap 'echo bye' EXIT", "trap - EXIT", "trap rm", "find . -exec echo rm {} \\;", "xargs -I{} echo rm {}",
	"echo rm | grep rm", "echo rm | cat", "echo 'rm x' | sh -c 'cat'", "ls | xargs", "cd /tmp && ls -la | grep x",
	"export A=1; ls", "declare -x A=rm", "let x=1+2", "(( x = 1 + 2 ))", "echo $((1 + 2))", "echo {a,b}",
	"echo {1..100000}", "cp a b", "mv a b", "git status --short | head -n 20", "go test ./...", "docker rm x",
	"kubectl delete pod rm", "npm rm lodash", "hash -r", "hash ls", "builtin echo rm", "exec >/dev/null",
	"doas -u rm ls", "chroot /srv/rm ls", "timeout rm 5", "stdbuf -o rm ls", "nice -n rm ls", "env -C rm ls",
	"flock -w 1 rm ls", "ionice -c rm ls", "source ./env.sh", ". ./env.sh", "# rm x", "ls # rm x", "",
	"   ", "echo a\\\n  b", "mapfile -t lines < f", "script -q /dev/null", "su - bob", "time ls", "coproc ls",
	"x=1; echo $x", "$(which git) status", "${GIT:-git} status", "py$V -c 1", "echo \"it's fine\"", "echo $'rm\\n'", "/bin/r", "echo r?", "[ -d x ] || mkdir x",
}
