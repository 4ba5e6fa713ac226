// Package local is the transport for the machine execkit runs on: processes
// are spawned directly, with stdout and stderr on separate pipes.
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/transport"
)

// Transport starts processes on the local machine. The zero value is ready
// to use; New exists for symmetry with the other transports.
type Transport struct {
	mu     sync.Mutex
	closed bool
	procs  map[*process]struct{}
}

// New returns a local transport.
func New() *Transport { return &Transport{} }

var (
	_ transport.Transport = (*Transport)(nil)
	_ transport.Signaler  = (*Transport)(nil)
)

// Kind returns "local".
func (t *Transport) Kind() string { return "local" }

func (t *Transport) command(ctx context.Context, c *transport.Command) (*exec.Cmd, error) {
	if c == nil || len(c.Argv) == 0 {
		return nil, errors.New("local: empty command")
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Dir = c.Dir
	// Its own session, hence its own process group: the session can signal
	// the shell and its foreground children together without touching this
	// process, and the shell has no controlling terminal even when we do.
	// (With only a process group of its own, an interactive shell would be
	// a background job of our terminal and stop itself at start; and a
	// program opening /dev/tty would wait on the user's terminal.) Killed
	// with us if we die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	return cmd, nil
}

// Start starts c with three pipes. The process leads its own session and
// process group, with no controlling terminal.
func (t *Transport) Start(ctx context.Context, c *transport.Command) (transport.Process, error) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, transport.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cmd, err := t.command(context.Background(), c)
	if err != nil {
		return nil, err
	}
	// Plain pipes rather than cmd.StdoutPipe: Wait must report the shell's
	// exit at once, while a background job may hold the pipes for longer.
	var files []*os.File
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		files = append(files, r, w)
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("local: %w", err)
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("local: %w", err)
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("local: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := startOnSpawner(cmd); err != nil {
		closeAll()
		return nil, fmt.Errorf("local: start %s: %w", c.Argv[0], err)
	}
	inR.Close()
	outW.Close()
	errW.Close()
	p := &process{t: t, cmd: cmd, stdin: inW, stdout: outR, stderr: errR, done: make(chan struct{})}
	go p.wait()
	t.mu.Lock()
	if t.procs == nil {
		t.procs = make(map[*process]struct{})
	}
	t.procs[p] = struct{}{}
	t.mu.Unlock()
	return p, nil
}

// Run runs c to completion.
func (t *Transport) Run(ctx context.Context, c *transport.Command) (*transport.Output, error) {
	cmd, err := t.command(ctx, c)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdin = c.Stdin
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = startOnSpawner(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	out := &transport.Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		out.ExitCode = exitStatus(ee.ProcessState)
	default:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("local: run %s: %w", c.Argv[0], err)
	}
	return out, nil
}

// Close kills every process this transport started and still runs.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	procs := t.procs
	t.procs = nil
	t.mu.Unlock()
	for p := range procs {
		p.Kill()
	}
	return nil
}

// Signal sends the named signal to pids.
func (t *Transport) Signal(pids []int, sig string) error {
	s, ok := proctree.SignalByName(sig)
	if !ok {
		return fmt.Errorf("local: unknown signal %q", sig)
	}
	return proctree.Signal(pids, s)
}

// Descendants lists the processes below root started at or after since.
func (t *Transport) Descendants(root int, since uint64) ([]int, error) {
	return proctree.Descendants(root, since)
}

type process struct {
	t      *Transport
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	stderr *os.File

	killOnce sync.Once
	done     chan struct{} // closed when the process has exited
	code     int
	err      error
}

func (p *process) Stdin() io.WriteCloser { return p.stdin }
func (p *process) Stdout() io.Reader     { return p.stdout }
func (p *process) Stderr() io.Reader     { return p.stderr }

// PID is the shell's process id, used by sessions to find its descendants.
func (p *process) PID() int { return p.cmd.Process.Pid }

func (p *process) wait() {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		p.code = exitStatus(ee.ProcessState)
	default:
		p.err = fmt.Errorf("local: wait: %w", err)
	}
	close(p.done)
}

func (p *process) Wait() (int, error) {
	<-p.done
	return p.code, p.err
}

// Kill kills the process group and any descendant that left it (setsid,
// daemons), then closes the pipes so no read or write blocks on them.
func (p *process) Kill() error {
	p.killOnce.Do(func() {
		pid := p.cmd.Process.Pid
		kids, _ := proctree.Descendants(pid, 0)
		syscall.Kill(-pid, syscall.SIGKILL)
		proctree.Signal(kids, syscall.SIGKILL)
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
		}
		p.stdin.Close()
		p.stdout.Close()
		p.stderr.Close()
		p.t.mu.Lock()
		delete(p.t.procs, p)
		p.t.mu.Unlock()
	})
	return nil
}

func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// Pdeathsig belongs to the thread that forks, not the process: a child is
// killed when that OS thread exits. Go may retire a thread (one a goroutine
// locked and left, or a C thread that called in through cgo, such as a
// Python thread using the C ABI), which would kill a live session's shell.
// So every process is started from one goroutine locked to its thread for
// the life of the program.
var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnSpawner(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as we do
			for r := range spawnCh {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, done: done}
	return <-done
}
