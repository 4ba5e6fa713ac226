package redact

import (
	"bytes"
	"errors"
	"io"
)

// ErrClosed is returned by [Writer.Write] after [Writer.Close].
var ErrClosed = errors.New("redact: write to closed writer")

// Writer is a streaming redactor: bytes written to it reach the destination
// redacted, exactly as [Redactor.String] would redact their concatenation,
// however the input is split into writes.
//
// It holds back only what it must: the current incomplete line (a line
// longer than 64 KiB is processed in overlapping windows instead, so memory
// stays bounded), and, after a private-key BEGIN line, the next line that
// shows whether a key body follows. Inside a key block, blank lines are held
// until the block continues or ends. Everything else is written through as
// soon as its line is complete.
//
// A Writer is not safe for concurrent use. Close flushes what is held; it
// does not close the destination.
type Writer struct {
	p      proc
	dst    io.Writer
	buf    []byte // held input; buf[:emit] is context already written
	emit   int
	err    error
	closed bool

	rechecked int // secrets replaced by Recheck
}

// NewWriter returns a Writer that writes the redacted stream to dst.
func (r *Redactor) NewWriter(dst io.Writer) *Writer {
	w := &Writer{dst: dst}
	w.p.init(r)
	return w
}

// Write redacts p into the destination. It consumes all of p unless the
// writer is closed; an error is the destination's, and is sticky.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	// Nothing to do until a line completes or the partial line is too long.
	if bytes.IndexByte(p, '\n') < 0 && len(w.buf) <= maxWin {
		return len(p), nil
	}
	if err := w.process(false); err != nil {
		return len(p), err
	}
	return len(p), nil
}

// Close writes out everything held back. It does not close the destination.
// Calling Close again does nothing.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	return w.process(true)
}

// Count returns the number of secrets replaced so far, by Write and by
// Recheck.
func (w *Writer) Count() int { return w.p.count + w.rechecked }

// Recheck redacts line on its own, as [Redactor.String] would, and counts
// what it replaces in Count. It returns line itself when nothing is
// replaced. It is for a cleaner that applies carriage returns and
// backspaces after redaction (the session's pipeline): a line those edits
// composed is checked again, in case a secret shows only in the result.
// It may be called from within a Write to the destination, and after
// Close.
func (w *Writer) Recheck(line []byte) []byte {
	out, n := w.p.r.run(line)
	if n == 0 {
		return line
	}
	w.rechecked += n
	return out
}

func (w *Writer) process(final bool) error {
	w.p.out = w.p.out[:0]
	emit, ctx := w.p.step(w.buf, w.emit, final)
	if len(w.p.out) > 0 {
		if _, err := w.dst.Write(w.p.out); err != nil {
			w.err = err
			return err
		}
	}
	n := copy(w.buf, w.buf[ctx:])
	w.buf = w.buf[:n]
	w.emit = emit - ctx
	if cap(w.buf) > 4*maxWin && len(w.buf) < maxWin {
		w.buf = append([]byte(nil), w.buf...) // give back a burst's buffer
	}
	return nil
}
