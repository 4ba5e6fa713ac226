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
//
// Check assumes the command's standard input carries no code (/dev/null, as
// a session gives it); see [Fence.CheckInput] and [Fence.CheckJob] for
// commands given input.
func (f *Fence) Check(command string) error {
	return f.check(command, nil)
}

// CheckInput is [Fence.Check] for a command that runs with stdin as its
// standard input. The input is checked as a here-document of the command
// would be: where a statement that reads its standard input from the
// command's (one with no redirection of its own, not in a pipeline) is a
// shell or source reading code from it (bash, sh -s, source /dev/stdin), the
// input is checked as that code, deny_patterns included. Input that is only
// read as data (cat, grep, python3 -) is not checked. An empty stdin is no
// input: CheckInput(c, "") is Check(c).
func (f *Fence) CheckInput(command, stdin string) error {
	if stdin == "" {
		return f.check(command, nil)
	}
	return f.check(command, &stdinSrc{text: &arg{val: stdin, src: stdin, static: true}})
}

// CheckJob is [Fence.Check] for a command started as a job, whose standard
// input is written later, a piece at a time (job_input): a shell or source
// that reads code from it (bash, sh -s, { sh; }, source /dev/stdin) is a
// dynamic command, as curl ... | sh is, since the fence never sees that
// code. Programs that read their own language from it (python3, node) are
// beyond the fence, as their -c code is.
func (f *Fence) CheckJob(command string) error {
	return f.check(command, &stdinSrc{stream: true})
}

// panicReason starts the Reason of a refusal made because the analysis
// itself failed (a bug in the fence or its parser).
const panicReason = "the fence could not analyse the command"

func (f *Fence) check(command string, in *stdinSrc) (err error) {
	if f.Empty() {
		return nil
	}
	defer func() {
		// A parser bug must not take the server down, nor let a command
		// through: refuse it.
		if r := recover(); r != nil {
			err = &Error{Layer: f.firstLayer, Rule: RuleParse, Reason: fmt.Sprintf("%s (%v)", panicReason, r)}
		}
	}()
	if nesting(command) > maxNesting {
		// The parser and the walk recurse once per level: bound the stack
		// before they see the command. No real command nests this deep.
		return &Error{Layer: f.firstLayer, Rule: RuleLimit, Reason: fmt.Sprintf("the command nests brackets more than %d deep", maxNesting)}
	}
	an := &analysis{wantTexts: f.wantTexts}
	an.uses = an.usesBuf[:0]
	if perr := an.source(&scope{src: command, lang: syntax.LangBash, in: in}); perr != nil {
		return &Error{Layer: f.firstLayer, Rule: RuleParse, Reason: "the command does not parse: " + perr.Error()}
	}
	an.resolve()
	input := ""
	if an.inputRead {
		input = in.text.val
	}
	for _, l := range f.layers {
		if e := l.check(command, input, an); e != nil {
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
	uses       []use
	texts      []text // simple commands after quote removal, for deny_patterns
	wantTexts  bool
	defined    map[string]bool // functions and aliases the command defines
	usesBuf    [8]use          // room for a typical command's uses, in one allocation
	inputRead  bool            // a shell reads CheckInput's stdin as code
	vars       map[string]*varInfo
	refs       []varRef   // variables whose values bash evaluates, resolved by resolve
	locals     []localSet // local x=$v, dynamic if x is an array
	escapes    []escape
	localDecls []localDecl
	opaque     bool // the command sources a file, which may set any variable
	fed        map[fedKey]bool
}

// define notes a function or alias defined by the command, whose body the
// fence checks where it is defined.
func (an *analysis) define(name string) {
	if an.defined == nil {
		an.defined = map[string]bool{}
	}
	an.defined[name] = true
}

// defineFunc notes a function the command defines. One named like a shell
// builtin or keyword changes what the builtin does in later commands,
// which the fence reasons about (declare -A, local, read): dynamic.
func (an *analysis) defineFunc(sc *scope, name *syntax.Lit) {
	an.define(name.Value)
	if shellWords[name.Value] {
		an.dynamic(&call{sc: sc, at: sc.where(name)}, name.Value, fmt.Sprintf("a function named %s stands in for the shell's own %s in later commands, where the fence cannot follow it", name.Value, name.Value))
	}
}

// shellWords are bash's builtins and keywords.
var shellWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`. : [ alias bg bind break builtin caller cd command compgen complete compopt
		continue declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs
		kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source
		suspend test times trap true type typeset ulimit umask unalias unset wait
		! case coproc do done elif else esac fi for function if in select then time until while { } [[ ]]`) {
		shellWords[w] = true
	}
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

	// maybe marks text that is only perhaps code (a value assigned to a
	// variable, which bash runs if it is ever evaluated): what it would run
	// is held to deny rules, not to allow lists, and what cannot be
	// analysed in it is no refusal. maybeWhy says why, for errors.
	maybe    bool
	maybeWhy string

	// later names code that runs when the shell gets to it, perhaps in
	// the middle of a later command: a trap's action, an alias, a prompt.
	later string

	// Standard input: the top level's is in (nil: none that carries code);
	// inline code's is that of caller, the command that runs it, unless
	// the code was itself read from standard input (fed), whose reads get
	// the rest of it, already checked.
	in     *stdinSrc
	caller *call
	fed    bool

	file    *syntax.File                  // nil for a word (a prompt, a value)
	parents map[*syntax.Stmt]*syntax.Stmt // built when first needed
	bodies  map[*syntax.Stmt]bool         // function bodies, with parents
	funcs   []span                        // function bodies' offsets
}

