package redact

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode"
	"unsafe"
)

// Replacement is what a secret becomes when [Options.KindTags] is off.
const Replacement = "[REDACTED]"

// MinValueLen is the shortest declared value that is redacted. Shorter
// values (and empty ones) are ignored: redacting every "abc" would wreck the
// output and protect nothing. Values shorter than 8 bytes are redacted only
// where they stand as a whole word, so a 5-letter password does not eat
// every word that contains it.
const MinValueLen = 4

// Limits on declared values, so a misconfiguration cannot build an
// prefilter of unbounded size.
const (
	maxValues     = 4096
	maxValueBytes = 1 << 20
	maxValueLen   = overlap // a longer value could not be seen whole in a window
)

// Options configures a Redactor. The zero value (or a nil *Options) means
// every built-in rule and the plain [Replacement].
type Options struct {
	// Values are secrets the operator declares (an SSH password given at
	// session open, the values of variables named in EXECKIT_MCP_SECRET_ENV).
	// Each is redacted wherever it appears: as is, base64-encoded (standard
	// and URL alphabets, at any alignment inside a longer base64 string,
	// on one line or wrapped across several), URL-encoded and JSON-escaped
	// (the hex digits of escapes in either case). A value with several
	// lines is declared line by line. Lines shorter than [MinValueLen]
	// bytes, or longer than 8 KiB, are ignored. Zero value: none.
	Values []string `json:"values,omitempty"`

	// KindTags names the rule in each replacement, "[REDACTED:aws-key]"
	// instead of "[REDACTED]". Zero value: off.
	KindTags bool `json:"kind_tags,omitempty"`
}

// Redactor replaces secrets in text. It is immutable after [New] and safe
// for concurrent use by any number of goroutines.
type Redactor struct {
	pf        *prefilter
	keywords  []keyword
	lineRules []*lineRule
	kindTags  bool
	pool      sync.Pool
	forms     []string // every form of every declared value, for Partial
}

// ErrTooManyValues is returned by [New] when the declared values exceed
// 4096 entries or 1 MiB in total.
var ErrTooManyValues = errors.New("redact: too many declared secret values")

// New builds a Redactor. A nil opts means the defaults.
func New(opts *Options) (*Redactor, error) {
	if opts == nil {
		opts = &Options{}
	}
	r := &Redactor{kindTags: opts.KindTags}
	var g registry
	g.index = make(map[kwKey]int)
	r.lineRules = builtinRules(&g)
	n, total := 0, 0
	for _, v := range opts.Values {
		for _, line := range strings.Split(v, "\n") {
			line = strings.TrimSuffix(line, "\r")
			if len(line) < MinValueLen || len(line) > maxValueLen {
				continue
			}
			n++
			total += len(line)
			if n > maxValues || total > maxValueBytes {
				return nil, fmt.Errorf("%w (limit %d values, %d bytes)", ErrTooManyValues, maxValues, maxValueBytes)
			}
			for _, f := range valueForms(line) {
				r.forms = f.register(&g, r.forms)
			}
		}
	}
	r.keywords = g.kws
	words := make([]string, len(g.kws))
	for i, k := range g.kws {
		words[i] = k.text
	}
	r.pf = buildPrefilter(words)
	r.pool.New = func() any {
		p := &proc{}
		p.init(r)
		return p
	}
	return r, nil
}

// String redacts s, returning the result and the number of secrets
// replaced. When nothing is replaced the result is s itself.
func (r *Redactor) String(s string) (string, int) {
	// The engine only reads its input, so s is not copied.
	out, n := r.run(unsafe.Slice(unsafe.StringData(s), len(s)))
	if n == 0 {
		return s, 0
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), n
}

// Partial redacts s, the start of a line still being written, for showing it
// live (a prompt, a progress bar). Beyond what String does, it holds back
// what may be the first part of a secret whose rest has not arrived: a
// trailing run of non-space characters (a token that a shape rule matches
// only once complete) and any end of s that begins a declared value in one
// of its forms. What it returns is a prefix of String's result.
func (r *Redactor) Partial(s string) (string, int) {
	out, n := r.String(s)
	out = out[:strings.LastIndexFunc(out, unicode.IsSpace)+1]
	for _, f := range r.forms {
		// The earliest position where out's end could begin f.
		for j := max(0, len(out)-len(f)+1); j < len(out); j++ {
			if out[j] == f[0] && strings.HasPrefix(f, out[j:]) {
				out = out[:j]
				break
			}
		}
	}
	return out, n
}

// Bytes redacts b, returning a new slice and the number of secrets replaced.
// b is not modified.
func (r *Redactor) Bytes(b []byte) ([]byte, int) {
	out, n := r.run(b)
	if n == 0 {
		return bytes.Clone(b), 0
	}
	return out, n
}

