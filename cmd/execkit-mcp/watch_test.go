package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var viewerURL = regexp.MustCompile(`http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]{43})/`)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitURL waits for the server to print the viewer's URL on stderr.
func waitURL(t *testing.T, s *mcpServer) []string {
	t.Helper()
	var m []string
	require.Eventually(t, func() bool {
		m = viewerURL.FindStringSubmatch(s.stderr.String())
		return m != nil
	}, 20*time.Second, 20*time.Millisecond, "the server prints the viewer's URL to stderr; got:\n%s", s.stderr.String())
	return m
}

// sse reads an event stream's lines into a channel.
func sse(t *testing.T, ctx context.Context, url string) <-chan string {
	t.Helper()
	return fixture.SSE(t, ctx, url, nil)
}

func waitLine(t *testing.T, lines <-chan string, want string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	var seen []string
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the stream ended before %q; got %q", want, seen)
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("%q did not come within %v; got %q", want, d, seen)
		}
	}
}

// TestWatchWeb: with EXECKIT_MCP_WATCH_WEB=1 the server serves the viewer
// of its audit dir on 127.0.0.1, prints the URL to stderr (stdout stays
// MCP's), keeps its token in a 0600 file so the URL survives a restart,
// gates every request with it, and streams the agent's commands live.
func TestWatchWeb(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	port := freePort(t)
	env := map[string]string{
		"EXECKIT_MCP_AUDIT_DIR":  dir,
		"EXECKIT_MCP_WATCH_WEB":  "1",
		"EXECKIT_MCP_WATCH_PORT": strconv.Itoa(port),
		"XDG_STATE_HOME":         state,
	}
	s := start(t, startOpts{env: env})
	m := waitURL(t, s)
	assert.Equal(t, strconv.Itoa(port), m[1], "the port setting is used")
	url := m[0]
	tokenFile := filepath.Join(state, "execkit", "watch-token")
	info, err := os.Stat(tokenFile)
	require.NoError(t, err, "the token is kept in the state dir")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	saved, _ := os.ReadFile(tokenFile)
	assert.Equal(t, m[2], strings.TrimSpace(string(saved)))

	resp, err := http.Get(url)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "execkit watch")
	for _, p := range []string{"/", "/app.js", "/api/sessions", "/api/events"} {
		resp, err := http.Get("http://127.0.0.1:" + m[1] + p)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s without the token", p)
	}
	resp, err = http.Post(url+"api/sessions", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := sse(t, ctx, url+"api/events")
	id := s.create(nil)
	s.exec(id, "echo hello-from-the-agent '<b>'", nil)
	waitLine(t, lines, `echo hello-from-the-agent '\u003cb\u003e'`, 10*time.Second)
	cancel()

	// A restart keeps the URL.
	s.c.Close()
	s.cmd.Wait()
	s2 := start(t, startOpts{env: env})
	assert.Equal(t, url, waitURL(t, s2)[0], "the URL is the same after a restart")

	// A taken port: another one, said so.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	env["EXECKIT_MCP_WATCH_PORT"] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	s3 := start(t, startOpts{env: env})
	m3 := waitURL(t, s3)
	assert.NotEqual(t, env["EXECKIT_MCP_WATCH_PORT"], m3[1])
	assert.Contains(t, s3.stderr.String(), "is taken; the viewer uses port")
	assert.Equal(t, m[2], m3[2], "the token is the same")
}

// TestWatchWebNoAudit: the viewer has nothing to show without an audit
// log; the server says so and serves MCP all the same.
func TestWatchWebNoAudit(t *testing.T) {
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_WATCH_WEB": "1", "XDG_STATE_HOME": t.TempDir()}})
	id := s.create(nil)
	s.exec(id, "true", nil)
	assert.Contains(t, s.stderr.String(), "there is no audit log to show")
	assert.NotRegexp(t, viewerURL, s.stderr.String())
}

// TestWatchFollowCLI: `watch --follow` on the server's audit dir streams
// the agent's commands, prefixed with the session id, as they happen,
// including a session file that appears after it started.
func TestWatchFollowCLI(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "watch", "--follow", dir)
	cmd.Env = cleanEnv(nil)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	defer func() {
		cancel()
		cmd.Wait()
	}()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()

	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT_DIR": dir}})
	id := s.create(map[string]any{"transport": "local", "cwd": dir})
	s.exec(id, "cd / && echo followed; echo oops >&2; exit 3", nil)
	waitLine(t, lines, "["+id+"] -- session "+id+" opened (local) in "+dir, 10*time.Second)
	waitLine(t, lines, "["+id+"] "+dir+" $ cd / && echo followed; echo oops >&2; exit 3", 10*time.Second)
	waitLine(t, lines, "["+id+"] followed", 5*time.Second)
	waitLine(t, lines, "["+id+"] oops", 5*time.Second)
	waitLine(t, lines, "["+id+"] x exit 3 (", 5*time.Second)
	assert.Empty(t, stderr.String())
}
