package policy

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Variables whose values bash runs as code.
//
// Bash evaluates some data as code: the value of PROMPT_COMMAND before each
// prompt, PS0-PS4 when it shows them and MAILPATH's messages (their command
// substitutions run), BASH_ENV and ENV (expanded, then run as a file) when
// a shell starts, and the value of any variable used in arithmetic, where
// a[$(cmd)] runs cmd. This file finds where a command puts code into such
// places, and where it makes bash evaluate a value it cannot see.

// hookKind says how bash runs a variable's value.
type hookKind uint8

const (
	hookCode   hookKind = iota + 1 // the value is code (PROMPT_COMMAND)
	hookPrompt                     // the value is expanded as a prompt (PS1)
	hookExpand                     // the value is expanded as a double-quoted string is (MAILPATH)
	hookFile                       // the value is expanded, then names a file of code (BASH_ENV)
)

var hooks = map[string]hookKind{
	"PROMPT_COMMAND": hookCode,
	"PS0":            hookPrompt, "PS1": hookPrompt, "PS2": hookPrompt, "PS3": hookPrompt, "PS4": hookPrompt,
	"MAILPATH": hookExpand, "BASH_ENV": hookFile, "ENV": hookFile,
}

// arithVars are the variables whose assigned value bash evaluates as
// arithmetic (RANDOM=$x runs the a[$(cmd)] in $x).
var arithVars = map[string]bool{"RANDOM": true, "SRANDOM": true, "OPTIND": true, "HISTCMD": true}

// numericVars always hold a number: special parameters and read-only
// variables, which no earlier command can have set to anything else.
var numericVars = map[string]bool{"#": true, "?": true, "$": true, "!": true, "PPID": true, "UID": true, "EUID": true}

// varInfo is what the command does to one variable.
type varInfo struct {
	nonNumber bool  // assigned something that may not be a number
	nonName   bool  // assigned something that may be neither a number nor a plain name
	array     bool  // may be an array
	defs      []def // where an assignment has certainly run
}

// def says that in sc, from one offset to another, an assignment to the
// variable has certainly run: the variable holds what the command gave it,
// not what an earlier command left.
type def struct {
	sc *scope
	at span
}

// varRef is a place where bash evaluates a variable's value: as arithmetic,
// or as a variable name (${!x}).
type varRef struct {
	c        *call
	name     string
	off      uint // where, in c.sc.src
	indirect bool
	dynamic  string // for a use known to be dynamic, its reason (name is the word)
}

// escape is an assignment in code that may run in the middle of a later
// command, after that command gave the variable a value the fence relies
// on: a function body, a trap's action, an alias, a prompt.
type escape struct {
	c    *call
	name string
	off  uint
}

// localDecl is local x in a function body at off.
type localDecl struct {
	sc   *scope
	off  uint
	name string
}

// localSet is local x=$v: if x is an array, bash reads $v as a compound
// assignment, which can run code.
type localSet struct {
	c    *call
	name string
	word string
}

func (an *analysis) varInfo(name string) *varInfo {
	if an.vars == nil {
		an.vars = map[string]*varInfo{}
	}
	v := an.vars[name]
	if v == nil {
		v = &varInfo{}
		an.vars[name] = v
	}
	return v
}

// Kinds of value.
const (
	valNumber = iota
	valName
	valOther
)

// assigned notes that the command gives name a value of kind k.
func (an *analysis) assigned(name string, k int) {
	if k == valNumber {
		return
	}
	v := an.varInfo(name)
	v.nonNumber = true
	v.nonName = v.nonName || k == valOther
}

func (an *analysis) setArray(name string) {
	an.varInfo(name).array = true
}

// defs notes the assignments among stmts, a list that runs in order, that
// have certainly run by the end of each statement: plain assignments,
// declarations and arithmetic ones, and those on the left of && and ||
// (let's are not counted).
func (an *analysis) defs(sc *scope, stmts []*syntax.Stmt) {
	if len(stmts) == 0 || sc.maybe {
		return
	}
	end := stmts[len(stmts)-1].End().Offset()
	for _, s := range stmts {
		an.defStmt(sc, s, end)
	}
}

func (an *analysis) defStmt(sc *scope, s *syntax.Stmt, end uint) {
	if s.Background || s.Coprocess {
		return
	}
	switch x := s.Cmd.(type) {
	case *syntax.CallExpr:
		if len(x.Args) > 0 {
			return // prefix assignments last for the command only
		}
		for _, as := range x.Assigns {
			if as.Name != nil && as.Index == nil && !as.Append && !as.Naked {
				an.def(sc, as.Name.Value, as.End().Offset(), end)
			}
		}
	case *syntax.ArithmCmd:
		an.arithDefs(sc, x.X, span{s.End().Offset(), end})
	case *syntax.DeclClause:
		if x.Variant.Value == "local" && !sc.inFunc(s.Pos().Offset()) {
			return // an error: local outside a function
		}
		for _, as := range x.Args {
			if as.Name != nil && as.Index == nil && !as.Append && !as.Naked {
				an.def(sc, as.Name.Value, as.End().Offset(), end)
			}
		}
	case *syntax.BinaryCmd:
		if x.Op == syntax.AndStmt || x.Op == syntax.OrStmt {
			an.defStmt(sc, x.X, end)
		}
	}
}

