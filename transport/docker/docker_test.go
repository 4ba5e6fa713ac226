package docker_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/transporttest"
)

var flavors = []string{fixture.DockerBusybox, fixture.DockerBash}

func bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// dial connects to c; cfg and op may be nil.
func dial(t testing.TB, c *fixture.Container, cfg *docker.Config, op *docker.Operator) *docker.Transport {
	t.Helper()
	var cc docker.Config
	if cfg != nil {
		cc = *cfg
	}
	cc.Container = c.Name
	ctx, cancel := bg()
	defer cancel()
	tr, err := docker.Dial(ctx, &cc, op)
	require.NoError(t, err, "dialing container %s", c.Name)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func open(t testing.TB, tr transport.Transport, cfg *execkit.Config) *execkit.Session {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	s, err := execkit.Open(ctx, tr, cfg)
	require.NoError(t, err, "opening a session over docker")
	t.Cleanup(func() { s.Close() })
	return s
}

func run(t testing.TB, s *execkit.Session, cmd string) *execkit.Result {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	res, err := s.Exec(ctx, cmd, nil)
	require.NoError(t, err, "exec %q", cmd)
	return res
}

func TestConformance(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, flavor)
			transporttest.Run(t, func(t *testing.T) transport.Transport {
				return dial(t, c, nil, nil)
			})
		})
	}
}

func TestShellPerImage(t *testing.T) {
	for _, tc := range []struct {
		flavor, shell string
	}{{fixture.DockerBusybox, ""}, {fixture.DockerBash, "bash"}} {
		t.Run(tc.flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, tc.flavor)
			s := open(t, dial(t, c, nil, nil), nil)
			assert.Equal(t, tc.shell+"\n", run(t, s, `echo "${BASH_VERSION:+bash}"`).Stdout, "the session runs bash where the image has it, else sh")
			git := run(t, s, "git --version >/dev/null 2>&1 && echo git").Stdout
			assert.Equal(t, tc.shell == "bash", git == "git\n", "git is in the bash image only")
			assert.Regexp(t, `^\d+_docker_`+regexp.QuoteMeta(c.Name)+`$`, s.ID(), "the session id names the container")
		})
	}
}

// TestSplitStreamsUnderLoad interleaves a lot of output on both streams: the
// demultiplexed streams must keep every byte, each in its own stream.
func TestSplitStreamsUnderLoad(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	s := open(t, dial(t, c, nil, nil), nil)
	res := run(t, s, `i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done`)
	require.Equal(t, 0, res.ExitCode)
	assert.Equal(t, 3000, strings.Count(res.Stdout, "out "), "stdout lines")
	assert.Equal(t, 3000, strings.Count(res.Stderr, "err "), "stderr lines")
	assert.NotContains(t, res.Stdout, "err ", "stderr leaked into stdout")
	assert.NotContains(t, res.Stderr, "out ", "stdout leaked into stderr")
	assert.True(t, strings.HasSuffix(res.Stdout, "out 2999\n"))
}

func TestStateAndTimeout(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBash)
	s := open(t, dial(t, c, nil, nil), &execkit.Config{Grace: 300 * time.Millisecond})
	run(t, s, "cd /tmp && export EK=kept && f() { echo fn; }")
	ctx, cancel := bg()
	defer cancel()
	res, err := s.Exec(ctx, "echo before; sleep 50; echo after", &execkit.ExecOptions{Timeout: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.True(t, res.TimedOut)
	assert.Equal(t, "before\n", res.Stdout)
	res = run(t, s, `echo "$EK $(pwd)"; f`)
	assert.Equal(t, "kept /tmp\nfn\n", res.Stdout, "a timeout keeps the shell's state")
	// The interrupted sleep is gone from the container.
	assert.Empty(t, strays(t, dial(t, c, nil, nil)), "the timed-out command's sleep still runs")
}

// strays lists the sleep processes in the container ("pid sleep N") besides
// the idle one its init runs (sleep 2147483647), told apart by their
// arguments, not their parent: a child that outlived its exec's kill is
// re-parented to the container's init and must still count.
func strays(t *testing.T, tr transport.Transport) []string {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", `for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = $$ ] && continue; c=$(tr '\0' ' ' 2>/dev/null <$d/cmdline) && [ -n "$c" ] && echo "$p $c"; done; true`}})
	require.NoError(t, err)
	var left []string
	for _, l := range strings.Split(string(out.Stdout), "\n") {
		if f := strings.Fields(l); len(f) > 2 && path.Base(f[1]) == "sleep" && f[2] != "2147483647" {
			left = append(left, l)
		}
	}
	return left
}

// TestStraysSeesOrphans checks the checker: a sleep re-parented to the
// container's init (its parent exited) is a stray, the init's own is not.
func TestStraysSeesOrphans(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	assert.Empty(t, strays(t, tr), "a fresh container runs only its init's sleep")
	ctx, cancel := bg()
	defer cancel()
	_, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", "(setsid sleep 1007 >/dev/null 2>&1 &)"}})
	require.NoError(t, err)
	var left []string
	require.Eventually(t, func() bool { left = strays(t, tr); return len(left) == 1 }, 10*time.Second, 50*time.Millisecond)
	f := strings.Fields(left[0])
	require.Len(t, f, 3)
	assert.Equal(t, "1007", f[2])
	st, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", "read -r l </proc/" + f[0] + "/stat; echo \"$l\""}})
	require.NoError(t, err)
	assert.Regexp(t, `^\d+ \(sleep\) \S+ 1 `, string(st.Stdout), "the stray was re-parented to the container's init")
	_, err = tr.Run(ctx, &transport.Command{Argv: []string{"kill", "-9", f[0]}})
	require.NoError(t, err)
}

