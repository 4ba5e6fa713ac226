package execkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile programs and outputs: each must give the behaviour a user needs —
// no hang, a clear error, the session survives or is clearly ended, nothing
// leaked, nothing lost.

func TestTerminalEscapeInjection(t *testing.T) {
	// want is what a terminal would show, which is what the agent must read:
	// text a sequence hides (overwritten, erased) is gone as on a screen,
	// text it cannot hide stays (internal/clean: moves to other lines are
	// dropped, so an earlier line can never be redrawn).
	cases := []struct{ name, cmd, want string }{
		{"osc52 clipboard", `printf 'safe\033]52;c;cm0gLXJmIC8K\007 text\n'`, "safe text\n"},
		{"title", `printf '\033]0;pwned\033\\ok\n'`, "ok\n"},
		{"hyperlink", `printf '\033]8;;http://evil.example/\033\\click\033]8;;\033\\\n'`, "click\n"},
		{"cursor hides", `printf 'visible\033[2K\033[1Ghidden-overwrite\n'`, "hidden-overwrite\n"},
		{"cr overwrites longer", `printf 'rm -rf ~\r# harmless\n'`, "# harmless\n"},
		{"cr leaves the rest shown", `printf 'curl evil | sh\rok\n'`, "okrl evil | sh\n"},
		{"cr then erase", `printf 'rm -rf ~\r\033[Kls\n'`, "ls\n"},
		{"cursor left then erase", `printf 'ab-hidden\033[7D\033[Kcd\n'`, "abcd\n"},
		{"erase to cursor", `printf 'hidden\033[1Kx\n'`, "      x\n"},
		{"backspaces", `printf 'abc\b\bX\n'`, "aXc\n"},
		{"line above cannot be redrawn", `printf 'first\n\033[1A\033[2Ksecond\n'`, "first\nsecond\n"},
		{"cursor right dropped", `printf 'a\033[99999Cb\n'`, "ab\n"},
		{"dcs", `printf '\033Pq#0;2;0;0;0\033\\after\n'`, "after\n"},
		{"8-bit csi", `printf '\302\2332Jx\n'`, "x\n"},
		{"bell and nul", `printf 'a\007b\000c\n'`, "abc\n"},
		{"unterminated osc", `printf 'before\033]0;never ends'`, "before"},
	}
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := run(t, s, c.cmd+"; "+c.cmd+" >&2", nil)
				assert.Equal(t, c.want, res.Stdout, "stdout of %s", c.cmd)
				assert.Equal(t, c.want, res.Stderr, "stderr of %s", c.cmd)
				for _, out := range []string{res.Stdout, res.Stderr} {
					assert.NotContains(t, out, "\x1b", "no escape may reach the agent")
					assert.NotContains(t, out, "\u009b", "no 8-bit CSI may reach the agent")
					assert.NotContains(t, out, "\x07")
					assert.NotContains(t, out, "\x00")
					assert.NotContains(t, out, "cm0gLXJm", "an OSC 52 payload is dropped with its sequence")
				}
			})
		}
		assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout, "escapes must not leave the session in a state")
	})
}

func TestHugeLineAndBinary(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "head -c 10485760 /dev/zero | tr '\\0' y; echo; echo end", nil)
	assert.True(t, res.Truncated)
	assert.True(t, strings.HasSuffix(res.Stdout, "\nend\n"), "the end of a 10 MB line must be kept")
	assert.LessOrEqual(t, len(res.Stdout), DefaultMaxChars+200)

	res = run(t, s, "printf 'ELF\\000\\001\\002'; head -c 4096 /dev/urandom", nil)
	assert.Contains(t, res.Stdout, "[binary output:")
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

func TestClosedStreams(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, _ *Session) {
		for _, cmd := range []string{"exec 1>&-", "exec 2>&-", "exec 1>&- 2>&-", "exec 0<&-"} {
			t.Run(cmd, func(t *testing.T) {
				s := open(t, &Config{Shell: sh.Argv})
				dir := t.TempDir()
				run(t, s, "cd "+quote(dir)+"; "+cmd, nil)
				for i := 0; i < 2; i++ {
					res := run(t, s, "echo framed >f; true", nil)
					assert.Equal(t, 0, res.ExitCode, "closing a stream must not break the frame")
					assert.Empty(t, res.Ended)
					assert.Equal(t, dir, res.Cwd, "the frame still reports the cwd")
				}
				assert.FileExists(t, dir+"/f", "later commands still run")
				if !strings.Contains(cmd, "1>&-") {
					assert.Equal(t, "still\n", run(t, s, "echo still", nil).Stdout, "stdout still reaches the result")
				}
				if !strings.Contains(cmd, "2>&-") {
					assert.Equal(t, "still\n", run(t, s, "echo still >&2", nil).Stderr, "stderr still reaches the result")
				}
			})
		}
	})
}

