package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/execkit/execkit/transport"
)

// markerVar is the environment variable that marks every process of one exec
// (and what it starts, which inherits it) for the kill script. Its value is a
// random token; knowing it gives nothing but the power to have one's own
// processes killed with the session.
const markerVar = "EXECKIT_DOCKER_EXEC"

// killScript, run as `sh -c killScript sh TOKEN...` in the container, stops
// and then kills every process whose environment carries one of the tokens,
// and every descendant of those (found by parent pid, for processes that
// dropped the variable). Stopping first keeps a process from forking faster
// than the script finds its children. It needs /proc, sh builtins and grep
// (or cat), so it works in busybox images. grep reads environ files as
// NUL-separated records (-z): busybox's grep -F stops at the first NUL.
const killScript = `me=$$
toks=$*
found=" "
i=0
while [ $i -lt 4 ]; do
  i=$((i+1))
  new=
  if command -v grep >/dev/null 2>&1; then
    set --
    for t in $toks; do set -- "$@" -e "` + markerVar + `=$t"; done
    files=$(grep -lszx "$@" /proc/[0-9]*/environ 2>/dev/null)
  else
    files=
    for f in /proc/[0-9]*/environ; do
      e=$(cat "$f" 2>/dev/null) || continue
      for t in $toks; do case "$e" in *"` + markerVar + `=$t"*) files="$files $f";; esac; done
    done
  fi
  for f in $files; do
    p=${f#/proc/}; p=${p%/environ}
    [ "$p" = "$me" ] && continue
    case "$found" in *" $p "*) ;; *) found="$found$p "; new="$new $p";; esac
  done
  changed=1
  while [ $changed = 1 ]; do
    changed=0
    for d in /proc/[0-9]*; do
      p=${d#/proc/}
      case "$found" in *" $p "*) continue;; esac
      read -r line <"$d/stat" 2>/dev/null || continue
      rest=${line##*) }
      set -- $rest
      case "$found" in *" $2 "*) found="$found$p "; new="$new $p"; changed=1;; esac
    done
  done
  [ -z "$new" ] && break
  kill -STOP $new 2>/dev/null
done
[ "$found" = " " ] || kill -KILL $found 2>/dev/null
exit 0
`

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start starts c as an exec in the container: stdin attached, no terminal,
// stdout and stderr demultiplexed onto two pipes. ctx bounds the start only.
func (t *Transport) Start(ctx context.Context, c *transport.Command) (transport.Process, error) {
	return t.exec(ctx, c, execOpts{attachStdin: true, snapshot: true})
}

// Run runs c as an exec and collects its output. Cancelling ctx kills it
// (inside the container) and returns ctx's error.
func (t *Transport) Run(ctx context.Context, c *transport.Command) (*transport.Output, error) {
	if c == nil {
		return nil, errors.New("docker: empty command")
	}
	p, err := t.exec(ctx, c, execOpts{attachStdin: c.Stdin != nil})
	if err != nil {
		return nil, err
	}
	defer t.forget(p)
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(&stdout, p.outR) }()
	go func() { defer wg.Done(); io.Copy(&stderr, p.errR) }()
	if c.Stdin != nil {
		go func() {
			io.Copy(p.stdin, c.Stdin)
			p.stdin.Close()
		}()
	}
	read := make(chan struct{})
	go func() { wg.Wait(); close(read) }()
	for _, ch := range []<-chan struct{}{read, p.done} {
		select {
		case <-ch:
		case <-ctx.Done():
			p.Kill()
			<-read
			return nil, ctx.Err()
		}
	}
	code, err := p.Wait()
	if err != nil {
		return nil, err
	}
	return &transport.Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: code}, nil
}

// execOpts says how exec starts a process.
type execOpts struct {
	attachStdin bool
	// snapshot records the container's start time first, so a restart
	// during the process is told apart.
	snapshot bool
	// tty puts the process on a terminal of rows × cols (see StartTTY).
	tty        bool
	rows, cols uint
	// hold makes the process stop itself before it runs c (holdScript),
	// for StartTTY to size the terminal first.
	hold bool
}

// exec creates and attaches an exec for c.
// Check reports a container that no longer runs (stopped, paused,
// restarting, removed) or a daemon that does not answer: why a session's
// shell in it stopped answering.
func (t *Transport) Check(ctx context.Context) error {
	info, err := t.cli.ContainerInspect(ctx, t.id)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return t.removedErr()
		}
		return apiErr(t.cli, "inspecting container "+show(t.name), err)
	}
	return runningErr(t.name, info.State.Status, info.State.Running, info.State.Paused, info.State.Restarting)
}

