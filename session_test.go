package execkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/clean"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t testing.TB, cfg *Config) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenLocal(ctx, cfg)
	require.NoError(t, err, "opening a local session")
	t.Cleanup(func() { s.Close() })
	return s
}

func run(t testing.TB, s *Session, cmd string, opts *ExecOptions) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := s.Exec(ctx, cmd, opts)
	require.NoError(t, err, "exec %q", cmd)
	return res
}

// eachShell runs f against a session in bash, dash and busybox sh.
func eachShell(t *testing.T, f func(t *testing.T, sh fixture.Shell, s *Session)) {
	for _, sh := range fixture.Shells(t) {
		t.Run(sh.Name, func(t *testing.T) {
			f(t, sh, open(t, &Config{Shell: sh.Argv}))
		})
	}
}

func TestStatePersists(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		dir := t.TempDir()
		run(t, s, "cd "+dir, nil)
		run(t, s, "export EK_A='x y'; EK_B=local", nil)
		run(t, s, "ekf() { echo \"f:$1\"; }", nil)
		run(t, s, "set -o noglob", nil)
		res := run(t, s, `echo "$EK_A|$EK_B|$(pwd)"; ekf 1; echo *; case $- in *f*) echo noglob;; esac`, nil)
		assert.Equal(t, "x y|local|"+dir+"\nf:1\n*\nnoglob\n", res.Stdout, "cd, variables, functions and set options must persist")
		assert.Equal(t, dir, res.Cwd)
		if sh.Bash {
			run(t, s, "alias ekal='echo aliased'", nil)
			assert.Equal(t, "aliased\n", run(t, s, "ekal", nil).Stdout, "aliases must persist")
		}
	})
}

