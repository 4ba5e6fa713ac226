package execkit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/execkit/execkit"
)

// A job runs beside the session: a dev server is started, read until it is
// ready, and stopped.
func ExampleSession_Start() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close() // kills every job still running

	s.Exec(ctx, "cd /tmp && export PORT=8080", nil)
	j, err := s.Start(ctx, `echo "serving $(pwd) on :$PORT"; while :; do sleep 1; done`, nil)
	if err != nil {
		panic(err)
	}
	out, _ := j.Output(ctx, 10*time.Second, `on :\d+`)
	fmt.Print(out.Stdout)
	info, _ := j.Signal(ctx, "TERM")
	fmt.Println(info.Running, *info.ExitCode)
	// Output:
	// serving /tmp on :8080
	// false 143
}

// A REPL on a terminal, driven by input.
func ExampleJob_Input() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	j, err := s.Start(ctx, "python3 -q -i", &execkit.JobOptions{TTY: true})
	if err != nil {
		panic(err)
	}
	j.Output(ctx, 10*time.Second, `>>> $`)
	j.Input(ctx, "print(6 * 7)\n")
	out, _ := j.Output(ctx, 10*time.Second, `>>> $`) // the next prompt
	fmt.Printf("%q\n", out.Stdout)
	// Output: "print(6 * 7)\n42\n>>> "
}

// A long build keeps running past the call's timeout; the session is busy
// until it ends.
func ExampleExecOptions_onTimeoutContinue() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	res, _ := s.Exec(ctx, "echo compiling; sleep 1; echo built", &execkit.ExecOptions{Timeout: 200 * time.Millisecond, OnTimeout: "continue"})
	fmt.Printf("%q %s\n", res.Stdout, res.JobID)
	_, err = s.Exec(ctx, "echo next", nil)
	fmt.Println(errors.Is(err, execkit.ErrBusy))

	j, _ := s.Job(res.JobID)
	out, _ := j.Output(ctx, 10*time.Second, "built")
	for out.Running {
		out, _ = j.Output(ctx, time.Second, "")
	}
	next, _ := s.Exec(ctx, "echo next", nil)
	fmt.Print(next.Stdout)
	// Output:
	// "compiling\n" job_1
	// true
	// next
}
