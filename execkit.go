// Package execkit gives a program (typically an AI agent's tool layer) a
// persistent, structured shell session on a machine: the local one, an SSH
// host or a Docker container.
//
// # Sessions
//
// A [Session] is one long-lived shell. `cd`, exported variables, functions,
// aliases and `set` options persist from one [Session.Exec] to the next, as
// in a terminal. Every command returns a [Result] as data: stdout and stderr
// split at the source, the exit code, the duration, the working directory
// afterwards, and whether the output was truncated or the command timed out.
//
//	s, err := execkit.OpenLocal(ctx, &execkit.Config{Dir: "/srv/app"})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	res, err := s.Exec(ctx, "make test", &execkit.ExecOptions{Timeout: time.Minute})
//	if err != nil {
//		return err // denied, bad budget, or the session ended: no result
//	}
//	fmt.Println(res.ExitCode, res.Cwd, res.Stdout)
//
// # What a command cannot do to the session
//
// Commands read /dev/null as stdin unless the caller passes input, and the
// session starts non-interactive ([DefaultEnv]: pagers print, editors fail,
// git does not prompt), so nothing waits for a person. Each command is framed
// by markers carrying a fresh unguessable nonce the command cannot read, so
// no output forges the end of a result. A timeout interrupts the command's
// process tree (INT, then TERM, then KILL) and the session keeps its state;
// only a shell that really ends (exit, exec, set -e, killed) ends the session,
// and every later call then fails with [ErrSessionEnded].
//
// # Output
//
// Output is cleaned (terminal escape sequences stripped, carriage-return
// progress bars collapsed, invalid UTF-8 repaired), redacted (credentials
// replaced by [REDACTED]) and shaped by a [Budget] (head, tail, grep, a
// character cap), in that order, while it streams: memory stays bounded
// whatever a command prints. A shaped or truncated Result carries an OutputID;
// [Session.Output] reads the full output again with another budget.
//
// # Policy
//
// An optional fence ([Config.Policy], [Config.OperatorPolicy]) parses each
// command as a shell program and refuses denied programs before they run. It
// is advisory: a guardrail against mistakes, not a sandbox. The real boundary
// is a least-privilege user, a container or a scoped SSH account.
//
// # Transports
//
// [Open] takes any [transport.Transport]; [OpenLocal] is the shortcut for
// this machine. The transport only moves bytes: framing, cleaning, redaction,
// budgets and policy are the same code for all of them.
package execkit
