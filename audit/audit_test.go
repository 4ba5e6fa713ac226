package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain doubles as a helper process that writes an audit log under a
// file-size limit, so a write fails halfway as on a full disk.
func TestMain(m *testing.M) {
	if limit := os.Getenv("AUDIT_HELPER_FSIZE"); limit != "" {
		os.Exit(fsizeHelper(limit, os.Getenv("AUDIT_HELPER_FILE")))
	}
	os.Exit(m.Run())
}

// line is an audit line as a reader sees it.
type line struct {
	Seq       int64           `json:"seq"`
	Prev      string          `json:"prev"`
	Type      string          `json:"type"`
	Session   string          `json:"session"`
	Transport string          `json:"transport"`
	Time      int64           `json:"time"`
	Command   string          `json:"command"`
	Error     string          `json:"error"`
	Cwd       string          `json:"cwd"`
	Result    *execkit.Result `json:"result"`
}

func readLines(t testing.TB, path string) []line {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxLineLen)
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "every audit line must be one JSON object: %q", sc.Text())
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

func openFileLog(t testing.TB) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(&Config{File: path})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, path
}

var when = time.UnixMilli(1_733_000_000_123)

func TestRecordEvents(t *testing.T) {
	tests := []struct {
		name  string
		event execkit.Event
		check func(t *testing.T, l line)
	}{
		{
			name:  "open",
			event: execkit.Event{Type: "open", Session: "1_local", Transport: "local", Time: when, Cwd: "/srv"},
			check: func(t *testing.T, l line) { assert.Equal(t, "/srv", l.Cwd) },
		},
		{
			name: "exec",
			event: execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Time: when, Command: "make test",
				Result: &execkit.Result{Stdout: "ok\n", Stderr: "warn\n", ExitCode: 2, Duration: 1500 * time.Millisecond, Cwd: "/srv", Redacted: 1}},
			check: func(t *testing.T, l line) {
				assert.Equal(t, "make test", l.Command)
				require.NotNil(t, l.Result)
				assert.Equal(t, "ok\n", l.Result.Stdout)
				assert.Equal(t, "warn\n", l.Result.Stderr)
				assert.Equal(t, 2, l.Result.ExitCode)
				assert.Equal(t, 1500*time.Millisecond, l.Result.Duration)
				assert.Equal(t, 1, l.Result.Redacted)
			},
		},
		{
			name: "timed out exec",
			event: execkit.Event{Type: "exec", Session: "2_ssh_bob@db:2222", Transport: "ssh", Time: when, Command: "sleep 99",
				Result: &execkit.Result{ExitCode: 130, TimedOut: true}},
			check: func(t *testing.T, l line) {
				assert.Equal(t, "ssh", l.Transport)
				assert.True(t, l.Result.TimedOut)
			},
		},
		{
			name:  "blocked",
			event: execkit.Event{Type: "blocked", Session: "1_local", Transport: "local", Time: when, Command: "rm -rf /", Error: "policy: denied by operator deny rule 'rm'"},
			check: func(t *testing.T, l line) {
				assert.Equal(t, "rm -rf /", l.Command)
				assert.Contains(t, l.Error, "deny rule 'rm'")
				assert.Nil(t, l.Result)
			},
		},
		{
			name:  "close",
			event: execkit.Event{Type: "close", Session: "1_local", Transport: "local", Time: when},
			check: func(t *testing.T, l line) { assert.Empty(t, l.Command) },
		},
		{
			name:  "future event type",
			event: execkit.Event{Type: "checkpoint", Session: "1_local", Transport: "local", Time: when},
			check: func(t *testing.T, l line) { assert.Equal(t, "checkpoint", l.Type) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, path := openFileLog(t)
			require.NoError(t, log.Record(&tt.event))
			lines := readLines(t, path)
			require.Len(t, lines, 1)
			l := lines[0]
			assert.Equal(t, int64(1), l.Seq)
			assert.Equal(t, Genesis, l.Prev, "a file's first line starts the chain")
			assert.Equal(t, tt.event.Type, l.Type)
			assert.Equal(t, tt.event.Session, l.Session)
			assert.Equal(t, tt.event.Transport, l.Transport)
			assert.Equal(t, when.UnixMilli(), l.Time, "time is epoch milliseconds")
			tt.check(t, l)
			n, err := Verify(path)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
		})
	}
}

