package policy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ranRm runs command in real bash, as a session does (interactive, so that
// prompts are shown and PROMPT_COMMAND runs), with stdin after it on its
// standard input, and reports whether it ran rm: a stand-in on PATH that
// leaves a mark and deletes nothing. interactive false runs bash -c command
// with stdin as its standard input instead.
func ranRm(t *testing.T, command, stdin string, interactive bool) bool {
	t.Helper()
	bash := fixture.LookPath(t, "bash")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "rm"), []byte("#!/bin/sh\n: > \"$MARK\"\n"), 0o755))
	mark := filepath.Join(dir, "ran")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var c *exec.Cmd
	if interactive {
		// A continuation line shows PS2; the last command, PS0 and PS1.
		c = exec.CommandContext(ctx, bash, "--norc", "-i")
		c.Stdin = strings.NewReader(command + "\nif :\nthen :\nfi\n:\nexit\n")
	} else {
		c = exec.CommandContext(ctx, bash, "--norc", "-c", command)
		c.Stdin = strings.NewReader(stdin)
	}
	c.Dir = dir
	c.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "MARK=" + mark,
		"HISTFILE=/dev/null", "TERM=dumb"}
	out, _ := c.CombinedOutput()
	require.NoError(t, ctx.Err(), "bash did not finish; it said:\n%s", out)
	_, err := os.Stat(mark)
	return err == nil
}

func TestDataBypassesRunInBash(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range dataBypasses {
		t.Run(cmd, func(t *testing.T) {
			require.True(t, ranRm(t, cmd, "", true), "bash does not run rm for this command, so it proves nothing")
			e := denial(t, f.Check(cmd), cmd)
			assert.Equal(t, "deny 'rm'", e.Rule, "%v", e)
		})
	}
}

func TestAgentCommandsPass(t *testing.T) {
	deny := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	allow := mustCompile(t, &Policy{Allow: agentPrograms}, &Policy{Deny: []string{"rm"}, Dynamic: DynamicDeny})
	for _, cmd := range agentCommands {
		t.Run(cmd, func(t *testing.T) {
			assert.NoError(t, deny.Check(cmd), "refused by a deny list")
			assert.NoError(t, allow.Check(cmd), "refused by an allow list of its programs")
		})
	}
	assert.GreaterOrEqual(t, len(agentCommands), 60)
}

