package execkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/policy"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opener opens a session on one transport.
type opener func(t *testing.T, cfg *Config, opts ...Option) *Session

// eachJobTransport runs f over the local transport, over SSH to a real
// sshd on this machine (so /proc shows the remote processes too), and in a
// Docker container (whose processes the helpers look up inside it: see
// machineOf).
func eachJobTransport(t *testing.T, f func(t *testing.T, open opener)) {
	t.Run("local", func(t *testing.T) {
		f(t, func(t *testing.T, cfg *Config, opts ...Option) *Session {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := OpenLocal(ctx, cfg, opts...)
			require.NoError(t, err, "opening a local session")
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("ssh", func(t *testing.T) {
		f(t, sshOpener(t))
	})
	t.Run("docker", func(t *testing.T) {
		f(t, dockerOpener(t))
	})
}

// sshOpener starts an sshd for t and returns an opener dialling it, one
// connection per session.
func sshOpener(t *testing.T) opener {
	sshd := fixture.StartSSHD(t, nil)
	keyDir := t.TempDir()
	k := fixture.NewUserKey(t, keyDir, "id_ed25519", "ed25519", "")
	sshd.Authorize(sshd.User, k.Public)
	op := &ssh.Operator{KeyDir: keyDir, KnownHostsPath: filepath.Join(t.TempDir(), "known_hosts"), DialTimeout: 20 * time.Second}
	return func(t *testing.T, cfg *Config, opts ...Option) *Session {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tr, err := ssh.Dial(ctx, &ssh.Config{Host: sshd.Host, Port: sshd.Port, User: sshd.User, KeyPath: "id_ed25519"}, op)
		require.NoError(t, err, "dialling the test sshd")
		s, err := Open(ctx, tr, cfg, append(opts, WithTransport())...)
		require.NoError(t, err, "opening a session over ssh")
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func openWith(t testing.TB, cfg *Config, opts ...Option) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenLocal(ctx, cfg, opts...)
	require.NoError(t, err, "opening a local session")
	t.Cleanup(func() { s.Close() })
	return s
}

func startJob(t testing.TB, s *Session, command string, opts *JobOptions) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := s.Start(ctx, command, opts)
	require.NoError(t, err, "starting job %q", command)
	return j
}

func output(t testing.TB, j *Job, wait time.Duration, until string) *JobOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait+30*time.Second)
	defer cancel()
	o, err := j.Output(ctx, wait, until)
	require.NoError(t, err, "reading %s", j.ID())
	return o
}

// readToEnd reads j until it ends and returns all its output.
func readToEnd(t testing.TB, j *Job, limit time.Duration) (stdout, stderr string, code int) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var out, errs strings.Builder
	for {
		o := output(t, j, 2*time.Second, "")
		out.WriteString(o.Stdout)
		errs.WriteString(o.Stderr)
		if !o.Running {
			require.NotNil(t, o.ExitCode, "an ended job reports its exit code")
			return out.String(), errs.String(), *o.ExitCode
		}
		require.True(t, time.Now().Before(deadline), "%s still runs after %s; output so far %q", j.ID(), limit, out.String())
	}
}

// tree returns the job's shell and every process below it, as pids of the
// machine (or container) they run on.
func tree(t testing.TB, j *Job) []int {
	t.Helper()
	require.Greater(t, j.pid, 1, "the job reports its pid")
	return append([]int{j.pid}, machineOf(j.s).below(t, j.pid)...)
}

// waitTree waits until the job's tree has at least n processes.
func waitTree(t testing.TB, j *Job, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := tree(t, j)
		if len(pids) >= n {
			return pids
		}
		require.True(t, time.Now().Before(deadline), "the job's tree has %d processes, want %d", len(pids), n)
		time.Sleep(20 * time.Millisecond)
	}
}

