package redact

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// The engine processes text one line at a time, so that the whole-text path
// ([Redactor.String]) and the streaming path ([Writer]) are the same code and
// give the same bytes. A line is the unit every single-line rule sees. Three
// things reach beyond one line:
//
//   - Private-key blocks (PEM, OpenSSH, PGP, PuTTY). The begin line is
//     replaced by one [REDACTED] as soon as the next non-blank line shows a
//     key body follows; the body lines and the end line are then dropped as
//     they arrive. Nothing of a block is ever held back except blank lines
//     inside it (bounded), so there is no size at which a block could leak.
//   - Kubernetes Secret `data:`/`stringData:` blocks and name/value pairs
//     (`- name: DB_PASSWORD` then `value: ...`): a little state carried from
//     one line to the next.
//   - Lines longer than maxWin: processed in windows that overlap by
//     overlap bytes, so a secret straddling a window edge is seen whole in
//     one of them. A finding that runs into the window's end is deferred to
//     the next window rather than cut.

const (
	maxWin          = 64 << 10 // longest line processed in one piece
	overlap         = 8 << 10  // context kept between windows of a long line
	maxPendingBlank = 4 << 10  // blank lines held inside a key block
	maxBlankLook    = 4        // blank and header lines looked past after a BEGIN line
)

// finding is a span of the current text to replace.
type finding struct {
	start, end int
	kind       string
	prio       int
	noCount    bool // the tail of a redaction already written and counted
	again      bool // a further line of a secret already counted: replaced, not counted
}

type blockKind uint8

const (
	blockNone blockKind = iota
	blockPEM
	blockPPK
)

type blockState struct {
	kind    blockKind
	sawBody bool   // a base64 line was seen (PEM headers no longer allowed)
	pending []byte // blank lines, and the newline after the last body line
	prefix  []byte // what came before the BEGIN marker on its line (see matchPrefix)
}

// maxPrefix bounds the text before a BEGIN marker that block lines are
// compared with; after a longer one, only unprefixed lines continue the
// block.
const maxPrefix = 512

// closed returns the state after a block, keeping the buffers.
func (b *blockState) closed() blockState {
	return blockState{pending: b.pending[:0], prefix: b.prefix[:0]}
}

type stateMode uint8

const (
	stNone stateMode = iota
	stYAMLData
	stYAMLStringData
	stJSONData
	stEnvValue
)

// lineState is the look-behind context carried between lines.
type lineState struct {
	mode         stateMode
	indent       int // indent of the line that opened a YAML block
	scalarIndent int // inside a stringData block scalar: its key's indent; else -1
	ttl          int // lines left to find a `value:` after a secret `name:`
}

// proc is one run of the engine: a Writer's, or one String call's.
type proc struct {
	r         *Redactor
	sc        scanner
	bhits     []hit // keyword hits of the complete lines of the current step
	bi        int   // next unused entry of bhits
	out       []byte
	count     int
	block     blockState
	st        lineState
	forceTail bool      // the previous window ended inside a giant token
	wrap      wrapState // the previous line ended inside a wrapped base64 value
	groups    []finding
	flushFrom int  // text[flushFrom:] up to the emit point is output not yet copied
	whole     bool // one whole text (String, Bytes): output is only built if needed
}

func (p *proc) init(r *Redactor) {
	p.r = r
	p.sc.r = r
	p.sc.done = make([]uint32, len(r.lineRules))
	p.st.scalarIndent = -1
}

