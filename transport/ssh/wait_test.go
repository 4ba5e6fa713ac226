package ssh_test

import (
	"io"
	"testing"
	"time"

	"github.com/execkit/execkit/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitDoesNotWaitForStreams(t *testing.T) {
	// A background job keeps the streams open after the shell exits: Wait
	// reports the exit at once, as the transport contract says.
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	p, err := tr.Start(t.Context(), &transport.Command{Argv: []string{"sh", "-c", "sleep 30 & exit 3"}})
	require.NoError(t, err)
	go io.Copy(io.Discard, p.Stdout())
	go io.Copy(io.Discard, p.Stderr())
	done := make(chan struct{})
	var code int
	go func() { code, err = p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait waited for the background job's streams")
	}
	require.NoError(t, err)
	assert.Equal(t, 3, code)
	require.NoError(t, p.Kill())
}