// assertGone checks that every pid, a process of the machine (or
// container) s runs on, exits within seconds.
func assertGone(t testing.TB, s *Session, pids []int, what string) {
	t.Helper()
	m := machineOf(s)
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for !m.gone(t, pid) {
			if !assert.True(t, time.Now().Before(deadline), "%s: process %d is still running", what, pid) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestJobDevServerReadIncrementally(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		s := open(t, nil)
		j := startJob(t, s, `echo "starting"; sleep 0.2; echo "listening on :8080" >&2; i=0; while :; do echo "GET /$i 200"; i=$((i+1)); sleep 0.02; done`, nil)
		o := output(t, j, 20*time.Second, `listening on :\d+`)
		assert.True(t, o.Matched, "until must report the match")
		assert.True(t, o.Running)
		assert.Nil(t, o.ExitCode, "a running job has no exit code")
		assert.Equal(t, "listening on :8080\n", o.Stderr)
		all := o.Stdout
		o = output(t, j, 20*time.Second, `GET /30 `)
		assert.True(t, o.Matched)
		assert.NotContains(t, o.Stdout+o.Stderr, "listening", "a read returns only what is new")
		all += o.Stdout
		o = output(t, j, 0, "")
		all += o.Stdout

		// Every line exactly once, in order, across the reads.
		lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
		require.Equal(t, "starting", lines[0])
		for i, l := range lines[1:] {
			if i == len(lines)-2 && !strings.HasSuffix(all, "\n") {
				break // a line still being written
			}
			assert.Equal(t, fmt.Sprintf("GET /%d 200", i), l, "line %d", i+1)
		}

		info, err := j.Signal(context.Background(), "TERM")
		require.NoError(t, err)
		assert.False(t, info.Running, "TERM ends the loop")
		require.NotNil(t, info.ExitCode)
		assert.Equal(t, 143, *info.ExitCode)
		o = output(t, j, time.Second, "")
		assert.False(t, o.Running)
		assert.Equal(t, 143, *o.ExitCode)
	})
}

func TestJobUntilTimesOutAndEnds(t *testing.T) {
	s := open(t, nil)
	j := startJob(t, s, `echo one; sleep 0.5; echo two; exit 7`, nil)
	start := time.Now()
	o := output(t, j, 200*time.Millisecond, "never")
	assert.False(t, o.Matched)
	assert.Less(t, time.Since(start), 5*time.Second)
	o2 := output(t, j, 20*time.Second, "never")
	assert.False(t, o2.Matched, "the pattern never appears")
	assert.False(t, o2.Running, "until returns when the job ends")
	assert.Equal(t, 7, *o2.ExitCode, "a job that ends by itself reports its exit code")
	assert.Equal(t, "one\ntwo\n", o.Stdout+o2.Stdout)
}

func TestJobIdleReturn(t *testing.T) {
	s := open(t, nil)
	j := startJob(t, s, `echo first; sleep 30; echo late`, nil)
	start := time.Now()
	o := output(t, j, 10*time.Second, "")
	assert.Equal(t, "first\n", o.Stdout)
	assert.True(t, o.Running)
	assert.Less(t, time.Since(start), 5*time.Second, "output idle for a moment returns without waiting out wait")

	start = time.Now()
	o = output(t, j, 300*time.Millisecond, "")
	assert.Empty(t, o.Stdout, "no new output")
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "with nothing new it waits")
	o = output(t, j, 0, "")
	assert.True(t, o.Running)
	j.Signal(context.Background(), "KILL")
}

func TestJobInput(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		s := open(t, nil)
		ctx := context.Background()
		t.Run("cat", func(t *testing.T) {
			j := startJob(t, s, "cat", nil)
			n, err := j.Input(ctx, "hello\n")
			require.NoError(t, err)
			assert.Equal(t, 6, n)
			assert.Equal(t, "hello\n", output(t, j, 10*time.Second, "hello").Stdout)
			j.Input(ctx, "world\n")
			assert.Equal(t, "world\n", output(t, j, 10*time.Second, "world").Stdout)
			require.NoError(t, j.CloseInput())
			out, _, code := readToEnd(t, j, 20*time.Second)
			assert.Empty(t, out)
			assert.Equal(t, 0, code, "cat ends at end of input")
		})
		t.Run("line echo loop", func(t *testing.T) {
			j := startJob(t, s, `while read -r l; do echo "got:$l"; [ "$l" = quit ] && exit 4; done`, nil)
			for _, w := range []string{"a", "b c"} {
				j.Input(ctx, w+"\n")
				assert.Equal(t, "got:"+w+"\n", output(t, j, 10*time.Second, "got:"+w).Stdout)
			}
			j.Input(ctx, "quit\n")
			out, _, code := readToEnd(t, j, 20*time.Second)
			assert.Equal(t, "got:quit\n", out)
			assert.Equal(t, 4, code)
		})
	})
}

