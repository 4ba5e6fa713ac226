package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/audit"
)

// auditBase is the test logs' clock.
var auditBase = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

// newAudit opens a real audit log (the server's own writer) for a test to
// write sessions into.
func newAudit(t *testing.T, cfg *audit.Config) *audit.Log {
	t.Helper()
	l, err := audit.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func record(t *testing.T, l *audit.Log, evs ...*execkit.Event) {
	t.Helper()
	for _, e := range evs {
		require.NoError(t, l.Record(e))
	}
}

func openEvent(id, transport, cwd string, at time.Duration) *execkit.Event {
	return &execkit.Event{Type: "open", Session: id, Transport: transport, Cwd: cwd, Time: auditBase.Add(at)}
}

func execEvent(id, transport, command, stdout, stderr string, code int, took time.Duration, cwd string, at time.Duration) *execkit.Event {
	return &execkit.Event{Type: "exec", Session: id, Transport: transport, Command: command, Time: auditBase.Add(at),
		Result: &execkit.Result{Stdout: stdout, Stderr: stderr, ExitCode: code, Duration: took, Cwd: cwd}}
}

// watchProc is a running `execkit-mcp watch ...`, its stdout read line by
// line.
type watchProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncBuffer
	out    *syncBuffer // all of stdout
}

func startWatch(t *testing.T, env map[string]string, args ...string) *watchProc {
	t.Helper()
	p := &watchProc{t: t, lines: make(chan string, 10000), stderr: &syncBuffer{}, out: &syncBuffer{}}
	p.cmd = exec.Command(binPath, append([]string{"watch"}, args...)...)
	p.cmd.Env = cleanEnv(env)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(io.TeeReader(out, p.out))
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// until returns the lines up to and including the first equal to want.
func (p *watchProc) until(want string, d time.Duration) []string {
	p.t.Helper()
	deadline := time.After(d)
	var seen []string
	for {
		select {
		case l, ok := <-p.lines:
			require.True(p.t, ok, "watch ended before %q; got %q, stderr %q", want, seen, p.stderr.String())
			seen = append(seen, l)
			if l == want {
				return seen
			}
		case <-deadline:
			p.t.Fatalf("%q did not come within %v; got %q, stderr %q", want, d, seen, p.stderr.String())
		}
	}
}

// stop interrupts it, as Ctrl-C does, and returns its exit code.
func (p *watchProc) stop() int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(p.t, err)
		return 0
	case <-time.After(20 * time.Second):
		p.t.Fatal("watch did not stop on an interrupt")
		return -1
	}
}

// followLog writes a shared audit file: a session's open, then five
// commands, each with stdout and stderr; the fourth fails.
func followLog(t *testing.T) (*audit.Log, string) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := newAudit(t, &audit.Config{File: path})
	record(t, l, openEvent("1_local", "local", "/srv", 0))
	for i := 1; i <= 5; i++ {
		code := 0
		if i == 4 {
			code = 2
		}
		record(t, l, execEvent("1_local", "local", fmt.Sprintf("echo cmd-%d", i), fmt.Sprintf("out-%d\n", i), fmt.Sprintf("err-%d\n", i),
			code, time.Duration(i)*100*time.Millisecond, "/srv", time.Duration(i)*time.Second))
	}
	return l, path
}

// cmdLines is how --follow shows command i of followLog.
func cmdLines(i int, output bool) []string {
	status := fmt.Sprintf("[1_local] ok (%d00ms)", i)
	if i == 4 {
		status = "[1_local] x exit 2 (400ms)"
	}
	out := []string{fmt.Sprintf("[1_local] /srv $ echo cmd-%d", i)}
	if output {
		out = append(out, fmt.Sprintf("[1_local] out-%d", i), fmt.Sprintf("[1_local] err-%d", i))
	}
	return append(out, status)
}

