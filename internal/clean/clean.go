// Package clean turns the raw bytes a shell prints into text an agent can
// read: what a terminal would have shown, as valid UTF-8, without the
// escape sequences that drew it.
//
// It is the first stage of the output pipeline (clean, then redact, then
// budget). Its input is anything a program can write: colours, cursor
// movement, window titles, OSC 52 clipboard writes, progress bars redrawn
// with carriage returns, NULs, invalid UTF-8 and floods without a newline.
//
// # Use
//
// A [Writer] cleans a stream; [String] and [Bytes] clean a whole input:
//
//	w := clean.NewWriter(next) // next is the redaction stage
//	io.Copy(w, stdout)
//	w.Close() // emits the last line even if it has no newline
//	if w.Stats().LooksBinary() { ... }
//
// Writes may be split at any byte, even inside an escape sequence or a
// UTF-8 rune: the output is the same as for one big Write.
//
// A redactor goes between the two halves of cleaning, not after it: a
// carriage return lets later text overwrite the start of a secret
// ("ghp_...\rxx" shows as "xxp_..."), hiding the prefix a rule knows it
// by. [NewFilteredWriter] strips sequences, controls and invalid UTF-8,
// hands the text with its carriage returns and backspaces still in it to
// a [Filter], and then applies them; the result is what [NewWriter] gives
// when the filter changes nothing. [StringFiltered] does the same for a
// whole string.
//
// # What is removed
//
// Escape sequences are parsed the way a VT500-style terminal parses them
// (the state machine of vt100.net/emu/dec_ansi_parser) and dropped:
//   - CSI (ESC [ ... final byte), private parameters included;
//   - OSC (ESC ] ... BEL or ST), such as titles, hyperlinks, OSC 52;
//   - DCS, SOS, PM and APC strings (ESC P, ESC X, ESC ^, ESC _ ... ST);
//   - two-byte and charset escapes (ESC 7, ESC =, ESC c, ESC ( B, ...);
//   - the C1 controls when they arrive as UTF-8 code points U+0080 to
//     U+009F (U+009B is CSI, U+009D is OSC, U+009C is ST, ...).
//
// A control byte inside a CSI or escape is executed, as a terminal does, so
// a stray ESC cannot swallow the newline after it (the printable byte after
// that still completes the escape, as on a terminal). CAN and SUB abort a
// sequence. A sequence that has not ended after 4 KiB is abandoned and
// what follows is text again: an unterminated OSC or DCS hides at most
// 4 KiB of output, and no sequence is ever buffered.
//
// NUL, DEL and the C0 controls other than newline, tab, carriage return
// and backspace are dropped. The bytes of a raw 8-bit C1 control (0x80 to
// 0x9F on its own) are not UTF-8 and become U+FFFD like any other invalid
// byte.
//
// # Lines
//
// The line being written is kept in a small screen model so that redraws
// collapse to what was finally shown: "10%\r20%\r100%\n" gives "100%\n" and
// "abc\rX\n" gives "Xbc\n". Carriage return moves to the start of the line
// and backspace one rune left, neither erases; the next character
// overwrites the one under the cursor. Erase in line (ESC [ K, ESC [ 1 K,
// ESC [ 2 K) and moving the cursor left (ESC [ n D, ESC [ n G) are honoured;
// erased cells print as spaces, except at the end of a line where they are
// trimmed as a terminal's copy would. Columns are counted in runes (a wide
// CJK character or emoji counts as one) and a tab is one ordinary
// character. Cursor moves to the right or to other lines are dropped:
// lines already passed on cannot be redrawn, and moving right would let
// eight bytes of input print thousands of spaces.
//
// # Exactness and bounds
//
// Text with none of the above passes through byte for byte, and output
// that does not end in a newline keeps its last bytes (emitted by
// [Writer.Close]). A line is held for redraws only up to 64 KiB; a longer
// line is passed on in pieces, and a carriage return then returns only to
// the start of the current piece. Memory therefore stays bounded (about
// 100 KiB at most per Writer) whatever the input, and it grows only when
// the output needs it.
//
// Invalid UTF-8 is replaced byte by byte: every byte that is not part of a
// valid encoding becomes one U+FFFD, as ranging over a Go string does. The
// output of n input bytes is at most n plus two bytes per replaced byte.
package clean

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// ErrClosed is returned by a Write after Close. It exists so that a
// late-writing goroutine learns its output was not kept.
var ErrClosed = errors.New("clean: write after close")

