package redact

import (
	"bytes"
	"encoding/base64"
	"math"
	"unicode/utf8"
)

type charset [256]bool

func newCharset(spec ...string) *charset {
	var c charset
	for _, s := range spec {
		switch s {
		case "alnum":
			s = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		case "upper":
			s = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		case "lower":
			s = "0123456789abcdefghijklmnopqrstuvwxyz"
		case "hex":
			s = "0123456789abcdefABCDEF"
		case "hexlower":
			s = "0123456789abcdef"
		}
		for i := 0; i < len(s); i++ {
			c[s[i]] = true
		}
	}
	return &c
}

var (
	csAlnum      = newCharset("alnum")
	csUpper      = newCharset("upper")
	csLower      = newCharset("lower")
	csLowerAlpha = newCharset("abcdefghijklmnopqrstuvwxyz")
	csPathSeg    = newCharset("abcdefghijklmnopqrstuvwxyz0123456789._-")
	csUpperAlpha = newCharset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	csUpperUnder = newCharset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
	csAlpha      = newCharset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	csHex        = newCharset("hex")
	csHexLower   = newCharset("hexlower")
	csWord       = newCharset("alnum", "_")
	csURL64      = newCharset("alnum", "_-")    // base64url
	csURL64Dot   = newCharset("alnum", "_-.")   // JWT-ish
	csB64        = newCharset("alnum", "+/")    // base64 without padding
	csB64Pad     = newCharset("alnum", "+/=")   // base64
	csB64Any     = newCharset("alnum", "+/=_-") // either alphabet
	csSlack      = newCharset("alnum", "-")     // xox?- tokens
	csBech32     = newCharset("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
	csTail       = newCharset("alnum", "_-+/=.~%")      // bytes that may continue a token
	csNameCont   = newCharset("alnum", "_.-=:>\"'` \t") // what may follow a keyword inside a key name
	csAnyButNL   = func() *charset {
		var c charset
		for i := range c {
			c[i] = i != '\n'
		}
		return &c
	}()
	csURLCont = newCharset("alnum", "%._~!$&'()*+,;=:-[") // what may follow "://"
	b64Std    = csB64
)

func isAlpha(c byte) bool   { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool   { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool   { return csAlnum[c] }
func isWord(c byte) bool    { return csWord[c] }
func isSpace(c byte) bool   { return c == ' ' || c == '\t' || c == '\r' }
func isUpper(c byte) bool   { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool   { return 'a' <= c && c <= 'z' }
func isQuote(c byte) bool   { return c == '"' || c == '\'' || c == '`' }
func lowerByte(c byte) byte { return fold(c) }

// isTokenStop reports bytes that end a bare token.
func isTokenStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ',', ';', '<', '>', '(', ')', '[', ']', '{', '}', '|', '\\':
		return true
	}
	return false
}

// runOf returns the end of the run of bytes in cs starting at i.
func runOf(b []byte, i int, cs *charset) int {
	for i < len(b) && cs[b[i]] {
		i++
	}
	return i
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var n [256]int
	for _, c := range b {
		n[c]++
	}
	h := 0.0
	l := float64(len(b))
	for _, k := range n {
		if k > 0 {
			p := float64(k) / l
			h -= p * math.Log2(p)
		}
	}
	return h
}

// classes counts which of lower, upper, digit, other appear in b.
func classes(b []byte) (lower, upper, digit, other bool) {
	for _, c := range b {
		switch {
		case isLower(c):
			lower = true
		case isUpper(c):
			upper = true
		case isDigit(c):
			digit = true
		default:
			other = true
		}
	}
	return
}

func allIn(b []byte, cs *charset) bool {
	for _, c := range b {
		if !cs[c] {
			return false
		}
	}
	return len(b) > 0
}

// looksRandom is the bar for values under weak names ("auth", "credentials",
// an unknown "*_key"): long enough, mixed, and not a plain hex digest or id.
func looksRandom(v []byte) bool {
	if len(v) < 12 {
		return false
	}
	if allIn(v, csHex) || allIn(v, csLower) && !bytes.ContainsAny(v, "0123456789") {
		return false
	}
	lo, up, dg, _ := classes(v)
	n := 0
	for _, b := range []bool{lo, up, dg} {
		if b {
			n++
		}
	}
	return n >= 2 && entropy(v) >= 3.0
}

var stopValues = map[string]bool{
	"true": true, "false": true, "null": true, "nil": true, "none": true, "undefined": true,
	"yes": true, "no": true, "on": true, "off": true, "required": true, "optional": true,
	"enabled": true, "disabled": true, "empty": true, "n/a": true, "na": true, "string": true,
	"str": true, "int": true, "bool": true, "boolean": true, "number": true, "object": true,
	"any": true, "bytes": true, "text": true, "hidden": true, "redacted": true, "masked": true,
	"omitted": true, "data+omitted": true, "not set": true, "unset": true, "notset": true,
	"<none>": true, "(none)": true, "void": true, "secretstr": true, "securestring": true,
	"sensitive": true, "protected": true, "placeholder": true, "char": true,
	"varchar": true, "[]": true, "{}": true, "nan": true, "integer": true,
	"float": true, "optional[str]": true, "self": true, "this": true, "unknown": true,
	"invalid": true, "missing": true, "incorrect": true, "wrong": true, "expired": true,
	"default": true, "auto": true, "prompt": true, "ask": true, "stdin": true, "env": true,
	"file": true, "value": true, "values": true, "bearer": true, "basic": true, "iota": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "int8": true,
	"int16": true, "int32": true, "int64": true, "uintptr": true, "float32": true, "float64": true,
	"byte": true, "[]byte": true, "rune": true, "error": true, "interface{}": true,
}

var placeholderPrefixes = []string{"your-", "your_", "yourtoken", "yourpassword", "insert-", "insert_", "replace-", "replace_", "replaceme", "changeme", "change-me", "change_me", "example-", "dummy-", "fake-", "todo-"}

// isPlaceholder reports values that are references, masks or templates
// rather than secrets: $VAR, ${VAR}, {{ x }}, <your-token>, ****, [REDACTED].
func isPlaceholder(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	if bytes.HasPrefix(v, []byte("[REDACTED")) || bytes.Contains(v, []byte("***")) {
		return true
	}
	switch v[0] {
	case '$':
		return true
	case '%', '@': // %VAR%, %s, @VAR@
		if len(v) <= 3 || v[len(v)-1] == v[0] {
			return true
		}
	case '<': // <your-token>, <set to the key 'password' in secret 'db'>
		if bytes.IndexByte(v, '>') > 0 {
			return true
		}
	case '{':
		if bytes.HasPrefix(v, []byte("{{")) || bytes.HasPrefix(v, []byte("{%")) {
			return true
		}
	case '#':
		if bytes.HasPrefix(v, []byte("#{")) {
			return true
		}
		if n := len(v) - 1; (n == 3 || n == 4 || n == 6 || n == 8) && allIn(v[1:], csHex) {
			return true // a colour: #cccccc
		}
	}
	if bytes.Contains(v, []byte("{{")) || bytes.Contains(v, []byte("${")) || bytes.HasPrefix(v, []byte("arn:")) {
		return true
	}
	if hasFormatVerb(v) {
		return true // '%s:%s', "%(password)s"
	}
	// A run of one repeated byte: xxxxxxxx, ........, --------.
	same := true
	for _, c := range v[1:] {
		if c != v[0] {
			same = false
			break
		}
	}
	if same && len(v) > 1 {
		return true
	}
	var lb [32]byte
	if len(v) <= len(lb) {
		for i, c := range v {
			lb[i] = lowerByte(c)
		}
		if stopValues[string(lb[:len(v)])] {
			return true
		}
	}
	for _, pre := range placeholderPrefixes {
		if hasPrefixFold(v, pre) {
			return true
		}
	}
	// "16 bytes" (kubectl describe secret), "(sensitive value)".
	if v[0] == '(' || bytes.HasSuffix(v, []byte(" bytes")) && isDigit(v[0]) {
		return true
	}
	return isPathLike(v)
}

// hasFormatVerb reports a printf or %-format template: a value that is
// nothing but verbs and punctuation ('%s:%s', "%(password)s", "%d").
func hasFormatVerb(v []byte) bool {
	verbs := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' && i+1 < len(v) {
			switch v[i+1] {
			case 's', 'd', 'v', 'q', 'r':
				verbs++
				i++
				continue
			case '(':
				if j := bytes.IndexByte(v[i:], ')'); j > 0 && i+j+1 < len(v) {
					verbs++
					i += j + 1
					continue
				}
			}
		}
		if isAlnum(c) || c >= 0x80 {
			return false
		}
	}
	return verbs > 0
}

