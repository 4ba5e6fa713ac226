package policy

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/pattern"
	"mvdan.cc/sh/v3/syntax"
)

// Bounds on one check. Inline code (bash -c, eval, ...) deeper than maxDepth,
// or a brace expansion in a command larger than maxBraceWords, is not
// analysed: a layer with rules denies it rather than guess.
const (
	maxDepth      = 8
	maxBraceWords = 256
	maxCandidates = 8    // words after a dynamic program word that may be the program
	maxNesting    = 1000 // brackets open at once; deeper is refused before parsing
	maxHops       = 64   // wrappers (sudo, xargs, find -exec, ...) in one simple command
)

// Check reports whether command may run: nil, or a *Error naming the layer,
// the rule and the offending command word. A command that does not parse is
// refused with the parser's message (it would not run correctly anyway),
// unless the fence is empty, in which case every command is accepted without
// parsing. Check the exact text the shell will be given: the fence reads it
// as bash does (a CR before a newline, say, is part of the last word).
func (f *Fence) Check(command string) (err error) {
	if f.Empty() {
		return nil
	}
	defer func() {
		// A parser bug must not take the server down, nor let a command
		// through: refuse it.
		if r := recover(); r != nil {
			err = &Error{Layer: f.firstLayer, Rule: RuleParse, Reason: fmt.Sprintf("the fence could not analyse the command (%v)", r)}
		}
	}()
	if nesting(command) > maxNesting {
		// The parser and the walk recurse once per level: bound the stack
		// before they see the command. No real command nests this deep.
		return &Error{Layer: f.firstLayer, Rule: RuleLimit, Reason: fmt.Sprintf("the command nests brackets more than %d deep", maxNesting)}
	}
	an := &analysis{wantTexts: f.wantTexts}
	an.uses = an.usesBuf[:0]
	if perr := an.source(&scope{src: command, lang: syntax.LangBash}); perr != nil {
		return &Error{Layer: f.firstLayer, Rule: RuleParse, Reason: "the command does not parse: " + perr.Error()}
	}
	for _, l := range f.layers {
		if e := l.check(command, an); e != nil {
			return e
		}
	}
	return nil
}

// useKind says what the fence learnt about one command word.
type useKind uint8

const (
	useName    useKind = iota // a program name known statically
	useGlob                   // a name given as a glob pattern (/bin/r?)
	useDynamic                // a program (or code) known only at run time
	useLimit                  // too deep or too large to analyse
	useParse                  // inline code that does not parse
)

// use is one command word the program would run.
type use struct {
	kind    useKind
	maybe   bool           // follows a dynamic word: may be the program, may be an argument
	bare    bool           // runs no program of its own: exec alone, a function the command defines
	partial bool           // useGlob: a partly dynamic name rather than a glob
	name    string         // useName, useGlob: the program name
	glob    *regexp.Regexp // useGlob: the name as a pattern; nil if it may match anything
	word    string         // as written, for the Error
	at      where          // the enclosing simple command
	reason  string
}

// where locates a simple command for an Error; its text is only made when
// a command is refused.
type where struct {
	src   string      // the text node's positions refer to
	node  syntax.Node // nil: use fixed
	fixed string      // already one line
}

func (w where) text() string {
	if w.node == nil {
		return w.fixed
	}
	return oneLine(nodeText(w.src, w.node))
}

// analysis collects what one command would run.
type analysis struct {
	uses      []use
	texts     []text // simple commands after quote removal, for deny_patterns
	wantTexts bool
	defined   map[string]bool // functions and aliases the command defines
	usesBuf   [8]use          // room for a typical command's uses, in one allocation
}

// define notes a function or alias defined by the command, whose body the
// fence checks where it is defined.
func (an *analysis) define(name string) {
	if an.defined == nil {
		an.defined = map[string]bool{}
	}
	an.defined[name] = true
}

type text struct {
	s  string
	at where
}

// scope is one parsed piece of shell code: the command, or inline code
// found in it.
type scope struct {
	src    string // the text positions refer to
	lang   syntax.LangVariant
	depth  int
	approx bool   // src holds dynMark placeholders: its names are partly unknown
	outer  string // for approx code, the command it came from
	// outerWord is, for approx code, the word the code came from.
	outerWord string
	piped     map[*syntax.Stmt]bool
}

