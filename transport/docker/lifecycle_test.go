package docker_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/versions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
)

// TestShellExitKillsItsJobs: a session whose shell exits (`exit`) ends, and
// the background jobs the shell started die with it inside the container,
// even one that still holds the exec's output open.
func TestShellExitKillsItsJobs(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, flavor)
			check := dial(t, c, nil, nil)
			s := open(t, dial(t, c, nil, nil), nil)
			run(t, s, "sleep 1001 &")
			run(t, s, "sleep 1002 >/dev/null 2>&1 &")
			require.Len(t, strays(t, check), 2, "both jobs run")
			ctx, cancel := bg()
			defer cancel()
			start := time.Now()
			res, err := s.Exec(ctx, "exit 4", nil)
			if err == nil {
				assert.NotEmpty(t, res.Ended, "the shell exited, so the session ended")
				assert.Equal(t, 4, res.ExitCode)
			} else {
				assert.ErrorIs(t, err, execkit.ErrSessionEnded)
			}
			assert.Less(t, time.Since(start), 10*time.Second, "a job holding the output open must not keep the session waiting")
			var left []string
			assert.Eventually(t, func() bool { left = strays(t, check); return len(left) == 0 }, 10*time.Second, 100*time.Millisecond,
				"the shell's jobs are left running in the container after it exited: %v", left)
		})
	}
}

// endsWhileIdle ends the container under an idle session: the next call
// must fail at once with an error that says what happened.
func endsWhileIdle(t *testing.T, do func(c *fixture.Container), want string) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	s := open(t, dial(t, c, nil, nil), nil)
	run(t, s, "cd /tmp")
	do(c)
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		res, err := s.Exec(ctx, "echo still here", nil)
		cancel()
		took := time.Since(start)
		assert.Less(t, took, 10*time.Second, "the call must fail within seconds")
		if err != nil {
			assert.ErrorIs(t, err, execkit.ErrSessionEnded)
			assert.Contains(t, err.Error(), want)
			assert.Less(t, len(err.Error()), 300, "one readable sentence: %q", err)
		} else {
			assert.NotEqual(t, "still here\n", res.Stdout, "a command ran in a container that is gone")
			assert.Contains(t, res.Ended, want, "the result says why the session ended")
		}
		t.Logf("call %d: %v, %v in %v", i+1, err, res, took)
	}
}

func TestContainerStoppedWhileIdle(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWhileIdle(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerStop(ctx, c.ID, container.StopOptions{}))
	}, "stopped")
}

func TestContainerRemovedWhileIdle(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWhileIdle(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}))
	}, "removed")
}

// TestPausedContainer: a paused container takes no session, and says why.
func TestPausedContainer(t *testing.T) {
	cli := fixture.DockerClient(t)
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	before := dial(t, c, nil, nil)
	ctx, cancel := bg()
	defer cancel()
	require.NoError(t, cli.ContainerPause(ctx, c.ID))
	t.Cleanup(func() { cli.ContainerUnpause(context.Background(), c.ID) })
	start := time.Now()
	_, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
	require.ErrorIs(t, err, docker.ErrNotRunning)
	assert.Equal(t, `docker: container "`+c.Name+`" is paused`, err.Error())
	assert.Less(t, time.Since(start), 5*time.Second)

	// A transport dialed before the pause: a new process is refused at
	// once, saying so, rather than hanging in a frozen container.
	start = time.Now()
	_, err = before.Start(ctx, &transport.Command{Argv: []string{"sh"}})
	require.ErrorIs(t, err, docker.ErrNotRunning)
	assert.Contains(t, err.Error(), "is paused")
	_, err = before.Run(ctx, &transport.Command{Argv: []string{"true"}})
	require.ErrorIs(t, err, docker.ErrNotRunning)
	assert.Contains(t, err.Error(), "paused")
	assert.Less(t, time.Since(start), 5*time.Second)

	// Unpaused, it takes one again.
	require.NoError(t, cli.ContainerUnpause(ctx, c.ID))
	s := open(t, dial(t, c, nil, nil), nil)
	assert.Equal(t, "ok\n", run(t, s, "echo ok").Stdout)
}

