package redact

import (
	"bytes"
	"unicode/utf8"
)

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
	before := start
	if q != 0 {
		before--
	}
	lineStart := -1 // unknown
	if c := line[p]; c != '=' && c != ':' && c != '>' {
		// Only a flag, a netrc entry, a quoted key="..." value="...", or a
		// name at the start of its line takes a blank as separator.
		if !hadSpace {
			return
		}
		if !(dashes > 0 || closed || isNetrcName(name)) {
			if !linePrefixOnly(line[:before]) {
				return
			}
			lineStart = 1
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
	if lineStart < 0 {
		lineStart = 0
		if linePrefixOnly(line[:before]) {
			lineStart = 1
		}
	}
	atStart := lineStart == 1
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
		if hadSpace && !closed {
			return // "Pass :" — not how keys are written
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
	case hadSpace && atStart && hasDockerfileDirective(line[:before]):
		sep = ' '
	case hadSpace && isNetrcName(name) && (atStart || isNetrcContext(line[:before])):
		sep = ' '
		netrc = true
	case atStart && q == 0 && (p-sp >= 2 || bytes.IndexByte(line[sp:p], '\t') >= 0):
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
	if sep == ':' && p == sp && !isQuote(line[p]) && (q != 0 && !closed || !(pre == 0 || isSpace(pre) || isQuote(pre) || pre == '{' || pre == ',' || pre == ';')) {
		return // user:pass@host, "passwd:dir", a:b:c — not a "name: value" pair
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
			return // "token=" + x: the quote closes an outer string
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
			if atStart && trimRight(line, len(line)) != ve {
				return // prose: "password incorrect for user"
			}
		case sep == '=' && dashes == 0 && !hadSpace && envLineStart(line[:before]),
			sep == ':' && atStart && isPassKind(kind):
			ve = restOfLine(line, p)
			for ve > vs && (line[ve-1] == ';' || line[ve-1] == ',') {
				ve--
			}
			if isProse(line[vs:ve]) {
				return // "- password: The password for the authentication."
			}
		case sep == ':', sep == '=' && hadSpace && dashes == 0:
			// name: value, name = value (YAML, INI, TOML, and program
			// text): one token that ends the line, or it is prose or code.
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
		if isConstantName(v) || isSelfReference(v, name) {
			return // token = Error, token: FG_DEFAULT, self.password = password
		}
		if sep == '=' && hadSpace && (isIdent(v) && (isObjectField(name) || endsWithComma(line[:before])) || isNumber(v)) {
			return // self.token = nextchar, username, password = split, X_TOKEN = 0x6
		}
		if sep == ':' && isIdent(v) && ve < len(line) && (line[ve] == ',' || line[ve] == '}') {
			return // PrivateKey: key, — a struct or object literal naming a variable
		}
		if sep == '\t' && !credLike(v) {
			return // "Cm2Token   uint32" — a declaration, not a table of secrets
		}
		if sep == ' ' && dashes > 0 && allIn(v, csLowerAlpha) {
			return // "--username and --password options": prose
		}
	}
	if isNamedAfter(v, name) {
		return // CHALLENGE_PASSWORD: "challengePassword", an enum's text
	}
	if quoted && isCamelTypeName(v) {
		return // private_key: "PrivateKeyTypes", a type annotation
	}
	if !quoted && v[0] == '\\' {
		return // an escaped quote from an outer string: \"value\"
	}
	switch {
	case netrc && atStart && !isNetrcContext(line[:before]):
		if len(v) < 6 || !(hasDigit(v) || bytes.ContainsAny(v, "!@#$%^&*+=?/~") || hasUpperAndLower(v)) {
			return
		}
	case cls == ncWeak:
		if !looksRandom(v) || bytes.ContainsAny(v, "[]{}()\\^$|* ") {
			return // HEX_PAT = "[0-9A-Fa-f]{1,4}": a pattern
		}
	case utf8.RuneCount(v) < 3:
		return
	}
	sc.add(vs, ve, kind, prioContext)
}

// isObjectField reports names written as program fields: self.x, this.x.
func isObjectField(name []byte) bool {
	return bytes.HasPrefix(name, []byte("self.")) || bytes.HasPrefix(name, []byte("this.")) ||
		bytes.IndexByte(name, '.') > 0 && !bytes.ContainsAny(name, "-")
}

// envLineStart reports what may precede NAME=value on an env-dump, .env,
// properties or shell line, where the value is the whole rest of the line:
// nothing, or a shell prefix (export, declare -x, set, ENV).
func envLineStart(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for _, p := range []string{"export ", "declare -x ", "set ", "ENV ", "ARG "} {
		if bytes.HasPrefix(b, []byte(p)) && len(bytes.TrimLeft(b[len(p):], " \t")) == 0 {
			return true
		}
	}
	return false
}

func isNumber(v []byte) bool {
	if len(v) > 1 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		return allIn(v[2:], csHex)
	}
	return allDigits(v)
}

func endsWithComma(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	return len(b) > 0 && b[len(b)-1] == ','
}

// isProse reports a sentence: three or more words, one of them a function
// word no password is made of. A passphrase of plain words has none.
func isProse(v []byte) bool {
	words := bytes.Fields(v)
	if len(words) < 3 {
		return bytes.Contains(v, []byte(" = ")) // password: bool = False
	}
	for _, w := range words {
		switch string(bytes.ToLower(bytes.Trim(w, ".,;:()"))) {
		case "the", "a", "an", "to", "for", "of", "is", "with", "and", "or", "in", "on", "be",
			"use", "used", "if", "this", "that", "when", "from", "your", "not", "=":
			return true
		}
	}
	return false
}

// isSelfReference reports program text that assigns a variable its own
// name: self.password = password, token=token.
func isSelfReference(v, name []byte) bool {
	if i := bytes.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return bytes.EqualFold(v, name) || bytes.EqualFold(bytes.TrimLeft(v, "_"), bytes.TrimLeft(name, "_"))
}

// isNamedAfter reports a value made of letters that spells the secret word
// of its own name ("password", "challengePassword", "TOKEN"): a label or
// an enum's text, not a secret.
func isNamedAfter(v, name []byte) bool {
	seps := 0
	for _, c := range v {
		switch {
		case c == '_' || c == '-' || c == '.':
			seps++
		case isAlpha(c), isDigit(c):
		default:
			return false
		}
	}
	if hasDigit(v) && seps < 2 {
		return false // token1: a value; client-valid-token-1: a label
	}
	lv := bytes.ToLower(v)
	for _, w := range []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "credential"} {
		if bytes.Contains(lv, []byte(w)) && bytes.Contains(bytes.ToLower(name), []byte(w)) {
			return true
		}
	}
	return false
}