const (
	// maxLine bounds the line held for carriage-return and backspace
	// resolution; past it the line is passed on as it stands.
	maxLine = 64 << 10
	// maxSeq bounds how many bytes one escape sequence may consume before
	// the parser gives up on it and treats what follows as text again.
	maxSeq = 4 << 10
	// outMax is the most output gathered before it is passed to dst;
	// larger pieces go to dst straight from the line or the input.
	outMax = 32 << 10
)

// state is where the escape-sequence parser is.
type state uint8

const (
	ground   state = iota // text
	escape                // after ESC
	escInter              // ESC and intermediate bytes, waiting for the final byte
	csi                   // control sequence: parameters, intermediates, final byte
	osc                   // operating system command: ends with BEL or ST
	str                   // DCS, SOS, PM or APC: ends with ST
)

// Writer cleans the stream written to it and writes the result to its
// destination. Use [NewWriter]; the zero value has no destination.
//
// Complete lines are passed on during the Write that completes them; the
// current line is held until its newline arrives, the line bound is
// reached or Close is called, because a later carriage return may still
// rewrite it.
//
// A Writer is not safe for concurrent use; call Stats from the goroutine
// that writes, or synchronise.
type Writer struct {
	dst    io.Writer
	err    error // first error from dst; sticky
	closed bool
	mode   mode

	// A filtered Writer (NewFilteredWriter) is the strip stage; it passes
	// its output through filter into res, the resolve stage.
	filter Filter
	res    *Writer

	// strip stage: col (below) is an upper bound of the terminal's cursor
	// column, exact until a line passes the line bound.
	pendCR   bool  // a carriage return not yet passed on: dropped before a newline
	dirty    bool  // the line may hold cells right of the cursor
	linesOut int64 // newlines passed on (filtered Writer only)
	editLine int64 // linesOut when the last edit was passed on; -1: none yet

	// resolve stage
	recheck  func(line []byte) []byte
	composed bool    // the current line was overwritten, erased or moved over
	src      *Writer // the strip stage feeding the filter, if known
	linesIn  int64   // newlines taken (with src)

	// parser
	state  state
	seqLen int  // bytes consumed since leaving text, bounded by maxSeq
	csiN   int  // first CSI parameter, saturating
	csiArg bool // the CSI has only a plain number so far, so it may be honoured
	sawC2  bool // inside a string, the previous byte began U+009C (ST)?

	// A rune split across Writes waits here for the rest of its bytes.
	pend  [utf8.UTFMax]byte
	npend int

	// The current line as a gap buffer: the cursor sits at the gap, text
	// before it is buf[:gs] and text under and after it is buf[ge:]. A gap
	// buffer makes overwriting a rune of another width O(1) and a carriage
	// return cost only what was written since the last one. Erased cells
	// are stored as NUL, which can never be text.
	buf      []byte
	gs, ge   int
	col      int  // runes in buf[:gs]: the cursor's column
	blankPre int  // buf[:blankPre] is known to be erased cells
	blanks   bool // the line may hold erased cells

	out []byte // output not yet passed to dst

	stats Stats
}

// mode is which part of cleaning a Writer does.
type mode uint8

const (
	modeFull    mode = iota // everything (NewWriter)
	modeStrip               // the first half: sequences, controls, UTF-8
	modeResolve             // the second half: the line model
)

// NewWriter returns a Writer that writes the cleaned stream to dst.
// Closing the Writer does not close dst.
func NewWriter(dst io.Writer) *Writer {
	return &Writer{dst: dst}
}

// Write cleans p and passes every line it completes to dst. It consumes
// all of p and returns len(p) unless the Writer is closed; an error from
// dst is returned, and from then on every Write and Close returns it,
// because output after a lost piece would be silently incomplete.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	n0 := len(p)
	w.stats.BytesIn += int64(n0)
	for w.npend > 0 && len(p) > 0 {
		// Finish the split rune by running its bytes and the next few
		// through the ordinary path; if they still end in an incomplete
		// rune, it is stashed again.
		var tmp [2 * utf8.UTFMax]byte
		n := copy(tmp[:], w.pend[:w.npend])
		k := copy(tmp[n:], p[:min(len(p), utf8.UTFMax)])
		w.npend = 0
		w.run(tmp[:n+k])
		p = p[k:]
	}
	if w.src != nil {
		p = w.resolveLines(p)
	}
	w.run(p)
	w.flushOut()
	return n0, w.err
}

