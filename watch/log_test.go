package watch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/audit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealAuditWriter: what audit.Log writes, in a dir and in a shared
// file, is what the viewer reads (the fast count included).
func TestRealAuditWriter(t *testing.T) {
	for _, shared := range []bool{false, true} {
		dir := t.TempDir()
		cfg := &audit.Config{Dir: dir}
		path := dir
		if shared {
			path = filepath.Join(dir, "audit.jsonl")
			cfg = &audit.Config{File: path}
		}
		w, err := audit.Open(cfg)
		require.NoError(t, err)
		at := time.UnixMilli(base)
		w.Record(&execkit.Event{Type: "open", Session: "1_local", Transport: "local", Cwd: "/srv", Time: at})
		w.Record(&execkit.Event{Type: "exec", Session: "1_local", Transport: "local", Command: "printf 'a\\n' && false", Time: at.Add(time.Second),
			Result: &execkit.Result{Stdout: "a\n", Stderr: "<err>\n", ExitCode: 1, Duration: 42 * time.Millisecond, Cwd: "/srv"}})
		w.Record(&execkit.Event{Type: "blocked", Session: "1_local", Transport: "local", Command: "rm -rf /", Error: "denied", Time: at.Add(2 * time.Second)})
		w.Record(&execkit.Event{Type: "checkpoint", Session: "1_local", Transport: "local", Time: at.Add(3 * time.Second)})
		w.Record(&execkit.Event{Type: "close", Session: "1_local", Transport: "local", Time: at.Add(4 * time.Second)})
		require.NoError(t, w.Close())

		l, err := Open(path, nil)
		require.NoError(t, err)
		l.counter.Wait()
		ss := l.Sessions()
		require.Len(t, ss, 1)
		assert.Equal(t, "1_local", ss[0].ID)
		assert.Equal(t, 2, ss[0].Commands, "exec and blocked count as commands")
		assert.Equal(t, 2, ss[0].Failed)
		assert.True(t, ss[0].Closed)
		tr, err := l.Transcript(ss[0].Key)
		require.NoError(t, err)
		require.Len(t, tr.Events, 5)
		assert.False(t, tr.More)
		var out bytes.Buffer
		p := &Printer{W: &out}
		for _, e := range tr.Events {
			p.Print(e)
		}
		assert.Equal(t, `[1_local] -- session 1_local opened (local) in /srv
[1_local] /srv $ printf 'a\n' && false
[1_local] a
[1_local] <err>
[1_local] x exit 1 (42ms)
[1_local] /srv $ rm -rf /
[1_local] x blocked: denied
[1_local] -- checkpoint
[1_local] -- session 1_local closed
`, out.String())
		l.Close()
	}
}

// TestSharedFile: in one shared file, the sessions of the whole history are
// listed (the count finds those the tail did not show), a session's lives
// show one after the other, and a session not in the tail loads on demand.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a := newAuditFile(t, path)
	a.write(openEv("1_local", "local", "/old", base), execEv("1_local", "local", "first life", "", "", 0, 1, "/old", base+1), closeEv("1_local", "local", base+2))
	a.write(openEv("2_local", "local", "/two", base+3), execEv("2_local", "local", "only early", "", "", 0, 1, "/two", base+4))
	// A restart: id 1_local again, and a lot of it.
	a.write(openEv("1_local", "local", "/new", base+10))
	for i := 0; i < 3000; i++ {
		a.write(execEv("1_local", "local", fmt.Sprintf("cmd %d", i), "", "", 0, 1, "/new", base+20+int64(i)))
	}
	l, err := Open(path, &Config{Tail: 100})
	require.NoError(t, err)
	defer l.Close()
	l.counter.Wait()
	ss := l.Sessions()
	require.Len(t, ss, 2, "the count finds the session the tail did not reach")
	byID := map[string]Session{}
	for _, s := range ss {
		byID[s.ID] = s
	}
	assert.Equal(t, 3001, byID["1_local"].Commands, "both lives are counted")
	assert.Equal(t, 1, byID["2_local"].Commands)

	tr, err := l.Transcript("2_local")
	require.NoError(t, err, "a session outside the tail loads from its place in the file")
	require.Len(t, tr.Events, 2)
	assert.Equal(t, "only early", tr.Events[1].Command)
	assert.False(t, tr.More)

	tr, err = l.Transcript("1_local")
	require.NoError(t, err)
	assert.True(t, tr.More)
	for tr.More {
		n, err := l.LoadEarlier("1_local", 1000)
		require.NoError(t, err)
		tr, _ = l.Transcript("1_local")
		if n == 0 {
			break
		}
	}
	assert.Equal(t, 3000+4, len(tr.Events), "both lives, open and close included")
	assert.Equal(t, "first life", tr.Events[1].Command)

	var txt bytes.Buffer
	require.NoError(t, l.Export(&txt, "2_local", FormatText))
	assert.Equal(t, "# session 2_local (local), from the audit file audit.jsonl\n-- session 2_local opened (local) in /two\n/two $ only early\nok (1ms)\n", txt.String(), "an export holds the one session")
}

// TestBoundedMemory: transcripts beyond MaxBytes are dropped, least
// recently shown first, and read again when shown.
func TestBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("%d_local", i)
		a := newAuditFile(t, filepath.Join(dir, fileName(id, base+int64(i))))
		a.write(openEv(id, "local", "/", base))
		for j := 0; j < 100; j++ {
			a.write(execEv(id, "local", "cat big", strings.Repeat("x", 1000), "", 0, 1, "/", base+int64(j)))
		}
	}
	l, err := Open(dir, &Config{MaxBytes: 300 << 10})
	require.NoError(t, err)
	defer l.Close()
	for _, s := range l.Sessions() {
		tr, err := l.Transcript(s.Key)
		require.NoError(t, err)
		assert.Equal(t, 101, len(tr.Events))
		l.mu.Lock()
		assert.LessOrEqual(t, l.loaded, int64(300<<10)+int64(120<<10), "kept bytes stay near the bound")
		l.mu.Unlock()
	}
	first := l.Sessions()[0].Key
	tr, err := l.Transcript(first)
	require.NoError(t, err)
	assert.Equal(t, 101, len(tr.Events), "a dropped transcript is read again")
}

// TestUnreadableLines: lines that are not events are skipped and counted,
// and a symlink in the directory is not followed.
func TestUnreadableLines(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/", base))
	a.raw([]byte("not json\n{\"seq\":2}\n"))
	a.write(execEv("1_local", "local", "ls", "", "", 0, 1, "/", base+1))
	secret := filepath.Join(t.TempDir(), "secret.jsonl")
	newAuditFile(t, secret).write(openEv("9_secret", "local", "/", base))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, fileName("9_secret", base))))
	l, err := Open(dir, nil)
	require.NoError(t, err)
	defer l.Close()
	l.counter.Wait()
	ss := l.Sessions()
	require.Len(t, ss, 1, "a symlink is not an audit file")
	assert.Equal(t, 2, l.Skipped())
	tr, err := l.Transcript(ss[0].Key)
	require.NoError(t, err)
	assert.Len(t, tr.Events, 2)
}