// TestWatchFollowFlags: -n picks how many past events come first (3, none,
// all), --no-output leaves out stdout and stderr, --color says when stderr
// is red; then what is written is streamed, and an interrupt ends it with
// status 0 and nothing on stderr.
func TestWatchFollowFlags(t *testing.T) {
	last := "[1_local] ok (500ms)"
	opened := "[1_local] -- session 1_local opened (local) in /srv"
	all := []string{opened}
	for i := 1; i <= 5; i++ {
		all = append(all, cmdLines(i, true)...)
	}
	var allQuiet []string
	allQuiet = append(allQuiet, opened)
	for i := 1; i <= 5; i++ {
		allQuiet = append(allQuiet, cmdLines(i, false)...)
	}
	last3 := append(append(cmdLines(3, true), cmdLines(4, true)...), cmdLines(5, true)...)
	red := regexp.MustCompile(`\x1b\[31m`)
	for _, c := range []struct {
		name  string
		args  []string
		env   map[string]string
		want  []string
		color bool
	}{
		{"-n 3", []string{"-n", "3"}, nil, last3, false},
		{"the default, 10, covers this log's 6 events", nil, nil, all, false},
		{"-n -1 is all", []string{"-n", "-1"}, nil, all, false},
		{"-n larger than the log", []string{"-n", "1000000"}, nil, all, false},
		{"--no-output", []string{"-n", "-1", "--no-output"}, nil, allQuiet, false},
		{"--color always", []string{"-n", "1", "--color", "always"}, nil, nil, true},
		{"--color always, NO_COLOR set", []string{"-n", "1", "--color=always"}, map[string]string{"NO_COLOR": "1"}, nil, true},
		{"--color never", []string{"-n", "1", "--color", "never"}, nil, cmdLines(5, true), false},
		{"--color auto, not a terminal", []string{"-n", "1"}, nil, cmdLines(5, true), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, path := followLog(t)
			p := startWatch(t, c.env, append(append([]string{"--follow"}, c.args...), path)...)
			if c.color {
				got := p.until("[1_local] \x1b[32mok (500ms)\x1b[0m", 20*time.Second)
				assert.Equal(t, []string{
					"[1_local] \x1b[34m/srv $ \x1b[0m\x1b[1mecho cmd-5\x1b[0m",
					"[1_local] out-5",
					"[1_local] \x1b[31merr-5\x1b[0m",
					"[1_local] \x1b[32mok (500ms)\x1b[0m",
				}, got, "the prompt blue, the command bold, stdout plain, stderr red, the status green")
				assert.Regexp(t, red, got[2], "stderr is red")
			} else {
				wantLast := last
				if c.want != nil {
					wantLast = c.want[len(c.want)-1]
				}
				got := p.until(wantLast, 20*time.Second)
				assert.Equal(t, c.want, got)
				for _, line := range got {
					assert.NotContains(t, line, "\x1b", "no color")
				}
			}
			// Then what is new, and only that.
			record(t, l, execEvent("1_local", "local", "echo marker", "", "", 0, 0, "/srv", time.Minute))
			if c.color {
				p.until("[1_local] \x1b[32mok (0ms)\x1b[0m", 20*time.Second)
			} else {
				got := p.until("[1_local] ok (0ms)", 20*time.Second)
				assert.Equal(t, []string{"[1_local] /srv $ echo marker", "[1_local] ok (0ms)"}, got)
			}
			assert.Equal(t, 0, p.stop(), "an interrupt ends it cleanly")
			assert.Empty(t, p.stderr.String())
		})
	}
}

// TestWatchFollowNoBacklog: with -n 0 nothing past is shown; the first
// line is the first event written after it started.
func TestWatchFollowNoBacklog(t *testing.T) {
	l, path := followLog(t)
	p := startWatch(t, nil, "--follow", "-n", "0", path)
	// It has nothing to print until it has started and reads something
	// new: write markers until one shows.
	first := make(chan string, 1)
	go func() {
		l, ok := <-p.lines
		if ok {
			first <- l
		}
		close(first)
	}()
	var line string
	for i := 0; line == ""; i++ {
		require.Less(t, i, 100, "no event written after the start showed")
		record(t, l, execEvent("1_local", "local", "echo marker-"+strconv.Itoa(i), "", "", 0, 0, "/srv", time.Minute+time.Duration(i)*time.Second))
		select {
		case line = <-first:
		case <-time.After(300 * time.Millisecond):
		}
	}
	assert.Regexp(t, `^\[1_local\] /srv \$ echo marker-\d+$`, line, "the first line is a new event, not the backlog")
	assert.Equal(t, 0, p.stop())
	assert.NotContains(t, p.out.String(), "cmd-", "nothing from before the start")
}

