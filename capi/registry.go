package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/execkit/execkit"
)

// The sessions live in an execkit.Manager (no cap, no idle reaping: the
// caller decides when a session ends). What the C side holds is a uint64
// handle, looked up here, rather than a runtime/cgo.Handle, whose Value and
// Delete panic on a stale value and would take the host process down.

// handle is what a C handle stands for.
type handle struct {
	id string // the session's id in the manager
	// transport is closed after the session: execkit.Open leaves the
	// transport (an SSH connection, a Docker client) to its caller.
	transport io.Closer
}

// call is a cancellable blocking call.
type call struct {
	ctx    context.Context
	cancel context.CancelFunc
	busy   bool // a blocking call is using it
}

type registry struct {
	mgr *execkit.Manager

	mu       sync.Mutex
	next     uint64
	sessions map[uint64]*handle
	calls    map[uint64]*call
}

var reg = &registry{
	mgr:      execkit.NewManager(0, 0),
	sessions: make(map[uint64]*handle),
	calls:    make(map[uint64]*call),
}

var errBadHandle = errors.New("execkit: unknown session handle (never opened, or closed)")

// badHandle is the error for handle h.
func badHandle(h uint64) error {
	return fmt.Errorf("%w: %d", errBadHandle, h)
}

// id returns a fresh id for a handle or a call; ids are never reused.
func (r *registry) id() uint64 {
	r.next++
	return r.next
}

// add registers s (and the transport to close after it) and returns its
// handle.
func (r *registry) add(s *execkit.Session, t io.Closer) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.id()
	r.sessions[h] = &handle{id: s.ID(), transport: t}
	return h
}

// session returns the session behind h.
func (r *registry) session(h uint64) (*execkit.Session, error) {
	r.mu.Lock()
	e := r.sessions[h]
	r.mu.Unlock()
	if e == nil {
		return nil, badHandle(h)
	}
	s, err := r.mgr.Get(e.id)
	if err != nil {
		return nil, badHandle(h)
	}
	return s, nil
}

// remove releases h and closes its session and transport.
func (r *registry) remove(h uint64) error {
	r.mu.Lock()
	e := r.sessions[h]
	delete(r.sessions, h)
	r.mu.Unlock()
	if e == nil {
		return badHandle(h)
	}
	err := r.mgr.Remove(e.id)
	if e.transport != nil {
		e.transport.Close()
	}
	if errors.Is(err, execkit.ErrUnknownSession) {
		return nil // the manager let it go already; the handle was still ours
	}
	return err
}

// handles maps session ids to their handles.
func (r *registry) handles() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]uint64, len(r.sessions))
	for h, e := range r.sessions {
		out[e.id] = h
	}
	return out
}

// newCall registers a cancellable call and returns its id.
func (r *registry) newCall() uint64 {
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id()
	r.calls[id] = &call{ctx: ctx, cancel: cancel}
	return id
}

// beginCall returns the context of call id (0: none) and the function that
// releases the id when the call returns.
func (r *registry) beginCall(id uint64) (context.Context, func(), error) {
	if id == 0 {
		return context.Background(), func() {}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[id]
	if c == nil {
		return nil, nil, fmt.Errorf("execkit: unknown call id %d (from execkit_call_new, for one call only)", id)
	}
	if c.busy {
		return nil, nil, fmt.Errorf("execkit: call id %d is already in use by another call", id)
	}
	c.busy = true
	return c.ctx, func() {
		r.mu.Lock()
		delete(r.calls, id)
		r.mu.Unlock()
		c.cancel()
	}, nil
}

// releaseCall releases call id when the export it was passed to returns
// without beginning the call (its arguments were refused, or it panicked).
// An id in use by a call that did begin (the caller passed it twice) is that
// call's to release, and is left alone.
func (r *registry) releaseCall(id uint64) {
	r.mu.Lock()
	c := r.calls[id]
	if c == nil || c.busy {
		r.mu.Unlock()
		return
	}
	delete(r.calls, id)
	r.mu.Unlock()
	c.cancel()
}

// cancelCall cancels call id, reporting whether it was pending or running.
func (r *registry) cancelCall(id uint64) bool {
	r.mu.Lock()
	c := r.calls[id]
	r.mu.Unlock()
	if c == nil {
		return false
	}
	c.cancel()
	return true
}

// counts returns how many handles and calls are registered (for tests).
func (r *registry) counts() (sessions, calls int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions), len(r.calls)
}
