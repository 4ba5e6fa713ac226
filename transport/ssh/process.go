package ssh

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/execkit/execkit/transport"
	"golang.org/x/crypto/ssh"
)

var (
	_ transport.Transport = (*Transport)(nil)
	_ transport.Process   = (*process)(nil)
)

var errClosed = transport.ErrClosed

// killTimeout bounds the remote cleanup Kill runs. A server that cannot run
// it in this time while the connection is up has stopped responding, and the
// connection is given up, which still closes every stream.
const killTimeout = 10 * time.Second

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quote single-quotes s for any POSIX shell. Hand-written, like the
// session's: syntax.Quote refuses newlines and control bytes in POSIX mode,
// and the scripts sent here hold both.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startScript is the remote command for c: whatever the account's login
// shell, a POSIX sh reports its process id and start time on stdout behind
// a fresh nonce (so nothing the login scripts print can forge it), then
// moves to c.Dir, exports c.Env and execs c.Argv in the same process. sshd
// made that process a session leader, so the pid is also the process group
// and session id of everything the command starts: that is what Kill kills.
func startScript(c *transport.Command, nonce string) (string, error) {
	if c == nil || len(c.Argv) == 0 {
		return "", errors.New("ssh: empty command")
	}
	var b strings.Builder
	b.WriteString(`st=; if [ -r /proc/$$/stat ]; then read -r l </proc/$$/stat; l=${l##*) }; set -- $l; st=${20}; fi; printf '\036EKPID%s %s %s\n' `)
	b.WriteString(nonce)
	b.WriteString(` "$$" "$st"; `)
	if c.Dir != "" {
		if strings.ContainsRune(c.Dir, 0) {
			return "", errors.New("ssh: working directory contains a NUL byte")
		}
		b.WriteString("cd -- " + quote(c.Dir) + " || exit 1; ")
	}
	for _, kv := range c.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			return "", fmt.Errorf("ssh: environment entry %q is not NAME=value", kv)
		}
		if strings.ContainsRune(v, 0) {
			return "", fmt.Errorf("ssh: environment value of %s contains a NUL byte", k)
		}
		b.WriteString("export " + k + "=" + quote(v) + "; ")
	}
	b.WriteString("exec")
	for _, a := range c.Argv {
		if strings.ContainsRune(a, 0) {
			return "", errors.New("ssh: argument contains a NUL byte")
		}
		b.WriteString(" " + quote(a))
	}
	return "exec sh -c " + quote(b.String()), nil
}

// killScript, run as `sh -c killScript sh PID START`, kills the process PID
// (if it is still the one that started at START, in clock ticks after boot)
// and everything in its session or process group or below it in the tree.
// It stops what it finds before killing, until a pass finds nothing new, so
// a process forking in a loop cannot outrun it. Only sh builtins and /proc:
// it works on busybox. Without /proc it falls back to the process group.
//
// A pid number is not reused while a process still uses it as a session or
// group id, so a reused PID (START differs) means nothing of ours is left.
const killScript = `root=$1 start=$2
case $root in ''|*[!0-9]*) exit 0;; esac
[ "$root" -gt 1 ] || exit 0
if [ ! -r /proc/self/stat ]; then
  kill -KILL -"$root" 2>/dev/null; kill -KILL "$root" 2>/dev/null; exit 0
fi
if [ -n "$start" ] && read -r line <"/proc/$root/stat" 2>/dev/null; then
  line=${line##*) }
  set -- $line
  [ "${20}" = "$start" ] || exit 0
fi
me=$$
found=" "
while :; do
  added=0
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$me" ] && continue
    case $found in *" $p "*) continue;; esac
    read -r line <"$d/stat" 2>/dev/null || continue
    line=${line##*) }
    set -- $line
    hit=0
    if [ "$p" = "$root" ] || [ "$3" = "$root" ] || [ "$4" = "$root" ]; then hit=1; fi
    case $found in *" $2 "*) hit=1;; esac
    if [ $hit = 1 ]; then
      kill -STOP "$p" 2>/dev/null
      found="$found$p "
      added=1
    fi
  done
  [ $added = 1 ] || break
done
for p in $found; do kill -KILL "$p" 2>/dev/null; done
exit 0
`

func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// maxPreamble bounds what the login shell may print before the pid line.
const maxPreamble = 1 << 20

// process is a command running in its own session channel. The channel is
// driven directly rather than through ssh.Session, whose Wait returns only
// when the channel closes: with a background job holding the streams open
// that is long after the exit status arrived, and Wait must not wait for
// the streams.
type process struct {
	t      *Transport
	ch     ssh.Channel
	pid    int
	start  string // the remote process's start time, for killScript
	stdin  *channelStdin
	stdout *bufio.Reader
	stderr io.Reader
	tty    bool // on a terminal: one stream, errors included

	status chan struct{} // closed when the exit status (or its loss) is known
	code   int
	err    error
	killed atomic.Bool
	once   sync.Once
}

