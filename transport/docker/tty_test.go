package docker_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
)

func startTTY(t *testing.T, tr *docker.Transport, script string, rows, cols int) transport.Process {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	p, err := tr.StartTTY(ctx, &transport.Command{Argv: []string{"sh", "-c", script}}, rows, cols)
	require.NoError(t, err, "starting %q on a terminal", script)
	t.Cleanup(func() { p.Kill() })
	return p
}

// readAll reads the terminal to its end, failing after limit.
func readAll(t *testing.T, p transport.Process, limit time.Duration) string {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() { b, err := io.ReadAll(p.Stdout()); ch <- res{b, err} }()
	select {
	case r := <-ch:
		require.NoError(t, r.err, "the end of a terminal's output is EOF")
		return string(r.b)
	case <-time.After(limit):
		p.Kill()
		r := <-ch
		t.Fatalf("the terminal's output did not end within %v: %q", limit, r.b)
		return ""
	}
}

func TestStartTTY(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, flavor)
			tr := dial(t, c, nil, nil)
			p := startTTY(t, tr, `[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; stty size; read x; echo "got $x" >&2; exit 3`, 30, 100)
			_, err := io.WriteString(p.Stdin(), "hi\n")
			require.NoError(t, err)
			out := readAll(t, p, 20*time.Second)
			// One screen: output, stderr and the echo of what was typed
			// (whose place depends on when it was typed), and nothing
			// else: no trace of how the exec was started or sized.
			rest := out
			for _, want := range []string{"tty\r\n", "30 100\r\n", "hi\r\n", "got hi\r\n"} {
				assert.Contains(t, rest, want, "the terminal shows %q", want)
				rest = strings.Replace(rest, want, "", 1)
			}
			assert.Empty(t, rest, "the terminal shows only what the program wrote and the echo: %q", out)
			code, err := p.Wait()
			require.NoError(t, err)
			assert.Equal(t, 3, code)
			n, err := p.Stderr().Read(make([]byte, 1))
			assert.Equal(t, 0, n)
			assert.Equal(t, io.EOF, err, "a terminal has no second stream")
		})
	}
}

func TestStartTTYDefaultSize(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, "stty size", 0, 0)
	assert.Equal(t, "24 80\r\n", readAll(t, p, 20*time.Second))
}

// TestStartTTYCtrlC: \x03 typed on the terminal interrupts the foreground
// program, as the terminal's own SIGINT, not a signal sent by name.
func TestStartTTYCtrlC(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, `trap 'echo trapped' INT; echo ready; sleep 1001; echo "after $?"; exit 4`, 0, 0)
	buf := make([]byte, 7)
	_, err := io.ReadFull(p.Stdout(), buf)
	require.NoError(t, err)
	require.Equal(t, "ready\r\n", string(buf))
	for deadline := time.Now().Add(10 * time.Second); len(strays(t, tr)) == 0; {
		require.True(t, time.Now().Before(deadline), "sleep never started")
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	_, err = io.WriteString(p.Stdin(), "\x03")
	require.NoError(t, err)
	out := readAll(t, p, 20*time.Second)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, out, "trapped\r\n", "the shell got SIGINT from the terminal")
	assert.Contains(t, out, "after 130\r\n", "sleep died of SIGINT")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 4, code)
	assert.Empty(t, strays(t, tr))
}

// TestStartTTYInputEnd: closing Stdin leaves the terminal up (the output
// goes on); Ctrl-D is how a program's input ends.
func TestStartTTYInputEnd(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, `cat; echo "cat ended"; sleep 0.5; echo "still here"`, 0, 0)
	_, err := io.WriteString(p.Stdin(), "ab\n")
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	_, err = io.WriteString(p.Stdin(), "\x04")
	require.NoError(t, err)
	require.NoError(t, p.Stdin().Close())
	_, err = io.WriteString(p.Stdin(), "late\n")
	assert.Error(t, err, "a write after Close fails")
	out := readAll(t, p, 20*time.Second)
	assert.Equal(t, "ab\r\nab\r\ncat ended\r\nstill here\r\n", out, "echo, cat's copy, and the output after stdin was closed")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}

// TestStartTTYDetachKeysTyped: the daemon's default detach keys (Ctrl-P
// Ctrl-Q) are ordinary keys on an execkit terminal.
func TestStartTTYDetachKeysTyped(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, `read -r x; echo "got ${#x}"; exit 5`, 0, 0)
	for _, k := range []string{"\x10", "\x11", "z\n"} {
		_, err := io.WriteString(p.Stdin(), k)
		require.NoError(t, err)
		time.Sleep(150 * time.Millisecond) // each key in a read of its own, as typed
	}
	out := readAll(t, p, 20*time.Second)
	// Ctrl-Q is the terminal's START (flow control) character, which the
	// line discipline takes; Ctrl-P reaches the program.
	assert.Equal(t, "^Pz\r\ngot 2\r\n", out, "the keys reached the program and it answered")
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 5, code, "the exec was not detached")
}

func TestStartTTYKill(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, "setsid sleep 1001 & sleep 1002 & echo ready; wait", 0, 0)
	buf := make([]byte, 7)
	_, err := io.ReadFull(p.Stdout(), buf)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(p.Stdout()); done <- err }()
	require.NoError(t, p.Kill())
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Kill must interrupt a pending read of the terminal")
	}
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 137, code)
	assert.Empty(t, strays(t, tr), "a process of the killed terminal exec survived")
}

func TestStartTTYCloseTransport(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	p := startTTY(t, tr, "setsid sleep 1001 & sleep 1002 & echo ready; wait", 0, 0)
	buf := make([]byte, 7)
	_, err := io.ReadFull(p.Stdout(), buf)
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	assert.Empty(t, strays(t, dial(t, c, nil, nil)), "closing the transport leaves a terminal exec's process")
	ctx, cancel := bg()
	defer cancel()
	_, err = tr.StartTTY(ctx, &transport.Command{Argv: []string{"true"}}, 0, 0)
	assert.ErrorIs(t, err, transport.ErrClosed)
}

func TestStartTTYBadSize(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	ctx := context.Background()
	for _, size := range [][2]int{{-1, 80}, {24, -1}, {10001, 80}, {24, 1 << 20}} {
		_, err := tr.StartTTY(ctx, &transport.Command{Argv: []string{"true"}}, size[0], size[1])
		if assert.Error(t, err, "%d×%d", size[0], size[1]) {
			assert.Contains(t, err.Error(), "out of range")
		}
	}
}
