package redact

import (
	"bytes"
	"regexp"
)

// authHeaderMatcher: Authorization / Proxy-Authorization values, keeping the
// scheme (Authorization: Bearer [REDACTED]).
type authHeaderMatcher struct{}

var authSchemes = map[string]bool{
	"bearer": true, "basic": true, "token": true, "digest": true, "negotiate": true,
	"ntlm": true, "bot": true, "hoba": true, "mutual": true, "apikey": true, "sso-key": true,
	"ssws": true, "key": true, "otp": true, "jwt": true, "aws4-hmac-sha256": true, "oauth": true,
	"gsso": true, "splunk": true, "dsn": true, "pat": true, "klaviyo-api-key": true,
}

func (authHeaderMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	if ks > 0 && isAlnum(line[ks-1]) {
		return
	}
	p := ke
	if p < len(line) && isAlnum(line[p]) {
		return // authorizations, authorizationUrl
	}
	keyQuoted := false
	if p < len(line) && isQuote(line[p]) {
		p++
		keyQuoted = true
	}
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	if p >= len(line) || line[p] != ':' && line[p] != '=' {
		return
	}
	sep := line[p]
	p++
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	end := len(line)
	quotedVal := false
	if p < len(line) && isQuote(line[p]) {
		q := line[p]
		p++
		e := closingQuote(line, p, q)
		if e < 0 {
			return
		}
		end, quotedVal = e, true
	} else if e := bytes.IndexAny(line[p:], "\"'`\r"); e >= 0 {
		// The header sits inside a quoted argument (-H "Authorization:
		// ..."), or a carriage return lets what follows overwrite it.
		end = p + e
	}
	end = trimRight(line, end)
	if end <= p {
		return
	}
	val := line[p:end]
	cs := p
	i := 0
	for i < len(val) && (isAlnum(val[i]) || val[i] == '-') {
		i++
	}
	if i == len(val) && authSchemes[string(bytes.ToLower(val))] {
		return // a scheme with no credentials
	}
	if i > 0 && i < len(val) && val[i] == ' ' && isAlpha(val[0]) && i <= 24 {
		cs = p + i
		for cs < end && isSpace(line[cs]) {
			cs++
		}
	}
	creds := line[cs:end]
	if len(creds) < 4 || isPlaceholder(creds) || bytes.Contains(creds, []byte("://")) {
		return
	}
	if !quotedVal {
		if keyQuoted || sep == '=' {
			return // "Authorization": auth_header, authorization = x — program text
		}
		if !linePrefixOnly(line[:ks]) && !(credLike(creds) && bytes.IndexByte(creds, ' ') < 0) && !bytes.HasSuffix(bytes.TrimRight(line[:ks], " \t'\""), []byte("-H")) {
			return // "Keep Authorization: headers for ..." — prose
		}
	}
	sc.add(cs, end, kindAuthHeader, prioContext)
}

// credLike reports text that looks like a credential rather than words:
// it has a digit, mixed case or token punctuation.
func credLike(b []byte) bool {
	return len(b) >= 8 && (hasDigit(b) || hasUpperAndLower(b) || bytes.ContainsAny(b, "=+/_.-")) && !bytes.Contains(bytes.TrimSpace(b), []byte("  "))
}

// bearerMatcher: "Bearer <token>" wherever it appears.
type bearerMatcher struct{}

var csBearer = newCharset("alnum", "-._~+/=")

func (bearerMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	if ks > 0 && isAlnum(line[ks-1]) || ke >= len(line) || !isSpace(line[ke]) {
		return
	}
	p := ke
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	e := runOf(line, p, csBearer)
	tok := line[p:e]
	if len(tok) < 12 || !(hasDigit(tok) || hasUpperAndLower(tok)) || isPlaceholder(tok) {
		return
	}
	sc.add(p, runOf(line, e, csTail), kindAuthHeader, prioContext)
}

// basicMatcher: "Basic <base64 of user:password>".
type basicMatcher struct{}

func (basicMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	if ks > 0 && isAlnum(line[ks-1]) || ke >= len(line) || !isSpace(line[ke]) {
		return
	}
	p := ke
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	e := runOf(line, p, csB64Pad)
	tok := line[p:e]
	if len(tok) < 8 {
		return
	}
	out, ok := decodeB64(bytes.TrimRight(tok, "="))
	if !ok || bytes.IndexByte(out, ':') < 0 || !isPrintableText(out) {
		return
	}
	sc.add(p, e, kindBasicAuth, prioContext+1)
}

// cookieMatcher: values of session-like cookies in Cookie / Set-Cookie
// headers and curl --cookie arguments.
type cookieMatcher struct{}