func TestInitialCwdAndEnv(t *testing.T) {
	dir := t.TempDir()
	s := open(t, &Config{Dir: dir, Env: map[string]string{"EK_X": "it's", "PAGER": "less"}})
	res := run(t, s, `pwd; echo "$EK_X $PAGER $GIT_PAGER $GIT_TERMINAL_PROMPT $DEBIAN_FRONTEND"`, nil)
	assert.Equal(t, dir+"\nit's less cat 0 noninteractive\n", res.Stdout)
	assert.Equal(t, dir, res.Cwd)

	_, err := OpenLocal(context.Background(), &Config{Dir: filepath.Join(dir, "missing")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "working directory")
	_, err = OpenLocal(context.Background(), &Config{Env: map[string]string{"A B": "x"}})
	assert.ErrorContains(t, err, "not a valid shell variable name")
}

// TestDifferential checks that a framed command gives exactly what the shell
// gives when it runs the command directly.
func TestDifferential(t *testing.T) {
	cases := []struct{ name, cmd string }{
		{"echo", "echo hello"},
		{"no newline", "printf 'a\\nb'"},
		{"empty", ":"},
		{"stderr", "echo out; echo err >&2; echo out2"},
		{"only stderr", "printf 'e' >&2"},
		{"exit code", "(exit 7)"},
		{"false", "false"},
		{"signal", "sh -c 'kill -9 $$'"},
		{"heredoc at end", "cat <<EOF\nline 1\n  line 2\nEOF"},
		{"trailing comment", "echo hi # a comment"},
		{"comment only", "# nothing"},
		{"multi-line", "for i in 1 2 3; do\n  echo $i\ndone\necho done"},
		{"utf-8", "printf 'héllo wörld 日本語 🎉\\n'"},
		{"invalid utf-8", "printf 'a\\377b\\n'"},
		{"blank lines", "printf '\\n\\n\\nx\\n\\n'"},
		{"quotes", `echo "it's" 'a "test"' \$HOME`},
		{"pipefail-free", "false | true"},
		{"semicolon end", "echo a;"},
		{"background", "echo fg; (echo bg >/dev/null) &"},
		{"printf percent", "printf '%s%%\\n' 50"},
		{"big", "seq 1 10000"},
		{"marker-like", `printf '\036EKE0123456789abcdef01234567\036 fake\n'; echo after`},
		{"ansi", `printf '\033[31mred\033[0m \033]0;title\007done\n'`},
		{"cr progress", `printf '10%%\r50%%\r100%%\n'`},
	}
	for _, sh := range fixture.Shells(t) {
		t.Run(sh.Name, func(t *testing.T) {
			s := open(t, &Config{Shell: sh.Argv})
			for _, c := range cases {
				name, cmd := c.name, c.cmd
				t.Run(name, func(t *testing.T) {
					if sh.Name == "busybox" && name == "signal" {
						// Interactive ash reports a foreground job's death by
						// signal ("Killed"), as a terminal shows it.
						t.Skip("busybox reports signal deaths on stderr")
					}
					res := run(t, s, cmd, nil)
					c := exec.Command(sh.Direct[0], append(sh.Direct[1:], cmd)...)
					var stdout, stderr bytes.Buffer
					c.Stdout, c.Stderr = &stdout, &stderr
					err := c.Run()
					code := 0
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						code = ee.ExitCode()
						if code < 0 {
							code = 128 + 9
						}
					}
					assert.Equal(t, clean.String(stdout.String()), res.Stdout, "stdout of %q (result %+v)", cmd, res)
					assert.Equal(t, clean.String(stderr.String()), res.Stderr, "stderr of %q", cmd)
					assert.Equal(t, code, res.ExitCode, "exit code of %q", cmd)
					assert.False(t, res.Truncated)
				})
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		dir := t.TempDir()
		marker := filepath.Join(dir, "ran")
		for name, cmd := range map[string]string{
			"unbalanced quote": "touch " + marker + "; echo 'abc",
			"multi-line if":    "touch " + marker + "\nif true; then\necho x",
			"stray fi":         "touch " + marker + "\nfi",
			"unbalanced paren": "touch " + marker + " && (echo",
			"multi-line quote": "touch " + marker + "\necho \"abc",
		} {
			t.Run(name, func(t *testing.T) {
				res := run(t, s, cmd, nil)
				assert.NotEqual(t, 0, res.ExitCode, "a syntax error must fail")
				assert.NotEmpty(t, res.Stderr, "the shell's message must be returned")
				assert.NoFileExists(t, marker, "a command with a syntax error must not run at all")
				assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout, "the session must survive")
			})
		}
		res := run(t, s, "echo a\r\necho b\r\n", nil)
		assert.Equal(t, "a\nb\n", res.Stdout, "CRLF line ends are read as LF")
	})
}

func TestLongCommand(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		payload := strings.Repeat("x", 200_000)
		res := run(t, s, "v='"+payload+"'; echo ${#v}", nil)
		assert.Equal(t, "200000\n", res.Stdout)
		res = run(t, s, "cat <<'EOF' | wc -c\n"+payload+"\nEOF", nil)
		assert.Equal(t, "200001", strings.TrimSpace(res.Stdout))
		assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout, "a long command must not disturb the next one")
	})
}

func TestStdin(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		// Programs that read stdin must not hang: it is /dev/null.
		res := run(t, s, "cat; read x; echo \"[$x]\"; head -1", nil)
		assert.Equal(t, "[]\n", res.Stdout)
		in := "line 1\nline 'two' $HOME\n"
		res = run(t, s, "cat", &ExecOptions{Stdin: in})
		assert.Equal(t, in, res.Stdout, "stdin must reach the command exactly")
		res = run(t, s, "read a; read b; echo \"$b|$a\"", &ExecOptions{Stdin: "1\n2\n"})
		assert.Equal(t, "2|1\n", res.Stdout)
		if sh.Bash {
			res = run(t, s, "od -An -c", &ExecOptions{Stdin: "no newline"})
			assert.NotContains(t, res.Stdout, `\n`, "bash sessions pass input without a trailing newline exactly")
		}
	})
}

func TestNonInteractive(t *testing.T) {
	s := open(t, &Config{Dir: t.TempDir()})
	res := run(t, s, "git init -q . && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m one && git log --oneline | wc -l", nil)
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, "1", strings.TrimSpace(res.Stdout))
	res = run(t, s, "git -c user.email=a@b -c user.name=a commit --allow-empty", nil)
	assert.NotEqual(t, 0, res.ExitCode, "git commit without -m must fail fast, not wait for an editor")
	res = run(t, s, "git log", nil)
	assert.Equal(t, 0, res.ExitCode)
	assert.Contains(t, res.Stdout, "one")
}

