// Package policy is execkit's command fence: allow and deny rules that are
// checked before a command runs in a session.
//
// The fence is advisory. It is a guardrail that stops an agent from running
// what it was told not to run by mistake or through a prompt injection that
// uses ordinary shell; it is not a sandbox. A determined program can run
// anything its user can (a script file, python -c, a Makefile, a program
// that reads commands from the network), and the fence cannot see that. The
// real boundary is the account the shell runs as: a least-privilege user, a
// container, or a scoped SSH account. Use the fence in addition to one of
// those, never instead.
//
// A [Policy] is one layer of rules, plain data decoded from JSON. [Compile]
// combines the operator's layer with a session's into a [Fence], and
// [Fence.Check] answers for one command:
//
//	fence, err := policy.Compile(&policy.Policy{Deny: []string{"rm"}}, nil)
//	if err != nil {
//		return err
//	}
//	err = fence.Check("ls | xargs rm") // policy: denied by operator deny rule 'rm' (found in: xargs rm)
//
// # Rules
//
// Allow, if non-empty, lists the only programs that may run. Deny lists
// programs that never run; deny wins. DenyPatterns are regular expressions a
// command must not match. Dynamic decides commands whose program is only
// known at run time. See [Policy] for each field's exact meaning.
//
// An allow list names programs, so the shell builtins that cannot start
// another program by themselves are always permitted by it (cd, echo,
// export, test, ...; see [InertBuiltins]); a deny entry still applies to
// them. Builtins that run code (eval, exec, source) are not among them.
//
// # Layers
//
// The operator's policy (a file, see [LoadFile]) is a layer the agent cannot
// edit; a session's (from session_create) is a second layer. A command must
// pass both, and a refusal names the layer. A session can add deny entries,
// patterns and an allow list of its own, but it cannot loosen the operator:
// [Compile] refuses a session allow entry outside the operator's allow list
// or inside its deny list, and a session Dynamic of "allow" when the
// operator denies dynamic commands.
//
// # What is checked
//
// The command is parsed as a bash program (mvdan.cc/sh) and every command
// name it would run is checked: in pipelines, && || ; & lists, subshells,
// brace groups, if/for/while/case bodies, function bodies (a function named
// like an allowed program that calls a denied one is denied where it is
// defined), command and process substitutions (also inside double quotes,
// assignments, redirections, here-documents and arithmetic), after quote
// removal (\rm, 'rm', "r"m, $'\x72m'), brace expansion ({rm,x}) and path
// stripping (/bin/rm, ./rm). A program name given as a glob (/bin/r?) is
// denied if it can match a deny entry. A command that does not parse is
// refused, with the parser's message, when any rule is set.
//
// The fence looks through programs that run another program (their
// options and operands are parsed, so sudo -u rm ls runs ls):
//
//	sudo doas pkexec su runuser env command builtin exec nice nohup setsid
//	unbuffer timeout time stdbuf ionice chroot taskset chrt flock script
//	watch xargs find (-exec -execdir -ok -okdir) busybox toybox
//
// and through code given as a string, which is parsed again and checked the
// same way, up to 8 levels deep (deeper is denied): bash, sh, dash, ash,
// zsh, ksh, mksh and similar shells with -c (also in combined flags such as
// -lc), a here-document or here-string given to a shell, eval, trap actions,
// alias bodies (alias x=rm is denied where it is defined), mapfile -C, env
// -S, watch without -x, su -c, script -c and flock -c.
//
// # Dynamic commands
//
// A program name that is only known when the command runs is dynamic: $x
// args, "$(echo rm)" x, eval "$y", bash -c "$code", curl ... | sh, bash
// <(curl ...), xargs sh -c, find -exec {} ;. Dynamic decides them: by default
// they are denied when the layer has an allow list, and allowed otherwise.
// What can be seen is still checked against deny rules whatever Dynamic
// says: eval "rm $x" is denied by a deny rule for rm, and so are $x rm ($x
// may be empty, or sudo), r$x and "$(true)"rm (they can become rm),
// ${RM:-rm} and $(which rm).
//
// # Policy file
//
// The operator's layer is a JSON object with the fields of [Policy], read by
// [LoadFile]; unknown or repeated fields are errors:
//
//	{"deny": ["rm", "shutdown"], "deny_patterns": ["git\\s+push\\s+.*--force"], "dynamic": "deny"}
//
// # What the fence cannot see
//
// Scripts run from files (bash x.sh, ./x.sh, source x.sh, make), programs
// that run commands in their own language or configuration (python -c, perl
// -e, awk's system, git aliases, ssh host cmd, tar --to-command, rsync -e,
// find -delete), parallel and similar job runners, strace and debuggers,
// variables and functions set by an earlier command of the session (their
// use is dynamic), arithmetic that evaluates a variable's contents as code,
// environment variables that shells and programs read code from (BASH_ENV,
// ENV, PAGER, GIT_SSH_COMMAND, ...), and PATH changes that make a name run
// another program. These are the
// reasons the fence is a guardrail and not a boundary.
package policy