func (t *Transport) exec(ctx context.Context, c *transport.Command, o execOpts) (*process, error) {
	if c == nil || len(c.Argv) == 0 {
		return nil, errors.New("docker: empty command")
	}
	if t.isClosed() {
		return nil, transport.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.watch()
	var started string
	if o.snapshot {
		info, err := t.cli.ContainerInspect(ctx, t.id)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil, t.removedErr()
			}
			return nil, apiErr(t.cli, "inspecting container "+show(t.name), err)
		}
		if err := runningErr(t.name, info.State.Status, info.State.Running, info.State.Paused, info.State.Restarting); err != nil {
			return nil, err
		}
		started = info.State.StartedAt
	}
	token := newToken()
	env := make([]string, 0, len(c.Env)+1)
	env = append(env, c.Env...)
	env = append(env, markerVar+"="+token)
	dir := c.Dir
	if dir == "" {
		dir = t.workDir
	}
	argv := c.Argv
	if o.hold {
		argv = append([]string{"sh", "-c", holdScript, "sh"}, argv...)
	}
	eo := container.ExecOptions{
		User:         t.user,
		AttachStdin:  o.attachStdin,
		AttachStdout: true,
		AttachStderr: true,
		Env:          env,
		WorkingDir:   dir,
		Cmd:          argv,
	}
	var ao container.ExecAttachOptions
	if o.tty {
		// The client leaves the size out for daemons before API 1.42,
		// which do not know it; StartTTY then resizes.
		size := &[2]uint{o.rows, o.cols}
		eo.Tty, eo.ConsoleSize, eo.DetachKeys = true, size, ttyDetachKeys
		ao.Tty, ao.ConsoleSize = true, size
	}
	resp, err := t.cli.ContainerExecCreate(ctx, t.id, eo)
	if err != nil {
		return nil, t.execErr(err)
	}

	// The attach starts the exec. Its hijacked connection does not watch
	// ctx, so bound the wait here; a late success is killed.
	type attached struct {
		hj  types.HijackedResponse
		err error
	}
	ch := make(chan attached, 1)
	go func() {
		hj, err := t.cli.ContainerExecAttach(context.WithoutCancel(ctx), resp.ID, ao)
		ch <- attached{hj, err}
	}()
	var hj types.HijackedResponse
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, t.execErr(a.err)
		}
		hj = a.hj
	case <-ctx.Done():
		go func() {
			if a := <-ch; a.err == nil {
				t.killTokens([]string{token})
				a.hj.Close()
			}
		}()
		return nil, ctx.Err()
	}

	p := &process{
		t:       t,
		execID:  resp.ID,
		token:   token,
		started: started,
		hj:      hj,
		tty:     o.tty,
		done:    make(chan struct{}),
	}
	p.outR, p.outW = io.Pipe()
	p.errR, p.errW = io.Pipe()
	if o.tty {
		// One screen, no second stream: Stderr ends at once.
		p.stdin = &ttyInput{hj: hj}
		p.errW.Close()
	} else {
		p.stdin = &stdinWriter{hj: hj, p: p}
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		p.Kill()
		return nil, transport.ErrClosed
	}
	t.procs[p] = struct{}{}
	t.mu.Unlock()
	t.background(p.copy)
	return p, nil
}

// execErr explains a failed exec create or attach.
func (t *Transport) execErr(err error) error {
	switch {
	case cerrdefs.IsNotFound(err):
		return t.removedErr()
	case cerrdefs.IsConflict(err):
		// "Container ... is not running", "... is paused", "... is
		// restarting".
		return stateErr(ErrNotRunning, "docker: container %q cannot run processes: %v", t.name, err)
	}
	return apiErr(t.cli, "exec in container "+show(t.name), err)
}

func (t *Transport) removedErr() error {
	return stateErr(ErrNoContainer, "docker: container %q was removed", t.name)
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// forget stops tracking p (it was killed, or a Run ended).
func (t *Transport) forget(p *process) {
	t.mu.Lock()
	delete(t.procs, p)
	t.mu.Unlock()
}

func (t *Transport) live() []*process {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*process, 0, len(t.procs))
	for p := range t.procs {
		out = append(out, p)
	}
	return out
}

// killTokens kills, inside the container, every process carrying one of the
// tokens and all their descendants. It runs as the session's user. When the
// daemon cannot be reached (it is restarting; with live-restore the
// container and the processes live on), the kill is retried in the
// background until the daemon answers again, for up to killRetryFor, so
// that a session ended by the daemon's absence leaves no orphan behind.
func (t *Transport) killTokens(tokens []string) error {
	err := t.killWith(t.cli, tokens)
	if errors.Is(err, ErrUnreachable) {
		go t.retryKill(tokens)
	}
	return err
}

// killRetryFor bounds how long a kill the daemon could not take is retried;
// killRetryEvery is the longest pause between tries.
var (
	killRetryFor   = 30 * time.Minute
	killRetryEvery = 5 * time.Second
)

// retryKill runs the kill of tokens once the daemon answers again, with a
// client of its own: the transport may be closed by then.
func (t *Transport) retryKill(tokens []string) {
	cli, err := newClient(&Operator{Host: t.host})
	if err != nil {
		return
	}
	defer cli.Close()
	deadline := time.Now().Add(killRetryFor)
	pause := 200 * time.Millisecond
	for time.Now().Before(deadline) {
		time.Sleep(pause)
		pause = min(2*pause, killRetryEvery)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cli.Ping(ctx)
		cancel()
		if err != nil {
			continue
		}
		// Done unless the daemon went away again: a container that no
		// longer runs took the processes with it.
		if err := t.killWith(cli, tokens); !errors.Is(err, ErrUnreachable) {
			return
		}
	}
}

func (t *Transport) killWith(cli *client.Client, tokens []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	argv := append([]string{"sh", "-c", killScript, "sh"}, tokens...)
	resp, err := cli.ContainerExecCreate(ctx, t.id, container.ExecOptions{
		User:         t.user,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          argv,
	})
	if err != nil {
		return t.execErr(err)
	}
	hj, err := cli.ContainerExecAttach(ctx, resp.ID, container.ExecAttachOptions{})
	if err != nil {
		return t.execErr(err)
	}
	defer hj.Close()
	if dl, ok := ctx.Deadline(); ok {
		hj.Conn.SetDeadline(dl)
	}
	// The stream ends when the script has exited.
	_, err = io.Copy(io.Discard, hj.Reader)
	return err
}

// stdinWriter is the exec's stdin: writes go to the hijacked connection and
// Close half-closes it, which the daemon passes on as end of input.
type stdinWriter struct {
	hj   types.HijackedResponse
	p    *process
	once sync.Once
	err  error
}

// Write writes to the exec's input. When the connection is gone because the
// container stopped, restarted or was removed, the error says that (it is
// the one Wait returns), not merely that the connection was closed: the
// attach stream ends before the daemon's status says why.
func (w *stdinWriter) Write(b []byte) (int, error) {
	n, err := w.hj.Conn.Write(b)
	if err != nil && w.p != nil && !w.p.wasKilled() {
		select {
		case <-w.p.done:
		case <-time.After(inputErrWait):
		}
		if w.p.containerGone() {
			err = w.p.err
		}
	}
	return n, err
}

// inputErrWait bounds how long a failed write waits for the process's
// status, to explain the failure.
const inputErrWait = 5 * time.Second

func (w *stdinWriter) Close() error {
	w.once.Do(func() { w.err = w.hj.CloseWrite() })
	return w.err
}

// process is one exec. Its status comes from the daemon (ContainerExecInspect
// and ContainerInspect), checked when the attach stream ends and whenever the
// container's events say something happened.
type process struct {
	t       *Transport
	execID  string
	token   string
	started string // the container's StartedAt when the exec began ("": unchecked)
	hj      types.HijackedResponse
	tty     bool // the attach stream is the terminal's, raw
	stdin   io.WriteCloser

	outR, errR *io.PipeReader
	outW, errW *io.PipeWriter

	checkMu sync.Mutex // one status check at a time
	sigkill time.Time  // when check first saw a SIGKILL exit; under checkMu

	finishOnce sync.Once
	done       chan struct{} // closed when code and err are known
	code       int
	err        error

	mu     sync.Mutex
	killed bool
}

func (p *process) Stdin() io.WriteCloser { return p.stdin }
func (p *process) Stdout() io.Reader     { return p.outR }
func (p *process) Stderr() io.Reader     { return p.errR }

// Wait returns the exec's exit status once the daemon reports it. err is
// non-nil when the container stopped, restarted or was removed under the
// process (wrapping ErrNotRunning or ErrNoContainer), or the daemon could not
// be asked (ErrUnreachable).
func (p *process) Wait() (int, error) {
	<-p.done
	return p.code, p.err
}

// Kill kills the exec's processes inside the container, then closes the
// streams.
func (p *process) Kill() error {
	if p.markKilled() {
		if !p.containerGone() {
			p.t.killTokens([]string{p.token})
		}
		p.t.forget(p)
	}
	p.closeStreams()
	return nil
}

// markKilled reports whether this call is the first to kill p.
func (p *process) markKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return false
	}
	p.killed = true
	return true
}

// containerGone reports whether p ended because its container did: nothing
// is left to kill.
func (p *process) containerGone() bool {
	select {
	case <-p.done:
		return errors.Is(p.err, ErrNoContainer) || errors.Is(p.err, ErrNotRunning)
	default:
		return false
	}
}

func (p *process) closeStreams() {
	p.hj.Close()
	p.outW.Close()
	p.errW.Close()
}

