package execkit

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The frame: every command is sent to the shell as one line that the shell
// parses completely before running any of it (bash shown; POSIX shells use
// `command printf`, `command eval`, </dev/null and descriptors 8 and 9):
//
//	\builtin printf '\036EKS%s\036%s' S '' >&253; (the same >&254);
//	\eval 'COMMAND' <&252;
//	{ \builtin printf '...' E "$?" "${PWD-}" E >&253; \builtin printf '...' E '' >&254;
//	  \builtin unset PS0 PS1 PS2 PROMPT_COMMAND; } 2>/dev/null
//
// (The backslashes keep aliases out; the prompt hooks are emptied so that
// nothing a command set runs between commands, see resetHooks.)
// The start markers carry S; the end markers carry E, the exit status and
// the working directory. E is fresh per command and exists only in the
// shell's parsed command line: not in a variable, a function, the
// environment, the input pipe or history, so nothing the command prints can
// forge the end of its own output. The guarantee is against output, not
// against code running in the shell: a DEBUG trap sees the frame's commands
// ($BASH_COMMAND), a sourced script that defines a function named builtin
// or command can forge later frames, and a program running as the shell's
// user can read the shell's memory (/proc/PID/mem) where the kernel allows
// it (Yama ptrace_scope 0). The plain ways a command could break the frame
// are refused before it runs (guard.go). The ” arguments keep S and E
// out of $_. POSIX shells run `command eval`, so a syntax error fails the
// eval instead of abandoning the line and its end marker. Markers go to
// descriptors saved at start-up, so `exec >file` in a command cannot swallow
// them; 2>/dev/null hides the trailer from `set -x`. A bash command's stdin
// is /dev/null from descriptor 252, opened at start-up: opening /dev/null
// for each command costs bash more than the frame's other redirections
// (POSIX shells, whose syntax stops at 9, open it each time).
//
// Stdout carries  RS "EKS" S RS  ...output...  RS "EKE" E RS STATUS ":" PWD "\n" RS "EKT" E RS
// stderr carries  RS "EKS" S RS  ...output...  RS "EKE" E RS
const rs = '\x1e'

const nonceLen = 24 // hex digits: 96 bits

// nonceHook, set only by tests, sees every nonce made.
var nonceHook func(string)

func newNonce() string {
	var b [nonceLen / 2]byte
	rand.Read(b[:]) // never fails on Linux (crypto/rand's contract)
	n := hex.EncodeToString(b[:])
	if nonceHook != nil {
		nonceHook(n)
	}
	return n
}

func startMarker(s string) []byte { return []byte("\x1eEKS" + s + "\x1e") }

// endPrefix is what every end marker starts with; the nonce follows.
var endPrefix = []byte("\x1eEKE")

const endLen = 4 + nonceLen + 1 // RS EKE nonce RS

func trailerEnd(e string) []byte { return []byte("\x1eEKT" + e + "\x1e") }

// shellKind selects the dialect of the frame's helpers.
type shellKind int

const (
	kindPOSIX shellKind = iota
	kindBash
)

// dialect holds the per-shell pieces of the frame.
type dialect struct {
	kind   shellKind
	init   string // saves the marker descriptors, quiets prompts and history
	out    string // descriptor of saved stdout
	err    string // descriptor of saved stderr
	prefix string // how builtins are called past user functions
	eval   string // how the command is evaluated
	null   string // the redirection giving the command /dev/null as stdin
	// resetHooks empties what an interactive shell runs or expands between
	// commands (PROMPT_COMMAND, the prompts): set by a command, it would
	// run after the trailer has reported the cwd, change state behind the
	// result's back, and get past the policy fence. It comes after both
	// end markers, and unsets rather than assigns: a readonly variable makes
	// an assignment abandon the rest of the group, an unset only fails.
	resetHooks string
	// inputFrom redirects a command's stdin from data; nil: a here-document.
	inputFrom func(data string) string
}

var bashDialect = dialect{
	kind:       kindBash,
	out:        "253",
	err:        "254",
	prefix:     `\builtin `,
	eval:       `\eval `,
	null:       " <&252",
	resetHooks: `\builtin unset PS0 PS1 PS2 PROMPT_COMMAND;`,
	init: `PS1='' PS2='' PS0='' PS4='+ '; unset PROMPT_COMMAND HISTFILE MAILCHECK; set +o history +H +m
exec 253>&1 254>&2 252</dev/null
`,
	inputFrom: func(data string) string {
		// Process substitution gives the command exactly these bytes.
		return " < <(\\builtin printf %s " + quote(data) + ")"
	},
}

var posixDialect = dialect{
	kind:       kindPOSIX,
	out:        "8",
	err:        "9",
	prefix:     `\command `,
	eval:       `\command eval `,
	null:       " </dev/null",
	resetHooks: `\command unset PS1 PS2;`,
	init: `PS1='' PS2='' PS4='+ '; unset PROMPT_COMMAND HISTFILE MAILCHECK ENV; set +m 2>/dev/null
exec 8>&1 9>&2
`,
}

