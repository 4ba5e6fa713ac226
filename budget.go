package execkit

import (
	"bytes"
	"fmt"
	"github.com/execkit/execkit/internal/pattern"
	"regexp"
	"unicode/utf8"
)

// Budget shapes what a command's output returns to the caller, per stream.
// The full cleaned and redacted output is kept (up to the session's cap) and
// can be shaped again later with [Session.Output]. The zero value keeps
// everything, up to the session's character cap.
type Budget struct {
	// Keep keeps only the first, last, or first and last N lines. Nil keeps
	// every line.
	Keep *Keep `json:"keep,omitempty"`
	// Grep keeps only lines matching a regular expression, with context.
	// With Keep as well, Keep applies to the lines Grep selected.
	Grep *Grep `json:"grep,omitempty"`
	// MaxChars caps the bytes returned per stream; 0 means the session's cap
	// (Config.MaxChars). A cap never raises the session's own.
	MaxChars int `json:"max_chars,omitempty"`
}

// Keep selects lines by position.
type Keep struct {
	// Mode is "head", "tail" or "head_tail".
	Mode string `json:"mode"`
	// N is the number of lines kept, 1 to MaxKeepLines.
	N int `json:"n"`
}

// Grep selects lines by content, like grep -E -C.
type Grep struct {
	// Pattern is an RE2 regular expression (Go syntax), at most
	// MaxPatternLen bytes.
	Pattern string `json:"pattern"`
	// Context is the number of lines kept before and after each match, 0 to
	// MaxGrepContext.
	Context int `json:"context,omitempty"`
}

// Limits on budgets. Agent-supplied values beyond them are refused before the
// command runs.
const (
	MaxKeepLines   = 100000
	MaxGrepContext = 100
	// MaxPatternLen is the longest grep pattern (or job until), in bytes.
	// Its compiled program is bounded too: RE2 matching is linear in the
	// input, but a huge program (a{1000}{1000}) still costs memory and time
	// per byte.
	MaxPatternLen = pattern.MaxLen
)

// BudgetReport says what a budget kept, per stream.
type BudgetReport struct {
	Stdout StreamReport `json:"stdout"`
	Stderr StreamReport `json:"stderr"`
}

// StreamReport describes one shaped stream.
type StreamReport struct {
	// Mode is what selected the lines: "all", "head", "tail", "head_tail",
	// "grep", or "grep+tail" and so on.
	Mode       string `json:"mode"`
	LinesTotal int64  `json:"lines_total"`
	LinesKept  int64  `json:"lines_kept"`
}

// compiledBudget is a validated Budget.
type compiledBudget struct {
	mode     string // "", "head", "tail", "head_tail"
	n        int
	re       *regexp.Regexp
	context  int
	maxChars int
	set      bool // a budget was given (so a report is due)
}

func (b *Budget) compile(sessionMax int) (*compiledBudget, error) {
	cb := &compiledBudget{maxChars: sessionMax}
	if b == nil {
		return cb, nil
	}
	cb.set = b.Keep != nil || b.Grep != nil || b.MaxChars != 0
	if b.Keep != nil {
		switch b.Keep.Mode {
		case "head", "tail", "head_tail":
		default:
			return nil, &BudgetError{Field: "keep.mode", Reason: fmt.Sprintf("%q is not one of head, tail, head_tail", b.Keep.Mode)}
		}
		if b.Keep.N < 1 || b.Keep.N > MaxKeepLines {
			return nil, &BudgetError{Field: "keep.n", Reason: fmt.Sprintf("%d is not between 1 and %d", b.Keep.N, MaxKeepLines)}
		}
		cb.mode, cb.n = b.Keep.Mode, b.Keep.N
	}
	if b.Grep != nil {
		re, err := compilePattern(b.Grep.Pattern)
		if err != nil {
			return nil, err
		}
		if b.Grep.Context < 0 || b.Grep.Context > MaxGrepContext {
			return nil, &BudgetError{Field: "grep.context", Reason: fmt.Sprintf("%d is not between 0 and %d", b.Grep.Context, MaxGrepContext)}
		}
		cb.re, cb.context = re, b.Grep.Context
	}
	if b.MaxChars < 0 {
		return nil, &BudgetError{Field: "max_chars", Reason: "must not be negative"}
	}
	if b.MaxChars > 0 && b.MaxChars < cb.maxChars {
		cb.maxChars = b.MaxChars
	}
	return cb, nil
}

