package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"mvdan.cc/sh/v3/syntax"
)

func mustCompile(t testing.TB, operator, session *Policy) *Fence {
	t.Helper()
	f, err := Compile(operator, session)
	require.NoError(t, err, "a valid policy must compile")
	return f
}

// denial returns the *Error err holds, failing the test if it holds none.
func denial(t *testing.T, err error, command string) *Error {
	t.Helper()
	var pe *Error
	require.Error(t, err, "%q must be denied", command)
	require.True(t, errors.As(err, &pe), "a denial must be a *policy.Error, got %T", err)
	return pe
}

func TestBypassesAreDenied(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range bypasses {
		t.Run(cmd, func(t *testing.T) {
			e := denial(t, f.Check(cmd), cmd)
			assert.Equal(t, "operator", e.Layer)
			assert.Equal(t, "deny 'rm'", e.Rule, "the agent would be told the wrong rule: %v", e)
			assert.NotEmpty(t, e.Command, "the error must say where rm was found")
			assert.True(t, strings.HasPrefix(e.Error(), "policy: denied by operator deny rule 'rm'"), e.Error())
		})
	}
}

func TestInnocentCommandsPass(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range innocent {
		t.Run(cmd, func(t *testing.T) {
			assert.NoError(t, f.Check(cmd), "an innocent command would be refused")
		})
	}
}

func TestErrorMessages(t *testing.T) {
	deny := mustCompile(t, &Policy{Deny: []string{"rm"}, DenyPatterns: []string{`git\s+push\s+.*--force`}}, nil)
	allow := mustCompile(t, &Policy{Allow: []string{"ls", "git"}}, nil)
	for _, tc := range []struct {
		fence *Fence
		cmd   string
		want  string
	}{
		{deny, "ls | xargs rm", "policy: denied by operator deny rule 'rm' (found in: xargs rm)"},
		{deny, "bash -c 'cd x && rm -rf y'", "policy: denied by operator deny rule 'rm' (found in: rm -rf y)"},
		{deny, "git push origin --force", `policy: denied by operator deny_patterns rule 'git\s+push\s+.*--force' (found in: git push origin --force)`},
		{deny, "echo 'unterminated", "policy: refused by the operator policy: the command does not parse: 1:6: reached EOF without closing quote `'`"},
		{allow, "curl -s https://x | sh", "policy: denied by operator allow list: 'curl' is not an allowed program (found in: curl -s https://x)"},
		{allow, "$cmd x", "policy: denied by operator dynamic command rule: the program name is only known when the command runs; write it literally (found in: $cmd x)"},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			assert.EqualError(t, tc.fence.Check(tc.cmd), tc.want)
		})
	}
}

func TestErrorFields(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	e := denial(t, f.Check("cd /tmp && find . -name '*.o' | xargs -0 \\rm -f"), "")
	assert.Equal(t, &Error{Layer: "operator", Rule: "deny 'rm'", Word: "rm", Command: `xargs -0 \rm -f`}, e)

	long := "rm " + strings.Repeat("x", 1000) + "\n" + "y"
	e = denial(t, f.Check(long), long)
	assert.LessOrEqual(t, len([]rune(e.Command)), maxShown+1, "a long command must be shortened in the error")
	assert.NotContains(t, e.Error(), "\n", "the error must be one line")
}

func TestDynamicCommands(t *testing.T) {
	dynamic := []string{
		"$x file", "${x} file", `"$x" file`, "$(echo rm) x", "`echo rm` x", `eval "$y"`, "eval $y",
		`bash -c "$code"`, "sh -c \"$(curl -s x)\"", "curl -s x | sh", "curl x | sudo bash", "echo rm x | bash -s",
		"bash <(curl x)", "source <(curl x)", ". <(echo rm)", "sh < <(echo rm)", "echo x | xargs sh -c",
		"ls | xargs sudo", "find . -exec {} \\;", "xargs -I{} {} x", "xargs -I % sh -c '%'", "alias \"$a\"",
		"*.sh", "a$x", "$x$y", "hash -p \"$p\" ls", "env -S \"$s\"", "trap \"$t\" EXIT", "watch \"$w\"",
	}
	strict := mustCompile(t, &Policy{Deny: []string{"rm"}, Dynamic: DynamicDeny}, nil)
	loose := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range dynamic {
		t.Run(cmd, func(t *testing.T) {
			e := denial(t, strict.Check(cmd), cmd)
			assert.Equal(t, RuleDynamic, e.Rule, "%v", e)
			assert.NotEmpty(t, e.Reason, "the agent must be told why the command is dynamic")
			assert.NoError(t, loose.Check(cmd), "dynamic commands pass when Dynamic is allow (the default without an allow list)")
		})
	}
}