// posixBatchDialect is posixDialect for a shell that runs non-interactively
// (busybox ash).
var posixBatchDialect = func() dialect {
	d := posixDialect
	d.resetHooks = ""
	return d
}()

// quote single-quotes s for any POSIX shell. Hand-written rather than
// syntax.Quote: that one picks $'...' for control bytes, which dash and
// busybox do not read, and refuses invalid UTF-8, which a command may hold.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// frameLine builds the text sent to the shell for one command.
func (d *dialect) frameLine(command, input, s, e string) string {
	var b strings.Builder
	b.Grow(len(command) + len(input) + 400)
	for _, fd := range []string{d.out, d.err} {
		b.WriteString(d.prefix + `printf '\036EKS%s\036%s' ` + s + ` '' >&` + fd + ";")
	}
	b.WriteString(d.eval)
	b.WriteString(quote(command))
	heredocInput := false
	switch {
	case input == "":
		b.WriteString(d.null)
	case d.inputFrom != nil:
		b.WriteString(d.inputFrom(input))
	default:
		heredocInput = true
		b.WriteString(" <<'EKIN" + s + "'")
	}
	b.WriteString(";")
	b.WriteString(d.trailer(e))
	b.WriteString("\n")
	if heredocInput {
		b.WriteString(input)
		if !strings.HasSuffix(input, "\n") {
			b.WriteByte('\n')
		}
		b.WriteString("EKIN" + s + "\n")
	}
	return b.String()
}

// trailer prints the end markers with nonce e, the last status and the
// working directory. $? is still the command's when the first printf's
// arguments are expanded (a redirection on a group runs no command); the
// final ” leaves $_ empty rather than e.
func (d *dialect) trailer(e string) string {
	return "{ " + d.prefix + `printf '\036EKE%s\036%s:%s\n\036EKT%s\036' ` + e + ` "$?" "${PWD-}" ` + e + ` >&` + d.out + ";" +
		d.prefix + `printf '\036EKE%s\036%s' ` + e + ` '' >&` + d.err + ";" + d.resetHooks + " } 2>/dev/null"
}

// recoveryLine asks the shell for an end marker with nonce r after an
// interrupt made it abandon the rest of the frame.
func (d *dialect) recoveryLine(r string) string {
	return d.trailer(r) + "\n"
}

// frameEnd is what a stream's end marker told.
type frameEnd struct {
	nonce  string // which end nonce closed the frame
	status int
	cwd    string
	ok     bool // a valid trailer was parsed (stdout only)
}

// frame is one command's expectations on one stream.
type frame struct {
	start  []byte
	ends   []string  // accepted end nonces: the command's, then recovery
	sink   io.Writer // receives the command's output bytes
	stdout bool      // parse the status trailer
	done   chan frameEnd

	state    int // 0 waiting for start, 1 body, 2 trailer, 3 done
	endNonce string
	trailer  []byte
	sent     bool        // guarded by the demux's mu
	gotEnd   atomic.Bool // sent, readable without the lock
}

const (
	stWaitStart = iota
	stBody
	stTrailer
	stDone
)

// maxTrailer bounds the status/cwd trailer (a path is at most PATH_MAX).
const maxTrailer = 64 << 10

// demux reads one of the shell's streams for the whole session, finding
// frames in it. Bytes outside a frame (a background job writing between
// commands, the shell's start-up noise) are discarded.
type demux struct {
	r    io.Reader
	mu   sync.Mutex
	cur  *frame
	buf  []byte
	eof  chan struct{} // closed at EOF or read error
	err  error
	bufs sync.Pool
}

func newDemux(r io.Reader) *demux {
	return &demux{r: r, eof: make(chan struct{})}
}

// set installs the frame for the next command. Call before writing the
// command to the shell.
func (d *demux) set(f *frame) {
	d.mu.Lock()
	d.cur = f
	d.buf = d.buf[:0]
	d.mu.Unlock()
}

// addEnd accepts another end nonce for the current frame (recovery).
func (d *demux) addEnd(f *frame, nonce string) {
	d.mu.Lock()
	f.ends = append(f.ends, nonce)
	d.mu.Unlock()
}

// clear detaches f once its command is over, so nothing more reaches its
// sink.
func (d *demux) clear(f *frame) {
	d.mu.Lock()
	if d.cur == f {
		d.cur = nil
	}
	d.mu.Unlock()
}

func (d *demux) run() {
	defer close(d.eof)
	// 16 KiB: an idle session holds this while it waits, and thousands of
	// sessions may wait at once.
	chunk := make([]byte, 16<<10)
	for {
		n, err := d.r.Read(chunk)
		if n > 0 {
			d.mu.Lock()
			d.feed(chunk[:n])
			if len(d.buf) == 0 && cap(d.buf) > 4<<10 {
				d.buf = nil // do not hold a flood's buffer while idle
			}
			d.mu.Unlock()
		}
		if err != nil {
			d.mu.Lock()
			d.err = err
			if f := d.cur; f != nil && f.state == stBody && len(d.buf) > 0 {
				// The shell died: what it printed is the command's output.
				f.sink.Write(d.buf)
				d.buf = d.buf[:0]
			}
			d.mu.Unlock()
			return
		}
	}
}

