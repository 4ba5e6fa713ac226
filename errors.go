package execkit

import (
	"errors"
	"fmt"

	"github.com/execkit/execkit/policy"
)

// ErrSessionEnded is returned by every call on a session whose shell has
// ended (it exited, was replaced by exec, was killed, or its connection or
// container went away) or that was closed. The error wrapping it says why.
var ErrSessionEnded = errors.New("execkit: session ended")

// ErrBusy is returned by Exec when another Exec on the same session is still
// running and the caller's context ends before it finishes: calls on one
// session run one at a time, in order.
var ErrBusy = errors.New("execkit: session busy")

// ErrTransport is matched (errors.Is) by an error caused by the transport
// rather than by the command: the shell could not be started over it, or the
// session ended because the connection dropped, the container stopped or the
// daemon went away. Such an error also matches ErrSessionEnded when the
// session ended, and the transport's own error (ssh.ErrConnectionLost,
// docker.ErrNotRunning, ...) when it has one.
var ErrTransport = errors.New("execkit: transport failure")

// transportError is a transport's failure during op.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string   { return "execkit: " + e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() []error { return []error{ErrTransport, e.err} }

// ErrUnknownOutput is returned by Output for an id this session never gave
// out, or whose output has since been dropped to stay within the session's
// output cap.
var ErrUnknownOutput = errors.New("execkit: unknown output id")

// PolicyError reports a command the policy fence refused; the command did not
// run. Its fields name the layer, the rule and the offending command word.
type PolicyError = policy.Error

// BudgetError reports an output budget that cannot be applied (a bad mode, a
// count out of range, a regular expression that does not compile or is too
// big). It is returned before the command runs.
type BudgetError struct {
	Field  string // the budget field at fault, e.g. "grep.pattern"
	Reason string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("execkit: bad budget %s: %s", e.Field, e.Reason)
}

// endedError carries why a session ended; errors.Is(err, ErrSessionEnded)
// holds for it, and for the transport's error that ended it, if any (so a
// caller can tell a stopped container or a dropped connection).
type endedError struct {
	reason string
	cause  error
}

func (e *endedError) Error() string { return "execkit: session ended: " + e.reason }
func (e *endedError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrSessionEnded}
	}
	return []error{ErrSessionEnded, ErrTransport, e.cause}
}

// CommandError reports a command that cannot be sent to a shell at all (it
// contains a NUL byte, or it is empty). Nothing ran.
type CommandError struct{ Reason string }

func (e *CommandError) Error() string { return "execkit: bad command: " + e.Reason }
