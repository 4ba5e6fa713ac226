package execkit

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile programs and outputs: each must give the behaviour a user needs —
// no hang, a clear error, the session survives or is clearly ended, nothing
// leaked, nothing lost.

func TestTerminalEscapeInjection(t *testing.T) {
	s := open(t, nil)
	for name, cmd := range map[string]string{
		"osc52 clipboard": `printf 'safe\033]52;c;cm0gLXJmIC8K\007 text\n'`,
		"title":           `printf '\033]0;pwned\033\\ok\n'`,
		"cursor hides":    `printf 'visible\033[2K\033[1Ghidden-overwrite\n'`,
		"dcs":             `printf '\033Pq#0;2;0;0;0\033\\after\n'`,
		"8-bit csi":       `printf '\302\2332Jx\n'`,
		"bell and nul":    `printf 'a\007b\000c\n'`,
	} {
		t.Run(name, func(t *testing.T) {
			res := run(t, s, cmd, nil)
			assert.NotContains(t, res.Stdout, "\x1b", "no escape may reach the agent")
			assert.NotContains(t, res.Stdout, "\x07")
			assert.NotContains(t, res.Stdout, "\x00")
			assert.NotContains(t, res.Stdout, "cm0gLXJm", "an OSC 52 payload is dropped with its sequence")
		})
	}
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
	for _, cmd := range []string{"exec 1>&-", "exec 2>&-", "exec 1>&- 2>&-"} {
		t.Run(cmd, func(t *testing.T) {
			s := open(t, nil)
			run(t, s, cmd, nil)
			res := run(t, s, "echo still framed; true", nil)
			assert.Equal(t, 0, res.ExitCode, "closing stdout/stderr must not break the frame")
			assert.Empty(t, res.Ended)
		})
	}
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
