package proctree_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/internal/proctree"
)

func TestSelf(t *testing.T) {
	p, err := proctree.Stat(os.Getpid())
	require.NoError(t, err)
	assert.Equal(t, os.Getppid(), p.PPID)
	assert.Equal(t, syscall.Getpgrp(), p.PGID)
	assert.LessOrEqual(t, p.Start, proctree.Now(), "a running process started before now")
	_, err = proctree.Stat(-1)
	assert.Error(t, err)
}

// tree is a process group leader (like a session's shell) running sh, with
// processes of four kinds, each a sleep with its own token:
//
//	child    a background child
//	orphan   re-parented (its parent exited) but still in the group
//	escaped  re-parented into a session of its own (setsid)
//	late     a child started after the others, once the test says so
type tree struct {
	leader *exec.Cmd
	exited chan struct{} // closed once the leader was waited for
	stdin  io.WriteCloser
	tok    map[string]string
	pid    map[string]int
}

var kinds = []string{"child", "orphan", "escaped", "late"}

func newTree(t *testing.T, shell string) *tree {
	t.Helper()
	tr := &tree{tok: map[string]string{}, pid: map[string]int{}, exited: make(chan struct{})}
	for _, k := range kinds {
		var b [4]byte
		rand.Read(b[:])
		tr.tok[k] = fmt.Sprintf("1000.%d", binary.BigEndian.Uint32(b[:]))
	}
	script := fmt.Sprintf(`sleep %s & (sleep %s &); (setsid sleep %s &); read x; sleep %s & wait; read y`,
		tr.tok["child"], tr.tok["orphan"], tr.tok["escaped"], tr.tok["late"])
	tr.leader = exec.Command(shell, "-c", script)
	tr.leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	tr.stdin, err = tr.leader.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, tr.leader.Start())
	go func() { tr.leader.Wait(); close(tr.exited) }()
	t.Cleanup(func() {
		for _, pid := range tr.pid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		tr.leader.Process.Kill()
		tr.stdin.Close()
		<-tr.exited
	})
	for _, k := range kinds[:3] {
		tr.pid[k] = waitPID(t, tr.tok[k])
	}
	return tr
}

// startLate starts the late child.
func (tr *tree) startLate(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(tr.stdin, "\n")
	require.NoError(t, err)
	tr.pid["late"] = waitPID(t, tr.tok["late"])
}

func (tr *tree) pids(kinds ...string) []int {
	var out []int
	for _, k := range kinds {
		out = append(out, tr.pid[k])
	}
	slices.Sort(out)
	return out
}

// waitPID finds the sleep whose argument is tok.
func waitPID(t *testing.T, tok string) int {
	t.Helper()
	want := []byte("\x00" + tok + "\x00")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.HasPrefix(b, []byte("sleep\x00")) && bytes.Contains(b, want) {
				pid, _ := strconv.Atoi(strings.Split(f, "/")[2])
				return pid
			}
		}
	}
	t.Fatalf("no process runs sleep %s", tok)
	return 0
}

func alive(pid int) bool {
	p, err := proctree.Stat(pid)
	if err != nil {
		return false
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/status")
	return !strings.Contains(string(b), "State:\tZ")
}

func sorted(pids []int) []int {
	pids = slices.Clone(pids)
	slices.Sort(pids)
	return pids
}

func TestDescendants(t *testing.T) {
	tr := newTree(t, "sh")
	leader := tr.leader.Process.Pid
	orphan, err := proctree.Stat(tr.pid["orphan"])
	require.NoError(t, err)
	require.NotEqual(t, leader, orphan.PPID, "the orphan was re-parented")
	require.Equal(t, leader, orphan.PGID, "the orphan is still in the leader's group")

	got, err := proctree.Descendants(leader, 0)
	require.NoError(t, err)
	assert.Equal(t, tr.pids("child", "orphan"), sorted(got), "a group leader's re-parented group members count as its own; a process in a session of its own does not")

	since := proctree.Now()
	time.Sleep(50 * time.Millisecond) // start times tick every 10ms
	tr.startLate(t)
	got, err = proctree.Descendants(leader, since)
	require.NoError(t, err)
	assert.Equal(t, tr.pids("late"), got, "only what started since")
	got, err = proctree.Descendants(leader, 0)
	require.NoError(t, err)
	assert.Equal(t, tr.pids("child", "orphan", "late"), sorted(got))

	// A root that does not lead its group (a job's process in the shell's
	// group) gets its descendants only, never its whole group.
	got, err = proctree.Descendants(tr.pid["child"], 0)
	require.NoError(t, err)
	assert.Empty(t, got, "a process that does not lead its group has no group members counted")
}

// runScript runs Script in shell and returns the pids it says it signalled.
func runScript(t *testing.T, shell []string, sig string, root int, since int64, incl string) []int {
	t.Helper()
	args := append(slices.Clone(shell[1:]), proctree.Script, "sh", sig, strconv.Itoa(root), strconv.FormatInt(since, 10), incl)
	cmd := exec.Command(shell[0], args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "Script in %v: %s", shell, stderr.String())
	assert.Empty(t, stderr.String(), "Script says nothing on stderr, even when a process exits while it looks")
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		require.NoError(t, err, "Script prints pids only, got %q", out)
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	return pids
}

// TestScript runs the remote walk in bash, dash and busybox sh (busybox
// images have nothing else) against real processes, and checks it reaches
// what Descendants reaches.
func TestScript(t *testing.T) {
	for _, sh := range []struct {
		name string
		argv []string
	}{
		{"bash", []string{fixture.LookPath(t, "bash"), "-c"}},
		{"dash", []string{fixture.LookPath(t, "dash"), "-c"}},
		{"busybox", []string{fixture.LookPath(t, "busybox"), "sh", "-c"}},
	} {
		t.Run(sh.name, func(t *testing.T) {
			tr := newTree(t, "sh")
			tr.startLate(t)
			leader := tr.leader.Process.Pid

			// A start time in the future: nothing qualifies.
			assert.Empty(t, runScript(t, sh.argv, "TERM", leader, time.Now().Unix()+1000, "0"), "nothing started after the given time")
			for _, k := range kinds {
				assert.True(t, alive(tr.pid[k]), "%s must be untouched", k)
			}

			// Signal 0 only asks: the pids are listed, nothing dies.
			want := tr.pids("child", "orphan", "late")
			assert.Equal(t, want, runScript(t, sh.argv, "0", leader, 0, "0"), "Script lists what Descendants lists")
			got, err := proctree.Descendants(leader, 0)
			require.NoError(t, err)
			assert.Equal(t, sorted(got), want)

			// An epoch well in the past counts everything, like 0.
			assert.Equal(t, want, runScript(t, sh.argv, "KILL", leader, 1, "0"))
			for _, k := range []string{"child", "orphan", "late"} {
				assert.Eventually(t, func() bool { return !alive(tr.pid[k]) }, 5*time.Second, 20*time.Millisecond, "%s survived KILL", k)
			}
			assert.True(t, alive(tr.pid["escaped"]), "a process in a session of its own is out of reach, as documented")
			assert.True(t, alive(leader), "the root is signalled only when asked")

			runScript(t, sh.argv, "KILL", leader, 0, "1")
			select {
			case <-tr.exited:
			case <-time.After(5 * time.Second):
				t.Fatal("the root survived KILL with the fourth argument 1")
			}
		})
	}
}