func TestJobREPLOverTTY(t *testing.T) {
	fixture.LookPath(t, "python3")
	checkREPL(t, open(t, nil))
}

// checkREPL runs python3 -i on a terminal in s: the prompt, an answer,
// Ctrl-C through the terminal and the exit code, cleaned, with nothing of the
// transport's or the job's wrappers in the output.
func checkREPL(t *testing.T, s *Session) {
	t.Helper()
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

	// Ctrl-C reaches the REPL through the terminal.
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

func TestJobSignals(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		s := open(t, nil)
		ctx := context.Background()
		cases := []struct {
			sig, command string
			procs, code  int
		}{
			{"INT", "sleep 300 | cat", 3, 130},
			{"TERM", "sleep 300 & sleep 301; wait", 3, 143},
			{"KILL", "sleep 300 & sleep 301; wait", 3, 137},
			{"HUP", "sleep 300", 2, 129},
			{"sigterm", "sh -c 'sleep 300; :'; :", 3, 143},
		}
		for _, c := range cases {
			t.Run(c.sig, func(t *testing.T) {
				j := startJob(t, s, c.command, nil)
				pids := waitTree(t, j, c.procs)
				info, err := j.Signal(ctx, c.sig)
				require.NoError(t, err)
				assert.False(t, info.Running, "%s ends %q", c.sig, c.command)
				if assert.NotNil(t, info.ExitCode) {
					assert.Equal(t, c.code, *info.ExitCode)
				}
				assertGone(t, s, pids, c.sig+" to the process tree")
			})
		}
		t.Run("INT ignored, then KILL", func(t *testing.T) {
			j := startJob(t, s, "trap '' INT; sleep 300 & sleep 301; wait", nil)
			pids := waitTree(t, j, 3)
			info, err := j.Signal(ctx, "INT")
			require.NoError(t, err)
			assert.True(t, info.Running, "a job ignoring INT still runs")
			assert.Nil(t, info.ExitCode)
			info, err = j.Signal(ctx, "KILL")
			require.NoError(t, err)
			assert.False(t, info.Running)
			assert.Equal(t, 137, *info.ExitCode)
			assertGone(t, s, pids, "KILL after an ignored INT")
		})
		t.Run("ended job", func(t *testing.T) {
			j := startJob(t, s, "exit 5", nil)
			<-j.Done()
			info, err := j.Signal(ctx, "TERM")
			require.NoError(t, err, "signalling an ended job reports its state")
			assert.False(t, info.Running)
			assert.Equal(t, 5, *info.ExitCode)
		})
	})
}

func TestJobInheritsCwdAndEnv(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		s := open(t, &Config{Env: map[string]string{"EK_GONE": "1"}})
		dir := t.TempDir()
		tricky := "it's \"$HOME\" `x`\n\ttab \\ end"
		run(t, s, "mkdir -p "+quote(dir), nil) // in a container too
		run(t, s, "cd "+quote(dir)+" && export EK_JOB="+quote(tricky)+"; EK_LOCAL=1; unset EK_GONE; export GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", nil)
		j := startJob(t, s, `pwd; printf '%s|' "$EK_JOB" "${EK_LOCAL-unset}" "${EK_GONE-unset}" "$PAGER" "${#GITHUB_TOKEN}" "$#" "${__ek_c-none}" "${__EXECKIT_EXPORTS-none}"; echo; echo "$GITHUB_TOKEN"`, nil)
		out, errs, code := readToEnd(t, j, 20*time.Second)
		assert.Equal(t, 0, code, "stderr: %s", errs)
		assert.Equal(t, dir+"\n"+tricky+"|unset|unset|cat|42|0|none|none|\n[REDACTED]\n", out,
			"the job sees the shell's cwd and exports (exact bytes, unset ones gone, secrets intact in the environment but redacted in output), and nothing of its wrapper")

		// A later change in the session does not reach a running job, and
		// the session keeps its own state.
		res := run(t, s, `pwd; echo "$EK_JOB"`, nil)
		assert.Equal(t, dir+"\n"+tricky+"\n", res.Stdout)
	})
}