// maxDefs bounds the assignments kept per variable, so that resolve stays
// linear; a use only the ones dropped would vouch for is dynamic.
const maxDefs = 64

func (an *analysis) def(sc *scope, name string, from, to uint) {
	if shellSet(name) {
		return
	}
	v := an.varInfo(name)
	if len(v.defs) < maxDefs {
		v.defs = append(v.defs, def{sc: sc, at: span{from, to}})
	}
}

// shellSet reports whether bash itself sets name as commands run ($_, the
// last argument; BASH_REMATCH, FUNCNAME, ...), or ignores assignments to
// it: an assignment does not say what it holds later.
func shellSet(name string) bool {
	return name == "_" || name == "FUNCNAME" || name == "GROUPS" || strings.HasPrefix(name, "BASH")
}

// arithDefs notes the variables arithmetic x certainly assigns.
func (an *analysis) arithDefs(sc *scope, x syntax.ArithmExpr, at span) {
	switch x := x.(type) {
	case *syntax.BinaryArithm:
		if x.Op == syntax.Comma {
			an.arithDefs(sc, x.X, at)
			an.arithDefs(sc, x.Y, at)
			return
		}
		if isArithAssign(x.Op) {
			if name := arithName(x.X); name != "" {
				an.def(sc, name, at.from, at.to)
			}
			an.arithDefs(sc, x.Y, at)
		}
	case *syntax.UnaryArithm:
		if x.Op == syntax.Inc || x.Op == syntax.Dec {
			if name := arithName(x.X); name != "" {
				an.def(sc, name, at.from, at.to)
			}
		}
	case *syntax.ParenArithm:
		an.arithDefs(sc, x.X, at)
	}
}

func isArithAssign(op syntax.BinAritOperator) bool {
	switch op {
	case syntax.Assgn, syntax.AddAssgn, syntax.SubAssgn, syntax.MulAssgn, syntax.QuoAssgn, syntax.RemAssgn,
		syntax.AndAssgn, syntax.OrAssgn, syntax.XorAssgn, syntax.ShlAssgn, syntax.ShrAssgn,
		syntax.AndBoolAssgn, syntax.OrBoolAssgn, syntax.XorBoolAssgn, syntax.PowAssgn:
		return true
	}
	return false
}

// arithName returns the variable an arithmetic operand names (x in x=1),
// or "".
func arithName(x syntax.ArithmExpr) string {
	w, ok := x.(*syntax.Word)
	if !ok || len(w.Parts) != 1 {
		return ""
	}
	if l, ok := w.Parts[0].(*syntax.Lit); ok && syntax.ValidName(l.Value) {
		return l.Value
	}
	return ""
}

// decl is the declaration builtin an assignment is an argument of.
type decl struct {
	variant string // declare, local, export, readonly, typeset, nameref
	flags   string // the letters of its -options
	inFunc  bool   // in a function body
	options bool   // options may follow
	named   bool   // a variable has been named
	off     uint   // where it is
}

func (d *decl) has(flags string) bool { return strings.ContainsAny(d.flags, flags) }

// local reports whether the declaration makes function-local variables.
func (d *decl) local() bool {
	return d.variant == "local" || (d.variant == "declare" || d.variant == "typeset") && d.inFunc && !d.has("g")
}

func (d *decl) readonly() bool {
	return d.variant == "readonly" || d.variant != "export" && d.has("r")
}

// decl checks the arguments of declare, local, export, readonly and
// typeset: options, NAME=value words and names.
func (an *analysis) decl(c *call, n *syntax.DeclClause) {
	d := &decl{variant: n.Variant.Value, inFunc: c.sc.inFunc(n.Pos().Offset()), options: true, off: n.Pos().Offset()}
	for _, as := range n.Args {
		if as.Name != nil {
			d.options, d.named = false, true
			an.assign(c, as, d)
			continue
		}
		if as.Value != nil {
			// A word that is no assignment as written: an option, or
			// a quoted "NAME=value" that bash assigns all the same.
			an.declArg(c, d, wordArg(c.sc, as.Value))
		}
	}
	an.declEnd(c, d)
}

// declArgs checks a declaration builtin run as a command word (builtin
// export X=1, command declare ...), whose arguments the parser did not
// read as assignments.
func declArgs(an *analysis, c *call, args []arg) {
	d := &decl{variant: progName(args[0].val), options: true}
	if c.stmt != nil {
		d.off = c.stmt.Pos().Offset()
		d.inFunc = c.sc.inFunc(d.off)
	}
	for _, a := range args[1:] {
		an.declArg(c, d, a)
	}
	an.declEnd(c, d)
}

