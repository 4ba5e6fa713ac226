package policy

import (
	"fmt"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// A handler looks through a program that runs another one. args[0] is the
// program itself. It returns the command it wraps (nil if none), with the
// call context that command runs in, and records any inline code it runs.
type handler func(an *analysis, c *call, args []arg) (*call, []arg)

// handlers maps the programs the fence sees through to how.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		// Prefix wrappers: options, then the command.
		"sudo": wrap(opts{arg: "CDghpRrtTUu", stop: "elvVK", assigns: true,
			long:     []string{"close-from", "chdir", "group", "host", "prompt", "chroot", "role", "type", "command-timeout", "other-user", "user"},
			longStop: []string{"edit", "list", "validate", "version", "remove-timestamp", "help"}}),
		"doas":     wrap(opts{arg: "uC"}),
		"pkexec":   wrap(opts{long: []string{"user"}}),
		"command":  wrap(opts{stop: "vV"}),
		"builtin":  wrap(opts{}),
		"exec":     wrap(opts{arg: "a"}),
		"nice":     wrap(opts{arg: "n", long: []string{"adjustment"}}),
		"nohup":    wrap(opts{}),
		"setsid":   wrap(opts{}),
		"unbuffer": wrap(opts{}),
		"timeout":  wrap(opts{arg: "ks", long: []string{"signal", "kill-after"}, operands: 1}),
		"time":     wrap(opts{arg: "fo", long: []string{"format", "output"}}),
		"stdbuf":   wrap(opts{arg: "ioe", long: []string{"input", "output", "error"}}),
		"ionice": wrap(opts{arg: "cnpPu", stop: "pPu",
			long: []string{"class", "classdata", "pid", "pgid", "uid"}, longStop: []string{"pid", "pgid", "uid"}}),
		"chroot":  wrap(opts{long: []string{"userspec", "groups"}, operands: 1}),
		"taskset": wrap(opts{stop: "p", longStop: []string{"pid"}, operands: 1}),
		"chrt":    wrap(opts{arg: "TPD", stop: "pm", longStop: []string{"pid", "max"}, long: []string{"sched-runtime", "sched-period", "sched-deadline"}, operands: 1}),
		"busybox": applet,
		"toybox":  applet,

		"env":       envHandler,
		"xargs":     xargsHandler,
		"find":      findHandler,
		"watch":     watchHandler,
		"flock":     flockHandler,
		"su":        codeOnly("su", opts{arg: "sgGw", code: "c", long: []string{"shell", "group", "supp-group", "whitelist-environment"}, longCode: []string{"command", "session-command"}}),
		"runuser":   runuserHandler,
		"script":    codeOnly("script", opts{arg: "EIOBTm", code: "c", long: []string{"echo", "log-in", "log-out", "log-io", "log-timing", "logging-format"}, longCode: []string{"command"}}),
		"mapfile":   codeOnly("mapfile -C", opts{arg: "dnOsuc", code: "C"}),
		"readarray": codeOnly("readarray -C", opts{arg: "dnOsuc", code: "C"}),

		// Builtins that run code given as words.
		"eval":    evalHandler,
		"trap":    trapHandler,
		"alias":   aliasHandler,
		"source":  sourceHandler,
		".":       sourceHandler,
		"hash":    hashHandler,
		"fc":      fcHandler,
		"history": historyHandler,
	}
	for _, sh := range []string{"bash", "sh", "dash", "ash", "rbash", "yash", "posh"} {
		handlers[sh] = shellHandler(syntax.LangBash)
	}
	handlers["zsh"] = shellHandler(syntax.LangZsh)
	for _, sh := range []string{"ksh", "mksh", "lksh", "pdksh", "ksh93"} {
		handlers[sh] = shellHandler(syntax.LangMirBSDKorn)
	}
}

