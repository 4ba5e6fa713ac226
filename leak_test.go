package execkit

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openFDs returns this process's open file descriptors and what each points
// to (readlink of /proc/self/fd/N), leaving out the one reading the listing.
func openFDs(t testing.TB) map[int]string {
	t.Helper()
	d, err := os.Open("/proc/self/fd")
	require.NoError(t, err)
	defer d.Close()
	names, err := d.Readdirnames(-1)
	require.NoError(t, err)
	fds := make(map[int]string, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || uintptr(fd) == d.Fd() {
			continue
		}
		target, err := os.Readlink(filepath.Join("/proc/self/fd", n))
		if err != nil {
			continue // closed while we looked
		}
		fds[fd] = target
	}
	return fds
}

// newFDs lists the descriptors open now that were not in base (or point
// somewhere else now).
func newFDs(t testing.TB, base map[int]string) []string {
	t.Helper()
	var out []string
	for fd, target := range openFDs(t) {
		if base[fd] != target {
			out = append(out, strconv.Itoa(fd)+" -> "+target)
		}
	}
	sort.Strings(out)
	return out
}

// spoolFDs lists the descriptors of kept-output spool files (os.CreateTemp
// "execkit-out-*" in output.go, unlinked as soon as they are made).
func spoolFDs(t testing.TB) []string {
	t.Helper()
	var out []string
	for fd, target := range openFDs(t) {
		if strings.Contains(filepath.Base(target), "execkit-out-") {
			out = append(out, strconv.Itoa(fd)+" -> "+target)
		}
	}
	sort.Strings(out)
	return out
}

// spoolDir points os.TempDir (hence the output spools) at a directory of the
// test's own, so the test can see whether a spool file is left on disk.
func spoolDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	require.Equal(t, dir, os.TempDir())
	return dir
}

// goroutineDump returns the stacks of every goroutine.
func goroutineDump() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitNoLeaks waits (a few seconds: readers drain, reapers finish) until the
// goroutine count is back to base and no descriptor beyond baseFDs is open,
// then asserts so, showing what is left.
func waitNoLeaks(t *testing.T, base int, baseFDs map[int]string, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, fds := runtime.NumGoroutine(), newFDs(t, baseFDs)
		if g <= base && len(fds) == 0 {
			return
		}
		if time.Now().After(deadline) {
			assert.LessOrEqual(t, g, base, "%s: goroutines left running after Close:\n%s", what, goroutineDump())
			assert.Empty(t, fds, "%s: file descriptors left open after Close", what)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procGone reports whether pid has exited and been reaped.
func procGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// TestNoLeaksAfterClose: once a local session is closed, whatever it went
// through, its goroutines have ended, its pipes, ptys and spool files are
// closed, no spool file is left on disk, and its shell is gone.
func TestNoLeaksAfterClose(t *testing.T) {
	dir := spoolDir(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  *Config
		use  func(t *testing.T, s *Session)
	}{
		{"plain commands", nil, func(t *testing.T, s *Session) {
			run(t, s, "echo out; echo err >&2; cd /", nil)
			run(t, s, "printf 'a\\nb\\n' | cat", &ExecOptions{Stdin: "in\n"})
		}},
		{"after a timeout", &Config{Grace: 200 * time.Millisecond}, func(t *testing.T, s *Session) {
			res := run(t, s, "echo start; sleep 100 | cat", &ExecOptions{Timeout: 200 * time.Millisecond})
			require.True(t, res.TimedOut)
			assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
		}},
		{"timeout left running", nil, func(t *testing.T, s *Session) {
			res := run(t, s, "sleep 300", &ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue"})
			require.NotEmpty(t, res.JobID)
		}},
		{"after jobs", nil, func(t *testing.T, s *Session) {
			j := startJob(t, s, "echo hello; sleep 300", nil)
			assert.Contains(t, output(t, j, 5*time.Second, "hello").Stdout, "hello")
			done := startJob(t, s, "echo bye", nil)
			<-done.Done()
			startJob(t, s, "sleep 301", &JobOptions{TTY: true})
		}},
		{"spilled output kept", nil, func(t *testing.T, s *Session) {
			res := run(t, s, "seq 1 200000; seq 1 100000 >&2", &ExecOptions{Budget: &Budget{Keep: &Keep{Mode: "tail", N: 1}}})
			require.NotEmpty(t, res.OutputID)
			require.Len(t, spoolFDs(t), 2, "both streams spill past the memory window")
		}},
		{"shell exited", nil, func(t *testing.T, s *Session) {
			run(t, s, "sleep 300 & exit 3", nil)
		}},
		{"killed from outside", nil, func(t *testing.T, s *Session) {
			require.NoError(t, syscall.Kill(s.pid, syscall.SIGKILL))
			<-s.Done()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A session first, so what the first one starts once (shared
			// redactors, the process spawner) is in the baseline.
			warm, err := OpenLocal(ctx, nil)
			require.NoError(t, err)
			run(t, warm, "true", nil)
			require.NoError(t, warm.Close())
			waitNoLeaks(t, runtime.NumGoroutine(), openFDs(t), "warm-up")

			base, baseFDs := runtime.NumGoroutine(), openFDs(t)
			s, err := OpenLocal(ctx, c.cfg)
			require.NoError(t, err)
			pid := s.pid
			c.use(t, s)
			require.NoError(t, s.Close())
			waitNoLeaks(t, base, baseFDs, c.name)
			assert.Empty(t, spoolFDs(t), "spool files must be closed with the session")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "no spool file may be left on disk")
			assert.Eventually(t, func() bool { return procGone(pid) }, 10*time.Second, 20*time.Millisecond, "the shell (pid %d) must be gone after Close", pid)
		})
	}
}