// channelStdin is the channel's write side; Close sends EOF, once. The
// lock makes Close safe while another goroutine writes (x/crypto's
// CloseWrite is not): Close waits for that write to finish or fail.
type channelStdin struct {
	ch     ssh.Channel
	mu     sync.Mutex
	closed bool
}

func (w *channelStdin) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, io.ErrClosedPipe
	}
	return w.ch.Write(b)
}

func (w *channelStdin) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.ch.CloseWrite()
}

func (p *process) Stdin() io.WriteCloser { return p.stdin }
func (p *process) Stdout() io.Reader     { return p.stdout }
func (p *process) Stderr() io.Reader     { return p.stderr }

// PID returns the remote shell's process id.
func (p *process) PID() int { return p.pid }

// Wait returns the remote exit status (128+N for signal N) as soon as the
// server reports it. After a lost connection it returns an error wrapping
// ErrConnectionLost.
func (p *process) Wait() (int, error) {
	<-p.status
	return p.code, p.err
}

// serve answers the channel's requests until it closes, taking the exit
// status from them.
func (p *process) serve(reqs <-chan *ssh.Request) {
	got := false
	for req := range reqs {
		switch req.Type {
		case "exit-status":
			var msg struct{ Status uint32 }
			if got || ssh.Unmarshal(req.Payload, &msg) != nil {
				continue
			}
			got = true
			p.code = int(msg.Status)
			close(p.status)
		case "exit-signal":
			var msg struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}
			if got || ssh.Unmarshal(req.Payload, &msg) != nil {
				continue
			}
			got = true
			p.code = 128 + signalNumber(msg.Signal)
			close(p.status)
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
	if got {
		return
	}
	switch {
	case p.killed.Load():
		p.code = 128 + 9
	default:
		// No exit status: the channel closed under us. If the connection
		// is going, that is why (watch notices within moments).
		select {
		case <-p.t.dead:
			p.err = p.t.Err()
		case <-time.After(2 * time.Second):
			if p.killed.Load() {
				p.code = 128 + 9
			} else {
				p.err = errors.New("ssh: the remote process ended without an exit status")
			}
		}
	}
	close(p.status)
}

// signalNumber maps the signal names of RFC 4254 (and OpenSSH's
// "N@openssh.com" for others) to Linux's numbers.
func signalNumber(name string) int {
	switch name {
	case "HUP":
		return 1
	case "INT":
		return 2
	case "QUIT":
		return 3
	case "ILL":
		return 4
	case "ABRT":
		return 6
	case "FPE":
		return 8
	case "KILL":
		return 9
	case "USR1":
		return 10
	case "SEGV":
		return 11
	case "USR2":
		return 12
	case "PIPE":
		return 13
	case "ALRM":
		return 14
	case "TERM":
		return 15
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(name, "@openssh.com")); err == nil && n > 0 && n < 128 {
		return n
	}
	return 127
}

// Kill kills the remote process and everything it started, through a
// second channel running killScript, then closes the channel. Closing the
// channel alone would leave them running on the host.
func (p *process) Kill() error {
	p.once.Do(func() {
		p.killed.Store(true)
		p.t.killTree(p.pid, p.start)
		// Closing the channel also ends stdin, and unlike stdin's own
		// Close (CloseWrite) it is safe while the caller writes.
		p.ch.Close()
		p.t.forget(p)
	})
	return nil
}

// killTree runs killScript for pid. If the server does not answer within
// killTimeout the connection is given up, so no stream stays blocked.
func (t *Transport) killTree(pid int, start string) {
	select {
	case <-t.dead:
		return // the host's sshd hangs the session up; nothing to reach it with
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	cmd := "exec sh -c " + quote(killScript) + " sh " + strconv.Itoa(pid) + " " + quote(start)
	if err := t.exec(ctx, cmd); err != nil && ctx.Err() != nil {
		t.fail(fmt.Sprintf("the server did not run a kill within %s", killTimeout))
	}
}

func (t *Transport) forget(p *process) {
	t.mu.Lock()
	delete(t.procs, p)
	t.mu.Unlock()
}

// openChannel opens a raw session channel, bounded by ctx.
func (t *Transport) openChannel(ctx context.Context) (ssh.Channel, <-chan *ssh.Request, error) {
	if err := t.usable(); err != nil {
		return nil, nil, err
	}
	type result struct {
		ch   ssh.Channel
		reqs <-chan *ssh.Request
		err  error
	}
	res := make(chan result, 1)
	go func() {
		ch, reqs, err := t.client.OpenChannel("session", nil)
		res <- result{ch, reqs, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			if err := t.lostErr(); err != nil {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("ssh: cannot open a session channel on %s: %w", t.label, r.err)
		}
		return r.ch, r.reqs, nil
	case <-ctx.Done():
		go func() {
			if r := <-res; r.ch != nil {
				go ssh.DiscardRequests(r.reqs)
				r.ch.Close()
			}
		}()
		return nil, nil, ctx.Err()
	}
}

// newSession opens a session channel, bounded by ctx. Close's own cleanup
// (housekeeping) may still open one while the transport is closing.
func (t *Transport) newSession(ctx context.Context, housekeeping bool) (*ssh.Session, error) {
	if err := t.usable(); err != nil && !(housekeeping && err == errClosed) {
		return nil, err
	}
	type result struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := t.client.NewSession()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			if err := t.lostErr(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("ssh: cannot open a session channel on %s: %w", t.label, r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func (t *Transport) usable() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed
	}
	return t.lost
}

// lostErr returns why the connection ended, waiting a moment for watch to
// notice when it is ending now.
func (t *Transport) lostErr() error {
	select {
	case <-t.dead:
		return t.Err()
	case <-time.After(500 * time.Millisecond):
		return t.usable()
	}
}

// Start starts c in a new session channel with stdout and stderr apart (no
// terminal), on the login shell's account. ctx bounds the start only.
func (t *Transport) Start(ctx context.Context, c *transport.Command) (transport.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := t.start(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start starts c in a new session channel; with pty, on a terminal the
// server allocates first (StartTTY).
func (t *Transport) start(ctx context.Context, c *transport.Command, pty *ptyRequestMsg) (*process, error) {
	nonce := newNonce()
	script, err := startScript(c, nonce)
	if err != nil {
		return nil, err
	}
	ch, reqs, err := t.openChannel(ctx)
	if err != nil {
		return nil, err
	}
	p := &process{
		t:      t,
		ch:     ch,
		stdin:  &channelStdin{ch: ch},
		stdout: bufio.NewReaderSize(ch, 32<<10),
		stderr: ch.Stderr(),
		tty:    pty != nil,
		status: make(chan struct{}),
	}
	go p.serve(reqs)
	if p.tty {
		// A terminal has one stream and sshd sends nothing on stderr. What
		// a server sends there anyway is drained until the channel closes:
		// unread, it would use up the window stdout shares.
		go io.Copy(io.Discard, ch.Stderr())
		p.stderr = eofReader{}
	}

	// The exec request and the pid line take no context: run them aside
	// and give up (closing the channel) when ctx ends.
	started := make(chan error, 1)
	go func() {
		if pty != nil {
			ok, err := ch.SendRequest("pty-req", true, ssh.Marshal(pty))
			if err == nil && !ok {
				err = fmt.Errorf("ssh: %s refused to allocate a terminal (its sshd may have PermitTTY no, or no pseudo-terminal left)", t.label)
			}
			if err != nil {
				started <- err
				return
			}
		}
		ok, err := ch.SendRequest("exec", true, ssh.Marshal(&struct{ Command string }{script}))
		switch {
		case err != nil:
			started <- err
		case !ok:
			started <- errors.New("ssh: the server refused to run a command")
		default:
			started <- p.readPID(nonce)
		}
	}()
	select {
	case err = <-started:
	case <-ctx.Done():
		go func() {
			if <-started == nil {
				p.Kill()
			}
			ch.Close()
		}()
		return nil, ctx.Err()
	}
	if err != nil {
		ch.Close()
		if lost := t.lostErr(); lost != nil {
			return nil, lost
		}
		return nil, err
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		p.Kill()
		return nil, errClosed
	}
	t.procs[p] = struct{}{}
	t.mu.Unlock()
	return p, nil
}

// readPID reads the wrapper's pid line from stdout, skipping what the login
// shell printed before it. A host is chosen by the caller and may be
// hostile: what is read is bounded, and nothing is kept but the marker's
// line.
func (p *process) readPID(nonce string) error {
	marker := []byte("\036EKPID" + nonce + " ")
	var carry, rest []byte // the end of the last chunk; the line after the marker
	var tail []byte        // on a terminal, the end of the preamble: errors are there
	found := false
	for read := 0; ; {
		chunk, err := p.stdout.ReadSlice('\n')
		read += len(chunk)
		if p.tty && !found {
			tail = append(tail, chunk...)
			if len(tail) > maxDetail {
				tail = append([]byte(nil), tail[len(tail)-maxDetail:]...)
			}
		}
		if found {
			rest = append(rest, chunk...)
		} else {
			buf := append(carry, chunk...)
			if i := bytes.Index(buf, marker); i >= 0 {
				found = true
				rest = append([]byte(nil), buf[i+len(marker):]...)
			} else {
				keep := min(len(buf), len(marker)-1)
				carry = append([]byte(nil), buf[len(buf)-keep:]...)
			}
		}
		if found && bytes.HasSuffix(rest, []byte("\n")) {
			return p.parsePID(string(rest))
		}
		switch {
		case found && len(rest) > 256:
			return errors.New("ssh: the remote shell reported a malformed process id")
		case err != nil && err != bufio.ErrBufferFull:
			var detail string
			if p.tty {
				detail = printable(string(tail))
			} else {
				msg, _ := io.ReadAll(io.LimitReader(p.stderr, 4096))
				detail = strings.TrimSpace(string(msg))
			}
			if detail == "" {
				detail = "it ended before reporting its process id"
			}
			return fmt.Errorf("ssh: the remote command did not start: %s", detail)
		case read > maxPreamble:
			return errors.New("ssh: the remote login shell printed too much before the command started")
		}
	}
}

// maxDetail bounds how much of a terminal's preamble a start error quotes.
const maxDetail = 512

// printable is s on one line, without the control bytes a terminal's
// output may hold (escape sequences keep only their printable parts).
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func (p *process) parsePID(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return errors.New("ssh: the remote shell reported no process id")
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 1 {
		return fmt.Errorf("ssh: the remote shell reported a bad process id %q", f[0])
	}
	p.pid = pid
	if len(f) > 1 {
		if _, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			p.start = f[1]
		}
	}
	return nil
}

// Run runs c to completion in a new session channel on the same connection
// and collects its output. Cancelling ctx kills the remote command and
// everything it started, and returns ctx's error. A nonzero exit is in
// Output.ExitCode; a lost connection is an error wrapping ErrConnectionLost.
func (t *Transport) Run(ctx context.Context, c *transport.Command) (*transport.Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := t.start(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	stdout, stderr := &cappedBuffer{max: MaxRunOutput}, &cappedBuffer{max: MaxRunOutput}
	// Feeding stdin ends when c.Stdin does or the channel closes; Run does
	// not wait for it (a command need not read all its input), as
	// exec.Cmd does not wait on a process that stopped reading.
	go func() {
		if c.Stdin != nil {
			io.Copy(p.stdin, c.Stdin)
		}
		p.stdin.Close()
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	// A stream over the cap stops being read; the command is then killed.
	tooMuch := make(chan struct{}, 2)
	copyCapped := func(dst *cappedBuffer, src io.Reader) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); errors.Is(err, errTooMuchOutput) {
			tooMuch <- struct{}{}
		}
	}
	go copyCapped(stdout, p.stdout)
	go copyCapped(stderr, p.stderr)
	streams := make(chan struct{})
	go func() { wg.Wait(); close(streams) }()

	// The exit status comes before the end of the streams; a command's
	// background child may hold them open, and Run waits for them as
	// exec.Cmd.Run does.
	status := p.status
	for status != nil || streams != nil {
		select {
		case <-status:
			status = nil
		case <-streams:
			streams = nil
		case <-ctx.Done():
			p.Kill()
			<-p.status
			wg.Wait()
			return nil, ctx.Err()
		case <-tooMuch:
			p.Kill()
			<-p.status
			wg.Wait()
			return nil, fmt.Errorf("ssh: the command printed more than %d bytes on one stream; it was killed", MaxRunOutput)
		}
	}
	if len(tooMuch) > 0 {
		p.Kill()
		return nil, fmt.Errorf("ssh: the command printed more than %d bytes on one stream; it was killed", MaxRunOutput)
	}
	p.ch.Close()
	t.forget(p)
	code, err := p.Wait()
	if err != nil {
		return nil, err
	}
	return &transport.Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: code}, nil
}

// MaxRunOutput bounds each stream Run collects in memory. Run is for side
// tasks; the host is the caller's choice and may be hostile, and must not be
// able to exhaust this process's memory.
const MaxRunOutput = 256 << 20

var errTooMuchOutput = errors.New("ssh: too much output")

// cappedBuffer is a bytes.Buffer that refuses to grow past max.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooMuchOutput
	}
	return b.Buffer.Write(p)
}

// exec runs a raw command string (no wrapper) to completion, discarding
// its output, for the transport's own housekeeping.
func (t *Transport) exec(ctx context.Context, cmd string) error {
	sess, err := t.newSession(ctx, true)
	if err != nil {
		return err
	}
	defer sess.Close()
	sess.Stdout, sess.Stderr = io.Discard, io.Discard
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sess.Close()
		return ctx.Err()
	}
}
