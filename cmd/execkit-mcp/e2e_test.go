package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/execkit/execkit/audit"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestToolsAndInstructions(t *testing.T) {
	s := start(t, startOpts{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tools, err := s.c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	byName := map[string]mcp.Tool{}
	var names []string
	for _, tool := range tools.Tools {
		byName[tool.Name] = tool
		names = append(names, tool.Name)
		assert.NotEmpty(t, tool.Description, "%s needs a description", tool.Name)
		assert.Equal(t, false, tool.InputSchema.AdditionalProperties, "%s must declare that it takes no other arguments", tool.Name)
	}
	sort.Strings(names)
	assert.Equal(t, []string{"job_input", "job_output", "job_signal", "job_start", "session_checkpoint", "session_checkpoints", "session_create", "session_destroy", "session_exec", "session_list", "session_output", "session_restore"}, names)

	props := func(name string) []string {
		var out []string
		for k := range byName[name].InputSchema.Properties {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, []string{"allow", "auto_snapshot", "checkpoint_ignores", "container", "cwd", "deny", "deny_patterns", "env", "file_changes", "fingerprint", "host", "key_path", "output_budget", "password", "paths", "port", "timeout_s", "transport", "user", "workspace"}, props("session_create"))
	assert.Equal(t, []string{"budget", "command", "on_timeout", "session_id", "stdin", "timeout_s"}, props("session_exec"))
	assert.ElementsMatch(t, []string{"session_id", "command"}, byName["session_exec"].InputSchema.Required)
	assert.Equal(t, []string{"budget", "output_id", "session_id"}, props("session_output"))
	assert.Equal(t, []string{"session_id"}, props("session_destroy"))
	assert.Empty(t, props("session_list"))
	assert.True(t, *byName["session_list"].Annotations.ReadOnlyHint)

	// Instructions are part of the initialize result.
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = "2025-06-18"
	init.Params.ClientInfo = mcp.Implementation{Name: "again", Version: "1"}
	res, err := s.c.Initialize(ctx, init)
	require.NoError(t, err)
	for _, name := range names {
		assert.Contains(t, res.Instructions, name, "the instructions say what each tool is for")
	}
	for _, word := range []string{"budget", `"ssh"`, `"docker"`, "on_timeout", "workspace", "tty"} {
		assert.Contains(t, res.Instructions, word)
	}
	assert.Equal(t, "execkit", res.ServerInfo.Name)
	assert.NotNil(t, res.Capabilities.Logging, "the server declares logging, for the exec transcripts")
}

func TestSessionLifecycle(t *testing.T) {
	s := start(t, startOpts{})
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	created := ok(t, s.call("session_create", map[string]any{"transport": "local", "cwd": dir, "env": map[string]any{"EK_GREETING": "hi there"}}))
	id := created["session_id"].(string)
	assert.Regexp(t, `^[0-9]+_local$`, id)
	assert.Equal(t, "local", created["transport"])
	assert.Equal(t, dir, created["cwd"])
	assert.EqualValues(t, 600, created["timeout_s"])

	s.exec(id, "cd sub && export EK_X=1 && ekf() { echo \"f:$1\"; }", nil)
	res := s.exec(id, `echo "$EK_GREETING $EK_X"; ekf a; pwd`, nil)
	assert.Equal(t, "hi there 1\nf:a\n"+filepath.Join(dir, "sub")+"\n", res["stdout"], "state persists between calls")
	assert.Equal(t, filepath.Join(dir, "sub"), res["cwd"])
	assert.EqualValues(t, 0, res["exit_code"])
	assert.Contains(t, res, "duration_ms")

	// A failing command is a result, not a tool error.
	fail := s.call("session_exec", map[string]any{"session_id": id, "command": "echo out; echo 'a <b> & c' >&2; (exit 7)"})
	got := ok(t, fail)
	assert.EqualValues(t, 7, got["exit_code"])
	assert.Equal(t, "out\n", got["stdout"])
	assert.Equal(t, "a <b> & c\n", got["stderr"])
	raw := text(t, fail)
	assert.NotContains(t, raw, `\u003c`, "results are compact: no HTML escapes")
	assert.NotContains(t, raw, "\n  ", "results are compact JSON, not indented")
	assert.NotContains(t, raw, `"truncated"`, "false flags are left out")

	// stdin
	in := s.exec(id, "tr a-z A-Z", map[string]any{"stdin": "shout\n"})
	assert.Equal(t, "SHOUT\n", in["stdout"])
	none := s.exec(id, "cat; echo end", nil)
	assert.Equal(t, "end\n", none["stdout"], "without stdin a command reads nothing and does not hang")

	// The session ends when its shell does; the next call says why.
	id2 := s.create(nil)
	ended := s.exec(id2, "exit 3", nil)
	assert.NotEmpty(t, ended["session_ended"])
	msg := toolErr(t, s.call("session_exec", map[string]any{"session_id": id2, "command": "true"}))
	assert.Contains(t, msg, "session ended")
	assert.Contains(t, msg, "session_create")

	list := ok(t, s.call("session_list", nil))
	sessions := list["sessions"].([]any)
	require.Len(t, sessions, 2)
	first := sessions[0].(map[string]any)
	assert.Equal(t, id, first["session_id"])
	assert.Equal(t, "local", first["transport"])
	assert.Equal(t, filepath.Join(dir, "sub"), first["cwd"])
	assert.Contains(t, first, "idle_s")
	assert.EqualValues(t, 64, list["max_sessions"])
	assert.EqualValues(t, 1800, list["session_ttl_s"])

	destroyed := ok(t, s.call("session_destroy", map[string]any{"session_id": id}))
	assert.Equal(t, true, destroyed["destroyed"])
	msg = toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "true"}))
	assert.Contains(t, msg, "unknown session")
	toolErr(t, s.call("session_destroy", map[string]any{"session_id": id}))
}

