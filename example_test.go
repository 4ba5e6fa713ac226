package execkit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/policy"
)

// A session keeps the shell's state between commands and returns each
// command's outcome as data.
func Example() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, &execkit.Config{Dir: "/"})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	s.Exec(ctx, "cd /tmp && export GREETING=hello", nil)
	res, err := s.Exec(ctx, `echo "$GREETING from $(pwd)"; echo oops >&2; exit_code() { return 3; }; exit_code`, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stdout=%q stderr=%q exit=%d cwd=%s\n", res.Stdout, res.Stderr, res.ExitCode, res.Cwd)
	// Output: stdout="hello from /tmp\n" stderr="oops\n" exit=3 cwd=/tmp
}

// A timeout interrupts the command, not the session.
func ExampleSession_Exec_timeout() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	s.Exec(ctx, "export KEPT=yes", nil)
	res, _ := s.Exec(ctx, "echo started; sleep 60", &execkit.ExecOptions{Timeout: 200 * time.Millisecond})
	fmt.Println(res.TimedOut, res.ExitCode, res.Stdout == "started\n")
	res, _ = s.Exec(ctx, "echo $KEPT", nil)
	fmt.Print(res.Stdout)
	// Output:
	// true 130 true
	// yes
}

// A budget keeps what the agent needs; the rest can be read again later.
func ExampleSession_Output() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	res, _ := s.Exec(ctx, "seq 1 1000", &execkit.ExecOptions{Budget: &execkit.Budget{Keep: &execkit.Keep{Mode: "tail", N: 2}}})
	fmt.Printf("%q of %d lines\n", res.Stdout, res.Budget.Stdout.LinesTotal)
	again, _ := s.Output(res.OutputID, &execkit.Budget{Grep: &execkit.Grep{Pattern: "^500$", Context: 1}})
	fmt.Printf("%q\n", again.Stdout)
	// Output:
	// "999\n1000\n" of 1000 lines
	// "499\n500\n501\n"
}

// The policy fence refuses a denied program wherever it hides in the
// command; nothing runs.
func ExampleConfig_policy() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, &execkit.Config{Policy: &policy.Policy{Deny: []string{"rm"}}})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	_, err = s.Exec(ctx, "find . -name '*.tmp' -exec rm {} +", nil)
	var pe *execkit.PolicyError
	fmt.Println(errors.As(err, &pe), pe.Word)
	// Output: true rm
}

// Secrets in output are replaced before anything leaves the library.
func ExampleConfig_secrets() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, &execkit.Config{Secrets: []string{"hunter2-prod-password"}})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	res, _ := s.Exec(ctx, "echo db password is hunter2-prod-password", nil)
	fmt.Print(res.Stdout, res.Redacted, "\n")
	// Output:
	// db password is [REDACTED]
	// 1
}

// When the shell itself ends, the result says so and later calls fail with
// ErrSessionEnded.
func ExampleErrSessionEnded() {
	ctx := context.Background()
	s, err := execkit.OpenLocal(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	res, _ := s.Exec(ctx, "exit 4", nil)
	fmt.Println(res.ExitCode, res.Ended != "")
	_, err = s.Exec(ctx, "echo", nil)
	fmt.Println(errors.Is(err, execkit.ErrSessionEnded))
	// Output:
	// 4 true
	// true
}