func TestJobExportsNotInArgv(t *testing.T) {
	s := open(t, nil)
	run(t, s, "export EK_SECRETISH=s3cr3t-value-in-env", nil)
	j := startJob(t, s, "sleep 300", nil)
	for _, pid := range waitTree(t, j, 1) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		require.NoError(t, err)
		assert.NotContains(t, string(b), "s3cr3t-value-in-env", "exports must not be in a world-readable command line")
	}
	j.Signal(context.Background(), "KILL")
}

func TestJobPolicyFence(t *testing.T) {
	var mu sync.Mutex
	var events []*Event
	obs := WithObserver(func(e *Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	s := openWith(t, &Config{Policy: &policy.Policy{Deny: []string{"rm", "curl"}}}, obs)
	dir := t.TempDir()
	victim := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(victim, nil, 0o600))
	for _, cmd := range []string{
		"rm " + victim,
		"echo x | rm " + victim,
		"bash -c 'rm " + victim + "'",
		"echo $(rm " + victim + ")",
		"sudo -n rm " + victim,
		"f() { rm \"$1\"; }; f " + victim,
	} {
		_, err := s.Start(context.Background(), cmd, nil)
		var pe *PolicyError
		assert.ErrorAs(t, err, &pe, "job command %q must be denied", cmd)
	}
	assert.FileExists(t, victim, "a denied job never runs")
	assert.Empty(t, s.Jobs(), "a denied job is not listed")
	mu.Lock()
	blocked := 0
	for _, e := range events {
		if e.Type == "blocked" {
			blocked++
		}
	}
	mu.Unlock()
	assert.Equal(t, 6, blocked, "each denial is an event")

	// The session's BASH_ENV (or ENV) cannot smuggle unchecked code into
	// the job's shell.
	evil := filepath.Join(dir, "evil.sh")
	require.NoError(t, os.WriteFile(evil, []byte("echo ran > "+filepath.Join(dir, "pwned")+"\n"), 0o600))
	run(t, s, "export BASH_ENV="+evil+" ENV="+evil, nil)
	j := startJob(t, s, "echo ok", nil)
	out, _, _ := readToEnd(t, j, 20*time.Second)
	assert.Equal(t, "ok\n", out)
	assert.NoFileExists(t, filepath.Join(dir, "pwned"), "the job's shell must not read a startup file")
}

func TestJobOutputBounded(t *testing.T) {
	s := open(t, &Config{MaxChars: 4096})
	const total = 8 << 20
	j := startJob(t, s, fmt.Sprintf("head -c %d /dev/zero | tr '\\0' a; echo; echo END", total), nil)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	<-j.Done()
	runtime.ReadMemStats(&ms)
	assert.Less(t, int64(ms.HeapInuse)-int64(before), int64(32<<20), "an unread flood must not grow the heap")
	o := output(t, j, 0, "")
	assert.LessOrEqual(t, len(o.Stdout), 4096, "a read returns at most the window")
	assert.True(t, strings.HasSuffix(o.Stdout, "a\nEND\n"), "the newest output is kept: %q", o.Stdout[max(0, len(o.Stdout)-20):])
	assert.Equal(t, int64(total+5), o.Dropped+int64(len(o.Stdout)), "dropped counts exactly what was lost")
	assert.Equal(t, 0, *o.ExitCode)
	o = output(t, j, 0, "")
	assert.Zero(t, o.Dropped, "the count restarts after a read")
	assert.Empty(t, o.Stdout)
}

func TestJobHostileInputs(t *testing.T) {
	s := open(t, nil)
	ctx := context.Background()
	j := startJob(t, s, "cat", nil)
	var ae *JobArgError
	for _, until := range []string{"(", "a{1001}", strings.Repeat("a", MaxPatternLen+1), "\xff", strings.Repeat("(a{100}){100}", 1)} {
		_, err := j.Output(ctx, 0, until)
		if assert.ErrorAs(t, err, &ae, "until %.20q", until) {
			assert.Equal(t, "until", ae.Arg)
		}
	}
	_, err := j.Output(ctx, -time.Second, "")
	assert.ErrorAs(t, err, &ae)
	for _, sig := range []string{"SEGV", "9", "INT; rm -rf /", "", strings.Repeat("X", 100000), "STOP"} {
		_, err := j.Signal(ctx, sig)
		if assert.ErrorAs(t, err, &ae, "signal %.20q", sig) {
			assert.Equal(t, "signal", ae.Arg)
			assert.Less(t, len(err.Error()), 200, "the error does not echo a huge argument")
		}
	}
	for _, id := range []string{"job_999", "../job_1", "", "job_1\x00", strings.Repeat("j", 100000)} {
		_, err := s.Job(id)
		assert.ErrorIs(t, err, ErrUnknownJob, "id %.20q", id)
		assert.Less(t, len(err.Error()), 200)
	}
	_, err = j.Input(ctx, strings.Repeat("x", MaxJobInput+1))
	assert.ErrorAs(t, err, &ae)

	ended := startJob(t, s, "exit 0", nil)
	<-ended.Done()
	_, err = ended.Input(ctx, "late\n")
	assert.ErrorIs(t, err, ErrJobEnded)
	assert.ErrorIs(t, ended.CloseInput(), ErrJobEnded)

	var ce *CommandError
	_, err = s.Start(ctx, "echo a\x00b", nil)
	assert.ErrorAs(t, err, &ce)
	_, err = s.Start(ctx, "  \n", nil)
	assert.ErrorAs(t, err, &ce)
	_, err = s.Start(ctx, "echo", &JobOptions{TTY: true, Rows: -1})
	assert.ErrorAs(t, err, &ae)
	_, err = s.Start(ctx, "echo", &JobOptions{TTY: true, Cols: MaxTTYSize + 1})
	assert.ErrorAs(t, err, &ae)
	_, err = s.Exec(ctx, "echo", &ExecOptions{OnTimeout: "explode"})
	assert.ErrorContains(t, err, "on_timeout")

	// The session is unharmed.
	j.Input(ctx, "still fine\n")
	assert.Equal(t, "still fine\n", output(t, j, 10*time.Second, "fine").Stdout)
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
}

func TestJobTTYUnsupportedTransport(t *testing.T) {
	// A deliberate wrapper: it embeds the local transport as a
	// transport.Transport, which hides StartTTY, so the session sees a
	// transport without transport.TTYStarter (and "local" as its kind).
	type noTTY struct{ transport.Transport }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, noTTY{local.New()}, nil, WithTransport())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.Start(context.Background(), "python3 -i", &JobOptions{TTY: true})
	var ae *JobArgError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "tty", ae.Arg)
	assert.Contains(t, err.Error(), "local transport cannot start a job on a terminal")
	assert.Empty(t, s.Jobs(), "nothing was started")
}

