package main

import (
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

	"github.com/execkit/execkit/audit"
)

// tmuxServer is a private tmux server (its own socket in a temp dir, its
// own config), so a test never touches the user's tmux; killed at cleanup.
type tmuxServer struct {
	t    *testing.T
	dir  string
	sock string
	conf string
	env  []string
}

// newTmux starts nothing yet: the server starts with its first session.
// Without tmux the test skips, or fails in CI (CI set) and with
// EXECKIT_REQUIRE_FIXTURES=1.
func newTmux(t *testing.T, env map[string]string) *tmuxServer {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		msg := "tmux is not installed (apt-get install tmux), so the terminal viewer is not driven in a real terminal"
		if ci := os.Getenv("CI"); (ci != "" && ci != "false" && ci != "0") || os.Getenv("EXECKIT_REQUIRE_FIXTURES") == "1" {
			t.Fatal(msg + "; CI or EXECKIT_REQUIRE_FIXTURES=1 makes that a failure")
		}
		t.Skip(msg)
	}
	// A short path: a unix socket's path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "ekw")
	require.NoError(t, err)
	tm := &tmuxServer{t: t, dir: dir, sock: filepath.Join(dir, "s"), conf: filepath.Join(dir, "tmux.conf")}
	// No status line: the pane is the whole 80x24 terminal. A pane stays
	// when its program exits, to read how it exited.
	require.NoError(t, os.WriteFile(tm.conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g default-terminal screen\n"), 0o600))
	for _, kv := range cleanEnv(env) {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			tm.env = append(tm.env, kv)
		}
	}
	t.Cleanup(func() {
		exec.Command("tmux", "-S", tm.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return tm
}

func (tm *tmuxServer) run(args ...string) string {
	tm.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", tm.sock, "-f", tm.conf}, args...)...)
	cmd.Env = tm.env
	out, err := cmd.CombinedOutput()
	require.NoError(tm.t, err, "tmux %q: %s", args, out)
	return string(out)
}

// start runs argv in a new 80x24 window named name, under a shell that
// writes its exit status for waitExit (tmux can miss the status of a
// pane's program). The shell outlives an interrupt (Ctrl-C), as an
// interactive one does; the program gets it.
func (tm *tmuxServer) start(name string, argv ...string) {
	tm.t.Helper()
	argv = append([]string{"sh", "-c", `trap : INT; rc=$1; shift; "$@"; echo $? >"$rc"`, "sh", filepath.Join(tm.dir, name+".rc")}, argv...)
	if _, err := os.Stat(tm.sock); err != nil {
		tm.run(append([]string{"new-session", "-d", "-s", "watch", "-n", name, "-x", "80", "-y", "24"}, argv...)...)
		return
	}
	tm.run(append([]string{"new-window", "-d", "-t", "watch:", "-n", name}, argv...)...)
}

func (tm *tmuxServer) screen(name string) string {
	tm.t.Helper()
	return tm.run("capture-pane", "-p", "-t", "watch:"+name)
}

func (tm *tmuxServer) keys(name string, keys ...string) {
	tm.t.Helper()
	tm.run(append([]string{"send-keys", "-t", "watch:" + name}, keys...)...)
}

// typeText sends s as literal text, not key names.
func (tm *tmuxServer) typeText(name, s string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", "watch:"+name, "-l", s)
}

func (tm *tmuxServer) format(name, f string) string {
	tm.t.Helper()
	return strings.TrimSpace(tm.run("display-message", "-p", "-t", "watch:"+name, f))
}

// waitScreen waits until the pane's screen satisfies ok and returns it.
func (tm *tmuxServer) waitScreen(name, what string, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := tm.screen(name)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s: not on the screen within 30s; the screen:\n%s", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the program started in name to end and returns its
// exit status.
func (tm *tmuxServer) waitExit(name string) int {
	tm.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(tm.dir, name+".rc")); err == nil && strings.HasSuffix(string(b), "\n") {
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(tm.t, err)
			return n
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the program in %s did not end within 30s (%s); the screen:\n%s", name,
				tm.run("list-panes", "-a", "-F", "#{window_name} dead=#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal} #{pane_current_command}"), tm.screen(name))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func onScreen(parts ...string) func(string) bool {
	return func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}
}

var seqLine = regexp.MustCompile(`line-(\d{3})`)

// lastSeqLine is the highest line-NNN on the screen, 0 for none.
func lastSeqLine(screen string) int {
	n := 0
	for _, m := range seqLine.FindAllStringSubmatch(screen, -1) {
		v, _ := strconv.Atoi(m[1])
		n = max(n, v)
	}
	return n
}

// TestWatchTUIInTmux runs the real `execkit-mcp watch DIR` in a real 80x24
// terminal (tmux), over an audit directory the server's own writer wrote:
// the sessions and the selected transcript show, keys switch the session,
// scroll, search and quit, and an event written while it runs shows live.
func TestWatchTUIInTmux(t *testing.T) {
	dir := t.TempDir()
	al := newAudit(t, &audit.Config{Dir: dir})
	var seq strings.Builder
	for i := 1; i <= 60; i++ {
		seq.WriteString("line-" + strconv.Itoa(1000 + i)[1:] + "\n")
	}
	record(t, al,
		openEvent("2_ssh_bob@build", "ssh", "/home/bob", 0),
		execEvent("2_ssh_bob@build", "ssh", "uname -a", "Linux build 6.1\n", "", 0, 5*time.Millisecond, "/home/bob", time.Second),
		openEvent("1_local", "local", "/srv", 2*time.Second),
		execEvent("1_local", "local", "echo needle TOKEN 42", "needle TOKEN 42\n", "", 0, time.Millisecond, "/srv", 3*time.Second),
		execEvent("1_local", "local", "seq -f line-%03g 1 60", seq.String(), "", 0, 2*time.Millisecond, "/srv", 4*time.Second),
		execEvent("1_local", "local", "make build", "", "error: boom\n", 2, 1500*time.Millisecond, "/srv", 5*time.Second),
	)

	tm := newTmux(t, nil)
	tm.start("tui", binPath, "watch", dir)
	s := tm.waitScreen("tui", "the sessions and the active one's transcript", onScreen("execkit watch", "> 1_local", "2_ssh_bob@build", "/srv $ make build", "error: boom", "x exit 2 (1500ms)"))
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	assert.LessOrEqual(t, len(lines), 24, "the screen fits 24 rows:\n%s", s)
	for i, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), 80, "row %d fits 80 columns: %q", i, l)
	}
	assert.Regexp(t, `(?m)^local\s`, s, "the sessions are grouped by transport")
	assert.Regexp(t, `(?m)^ssh\s`, s)
	assert.Contains(t, s, "line-060", "the view is at the live end")
	assert.NotContains(t, s, "needle TOKEN", "what is above the end is scrolled off")
	assert.Equal(t, "1", tm.format("tui", "#{alternate_on}"), "it draws on the alternate screen")

	// Switch sessions: down, then up again.
	tm.keys("tui", "Down")
	tm.waitScreen("tui", "the ssh session selected", onScreen("> 2_ssh_bob@build", "/home/bob $ uname -a", "Linux build 6.1", "ok (5ms)"))
	tm.keys("tui", "k")
	s = tm.waitScreen("tui", "the local session again", onScreen("> 1_local", "/srv $ make build"))

	// Scroll up a page, then back to the end.
	end := lastSeqLine(s)
	require.Equal(t, 60, end)
	tm.keys("tui", "PPage")
	s = tm.waitScreen("tui", "a page up", func(s string) bool { return lastSeqLine(s) > 0 && lastSeqLine(s) < end })
	assert.NotContains(t, s, "x exit 2", "the end is below the screen now")
	tm.keys("tui", "G")
	tm.waitScreen("tui", "the live end again", onScreen("x exit 2 (1500ms)", "line-060"))

	// Search, typed the way a person types it: "/TOKEN" then Enter.
	tm.typeText("tui", "/TOKEN")
	tm.waitScreen("tui", "the search being typed", onScreen("/TOKEN"))
	tm.keys("tui", "Enter")
	s = tm.waitScreen("tui", "the match", onScreen(`match for "TOKEN" (above)`, "needle TOKEN 42"))
	assert.NotContains(t, s, "x exit 2", "the view moved up to the match")

	// Live: back to the end, then the agent runs a command and a new
	// session opens, while the viewer is running.
	tm.keys("tui", "G")
	tm.waitScreen("tui", "the live end", onScreen("x exit 2 (1500ms)"))
	record(t, al,
		execEvent("1_local", "local", "echo live-from-the-agent", "it is live\n", "", 0, 3*time.Millisecond, "/srv", time.Minute),
		openEvent("3_docker_web", "docker", "/app", time.Minute+time.Second),
	)
	tm.waitScreen("tui", "the new command and the new session", onScreen("/srv $ echo live-from-the-agent", "it is live", "ok (3ms)", "docker", "3_docker_web"))

	// Quit: the program ends with status 0 and gives the terminal back.
	tm.keys("tui", "q")
	assert.Equal(t, 0, tm.waitExit("tui"), "q quits cleanly")
	assert.Equal(t, "0", tm.format("tui", "#{alternate_on}"), "the normal screen is back")
}

