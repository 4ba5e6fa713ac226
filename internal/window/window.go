// Package window keeps the unread part of a stream in bounded memory: bytes
// are appended as they arrive and taken by a reader; when more than the
// window's size is waiting, the oldest bytes are dropped and counted, so a
// reader learns how much it missed instead of the writer growing without
// bound.
package window

import "unicode/utf8"

// Window is a bounded buffer of unread bytes. The zero value is not usable;
// call New. A Window is not safe for concurrent use.
type Window struct {
	max   int
	buf   []byte // unread bytes are buf[start:]
	start int
	base  int64 // stream offset of buf[start]
	// dropped counts bytes lost since the last Take.
	dropped int64
}

// New returns a window that keeps at most max unread bytes (at least 1).
func New(max int) *Window {
	if max < 1 {
		max = 1
	}
	return &Window{max: max}
}

// Write appends p, dropping the oldest unread bytes beyond the window's
// size. A UTF-8 sequence cut by the drop is dropped whole. It never fails.
func (w *Window) Write(p []byte) (int, error) {
	n := len(p)
	if n >= w.max {
		// Only p's tail survives.
		w.drop(len(w.buf) - w.start)
		cut := n - w.max
		w.dropped += int64(cut)
		w.base += int64(cut)
		p = p[cut:]
		skip := runeSkip(p)
		w.dropped += int64(skip)
		w.base += int64(skip)
		w.buf = append(w.buf[:0], p[skip:]...)
		w.start = 0
		return n, nil
	}
	if over := len(w.buf) - w.start + n - w.max; over > 0 {
		w.drop(over)
		if w.start < len(w.buf) {
			w.drop(runeSkip(w.buf[w.start:]))
		}
	}
	if w.start > w.max {
		// Compact once the dead prefix is as big as the window: amortised
		// constant cost per byte, at most twice the window held.
		k := copy(w.buf, w.buf[w.start:])
		w.buf = w.buf[:k]
		w.start = 0
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

// drop discards the k oldest unread bytes.
func (w *Window) drop(k int) {
	if k <= 0 {
		return
	}
	w.start += k
	w.base += int64(k)
	w.dropped += int64(k)
	if w.start >= len(w.buf) {
		w.buf, w.start = w.buf[:0], 0
	}
}

// runeSkip is how many continuation bytes begin b (at most 3): what is
// left of a rune whose start was dropped.
func runeSkip(b []byte) int {
	i := 0
	for i < len(b) && i < utf8.UTFMax-1 && !utf8.RuneStart(b[i]) {
		i++
	}
	return i
}

// Len returns the number of unread bytes.
func (w *Window) Len() int { return len(w.buf) - w.start }

// Offset returns the stream offset of the first unread byte: every byte
// written, dropped or taken before it counts.
func (w *Window) Offset() int64 { return w.base }

// From returns the unread bytes from stream offset off on (all of them if
// off is older). The slice is valid until the next Write or Take.
func (w *Window) From(off int64) []byte {
	b := w.buf[w.start:]
	if d := off - w.base; d > 0 {
		if d >= int64(len(b)) {
			return nil
		}
		b = b[d:]
	}
	return b
}

// Take returns the unread bytes and how many were dropped since the last
// Take, and empties the window.
func (w *Window) Take() ([]byte, int64) {
	out := append([]byte(nil), w.buf[w.start:]...)
	dropped := w.dropped
	w.base += int64(len(out))
	w.buf, w.start, w.dropped = w.buf[:0], 0, 0
	if cap(w.buf) > 4*w.max {
		w.buf = nil // give back a burst's buffer
	}
	return out, dropped
}