// feed processes newly read bytes; d.mu is held.
func (d *demux) feed(p []byte) {
	f := d.cur
	if f == nil || f.state == stDone {
		return
	}
	d.buf = append(d.buf, p...)
	for {
		switch f.state {
		case stWaitStart:
			i := bytes.Index(d.buf, f.start)
			if j, _ := findEnd(d.buf, f.ends); j >= 0 && (i < 0 || j < i) {
				// An interrupt cut the frame before its start marker
				// reached this stream; the recovery line's end marker
				// closes it with nothing in between.
				d.buf = append(d.buf[:0], d.buf[j:]...)
				f.state = stBody
				continue
			}
			if i < 0 {
				keep := len(f.start) - 1
				if len(d.buf) > keep {
					d.buf = append(d.buf[:0], d.buf[len(d.buf)-keep:]...)
				}
				return
			}
			d.buf = append(d.buf[:0], d.buf[i+len(f.start):]...)
			f.state = stBody
		case stBody:
			i, nonce := findEnd(d.buf, f.ends)
			if i < 0 {
				// Hold back only what could be the start of an end marker.
				hold := holdback(d.buf)
				if out := d.buf[:len(d.buf)-hold]; len(out) > 0 {
					f.sink.Write(out)
				}
				d.buf = append(d.buf[:0], d.buf[len(d.buf)-hold:]...)
				return
			}
			if i > 0 {
				f.sink.Write(d.buf[:i])
			}
			d.buf = append(d.buf[:0], d.buf[i+endLen:]...)
			f.endNonce = nonce
			if !f.stdout {
				f.state = stDone
				d.deliver(f, frameEnd{nonce: nonce, ok: true})
				return
			}
			f.state = stTrailer
		case stTrailer:
			te := trailerEnd(f.endNonce)
			i := bytes.Index(d.buf, te)
			if j, nonce := findEnd(d.buf, f.ends); j >= 0 && (i < 0 || j < i) {
				// An interrupt cut this trailer short and the recovery
				// line printed a whole one: read that instead.
				d.buf = append(d.buf[:0], d.buf[j+endLen:]...)
				f.endNonce = nonce
				continue
			}
			if i < 0 {
				if len(d.buf) > maxTrailer {
					f.state = stDone
					d.deliver(f, frameEnd{nonce: f.endNonce})
				}
				return
			}
			fe := parseTrailer(d.buf[:i])
			fe.nonce = f.endNonce
			d.buf = d.buf[:0]
			f.state = stDone
			d.deliver(f, fe)
			return
		default:
			return
		}
	}
}

// started reports whether f's start marker has been seen.
func (d *demux) started(f *frame) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return f.state != stWaitStart
}

// delivered reports whether f has ended (its end marker was read).
func (f *frame) delivered() bool { return len(f.done) > 0 || f.gotEnd.Load() }

func (d *demux) deliver(f *frame, fe frameEnd) {
	if !f.sent {
		f.sent = true
		f.gotEnd.Store(true)
		f.done <- fe // buffered, capacity 1
	}
}

// findEnd finds the first end marker in b carrying one of the accepted
// nonces.
func findEnd(b []byte, nonces []string) (int, string) {
	off := 0
	for {
		i := bytes.Index(b[off:], endPrefix)
		if i < 0 {
			return -1, ""
		}
		i += off
		if len(b)-i < endLen {
			return -1, "" // maybe a marker, not complete yet
		}
		got := b[i+4 : i+4+nonceLen]
		if b[i+endLen-1] == rs {
			for _, n := range nonces {
				if string(got) == n {
					return i, n
				}
			}
		}
		off = i + 1
	}
}

// holdback is how many trailing bytes of b could begin an end marker: from
// the last RS in the final endLen-1 bytes, if what follows it matches the
// marker so far.
func holdback(b []byte) int {
	lo := len(b) - (endLen - 1)
	if lo < 0 {
		lo = 0
	}
	for i := len(b) - 1; i >= lo; i-- {
		if b[i] != rs {
			continue
		}
		rest := b[i:]
		n := len(rest)
		if n > len(endPrefix) {
			n = len(endPrefix)
		}
		if bytes.Equal(rest[:n], endPrefix[:n]) {
			return len(b) - i
		}
	}
	return 0
}

// parseTrailer reads "STATUS:PWD\n".
func parseTrailer(b []byte) frameEnd {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return frameEnd{}
	}
	st, err := strconv.Atoi(string(b[:i]))
	if err != nil {
		return frameEnd{}
	}
	cwd := string(bytes.TrimSuffix(b[i+1:], []byte("\n")))
	return frameEnd{status: st, cwd: cwd, ok: true}
}
