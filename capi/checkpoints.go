package main

import (
	"context"

	"github.com/execkit/execkit"
)

// Checkpoints: the exports' bodies for Session.Checkpoint, Checkpoints and
// Restore.

func checkpointJSON(h uint64, label string, callID uint64) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		cp, err := s.Checkpoint(ctx, label)
		return answer(cp, err)
	})
}

func checkpointsJSON(h uint64, callID uint64) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		list, err := s.Checkpoints(ctx)
		if list == nil {
			list = []execkit.Checkpoint{}
		}
		return answer(list, err)
	})
}

func restoreJSON(h uint64, id string, callID uint64) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		rep, err := s.Restore(ctx, id)
		if err != nil && rep != nil {
			// A restore that failed part way says what it had changed.
			return failure(&reportedError{err: err, report: rep})
		}
		return answer(rep, err)
	})
}

// reportedError is a restore failure with the partial report.
type reportedError struct {
	err    error
	report *execkit.RestoreReport
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }
