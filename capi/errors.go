package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/checkpoint"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/ssh"
)

// Error kinds, as execkit.h lists them.
const (
	kindBadHandle     = "bad_handle"
	kindBadArgument   = "bad_argument"
	kindBadBudget     = "bad_budget"
	kindPolicyDenied  = "policy_denied"
	kindSessionEnded  = "session_ended"
	kindBusy          = "busy"
	kindUnknownOutput = "unknown_output"
	kindTimeout       = "timeout"
	kindCancelled     = "cancelled"
	kindTransport     = "transport"
	kindHostKey       = "host_key"
	kindAuth          = "auth"
	kindKeyPath       = "key_path"
	kindContainer     = "container"
	kindNotSupported  = "not_supported"
	kindUnknownJob    = "unknown_job"
	kindJobEnded      = "job_ended"
	kindTooManyJobs   = "too_many_jobs"
	kindNoWorkspace   = "no_workspace"
	kindNoGit         = "no_git"
	kindUnknownCkpt   = "unknown_checkpoint"
	kindInternal      = "internal"
	kindError         = "error"
)

// errorBody is the "error" member of a failed answer.
type errorBody struct {
	Kind    string         `json:"kind"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// argError is a malformed argument: bad JSON, an unknown member, a NULL
// where a value is needed.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, a ...any) error {
	return &argError{"execkit: " + fmt.Sprintf(format, a...)}
}

// kindedError carries a kind chosen where the error arose.
type kindedError struct {
	kind string
	err  error
}

func (e *kindedError) Error() string { return e.err.Error() }
func (e *kindedError) Unwrap() error { return e.err }

// dialError is what a transport's Dial returned: a failure nothing more
// specific explains is a transport failure.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// classify turns err into an error body.
func classify(err error) *errorBody {
	fallback := kindError
	var dial *dialError
	if errors.As(err, &dial) {
		fallback = kindTransport
	}
	b := &errorBody{Kind: fallback, Message: err.Error()}
	var (
		kinded  *kindedError
		arg     *argError
		pol     *execkit.PolicyError
		budget  *execkit.BudgetError
		command *execkit.CommandError
		hostKey *ssh.HostKeyError
		sshCfg  *ssh.ConfigError
		dockCfg *docker.ConfigError
		netErr  net.Error
		jobArg  *execkit.JobArgError
		busy    *execkit.BusyError
		cpID    *checkpoint.IDError
		cpLabel *checkpoint.LabelError
		cpOpt   *checkpoint.OptionError
	)
	var reported *reportedError
	if errors.As(err, &reported) {
		defer func() {
			if b.Details == nil {
				b.Details = map[string]any{}
			}
			b.Details["report"] = reported.report
		}()
	}
	switch {
	case errors.As(err, &kinded):
		b.Kind = kinded.kind
	case errors.Is(err, errBadHandle):
		b.Kind = kindBadHandle
	case errors.As(err, &arg):
		b.Kind = kindBadArgument
	case errors.As(err, &pol):
		b.Kind = kindPolicyDenied
		b.Details = map[string]any{"layer": pol.Layer, "rule": pol.Rule, "word": pol.Word, "command": pol.Command, "reason": pol.Reason}
	case errors.As(err, &budget):
		b.Kind = kindBadBudget
		b.Details = map[string]any{"field": budget.Field, "reason": budget.Reason}
	case errors.As(err, &jobArg):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"arg": jobArg.Arg, "reason": jobArg.Reason}
	case errors.As(err, &busy):
		b.Kind = kindBusy
		b.Details = map[string]any{"job_id": busy.JobID}
	case errors.Is(err, execkit.ErrUnknownJob):
		b.Kind = kindUnknownJob
	case errors.Is(err, execkit.ErrJobEnded):
		b.Kind = kindJobEnded
	case errors.Is(err, execkit.ErrTooManyJobs):
		b.Kind = kindTooManyJobs
	case errors.Is(err, execkit.ErrNoWorkspace):
		b.Kind = kindNoWorkspace
	case errors.Is(err, checkpoint.ErrNoGit):
		b.Kind = kindNoGit
	case errors.Is(err, checkpoint.ErrNotFound), errors.Is(err, checkpoint.ErrNoCheckpoints):
		b.Kind = kindUnknownCkpt
	case errors.Is(err, checkpoint.ErrBusy):
		b.Kind = kindBusy
	case errors.As(err, &cpID):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"field": "checkpoint_id", "reason": cpID.Reason}
	case errors.As(err, &cpLabel):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"field": "label", "reason": cpLabel.Reason}
	case errors.As(err, &cpOpt):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"field": cpOpt.Field, "reason": cpOpt.Reason}
	case errors.As(err, &command):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"reason": command.Reason}
	case errors.As(err, &hostKey):
		b.Kind = kindHostKey
		b.Details = map[string]any{
			"host_key_kind": string(hostKey.Kind), "host": hostKey.Host, "key_type": hostKey.KeyType,
			"fingerprint": hostKey.Fingerprint, "known": hostKey.Known, "pin": hostKey.Pin,
		}
	case errors.Is(err, ssh.ErrKeyPath):
		b.Kind = kindKeyPath
	case errors.Is(err, ssh.ErrAuth):
		b.Kind = kindAuth
	case errors.As(err, &sshCfg):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"field": sshCfg.Field, "reason": sshCfg.Reason}
	case errors.As(err, &dockCfg):
		b.Kind = kindBadArgument
		b.Details = map[string]any{"field": dockCfg.Field, "reason": dockCfg.Reason}
	case errors.Is(err, execkit.ErrSessionEnded):
		b.Kind = kindSessionEnded
	case errors.Is(err, execkit.ErrBusy):
		b.Kind = kindBusy
	case errors.Is(err, execkit.ErrUnknownOutput):
		b.Kind = kindUnknownOutput
	case errors.Is(err, docker.ErrNoContainer), errors.Is(err, docker.ErrNotRunning), errors.Is(err, docker.ErrNotAllowed):
		b.Kind = kindContainer
	case errors.Is(err, ssh.ErrConnectionLost), errors.Is(err, docker.ErrUnreachable):
		b.Kind = kindTransport
	case errors.Is(err, context.DeadlineExceeded):
		b.Kind = kindTimeout
	case errors.Is(err, context.Canceled):
		b.Kind = kindCancelled
	case errors.As(err, &netErr):
		b.Kind = kindTransport
	}
	return b
}