var sessionWords = []string{
	"sess", "sid", "token", "auth", "jwt", "csrf", "xsrf", "remember", "login", "identity",
	"oauth", "saml", "secret", "credential", "refresh", "access", "__secure-", "__host-", "logged",
	"user_session", "_session",
}

func (cookieMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	if ks > 0 && isAlnum(line[ks-1]) {
		return
	}
	p := ke
	if p < len(line) && isQuote(line[p]) {
		p++
	}
	sp := p
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	if p >= len(line) {
		return
	}
	flag := ks >= 2 && line[ks-1] == '-' && line[ks-2] == '-'
	switch {
	case line[p] == ':' || line[p] == '=':
		p++
	case flag && p > sp:
	default:
		return
	}
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	end := len(line)
	if p < len(line) && isQuote(line[p]) {
		q := line[p]
		p++
		if e := bytes.IndexByte(line[p:], q); e >= 0 {
			end = p + e
		}
	} else if e := bytes.IndexAny(line[p:], "\"'`"); e >= 0 {
		end = p + e
	}
	for p < end {
		semi := bytes.IndexByte(line[p:end], ';')
		pe := end
		if semi >= 0 {
			pe = p + semi
		}
		pair := line[p:pe]
		if eq := bytes.IndexByte(pair, '='); eq > 0 {
			name := bytes.ToLower(bytes.TrimSpace(pair[:eq]))
			vs := p + eq + 1
			ve := trimRight(line, pe)
			for vs < ve && isSpace(line[vs]) {
				vs++
			}
			if sessionLike(name) && ve-vs >= 6 && !isPlaceholder(line[vs:ve]) {
				sc.add(vs, ve, kindCookie, prioContext)
			}
		}
		p = pe + 1
	}
}

func sessionLike(name []byte) bool {
	for _, w := range sessionWords {
		if bytes.Contains(name, []byte(w)) {
			return true
		}
	}
	return false
}

// urlMatcher: the password of scheme://user:password@host, and a user part
// that is itself a token (https://<40 hex>@host, Sentry DSN keys).
type urlMatcher struct{}

func isURLStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '"', '\'', '`', '<', '>', '\\', '(', ')', '[', ']', '{', '}', ',', ';', '|':
		return true
	}
	return false
}

func (urlMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	s := ks
	for s > 0 && (isAlnum(line[s-1]) || line[s-1] == '+' || line[s-1] == '.' || line[s-1] == '-') {
		s--
	}
	if s == ks || !isAlpha(line[s]) {
		return
	}
	p := ke
	te := p
	for te < len(line) && !isURLStop(line[te]) {
		te++
	}
	// The userinfo ends at the last '@' before the first '/' that follows
	// the first '@': passwords may hold '@', '/', '?' or '#' unencoded.
	first := bytes.IndexByte(line[p:te], '@')
	if first < 0 {
		return
	}
	first += p
	limit := te
	if i := bytes.IndexByte(line[first:te], '/'); i >= 0 {
		limit = first + i
	}
	at := p + bytes.LastIndexByte(line[p:limit], '@')
	if at+1 >= len(line) || !(isAlnum(line[at+1]) || line[at+1] == '[') {
		return // not followed by a host
	}
	ui := line[p:at]
	colon := bytes.IndexByte(ui, ':')
	if colon < 0 {
		if !bytes.ContainsAny(ui, "/?#") && len(ui) >= 20 && (len(ui) >= 32 && allIn(ui, csHex) || looksRandom(ui)) {
			sc.add(p, at, kindURLCreds, prioContext)
		}
		return
	}
	if bytes.ContainsAny(ui[:colon], "/?#") {
		return // the ':' is a port or belongs to the path
	}
	pw := ui[colon+1:]
	switch string(bytes.ToLower(pw)) {
	case "password", "pass", "passwd", "pwd", "secret", "token":
		return // documentation: https://user:password@host
	}
	d := 0
	for d < len(pw) && isDigit(pw[d]) {
		d++
	}
	if len(pw) == 0 || d > 0 && (d == len(pw) || pw[d] == '/') || isPlaceholder(pw) {
		return
	}
	sc.add(p+colon+1, at, kindURLCreds, prioContext)
}

// pemMatcher: private-key PEM blocks. A BEGIN line with nothing after the
// marker starts a multi-line block (the engine takes over); otherwise the
// key is on one line with escaped newlines (JSON: "-----BEGIN ...\nMII...").
type pemMatcher struct{}

