package execkit

import (
	"bytes"
	"strings"
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
	// prev is the line before, for redaction rules that read a line with
	// the one above it (a YAML name: then value:); "" when it was longer
	// than maxPartial or none came yet.
	prev []byte
}

func (p *partialLine) Write(b []byte) (int, error) {
	n := len(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		// The line the newline ended: what was held plus b up to it.
		line := b[:i]
		if j := bytes.LastIndexByte(line, '\n'); j >= 0 {
			p.prev = append(p.prev[:0], line[j+1:]...)
		} else if !p.over && len(p.buf)+len(line) <= maxPartial {
			p.prev = append(append(p.prev[:0], p.buf...), line...)
		} else {
			p.prev = p.prev[:0]
		}
		if len(p.prev) > maxPartial {
			p.prev = p.prev[:0]
		}
		p.buf, p.over = p.buf[:0], false
		b = b[i+1:]
	}
	// A carriage return starts the line over, as a progress bar redraws:
	// only what follows the last one can still show.
	if i := bytes.LastIndexByte(b, '\r'); i >= 0 {
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
	p.buf, p.over, p.prev = p.buf[:0], false, p.prev[:0]
	p.mu.Unlock()
}

// text returns the unfinished line and the line before it.
func (p *partialLine) text() (cur, prev string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.over {
		return "", ""
	}
	return string(p.buf), string(p.prev)
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
		raw, prev := p.text()
		if raw == "" {
			return ""
		}
		// Redacted after the line before it, which a rule may need (a
		// YAML "name: DB_PASSWORD" above "value: ..."): what shows is
		// what follows that line's newline.
		out := clean.StringFiltered(prev+"\n"+raw, func(t string) string {
			t, _ = s.redactor.Partial(t)
			return t
		})
		i := strings.IndexByte(out, '\n')
		if i < 0 {
			return ""
		}
		return out[i+1:]
	}
	return show(&s.partOut), show(&s.partErr)
}
