package watch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./watch/ -update")
	assert.Equal(t, string(want), got, "output differs from %s (go test ./watch/ -update rewrites it)", path)
}

// ev is an event as the audit writer lays it out: its fields in
// execkit.Event's order, "time" last.
type ev struct {
	Type      string  `json:"type"`
	Session   string  `json:"session"`
	Transport string  `json:"transport"`
	Command   string  `json:"command,omitempty"`
	Result    *Result `json:"result,omitempty"`
	Error     string  `json:"error,omitempty"`
	Cwd       string  `json:"cwd,omitempty"`
	Time      int64   `json:"time"`
}

// auditFile writes lines the way audit.Log does: seq, prev hash, event.
type auditFile struct {
	t    testing.TB
	path string
	seq  int64
	prev string
}

func newAuditFile(t testing.TB, path string) *auditFile {
	return &auditFile{t: t, path: path, prev: strings.Repeat("0", 64)}
}

// line returns e's line, newline included, and advances the chain.
func (a *auditFile) line(e any) []byte {
	body, err := json.Marshal(e)
	require.NoError(a.t, err)
	a.seq++
	content := []byte(`{"seq":` + strconv.FormatInt(a.seq, 10) + `,"prev":"` + a.prev + `",`)
	content = append(content, body[1:]...)
	sum := sha256.Sum256(content)
	a.prev = hex.EncodeToString(sum[:])
	return append(content, '\n')
}

func (a *auditFile) write(evs ...any) {
	for _, e := range evs {
		a.raw(a.line(e))
	}
}

func (a *auditFile) raw(b []byte) {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(a.t, err)
	_, err = f.Write(b)
	require.NoError(a.t, err)
	require.NoError(a.t, f.Close())
}

// base is the fixtures' clock: 2025-01-02 15:04:05 UTC.
var base = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC).UnixMilli()

func openEv(id, transport, cwd string, at int64) ev {
	return ev{Type: "open", Session: id, Transport: transport, Cwd: cwd, Time: at}
}

func execEv(id, transport, cmd, stdout, stderr string, code int, ms int64, cwd string, at int64) ev {
	return ev{Type: "exec", Session: id, Transport: transport, Command: cmd, Time: at,
		Result: &Result{Stdout: stdout, Stderr: stderr, ExitCode: code, DurationMS: ms, Cwd: cwd}}
}

func closeEv(id, transport string, at int64) ev {
	return ev{Type: "close", Session: id, Transport: transport, Time: at}
}

// fileName is the audit writer's name for a session's file.
func fileName(id string, at int64) string {
	return time.UnixMilli(at).UTC().Format("20060102T150405.000Z") + "_" + id + ".jsonl"
}

// writeFixture writes a directory of three sessions, one per transport,
// with what a viewer must show right: failures, stderr, a blocked command,
// a multi-line command, hostile text.
func writeFixture(t testing.TB, dir string) {
	t.Helper()
	l := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	l.write(
		openEv("1_local", "local", "/srv", base),
		execEv("1_local", "local", "npm test", "> app@1.0.0 test\n> node test.js\n\n3 passing\n", "Error: 1 failing\n  at test.js:12\n", 1, 3420, "/srv", base+1000),
		execEv("1_local", "local", "cd web && ls", "index.html\nstyle.css\n", "", 0, 12, "/srv/web", base+5000),
		execEv("1_local", "local", "cat <<'EOF' > notes.txt\nhello\nEOF", "", "", 0, 3, "/srv/web", base+6000),
	)
	s := newAuditFile(t, filepath.Join(dir, fileName("2_ssh_bob@build", base+2000)))
	s.write(
		openEv("2_ssh_bob@build", "ssh", "/home/bob", base+2000),
		execEv("2_ssh_bob@build", "ssh", "make -j2", "cc -o app main.c\n", "main.c:3: warning: unused variable\n", 0, 812, "/home/bob", base+3000),
		execEv("2_ssh_bob@build", "ssh", "sleep 100", "", "", 130, 30000, "/home/bob", base+34000),
		closeEv("2_ssh_bob@build", "ssh", base+35000),
	)
	d := newAuditFile(t, filepath.Join(dir, fileName("3_docker_web", base+4000)))
	blocked := ev{Type: "blocked", Session: "3_docker_web", Transport: "docker", Command: "rm -rf /", Error: `policy: "rm" is denied by the operator's rule deny rm`, Time: base + 7000}
	timeout := execEv("3_docker_web", "docker", "curl -s localhost:8080", "", "", 130, 30000, "/app", base+9000)
	timeout.Result.TimedOut = true
	d.write(
		openEv("3_docker_web", "docker", "/app", base+4000),
		blocked,
		execEv("3_docker_web", "docker", "echo '<script>alert(1)</script>'", "<script>alert(1)</script>\n", "\x1b[2J\x1b]0;pwned\x07bell\n", 0, 4, "/app", base+8000),
		timeout,
		execEv("3_docker_web", "docker", "env | grep TOKEN", "API_TOKEN=[REDACTED]\n", "", 0, 2, "/app", base+10000),
	)
}

// collect reads every event of a file, in order.
func readAll(t testing.TB, l *Log, key string) []*Event {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, l.Export(&buf, key, FormatJSON))
	var out struct {
		Events []*Event `json:"events"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &out))
	return out.Events
}

// raceEnabled is set by race_test.go.
var raceEnabled bool
