package execkit

import (
	"bytes"
	"io"
	"regexp"
)

// bashNoise matches the lines an interactive bash prints on its own stderr
// that a non-interactive one would not: the "[1] 12345" notice for a
// background job, and its complaint that it cannot restore terminal settings
// (there is no terminal) after a child dies of a signal. The session runs
// bash interactively so an interrupt abandons a command line (see frame.go);
// these lines are that mode's side effect, not the command's output.
var bashNoise = regexp.MustCompile(`^(\[[0-9]{1,7}\] [0-9]{1,10}|bash: \[[0-9]+: [0-9]+ \([0-9]+\)\] tcsetattr: [^\n]*)\n$`)

const noiseMax = 160 // longer lines are never noise

// noiseFilter drops whole lines matching bashNoise from a stream, holding
// back at most noiseMax bytes of a line that might match.
type noiseFilter struct {
	dst     io.Writer
	pend    []byte
	atStart bool // the next byte begins a line
	passing bool // the current line cannot be noise
}

func newNoiseFilter(dst io.Writer) *noiseFilter {
	return &noiseFilter{dst: dst, atStart: true}
}

func (f *noiseFilter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if f.atStart {
			f.atStart = false
			f.passing = p[0] != '[' && p[0] != 'b'
		}
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i+1]
		}
		p = p[len(line):]
		if f.passing {
			f.dst.Write(line)
		} else {
			f.pend = append(f.pend, line...)
			if len(f.pend) > noiseMax {
				f.dst.Write(f.pend)
				f.pend = f.pend[:0]
				f.passing = true
			} else if i >= 0 {
				if !bashNoise.Match(f.pend) {
					f.dst.Write(f.pend)
				}
				f.pend = f.pend[:0]
			}
		}
		if i >= 0 {
			f.atStart = true
		}
	}
	return n, nil
}

// Close flushes a held partial line.
func (f *noiseFilter) Close() error {
	if len(f.pend) > 0 {
		f.dst.Write(f.pend)
		f.pend = f.pend[:0]
	}
	return nil
}
