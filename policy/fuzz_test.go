package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// fuzzFences are the fences the fuzz targets check every input against:
// a deny list with patterns, and an allow list with dynamic commands denied.
func fuzzFences(f *testing.F) []*Fence {
	return []*Fence{
		mustCompile(f, &Policy{Deny: []string{"rm"}, DenyPatterns: []string{`rm\s+-rf`}}, nil),
		mustCompile(f, &Policy{Allow: []string{"ls", "git"}}, &Policy{Deny: []string{"git"}, Dynamic: DynamicDeny}),
	}
}

// checkRefusal fails t unless err is nil or a complete *Error. A refusal
// made because the analysis panicked is a failure too: Check turns a panic
// into a denial, so that a bug cannot take a server down, but it is a bug.
func checkRefusal(t *testing.T, err error, format string, args ...any) {
	t.Helper()
	if err == nil {
		return
	}
	what := fmt.Sprintf(format, args...)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s returned %T, not *Error", what, err)
	}
	if pe.Layer == "" || pe.Rule == "" || pe.Error() == "" {
		t.Fatalf("%s returned an incomplete error %#v", what, pe)
	}
	if strings.HasPrefix(pe.Reason, panicReason) {
		t.Fatalf("%s panicked: %s", what, pe.Reason)
	}
}

// FuzzCheck checks that no input makes the fence panic, and that every
// refusal is a *Error with a layer and a rule.
func FuzzCheck(f *testing.F) {
	for _, s := range bypasses {
		f.Add(s)
	}
	for _, s := range innocent {
		f.Add(s)
	}
	for _, s := range agentCommands {
		f.Add(s)
	}
	f.Add(exampleCommand)
	fences := fuzzFences(f)
	f.Fuzz(func(t *testing.T, command string) {
		for _, fence := range fences {
			checkRefusal(t, fence.Check(command), "Check(%q)", command)
			checkRefusal(t, fence.CheckJob(command), "CheckJob(%q)", command)
		}
	})
}

// FuzzCheckInput is FuzzCheck for a command given standard input.
func FuzzCheckInput(f *testing.F) {
	f.Add("bash", "rm x")
	f.Add("{ sh; } <<< ls", "ls; rm -rf x")
	f.Add("read l; bash -c 'sh'", "x\n$(rm x)")
	f.Add("f() { bash; }; f", "PROMPT_COMMAND='rm x'")
	f.Add("cat", "echo 'x")
	fences := fuzzFences(f)
	f.Fuzz(func(t *testing.T, command, stdin string) {
		for _, fence := range fences {
			checkRefusal(t, fence.CheckInput(command, stdin), "CheckInput(%q, %q)", command, stdin)
		}
	})
}

func TestPanicIsARefusal(t *testing.T) {
	// The fuzz targets rely on this reason to tell a panic from a parse
	// error.
	f := mustCompile(t, &Policy{Deny: []string{"rm"}}, nil)
	handlers["zzpanic"] = func(*analysis, *call, []arg) (*call, []arg) { panic("boom") }
	defer delete(handlers, "zzpanic")
	e := denial(t, f.Check("zzpanic"), "zzpanic")
	assert.Equal(t, RuleParse, e.Rule)
	assert.True(t, strings.HasPrefix(e.Reason, panicReason), e.Reason)
}
