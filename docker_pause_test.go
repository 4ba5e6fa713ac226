package execkit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport/docker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A container paused mid-command cannot be interrupted: the session ends
// saying the container is paused, not that the command ignored SIGINT, and
// the error is the transport's.
func TestContainerPausedMidCommand(t *testing.T) {
	cli := fixture.DockerClient(t)
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
	require.NoError(t, err)
	s, err := Open(ctx, tr, &Config{Grace: 200 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	t.Cleanup(func() { cli.ContainerUnpause(context.Background(), c.ID) })

	go func() {
		time.Sleep(300 * time.Millisecond)
		cli.ContainerPause(ctx, c.ID)
	}()
	res, err := s.Exec(ctx, "sleep 30", &ExecOptions{Timeout: 800 * time.Millisecond})
	require.NoError(t, err)
	assert.True(t, res.TimedOut)
	assert.True(t, strings.Contains(res.Ended, `container "`+c.Name+`" is paused`), "the result says why: %q", res.Ended)
	_, err = s.Exec(ctx, "true", nil)
	assert.ErrorIs(t, err, ErrSessionEnded)
	assert.ErrorIs(t, err, ErrTransport)
	assert.True(t, errors.Is(err, docker.ErrNotRunning), "the transport's own error: %v", err)
}
