// Package shword reads shell words parsed by mvdan.cc/sh.
package shword

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Literal returns a word's value when it is made of literal and quoted
// literal parts only (ls, 'a b', "x"y), else "": a word with an expansion
// has no value before it runs.
func Literal(w *syntax.Word) string {
	if w == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return ""
				}
				b.WriteString(l.Value)
			}
		default:
			return ""
		}
	}
	return b.String()
}