// TestWatchServeCLI: `watch --serve` prints the viewer's URL, and only
// that, on stdout; the page and every API answer only with the token in
// the URL, only for a loopback host name, only to GET; the token is kept
// (0600) so the URL survives a restart; a live command streams; an
// interrupt ends it with status 0. A port asked for that is taken is an
// error, not another port.
func TestWatchServeCLI(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	al := newAudit(t, &audit.Config{Dir: dir})
	record(t, al,
		openEvent("1_local", "local", "/srv", 0),
		execEvent("1_local", "local", "make test", "ok\n", "", 0, time.Second, "/srv", time.Second),
		openEvent("2_docker_web", "docker", "/app", 2*time.Second),
		execEvent("2_docker_web", "docker", "false", "", "", 1, time.Millisecond, "/app", 3*time.Second),
	)
	env := map[string]string{"XDG_STATE_HOME": state}
	p := startWatch(t, env, "--serve", "--port", "0", dir)
	var url string
	select {
	case url = <-p.lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no URL on stdout; stderr %q", p.stderr.String())
	}
	m := viewerURL.FindStringSubmatch(url)
	require.NotNil(t, m, "stdout's first line is the URL: %q", url)
	assert.Equal(t, m[0], url, "and only the URL")
	assert.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), "serving "+dir+" read-only on 127.0.0.1") },
		10*time.Second, 10*time.Millisecond, "stderr says what is served, and where: %q", p.stderr.String())
	saved, err := os.ReadFile(filepath.Join(state, "execkit", "watch-token"))
	require.NoError(t, err)
	assert.Equal(t, m[2], strings.TrimSpace(string(saved)), "the token is the kept one")
	info, err := os.Stat(filepath.Join(state, "execkit", "watch-token"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	getBody := func(method, target, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, target, nil)
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := getBody("GET", url, "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, "execkit watch")
	code, body := getBody("GET", url+"api/sessions", "")
	require.Equal(t, http.StatusOK, code)
	var sessions struct {
		Sessions []struct {
			ID       string `json:"id"`
			Commands int    `json:"commands"`
		} `json:"sessions"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &sessions))
	require.Len(t, sessions.Sessions, 2)
	assert.Equal(t, "1_local", sessions.Sessions[0].ID)
	assert.Equal(t, "2_docker_web", sessions.Sessions[1].ID)

	root := "http://127.0.0.1:" + m[1]
	wrong := []byte(m[2])
	wrong[0] ^= 1
	for _, target := range []string{root + "/", root + "/api/sessions", root + "/" + string(wrong) + "/", root + "/" + string(wrong) + "/api/sessions", root + "/" + m[2][:42] + "/api/sessions"} {
		code, body := getBody("GET", target, "")
		assert.Equal(t, http.StatusNotFound, code, "GET %s without the token", target)
		assert.NotContains(t, body, "execkit")
	}
	code, _ = getBody("GET", url+"api/sessions", "evil.example:"+m[1])
	assert.Equal(t, http.StatusForbidden, code, "a rebound host name is refused")
	code, _ = getBody("POST", url+"api/sessions", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := sse(t, ctx, url+"api/events")
	record(t, al, execEvent("1_local", "local", "echo served-live", "live\n", "", 0, 0, "/srv", time.Minute))
	waitLine(t, lines, "echo served-live", 10*time.Second)
	cancel()

	assert.Equal(t, 0, p.stop(), "an interrupt ends it cleanly")
	assert.Equal(t, url+"\n", p.out.String(), "nothing but the URL on stdout")

	// Again: the same token, so the same URL but for the free port.
	p2 := startWatch(t, env, "--serve", "--port=0", dir)
	var url2 string
	select {
	case url2 = <-p2.lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no URL on stdout; stderr %q", p2.stderr.String())
	}
	m2 := viewerURL.FindStringSubmatch(url2)
	require.NotNil(t, m2)
	assert.Equal(t, m[2], m2[2], "the token survives a restart")
	assert.Equal(t, 0, p2.stop())

	// A port asked for and taken: an error naming it, exit 1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	cmd := exec.Command(binPath, "watch", "--serve", "--port", port, dir)
	cmd.Env = cleanEnv(env)
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "a taken port is an error: %v", err)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Empty(t, out.String())
	assert.Equal(t, "execkit-mcp: watch: listen tcp 127.0.0.1:"+port+": bind: address already in use\n", errOut.String())
}