// Wrappers returns the names of the programs and builtins the fence looks
// through to the command or code they run, sorted.
func Wrappers() []string {
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// opts describes a program's options, as far as the fence needs them: which
// take an argument, which mean no command runs, and where the command starts.
// Options are parsed as getopt does with a leading '+': they end at the first
// operand. Long options may be abbreviated, as getopt_long allows.
type opts struct {
	arg      string   // short options that take an argument
	optArg   string   // short options whose argument, if any, is attached (-i{})
	stop     string   // short options after which no command runs (command -v)
	code     string   // short options whose argument is shell code (su -c)
	long     []string // long options that take an argument
	longStop []string
	longCode []string
	assigns  bool // NAME=value words before the command are environment (env, sudo)
	anyName  bool // with assigns, any word with an = after its first byte is one (env)
	operands int  // operands before the command (timeout's DURATION)
}

// option is one option found by opts.parse, with its argument if it takes one.
type option struct {
	name string // "-I", "--replace"
	val  *arg
}

// parse reads the options of args[0] and returns the index of the first word
// after them, the options found, and whether a stop option was seen. A word
// that is not known statically ends the options: it may be the command.
// With permute, options are also looked for after operands (util-linux
// programs such as su), and the returned index is len(args).
func (o *opts) parse(args []arg, permute bool) (int, []option, bool) {
	var found []option
	i := 1
	for i < len(args) {
		a := args[i]
		if !a.static {
			if permute {
				i++
				continue
			}
			break
		}
		v := a.val
		switch {
		case v == "--":
			i++
			if permute {
				return len(args), found, false
			}
			return o.operandsAt(args, i), found, false
		case strings.HasPrefix(v, "--"):
			name, val, hasVal := strings.Cut(v[2:], "=")
			if matchLong(o.longStop, name) {
				return i, found, true
			}
			i++
			opt := option{name: "--" + name}
			switch {
			case hasVal:
				opt.val = &arg{val: val, src: a.src, static: true}
			case (matchLong(o.long, name) || matchLong(o.longCode, name)) && i < len(args):
				opt.val = &args[i]
				i++
			}
			found = append(found, opt)
		case len(v) > 1 && v[0] == '-':
			i++
		cluster:
			for k := 1; k < len(v); k++ {
				ch := v[k]
				switch {
				case strings.IndexByte(o.stop, ch) >= 0:
					return i, found, true
				case strings.IndexByte(o.arg, ch) >= 0 || strings.IndexByte(o.code, ch) >= 0:
					opt := option{name: "-" + string(ch)}
					if k+1 < len(v) {
						opt.val = &arg{val: v[k+1:], src: a.src, static: true}
					} else if i < len(args) {
						opt.val = &args[i]
						i++
					}
					found = append(found, opt)
					break cluster
				case strings.IndexByte(o.optArg, ch) >= 0:
					opt := option{name: "-" + string(ch)}
					if k+1 < len(v) {
						opt.val = &arg{val: v[k+1:], src: a.src, static: true}
					}
					found = append(found, opt)
					break cluster
				default:
					found = append(found, option{name: "-" + string(ch)})
				}
			}
		case o.isAssign(v):
			i++
		default:
			if permute {
				i++
				continue
			}
			return o.operandsAt(args, i), found, false
		}
	}
	if permute {
		return len(args), found, false
	}
	return o.operandsAt(args, i), found, false
}

// operandsAt skips environment assignments and leading operands from i.
func (o *opts) operandsAt(args []arg, i int) int {
	for i < len(args) && args[i].static && o.isAssign(args[i].val) {
		i++
	}
	return min(i+o.operands, len(args))
}

// isAssign reports whether v is an environment assignment for the program.
func (o *opts) isAssign(v string) bool {
	if !o.assigns {
		return false
	}
	if o.anyName {
		return strings.IndexByte(v, '=') > 0
	}
	return isAssign(v)
}

// environ checks the NAME=value words a wrapper puts in the environment of
// the command it runs: variables a shell runs (PROMPT_COMMAND, BASH_ENV)
// and functions it imports (BASH_FUNC_f%%=() { ...; }).
func (an *analysis) environ(c *call, o *opts, words []arg) {
	for _, a := range words {
		if !a.static || strings.HasPrefix(a.val, "-") || !o.isAssign(a.val) {
			continue
		}
		name, val, _ := strings.Cut(a.val, "=")
		v := arg{val: val, src: a.src, static: true}
		switch {
		case syntax.ValidName(name):
			an.setValue(c, nil, name, v, nil, modeWhole)
		case strings.HasPrefix(name, "BASH_FUNC_") && strings.HasPrefix(strings.TrimLeft(val, " "), "("):
			// A function a child bash defines: f() { ...; }.
			v.val = "f" + strings.TrimLeft(val, " ")
			an.code(c, v, syntax.LangBash, "the function "+name)
		}
	}
}

// codes returns the arguments of the options that take shell code.
func (o *opts) codes(found []option) []*arg {
	var out []*arg
	for _, f := range found {
		if f.val == nil {
			continue
		}
		if len(f.name) == 2 && strings.IndexByte(o.code, f.name[1]) >= 0 ||
			strings.HasPrefix(f.name, "--") && matchLong(o.longCode, f.name[2:]) {
			out = append(out, f.val)
		}
	}
	return out
}

// matchLong reports whether name is one of list or, as getopt_long accepts,
// an abbreviation of one.
func matchLong(list []string, name string) bool {
	if name == "" {
		return false
	}
	for _, l := range list {
		if strings.HasPrefix(l, name) {
			return true
		}
	}
	return false
}

// wrap is the handler of a program whose options are followed by the
// command it runs.
func wrap(o opts) handler {
	return func(an *analysis, c *call, args []arg) (*call, []arg) {
		i, _, stop := o.parse(args, false)
		if stop {
			return c, nil
		}
		if o.assigns {
			an.environ(c, &o, args[1:i])
		}
		if i >= len(args) {
			an.missing(c, args[0])
			return c, nil
		}
		return c, args[i:]
	}
}

// codeOnly is the handler of a program that runs shell code given in an
// option (su -c 'rm x'), its other operands being no command.
func codeOnly(what string, o opts) handler {
	return func(an *analysis, c *call, args []arg) (*call, []arg) {
		_, found, _ := o.parse(args, true)
		for _, code := range o.codes(found) {
			an.code(c, *code, syntax.LangBash, what)
		}
		return c, nil
	}
}

// missing is called when a wrapper has no command: under xargs the command
// comes from its input.
func (an *analysis) missing(c *call, w arg) {
	if c.appended {
		an.dynamic(c, w.src, fmt.Sprintf("%s gets the program to run from xargs' input when the command runs", progName(w.val)))
	}
}

func applet(an *analysis, c *call, args []arg) (*call, []arg) {
	if len(args) < 2 || args[1].static && strings.HasPrefix(args[1].val, "-") {
		return c, nil
	}
	return c, args[1:]
}

// envHandler: env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]... COMMAND.
// -S splits STRING into words that take its place.
func envHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "uCSaP", long: []string{"unset", "chdir", "split-string", "argv0"}, assigns: true, anyName: true}
	for range maxDepth {
		// A lone "-" means -i; take it out of the way of the option parser.
		for len(args) > 1 && args[1].static && args[1].val == "-" {
			args = append(args[:1:1], args[2:]...)
		}
		i, found, _ := o.parse(args, false)
		var split *arg
		for _, f := range found {
			if f.val != nil && (f.name == "-S" || strings.HasPrefix(f.name, "--") && matchLong([]string{"split-string"}, f.name[2:])) {
				split = f.val
				break
			}
		}
		if split == nil {
			an.environ(c, &o, args[1:i])
			if i >= len(args) {
				an.missing(c, args[0])
				return c, nil
			}
			return c, args[i:]
		}
		words, ok := an.inlineWords(c, *split, "env -S")
		if !ok {
			return c, nil
		}
		// The split words replace the options; what follows the option
		// region stays.
		args = append(append(args[:1:1], words...), args[i:]...)
	}
	an.add(c, use{kind: useLimit, word: args[0].src, reason: fmt.Sprintf("env -S is nested more than %d times", maxDepth)})
	return c, nil
}