// declArg checks one argument of a declaration that is no assignment as
// the parser reads it.
func (an *analysis) declArg(c *call, d *decl, a arg) {
	if !a.static {
		an.dynamic(c, a.src, fmt.Sprintf("%s is given a variable or option only known when the command runs; bash may run part of it as code (a subscript, a compound array assignment)", d.variant))
		return
	}
	if d.options && a.val == "--" {
		d.options = false
		return
	}
	if d.options && len(a.val) > 1 && (a.val[0] == '-' || a.val[0] == '+') {
		if a.val[0] == '-' {
			d.flags += a.val[1:]
		}
		return
	}
	d.options, d.named = false, true
	if !d.has("fFp") { // not functions, nor printing
		an.declWord(c, d, a)
	}
}

// declEnd checks the attributes a declaration gives.
func (an *analysis) declEnd(c *call, d *decl) {
	if !d.named || d.variant == "export" || d.variant == "readonly" || d.has("fFp") {
		return
	}
	// Attributes outlive the command: later commands would assign or
	// read through them without the fence seeing why.
	switch {
	case d.variant == "nameref" || d.has("n"):
		an.dynamic(c, d.variant+" -n", fmt.Sprintf("%s -n makes a name stand for another variable, also in later commands, where the fence cannot follow it", d.variant))
	case d.has("i"):
		an.dynamic(c, d.variant+" -i", fmt.Sprintf("%s -i makes bash evaluate every value later assigned to the variable as arithmetic, which can run commands (a[$(cmd)]), also in later commands, where the fence cannot see it", d.variant))
	}
}

// declWord checks a static declaration argument that the parser did not
// read as an assignment: NAME, NAME=value, NAME+=value, NAME[sub]=value.
func (an *analysis) declWord(c *call, d *decl, a arg) {
	lhs, val, isSet := strings.Cut(a.val, "=")
	partial := strings.HasSuffix(lhs, "+")
	lhs = strings.TrimSuffix(lhs, "+")
	name, sub, hasSub := strings.Cut(lhs, "[")
	if !syntax.ValidName(name) {
		return // bash refuses it
	}
	if hasSub {
		an.arithText(c, strings.TrimSuffix(sub, "]"), 0)
		an.setArray(name)
	}
	if !isSet {
		an.declName(c, d, name, a.src)
		return
	}
	an.declSets(c, d, name, d.off)
	mode := modeWhole
	switch {
	case hasSub && partial:
		mode = modeAppend
	case hasSub:
		mode = modeIndex
	case partial:
		mode = modeAppend
	}
	an.setValue(c, d, name, arg{val: val, src: a.src, static: true}, nil, mode)
	an.assigned(name, kindOf(nil, arg{val: val, static: true}))
}

// declSets notes that a declaration gives name a value.
func (an *analysis) declSets(c *call, d *decl, name string, off uint) {
	if d.local() {
		an.local(c, name, off)
	} else {
		an.sets(c, name, off)
	}
}

// declName checks a name declared without a value.
func (an *analysis) declName(c *call, d *decl, name, src string) {
	if d == nil {
		return
	}
	if d.local() {
		an.local(c, name, d.off)
	}
	if d.has("aA") {
		an.setArray(name)
	}
	if d.readonly() {
		an.dynamic(c, src, fmt.Sprintf("%s %s keeps a value given earlier, which later commands cannot change and the fence cannot see; give it a number here (%s %s=1)", d.variant, name, d.variant, name))
	}
}

// assign checks an assignment: NAME=value, NAME[i]=value, NAME=(...), as a
// command or a prefix of one, or an argument of a declaration (d).
func (an *analysis) assign(c *call, as *syntax.Assign, d *decl) {
	if as.Name == nil {
		return
	}
	name := as.Name.Value
	if as.Naked {
		an.declName(c, d, name, name)
		return
	}
	if d != nil {
		an.declSets(c, d, name, as.Pos().Offset())
	}
	if d != nil && d.has("aA") {
		an.setArray(name)
	}
	if as.Array != nil {
		an.setArray(name)
		k := valNumber
		for _, el := range as.Array.Elems {
			if el.Value == nil {
				continue
			}
			v := wordArg(c.sc, el.Value)
			an.setValue(c, d, name, v, el.Value, modeElem)
			k = max(k, kindOf(el.Value, v))
		}
		if d != nil && d.readonly() && k != valNumber {
			an.dynamic(c, name, fmt.Sprintf("%s %s keeps a value, which later commands cannot change and the fence cannot see; give it numbers", d.variant, name))
		}
		an.assigned(name, k)
		return
	}
	if as.Index != nil {
		an.setArray(name)
	}
	v := arg{static: true}
	if as.Value != nil {
		v = wordArg(c.sc, as.Value)
	}
	mode := modeWhole
	switch {
	case as.Append:
		mode = modeAppend
	case as.Index != nil:
		mode = modeIndex
	}
	an.setValue(c, d, name, v, as.Value, mode)
	an.assigned(name, kindOf(as.Value, v))
}

