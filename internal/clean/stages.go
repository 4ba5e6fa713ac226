package clean

import (
	"bytes"
	"io"
)

// This file splits cleaning in two halves with a filter between them, for
// redaction. A redactor must see text in the order it was written: after
// "ghp_<token>\rxx" a terminal shows "xxp_<token>", a token's body without
// the prefix that a rule recognises it by, so redacting the cleaned text
// would let the body through. A filtered Writer strips first, lets the
// filter see the text with its carriage returns and other line edits still
// in it, and applies the edits afterwards:
//
//   - strip: escape sequences, controls and invalid UTF-8 are handled as by
//     NewWriter, but the edits the line model honours are passed on instead
//     of applied: carriage return as '\r', backspace and cursor moves to the
//     left as '\b' (one per column), and the three erases as the otherwise
//     unused bytes codeEraseRight, codeEraseLeft and codeEraseLine. Edits
//     that change nothing on screen are dropped: a carriage return before a
//     newline (CRLF), a second one, a move left at the start of the line,
//     an erase to the right with nothing there (what grep --color writes
//     after every match). Ordinary text therefore reaches the filter as
//     NewWriter would give it, and the filter's rules work on it unchanged.
//   - resolve: the line model of NewWriter, which also takes the three
//     erase bytes.
//
// Resolving stripped text gives exactly what NewWriter gives, except that a
// move to a column (ESC [ n G, n > 1) on a line already passed on in pieces
// (longer than 64 KiB) may land on another column.

// The erases, as a strip stage passes them to the resolve stage. They are
// C0 controls that the strip stage drops from its input, so they cannot
// come from the command's own output.
const (
	codeEraseRight = 0x1c // ESC [ K: from the cursor to the end of the line
	codeEraseLeft  = 0x1d // ESC [ 1 K: from the start of the line through the cursor
	codeEraseLine  = 0x1e // ESC [ 2 K: the whole line
)

var (
	carriageReturn = []byte{'\r'}
	backspaces     = bytes.Repeat([]byte{'\b'}, 64)
	eraseCodes     = []byte{codeEraseRight, codeEraseLeft, codeEraseLine}
)

// Filter is what a filtered Writer runs between its two halves (see
// [NewFilteredWriter]): a redactor.
//
// Write receives stripped text: valid UTF-8 with no escape sequence and no
// control character other than newline, tab, the line edits '\r' and '\b',
// and the bytes 0x1C to 0x1E (erases still to be applied). A carriage
// return never comes right before a newline. The filter passes the text on
// to the next stage in order, replacing or dropping what it must; where it
// replaces an edit along with text, the edit is simply not applied. It
// must not add newlines, control characters or invalid UTF-8 of its own,
// and it writes to the next stage only from within its own Write and
// Close: the next stage passes lines it knows to hold no edit through
// unparsed, and it knows that from what the strip stage has written.
type Filter interface {
	io.Writer
	// Close passes on everything the filter still holds. The filtered
	// Writer calls it once, from its own Close.
	Close() error
	// Recheck is given each line whose text the line model composed from
	// earlier and later writes (overwritten after a carriage return or
	// backspace, erased in part), as it is about to be passed on, and
	// returns what to pass on instead: a secret may show only once the
	// edits are applied ("ghp_AB\bC..."). It may return line itself and
	// must not keep it.
	Recheck(line []byte) []byte
}

// NewFilteredWriter returns a Writer that cleans like [NewWriter] but runs
// the text through a filter between stripping and resolving (see
// [Filter]). mk is called once, with the resolving half as the filter's
// destination. Close closes the strip stage, then the filter, then the
// resolve stage; Stats counts the input as [NewWriter]'s would, and
// BytesOut is what reached dst.
func NewFilteredWriter(dst io.Writer, mk func(next io.Writer) Filter) *Writer {
	res := &Writer{dst: dst, mode: modeResolve}
	f := mk(res)
	res.recheck = f.Recheck
	w := &Writer{dst: f, mode: modeStrip, filter: f, res: res, editLine: -1}
	res.src = w
	return w
}

// resolveLines takes the complete lines of p, and returns the rest for
// the parser. Lines that cannot hold an edit are passed on as they are,
// without the parser: most lines have none, and this keeps the second half
// from costing as much as the first.
//
// The strip stage counts the newlines it passes on and notes the count at
// its last edit; the filter can only pass on text the strip stage already
// passed to it, and never adds a newline, so a line this stage numbers n is
// at least line n of the strip stage's output. Lines after the one the
// last edit was on hold none.
func (w *Writer) resolveLines(p []byte) []byte {
	for len(p) > 0 && w.src.editLine >= w.linesIn {
		// Parse up to the end of the line with the last edit (which may
		// be the current one), then take the rest in one piece.
		k := -1
		for n := w.src.editLine - w.linesIn; n >= 0; n-- {
			i := bytes.IndexByte(p[k+1:], '\n')
			if i < 0 {
				return p
			}
			k += i + 1
		}
		w.run(p[:k+1])
		p = p[k+1:]
	}
	return w.passLines(p)
}