// TestDuration: Result.Duration is the command's own wall time.
func TestDuration(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		slow := run(t, s, "sleep 0.3", nil)
		assert.GreaterOrEqual(t, slow.Duration, 300*time.Millisecond, "a 0.3 s sleep takes at least 0.3 s")
		quick := run(t, s, "true", nil)
		assert.Greater(t, quick.Duration, time.Duration(0), "every result has a duration")
		assert.Less(t, quick.Duration, slow.Duration, "a trivial command takes less than the sleep")
		timedOut := run(t, s, "sleep 10", &ExecOptions{Timeout: 300 * time.Millisecond})
		require.True(t, timedOut.TimedOut)
		assert.GreaterOrEqual(t, timedOut.Duration, 300*time.Millisecond, "a timed-out command ran for its timeout")
		assert.Less(t, timedOut.Duration, 10*time.Second, "and not to its end")
	})
}

// TestManReturns: man prints its page (MANPAGER=cat) instead of waiting in
// a pager for a key that never comes.
func TestManReturns(t *testing.T) {
	fixture.LookPath(t, "man")
	s := open(t, nil)
	res := run(t, s, "man man", &ExecOptions{Timeout: 30 * time.Second})
	require.False(t, res.TimedOut, "man must not wait in a pager")
	if res.ExitCode == 16 || strings.Contains(res.Stderr, "No manual entry") {
		fixture.Missing(t, "the man(1) page (this system's image dropped manual pages)")
	}
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stdout, "NAME", "the page is printed")
	assert.NotContains(t, res.Stdout, "\b", "overstrike (bold and underline) is resolved, not passed on")
	// Even on a terminal (script's pty), where man pages its output
	// (through less, waiting for a key, without the session's MANPAGER).
	script := fixture.LookPath(t, "script")
	res = run(t, s, script+" -qc 'man man' /dev/null", &ExecOptions{Timeout: 30 * time.Second})
	require.False(t, res.TimedOut, "man on a terminal must not wait in a pager")
	assert.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stdout, "NAME", "the page is printed")
}

// TestAptGetReturns: apt-get neither installs nor prompts: a simulated
// install returns its plan and a missing package returns an error, both at
// once (stdin is /dev/null and DEBIAN_FRONTEND noninteractive).
func TestAptGetReturns(t *testing.T) {
	fixture.LookPath(t, "apt-get")
	s := open(t, nil)
	res := run(t, s, "apt-get install -s -o Debug::NoLocking=1 coreutils", &ExecOptions{Timeout: 60 * time.Second})
	require.False(t, res.TimedOut, "apt-get -s must not wait")
	assert.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.NotContains(t, res.Stdout, "Do you want to continue", "apt-get must not prompt")
	res = run(t, s, "apt-get install -o Debug::NoLocking=1 execkit-no-such-package-zz", &ExecOptions{Timeout: 60 * time.Second})
	require.False(t, res.TimedOut, "apt-get must not wait")
	assert.NotEqual(t, 0, res.ExitCode)
	assert.Contains(t, res.Stderr, "execkit-no-such-package-zz", "the error names the package")
	assert.NotContains(t, res.Stdout+res.Stderr, "Do you want to continue")
}

func TestNonceNeverVisible(t *testing.T) {
	var mu sync.Mutex
	var nonces []string
	nonceHook = func(n string) { mu.Lock(); nonces = append(nonces, n); mu.Unlock() }
	defer func() { nonceHook = nil }()
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		probes := []string{
			"env", "set", "cat /proc/$$/cmdline /proc/$$/environ /proc/self/environ | tr '\\0' ' '",
			"ls -l /proc/$$/fd /proc/self/fd", "cat /proc/self/fd/0", "timeout 1 cat /proc/$$/fd/0",
			"history 2>&1", "cat ~/.bash_history ~/.ash_history ~/.sh_history 2>&1",
			"echo \"$BASH_COMMAND\" \"$_\"", "declare -f 2>&1 || type __ek_e __ek_s",
			"cat /proc/$$/status", "alias", "trap",
		}
		for _, p := range probes {
			mu.Lock()
			snapshot := append([]string(nil), nonces...)
			mu.Unlock()
			res := run(t, s, p, nil)
			for _, n := range snapshot {
				assert.NotContains(t, res.Stdout+res.Stderr, n, "probe %q exposed a frame nonce", p)
			}
			// The command's own end nonce is made after the snapshot: check
			// the newest ones too.
			mu.Lock()
			latest := append([]string(nil), nonces[len(snapshot):]...)
			mu.Unlock()
			for _, n := range latest {
				assert.NotContains(t, res.Stdout+res.Stderr, n, "probe %q exposed its own nonce", p)
			}
		}
	})
}

