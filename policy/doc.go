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
// -S, watch without -x, su -c, script -c, flock -c and history -s.
//
// A shell or source that reads code from its standard input is checked
// with that code: a here-document or here-string on it or on a group, loop
// or function that encloses it ({ bash; } <<< 'rm x'), or the input given
// with the command ([Fence.CheckInput], session_exec's stdin). Input from a
// pipe, a process substitution or a job's input ([Fence.CheckJob]) is
// dynamic; a file is opaque.
//
// # Code in variables
//
// Bash runs some data as code, and the fence checks it where the command
// puts it there:
//
//   - PROMPT_COMMAND runs before every prompt: a value assigned to it
//     (PROMPT_COMMAND=..., export, declare, local, readonly, typeset, a
//     prefix assignment, env or sudo NAME=value, an array or an element,
//     +=, ${PROMPT_COMMAND:=...}, a for loop's variable) is checked as code.
//   - PS0, PS1, PS2 and PS4 are expanded whenever bash shows them (PS3 is
//     treated alike), and MAILPATH's messages when mail arrives: the command
//     substitutions in a value given to them are checked, after a prompt's
//     own escapes (\044 is $).
//   - BASH_ENV and ENV are expanded, then name a file of code that shells
//     run when they start: setting them to anything but empty is dynamic,
//     and the command substitutions in the value are checked.
//   - A child bash imports functions from BASH_FUNC_name%%=() {...} in its
//     environment: such a value given by env is checked as the function.
//   - A literal value holding $( or ` (x='a[$(rm f)]') is code bash runs if
//     the value is ever evaluated, so what it would run is held to deny
//     rules (not to an allow list: it is most often just text).
//
// # Arithmetic and variable names
//
// Arithmetic evaluates the value of every variable it names, and a value
// such as a[$(cmd)] runs cmd, as a subscript's expansion: x='a[$(rm f)]';
// echo $((x)) runs rm. So does a subscript in a variable name given to
// read, printf -v, mapfile, unset, wait -p and test -v or [[ -v ]], as do
// ${!x} (the variable x names), ${x@P} (x's value as a prompt) and a value
// given to a variable bash evaluates on assignment (RANDOM, SRANDOM, OPTIND, HISTCMD,
// one declared -i). Arithmetic contexts are $((...)), ((...)), let, for
// ((...)), subscripts (also of an array declare -A made associative: the
// fence cannot be sure it did), ${x:off:len} and the operands of [[ ...
// -eq ... ]] and its like (not of test and [, which only take numbers).
//
// The sound rule the fence follows: bash may evaluate a variable's value as
// code unless the command itself certainly gave it a number. That is a
// number, $((...)), ${#x}, $?, $# or $$ given by a plain assignment, a
// declaration (declare, local, ...), an arithmetic one or a for loop over
// numbers, that has run before the use on every path (not in a subshell, a
// pipeline, an if branch, the right of && or ||, a prefix assignment, nor
// outside the function body the use is in), with no other kind of value
// given to it anywhere in the command. Any other variable evaluated this
// way ($1, RANDOM, n=$(wc -l <f), a variable of an earlier command) is
// dynamic, as is the output of a command substitution evaluated as
// arithmetic ($(( $(cmd) + 1 ))), ${!x} where x is not certainly a plain
// name or number, and ${x@P}. So i=0; while ...; do i=$((i+1)); done, for i
// in {1..9} and for ((i=0; i<10; i++)) are not dynamic; for i in $(seq 9)
// is.
//
// What an earlier command leaves could still change a variable between a
// later command's assignment and its use, so that is dynamic where it is
// left: a function body, trap action, alias or prompt that assigns a
// variable not local to a function (f() { n=0; }, trap 'read i' DEBUG; f()
// { local n=0; } is fine) or sources a file, and a function or alias named
// like a shell builtin or keyword (read() { ...; }, alias local=:, alias
// for=...), which would change what the fence takes a builtin to do. A
// command that sources a file knows no variable's value at all.
//
// A declaration whose effect outlives the command is dynamic too, because
// later commands would evaluate through it unseen: declare -i (every later
// assignment is arithmetic), declare -n (a name that stands for another),
// readonly of anything but a number (an assignment that fails keeps the
// old value), and a declaration argument only known when the command runs
// (declare -a "$v", export "$v"). So is a value only known when the command
// runs given by declare or typeset outside a function, with -a or -A, or to
// a variable that is an array in the command (declare x="$v", local a=(1);
// local a="$v"): bash reads a value given to an array as a compound
// assignment, ([0]=$(cmd)), which runs code. export x="$v" and, in a
// function, local x="$1" are fine.
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
// ${RM:-rm} and $(which rm). fc, which runs commands from the shell's
// history, is dynamic.
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
// variables, attributes, functions and aliases set by an earlier command of
// the session (a function or alias can stand in for any program name or
// builtin, an alias even for a keyword such as for; a variable's use in
// arithmetic is dynamic), environment variables that programs read code
// from (PAGER, GIT_SSH_COMMAND, LD_PRELOAD, ...), PATH changes that make a
// name run another program, and whatever a job reads from its input later:
// job_input writes to a running job, and a shell or REPL job (bash, python3,
// psql) runs it as code the fence never sees. [Fence.CheckJob] treats a shell
// that reads its job input as dynamic, so an allow list refuses a bare bash
// job; other REPLs are beyond it, as their -c code is. These are the reasons
// the fence is a guardrail and not a boundary.
package policy