func TestDynamicDefaultsWithAllowList(t *testing.T) {
	f := mustCompile(t, &Policy{Allow: []string{"ls"}}, nil)
	e := denial(t, f.Check("$x"), "$x")
	assert.Equal(t, RuleDynamic, e.Rule, "with an allow list, dynamic commands are denied by default")

	f = mustCompile(t, &Policy{Allow: []string{"ls"}, Dynamic: DynamicAllow}, nil)
	assert.NoError(t, f.Check("$x"), "the operator may allow dynamic commands explicitly")
	assert.NoError(t, f.Check("$EDITOR file.txt"), "words after a dynamic program are not held to the allow list")
}

func TestAllowList(t *testing.T) {
	f := mustCompile(t, &Policy{Allow: []string{"ls", "git", "grep", "cat"}}, nil)
	for _, cmd := range []string{
		"ls", "ls -la | grep x", "git status && git diff", "cd src; ls", "echo $(ls)", "export A=1", "cat <<'EOF'\nrm\nEOF\n",
		"[ -f x ] && cat x", "[[ -f x ]] && cat x", "x=1 ls", "for f in a b; do cat $f; done", "/usr/bin/git log",
		"command -v curl", "command ls", "builtin cd /", "true; false; :", "set -euo pipefail; ls", "trap 'ls' EXIT",
		"alias l='ls -la'", "exec >/dev/null 2>&1", "printf '%s\\n' a | grep a", "read -r x < f", "(( x = 1 )); let y=2", "f() { git log; }; f", "alias l='ls -la'; l",
	} {
		t.Run("pass/"+cmd, func(t *testing.T) {
			assert.NoError(t, f.Check(cmd))
		})
	}
	for _, cmd := range []string{
		"rm x", "ls | xargs rm", "ls; curl x", "sudo ls", "bash -c 'ls'", "eval ls", "exec ls", "source x.sh",
		"ls $(curl x)", "git log | less", "f() { rm x; }", "alias x=rm", "trap 'rm x' EXIT", "env ls", "LS",
		"hash -p /bin/rm ls", "f() { git log; }; g", "./ls", // ./ls is a program named ls: allowed by name; see below
	} {
		if cmd == "./ls" {
			assert.NoError(t, f.Check(cmd), "allow matches names after path stripping")
			continue
		}
		t.Run("deny/"+cmd, func(t *testing.T) {
			e := denial(t, f.Check(cmd), cmd)
			assert.Equal(t, RuleAllow, e.Rule, "%v", e)
		})
	}
}

func TestDenyWinsOverAllow(t *testing.T) {
	f := mustCompile(t, &Policy{Allow: []string{"git", "rm"}, Deny: []string{"rm"}}, nil)
	e := denial(t, f.Check("rm x"), "rm x")
	assert.Equal(t, "deny 'rm'", e.Rule)
}

func TestDenyAppliesToBuiltins(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"cd", "export", "eval"}}, nil)
	for _, cmd := range []string{"cd /", "export A=1", "eval ls", "builtin cd /"} {
		assert.Error(t, f.Check(cmd), cmd)
	}
}

func TestDenyPatterns(t *testing.T) {
	f := mustCompile(t, &Policy{DenyPatterns: []string{`rm\s+-rf\s+/`, `(?i)shutdown`}}, nil)
	for _, cmd := range []string{
		"rm -rf /", "sudo rm -rf /", `"r"m -rf /`, `\rm -rf /`, "/bin/rm -rf /", "bash -c 'rm -rf /'",
		"echo 'rm -rf /'", "SHUTDOWN now", "{rm,-rf,/}",
	} {
		t.Run(cmd, func(t *testing.T) {
			e := denial(t, f.Check(cmd), cmd)
			assert.True(t, strings.HasPrefix(e.Rule, "deny_patterns '"), "%v", e)
			assert.NotEmpty(t, e.Word, "the error must show what matched")
		})
	}
	assert.NoError(t, f.Check("rm -rf ./build"))
}