func TestExecOnTimeoutContinue(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		var mu sync.Mutex
		var types []string
		obs := WithObserver(func(e *Event) { mu.Lock(); types = append(types, e.Type); mu.Unlock() })
		s := open(t, nil, obs)
		ctx := context.Background()
		dir := t.TempDir()
		run(t, s, "mkdir -p "+quote(dir)+"; export EK_KEEP=kept; cd /", nil) // the dir in a container too

		start := time.Now()
		res, err := s.Exec(ctx, "echo started; cd "+quote(dir)+"; export EK_NEW=new; sleep 2; echo done; (exit 3)", &ExecOptions{Timeout: 300 * time.Millisecond, OnTimeout: "continue"})
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 1500*time.Millisecond, "the call returns at its timeout")
		require.NotEmpty(t, res.JobID, "the result names the job")
		assert.True(t, res.TimedOut)
		assert.Equal(t, -1, res.ExitCode, "no exit code yet")
		assert.Equal(t, "started\n", res.Stdout, "the output so far")
		assert.Equal(t, "/", res.Cwd)

		_, err = s.Exec(ctx, "echo next", nil)
		var be *BusyError
		require.ErrorAs(t, err, &be, "the next Exec is refused at once, not left to hang")
		assert.ErrorIs(t, err, ErrBusy)
		assert.Equal(t, res.JobID, be.JobID)
		_, err = s.Start(ctx, "echo job", nil)
		assert.ErrorAs(t, err, &be, "Start needs the shell too")

		j, err := s.Job(res.JobID)
		require.NoError(t, err)
		assert.True(t, j.Info().Continued)
		_, err = j.Input(ctx, "x")
		assert.Error(t, err, "a continued command reads /dev/null")
		out, _, code := readToEnd(t, j, 20*time.Second)
		assert.Equal(t, "done\n", out, "the rest of the output, nothing twice")
		assert.Equal(t, 3, code)

		r := run(t, s, `pwd; echo "$EK_KEEP $EK_NEW"`, nil)
		assert.Equal(t, dir+"\n"+"kept new\n", r.Stdout, "the session resumes with the command's cwd and env")
		assert.Equal(t, dir, r.Cwd)
		assert.Equal(t, dir, s.Cwd())

		mu.Lock()
		got := strings.Join(types, " ")
		mu.Unlock()
		assert.Contains(t, got, "job_start exec")
		assert.Contains(t, got, "job_exit")
	})
}

