package checkpoint

import (
	"strings"

	"github.com/execkit/execkit/internal/shword"
	"mvdan.cc/sh/v3/syntax"
)

// MayChangeFiles reports whether running command (a shell program) might
// change files, so that an automatic checkpoint before it is worth taking.
//
// The rule is cheap and conservative: it parses the command and answers
// false only when every command it would run (in pipelines, lists,
// subshells, command substitutions, functions bodies) is a known read-only
// one — ls, cat, grep, find without -delete or -exec, sed without -i, git
// status/log/diff/show/..., cd, echo, test and the like — and no
// redirection writes to a file other than /dev/null. Anything else (an
// unknown program, a variable as a command name, eval, a wrapper such as
// sudo or xargs, a command that does not parse) may change files. Commands
// that change only .git (git commit, git branch) count as changing files,
// since hooks may run.
func MayChangeFiles(command string) bool {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(command), "")
	if err != nil {
		return true
	}
	may := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if may {
			return false
		}
		switch n := n.(type) {
		case *syntax.Redirect:
			if writes(n) {
				may = true
			}
		case *syntax.CallExpr:
			if len(n.Args) > 0 && !readOnlyCall(n.Args) {
				may = true
			}
		case *syntax.CoprocClause:
			may = true
		}
		return !may
	})
	return may
}

// writes reports whether a redirection may write a file.
func writes(r *syntax.Redirect) bool {
	switch r.Op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob, syntax.RdrAll, syntax.AppAll, syntax.RdrInOut:
		switch shword.Literal(r.Word) {
		case "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty":
			return false
		}
		return true
	case syntax.DplOut:
		// >&2, >&-: duplication. >&file (bash) writes file.
		w := shword.Literal(r.Word)
		if w == "-" {
			return false
		}
		for _, c := range w {
			if c < '0' || c > '9' {
				return true
			}
		}
		return w == ""
	}
	return false
}

// readOnlyPrograms run without writing files whatever their arguments
// (besides redirections, checked apart).
var readOnlyPrograms = map[string]bool{
	"ls": true, "ll": true, "la": true, "dir": true, "cat": true, "tac": true, "head": true,
	"tail": true, "less": true, "more": true, "wc": true, "grep": true, "egrep": true,
	"fgrep": true, "rg": true, "ag": true, "tree": true, "pwd": true, "echo": true,
	"printf": true, "true": true, "false": true, ":": true, "test": true, "[": true,
	"[[": true, "which": true, "type": true, "whoami": true, "id": true, "date": true,
	"uname": true, "hostname": true, "stat": true, "file": true, "du": true, "df": true,
	"diff": true, "cmp": true, "md5sum": true, "sha1sum": true, "sha256sum": true,
	"sha512sum": true, "cksum": true, "basename": true, "dirname": true, "realpath": true,
	"readlink": true, "cut": true, "tr": true, "jq": true, "nl": true, "od": true,
	"hexdump": true, "xxd": true, "strings": true, "column": true, "fold": true,
	"expand": true, "rev": true, "seq": true, "sleep": true, "ps": true,
	"printenv": true, "cd": true, "pushd": true, "popd": true, "dirs": true, "export": true,
	"unset": true, "set": true, "shopt": true, "alias": true, "unalias": true, "history": true,
	"jobs": true, "wait": true, "read": true, "local": true, "declare": true, "typeset": true,
	"readonly": true, "let": true, "shift": true, "return": true, "exit": true, "hash": true,
	"umask": true, "ulimit": true, "times": true, "help": true, "man": true, "info": true,
	"whereis": true, "locate": true, "lsof": true, "free": true, "uptime": true, "nproc": true,
	"getconf": true, "locale": true, "tty": true, "groups": true, "users": true, "who": true,
	"w": true, "kill": true, "pgrep": true, "pstree": true,
}

// readOnlyGit are git subcommands that change no file outside .git.
var readOnlyGit = map[string]bool{
	"status": true, "log": true, "diff": true, "show": true, "blame": true, "grep": true,
	"ls-files": true, "ls-tree": true, "rev-parse": true, "describe": true, "shortlog": true,
	"cat-file": true, "show-ref": true, "for-each-ref": true, "rev-list": true,
	"count-objects": true, "version": true, "help": true, "whatchanged": true,
	"name-rev": true, "merge-base": true, "var": true, "check-ignore": true,
	"diff-tree": true, "diff-files": true, "diff-index": true, "range-diff": true,
}