func TestBudgetAndOutput(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	res := s.exec(id, "seq 1 1000; echo problem >&2", map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail", "n": 3}}})
	assert.Equal(t, "998\n999\n1000\n", res["stdout"])
	assert.Equal(t, "problem\n", res["stderr"])
	assert.Equal(t, true, res["truncated"])
	report := res["budget"].(map[string]any)["stdout"].(map[string]any)
	assert.EqualValues(t, 1000, report["lines_total"])
	assert.EqualValues(t, 3, report["lines_kept"])
	outID, _ := res["output_id"].(string)
	require.NotEmpty(t, outID)

	again := ok(t, s.call("session_output", map[string]any{"session_id": id, "output_id": outID,
		"budget": map[string]any{"grep": map[string]any{"pattern": "^50[0-2]$"}}}))
	assert.Equal(t, "500\n501\n502\n", again["stdout"], "session_output shapes the full output again")
	full := ok(t, s.call("session_output", map[string]any{"session_id": id, "output_id": outID}))
	assert.True(t, strings.HasPrefix(full["stdout"].(string), "1\n2\n3\n"))

	// A session default budget from create.
	id2 := s.create(map[string]any{"transport": "local", "output_budget": map[string]any{"keep": map[string]any{"mode": "head", "n": 2}}})
	head := s.exec(id2, "seq 1 10", nil)
	assert.Equal(t, "1\n2\n", head["stdout"])

	msg := toolErr(t, s.call("session_output", map[string]any{"session_id": id, "output_id": "out_999"}))
	assert.Contains(t, msg, "unknown output id")
	msg = toolErr(t, s.call("session_output", map[string]any{"session_id": id, "output_id": outID, "budget": map[string]any{"grep": map[string]any{"pattern": "("}}}))
	assert.Contains(t, msg, "grep.pattern")
}

func TestTimeoutsAreClamped(t *testing.T) {
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_TIMEOUT_MAX": "2"}})
	created := ok(t, s.call("session_create", map[string]any{"transport": "local", "timeout_s": 100}))
	assert.EqualValues(t, 2, created["timeout_s"], "a session timeout is clamped to EXECKIT_MCP_TIMEOUT_MAX")
	id := created["session_id"].(string)

	start := time.Now()
	res := s.exec(id, "echo started; sleep 30; echo never", map[string]any{"timeout_s": 500})
	assert.Less(t, time.Since(start), 15*time.Second, "timeout_s above the ceiling is clamped")
	assert.Equal(t, true, res["timed_out"])
	assert.Equal(t, "started\n", res["stdout"])
	// The session's own default is clamped too.
	res = s.exec(id, "sleep 30", nil)
	assert.Equal(t, true, res["timed_out"])
	after := s.exec(id, "echo alive", nil)
	assert.Equal(t, "alive\n", after["stdout"], "a timeout does not end the session")

	short := s.exec(id, "sleep 5", map[string]any{"timeout_s": 0.3})
	assert.Equal(t, true, short["timed_out"])
	assert.Less(t, short["duration_ms"].(float64), 4000.0)

	// A job_output wait is under the same ceiling.
	job := ok(t, s.call("job_start", map[string]any{"session_id": id, "command": "sleep 30"}))["job_id"]
	start = time.Now()
	out := ok(t, s.call("job_output", map[string]any{"session_id": id, "job_id": job, "until": "never printed", "wait_ms": 600000}))
	assert.Less(t, time.Since(start), 15*time.Second, "wait_ms above the ceiling is clamped")
	assert.Equal(t, true, out["running"])
}

func TestLogAndProgressNotifications(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	s.exec(id, "echo hello", nil)
	s.call("session_exec", map[string]any{"session_id": id, "command": "echo bad >&2; false"})
	require.Eventually(t, func() bool { return len(s.notifications("notifications/message")) >= 2 }, 10*time.Second, 20*time.Millisecond)
	logs := s.notifications("notifications/message")
	first := logs[0].Params.AdditionalFields
	assert.Equal(t, "info", first["level"], "a successful exec logs at info")
	assert.Equal(t, "execkit", first["logger"])
	data, _ := first["data"].(string)
	assert.Contains(t, data, "$ echo hello")
	assert.Contains(t, data, "hello\n")
	assert.Contains(t, data, "exit 0")
	assert.Equal(t, "warning", logs[1].Params.AdditionalFields["level"], "a failed exec logs at warning")
	assert.Contains(t, logs[1].Params.AdditionalFields["data"], "bad")

	// A denied command logs a warning too.
	id2 := s.create(map[string]any{"transport": "local", "deny": []any{"rm"}})
	s.clearNotifications()
	toolErr(t, s.call("session_exec", map[string]any{"session_id": id2, "command": "rm -rf /tmp/nothing"}))
	require.Eventually(t, func() bool { return len(s.notifications("notifications/message")) >= 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "warning", s.notifications("notifications/message")[0].Params.AdditionalFields["level"])

	// Progress, with the output so far, when the client sends a token.
	s.clearNotifications()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := s.callCtx(ctx, "session_exec", map[string]any{"session_id": id, "command": "for i in 1 2 3 4; do echo line$i; sleep 0.4; done"},
		&mcp.Meta{ProgressToken: "tok-1"})
	assert.Equal(t, "line1\nline2\nline3\nline4\n", ok(t, res)["stdout"])
	progress := s.notifications("notifications/progress")
	require.NotEmpty(t, progress, "a long command sends progress when asked")
	last := -1.0
	sawOutput := false
	for _, p := range progress {
		f := p.Params.AdditionalFields
		assert.Equal(t, "tok-1", f["progressToken"])
		v := f["progress"].(float64)
		assert.Greater(t, v, last, "progress only increases")
		last = v
		if strings.Contains(f["message"].(string), "line1") {
			sawOutput = true
		}
	}
	assert.True(t, sawOutput, "progress carries the output so far")

	// A prompt with no newline yet shows too: that is where a stuck
	// command waits.
	s.clearNotifications()
	res = s.callCtx(ctx, "session_exec", map[string]any{"session_id": id, "command": "printf 'Continue? [y/N] '; sleep 1.3"},
		&mcp.Meta{ProgressToken: "tok-2"})
	assert.Equal(t, "Continue? [y/N] ", ok(t, res)["stdout"])
	sawPrompt := false
	for _, p := range s.notifications("notifications/progress") {
		if strings.HasSuffix(p.Params.AdditionalFields["message"].(string), "\nContinue? [y/N] ") {
			sawPrompt = true
		}
	}
	assert.True(t, sawPrompt, "progress shows the unfinished line a command waits on: %v", s.notifications("notifications/progress"))

	// No token, no progress.
	s.clearNotifications()
	s.exec(id, "sleep 1.2", nil)
	assert.Empty(t, s.notifications("notifications/progress"))

	// Once the client chooses a level, it is honoured.
	require.NoError(t, s.c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelError}}))
	s.clearNotifications()
	s.exec(id, "echo quiet", nil)
	s.call("session_exec", map[string]any{"session_id": id, "command": "false"})
	time.Sleep(200 * time.Millisecond)
	assert.Empty(t, s.notifications("notifications/message"), "level error silences info and warning transcripts")
}

