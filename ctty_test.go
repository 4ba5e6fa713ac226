package execkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A program embedding execkit may itself run in a terminal (a CLI, the
// Python SDK in a REPL, an MCP server started from a shell). The session's
// shell must still start, and a command opening /dev/tty must fail at once
// rather than wait on the user's terminal. The test runs itself again as a
// child whose controlling terminal is a pty.
func TestOpenFromAProcessWithATerminal(t *testing.T) {
	if os.Getenv("EXECKIT_CTTY_CHILD") == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := OpenLocal(ctx, nil)
		if err != nil {
			fmt.Println("OPEN FAILED:", err)
			os.Exit(3)
		}
		defer s.Close()
		res, err := s.Exec(ctx, "echo started; read x </dev/tty; echo status=$?", nil)
		if err != nil {
			fmt.Println("EXEC FAILED:", err)
			os.Exit(3)
		}
		fmt.Printf("RESULT %q\n", res.Stdout)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenFromAProcessWithATerminal$", "-test.count=1")
	cmd.Env = append(os.Environ(), "EXECKIT_CTTY_CHILD=1")
	tty, err := pty.Start(cmd) // the child's controlling terminal
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, tty); close(copied) }()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the child hung; its terminal showed: %q", out.String())
	}
	tty.Close()
	<-copied
	if err != nil {
		t.Fatalf("child: %v; its terminal showed: %q", err, out.String())
	}
	want := `RESULT "started\nstatus=1\n"`
	if !bytes.Contains(out.Bytes(), []byte(want)) {
		t.Fatalf("child printed %q, want it to contain %s", out.String(), want)
	}
}