func readOnlyCall(args []*syntax.Word) bool {
	name := shword.Literal(args[0])
	if name == "" {
		return false // $CMD, $(...): unknown
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 && !strings.HasPrefix(name, "./") {
		name = name[i+1:] // /usr/bin/ls
	}
	rest := args[1:]
	switch name {
	case "git":
		return readOnlyGitCall(rest)
	case "find":
		for _, a := range rest {
			switch shword.Literal(a) {
			case "-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls", "":
				return false
			}
		}
		return true
	case "sed":
		return readOnlySed(rest)
	case "sort":
		for _, a := range rest {
			if s := shword.Literal(a); s == "" || strings.HasPrefix(s, "-o") || strings.HasPrefix(s, "--output") {
				return false
			}
		}
		return true
	case "uniq":
		// uniq IN OUT writes OUT.
		files := 0
		for _, a := range rest {
			s := shword.Literal(a)
			if s == "" {
				return false
			}
			if !strings.HasPrefix(s, "-") {
				files++
			}
		}
		return files <= 1
	case "command":
		if len(rest) > 0 && (shword.Literal(rest[0]) == "-v" || shword.Literal(rest[0]) == "-V") {
			return true
		}
		return false
	}
	return readOnlyPrograms[name]
}

func readOnlyGitCall(args []*syntax.Word) bool {
	for i := 0; i < len(args); i++ {
		a := shword.Literal(args[i])
		switch {
		case a == "":
			return false
		case a == "-C":
			i++ // takes a directory
		case a == "-c":
			return false // configuration can run programs (core.fsmonitor, aliases)
		case a == "--no-pager" || a == "-P" || a == "--no-optional-locks" || a == "--paginate" || a == "-p" ||
			strings.HasPrefix(a, "--git-dir=") || strings.HasPrefix(a, "--work-tree=") || a == "--bare":
		case strings.HasPrefix(a, "-"):
			return false
		default:
			if !readOnlyGit[a] {
				// branch, tag, remote and config list with no
				// arguments, and change things with some.
				next := ""
				if i+1 < len(args) {
					next = shword.Literal(args[i+1])
				}
				switch a {
				case "branch", "tag", "remote", "worktree":
					return i == len(args)-1 // listing
				case "stash":
					return next == "list" || next == "show"
				}
				return false
			}
			for _, o := range args[i+1:] {
				if s := shword.Literal(o); s == "" || strings.HasPrefix(s, "--output") || s == "-o" {
					return false
				}
			}
			return true
		}
	}
	return false // git alone prints help; be plain
}

// readOnlySed accepts sed printing lines: options -n -E -r -s -u -z, and
// scripts made of line addresses with p, d, q or = (as in sed -n 1,50p), or
// one /regex/ with p or d. Anything else (-i, w commands, s///w, e, -f) may
// write.
func readOnlySed(args []*syntax.Word) bool {
	script := false
	for i := 0; i < len(args); i++ {
		s := shword.Literal(args[i])
		switch {
		case s == "":
			return false
		case s == "-e" || s == "--expression":
			i++
			if i >= len(args) || !readOnlySedScript(shword.Literal(args[i])) {
				return false
			}
			script = true
		case s == "-n" || s == "-E" || s == "-r" || s == "-s" || s == "-u" || s == "-z" || s == "--quiet" || s == "--silent":
		case strings.HasPrefix(s, "-"):
			return false
		case !script:
			if !readOnlySedScript(s) {
				return false
			}
			script = true
		}
	}
	return true
}

func readOnlySedScript(s string) bool {
	if s == "" {
		return false
	}
	if strings.Trim(s, "0123456789,$;pdq=! ") == "" {
		return true
	}
	if len(s) >= 3 && s[0] == '/' {
		end := strings.LastIndexByte(s, '/')
		if end > 0 && strings.Trim(s[end+1:], "pd!") == "" && s[end+1:] != "" {
			return !strings.Contains(s[1:end], "/")
		}
	}
	return false
}
