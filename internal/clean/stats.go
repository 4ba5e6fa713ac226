package clean

// Stats counts what a Writer has seen, so that its caller can tell text
// from binary and report how much was cleaned. Counts cover the whole
// stream so far; a caller that wants a verdict on the head of the output,
// as file(1) gives, reads Stats once the first few KiB are written.
type Stats struct {
	// BytesIn is the number of bytes written to the Writer.
	BytesIn int64
	// BytesOut is the number of bytes the Writer has passed to its
	// destination.
	BytesOut int64
	// NUL is the number of NUL bytes dropped from text.
	NUL int64
	// Control is the number of other control characters dropped from
	// text: C0 controls other than newline, tab, carriage return,
	// backspace and ESC; DEL; and C1 controls that start no sequence.
	Control int64
	// InvalidUTF8 is the number of bytes replaced by U+FFFD.
	InvalidUTF8 int64
	// Sequences is the number of escape sequences begun in text (by ESC
	// or a C1 introducer). Terminal decoration, not a sign of binary.
	Sequences int64
}

// Odd is the number of bytes that do not occur in text meant to be read:
// NUL, stray control characters and invalid UTF-8.
func (s Stats) Odd() int64 {
	return s.NUL + s.Control + s.InvalidUTF8
}

// LooksBinary reports whether more than 10% of the bytes seen were odd
// (see [Stats.Odd]). Text in a legacy 8-bit encoding, such as Latin-1,
// stays well below that, and coloured or redrawn terminal output does not
// count against it; executables, images, compressed data and UTF-16 are far
// above it. An empty stream is not binary.
func (s Stats) LooksBinary() bool {
	return s.Odd()*10 > s.BytesIn
}
