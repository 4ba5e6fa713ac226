package main

import (
	"context"
	"fmt"
	"github.com/execkit/execkit/audit"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test64Sessions runs 64 concurrent sessions through one server, each with
// distinct outputs: no output may reach the wrong session.
func Test64Sessions(t *testing.T) {
	// All of them write one shared audit file.
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT": auditPath}})
	const n, cmds = 64, 5
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.create(nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			for j := 0; j < cmds; j++ {
				want := fmt.Sprintf("s%d-c%d", i, j)
				res := s.exec(id, "echo "+want+"; echo "+want+" >&2", nil)
				if res["stdout"] != want+"\n" || res["stderr"] != want+"\n" {
					errs <- fmt.Errorf("session %d command %d got %v / %v", i, j, res["stdout"], res["stderr"])
					return
				}
			}
		}(i, id)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every line whole, the chain intact, and each exec event holding its
	// own command's output.
	n64, err := audit.Verify(auditPath)
	require.NoError(t, err)
	execs := 0
	for _, l := range auditLines(t, auditPath) {
		if l["type"] != "exec" {
			continue
		}
		execs++
		cmd, _ := l["command"].(string)
		res, _ := l["result"].(map[string]any)
		want := strings.TrimSuffix(strings.TrimPrefix(cmd, "echo "), " >&2")
		want = want[:strings.IndexByte(want, ';')]
		assert.Equal(t, want+"\n", res["stdout"], "audit event of %q", cmd)
	}
	assert.Equal(t, n*cmds, execs)
	assert.GreaterOrEqual(t, n64, n*cmds+n, "opens and execs are all there")
}

// TestClientDisconnectMidCall: the MCP client goes away while a command
// runs; the server exits and the shell and what it started are gone.
func TestClientDisconnectMidCall(t *testing.T) {
	s := start(t, startOpts{})
	id := s.create(nil)
	pidFile := filepath.Join(t.TempDir(), "pids")
	// Jobs too, with and without a terminal, in the same session and in
	// another one that is idle when the client goes.
	other := s.create(nil)
	jobPids := filepath.Join(t.TempDir(), "jobpids")
	for _, j := range []struct {
		session string
		tty     bool
	}{{id, false}, {id, true}, {other, false}} {
		ok(t, s.call("job_start", map[string]any{"session_id": j.session, "tty": j.tty,
			"command": "sh -c 'echo $$ >> " + jobPids + "; exec sleep 301'"}))
	}
	go func() {
		// The call fails when the client closes; that is the point.
		var req mcp.CallToolRequest
		req.Params.Name = "session_exec"
		req.Params.Arguments = map[string]any{"session_id": id, "command": "sleep 300 & echo $$ $! > " + pidFile + "; sleep 300"}
		s.c.CallTool(context.Background(), req)
	}()
	var pids []int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(f)
			pids = append(pids, p)
		}
		return len(pids) == 2
	}, 10*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(jobPids)
		return len(strings.Fields(string(b))) == 3
	}, 10*time.Second, 50*time.Millisecond, "the three jobs started")
	b, _ := os.ReadFile(jobPids)
	for _, f := range strings.Fields(string(b)) {
		p, _ := strconv.Atoi(f)
		pids = append(pids, p)
	}
	s.c.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit after its client went away")
	}
	for _, p := range pids {
		assert.Eventually(t, func() bool { return syscall.Kill(p, 0) != nil }, 5*time.Second, 50*time.Millisecond,
			"process %d (the shell or its job) outlived the client", p)
	}
}

// TestAuditDiskFull: with the audit file on a full disk (/dev/full answers
// every write with ENOSPC), tools keep working and every lost event is
// reported on stderr, with a count when the server stops: never silent.
func TestAuditDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	s := start(t, startOpts{env: map[string]string{"EXECKIT_MCP_AUDIT": "/dev/full"}})
	id := s.create(nil)
	assert.Equal(t, "still works\n", s.exec(id, "echo still works", nil)["stdout"], "a full disk does not stop the agent's commands")
	ok(t, s.call("session_destroy", map[string]any{"session_id": id}))
	require.Eventually(t, func() bool { return strings.Count(s.stderr.String(), " lost: ") >= 3 }, 10*time.Second, 20*time.Millisecond,
		"open, exec and close are each reported lost; stderr:\n%s", s.stderr.String())
	errs := s.stderr.String()
	assert.Contains(t, errs, "exec event of session "+id+" lost")
	assert.Contains(t, errs, "no space left on device")
	s.c.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit after its client went away")
	}
	assert.Regexp(t, `\d+ event\(s\) lost`, s.stderr.String(), "the server says at exit how many events the audit log lost")
}