// compilePattern compiles an agent-supplied regular expression within the
// size limits.
func compilePattern(p string) (*regexp.Regexp, error) {
	re, err := pattern.Compile(p)
	if err != nil {
		return nil, &BudgetError{Field: "grep.pattern", Reason: err.Error()}
	}
	return re, nil
}

func (cb *compiledBudget) modeName() string {
	switch {
	case cb.re != nil && cb.mode != "":
		return "grep+" + cb.mode
	case cb.re != nil:
		return "grep"
	case cb.mode != "":
		return cb.mode
	}
	return "all"
}

// maxLine bounds the bytes of one line that grep matches against and that a
// line-keeping budget holds: a 5 MB line costs no more than this.
const maxLine = 64 << 10

// shaper applies a budget to one stream as it arrives, in memory bounded by
// the budget (a few times maxChars and maxLine), whatever the stream's size.
type shaper struct {
	cb *compiledBudget

	total     int64 // bytes seen
	lines     int64 // lines seen (a final partial line counts)
	line      []byte
	lineCut   bool // the current line exceeded maxLine
	partial   bool // bytes seen since the last newline
	truncated bool

	// selection (grep)
	before    [][]byte // context ring before a match
	afterLeft int
	lastSel   int64 // line number of the last selected line, for "--"
	selected  int64

	// collection
	bytesOut *byteCollector // no Keep: head and tail bytes
	head     *lineCollector
	tail     *lineCollector
}

func newShaper(cb *compiledBudget) *shaper {
	s := &shaper{cb: cb, lastSel: -1}
	switch cb.mode {
	case "":
		s.bytesOut = newByteCollector(cb.maxChars)
	case "head":
		s.head = &lineCollector{max: cb.n, maxBytes: cb.maxChars}
	case "tail":
		s.tail = &lineCollector{max: cb.n, maxBytes: cb.maxChars, ring: true}
	case "head_tail":
		h := cb.n - cb.n/2
		s.head = &lineCollector{max: h, maxBytes: cb.maxChars / 2}
		s.tail = &lineCollector{max: cb.n / 2, maxBytes: cb.maxChars - cb.maxChars/2, ring: true}
	}
	return s
}

// fast reports whether the stream can skip line splitting: no grep and no
// line budget, so bytes go straight to the byte collector.
func (s *shaper) fast() bool { return s.cb.re == nil && s.bytesOut != nil }

func (s *shaper) Write(p []byte) (int, error) {
	n := len(p)
	s.total += int64(n)
	if s.fast() {
		c := int64(bytes.Count(p, nl))
		s.lines += c
		if n > 0 {
			if p[n-1] == '\n' {
				s.partial = false
			} else {
				s.partial = true
			}
		}
		s.bytesOut.write(p)
		return n, nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		p = p[len(chunk):]
		room := maxLine - len(s.line)
		if s.lineCut {
			room = 0 // already cut: keep no more of this line
		}
		if len(chunk) > room {
			s.line = append(s.line, trimRuneEnd(chunk[:room])...)
			s.lineCut = true
		} else {
			s.line = append(s.line, chunk...)
		}
		s.partial = true
		if i >= 0 {
			if s.lineCut && s.line[len(s.line)-1] != '\n' {
				s.line = append(s.line, '\n')
			}
			s.endLine()
		}
	}
	return n, nil
}

var nl = []byte{'\n'}

func (s *shaper) endLine() {
	s.lines++
	s.partial = false
	line := s.line
	if s.lineCut {
		s.truncated = true
	}
	s.line = nil
	s.lineCut = false
	if s.cb.re == nil {
		s.take(line)
		return
	}
	if s.cb.re.Match(bytes.TrimSuffix(line, nl)) {
		// Like grep -C: "--" between groups, and only with context.
		if s.cb.context > 0 && s.lastSel >= 0 && s.lines-int64(len(s.before)) > s.lastSel+1 {
			s.emitSeparator()
		}
		for _, b := range s.before {
			s.take(b)
		}
		s.before = s.before[:0]
		s.take(line)
		s.lastSel = s.lines
		s.afterLeft = s.cb.context
		return
	}
	if s.afterLeft > 0 {
		s.afterLeft--
		s.take(line)
		s.lastSel = s.lines
		return
	}
	if s.cb.context > 0 {
		if len(s.before) == s.cb.context {
			copy(s.before, s.before[1:])
			s.before = s.before[:len(s.before)-1]
		}
		s.before = append(s.before, line)
	}
}

