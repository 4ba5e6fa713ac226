package policy

import (
	"fmt"

	"mvdan.cc/sh/v3/syntax"
)

// stdinSrc is where a statement's standard input comes from. The zero
// value is input that carries no code the fence could see (/dev/null, a
// file, a terminal).
type stdinSrc struct {
	sc     *scope           // the scope redir is in
	redir  *syntax.Redirect // a redirection: a here-document, a file, ...
	piped  bool             // a pipe
	fn     bool             // the standard input a function is called with
	stream bool             // a job's input, written later
	text   *arg             // the input given to CheckInput
}

// stdinOf returns where the standard input of c's statement comes from:
// its own redirection, else that of the statements that enclose it (a
// group, a loop, a command substitution), else a pipe, else the input of
// the command that runs the code it is in (bash -c '...' <<< x), and at the
// top, the command's own.
func (an *analysis) stdinOf(c *call) stdinSrc {
	for {
		if c.noStdin || c.stmt == nil {
			return stdinSrc{}
		}
		sc := c.sc
		for s := c.stmt; s != nil; s = sc.parent(s) {
			if r := inRedirect(s); r != nil {
				return stdinSrc{sc: sc, redir: r}
			}
			if sc.piped[s] {
				return stdinSrc{piped: true}
			}
			if sc.bodies[s] {
				// f() { ...; } <in: every call reads in.
				if p := sc.parent(s); p != nil {
					if r := inRedirect(p); r != nil {
						return stdinSrc{sc: sc, redir: r}
					}
				}
				// Whatever the caller gives, at worst the command's own.
				top := sc
				for top.caller != nil {
					top = top.caller.sc
				}
				in := stdinSrc{fn: true}
				if top.in != nil {
					in.text = top.in.text
				}
				return in
			}
		}
		switch {
		case sc.fed:
			return stdinSrc{}
		case sc.caller == nil:
			if sc.in != nil {
				return *sc.in
			}
			return stdinSrc{}
		}
		c = sc.caller
	}
}

// inRedirect returns the redirection that gives s its standard input, if
// any: the last one, as the shell applies them in order.
func inRedirect(s *syntax.Stmt) *syntax.Redirect {
	var in *syntax.Redirect
	for _, r := range s.Redirs {
		if r.N != nil && r.N.Value != "0" {
			continue
		}
		switch r.Op {
		case syntax.RdrIn, syntax.RdrInOut, syntax.DplIn, syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			in = r
		}
	}
	return in
}

// parent returns the statement that encloses s, or nil.
func (sc *scope) parent(s *syntax.Stmt) *syntax.Stmt {
	if sc.file == nil {
		return nil
	}
	if sc.parents == nil {
		sc.parents = map[*syntax.Stmt]*syntax.Stmt{}
		sc.bodies = map[*syntax.Stmt]bool{}
		var stack []syntax.Node
		syntax.Walk(sc.file, func(n syntax.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			switch n := n.(type) {
			case *syntax.Stmt:
				for i := len(stack) - 1; i >= 0; i-- {
					if p, ok := stack[i].(*syntax.Stmt); ok {
						sc.parents[n] = p
						break
					}
				}
			case *syntax.FuncDecl:
				if n.Body != nil {
					sc.bodies[n.Body] = true
				}
			}
			stack = append(stack, n)
			return true
		})
	}
	return sc.parents[s]
}

// stdinCode records the code a shell (or source) reads from its standard
// input: a here-document, a here-string or the command's input is checked,
// a pipe, a process substitution or a job's input is dynamic, a file is
// opaque.
func (an *analysis) stdinCode(c *call, lang syntax.LangVariant, name string) {
	in := an.stdinOf(c)
	switch {
	case in.fn:
		an.dynamic(c, name, fmt.Sprintf("%s runs code it reads from the standard input its function is called with", name))
		if in.text != nil && an.once(c, in.text, lang) {
			an.inputRead = true
			an.codeFed(c, *in.text, lang, name+" reading the standard input")
		}
	case in.piped:
		an.dynamic(c, name, fmt.Sprintf("%s runs code it reads from a pipe when the command runs", name))
	case in.stream:
		an.dynamic(c, name, fmt.Sprintf("%s runs code written to the job's input later", name))
	case in.text != nil:
		if an.once(c, in.text, lang) {
			an.inputRead = true
			an.codeFed(c, *in.text, lang, name+" reading the standard input")
		}
	case in.redir == nil:
	case !an.once(c, in.redir, lang):
		// Checked already, for another statement that reads it: { bash;
		// bash; } <<EOF.
	case in.redir.Op == syntax.Hdoc || in.redir.Op == syntax.DashHdoc:
		if in.redir.Hdoc != nil {
			an.codeFed(c, heredoc(in.sc, in.redir), lang, name+" <<")
		}
	case in.redir.Op == syntax.WordHdoc:
		an.codeFed(c, wordArg(in.sc, in.redir.Word), lang, name+" <<<")
	default:
		if a := wordArg(in.sc, in.redir.Word); a.subst {
			an.dynamic(c, a.src, fmt.Sprintf("%s runs code that a substitution produces when the command runs", name))
		}
	}
}

// once reports whether the input from (a redirection, the command's input)
// is read as code in lang, by c, for the first time: each is checked once, however
// many statements read it.
func (an *analysis) once(c *call, from any, lang syntax.LangVariant) bool {
	k := fedKey{from, lang, c.sc.maybe}
	if an.fed[k] {
		return false
	}
	if an.fed == nil {
		an.fed = map[fedKey]bool{}
	}
	an.fed[k] = true
	return true
}

type fedKey struct {
	from  any
	lang  syntax.LangVariant
	maybe bool // read by perhaps-code, checked against deny rules alone
}