// copy demultiplexes the attach stream (a terminal's is one raw stream)
// until it ends, then settles the status.
func (p *process) copy() {
	if p.tty {
		io.Copy(p.outW, p.hj.Reader)
	} else {
		stdcopy.StdCopy(p.outW, p.errW, p.hj.Reader)
	}
	p.outW.Close()
	p.errW.Close()
	p.hj.Close()
	p.settle(5 * time.Second)
}

// settle checks the status until it is known, for at most limit: the daemon
// marks an exec exited just before it closes the exec's streams, so this is
// normally at once. A status still unknown after limit, or a daemon that
// cannot be reached for a second, is an error.
func (p *process) settle(limit time.Duration) {
	start := time.Now()
	var unreachable time.Time
	delay := 10 * time.Millisecond
	for {
		select {
		case <-p.done:
			return
		default:
		}
		code, err, final := p.check()
		if final {
			p.finish(code, err)
			return
		}
		if errors.Is(err, ErrUnreachable) {
			if unreachable.IsZero() {
				unreachable = time.Now()
			}
		} else {
			unreachable = time.Time{}
		}
		if time.Since(start) > limit || !unreachable.IsZero() && time.Since(unreachable) > time.Second {
			if err == nil {
				err = fmt.Errorf("docker: the output of the exec in container %q ended but the daemon still reports it running", p.t.name)
			}
			p.finish(-1, err)
			return
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// poke checks the status once, after an event.
// background runs f in a goroutine that Close waits for: the stream copiers
// and status checks, which call the daemon.
func (t *Transport) background(f func()) {
	t.bg.Add(1)
	go func() {
		defer t.bg.Done()
		f()
	}()
}

func (p *process) poke() {
	select {
	case <-p.done:
		return
	default:
	}
	if code, err, final := p.check(); final {
		p.finish(code, err)
	}
}

func (p *process) finish(code int, err error) {
	p.finishOnce.Do(func() {
		p.code, p.err = code, err
		close(p.done)
	})
	if err != nil && p.containerGone() {
		// Nothing more can arrive: let blocked reads return.
		p.closeStreams()
	}
}

// check asks the daemon about the container, then the exec. final is false
// while the exec runs or the daemon cannot be asked.
func (p *process) check() (code int, err error, final bool) {
	p.checkMu.Lock()
	defer p.checkMu.Unlock()
	t := p.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := t.cli.ContainerInspect(ctx, t.id)
	switch {
	case cerrdefs.IsNotFound(err):
		return -1, t.removedErr(), true
	case err != nil:
		return -1, apiErr(t.cli, "inspecting container "+show(t.name), err), false
	case info.State.Status == "removing" || info.State.Dead:
		return -1, t.removedErr(), true
	case !info.State.Running || info.State.Restarting:
		return -1, stateErr(ErrNotRunning, "docker: container %q stopped", t.name), true
	case p.started != "" && info.State.StartedAt != p.started:
		return -1, stateErr(ErrNotRunning, "docker: container %q restarted", t.name), true
	}
	ei, err := t.cli.ContainerExecInspect(ctx, p.execID)
	switch {
	case cerrdefs.IsNotFound(err):
		return -1, fmt.Errorf("docker: the daemon no longer knows the exec in container %q", t.name), true
	case err != nil:
		return -1, apiErr(t.cli, "inspecting an exec in container "+show(t.name), err), false
	case ei.Running:
		return 0, nil, false
	case ei.ExitCode == 128+9 && !p.wasKilled():
		// A stopping container takes its execs down with SIGKILL before
		// the daemon reports the container stopped: give the report a
		// moment before calling it a plain kill.
		if p.sigkill.IsZero() {
			p.sigkill = time.Now()
		}
		if time.Since(p.sigkill) < sigkillGrace {
			return 0, nil, false
		}
	}
	return ei.ExitCode, nil, true
}

// sigkillGrace is how long an exec that died of SIGKILL (which is how a
// stopping container ends its execs) waits for the container's state to
// catch up.
const sigkillGrace = 2 * time.Second

func (p *process) wasKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killed
}

// probe runs `sh -c :` as the session's user in its directory, so a
// container without sh, or a user or directory it lacks, fails Dial with the
// runtime's message.
func (t *Transport) probe(ctx context.Context) error {
	out, err := t.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", ":"}})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		msg := strings.TrimSpace(string(out.Stdout) + " " + string(out.Stderr))
		if len(msg) > 300 {
			msg = msg[:300]
		}
		who := "the container's user"
		if t.user != "" {
			who = "user " + show(t.user)
		}
		where := "its working directory"
		if t.workDir != "" {
			where = show(t.workDir)
		}
		return fmt.Errorf("docker: cannot start a shell in container %q as %s in %s (exit %d): %s", t.name, who, where, out.ExitCode, msg)
	}
	return nil
}