func TestParseErrors(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	for _, cmd := range []string{"echo 'x", "if true; then", "echo $(", "ls |", "bash -c 'echo ('", "eval 'if'"} {
		t.Run(cmd, func(t *testing.T) {
			e := denial(t, f.Check(cmd), cmd)
			assert.Equal(t, RuleParse, e.Rule)
			assert.Contains(t, e.Error(), "does not parse")
		})
	}
	var empty *Fence
	assert.NoError(t, empty.Check("echo 'x"), "an empty fence does not parse")
	assert.NoError(t, mustCompile(t, nil, nil).Check("echo 'x"))
}

func TestDepthLimit(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	cmd := "ls"
	for range maxDepth {
		cmd = "eval " + quote(t, cmd)
	}
	assert.NoError(t, f.Check(cmd), "%d levels are checked", maxDepth)
	cmd = "eval " + quote(t, cmd)
	e := denial(t, f.Check(cmd), cmd)
	assert.Equal(t, RuleLimit, e.Rule)

	assert.NoError(t, mustCompile(t, nil, nil).Check(cmd), "no rules, no limit")
}

func TestNestingLimit(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	deep := strings.Repeat("(", maxNesting+1) + "ls" + strings.Repeat(")", maxNesting+1)
	e := denial(t, f.Check(deep), "")
	assert.Equal(t, RuleLimit, e.Rule, "a command nested deeper than the parser should recurse is refused")
	assert.NoError(t, f.Check(strings.Repeat("(", 100)+"ls"+strings.Repeat(")", 100)))

	// Many dynamic words in a row stay cheap to check (once quadratic).
	assert.NoError(t, f.Check(strings.Repeat("$x ", 50_000)+"ls"))

	// So do many assignments and arithmetic uses of one variable.
	strict := mustCompile(t, &Policy{Allow: []string{"ls"}}, nil)
	start := time.Now()
	assert.NoError(t, strict.Check(strings.Repeat("i=0; ", 20_000)+strings.Repeat("echo $((i)); ", 20_000)))
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestWrapperLimit(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	assert.NoError(t, f.Check(strings.Repeat("nice ", maxHops)+"ls"))
	for _, cmd := range []string{
		strings.Repeat("nice ", maxHops+1) + "ls",
		strings.Repeat("xargs -I{} ", maxHops+1) + "ls",
		strings.Repeat("find . -exec ", maxHops+1) + "ls",
	} {
		e := denial(t, f.Check(cmd), "")
		assert.Equal(t, RuleLimit, e.Rule, "a chain of wrappers longer than any real command is refused")
	}
}

func TestWordsAfterADynamicProgram(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	e := denial(t, f.Check("$x -u root rm -rf /"), "")
	assert.Equal(t, "policy: denied by operator deny rule 'rm': a word before rm is only known when the command runs, so rm may be the program (found in: $x -u root rm -rf /)", e.Error())
	assert.NoError(t, f.Check("$x ls -l"))

	e = denial(t, f.Check(`"${RM:-rm}" -rf /`), "")
	assert.Equal(t, `policy: denied by operator deny rule 'rm': "${RM:-rm}" can be rm when the command runs (found in: "${RM:-rm}" -rf /)`, e.Error())
	e = denial(t, f.Check("r$x -rf /"), "")
	assert.Equal(t, "policy: denied by operator deny rule 'rm': the program name r$x can be rm when the command runs (found in: r$x -rf /)", e.Error())
	e = denial(t, f.Check(`eval "r$x -rf /"`), "")
	assert.Equal(t, `policy: denied by operator deny rule 'rm': the program name "r$x -rf /" can be rm when the command runs (found in: eval "r$x -rf /")`, e.Error())
}

func TestBraceLimit(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	assert.NoError(t, f.Check("echo {1..100000}"), "arguments are not expanded")
	e := denial(t, f.Check("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b} x"), "")
	assert.Equal(t, RuleLimit, e.Rule, "a program name too large to expand is refused")
	e = denial(t, f.Check("sudo {1..100000}"), "")
	assert.Equal(t, RuleLimit, e.Rule, "so is a wrapped one")
	assert.NoError(t, f.Check("{ls,-l}"), "a small one is expanded and checked")
}

func TestLayers(t *testing.T) {
	op := &Policy{Allow: []string{"ls", "git", "cat"}, Deny: []string{"rm"}, DenyPatterns: []string{"--force"}}

	t.Run("session narrows", func(t *testing.T) {
		f := mustCompile(t, op, &Policy{Allow: []string{"ls", "cat"}, Deny: []string{"cat"}})
		assert.NoError(t, f.Check("ls"))
		e := denial(t, f.Check("git status"), "")
		assert.Equal(t, "session", e.Layer)
		assert.Equal(t, RuleAllow, e.Rule)
		e = denial(t, f.Check("cat x"), "")
		assert.Equal(t, &Error{Layer: "session", Rule: "deny 'cat'", Word: "cat", Command: "cat x"}, e)
	})
	t.Run("operator rules stay", func(t *testing.T) {
		f := mustCompile(t, op, &Policy{})
		e := denial(t, f.Check("git push --force"), "")
		assert.Equal(t, "operator", e.Layer)
		e = denial(t, f.Check("curl x"), "")
		assert.Equal(t, "operator", e.Layer, "an empty session allow list does not lift the operator's")
	})
	t.Run("operator reported first", func(t *testing.T) {
		f := mustCompile(t, &Policy{Deny: []string{"rm"}}, &Policy{Deny: []string{"rm", "ls"}})
		e := denial(t, f.Check("ls; rm x"), "")
		assert.Equal(t, "operator", e.Layer)
	})
	t.Run("session alone", func(t *testing.T) {
		f := mustCompile(t, nil, &Policy{Deny: []string{"rm"}})
		e := denial(t, f.Check("rm x"), "")
		assert.Equal(t, "session", e.Layer)
		e = denial(t, f.Check("echo 'x"), "")
		assert.Equal(t, "session", e.Layer, "a parse refusal names the layer that has rules")
	})
	for name, tc := range map[string]struct {
		op, session *Policy
		want        string
	}{
		"allow outside operator's":   {op, &Policy{Allow: []string{"ls", "curl"}}, `policy: session allow[1] "curl" is not in the operator allow list; a session can only narrow the operator's policy`},
		"allow what operator denies": {&Policy{Deny: []string{"rm"}}, &Policy{Allow: []string{"RM"}}, `policy: session allow[0] "RM" is denied by the operator; a session can only narrow the operator's policy`},
		"dynamic allow vs deny":      {&Policy{Dynamic: DynamicDeny}, &Policy{Dynamic: DynamicAllow}, `policy: session dynamic "allow" cannot loosen the operator's policy, which denies dynamic commands`},
		"dynamic allow vs default":   {&Policy{Allow: []string{"ls"}}, &Policy{Dynamic: DynamicAllow}, `policy: session dynamic "allow" cannot loosen the operator's policy, which denies dynamic commands`},
	} {
		t.Run("cannot loosen/"+name, func(t *testing.T) {
			_, err := Compile(tc.op, tc.session)
			assert.EqualError(t, err, tc.want)
		})
	}
	t.Run("session dynamic deny narrows", func(t *testing.T) {
		f := mustCompile(t, &Policy{Deny: []string{"rm"}}, &Policy{Dynamic: DynamicDeny})
		e := denial(t, f.Check("$x"), "")
		assert.Equal(t, "session", e.Layer)
		assert.Equal(t, RuleDynamic, e.Rule)
	})
}

func TestCompileValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		p    Policy
		want string
	}{
		"empty name":           {Policy{Deny: []string{""}}, `policy: operator deny[0] "" is empty`},
		"path":                 {Policy{Deny: []string{"/bin/rm"}}, `policy: operator deny[0] "/bin/rm" is a path; write the program name "rm" (commands are matched by name, with any directory stripped)`},
		"glob":                 {Policy{Allow: []string{"git*"}}, `policy: operator allow[0] "git*" contains a glob character; entries are exact program names (use deny_patterns for patterns)`},
		"space":                {Policy{Deny: []string{"rm -rf"}}, `policy: operator deny[0] "rm -rf" contains white space or a control character; entries are single program names`},
		"bad regex":            {Policy{DenyPatterns: []string{"ok", "("}}, "policy: operator deny_patterns[1] is not a valid regular expression: missing closing ) in \"(\""},
		"long regex":           {Policy{DenyPatterns: []string{strings.Repeat("a", MaxPatternLen+1)}}, "policy: operator deny_patterns[0] is 1025 bytes, over the 1024-byte limit"},
		"empty regex":          {Policy{DenyPatterns: []string{""}}, "policy: operator deny_patterns[0] is empty (it would match every command)"},
		"bad dynamic":          {Policy{Dynamic: "maybe"}, `policy: operator dynamic "maybe": must be "", "allow" or "deny"`},
		"too many":             {Policy{Deny: make([]string, MaxEntries+1)}, "policy: operator deny has 1025 entries; the limit is 1024"},
		"complex regex":        {Policy{DenyPatterns: []string{strings.Repeat("[a-z]{1,1000}", 25)}}, "policy: operator deny_patterns[0] is too complex"},
		"newline in bad regex": {Policy{DenyPatterns: []string{"(\nX" + strings.Repeat("a", 900)}}, "policy: operator deny_patterns[0] is not a valid regular expression: missing closing ) in \"(\\nXaaaa"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(&tc.p, nil)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q, want prefix %q", err, tc.want)
			_, err = Compile(nil, &tc.p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "session", "a session error must name the session layer")
		})
	}
}

