package policy

// Shared test inputs: the table tests use them and FuzzCheck seeds its
// corpus with them.

// bypasses must all be denied by a fence with deny: ["rm"].
var bypasses = append([]string{
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
	"{ bash; } <<< 'rm x'", "bash -c 'bash' <<< 'rm x'", "while read l; do sh; done <<EOF\nrm x\nEOF\n",
	"f() { bash; } <<< 'rm x'", "(read l; bash) <<< $'x\\nrm x'",
	// hook variables and data as code, where bash does not run them at once
	"f() { local PROMPT_COMMAND='rm f'; }", "PS3='$(rm f)'", "PROMPT_COMMAND+='; rm f'", "PS1+='$(rm f)'",
	"sudo PROMPT_COMMAND='rm f' bash -i", "env -S 'PROMPT_COMMAND=\"rm f\" bash -i'", "declare -n r=x; PS1='`rm f`'",
	"x='$(rm f)'", "x=\"\\$(rm f)\"", "BASH_ENV='$(rm f)' bash -c :", "ENV='`rm f`' sh -i",
	"set -o history; history -s 'rm f'; fc -s", "a=('a[$(rm f)]')", "export X='`rm f`'", "v=$(echo) w='$(rm f)' ls",
}, dataBypasses...)

// dataBypasses are commands in which bash runs, as code, a value the
// command only assigns or evaluates as data; each one makes an interactive
// bash run rm (TestDataBypassesRunInBash checks that against real bash).
var dataBypasses = []string{
	// shell hooks: PROMPT_COMMAND runs before each prompt, PS0-PS2 and PS4
	// are expanded, command substitutions included, when bash shows them
	"PROMPT_COMMAND='rm f'", "export PROMPT_COMMAND='rm f'", "declare -x PROMPT_COMMAND='rm f'",
	"readonly PROMPT_COMMAND='rm f'", "typeset PROMPT_COMMAND='rm f'", "export 'PROMPT_COMMAND=rm f'",
	"builtin export PROMPT_COMMAND='rm f'", "command declare PROMPT_COMMAND='rm f'", `eval "PROMPT_COMMAND='rm f'"`,
	"PROMPT_COMMAND=(: 'rm f')", "PROMPT_COMMAND+=('rm f')", "PROMPT_COMMAND[3]='rm f'",
	"PROMPT_COMMAND=r; PROMPT_COMMAND+='m f'", "PROMPT_COMMAND+=$'\\nrm f'", ": ${PROMPT_COMMAND:='rm f'}",
	"for PROMPT_COMMAND in 'rm f'; do :; done", "PROMPT_COMMAND='rm f' bash --norc -i </dev/null",
	"env PROMPT_COMMAND='rm f' bash --norc -i </dev/null", "env 'BASH_FUNC_ls%%=() { rm f; }' bash -c ls",
	"PS1='$(rm f)'", "PS0='$(rm f)'", "PS2='$(rm f)'", "PS1='`rm f`'", "PS1='\\044(rm f)'", "PS1='\\140rm f\\140'",
	"PS1='\\[$(rm f)\\]'", "PS4='$(rm f)'; set -x; :", "declare -x PS1='$(rm f)'",
	"MAILCHECK=0 MAILPATH='mbox?$(rm f)'; sleep 1; echo >> mbox",
	// values evaluated as arithmetic (a subscript's command substitution
	// runs), as a variable name or as a prompt
	"x='a[$(rm f)]'; echo $((x))", "x='a[$(rm f)]'; [[ $x -eq 0 ]]", "x='a[$(rm f)]'; [[ x -eq 0 ]]",
	"x='a[$(rm f)]'; echo ${!x}", "x='a[$(rm f)]'; declare -i y=$x", "x='$(rm f)'; echo \"${x@P}\"",
	"v='a=([0]=$(rm f))'; declare -a \"$v\"", "declare -a a='([0]=$(rm f))'", "x='a[$(rm f)]'; a=(1); echo ${a[x]}",
	"x='a[$(rm f)]'; s=abc; echo ${s:x}", "x='a[$(rm f)]'; (( x ))", "x='a[$(rm f)]'; let y=x",
	"declare -i n; n='a[$(rm f)]'", "RANDOM='a[$(rm f)]'", "let 'x=a[$(rm f)]'", "[[ 'a[$(rm f)]' -eq 0 ]]",
	"read 'a[$(rm f)]' <<< 1", "printf -v 'a[$(rm f)]' 1", "test -v 'a[$(rm f)]'", "x='a[$(rm f)]'; for ((;x;)); do break; done",
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
	"x='a[1]'; echo $((x))", "PS1='rm \\w$ '", "PROMPT_COMMAND='history -a'", "x='$(date)'; echo \"$x\"", "echo '$(rm x)'",
	"cat <<'EOF'\nPROMPT_COMMAND='rm f'\nEOF\n", "unset PROMPT_COMMAND", "BASH_ENV= bash -c ls", "echo $((x))", "bash < script.sh",
}