func TestExecOnTimeoutContinueShells(t *testing.T) {
	eachShell(t, func(t *testing.T, sh fixture.Shell, s *Session) {
		ctx := context.Background()
		res, err := s.Exec(ctx, "echo a; sleep 1; echo b", &ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue", Budget: &Budget{Keep: &Keep{Mode: "tail", N: 5}}})
		require.NoError(t, err)
		require.NotEmpty(t, res.JobID)
		assert.Equal(t, "a\n", res.Stdout)
		require.NotNil(t, res.Budget, "the budget shaped the output so far")
		j, _ := s.Job(res.JobID)
		out, _, code := readToEnd(t, j, 20*time.Second)
		assert.Equal(t, "b\n", out)
		assert.Equal(t, 0, code)
		assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)

		// Signalled instead of read: INT interrupts it like a timeout.
		res, err = s.Exec(ctx, "echo x; sleep 30; echo never", &ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue"})
		require.NoError(t, err)
		j, _ = s.Job(res.JobID)
		info, err := j.Signal(ctx, "INT")
		require.NoError(t, err)
		assert.False(t, info.Running, "INT ends a continued sleep")
		out, _, _ = readToEnd(t, j, 20*time.Second)
		if !sh.NonInteractive { // busybox goes on with the rest of the line, as on a timeout
			assert.NotContains(t, out, "never")
		}
		assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout, "the session is free again")

		// Cancellation (not a timeout) still interrupts.
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(200*time.Millisecond, cancel)
		res, err = s.Exec(cctx, "sleep 30", &ExecOptions{OnTimeout: "continue"})
		require.NoError(t, err)
		assert.Empty(t, res.JobID, "a cancelled call interrupts, it does not continue")
		assert.True(t, res.TimedOut)
	})
}