// TestCodeInDataIsDynamic: where bash evaluates a value the fence cannot
// see (as arithmetic, a variable name, a prompt, a file of code), an allow
// list refuses the command as dynamic; a deny list lets it through, as it
// does $x args.
func TestCodeInDataIsDynamic(t *testing.T) {
	strict := mustCompile(t, &Policy{Allow: []string{"ls", "cat", "bash", "sh", "wc", "seq", "eval", "mapfile", "env", "history", "source", "."}}, nil)
	loose := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range []string{
		// arithmetic on values the command does not certainly set
		"echo $((x))", "echo $(( x + 1 ))", "(( x ))", "((i++))", "let y=x+1", "[[ $x -eq 0 ]]", "[[ x -lt 1 ]]",
		`[[ "$x" -ge 1 ]]`, "echo ${a[i]}", "echo ${a[$i]}", "a[i]=1", "a=([i]=1)", "s=abc; echo ${s:x}", "echo ${s:1:$n}",
		"for ((i=0; i<n; i++)); do :; done", "echo $(( $(cat f) + 1 ))", "n=$(wc -l < f); echo $((n + 1))",
		"for i in $(seq 3); do echo $((i)); done", "(i=1); echo $((i))", "if false; then i=1; fi; echo $((i))",
		"echo $((i)); i=1", "x=1 | cat; echo $((x))", "x=1 ls; echo $((x))", "x=1; x=$(cat f); echo $((x))",
		"x=1 & echo $((x))", "eval 'x=1'; echo $((x))", "x=y; echo $((x))", "RANDOM=$x", "OPTIND=$1", "echo $(($1 + 1))",
		"local -i n=1", "declare -i n", "f() { local -i n; n=$1; }", "x=1; f() { echo $((x)); }", "local x=1; echo $((x))", "_=1; echo $((_))",
		"BASH_REMATCH=1; [[ a =~ (a) ]]; echo $((BASH_REMATCH))", "REPLY=1; read; echo $((REPLY))", "getopts a o; echo $((OPTARG))",
		// code that may run in the middle of a later command, after it gave
		// a variable a value, and changes it (a function another command
		// calls, a trap), or a builtin the fence relies on redefined
		"f() { n=0; }", `f() { for x in "$@"; do :; done; }`, "f() { read -r line; }", "f() { ((i++)); }",
		"f() { : ${x:=1}; }", "f() { export N=1; }", "f() { g() { local x; }; x=1; }", "trap 'i=$(cat p)' DEBUG",
		"trap 'read -r i < p' USR1", "alias x='i=$(cat p)'", "PS4='${i:=1}'", `echo() { builtin echo "$@"; }`,
		"read() { :; }", "function cd { :; }", "alias local=:", "alias for=:",
		"f() { eval 'n=0'; }", "f() { . ./vars.sh; }", "trap 'source x.sh' USR1", "i=0; . ./env.sh; echo $((i))",
		// variable names and values bash evaluates
		"declare -A m; m[k]=1", `declare -A m=([k]=v); echo "${m[k]}"`, "(declare -A m); m[$k]=1",
		"echo ${!x}", "echo ${!a[0]}", `echo "${x@P}"`, `declare -a "$v"`, `declare "$v"`, `export $x=1`, `declare x="$v"`,
		`typeset x=$v`, `local a=(1); local a="$v"`, "declare -n r=x", "readonly x", "readonly x=abc", "declare -r x=$v",
		`read "$name"`, `printf -v "$name" %s 1`, `unset "$v"`, `test -v "$v"`, `[[ -v $v ]]`, `mapfile "$v" < f`,
		// hooks set to what the fence cannot see
		"BASH_ENV=/tmp/x bash -c ls", "ENV=/tmp/x sh -i", "export BASH_ENV=~/.env.sh", "env BASH_ENV=f bash -c ls",
		`PS1="$p"`, `PROMPT_COMMAND="$c"`, `PROMPT_COMMAND+='; history -a'`, "read PROMPT_COMMAND", "read -r PS1 < f",
		`printf -v PROMPT_COMMAND %s "$x"`, "mapfile -t PROMPT_COMMAND < f",
		// a shell reading the standard input its function is called with
		"f() { bash; }",
	} {
		t.Run(cmd, func(t *testing.T) {
			e := denial(t, strict.Check(cmd), cmd)
			assert.Equal(t, RuleDynamic, e.Rule, "%v", e)
			assert.NotEmpty(t, e.Reason, "the agent must be told why")
			assert.NoError(t, loose.Check(cmd), "a deny list lets a dynamic command through")
		})
	}
}

func TestHookMessages(t *testing.T) {
	deny := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	allow := mustCompile(t, &Policy{Allow: []string{"ls"}}, nil)
	for _, tc := range []struct {
		fence *Fence
		cmd   string
		want  string
	}{
		{deny, "export PROMPT_COMMAND='cd /; rm -rf x'", "policy: denied by operator deny rule 'rm' (found in: rm -rf x)"},
		{allow, "PS1='$(curl -s x)'", "policy: denied by operator allow list: 'curl' is not an allowed program (found in: curl -s x)"},
		{allow, "BASH_ENV=./env.sh bash -c ls", "policy: denied by operator dynamic command rule: BASH_ENV names a file of code that shells run when they start; the fence cannot see it (found in: BASH_ENV=./env.sh bash -c ls)"},
		{deny, "x='a[$(rm f)]'", "policy: denied by operator deny rule 'rm': the value given to x holds code, which bash runs if the value is evaluated (in arithmetic, by eval, as a prompt) (found in: rm f)"},
		{allow, "echo $((n + 1))", "policy: denied by operator dynamic command rule: arithmetic evaluates the value of n, which is only known when the command runs and can run commands (n='a[$(cmd)]'); give n a number in this command first (found in: $((n + 1)))"},
		{allow, "declare -i n", "policy: denied by operator dynamic command rule: declare -i makes bash evaluate every value later assigned to the variable as arithmetic, which can run commands (a[$(cmd)]), also in later commands, where the fence cannot see it (found in: declare -i n)"},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			assert.EqualError(t, tc.fence.Check(tc.cmd), tc.want)
		})
	}
}

