package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// execDuring runs a long command in a session and calls fail while it
// runs; the session must end with a clear error within seconds.
func execDuring(t *testing.T, s *execkit.Session, fail func()) *execkit.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		time.Sleep(500 * time.Millisecond)
		fail()
	}()
	start := time.Now()
	res, err := s.Exec(ctx, "echo before; sleep 60; echo after", nil)
	require.NoError(t, err, "the command's partial result comes back")
	assert.Less(t, time.Since(start), 15*time.Second, "a lost connection must end the command within seconds")
	assert.Equal(t, "before\n", res.Stdout)
	assert.Contains(t, res.Ended, "connection", "the result says the connection was lost: %q", res.Ended)
	assert.Contains(t, res.Ended, "lost")
	_, err = s.Exec(ctx, "echo", nil)
	assert.ErrorIs(t, err, execkit.ErrSessionEnded)
	assert.Contains(t, fmt.Sprint(err), "was lost")
	return res
}

func TestDropCut(t *testing.T) {
	e := newEnv(t, nil)
	px := fixture.NewProxy(t, e.sshd.Addr())
	cfg := e.cfg()
	cfg.Port = px.Port
	tr := e.dial(t, cfg, e.op)
	s := open(t, tr, nil)
	execDuring(t, s, px.Cut)
	assert.ErrorIs(t, tr.Err(), ssh.ErrConnectionLost)
	_, err := tr.Run(t.Context(), &transport.Command{Argv: []string{"true"}})
	assert.ErrorIs(t, err, ssh.ErrConnectionLost, "a lost transport says so")
}

func TestDropSilent(t *testing.T) {
	// A pulled cable: no RST, no FIN, nothing. Only keepalives can tell.
	e := newEnv(t, nil)
	px := fixture.NewProxy(t, e.sshd.Addr())
	cfg := e.cfg()
	cfg.Port = px.Port
	op := e.operator()
	op.KeepaliveInterval = 200 * time.Millisecond
	op.KeepaliveCountMax = 3
	tr := e.dial(t, cfg, op)
	s := open(t, tr, nil)
	res := execDuring(t, s, px.Freeze)
	assert.Contains(t, res.Ended, "keepalive")
	assert.ErrorIs(t, tr.Err(), ssh.ErrConnectionLost)
}

func TestDropSSHDKilled(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	s := open(t, tr, nil)
	execDuring(t, s, func() { e.sshd.KillConnections() })
}

func TestDropIdle(t *testing.T) {
	// No command running: the next call learns the session is gone.
	e := newEnv(t, nil)
	px := fixture.NewProxy(t, e.sshd.Addr())
	cfg := e.cfg()
	cfg.Port = px.Port
	tr := e.dial(t, cfg, e.op)
	s := open(t, tr, nil)
	px.Cut()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not notice its connection was cut")
	}
	// The core reports this one of two ways, both naming the cause: a
	// Result with Ended (it noticed while sending the command) or
	// ErrSessionEnded.
	res, err := s.Exec(t.Context(), "echo", nil)
	if err == nil {
		t.Logf("idle drop reported as a result: %+v", res)
		assert.Contains(t, res.Ended, "connection")
		_, err = s.Exec(t.Context(), "echo", nil)
	}
	require.ErrorIs(t, err, execkit.ErrSessionEnded)
	assert.Contains(t, err.Error(), "connection")
}

func TestDialTimeout(t *testing.T) {
	// A server that accepts and never speaks.
	e := newEnv(t, nil)
	px := fixture.NewProxy(t, e.sshd.Addr())
	px.Freeze()
	op := e.operator()
	op.DialTimeout = 500 * time.Millisecond
	cfg := e.cfg()
	cfg.Port = px.Port
	start := time.Now()
	_, err := tryDial(cfg, op)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "timed out")

	// The caller's context is honoured too, and its cancellation named.
	op.DialTimeout = -1
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	_, err = ssh.Dial(ctx, cfg, op)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Empty(t, readFile(t, op.KnownHostsPath))
}

// pids waits for n pids in file, written by the command under test.
func pids(t *testing.T, file string, n int) []string {
	t.Helper()
	var got []string
	ok := eventually(10*time.Second, func() bool {
		b, _ := os.ReadFile(file)
		got = strings.Fields(string(b))
		return len(got) >= n
	})
	require.True(t, ok, "the command wrote %d pids, not %d", len(got), n)
	return got
}

// tree is a command leaving processes in every way a command can: a
// background child, one orphaned to init (but in the session), one in a
// session of its own (setsid, still a descendant), a grandchild; each a
// "sleep <tok>".
func tree(tok, file string) string {
	return fmt.Sprintf(`sleep %[1]s & echo $! >>%[2]s
(sleep %[1]s & echo $! >>%[2]s)
setsid sleep %[1]s & echo $! >>%[2]s
sh -c 'sleep %[1]s & echo $! >>%[2]s; wait' &
sleep %[1]s`, tok, file)
}