func TestBadContainerNames(t *testing.T) {
	// No daemon at all: a name that reached the API would fail with
	// ErrUnreachable instead of a ConfigError.
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/none.sock")
	for name, ref := range map[string]string{
		"dotdot":     "../x",
		"space":      "a b",
		"option":     "--privileged",
		"empty":      "",
		"slash-only": "/",
		"long":       strings.Repeat("a", 300),
		"unicode":    "cöntainer",
		"cyrillic":   "контейнер",
		"one-char":   "a",
		"path":       "a/b",
		"query":      "a?all=1",
		"nul":        "a\x00b",
		"newline":    "a\nb",
		"dot":        ".hidden",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := docker.Dial(context.Background(), &docker.Config{Container: ref}, nil)
			var ce *docker.ConfigError
			require.ErrorAs(t, err, &ce, "Dial(%q) must refuse the name before any API call, got %v", ref, err)
			assert.Equal(t, "container", ce.Field)
			assert.NotErrorIs(t, err, docker.ErrUnreachable)
			assert.Less(t, len(err.Error()), 250, "the error stays one readable sentence")
		})
	}
	for _, ok := range []string{"web-1", "/web-1", "a_b.c-d", "0123456789ab", strings.Repeat("f", 64)} {
		_, err := docker.ValidContainer(ok)
		assert.NoError(t, err, "%q is a valid container reference", ok)
	}
}

