package ssh_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screen collects a terminal's output as it comes, for tests that type in
// reply to what they read.
type screen struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
	err  error
}

func watch(r io.Reader) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				if err != io.EOF {
					s.err = err
				}
				return
			}
		}
	}()
	return s
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the screen shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	ok := eventually(15*time.Second, func() bool { return strings.Contains(s.String(), want) })
	require.True(t, ok, "the terminal never showed %q; it shows %q", want, s.String())
}

// end waits for the end of the output (EOF) and returns all of it.
func (s *screen) end(t *testing.T) string {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the terminal's output did not end; it shows %q", s.String())
	}
	require.NoError(t, s.err, "the end of a terminal's output is EOF")
	return s.String()
}

// startTTY starts `sh -c script` on a terminal of rows × cols, with env.
func startTTY(t *testing.T, tr transport.TTYStarter, script string, rows, cols int, env ...string) transport.Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := tr.StartTTY(ctx, &transport.Command{Argv: []string{"sh", "-c", script}, Env: env}, rows, cols)
	require.NoError(t, err, "starting %q on a terminal", script)
	t.Cleanup(func() { p.Kill() })
	return p
}

func TestStartTTY(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	p := startTTY(t, tr, `[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; stty size; echo "TERM=$TERM"; read x; echo "got $x" >&2; exit 3`, 30, 100)
	_, err := io.WriteString(p.Stdin(), "hi\n")
	require.NoError(t, err)
	out := watch(p.Stdout()).end(t)
	// One screen: output, stderr and the echo of what was typed (whose
	// place depends on when it was typed).
	for _, want := range []string{"tty\r\n", "30 100\r\n", "TERM=xterm-256color\r\n", "hi\r\n", "got hi\r\n"} {
		assert.Contains(t, out, want)
	}
	assert.True(t, strings.HasPrefix(strings.Replace(out, "hi\r\n", "", 1), "tty\r\n"),
		"nothing but the echo comes before the command's output (none of the transport's wrapper): %q", out)
	assert.NotContains(t, out, "EKPID")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 3, code)
	n, err := p.Stderr().Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err, "a terminal has no second stream")
}

// The process leads a session whose controlling terminal is the new one,
// and it is the process the transport reports (and Kill starts from).
func TestStartTTYSessionLeader(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	p := startTTY(t, tr, `read -r l </proc/$$/stat; l=${l##*) }; set -- $l; echo "me=$$ pgrp=$3 sid=$4 tty=$5"`, 0, 0)
	out := watch(p.Stdout()).end(t)
	pid := p.(interface{ PID() int }).PID()
	require.Greater(t, pid, 1)
	me := strconv.Itoa(pid)
	assert.Contains(t, out, "me="+me+" pgrp="+me+" sid="+me+" tty=")
	assert.NotContains(t, out, "tty=0\r", "the terminal is the controlling terminal")
}

// Ctrl-D at the start of a line is end of file, Ctrl-C interrupts the
// foreground processes, through the remote terminal's line discipline.
func TestStartTTYControlKeys(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	p := startTTY(t, tr, `stty size; cat; echo "cat ended"; sleep 100; echo "not interrupted"`, 0, 0)
	s := watch(p.Stdout())
	s.waitFor(t, "24 80\r\n")
	io.WriteString(p.Stdin(), "abc\n")
	s.waitFor(t, "abc\r\nabc\r\n") // the echo, then cat's copy
	io.WriteString(p.Stdin(), "\x04")
	s.waitFor(t, "cat ended\r\n")
	io.WriteString(p.Stdin(), "\x03")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 130, code, "Ctrl-C killed the shell with SIGINT")
	assert.NotContains(t, s.end(t), "not interrupted")
}

