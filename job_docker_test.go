package execkit

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Jobs in a Docker container. Their pids are the container's, which this
// machine's /proc does not show under those numbers: the job tests look
// them up inside the container, through a transport of their own (see
// machineOf), which outlives the sessions it watches.

// machine is where a session's processes can be looked up.
type machine interface {
	// below returns the pids of every process under root.
	below(t testing.TB, root int) []int
	// gone reports whether pid has exited (a zombie counts as gone).
	gone(t testing.TB, pid int) bool
}

// containers maps a session opened by dockerOpener to the transport that
// inspects its container.
var containers sync.Map // *Session → transport.Transport

// machineOf returns where s runs its processes: a test container, or this
// machine (local sessions, and SSH to the sshd on this machine).
func machineOf(s *Session) machine {
	if tr, ok := containers.Load(s); ok {
		return inContainer{tr.(transport.Transport)}
	}
	return thisMachine{}
}

type thisMachine struct{}

func (thisMachine) below(t testing.TB, root int) []int {
	t.Helper()
	kids, err := proctree.Descendants(root, 0)
	require.NoError(t, err)
	return kids
}

func (thisMachine) gone(_ testing.TB, pid int) bool { return processGone(pid) }

// inContainer reads a container's /proc with a side exec.
type inContainer struct{ tr transport.Transport }

// containerProc is one line of the container's /proc/PID/stat.
type containerProc struct {
	pid, ppid int
	state     string
	line      string
}

