package execkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A command that would take away what the frame relies on is refused before
// it runs, with a reason; without the guard each of these leaves the
// session waiting for an end marker until its timeout kills the shell.
func TestGuardRefusesWhatWouldBreakTheFrame(t *testing.T) {
	bash := map[string]string{
		"builtin() { :; }":             "function named builtin",
		"function eval { :; }":         "function named eval",
		"printf() { echo x; }; true":   "function named printf",
		"enable -n printf":             "disable the printf builtin",
		"enable -n -- 'builtin'":       "disable the builtin builtin",
		"exec 253>/dev/null":           "descriptor 253",
		"exec 254>&-":                  "descriptor 254",
		"exec 252<&-":                  "descriptor 252",
		"alias '{=echo'":               `alias "{"`,
		"true && { exec 253>&-; }":     "descriptor 253",
		"if true; then exec 254>x; fi": "descriptor 254",
		"command exec 253>&-":          "descriptor 253",
		"builtin exec 254>&-":          "descriptor 254",
		`\exec 253>&-`:                 "descriptor 253",
		`"exec" 254>&-`:                "descriptor 254",
		"exec 3>&253-":                 "descriptor 253",
		`alias \{=x`:                   `alias "{"`,
	}
	posix := map[string]string{
		"command() { :; }":   "function named command",
		"exec 9>lockfile":    "descriptor 9",
		"exec 8>&-":          "descriptor 8",
		"alias }=echo; true": `alias "}"`,
		"command exec 9>&-":  "descriptor 9",
		"exec 3>&8-":         "descriptor 8",
	}
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		dir := t.TempDir()
		run(t, s, "cd "+dir, nil)
		cases := posix
		if sh.Bash {
			cases = bash
		}
		for cmd, want := range cases {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			res, err := s.Exec(ctx, cmd+"; touch ran", nil)
			cancel()
			var ce *CommandError
			require.ErrorAs(t, err, &ce, "%q must be refused, got %+v", cmd, res)
			assert.Contains(t, ce.Reason, want, cmd)
			assert.NoFileExists(t, filepath.Join(dir, "ran"), "nothing of %q runs", cmd)
		}
		// The session is untouched, and what looks alike but is harmless runs.
		for _, cmd := range []string{
			"exec 7>/dev/null; echo ok",
			"echo enable -n printf; echo builtin eval printf command exec alias; echo ok",
			"alias ll='ls -l'; echo ok",
			"f() { command -v ls >/dev/null; echo ok; }; f",
			"exec 2>&1; echo ok",
		} {
			res := run(t, s, cmd, nil)
			assert.Contains(t, res.Stdout, "ok", cmd)
		}
		if sh.Bash {
			assert.Equal(t, "ok\n", run(t, s, "enable -n kill; enable kill; echo ok", nil).Stdout, "enable of other builtins is fine")
			assert.Equal(t, "ok\n", run(t, s, "exec {fd}>/dev/null; exec {fd}>&-; echo ok", nil).Stdout, "descriptors the shell allocates are fine")
		}
		assert.Equal(t, "alive\n", run(t, s, "echo alive", nil).Stdout)
	})
}

// Hooks an interactive shell runs or expands between commands cannot
// change state behind the result's back or run anything after it.
func TestPromptHooksAreReset(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		dir := t.TempDir()
		run(t, s, "cd "+dir, nil)
		hooks := []string{`PS1='$(touch ps1)'`, `PS2='$(touch ps2)'`}
		if sh.Bash {
			hooks = append(hooks, `PROMPT_COMMAND='cd /; touch pc'`, `PS0='$(touch ps0)'`, `PROMPT_COMMAND=('cd /' 'touch pca')`)
		}
		for _, h := range hooks {
			res := run(t, s, h, nil)
			assert.Equal(t, dir, res.Cwd, h)
			res = run(t, s, "pwd", nil)
			assert.Equal(t, dir+"\n", res.Stdout, "after %s the next command runs where the last result said", h)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "after %s nothing ran between commands", h)
		}
		// A read-only prompt cannot be emptied (the fence checks what it is
		// set to); it must not break the frame either.
		for _, h := range []string{`readonly PS1='> '`, `readonly PS2`} {
			assert.Equal(t, dir, run(t, s, h, nil).Cwd, h)
			assert.Equal(t, dir+"\n", run(t, s, "pwd", nil).Stdout, "after %s", h)
		}
		res, err := s.Exec(context.Background(), "echo alive", &ExecOptions{Timeout: 10 * time.Second})
		require.NoError(t, err)
		assert.False(t, res.TimedOut)
		assert.Equal(t, "alive\n", res.Stdout)
	})
}