// Close resolves and passes on the last line, even without a newline, so
// that output keeps its exact end. An escape sequence still open is
// dropped and a rune still incomplete is invalid. Close does not close dst
// and is idempotent.
func (w *Writer) Close() error {
	if w.filter == nil || w.closed {
		return w.close()
	}
	err := w.close()
	if e := w.filter.Close(); err == nil {
		err = e
	}
	if e := w.res.Close(); err == nil {
		err = e
	}
	w.err = err // what a second Close returns
	return err
}

func (w *Writer) close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	// Every byte of an incomplete encoding is invalid on its own: the
	// lead byte lacks its continuation and the rest are stray
	// continuation bytes.
	for range w.npend {
		w.invalid()
	}
	w.npend = 0
	w.state = ground
	w.pendCR = false // nothing follows it: a no-op
	w.emitLine()
	w.flushOut()
	w.buf, w.out = nil, nil
	w.gs, w.ge = 0, 0
	return w.err
}

// Stats reports what the Writer has seen so far. The counts are the same
// however the input was split into Writes. For a filtered Writer, BytesOut
// counts what left the last stage.
func (w *Writer) Stats() Stats {
	st := w.stats
	if w.res != nil {
		st.BytesOut = w.res.stats.BytesOut
	}
	return st
}

// String returns s cleaned as a whole: what a Writer writes for s followed
// by Close.
func String(s string) string {
	var b bytes.Buffer
	b.Grow(len(s))
	w := NewWriter(&b)
	w.Write([]byte(s)) // a bytes.Buffer does not fail
	w.Close()
	return b.String()
}

// Bytes returns b cleaned as a whole, in a new slice that never shares
// memory with b.
func Bytes(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	w := NewWriter(&out)
	w.Write(b) // a bytes.Buffer does not fail
	w.Close()
	return out.Bytes()
}

// run feeds p through the parser. It is entered with no rune pending and
// may leave one pending if p ends inside a rune.
func (w *Writer) run(p []byte) {
	for i := 0; i < len(p); {
		// Where a run of bytes needs the same treatment, take it in one
		// piece; the byte that ends the run goes through the parser below.
		if n := w.fast(p[i:]); n > 0 {
			i += n
			continue
		}
		b := p[i]
		if b < utf8.RuneSelf {
			w.step(b)
			i++
			continue
		}
		switch w.state {
		case osc, str:
			w.strByte(b)
			i++
			continue
		case escape, escInter, csi:
			// A byte that cannot belong to the sequence ends it, and is
			// text again.
			w.state = ground
		}
		if !utf8.FullRune(p[i:]) {
			w.npend = copy(w.pend[:], p[i:])
			return
		}
		r, size := utf8.DecodeRune(p[i:])
		w.rune(r, p[i:i+size])
		i += size
	}
}

// fast consumes the longest prefix of p that the current state treats
// alike, exactly as the parser would byte by byte, and returns its length.
func (w *Writer) fast(p []byte) int {
	switch w.state {
	case ground:
		// Text is appended when the cursor is at the end of the line,
		// and typed over the line up to the next newline when it is not.
		n, end, ascii := scanText(p)
		if n == 0 {
			return 0
		}
		if w.mode == modeStrip {
			w.stripText(p[:n], end, ascii)
			return n
		}
		if w.ge == len(w.buf) {
			w.text(p[:n], end, ascii)
			return n
		}
		if k := bytes.IndexByte(p[:n], '\n'); k >= 0 {
			n = k
		}
		w.overtype(p[:n], width(p[:n], ascii))
		return n
	case csi:
		// Parameter bytes: most of what a colour sequence is made of.
		n, lim := 0, min(len(p), maxSeq-w.seqLen)
		for ; n < lim; n++ {
			b := p[n]
			if b >= '0' && b <= '9' {
				w.csiN = min(w.csiN*10+int(b-'0'), maxLine)
			} else if b >= 0x3a && b <= 0x3f {
				w.csiArg = false
			} else {
				break
			}
		}
		w.seqLen += n
		w.bound()
		return n
	case osc, str:
		// The payload is dropped unread up to the next byte that could
		// end the string.
		n, lim := 0, min(len(p), maxSeq-w.seqLen)
		for n < lim && !strEnd[p[n]] {
			n++
		}
		if n > 0 {
			w.seqLen += n
			w.sawC2 = false
			w.bound()
		}
		return n
	}
	return 0
}