// How a value is assigned.
const (
	modeWhole  = iota // x=v
	modeAppend        // x+=v: v is not the whole value
	modeIndex         // x[i]=v
	modeElem          // an element of x=(...)
)

// setValue checks the value v (as written: w, nil if only text) given to
// name, as mode says.
func (an *analysis) setValue(c *call, d *decl, name string, v arg, w *syntax.Word, mode int) {
	if k := hooks[name]; k != 0 {
		an.hook(c, name, v, mode == modeAppend)
		return
	}
	maybe := true // the value is only perhaps evaluated
	if arithVars[name] || d != nil && d.has("i") && d.variant != "export" {
		// Evaluated as arithmetic now.
		if w != nil {
			an.arithWord(c, w)
		} else {
			an.arithText(c, v.val, 0)
		}
		maybe = false
	}
	if d != nil {
		if d.readonly() && mode != modeElem && kindOf(w, v) != valNumber {
			an.dynamic(c, name, fmt.Sprintf("%s %s keeps a value, which later commands cannot change and the fence cannot see; give it a number here (%s %s=1)", d.variant, name, d.variant, name))
		}
		// declare -i is dynamic already, for a plainer reason.
		compound := (d.variant != "export" && d.variant != "readonly" || d.has("aA")) && !d.has("i") && (mode == modeWhole || mode == modeAppend)
		switch {
		case !compound:
		case !v.static && d.local() && !d.has("aA"):
			// Compound only if name is an array here, which the
			// whole command must be seen to say.
			an.locals = append(an.locals, localSet{c: c, name: name, word: v.src})
		case !v.static:
			an.dynamic(c, v.src, fmt.Sprintf("%s %s=%s: if %s is an array, bash reads the value as a compound assignment, which can run commands; the value is only known when the command runs", d.variant, name, oneLine(v.src), name))
		case strings.HasPrefix(v.val, "("):
			// declare -a x='([0]=$(cmd))' runs cmd.
			code := name + "=" + v.val
			if _, err := parse(code, syntax.LangBash); err == nil {
				an.code(c, arg{val: code, src: v.src, static: true}, syntax.LangBash, d.variant+" "+name)
				maybe = false
			}
		}
	}
	if maybe && v.static && (strings.Contains(v.val, "$(") || strings.Contains(v.val, "`")) {
		an.expansions(c, v.val, "the value of "+name, true,
			fmt.Sprintf("the value given to %s holds code, which bash runs if the value is evaluated (in arithmetic, by eval, as a prompt)", name), "")
	}
}

// hook checks a value given to a variable bash runs (hooks); appended
// says it is added to the variable's value (+=).
func (an *analysis) hook(c *call, name string, v arg, appended bool) {
	switch hooks[name] {
	case hookCode:
		if appended {
			// Appended to a value the fence does not know: what it
			// joins is partly unknown.
			v.val, v.static = dynMark+v.val, false
		}
		an.codeLater(c, v, syntax.LangBash, name, name)
	case hookPrompt, hookExpand:
		if !v.static || appended {
			an.dynamic(c, v.src, fmt.Sprintf("%s is set to text only known when the command runs; bash expands it, command substitutions included, when it uses it", name))
		}
		text := v.val
		if hooks[name] == hookPrompt {
			text = decodePrompt(text)
		}
		if strings.ContainsAny(text, "$`") {
			an.expansions(c, text, name, false, "", name)
		}
	case hookFile:
		if v.static && v.val == "" {
			return
		}
		an.dynamic(c, v.src, fmt.Sprintf("%s names a file of code that shells run when they start; the fence cannot see it", name))
		if strings.ContainsAny(v.val, "$`") {
			an.expansions(c, v.val, name, false, "", "")
		}
	}
}

// decodePrompt applies the backslash escapes bash decodes in a prompt before
// expanding it: \NNN (octal) gives any character, including $ and `, which
// are then expanded; \$ and \\ stay quoted; the others give text.
func decodePrompt(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch ch := s[i]; {
		case i+2 < len(s) && isOctal(ch) && isOctal(s[i+1]) && isOctal(s[i+2]):
			b.WriteByte((ch-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0'))
			i += 2
		case ch == '[' || ch == ']':
		case ch == '$':
			b.WriteString(`\$`)
		case ch == '\\':
			b.WriteByte('\\')
		case ch == 'D' && i+1 < len(s) && s[i+1] == '{':
			if j := strings.IndexByte(s[i:], '}'); j >= 0 {
				i += j
			}
			b.WriteByte('x')
		default:
			b.WriteByte('x')
		}
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// isNumber reports whether s, as arithmetic, is a constant: empty (0), or a
// token that starts with a digit (12, 0x1f, 2#101; a bad one is an error,
// never a variable), with an optional sign.
func isNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return true
	}
	if s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) && s[i] != '#' && s[i] != '@' {
			return false
		}
	}
	return true
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// kindOf says what a value certainly is: w as written (nil: only the text
// v, or nothing), v after quote removal.
func kindOf(w *syntax.Word, v arg) int {
	switch {
	case w != nil && isNumericWord(w), w == nil && v.static && isNumber(v.val):
		return valNumber
	case v.static && syntax.ValidName(v.val):
		return valName
	}
	return valOther
}

