package execkit

import (
	"bytes"
	"sync"

	"github.com/execkit/execkit/internal/clean"
)

// maxPartial bounds the unfinished line kept per stream for Session.Partial.
const maxPartial = 1 << 10

// partialLine keeps what a stream wrote after its last newline: the line a
// command is still writing (a prompt waiting for input, a progress bar),
// which cleaning and redaction hold back until the line ends.
type partialLine struct {
	mu   sync.Mutex
	buf  []byte
	over bool // longer than maxPartial: not shown
}

func (p *partialLine) Write(b []byte) (int, error) {
	n := len(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		p.buf, p.over = p.buf[:0], false
		b = b[i+1:]
	}
	if !p.over && len(p.buf)+len(b) > maxPartial {
		p.buf, p.over = p.buf[:0], true
	}
	if !p.over {
		p.buf = append(p.buf, b...)
	}
	return n, nil
}

func (p *partialLine) reset() {
	p.mu.Lock()
	p.buf, p.over = p.buf[:0], false
	p.mu.Unlock()
}

func (p *partialLine) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.over {
		return ""
	}
	return string(p.buf)
}

// Partial returns the line each stream of the running command is still
// writing, such as a prompt waiting for an answer ("Password: ", "[y/N] ")
// or a progress bar: cleaned and redacted, with whatever may be the first
// part of a secret held back (see [redact.Redactor.Partial]). A stream's
// part is "" when its last line is complete or longer than 1 KiB, and both
// are "" when no command runs. Results never need it: it is for live
// progress, where a command stuck at a prompt would otherwise show nothing.
// It is safe to call while Exec runs in another goroutine.
func (s *Session) Partial() (stdout, stderr string) {
	if !s.Busy() {
		return "", ""
	}
	show := func(p *partialLine) string {
		raw := p.text()
		if raw == "" {
			return ""
		}
		return clean.StringFiltered(raw, func(t string) string {
			t, _ = s.redactor.Partial(t)
			return t
		})
	}
	return show(&s.partOut), show(&s.partErr)
}