// span is a range of offsets in a scope's src.
type span struct{ from, to uint }

func (sp span) has(off uint) bool { return sp.from <= off && off <= sp.to }

func (sc *scope) inFunc(off uint) bool {
	for _, f := range sc.funcs {
		if f.has(off) {
			return true
		}
	}
	return false
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

// parseDocument parses src as bash reads the body of a here-document or
// the inside of double quotes: text with expansions in it.
func parseDocument(src string) (*syntax.Word, error) {
	pool := parsers[syntax.LangBash]
	p := pool.Get().(*syntax.Parser)
	defer pool.Put(p)
	return p.Document(strings.NewReader(src))
}

// source parses src and records every command it would run.
func (an *analysis) source(sc *scope) error {
	f, err := parse(sc.src, sc.lang)
	if err != nil {
		return err
	}
	sc.file = f
	an.walk(sc, f)
	return nil
}

// walk records every command node would run.
func (an *analysis) walk(sc *scope, node syntax.Node) {
	syntax.Walk(node, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.File:
			an.defs(sc, n.Stmts)
		case *syntax.Block:
			an.defs(sc, n.Stmts)
		case *syntax.Subshell:
			an.defs(sc, n.Stmts)
		case *syntax.IfClause:
			an.defs(sc, n.Then)
		case *syntax.WhileClause:
			an.defs(sc, n.Do)
		case *syntax.CaseItem:
			an.defs(sc, n.Stmts)
		case *syntax.CmdSubst:
			an.defs(sc, n.Stmts)
		case *syntax.ProcSubst:
			an.defs(sc, n.Stmts)
		case *syntax.BinaryCmd:
			if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
				sc.markPiped(n.Y)
			}
		case *syntax.Stmt:
			if ce, ok := n.Cmd.(*syntax.CallExpr); ok && (len(ce.Args) > 0 || len(ce.Assigns) > 0) {
				c := &call{sc: sc, at: sc.where(ce), stmt: n}
				for _, as := range ce.Assigns {
					an.assign(c, as, nil)
					if len(ce.Args) == 0 && as.Name != nil {
						an.sets(c, as.Name.Value, as.Pos().Offset())
					}
				}
				if len(ce.Args) > 0 {
					an.argv(c, an.words(c, ce.Args))
				}
			}
		case *syntax.DeclClause:
			c := &call{sc: sc, at: sc.where(n)}
			an.add(c, use{kind: useName, name: n.Variant.Value, word: n.Variant.Value})
			an.decl(c, n)
		case *syntax.FuncDecl:
			// Calls to it need not be in an allow list: its body is
			// checked here.
			if n.Name != nil {
				an.defineFunc(sc, n.Name)
			}
			for _, l := range n.Names {
				an.defineFunc(sc, l)
			}
			if n.Body != nil {
				sc.funcs = append(sc.funcs, span{n.Body.Pos().Offset(), n.Body.End().Offset()})
			}
		case *syntax.LetClause:
			c := &call{sc: sc, at: sc.where(n)}
			an.add(c, use{kind: useName, name: "let", word: "let"})
			for _, x := range n.Exprs {
				an.arith(c, x)
			}
		case *syntax.ArithmExp:
			an.arith(&call{sc: sc, at: sc.where(n)}, n.X)
		case *syntax.ArithmCmd:
			an.arith(&call{sc: sc, at: sc.where(n)}, n.X)
		case *syntax.ForClause:
			an.forClause(sc, n)
		case *syntax.ParamExp:
			an.param(sc, n)
		case *syntax.Assign:
			an.subscripts(sc, n)
		case *syntax.BinaryTest:
			switch n.Op {
			case syntax.TsEql, syntax.TsNeq, syntax.TsLeq, syntax.TsGeq, syntax.TsLss, syntax.TsGtr:
				// [[ ]] evaluates both sides as arithmetic ([ ] and
				// test do not).
				c := &call{sc: sc, at: sc.where(n)}
				for _, x := range []syntax.TestExpr{n.X, n.Y} {
					if w, ok := x.(*syntax.Word); ok {
						an.arithWord(c, w)
					}
				}
			}
		case *syntax.UnaryTest:
			if w, ok := n.X.(*syntax.Word); ok && n.Op == syntax.TsVarSet {
				an.varName(&call{sc: sc, at: sc.where(n)}, wordArg(sc, w), "[[ -v ]]", false)
			}
		}
		return true
	})
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
	if c.sc.maybe {
		// Only perhaps code: what it runs is held to deny rules alone.
		switch u.kind {
		case useDynamic, useLimit, useParse:
			return
		}
		u.maybe = true
		if u.reason == "" {
			u.reason = c.sc.maybeWhy
		}
	}
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
		if v := varArgs[name]; v != nil {
			v(an, c, args)
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
	an.inline(c, code, lang, what, false, "")
}

