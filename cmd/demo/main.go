// Command demo opens a real local execkit session and prints the structured
// result of a few commands: persistent state, split streams, a timeout that
// leaves the session usable, a budget, redaction and the policy fence.
//
//	go run ./cmd/demo
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/policy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "execkit-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	s, err := execkit.OpenLocal(ctx, &execkit.Config{
		Dir:    dir,
		Policy: &policy.Policy{Deny: []string{"shutdown", "reboot"}},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("session %s (%s)\n\n", s.ID(), s.Transport())

	steps := []struct {
		cmd  string
		opts *execkit.ExecOptions
	}{
		{cmd: "mkdir -p src && cd src && export GREETING=hello"},
		{cmd: `echo "$GREETING from $(pwd)"; echo 'a warning' >&2; printf 'no newline'`},
		{cmd: "printf '\\033[32mgreen\\033[0m\\n'; printf 'progress 10%%\\rprogress 50%%\\rprogress 100%%\\n'"},
		{cmd: "echo start; sleep 30", opts: &execkit.ExecOptions{Timeout: 500 * time.Millisecond}},
		{cmd: `echo "still $GREETING in $(pwd)"`},
		{cmd: "seq 1 100000", opts: &execkit.ExecOptions{Budget: &execkit.Budget{Keep: &execkit.Keep{Mode: "tail", N: 3}}}},
		{cmd: "echo 'aws key: AKIAABCDEFGHIJKLMNOP'; echo 'db: postgres://app:s3cr3t-pass@db:5432/app'"},
		{cmd: "cat; read line; echo \"read returned: '$line'\""},
		{cmd: "sudo shutdown -h now"},
		{cmd: "exit 4"},
		{cmd: "echo after exit"},
	}
	for _, st := range steps {
		fmt.Printf("$ %s\n", st.cmd)
		res, err := s.Exec(ctx, st.cmd, st.opts)
		if err != nil {
			fmt.Printf("  error: %v\n\n", err)
			continue
		}
		b, _ := json.Marshal(res)
		fmt.Printf("  %s\n\n", b)
	}
	return nil
}