// TestCheckInput checks session_exec's stdin argument: code a shell reads
// from it is checked as a here-document would be. Each case is run by real
// bash first, to show whether it does run rm.
func TestCheckInput(t *testing.T) {
	deny := mustCompile(t, &Policy{Deny: []string{"rm"}, DenyPatterns: []string{`git\s+push`}}, nil)
	allow := mustCompile(t, &Policy{Allow: []string{"ls", "sh", "bash", "cat", "grep", "python3"}}, nil)
	for _, tc := range []struct {
		cmd, stdin string
		runs       bool
	}{
		{"bash", "rm f", true},
		{"sh", "ls\nrm f", true},
		{"bash -s", "rm f", true},
		{"bash -s -- a b", "rm f", true},
		{"{ bash; }", "rm f", true},
		{"(sh)", "rm f", true},
		{"if true; then bash; fi", "rm f", true},
		{"echo $(bash)", "rm f", true},
		{"bash -c 'sh'", "rm f", true},
		{"source /dev/stdin", "rm f", true},
		{"read -r l; bash", "x\nrm f", true},
		{"f() { bash; }; f", "rm f", true},
		{"cat", "rm f", false},
		{"grep rm", "rm f", false},
		{"bash < /dev/null", "rm f", false},
		{"bash <<< ls", "rm f", false},
		{"echo ls | bash", "rm f", false},
		{"bash -c ls", "rm f", false},
		{"python3 -c 'print(1)'", "rm f", false},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			require.Equal(t, tc.runs, ranRm(t, tc.cmd, tc.stdin, false), "what bash does")
			if tc.runs {
				e := denial(t, deny.CheckInput(tc.cmd, tc.stdin), tc.cmd)
				assert.Equal(t, "deny 'rm'", e.Rule, "%v", e)
				e = denial(t, allow.CheckInput(tc.cmd, tc.stdin), tc.cmd)
				assert.Contains(t, []string{RuleAllow, RuleDynamic}, e.Rule, "%v", e)
			} else {
				assert.NoError(t, deny.CheckInput(tc.cmd, tc.stdin), "input read as data, or not read")
			}
			assert.NoError(t, deny.Check(tc.cmd), "without input the command is fine")
		})
	}
	e := denial(t, deny.CheckInput("bash", "ls\ngit push --force\n"), "")
	assert.Equal(t, `policy: denied by operator deny_patterns rule 'git\s+push' (found in: standard input: ls git push --force)`, e.Error())
	assert.NoError(t, deny.CheckInput("cat > notes.txt", "git push"), "deny_patterns apply to input only where it is code")
	e = denial(t, allow.CheckInput("sh", "curl x"), "")
	assert.Equal(t, "policy: denied by operator allow list: 'curl' is not an allowed program (found in: curl x)", e.Error())
	e = denial(t, deny.CheckInput("bash", "echo 'x"), "")
	assert.Equal(t, RuleParse, e.Rule, "input that does not parse as the shell's code is refused: %v", e)
	assert.NoError(t, deny.CheckInput("bash", ""), "empty input is no input")

	// Read once, however many statements read it.
	many := strings.Repeat("bash; ", 2000)
	start := time.Now()
	e = denial(t, deny.CheckInput(many, strings.Repeat("ls; ", 5000)+"rm f"), "")
	assert.Equal(t, "deny 'rm'", e.Rule)
	assert.Less(t, time.Since(start), 5*time.Second, "the input must be parsed once, not once per reader")
}

func TestCheckJob(t *testing.T) {
	f := mustCompile(t, &Policy{Allow: []string{"bash", "sh", "python3", "npm"}}, nil)
	for _, cmd := range []string{"bash", "sh -s", "bash -i", "{ sh; }"} {
		e := denial(t, f.CheckJob(cmd), cmd)
		assert.Equal(t, RuleDynamic, e.Rule, "%s: %v", cmd, e)
		assert.Contains(t, e.Reason, "the job's input")
	}
	for _, cmd := range []string{"npm run dev", "python3", "bash -c 'npm start'", "bash <<< 'npm test'", "bash < /dev/null"} {
		assert.NoError(t, f.CheckJob(cmd), cmd)
	}
	loose := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	assert.NoError(t, loose.CheckJob("bash"), "a deny list lets a dynamic command through")
	assert.Error(t, loose.CheckJob("bash -c 'rm x'"))
}