// text takes a run of printable text and newlines found by scanText, in
// ground state with the cursor at the end of the line; end is the length
// of its complete lines.
func (w *Writer) text(seg []byte, end int, ascii bool) {
	if end > 0 && w.src != nil {
		w.linesIn += int64(bytes.Count(seg[:end], newline))
	}
	if end > 0 {
		if w.gs > 0 {
			nl := bytes.IndexByte(seg, '\n')
			w.appendText(seg[:nl], width(seg[:nl], ascii))
			w.emitLine()
			w.emit(newline)
			seg, end = seg[nl+1:], end-nl-1
		}
		w.composed = false // the line is empty: nothing composed shows
		// Complete lines that start on an empty line are already what the
		// terminal would show: they go out without touching the line.
		w.emit(seg[:end])
		seg = seg[end:]
	}
	if len(seg) > 0 {
		w.appendText(seg, width(seg, ascii))
	}
}

var newline = []byte{'\n'}

// width is the number of runes in text found by scanText.
func width(b []byte, ascii bool) int {
	if ascii {
		return len(b)
	}
	return runeCount(b)
}

// step takes one byte below 0x80.
func (w *Writer) step(b byte) {
	switch w.state {
	case ground:
		if b == 0x1b {
			w.enter(escape)
			w.stats.Sequences++
			return
		}
		w.control(b)
	case escape:
		switch {
		case b == '[':
			w.state = csi
			w.csiN, w.csiArg = 0, true
		case b == ']':
			w.state = osc
			w.sawC2 = false
		case b == 'P' || b == 'X' || b == '^' || b == '_':
			w.state = str
			w.sawC2 = false
		case b >= 0x20 && b <= 0x2f:
			w.state = escInter
		case b >= 0x30 && b <= 0x7e:
			// A two-byte escape (ESC 7, ESC =, ESC c, ...), or the
			// ESC \ that ends a string sequence.
			w.state = ground
		default:
			w.inSeq(b)
		}
	case escInter:
		w.seqLen++
		switch {
		case b >= 0x20 && b <= 0x2f:
		case b >= 0x30 && b <= 0x7e:
			w.state = ground
		default:
			w.inSeq(b)
		}
		w.bound()
	case csi:
		w.seqLen++
		switch {
		case b >= '0' && b <= '9':
			w.csiN = min(w.csiN*10+int(b-'0'), maxLine)
		case b >= 0x20 && b <= 0x3f:
			// Separators, private markers and intermediates: a sequence
			// with any of them is not one the line model honours.
			w.csiArg = false
		case b >= 0x40 && b <= 0x7e:
			w.state = ground
			if w.csiArg {
				w.dispatch(b, w.csiN)
			}
		default:
			w.inSeq(b)
		}
		w.bound()
	case osc, str:
		w.strByte(b)
	}
}

// enter starts a sequence from text.
func (w *Writer) enter(s state) {
	w.state = s
	w.seqLen = 0
	w.csiN, w.csiArg = 0, true
	w.sawC2 = false
}

// inSeq handles a byte that is neither parameter nor final inside an
// escape or CSI: ESC restarts, CAN and SUB abort, DEL is ignored and other
// controls are executed, all as a terminal does.
func (w *Writer) inSeq(b byte) {
	switch b {
	case 0x1b:
		w.state = escape
	case 0x18, 0x1a:
		w.state = ground
	case 0x7f:
	default:
		w.control(b)
	}
}

// bound abandons a sequence that has run too long to be real, so that it
// cannot hide the rest of the output.
func (w *Writer) bound() {
	if w.seqLen >= maxSeq && w.state != ground {
		w.state = ground
	}
}