// inlineWords splits a string into words as a shell would read a simple
// command (env -S), recording a parse or dynamic use if it cannot.
func (an *analysis) inlineWords(c *call, s arg, what string) ([]arg, bool) {
	f, err := parse(s.val, syntax.LangBash)
	var ce *syntax.CallExpr
	if err == nil && len(f.Stmts) == 1 {
		ce, _ = f.Stmts[0].Cmd.(*syntax.CallExpr)
	}
	if ce == nil {
		if s.static {
			reason := fmt.Sprintf("the words given to %s are not a simple command", what)
			if err != nil {
				reason = fmt.Sprintf("the words given to %s do not parse: %v", what, err)
			}
			an.add(c, use{kind: useParse, word: s.src, reason: reason})
		} else {
			an.dynamic(c, s.src, fmt.Sprintf("the words given to %s are built when the command runs", what))
		}
		return nil, false
	}
	sc := &scope{src: s.val, lang: syntax.LangBash, depth: c.sc.depth + 1, approx: !s.static || c.sc.approx, outer: c.at.text(), outerWord: s.src}
	inner := *c
	inner.sc = sc
	// Leading NAME=value words are env's to read, as on its command line.
	var words []arg
	for _, as := range ce.Assigns {
		a := arg{static: true, src: nodeText(sc.src, as)}
		if as.Name != nil && as.Value != nil && as.Index == nil && as.Array == nil && !as.Append {
			v := wordArg(sc, as.Value)
			a.val, a.static = as.Name.Value+"="+v.val, v.static
		} else {
			a.val, a.static = a.src, false
		}
		words = append(words, a)
	}
	words = append(words, an.words(&inner, ce.Args)...)
	if sc.approx {
		// Positions refer to an approximation: show what was written.
		for i := range words {
			words[i].src = s.src
		}
	}
	return words, true
}