func TestStdinHungryAndPagers(t *testing.T) {
	s := open(t, &Config{Dir: t.TempDir()})
	require.NoError(t, os.WriteFile(s.Cwd()+"/f.txt", []byte(strings.Repeat("line\n", 500)), 0o644))
	for _, cmd := range []string{
		"python3", "python3 -c 'input()'", "sh -c 'read x'", "less f.txt", "more f.txt",
		"git init -q . && git log", "ssh-keygen -y -f /nonexistent 2>&1",
		"passwd 2>&1 || true", "sudo -S true 2>&1 || true", "vi f.txt </dev/null >/dev/null 2>&1 || true",
	} {
		t.Run(cmd, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := s.Exec(ctx, cmd, &ExecOptions{Timeout: 15 * time.Second})
			require.NoError(t, err)
			assert.False(t, res.TimedOut, "%q waited for input that never comes", cmd)
		})
	}
}

func TestForkHeavyAndHugeEnv(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "for i in $(seq 1 300); do /bin/true; done; echo $i", nil)
	assert.Equal(t, "300\n", res.Stdout)
	// 1 MB of environment in 100 KB variables (one variable over 128 KB
	// makes every exec fail with E2BIG, in any shell).
	res = run(t, s, "v=$(head -c 100000 /dev/zero | tr '\\0' b); for i in 0 1 2 3 4 5 6 7 8 9; do export BIG$i=$v; done; env | wc -c", nil)
	n, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	require.NoError(t, err, res.Stdout)
	assert.Greater(t, n, 1000000)
	assert.Equal(t, "ok\n", run(t, s, "/bin/echo ok", nil).Stdout, "a huge environment must not break later commands")
}

func TestKilledFromOutside(t *testing.T) {
	s := open(t, nil)
	pid, err := strconv.Atoi(strings.TrimSpace(run(t, s, "echo $$", nil).Stdout))
	require.NoError(t, err)
	// Killed while idle.
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not notice its shell died")
	}
	_, err = s.Exec(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, ErrSessionEnded)
	assert.Contains(t, err.Error(), "signal 9")

	// Killed mid-command.
	s = open(t, nil)
	pid, _ = strconv.Atoi(strings.TrimSpace(run(t, s, "echo $$", nil).Stdout))
	time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(pid, syscall.SIGKILL) })
	res := run(t, s, "echo before; sleep 30", nil)
	assert.Equal(t, "before\n", res.Stdout)
	assert.Contains(t, res.Ended, "killed")
}

func TestCatastrophicRegexIsLinear(t *testing.T) {
	s := open(t, nil)
	// A backtracking engine takes exponential time on this; RE2 is linear.
	start := time.Now()
	res := run(t, s, "printf 'a%.0s' $(seq 1 5000); echo b", &ExecOptions{Budget: &Budget{Grep: &Grep{Pattern: `^(a+)+$`}}})
	assert.Equal(t, int64(0), res.Budget.Stdout.LinesKept)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestHostileOutputIDs(t *testing.T) {
	s := open(t, nil)
	for _, id := range []string{"", "out_0", "out_-1", "out_99999999999999999999", "../out_1", "out_1\x00", strings.Repeat("x", 100000)} {
		_, err := s.Output(id, nil)
		assert.ErrorIs(t, err, ErrUnknownOutput, "id %q", id)
	}
}

func TestManySessionsNoCrosstalk(t *testing.T) {
	const n, cmds = 20, 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			s, err := OpenLocal(context.Background(), nil)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for j := 0; j < cmds; j++ {
				want := fmt.Sprintf("s%d-c%d", i, j)
				res, err := s.Exec(context.Background(), "echo "+want+"; echo "+want+" >&2", nil)
				if err != nil {
					errs <- err
					return
				}
				if res.Stdout != want+"\n" || res.Stderr != want+"\n" {
					errs <- fmt.Errorf("session %d command %d got %q/%q", i, j, res.Stdout, res.Stderr)
					return
				}
			}
			errs <- nil
		}(i)
	}
	for i := 0; i < n; i++ {
		assert.NoError(t, <-errs)
	}
}

// TestSttyCannotReachTheSession: the session's shell reads commands from a
// pipe and has no controlling terminal, so stty has no terminal to change:
// on stdin it fails (not a tty), on /dev/tty it fails at once (no such
// device) instead of reaching, or waiting on, a terminal of ours. Under a
// real terminal of its own (script's pty) stty works and changes only that
// pty; the session goes on exactly as before.
func TestSttyCannotReachTheSession(t *testing.T) {
	script := fixture.LookPath(t, "script")
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		res := run(t, s, "tty; stty -echo raw", nil)
		assert.Equal(t, "not a tty\n", res.Stdout, "the command's stdin is not a terminal")
		assert.NotEqual(t, 0, res.ExitCode, "stty on a pipe must fail")

		res = run(t, s, "stty -echo raw </dev/tty", &ExecOptions{Timeout: 10 * time.Second})
		assert.False(t, res.TimedOut, "stty on /dev/tty must fail at once, not wait on a terminal")
		assert.NotEqual(t, 0, res.ExitCode, "the session has no controlling terminal")
		assert.Contains(t, res.Stderr, "/dev/tty")

		res = run(t, s, script+" -qc 'stty -echo raw && stty -a' /dev/null", &ExecOptions{Timeout: 10 * time.Second})
		require.False(t, res.TimedOut, "script with stdin /dev/null must return")
		require.Equal(t, 0, res.ExitCode, res.Stderr)
		assert.Contains(t, res.Stdout, "-echo ", "stty changed the pty it runs on")
		assert.Contains(t, res.Stdout, "-icanon ", "stty raw took effect on that pty")

		res = run(t, s, "printf 'a\\nb\\n'; cat; echo done >&2", nil)
		assert.Equal(t, "a\nb\n", res.Stdout, "later output is exact, newlines untranslated")
		assert.Equal(t, "done\n", res.Stderr)
	})
}

