//go:build linux

package docker_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
)

// TestDaemonRestart stops and restarts a Docker daemon under live sessions.
// The shared test daemon serves other packages' tests at the same time, so
// this test runs a private dockerd of its own (its own data root, exec root,
// socket, pidfile, config file and managed containerd, in a temporary
// directory) and restarts that one only.
//
// The steps build on each other (the container of one is the container of
// the next), so the first failure ends the test.
func TestDaemonRestart(t *testing.T) {
	d := newPrivateDaemon(t)
	ref := fixture.DockerImage(t, fixture.DockerBusybox)
	d.start(t, false)
	d.loadImage(t, ref)
	c := d.createContainer(t, ref)
	d.startContainer(t, c)

	var sleepPid hostProc // scenario 1's `sleep 100`, as the host sees it
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		// 1. The daemon stops while a command runs: the command ends, in
		// seconds, saying so; the session is over; nothing it started
		// keeps running on the host.
		{"stopped mid-command", func(t *testing.T) {
			tr := dial(t, c, nil, d.op())
			s := open(t, tr, nil)
			run(t, s, "cd /tmp")
			ch := goExec(s, "sleep 100")
			sleepPid = d.waitProc(t, "sleep 100", ch)
			start := time.Now()
			d.signalStop(t)
			o := awaitOrDump(t, ch, 15*time.Second, "Exec of `sleep 100` after the daemon was told to stop")
			took := time.Since(start)
			t.Logf("Exec returned %v after SIGTERM to dockerd: %s", took.Round(time.Millisecond), o)
			assertSessionEnded(t, o, `cannot reach the Docker daemon at `+regexp.QuoteMeta(d.host)+`|container "`+regexp.QuoteMeta(c.Name)+`" stopped`)
			stopped := d.waitExit(t)
			t.Logf("dockerd exited %v after SIGTERM", stopped.Round(time.Millisecond))

			gone := d.waitGone(t, sleepPid, 10*time.Second)
			t.Logf("the container's `sleep 100` (host pid %d) was gone %v after dockerd exited", sleepPid.pid, gone.Round(time.Millisecond))

			o = awaitOrDump(t, goExec(s, "echo after"), 15*time.Second, "the next Exec on the ended session")
			require.ErrorIs(t, o.err, execkit.ErrSessionEnded, "the next Exec: %s", o)
			assert.True(t, errors.Is(o.err, docker.ErrNotRunning) || errors.Is(o.err, docker.ErrUnreachable),
				"the session-ended error keeps the transport's cause (container stopped, or daemon unreachable): %v", o.err)

			o = awaitOrDump(t, goRun(tr, "true"), 15*time.Second, "a new exec on the transport while the daemon is down")
			require.Error(t, o.err)
			assert.ErrorIs(t, o.err, docker.ErrUnreachable, "a new exec with the daemon down says it cannot reach it: %v", o.err)
			assert.Contains(t, o.err.Error(), d.host, "the error names the daemon")

			awaitOrDump(t, goClose(s, tr), 15*time.Second, "closing the session and transport while the daemon is down")
		}},

		// 2. The daemon comes back (no live-restore): the container is
		// there, stopped, and once started a fresh Dial gives a working
		// session with nothing left of the old one.
		{"started again", func(t *testing.T) {
			d.start(t, false)
			ctx, cancel := bg()
			defer cancel()
			info, err := d.cli.ContainerInspect(ctx, c.ID)
			require.NoError(t, err, "the container survives the daemon's restart")
			assert.False(t, info.State.Running, "without live-restore the daemon stopped the container: %s", info.State.Status)
			assert.Equal(t, "exited", info.State.Status)
			assert.False(t, sleepPid.alive(), "the old session's `sleep 100` (host pid %d) is back", sleepPid.pid)

			_, err = docker.Dial(ctx, &docker.Config{Container: c.Name}, d.op())
			require.ErrorIs(t, err, docker.ErrNotRunning, "Dial to the stopped container")
			assert.Contains(t, err.Error(), "is not running (exited)")

			d.startContainer(t, c)
			tr := dial(t, c, nil, d.op())
			s := open(t, tr, nil)
			res := run(t, s, "echo ok; pwd")
			assert.Equal(t, "ok\n/\n", res.Stdout, "a fresh session works and starts where the container does, not where the old one was")
			assert.Equal(t, 0, res.ExitCode)
			assert.Empty(t, res.Ended)
			assert.Empty(t, strays(t, tr), "a sleep of the old session runs in the restarted container")
			require.NoError(t, s.Close())
			require.NoError(t, tr.Close())
		}},

		// 3. The daemon restarts while a session sits between commands:
		// its next Exec fails at once, and clearly.
		{"restarted while idle", func(t *testing.T) {
			tr := dial(t, c, nil, d.op())
			s := open(t, tr, nil)
			assert.Equal(t, "idle\n", run(t, s, "echo idle").Stdout)
			d.signalStop(t)
			d.waitExit(t)
			d.start(t, false)

			start := time.Now()
			o := awaitOrDump(t, goExec(s, "echo after"), 15*time.Second, "Exec on an idle session after the daemon restarted")
			t.Logf("Exec returned %v after the daemon was back: %s", time.Since(start).Round(time.Millisecond), o)
			if o.err == nil {
				assert.NotEmpty(t, o.res.Ended, "the shell died with the daemon, but Exec reports a result: %+v", o.res)
			} else {
				assert.ErrorIs(t, o.err, execkit.ErrSessionEnded)
			}
			o = awaitOrDump(t, goExec(s, "echo again"), 15*time.Second, "the Exec after that")
			require.ErrorIs(t, o.err, execkit.ErrSessionEnded, "%s", o)

			// The container went down with the daemon: new execs say so.
			o = awaitOrDump(t, goRun(tr, "true"), 15*time.Second, "a new exec on the old transport")
			assert.ErrorIs(t, o.err, docker.ErrNotRunning, "a new exec in the container the restart stopped: %s", o)
			awaitOrDump(t, goClose(s, tr), 15*time.Second, "closing the ended session")

			d.startContainer(t, c)
			tr = dial(t, c, nil, d.op())
			s = open(t, tr, nil)
			assert.Equal(t, "ok\n", run(t, s, "echo ok").Stdout, "a fresh session after the restart")
			require.NoError(t, s.Close())
			require.NoError(t, tr.Close())
		}},

		// 4. With --live-restore the container outlives the daemon: a
		// command whose attach stream broke ends clearly all the same, and
		// a fresh session works in the same, still running container.
		{"live-restore", func(t *testing.T) {
			d.signalStop(t)
			d.waitExit(t)
			d.start(t, true)
			d.startContainer(t, c)
			ctx, cancel := bg()
			defer cancel()
			before, err := d.cli.ContainerInspect(ctx, c.ID)
			require.NoError(t, err)

			tr := dial(t, c, nil, d.op())
			s := open(t, tr, nil)
			ch := goExec(s, "sleep 100")
			sleep := d.waitProc(t, "sleep 100", ch)
			init := d.containerInit(t, c)
			start := time.Now()
			d.signalStop(t)
			o := awaitOrDump(t, ch, 15*time.Second, "Exec of `sleep 100` after the daemon was told to stop (live-restore)")
			t.Logf("Exec returned %v after SIGTERM to dockerd (live-restore): %s", time.Since(start).Round(time.Millisecond), o)
			assertSessionEnded(t, o, `cannot reach the Docker daemon at `+regexp.QuoteMeta(d.host))
			d.waitExit(t)
			assert.True(t, init.alive(), "with live-restore the container's init (host pid %d) outlives the daemon", init.pid)
			o = awaitOrDump(t, goExec(s, "echo after"), 15*time.Second, "the next Exec on the ended session")
			require.ErrorIs(t, o.err, execkit.ErrSessionEnded, "%s", o)
			awaitOrDump(t, goClose(s, tr), 15*time.Second, "closing the ended session while the daemon is down")

			d.start(t, true)
			after, err := d.cli.ContainerInspect(ctx, c.ID)
			require.NoError(t, err)
			assert.True(t, after.State.Running, "the live-restored container runs")
			assert.Equal(t, before.State.StartedAt, after.State.StartedAt, "the live-restored container was not restarted")
			tr = dial(t, c, nil, d.op())
			s = open(t, tr, nil)
			assert.Equal(t, "ok\n", run(t, s, "echo ok").Stdout, "a fresh session in the live-restored container")
			// The old session was closed while the daemon was down, so its
			// kill could not run then: it is retried once the daemon
			// answers, and the orphans go.
			deadline := time.Now().Add(20 * time.Second)
			for sleep.alive() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if sleep.alive() {
				var left []string
				for _, l := range strays(t, tr) {
					left = append(left, strings.Join(strings.Fields(l)[:4], " "))
				}
				t.Errorf("the ended session's `sleep 100` (host pid %d) still runs in the live-restored container 20s after the daemon came back (pid, comm, state, ppid there: %q)", sleep.pid, left)
			}
			require.NoError(t, s.Close())
			require.NoError(t, tr.Close())
		}},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			return
		}
	}

	// The end: remove the container, stop the daemon, and check that
	// nothing it started (containerd, shims, the container's processes)
	// outlives it.
	ctx, cancel := bg()
	defer cancel()
	require.NoError(t, d.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}))
	d.record()
	d.signalStop(t)
	d.waitExit(t)
	deadline := time.Now().Add(10 * time.Second)
	for len(d.left()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if assert.Empty(t, d.left(), "processes of the private daemon outlive it (of %d seen)", len(d.seen)) {
		t.Logf("%d processes of the private daemon seen (dockerd, containerd, shims, the container's), none left", len(d.seen))
	}
}

