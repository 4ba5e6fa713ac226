package ssh

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The wrapper reports the pid and start time of the process that then
// becomes the command, for every shell a login might use.
func TestStartScriptReportsItself(t *testing.T) {
	for _, sh := range [][]string{{"sh"}, {"bash"}, {"dash"}, {"busybox", "sh"}} {
		if _, err := exec.LookPath(sh[0]); err != nil {
			continue
		}
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			nonce := newNonce()
			script, err := startScript(&transport.Command{
				Argv: []string{"sh", "-c", `read -r l </proc/$$/stat; l=${l##*) }; set -- $l; echo "$$ ${20} $X $(pwd)"`},
				Env:  []string{"X=it's"},
				Dir:  "/",
			}, nonce)
			require.NoError(t, err)
			out, err := exec.Command(sh[0], append(sh[1:], "-c", script)...).Output()
			require.NoError(t, err)
			p := &process{stdout: bufio.NewReader(strings.NewReader(string(out)))}
			require.NoError(t, p.readPID(nonce))
			rest, _ := p.stdout.ReadString('\n')
			assert.Equal(t, strings.Join([]string{strconv.Itoa(p.pid), p.start, "it's", "/"}, " ")+"\n", rest,
				"the command runs in the reported process, started at the reported time")
		})
	}
}

func TestReadPIDBounded(t *testing.T) {
	nonce := newNonce()
	// A hostile login shell floods stdout without a newline.
	p := &process{
		stdout: bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 3<<20)), 32<<10),
		stderr: strings.NewReader(""),
	}
	assert.ErrorContains(t, p.readPID(nonce), "too much")
	// A forged marker with another nonce is skipped; a marker split across
	// reads is found.
	in := "\036EKPID" + newNonce() + " 99 1\n" + strings.Repeat("y", 32<<10-5) + "\036EKPID" + nonce + " 1234 5678\nrest"
	p = &process{stdout: bufio.NewReaderSize(strings.NewReader(in), 32<<10), stderr: strings.NewReader("")}
	require.NoError(t, p.readPID(nonce))
	assert.Equal(t, 1234, p.pid)
	assert.Equal(t, "5678", p.start)
	// No marker at all: the command's error is reported.
	p = &process{stdout: bufio.NewReader(strings.NewReader("")), stderr: strings.NewReader("sh: 1: exec: nope: not found\n")}
	assert.ErrorContains(t, p.readPID(nonce), "not found")
}

func TestSignalNumber(t *testing.T) {
	assert.Equal(t, 9, signalNumber("KILL"))
	assert.Equal(t, 15, signalNumber("TERM"))
	assert.Equal(t, 2, signalNumber("INT"))
	assert.Equal(t, 34, signalNumber("34@openssh.com"))
	assert.Equal(t, 127, signalNumber("bogus"))
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		host string
		port int
		want string
	}{
		{"example.com", 0, "u@example.com"},
		{"example.com", 22, "u@example.com"},
		{"example.com", 2222, "u@example.com:2222"},
		{"::1", 22, "u@::1"},
		{"[::1]", 2222, "u@[::1]:2222"},
	} {
		c := &Config{Host: tc.host, Port: tc.port, User: "u"}
		host, err := c.validate()
		require.NoError(t, err)
		assert.Equal(t, tc.want, labelFor(c.User, host, c.port()))
	}
}

// killScript kills a session's whole tree under every shell a host may
// have, busybox included; here run locally on a tree that, like one sshd
// starts, leads its own session.
func TestKillScriptShells(t *testing.T) {
	for _, sh := range [][]string{{"sh"}, {"bash"}, {"dash"}, {"busybox", "sh"}} {
		if _, err := exec.LookPath(sh[0]); err != nil {
			continue
		}
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			tok := "1000." + strconv.Itoa(int(time.Now().UnixNano()%1e9))
			cmd := exec.Command("sh", "-c", "sleep "+tok+" & (sleep "+tok+" &); setsid sleep "+tok+" & sleep "+tok)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			require.NoError(t, cmd.Start())
			defer cmd.Process.Kill()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			find := func() []int {
				var pids []int
				procs, _ := proctree.Snapshot()
				for _, p := range procs {
					b, _ := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline")
					if strings.Contains(string(b), tok) {
						pids = append(pids, p.PID)
					}
				}
				return pids
			}
			for deadline := time.Now().Add(5 * time.Second); len(find()) < 5 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			require.Len(t, find(), 5, "the tree started")
			st, err := proctree.Stat(cmd.Process.Pid)
			require.NoError(t, err)
			out, err := exec.Command(sh[0], append(sh[1:], "-c", killScript, "sh", strconv.Itoa(cmd.Process.Pid), strconv.FormatUint(st.Start, 10))...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			<-done
			for deadline := time.Now().Add(5 * time.Second); len(find()) > 0 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			assert.Empty(t, find(), "processes left")

			// A wrong start time (a reused pid) kills nothing.
			other := exec.Command("sleep", tok)
			other.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			require.NoError(t, other.Start())
			defer other.Process.Kill()
			out, err = exec.Command(sh[0], append(sh[1:], "-c", killScript, "sh", strconv.Itoa(other.Process.Pid), "1")...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			time.Sleep(100 * time.Millisecond)
			assert.Len(t, find(), 1, "a reused pid must not be killed")
			other.Process.Kill()
			other.Wait()
		})
	}
}
