package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// Declared values. Each value is looked for in several forms (valueForms):
// as is, URL-encoded, JSON-escaped, and base64-encoded at each of the three
// alignments it can have inside a longer encoded string. Two details make
// the forms hold up on real output:
//
//   - Escapes are matched whatever the case of their hex digits: Go and
//     JavaScript write %2F, .NET and some shells %2f; Go's JSON \u003c,
//     others \u003C.
//   - A base64 form may be wrapped across lines (base64 wraps at 76
//     columns, openssl at 64), so a line that ends with the start of the
//     form, or starts with its continuation, is a match too, and the lines
//     after it are followed until the form ends. Only the first line of a
//     wrapped form can show a few characters before the match begins: when
//     fewer than minHead characters of it end that line.

// minHead is the fewest characters of a base64 form at the end of a line
// that are taken as its wrapped start.
const minHead = 4

// valueMatcher: an operator-declared secret value, in one encoding.
type valueMatcher struct {
	full []byte
	word bool // short value: only as a whole word
	b64  bool // a base64 core: redact the whole enclosing base64 run
	// at is set on the extra entries of a base64 form that find full[at:]
	// at the start of a line: the wrapped rest of a form whose first
	// line held fewer than minHead characters of it.
	at int
	// fold marks the hex digits of escapes in full, which match in either
	// case; nil when full has no escape.
	fold []bool
}

// wrapState is a base64 form that the last line ended in the middle of:
// the next line may carry on with full[off:].
type wrapState struct {
	m   *valueMatcher
	off int
}

// register enters the matcher's keywords in g and adds its forms to forms
// (for Partial).
func (m *valueMatcher) register(g *registry, forms []string) []string {
	forms = append(forms, string(m.full))
	switch {
	case m.b64:
		// A short keyword, so that a wrapped start is found however few
		// characters of it end a line.
		g.add(string(m.full[:min(len(m.full), minHead)]), true, m)
		for h := 1; h < minHead && len(m.full)-h >= minHead; h++ {
			g.add(string(m.full[h:min(len(m.full), h+16)]), true, &valueMatcher{full: m.full, b64: true, at: h})
		}
	case m.fold != nil:
		// Case-insensitive keyword; match checks the case outside escapes.
		g.add(m.keyword(), false, m)
		low := bytes.Clone(m.full)
		for i, f := range m.fold {
			if f {
				low[i] = lowerByte(low[i])
			}
		}
		if !bytes.Equal(low, m.full) {
			forms = append(forms, string(low))
		}
	default:
		g.add(m.keyword(), true, m)
	}
	return forms
}

// keyword returns the prefilter keyword of a declared-value form: its first
// 16 bytes (the matcher checks the rest), which bounds the prefilter.
func (m *valueMatcher) keyword() string {
	if len(m.full) > 16 {
		return string(m.full[:16])
	}
	return string(m.full)
}

func (m *valueMatcher) match(sc *scanner, ks, ke int) {
	if m.b64 {
		m.matchB64(sc, ks)
		return
	}
	line := sc.line
	e := ks + len(m.full)
	if e > len(line) || !m.equal(line[ks:e]) {
		return
	}
	if m.word && (ks > 0 && isWord(line[ks-1]) || e < len(line) && isWord(line[e])) {
		return
	}
	sc.add(ks, e, kindValue, prioValue)
}

// equal reports whether b is the form, escapes' hex digits in either case.
func (m *valueMatcher) equal(b []byte) bool {
	if m.fold == nil {
		return bytes.Equal(b, m.full)
	}
	for i, c := range b {
		if c != m.full[i] && !(m.fold[i] && lowerByte(c) == lowerByte(m.full[i])) {
			return false
		}
	}
	return true
}

// matchB64 takes a keyword hit of a base64 form at ks: the whole form on
// the line, or its start wrapped at the line's end.
func (m *valueMatcher) matchB64(sc *scanner, ks int) {
	line := sc.line
	if m.at > 0 {
		if ks == lineStart(line) {
			m.continueAt(sc, ks, m.at, true)
		}
		return
	}
	k := commonPrefix(line[ks:], m.full)
	s := ks
	for s > 0 && csB64Any[line[s-1]] {
		s--
	}
	switch {
	case k == len(m.full):
		sc.add(s, runOf(line, ks+k, csB64Any), kindValue, prioValue)
	case restBlank(line, ks+k):
		sc.add(s, ks+k, kindValue, prioValue)
		sc.wrap = wrapState{m: m, off: k}
	}
}

// continueAt matches full[off:] at ks, the start of a line's text: the
// rest of the form, or as much of it as fills the line. first says that
// no earlier line was matched, so this one counts.
func (m *valueMatcher) continueAt(sc *scanner, ks, off int, first bool) {
	line := sc.line
	rest := m.full[off:]
	k := commonPrefix(line[ks:], rest)
	e := ks + k
	switch {
	case k == 0:
		return
	case k == len(rest):
		e = runOf(line, e, csB64Any)
	case restBlank(line, e):
		sc.wrap = wrapState{m: m, off: off + k}
	default:
		return
	}
	sc.finds = append(sc.finds, finding{start: sc.base + ks, end: sc.base + e, kind: kindValue, prio: prioValue, again: !first})
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// lineStart is the offset of the first byte of line that is not a blank.
func lineStart(line []byte) int {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

// restBlank reports whether line holds only blanks from i on.
func restBlank(line []byte, i int) bool {
	for ; i < len(line); i++ {
		if !isSpace(line[i]) {
			return false
		}
	}
	return true
}

// escapeDigits marks the hex digits of the escapes in s (%XX and \uXXXX),
// or returns nil if it has none.
func escapeDigits(s string) []bool {
	var fold []bool
	mark := func(i, n int) {
		if i+n > len(s) {
			return
		}
		for k := i; k < i+n; k++ {
			if !csHex[s[k]] {
				return
			}
		}
		if fold == nil {
			fold = make([]bool, len(s))
		}
		for k := i; k < i+n; k++ {
			fold[k] = true
		}
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%':
			mark(i+1, 2)
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == 'u':
			mark(i+2, 4)
		}
	}
	return fold
}

// valueForms lists the encodings of a declared value to look for.
func valueForms(v string) []*valueMatcher {
	seen := map[string]bool{}
	var out []*valueMatcher
	add := func(s string, word, b64 bool) {
		if seen[s] || len(s) == 0 {
			return
		}
		seen[s] = true
		m := &valueMatcher{full: []byte(s), word: word, b64: b64}
		if !b64 {
			m.fold = escapeDigits(s)
		}
		out = append(out, m)
	}
	add(v, len(v) < 8 && isWord(v[0]) && isWord(v[len(v)-1]), false)
	add(url.QueryEscape(v), false, false)
	add(url.PathEscape(v), false, false)
	for _, html := range []bool{false, true} {
		var jb bytes.Buffer
		enc := json.NewEncoder(&jb)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			j := strings.TrimSuffix(jb.String(), "\n")
			add(j[1:len(j)-1], false, false)
		}
	}
	// Base64 at each alignment inside a longer encoded string: encode with
	// 0, 1 or 2 bytes in front and keep only the characters fixed by the
	// value alone.
	for k := 0; k < 3; k++ {
		buf := make([]byte, k+len(v))
		copy(buf[k:], v)
		e := base64.RawStdEncoding.EncodeToString(buf)
		drop := (8*k + 5) / 6
		keep := 8 * len(buf) / 6
		if keep-drop < 6 {
			continue
		}
		core := e[drop:keep]
		add(core, false, true)
		add(strings.NewReplacer("+", "-", "/", "_").Replace(core), false, true)
	}
	return out
}