func (pemMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	// Label: [A-Z0-9 ]* then the closing dashes.
	j := ke
	for j < len(line) && (isUpper(line[j]) || isDigit(line[j]) || line[j] == ' ') {
		j++
	}
	label := bytes.TrimSpace(line[ke:j])
	if !bytes.Contains(label, []byte("PRIVATE KEY")) || !bytes.HasPrefix(line[j:], []byte("----")) {
		return
	}
	for j < len(line) && line[j] == '-' {
		j++
	}
	if len(bytes.Trim(line[j:], " \t\r")) == 0 {
		if !sc.begin.ok {
			sc.begin.ok, sc.begin.pos, sc.begin.kind = true, ks, blockPEM
		}
		return
	}
	// Single-line form.
	body, last := 0, j
	k := j
	for k < len(line) {
		c := line[k]
		switch {
		case c == '\\':
			k++
			continue
		case b64Std[c] || c == '=':
			body++
			k++
			last = k
			continue
		case c == ' ' || c == '\t' || c == ':' || c == ',':
			k++
			continue
		case c == '-':
			if bytes.HasPrefix(line[k:], []byte("-----END ")) || bytes.HasPrefix(line[k:], []byte("---- END ")) {
				m := k + 9
				for m < len(line) && (isUpper(line[m]) || isDigit(line[m]) || line[m] == ' ') {
					m++
				}
				for m < len(line) && line[m] == '-' {
					m++
				}
				if body >= 16 {
					sc.add(ks, m, kindPrivateKey, prioBlock)
				}
				return
			}
			k++
			continue
		}
		break
	}
	if body >= 64 {
		sc.add(ks, last, kindPrivateKey, prioBlock)
	}
}

// ppkMatcher: PuTTY private key files start with a PuTTY-User-Key-File line.
type ppkMatcher struct{}

func (ppkMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	if !bytes.HasPrefix(line[ks:], []byte("PuTTY-User-Key-File-")) || len(bytes.TrimLeft(line[:ks], " \t")) != 0 {
		return
	}
	if !sc.begin.ok {
		sc.begin.ok, sc.begin.pos, sc.begin.kind = true, ks, blockPPK
	}
}

// dataOpenMatcher: a Kubernetes Secret's data/stringData block opens.
type dataOpenMatcher struct{}

func (dataOpenMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	t := bytes.TrimRight(line[indent:], " \t\r")
	switch string(t) {
	case "data:":
		sc.open, sc.openIndent = stYAMLData, indent
	case "stringData:":
		sc.open, sc.openIndent = stYAMLStringData, indent
	case `"data": {`, `"stringData": {`:
		sc.open, sc.openIndent = stJSONData, indent
	}
}

// envNameMatcher: a secret's name given as data, with its value next to it:
// `- name: DB_PASSWORD` / `value: ...` (Kubernetes, ECS), `"ParameterKey":
// "DbPassword", "ParameterValue": "..."` (CloudFormation), SSM parameters.
type envNameMatcher struct{}

var envNameKeys = map[string]bool{"name": true, "parametername": true, "parameterkey": true, "variable": true}

var sameLineValue = regexp.MustCompile(`(?i)["']?(?:value|parametervalue)["']?\s*[:=]\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}]+)`)

func (envNameMatcher) match(sc *scanner, ks, ke int) {
	line := sc.line
	ws := ks
	for ws > 0 && isWord(line[ws-1]) {
		ws--
	}
	we := ks
	for we < len(line) && isWord(line[we]) {
		we++
	}
	if !envNameKeys[string(bytes.ToLower(line[ws:we]))] {
		return
	}
	p := we
	if p < len(line) && isQuote(line[p]) {
		p++
	}
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	if p >= len(line) || line[p] != ':' && line[p] != '=' {
		return
	}
	p++
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	var name []byte
	rest := p
	if p < len(line) && isQuote(line[p]) {
		e := closingQuote(line, p+1, line[p])
		if e < 0 {
			return
		}
		name, rest = line[p+1:e], e+1
	} else {
		e := tokenEnd(line, p)
		name, rest = line[p:e], e
	}
	if i := bytes.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if cls, _ := classifyName(name); cls != ncStrong {
		return
	}
	if m := sameLineValue.FindSubmatchIndex(line[rest:]); m != nil {
		s, e := rest+m[2], rest+m[3]
		if isQuote(line[s]) {
			s, e = s+1, e-1
		}
		if e > s && !isPlaceholder(line[s:e]) {
			sc.add(s, e, kindSecret, prioContext)
		}
		return
	}
	sc.envName = true
}

var envValueLine = regexp.MustCompile(`^\s*(?:-\s+)?["']?(?:[Vv]alue|VALUE|ParameterValue|SecretString)["']?\s*[:=]\s*(.*?)\s*,?\s*$`)