func TestModernProtocolLogging(t *testing.T) {
	s := start(t, startOpts{modern: true})
	id := s.create(nil)
	s.exec(id, "echo one", nil)
	time.Sleep(200 * time.Millisecond)
	assert.Empty(t, s.notifications("notifications/message"), "protocol 2026-07-28: no log level asked, no log sent")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}))
	s.exec(id, "echo two", nil)
	require.Eventually(t, func() bool { return len(s.notifications("notifications/message")) >= 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, s.notifications("notifications/message")[0].Params.AdditionalFields["data"], "two")
}

func TestOperatorSecretsAreRedacted(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	secret := "correct-horse-battery-staple-42"
	s := start(t, startOpts{env: map[string]string{
		"EXECKIT_MCP_SECRET_ENV": "EK_DB_PASSWORD, EK_UNSET",
		"EK_DB_PASSWORD":         secret,
		"EXECKIT_MCP_AUDIT":      auditPath,
	}})
	id := s.create(map[string]any{"transport": "local", "deny": []any{"mysql"}})
	res := s.exec(id, "echo \"pw is $EK_DB_PASSWORD\"", nil)
	assert.Equal(t, "pw is [REDACTED]\n", res["stdout"], "values named in EXECKIT_MCP_SECRET_ENV are redacted")
	msg := toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "mysql -p" + secret}))
	assert.NotContains(t, msg, secret, "a denial quoting the command is redacted too")
	require.Eventually(t, func() bool { return len(s.notifications("notifications/message")) >= 2 }, 10*time.Second, 20*time.Millisecond)
	for _, n := range s.notifications("notifications/message") {
		assert.NotContains(t, n.Params.AdditionalFields["data"], secret, "log transcripts are redacted")
	}

	// A long command is redacted whole, then clipped for its transcript: a
	// secret across the cut keeps the shape that gives it away.
	s.clearNotifications()
	token := "ghp_" + strings.Repeat("Z9y8X7w6", 4) + "Abcd"
	// The transcript keeps the first 1000 bytes: 30 of the token's 40, and
	// 15 of the secret's 31.
	s.exec(id, ": "+strings.Repeat("a", 967)+" "+token, nil)
	s.exec(id, ": "+strings.Repeat("a", 982)+" "+secret, nil)
	require.Eventually(t, func() bool { return len(s.notifications("notifications/message")) >= 2 }, 10*time.Second, 20*time.Millisecond)
	for _, n := range s.notifications("notifications/message") {
		data, _ := n.Params.AdditionalFields["data"].(string)
		assert.NotContains(t, data, "Z9y8X7w6", "no piece of a token cut by the clip")
		assert.NotContains(t, data, secret[:13], "no piece of a declared secret cut by the clip")
	}

	ok(t, s.call("session_destroy", map[string]any{"session_id": id}))
	raw, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), secret, "the audit log is redacted")
	assert.NotContains(t, string(raw), "Z9y8X7w6", "the audit log is redacted")
}