// outcome is what an Exec or Run returned.
type outcome struct {
	res *execkit.Result
	out *transport.Output
	err error
}

func (o outcome) String() string {
	switch {
	case o.err != nil:
		return "error: " + o.err.Error()
	case o.res != nil && o.res.Ended != "":
		return fmt.Sprintf("result (exit %d), session_ended: %s", o.res.ExitCode, o.res.Ended)
	case o.res != nil:
		return fmt.Sprintf("result (exit %d), stdout %q", o.res.ExitCode, o.res.Stdout)
	case o.out != nil:
		return fmt.Sprintf("output (exit %d)", o.out.ExitCode)
	}
	return "nothing"
}

func goExec(s *execkit.Session, cmd string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		ctx, cancel := bg()
		defer cancel()
		res, err := s.Exec(ctx, cmd, nil)
		ch <- outcome{res: res, err: err}
	}()
	return ch
}

func goRun(tr transport.Transport, argv ...string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		ctx, cancel := bg()
		defer cancel()
		out, err := tr.Run(ctx, &transport.Command{Argv: argv})
		ch <- outcome{out: out, err: err}
	}()
	return ch
}

func goClose(s *execkit.Session, tr transport.Transport) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		s.Close()
		tr.Close()
		close(ch)
	}()
	return ch
}