// passLines passes on the complete lines of p as they are, knowing that
// they hold no edit, and returns the rest.
func (w *Writer) passLines(p []byte) []byte {
	if w.state != ground || w.npend > 0 || w.ge != len(w.buf) {
		return p
	}
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		return p
	}
	head := p[:i+1]
	w.linesIn += int64(bytes.Count(head, newline))
	if w.gs > 0 {
		// The current line ends with the first newline.
		j := bytes.IndexByte(head, '\n')
		w.appendText(head[:j], runeCount(head[:j]))
		w.emitLine()
		w.emit(newline)
		head = head[j+1:]
	}
	w.emit(head)
	return p[i+1:]
}

// StringFiltered returns s cleaned as a whole with f between the halves,
// as a filtered Writer does: f is given the stripped text, and then each
// line the edits composed, as Recheck would be.
func StringFiltered(s string, f func(string) string) string {
	var mid bytes.Buffer
	mid.Grow(len(s))
	w := &Writer{dst: &mid, mode: modeStrip}
	w.Write([]byte(s)) // a bytes.Buffer does not fail
	w.Close()

	var out bytes.Buffer
	out.Grow(mid.Len())
	r := &Writer{dst: &out, mode: modeResolve, recheck: func(line []byte) []byte {
		return []byte(f(string(line)))
	}}
	io.WriteString(r, f(mid.String()))
	r.Close()
	return out.String()
}

// flushCR passes on a pending carriage return: something that may change
// the screen follows it.
func (w *Writer) flushCR() {
	if w.pendCR {
		w.pendCR = false
		w.noteEdit()
		w.emit(carriageReturn)
	}
}

// noteEdit records that an edit is about to be passed on (before emit,
// which may pass it on at once). The first edit of a line first passes on
// the text before it, so that the resolve stage can take the lines before
// that one in one piece (passLines) rather than parse them.
func (w *Writer) noteEdit() {
	if w.res != nil && w.editLine < w.linesOut {
		w.flushOut()
	}
	w.editLine = w.linesOut
}

// stripText passes on a run of text found by scanText; end is the length
// of its complete lines.
func (w *Writer) stripText(seg []byte, end int, ascii bool) {
	if w.pendCR {
		w.pendCR = false
		if seg[0] != '\n' {
			w.noteEdit()
			w.emit(carriageReturn)
		}
	}
	w.emit(seg)
	if end > 0 {
		if w.res != nil {
			w.linesOut += int64(bytes.Count(seg[:end], newline))
		}
		w.col, w.dirty = width(seg[end:], ascii), false
	} else {
		w.col += width(seg, ascii)
	}
}

// stripControl takes a newline, carriage return or backspace in the strip
// stage.
func (w *Writer) stripControl(b byte) {
	switch b {
	case '\n':
		w.pendCR = false
		w.emit(newline)
		w.linesOut++
		w.col, w.dirty = 0, false
	case '\r':
		// Held until the next byte: before a newline it changes nothing.
		if w.col > 0 {
			w.pendCR, w.col, w.dirty = true, 0, true
		}
	case '\b':
		w.back(1)
	}
}

// stripDispatch passes on the CSI sequences the line model honours (see
// dispatch), unless they change nothing.
func (w *Writer) stripDispatch(final byte, n int) {
	switch final {
	case 'K':
		switch n {
		case 0:
			if w.dirty {
				w.edit(codeEraseRight)
				w.dirty = false
			}
		case 1:
			if w.dirty || w.col > 0 {
				w.edit(codeEraseLeft)
			}
		case 2:
			if w.dirty || w.col > 0 {
				w.edit(codeEraseLine)
				w.dirty = false
			}
		}
	case 'D':
		w.back(max(n, 1))
	case 'G', '`':
		if to := max(n, 1) - 1; to < w.col {
			if to == 0 {
				w.stripControl('\r')
			} else {
				w.back(w.col - to)
			}
		}
	}
}

// back passes on a move of k columns to the left as backspaces. Since col
// is at least the cursor's column, min(k, col) backspaces move the cursor
// exactly as far as the move would; and as col only grows with text, the
// backspaces passed on never outnumber the runes.
func (w *Writer) back(k int) {
	k = min(k, w.col)
	if k <= 0 {
		return
	}
	w.flushCR()
	w.col -= k
	w.dirty = true
	w.noteEdit()
	for k > 0 {
		n := min(k, len(backspaces))
		w.emit(backspaces[:n])
		k -= n
	}
}

// edit passes on an erase code.
func (w *Writer) edit(code byte) {
	w.flushCR()
	w.noteEdit()
	w.emit(eraseCodes[code-codeEraseRight : code-codeEraseRight+1])
}