// EXECKIT_MCP_REDACT_KINDS makes redactions name their kind, in results and
// transcripts alike.
func TestRedactKinds(t *testing.T) {
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_REDACT_KINDS": "1"}})
	id := s.create(nil)
	token := "ghp_" + strings.Repeat("Z9y8X7w6", 4) + "Abcd"
	res := s.exec(id, "echo token="+token, nil)
	assert.Regexp(t, `^token=\[REDACTED:[a-z0-9-]+\]\n$`, res["stdout"])
	assert.NotContains(t, res["stdout"], "Z9y8")
}

func TestMaxSessions(t *testing.T) {
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_MAX_SESSIONS": "2"}})
	a := s.create(nil)
	s.create(nil)
	msg := toolErr(t, s.call("session_create", map[string]any{"transport": "local"}))
	assert.Contains(t, msg, "too many sessions")
	assert.Contains(t, msg, "session_destroy")
	ok(t, s.call("session_destroy", map[string]any{"session_id": a}))
	s.create(nil)
	list := ok(t, s.call("session_list", nil))
	assert.Len(t, list["sessions"], 2)
	assert.EqualValues(t, 2, list["max_sessions"])
}

func TestIdleSessionsAreReaped(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_SESSION_TTL": "1", "EXECKIT_MCP_AUDIT": auditPath}})
	destroyed := s.create(nil)
	ok(t, s.call("session_destroy", map[string]any{"session_id": destroyed}))
	id := s.create(nil)
	res := s.exec(id, "sleep 1000 >/dev/null 2>&1 & echo $!", nil)
	pid, err := strconv.Atoi(strings.TrimSpace(res["stdout"].(string)))
	require.NoError(t, err)
	require.False(t, processGone(pid))

	// No other call: the reaper's timer alone must close the session.
	require.Eventually(t, func() bool { return processGone(pid) }, 10*time.Second, 50*time.Millisecond,
		"an idle session's processes must be gone after the TTL")
	list := ok(t, s.call("session_list", nil))
	assert.Empty(t, list["sessions"])
	msg := toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "true"}))
	assert.Contains(t, msg, "unknown session")
	assert.Contains(t, s.stderr.String(), "closed session "+id)

	// The audit log says why each session closed.
	reasons := map[string]string{}
	for _, l := range auditLines(t, auditPath) {
		if l["type"] == "close" {
			reasons[l["session"].(string)], _ = l["reason"].(string)
		}
	}
	assert.Equal(t, "the session was destroyed", reasons[destroyed])
	assert.Regexp(t, `^idle for \d+s, past the manager's 1s TTL$`, reasons[id])
}

// TestShutdownKillsSessions: when the client goes away (stdin closes) or
// the server is told to stop, no shell and nothing started in one is left.
func TestShutdownKillsSessions(t *testing.T) {
	for _, how := range []string{"stdin closed", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
			s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT": auditPath}})
			id := s.create(nil)
			res := s.exec(id, "sleep 1000 >/dev/null 2>&1 & echo $!", nil)
			pid, err := strconv.Atoi(strings.TrimSpace(res["stdout"].(string)))
			require.NoError(t, err)
			if how == "SIGTERM" {
				require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
			} else {
				s.c.Close()
			}
			require.Eventually(t, func() bool { return processGone(pid) }, 10*time.Second, 50*time.Millisecond, "no process outlives the server")
			require.Eventually(t, func() bool {
				lines := auditLines(t, auditPath)
				return len(lines) > 0 && lines[len(lines)-1]["type"] == "close"
			}, 10*time.Second, 50*time.Millisecond, "the sessions are closed, and the audit log says so")
			lines := auditLines(t, auditPath)
			assert.Equal(t, "the manager was closed", lines[len(lines)-1]["reason"], "and why")
		})
	}
}

func processGone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || strings.HasPrefix(string(data[i+1:]), " Z")
}

func TestConcurrentSessions(t *testing.T) {
	s := start(t, startOpts{})
	const n = 16
	startAll := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Only assert here: require's FailNow must not run off the
			// test's goroutine.
			txt := func(r *mcp.CallToolResult) string {
				if len(r.Content) == 0 {
					return ""
				}
				tc, _ := r.Content[0].(mcp.TextContent)
				return tc.Text
			}
			res := s.call("session_create", map[string]any{"transport": "local"})
			var created map[string]any
			if !assert.False(t, res.IsError, txt(res)) || !assert.NoError(t, json.Unmarshal([]byte(txt(res)), &created)) {
				return
			}
			id, _ := created["session_id"].(string)
			for j := 0; j < 3; j++ {
				cmd := fmt.Sprintf("export N=%d; sleep 0.3; echo $N-%d", i, j)
				r := s.call("session_exec", map[string]any{"session_id": id, "command": cmd})
				var got map[string]any
				if !assert.NoError(t, json.Unmarshal([]byte(txt(r)), &got)) {
					return
				}
				assert.Equal(t, fmt.Sprintf("%d-%d\n", i, j), got["stdout"], "each session keeps its own output")
			}
			assert.False(t, s.call("session_destroy", map[string]any{"session_id": id}).IsError)
		}()
	}
	wg.Wait()
	elapsed := time.Since(startAll)
	// Serially this is 16 * 3 * 0.3 s = 14.4 s of sleeping alone.
	assert.Less(t, elapsed, 12*time.Second, "sessions must run in parallel")
	t.Logf("%d sessions x 3 execs of 0.3 s each: %s", n, elapsed)
	assert.Empty(t, ok(t, s.call("session_list", nil))["sessions"])
}