// TestBlockedErrorIsRedacted: a denial quotes the command it refused; the
// log re-redacts that text rather than trust it.
func TestBlockedErrorIsRedacted(t *testing.T) {
	log, path := openFileLog(t)
	token := "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	require.NoError(t, log.Record(&execkit.Event{Type: "blocked", Session: "1_local", Transport: "local",
		Command: "curl -H 'Authorization: token [REDACTED]' x | sh",
		Error:   "policy: denied by session dynamic command rule (found in: curl -H 'Authorization: token " + token + "' x | sh)"}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), token)
	assert.Contains(t, string(data), "dynamic command rule")
}

func TestLineStartsWithChainFields(t *testing.T) {
	log, path := openFileLog(t)
	require.NoError(t, log.Record(&execkit.Event{Type: "open", Session: "1_local", Transport: "local", Time: when}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), `{"seq":1,"prev":"`+Genesis+`","type":"open"`), "got %s", data)
}

// TestNoForgedLines: whatever a command or its output contains, an event is
// one line and decodes back to what was recorded.
func TestNoForgedLines(t *testing.T) {
	forged := `{"seq":2,"prev":"` + Genesis + `","type":"exec","session":"1_local","command":"innocent"}`
	hostile := []string{
		"echo hi\n" + forged,
		"echo hi\r\n" + forged + "\n",
		`"}` + "\n" + forged,
		"\u2028" + forged + "\u2029",
		"\x00\x1b[2J\x7f\n\n\n",
		strings.Repeat("\n", 1000),
		"\\n\\\"",
	}
	for i, cmd := range hostile {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			log, path := openFileLog(t)
			for j := 0; j < 3; j++ {
				require.NoError(t, log.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: cmd,
					Result: &execkit.Result{Stdout: cmd, Stderr: cmd}}))
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, 3, bytes.Count(data, []byte("\n")), "three events must be exactly three lines")
			lines := readLines(t, path)
			require.Len(t, lines, 3)
			for _, l := range lines {
				assert.Equal(t, "exec", l.Type)
				assert.Equal(t, cmd, l.Command)
				assert.Equal(t, cmd, l.Result.Stdout)
			}
			n, err := Verify(path)
			require.NoError(t, err)
			assert.Equal(t, 3, n)
		})
	}
}

func TestConcurrentSessionsNeverInterleave(t *testing.T) {
	log, path := openFileLog(t)
	// A second Log on the same file stands in for a second process.
	other, err := Open(&Config{File: path})
	require.NoError(t, err)
	defer other.Close()

	const writers, each = 16, 40
	big := strings.Repeat("x", 5000) // more than PIPE_BUF: no atomicity for free
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := log
			if w%2 == 1 {
				target = other
			}
			id := strconv.Itoa(w) + "_local"
			for i := 0; i < each; i++ {
				assert.NoError(t, target.Record(&execkit.Event{Type: "exec", Session: id, Transport: "local",
					Command: fmt.Sprintf("echo %d", i), Result: &execkit.Result{Stdout: big}}))
			}
		}()
	}
	wg.Wait()
	lines := readLines(t, path)
	require.Len(t, lines, writers*each)
	for i, l := range lines {
		assert.Equal(t, int64(i+1), l.Seq)
		assert.Equal(t, big, l.Result.Stdout)
	}
	n, err := Verify(path)
	require.NoError(t, err, "two writers on one file must keep one chain")
	assert.Equal(t, writers*each, n)
}

func TestReopenContinuesChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for round := 0; round < 3; round++ {
		l, err := Open(&Config{File: path})
		require.NoError(t, err)
		for i := 0; i < 2; i++ {
			require.NoError(t, l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: "true"}))
		}
		require.NoError(t, l.Close())
	}
	n, err := Verify(path)
	require.NoError(t, err)
	assert.Equal(t, 6, n)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the audit file holds commands: owner only")
}

func TestVerifyFindsTampering(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	l, err := Open(&Config{File: path})
	require.NoError(t, err)
	for i := 1; i <= 5; i++ {
		require.NoError(t, l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: "echo " + strconv.Itoa(i), Result: &execkit.Result{Stdout: strconv.Itoa(i) + "\n"}}))
	}
	require.NoError(t, l.Close())
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(orig), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	require.Len(t, lines, 5)
	join := func(ls ...string) string { return strings.Join(ls, "") }

	tests := []struct {
		name   string
		text   string
		line   int
		reason string
	}{
		{"edited command", join(lines[0], lines[1], strings.Replace(lines[2], "echo 3", "echo 9", 1), lines[3], lines[4]), 4, "prev does not match"},
		{"edited last line", join(lines[0], lines[1], lines[2], lines[3], strings.Replace(lines[4], "echo 5", "rm -rf", 1)), 0, ""},
		{"removed line", join(lines[0], lines[1], lines[3], lines[4]), 3, "seq is 4 where 3 was due"},
		{"swapped lines", join(lines[0], lines[2], lines[1], lines[3], lines[4]), 2, "seq is 3 where 2 was due"},
		{"removed first line", join(lines[1], lines[2], lines[3], lines[4]), 1, "seq is 2 where 1 was due"},
		{"inserted line", join(lines[0], lines[1], lines[1], lines[2], lines[3], lines[4]), 3, "seq is 2 where 3 was due"},
		{"forged line with a fixed seq", join(lines[0], lines[1], strings.Replace(lines[1], `"seq":2`, `"seq":3`, 1), lines[3], lines[4]), 3, "prev does not match"},
		{"torn last line", join(lines[0], lines[1], lines[2], lines[3], lines[4][:20]), 5, "cut short"},
		{"not json", join(lines[0], "hello\n", lines[1]), 2, "not a JSON event"},
		{"json without chain", join(lines[0], `{"type":"exec"}`+"\n"), 2, `lacks "seq"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".jsonl")
			require.NoError(t, os.WriteFile(p, []byte(tt.text), 0o600))
			_, err := Verify(p)
			if tt.line == 0 {
				// The last line has nothing after it to point at it:
				// the limit the package doc states.
				assert.NoError(t, err)
				return
			}
			var ce *ChainError
			require.ErrorAs(t, err, &ce, "a tampered log must not verify")
			assert.Equal(t, tt.line, ce.Line)
			assert.Contains(t, ce.Reason, tt.reason)
			assert.Contains(t, err.Error(), "audit: chain broken at line "+strconv.Itoa(tt.line))
		})
	}
	t.Run("intact", func(t *testing.T) {
		n, err := Verify(path)
		require.NoError(t, err)
		assert.Equal(t, 5, n)
	})
	// What the chain cannot see, a recorded tip can.
	t.Run("against a recorded tip", func(t *testing.T) {
		tip, err := VerifyTip(path)
		require.NoError(t, err)
		assert.Equal(t, Tip{Events: 5, Seq: 5, Hash: hashLine([]byte(strings.TrimSuffix(lines[4], "\n")))}, tip)
		again, err := ParseTip(tip.String())
		require.NoError(t, err)
		assert.Equal(t, Tip{Seq: 5, Hash: tip.Hash}, again)

		_, err = VerifyAgainst(path, tip)
		assert.NoError(t, err, "the file it was taken from")
		mid, err := VerifyAgainst(path, Tip{Seq: 3, Hash: hashLine([]byte(strings.TrimSuffix(lines[2], "\n")))})
		assert.NoError(t, err, "an older tip of the same file")
		assert.Equal(t, 5, mid.Events)

		check := func(name, text string, line int, reason string) {
			p := filepath.Join(dir, name+".jsonl")
			require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
			_, err := VerifyTip(p)
			require.NoError(t, err, "%s: the chain alone cannot tell", name)
			_, err = VerifyAgainst(p, tip)
			var ce *ChainError
			require.ErrorAs(t, err, &ce, name)
			assert.Equal(t, line, ce.Line, name)
			assert.Contains(t, ce.Reason, reason, name)
		}
		check("tip_edited_last", join(lines[0], lines[1], lines[2], lines[3], strings.Replace(lines[4], "echo 5", "rm -rf", 1)), 5, "seq 5 is not the one recorded")
		check("tip_removed_last", join(lines[0], lines[1], lines[2], lines[3]), 5, "ends at seq 4, before the recorded tip's seq 5")
		check("tip_emptied", "", 1, "ends at seq 0")

		got, err := VerifyAgainst(path, Tip{Seq: 3, Hash: tip.Hash})
		var ce *ChainError
		require.ErrorAs(t, err, &ce, "a tip whose hash is another line's")
		assert.Equal(t, 3, ce.Line)
		assert.Equal(t, 2, got.Events, "the lines before the one at fault are verified")
		for _, bad := range []string{"0:" + tip.Hash, "", "5", "5:", "x:" + tip.Hash, "-1:" + tip.Hash, "5:" + strings.ToUpper(tip.Hash), "5:" + tip.Hash[:10], "5:\n" + tip.Hash} {
			_, err := ParseTip(bad)
			assert.Error(t, err, "%q is not a tip", bad)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Verify(filepath.Join(dir, "nope.jsonl"))
		var ce *ChainError
		assert.False(t, errors.As(err, &ce))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestTornTailIsReportedNotHidden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(&Config{File: path})
	require.NoError(t, err)
	require.NoError(t, l.Record(&execkit.Event{Type: "open", Session: "1_local", Transport: "local"}))
	require.NoError(t, l.Close())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"seq":2,"prev":"ab`) // a torn write
	require.NoError(t, err)
	f.Close()

	l, err = Open(&Config{File: path})
	require.NoError(t, err)
	require.NoError(t, l.Record(&execkit.Event{Type: "close", Session: "1_local", Transport: "local"}))
	require.NoError(t, l.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 3, bytes.Count(data, []byte("\n")), "the torn line is ended, not glued to the next event")
	_, err = Verify(path)
	var ce *ChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 2, ce.Line)
}

func TestBoundedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(&Config{File: path, MaxOutput: 1000})
	require.NoError(t, err)
	defer l.Close()
	huge := strings.Repeat("é", 1<<20)
	require.NoError(t, l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: huge,
		Result: &execkit.Result{Stdout: huge, Stderr: "short"}}))
	lines := readLines(t, path)
	require.Len(t, lines, 1)
	r := lines[0].Result
	assert.LessOrEqual(t, len(r.Stdout), 1000)
	assert.Contains(t, r.Stdout, "bytes omitted")
	assert.True(t, strings.HasPrefix(r.Stdout, "éé") && strings.HasSuffix(r.Stdout, "éé"), "head and tail are kept, cut at rune boundaries")
	assert.Equal(t, "short", r.Stderr)
	assert.True(t, r.Truncated)
	assert.LessOrEqual(t, len(lines[0].Command), MaxCommand)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, info.Size(), int64(MaxCommand+2000))
}

func TestClip(t *testing.T) {
	tests := []struct {
		in  string
		max int
	}{
		{"", 10}, {"short", 10}, {strings.Repeat("a", 100), 50}, {strings.Repeat("日本", 100), 60}, {strings.Repeat("a", 100), 5},
	}
	for _, tt := range tests {
		out := clip(tt.in, tt.max)
		if len(tt.in) <= tt.max {
			assert.Equal(t, tt.in, out)
			continue
		}
		assert.Contains(t, out, "omitted")
		assert.True(t, len(out) <= tt.max || len(out) <= 40, "clip(%d bytes, %d) gave %d bytes", len(tt.in), tt.max, len(out))
		assert.True(t, strings.ToValidUTF8(out, "?") == out, "clip keeps valid UTF-8")
	}
}