// agentCommands are everyday commands an agent runs; they must pass a deny
// list, and an allow list of the programs they use (agentPrograms) with
// dynamic commands denied, the strictest policy: the fence's rules about
// arithmetic and variables must not refuse ordinary scripting.
var agentCommands = []string{
	"git status --porcelain", "git diff --stat HEAD~1", `git log --oneline -n 20 --author="$USER"`,
	"git checkout -b feature/login && git push -u origin feature/login", "git stash list | head -5",
	"git rev-parse --abbrev-ref HEAD", `git add -A && git commit -m "Fix: handle empty input (closes #12)"`,
	"git log --format='%h %s' | grep -c fix", "npm install --save-dev typescript@5", "npm run build -- --mode production",
	"npm test 2>&1 | tail -n 30", "npx tsc --noEmit", "go test -run 'TestParse|TestLex' -count=1 ./...",
	"go build -o bin/app ./cmd/app && ./bin/app --version", "go vet ./... && gofmt -l .", "go mod tidy && git diff go.mod go.sum",
	"python3 -c 'import sys; print(sys.version)'", "python3 -m pytest -x -q tests/test_api.py::test_login",
	"python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt", "pip install --upgrade pip setuptools wheel",
	"python3 - <<'EOF'\nimport json\nprint(json.dumps({\"ok\": True}))\nEOF\n", "jq '.dependencies | keys' package.json",
	"curl -s https://api.github.com/repos/golang/go | jq -r '.stargazers_count'", "sed -i 's/localhost:8080/0.0.0.0:8080/g' config.yaml",
	"sed -n '120,160p' src/main.go", "awk -F: '{print $1}' /etc/passwd | sort | uniq -c | sort -rn | head",
	"awk 'NR%2==0 {sum += $3} END {print sum}' data.tsv", "find . -name '*.go' -not -path './vendor/*' | xargs wc -l | tail -1",
	"find src -type f -name '*.test.ts' -mtime -1", "find . -name node_modules -prune -o -name '*.js' -print | head -50",
	"grep -rn 'TODO' --include='*.py' .", `grep -rl "deprecated" src/ | wc -l`,
	"grep -E '^(ERROR|WARN)' app.log | cut -d' ' -f1-3 | sort | uniq -c", "make -j4 test", "make clean && make all 2>&1 | tee build.log",
	"docker ps --format '{{.Names}}\t{{.Status}}'", "docker build -t myapp:dev . && docker run --rm myapp:dev --help",
	"docker compose logs --tail=100 web", "kubectl get pods -n staging -o wide", "kubectl describe deployment api -n prod | grep -A5 Events",
	"kubectl logs -l app=api --since=10m | grep -i error", "ls -la | head -20", "ls -1 *.log 2>/dev/null | wc -l",
	"du -sh * | sort -h | tail -10", "df -h /", "ps aux | grep '[p]ython' | awk '{print $2}'",
	`for f in *.json; do jq empty "$f" || echo "bad: $f"; done`, `for i in 1 2 3; do echo "attempt $i"; sleep $((i * 2)); done`,
	`for ((i = 0; i < 5; i++)); do echo "$i: $((i * i))"; done`, `i=0; while [ "$i" -lt 3 ]; do i=$((i + 1)); echo "$i"; done`,
	`count=0; for f in src/*.c; do count=$((count + 1)); done; echo "$count files"`, "echo $((16#ff + 2#1010))",
	"x=7; if (( x % 2 == 1 )); then echo odd; fi", "n=3; [[ $n -gt 2 ]] && echo many", `for i in {1..5}; do echo $((i + 1)); done`,
	`arr=(alpha beta gamma); echo "${arr[1]} of ${#arr[@]}"`, `name=report.tar.gz; echo "${name%%.*}" "${name#*.}"`,
	`s=abcdef; echo "${s:1:3}"`, `export NODE_ENV=production PATH="$PATH:$HOME/.local/bin"`,
	`cd "$(git rev-parse --show-toplevel)" && pwd`, "mkdir -p build/out && cp -r assets build/out/",
	"tar -czf backup.tar.gz --exclude=node_modules .", "cat <<'EOF' > .env.example\nDATABASE_URL=postgres://localhost/dev\nPORT=3000\nEOF\n",
	"head -c 200 /dev/urandom | base64 | head -1", "wc -l < input.txt", "sort -t, -k2 -n data.csv | head",
	"diff <(sort a.txt) <(sort b.txt)", "tail -n 100 app.log | grep --line-buffered ERROR", "date -u +%Y-%m-%dT%H:%M:%SZ",
	"env | grep -i proxy", "which python3 node go", "uname -a && cat /etc/os-release", "test -f go.mod && echo module",
	"[ -d .git ] || git init", "set -euo pipefail; make lint", `printf '%s\n' "$PATH" | tr ':' '\n'`,
	`declare -A seen=([1]=a [2]=b); echo "${seen[1]}"`, `f() { local dir="$1"; ls "$dir"; }; f src`, `PS1='\u@\h:\w\$ '`,
	"readonly RETRIES=3", "xargs -n1 echo < list.txt", "ssh -o BatchMode=yes host uptime", "rsync -avz --delete dist/ server:/var/www/",
	"openssl x509 -in cert.pem -noout -dates", "sqlite3 app.db '.tables'", "psql -c 'select count(*) from users' mydb",
	"time go test ./...", "timeout 30 npm start", "yes | head -n 3", `x=$(cat VERSION); echo "v$x (${#x} chars)"`,
	`echo "$(( $# + 1 )) args, last status $?"`, `[ "$(wc -l < f)" -gt 10 ] && echo long`, "i=0; ((i++)); echo $i",
	`n=5; until (( n == 0 )); do n=$((n - 1)); done`, "a=(3 1 2); echo ${a[0]} ${a[@]:1:2}",
	`f() { local n=0 x; for x in "$@"; do n=$((n + 1)); done; echo "$n"; }; f a b`, ". ./env.sh && echo ok", `f() { local -a parts=(); read -ra parts <<< "$1"; }`,
}

// agentPrograms allows every program agentCommands run.
var agentPrograms = []string{
	"git", "npm", "npx", "go", "gofmt", "python3", "pip", "jq", "curl", "sed", "awk", "sort", "uniq", "head", "tail", "find",
	"xargs", "wc", "grep", "cut", "make", "tee", "docker", "kubectl", "ls", "du", "df", "ps", "sleep", "mkdir", "cp", "tar",
	"cat", "base64", "diff", "date", "env", "which", "uname", "tr", "ssh", "rsync", "openssl", "sqlite3", "psql", "timeout",
	"yes", "app", ".",
}
