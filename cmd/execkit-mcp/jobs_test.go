package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJobTools(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	s.exec(id, "cd /tmp && export GREETING=hi", nil)

	// A server-like job, read until it is ready, then stopped.
	got := ok(t, s.call("job_start", map[string]any{"session_id": id, "command": `echo "$GREETING from $(pwd)"; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done`}))
	job, _ := got["job_id"].(string)
	require.NotEmpty(t, job)
	out := ok(t, s.call("job_output", map[string]any{"session_id": id, "job_id": job, "until": "tick 3", "wait_ms": 5000}))
	assert.Contains(t, out["stdout"], "hi from /tmp\n", "a job inherits the session's cwd and exports")
	assert.Contains(t, out["stdout"], "tick 3")
	assert.Equal(t, true, out["running"])
	fin := ok(t, s.call("job_signal", map[string]any{"session_id": id, "job_id": job, "signal": "TERM"}))
	assert.Equal(t, false, fin["running"])

	// Input to a line-echo loop.
	got = ok(t, s.call("job_start", map[string]any{"session_id": id, "command": `while read l; do echo "got $l"; done`}))
	echo, _ := got["job_id"].(string)
	w := ok(t, s.call("job_input", map[string]any{"session_id": id, "job_id": echo, "input": "one\n"}))
	assert.EqualValues(t, 4, w["written"])
	out = ok(t, s.call("job_output", map[string]any{"session_id": id, "job_id": echo, "until": "got one", "wait_ms": 5000}))
	assert.Contains(t, out["stdout"], "got one")

	// The jobs show in session_list.
	list := ok(t, s.call("session_list", map[string]any{}))
	assert.Contains(t, mustJSON(t, list), echo)

	// Hostile arguments.
	for _, c := range []map[string]any{
		{"session_id": id, "job_id": "j_999"},
		{"session_id": id, "job_id": "../../x"},
		{"session_id": "nope", "job_id": echo},
		{"session_id": id, "job_id": echo, "until": "(unclosed"},
		{"session_id": id, "job_id": echo, "until": strings.Repeat("a", 5000)},
		{"session_id": id, "job_id": echo, "until": "(\nX" + strings.Repeat("a", 1000)},
		{"session_id": id, "job_id": echo, "wait_ms": -1},
	} {
		toolErr(t, s.call("job_output", c))
	}
	toolErr(t, s.call("job_signal", map[string]any{"session_id": id, "job_id": echo, "signal": "STOP"}))
	toolErr(t, s.call("job_start", map[string]any{"session_id": id}))
}

func TestExecOnTimeoutContinue(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	res := s.exec(id, "echo begin; sleep 1.5; echo done; cd /tmp", map[string]any{"timeout_s": 0.3, "on_timeout": "continue"})
	assert.Equal(t, "begin\n", res["stdout"])
	job, _ := res["job_id"].(string)
	require.NotEmpty(t, job, "a continued command returns a job id")

	// The shell is busy: a clear error, not a hang.
	start := time.Now()
	msg := toolErr(t, s.call("session_exec", map[string]any{"session_id": id, "command": "echo next"}))
	assert.Contains(t, strings.ToLower(msg), "busy")
	assert.Less(t, time.Since(start), 5*time.Second)

	// Read it to the end; then the session is free, with the command's cwd.
	out := ok(t, s.call("job_output", map[string]any{"session_id": id, "job_id": job, "until": "done", "wait_ms": 10000}))
	assert.Contains(t, out["stdout"], "done")
	assert.Eventually(t, func() bool {
		r := s.call("session_exec", map[string]any{"session_id": id, "command": "pwd"})
		return !r.IsError && strings.Contains(text(t, r), `"/tmp\n"`)
	}, 10*time.Second, 200*time.Millisecond)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestJobOutputProgress: while job_output waits, a client that sent a
// progress token sees what the job prints, and the result still holds all
// of it (progress reads nothing).
func TestJobOutputProgress(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	got := ok(t, s.call("job_start", map[string]any{"session_id": id, "command": `for i in 1 2 3 4 5 6; do echo "step $i"; sleep 0.4; done; echo "token=ghp_` + strings.Repeat("a1B2", 9) + `"; sleep 1`}))
	job, _ := got["job_id"].(string)
	s.clearNotifications()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := ok(t, s.callCtx(ctx, "job_output", map[string]any{"session_id": id, "job_id": job, "until": "token=", "wait_ms": 10000}, &mcp.Meta{ProgressToken: "job-tok"}))
	assert.Contains(t, out["stdout"], "step 1\n", "progress consumed nothing")
	assert.Contains(t, out["stdout"], "step 6\n")
	progress := s.notifications("notifications/progress")
	require.NotEmpty(t, progress, "a waiting job_output sends progress when asked")
	saw := false
	for _, p := range progress {
		f := p.Params.AdditionalFields
		assert.Equal(t, "job-tok", f["progressToken"])
		assert.EqualValues(t, 10, f["total"], "the wait is the total")
		msg, _ := f["message"].(string)
		assert.NotContains(t, msg, "ghp_", "progress is redacted like the output")
		if strings.Contains(msg, "step ") && strings.Contains(msg, "bytes of new output") {
			saw = true
		}
	}
	assert.True(t, saw, "progress carries the job's new output")

	// No token, no progress.
	s.clearNotifications()
	ok(t, s.call("job_output", map[string]any{"session_id": id, "job_id": job, "wait_ms": 1200}))
	assert.Empty(t, s.notifications("notifications/progress"))
}