// isNumericWord reports whether w certainly expands to a number: digits,
// $((...)), ${#x}, $?, $#, ...
func isNumericWord(w *syntax.Word) bool {
	var b strings.Builder
	var ok func(parts []syntax.WordPart) bool
	ok = func(parts []syntax.WordPart) bool {
		for _, p := range parts {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				if !ok(p.Parts) {
					return false
				}
			case *syntax.ArithmExp:
				b.WriteByte('0')
			case *syntax.ParamExp:
				if !p.Length && !(p.Param != nil && numericVars[p.Param.Value] && plainParam(p)) {
					return false
				}
				b.WriteByte('0')
			default:
				return false
			}
		}
		return true
	}
	return ok(w.Parts) && isNumber(b.String())
}

// plainParam reports whether p only expands a variable: $x, ${x}.
func plainParam(p *syntax.ParamExp) bool {
	return !p.Excl && !p.Length && p.Index == nil && p.Slice == nil && p.Repl == nil && p.Names == 0 && p.Exp == nil && p.NestedParam == nil
}

// forClause checks a for or select loop: its variable takes the words'
// values; a C-style loop's expressions are arithmetic.
func (an *analysis) forClause(sc *scope, n *syntax.ForClause) {
	an.defs(sc, n.Do)
	c := &call{sc: sc, at: sc.where(n)}
	switch l := n.Loop.(type) {
	case *syntax.WordIter:
		name := l.Name.Value
		if n.Select {
			an.assigned("REPLY", valOther)
			an.sets(c, "REPLY", n.Pos().Offset())
		}
		k := valNumber
		if !l.InPos.IsValid() {
			k = valOther // "$@"
		}
		for _, a := range an.words(c, l.Items) {
			switch {
			case a.static && isNumber(a.val):
			case a.static && syntax.ValidName(a.val):
				k = max(k, valName)
			default:
				k = valOther
			}
			if hooks[name] != 0 || arithVars[name] {
				if arithVars[name] {
					an.arithText(c, a.val, 0)
				}
				an.setValue(c, nil, name, a, nil, modeWhole)
			}
		}
		an.assigned(name, k)
		an.sets(c, name, n.Pos().Offset())
		if !sc.maybe {
			an.def(sc, name, l.End().Offset(), n.End().Offset())
		}
	case *syntax.CStyleLoop:
		for _, x := range []syntax.ArithmExpr{l.Init, l.Cond, l.Post} {
			if x != nil {
				an.arith(c, x)
			}
		}
		if l.Init != nil && !sc.maybe {
			an.arithDefs(sc, l.Init, span{l.Init.End().Offset(), n.End().Offset()})
		}
	}
}

// param checks a parameter expansion: its subscript and slice are
// arithmetic, ${!x} reads the variable x names, ${x@P} expands x as a
// prompt, and ${x:=v} assigns.
func (an *analysis) param(sc *scope, n *syntax.ParamExp) {
	if n.Param == nil {
		return
	}
	name := n.Param.Value
	if n.Index != nil && !isAllIndex(n.Index) {
		an.arith(&call{sc: sc, at: sc.where(n)}, n.Index)
	}
	if n.Slice != nil {
		c := &call{sc: sc, at: sc.where(n)}
		for _, x := range []syntax.ArithmExpr{n.Slice.Offset, n.Slice.Length} {
			if x != nil {
				an.arith(c, x)
			}
		}
	}
	if n.Excl && n.Names == 0 && !(n.Index != nil && isAllIndex(n.Index)) {
		// ${!x}: the value of x names the variable to expand, and a
		// subscript in it is arithmetic.
		c := &call{sc: sc, at: sc.where(n)}
		if n.Index != nil {
			an.dynamic(c, nodeText(sc.src, n), "the variable it expands is named by an array element, only known when the command runs; bash evaluates a subscript in that name as arithmetic, which can run commands")
		} else {
			an.ref(c, name, n.Pos().Offset(), true)
		}
	}
	if n.Exp == nil {
		return
	}
	switch n.Exp.Op {
	case syntax.OtherParamOps:
		if n.Exp.Word != nil && strings.Contains(wordArg(sc, n.Exp.Word).val, "P") {
			an.dynamic(&call{sc: sc, at: sc.where(n)}, nodeText(sc.src, n),
				fmt.Sprintf("${%s@P} expands the value of %s as a prompt, which runs the command substitutions in it; the value is only known when the command runs", name, name))
		}
	case syntax.AssignUnset, syntax.AssignUnsetOrNull:
		c := &call{sc: sc, at: sc.where(n)}
		v := arg{static: true}
		if n.Exp.Word != nil {
			v = wordArg(sc, n.Exp.Word)
		}
		an.setValue(c, nil, name, v, n.Exp.Word, modeWhole)
		an.assigned(name, kindOf(n.Exp.Word, v))
		an.sets(c, name, n.Pos().Offset())
	}
}