// isPathLike reports filesystem paths (/run/secrets/db, ~/.ssh/id_rsa, ./x).
func isPathLike(v []byte) bool {
	switch {
	case bytes.HasPrefix(v, []byte("/")), bytes.HasPrefix(v, []byte("~/")),
		bytes.HasPrefix(v, []byte("./")), bytes.HasPrefix(v, []byte("../")),
		bytes.HasPrefix(v, []byte("file://")):
	case len(v) > 3 && isAlpha(v[0]) && v[1] == ':' && v[2] == '\\':
		return true
	default:
		return false
	}
	if bytes.ContainsAny(v, "+=") {
		return false
	}
	// Paths are mostly lower case; base64 secrets that happen to start
	// with '/' are not.
	upDigit := 0
	for _, c := range v {
		if isUpper(c) || isDigit(c) {
			upDigit++
		}
	}
	if upDigit*10 > len(v)*3 {
		return false
	}
	slashes := bytes.Count(v, []byte("/"))
	if slashes == 1 && v[0] == '/' {
		// /tmp, /home: one lower-case path component.
		return allIn(bytes.TrimRight(v[1:], "\\"), csPathSeg)
	}
	return slashes >= 2 || bytes.HasPrefix(v, []byte("~/")) || bytes.HasPrefix(v, []byte("./"))
}