// TestWatchTUINeedsTerminal: the terminal viewer refuses to start unless
// both stdin and stdout are a terminal, and says what to use instead: in a
// real terminal with stdout to a file, and with stdin from /dev/null.
func TestWatchTUINeedsTerminal(t *testing.T) {
	dir := t.TempDir()
	al := newAudit(t, &audit.Config{Dir: dir})
	record(t, al, openEvent("1_local", "local", "/srv", 0))
	work := t.TempDir()
	out, errf := filepath.Join(work, "out"), filepath.Join(work, "err")
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	want := "execkit-mcp: watch: the terminal viewer needs a terminal; use --follow for a stream, or --serve for the browser"

	tm := newTmux(t, nil)
	tm.start("stdout-file", "sh", "-c", q(binPath)+" watch "+q(dir)+" >"+q(out)+" 2>"+q(errf))
	assert.Equal(t, 2, tm.waitExit("stdout-file"), "refused: stdout is a file")
	b, err := os.ReadFile(errf)
	require.NoError(t, err)
	assert.Equal(t, want+"\n", string(b))
	b, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Empty(t, b, "nothing drawn into the file")

	tm.start("stdin-null", "sh", "-c", q(binPath)+" watch "+q(dir)+" </dev/null")
	assert.Equal(t, 2, tm.waitExit("stdin-null"), "refused: stdin is not a terminal")
	// The line is longer than the terminal: read with the wrapped rows
	// joined, and what scrolled off.
	s := tm.run("capture-pane", "-p", "-J", "-S", "-", "-t", "watch:stdin-null")
	assert.Contains(t, s, want+"\n", "the reason shows on the terminal")
	assert.Equal(t, "0", tm.format("stdin-null", "#{alternate_on}"), "the screen was never taken")
}

// TestWatchFollowColorInTmux: --color auto (the default) colors stderr red
// on a terminal, and not when NO_COLOR is set.
func TestWatchFollowColorInTmux(t *testing.T) {
	_, path := followLog(t)
	tm := newTmux(t, nil)
	tm.start("color", binPath, "watch", "--follow", "-n", "1", path)
	tm.start("nocolor", "env", "NO_COLOR=1", binPath, "watch", "--follow", "-n", "1", path)
	for _, name := range []string{"color", "nocolor"} {
		tm.waitScreen(name, "the last command", onScreen("[1_local] err-5", "[1_local] ok (500ms)"))
	}
	errLine := func(name string) string {
		for _, l := range strings.Split(tm.run("capture-pane", "-p", "-e", "-t", "watch:"+name), "\n") {
			if strings.Contains(l, "err-5") {
				return l
			}
		}
		return ""
	}
	assert.Regexp(t, `\x1b\[(0;)?31m`, errLine("color"), "stderr is red on a terminal")
	assert.NotContains(t, errLine("nocolor"), "\x1b[", "NO_COLOR: no color")
	tm.keys("color", "C-c")
	assert.Equal(t, 0, tm.waitExit("color"), "Ctrl-C ends it cleanly")
}
