package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/ssh"
)

// The functions here are the exports' bodies in plain Go types, so tests can
// drive them without cgo. Each returns the JSON answer the export hands to C.

// abiVersion is execkit.h's EXECKIT_ABI_VERSION.
const abiVersion = 1

// openRequest is execkit_open's argument.
type openRequest struct {
	// Transport is "local" (also when empty), "ssh" or "docker".
	Transport string          `json:"transport,omitempty"`
	Config    *execkit.Config `json:"config,omitempty"`

	SSH         *ssh.Config   `json:"ssh,omitempty"`
	SSHOperator *ssh.Operator `json:"ssh_operator,omitempty"`

	Docker         *docker.Config   `json:"docker,omitempty"`
	DockerOperator *docker.Operator `json:"docker_operator,omitempty"`
}

// opened is execkit_open's answer, and execkit_session_info's.
type opened struct {
	Session   uint64 `json:"session"`
	ID        string `json:"id"`
	Transport string `json:"transport"`
	Cwd       string `json:"cwd"`
	Ended     string `json:"ended,omitempty"`
}

// answer encodes v, or the error.
func answer(v any, err error) []byte {
	if err != nil {
		return failure(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return failure(&kindedError{kindInternal, fmt.Errorf("execkit: cannot encode the answer: %w", err)})
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func failure(err error) []byte {
	b, merr := json.Marshal(map[string]*errorBody{"error": classify(err)})
	if merr != nil { // a detail that does not encode: the message alone
		b, _ = json.Marshal(map[string]*errorBody{"error": {Kind: kindInternal, Message: err.Error()}})
	}
	return b
}

// panicked is the answer of an export that recovered from panic value r.
func panicked(r any) []byte {
	return failure(&kindedError{kindInternal, fmt.Errorf("execkit: internal error (please report it): %v", r)})
}

func versionJSON() []byte {
	return answer(map[string]any{"abi": abiVersion, "go": runtime.Version()}, nil)
}

// beginCall starts blocking call id; a call cancelled before it started
// fails at once.
func beginCall(id uint64) (context.Context, func(), error) {
	ctx, done, err := reg.beginCall(id)
	if err != nil {
		return nil, nil, &argError{err.Error()}
	}
	if ctx.Err() != nil {
		done()
		return nil, nil, &kindedError{kindCancelled, errors.New("execkit: the call was cancelled before it started")}
	}
	return ctx, done, nil
}

// withSession runs f with session h inside blocking call callID: the
// preamble of every export that works on a session and may wait.
func withSession(h, callID uint64, f func(ctx context.Context, s *execkit.Session) []byte) []byte {
	ctx, done, err := beginCall(callID)
	if err != nil {
		return failure(err)
	}
	defer done()
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	return f(ctx, s)
}

func openJSON(request []byte, callID uint64) []byte {
	ctx, done, err := beginCall(callID)
	if err != nil {
		return failure(err)
	}
	defer done()
	var req openRequest
	if err := decode(request, &req, "request"); err != nil {
		return failure(err)
	}
	v, err := open(ctx, &req)
	return answer(v, err)
}

// open opens the session req asks for and registers it.
func open(ctx context.Context, req *openRequest) (*opened, error) {
	cfg := req.Config
	if cfg == nil {
		cfg = &execkit.Config{}
	}
	only := func(member, transport string) error {
		return argErrorf("request member %q is only for transport %q", member, transport)
	}
	var (
		t    io.Closer
		dial func(ctx context.Context) (*execkit.Session, error)
	)
	switch req.Transport {
	case "", "local":
		if req.SSH != nil || req.SSHOperator != nil {
			return nil, only("ssh", "ssh")
		}
		if req.Docker != nil || req.DockerOperator != nil {
			return nil, only("docker", "docker")
		}
		dial = func(ctx context.Context) (*execkit.Session, error) { return execkit.OpenLocal(ctx, cfg) }
	case "ssh":
		if req.Docker != nil || req.DockerOperator != nil {
			return nil, only("docker", "docker")
		}
		if req.SSH == nil {
			return nil, argErrorf(`transport "ssh" needs the request member "ssh" ({"host", "user", ...})`)
		}
		tr, err := ssh.Dial(ctx, req.SSH, req.SSHOperator)
		if err != nil {
			return nil, &dialError{err}
		}
		// The password or passphrase must never come back in output.
		c := *cfg
		c.Secrets = append(slices.Clone(cfg.Secrets), req.SSH.Secrets()...)
		t, dial = tr, func(ctx context.Context) (*execkit.Session, error) { return execkit.Open(ctx, tr, &c) }
	case "docker":
		if req.SSH != nil || req.SSHOperator != nil {
			return nil, only("ssh", "ssh")
		}
		if req.Docker == nil {
			return nil, argErrorf(`transport "docker" needs the request member "docker" ({"container", ...})`)
		}
		tr, err := docker.Dial(ctx, req.Docker, req.DockerOperator)
		if err != nil {
			return nil, &dialError{err}
		}
		t, dial = tr, func(ctx context.Context) (*execkit.Session, error) { return execkit.Open(ctx, tr, cfg) }
	default:
		return nil, argErrorf("unknown transport %q: use local, ssh or docker", req.Transport)
	}
	s, err := reg.mgr.Open(ctx, dial)
	if err != nil {
		if t != nil {
			t.Close()
		}
		return nil, err
	}
	h := reg.add(s, t)
	return &opened{Session: h, ID: s.ID(), Transport: s.Transport(), Cwd: s.Cwd()}, nil
}

func execJSON(h uint64, command string, options []byte, callID uint64) []byte {
	return withSession(h, callID, func(ctx context.Context, s *execkit.Session) []byte {
		var opts execkit.ExecOptions
		if err := decode(options, &opts, "options"); err != nil {
			return failure(err)
		}
		res, err := s.Exec(ctx, command, &opts)
		return answer(res, err)
	})
}

func outputJSON(h uint64, id string, budget []byte) []byte {
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	var b *execkit.Budget
	if len(bytes.TrimSpace(budget)) > 0 && string(bytes.TrimSpace(budget)) != "null" {
		b = &execkit.Budget{}
		if err := decode(budget, b, "budget"); err != nil {
			return failure(err)
		}
	}
	res, err := s.Output(id, b)
	return answer(res, err)
}

func infoJSON(h uint64) []byte {
	s, err := reg.session(h)
	if err != nil {
		return failure(err)
	}
	v := &opened{Session: h, ID: s.ID(), Transport: s.Transport(), Cwd: s.Cwd()}
	if err := s.Err(); err != nil {
		v.Ended = err.Error()
	}
	return answer(v, nil)
}

// listed is one entry of execkit_sessions.
type listed struct {
	Session uint64 `json:"session"`
	execkit.SessionInfo
}

func sessionsJSON() []byte {
	handles := reg.handles()
	out := []listed{}
	for _, info := range reg.mgr.List() {
		if h, ok := handles[info.ID]; ok {
			out = append(out, listed{Session: h, SessionInfo: info})
		}
	}
	return answer(out, nil)
}

func closeJSON(h uint64) []byte {
	err := reg.remove(h)
	return answer(map[string]bool{"closed": true}, err)
}