// A directory's name is a command's to choose: it is shown cleaned and
// redacted, never raw.
func TestCwdIsCleanedAndRedacted(t *testing.T) {
	s := open(t, &Config{Secrets: []string{"s3cr3t-d1r-name"}})
	base := t.TempDir()
	res := run(t, s, "cd "+base+" && mkdir -p \"$(printf 'x\\033]52;c;aGk=\\007\\033[2Jy')/s3cr3t-d1r-name\" && cd \"$_\"", nil)
	assert.NotContains(t, res.Cwd, "\x1b", "no escape sequence in cwd")
	assert.NotContains(t, res.Cwd, "s3cr3t-d1r-name")
	assert.Equal(t, base+"/xy/[REDACTED]", res.Cwd)
	assert.Equal(t, res.Cwd, s.Cwd())
	// The shell really is in that directory: only what is shown changed.
	assert.Equal(t, "[REDACTED]\n", run(t, s, "basename \"$PWD\"", nil).Stdout)
	assert.Equal(t, "yes\n", run(t, s, "cd ../.. && [ \"$PWD\" = "+base+" ] && [ -d \"$(printf 'x\\033]52;c;aGk=\\007\\033[2Jy')\" ] && echo yes", nil).Stdout,
		"the directory's real name has the escapes")
}

// Binary output read back through Output is summarised as the result was.
func TestOutputOfBinaryIsSummarised(t *testing.T) {
	s := open(t, &Config{MaxChars: 100})
	res := run(t, s, "head -c 20000 /dev/urandom", nil)
	require.NotEmpty(t, res.OutputID, "a summarised output is kept")
	assert.Equal(t, "[binary output: 20000 bytes]\n", res.Stdout)
	again, err := s.Output(res.OutputID, &Budget{MaxChars: 50000})
	require.NoError(t, err)
	assert.Equal(t, res.Stdout, again.Stdout)
	assert.True(t, again.Truncated)
	_, err = s.Output("out_999999", nil)
	assert.True(t, errors.Is(err, ErrUnknownOutput))
}

// Code given as a command's stdin is checked by the fence as its
// here-document would be; a job that is a bare shell is dynamic, since its
// code would come later through its input.
func TestFenceSeesStdinAndShellJobs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, &Config{Dir: dir, Policy: &policy.Policy{Deny: []string{"rm"}}})
	run(t, s, "touch keep", nil)
	ctx := context.Background()
	for _, sh := range []string{"bash", "sh", "bash -s", "{ sh; }"} {
		_, err := s.Exec(ctx, sh, &ExecOptions{Stdin: "rm keep\n"})
		var pe *PolicyError
		require.ErrorAs(t, err, &pe, "%s reading rm from stdin", sh)
	}
	assert.FileExists(t, filepath.Join(dir, "keep"))
	res := run(t, s, "cat", &ExecOptions{Stdin: "rm keep\n"})
	assert.Equal(t, "rm keep\n", res.Stdout, "data read by a program is not code")

	strict := open(t, &Config{Dir: dir, Policy: &policy.Policy{Allow: []string{"ls", "bash", "sh", "echo"}}})
	_, err := strict.Start(ctx, "bash", nil)
	var pe *PolicyError
	require.ErrorAs(t, err, &pe, "a bare shell job takes code the fence never sees")
	j, err := strict.Start(ctx, "echo hi", nil)
	require.NoError(t, err)
	j.Signal(ctx, "KILL")
}

// A refusal by the guard is in the audit trail like a policy denial.
func TestGuardRefusalIsABlockedEvent(t *testing.T) {
	var blocked []*Event
	s, err := OpenLocal(context.Background(), nil, WithObserver(func(e *Event) {
		if e.Type == "blocked" {
			blocked = append(blocked, e)
		}
	}))
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Exec(context.Background(), "exec 253>&-", nil)
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	require.Len(t, blocked, 1)
	assert.Equal(t, "exec 253>&-", blocked[0].Command)
	assert.Contains(t, blocked[0].Error, "descriptor 253")
}
