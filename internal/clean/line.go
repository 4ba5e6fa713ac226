package clean

import (
	"bytes"
	"unicode/utf8"
)

// This file holds the model of the current line: a gap buffer with the
// cursor at the gap (see the fields of Writer). Its content is always valid
// UTF-8 plus NUL for erased cells, so it can be walked rune by rune without
// checks.

// cellLen returns the length of the rune that starts b.
func cellLen(b []byte) int {
	n := 1
	for n < len(b) && !utf8.RuneStart(b[n]) {
		n++
	}
	return n
}

// lineLen is the number of bytes the current line holds.
func (w *Writer) lineLen() int {
	return w.gs + len(w.buf) - w.ge
}

// insert writes one rune at the cursor, overwriting the
// cell under it, and moves the cursor right.
func (w *Writer) insert(enc []byte) {
	if w.mode == modeStrip {
		w.flushCR()
		w.emit(enc)
		w.col++
		return
	}
	if w.ge < len(w.buf) {
		w.ge += cellLen(w.buf[w.ge:])
	}
	if w.lineLen()+len(enc) > maxLine {
		w.emitLine()
	}
	if w.ge-w.gs < len(enc) {
		w.grow(len(enc))
	}
	w.gs += copy(w.buf[w.gs:], enc)
	w.col++
}

// overtype writes text of the given number of runes, without newlines,
// over the line from the cursor, as a redrawn progress bar does. It is the
// same as inserting it rune by rune, done in one piece when the line bound
// cannot be crossed on the way: for ASCII the line only shrinks until the
// old cells run out, so the final length decides.
func (w *Writer) overtype(seg []byte, runes int) {
	j := w.ge
	for k := 0; k < runes && j < len(w.buf); k++ {
		j += cellLen(w.buf[j:])
	}
	peak := w.lineLen() + len(seg)
	if runes == len(seg) {
		peak = max(w.lineLen(), peak-(j-w.ge))
	}
	if peak > maxLine {
		for len(seg) > 0 {
			n := cellLen(seg)
			w.insert(seg[:n])
			seg = seg[n:]
		}
		return
	}
	w.ge = j
	w.put(seg, runes)
}

// appendText appends text of the given number of runes with the cursor at
// the end of the line. It splits where insert would, so a long line is cut
// at the same rune however it arrived.
func (w *Writer) appendText(seg []byte, runes int) {
	for {
		room := maxLine - w.lineLen()
		if len(seg) <= room {
			w.put(seg, runes)
			return
		}
		n := room
		for n > 0 && !utf8.RuneStart(seg[n]) {
			n--
		}
		r := runeCount(seg[:n])
		w.put(seg[:n], r)
		seg, runes = seg[n:], runes-r
		w.emitLine()
	}
}

// put appends text that fits in the line bound at the cursor, which is at
// the end of the line.
func (w *Writer) put(seg []byte, runes int) {
	if w.ge-w.gs < len(seg) {
		w.grow(len(seg))
	}
	w.gs += copy(w.buf[w.gs:], seg)
	w.col += runes
}

// grow makes room for n more bytes at the cursor. The buffer doubles, so a
// long line costs few copies, but never beyond maxLine: callers have
// already emitted the line if it would not fit.
func (w *Writer) grow(n int) {
	size := min(max(2*len(w.buf), w.lineLen()+n, 256), maxLine)
	nb := make([]byte, size)
	copy(nb, w.buf[:w.gs])
	tail := len(w.buf) - w.ge
	copy(nb[size-tail:], w.buf[w.ge:])
	w.buf, w.ge = nb, size-tail
}

// left moves the cursor n runes left, stopping at the start of the line.
// Moving the gap costs the bytes it passes, and those were written since
// the cursor last passed them, so a redrawn progress bar costs linear time.
func (w *Writer) left(n int) {
	n = min(n, w.col)
	if n <= 0 {
		return
	}
	w.composed = true
	k := 0
	if n < w.col {
		k = w.gs
		for range n {
			k--
			for !utf8.RuneStart(w.buf[k]) {
				k--
			}
		}
	}
	m := w.gs - k
	copy(w.buf[w.ge-m:w.ge], w.buf[k:w.gs])
	w.gs, w.ge = k, w.ge-m
	w.col -= n
	w.blankPre = min(w.blankPre, w.gs)
}

// eraseRight erases from the cursor to the end of the line. Erased cells at
// the end of a line are not shown, so they are simply dropped.
func (w *Writer) eraseRight() {
	if w.ge < len(w.buf) {
		w.ge = len(w.buf)
		w.composed = true
	}
}

// eraseLeft erases the cells before the cursor, keeping the cursor's
// column. Only cells written since the last erase are visited, so repeated
// erases cannot cost more than the text written.
func (w *Writer) eraseLeft() {
	j := w.blankPre
	for k := j; k < w.gs; j++ {
		k += cellLen(w.buf[k:w.gs])
		w.buf[j] = 0
	}
	if j > 0 {
		w.blanks, w.composed = true, true
	}
	w.gs, w.blankPre = j, j
}

// eraseUnder erases the cell under the cursor, if there is one.
func (w *Writer) eraseUnder() {
	if w.ge < len(w.buf) {
		w.ge += cellLen(w.buf[w.ge:]) - 1
		w.buf[w.ge] = 0
		w.blanks, w.composed = true, true
	}
}

// emitLine passes the line on as the terminal shows it (without a
// newline) and starts an empty one.
func (w *Writer) emitLine() {
	if w.mode == modeStrip {
		return // the strip stage keeps no line
	}
	if w.gs < w.ge {
		copy(w.buf[w.gs:], w.buf[w.ge:])
	}
	line := w.buf[:w.lineLen()]
	if w.blanks {
		// A terminal shows erased cells inside a line as spaces, and
		// copying its screen drops them at the end.
		line = bytes.TrimRight(line, "\x00")
		for i, b := range line {
			if b == 0 {
				line[i] = ' '
			}
		}
	}
	if w.composed && w.recheck != nil && len(line) > 0 {
		line = w.recheck(line)
	}
	w.emit(line)
	w.gs, w.ge, w.col, w.blankPre, w.blanks = 0, len(w.buf), 0, 0, false
	w.composed = false
}