// strEnd marks the bytes that strByte must see: those that end or abort
// a string sequence, and the first byte of U+009C.
var strEnd = [256]bool{0x07: true, 0x18: true, 0x1a: true, 0x1b: true, 0x9c: true, 0xc2: true}

// strByte takes one byte of an OSC or other string sequence. The payload
// is dropped as it comes; only its end is looked for.
func (w *Writer) strByte(b byte) {
	if w.sawC2 && b == 0x9c { // U+009C, ST
		w.state = ground
		return
	}
	w.sawC2 = b == 0xc2
	switch b {
	case 0x07:
		if w.state == osc {
			w.state = ground
			return
		}
	case 0x1b:
		// Either the ST ESC \ or a new sequence that aborts this one.
		w.state = escape
		return
	case 0x18, 0x1a:
		w.state = ground
		return
	}
	w.seqLen++
	w.bound()
}

// control executes a byte below 0x80 that is text or a C0 control.
func (w *Writer) control(b byte) {
	switch {
	case b >= 0x20 && b < 0x7f, b == '\t':
		w.insert([]byte{b})
	case w.mode == modeStrip && (b == '\n' || b == '\r' || b == '\b'):
		w.stripControl(b)
	case b == '\n':
		w.linesIn++
		w.emitLine()
		w.emit(newline)
	case b == '\r':
		w.left(w.col)
	case b == '\b':
		w.left(1)
	case w.mode == modeResolve && b >= codeEraseRight && b <= codeEraseLine:
		w.dispatch('K', int(b-codeEraseRight))
	case b == 0:
		w.stats.NUL++
	default:
		w.stats.Control++
	}
}

// dispatch honours the few CSI sequences that change what the current
// line shows; n is the first parameter (0 when absent).
func (w *Writer) dispatch(final byte, n int) {
	if w.mode == modeStrip {
		w.stripDispatch(final, n)
		return
	}
	switch final {
	case 'K': // EL: erase in line
		switch n {
		case 0:
			w.eraseRight()
		case 1:
			w.eraseLeft()
			w.eraseUnder()
		case 2:
			w.eraseLeft()
			w.eraseRight()
		}
	case 'D': // CUB: cursor back
		w.left(max(n, 1))
	case 'G', '`': // CHA, HPA: to column n (1-based); only leftwards
		if to := max(n, 1) - 1; to < w.col {
			w.left(w.col - to)
		}
	}
}

// rune takes a decoded rune at or above 0x80 in ground state; enc is its
// encoding in the input.
func (w *Writer) rune(r rune, enc []byte) {
	switch {
	case r == utf8.RuneError && len(enc) == 1:
		w.invalid()
	case r < 0xa0: // C1 controls, as UTF-8
		switch r {
		case 0x9b: // CSI
			w.enter(csi)
		case 0x9d: // OSC
			w.enter(osc)
		case 0x90, 0x98, 0x9e, 0x9f: // DCS, SOS, PM, APC
			w.enter(str)
		case 0x9c: // ST with nothing to end
		default:
			w.stats.Control++
			return
		}
		w.stats.Sequences++
	default:
		w.insert(enc)
	}
}

var replacement = []byte(string(utf8.RuneError))

// invalid replaces one byte that is not UTF-8.
func (w *Writer) invalid() {
	w.stats.InvalidUTF8++
	w.insert(replacement)
}

// emit passes cleaned bytes on, gathering small pieces so that dst sees
// few large Writes.
func (w *Writer) emit(b []byte) {
	if len(w.out)+len(b) > outMax {
		w.flushOut()
		if len(b) >= outMax {
			w.writeDst(b)
			return
		}
	}
	if len(w.out)+len(b) > cap(w.out) {
		// Grown by hand so that the buffer never exceeds outMax, which
		// append's rounding would.
		nb := make([]byte, len(w.out), min(max(2*cap(w.out), len(w.out)+len(b), 512), outMax))
		copy(nb, w.out)
		w.out = nb
	}
	w.out = append(w.out, b...)
}

func (w *Writer) flushOut() {
	if len(w.out) > 0 {
		w.writeDst(w.out)
		w.out = w.out[:0]
	}
}

func (w *Writer) writeDst(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.dst.Write(b)
	w.stats.BytesOut += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	w.err = err
}