// TestSSHDockerHostRefused: an ssh:// daemon address needs the docker CLI's
// connection helper, which execkit never runs: refused before any
// connection, from DOCKER_HOST or the operator's setting alike.
func TestSSHDockerHostRefused(t *testing.T) {
	host, port, dials := fixture.CountingListener(t)
	addr := "ssh://someone@" + net.JoinHostPort(host, strconv.Itoa(port))
	check := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "docker: the daemon address "+addr+" needs the docker CLI's ssh connection helper, which execkit does not run")
		assert.NotErrorIs(t, err, docker.ErrUnreachable)
	}
	ctx, cancel := bg()
	defer cancel()
	t.Run("DOCKER_HOST", func(t *testing.T) {
		t.Setenv("DOCKER_HOST", addr)
		_, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, nil)
		check(t, err)
		_, err = docker.Ping(ctx, nil)
		check(t, err)
	})
	t.Run("operator", func(t *testing.T) {
		_, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, &docker.Operator{Host: addr})
		check(t, err)
		_, err = docker.Ping(ctx, &docker.Operator{Host: addr})
		check(t, err)
	})
	assert.Zero(t, dials(), "nothing dialed the address")
}

// TestPingNegotiatesVersion: the API version the client settles on is the
// daemon's own (asked here over plain HTTP, without the client), unless the
// daemon is newer than the client can speak.
func TestPingNegotiatesVersion(t *testing.T) {
	cli := fixture.DockerClient(t)
	u, err := url.Parse(cli.DaemonHost())
	require.NoError(t, err)
	hc := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + u.Host
	if u.Scheme == "unix" {
		hc.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", u.Path)
		}}
		base = "http://docker"
	}
	resp, err := hc.Get(base + "/version")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var daemon struct{ Version, ApiVersion string }
	require.NoError(t, json.Unmarshal(b, &daemon), "GET /version: %s", b)
	require.NotEmpty(t, daemon.ApiVersion)

	want := daemon.ApiVersion
	if versions.LessThan(api.DefaultVersion, want) {
		want = api.DefaultVersion
	}
	ctx, cancel := bg()
	defer cancel()
	e, err := docker.Ping(ctx, &docker.Operator{Host: cli.DaemonHost()})
	require.NoError(t, err)
	assert.Equal(t, want, e.APIVersion, "negotiated with a daemon of API %s (client up to %s)", daemon.ApiVersion, api.DefaultVersion)
	assert.Equal(t, daemon.Version, e.Version)
	assert.Equal(t, cli.DaemonHost(), e.Host)

	// A transport speaks that version too: an exec works end to end.
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, &docker.Operator{Host: cli.DaemonHost()})
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"echo", "ok"}})
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(out.Stdout))
}

// TestInputAfterContainerStops: writing to a process whose container was
// stopped fails with the reason (what Wait says), not only with a closed
// connection, whichever of the two the transport learns first.
func TestInputAfterContainerStops(t *testing.T) {
	cli := fixture.DockerClient(t)
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	ctx, cancel := bg()
	defer cancel()
	p, err := tr.Start(ctx, &transport.Command{Argv: []string{"sh"}})
	require.NoError(t, err)
	go io.Copy(io.Discard, p.Stdout())
	go io.Copy(io.Discard, p.Stderr())
	_, err = io.WriteString(p.Stdin(), "echo hi\n")
	require.NoError(t, err)
	require.NoError(t, cli.ContainerStop(ctx, c.ID, container.StopOptions{}))
	deadline := time.Now().Add(15 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = io.WriteString(p.Stdin(), ":\n")
		time.Sleep(10 * time.Millisecond)
	}
	require.Error(t, err, "writes to a stopped container's process must fail")
	assert.ErrorIs(t, err, docker.ErrNotRunning)
	assert.Contains(t, err.Error(), "stopped")
	_, werr := p.Wait()
	assert.Equal(t, werr, err, "the same error Wait returns")
}