// xargsHandler: xargs [options] [command [initial-arguments]]. The command
// gets more arguments, read from xargs' input, when it runs; with -I R, R in
// its words stands for input text.
func xargsHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "adEILnPs", optArg: "eil",
		long: []string{"arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"}}
	i, found, _ := o.parse(args, false)
	inner := *c
	inner.appended, inner.noStdin = true, true
	for _, f := range found {
		switch {
		case f.name == "-I" && f.val != nil:
			inner.replace = f.val.val
		case f.name == "-i":
			inner.replace = "{}"
			if f.val != nil {
				inner.replace = f.val.val
			}
		case strings.HasPrefix(f.name, "--") && matchLong([]string{"replace"}, f.name[2:]):
			inner.replace = "{}"
			if f.val != nil {
				inner.replace = f.val.val
			}
		}
	}
	if i >= len(args) {
		return c, nil // runs echo
	}
	return &inner, markReplace(args[i:], inner.replace)
}

// markReplace makes the words that contain a replace string dynamic.
func markReplace(args []arg, r string) []arg {
	if r == "" {
		return args
	}
	out := make([]arg, len(args))
	for i, a := range args {
		if a.static && strings.Contains(a.val, r) {
			a.val = strings.ReplaceAll(a.val, r, dynMark)
			a.static = false
		}
		out[i] = a
	}
	return out
}

// findHandler looks at find's -exec, -execdir, -ok and -okdir commands,
// which end at ";" or at "{} +". {} stands for a found file name.
func findHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	for i := 1; i < len(args); i++ {
		switch args[i].val {
		case "-exec", "-execdir", "-ok", "-okdir":
		default:
			continue
		}
		if !args[i].static {
			continue
		}
		j := i + 1
		for j < len(args) && !(args[j].static && (args[j].val == ";" || args[j].val == "+" && j > i+1 && args[j-1].val == "{}")) {
			j++
		}
		inner := *c
		inner.replace = "{}"
		inner.appended = j < len(args) && args[j].val == "+"
		an.argv(&inner, markReplace(args[i+1:j], "{}"))
		c.hops = inner.hops
		i = j
	}
	return c, nil
}

// watchHandler: watch runs its command words joined by spaces with sh -c,
// or as they are with -x.
func watchHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "nq", optArg: "d", long: []string{"interval", "equexit"}}
	i, found, _ := o.parse(args, false)
	if i >= len(args) {
		return c, nil
	}
	for _, f := range found {
		if f.name == "-x" || strings.HasPrefix(f.name, "--") && matchLong([]string{"exec"}, f.name[2:]) {
			return c, args[i:]
		}
	}
	an.code(c, join(args[i:]), syntax.LangBash, "watch")
	return c, nil
}

