package redact

// matcher is one rule's verifier. The prefilter calls match for each
// occurrence [ks, ke) of one of the rule's keywords in the current line
// (sc.line); match appends findings with sc.add. A matcher is shared by every
// goroutine using the Redactor and must not keep state of its own.
type matcher interface {
	match(sc *scanner, ks, ke int)
}

// keyword is one prefilter entry. exact keywords are verified byte for byte
// after the case-folded prefilter reports them.
type keyword struct {
	text     string
	exact    bool
	plen     int // the matched prefix handed to matchers: text[:plen]
	matchers []matcher
}

// Priorities decide the kind shown when findings overlap.
const (
	prioGeneric = 10
	prioContext = 20
	prioShape   = 30
	prioBlock   = 40
	prioValue   = 50
)

// Kinds shared by several rules; provider rules name their own.
const (
	kindPrivateKey = "private-key"
	kindPassword   = "password"
	kindSecret     = "secret"
	kindToken      = "token"
	kindAuthHeader = "auth-header"
	kindBasicAuth  = "basic-auth"
	kindCookie     = "cookie"
	kindURLCreds   = "url-credentials"
	kindK8sSecret  = "k8s-secret"
	kindValue      = "declared-value"
)

// scanner holds the per-line scratch state of one proc.
type scanner struct {
	r     *Redactor
	line  []byte
	base  int // offset of line in the proc's text
	finds []finding
	hits  []hit
	gen   uint32
	done  []uint32 // per line rule: gen when it last ran on this line

	lastName int // start of the last name the assignment matcher examined

	// Signals for the engine's cross-line state.
	begin struct {
		ok   bool
		pos  int
		kind blockKind
	}
	open       stateMode // this line opens a Secret data block
	openIndent int
	envName    bool      // this line names a secret whose value follows
	wrap       wrapState // this line ends inside a wrapped base64 value
	next       lineState // state after this line, from the current state
}

// run scans one line (or window) at offset base of the text.
func (sc *scanner) run(line []byte, base int) {
	sc.hits = sc.r.pf.scan(line, sc.hits[:0])
	sc.runHits(line, base, sc.hits, base)
}

// runHits verifies the keyword hits of a line. hits come from a scan that
// started at offset hbase of the text; keywords that begin before the
// line are ignored.
func (sc *scanner) runHits(line []byte, base int, hits []hit, hbase int) {
	sc.line, sc.base = line, base
	sc.finds = sc.finds[:0]
	sc.gen++
	if sc.gen == 0 {
		clear(sc.done)
		sc.gen = 1
	}
	sc.lastName = -1
	sc.begin.ok = false
	sc.open = stNone
	sc.envName = false
	sc.wrap = wrapState{}
	for _, h := range hits {
		ks := h.start + hbase - base
		if ks < 0 {
			continue
		}
		kw := &sc.r.keywords[h.id]
		end := ks + len(kw.text)
		if end > len(line) {
			continue
		}
		if kw.exact && string(line[ks:end]) != kw.text {
			continue
		}
		for _, m := range kw.matchers {
			m.match(sc, ks, ks+kw.plen)
		}
	}
}

// add records the line span [s, e) as a secret.
func (sc *scanner) add(s, e int, kind string, prio int) {
	if e <= s {
		return
	}
	sc.finds = append(sc.finds, finding{start: sc.base + s, end: sc.base + e, kind: kind, prio: prio})
}

// once reports whether the line rule id has not yet run on this line, and
// marks it as run.
func (sc *scanner) once(id int) bool {
	if sc.done[id] == sc.gen {
		return false
	}
	sc.done[id] = sc.gen
	return true
}