// assertSessionEnded checks that o ended its session (an error or a Result's
// session_ended) for a reason matching want.
func assertSessionEnded(t *testing.T, o outcome, want string) {
	t.Helper()
	if o.err != nil {
		assert.ErrorIs(t, o.err, execkit.ErrSessionEnded, "the command's error")
		assert.Regexp(t, want, o.err.Error(), "the error says why the session ended")
		return
	}
	require.NotNil(t, o.res)
	assert.Regexp(t, want, o.res.Ended, "the result's session_ended says why the session ended (result: %+v)", o.res)
}

// awaitOrDump waits for ch, at most limit; on a timeout it fails t with every
// goroutine's stack, to show what hangs.
func awaitOrDump[T any](t *testing.T, ch <-chan T, limit time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(limit):
		buf := make([]byte, 4<<20)
		t.Fatalf("%s: still waiting after %v; goroutines:\n%s", what, limit, buf[:runtime.Stack(buf, true)])
		panic("unreachable")
	}
}

// privateDaemon is a dockerd this test starts and stops, independent of
// the shared test daemon: everything it writes is under dir, and its
// containerd (which it starts and manages itself, under its exec root) uses
// a containerd namespace of its own.
type privateDaemon struct {
	t    *testing.T
	dir  string
	host string
	log  string
	cli  *client.Client // for the running daemon; nil while it is down

	cmd    *exec.Cmd
	exited chan struct{}    // closed when cmd has exited
	seen   map[int]hostProc // every process of the daemon seen, by pid
}

func newPrivateDaemon(t *testing.T) *privateDaemon {
	if os.Geteuid() != 0 {
		fixture.Missing(t, "root, to run a private dockerd")
	}
	fixture.LookPath(t, "dockerd")
	fixture.LookPath(t, "containerd") // dockerd starts its own from PATH
	// Unix socket paths stay under 108 bytes: a short directory of the
	// system's temporary one, not t.TempDir.
	dir, err := os.MkdirTemp("", "ekd")
	require.NoError(t, err)
	d := &privateDaemon{
		t:    t,
		dir:  dir,
		host: "unix://" + filepath.Join(dir, "docker.sock"),
		log:  filepath.Join(dir, "dockerd.log"),
		seen: map[int]hostProc{},
	}
	require.Less(t, len(filepath.Join(dir, "exec", "containerd", "containerd.sock.ttrpc")), 100,
		"the temporary directory %s is too long for unix sockets (set TMPDIR)", dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o600))
	t.Cleanup(d.cleanup)
	return d
}

func (d *privateDaemon) op() *docker.Operator { return &docker.Operator{Host: d.host} }