func TestExecOnTimeoutContinueKill(t *testing.T) {
	s := open(t, &Config{Grace: 300 * time.Millisecond})
	ctx := context.Background()
	res, err := s.Exec(ctx, "sleep 300 & sleep 301; wait", &ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue"})
	require.NoError(t, err)
	j, _ := s.Job(res.JobID)
	kids, _ := proctree.Descendants(s.pid, 0)
	info, err := j.Signal(ctx, "KILL")
	require.NoError(t, err)
	assert.False(t, info.Running)
	assertGone(t, s, kids, "KILL of a continued command")
	assert.Equal(t, "ok\n", run(t, s, "echo ok", nil).Stdout)
	assert.NoError(t, s.Err())
}

func TestExecOnTimeoutContinueShellExits(t *testing.T) {
	s := open(t, nil)
	res, err := s.Exec(context.Background(), "echo bye; sleep 0.5; exit 4", &ExecOptions{Timeout: 100 * time.Millisecond, OnTimeout: "continue"})
	require.NoError(t, err)
	j, _ := s.Job(res.JobID)
	_, _, code := readToEnd(t, j, 20*time.Second)
	assert.Equal(t, 4, code, "the shell's exit status")
	o := output(t, j, 0, "")
	assert.Contains(t, o.Error, "exited with status 4", "the job says the session ended")
	_, err = s.Exec(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, ErrSessionEnded, "exit in a continued command ends the session, as in any command")
}

func TestJobsDieWithSession(t *testing.T) {
	eachJobTransport(t, func(t *testing.T, open opener) {
		t.Run("close", func(t *testing.T) {
			s := open(t, nil)
			var pids []int
			pids = append(pids, waitTree(t, startJob(t, s, "sleep 300 & sleep 301; wait", nil), 3)...)
			pids = append(pids, waitTree(t, startJob(t, s, "setsid sleep 302 & sleep 303; wait", nil), 2)...)
			if _, ok := s.t.(transport.TTYStarter); ok {
				pids = append(pids, waitTree(t, startJob(t, s, "sleep 304", &JobOptions{TTY: true}), 2)...)
			}
			res, err := s.Exec(context.Background(), "sleep 305", &ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue"})
			require.NoError(t, err)
			fg, _ := s.Job(res.JobID)
			pids = append(pids, machineOf(s).below(t, s.pid)...)
			require.NoError(t, s.Close())
			assertGone(t, s, pids, "Close kills every job")
			for _, info := range s.Jobs() {
				assert.False(t, info.Running, "%s", info.ID)
			}
			<-fg.Done()
			_, err = s.Start(context.Background(), "echo", nil)
			assert.ErrorIs(t, err, ErrSessionEnded)
		})
		t.Run("shell exits", func(t *testing.T) {
			s := open(t, nil)
			j := startJob(t, s, "sleep 300", nil)
			pids := waitTree(t, j, 1)
			s.Exec(context.Background(), "exit 0", nil)
			select {
			case <-j.Done():
			case <-time.After(20 * time.Second):
				t.Fatal("a job outlived its session's shell")
			}
			assertGone(t, s, pids, "the shell's end kills its jobs")
		})
	})
}

func TestJobListAndLimits(t *testing.T) {
	shared := NewJobLimiter(3)
	s := openWith(t, nil, WithJobLimits(2, shared))
	other := openWith(t, nil, WithJobLimits(0, shared))
	ctx := context.Background()
	a := startJob(t, s, "sleep 300", nil)
	b := startJob(t, s, "echo hi; sleep 300", &JobOptions{TTY: true})
	_, err := s.Start(ctx, "sleep 1", nil)
	assert.ErrorIs(t, err, ErrTooManyJobs, "the session's cap")
	startJob(t, other, "sleep 300", nil)
	_, err = other.Start(ctx, "sleep 1", nil)
	assert.ErrorIs(t, err, ErrTooManyJobs, "the operator-wide cap")
	assert.Equal(t, 3, shared.Live())

	list := s.Jobs()
	require.Len(t, list, 2)
	assert.Equal(t, a.ID(), list[0].ID)
	assert.Equal(t, "sleep 300", list[0].Command)
	assert.True(t, list[1].TTY)
	assert.True(t, list[1].Running)
	js, err := json.Marshal(list[0])
	require.NoError(t, err)
	assert.Contains(t, string(js), `"age_ms":`)
	assert.Contains(t, string(js), `"running":true`)

	b.Signal(ctx, "KILL")
	assert.Equal(t, 2, shared.Live(), "an ended job frees its place")
	startJob(t, s, "true", nil)
	list = s.Jobs()
	assert.False(t, list[1].Running)
	assert.Equal(t, 137, *list[1].ExitCode)

	none := openWith(t, nil, WithJobLimits(-1, nil))
	_, err = none.Start(ctx, "true", nil)
	assert.ErrorIs(t, err, ErrTooManyJobs)
}

func TestJobEvents(t *testing.T) {
	var mu sync.Mutex
	var events []*Event
	s := openWith(t, nil, WithObserver(func(e *Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
	ctx := context.Background()
	j := startJob(t, s, "cat", nil)
	j.Input(ctx, "password=hunter2hunter2\n")
	output(t, j, 10*time.Second, "password")
	j.Signal(ctx, "TERM")
	<-j.Done()
	mu.Lock()
	defer mu.Unlock()
	var seen []string
	for _, e := range events {
		if e.Job == nil {
			continue
		}
		seen = append(seen, e.Type)
		assert.Equal(t, j.ID(), e.Job.ID)
		assert.NotContains(t, e.Job.Input, "hunter2", "input is redacted in events")
		if e.Type == "job_exit" || e.Type == "job_signal" {
			require.NotNil(t, e.Job.ExitCode)
			assert.Equal(t, 143, *e.Job.ExitCode)
		}
	}
	assert.Equal(t, []string{"job_start", "job_input", "job_exit", "job_signal"}, seen)
}

func TestJobConcurrentUse(t *testing.T) {
	s := open(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := s.Start(ctx, "for i in 1 2 3; do echo $i; sleep 0.05; done", nil)
			if !assert.NoError(t, err) {
				return
			}
			out, _, code := readToEnd(t, j, 30*time.Second)
			assert.Equal(t, "1\n2\n3\n", out)
			assert.Equal(t, 0, code)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Exec(ctx, "echo exec", nil)
			if assert.NoError(t, err) {
				assert.Equal(t, "exec\n", res.Stdout)
			}
		}()
	}
	wg.Wait()
}

func TestRewritesLine(t *testing.T) {
	for in, want := range map[string]bool{"\r 50%": true, "x\r": true, "1+1\r\n": false, "\n": false, "abc": false, "\x1b[2K\rspin": true} {
		assert.Equal(t, want, rewritesLine([]byte(in)), "%q", in)
	}
}

// BenchmarkJobStart compares starting a job and reading its first output
// with running the same command in the session.
func BenchmarkJobStart(b *testing.B) {
	s := open(b, nil)
	ctx := context.Background()
	var execT, jobT time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := s.Exec(ctx, "echo hi", nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		j, err := s.Start(ctx, "echo hi", nil)
		if err != nil {
			b.Fatal(err)
		}
		if o, err := j.Output(ctx, 10*time.Second, "hi"); err != nil || !o.Matched {
			b.Fatal(o, err)
		}
		jobT += time.Since(t1)
		execT += t1.Sub(t0)
		<-j.Done()
	}
	b.ReportMetric(float64(execT.Microseconds())/float64(b.N), "exec-µs/op")
	b.ReportMetric(float64(jobT.Microseconds())/float64(b.N), "job-µs/op")
	b.ReportMetric(float64(jobT)/float64(execT), "job/exec")
}

// TestJobPeek: Peek shows the end of what the next Output returns, cleaned
// and redacted, and reads nothing.
func TestJobPeek(t *testing.T) {
	s := open(t, nil)
	j := startJob(t, s, `printf 'one\n\033[31mtwo\033[0m\n'; echo "token=ghp_`+strings.Repeat("a1B2", 9)+`" >&2; sleep 30`, nil)
	deadline := time.Now().Add(10 * time.Second)
	var n int
	for {
		n, _ = j.Peek(100)
		if n >= len("one\ntwo\n")+len("token=[REDACTED]\n") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	n, tail := j.Peek(100)
	assert.Equal(t, len("one\ntwo\n")+len("token=[REDACTED]\n"), n, "both streams, cleaned and redacted")
	assert.Equal(t, "one\ntwo\n", tail, "stdout's end, escapes stripped")
	_, tail = j.Peek(4)
	assert.Equal(t, "two\n", tail, "at most max bytes")
	_, tail = j.Peek(0)
	assert.Empty(t, tail)
	o := output(t, j, 0, "")
	assert.Equal(t, "one\ntwo\n", o.Stdout, "Peek read nothing")
	assert.Equal(t, "token=[REDACTED]\n", o.Stderr)
	n, tail = j.Peek(100)
	assert.Zero(t, n, "nothing unread after Output")
	assert.Empty(t, tail)
}
