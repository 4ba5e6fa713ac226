// Package transport defines how execkit reaches a shell: the only part of a
// session that differs between the local machine, an SSH host and a Docker
// container.
//
// A transport moves bytes and starts processes. It never frames commands,
// cleans output or redacts secrets: the session in package execkit does all of
// that, once, for every transport. The conformance suite in
// transport/transporttest states the contract as tests; every implementation
// passes it.
package transport

import (
	"context"
	"errors"
	"io"
)

// Transport starts processes on one machine (or container). Implementations
// are safe for concurrent use: a session calls Run while its shell is running
// (to signal a process tree, or for checkpoints).
type Transport interface {
	// Kind names the transport in session ids and audit events: "local",
	// "ssh" or "docker".
	Kind() string

	// Start starts cmd as a long-lived process whose stdin, stdout and stderr
	// are separate streams (no terminal): stdout and stderr must be split at
	// the source, never merged. The process runs until it exits, Kill is
	// called or the transport is closed; ctx bounds only the start itself.
	Start(ctx context.Context, cmd *Command) (Process, error)

	// Run runs cmd to completion and returns its output. It is for short side
	// tasks (signalling a process tree, git for checkpoints), so output is
	// collected in memory. Cancelling ctx kills the command. A nonzero exit is
	// reported in Output, not as an error.
	Run(ctx context.Context, cmd *Command) (*Output, error)

	// Close releases the transport (a connection, a client). Processes it
	// started are killed. Close is idempotent.
	Close() error
}

// Command describes a process to start.
type Command struct {
	// Argv is the program and its arguments; Argv[0] is looked up in PATH.
	Argv []string
	// Env is added to the transport's base environment as KEY=VALUE pairs;
	// later entries win. Nil adds nothing.
	Env []string
	// Dir is the working directory; empty means the transport's default (the
	// current directory locally, the login directory over SSH, the
	// container's working directory on Docker).
	Dir string
	// Stdin feeds Run's standard input; nil means empty input. Start ignores
	// it (use Process.Stdin).
	Stdin io.Reader
}

// Output is what a Run returned.
type Output struct {
	Stdout, Stderr []byte
	// ExitCode is the exit status, 128+N when the process died of signal N.
	ExitCode int
}

// Process is a running process started by Transport.Start.
//
// The caller owns the three streams: it must drain Stdout and Stderr
// concurrently (one goroutine each) until EOF, or the process may block on a
// full pipe or window. The streams can outlive the process when something it
// started still holds them open (a background job); Kill ends those too and
// closes the streams, so a blocked read returns.
type Process interface {
	Stdin() io.WriteCloser
	Stdout() io.Reader
	Stderr() io.Reader

	// Wait waits for the process to exit and returns its exit status (128+N
	// for signal N). It may be called at any time, from any goroutine, more
	// than once; it does not wait for the streams. err is non-nil only when
	// the status cannot be known (a dropped connection, a removed container).
	Wait() (exitCode int, err error)

	// Kill ends the process and everything it started, at once (on remote
	// transports inside the remote machine or container, not just the local
	// end of the connection), then closes the streams. Kill is idempotent and
	// safe to call concurrently with reads and Wait.
	Kill() error
}

// Signaler is implemented by transports that can signal processes of their
// machine directly (the local transport). Sessions signal other transports'
// processes with a small POSIX sh script sent through Run.
type Signaler interface {
	// Signal sends sig (a name without the SIG prefix: "INT", "TERM",
	// "KILL", "HUP") to each pid. A pid that no longer exists is not an
	// error.
	Signal(pids []int, sig string) error
	// Descendants returns the pids of every process below root in the
	// process tree whose start time is at or after since (clock ticks after
	// boot, as in /proc/PID/stat; 0 means all).
	Descendants(root int, since uint64) ([]int, error)
}

// TTYStarter is implemented by transports that can start a process on a
// terminal, for programs that need one: REPLs (python3 -i), psql, anything
// that prompts or checks isatty. The local transport implements it with a
// pseudo-terminal, ssh with a pty request on the channel and docker with an
// exec with Tty set. A session refuses a terminal job on a transport
// without it, with an error saying so.
// Checker is implemented by a transport that can say why a shell on it
// stopped answering: a paused or stopped container, say. Check returns nil
// while it sees nothing wrong.
type Checker interface {
	Check(ctx context.Context) error
}

type TTYStarter interface {
	// StartTTY starts cmd as Start does, but with its stdin, stdout and
	// stderr on one new terminal of rows × cols cells, which becomes its
	// controlling terminal (the process leads a new session, so the
	// terminal's Ctrl-C reaches it and what it starts).
	//
	// The Process's Stdout is everything the terminal displays: output and
	// errors merged (a terminal has one screen) and the echo of what was
	// typed, with the terminal's own line endings (\r\n); it ends with EOF
	// once nothing holds the terminal open. Stderr is empty (EOF at once).
	// Writing to Stdin types on the terminal's keyboard (\x03 is Ctrl-C,
	// \x04 Ctrl-D at the start of a line is end of file); closing Stdin
	// only stops further writes, it does not hang the terminal up. Kill
	// ends the process and everything it started and closes the terminal,
	// as it does for Start's processes, and so does closing the transport.
	StartTTY(ctx context.Context, cmd *Command, rows, cols int) (Process, error)
}

// ErrClosed is returned by a transport used after Close.
var ErrClosed = errors.New("transport: closed")