func TestDirOneFilePerSession(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	l, err := Open(&Config{Dir: dir})
	require.NoError(t, err)
	ids := []string{"1_local", "2_ssh_bob@db:22", "3_docker_../../etc"}
	for _, id := range ids {
		require.NoError(t, l.Record(&execkit.Event{Type: "open", Session: id, Transport: "local", Time: when}))
		require.NoError(t, l.Record(&execkit.Event{Type: "exec", Session: id, Transport: "local", Command: "id"}))
	}
	require.NoError(t, l.Record(&execkit.Event{Type: "close", Session: ids[0], Transport: "local"}))
	// A new session reusing an id (a restarted server) gets a file of its own.
	require.NoError(t, l.Record(&execkit.Event{Type: "open", Session: ids[0], Transport: "local", Time: when}))
	require.NoError(t, l.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		assert.Regexp(t, sessionFile, e.Name())
		n, err := Verify(filepath.Join(dir, e.Name()))
		require.NoError(t, err, "each session file has its own chain")
		assert.GreaterOrEqual(t, n, 1)
	}
	assert.ElementsMatch(t, []string{
		"20241130T205320.123Z_1_local.jsonl",
		"20241130T205320.123Z_1_local-1.jsonl",
		"20241130T205320.123Z_2_ssh_bob@db_22.jsonl",
		"20241130T205320.123Z_3_docker_.._.._etc.jsonl",
	}, names, "ids are made file-safe: no path separators")
	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestRetention(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-20 * 24 * time.Hour)
	touch := func(name string, mtime time.Time) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("{}\n"), 0o600))
		require.NoError(t, os.Chtimes(p, mtime, mtime))
	}
	touch("20240101T000000.000Z_1_local.jsonl", old)
	touch("20240101T000000.000Z_2_local.jsonl", time.Now())
	touch("notes.txt", old)       // not the log's: kept
	touch("important.jsonl", old) // not named like the log's: kept
	touch("20240101T000000.000Z_3_local.jsonl", old.Add(10*24*time.Hour))

	saved := sweepEvery
	sweepEvery = 20 * time.Millisecond
	defer func() { sweepEvery = saved }()

	l, err := Open(&Config{Dir: dir, RetentionDays: 14})
	require.NoError(t, err)
	defer l.Close()
	assert.NoFileExists(t, filepath.Join(dir, "20240101T000000.000Z_1_local.jsonl"), "a file older than the retention goes at start")
	assert.FileExists(t, filepath.Join(dir, "20240101T000000.000Z_2_local.jsonl"))
	assert.FileExists(t, filepath.Join(dir, "20240101T000000.000Z_3_local.jsonl"))
	assert.FileExists(t, filepath.Join(dir, "notes.txt"))
	assert.FileExists(t, filepath.Join(dir, "important.jsonl"))

	// A live session's file is never swept, however old its mtime.
	require.NoError(t, l.Record(&execkit.Event{Type: "open", Session: "9_local", Transport: "local", Time: when}))
	live := filepath.Join(dir, "20241130T205320.123Z_9_local.jsonl")
	require.FileExists(t, live)
	require.NoError(t, os.Chtimes(live, old, old))
	// And the sweep runs on its own timer, not only at start.
	touch("20240101T000000.000Z_4_local.jsonl", old)
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "20240101T000000.000Z_4_local.jsonl"))
		return os.IsNotExist(err)
	}, 5*time.Second, 10*time.Millisecond, "the periodic sweep removes files that age out later")
	assert.FileExists(t, live)
	require.NoError(t, l.Record(&execkit.Event{Type: "close", Session: "9_local", Transport: "local"}))
	require.NoError(t, os.Chtimes(live, old, old))
	require.Eventually(t, func() bool {
		_, err := os.Stat(live)
		return os.IsNotExist(err)
	}, 5*time.Second, 10*time.Millisecond, "once closed, an old session file ages out too")
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o600))
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o500))
	tests := []struct {
		name string
		cfg  *Config
		want string
	}{
		{"nil", nil, "neither a file nor a directory"},
		{"empty", &Config{}, "neither a file nor a directory"},
		{"negative retention", &Config{Dir: dir, RetentionDays: -1}, "retention"},
		{"file is a directory", &Config{File: dir}, "is a directory"},
		{"dir is a file", &Config{Dir: filepath.Join(dir, "file")}, "not a directory"},
		{"file in a missing dir", &Config{File: filepath.Join(dir, "missing", "a.jsonl")}, "no such file"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			cfg  *Config
			want string
		}{"read-only dir", &Config{Dir: ro}, "not writable"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Open(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, l)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "audit: "))
		})
	}
}

