package policy

import "strings"

// Rule names carried by [Error.Rule], besides "deny '<entry>'" and
// "deny_patterns '<pattern>'".
const (
	RuleAllow   = "allow list"      // the program is not in the layer's allow list
	RuleDynamic = "dynamic command" // the program name is only known at run time
	RuleParse   = "parse error"     // the command, or inline code in it, does not parse
	RuleLimit   = "nesting limit"   // too deeply nested (inline code, brackets, wrappers) or too large (a brace expansion) to check
)

// Error is a denial: which layer and rule refused the command, and where.
// [Fence.Check] returns it as a *Error; use errors.As to inspect it.
type Error struct {
	// Layer is "operator" or "session".
	Layer string
	// Rule is what denied the command: "deny 'rm'", "deny_patterns '...'",
	// or one of [RuleAllow], [RuleDynamic], [RuleParse], [RuleLimit].
	Rule string
	// Word is the offending command word: the program name after quote
	// removal and path stripping ("rm"), the text of a dynamic word ("$x"),
	// the inline code that does not parse, or the text a pattern matched.
	// Empty when the whole command does not parse.
	Word string
	// Command is the smallest enclosing simple command, on one line and
	// shortened if long ("xargs rm"). Empty when the whole command does not
	// parse.
	Command string
	// Reason says more when the rule alone does not ("'curl' is not an
	// allowed program"); for a parse error it holds the parser's message.
	Reason string
}

// Error returns one sentence an agent can act on, for example
// "policy: denied by operator deny rule 'rm' (found in: xargs rm)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("policy: ")
	if e.Rule == RuleParse {
		b.WriteString("refused by the ")
		b.WriteString(e.Layer)
		b.WriteString(" policy")
	} else {
		b.WriteString("denied by ")
		b.WriteString(e.Layer)
		b.WriteByte(' ')
		switch {
		case strings.HasPrefix(e.Rule, "deny_patterns "):
			b.WriteString("deny_patterns rule ")
			b.WriteString(strings.TrimPrefix(e.Rule, "deny_patterns "))
		case strings.HasPrefix(e.Rule, "deny "):
			b.WriteString("deny rule ")
			b.WriteString(strings.TrimPrefix(e.Rule, "deny "))
		case e.Rule == RuleDynamic:
			b.WriteString("dynamic command rule")
		default:
			b.WriteString(e.Rule)
		}
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Command != "" {
		b.WriteString(" (found in: ")
		b.WriteString(e.Command)
		b.WriteByte(')')
	}
	return b.String()
}