// call is one simple command being analysed.
type call struct {
	sc       *scope
	at       where // the command's text, for errors
	stmt     *syntax.Stmt
	appended bool   // the program gets more arguments at run time (xargs)
	replace  string // a replace string (find's {}, xargs -I) standing for run-time text
	noStdin  bool   // stdin is not the statement's (xargs gives /dev/null)
	hops     int    // wrappers looked through so far
}

var parsers = map[syntax.LangVariant]*sync.Pool{}

func init() {
	for _, l := range []syntax.LangVariant{syntax.LangBash, syntax.LangZsh, syntax.LangMirBSDKorn} {
		parsers[l] = &sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(l)) }}
	}
}

func parse(src string, lang syntax.LangVariant) (*syntax.File, error) {
	pool := parsers[lang]
	p := pool.Get().(*syntax.Parser)
	defer pool.Put(p)
	return p.Parse(strings.NewReader(src), "")
}

// source parses src and records every command it would run.
func (an *analysis) source(sc *scope) error {
	f, err := parse(sc.src, sc.lang)
	if err != nil {
		return err
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.BinaryCmd:
			if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
				sc.markPiped(n.Y)
			}
		case *syntax.Stmt:
			if ce, ok := n.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
				c := &call{sc: sc, at: sc.where(ce), stmt: n}
				an.argv(c, an.words(c, ce.Args))
			}
		case *syntax.DeclClause:
			an.add(&call{sc: sc, at: sc.where(n)}, use{kind: useName, name: n.Variant.Value, word: n.Variant.Value})
		case *syntax.FuncDecl:
			// Calls to it need not be in an allow list: its body is
			// checked here.
			if n.Name != nil {
				an.define(n.Name.Value)
			}
			for _, l := range n.Names {
				an.define(l.Value)
			}
		case *syntax.LetClause:
			an.add(&call{sc: sc, at: sc.where(n)}, use{kind: useName, name: "let", word: "let"})
		}
		return true
	})
	return nil
}

func (sc *scope) where(n syntax.Node) where {
	if sc.approx {
		return where{fixed: sc.outer}
	}
	return where{src: sc.src, node: n}
}

// markPiped notes that s reads its standard input from a pipe, and so do
// the statements that inherit it.
func (sc *scope) markPiped(s *syntax.Stmt) {
	if s == nil {
		return
	}
	if sc.piped == nil {
		sc.piped = map[*syntax.Stmt]bool{}
	}
	sc.piped[s] = true
	switch c := s.Cmd.(type) {
	case *syntax.BinaryCmd:
		sc.markPiped(c.X)
		if c.Op != syntax.Pipe && c.Op != syntax.PipeAll {
			sc.markPiped(c.Y)
		}
	case *syntax.Block:
		for _, s := range c.Stmts {
			sc.markPiped(s)
		}
	case *syntax.Subshell:
		for _, s := range c.Stmts {
			sc.markPiped(s)
		}
	}
}

func (an *analysis) add(c *call, u use) {
	u.at = c.at
	an.uses = append(an.uses, u)
}

func (an *analysis) dynamic(c *call, word, reason string) {
	an.add(c, use{kind: useDynamic, word: word, reason: reason})
}

// words computes the args of a command's words, performing brace expansion
// ({rm,x} y runs rm x y).
func (an *analysis) words(c *call, ws []*syntax.Word) []arg {
	args := make([]arg, 0, len(ws))
	for _, w := range ws {
		if !hasBrace(w) {
			args = append(args, an.wordArg(c, w))
			continue
		}
		cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
		if !syntax.SplitBraces(cp) {
			args = append(args, an.wordArg(c, w))
			continue
		}
		src, start := nodeText(c.sc.src, w), len(args)
		for bw, err := range expand.BracesSeq(nil, cp) {
			if err != nil || len(args)-start >= maxBraceWords {
				// Too large to expand here. That only matters if the
				// word is a program name: argv refuses it then.
				a := an.wordArg(c, w)
				a.static, a.tooBig = false, true
				args = append(args[:start], a)
				break
			}
			a := wordArg(c.sc, bw)
			a.src = src
			args = append(args, a)
		}
	}
	return args
}

func (an *analysis) wordArg(c *call, w *syntax.Word) arg {
	a := wordArg(c.sc, w)
	if c.replace != "" && strings.Contains(a.val, c.replace) {
		a.val = strings.ReplaceAll(a.val, c.replace, dynMark)
		a.static = false
	}
	return a
}