// TestFullDiskIsReported: a write that fails is counted and reported, never
// silent.
func TestFullDiskIsReported(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	var seen []error
	l, err := Open(&Config{File: "/dev/full"}, WithErrorFunc(func(err error) { seen = append(seen, err) }))
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Err())
	err = l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: "true"})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	l.Observer()(&execkit.Event{Type: "close", Session: "1_local", Transport: "local"})
	assert.Equal(t, int64(2), l.Lost())
	require.Error(t, l.Err())
	assert.Contains(t, l.Err().Error(), "2 event(s) lost")
	assert.Contains(t, l.Err().Error(), "no space left on device")
	assert.Len(t, seen, 2, "the error func hears of every lost event")
}

// TestShortWriteLeavesNoHalfLine runs a helper process whose file size is
// limited, so that a line is written only in part, as on a disk that fills
// up mid-write.
func TestShortWriteLeavesNoHalfLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AUDIT_HELPER_FSIZE=100000", "AUDIT_HELPER_FILE="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper: %s", out)
	report := strings.TrimSpace(string(out))
	written, lost, ok := strings.Cut(report, " ")
	require.True(t, ok, "helper said %q", report)
	assert.NotEqual(t, "0", lost, "some events must have failed against the limit")
	n, err := Verify(path)
	require.NoError(t, err, "a failed write must not leave half a line")
	assert.Equal(t, written, strconv.Itoa(n))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.LessOrEqual(t, info.Size(), int64(100000))
}

func fsizeHelper(limit, path string) int {
	n, _ := strconv.ParseUint(limit, 10, 64)
	// Without SIGXFSZ ignored, the process dies instead of seeing EFBIG.
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fmt.Println("setrlimit:", err)
		return 1
	}
	l, err := Open(&Config{File: path})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	written := 0
	for i := 0; i < 100; i++ {
		if l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: "cat big",
			Result: &execkit.Result{Stdout: strings.Repeat("y", 7000+i*13)}}) == nil {
			written++
		}
	}
	if l.Err() == nil || !errors.Is(l.Err(), syscall.EFBIG) {
		fmt.Println("expected EFBIG, got", l.Err())
		return 1
	}
	fmt.Println(written, l.Lost())
	return 0
}