var separator = []byte("--\n")

func (s *shaper) emitSeparator() {
	if s.bytesOut != nil {
		s.bytesOut.write(separator)
		return
	}
	s.collect(separator, false)
}

// take adds a selected line.
func (s *shaper) take(line []byte) {
	s.selected++
	if s.bytesOut != nil {
		s.bytesOut.write(line)
		return
	}
	s.collect(line, true)
}

func (s *shaper) collect(line []byte, counts bool) {
	if s.head != nil && !s.head.full() {
		dropped := s.head.add(line, counts)
		if !dropped || !s.head.rejected {
			return
		}
		// It did not fit: the head is closed now, and the line goes on
		// to the tail instead of vanishing.
	}
	if s.tail != nil {
		if s.tail.add(line, counts) {
			s.truncated = true
		}
		return
	}
	if counts {
		s.truncated = true
	}
}

// finish flushes a final line without a newline and returns the shaped text
// and its report.
func (s *shaper) finish() (string, StreamReport) {
	if !s.fast() && len(s.line) > 0 {
		s.endLine()
	} else if s.fast() && s.partial {
		s.lines++
	}
	rep := StreamReport{Mode: s.cb.modeName(), LinesTotal: s.lines}
	var out string
	if s.bytesOut != nil {
		var cut bool
		out, cut = s.bytesOut.text()
		if cut {
			s.truncated = true
		}
		if s.cb.re == nil {
			rep.LinesKept = s.lines
			if cut {
				rep.LinesKept = countLines(out) - 1 // the elision line
			}
		} else {
			rep.LinesKept = s.selected
			if cut {
				rep.LinesKept = countLines(out) - 1
			}
		}
	} else {
		var b bytes.Buffer
		kept := int64(0)
		if s.head != nil {
			kept += s.head.counted
			s.head.writeTo(&b)
		}
		if s.tail != nil {
			if s.head != nil && s.tail.dropped > 0 {
				fmt.Fprintf(&b, "...[%d lines omitted]...\n", s.tail.dropped)
			}
			kept += s.tail.counted
			s.tail.writeTo(&b)
		}
		if s.head != nil && s.head.cutBytes || s.tail != nil && s.tail.cutBytes {
			s.truncated = true
		}
		out = b.String()
		rep.LinesKept = kept
	}
	if rep.LinesKept < rep.LinesTotal {
		s.truncated = true
	}
	// Pieces of one long line count once.
	rep.LinesKept = min(rep.LinesKept, rep.LinesTotal)
	return out, rep
}

func countLines(s string) int64 {
	n := int64(bytes.Count([]byte(s), nl))
	if len(s) > 0 && s[len(s)-1] != '\n' {
		n++
	}
	return n
}

// byteCollector keeps the first and last bytes of a stream: all of it while
// it fits in max, else max/2 from each end around an elision line.
type byteCollector struct {
	max  int
	head []byte // up to max bytes
	ring []byte // the last max/2 bytes, circular once full
	pos  int
	full bool
	n    int64
}

func newByteCollector(max int) *byteCollector {
	return &byteCollector{max: max}
}