func TestBadUserAndWorkDir(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/none.sock")
	lax := &docker.Operator{AllowUsers: []string{"*"}, AllowWorkDir: true}
	for name, tc := range map[string]struct {
		cfg   docker.Config
		op    *docker.Operator
		field string
	}{
		"user not allowed":    {docker.Config{User: "root"}, nil, "user"},
		"user option":         {docker.Config{User: "--privileged"}, lax, "user"},
		"user space":          {docker.Config{User: "a b"}, lax, "user"},
		"workdir not allowed": {docker.Config{WorkDir: "/tmp"}, nil, "workdir"},
		"workdir relative":    {docker.Config{WorkDir: "tmp"}, lax, "workdir"},
		"workdir newline":     {docker.Config{WorkDir: "/tmp\n/x"}, lax, "workdir"},
		"operator user":       {docker.Config{}, &docker.Operator{User: "-x"}, "operator.user"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.cfg.Container = "web-1"
			_, err := docker.Dial(context.Background(), &tc.cfg, tc.op)
			var ce *docker.ConfigError
			require.ErrorAs(t, err, &ce, "got %v", err)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

func TestDaemonUnreachable(t *testing.T) {
	sock := t.TempDir() + "/none.sock"
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	ctx, cancel := bg()
	defer cancel()
	_, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, nil)
	require.ErrorIs(t, err, docker.ErrUnreachable)
	assert.Contains(t, err.Error(), sock, "the error names the daemon address that failed")
	_, err = docker.Ping(ctx, nil)
	assert.ErrorIs(t, err, docker.ErrUnreachable)
	// Operator.Host wins over DOCKER_HOST.
	_, err = docker.Ping(ctx, &docker.Operator{Host: "unix://" + sock + ".other"})
	require.ErrorIs(t, err, docker.ErrUnreachable)
	assert.Contains(t, err.Error(), sock+".other")
}

func TestPing(t *testing.T) {
	fixture.DockerClient(t)
	ctx, cancel := bg()
	defer cancel()
	e, err := docker.Ping(ctx, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, e.Version)
	assert.Regexp(t, `^1\.\d+$`, e.APIVersion)
	assert.NotEmpty(t, e.Host)
}

func TestMissingContainer(t *testing.T) {
	fixture.DockerClient(t)
	ctx, cancel := bg()
	defer cancel()
	_, err := docker.Dial(ctx, &docker.Config{Container: "execkit-test-no-such-container"}, nil)
	require.ErrorIs(t, err, docker.ErrNoContainer)
	assert.Contains(t, err.Error(), `no container "execkit-test-no-such-container"`)
}

func TestStoppedContainer(t *testing.T) {
	cli := fixture.DockerClient(t)
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	ctx, cancel := bg()
	defer cancel()
	require.NoError(t, cli.ContainerStop(ctx, c.ID, container.StopOptions{}))
	_, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
	require.ErrorIs(t, err, docker.ErrNotRunning)
	assert.Contains(t, err.Error(), "is not running (exited)")
}

func TestOperatorContainers(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	ctx, cancel := bg()
	defer cancel()
	only := &docker.Operator{Containers: []string{"some-other"}}
	_, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, only)
	require.ErrorIs(t, err, docker.ErrNotAllowed)
	_, missing := docker.Dial(ctx, &docker.Config{Container: "execkit-test-no-such"}, only)
	require.ErrorIs(t, missing, docker.ErrNotAllowed)
	assert.Equal(t, strings.Replace(err.Error(), c.Name, "execkit-test-no-such", 1), missing.Error(),
		"an unlisted container that exists and one that does not get the same answer")
	_, err = docker.Dial(ctx, &docker.Config{Container: c.ID[:12]}, only)
	require.ErrorIs(t, err, docker.ErrNotAllowed)
	assert.NotContains(t, err.Error(), c.Name, "the error must not reveal the name behind an ID")
	// Listed by name, reached by ID prefix.
	tr, err := docker.Dial(ctx, &docker.Config{Container: c.ID[:12]}, &docker.Operator{Containers: []string{c.Name}})
	require.NoError(t, err)
	assert.Equal(t, c.Name, tr.Label(), "the label is the container's name, even when reached by ID")
	tr.Close()
}

func TestUserAndWorkDir(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	op := &docker.Operator{AllowUsers: []string{"app"}, AllowWorkDir: true}
	s := open(t, dial(t, c, &docker.Config{User: "app", WorkDir: "/home/app"}, op), nil)
	res := run(t, s, "id -u; pwd")
	assert.Equal(t, "1000\n/home/app\n", res.Stdout)
	assert.Equal(t, "/home/app", res.Cwd)

	// The operator's user applies without the agent asking.
	s = open(t, dial(t, c, nil, &docker.Operator{User: "nobody"}), nil)
	assert.Equal(t, "65534\n", run(t, s, "id -u").Stdout)

	ctx, cancel := bg()
	defer cancel()
	_, err := docker.Dial(ctx, &docker.Config{Container: c.Name, User: "ghost"}, &docker.Operator{AllowUsers: []string{"*"}})
	require.Error(t, err, "a user the container lacks fails Dial, not the first command")
	assert.Contains(t, err.Error(), "ghost")
	_, err = docker.Dial(ctx, &docker.Config{Container: c.Name, WorkDir: "/no/such/dir"}, op)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/no/such/dir")
}

// endsWithin runs a long command, does something to the container while it
// runs, and checks the session ends with an error saying so, in seconds.
func endsWithin(t *testing.T, do func(c *fixture.Container), want string, kind error) {
	c := fixture.DockerContainer(t, fixture.DockerBash)
	tr := dial(t, c, nil, nil)
	s := open(t, tr, nil)
	type out struct {
		res *execkit.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		ctx, cancel := bg()
		defer cancel()
		res, err := s.Exec(ctx, "echo started; sleep 100", nil)
		ch <- out{res, err}
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	do(c)
	var o out
	select {
	case o = <-ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("the session still waits 15s after the container went away (want %q)", want)
	}
	took := time.Since(start)
	assert.Less(t, took, 10*time.Second, "the session must notice within seconds")
	if o.res != nil {
		t.Logf("noticed in %v: %q", took, o.res.Ended)
	} else {
		t.Logf("noticed in %v: %v", took, o.err)
	}
	if o.err != nil {
		assert.ErrorIs(t, o.err, execkit.ErrSessionEnded)
		assert.Contains(t, o.err.Error(), want)
	} else {
		assert.Contains(t, o.res.Ended, want, "the result says why the session ended")
	}
	ctx, cancel := bg()
	defer cancel()
	_, err := s.Exec(ctx, "echo", nil)
	require.ErrorIs(t, err, execkit.ErrSessionEnded)
	assert.Contains(t, err.Error(), want)
	if kind != nil {
		_, err = tr.Run(ctx, &transport.Command{Argv: []string{"true"}})
		assert.ErrorIs(t, err, kind, "new execs fail clearly too")
	}
}

func TestContainerStoppedMidCommand(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWithin(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerStop(ctx, c.ID, container.StopOptions{}))
	}, "stopped", docker.ErrNotRunning)
}