func TestKillLeavesNothing(t *testing.T) {
	e := newEnv(t, nil)
	checker := e.dial(t, e.cfg(), e.op)
	for _, how := range []string{"Kill", "Close transport", "Close session", "cancel Run"} {
		t.Run(how, func(t *testing.T) {
			tr := e.dial(t, e.cfg(), e.op)
			tok := token()
			file := filepath.Join(t.TempDir(), "pids")
			script := tree(tok, file)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ran := make(chan error, 1)
			switch how {
			case "Kill", "Close transport":
				p, err := tr.Start(ctx, &transport.Command{Argv: []string{"sh", "-c", script}})
				require.NoError(t, err)
				go func() { b := make([]byte, 1); p.Stdout().Read(b) }()
				pids(t, file, 4)
				if how == "Kill" {
					require.NoError(t, p.Kill())
				} else {
					require.NoError(t, tr.Close())
				}
				code, err := p.Wait()
				assert.NoError(t, err)
				assert.Equal(t, 137, code)
			case "Close session":
				s := open(t, tr, nil)
				go s.Exec(ctx, script, nil)
				pids(t, file, 4)
				require.NoError(t, s.Close())
			case "cancel Run":
				go func() {
					_, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", script}})
					ran <- err
				}()
				pids(t, file, 4)
				cancel()
				select {
				case err := <-ran:
					assert.ErrorIs(t, err, context.Canceled)
				case <-time.After(10 * time.Second):
					t.Fatal("a cancelled Run did not return")
				}
			}
			ok := eventually(5*time.Second, func() bool { return len(alive(t, checker, tok)) == 0 })
			assert.True(t, ok, "processes left running on the host: %v", alive(t, checker, tok))
		})
	}
}

func TestKillForkLoop(t *testing.T) {
	e := newEnv(t, nil)
	checker := e.dial(t, e.cfg(), e.op)
	tr := e.dial(t, e.cfg(), e.op)
	tok := token()
	p, err := tr.Start(t.Context(), &transport.Command{Argv: []string{"sh", "-c", fmt.Sprintf(`while :; do sleep %s & sleep 0.02; done`, tok)}})
	require.NoError(t, err)
	require.True(t, eventually(10*time.Second, func() bool { return len(alive(t, checker, tok)) > 5 }))
	require.NoError(t, p.Kill())
	ok := eventually(5*time.Second, func() bool { return len(alive(t, checker, tok)) == 0 })
	assert.True(t, ok, "a forking loop outran Kill: %v", alive(t, checker, tok))
}

func TestKillAfterExitSparesOthers(t *testing.T) {
	// Kill of a process that already exited must not touch anyone else's
	// processes, even with its pid reused.
	e := newEnv(t, nil)
	checker := e.dial(t, e.cfg(), e.op)
	tr := e.dial(t, e.cfg(), e.op)
	tok := token()
	other, err := tr.Start(t.Context(), &transport.Command{Argv: []string{"sleep", tok}})
	require.NoError(t, err)
	defer other.Kill()
	p, err := tr.Start(t.Context(), &transport.Command{Argv: []string{"true"}})
	require.NoError(t, err)
	code, err := p.Wait()
	require.NoError(t, err)
	require.Equal(t, 0, code)
	require.NoError(t, p.Kill())
	assert.Len(t, alive(t, checker, tok), 1, "Kill of one process killed another")
}

func TestRunStdinAndExit(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB each way
	out, err := tr.Run(t.Context(), &transport.Command{
		Argv:  []string{"sh", "-c", "cat; cat >&2 </dev/null; printf %s \"$EK_X\" >&2; kill -TERM $$"},
		Env:   []string{"EK_X=a b'c"},
		Dir:   "/tmp",
		Stdin: strings.NewReader(big),
	})
	require.NoError(t, err)
	assert.Equal(t, len(big), len(out.Stdout))
	assert.Equal(t, "a b'c", string(out.Stderr))
	assert.Equal(t, 128+15, out.ExitCode, "death by signal N is 128+N")

	out, err = tr.Run(t.Context(), &transport.Command{Argv: []string{"pwd"}, Dir: "/tmp"})
	require.NoError(t, err)
	assert.Equal(t, "/tmp\n", string(out.Stdout))

	out, err = tr.Run(t.Context(), &transport.Command{Argv: []string{"no-such-program-ek"}})
	require.NoError(t, err)
	assert.Equal(t, 127, out.ExitCode)

	_, err = tr.Run(t.Context(), &transport.Command{Argv: []string{"true"}, Env: []string{"BAD NAME=x"}})
	assert.Error(t, err)
	_, err = tr.Run(t.Context(), &transport.Command{})
	assert.Error(t, err)
}

func TestClosed(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close(), "Close is idempotent")
	_, err := tr.Run(t.Context(), &transport.Command{Argv: []string{"true"}})
	assert.True(t, errors.Is(err, transport.ErrClosed), "%v", err)
	_, err = tr.Start(t.Context(), &transport.Command{Argv: []string{"true"}})
	assert.ErrorIs(t, err, transport.ErrClosed)
	assert.ErrorIs(t, tr.Err(), transport.ErrClosed)
}