// Closing Stdin stops writes; it neither hangs the terminal up nor sends
// end of file to the program.
func TestStartTTYCloseStdinKeepsTerminal(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	p := startTTY(t, tr, `trap 'echo HUP; exit 7' HUP; read x; echo "got $x"; sleep 1; echo alive`, 0, 0)
	_, err := io.WriteString(p.Stdin(), "a\n")
	require.NoError(t, err)
	require.NoError(t, p.Stdin().Close())
	_, err = io.WriteString(p.Stdin(), "b\n")
	assert.Error(t, err, "a write after Close fails")
	out := watch(p.Stdout()).end(t)
	assert.Contains(t, out, "got a\r\nalive\r\n")
	assert.NotContains(t, out, "HUP")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}

// Kill ends the process and everything it started on the host, one that
// left the session too, and a pending read of the terminal returns.
func TestStartTTYKillEndsTree(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	other := e.dial(t, e.cfg(), e.op)
	tok := token()
	// The token travels in the environment, so only the two sleeps hold
	// it in their command line.
	p := startTTY(t, tr, `setsid sleep "$T" & sleep "$T"`, 0, 0, "T="+tok)
	s := watch(p.Stdout())
	require.True(t, eventually(10*time.Second, func() bool { return len(alive(t, other, tok)) == 2 }), "the tree started")
	require.NoError(t, p.Kill())
	select {
	case <-s.done:
		assert.NoError(t, s.err)
	case <-time.After(10 * time.Second):
		t.Fatal("Kill must end a pending read of the terminal")
	}
	code, _ := p.Wait()
	assert.Equal(t, 137, code)
	assert.True(t, eventually(10*time.Second, func() bool { return len(alive(t, other, tok)) == 0 }),
		"processes left on the host after Kill: %v", alive(t, other, tok))
	require.NoError(t, p.Kill(), "Kill is idempotent")
}

// Closing the transport kills its terminal processes' trees too.
func TestStartTTYCloseKillsTree(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	other := e.dial(t, e.cfg(), e.op)
	tok := token()
	// The token travels in the environment, so only the two sleeps hold
	// it in their command line.
	p := startTTY(t, tr, `setsid sleep "$T" & sleep "$T"`, 0, 0, "T="+tok)
	s := watch(p.Stdout())
	require.True(t, eventually(10*time.Second, func() bool { return len(alive(t, other, tok)) == 2 }), "the tree started")
	require.NoError(t, tr.Close())
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close must end a pending read of the terminal")
	}
	assert.True(t, eventually(10*time.Second, func() bool { return len(alive(t, other, tok)) == 0 }),
		"processes left on the host after Close: %v", alive(t, other, tok))
	_, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"true"}}, 0, 0)
	assert.ErrorIs(t, err, transport.ErrClosed)
}

func TestStartTTYSizes(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	for _, tc := range []struct{ rows, cols int }{
		{-1, 80}, {24, -1}, {10001, 80}, {24, 10001}, {math.MaxInt, 0}, {0, math.MinInt}, {1 << 32, 1 << 32},
	} {
		_, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"true"}}, tc.rows, tc.cols)
		assert.ErrorContains(t, err, "out of range", "%d×%d", tc.rows, tc.cols)
		assert.ErrorContains(t, err, "ssh: terminal size")
	}
	// The bounds themselves are sizes like any other.
	for _, tc := range []struct {
		rows, cols int
		want       string
	}{{1, 1, "1 1"}, {10000, 10000, "10000 10000"}, {0, 0, "24 80"}, {0, 132, "24 132"}} {
		p := startTTY(t, tr, "stty size", tc.rows, tc.cols)
		assert.Equal(t, tc.want+"\r\n", watch(p.Stdout()).end(t), "%d×%d", tc.rows, tc.cols)
	}
}

// A server that refuses terminals says so, and nothing is left running.
func TestStartTTYRefused(t *testing.T) {
	e := newEnv(t, &fixture.SSHDOptions{Config: []string{"PermitTTY no"}})
	tr := e.dial(t, e.cfg(), e.op)
	_, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"true"}}, 0, 0)
	assert.ErrorContains(t, err, "refused to allocate a terminal")
	out := run(t, tr, "echo still fine")
	assert.Equal(t, "still fine\n", string(out.Stdout), "the connection is unharmed")
}