// isCodeLike reports unquoted values that are program text, not literals:
// calls (getpass("x")), indexing (os.environ["X"]), object or list
// literals, attribute chains (self.password), snake_case identifiers.
func isCodeLike(v []byte) bool {
	if v[0] == '{' || v[0] == '[' || v[0] == '(' {
		return true
	}
	i := 0
	for i < len(v) && (isWord(v[i]) || v[i] == '.' || v[i] == '$' || v[i] == ':') {
		i++
	}
	if i > 0 && i < len(v) && (v[i] == '(' || v[i] == '[') && (isAlpha(v[0]) || v[0] == '_') {
		return true
	}
	// identifier(.identifier)+ — config.token, self.password, os.environ
	if parts := bytes.Split(v, []byte(".")); len(parts) > 1 {
		ident := true
		for _, p := range parts {
			if !isIdent(p) {
				ident = false
				break
			}
		}
		if ident {
			return true
		}
	}
	// snake_case with an underscore and no digits/upper: get_token, _create_key
	if bytes.IndexByte(v, '_') >= 0 && bytes.ContainsAny(v, "abcdefghijklmnopqrstuvwxyz") {
		snake := true
		for _, c := range v {
			if !(isLower(c) || c == '_') {
				snake = false
				break
			}
		}
		if snake {
			return true
		}
	}
	return false
}

func isIdent(p []byte) bool {
	if len(p) == 0 || !(isAlpha(p[0]) || p[0] == '_') {
		return false
	}
	for _, c := range p {
		if !isWord(c) {
			return false
		}
	}
	return true
}

// decodeB64 decodes standard base64 (padded or not), or returns ok=false.
func decodeB64(v []byte) ([]byte, bool) {
	if len(v)%4 == 0 {
		out, err := base64.StdEncoding.DecodeString(string(v))
		return out, err == nil
	}
	out, err := base64.RawStdEncoding.DecodeString(string(v))
	return out, err == nil
}

func isPrintableText(b []byte) bool {
	if !utf8.Valid(b) || len(b) == 0 {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// plausibleSecretData decides a Kubernetes Secret `data:` value: base64 that
// decodes to text, or to at least 12 bytes of key material.
func plausibleSecretData(v []byte) bool {
	v = bytes.Trim(v, `"'`)
	if len(v) < 4 || len(v)%4 != 0 || !allIn(v, csB64Pad) {
		return false
	}
	if allIn(v, csLower) || allIn(v, csUpper) && !bytes.ContainsAny(v, "0123456789") {
		return false
	}
	out, ok := decodeB64(v)
	if !ok {
		return false
	}
	return isPrintableText(out) || len(out) >= 12
}
