package main

import (
	"context"
	"time"

	"github.com/execkit/execkit"
)

// Jobs: the exports' bodies for Session.Start and the *execkit.Job verbs.
// Jobs are reached by (session handle, job id): the session keeps them.

// jobOutputOptions are execkit_job_output's options: Job.Output's arguments.
type jobOutputOptions struct {
	// WaitMS is how long to wait for output, in milliseconds (see
	// Job.Output); zero returns at once.
	WaitMS int64 `json:"wait_ms,omitempty"`
	// Until returns as soon as this RE2 pattern appears in the output.
	Until string `json:"until,omitempty"`
}

// maxWaitMS keeps a wait representable as a time.Duration (the library caps
// it at the session's timeout anyway).
const maxWaitMS = int64(365 * 24 * time.Hour / time.Millisecond)

func jobStartJSON(h uint64, command string, options []byte, callID uint64) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		var opts execkit.JobOptions
		if err := decode(options, &opts, "options"); err != nil {
			return failure(err)
		}
		job, err := s.Start(ctx, command, &opts)
		if err != nil {
			return failure(err)
		}
		return answer(job.Info(), nil)
	})
}

func jobsJSON(h uint64) []byte {
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	jobs := s.Jobs()
	if jobs == nil {
		jobs = []execkit.JobInfo{}
	}
	return answer(jobs, nil)
}

// withJob runs f on the job id of session h, inside blocking call callID.
func withJob(h uint64, id string, callID uint64, f func(ctx context.Context, j *execkit.Job) (any, error)) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		j, err := s.Job(id)
		if err != nil {
			return failure(err)
		}
		v, err := f(ctx, j)
		return answer(v, err)
	})
}

func jobOutputJSON(h uint64, id string, options []byte, callID uint64) []byte {
	return withJob(h, id, callID, func(ctx context.Context, j *execkit.Job) (any, error) {
		var opts jobOutputOptions
		if err := decode(options, &opts, "options"); err != nil {
			return nil, err
		}
		if opts.WaitMS > maxWaitMS {
			return nil, argErrorf("options: wait_ms %d is over a year", opts.WaitMS)
		}
		return j.Output(ctx, time.Duration(opts.WaitMS)*time.Millisecond, opts.Until)
	})
}

func jobInputJSON(h uint64, id, input string, callID uint64) []byte {
	return withJob(h, id, callID, func(ctx context.Context, j *execkit.Job) (any, error) {
		n, err := j.Input(ctx, input)
		if err != nil {
			return nil, err
		}
		return map[string]int{"written": n}, nil
	})
}

func jobCloseInputJSON(h uint64, id string) []byte {
	return withJob(h, id, 0, func(_ context.Context, j *execkit.Job) (any, error) {
		if err := j.CloseInput(); err != nil {
			return nil, err
		}
		return map[string]bool{"closed": true}, nil
	})
}

func jobSignalJSON(h uint64, id, signal string, callID uint64) []byte {
	return withJob(h, id, callID, func(ctx context.Context, j *execkit.Job) (any, error) {
		return j.Signal(ctx, signal)
	})
}
