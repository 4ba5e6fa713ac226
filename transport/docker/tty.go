package docker

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/versions"

	"github.com/execkit/execkit/transport"
)

var _ transport.TTYStarter = (*Transport)(nil)

// maxTTYSize bounds a terminal's rows and columns (the kernel keeps them in
// 16 bits; beyond a few thousand nothing draws sensibly).
const maxTTYSize = 10000

// ttyDetachKeys replaces the daemon's detach sequence for terminal execs.
// The daemon watches what is typed on an exec's terminal for that sequence
// and, on seeing it, stops passing input and ends the output while the
// process runs on. Its default, Ctrl-P Ctrl-Q, is typed for real (Ctrl-P is
// readline's previous line) and the daemon holds back a lone Ctrl-P to see
// what follows. The sequence cannot be switched off; eight NULs are never
// typed by accident, and only a lone NUL written on its own waits for the
// next write.
const ttyDetachKeys = "ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@"

// holdScript, run as `sh -c holdScript sh ARGV...`, stops itself and, once
// continued, becomes ARGV. It gives StartTTY time to size the terminal on
// daemons that cannot size it at creation (API before 1.42), so the program
// never sees the terminal's initial 0 × 0. It prints nothing.
const holdScript = `kill -STOP $$; exec "$@"`

// contScript, run as `sh -c contScript sh TOKEN`, waits until the process
// carrying TOKEN has stopped itself (holdScript) and continues it. It exits
// 1 when that never happens within about ten seconds. Like killScript, it
// needs only /proc, sh builtins and grep or cat.
const contScript = `tok=$1 n=0
while [ $n -lt 1000 ]; do
  n=$((n+1))
  if command -v grep >/dev/null 2>&1; then
    files=$(grep -lszx -e "` + markerVar + `=$tok" /proc/[0-9]*/environ 2>/dev/null)
  else
    files=
    for f in /proc/[0-9]*/environ; do
      e=$(cat "$f" 2>/dev/null) || continue
      case "$e" in *"` + markerVar + `=$tok"*) files="$files $f";; esac
    done
  fi
  for f in $files; do
    p=${f#/proc/}; p=${p%/environ}
    read -r line <"/proc/$p/stat" 2>/dev/null || continue
    rest=${line##*) }
    set -- $rest
    if [ "$1" = T ]; then kill -CONT "$p" && exit 0; fi
  done
  sleep 0.01 2>/dev/null || :
done
exit 1
`

// StartTTY starts c as an exec on a new terminal of rows × cols (zero: 24 ×
// 80) in the container: the exec leads a new session with the terminal as
// its controlling terminal, so Ctrl-C typed on it (\x03) reaches the
// foreground processes. Stdout is the terminal's one raw stream; Stderr
// ends at once. Closing Stdin only stops further writes: ending the input
// of a terminal exec would make the daemon end its output too, so end a
// program's input by typing Ctrl-D (\x04) instead. Kill and Close kill the
// exec's whole tree inside the container, as they do for Start's.
//
// Daemons before API 1.42 cannot size a terminal at creation: there the
// exec first stops itself (through sh), is resized, and is then continued
// by a side exec, so the program sees its size from the start.
func (t *Transport) StartTTY(ctx context.Context, c *transport.Command, rows, cols int) (transport.Process, error) {
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	if rows < 0 || cols < 0 || rows > maxTTYSize || cols > maxTTYSize {
		return nil, fmt.Errorf("docker: terminal size %d×%d is out of range (1 to %d each, or 0 for 24×80)", rows, cols, maxTTYSize)
	}
	o := execOpts{attachStdin: true, snapshot: true, tty: true, rows: uint(rows), cols: uint(cols)}
	// The container inspection of every Dial has negotiated the version.
	o.hold = versions.LessThan(t.cli.ClientVersion(), "1.42")
	p, err := t.exec(ctx, c, o)
	if err != nil {
		return nil, err
	}
	if o.hold {
		if err := t.release(ctx, p, o.rows, o.cols); err != nil {
			p.Kill()
			return nil, err
		}
	}
	return p, nil
}

// release sizes the terminal of a held exec and continues it.
func (t *Transport) release(ctx context.Context, p *process, rows, cols uint) error {
	// The attach returns before the daemon has started the process, and
	// a resize before then fails: try again for a moment.
	delay := 5 * time.Millisecond
	for start := time.Now(); ; {
		err := t.cli.ContainerExecResize(ctx, p.execID, container.ResizeOptions{Height: rows, Width: cols})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-p.done:
			return fmt.Errorf("docker: the terminal exec in container %q ended before it started", t.name)
		default:
		}
		if time.Since(start) > 5*time.Second {
			return fmt.Errorf("docker: cannot size the terminal of an exec in container %q: %w", t.name, err)
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
	out, err := t.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", contScript, "sh", p.token}})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return fmt.Errorf("docker: the terminal exec in container %q did not start (it never reached its stop before sizing)", t.name)
	}
	return nil
}

// ttyInput types on the exec's terminal. Close only stops further writes,
// without closing the connection: the daemon takes the end of a terminal's
// input as a detach and ends its output while the process runs on.
type ttyInput struct {
	hj     types.HijackedResponse
	mu     sync.Mutex
	closed bool
}

func (w *ttyInput) Write(b []byte) (int, error) {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return 0, io.ErrClosedPipe
	}
	return w.hj.Conn.Write(b)
}

func (w *ttyInput) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return nil
}