// step processes text as far as it can. text[:emit] was already emitted (it
// is context for a long line's next window); output for what step processes
// is appended to p.out. It returns the new emit offset and the offset ctx
// from which the caller must keep text for the next call (ctx <= emit).
// With final set, everything is processed.
func (p *proc) step(text []byte, emit int, final bool) (int, int) {
	// One scan of all complete lines: no keyword spans a newline, so this
	// finds exactly what scanning each line alone would.
	be := len(text)
	if !final {
		be = bytes.LastIndexByte(text, '\n') + 1
	}
	p.bhits = p.r.pf.scan(text[:be], p.bhits[:0])
	p.bi = 0
	p.flushFrom = emit
	ls := 0
	for ls < len(text) {
		// Fast path: with no cross-line state, lines without a keyword hit
		// are output as they are; jump to the line of the next hit.
		if emit == ls && p.block.kind == blockNone && p.st.mode == stNone && !p.forceTail && p.wrap.m == nil {
			next := be
			if p.bi < len(p.bhits) {
				next = p.bhits[p.bi].start
			}
			if j := bytes.LastIndexByte(text[ls:next], '\n'); j >= 0 && noLongLine(text[ls:ls+j+1]) {
				ls = ls + j + 1
				emit = ls
				continue
			}
		}
		le, hasNL := len(text), false
		if i := bytes.IndexByte(text[ls:], '\n'); i >= 0 {
			le, hasNL = ls+i, true
		}
		if le-ls > maxWin {
			p.endBlock(text, emit)
			p.st = lineState{scalarIndent: -1}
			p.wrap = wrapState{}
			cut := p.window(text, ls, ls+maxWin, emit)
			emit = cut
			if cut-overlap > ls {
				ls = cut - overlap
			}
			continue
		}
		if !hasNL && !final {
			p.copyTo(text, emit)
			return emit, ls
		}
		next, hold := p.line(text, ls, le, hasNL, emit, final)
		if hold {
			p.copyTo(text, emit)
			return emit, ls
		}
		emit, ls = next, next
	}
	if final {
		p.endBlock(text, emit)
	}
	p.copyTo(text, emit)
	return emit, ls
}

// noLongLine reports whether b has no line longer than maxWin.
func noLongLine(b []byte) bool {
	if len(b) <= maxWin {
		return true
	}
	for len(b) > maxWin {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || i > maxWin {
			return false
		}
		b = b[i+1:]
	}
	return true
}

// copyTo appends the verbatim output text[flushFrom:pos].
func (p *proc) copyTo(text []byte, pos int) {
	if pos <= p.flushFrom {
		return
	}
	if p.whole && p.count == 0 && p.block.kind == blockNone && len(p.out) == 0 {
		// Nothing replaced yet: the output so far is the input itself.
		// Copy it only once a replacement makes an output necessary.
		if pos == len(text) {
			return
		}
		if p.out == nil {
			p.out = make([]byte, 0, len(text)+len(text)/32+64)
		}
	}
	p.out = append(p.out, text[p.flushFrom:pos]...)
	p.flushFrom = pos
}

// drop discards text[pos:to] from the output.
func (p *proc) drop(text []byte, pos, to int) {
	p.copyTo(text, pos)
	p.flushFrom = to
}

// endBlock closes an open key block at pos, emitting the blank lines it held.
func (p *proc) endBlock(text []byte, pos int) {
	if p.block.kind == blockNone {
		return
	}
	p.copyTo(text, pos)
	p.out = append(p.out, p.block.pending...)
	p.block = p.block.closed()
}

// line processes the line text[ls:le] (le is at its newline when hasNL).
// text[ls:emit] was already emitted (the tail of a long line's last window).
func (p *proc) line(text []byte, ls, le int, hasNL bool, emit int, final bool) (int, bool) {
	next := le
	if hasNL {
		next = le + 1
	}
	if p.block.kind != blockNone {
		kind, endAt, off := classifyPrefixed(text[ls:le], p.block.prefix, p.block.kind, p.block.sawBody)
		switch kind {
		case blkEnd:
			saved := p.block
			savedFlush := p.flushFrom
			// Not closed(): a block begun on the rest of this line must
			// not write into saved's prefix.
			p.block = blockState{pending: p.block.pending[:0]}
			p.drop(text, ls, ls+endAt)
			n, hold := p.plain(text, ls+endAt, le, hasNL, ls+endAt, final)
			if hold {
				p.block, p.flushFrom = saved, savedFlush
			}
			return n, hold
		case blkBody:
			p.block.pending = p.block.pending[:0]
			if hasNL {
				p.block.pending = append(p.block.pending, '\n')
			}
			if isBase64Line(text[ls+off : le]) {
				p.block.sawBody = true
			}
			p.drop(text, ls, next)
			return next, false
		case blkBlank:
			p.block.pending = append(p.block.pending, text[ls:next]...)
			p.drop(text, ls, next)
			if len(p.block.pending) > maxPendingBlank {
				p.endBlock(text, next)
			}
			return next, false
		default:
			p.endBlock(text, ls)
		}
	}
	return p.plain(text, ls, le, hasNL, emit, final)
}