// listContainerProcs lists the container's processes, leaving out the
// listing itself (an exec: its parent is outside the container, 0).
func listContainerProcs(t testing.TB, tr transport.Transport) map[int]containerProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", `for d in /proc/[0-9]*; do [ "${d#/proc/}" = $$ ] && continue; read -r l <"$d/stat" 2>/dev/null && echo "$l"; done`}})
	require.NoError(t, err, "listing the container's processes")
	require.Equal(t, 0, out.ExitCode, "listing the container's processes: %s", out.Stderr)
	procs := map[int]containerProc{}
	for _, l := range strings.Split(strings.TrimSpace(string(out.Stdout)), "\n") {
		// "pid (comm) state ppid ...": comm may hold spaces and
		// parentheses, so the fields are counted from the last ')'.
		i := strings.LastIndexByte(l, ')')
		pidStr, _, _ := strings.Cut(l, " ")
		pid, err := strconv.Atoi(pidStr)
		if i < 0 || err != nil {
			continue
		}
		f := strings.Fields(l[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		procs[pid] = containerProc{pid: pid, ppid: ppid, state: f[0], line: l}
	}
	return procs
}

func (c inContainer) below(t testing.TB, root int) []int {
	t.Helper()
	procs := listContainerProcs(t, c.tr)
	in := map[int]bool{root: true}
	var out []int
	for changed := true; changed; {
		changed = false
		for _, p := range procs {
			if !in[p.pid] && in[p.ppid] {
				in[p.pid] = true
				out = append(out, p.pid)
				changed = true
			}
		}
	}
	return out
}

func (c inContainer) gone(t testing.TB, pid int) bool {
	t.Helper()
	p, ok := listContainerProcs(t, c.tr)[pid]
	return !ok || p.state == "Z"
}

// testContainer is a container of the bash image (bash, busybox's tools,
// git) for t, and a transport that inspects it.
func testContainer(t *testing.T) (*fixture.Container, transport.Transport) {
	t.Helper()
	c := fixture.DockerContainer(t, fixture.DockerBash)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	probe, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
	require.NoError(t, err, "dialling the test container")
	t.Cleanup(func() { probe.Close() })
	return c, probe
}

// dockerOpener starts a test container for t and returns an opener
// dialling it, one transport per session.
func dockerOpener(t *testing.T) opener {
	c, probe := testContainer(t)
	return func(t *testing.T, cfg *Config, opts ...Option) *Session {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tr, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
		require.NoError(t, err, "dialling the test container")
		s, err := Open(ctx, tr, cfg, append(opts, WithTransport())...)
		require.NoError(t, err, "opening a session in a container")
		containers.Store(s, probe)
		t.Cleanup(func() {
			s.Close()
			containers.Delete(s)
		})
		return s
	}
}

// TestJobShellOverDockerTTY drives an interactive bash on a terminal in a
// container: a prompt without newline, typed commands echoed, Ctrl-C
// interrupting the foreground program through the terminal (the shell
// lives on), and the exit status of the shell as the job's.
func TestJobShellOverDockerTTY(t *testing.T) {
	s := dockerOpener(t)(t, nil)
	ctx := context.Background()
	j := startJob(t, s, `PS1='ek> ' exec bash --norc --noprofile --noediting -i`, &JobOptions{TTY: true, Rows: 40, Cols: 120})
	o := output(t, j, 20*time.Second, `ek> $`)
	require.True(t, o.Matched, "the prompt, a line without newline, is readable: %q", o.Stdout)
	assert.Equal(t, "ek> ", o.Stdout, "nothing of the job's or the transport's wrappers is in the output")
	assert.Empty(t, o.Stderr, "a terminal has one stream")

	_, err := j.Input(ctx, "echo $((6*7)); stty size\n")
	require.NoError(t, err)
	o = output(t, j, 20*time.Second, `^ek> $`)
	require.True(t, o.Matched, "%q", o.Stdout)
	assert.Equal(t, "echo $((6*7)); stty size\n42\n40 120\nek> ", o.Stdout, "echo, results and the next prompt, CRLF cleaned")

	// Ctrl-C reaches the foreground sleep through the terminal; the
	// shell prompts again.
	_, err = j.Input(ctx, "sleep 1001\n")
	require.NoError(t, err)
	sleep := waitFor(t, machineOf(s), j.pid, "sleep")
	start := time.Now()
	_, err = j.Input(ctx, "\x03")
	require.NoError(t, err)
	o = output(t, j, 20*time.Second, `ek> $`)
	require.True(t, o.Matched, "a new prompt after Ctrl-C: %q", o.Stdout)
	assert.Less(t, time.Since(start), 10*time.Second)
	assertGone(t, s, []int{sleep}, "Ctrl-C on the terminal")
	_, err = j.Input(ctx, "echo \"status $?\"\n")
	require.NoError(t, err)
	o = output(t, j, 20*time.Second, `(?m)^status \d+$`)
	assert.Contains(t, o.Stdout, "status 130\n", "sleep died of SIGINT")
	assert.True(t, o.Running, "Ctrl-C interrupts the program, not the shell")

	j.Input(ctx, "exit 3\n")
	_, _, code := readToEnd(t, j, 20*time.Second)
	assert.Equal(t, 3, code)
}

// TestJobDockerTTYDiesWithSession: closing the session leaves nothing of a
// terminal job in the container, whatever it started (a foreground program
// in a process group of its own, a background one in a session of its own).
func TestJobDockerTTYDiesWithSession(t *testing.T) {
	c, probe := testContainer(t)
	before := listContainerProcs(t, probe)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := docker.Dial(ctx, &docker.Config{Container: c.Name}, nil)
	require.NoError(t, err)
	s, err := Open(ctx, tr, nil, WithTransport())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	containers.Store(s, probe)
	defer containers.Delete(s)

	j := startJob(t, s, `PS1='ek> ' exec bash --norc --noprofile --noediting -i`, &JobOptions{TTY: true})
	require.True(t, output(t, j, 20*time.Second, `ek> $`).Matched)
	_, err = j.Input(ctx, "setsid sleep 1002 & sleep 1003\n")
	require.NoError(t, err)
	waitFor(t, machineOf(s), j.pid, "sleep 1003")
	during := listContainerProcs(t, probe)
	require.Greater(t, len(during), len(before)+2, "the job's processes run: %v", during)

	require.NoError(t, s.Close())
	select {
	case <-j.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the terminal job did not end with its session")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for pid, p := range listContainerProcs(t, probe) {
			if _, old := before[pid]; !old && p.state != "Z" {
				left = append(left, p.line)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left in the container after the session closed: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor waits until a process below root runs a command line starting
// with prefix, and returns its pid.
func waitFor(t testing.TB, m machine, root int, prefix string) int {
	t.Helper()
	c, ok := m.(inContainer)
	require.True(t, ok, "waitFor looks in a container")
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var args []string
		for _, pid := range c.below(t, root) {
			args = append(args, strconv.Itoa(pid))
		}
		out, err := c.tr.Run(ctx, &transport.Command{Argv: append([]string{"sh", "-c", `for p; do printf '%s ' "$p"; tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done`, "sh"}, args...)})
		cancel()
		require.NoError(t, err)
		for _, l := range strings.Split(string(out.Stdout), "\n") {
			pid, cmd, _ := strings.Cut(l, " ")
			if strings.HasPrefix(cmd, prefix) {
				n, err := strconv.Atoi(pid)
				require.NoError(t, err)
				return n
			}
		}
		require.True(t, time.Now().Before(deadline), "no %q below %d in the container: %q", prefix, root, out.Stdout)
		time.Sleep(50 * time.Millisecond)
	}
}