// isAllIndex reports whether a subscript is @ or *: all elements.
func isAllIndex(x syntax.ArithmExpr) bool {
	w, ok := x.(*syntax.Word)
	if !ok || len(w.Parts) != 1 {
		return false
	}
	l, ok := w.Parts[0].(*syntax.Lit)
	return ok && (l.Value == "@" || l.Value == "*")
}

// subscripts checks the subscripts of an assignment, a[i]=v and
// a=([i]=v): arithmetic, since the fence cannot be sure a is associative
// (declare -A may have been in a subshell, or a function of an earlier
// command may stand in for declare).
func (an *analysis) subscripts(sc *scope, as *syntax.Assign) {
	if as.Name == nil || as.Index == nil && as.Array == nil {
		return
	}
	c := &call{sc: sc, at: sc.where(as)}
	if as.Index != nil {
		an.arith(c, as.Index)
	}
	if as.Array != nil {
		for _, el := range as.Array.Elems {
			if el.Index != nil {
				an.arith(c, el.Index)
			}
		}
	}
}

// arith checks an arithmetic expression: the variables whose values it
// evaluates. array names the array x subscripts, if it is one.
func (an *analysis) arith(c *call, x syntax.ArithmExpr) {
	switch x := x.(type) {
	case *syntax.BinaryArithm:
		if isArithAssign(x.Op) {
			if name := lvalueName(x.X); name != "" {
				an.sets(c, name, x.Pos().Offset())
			}
		}
		if x.Op != syntax.Assgn || lvalueName(x.X) == "" {
			// x = ... does not read x; x += ... does.
			an.arith(c, x.X)
		}
		an.arith(c, x.Y)
	case *syntax.UnaryArithm:
		if x.Op == syntax.Inc || x.Op == syntax.Dec {
			if name := lvalueName(x.X); name != "" {
				an.sets(c, name, x.Pos().Offset())
			}
		}
		an.arith(c, x.X)
	case *syntax.ParenArithm:
		an.arith(c, x.X)
	case *syntax.Word:
		an.arithWord(c, x)
	}
}

// lvalueName returns the variable x names as assigned in arithmetic (x in
// x = 1, a in a[i] = 1), or "".
func lvalueName(x syntax.ArithmExpr) string {
	if name := arithName(x); name != "" {
		return name
	}
	w, ok := x.(*syntax.Word)
	if !ok || len(w.Parts) != 1 {
		return ""
	}
	if p, ok := w.Parts[0].(*syntax.ParamExp); ok && p.Short && p.Index != nil && !p.Dollar.IsValid() && p.Param != nil {
		return p.Param.Value
	}
	return ""
}

// arithWord checks a word whose expansion bash evaluates as arithmetic.
func (an *analysis) arithWord(c *call, w *syntax.Word) {
	var parts func([]syntax.WordPart)
	parts = func(ps []syntax.WordPart) {
		for _, p := range ps {
			switch p := p.(type) {
			case *syntax.Lit:
				an.arithText(c, p.Value, p.Pos().Offset())
			case *syntax.SglQuoted:
				v := p.Value
				if p.Dollar {
					v = ansiC(v)
				}
				an.arithText(c, v, p.Pos().Offset())
			case *syntax.DblQuoted:
				parts(p.Parts)
			case *syntax.ParamExp:
				an.arithParam(c, p)
			case *syntax.CmdSubst, *syntax.ProcSubst:
				an.later(c, nodeText(c.sc.src, p), "arithmetic evaluates the output of this substitution, which is only known when the command runs and can run commands (a[$(cmd)])")
			}
		}
	}
	parts(w.Parts)
}

// arithParam checks an expansion whose value bash evaluates as arithmetic.
func (an *analysis) arithParam(c *call, p *syntax.ParamExp) {
	if p.Length || p.Param == nil && p.NestedParam == nil {
		return
	}
	if p.Excl || p.Param == nil {
		an.dynamic(c, nodeText(c.sc.src, p), "arithmetic evaluates the value of a variable named at run time, which can run commands (a[$(cmd)])")
		return
	}
	an.ref(c, p.Param.Value, p.Pos().Offset(), false)
	if p.Exp != nil && p.Exp.Word != nil {
		switch p.Exp.Op {
		case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull,
			syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
			an.arithWord(c, p.Exp.Word)
		}
	}
}