func TestContainerKilledMidCommand(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWithin(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerKill(ctx, c.ID, "KILL"))
	}, "stopped", docker.ErrNotRunning)
}

func TestContainerRemovedMidCommand(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWithin(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}))
	}, "removed", docker.ErrNoContainer)
}

func TestContainerRestartedMidCommand(t *testing.T) {
	cli := fixture.DockerClient(t)
	endsWithin(t, func(c *fixture.Container) {
		ctx, cancel := bg()
		defer cancel()
		require.NoError(t, cli.ContainerRestart(ctx, c.ID, container.StopOptions{}))
	}, "docker: container", nil)
}

// listProcs lists the container's processes ("pid (comm) state ppid ...")
// with sh builtins only, leaving out the listing shell itself.
func listProcs(t *testing.T, c *fixture.Container) map[string]string {
	t.Helper()
	tr := dial(t, c, nil, nil)
	ctx, cancel := bg()
	defer cancel()
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", `for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = $$ ] && continue; read -r l <"$d/stat" 2>/dev/null && echo "$l"; done`}})
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	procs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out.Stdout)), "\n") {
		if pid, _, ok := strings.Cut(l, " "); ok {
			procs[pid] = l
		}
	}
	return procs
}

func TestCloseLeavesNoProcess(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, flavor)
			before := listProcs(t, c)
			tr := dial(t, c, nil, nil)
			s := open(t, tr, nil)
			run(t, s, "sleep 1001 >/dev/null 2>&1 &")
			run(t, s, "(setsid sleep 1002 >/dev/null 2>&1 &)")
			run(t, s, "nohup sh -c 'sleep 1003' >/dev/null 2>&1 &")
			// Drops the marker but stays in the shell's tree.
			run(t, s, "env -u EXECKIT_DOCKER_EXEC sh -c 'sleep 1004' >/dev/null 2>&1 &")
			// Still running a command when closed.
			go s.Exec(context.Background(), "sleep 1005", nil)
			time.Sleep(300 * time.Millisecond)
			during := listProcs(t, c)
			assert.Greater(t, len(during), len(before)+4, "the session's processes run: %v", during)

			require.NoError(t, s.Close())
			require.NoError(t, tr.Close())
			after := listProcs(t, c)
			for pid, l := range after {
				_, old := before[pid]
				assert.True(t, old, "process %s is left in the container after Close", l)
			}
		})
	}
}

// TestKillProcess checks Process.Kill directly: the exec's whole tree dies
// inside the container and the streams close.
func TestKillProcess(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	ctx, cancel := bg()
	defer cancel()
	p, err := tr.Start(ctx, &transport.Command{Argv: []string{"sh", "-c", "sleep 1001 & sleep 1002 & echo ready; wait"}})
	require.NoError(t, err)
	buf := make([]byte, 6)
	_, err = p.Stdout().Read(buf)
	require.NoError(t, err)
	require.Equal(t, "ready\n", string(buf))
	done := make(chan struct{})
	go func() {
		p.Stdout().Read(make([]byte, 1))
		close(done)
	}()
	require.NoError(t, p.Kill())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a read blocked on stdout still blocks after Kill")
	}
	code, err := p.Wait()
	require.NoError(t, err)
	assert.Equal(t, 128+9, code, "killed by SIGKILL")
	assert.Empty(t, strays(t, tr), "a child of the killed exec survived")
	assert.NoError(t, p.Kill(), "Kill is idempotent")
}

