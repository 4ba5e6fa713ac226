package execkit

import (
	"encoding/json"
	"time"
)

// Event is one thing a session did, as an observer (such as an audit log)
// sees it. Every text in it is already redacted.
type Event struct {
	// Type is "open", "exec", "blocked", "close", "checkpoint",
	// "restore", or for jobs (see Job) "job_start", "job_input",
	// "job_signal" or "job_exit".
	Type      string    `json:"type"`
	Session   string    `json:"session"`
	Transport string    `json:"transport"`
	Time      time.Time `json:"-"`
	// Command is the command as given (redacted), for exec and blocked.
	Command string `json:"command,omitempty"`
	// Result is the command's result, for exec.
	Result *Result `json:"result,omitempty"`
	// Error says why a command was blocked.
	Error string `json:"error,omitempty"`
	// Reason says why a session closed, for close: "the session was
	// closed", "idle for 31m0s, past the manager's 30m0s TTL", "the shell
	// exited with status 0", ...
	Reason string `json:"reason,omitempty"`
	// Cwd is the working directory at open (and of a job at job_start).
	Cwd string `json:"cwd,omitempty"`
	// Job is set for job events (its type is in job.go).
	Job *JobEvent `json:"job,omitempty"`
	// Checkpoint is set for checkpoint and restore events (Command then
	// holds the same as one line of text).
	Checkpoint *CheckpointEvent `json:"checkpoint,omitempty"`
}

// CheckpointEvent details a "checkpoint" or "restore" event. Its label is
// redacted.
type CheckpointEvent struct {
	// ID is the checkpoint taken or restored (empty when taking one
	// failed).
	ID    string `json:"id,omitempty"`
	Label string `json:"label,omitempty"`
	// Auto is set for a checkpoint taken automatically before a command.
	Auto bool `json:"auto,omitempty"`
	// Created, Modified and Deleted count the files a restore wrote back,
	// overwrote and removed.
	Created  int `json:"created,omitempty"`
	Modified int `json:"modified,omitempty"`
	Deleted  int `json:"deleted,omitempty"`
}

// MarshalJSON writes Time as epoch milliseconds ("time").
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		TimeMS int64 `json:"time"`
	}{plain(e), e.Time.UnixMilli()})
}

func (s *Session) emit(e *Event) {
	if s.observe == nil {
		return
	}
	e.Session = s.id
	e.Transport = s.t.Kind()
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.observe(e)
}
