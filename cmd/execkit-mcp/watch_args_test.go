package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWatchArgs: every mistake in the watch command's arguments, and every
// hostile one, is refused before anything is opened or served: one clear
// line naming the problem (then the usage for a usage error), the exit
// code 2 for usage and 1 for a PATH that cannot be read, nothing on
// stdout. Checked in-process and through the real binary.
func TestWatchArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.jsonl")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		code  int
		err   string // the first line of stderr, after "execkit-mcp: watch: "
		usage bool   // the usage follows
	}{
		{"two PATHs", []string{dir, file}, nil, 2, "give one PATH", true},
		{"two PATHs around a flag", []string{"--follow", dir, "-n", "3", file}, nil, 2, "give one PATH", true},
		{"--follow with --serve", []string{"--follow", "--serve", dir}, nil, 2, "--follow and --serve do not go together", true},
		{"--port past 65535", []string{"--serve", "--port", "70000", dir}, nil, 2, "--port must be a TCP port from 1 to 65535, or 0 for any free one", true},
		{"--port negative", []string{"--serve", "--port=-1", dir}, nil, 2, "--port must be a TCP port from 1 to 65535, or 0 for any free one", true},
		{"--port not a number", []string{"--serve", "--port", "http", dir}, nil, 2, `invalid value "http" for flag -port: parse error`, true},
		{"--port overflows", []string{"--serve", "--port", "99999999999999999999", dir}, nil, 2, `invalid value "99999999999999999999" for flag -port: value out of range`, true},
		{"--port without --serve", []string{"--port", "8080", dir}, nil, 2, "--open and --port go with --serve", true},
		{"--open without --serve", []string{"--follow", "--open", dir}, nil, 2, "--open and --port go with --serve", true},
		{"--color bogus", []string{"--follow", "--color", "bogus", dir}, nil, 2, "--color must be auto, always or never", true},
		{"--color empty", []string{"--follow", "--color=", dir}, nil, 2, "--color must be auto, always or never", true},
		{"--color with an escape", []string{"--follow", "--color", "\x1b[31m", dir}, nil, 2, "--color must be auto, always or never", true},
		{"--color without --follow", []string{"--color", "always", dir}, nil, 2, "-n, --no-output and --color go with --follow", true},
		{"-n without --follow", []string{"-n", "5", dir}, nil, 2, "-n, --no-output and --color go with --follow", true},
		{"-n without --follow, with --serve", []string{"--serve", "-n", "5", dir}, nil, 2, "-n, --no-output and --color go with --follow", true},
		{"--no-output without --follow", []string{"--no-output", dir}, nil, 2, "-n, --no-output and --color go with --follow", true},
		{"-n not a number", []string{"--follow", "-n", "ten", dir}, nil, 2, `invalid value "ten" for flag -n: parse error`, true},
		{"-n with a newline", []string{"--follow", "-n", "1\n2", dir}, nil, 2, `invalid value "1\n2" for flag -n: parse error`, true},
		{"a bool flag given a value", []string{"--follow=maybe", dir}, nil, 2, `invalid boolean value "maybe" for -follow: parse error`, true},
		{"an unknown flag", []string{"--frobnicate", dir}, nil, 2, "flag provided but not defined: -frobnicate", true},
		{"a flag with an escape", []string{"--\x1b]0;pwned\x07", dir}, nil, 2, `flag provided but not defined: -\x1b]0;pwned\a`, true},
		{"a flag with a newline", []string{"---x\ny", dir}, nil, 2, `bad flag syntax: ---x\ny`, true},
		{"no PATH and no env", nil, nil, 2, "no PATH, and neither EXECKIT_MCP_AUDIT_DIR nor EXECKIT_MCP_AUDIT is set", true},
		{"no PATH, a relative env dir", []string{"--follow"}, map[string]string{"EXECKIT_MCP_AUDIT_DIR": "audit/dir"}, 2, `EXECKIT_MCP_AUDIT_DIR="audit/dir" is not a usable path: it is not absolute`, true},
		{"no PATH, a relative env file", []string{"--follow"}, map[string]string{"EXECKIT_MCP_AUDIT": "audit.jsonl"}, 2, `EXECKIT_MCP_AUDIT="audit.jsonl" is not a usable path: it is not absolute`, true},
		{"no PATH, an env file with a newline", []string{"--follow"}, map[string]string{"EXECKIT_MCP_AUDIT": "x\ny"}, 2, `EXECKIT_MCP_AUDIT="x\ny" is not a usable path: it is not absolute`, true},
		{"a PATH that is missing", []string{"--follow", filepath.Join(dir, "missing")}, nil, 1, `cannot open "` + filepath.Join(dir, "missing") + `": no such file or directory`, false},
		{"a PATH with a newline and an escape", []string{"--follow", "a\nb\x1b[2J"}, nil, 1, `cannot open "a\nb\x1b[2J": no such file or directory`, false},
		{"a PATH that is a device", []string{"--follow", os.DevNull}, nil, 1, `"` + os.DevNull + `" is neither an audit file nor a directory`, false},
		{"an empty PATH", []string{"--follow", ""}, nil, 1, `cannot open "": no such file or directory`, false},
		{"a PATH after --, like a flag", []string{"--follow", "--", "-n"}, nil, 1, `cannot open "-n": no such file or directory`, false},
		{"two PATHs after --", []string{"--follow", "--", "-a", "-b"}, nil, 2, "give one PATH", true},
		{"the terminal viewer without a terminal", []string{dir}, nil, 2, "the terminal viewer needs a terminal; use --follow for a stream, or --serve for the browser", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(how string, code int, stdout, stderr string) {
				t.Helper()
				assert.Equal(t, c.code, code, "%s: the exit code", how)
				assert.Empty(t, stdout, "%s: nothing on stdout", how)
				first, rest, _ := strings.Cut(stderr, "\n")
				assert.Equal(t, "execkit-mcp: watch: "+c.err, first, "%s: one line says what is wrong", how)
				if c.usage {
					assert.Equal(t, watchUsage, rest, "%s: then the usage", how)
				} else {
					assert.Empty(t, rest, "%s: and nothing more", how)
				}
				assert.NotContains(t, first, "\x1b", "%s: the input's escapes are quoted, never sent to the terminal", how)
			}

			env := func(k string) string { return c.env[k] }
			var stdout, stderr bytes.Buffer
			code := watchCmd(c.args, env, strings.NewReader(""), &stdout, &stderr)
			check("in-process", code, stdout.String(), stderr.String())

			cmd := exec.Command(binPath, append([]string{"watch"}, c.args...)...)
			cmd.Env = cleanEnv(c.env)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "the binary exits nonzero: %v", err)
			check("the binary", ee.ExitCode(), out.String(), errOut.String())
		})
	}
}

// TestWatchHelp: -h, -help and --help print the usage on stdout and exit 0.
func TestWatchHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		code := watchCmd([]string{arg}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		assert.Equal(t, 0, code, arg)
		assert.Equal(t, watchUsage, stdout.String(), arg)
		assert.Empty(t, stderr.String(), arg)
	}
}
