package redact

import "bytes"

// assignMatcher finds values assigned to names that say "secret", in every
// common syntax: env dumps and .env (NAME=value), shell (export NAME="v"),
// YAML and HTTP headers (name: value), JSON ("name": "v"), TOML/INI/HCL
// (name = "v"), properties (a.b.password=v), Ruby/PHP (name => 'v'), XML
// (<password>v</password>), NuGet (key="Password" value="v"), command lines
// (--password v, --token=v, -storepass v), logfmt and query strings
// (&password=v), connection strings (;Password=v;) and .netrc
// (machine h login u password v).
type assignMatcher struct{}

func (assignMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	ns := ks
	for ns > 0 && isNameByte(line[ns-1]) {
		ns--
	}
	ne := ke
	for ne < len(line) && isNameByte(line[ne]) {
		ne++
	}
	if ns == sc.lastName {
		return
	}
	sc.lastName = ns
	for ne > ns && (line[ne-1] == '.' || line[ne-1] == '-') {
		ne--
	}
	start := ns // the name including any leading dashes
	dashes := 0
	for ns < ne && line[ns] == '-' {
		ns++
		dashes++
	}
	for ns < ne && line[ns] == '.' {
		ns++
	}
	if ns >= ne || dashes > 2 {
		return
	}
	name := line[ns:ne]
	var pre, pre2 byte
	if start > 0 {
		pre = line[start-1]
	}
	if start > 1 {
		pre2 = line[start-2]
	}
	if dashes == 0 && (pre == '$' || pre == '%' || pre == '{' && pre2 == '$' || pre == '(' && pre2 == '$') {
		return // a reference: $PASSWORD, ${TOKEN}, %PASSWORD%
	}
	var q byte // a quote opened just before the name
	if dashes == 0 && (pre == '"' || pre == '\'') {
		q = pre
	}
	p := ne
	closed := false
	if q != 0 && p < len(line) && line[p] == q {
		p++
		closed = true
	}
	sp := p
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	hadSpace := p > sp
	if p >= len(line) {
		return
	}
	// Most keyword hits are prose ("token refreshed", "--- PASS"): reject
	// on the byte after the name before classifying it.
	if c := line[p]; c != '=' && c != ':' && c != '>' {
		// Only a flag, a netrc entry, a quoted key="..." value="...", or a
		// name at the start of its line takes a blank as separator.
		if !hadSpace || !(dashes > 0 || closed || isNetrcName(name) || linePrefixOnly(line[:start])) {
			return
		}
	}
	cls, kind := classifyName(name)
	if cls == ncNone {
		return
	}
	if cls == ncSig {
		if pre != '?' && pre != '&' {
			return
		}
		cls = ncStrong
	}
	before := start
	if q != 0 {
		before--
	}
	lineStart := linePrefixOnly(line[:before])
	var sep byte
	netrc := false
	switch c := line[p]; {
	case c == '=':
		if p+1 < len(line) && line[p+1] == '=' {
			return // a comparison
		}
		if p+1 < len(line) && line[p+1] == '>' {
			p++
		}
		p++
		sep = '='
	case c == ':':
		if p+1 < len(line) && line[p+1] == ':' {
			return // a path: token::Kind
		}
		if p+1 < len(line) && line[p+1] == '=' {
			p += 2
			sep = '='
		} else {
			p++
			sep = ':'
		}
	case c == '>' && pre == '<' && !hadSpace:
		p++
		sep = '>'
	case hadSpace && closed && hasPrefixFold(line[p:], "value="):
		p += len("value=")
		sep = '='
	case hadSpace && dashes > 0:
		sep = ' '
	case hadSpace && lineStart && hasDockerfileDirective(line[:before]):
		sep = ' '
	case hadSpace && isNetrcName(name) && (lineStart || isNetrcContext(line[:before])):
		sep = ' '
		netrc = true
	case lineStart && q == 0 && (p-sp >= 2 || bytes.IndexByte(line[sp:p], '\t') >= 0):
		// "secret_id    9b1c..." — key/value table output (vault, CLIs).
		sep = '\t'
		if e := tokenEnd(line, p); trimRight(line, len(line)) != e {
			return
		}
	default:
		return
	}
	sp = p
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	if p >= len(line) {
		return
	}
	if sep == ':' && p == sp && !isQuote(line[p]) && !(pre == 0 || isSpace(pre) || isQuote(pre) || pre == '{' || pre == ',' || pre == ';') {
		return // user:pass@host, a:b:c — not a "name: value" pair
	}

	var vs, ve int
	quoted := false
	c := line[p]
	switch {
	case sep == '>':
		// <password>v</password>: only with the closing tag.
		vs = p
		ve = bytes.Index(line[p:], []byte("</"))
		if ve < 0 || !bytes.HasPrefix(line[p+ve+2:], append(name[:len(name):len(name)], '>')) {
			return
		}
		ve += p
		quoted = true
	case isQuote(c) && !(q != 0 && !closed && c == q):
		vs = p + 1
		ve = closingQuote(line, vs, c)
		if ve < 0 {
			ve = trimRight(line, len(line))
		}
		quoted = true
	case q != 0 && !closed:
		// NAME=value inside an outer quoted string ("PASSWORD=abc", -e 'A=b c').
		vs = p
		ve = bytes.IndexByte(line[p:], q)
		if ve < 0 {
			ve = trimRight(line, len(line))
		} else {
			ve += p
		}
		if sep == ':' && bytes.ContainsAny(line[vs:ve], " \t") {
			return // "password: must contain a digit" — a message, not a value
		}
	default:
		vs = p
		switch {
		case netrc:
			ve = tokenEnd(line, p)
			if lineStart && trimRight(line, len(line)) != ve {
				return // prose: "password incorrect for user"
			}
		case sep == '=' && lineStart && dashes == 0,
			sep == ':' && lineStart && isPassKind(kind):
			ve = restOfLine(line, p)
			for ve > vs && (line[ve-1] == ';' || line[ve-1] == ',') {
				ve--
			}
		case sep == ':':
			ve = tokenEnd(line, p)
			r := ve
			for r < len(line) && isSpace(line[r]) {
				r++
			}
			if r < len(line) && bytes.IndexByte([]byte(",}]\"'#;"), line[r]) < 0 {
				return // more words follow: prose, not a value
			}
		default:
			ve = tokenEnd(line, p)
		}
	}
	v := line[vs:ve]
	if len(v) == 0 || isPlaceholder(v) {
		return
	}
	if !quoted {
		if isCodeLike(v) || v[0] == '-' && (dashes > 0 || sep == ' ') {
			return
		}
		if v[0] == '\\' { // an escaped quote from an outer string: \"value\"
			return
		}
	}
	switch {
	case netrc && lineStart && !isNetrcContext(line[:before]):
		if len(v) < 6 || !(hasDigit(v) || bytes.ContainsAny(v, "!@#$%^&*+=?/~") || hasUpperAndLower(v)) {
			return
		}
	case cls == ncWeak:
		if !looksRandom(v) {
			return
		}
	case len(v) < 3:
		return
	}
	sc.add(vs, ve, kind, prioContext)
}