func TestCompileDoesNotWriteIntoPolicies(t *testing.T) {
	op := &Policy{Allow: []string{"ls", "git"}, Deny: []string{"RM"}, DenyPatterns: []string{"x"}}
	se := &Policy{Allow: []string{"ls"}, Deny: []string{"git"}, Dynamic: DynamicDeny}
	opCopy, seCopy := clonePolicy(op), clonePolicy(se)
	f := mustCompile(t, op, se)
	assert.Equal(t, opCopy, op)
	assert.Equal(t, seCopy, se)

	// Nor does the fence see later changes to them.
	op.Deny[0] = "ls"
	se.Allow[0] = "rm"
	assert.NoError(t, f.Check("ls"))
}

func clonePolicy(p *Policy) *Policy {
	c := *p
	c.Allow = append([]string(nil), p.Allow...)
	c.Deny = append([]string(nil), p.Deny...)
	c.DenyPatterns = append([]string(nil), p.DenyPatterns...)
	return &c
}

func TestEmpty(t *testing.T) {
	var nilFence *Fence
	assert.True(t, nilFence.Empty())
	assert.True(t, mustCompile(t, nil, nil).Empty())
	assert.True(t, mustCompile(t, &Policy{}, &Policy{Dynamic: DynamicAllow}).Empty(), "allowing dynamic commands is no rule")
	assert.False(t, mustCompile(t, nil, &Policy{Dynamic: DynamicDeny}).Empty())
	assert.False(t, mustCompile(t, &Policy{DenyPatterns: []string{"x"}}, nil).Empty())
}

func TestConcurrentChecks(t *testing.T) {
	f := mustCompile(t, &Policy{Deny: []string{"rm"}, DenyPatterns: []string{"--force"}}, &Policy{Allow: []string{"ls", "rmdir", "git"}})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				cmd := fmt.Sprintf("ls %d | xargs rm", i*j)
				if e := f.Check(cmd); e == nil {
					t.Errorf("%q passed", cmd)
					return
				}
				if e := f.Check("git status; rmdir x"); e != nil {
					t.Errorf("innocent command refused: %v", e)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWrappersAndBuiltinsAreListed(t *testing.T) {
	w := Wrappers()
	for _, n := range []string{"sudo", "doas", "env", "command", "builtin", "exec", "nice", "nohup", "timeout", "time",
		"stdbuf", "xargs", "find", "watch", "ionice", "chroot", "bash", "sh", "zsh", "dash", "ksh", "eval"} {
		assert.Contains(t, w, n)
	}
	assert.Contains(t, InertBuiltins(), "cd")
	assert.NotContains(t, InertBuiltins(), "eval")
}

func quote(t *testing.T, s string) string {
	t.Helper()
	q, err := syntax.Quote(s, syntax.LangBash)
	require.NoError(t, err)
	return q
}