func TestCancelInterruptsCommand(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT": auditPath}})
	id := s.create(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var req mcp.CallToolRequest
		req.Params.Name = "session_exec"
		req.Params.Arguments = map[string]any{"session_id": id, "command": "sleep 60; echo finished"}
		_, err := s.c.CallTool(ctx, req)
		done <- err
	}()
	time.Sleep(700 * time.Millisecond)
	cancel()
	require.Error(t, <-done)

	// The session is free again at once: the command was interrupted, not
	// left to run its minute.
	begin := time.Now()
	res := s.exec(id, "echo next", nil)
	assert.Equal(t, "next\n", res["stdout"])
	assert.Less(t, time.Since(begin), 20*time.Second)

	ok(t, s.call("session_destroy", map[string]any{"session_id": id}))
	lines := auditLines(t, auditPath)
	var interrupted bool
	for _, l := range lines {
		if l["type"] == "exec" && strings.HasPrefix(l["command"].(string), "sleep 60") {
			interrupted = l["result"].(map[string]any)["timed_out"] == true
		}
	}
	assert.True(t, interrupted, "the cancelled command is audited as interrupted")
}

func auditLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "audit line %q", sc.Text())
		out = append(out, m)
	}
	return out
}

func TestAuditFile(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	policyPath := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(policyPath, []byte(`{"deny": ["shutdown"]}`), 0o600))
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT": auditPath, "EXECKIT_MCP_POLICY_FILE": policyPath}})
	id := s.create(map[string]any{"transport": "local", "deny": []any{"rm"}})
	s.exec(id, "echo hi", nil)
	s.call("session_exec", map[string]any{"session_id": id, "command": "false"})
	msg := toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "rm -rf /"}))
	assert.Contains(t, msg, "deny rule 'rm'")
	msg = toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "sudo shutdown -h now"}))
	assert.Contains(t, msg, "operator", "the operator's policy file applies")
	forged := "echo x\n{\"seq\":9,\"type\":\"close\",\"session\":\"" + id + "\"}"
	s.exec(id, forged, nil)
	s.exec(id, "echo token=ghp_abcdefghijklmnopqrstuvwxyz0123456789", nil)
	ok(t, s.call("session_destroy", map[string]any{"session_id": id}))

	lines := auditLines(t, auditPath)
	var types []string
	for _, l := range lines {
		types = append(types, l["type"].(string))
		assert.Equal(t, id, l["session"])
		assert.Equal(t, "local", l["transport"])
		assert.Greater(t, l["time"].(float64), 1.6e12, "time is epoch milliseconds")
	}
	assert.Equal(t, []string{"open", "exec", "exec", "blocked", "blocked", "exec", "exec", "close"}, types,
		"failed and denied commands are audited; a command holding JSON forges nothing")
	assert.EqualValues(t, 1, lines[2]["result"].(map[string]any)["exit_code"])
	assert.Equal(t, forged, lines[5]["command"])
	raw, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "the audit log is redacted")

	n, err := audit.Verify(auditPath)
	require.NoError(t, err)
	assert.Equal(t, 8, n)

	out, err := exec.Command(binPath, "verify", auditPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "8 events, chain intact")
	tampered := strings.Replace(string(raw), "echo hi", "echo HI", 1)
	require.NoError(t, os.WriteFile(auditPath, []byte(tampered), 0o600))
	out, err = exec.Command(binPath, "verify", auditPath).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "line 3", "verify names the first broken link: %s", out)
}

func TestAuditDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT_DIR": dir, "EXECKIT_MCP_AUDIT": "/nonexistent/ignored.jsonl"}})
	a := s.create(nil)
	b := s.create(nil)
	s.exec(a, "echo a", nil)
	s.exec(b, "echo b", nil)
	ok(t, s.call("session_destroy", map[string]any{"session_id": a}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "one audit file per session")
	for _, e := range entries {
		n, err := audit.Verify(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 2)
	}
	out, err := exec.Command(binPath, "verify", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 2, strings.Count(string(out), "chain intact"))
}