func hasUpperAndLower(b []byte) bool {
	lo, up, _, _ := classes(b)
	return lo && up
}

func hasPrefixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerByte(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func isNetrcName(name []byte) bool {
	return string(name) == "password" || string(name) == "passwd"
}

// isNetrcContext reports a .netrc entry before the password: machine h login u.
func isNetrcContext(b []byte) bool {
	return bytes.Contains(b, []byte("machine ")) || bytes.Contains(b, []byte("login ")) || bytes.Contains(b, []byte("default "))
}

func hasDockerfileDirective(b []byte) bool {
	b = bytes.TrimLeft(b, " \t")
	return bytes.HasPrefix(b, []byte("ENV ")) || bytes.HasPrefix(b, []byte("setenv "))
}

// closingQuote returns the index of the quote q closing a string that starts
// at i, honouring backslash escapes for double quotes, or -1.
func closingQuote(line []byte, i int, q byte) int {
	for i < len(line) {
		c := line[i]
		if c == '\\' && q != '\'' && i+1 < len(line) {
			i += 2
			continue
		}
		if c == q {
			return i
		}
		i++
	}
	return -1
}

func trimRight(line []byte, e int) int {
	for e > 0 && isSpace(line[e-1]) {
		e--
	}
	return e
}

// restOfLine is the value of NAME=value at the start of a line: everything
// to the end of the line, less trailing blanks and a " # comment".
//
// A following " other=value" pair (logfmt: password=x user=bob) ends it.
func restOfLine(line []byte, p int) int {
	e := len(line)
	if i := bytes.Index(line[p:], []byte(" #")); i >= 0 {
		e = p + i
	}
	for i := p; i < e; i++ {
		if !isSpace(line[i]) {
			continue
		}
		j := i + 1
		for j < e && isNameByte(line[j]) {
			j++
		}
		if j > i+1 && j < e && line[j] == '=' && isAlpha(line[i+1]) {
			e = i
			break
		}
	}
	// ...and so does a query-string "&other=value" (token=x&channel=y).
	for i := p; i < e; i++ {
		if line[i] != '&' {
			continue
		}
		j := i + 1
		for j < e && isWord(line[j]) {
			j++
		}
		if j > i+1 && j < e && line[j] == '=' && isAlpha(line[i+1]) {
			e = i
			break
		}
	}
	return trimRight(line, e)
}

// tokenEnd is the end of a bare value inside a line.
func tokenEnd(line []byte, p int) int {
	for p < len(line) {
		switch line[p] {
		case ' ', '\t', '\r', '"', '\'', '`', ';', '&', ',', ')', '}', ']', '<', '>':
			return p
		}
		p++
	}
	return p
}