// join makes one code string of words, as eval and watch do.
func join(args []arg) arg {
	out := arg{static: true}
	vals, srcs := make([]string, len(args)), make([]string, len(args))
	for i, a := range args {
		vals[i], srcs[i] = a.val, a.src
		out.static = out.static && a.static
		out.subst = out.subst || a.subst
	}
	out.val, out.src = strings.Join(vals, " "), strings.Join(srcs, " ")
	return out
}

// flockHandler: flock [options] FILE COMMAND..., or FILE -c CODE, or FD.
func flockHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "wE", code: "c", long: []string{"timeout", "conflict-exit-code"}, longCode: []string{"command"}, operands: 1}
	i, found, _ := o.parse(args, false)
	for _, code := range o.codes(found) {
		an.code(c, *code, syntax.LangBash, "flock -c")
	}
	if i >= len(args) {
		return c, nil
	}
	if args[i].static && (args[i].val == "-c" || args[i].val == "--command") {
		if i+1 < len(args) {
			an.code(c, args[i+1], syntax.LangBash, "flock -c")
		}
		return c, nil
	}
	return c, args[i:]
}

// runuserHandler: runuser -u USER COMMAND... runs a command; runuser USER -c
// CODE runs shell code, as su does.
func runuserHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "ugGsw", code: "c", long: []string{"user", "group", "supp-group", "shell", "whitelist-environment"}, longCode: []string{"command", "session-command"}}
	_, found, _ := o.parse(args, true)
	for _, code := range o.codes(found) {
		an.code(c, *code, syntax.LangBash, "runuser -c")
	}
	for _, f := range found {
		if f.name == "-u" || f.name == "--user" {
			i, _, _ := o.parse(args, false)
			if i < len(args) {
				return c, args[i:]
			}
		}
	}
	return c, nil
}

// shellHandler: a shell with -c runs its first operand as code; with a
// script operand it runs a file (opaque to the fence); with neither, or with
// -s, it reads code from its standard input.
func shellHandler(lang syntax.LangVariant) handler {
	return func(an *analysis, c *call, args []arg) (*call, []arg) {
		name := progName(args[0].val)
		hasC, fromStdin := false, false
		i := 1
	options:
		for i < len(args) {
			a := args[i]
			if !a.static {
				break
			}
			v := a.val
			switch {
			case v == "--" || v == "-":
				i++
				break options
			case strings.HasPrefix(v, "--"):
				i++
				if v == "--rcfile" || v == "--init-file" {
					i++
				}
			case len(v) > 1 && (v[0] == '-' || v[0] == '+'):
				i++
				for k := 1; k < len(v); k++ {
					switch v[k] {
					case 'c':
						hasC = hasC || v[0] == '-'
					case 's':
						fromStdin = fromStdin || v[0] == '-'
					case 'o', 'O':
						i++
					}
				}
			default:
				break options
			}
		}
		switch {
		case hasC && i < len(args):
			an.code(c, args[i], lang, name+" -c")
		case hasC:
			an.missing(c, args[0])
		case i < len(args) && !fromStdin && !isStdin(args[i]):
			if args[i].subst {
				an.dynamic(c, args[i].src, fmt.Sprintf("%s runs a script that a substitution produces when the command runs", name))
			}
		default:
			an.stdinCode(c, lang, name)
		}
		return c, nil
	}
}