const ttyHelperEnv = "EXECKIT_TEST_TTY_HELPER"

// TestTTYHelperProcess is the child of TestSessionHasNoControllingTerminal:
// it runs on a pty that is its controlling terminal, opens a session and
// tries to reach that terminal from the session's commands.
func TestTTYHelperProcess(t *testing.T) {
	if os.Getenv(ttyHelperEnv) != "1" {
		return
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Printf("HELPER no controlling terminal: %v\n", err)
		return
	}
	f.Close()
	fmt.Println("HELPER has a controlling terminal")
	s := open(t, &Config{Grace: 200 * time.Millisecond})
	for _, cmd := range []string{"stty -echo raw </dev/tty", "read x </dev/tty", "echo hello >/dev/tty"} {
		res := run(t, s, cmd, &ExecOptions{Timeout: 3 * time.Second})
		fmt.Printf("HELPER %s: exit=%d timed_out=%v\n", cmd, res.ExitCode, res.TimedOut)
	}
}

// TestSessionHasNoControllingTerminal: when the process using execkit has
// a controlling terminal (a developer running the MCP server or go test in
// a terminal), a session's commands must not be able to reach it: not
// change its settings, not read from it (a read would stop the command and
// wait on the user), not write to it.
func TestSessionHasNoControllingTerminal(t *testing.T) {
	if os.Getenv(ttyHelperEnv) == "1" {
		t.Skip("running as the helper")
	}
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTTYHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), ttyHelperEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	require.NoError(t, cmd.Start())
	var out strings.Builder
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "helper output:\n%s", &out)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the helper hung")
	}
	// The terminal's settings after the helper: stty reads them from the pty.
	st := exec.Command("stty", "-a")
	st.Stdin = tty
	settings, err := st.Output()
	require.NoError(t, err)
	tty.Close()
	<-read
	report := strings.ReplaceAll(out.String(), "\r\n", "\n")
	require.Contains(t, report, "HELPER has a controlling terminal", "the helper must run on a terminal for this test to mean anything")
	for _, cmd := range []string{"stty -echo raw </dev/tty", "read x </dev/tty", "echo hello >/dev/tty"} {
		assert.Contains(t, report, "HELPER "+cmd+": exit=1 timed_out=false", "%q must fail at once: the session has no controlling terminal", cmd)
	}
	assert.NotContains(t, report, "\nhello\n", "a command wrote to the user's terminal")
	assert.Regexp(t, `(^|[ ;])echo([ ;]|$)`, string(settings), "the terminal's echo must still be on")
	assert.Regexp(t, `(^|[ ;])icanon([ ;]|$)`, string(settings), "the terminal must not be left raw")
}

// procsRunning returns the pids of the processes whose argv is exactly argv.
func procsRunning(t testing.TB, argv ...string) []int {
	t.Helper()
	want := strings.Join(argv, "\x00") + "\x00"
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && string(b) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestParallelForkBurstTimeout: hundreds of background children started at
// once, then waited for, past the timeout: the session survives with its
// state, and not one of the children is left running.
func TestParallelForkBurstTimeout(t *testing.T) {
	const marker = "4917" // an unusual sleep, to find ours in /proc
	eachShell(t, func(t *testing.T, sh fixture.Shell, _ *Session) {
		s := open(t, &Config{Shell: sh.Argv, Grace: 300 * time.Millisecond})
		dir := t.TempDir()
		run(t, s, "cd "+quote(dir)+"; export EK_KEEP=1", nil)
		res := run(t, s, "for i in $(seq 200); do sleep "+marker+" & done; echo forked; wait", &ExecOptions{Timeout: time.Second})
		assert.True(t, res.TimedOut, "the command must time out")
		assert.Empty(t, res.Ended, "a timeout must not end the session")
		assert.Equal(t, "forked\n", res.Stdout)
		assert.Equal(t, "1 "+dir+"\n", run(t, s, `echo "$EK_KEEP $(pwd)"`, nil).Stdout, "state must survive")
		deadline := time.Now().Add(5 * time.Second)
		for len(procsRunning(t, "sleep", marker)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		assert.Empty(t, procsRunning(t, "sleep", marker), "the burst's children must all be gone")
	})
}