// isCamelTypeName reports CamelCase words with no digits: a type name
// (PrivateKeyTypes, SecretStr) rather than a secret.
func isCamelTypeName(v []byte) bool {
	v = bytes.TrimLeft(v, "_")
	if len(v) < 2 || len(v) > 48 || !isUpper(v[0]) || !allIn(v, csAlpha) {
		return false
	}
	// An optional acronym (RSA, DSA), then humps: each capital followed by
	// a lower-case letter. Random base64 letters are not shaped like that.
	i := 0
	for i+1 < len(v) && isUpper(v[i]) && isUpper(v[i+1]) {
		i++
	}
	humps := 0
	for ; i < len(v); i++ {
		if isUpper(v[i]) {
			if i+1 >= len(v) || !isLower(v[i+1]) {
				return false
			}
			humps++
		}
	}
	return humps >= 2 || humps == 1 && len(v) > 4 && isUpper(v[1])
}

// isQueryString reports text made only of URL query bytes (a=b&c=d%2F).
func isQueryString(v []byte) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isAlnum(c), c == '-', c == '.', c == '_', c == '~', c == '+', c == '=', c == '&':
		case c == '%' && i+2 < len(v) && csHex[v[i+1]] && csHex[v[i+2]]:
			i += 2
		default:
			return false
		}
	}
	return true
}

// isConstantName reports an identifier that names a constant, class or
// enum member in program text: Error, Punctuation, FG_DEFAULT, KeyType.
// Random letters (base64 without digits) are not shaped like any of these.
func isConstantName(v []byte) bool {
	v = bytes.TrimLeft(v, "_")
	if len(v) == 0 || !isUpper(v[0]) {
		return false
	}
	if allIn(v, csUpperUnder) {
		return true // FG_DEFAULT
	}
	if len(v) > 1 && allIn(v[1:], csLowerAlpha) {
		return true // Error
	}
	return isCamelTypeName(v)
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
	b = bytes.TrimLeft(b, " \t")
	for _, k := range []string{"machine ", "default ", "login ", "account "} {
		if bytes.HasPrefix(b, []byte(k)) {
			return true
		}
	}
	return false
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
// A following " other=value" pair (logfmt: password=x user=bob) ends it,
// and so does a carriage return: what follows it overwrites the line.
func restOfLine(line []byte, p int) int {
	e := len(line)
	if i := bytes.IndexByte(line[p:], '\r'); i >= 0 {
		e = p + i
	}
	if i := bytes.Index(line[p:e], []byte(" #")); i >= 0 {
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
		if j > i+1 && j < e && line[j] == '=' && (isAlpha(line[i+1]) || line[i+1] == '_') {
			e = i
			break
		}
	}
	// ...and so does a query-string "&other=value" (token=x&channel=y), if
	// the value is a well-formed query string; a secret that merely holds
	// "&x=" is kept whole.
	for i := p; i < e && isQueryString(line[p:e]); i++ {
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
