package execkit

import (
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
	checkREPL(t, sshOpener(t)(t, nil))
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
