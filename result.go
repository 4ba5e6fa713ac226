package execkit

import (
	"encoding/json"
	"time"
)

// Result is what one command did. A nonzero exit, a timeout or a truncated
// output is reported here, not as an error.
type Result struct {
	// Stdout and Stderr are the command's output, split at the source:
	// cleaned (terminal sequences stripped, carriage-return overwrites
	// resolved, UTF-8 made valid), secret-redacted, then shaped by the
	// budget, in that order. Mostly-binary output is replaced by a line
	// giving its size.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// ExitCode is the command's exit status, 128+N when it died of signal
	// N (130 after an interrupt). When the command ended the session
	// (Ended) it is the shell's exit status, or -1 when the transport could
	// not learn it (a dropped connection, a container that stopped).
	ExitCode int `json:"exit_code"`
	// Duration is the wall time of the command itself.
	Duration time.Duration `json:"-"`
	// Cwd is the shell's working directory after the command.
	Cwd string `json:"cwd"`
	// Truncated is true if anything was dropped: by the budget, the
	// character cap, a binary summary, or the session's output cap.
	Truncated bool `json:"truncated,omitempty"`
	// TimedOut is true if the command hit its timeout (or its context
	// ended) and was interrupted.
	TimedOut bool `json:"timed_out,omitempty"`
	// Budget says what a budget kept; nil when no budget was given.
	Budget *BudgetReport `json:"budget,omitempty"`
	// Redacted counts the secrets replaced by "[REDACTED]" (never which).
	Redacted int `json:"redacted,omitempty"`
	// OutputID, when set, names the full output for [Session.Output]:
	// present when the output was truncated or shaped.
	OutputID string `json:"output_id,omitempty"`
	// Ended, when set, says the session's shell ended during this command
	// (exit, exec, set -e, killed) and why; every later call fails with
	// ErrSessionEnded.
	Ended string `json:"session_ended,omitempty"`
	// JobID, when set, names the job this command became when it reached
	// its timeout with ExecOptions.OnTimeout "continue": it was not
	// interrupted and still runs in the session's shell. Stdout and Stderr
	// hold its output so far, TimedOut is true and ExitCode is -1 (not
	// known yet); [Session.Job] and [Job.Output] give the rest, the exit
	// code and the state. Until it ends the session is busy: Exec and
	// Start return a *BusyError.
	JobID string `json:"job_id,omitempty"`
	// Files, in a session with a workspace (Config.Workspace), is the
	// command's effect on the workspace's files. It is nil when the
	// session has no workspace, for a command that cannot change files by
	// its parse (checkpoint.MayChangeFiles: ls, cat, grep, git status and
	// the like), for a command that went on as a job (JobID) or ended the
	// session, on a host without git, and with Config.NoFileChanges.
	Files *FileChanges `json:"files,omitempty"`
}

// MarshalJSON writes Duration as duration_ms.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(r), r.Duration.Milliseconds()})
}

// UnmarshalJSON reads duration_ms.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var v struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Result(v.plain)
	r.Duration = time.Duration(v.DurationMS) * time.Millisecond
	return nil
}