// codeFed is code for code a shell reads from its standard input.
func (an *analysis) codeFed(c *call, code arg, lang syntax.LangVariant, what string) {
	an.inline(c, code, lang, what, true, "")
}

// codeLater is code for code the shell runs when it gets to it, perhaps in
// the middle of a later command (a trap's action, an alias); later says
// what it is.
func (an *analysis) codeLater(c *call, code arg, lang syntax.LangVariant, what, later string) {
	an.inline(c, code, lang, what, false, later)
}

func (an *analysis) inline(c *call, code arg, lang syntax.LangVariant, what string, fed bool, later string) {
	if c.sc.depth+1 > maxDepth {
		an.add(c, use{kind: useLimit, word: code.src, reason: fmt.Sprintf("inline code is nested more than %d levels deep", maxDepth)})
		return
	}
	if nesting(code.val) > maxNesting {
		an.add(c, use{kind: useLimit, word: code.src, reason: fmt.Sprintf("the code run by %s nests brackets more than %d deep", what, maxNesting)})
		return
	}
	approx := !code.static
	sc := c.sc.inner(c, code.val, lang)
	sc.approx, sc.outer, sc.outerWord, sc.fed = approx, c.at.text(), code.src, fed
	if later != "" {
		sc.later = later
	}
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

// maybeCode records what code that may run later would run (why says when),
// against deny rules alone.
func (an *analysis) maybeCode(c *call, code arg, why string) {
	if c.sc.depth+1 > maxDepth || nesting(code.val) > maxNesting {
		return
	}
	sc := c.sc.inner(c, code.val, syntax.LangBash)
	sc.approx, sc.outer, sc.outerWord = !code.static, c.at.text(), code.src
	if !sc.maybe {
		sc.maybe, sc.maybeWhy = true, why
	}
	_ = an.source(sc) // text that is no code runs nothing
}

// inner returns a scope for code that c runs, one level deeper.
func (sc *scope) inner(c *call, src string, lang syntax.LangVariant) *scope {
	return &scope{src: src, lang: lang, depth: sc.depth + 1, caller: c, maybe: sc.maybe, maybeWhy: sc.maybeWhy, later: sc.laterAt(c)}
}

// laterAt says, for code that c runs in sc, what runs it when the shell
// gets to it, perhaps in the middle of a later command: a function whose
// body c is in, a trap's action, ...; "" for code that runs now.
func (sc *scope) laterAt(c *call) string {
	if sc.later != "" {
		return sc.later
	}
	var n syntax.Node
	switch {
	case c.stmt != nil:
		n = c.stmt
	case c.at.node != nil && c.at.src == sc.src:
		n = c.at.node
	}
	if n != nil && sc.inFunc(n.Pos().Offset()) {
		return "the function"
	}
	return ""
}

// expansions records what text bash expands as it does a double-quoted
// string (a prompt, a value that may be evaluated) would run: its command
// substitutions. With maybe, the text is only perhaps expanded (why says
// when), and what it would run is held to deny rules alone. later, if set,
// says the text is expanded when the shell gets to it (a prompt).
func (an *analysis) expansions(c *call, text, what string, maybe bool, why, later string) {
	if c.sc.depth+1 > maxDepth {
		an.add(c, use{kind: useLimit, word: text, reason: fmt.Sprintf("inline code is nested more than %d levels deep", maxDepth)})
		return
	}
	if nesting(text) > maxNesting {
		an.add(c, use{kind: useLimit, word: text, reason: fmt.Sprintf("%s nests brackets more than %d deep", what, maxNesting)})
		return
	}
	sc := c.sc.inner(c, text, syntax.LangBash)
	if maybe && !sc.maybe {
		sc.maybe, sc.maybeWhy = true, why
	}
	if later != "" {
		sc.later = later
	}
	w, err := parseDocument(text)
	if err != nil {
		an.add(&call{sc: sc, at: c.at}, use{kind: useParse, word: text, reason: fmt.Sprintf("%s does not parse: %v", what, err)})
		return
	}
	an.walk(sc, w)
}

// check applies one layer to the analysis of command. input is standard
// input a shell reads as code, matched by deny_patterns as the command is.
func (l *layer) check(command, input string, an *analysis) *Error {
	for _, u := range an.uses {
		if e := l.checkUse(u); e != nil {
			return e
		}
	}
	for _, p := range l.patterns {
		if loc := p.re.FindStringIndex(command); loc != nil {
			return &Error{Layer: l.name, Rule: "deny_patterns '" + p.src + "'", Word: oneLine(command[loc[0]:loc[1]]), Command: oneLine(command)}
		}
		if input != "" {
			if loc := p.re.FindStringIndex(input); loc != nil {
				return &Error{Layer: l.name, Rule: "deny_patterns '" + p.src + "'", Word: oneLine(input[loc[0]:loc[1]]), Command: "standard input: " + oneLine(input)}
			}
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