func (c *byteCollector) write(p []byte) {
	c.n += int64(len(p))
	if room := c.max - len(c.head); room > 0 {
		if len(p) <= room {
			c.head = append(c.head, p...)
		} else {
			c.head = append(c.head, p[:room]...)
		}
	}
	tailMax := c.max / 2
	if tailMax == 0 {
		return
	}
	if len(p) >= tailMax {
		c.ring = append(c.ring[:0], p[len(p)-tailMax:]...)
		c.pos, c.full = 0, true
		return
	}
	if !c.full {
		if len(c.ring)+len(p) <= tailMax {
			c.ring = append(c.ring, p...)
			if len(c.ring) == tailMax {
				c.full, c.pos = true, 0
			}
			return
		}
		// Grow to full size, then wrap.
		k := tailMax - len(c.ring)
		c.ring = append(c.ring, p[:k]...)
		p = p[k:]
		c.full, c.pos = true, 0
	}
	for len(p) > 0 {
		k := copy(c.ring[c.pos:], p)
		p = p[k:]
		c.pos = (c.pos + k) % tailMax
	}
}

func (c *byteCollector) tail() []byte {
	if !c.full {
		return c.ring
	}
	out := make([]byte, 0, len(c.ring))
	out = append(out, c.ring[c.pos:]...)
	return append(out, c.ring[:c.pos]...)
}

// text returns the collected text and whether anything was cut.
func (c *byteCollector) text() (string, bool) {
	if c.n <= int64(c.max) {
		return string(c.head), false
	}
	h := lineEnd(trimRuneEnd(c.head[:c.max-c.max/2]))
	t := lineStart(trimRuneStart(c.tail()))
	omitted := c.n - int64(len(h)) - int64(len(t))
	var b bytes.Buffer
	b.Write(h)
	if len(h) > 0 && h[len(h)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "...[%d bytes omitted]...\n", omitted)
	b.Write(t)
	return b.String(), true
}

// trimRuneEnd drops a partial UTF-8 sequence at the end of b.
func trimRuneEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			return b
		}
	}
	return b
}

// trimRuneStart drops continuation bytes at the start of b.
func trimRuneStart(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[i]) {
			return b[i:]
		}
	}
	return b
}

// lineEnd cuts a head window after its last newline, and lineStart a tail
// window after its first, so a cut output shows whole lines; unless that
// would give away more than half the window (a few very long lines).
func lineEnd(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 && i+1 >= len(b)/2 {
		return b[:i+1]
	}
	return b
}

func lineStart(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 && i+1 <= len(b)/2 && i+1 < len(b) {
		return b[i+1:]
	}
	return b
}

// lineCollector keeps up to max lines and maxBytes bytes: the first ones, or
// (ring) the last ones.
type lineCollector struct {
	max      int
	maxBytes int
	ring     bool
	lines    [][]byte
	counts   []bool
	size     int
	counted  int64 // counted lines held
	dropped  int64 // counted lines evicted (ring)
	cutBytes bool
	rejected bool // a line did not fit (head): it was passed on
}

func (c *lineCollector) full() bool { return int(c.counted) >= c.max || c.size >= c.maxBytes }

// add adds a line and reports whether a counted line was dropped.
func (c *lineCollector) add(line []byte, counts bool) bool {
	if len(line) > c.maxBytes {
		line = append(trimRuneEnd(line[:c.maxBytes:c.maxBytes]), '\n')
		c.cutBytes = true
	}
	if !c.ring {
		if c.full() {
			return counts
		}
		if c.size+len(line) > c.maxBytes {
			c.cutBytes = true
			c.rejected = true
			c.size = c.maxBytes // full from now on
			return counts
		}
		c.lines = append(c.lines, line)
		c.counts = append(c.counts, counts)
		c.size += len(line)
		if counts {
			c.counted++
		}
		return false
	}
	c.lines = append(c.lines, line)
	c.counts = append(c.counts, counts)
	c.size += len(line)
	if counts {
		c.counted++
	}
	dropped := false
	for len(c.lines) > 0 && (int(c.counted) > c.max || c.size > c.maxBytes) {
		if c.counts[0] {
			c.counted--
			c.dropped++
			dropped = true
		}
		c.size -= len(c.lines[0])
		c.lines[0] = nil
		c.lines = c.lines[1:]
		c.counts = c.counts[1:]
	}
	// Do not lead with a grep separator.
	for len(c.lines) > 0 && !c.counts[0] {
		c.size -= len(c.lines[0])
		c.lines = c.lines[1:]
		c.counts = c.counts[1:]
	}
	return dropped
}

func (c *lineCollector) writeTo(b *bytes.Buffer) {
	for _, l := range c.lines {
		b.Write(l)
	}
}