// heredoc returns the body of a here-document as the shell reads it.
func heredoc(sc *scope, r *syntax.Redirect) arg {
	quoted := false
	for _, p := range r.Word.Parts {
		if l, ok := p.(*syntax.Lit); !ok || strings.Contains(l.Value, `\`) {
			quoted = true
		}
	}
	a := arg{static: true, src: nodeText(sc.src, r.Hdoc)}
	var b strings.Builder
	if quoted {
		for _, p := range r.Hdoc.Parts {
			if l, ok := p.(*syntax.Lit); ok {
				b.WriteString(l.Value)
			}
		}
	} else {
		a.parts(&b, r.Hdoc.Parts, qHeredoc)
	}
	a.val = b.String()
	a.glob = false
	if sc.approx && strings.Contains(a.val, dynMark) {
		a.static = false
	}
	return a
}

func evalHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	rest := args[1:]
	if len(rest) > 0 && rest[0].static && rest[0].val == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		an.missing(c, args[0])
		return c, nil
	}
	an.code(c, join(rest), c.sc.lang, "eval")
	return c, nil
}

// trapHandler: trap [-lp] [[ACTION] SIGNAL...]; ACTION is code run later.
func trapHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	rest := args[1:]
	for len(rest) > 0 && rest[0].static && strings.HasPrefix(rest[0].val, "-") && rest[0].val != "-" {
		if rest[0].val == "--" {
			rest = rest[1:]
			break
		}
		if strings.ContainsAny(rest[0].val, "lpP") {
			return c, nil
		}
		rest = rest[1:]
	}
	if len(rest) >= 2 && !(rest[0].static && rest[0].val == "-") {
		an.codeLater(c, rest[0], c.sc.lang, "trap", "the trap action")
	}
	return c, nil
}

// aliasHandler checks an alias body where it is defined, as a function body
// is: alias x=rm is denied like rm.
func aliasHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	for _, a := range args[1:] {
		k := strings.IndexByte(a.val, '=')
		switch {
		case k > 0:
			body := a
			body.val = a.val[k+1:]
			body.static = a.static || !strings.Contains(body.val, dynMark)
			an.codeLater(c, body, c.sc.lang, "alias "+a.val[:k], "the alias "+a.val[:k])
			an.define(a.val[:k])
			if shellWords[a.val[:k]] {
				an.dynamic(c, a.src, fmt.Sprintf("an alias named %s stands in for the shell's own %s in later commands, where the fence cannot follow it", a.val[:k], a.val[:k]))
			}
		case !a.static:
			an.dynamic(c, a.src, "the alias is defined when the command runs")
		}
	}
	return c, nil
}

// sourceHandler: source FILE runs a file, opaque to the fence, unless the
// file is a substitution (source <(curl ...)).
func sourceHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	rest := args[1:]
	if len(rest) > 0 && rest[0].static && rest[0].val == "--" {
		rest = rest[1:]
	}
	switch {
	case len(rest) == 0:
	case isStdin(rest[0]):
		an.stdinCode(c, c.sc.lang, progName(args[0].val))
	case rest[0].subst:
		an.dynamic(c, rest[0].src, fmt.Sprintf("%s runs code that a substitution produces when the command runs", progName(args[0].val)))
	default:
		// The file may set any variable: none is known after it.
		an.opaque = true
		if later := c.sc.laterAt(c); later != "" {
			an.dynamic(c, args[0].src, fmt.Sprintf("%s runs a file, which may set variables in the middle of a later command that runs %s; the fence cannot see it", progName(args[0].val), later))
		}
	}
	return c, nil
}

// isStdin reports whether a script operand names standard input.
func isStdin(a arg) bool {
	return a.static && (a.val == "/dev/stdin" || a.val == "/dev/fd/0" || a.val == "/proc/self/fd/0")
}

// hashHandler: hash -p PATH NAME makes NAME run PATH.
func hashHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	o := opts{arg: "p"}
	_, found, _ := o.parse(args, true)
	for _, f := range found {
		if f.name != "-p" || f.val == nil {
			continue
		}
		if name := progName(f.val.val); f.val.static && name != "" {
			an.add(c, use{kind: useName, name: name, word: f.val.src})
		} else {
			an.dynamic(c, f.val.src, "hash -p binds a name to a program chosen when the command runs")
		}
	}
	return c, nil
}

// fcHandler: fc runs commands from the shell's history (fc -s, fc -e ed),
// unless it only lists them (-l).
func fcHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	for _, a := range args[1:] {
		if a.static && strings.HasPrefix(a.val, "-") && strings.Contains(a.val, "l") {
			return c, nil
		}
	}
	an.dynamic(c, args[0].src, "fc runs commands from the shell's history, which the fence does not see")
	return c, nil
}

// historyHandler: history -s ARGS... adds ARGS to the history as a command,
// which fc can run later: it is checked against deny rules.
func historyHandler(an *analysis, c *call, args []arg) (*call, []arg) {
	for i, a := range args[1:] {
		if a.static && a.val == "-s" {
			an.maybeCode(c, join(args[i+2:]), "history -s adds it to the history, which fc runs")
			return c, nil
		}
	}
	return c, nil
}
