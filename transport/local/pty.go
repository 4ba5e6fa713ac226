package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/creack/pty"
	"github.com/execkit/execkit/transport"
)

var _ transport.TTYStarter = (*Transport)(nil)

// maxTTYSize bounds a terminal's rows and columns (the kernel keeps them in
// 16 bits; beyond a few thousand nothing draws sensibly).
const maxTTYSize = 10000

// StartTTY starts c on a new pseudo-terminal of rows × cols (zero: 24 × 80)
// that becomes its controlling terminal; the process leads a new session,
// whose id is also its process group, which Kill kills.
func (t *Transport) StartTTY(ctx context.Context, c *transport.Command, rows, cols int) (transport.Process, error) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, transport.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	if rows < 0 || cols < 0 || rows > maxTTYSize || cols > maxTTYSize {
		return nil, fmt.Errorf("local: terminal size %d×%d is out of range", rows, cols)
	}
	cmd, err := t.command(context.Background(), c)
	if err != nil {
		return nil, err
	}
	// A session of its own (not just a process group) with the terminal
	// as its controlling terminal, so Ctrl-C typed on it reaches the
	// foreground processes. Setsid makes it a group leader too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Pdeathsig: syscall.SIGKILL}

	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("local: open a pseudo-terminal: %w", err)
	}
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)}); err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("local: size the pseudo-terminal: %w", err)
	}
	// pty's ioctls went through Fd(), which put the master in blocking
	// mode: a pending Read would then survive Close. A non-blocking
	// duplicate goes back to the runtime poller, where Close interrupts a
	// Read.
	master, err := pollable(ptmx)
	ptmx.Close()
	if err != nil {
		return nil, fmt.Errorf("local: pseudo-terminal: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, fmt.Errorf("local: start %s: %w", c.Argv[0], err)
	}
	// The process is tracked like Start's, so Transport.Close kills it
	// too. Its stdin and stdout are the master; Kill closes it.
	p := &process{t: t, cmd: cmd, stdin: master, stdout: master, done: make(chan struct{})}
	go p.wait()
	t.mu.Lock()
	if t.procs == nil {
		t.procs = make(map[*process]struct{})
	}
	t.procs[p] = struct{}{}
	t.mu.Unlock()
	return &ttyProcess{process: p, in: &ttyInput{f: master}, out: ttyOutput{master}}, nil
}

// pollable returns a non-blocking, close-on-exec duplicate of f.
func pollable(f *os.File) (*os.File, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return nil, errno
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		syscall.Close(int(fd))
		return nil, err
	}
	return os.NewFile(fd, "/dev/ptmx"), nil
}

// ttyProcess is a process on a pseudo-terminal: one stream out, none apart
// for errors.
type ttyProcess struct {
	*process
	in  *ttyInput
	out ttyOutput
}

func (p *ttyProcess) Stdin() io.WriteCloser { return p.in }
func (p *ttyProcess) Stdout() io.Reader     { return p.out }
func (p *ttyProcess) Stderr() io.Reader     { return eofReader{} }

// ttyOutput reads the master. Linux answers EIO once the last holder of
// the terminal's other side has gone: that is the end of the output.
type ttyOutput struct{ f *os.File }

func (o ttyOutput) Read(b []byte) (int, error) {
	n, err := o.f.Read(b)
	if err != nil && (errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed)) {
		err = io.EOF
	}
	return n, err
}

// ttyInput writes to the master (typing). Close stops writes without
// closing the master, which also carries the output.
type ttyInput struct {
	f      *os.File
	mu     sync.Mutex
	closed bool
}

func (w *ttyInput) Write(b []byte) (int, error) {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return 0, os.ErrClosed
	}
	return w.f.Write(b)
}

func (w *ttyInput) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