// TestObserverWithARealSession attaches the log to a real local session and
// checks what it records, including a denied and a timed-out command.
func TestObserverWithARealSession(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	log, path := openFileLog(t)
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, &execkit.Config{
		Dir:     t.TempDir(),
		Policy:  &policy.Policy{Deny: []string{"shutdown"}},
		Secrets: []string{"hunter2-hunter2"},
		Grace:   200 * time.Millisecond,
	}, execkit.WithObserver(log.Observer()))
	require.NoError(t, err)
	_, err = s.Exec(ctx, "echo hello; echo oops >&2; exit_code=3; (exit 3)", nil)
	require.NoError(t, err)
	_, err = s.Exec(ctx, "echo the password is hunter2-hunter2", nil)
	require.NoError(t, err)
	_, err = s.Exec(ctx, "sudo shutdown -h now", nil)
	require.Error(t, err)
	_, err = s.Exec(ctx, "sleep 30", &execkit.ExecOptions{Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	lines := readLines(t, path)
	var types []string
	for _, l := range lines {
		types = append(types, l.Type)
		assert.Equal(t, s.ID(), l.Session)
		assert.Equal(t, "local", l.Transport)
		assert.InDelta(t, time.Now().UnixMilli(), l.Time, 60_000)
	}
	require.Equal(t, []string{"open", "exec", "exec", "blocked", "exec", "close"}, types)
	assert.Equal(t, "hello\n", lines[1].Result.Stdout)
	assert.Equal(t, "oops\n", lines[1].Result.Stderr)
	assert.Equal(t, 3, lines[1].Result.ExitCode, "failed commands are audited with their exit code")
	assert.NotContains(t, lines[2].Command+lines[2].Result.Stdout, "hunter2-hunter2", "the audit log holds redacted text only")
	assert.Contains(t, lines[3].Error, "shutdown")
	assert.True(t, lines[4].Result.TimedOut)
	n, err := Verify(path)
	require.NoError(t, err)
	assert.Equal(t, 6, n)
}

func FuzzRecord(f *testing.F) {
	f.Add("echo hi", "hi\n")
	f.Add("echo hi\n{\"seq\":2,\"prev\":\"0\",\"type\":\"exec\"}", "\"}\n{")
	f.Add("\x00\xff\xfe\u2028", "\x1b[31mred\x1b[0m\r\n")
	f.Add(strings.Repeat("\n", 64), strings.Repeat("\\", 64))
	f.Fuzz(func(t *testing.T, command, stdout string) {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		l, err := Open(&Config{File: path, MaxOutput: 4096})
		require.NoError(t, err)
		defer l.Close()
		for i := 0; i < 2; i++ {
			require.NoError(t, l.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: command,
				Result: &execkit.Result{Stdout: stdout}}))
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, 2, bytes.Count(data, []byte("\n")), "two events, two lines, whatever the command holds")
		n, err := Verify(path)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		for _, ln := range bytes.SplitAfter(data, []byte("\n"))[:2] {
			var got line
			require.NoError(t, json.Unmarshal(ln, &got))
			require.Equal(t, "exec", got.Type)
			if len(command) <= MaxCommand && strings.ToValidUTF8(command, "") == command {
				require.Equal(t, command, got.Command)
			}
		}
	})
}

// BenchmarkRecord measures one exec event's line, against writing the same
// bytes with a bare O_APPEND write (the floor).
func BenchmarkRecord(b *testing.B) {
	ev := &execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Time: when, Command: "go test ./...",
		Result: &execkit.Result{Stdout: strings.Repeat("ok  \tgithub.com/execkit/execkit\t0.123s\n", 40), ExitCode: 0, Cwd: "/src"}}
	dir := b.TempDir()

	// Baseline: the same line, written raw.
	body, _ := json.Marshal(ev)
	raw, err := os.OpenFile(filepath.Join(dir, "raw.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(b, err)
	lineBytes := append(body, '\n')
	const baseN = 2000
	start := time.Now()
	for i := 0; i < baseN; i++ {
		raw.Write(lineBytes)
	}
	base := time.Since(start) / baseN
	raw.Close()

	l, err := Open(&Config{File: filepath.Join(dir, "audit.jsonl")})
	require.NoError(b, err)
	defer l.Close()
	b.SetBytes(int64(len(lineBytes)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.Record(ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(base), "x-raw-write")
	b.ReportMetric(float64(time.Second)/float64(per), "events/s")
}

func BenchmarkRecordParallel(b *testing.B) {
	l, err := Open(&Config{Dir: b.TempDir()})
	require.NoError(b, err)
	defer l.Close()
	var seq int64
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		seq++
		id := strconv.FormatInt(seq, 10) + "_local"
		mu.Unlock()
		ev := &execkit.Event{Type: "exec", Session: id, Transport: "local", Command: "true", Result: &execkit.Result{Stdout: "x\n"}}
		for pb.Next() {
			l.Record(ev)
		}
	})
}
