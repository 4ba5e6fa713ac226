// Package docker is the transport for sessions inside running Docker
// containers, through the Docker Engine API (the docker CLI is never run).
//
// # Reaching a container
//
// [Dial] connects to the daemon the docker CLI would (DOCKER_HOST and its
// companion variables, else the default socket; [Operator.Host] overrides
// them) with API version negotiation, so an older daemon works, and checks
// that the container exists and runs. Every process is an exec in the
// container, created and attached through the API without a terminal
// (Tty=false), its output demultiplexed with stdcopy, so stdout and stderr
// stay split at the source. [Transport.StartTTY] is the exception, for
// programs that need a terminal (a REPL): an exec with Tty=true, whose one
// raw stream is the screen.
//
//	t, err := docker.Dial(ctx, &docker.Config{Container: "web-1"}, nil)
//	if err != nil {
//		return err // invalid name, daemon unreachable, no such container, stopped
//	}
//	defer t.Close()
//	s, err := execkit.Open(ctx, t, nil)
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	res, err := s.Exec(ctx, "cat /etc/os-release", nil)
//
// # Trust
//
// [Config] holds what an agent may ask for (the container, and a user and
// start directory) and is untrusted: container names are checked against
// Docker's rules before any API call, and the user and directory are taken
// only as far as the [Operator] allows. The operator's settings (which
// daemon, which containers, which users) come from start-up configuration,
// never from an agent. Processes run as the session's user, and so does
// every side exec the transport makes to signal or kill them: the transport
// never runs anything in the container with more privilege than the session.
//
// # Ending
//
// Closing the attach connection would leave the exec's processes running in
// the container, so a process's Kill and [Transport.Close] kill them inside
// it: a side exec finds every process carrying the exec's marker
// (EXECKIT_DOCKER_EXEC in its environment, inherited by what it starts) and
// every descendant of those, stops them and kills them. A process that drops
// the marker and leaves the tree (a double fork with a cleared environment)
// escapes, as it would locally; so does one running as a more privileged
// user (started through sudo), since the side exec runs as the session's
// user.
//
// While a process lives the transport watches the container (the events
// API, with a polling fallback): a container stopped, restarted or removed
// ends the process at once, and Process.Wait returns an error saying which,
// wrapping [ErrNotRunning] or [ErrNoContainer].
package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/execkit/execkit/transport"
)

// Errors a caller can branch on with errors.Is. The errors returned carry
// the details (which daemon, which container, what state).
var (
	// ErrUnreachable: the daemon does not answer (not running, wrong
	// DOCKER_HOST, no permission on the socket), or the connection to it
	// was lost.
	ErrUnreachable = errors.New("docker: the Docker daemon cannot be reached")
	// ErrNoContainer: the daemon has no such container, or it was removed.
	ErrNoContainer = errors.New("docker: no such container")
	// ErrNotRunning: the container exists but is not running (created,
	// exited, paused, restarting), or stopped or restarted during the
	// session.
	ErrNotRunning = errors.New("docker: container not running")
	// ErrNotAllowed: Operator.Containers does not list the container (or
	// it does not exist: the error does not tell which).
	ErrNotAllowed = errors.New("docker: container not allowed")
)

// stateError is an error with its own message that still matches its
// sentinel (and the cause, if any) under errors.Is.
type stateError struct {
	msg   string
	kinds []error
}

func (e *stateError) Error() string   { return e.msg }
func (e *stateError) Unwrap() []error { return e.kinds }

func stateErr(kind error, format string, args ...any) error {
	return &stateError{msg: fmt.Sprintf(format, args...), kinds: []error{kind}}
}

// Transport runs processes in one container. It is safe for concurrent use.
type Transport struct {
	cli     *client.Client
	host    string // Operator.Host, for a kill retried after Close
	id      string // full container ID
	name    string // canonical name, without "/"
	user    string
	workDir string

	mu     sync.Mutex
	closed bool
	procs  map[*process]struct{}
	// bg counts the goroutines that call the daemon for the processes
	// (stream copiers settling a status, checks after an event).
	bg sync.WaitGroup

	watchOnce sync.Once
	stop      context.CancelFunc
	stopCtx   context.Context
	watchDone chan struct{}
}

var (
	_ transport.Transport         = (*Transport)(nil)
	_ transport.Checker           = (*Transport)(nil)
	_ interface{ Label() string } = (*Transport)(nil) // execkit.Labeler, without importing execkit
)

