package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport/ssh"
)

func ExampleDial() {
	ctx := context.Background()
	// What an agent asked for: untrusted, validated by Dial.
	cfg := &ssh.Config{Host: "build1.example.com", User: "ci", KeyPath: "id_ed25519"}
	// What the operator decided at start-up: keys only from ~/.ssh/agents,
	// host keys checked against ~/.ssh/known_hosts (the zero value's).
	home, _ := os.UserHomeDir()
	op := &ssh.Operator{KeyDir: filepath.Join(home, ".ssh", "agents")}

	tr, err := ssh.Dial(ctx, cfg, op)
	var hk *ssh.HostKeyError
	switch {
	case errors.As(err, &hk) && hk.Kind == ssh.HostKeyChanged:
		log.Fatalf("refusing %s: %v", cfg.Host, err) // possibly a man in the middle
	case err != nil:
		log.Fatal(err)
	}
	defer tr.Close()

	s, err := execkit.Open(ctx, tr, &execkit.Config{Secrets: cfg.Secrets()})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	res, err := s.Exec(ctx, "uname -a", nil)
	if err != nil {
		log.Fatal(err) // e.g. the connection was lost: errors.Is(err, execkit.ErrSessionEnded)
	}
	fmt.Println(s.ID(), res.ExitCode, res.Stdout)
}
