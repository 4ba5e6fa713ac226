package policy

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// dynMark stands for the run-time value of an expansion ($x, $(cmd), ...)
// in a word's value. When such a value is re-parsed as shell code (eval
// "rm $x"), a name containing dynMark is not known statically.
const dynMark = "\u2026"

// arg is one shell word as the fence sees it.
type arg struct {
	val    string   // value after quote removal; expansions replaced by dynMark
	src    string   // the word as written
	static bool     // val is exactly what the shell will use
	glob   bool     // has unquoted glob syntax: the shell may replace it with file names
	subst  bool     // contains a command or process substitution
	tooBig bool     // a brace expansion too large to expand
	alts   []string // values the word may well have: ${x:-rm} may be rm, $(which rm) is rm's path
}

// quoting contexts for literal text inside a word.
const (
	qNone = iota
	qDouble
	qHeredoc
)

// wordArg computes the arg for w, whose positions refer to sc.src.
func wordArg(sc *scope, w *syntax.Word) arg {
	a := arg{static: true, src: nodeText(sc.src, w)}
	if len(w.Parts) == 1 {
		// The common case, a plain word, needs no copy.
		if l, ok := w.Parts[0].(*syntax.Lit); ok && !strings.ContainsAny(l.Value, `\*?[`) && !(sc.approx && strings.Contains(l.Value, dynMark)) {
			a.val = l.Value
			return a
		}
	}
	var b strings.Builder
	a.parts(&b, w.Parts, qNone)
	a.val = b.String()
	a.alts = alternatives(sc, w)
	if sc.approx && strings.Contains(a.val, dynMark) {
		a.static = false
	}
	if a.glob {
		a.static = false
	}
	return a
}

func (a *arg) parts(b *strings.Builder, parts []syntax.WordPart, q int) {
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			a.lit(b, p.Value, q)
		case *syntax.SglQuoted:
			if p.Dollar {
				b.WriteString(ansiC(p.Value))
			} else {
				b.WriteString(p.Value)
			}
		case *syntax.DblQuoted:
			a.parts(b, p.Parts, qDouble)
		case *syntax.CmdSubst, *syntax.ProcSubst:
			a.static, a.subst = false, true
			b.WriteString(dynMark)
		case *syntax.ExtGlob:
			a.glob = a.glob || q == qNone
			b.WriteString(p.Op.String())
			b.WriteString(p.Pattern.Value)
			b.WriteByte(')')
		default: // *syntax.ParamExp, *syntax.ArithmExp, *syntax.BraceExp
			a.static = false
			b.WriteString(dynMark)
		}
	}
}

// lit appends literal text, removing the backslashes the shell removes in
// quoting context q, and notes unquoted glob syntax.
func (a *arg) lit(b *strings.Builder, s string, q int) {
	if q == qNone && !a.glob {
		a.glob = hasGlob(s)
	}
	if !strings.Contains(s, `\`) {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			n := s[i+1]
			switch {
			case q == qNone,
				n == '\\' || n == '$' || n == '`',
				n == '"' && q == qDouble:
				i++
				c = n
			case n == '\n':
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
}

// alternatives returns the values a word that is one expansion is likely to
// have: the default of ${x:-rm} (or ${x:=rm}, ${x:+rm}), or X in $(which X),
// $(command -v X) and $(type -P X).
func alternatives(sc *scope, w *syntax.Word) []string {
	if len(w.Parts) != 1 {
		return nil
	}
	p := w.Parts[0]
	if dq, ok := p.(*syntax.DblQuoted); ok && len(dq.Parts) == 1 {
		p = dq.Parts[0]
	}
	switch p := p.(type) {
	case *syntax.ParamExp:
		if p.Exp == nil || p.Exp.Word == nil {
			return nil
		}
		switch p.Exp.Op {
		case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull,
			syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
			if d := wordArg(sc, p.Exp.Word); d.static {
				return []string{d.val}
			}
		}
	case *syntax.CmdSubst:
		if len(p.Stmts) != 1 {
			return nil
		}
		ce, ok := p.Stmts[0].Cmd.(*syntax.CallExpr)
		if !ok || len(ce.Args) < 2 {
			return nil
		}
		words := make([]string, len(ce.Args))
		for i, w := range ce.Args {
			a := wordArg(sc, w)
			if !a.static {
				return nil
			}
			words[i] = a.val
		}
		switch {
		case len(words) == 2 && words[0] == "which",
			len(words) == 3 && words[0] == "command" && words[1] == "-v",
			len(words) == 3 && words[0] == "type" && (words[1] == "-P" || words[1] == "-p"):
			return []string{words[len(words)-1]}
		}
	}
	return nil
}

// hasGlob reports whether unquoted literal text s holds glob syntax that the
// shell would expand: an unescaped * or ?, or a bracket expression. A lone
// "[" (the test command) is not one.
func hasGlob(s string) bool {
	open := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			open = true
		case ']':
			if open {
				return true
			}
		}
	}
	return false
}

// ansiC decodes the body of a bash $'...' string.
func ansiC(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'c':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i] & 0x1f)
			}
		case 'x', 'u', 'U':
			digits := 2
			if e == 'u' {
				digits = 4
			} else if e == 'U' {
				digits = 8
			}
			j := i + 1
			for j < len(s) && j-i-1 < digits && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
			if e == 'x' {
				b.WriteByte(byte(n))
			} else if utf8.ValidRune(rune(n)) {
				b.WriteRune(rune(n))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j-i < 3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(n))
			i = j - 1
		default: // \\ \' \" \? and unknown escapes
			if e != '\\' && e != '\'' && e != '"' && e != '?' {
				b.WriteByte('\\')
			}
			b.WriteByte(e)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// progName is the name the fence matches for a command word's value: the
// last path element (/bin/rm, ./rm -> rm), without zsh's leading '='
// (=rm runs the rm found in PATH).
func progName(v string) string {
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimLeft(v, "=")
}

// nodeText returns the source text of n, or "" if its positions do not
// index src.
func nodeText(src string, n syntax.Node) string {
	start, end := n.Pos().Offset(), n.End().Offset()
	if !n.Pos().IsValid() || start > end || end > uint(len(src)) {
		return ""
	}
	return src[start:end]
}

// maxShown is the longest Command or Word put into an Error, in runes.
const maxShown = 200

// oneLine makes s fit in one sentence of an error: white space runs (new
// lines included) become one space, control characters are dropped, and a
// long text is shortened.
func oneLine(s string) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			space = true
			continue
		case r < 0x20 || r == 0x7f:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		if n >= maxShown {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