func newClient(op *Operator) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if op != nil && op.Host != "" {
		opts = append(opts, client.WithHost(op.Host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: cannot set up a client (check DOCKER_HOST, DOCKER_CERT_PATH): %w", err)
	}
	if strings.HasPrefix(cli.DaemonHost(), "ssh://") {
		cli.Close()
		return nil, fmt.Errorf("docker: the daemon address %s needs the docker CLI's ssh connection helper, which execkit does not run; forward the socket (ssh -L) and use unix:// or tcp://", cli.DaemonHost())
	}
	return cli, nil
}

// apiErr turns a client error into one that names the daemon when it was
// not reached.
func apiErr(cli *client.Client, what string, err error) error {
	switch {
	case client.IsErrConnectionFailed(err):
		msg := fmt.Sprintf("docker: cannot reach the Docker daemon at %s: %v", cli.DaemonHost(), err)
		if strings.HasPrefix(err.Error(), "Cannot connect to the Docker daemon") {
			// The client's own sentence, which names the address again.
			msg = fmt.Sprintf("docker: cannot reach the Docker daemon at %s: is it running?", cli.DaemonHost())
		}
		return &stateError{msg: msg, kinds: []error{ErrUnreachable, err}}
	case errors.Is(err, context.DeadlineExceeded):
		return &stateError{msg: fmt.Sprintf("docker: the Docker daemon at %s did not answer in time (%s)", cli.DaemonHost(), what), kinds: []error{ErrUnreachable, err}}
	}
	return fmt.Errorf("docker: %s: %w", what, err)
}

// Dial connects to the daemon and checks the container cfg names: valid by
// Docker's rules and allowed by op (checked first, without any API call),
// present, running, and able to start sh as the session's user in its
// directory. A nil op is the zero Operator. Dial never modifies cfg or op.
// ctx bounds the connection and checks only.
func Dial(ctx context.Context, cfg *Config, op *Operator) (*Transport, error) {
	s, err := resolve(cfg, op)
	if err != nil {
		return nil, err
	}
	cli, err := newClient(op)
	if err != nil {
		return nil, err
	}
	info, err := cli.ContainerInspect(ctx, s.container)
	listed := err == nil && allowedContainer(op, trimSlash(info.Name), info.ID)
	if op != nil && len(op.Containers) > 0 && (cerrdefs.IsNotFound(err) || err == nil && !listed) {
		// The same answer whether or not it exists, and in the agent's
		// words: an unlisted container's existence and name stay hidden.
		cli.Close()
		return nil, stateErr(ErrNotAllowed, "docker: %s is not a container the operator allows sessions in", show(s.container))
	}
	if err != nil {
		cli.Close()
		if cerrdefs.IsNotFound(err) {
			return nil, stateErr(ErrNoContainer, "docker: no container %q on the Docker daemon at %s", s.container, cli.DaemonHost())
		}
		return nil, apiErr(cli, "inspecting container "+show(s.container), err)
	}
	name := trimSlash(info.Name)
	if err := runningErr(name, info.State.Status, info.State.Running, info.State.Paused, info.State.Restarting); err != nil {
		cli.Close()
		return nil, err
	}
	var host string
	if op != nil {
		host = op.Host
	}
	t := &Transport{
		cli:     cli,
		host:    host,
		id:      info.ID,
		name:    name,
		user:    s.user,
		workDir: s.workDir,
		procs:   make(map[*process]struct{}),
	}
	t.stopCtx, t.stop = context.WithCancel(context.Background())
	// Sessions need sh, as this user, in this directory: find out now, with
	// the runtime's own message, rather than from a shell that exits at once.
	if err := t.probe(ctx); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}

// runningErr says why a container that exists cannot take a session.
func runningErr(name, status string, running, paused, restarting bool) error {
	switch {
	case paused:
		return stateErr(ErrNotRunning, "docker: container %q is paused", name)
	case restarting:
		return stateErr(ErrNotRunning, "docker: container %q is restarting", name)
	case !running:
		return stateErr(ErrNotRunning, "docker: container %q is not running (%s)", name, status)
	}
	return nil
}

// Kind returns "docker".
func (t *Transport) Kind() string { return "docker" }

// Label returns the container's name, for session ids
// ("<n>_docker_<name>"); it implements execkit.Labeler.
func (t *Transport) Label() string { return t.name }

// Close kills every process this transport started that may still run in
// the container (with one side exec), stops watching the container and
// closes the client. It is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	procs := make([]*process, 0, len(t.procs))
	for p := range t.procs {
		procs = append(procs, p)
	}
	t.procs = nil
	t.mu.Unlock()

	tokens := make([]string, 0, len(procs))
	for _, p := range procs {
		if p.markKilled() {
			tokens = append(tokens, p.token)
		}
	}
	if len(tokens) > 0 {
		t.killTokens(tokens)
	}
	for _, p := range procs {
		p.closeStreams()
	}
	t.stop()
	t.watchOnce.Do(func() {}) // no watcher starts after this
	if t.watchDone != nil {
		<-t.watchDone
	}
	// A status check still in flight holds a connection the client's Close
	// would miss (it closes idle ones only): wait for them, a bounded time
	// (checks give up within seconds).
	copied := make(chan struct{})
	go func() { t.bg.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-time.After(closeWait):
	}
	return t.cli.Close()
}

// closeWait bounds how long Close waits for the processes' status checks.
const closeWait = 8 * time.Second

// Engine describes a reachable Docker daemon, for a doctor command.
type Engine struct {
	// Host is the daemon's address, as the client resolved it.
	Host string `json:"host"`
	// Version is the daemon's version ("20.10.24").
	Version string `json:"version"`
	// APIVersion is the API version this client speaks to it after
	// negotiation ("1.41").
	APIVersion string `json:"api_version"`
}

// Ping reports whether the daemon op points at (nil: the docker CLI's
// environment) answers, and which versions it runs. The error wraps
// ErrUnreachable when it does not.
func Ping(ctx context.Context, op *Operator) (*Engine, error) {
	cli, err := newClient(op)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx); err != nil {
		return nil, apiErr(cli, "ping", err)
	}
	v, err := cli.ServerVersion(ctx)
	if err != nil {
		return nil, apiErr(cli, "version", err)
	}
	return &Engine{Host: cli.DaemonHost(), Version: v.Version, APIVersion: cli.ClientVersion()}, nil
}