func hasBrace(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.Contains(l.Value, "{") {
			return true
		}
	}
	return false
}

// argv records the program args would run and looks through it when it is
// a wrapper (sudo rm), an interpreter (bash -c 'rm') or a builtin that runs
// code (eval 'rm').
func (an *analysis) argv(c *call, args []arg) {
	maybe := false
	for len(args) > 0 {
		w := args[0]
		name := progName(w.val)
		unknown := name == "" || strings.Contains(name, dynMark) || w.tooBig
		glob := w.glob && !unknown && (hasGlob(name) || strings.Contains(name, "("))
		if !w.static && (unknown || glob) {
			word := w.src
			if c.sc.approx {
				word = c.sc.outerWord
			}
			switch {
			case w.tooBig:
				an.add(c, use{kind: useLimit, word: w.src, reason: fmt.Sprintf("the brace expansion %s yields more than %d words", oneLine(w.src), maxBraceWords)})
			case glob:
				an.add(c, use{kind: useGlob, maybe: maybe, name: name, glob: globRegexp(name), word: word,
					reason: "the program name is a file name pattern, only resolved when the command runs; write the name literally"})
			case strings.Trim(name, dynMark) != "":
				// Partly known (r$x, "$(true)"rm): deny entries it can
				// become are denied.
				an.add(c, use{kind: useGlob, maybe: maybe || c.sc.approx, partial: true, name: name, glob: partialRegexp(name, w.glob), word: word,
					reason: "the program name is only known when the command runs; write it literally"})
			case !c.sc.approx && !maybe:
				// In approximated code the caller reports the code itself.
				an.dynamic(c, w.src, "the program name is only known when the command runs; write it literally")
			}
			for _, alt := range w.alts {
				an.add(c, use{kind: useName, maybe: true, name: progName(alt), word: progName(alt),
					reason: fmt.Sprintf("%s can be %s when the command runs", oneLine(word), alt)})
			}
			// The word may expand to nothing, or to a wrapper such as sudo
			// -u root: the words after it may be the program. The first
			// that is not an option is followed as a command; the next few
			// are checked against deny rules.
			for j := 1; j < len(args) && j <= maxCandidates; j++ {
				if a := args[j]; a.static && !strings.HasPrefix(a.val, "-") {
					an.add(c, use{kind: useName, maybe: true, name: progName(a.val), word: progName(a.val)})
				}
			}
			j := 1
			for j < len(args) && args[j].static && (strings.HasPrefix(args[j].val, "-") || isAssign(args[j].val)) {
				j++
			}
			args, maybe = args[j:], true
			continue
		}
		// A static name, or a name whose directory alone is dynamic
		// ("$HOME"/bin/rm runs rm).
		if name == "" {
			return
		}
		// exec, command and builtin with no command run nothing (exec
		// >log only redirects): an allow list need not name them.
		bare := len(args) == 1 && (name == "exec" || name == "command" || name == "builtin") || an.defined[name]
		an.add(c, use{kind: useName, maybe: maybe, bare: bare, name: name, word: name})
		if an.wantTexts {
			an.text(c, name, args[1:])
		}
		h := handlers[name]
		if h == nil {
			return
		}
		if c.hops++; c.hops > maxHops {
			an.add(c, use{kind: useLimit, word: name, reason: fmt.Sprintf("more than %d wrappers run one another", maxHops)})
			return
		}
		c, args = h(an, c, args)
	}
}

func (an *analysis) text(c *call, name string, rest []arg) {
	var b strings.Builder
	n := len(name)
	for _, a := range rest {
		n += 1 + max(len(a.val), len(a.src))
	}
	b.Grow(n)
	b.WriteString(name)
	for _, a := range rest {
		b.WriteByte(' ')
		if a.static {
			b.WriteString(a.val)
		} else {
			b.WriteString(a.src)
		}
	}
	an.texts = append(an.texts, text{s: b.String(), at: c.at})
}

func isAssign(s string) bool {
	i := strings.IndexByte(s, '=')
	return i > 0 && syntax.ValidName(s[:i])
}

