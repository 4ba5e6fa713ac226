package execkit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/execkit/execkit/internal/shword"
	"mvdan.cc/sh/v3/syntax"
)

// The frame around each command calls a few shell builtins and keeps the
// shell's own stdout and stderr on high descriptors (frame.go). A command
// that takes one of those away would leave the frame without its end
// marker, and the session waiting until the timeout kills the shell. The
// few plain ways to do that are refused before anything runs:
//
//   - a function named like a builtin the frame calls (builtin, eval,
//     printf in bash; command in sh): a function wins over a builtin, even
//     called as \builtin;
//   - an alias for { or }, which the trailer's group uses;
//   - enable -n or -d of builtin, eval or printf (bash);
//   - exec redirecting or closing a descriptor the frame keeps (252 to 254
//     in bash, 8 and 9 in sh).
//
// Anything the shell only learns while running (eval "$code", a sourced
// file) is not seen: such a command still ends the session when its time
// is up, with a reason that says so.

// frameWords lists, per dialect, the builtins a function may not shadow.
var frameWords = map[shellKind][]string{
	kindBash:  {"builtin", "eval", "printf"},
	kindPOSIX: {"command"},
}

// guard returns a *CommandError for a command that would break the frame,
// or nil. It parses only commands that mention a word it looks for.
func (d *dialect) guard(command string) error {
	if !d.mayBreakFrame(command) {
		return nil
	}
	lang := syntax.LangPOSIX
	if d.kind == kindBash {
		lang = syntax.LangBash
	}
	f, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(command), "")
	if err != nil {
		return nil // the shell gives its own syntax error
	}
	var found error
	syntax.Walk(f, func(n syntax.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.FuncDecl:
			for _, w := range frameWords[d.kind] {
				if n.Name.Value == w {
					found = &CommandError{Reason: fmt.Sprintf("it defines a function named %s, which would replace the builtin the session's framing calls after every command", w)}
				}
			}
		case *syntax.Stmt:
			found = d.guardStmt(n)
		}
		return true
	})
	return found
}

func (d *dialect) mayBreakFrame(command string) bool {
	words := append([]string{"exec", "alias"}, frameWords[d.kind]...)
	if d.kind == kindBash {
		words = append(words, "enable")
	}
	for _, w := range words {
		if strings.Contains(command, w) {
			return true
		}
	}
	return false
}

func (d *dialect) guardStmt(st *syntax.Stmt) error {
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) == 0 {
		return nil
	}
	words := call.Args
	name := func(w *syntax.Word) string { return strings.ReplaceAll(shword.Literal(w), `\`, "") }
	// command exec, builtin exec: the same exec.
	for len(words) > 1 && (name(words[0]) == "command" || name(words[0]) == "builtin") {
		words = words[1:]
	}
	switch name(words[0]) {
	case "exec":
		kept := func(fd string) bool { return fd == d.out || fd == d.err || (d.kind == kindBash && fd == "252") }
		for _, r := range st.Redirs {
			fd := ""
			switch {
			case r.N != nil && kept(r.N.Value):
				fd = r.N.Value
			case r.Op == syntax.DplOut || r.Op == syntax.DplIn:
				// 3>&253- moves the kept descriptor away, closing it.
				if v := shword.Literal(r.Word); strings.HasSuffix(v, "-") && kept(strings.TrimSuffix(v, "-")) {
					fd = strings.TrimSuffix(v, "-")
				}
			}
			if fd != "" {
				return &CommandError{Reason: fmt.Sprintf("exec redirects descriptor %s, which the session's framing keeps for itself; use another descriptor number", fd)}
			}
		}
	case "alias":
		for _, w := range words[1:] {
			if v := name(w); strings.HasPrefix(v, "{=") || strings.HasPrefix(v, "}=") {
				return &CommandError{Reason: fmt.Sprintf("alias %s would change the braces the session's framing uses", strconv.Quote(v[:1]))}
			}
		}
	case "enable":
		if d.kind != kindBash {
			return nil
		}
		disabling := false
		for _, w := range words[1:] {
			if a := name(w); strings.HasPrefix(a, "-") && strings.ContainsAny(a, "nd") {
				disabling = true
			}
		}
		if !disabling {
			return nil
		}
		for _, w := range words[1:] {
			v := name(w)
			for _, fw := range frameWords[kindBash] {
				if v == fw {
					return &CommandError{Reason: fmt.Sprintf("enable would disable the %s builtin, which the session's framing calls after every command", fw)}
				}
			}
		}
	}
	return nil
}