// plain processes text[ls:le] outside a key block.
func (p *proc) plain(text []byte, ls, le int, hasNL bool, emit int, final bool) (int, bool) {
	next := le
	if hasNL {
		next = le + 1
	}
	sc := &p.sc
	forceTail := p.forceTail
	i := p.bi
	for i > 0 && p.bhits[i-1].start >= ls {
		i--
	}
	for i < len(p.bhits) && p.bhits[i].start < ls {
		i++
	}
	j := i
	for j < len(p.bhits) && p.bhits[j].start < le {
		j++
	}
	sc.runHits(text[ls:le], ls, p.bhits[i:j], 0)
	p.bi = j
	if p.wrap.m != nil {
		p.wrap.m.continueAt(sc, lineStart(sc.line), p.wrap.off, false)
	}
	p.stateLine(text[ls:le], ls)
	p.tail(text, emit, le)

	if sc.begin.ok {
		prefix := text[ls : ls+sc.begin.pos]
		if len(prefix) > maxPrefix {
			prefix = nil
		}
		enter, hold := p.lookahead(text, le, hasNL, final, sc.begin.kind, prefix)
		if hold {
			p.forceTail = forceTail
			return 0, true
		}
		if enter {
			m := ls + sc.begin.pos
			kept := sc.finds[:0]
			for _, f := range sc.finds {
				if f.start < m {
					if f.end > m {
						f.end = m
					}
					kept = append(kept, f)
				}
			}
			sc.finds = append(kept, finding{start: m, end: le, kind: kindPrivateKey, prio: prioBlock})
			p.apply(text, emit, le, sc.finds)
			p.block = blockState{kind: sc.begin.kind, pending: p.block.pending[:0], prefix: append(p.block.prefix[:0], prefix...)}
			if hasNL {
				p.block.pending = append(p.block.pending, '\n')
				p.drop(text, le, next)
			}
			p.st = lineState{scalarIndent: -1}
			p.wrap = wrapState{}
			return next, false
		}
	}
	p.apply(text, emit, next, sc.finds)
	p.updateState()
	p.wrap = sc.wrap
	return next, false
}

// lookahead reports whether the lines after a BEGIN line (ending at le,
// with prefix before its marker) show a key body, or that it cannot tell
// yet (hold).
func (p *proc) lookahead(text []byte, le int, hasNL, final bool, kind blockKind, prefix []byte) (enter, hold bool) {
	if !hasNL {
		return false, false
	}
	pos := le + 1
	for n := 0; n <= maxBlankLook; n++ {
		nle := len(text)
		i := bytes.IndexByte(text[pos:], '\n')
		if i >= 0 {
			nle = pos + i
		} else if !final && len(text)-pos <= maxWin {
			return false, true
		}
		if nle-pos > maxWin {
			return false, false
		}
		c, _, off := classifyPrefixed(text[pos:nle], prefix, kind, false)
		if c == blkBody && isBase64Line(text[pos+off:nle]) {
			return true, false
		}
		switch c {
		case blkBody, blkBlank:
			// A blank or an armor header ("Proc-Type: 4,ENCRYPTED"): key
			// material may still follow, but "error: no key" is not one.
			if i < 0 {
				return false, false
			}
			pos = nle + 1
			continue
		}
		return false, false
	}
	return false, false
}