// code records what inline shell code would run: the argument of bash -c,
// eval's words, a trap's action. what names where it came from, for errors.
func (an *analysis) code(c *call, code arg, lang syntax.LangVariant, what string) {
	if c.sc.depth+1 > maxDepth {
		an.add(c, use{kind: useLimit, word: code.src, reason: fmt.Sprintf("inline code is nested more than %d levels deep", maxDepth)})
		return
	}
	approx := !code.static
	sc := &scope{src: code.val, lang: lang, depth: c.sc.depth + 1, approx: approx, outer: c.at.text(), outerWord: code.src}
	err := an.source(sc)
	if err != nil && lang != syntax.LangBash {
		// The fence's zsh and ksh grammars are narrower than the shells':
		// bash's reading of the same text is still worth checking.
		sc.lang = syntax.LangBash
		err = an.source(sc)
	}
	switch {
	case approx:
		an.dynamic(c, code.src, fmt.Sprintf("the code run by %s is built when the command runs; write it literally", what))
	case err != nil:
		an.add(c, use{kind: useParse, word: code.src, reason: fmt.Sprintf("the code run by %s does not parse: %v", what, err)})
	}
}

// check applies one layer to the analysis of command.
func (l *layer) check(command string, an *analysis) *Error {
	for _, u := range an.uses {
		if e := l.checkUse(u); e != nil {
			return e
		}
	}
	for _, p := range l.patterns {
		if loc := p.re.FindStringIndex(command); loc != nil {
			return &Error{Layer: l.name, Rule: "deny_patterns '" + p.src + "'", Word: oneLine(command[loc[0]:loc[1]]), Command: oneLine(command)}
		}
		for _, t := range an.texts {
			if loc := p.re.FindStringIndex(t.s); loc != nil {
				return &Error{Layer: l.name, Rule: "deny_patterns '" + p.src + "'", Word: oneLine(t.s[loc[0]:loc[1]]), Command: t.at.text()}
			}
		}
	}
	return nil
}

func (l *layer) checkUse(u use) *Error {
	deny := func(rule, reason string) *Error {
		return &Error{Layer: l.name, Rule: rule, Word: oneLine(u.word), Command: u.at.text(), Reason: reason}
	}
	switch u.kind {
	case useName:
		if entry, ok := l.deny[fold(u.name)]; ok {
			reason := u.reason
			if u.maybe && reason == "" {
				reason = fmt.Sprintf("a word before %s is only known when the command runs, so %s may be the program", u.word, u.word)
			}
			return deny("deny '"+entry+"'", reason)
		}
		if l.allow != nil && !u.maybe && !u.bare && !inert[u.name] {
			if _, ok := l.allow[u.name]; !ok {
				return deny(RuleAllow, fmt.Sprintf("'%s' is not an allowed program", u.name))
			}
		}
	case useGlob:
		for _, d := range l.denyFolded {
			if u.glob == nil || u.glob.MatchString(d) {
				how := "the pattern %s can run %s"
				if u.partial {
					how = "the program name %s can be %s when the command runs"
				}
				return deny("deny '"+l.deny[d]+"'", fmt.Sprintf(how, oneLine(u.word), l.deny[d]))
			}
		}
		if l.dynamicDeny && !u.maybe {
			return deny(RuleDynamic, u.reason)
		}
	case useDynamic:
		if l.dynamicDeny {
			return deny(RuleDynamic, u.reason)
		}
	case useLimit:
		return deny(RuleLimit, u.reason)
	case useParse:
		return deny(RuleParse, u.reason)
	}
	return nil
}

// globRegexp compiles a program name given as a glob (r?, @(rm|cp)) for
// matching deny entries, or returns nil if it cannot be expressed (a
// negation such as !(ls) may match anything).
func globRegexp(name string) *regexp.Regexp {
	expr, err := pattern.Regexp(name, pattern.EntireString|pattern.ExtendedOperators|pattern.NoGlobCase|pattern.Filenames)
	if err != nil {
		return nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	return re
}

// partialRegexp matches what a partly dynamic name can become: each
// dynMark may be any text. glob says the known parts hold glob syntax.
func partialRegexp(name string, glob bool) *regexp.Regexp {
	parts := strings.Split(name, dynMark)
	for i, p := range parts {
		if !glob {
			parts[i] = pattern.QuoteMeta(p, 0)
		}
	}
	return globRegexp(strings.Join(parts, "*"))
}

// nesting returns the deepest run of open brackets in s, quotes ignored: an
// upper bound on how deep the parser will recurse.
func nesting(s string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
			deepest = max(deepest, depth)
		case ')', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}