func TestRunCancel(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tr.Run(ctx, &transport.Command{Argv: []string{"sleep", "1006"}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Empty(t, strays(t, tr), "a cancelled Run is killed inside the container")
}

func TestRunEnvDir(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	ctx, cancel := bg()
	defer cancel()
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", `echo "$EK_A $(pwd)"`}, Env: []string{"EK_A=1", "EK_A=2"}, Dir: "/tmp"})
	require.NoError(t, err)
	assert.Equal(t, "2 /tmp\n", string(out.Stdout), "later Env entries win; Dir is the working directory")
	out, err = tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", "kill -9 $$"}})
	require.NoError(t, err)
	assert.Equal(t, 137, out.ExitCode, "a signal is 128+N")
}

func TestClosedTransport(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, nil)
	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close(), "Close is idempotent")
	ctx, cancel := bg()
	defer cancel()
	_, err := tr.Start(ctx, &transport.Command{Argv: []string{"sh"}})
	assert.ErrorIs(t, err, transport.ErrClosed)
	_, err = tr.Run(ctx, &transport.Command{Argv: []string{"true"}})
	assert.ErrorIs(t, err, transport.ErrClosed)
}

// TestNoGoroutineLeak opens and closes sessions and transports: nothing the
// transport started may outlive them.
func TestNoGoroutineLeak(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	cycle := func() {
		ctx, cancel := bg()
		defer cancel()
		tr, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
		require.NoError(t, err)
		s, err := execkit.Open(ctx, tr, nil)
		require.NoError(t, err)
		_, err = s.Exec(ctx, "echo hi; sleep 1000 &", nil)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, tr.Close())
	}
	cycle()
	base := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		cycle()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after 5 sessions, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// cutProxy forwards a unix socket to the test daemon until cut, which drops
// every connection at once: a daemon that went away, without touching the
// real one.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T) (host string, p *cutProxy) {
	cli := fixture.DockerClient(t)
	u, err := url.Parse(cli.DaemonHost())
	require.NoError(t, err)
	network, addr := u.Scheme, u.Host
	if network == "unix" {
		addr = u.Path
	}
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	p = &cutProxy{ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial(network, addr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
	return "unix://" + sock, p
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func TestDaemonConnectionLost(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	host, proxy := newCutProxy(t)
	tr := dial(t, c, nil, &docker.Operator{Host: host})
	s := open(t, tr, nil)
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := bg()
		defer cancel()
		res, err := s.Exec(ctx, "sleep 100", nil)
		if err == nil && res.Ended != "" {
			err = errors.New(res.Ended)
		}
		ch <- err
	}()
	time.Sleep(300 * time.Millisecond)
	proxy.cut()
	select {
	case err := <-ch:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot reach the Docker daemon at "+host)
	case <-time.After(15 * time.Second):
		t.Fatal("the session still waits 15s after the connection to the daemon dropped")
	}
	_, err := s.Exec(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, execkit.ErrSessionEnded)
}

// noEventsProxy serves the test daemon's API on a unix socket but refuses
// /events, as a restrictive socket proxy might.
func noEventsProxy(t *testing.T) string {
	cli := fixture.DockerClient(t)
	u, err := url.Parse(cli.DaemonHost())
	require.NoError(t, err)
	network, addr := u.Scheme, u.Host
	if network == "unix" {
		addr = u.Path
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}},
	}
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events") {
			http.Error(w, `{"message":"events are not allowed here"}`, http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + sock
}

// TestWithoutEventsAPI: when the daemon's events cannot be followed, the
// transport still works and still notices a stopped container in seconds,
// by polling.
func TestWithoutEventsAPI(t *testing.T) {
	cli := fixture.DockerClient(t)
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	tr := dial(t, c, nil, &docker.Operator{Host: noEventsProxy(t)})
	s := open(t, tr, nil)
	assert.Equal(t, "hi\n", run(t, s, "echo hi").Stdout)
	ch := make(chan string, 1)
	go func() {
		ctx, cancel := bg()
		defer cancel()
		res, err := s.Exec(ctx, "sleep 100", nil)
		if err != nil {
			ch <- err.Error()
			return
		}
		ch <- res.Ended
	}()
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := bg()
	defer cancel()
	require.NoError(t, cli.ContainerStop(ctx, c.ID, container.StopOptions{}))
	select {
	case ended := <-ch:
		assert.Contains(t, ended, "stopped")
	case <-time.After(15 * time.Second):
		t.Fatal("without the events API, the session did not notice the stopped container in 15s")
	}
}
