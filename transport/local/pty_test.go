package local

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/execkit/execkit/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartTTY(t *testing.T) {
	tr := New()
	defer tr.Close()
	p, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"sh", "-c", `[ -t 0 ] && [ -t 1 ] && echo tty; stty size; read x; echo "got $x" >&2; exit 3`}}, 30, 100)
	require.NoError(t, err)
	io.WriteString(p.Stdin(), "hi\n")
	out, err := io.ReadAll(p.Stdout())
	require.NoError(t, err, "the end of a terminal's output is EOF, not EIO")
	// One screen: output, stderr and the echo of what was typed (whose
	// place depends on when it was typed).
	for _, want := range []string{"tty\r\n", "30 100\r\n", "hi\r\n", "got hi\r\n"} {
		assert.Contains(t, string(out), want)
	}
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 3, code)
	n, err := p.Stderr().Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)
	p.Kill()
}

func TestStartTTYKillUnblocksRead(t *testing.T) {
	tr := New()
	defer tr.Close()
	p, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"sh", "-c", "setsid sleep 300 & sleep 300"}}, 0, 0)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(p.Stdout()); done <- err }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, p.Kill())
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Kill must interrupt a pending read of the terminal")
	}
	code, _ := p.Wait()
	assert.Equal(t, 137, code)
}

func TestStartTTYRefusesBadSize(t *testing.T) {
	tr := New()
	defer tr.Close()
	_, err := tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"true"}}, -1, 80)
	assert.Error(t, err)
	tr.Close()
	_, err = tr.StartTTY(context.Background(), &transport.Command{Argv: []string{"true"}}, 0, 0)
	assert.ErrorIs(t, err, transport.ErrClosed)
}
