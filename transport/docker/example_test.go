package docker_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
)

// A session in a running container. The agent chooses the container (and
// nothing else here); the operator lets it choose among two users.
func ExampleDial() {
	ctx := context.Background()
	op := &docker.Operator{User: "app", AllowUsers: []string{"root"}}
	t, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, op)
	if err != nil {
		log.Fatal(err) // a bad name, an unreachable daemon, a missing or stopped container
	}
	defer t.Close()

	s, err := execkit.Open(ctx, t, &execkit.Config{Dir: "/srv"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	res, err := s.Exec(ctx, "ls | head -3", &execkit.ExecOptions{Timeout: time.Minute})
	if err != nil {
		log.Fatal(err) // denied, or the session ended (the container stopped)
	}
	fmt.Println(s.ID(), res.ExitCode, res.Stdout)
}

// A doctor check: is the daemon the environment points at reachable?
func ExamplePing() {
	e, err := docker.Ping(context.Background(), nil)
	if err != nil {
		fmt.Println(err) // wraps docker.ErrUnreachable
		return
	}
	fmt.Printf("docker %s at %s, API %s\n", e.Version, e.Host, e.APIVersion)
}

// A program on a terminal in the container: what it shows, the echo of what
// was typed included, arrives on Stdout with the terminal's \r\n; writing to
// Stdin types. Sessions do this for jobs started with JobOptions.TTY.
func ExampleTransport_StartTTY() {
	ctx := context.Background()
	t, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	p, err := t.StartTTY(ctx, &transport.Command{Argv: []string{"sh", "-c", `read -r name; echo "hello $name"`}}, 0, 0)
	if err != nil {
		log.Fatal(err)
	}
	io.WriteString(p.Stdin(), "ada\n")
	screen, _ := io.ReadAll(p.Stdout()) // "ada\r\nhello ada\r\n"
	code, _ := p.Wait()
	fmt.Printf("%q, exit %d\n", screen, code)
}