func TestHostileStateChanges(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		for _, cmd := range []string{
			"export TMPDIR=/nonexistent/bad",
			"export PATH=/nonexistent",
			"IFS=0123456789abcdef:",
			"PS1='$ ' PS2='> ' PS4='++ '",
			"PROMPT_COMMAND='echo pc; cd /'",
			"trap 'echo trapped' EXIT INT",
			"stty -echo 2>/dev/null; true",
			"exec >/dev/null",
			"exec 2>/dev/null",
			"exec </dev/null",
			"set -u",
			"set -x",
			"unset PWD",
			"umask 777",
		} {
			run(t, s, cmd, nil)
			res := run(t, s, "echo ok", nil)
			assert.Equal(t, 0, res.ExitCode, "after %q", cmd)
			if cmd == "exec >/dev/null" {
				// As in any shell, later output goes to /dev/null; what
				// matters is that the session still frames commands.
				assert.Equal(t, "", res.Stdout)
				assert.Equal(t, "e\n", run(t, s, "echo e >&2", nil).Stderr)
			} else {
				assert.Equal(t, "ok\n", res.Stdout, "after %q", cmd)
			}
			if cmd == "set -x" {
				assert.Contains(t, res.Stderr, "echo ok", "the command is traced")
				for _, internal := range []string{"__ek", "printf", "EKE", "EKS"} {
					assert.NotContains(t, res.Stderr, internal, "the frame must not show in a trace")
				}
			}
			// Fresh start for the next one: redirections persist by design.
			s.Close()
			s = open(t, &Config{Shell: sh.Argv})
		}
	})
}

func TestShellEnds(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, _ *Session) {
		for name, cmd := range map[string]string{
			"exit":     "echo bye; exit 3",
			"exec":     "exec true",
			"kill":     "kill -9 $$",
			"set -e":   "set -e; echo before; false; echo after",
			"pipefail": "set -euo pipefail; echo x | grep -q y; echo after",
		} {
			t.Run(name, func(t *testing.T) {
				s := open(t, &Config{Shell: sh.Argv})
				res := run(t, s, cmd, nil)
				assert.NotEmpty(t, res.Ended, "the result must say the session ended")
				assert.NotContains(t, res.Stdout, "after")
				switch name {
				case "exit":
					assert.Equal(t, 3, res.ExitCode)
					assert.Equal(t, "bye\n", res.Stdout)
				case "kill":
					assert.Equal(t, 137, res.ExitCode)
				case "set -e":
					assert.Equal(t, 1, res.ExitCode)
				case "pipefail":
					if sh.Bash {
						assert.Equal(t, 1, res.ExitCode)
					} else {
						// dash has no pipefail: set fails, and set -e ends it.
						assert.NotEqual(t, 0, res.ExitCode)
					}
				}
				_, err := s.Exec(context.Background(), "echo again", nil)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrSessionEnded)
			})
		}
	})
}

func TestSetEWithoutFailureKeepsSession(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "set -euo pipefail; echo fine", nil)
	assert.Equal(t, "fine\n", res.Stdout)
	assert.Empty(t, res.Ended)
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

func TestTimeoutKeepsSession(t *testing.T) {
	for _, sh := range fixture.Shells(t) {
		t.Run(sh.Name, func(t *testing.T) {
			for name, cmd := range map[string]string{
				"sleep":         "echo start; sleep 100; echo notreached",
				"builtin loop":  "echo start; while :; do :; done",
				"loop of sleep": "echo start; while true; do sleep 1; done",
				"ignores INT":   "echo start; sh -c 'trap \"\" INT; sleep 100'",
				"pipeline":      "echo start; sleep 100 | cat",
			} {
				t.Run(name, func(t *testing.T) {
					s := open(t, &Config{Shell: sh.Argv, Grace: 300 * time.Millisecond})
					dir := t.TempDir()
					run(t, s, "cd "+dir+"; export EK_KEEP=1", nil)
					res := run(t, s, cmd, &ExecOptions{Timeout: 300 * time.Millisecond})
					assert.True(t, res.TimedOut, "the result must say it timed out")
					if sh.NonInteractive {
						// Only the running program is interrupted: the shell
						// goes on with the line, and a loop of builtins can
						// only be stopped by ending the shell.
						assert.True(t, strings.HasPrefix(res.Stdout, "start\n"), "partial output must be kept, got %q", res.Stdout)
						if name == "builtin loop" || name == "loop of sleep" {
							assert.Contains(t, res.Ended, "could not be interrupted")
							return
						}
					} else {
						assert.Equal(t, "start\n", res.Stdout, "partial output must be kept")
					}
					assert.Empty(t, res.Ended, "a timeout must not end the session")
					after := run(t, s, `echo "$EK_KEEP $(pwd)"`, nil)
					assert.Equal(t, "1 "+dir+"\n", after.Stdout, "state must survive a timeout")
				})
			}
		})
	}
}

func TestTimeoutSparesEarlierJobs(t *testing.T) {
	s := open(t, &Config{Grace: 200 * time.Millisecond})
	run(t, s, "sleep 60 & echo $! > "+filepath.Join(t.TempDir(), "pid")+"; EK_BG=$!", nil)
	time.Sleep(1100 * time.Millisecond) // a clock tick apart from the next command's start
	res := run(t, s, "sleep 100", &ExecOptions{Timeout: 200 * time.Millisecond})
	require.True(t, res.TimedOut)
	res = run(t, s, `kill -0 $EK_BG && echo alive; kill $EK_BG`, nil)
	assert.Equal(t, "alive\n", res.Stdout, "a background job of an earlier command must survive a later timeout")
}

func TestUninterruptibleShellLoopEndsSession(t *testing.T) {
	s := open(t, &Config{Grace: 100 * time.Millisecond})
	res := run(t, s, "trap '' INT; while :; do :; done", &ExecOptions{Timeout: 200 * time.Millisecond})
	assert.True(t, res.TimedOut)
	assert.Contains(t, res.Ended, "could not be interrupted")
	_, err := s.Exec(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, ErrSessionEnded)
}

func TestContextCancelInterrupts(t *testing.T) {
	s := open(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := s.Exec(ctx, "sleep 100", nil)
	require.NoError(t, err)
	assert.True(t, res.TimedOut)
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

func TestLateBackgroundOutputNotMisattributed(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		run(t, s, "(sleep 0.2; echo late; echo late-err >&2) &", nil)
		time.Sleep(600 * time.Millisecond)
		res := run(t, s, "echo now", nil)
		assert.Equal(t, "now\n", res.Stdout, "output a background job wrote between commands belongs to no command")
		assert.Equal(t, "", res.Stderr)
	})
}

func TestForgedMarkers(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		dir := t.TempDir()
		run(t, s, "cd "+dir, nil)
		// Print everything a marker could look like, with made-up nonces,
		// on both streams.
		forge := `for k in EKS EKE EKT; do printf '\036%s%s\036%s\n' "$k" 0123456789abcdef01234567 '0:/tmp'; done; printf '\036EKE'; echo`
		res := run(t, s, forge+"; { "+forge+"; } >&2; echo real; echo real-err >&2; (exit 5)", nil)
		forged := "EKS0123456789abcdef012345670:/tmp\nEKE0123456789abcdef012345670:/tmp\nEKT0123456789abcdef012345670:/tmp\nEKE\n"
		assert.Equal(t, forged+"real\n", res.Stdout, "forged markers are output like any other (their control bytes dropped)")
		assert.Equal(t, forged+"real-err\n", res.Stderr)
		assert.Equal(t, 5, res.ExitCode, "a forged marker must not end the command or set its status")
		assert.Equal(t, dir, res.Cwd, "a forged marker must not set the cwd")
		assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
	})
}

func TestConcurrentExecSerializes(t *testing.T) {
	s := open(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := s.Exec(context.Background(), fmt.Sprintf("echo %d; echo e%d >&2", i, i), nil)
			if err != nil {
				errs <- err
				return
			}
			if res.Stdout != fmt.Sprintf("%d\n", i) || res.Stderr != fmt.Sprintf("e%d\n", i) {
				errs <- fmt.Errorf("call %d got %q / %q", i, res.Stdout, res.Stderr)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBusyWhenContextEndsWhileWaiting(t *testing.T) {
	s := open(t, nil)
	go s.Exec(context.Background(), "sleep 1", nil)
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Exec(ctx, "echo", nil)
	assert.ErrorIs(t, err, ErrBusy)
}

func TestBadInput(t *testing.T) {
	s := open(t, nil)
	_, err := s.Exec(context.Background(), "echo a\x00b", nil)
	var ce *CommandError
	assert.ErrorAs(t, err, &ce)
	_, err = s.Exec(context.Background(), "cat", &ExecOptions{Stdin: "a\x00b"})
	assert.ErrorAs(t, err, &ce, "NUL in stdin is refused, not silently dropped")
	for name, b := range map[string]*Budget{
		"mode":      {Keep: &Keep{Mode: "middle", N: 3}},
		"n zero":    {Keep: &Keep{Mode: "tail", N: 0}},
		"n huge":    {Keep: &Keep{Mode: "tail", N: 1 << 40}},
		"bad regex": {Grep: &Grep{Pattern: "(unclosed"}},
		"empty":     {Grep: &Grep{Pattern: ""}},
		"long":      {Grep: &Grep{Pattern: strings.Repeat("a", 5000)}},
		"complex":   {Grep: &Grep{Pattern: "(a{1000}){1000}"}},
		"context":   {Grep: &Grep{Pattern: "a", Context: -1}},
		"negative":  {MaxChars: -5},
		"backtrack": {Grep: &Grep{Pattern: `(a|aa)*\1`}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := s.Exec(context.Background(), "touch "+dir+"/ran", &ExecOptions{Budget: b})
			var be *BudgetError
			require.ErrorAs(t, err, &be)
			assert.NoFileExists(t, dir+"/ran", "a bad budget must fail before the command runs")
		})
	}
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

func TestBudgetsAndOutput(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "seq 1 1000; seq 1 3 >&2", &ExecOptions{Budget: &Budget{Keep: &Keep{Mode: "tail", N: 2}}})
	assert.Equal(t, "999\n1000\n", res.Stdout)
	assert.Equal(t, "2\n3\n", res.Stderr)
	require.NotNil(t, res.Budget)
	assert.Equal(t, StreamReport{Mode: "tail", LinesTotal: 1000, LinesKept: 2}, res.Budget.Stdout)
	assert.True(t, res.Truncated)
	require.NotEmpty(t, res.OutputID)

	again, err := s.Output(res.OutputID, &Budget{Grep: &Grep{Pattern: "^50[05]$", Context: 1}})
	require.NoError(t, err)
	assert.Equal(t, "499\n500\n501\n--\n504\n505\n506\n", again.Stdout)
	assert.Equal(t, int64(6), again.Budget.Stdout.LinesKept)
	full, err := s.Output(res.OutputID, nil)
	require.NoError(t, err)
	assert.Equal(t, 1000, strings.Count(full.Stdout, "\n"))

	_, err = s.Output("out_999", nil)
	assert.ErrorIs(t, err, ErrUnknownOutput)
	_, err = s.Output("../../etc/passwd", nil)
	assert.ErrorIs(t, err, ErrUnknownOutput)
}

func TestCharCap(t *testing.T) {
	s := open(t, &Config{MaxChars: 1000})
	res := run(t, s, "seq 1 100000", nil)
	assert.True(t, res.Truncated)
	assert.LessOrEqual(t, len(res.Stdout), 1100)
	assert.True(t, strings.HasPrefix(res.Stdout, "1\n2\n"))
	assert.True(t, strings.HasSuffix(res.Stdout, "99999\n100000\n"))
	assert.Contains(t, res.Stdout, "bytes omitted")
	require.NotEmpty(t, res.OutputID)
	tail, err := s.Output(res.OutputID, &Budget{Keep: &Keep{Mode: "head", N: 1}})
	require.NoError(t, err)
	assert.Equal(t, "1\n", tail.Stdout)
}

func TestBinaryOutput(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "head -c 20000 /dev/urandom", nil)
	assert.Contains(t, res.Stdout, "[binary output: 20000 bytes]")
	assert.True(t, res.Truncated)
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

// heapPeak runs f and returns the highest Go heap in use (sampled every
// 10 ms) while it ran, and the heap in use before it began.
func heapPeak(f func()) (peak, before uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before, peak = ms.HeapInuse, ms.HeapInuse
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak, before
}

// floodHeapLimit bounds the Go heap while a session swallows a flood. The
// peak measured here is 6 to 11 MB (1 GB flood; 200 MB under -race; the
// heap before is about 2.5 MB); the bound leaves room for the GC's pacing
// (GOGC lets the heap double before collecting) and a loaded machine, not
// for a stream that grows with its output.
const floodHeapLimit = 24 << 20

func TestFloodBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 1 GB")
	}
	s := open(t, &Config{OutputKeep: 8 << 20})
	flood := "1000000000" // 1 GB
	if raceEnabled {
		flood = "200000000"
	}
	var res *Result
	peak, before := heapPeak(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		var err error
		res, err = s.Exec(ctx, "yes | head -c "+flood+"; head -c 5000000 /dev/zero | tr '\\0' x", &ExecOptions{Timeout: 10 * time.Minute})
		require.NoError(t, err)
	})
	t.Logf("heap in use: %d KB before, %d KB at peak", before>>10, peak>>10)
	assert.True(t, res.Truncated)
	assert.LessOrEqual(t, len(res.Stdout), DefaultMaxChars+200)
	assert.Less(t, peak, uint64(floodHeapLimit), "heap must stay bounded during a 1 GB flood (peak %d MB)", peak>>20)
	assert.True(t, strings.HasSuffix(res.Stdout, "xxxx"), "the tail of the flood must be kept")
}

// TestGrepBudgetFlood: a grep budget over 200 MB with a few matching lines
// streams: it finds every match, with its context, and counts every line,
// in bounded memory.
func TestGrepBudgetFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 200 MB")
	}
	s := open(t, &Config{OutputKeep: 8 << 20})
	chunk, chunks := 50_000_000, 4 // bytes of "y\n" between needles
	if raceEnabled {
		chunk = 10_000_000
	}
	var cmd strings.Builder
	for i := 1; i <= chunks; i++ {
		fmt.Fprintf(&cmd, "yes | head -c %d; echo NEEDLE-%d; ", chunk, i)
	}
	cmd.WriteString("echo tail")
	var res *Result
	peak, before := heapPeak(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		var err error
		res, err = s.Exec(ctx, cmd.String(), &ExecOptions{Timeout: 10 * time.Minute, Budget: &Budget{Grep: &Grep{Pattern: `^NEEDLE-[0-9]+$`, Context: 1}}})
		require.NoError(t, err)
	})
	t.Logf("heap in use: %d KB before, %d KB at peak", before>>10, peak>>10)
	assert.Equal(t, "y\nNEEDLE-1\ny\n--\ny\nNEEDLE-2\ny\n--\ny\nNEEDLE-3\ny\n--\ny\nNEEDLE-4\ntail\n", res.Stdout, "every match with one line of context each side")
	require.NotNil(t, res.Budget)
	assert.Equal(t, int64(chunks*chunk/2+chunks+1), res.Budget.Stdout.LinesTotal, "every line is counted")
	assert.Equal(t, int64(chunks*3), res.Budget.Stdout.LinesKept)
	assert.True(t, res.Truncated)
	assert.NotEmpty(t, res.OutputID)
	assert.Less(t, peak, uint64(floodHeapLimit), "heap must stay bounded while grepping a flood (peak %d MB)", peak>>20)
}

