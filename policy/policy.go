package policy

import (
	"errors"
	"fmt"
	"github.com/execkit/execkit/internal/pattern"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Limits on a policy. They bound what a session (whose policy arrives as
// untrusted MCP arguments) can make the fence hold in memory or spend per
// check.
const (
	// MaxPatternLen is the longest deny_patterns entry, in bytes; its
	// compiled size is bounded too, so that a short pattern with nested
	// repeats cannot make matching slow.
	MaxPatternLen = pattern.MaxLen
	// MaxEntries is the most entries one field of one layer may hold.
	MaxEntries = 1024
	// MaxNameLen is the longest allow or deny entry, in bytes.
	MaxNameLen = 255
)

// Dynamic values: how a layer treats a command whose program name is only
// known when it runs.
const (
	DynamicDefault = ""      // deny when the layer has an allow list, else allow
	DynamicAllow   = "allow" // let such commands through (deny rules still apply to what can be seen)
	DynamicDeny    = "deny"  // refuse such commands
)

// Policy is one layer of rules: the operator's (from a file, see [LoadFile])
// or a session's (from session_create arguments). It is plain data; the zero
// value has no rules. [Compile] validates it without writing into it.
//
// Entries in Allow and Deny are program names ("rm", "git"), not paths and
// not patterns: the fence compares them with each command's name after quote
// removal and with its directory stripped, so "rm" also matches /bin/rm,
// \rm and "r"m.
type Policy struct {
	// Allow, if non-empty, lists the only programs that may run. Shell
	// builtins that cannot start another program (cd, echo, export, test,
	// ...; see [InertBuiltins]) are always permitted by an allow list, and
	// so are calls to functions and aliases the command itself defines
	// (their bodies are checked); Deny still applies to them. Nil or
	// empty: no allow list.
	Allow []string `json:"allow,omitempty"`

	// Deny lists programs that never run, wherever they appear in the
	// command; deny wins over allow. Matching ignores letter case, because
	// RM runs rm on a case-insensitive file system. Nil: nothing denied.
	Deny []string `json:"deny,omitempty"`

	// DenyPatterns are regular expressions (Go RE2 syntax, at most
	// [MaxPatternLen] bytes each) matched against the command as written
	// and against every simple command in it after quote removal (words
	// joined by single spaces, the program name without its directory).
	// Any match denies the command. Nil: no patterns.
	DenyPatterns []string `json:"deny_patterns,omitempty"`

	// Dynamic decides commands whose program name is not known until they
	// run ($x args, eval "$y", $(echo rm) x, curl ... | sh): one of
	// [DynamicDefault] ("", deny when Allow is set, else allow),
	// [DynamicAllow] or [DynamicDeny]. Whatever it says, Deny still
	// applies to what can be seen: the words after a dynamic program word
	// ($x rm -rf /, where $x may be empty or "sudo") are checked against
	// Deny, though not against Allow, since they may be plain arguments.
	Dynamic string `json:"dynamic,omitempty"`
}

// Fence is the compiled combination of the operator's policy, which a
// session cannot loosen, and a session's, which can only narrow it. A command
// must pass both layers. A Fence is immutable and safe for concurrent use;
// a nil *Fence has no rules and accepts every command.
type Fence struct {
	layers     []*layer // non-empty layers, operator first
	wantTexts  bool     // some layer has deny_patterns
	firstLayer string   // the layer named by a refusal to parse
}

// layer is one validated Policy.
type layer struct {
	name        string              // "operator" or "session"
	allow       map[string]struct{} // nil: no allow list
	deny        map[string]string   // folded name -> entry as written
	denyFolded  []string            // folded deny entries, in order, for glob matching
	patterns    []denyPattern
	dynamicDeny bool
}

type denyPattern struct {
	src string
	re  *regexp.Regexp
}

func (l *layer) empty() bool {
	return l.allow == nil && len(l.deny) == 0 && len(l.patterns) == 0 && !l.dynamicDeny
}

// Compile validates both layers and combines them into a Fence. Either may be
// nil. An error names the layer and the field at fault. A session policy that
// tries to loosen the operator's is an error rather than silently narrowed,
// so the agent learns at once what it cannot have:
//
//   - a session allow entry outside a non-empty operator allow list;
//   - a session allow entry the operator denies;
//   - a session Dynamic of "allow" when the operator's layer denies dynamic
//     commands (explicitly, or by default because it has an allow list).
//
// A session cannot remove an operator deny entry or pattern: the operator's
// layer is always checked in full.
func Compile(operator, session *Policy) (*Fence, error) {
	op, err := compileLayer("operator", operator)
	if err != nil {
		return nil, err
	}
	se, err := compileLayer("session", session)
	if err != nil {
		return nil, err
	}
	if session != nil {
		for i, name := range session.Allow {
			if op.allow != nil {
				if _, ok := op.allow[name]; !ok {
					return nil, fmt.Errorf("policy: session allow[%d] %q is not in the operator allow list; a session can only narrow the operator's policy", i, name)
				}
			}
			if _, ok := op.deny[fold(name)]; ok {
				return nil, fmt.Errorf("policy: session allow[%d] %q is denied by the operator; a session can only narrow the operator's policy", i, name)
			}
		}
		if session.Dynamic == DynamicAllow && op.dynamicDeny {
			return nil, fmt.Errorf("policy: session dynamic %q cannot loosen the operator's policy, which denies dynamic commands", session.Dynamic)
		}
	}
	f := &Fence{firstLayer: "operator"}
	for _, l := range []*layer{op, se} {
		if l.empty() {
			continue
		}
		f.layers = append(f.layers, l)
		f.wantTexts = f.wantTexts || len(l.patterns) > 0
	}
	if len(f.layers) > 0 {
		f.firstLayer = f.layers[0].name
	}
	return f, nil
}

// Empty reports whether the fence has no rules at all, in which case
// [Fence.Check] accepts every command without parsing it.
func (f *Fence) Empty() bool {
	return f == nil || len(f.layers) == 0
}

func compileLayer(name string, p *Policy) (*layer, error) {
	l := &layer{name: name}
	if p == nil {
		return l, nil
	}
	if err := checkNames(name, "allow", p.Allow); err != nil {
		return nil, err
	}
	if err := checkNames(name, "deny", p.Deny); err != nil {
		return nil, err
	}
	if len(p.Allow) > 0 {
		l.allow = make(map[string]struct{}, len(p.Allow))
		for _, n := range p.Allow {
			l.allow[n] = struct{}{}
		}
	}
	if len(p.Deny) > 0 {
		l.deny = make(map[string]string, len(p.Deny))
		for _, n := range p.Deny {
			k := fold(n)
			if _, dup := l.deny[k]; !dup {
				l.deny[k] = n
				l.denyFolded = append(l.denyFolded, k)
			}
		}
	}
	if len(p.DenyPatterns) > MaxEntries {
		return nil, fmt.Errorf("policy: %s deny_patterns has %d entries; the limit is %d", name, len(p.DenyPatterns), MaxEntries)
	}
	for i, src := range p.DenyPatterns {
		re, err := pattern.Compile(src)
		if src == "" {
			err = errors.New("is empty (it would match every command)")
		}
		if err != nil {
			return nil, fmt.Errorf("policy: %s deny_patterns[%d] %w", name, i, err)
		}
		l.patterns = append(l.patterns, denyPattern{src: src, re: re})
	}
	switch p.Dynamic {
	case DynamicDefault:
		l.dynamicDeny = l.allow != nil
	case DynamicAllow:
	case DynamicDeny:
		l.dynamicDeny = true
	default:
		return nil, fmt.Errorf("policy: %s dynamic %q: must be \"\", \"allow\" or \"deny\"", name, p.Dynamic)
	}
	return l, nil
}

func checkNames(layerName, field string, names []string) error {
	if len(names) > MaxEntries {
		return fmt.Errorf("policy: %s %s has %d entries; the limit is %d", layerName, field, len(names), MaxEntries)
	}
	for i, n := range names {
		var why string
		switch {
		case n == "":
			why = "is empty"
		case len(n) > MaxNameLen:
			why = fmt.Sprintf("is longer than %d bytes", MaxNameLen)
		case strings.Contains(n, "/"):
			why = fmt.Sprintf("is a path; write the program name %q (commands are matched by name, with any directory stripped)", n[strings.LastIndexByte(n, '/')+1:])
		case hasGlob(n):
			why = "contains a glob character; entries are exact program names (use deny_patterns for patterns)"
		case strings.ContainsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			why = "contains white space or a control character; entries are single program names"
		default:
			continue
		}
		return fmt.Errorf("policy: %s %s[%d] %q %s", layerName, field, i, n, why)
	}
	return nil
}

func fold(s string) string { return strings.ToLower(s) }

// inert lists the shell builtins that an allow list always permits: they
// cannot start another program by themselves. Deny rules still apply to them.
// Builtins that run code (eval, exec, source, ., trap's and alias's bodies are
// checked) or change which program a name runs (hash, enable) are not here.
var inert = map[string]bool{}

func init() {
	for _, n := range inertNames {
		inert[n] = true
	}
}

var inertNames = []string{
	":", "[", "alias", "break", "builtin", "cd", "command", "continue",
	"declare", "dirs", "echo", "exit", "export", "false", "getopts", "let",
	"local", "popd", "printf", "pushd", "pwd", "read", "readonly", "return",
	"set", "shift", "shopt", "test", "trap", "true", "type", "typeset",
	"umask", "unalias", "unset", "wait",
}

// InertBuiltins returns the shell builtins an allow list always permits,
// sorted. They cannot start another program by themselves; deny rules still
// apply to them.
func InertBuiltins() []string {
	out := slices.Clone(inertNames)
	slices.Sort(out)
	return out
}
