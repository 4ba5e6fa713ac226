package watch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func printAll(t *testing.T, path string, color bool) string {
	t.Helper()
	l, err := Open(path, &Config{Stream: true})
	require.NoError(t, err)
	defer l.Close()
	var out bytes.Buffer
	p := &Printer{W: &out, Color: color}
	evs, err := l.Recent(1000)
	require.NoError(t, err)
	for _, e := range evs {
		require.NoError(t, p.Print(e))
	}
	return out.String()
}

func TestPrinterGolden(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	plain := printAll(t, dir, false)
	golden(t, "follow.golden", plain)
	golden(t, "follow_color.golden", printAll(t, dir, true))

	assert.Contains(t, plain, "[1_local] /srv $ npm test\n", "a command shows with its prompt and cwd")
	assert.Contains(t, plain, "[1_local] x exit 1 (3420ms)\n", "a failure shows its exit code and duration")
	assert.Contains(t, plain, "[1_local] /srv $ cd web && ls\n")
	assert.Contains(t, plain, "[1_local] /srv/web $ cat <<'EOF' > notes.txt\n[1_local] > hello\n", "the prompt follows cd; a multi-line command continues with > ")
	assert.Contains(t, plain, "[3_docker_web] x blocked: policy:")
	assert.NotContains(t, plain, "\x1b", "no escape sequence from the log reaches the terminal")
	assert.Contains(t, plain, "^[[2J^[]0;pwned^Gbell", "control characters are shown, not obeyed")
	assert.Contains(t, plain, "x timed out, exit 130 (30000ms)")
	color := printAll(t, dir, true)
	assert.Contains(t, color, "\x1b[31mError: 1 failing\x1b[0m", "stderr is red")
	assert.NotContains(t, color, "\x1b[2J", "the log's own escapes stay neutralized with color on")
}

// TestFollowPartialLine: a line written in two parts shows once, whole,
// after its second part.
func TestFollowPartialLine(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base))
	l, err := Open(dir, &Config{Stream: true})
	require.NoError(t, err)
	defer l.Close()
	var out bytes.Buffer
	p := &Printer{W: &out}

	line := a.line(execEv("1_local", "local", "npm test", "ok\n", "", 0, 5, "/srv", base+1))
	half := len(line) / 2
	a.raw(line[:half])
	u := l.Poll()
	assert.Empty(t, u.Events, "half a line is not an event yet")
	a.raw(line[half:])
	u = l.Poll()
	require.Len(t, u.Events, 1, "the line shows once it is complete")
	for _, e := range u.Events {
		require.NoError(t, p.Print(e))
	}
	assert.Equal(t, "[1_local] /srv $ npm test\n[1_local] ok\n[1_local] ok (5ms)\n", out.String())
	assert.Empty(t, l.Poll().Events, "nothing is shown twice")
}

// TestFollowConcurrentWriter follows a directory while sessions append
// (some lines in two writes) and new session files appear; every event
// shows once, whole, in its session's order.
func TestFollowConcurrentWriter(t *testing.T) {
	dir := t.TempDir()
	first := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	first.write(openEv("1_local", "local", "/srv", base), execEv("1_local", "local", "old", "", "", 0, 1, "/srv", base+1))
	l, err := Open(dir, &Config{Stream: true, Poll: 5 * time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	out := &syncBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, l, &Printer{W: out}, 0) }()

	const n = 60
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			id := fmt.Sprintf("%d_local", w+1)
			a := first
			if w > 0 {
				// A new session file, appearing while followed.
				a = newAuditFile(t, filepath.Join(dir, fileName(id, base+int64(w)*1000)))
				a.write(openEv(id, "local", "/w", base+int64(w)*1000))
			}
			for i := 0; i < n; i++ {
				line := a.line(execEv(id, "local", fmt.Sprintf("echo %d-%d", w, i), "", "", 0, 1, "/w", base+int64(i)))
				if i%3 == 0 {
					a.raw(line[:len(line)/3])
					time.Sleep(2 * time.Millisecond)
					a.raw(line[len(line)/3:])
				} else {
					a.raw(line)
				}
			}
		}(w)
	}
	wg.Wait()
	want := fmt.Sprintf("echo %d-%d\n", 2, n-1)
	require.Eventually(t, func() bool {
		s := out.String()
		return strings.Count(s, " $ echo ") == 3*n && strings.Contains(s, want)
	}, 10*time.Second, 10*time.Millisecond, "every command shows; got:\n%s", out.String())
	cancel()
	require.NoError(t, <-done)
	got := out.String()
	assert.NotContains(t, got, "$ old", "what was there before following is not shown without a backlog")
	for w := 0; w < 3; w++ {
		last := -1
		for _, line := range strings.Split(got, "\n") {
			i := strings.Index(line, " $ echo ")
			if i < 0 {
				continue
			}
			var gw, gi int
			if _, err := fmt.Sscanf(line[i+3:], "echo %d-%d", &gw, &gi); err != nil || gw != w {
				continue
			}
			assert.Equal(t, last+1, gi, "session %d's commands show once each, in order", w+1)
			last = gi
		}
		assert.Equal(t, n-1, last)
	}
	assert.Contains(t, got, "[2_local] -- session 2_local opened (local) in /w", "a new session file shows from its first line")
	assert.Equal(t, 0, l.Skipped(), "no line was read half-written")
}