func TestRedaction(t *testing.T) {
	var events []*Event
	s, err := OpenLocal(context.Background(), &Config{Secrets: []string{"hunter2-operator-secret"}}, WithObserver(func(e *Event) { events = append(events, e) }))
	require.NoError(t, err)
	defer s.Close()
	res := run(t, s, "echo hunter2-operator-secret; echo AKIAIOSFODNN7EXAMPLF >&2", nil)
	assert.NotContains(t, res.Stdout, "hunter2-operator-secret")
	assert.Contains(t, res.Stdout, "[REDACTED")
	assert.NotContains(t, res.Stderr, "AKIAIOSFODNN7EXAMPLF")
	assert.GreaterOrEqual(t, res.Redacted, 2)
	for _, e := range events {
		assert.NotContains(t, e.Command, "hunter2-operator-secret", "events must be redacted")
	}
}

func TestPolicyDenies(t *testing.T) {
	s := open(t, &Config{Policy: &policyDenyRm})
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/f", nil, 0o600))
	_, err := s.Exec(context.Background(), "sudo rm "+dir+"/f", nil)
	var pe *PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "rm", pe.Word)
	assert.FileExists(t, dir+"/f", "a denied command must not run")
	assert.Equal(t, "ok\n", run(t, s, "echo rm ok | cut -d' ' -f2", nil).Stdout)
}

func TestCloseIdempotentAndInterrupts(t *testing.T) {
	s := open(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := s.Exec(context.Background(), "sleep 100", nil)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt a running Exec")
	}
	_, err := s.Exec(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, ErrSessionEnded)
}

var policyDenyRm = policy.Policy{Deny: []string{"rm"}}

func TestEnvRefusesShellControlledNames(t *testing.T) {
	for _, name := range []string{"PROMPT_COMMAND", "PS1", "BASH_ENV", "ENV", "TMOUT", "SHELLOPTS", "IFS", "CDPATH", "BASH_XTRACEFD"} {
		_, err := OpenLocal(context.Background(), &Config{Env: map[string]string{name: "touch /tmp/execkit-pwned"}})
		assert.ErrorContains(t, err, name, "%s must be refused", name)
	}
}

// TestTimeoutWhileShellReadsFrame: a timeout that fires while the shell is
// still reading a long frame must never make it run stdin data as commands.
func TestTimeoutWhileShellReadsFrame(t *testing.T) {
	dir := t.TempDir()
	s := open(t, &Config{Grace: 500 * time.Millisecond})
	data := strings.Repeat("data line\n: > "+dir+"/f$RANDOM\n", 3000)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.Exec(ctx, "cat >/dev/null", &ExecOptions{Stdin: data, Timeout: time.Millisecond})
		cancel()
		if s.Err() != nil {
			s = open(t, &Config{Grace: 500 * time.Millisecond})
		}
	}
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries, "stdin data ran as commands")
}

// TestTimeoutAsCommandEnds: a command that ends as its time runs out must
// not leave the session interrupted or broken.
func TestTimeoutAsCommandEnds(t *testing.T) {
	s := open(t, nil)
	for i := 0; i < 30; i++ {
		s.Exec(context.Background(), "sleep 0.02; echo done", &ExecOptions{Timeout: 20 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := s.Exec(ctx, "echo ok", nil)
		cancel()
		require.NoError(t, err, "iteration %d", i)
		require.Equal(t, "ok\n", res.Stdout, "iteration %d: the next command must run normally", i)
	}
}

// TestExitWithBackgroundJobDoesNotHang: the shell exits while a job it
// started still holds the pipes.
func TestExitWithBackgroundJobDoesNotHang(t *testing.T) {
	s := open(t, nil)
	run(t, s, "sleep 20 &", nil)
	done := make(chan *Result, 1)
	go func() {
		res, _ := s.Exec(context.Background(), "exit 3", nil)
		done <- res
	}()
	select {
	case res := <-done:
		require.NotNil(t, res)
		assert.Equal(t, 3, res.ExitCode)
	case <-time.After(5 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("Exec hung after the shell exited with a background job alive\n%s", buf[:n])
	}
}