// start starts dockerd and waits until it answers.
func (d *privateDaemon) start(t *testing.T, liveRestore bool) {
	t.Helper()
	require.Nil(t, d.cmd, "the private dockerd is already running")
	args := []string{
		"--data-root", filepath.Join(d.dir, "data"),
		"--exec-root", filepath.Join(d.dir, "exec"),
		"--pidfile", filepath.Join(d.dir, "pid"),
		"--config-file", filepath.Join(d.dir, "daemon.json"),
		"-H", d.host,
		"--containerd-namespace", "execkit-test",
		"--containerd-plugins-namespace", "execkit-test-plugins",
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		"--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
		"--shutdown-timeout=10",
	}
	if liveRestore {
		args = append(args, "--live-restore")
	}
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	defer logf.Close()
	fmt.Fprintf(logf, "--- execkit test: dockerd %s\n", strings.Join(args, " "))
	cmd := exec.Command("dockerd", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a ^C to the test reaches the test only, and
	// cleanup stops the daemon in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	d.cmd = cmd
	d.exited = make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(d.exited)

	cli, err := client.NewClientWithOpts(client.WithHost(d.host), client.WithAPIVersionNegotiation())
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = cli.Ping(ctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-d.exited:
			cli.Close()
			t.Fatalf("the private dockerd exited while starting (%v); its log:\n%s", cmd.ProcessState, d.logTail())
		default:
		}
		if time.Now().After(deadline) {
			cli.Close()
			t.Fatalf("the private dockerd does not answer after a minute: %v; its log:\n%s", err, d.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.cli = cli
	d.record()
}

// signalStop sends SIGTERM to the pid in dockerd's pidfile, which must be
// the process this test started.
func (d *privateDaemon) signalStop(t *testing.T) {
	t.Helper()
	require.NotNil(t, d.cmd, "the private dockerd is not running")
	d.record()
	b, err := os.ReadFile(filepath.Join(d.dir, "pid"))
	require.NoError(t, err, "dockerd's pidfile")
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err, "dockerd's pidfile holds %q", b)
	require.Equal(t, d.cmd.Process.Pid, pid, "dockerd's pidfile names another process than the one this test started")
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
}

// waitExit waits for dockerd to exit after signalStop, and returns how long
// that took.
func (d *privateDaemon) waitExit(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	awaitOrDump(t, d.exited, time.Minute, "dockerd's exit after SIGTERM")
	took := time.Since(start)
	d.cmd = nil
	d.cli.Close()
	d.cli = nil
	return took
}

// loadImage copies ref from the shared daemon.
func (d *privateDaemon) loadImage(t *testing.T, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rc, err := fixture.DockerClient(t).ImageSave(ctx, []string{ref})
	require.NoError(t, err, "saving %s from the shared daemon", ref)
	defer rc.Close()
	resp, err := d.cli.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	require.NoError(t, err, "loading %s into the private daemon", ref)
	defer resp.Body.Close()
	msg, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotContains(t, string(msg), `"error"`, "loading %s into the private daemon", ref)
	_, err = d.cli.ImageInspect(ctx, ref)
	require.NoError(t, err, "the loaded image (load said %s)", bytes.TrimSpace(msg))
}

// createContainer creates, on the private daemon, a container like
// fixture.DockerContainer's: it idles, stops at once on SIGTERM, and has no
// network.
func (d *privateDaemon) createContainer(t *testing.T, ref string) *fixture.Container {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	b := make([]byte, 6)
	rand.Read(b)
	name := "execkit-test-restart-" + hex.EncodeToString(b)
	resp, err := d.cli.ContainerCreate(ctx,
		&container.Config{
			Image:  ref,
			Cmd:    []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; sleep 2147483647 & wait"},
			Labels: map[string]string{fixture.DockerTestLabel: "1"},
		},
		&container.HostConfig{NetworkMode: "none"},
		nil, nil, name)
	require.NoError(t, err, "creating a container on the private daemon")
	return &fixture.Container{ID: resp.ID, Name: name, Image: ref}
}

func (d *privateDaemon) startContainer(t *testing.T, c *fixture.Container) {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	require.NoError(t, d.cli.ContainerStart(ctx, c.ID, container.StartOptions{}), "starting the container on the private daemon")
	d.record()
}

// waitProc waits until a process of the daemon (a descendant of its
// shims) runs cmdline, and returns it. ch is the Exec running it: if it
// returns first, the command is not running.
func (d *privateDaemon) waitProc(t *testing.T, cmdline string, ch <-chan outcome) hostProc {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, p := range d.record() {
			if p.cmdline == cmdline {
				return p
			}
		}
		select {
		case o := <-ch:
			t.Fatalf("%q returned before its process was seen on the host: %s", cmdline, o)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process %q of the private daemon on the host after 15s", cmdline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// containerInit returns the host's view of c's main process.
func (d *privateDaemon) containerInit(t *testing.T, c *fixture.Container) hostProc {
	t.Helper()
	ctx, cancel := bg()
	defer cancel()
	info, err := d.cli.ContainerInspect(ctx, c.ID)
	require.NoError(t, err)
	p, ok := d.record()[info.State.Pid]
	require.True(t, ok, "the container's init (host pid %d) is not among the daemon's processes", info.State.Pid)
	return p
}

// waitGone waits until p has exited, and returns how long that took.
func (d *privateDaemon) waitGone(t *testing.T, p hostProc, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for p.alive() {
		if time.Since(start) > limit {
			t.Fatalf("process %d (%s) still runs %v later", p.pid, p.cmdline, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// record adds the daemon's processes now running to seen and returns them:
// every process whose command line names the daemon's directory (dockerd,
// its containerd, the shims, by their -address) and their descendants.
func (d *privateDaemon) record() map[int]hostProc {
	tab := hostProcs()
	ours := map[int]hostProc{}
	for pid, p := range tab {
		if strings.Contains(p.cmdline, d.dir) {
			ours[pid] = p
		}
	}
	for grew := true; grew; {
		grew = false
		for pid, p := range tab {
			if _, ok := ours[pid]; !ok {
				if _, parent := ours[p.ppid]; parent {
					ours[pid] = p
					grew = true
				}
			}
		}
	}
	for pid, p := range ours {
		d.seen[pid] = p
	}
	return ours
}

// left lists the processes seen that still run.
func (d *privateDaemon) left() []hostProc {
	var out []hostProc
	for _, p := range d.seen {
		if p.alive() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// cleanup stops whatever the test left running: the containers, the
// daemon, and (by pid, only as a last resort) any process of it still
// alive; then it unmounts and removes the daemon's directory.
func (d *privateDaemon) cleanup() {
	t := d.t
	if d.cmd != nil {
		if d.cli != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true}); err == nil {
				for _, c := range list {
					d.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
				}
			}
			cancel()
		}
		d.record()
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(30 * time.Second):
			t.Errorf("the private dockerd (pid %d) ignored SIGTERM for 30s; killing it", d.cmd.Process.Pid)
			d.cmd.Process.Kill()
			<-d.exited
		}
		if d.cli != nil {
			d.cli.Close()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(d.left()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if left := d.left(); len(left) > 0 {
		t.Errorf("processes of the private dockerd outlive it; killing them: %v", left)
		for _, p := range left {
			if p.alive() {
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
	}
	if t.Failed() {
		t.Logf("the private dockerd's log (%s), last lines:\n%s", d.log, d.logTail())
	}
	for _, m := range mountsUnder(d.dir) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", m, err)
		}
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Errorf("removing the private dockerd's directory: %v", err)
	}
}

func (d *privateDaemon) logTail() string {
	b, err := os.ReadFile(d.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// mountsUnder lists the mount points under dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "id parent major:minor root mountpoint options ..."
		if fs := strings.Fields(sc.Text()); len(fs) > 4 && strings.HasPrefix(fs[4], dir+"/") {
			out = append(out, fs[4])
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// hostProc is a host process, as /proc shows it.
type hostProc struct {
	pid, ppid int
	start     uint64 // start time, in clock ticks since boot: tells a reused pid apart
	cmdline   string // arguments joined by spaces
}

func (p hostProc) String() string { return fmt.Sprintf("%d(%s)", p.pid, p.cmdline) }

// alive reports whether p still runs: the same pid with the same start
// time, and not a zombie (this machine's init may not reap orphans).
func (p hostProc) alive() bool {
	q, ok := readHostProc(p.pid)
	return ok && q.start == p.start && q.state != 'Z' && q.state != 'X'
}

type hostProcStat struct {
	hostProc
	state byte
}

func hostProcs() map[int]hostProc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	tab := map[int]hostProc{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readHostProc(pid); ok && p.state != 'Z' && p.state != 'X' {
			tab[pid] = p.hostProc
		}
	}
	return tab
}

func readHostProc(pid int) (hostProcStat, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return hostProcStat{}, false
	}
	// "pid (comm) state ppid ..." where comm may hold spaces and parens.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return hostProcStat{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return hostProcStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	cmd, _ := os.ReadFile(dir + "/cmdline")
	p := hostProcStat{hostProc: hostProc{pid: pid, ppid: ppid, start: start}, state: f[0][0]}
	p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
	return p, true
}