// run redacts all of b. The output is a new buffer that nothing else
// references (so String can hand it out as a string), or nil when nothing
// was replaced.
func (r *Redactor) run(b []byte) ([]byte, int) {
	p := r.pool.Get().(*proc)
	defer r.pool.Put(p)
	p.reset()
	p.whole = true
	p.out = nil
	p.step(b, 0, true)
	out := p.out
	p.out = nil
	if p.count == 0 {
		return nil, 0
	}
	return out, p.count
}

func (p *proc) reset() {
	p.out = p.out[:0]
	p.count = 0
	p.block = p.block.closed()
	p.st = lineState{scalarIndent: -1}
	p.forceTail = false
	p.wrap = wrapState{}
}

func (r *Redactor) appendReplacement(out []byte, kind string) []byte {
	if !r.kindTags || kind == "" {
		return append(out, Replacement...)
	}
	out = append(out, "[REDACTED:"...)
	out = append(out, kind...)
	return append(out, ']')
}

// ValuesFromEnv returns the values of the named environment variables, for
// [Options.Values]. Names are trimmed of blanks; empty names and unset or
// empty variables are skipped, so the MCP server can pass
// strings.Split(os.Getenv("EXECKIT_MCP_SECRET_ENV"), ",") directly.
func ValuesFromEnv(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if v, ok := os.LookupEnv(n); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// registry collects keywords and the matchers they trigger.
type kwKey struct {
	text  string
	exact bool
}

type registry struct {
	index map[kwKey]int
	kws   []keyword
}

func (g *registry) add(text string, exact bool, m matcher) {
	g.addPrefix(text, len(text), exact, m)
}

// addExpanded registers text (exact), extended to 4 bytes with each byte
// of cont: the prefilter needs 4-byte keywords, and a short one followed by
// any other byte could not match anyway.
func (g *registry) addExpanded(text string, plen int, cont *charset, m matcher) {
	g.addExpandedFold(text, plen, true, cont, m)
}

func (g *registry) addExpandedFold(text string, plen int, exact bool, cont *charset, m matcher) {
	if len(text) >= 4 {
		g.addPrefix(text, plen, exact, m)
		return
	}
	for c := 0; c < 256; c++ {
		if cont[c] && (exact || !isUpper(byte(c))) {
			g.addExpandedFold(text+string([]byte{byte(c)}), plen, exact, cont, m)
		}
	}
}

// addShort registers a keyword (case-insensitive) of 3 bytes that only
// matters when followed by a byte in cont.
func (g *registry) addShort(text string, cont *charset, m matcher) {
	if cont == nil {
		cont = csAnyButNL
	}
	g.addExpandedFold(text, len(text), false, cont, m)
}

// addPrefix registers text as a keyword whose first plen bytes are what the
// matcher is told matched (so a 2-byte prefix can be registered as several
// 3-byte keywords).
func (g *registry) addPrefix(text string, plen int, exact bool, m matcher) {
	k := kwKey{text: text, exact: exact}
	if !exact {
		k.text = strings.ToLower(text)
	}
	i, ok := g.index[k]
	if !ok {
		i = len(g.kws)
		g.index[k] = i
		g.kws = append(g.kws, keyword{text: k.text, exact: exact, plen: plen})
	}
	g.kws[i].matchers = append(g.kws[i].matchers, m)
}

var (
	builtinOnce   sync.Once
	builtinPrefix []*prefixRule
	builtinLine   []*lineRule
)

// builtinRules registers every built-in rule and returns the line rules.
func builtinRules(g *registry) []*lineRule {
	builtinOnce.Do(func() {
		builtinPrefix = prefixRules()
		builtinLine = lineRules()
	})
	for _, r := range builtinPrefix {
		for _, p := range r.prefixes {
			// A prefix shorter than 4 bytes is entered once per possible
			// continuation, which keeps the prefilter precise.
			g.addExpanded(p, len(p), r.body, r)
		}
	}
	for _, r := range builtinLine {
		for _, k := range r.keywords {
			if len(k) < 4 {
				g.addShort(k, r.cont, r)
				continue
			}
			g.add(k, false, r)
		}
	}
	for _, k := range []string{"pass", "pwd", "_pw", "secret", "token", "key", "auth", "credential", "cred", "_pat", "pat=", "pat:", "sig"} {
		if len(k) < 4 {
			g.addShort(k, csNameCont, assignMatcher{})
			continue
		}
		g.add(k, false, assignMatcher{})
	}
	g.add("authorization", false, authHeaderMatcher{})
	g.add("bearer", false, bearerMatcher{})
	g.add("basic", false, basicMatcher{})
	g.add("cookie", false, cookieMatcher{})
	g.addShort("://", csURLCont, urlMatcher{})
	g.add("-----begin ", false, pemMatcher{})
	g.add("---- begin ", false, pemMatcher{})
	g.add("putty-user-key-file-", false, ppkMatcher{})
	g.add("data:", false, dataOpenMatcher{})
	g.add(`data":`, false, dataOpenMatcher{})
	for _, k := range []string{"name:", `name":`, `name" :`, "name =", "name=", `key":`, `key" :`} {
		g.add(k, false, envNameMatcher{})
	}
	return builtinLine
}