// TestFollowRetentionAndTruncation: a deleted file stops being followed
// without an error; a shared file truncated is read again from its start.
func TestFollowRetentionAndTruncation(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, fileName("1_local", base))
	newAuditFile(t, old).write(openEv("1_local", "local", "/", base))
	keep := newAuditFile(t, filepath.Join(dir, fileName("2_local", base+1)))
	keep.write(openEv("2_local", "local", "/", base+1))
	l, err := Open(dir, nil)
	require.NoError(t, err)
	defer l.Close()
	require.Len(t, l.Sessions(), 2)
	require.NoError(t, os.Remove(old))
	keep.write(execEv("2_local", "local", "date", "", "", 0, 1, "/", base+2))
	var u Update
	require.Eventually(t, func() bool {
		v := l.Poll()
		u.Gone = append(u.Gone, v.Gone...)
		u.Events = append(u.Events, v.Events...)
		return len(u.Gone) > 0
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, []string{fileName("1_local", base)}, u.Gone, "the deleted session is gone")
	assert.Len(t, l.Sessions(), 1)
	require.Len(t, u.Events, 1, "the other session goes on")
	assert.Equal(t, "date", u.Events[0].Command)

	shared := filepath.Join(t.TempDir(), "audit.jsonl")
	a := newAuditFile(t, shared)
	a.write(openEv("1_local", "local", "/", base), execEv("1_local", "local", "one", "", "", 0, 1, "/", base+1))
	sl, err := Open(shared, nil)
	require.NoError(t, err)
	defer sl.Close()
	require.NoError(t, os.Truncate(shared, 0))
	b := newAuditFile(t, shared)
	b.write(openEv("9_local", "local", "/", base+5))
	u = sl.Poll()
	assert.True(t, u.Reset, "a truncated file is a reset")
	require.Len(t, u.Events, 1)
	assert.Equal(t, "9_local", u.Events[0].Session)
	ss := sl.Sessions()
	require.Len(t, ss, 1, "what was truncated away is forgotten")
	assert.Equal(t, "9_local", ss[0].ID)
}

func TestStatus(t *testing.T) {
	for want, r := range map[string]*Result{
		"ok (12ms)":                 {DurationMS: 12},
		"x exit 1 (3420ms)":         {ExitCode: 1, DurationMS: 3420},
		"ok (40ms, files +1 ~2 -0)": {DurationMS: 40, Files: &Files{Created: 1, Modified: 2, Paths: []string{"A a", "M b", "M c"}}},
		"ok (40ms)":                 {DurationMS: 40, Files: &Files{}},
		"ok (41ms, 2 redacted)":     {DurationMS: 41, Redacted: 2, Files: &Files{Error: "the files were not compared: x"}},
		"x timed out, exit -1 (300ms); goes on as job j_1": {ExitCode: -1, TimedOut: true, DurationMS: 300, JobID: "j_1"},
	} {
		assert.Equal(t, want, Status(r))
	}
}