// tail adds the redaction of a giant token's remainder after a forced window
// cut: the run of token bytes at emit.
func (p *proc) tail(text []byte, emit, le int) {
	if !p.forceTail {
		return
	}
	p.forceTail = false
	e := emit
	for e < le && !isTokenStop(text[e]) {
		e++
	}
	if e > emit {
		p.sc.finds = append(p.sc.finds, finding{start: emit, end: e, kind: kindToken, prio: prioBlock, noCount: true})
	}
}

// window processes the window text[ws:we) of a long line and returns the
// offset up to which it emitted output.
func (p *proc) window(text []byte, ws, we, emit int) int {
	sc := &p.sc
	sc.run(text[ws:we], ws)
	p.tail(text, emit, we)
	groups := p.merge(sc.finds)
	cut := we - overlap
	force := -1
	for i, g := range groups {
		if g.start >= cut {
			break
		}
		if g.end >= we {
			cut = g.start
			force = i
			break
		}
		if g.end > cut {
			cut = g.end
		}
	}
	if cut <= emit && force >= 0 {
		// A single token longer than a window: redact through the window's
		// end and the rest of the token in the next one.
		cut = we
		groups = groups[:force+1]
		groups[force].end = we
		p.forceTail = true
	} else {
		if cut <= emit {
			cut = we - overlap // unreachable: emit is at most ws+overlap
		}
		n := 0
		for n < len(groups) && groups[n].end <= cut {
			n++
		}
		groups = groups[:n]
	}
	p.emitGroups(text, emit, cut, groups)
	return cut
}

// apply emits text[emit:end] with the findings replaced.
func (p *proc) apply(text []byte, emit, end int, finds []finding) {
	if len(finds) == 0 {
		return // verbatim: copied lazily
	}
	p.emitGroups(text, emit, end, p.merge(finds))
}

// merge sorts findings and unions overlapping or touching ones.
func (p *proc) merge(finds []finding) []finding {
	if len(finds) > 1 {
		sort.Slice(finds, func(i, j int) bool { return finds[i].start < finds[j].start })
	}
	g := p.groups[:0]
	for _, f := range finds {
		if f.end <= f.start {
			continue
		}
		if n := len(g); n > 0 && f.start <= g[n-1].end {
			last := &g[n-1]
			if f.end > last.end {
				last.end = f.end
			}
			if f.prio > last.prio {
				last.kind, last.prio = f.kind, f.prio
			}
			last.noCount = last.noCount && f.noCount
			last.again = last.again && f.again
			continue
		}
		g = append(g, f)
	}
	p.groups = g
	return g
}

func (p *proc) emitGroups(text []byte, emit, end int, groups []finding) {
	pos := emit
	for _, g := range groups {
		s, e := g.start, g.end
		if e <= pos {
			continue
		}
		if s < pos {
			s = pos
		}
		if s >= end {
			break
		}
		if e > end {
			e = end
		}
		// Keep UTF-8 intact: spans start and end on rune boundaries.
		for s > pos && !utf8.RuneStart(text[s]) {
			s--
		}
		for e < end && !utf8.RuneStart(text[e]) {
			e++
		}
		p.copyTo(text, s)
		if !g.noCount {
			// A giant token's continuation adds nothing: its one
			// replacement was written with the token's start.
			p.out = p.r.appendReplacement(p.out, g.kind)
			if !g.again {
				p.count++
			}
		}
		p.flushFrom = e
		pos = e
	}
}

type blockLine uint8

const (
	blkOther blockLine = iota
	blkBody
	blkBlank
	blkEnd
)