// arithText checks text bash evaluates as arithmetic: the variables it
// names, and what its expansions run. off is where it is in c.sc.src.
func (an *analysis) arithText(c *call, s string, off uint) {
	if strings.ContainsAny(s, "$`") {
		// Expanded, then evaluated: a[$(cmd)] runs cmd.
		an.expansions(c, s, "the arithmetic "+oneLine(s), false, "", "")
		s = strings.Map(func(r rune) rune {
			if r == '$' || r == '`' {
				return ' '
			}
			return r
		}, s)
	}
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			// A constant: 12, 0x1f, 64#Az@_.
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '#' || s[i] == '@') {
				i++
			}
		case isIdentChar(ch):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			an.ref(c, s[i:j], off, false)
			i = j
		default:
			i++
		}
	}
}

// ref notes that bash evaluates the value of name: as arithmetic, or
// (indirect) as the name of a variable.
func (an *analysis) ref(c *call, name string, off uint, indirect bool) {
	if c.sc.maybe || numericVars[name] {
		return
	}
	an.refs = append(an.refs, varRef{c: c, name: name, off: off, indirect: indirect})
}

// known reports whether the value bash evaluates at r is one the command
// certainly gave it, and harmless: a number (or, for ${!x}, a plain name).
func (an *analysis) known(r varRef) bool {
	v := an.vars[r.name]
	if v == nil || v.nonName || !r.indirect && v.nonNumber || an.opaque {
		return false
	}
	for _, d := range v.defs {
		if d.sc == r.c.sc && d.at.has(r.off) && sameCall(d.sc, d.at.from, r.off) {
			return true
		}
	}
	return false
}

// sameCall reports whether an assignment at def has run before a use at
// use every time the use runs: not so if the use is in a function body
// the assignment is outside of, since a later command may call the
// function.
func sameCall(sc *scope, def, use uint) bool {
	for _, f := range sc.funcs {
		if f.has(use) && !f.has(def) {
			return false
		}
	}
	return true
}

// sets notes that c assigns name, at off in c.sc.src: where that code may
// run in the middle of a later command (a function, a trap), the variable
// must be local to it.
func (an *analysis) sets(c *call, name string, off uint) {
	if c.sc.maybe || c.sc.later == "" && !c.sc.inFunc(off) {
		return
	}
	an.escapes = append(an.escapes, escape{c: c, name: name, off: off})
}

// local notes local name (or declare in a function) at off.
func (an *analysis) local(c *call, name string, off uint) {
	an.localDecls = append(an.localDecls, localDecl{sc: c.sc, off: off, name: name})
}

// innermostFunc returns the body of the innermost function defined in sc
// around off.
func innermostFunc(sc *scope, off uint) (span, bool) {
	var in span
	found := false
	for _, f := range sc.funcs {
		if f.has(off) && (!found || f.from >= in.from) {
			in, found = f, true
		}
	}
	return in, found
}

// later records a dynamic use after the others: what the command runs
// inside the same words ($(( $(rm x) ))) is reported first.
func (an *analysis) later(c *call, word, reason string) {
	if !c.sc.maybe {
		an.refs = append(an.refs, varRef{c: c, name: word, dynamic: reason})
	}
}

// resolve turns the variables whose values bash evaluates, and which the
// command does not certainly set, into dynamic uses.
func (an *analysis) resolve() {
	for _, r := range an.refs {
		if r.dynamic != "" {
			an.dynamic(r.c, r.name, r.dynamic)
			continue
		}
		if an.known(r) {
			continue
		}
		reason := fmt.Sprintf("arithmetic evaluates the value of %s, which is only known when the command runs and can run commands (%s='a[$(cmd)]'); give %s a number in this command first", r.name, r.name, r.name)
		if r.indirect {
			reason = fmt.Sprintf("${!%s} expands the variable %s names, and bash evaluates a subscript in that name as arithmetic, which can run commands; the value of %s is only known when the command runs", r.name, r.name, r.name)
		}
		an.dynamic(r.c, r.name, reason)
	}
	for _, e := range an.escapes {
		f, inFunc := innermostFunc(e.c.sc, e.off)
		if inFunc && an.isLocal(e.c.sc, f, e.name) {
			continue
		}
		what := "the function"
		if !inFunc {
			what = e.c.sc.later
		}
		an.dynamic(e.c, e.name, fmt.Sprintf("%s sets %s, and can run in the middle of a later command, after that command gave %s a value; the fence could not know what %s holds then (make it local)", what, e.name, e.name, e.name))
	}
	for _, l := range an.locals {
		if v := an.vars[l.name]; v != nil && v.array {
			an.dynamic(l.c, l.word, fmt.Sprintf("%s is an array, so bash reads the value %s as a compound assignment, which can run commands; the value is only known when the command runs", l.name, oneLine(l.word)))
		}
	}
}