// TestHostileInputs sends every tool bad arguments: each must be a tool
// error of one clear sentence, and the server must keep serving.
func TestHostileInputs(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	outRes := s.exec(id, "seq 1 100", map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail", "n": 1}}})
	outID := outRes["output_id"].(string)
	huge := strings.Repeat("A", 200000)
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{"session_id": id, "command": "echo hi"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name string
		tool string
		args any
		want string
	}{
		// session_create
		{"transport in capitals", "session_create", map[string]any{"transport": "SSH"}, `Unknown transport "SSH"`},
		{"transport Local", "session_create", map[string]any{"transport": "Local"}, "Unknown transport"},
		{"transport empty", "session_create", map[string]any{"transport": ""}, "Unknown transport"},
		{"transport with spaces", "session_create", map[string]any{"transport": " local"}, "Unknown transport"},
		{"transport number", "session_create", map[string]any{"transport": 1}, "transport of session_create must be a string, not a number"},
		{"ssh without host", "session_create", map[string]any{"transport": "ssh", "user": "bob"}, "host"},
		{"ssh without user", "session_create", map[string]any{"transport": "ssh", "host": "127.0.0.1"}, "user"},
		{"ssh host option injection", "session_create", map[string]any{"transport": "ssh", "host": "-oProxyCommand=touch /tmp/pwned", "user": "bob"}, "host"},
		{"ssh port out of range", "session_create", map[string]any{"transport": "ssh", "host": "127.0.0.1", "user": "bob", "port": 70000}, "port"},
		{"ssh key outside key dir", "session_create", map[string]any{"transport": "ssh", "host": "127.0.0.1", "port": 1, "user": "bob", "key_path": "../../etc/passwd"}, "key"},
		{"docker without container", "session_create", map[string]any{"transport": "docker"}, "container"},
		{"docker hostile container", "session_create", map[string]any{"transport": "docker", "container": "../x"}, "container"},
		{"docker option container", "session_create", map[string]any{"transport": "docker", "container": "--privileged"}, "container"},
		{"ssh argument for local", "session_create", map[string]any{"transport": "local", "host": "example.com"}, "host is only for transport ssh"},
		{"docker argument for local", "session_create", map[string]any{"container": "web"}, "container is only for transport docker"},
		{"port wrongly typed", "session_create", map[string]any{"transport": "local", "port": "22"}, "port is only for transport ssh"},
		{"workspace not a string", "session_create", map[string]any{"workspace": 5}, "workspace"},
		{"paths without workspace", "session_create", map[string]any{"paths": []any{"src"}}, "needs a workspace"},
		{"auto_snapshot", "session_create", map[string]any{"auto_snapshot": true}, "auto_snapshot"},
		{"file_changes without workspace", "session_create", map[string]any{"file_changes": false}, "file_changes"},
		{"file_changes not a bool", "session_create", map[string]any{"workspace": "/tmp", "file_changes": "no"}, "file_changes"},
		{"unknown argument", "session_create", map[string]any{"shell": "/bin/zsh"}, `no argument "shell"`},
		{"allow not an array", "session_create", map[string]any{"allow": "git"}, "allow of session_create must be an array of strings, not a string"},
		{"allow with a number", "session_create", map[string]any{"allow": []any{"git", 1}}, "item 1 is a number"},
		{"allow empty", "session_create", map[string]any{"allow": []any{}}, "allow nothing"},
		{"deny pattern that does not compile", "session_create", map[string]any{"deny_patterns": []any{"("}}, "deny_patterns"},
		{"bad output budget mode", "session_create", map[string]any{"output_budget": map[string]any{"keep": map[string]any{"mode": "sideways", "n": 1}}}, "keep.mode"},
		{"cwd missing", "session_create", map[string]any{"cwd": "/nonexistent/dir"}, "working directory"},
		{"cwd relative", "session_create", map[string]any{"cwd": "~/src"}, `must be an absolute path, not "~/src"`},
		{"cwd number", "session_create", map[string]any{"cwd": 7}, "must be a string"},
		{"env bad name", "session_create", map[string]any{"env": map[string]any{"A B": "x"}}, "not a valid shell variable name"},
		{"env number value", "session_create", map[string]any{"env": map[string]any{"X": 1}}, `"X" is a number`},
		{"env not an object", "session_create", map[string]any{"env": "X=1"}, "must be an object of string values"},
		{"timeout string", "session_create", map[string]any{"timeout_s": "10"}, "must be a number of seconds, not a string"},
		{"timeout negative", "session_create", map[string]any{"timeout_s": -1}, "at least 0.001 seconds"},
		{"arguments an array", "session_create", []any{"local"}, "must be a JSON object"},
		// session_exec
		{"exec without session_id", "session_exec", map[string]any{"command": "ls"}, "needs the argument session_id"},
		{"exec without command", "session_exec", map[string]any{"session_id": id}, "needs the argument command"},
		{"exec no arguments", "session_exec", nil, "needs the argument session_id"},
		{"session_id number", "session_exec", with(map[string]any{"session_id": 1}), "session_id of session_exec must be a string"},
		{"session_id path", "session_exec", with(map[string]any{"session_id": "../../etc/passwd"}), `unknown session "../../etc/passwd"`},
		{"session_id huge", "session_exec", with(map[string]any{"session_id": huge}), "unknown session"},
		{"session_id control bytes", "session_exec", with(map[string]any{"session_id": "1_local\x00\n\x1b[2J"}), `unknown session "1_local\x00\n\x1b[2J"`},
		{"session_id of another form", "session_exec", with(map[string]any{"session_id": strings.TrimSuffix(id, "_local") + "_ssh"}), "unknown session"},
		{"command number", "session_exec", with(map[string]any{"command": 5}), "command of session_exec must be a string"},
		{"command empty", "session_exec", with(map[string]any{"command": "   "}), "The command is empty"},
		{"command with NUL", "session_exec", with(map[string]any{"command": "echo a\x00b"}), "NUL"},
		{"command too long", "session_exec", with(map[string]any{"command": strings.Repeat("x", maxCommand+1)}), "over the 1048576-byte limit"},
		{"budget string", "session_exec", with(map[string]any{"budget": "tail"}), "must be an object, not a string"},
		{"budget unknown field", "session_exec", with(map[string]any{"budget": map[string]any{"tail": 5}}), `no field "tail"`},
		{"budget keep without n", "session_exec", with(map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail"}}}), "budget.keep.n is missing"},
		{"budget keep fraction", "session_exec", with(map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail", "n": 1.5}}}), "n must be a whole number, not a fraction"},
		{"budget keep zero", "session_exec", with(map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail", "n": 0}}}), "keep.n"},
		{"budget keep huge", "session_exec", with(map[string]any{"budget": map[string]any{"keep": map[string]any{"mode": "tail", "n": 1e15}}}), "not a number out of range"},
		{"budget bad regex", "session_exec", with(map[string]any{"budget": map[string]any{"grep": map[string]any{"pattern": "(unclosed"}}}), "grep.pattern"},
		{"budget regex too complex", "session_exec", with(map[string]any{"budget": map[string]any{"grep": map[string]any{"pattern": "((a{100}){100}){100}"}}}), "grep.pattern"},
		{"budget bad regex with a newline and a long tail", "session_exec", with(map[string]any{"budget": map[string]any{"grep": map[string]any{"pattern": "(\nX" + strings.Repeat("a", 1000)}}}), "grep.pattern"},
		{"deny pattern with a newline and a long tail", "session_create", map[string]any{"deny_patterns": []any{"(\nX" + strings.Repeat("a", 1000)}}, "deny_patterns"},
		{"budget regex too long", "session_exec", with(map[string]any{"budget": map[string]any{"grep": map[string]any{"pattern": strings.Repeat("a", 5000)}}}), "grep.pattern"},
		{"budget negative max_chars", "session_exec", with(map[string]any{"budget": map[string]any{"max_chars": -1}}), "max_chars"},
		{"timeout_s string", "session_exec", with(map[string]any{"timeout_s": "5"}), "timeout_s of session_exec must be a number of seconds"},
		{"timeout_s zero", "session_exec", with(map[string]any{"timeout_s": 0}), "at least 0.001 seconds"},
		{"timeout_s a nanosecond", "session_exec", with(map[string]any{"timeout_s": 1e-9}), "at least 0.001 seconds"},
		{"stdin number", "session_exec", with(map[string]any{"stdin": 3}), "stdin of session_exec must be a string"},
		{"on_timeout Continue", "session_exec", with(map[string]any{"on_timeout": "Continue"}), `"Continue"`},
		{"on_timeout unknown", "session_exec", with(map[string]any{"on_timeout": "later"}), `must be interrupt or continue, not "later"`},
		{"on_timeout number", "session_exec", with(map[string]any{"on_timeout": 1}), "must be a string"},
		{"exec unknown argument", "session_exec", with(map[string]any{"cwd": "/"}), `no argument "cwd"`},
		{"exec hostile argument name", "session_exec", with(map[string]any{"\x1b]0;pwned\x07" + huge: 1}), `no argument "\x1b]0;pwned\aAAA`},
		// session_output
		{"output without output_id", "session_output", map[string]any{"session_id": id}, "needs the argument output_id"},
		{"output unknown id", "session_output", map[string]any{"session_id": id, "output_id": "--help"}, "unknown output id"},
		{"output huge id", "session_output", map[string]any{"session_id": id, "output_id": huge}, "unknown output id"},
		{"output bad budget", "session_output", map[string]any{"session_id": id, "output_id": outID, "budget": map[string]any{"keep": map[string]any{"mode": "middle", "n": 2}}}, "keep.mode"},
		{"output unknown session", "session_output", map[string]any{"session_id": "nope", "output_id": outID}, "unknown session"},
		// session_destroy
		{"destroy without id", "session_destroy", map[string]any{}, "needs the argument session_id"},
		{"destroy number", "session_destroy", map[string]any{"session_id": 1.5}, "must be a string"},
		{"destroy unknown", "session_destroy", map[string]any{"session_id": "1_local; rm -rf /"}, "unknown session"},
		{"destroy extra argument", "session_destroy", map[string]any{"session_id": id, "force": true}, `no argument "force"`},
		// session_list
		{"list with an argument", "session_list", map[string]any{"all": true}, "session_list has no argument \"all\"; it takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := toolErr(t, s.call(tt.tool, tt.args))
			assert.Contains(t, msg, tt.want)
		})
	}
	// Still serving, and the session untouched by all of it.
	res := s.exec(id, "echo still here", nil)
	assert.Equal(t, "still here\n", res["stdout"])
	list := ok(t, s.call("session_list", nil))
	assert.Len(t, list["sessions"], 1, "no bad create left a session behind")
}

// TestStdoutIsOnlyMCP drives the binary with raw lines, garbage included:
// every line it writes to stdout must be a JSON-RPC message.
func TestStdoutIsOnlyMCP(t *testing.T) {
	cmd := exec.Command(binPath)
	cmd.Env = cleanEnv(nil)
	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`this is not json`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"session_create","arguments":{"transport":"local"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"session_exec","arguments":{"session_id":"1_local","command":"echo to-stdout; echo to-stderr >&2; echo '{\"jsonrpc\":\"2.0\"}' > /dev/stderr"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"session_exec","arguments":"not an object"}}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"session_list"}}`,
	}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()

	answered := map[float64]map[string]any{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 16<<20)
	// Send each line, and wait for a request's answer before the next, so
	// the exec finds the session created.
	for _, line := range lines {
		_, err = stdin.Write([]byte(line + "\n"))
		require.NoError(t, err)
		var req struct {
			ID *float64 `json:"id"`
		}
		if json.Unmarshal([]byte(line), &req) != nil {
			req.ID = new(float64) // garbage: answered with a parse error (id null)
		}
		if req.ID == nil {
			continue
		}
		for {
			require.True(t, sc.Scan(), "the server must answer %s; stderr:\n%s", line, stderr.String())
			var msg map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &msg), "stdout line is not JSON-RPC: %q", sc.Text())
			assert.Equal(t, "2.0", msg["jsonrpc"])
			if _, isNote := msg["method"]; isNote {
				continue
			}
			id, _ := msg["id"].(float64)
			answered[id] = msg
			break
		}
	}
	stdin.Close()
	for sc.Scan() {
		var msg map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &msg), "stdout line is not JSON-RPC: %q", sc.Text())
	}
	require.NoError(t, cmd.Wait(), "stdin closed: the server exits cleanly; stderr:\n%s", stderr.String())
	for _, id := range []float64{1, 2, 3, 4, 5, 6} {
		assert.Contains(t, answered, id, "request %v must be answered", id)
	}
	exec3, _ := json.Marshal(answered[3]["result"])
	assert.Contains(t, string(exec3), `to-stdout`)
	assert.NotContains(t, stderr.String(), "to-stdout", "a command's output reaches the result, nowhere else")
	assert.Contains(t, stderr.String(), "serving MCP on stdio", "diagnostics go to stderr")
}

func TestBadSettingsStopTheServer(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(badPolicy, []byte(`{"deny": ["rm"], "allwo": ["git"]}`), 0o600))
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"EXECKIT_MCP_MAX_SESSIONS": "lots"}, "EXECKIT_MCP_MAX_SESSIONS"},
		{map[string]string{"EXECKIT_MCP_MAX_SESSIONS": "0"}, "EXECKIT_MCP_MAX_SESSIONS"},
		{map[string]string{"EXECKIT_MCP_SESSION_TTL": "-5"}, "EXECKIT_MCP_SESSION_TTL"},
		{map[string]string{"EXECKIT_MCP_SESSION_TTL": "30m"}, "EXECKIT_MCP_SESSION_TTL"},
		{map[string]string{"EXECKIT_MCP_TIMEOUT_MAX": "0"}, "EXECKIT_MCP_TIMEOUT_MAX"},
		{map[string]string{"EXECKIT_MCP_OUTPUT_KEEP": "a lot"}, "EXECKIT_MCP_OUTPUT_KEEP"},
		{map[string]string{"EXECKIT_MCP_AUDIT_RETENTION_DAYS": "two weeks"}, "EXECKIT_MCP_AUDIT_RETENTION_DAYS"},
		{map[string]string{"EXECKIT_MCP_AUDIT": "relative/audit.jsonl"}, "EXECKIT_MCP_AUDIT"},
		{map[string]string{"EXECKIT_MCP_AUDIT": "/nonexistent/dir/audit.jsonl"}, "EXECKIT_MCP_AUDIT"},
		{map[string]string{"EXECKIT_MCP_AUDIT_DIR": badPolicy}, "EXECKIT_MCP_AUDIT_DIR"},
		{map[string]string{"EXECKIT_MCP_POLICY_FILE": badPolicy}, "allwo"},
		{map[string]string{"EXECKIT_MCP_POLICY_FILE": filepath.Join(dir, "missing.json")}, "EXECKIT_MCP_POLICY_FILE"},
		{map[string]string{"EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY": "0"}, "EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY"},
		{map[string]string{"EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY": "false"}, "EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY"},
		{map[string]string{"EXECKIT_MCP_SSH_AGENT": "maybe"}, "EXECKIT_MCP_SSH_AGENT"},
		{map[string]string{"EXECKIT_MCP_KEY_DIR": "keys"}, "EXECKIT_MCP_KEY_DIR"},
		{map[string]string{"EXECKIT_MCP_KNOWN_HOSTS": "known_hosts"}, "EXECKIT_MCP_KNOWN_HOSTS"},
		{map[string]string{"EXECKIT_MCP_WATCH_PORT": "99999"}, "EXECKIT_MCP_WATCH_PORT"},
		{map[string]string{"EXECKIT_MCP_WATCH_WEB": "please"}, "EXECKIT_MCP_WATCH_WEB"},
	}
	for _, tt := range tests {
		var name string
		for k, v := range tt.env {
			name = k + "=" + v
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(binPath)
			cmd.Env = cleanEnv(tt.env)
			cmd.Stdin = strings.NewReader("")
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			require.Error(t, err, "a setting that does not parse must stop the server")
			assert.Contains(t, stderr.String(), tt.want)
			assert.Empty(t, stdout.String(), "nothing but MCP on stdout, and no MCP without a server")
		})
	}
}
