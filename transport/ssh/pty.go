package ssh

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/execkit/execkit/transport"
	"golang.org/x/crypto/ssh"
)

var _ transport.TTYStarter = (*Transport)(nil)

// maxTTYSize bounds a terminal's rows and columns, as the local transport
// does (the kernel keeps them in 16 bits; beyond a few thousand nothing
// draws sensibly).
const maxTTYSize = 10000

// ttyTerm is the TERM the terminal is requested with: what a terminal
// program expects of a screen today. A Command's Env may set another; the
// execkit session sets TERM=dumb in its own environment, which its jobs
// inherit.
const ttyTerm = "xterm-256color"

// ptyRequestMsg is the "pty-req" request of RFC 4254 section 6.2, the one
// x/crypto's Session.RequestPty sends. Processes drive their channel
// directly (see process), so the request is sent on it here.
type ptyRequestMsg struct {
	Term     string
	Columns  uint32
	Rows     uint32
	Width    uint32
	Height   uint32
	Modelist string
}

// ttyModes are the terminal's modes, Linux's sane defaults, sent rather than
// left to the server so that what TTYStarter promises holds on any host:
// echo, \r\n line endings, \x03 interrupts (ISIG with VINTR), \x04 at the
// start of a line is end of file (ICANON with VEOF).
var ttyModes = []struct {
	op  byte
	val uint32
}{
	{ssh.VINTR, 3}, {ssh.VQUIT, 28}, {ssh.VERASE, 127}, {ssh.VKILL, 21},
	{ssh.VEOF, 4}, {ssh.VSUSP, 26},
	{ssh.ICRNL, 1}, {ssh.IXON, 1}, {ssh.IUTF8, 1},
	{ssh.ISIG, 1}, {ssh.ICANON, 1}, {ssh.IEXTEN, 1},
	{ssh.ECHO, 1}, {ssh.ECHOE, 1}, {ssh.ECHOK, 1}, {ssh.ECHOCTL, 1}, {ssh.ECHOKE, 1},
	{ssh.OPOST, 1}, {ssh.ONLCR, 1}, {ssh.CS8, 1},
	{ssh.TTY_OP_ISPEED, 38400}, {ssh.TTY_OP_OSPEED, 38400},
}

// ptyRequest returns the pty-req payload for a terminal of rows × cols
// (zero: 24 × 80), or an error for a size out of range.
func ptyRequest(rows, cols int) (*ptyRequestMsg, error) {
	if rows < 0 || cols < 0 || rows > maxTTYSize || cols > maxTTYSize {
		return nil, fmt.Errorf("ssh: terminal size %d×%d is out of range: rows and columns must be between 0 (the default, 24×80) and %d", rows, cols, maxTTYSize)
	}
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	var modes []byte
	for _, m := range ttyModes {
		modes = append(modes, ssh.Marshal(&struct {
			Op  byte
			Val uint32
		}{m.op, m.val})...)
	}
	modes = append(modes, 0) // TTY_OP_END
	return &ptyRequestMsg{
		Term:     ttyTerm,
		Columns:  uint32(cols),
		Rows:     uint32(rows),
		Modelist: string(modes), // the pixel size stays 0: unknown

	}, nil
}

// StartTTY starts c as Start does, on a new remote pseudo-terminal of
// rows × cols (zero: 24 × 80) requested from the server. sshd makes the
// process lead a new session with the terminal as its controlling
// terminal, so \x03 typed on Stdin interrupts its foreground processes.
// TERM is xterm-256color unless c.Env sets it.
//
// Stdout carries everything the terminal displays; Stderr is empty. The
// wrapper's pid line, printed on the terminal before the command starts
// and before anything can be typed, is consumed here and never appears in
// Stdout. Kill and Close kill the process's whole tree on the host, as for
// Start, and close the channel, which closes the terminal.
func (t *Transport) StartTTY(ctx context.Context, c *transport.Command, rows, cols int) (transport.Process, error) {
	pty, err := ptyRequest(rows, cols)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := t.start(ctx, c, pty)
	if err != nil {
		return nil, err
	}
	return &ttyProcess{process: p, in: &ttyStdin{ch: p.ch}}, nil
}

// ttyProcess is a process on a remote terminal; its Stderr is already
// empty (start drains the channel's).
type ttyProcess struct {
	*process
	in *ttyStdin
}

func (p *ttyProcess) Stdin() io.WriteCloser { return p.in }

// ttyStdin types on the terminal. Close stops further writes and sends
// nothing: an EOF on the channel would have the server close its side of
// the terminal, and the contract is that closing Stdin does not hang the
// terminal up. Writes are serialized, so two writers' keystrokes do not
// interleave mid-write; Close does not wait for a write blocked on a full
// window (Kill ends that one).
type ttyStdin struct {
	ch     ssh.Channel
	mu     sync.Mutex
	closed atomic.Bool
}

func (w *ttyStdin) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	return w.ch.Write(b)
}

func (w *ttyStdin) Close() error {
	w.closed.Store(true)
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
