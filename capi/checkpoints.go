package main

import (
	"github.com/execkit/execkit"
)

// Checkpoints: the exports' bodies for Session.Checkpoint, Checkpoints and
// Restore.

func checkpointJSON(h uint64, label string, callID uint64) []byte {
	ctx, done, err := beginCall(callID)
	if err != nil {
		return failure(err)
	}
	defer done()
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	cp, err := s.Checkpoint(ctx, label)
	return answer(cp, err)
}

func checkpointsJSON(h uint64, callID uint64) []byte {
	ctx, done, err := beginCall(callID)
	if err != nil {
		return failure(err)
	}
	defer done()
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	list, err := s.Checkpoints(ctx)
	if list == nil {
		list = []execkit.Checkpoint{}
	}
	return answer(list, err)
}

func restoreJSON(h uint64, id string, callID uint64) []byte {
	ctx, done, err := beginCall(callID)
	if err != nil {
		return failure(err)
	}
	defer done()
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	rep, err := s.Restore(ctx, id)
	if err != nil && rep != nil {
		// A restore that failed part way says what it had changed.
		return failure(&reportedError{err: err, report: rep})
	}
	return answer(rep, err)
}

// reportedError is a restore failure with the partial report.
type reportedError struct {
	err    error
	report *execkit.RestoreReport
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }
