// Package transporttest is the conformance suite every transport passes, in
// the manner of testing/fstest: it checks the transport contract directly and
// then drives real execkit sessions over the transport.
package transporttest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Run runs the suite. newTransport returns a fresh, connected transport; the
// suite closes it.
func Run(t *testing.T, newTransport func(t *testing.T) transport.Transport) {
	ctx := context.Background()
	mk := func(t *testing.T) transport.Transport {
		tr := newTransport(t)
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	open := func(t *testing.T, tr transport.Transport, cfg *execkit.Config) *execkit.Session {
		s, err := execkit.Open(ctx, tr, cfg)
		require.NoError(t, err, "opening a session over %s", tr.Kind())
		t.Cleanup(func() { s.Close() })
		return s
	}
	exec := func(t *testing.T, s *execkit.Session, cmd string, opts *execkit.ExecOptions) *execkit.Result {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		res, err := s.Exec(ctx, cmd, opts)
		require.NoError(t, err, "exec %q", cmd)
		return res
	}

	t.Run("Run", func(t *testing.T) {
		tr := mk(t)
		out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", "echo out; echo err >&2; cat; exit 3"}, Stdin: strings.NewReader("in")})
		require.NoError(t, err)
		assert.Equal(t, "out\nin", string(out.Stdout))
		assert.Equal(t, "err\n", string(out.Stderr))
		assert.Equal(t, 3, out.ExitCode)
	})

	t.Run("StartStreams", func(t *testing.T) {
		tr := mk(t)
		p, err := tr.Start(ctx, &transport.Command{Argv: []string{"sh", "-c", "read x; echo \"o$x\"; echo \"e$x\" >&2; exit 5"}})
		require.NoError(t, err)
		io.WriteString(p.Stdin(), "1\n")
		outc, errc := make(chan string), make(chan string)
		go func() { b, _ := io.ReadAll(p.Stdout()); outc <- string(b) }()
		go func() { b, _ := io.ReadAll(p.Stderr()); errc <- string(b) }()
		assert.Equal(t, "o1\n", <-outc, "stdout must be split from stderr at the source")
		assert.Equal(t, "e1\n", <-errc)
		code, err := p.Wait()
		require.NoError(t, err)
		assert.Equal(t, 5, code)
		assert.NoError(t, p.Kill(), "Kill after exit is a no-op")
	})

	t.Run("Session", func(t *testing.T) {
		tr := mk(t)
		s := open(t, tr, nil)
		exec(t, s, "cd /tmp && export EK_T=1 && ekfn() { echo fn; }", nil)
		res := exec(t, s, `echo "$EK_T $(pwd)"; ekfn; echo err >&2; printf tail`, nil)
		assert.Equal(t, "1 /tmp\nfn\ntail", res.Stdout)
		assert.Equal(t, "err\n", res.Stderr)
		assert.Equal(t, "/tmp", res.Cwd)
		assert.Equal(t, 7, exec(t, s, "(exit 7)", nil).ExitCode)
		assert.Equal(t, "in\n", exec(t, s, "cat", &execkit.ExecOptions{Stdin: "in\n"}).Stdout)
		assert.Equal(t, "", exec(t, s, "cat", nil).Stdout, "stdin is /dev/null by default")
		big := exec(t, s, "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done", &execkit.ExecOptions{Budget: &execkit.Budget{Keep: &execkit.Keep{Mode: "tail", N: 1}}})
		assert.Equal(t, "line1999\n", big.Stdout)
		assert.Equal(t, int64(2000), big.Budget.Stdout.LinesTotal)
	})

	t.Run("Timeout", func(t *testing.T) {
		tr := mk(t)
		s := open(t, tr, &execkit.Config{Grace: 500 * time.Millisecond})
		exec(t, s, "export EK_T=kept", nil)
		res := exec(t, s, "echo start; sleep 100", &execkit.ExecOptions{Timeout: 500 * time.Millisecond})
		assert.True(t, res.TimedOut)
		assert.Equal(t, "start\n", res.Stdout)
		assert.Empty(t, res.Ended, "a timeout must not end the session")
		assert.Equal(t, "kept\n", exec(t, s, "echo $EK_T", nil).Stdout)

		// Process trees a timeout must take down whole, each leaving the
		// session and its state as they were: a pipeline, a child that
		// waits on its own background job (which ignores INT, as a
		// non-interactive shell's background jobs do), and a child that
		// ignores INT itself (TERM must follow).
		exec(t, s, "cd /tmp", nil)
		for _, tc := range []struct{ name, cmd string }{
			{"pipeline", "echo start; sleep %s | cat"},
			// The INT kills sh, which ends the shell's part of the
			// command; the sleep, re-parented, must still get the TERM.
			{"background and wait", "echo start; sh -c 'sleep %s & wait'"},
			{"child ignoring INT", `echo start; sh -c "trap '' INT; sleep %s"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tok := token()
				res := exec(t, s, fmt.Sprintf(tc.cmd, tok), &execkit.ExecOptions{Timeout: 500 * time.Millisecond})
				assert.True(t, res.TimedOut, "the command must time out")
				assert.Equal(t, "start\n", res.Stdout)
				require.Empty(t, res.Ended, "a timeout must not end the session")
				assert.Equal(t, "kept /tmp\n", exec(t, s, `echo "$EK_T $(pwd)"`, nil).Stdout, "a timeout keeps the shell's env and cwd")
				assert.Empty(t, survivors(t, mk(t), tok, 10*time.Second), "a process of the timed-out command (sleep %s) still runs", tok)
			})
		}
	})

	t.Run("ShellEnds", func(t *testing.T) {
		tr := mk(t)
		s := open(t, tr, nil)
		res := exec(t, s, "echo bye; exit 3", nil)
		assert.Equal(t, 3, res.ExitCode)
		assert.Equal(t, "bye\n", res.Stdout)
		assert.NotEmpty(t, res.Ended)
		_, err := s.Exec(ctx, "echo", nil)
		assert.ErrorIs(t, err, execkit.ErrSessionEnded)
	})

	t.Run("CloseKillsProcesses", func(t *testing.T) {
		tr := mk(t)
		s := open(t, tr, nil)
		res := exec(t, s, "sleep 1000 >/dev/null 2>&1 & echo $!", nil)
		pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
		require.NoError(t, err, "pid from %q", res.Stdout)
		require.NoError(t, s.Close())
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", fmt.Sprintf("kill -0 %d 2>/dev/null && echo alive", pid)}})
			require.NoError(t, err)
			if !strings.Contains(string(out.Stdout), "alive") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d the session started still runs after Close", pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// token returns a sleep duration unique to one test ("100.<digits>"), so
// the processes of that command can be told from every other on the host.
func token() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("100.%d", binary.BigEndian.Uint32(b[:]))
}

// survivors waits up to d for every process whose command line holds tok
// to be gone, looking over tr (a connection of its own), and returns those
// that are still there.
func survivors(t *testing.T, tr transport.Transport, tok string, d time.Duration) []string {
	t.Helper()
	// Written so that it does not match the command line of the grep.
	pat := strings.Replace(tok, ".", "[.]", 1)
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", `for f in $(grep -l '` + pat + `' /proc/[0-9]*/cmdline 2>/dev/null); do tr '\0' ' ' <"$f" 2>/dev/null && echo; done; true`}})
		cancel()
		require.NoError(t, err, "listing processes over %s", tr.Kind())
		left := strings.TrimSpace(string(out.Stdout))
		if left == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return strings.Split(left, "\n")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