// classifyPrefixed says what a line is inside a key block whose BEGIN
// marker came after prefix, as classifyBlockLine does: either after a
// prefix like the BEGIN line's (a line number, a log timestamp, a
// container's name) or without one. off is where the line's text starts
// after the prefix; end is from the line's start.
func classifyPrefixed(line, prefix []byte, kind blockKind, sawBody bool) (c blockLine, end, off int) {
	if len(prefix) > 0 {
		if n, ok := matchPrefix(prefix, line); ok {
			if c, end := classifyBlockLine(line[n:], kind, sawBody); c != blkOther {
				return c, n + end, n
			}
		}
	}
	c, end = classifyBlockLine(line, kind, sawBody)
	return c, end, 0
}

// matchPrefix reports whether line starts with a prefix like pre, the text
// before a BEGIN marker, and how long it is in line. Lines of one source
// carry prefixes of one shape whose numbers change: "     9\t" and
// "    10\t" (cat -n), "2024-05-01T10:00:00.1Z " and
// "2024-05-01T10:00:00.25Z " (docker logs -t), "web-1  | " (docker
// compose), "12:" and "13-" (grep -n, whose context lines use '-'). So a
// run of digits matches any run of digits, a run of blanks any run of
// blanks, a ':' also a '-', and any other byte only itself.
func matchPrefix(pre, line []byte) (int, bool) {
	i, j := 0, 0
	for i < len(pre) {
		if j >= len(line) {
			return 0, false
		}
		c := pre[i]
		switch {
		case isDigit(c):
			if !isDigit(line[j]) {
				return 0, false
			}
			for i < len(pre) && isDigit(pre[i]) {
				i++
			}
			for j < len(line) && isDigit(line[j]) {
				j++
			}
		case c == ' ' || c == '\t':
			if line[j] != ' ' && line[j] != '\t' {
				return 0, false
			}
			for i < len(pre) && (pre[i] == ' ' || pre[i] == '\t') {
				i++
			}
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
		case c == line[j], c == ':' && line[j] == '-':
			i++
			j++
		default:
			return 0, false
		}
	}
	return j, true
}

// classifyBlockLine says what a line is inside a key block. For an end line
// it also returns the offset just past the end marker.
func classifyBlockLine(line []byte, kind blockKind, sawBody bool) (blockLine, int) {
	lead := 0
	for lead < len(line) && isSpace(line[lead]) {
		lead++
	}
	t := bytes.TrimRight(line[lead:], " \t\r")
	if len(t) == 0 {
		return blkBlank, 0
	}
	switch kind {
	case blockPPK:
		if bytes.HasPrefix(t, []byte("Private-MAC:")) {
			return blkEnd, lead + len(t)
		}
		if isBase64Line(t) || isHeaderLine(t) {
			return blkBody, 0
		}
		return blkOther, 0
	default:
		if bytes.HasPrefix(t, []byte("-----END ")) || bytes.HasPrefix(t, []byte("---- END ")) {
			end := len(t)
			if i := bytes.Index(t[5:], []byte("----")); i >= 0 {
				j := 5 + i
				for j < len(t) && t[j] == '-' {
					j++
				}
				end = j
			}
			return blkEnd, lead + end
		}
		if isBase64Line(t) {
			return blkBody, 0
		}
		if !sawBody && isHeaderLine(t) {
			return blkBody, 0
		}
		return blkOther, 0
	}
}

func isBase64Line(t []byte) bool {
	t = bytes.Trim(t, " \t\r")
	if len(t) == 0 {
		return false
	}
	for _, c := range t {
		if !b64Std[c] && c != '=' {
			return false
		}
	}
	return true
}

// isHeaderLine matches RFC 1421 / OpenPGP armor headers ("Proc-Type: 4,ENCRYPTED").
func isHeaderLine(t []byte) bool {
	i := 0
	for i < len(t) && (isAlnum(t[i]) || t[i] == '-') {
		i++
	}
	return i > 0 && i+1 < len(t) && t[i] == ':' && t[i+1] == ' ' && isAlpha(t[0])
}
