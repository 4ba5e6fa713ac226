package execkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Terminal jobs over SSH: the sshd is on this machine, so the remote
// processes are in this machine's /proc too.

func TestJobREPLOverSSHTTY(t *testing.T) {
	fixture.LookPath(t, "python3")
	s := sshOpener(t)(t, nil)
	ctx := context.Background()
	j := startJob(t, s, "python3 -i", &JobOptions{TTY: true, Cols: 120})
	o := output(t, j, 20*time.Second, `>>> $`)
	require.True(t, o.Matched, "the prompt, a line without newline, is readable: %q", o.Stdout)
	assert.Contains(t, o.Stdout, "Python 3")
	assert.NotContains(t, o.Stdout, "EKPID", "the transport's wrapper is not in the job's output")
	assert.NotContains(t, o.Stdout, "EKJ", "nor the job's")
	assert.Empty(t, o.Stderr, "a terminal has one stream")

	_, err := j.Input(ctx, "print(6*7)\n")
	require.NoError(t, err)
	o = output(t, j, 20*time.Second, `(?m)^42$`)
	require.True(t, o.Matched, "%q", o.Stdout)
	assert.Equal(t, "print(6*7)\n42\n", strings.TrimSuffix(o.Stdout, ">>> "), "echo and result, CRLF cleaned")
	assert.NotContains(t, o.Stdout, "\r")
	assert.NotContains(t, o.Stdout, "\x1b")

	// Ctrl-C reaches the REPL through the remote terminal.
	j.Input(ctx, "import time; time.sleep(30)\n")
	output(t, j, 2*time.Second, "sleep")
	time.Sleep(200 * time.Millisecond)
	j.Input(ctx, "\x03")
	o = output(t, j, 20*time.Second, "KeyboardInterrupt")
	assert.True(t, o.Matched, "%q", o.Stdout)
	assert.NotContains(t, o.Stdout, "\r")
	assert.NotContains(t, o.Stdout, "\x1b")

	j.Input(ctx, "exit(3)\n")
	_, _, code := readToEnd(t, j, 20*time.Second)
	assert.Equal(t, 3, code)
}

func TestJobsOnSSHTTYDieWithSession(t *testing.T) {
	s := sshOpener(t)(t, nil)
	var pids []int
	a := startJob(t, s, "sleep 304", &JobOptions{TTY: true})
	pids = append(pids, waitTree(t, a, 2)...)
	b := startJob(t, s, "setsid sleep 306 & sleep 307; wait", &JobOptions{TTY: true, Rows: 50, Cols: 200})
	pids = append(pids, waitTree(t, b, 3)...)
	for _, pid := range pids {
		require.False(t, processGone(pid), "process %d of a terminal job runs before Close", pid)
	}
	require.NoError(t, s.Close())
	assertGone(t, s, pids, "Close kills every terminal job and what it started")
	for _, j := range []*Job{a, b} {
		select {
		case <-j.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s still runs after Close", j.ID())
		}
	}
	for _, info := range s.Jobs() {
		assert.False(t, info.Running, "%s", info.ID)
	}
}