// isLocal reports whether name is declared local in the function body f.
func (an *analysis) isLocal(sc *scope, f span, name string) bool {
	for _, l := range an.localDecls {
		if l.sc == sc && l.name == name && f.has(l.off) {
			if in, _ := innermostFunc(sc, l.off); in == f {
				return true
			}
		}
	}
	return false
}

// varName checks a word a builtin takes as a variable name (read NAME,
// printf -v NAME, [[ -v NAME ]]): a subscript in it is arithmetic. sets
// says the builtin assigns the variable a value the fence cannot know.
func (an *analysis) varName(c *call, a arg, what string, sets bool) {
	if !a.static {
		an.later(c, a.src, fmt.Sprintf("%s is given a variable name only known when the command runs; bash evaluates a subscript in it (a[$(cmd)]) as arithmetic, which can run commands", what))
		return
	}
	name, sub, hasSub := strings.Cut(a.val, "[")
	if hasSub {
		an.arithText(c, strings.TrimSuffix(sub, "]"), 0)
	}
	if !sets || !syntax.ValidName(name) {
		return
	}
	if hasSub {
		an.setArray(name)
	}
	an.assigned(name, valOther)
	if c.stmt != nil {
		an.sets(c, name, c.stmt.Pos().Offset())
	}
	switch {
	case hooks[name] != 0:
		an.dynamic(c, a.src, fmt.Sprintf("%s sets %s, which bash runs, to a value only known when the command runs", what, name))
	case arithVars[name]:
		an.dynamic(c, a.src, fmt.Sprintf("%s sets %s, whose value bash evaluates as arithmetic, to a value only known when the command runs", what, name))
	}
}

// varArgs maps the builtins that take variable names as arguments to how
// to find them: bash evaluates a subscript in a name (read 'a[$(cmd)]')
// as arithmetic, and the variables read and the like set get values the
// fence cannot know.
var varArgs map[string]func(an *analysis, c *call, args []arg)

func init() {
	varArgs = map[string]func(an *analysis, c *call, args []arg){
		"read": func(an *analysis, c *call, args []arg) {
			o := opts{arg: "adinNptu"}
			i, found, _ := o.parse(args, false)
			array := false
			for _, f := range found {
				if f.name == "-a" && f.val != nil {
					array = true
					an.varName(c, *f.val, "read -a", true)
					if f.val.static {
						an.setArray(f.val.val)
					}
				}
			}
			for _, a := range args[i:] {
				an.varName(c, a, "read", true)
			}
			if i == len(args) && !array {
				an.varName(c, arg{val: "REPLY", src: "read", static: true}, "read", true)
			}
		},
		"printf": func(an *analysis, c *call, args []arg) {
			o := opts{arg: "v"}
			_, found, _ := o.parse(args, false)
			for _, f := range found {
				if f.name == "-v" && f.val != nil {
					an.varName(c, *f.val, "printf -v", true)
				}
			}
		},
		"mapfile":   mapfileVars,
		"readarray": mapfileVars,
		"getopts": func(an *analysis, c *call, args []arg) {
			if len(args) >= 3 {
				an.varName(c, args[2], "getopts", true)
				an.varName(c, arg{val: "OPTARG", src: "getopts", static: true}, "getopts", true)
			}
		},
		"wait": func(an *analysis, c *call, args []arg) {
			o := opts{arg: "p"}
			_, found, _ := o.parse(args, false)
			for _, f := range found {
				if f.name == "-p" && f.val != nil {
					an.varName(c, *f.val, "wait -p", false)
				}
			}
		},
		"unset": func(an *analysis, c *call, args []arg) {
			o := opts{}
			i, found, _ := o.parse(args, false)
			for _, f := range found {
				if f.name == "-f" {
					return
				}
			}
			for _, a := range args[i:] {
				an.varName(c, a, "unset", false)
			}
		},
		"test": testVars,
		"[":    testVars,

		"declare": declArgs, "typeset": declArgs, "local": declArgs, "export": declArgs, "readonly": declArgs,
	}
}

func mapfileVars(an *analysis, c *call, args []arg) {
	o := opts{arg: "dnOsuCc"}
	i, _, _ := o.parse(args, false)
	name := arg{val: "MAPFILE", src: args[0].src, static: true}
	if i < len(args) {
		name = args[i]
	}
	an.varName(c, name, progName(args[0].val), true)
	if name.static {
		an.setArray(name.val)
	}
}

// testVars checks test -v NAME, which evaluates a subscript in NAME.
func testVars(an *analysis, c *call, args []arg) {
	for i := 1; i+1 < len(args); i++ {
		if args[i].static && args[i].val == "-v" {
			an.varName(c, args[i+1], "test -v", false)
		}
	}
}
