package execkit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// ErrTooManySessions is returned by Manager.Open when the manager already
// holds its maximum number of sessions.
var ErrTooManySessions = errors.New("execkit: too many sessions")

// ErrUnknownSession is returned by Manager.Get and Manager.Remove for an id
// the manager does not hold: never opened, removed, or reaped.
var ErrUnknownSession = errors.New("execkit: unknown session")

// ErrManagerClosed is returned by Manager.Open after Close.
var ErrManagerClosed = errors.New("execkit: session manager closed")

// Manager holds live sessions by id for a program that serves many callers
// (the MCP server, the C ABI): it caps how many are open at once and closes
// those left idle.
//
// A session is idle while no call runs in it; its idle time counts from the
// end of its last call or its last Get, whichever is later. The reaper runs
// on its own timer, so an idle session is closed (its shell and every
// process it started killed) even when nothing else happens.
//
// A Manager is safe for concurrent use. Close it to stop the reaper and close
// every session.
type Manager struct {
	max int
	ttl time.Duration

	mu       sync.Mutex
	sessions map[string]*managed
	pending  int // slots reserved by Opens in progress
	closed   bool
	onReap   func(id string, idle time.Duration)

	stop chan struct{}
	done chan struct{}
}

type managed struct {
	s       *Session
	touched time.Time // the last Get
}

// ManagerOption configures what NewManager's arguments do not.
type ManagerOption func(*Manager)

// WithReapFunc registers f to learn of every session the reaper closes, with
// how long it had been idle. It is called from the reaper's goroutine after
// the session is closed.
func WithReapFunc(f func(id string, idle time.Duration)) ManagerOption {
	return func(m *Manager) { m.onReap = f }
}

// NewManager returns a manager holding at most max sessions at once (zero or
// less: no limit) that closes sessions idle for longer than ttl (zero or
// less: never).
func NewManager(max int, ttl time.Duration, opts ...ManagerOption) *Manager {
	m := &Manager{max: max, ttl: ttl, sessions: make(map[string]*managed)}
	for _, o := range opts {
		o(m)
	}
	if ttl > 0 {
		m.stop, m.done = make(chan struct{}), make(chan struct{})
		go m.reaper(reapInterval(ttl))
	}
	return m
}

// reapInterval checks often enough that a session outlives its ttl by at
// most a tenth of it (and by at most 30 s).
func reapInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/10, 10*time.Millisecond), 30*time.Second)
}

// Open starts a session with open and holds it. The manager reserves the
// session's place first: when it is full, open is not called and the error
// wraps ErrTooManySessions. Sessions that have already ended are dropped to
// make room before a new one is refused.
//
//	s, err := m.Open(ctx, func(ctx context.Context) (*execkit.Session, error) {
//		return execkit.OpenLocal(ctx, cfg)
//	})
func (m *Manager) Open(ctx context.Context, open func(context.Context) (*Session, error)) (*Session, error) {
	if err := m.reserve(); err != nil {
		return nil, err
	}
	released := false
	defer func() {
		if !released { // open panicked: give the place back
			m.mu.Lock()
			m.pending--
			m.mu.Unlock()
		}
	}()
	s, err := open(ctx)
	m.mu.Lock()
	m.pending--
	released = true
	if err == nil && s == nil {
		err = errors.New("execkit: the open function returned no session")
	}
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	if m.closed {
		m.mu.Unlock()
		s.Close()
		return nil, ErrManagerClosed
	}
	m.sessions[s.ID()] = &managed{s: s, touched: time.Now()}
	m.mu.Unlock()
	return s, nil
}

func (m *Manager) reserve() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrManagerClosed
	}
	if m.max > 0 && len(m.sessions)+m.pending >= m.max {
		for id, e := range m.sessions {
			if e.s.Err() != nil {
				delete(m.sessions, id)
				go e.s.Close()
			}
		}
	}
	if m.max > 0 && len(m.sessions)+m.pending >= m.max {
		return fmt.Errorf("%w: %d are open, the limit; close one first", ErrTooManySessions, m.max)
	}
	m.pending++
	return nil
}

// Get returns the session with id. A session that has ended by itself (its
// shell exited) is still returned, so the caller learns why from its calls;
// it is dropped when it is removed, reaped, or its place is needed.
func (m *Manager) Get(id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.sessions[id]
	if e == nil {
		return nil, unknownSession(id)
	}
	e.touched = time.Now()
	return e.s, nil
}

func unknownSession(id string) error {
	return fmt.Errorf("%w %s", ErrUnknownSession, quoteID(id))
}

// quoteID quotes an id from a caller for an error: at most 80 bytes of it,
// control bytes escaped.
func quoteID(id string) string {
	if len(id) > 80 {
		return strconv.QuoteToASCII(id[:80]) + "..."
	}
	return strconv.QuoteToASCII(id)
}

// Remove closes the session with id and drops it.
func (m *Manager) Remove(id string) error {
	m.mu.Lock()
	e := m.sessions[id]
	delete(m.sessions, id)
	m.mu.Unlock()
	if e == nil {
		return unknownSession(id)
	}
	return e.s.closeWith("the session was destroyed")
}

// SessionInfo describes a held session, as List reports it.
type SessionInfo struct {
	ID        string `json:"session_id"`
	Transport string `json:"transport"`
	Cwd       string `json:"cwd"`
	// Idle is how long the session has had no call; zero while Busy.
	Idle time.Duration `json:"-"`
	// IdleS is Idle in whole seconds, for JSON.
	IdleS int64 `json:"idle_s"`
	// Busy is true while a call runs in the session.
	Busy bool `json:"busy,omitempty"`
	// Ended, when set, says why the session's shell ended.
	Ended string `json:"ended,omitempty"`
	// Jobs are the session's jobs, oldest first.
	Jobs []JobInfo `json:"jobs,omitempty"`
}

// List describes the held sessions, in the order they were opened.
func (m *Manager) List() []SessionInfo {
	m.mu.Lock()
	entries := make([]managed, 0, len(m.sessions))
	for _, e := range m.sessions {
		entries = append(entries, *e)
	}
	m.mu.Unlock()
	now := time.Now()
	out := make([]SessionInfo, 0, len(entries))
	for _, e := range entries {
		info := SessionInfo{ID: e.s.ID(), Transport: e.s.Transport(), Cwd: e.s.Cwd()}
		info.Busy = e.s.busy()
		if !info.Busy {
			info.Idle = e.idle(now)
			info.IdleS = int64(info.Idle / time.Second)
		}
		if err := e.s.Err(); err != nil {
			info.Ended = err.Error()
		}
		info.Jobs = e.s.Jobs()
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return idSeq(out[i].ID) < idSeq(out[j].ID) })
	return out
}

// idSeq is the number a session id starts with.
func idSeq(id string) int64 {
	n := 0
	for n < len(id) && id[n] >= '0' && id[n] <= '9' {
		n++
	}
	v, _ := strconv.ParseInt(id[:n], 10, 64)
	return v
}

// Len returns how many sessions the manager holds.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Close stops the reaper and closes every session. Later Opens fail with
// ErrManagerClosed. Close is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	all := m.sessions
	m.sessions = map[string]*managed{}
	m.mu.Unlock()
	if m.stop != nil {
		close(m.stop)
		<-m.done
	}
	var wg sync.WaitGroup
	for _, e := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.s.closeWith("the manager was closed")
		}()
	}
	wg.Wait()
	return nil
}

func (e *managed) idle(now time.Time) time.Duration {
	last := e.s.LastUsed()
	if e.touched.After(last) {
		last = e.touched
	}
	return now.Sub(last)
}

// busy reports whether a call holds the session or one of its jobs still
// runs: a dev server started as a job and left alone is not idleness.
func (s *Session) busy() bool { return s.Busy() || s.jobs.running() > 0 }

func (m *Manager) reaper(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			m.reap(now)
		case <-m.stop:
			return
		}
	}
}

// reap closes the sessions idle for longer than the ttl.
func (m *Manager) reap(now time.Time) {
	type victim struct {
		s    *Session
		idle time.Duration
	}
	var victims []victim
	m.mu.Lock()
	for id, e := range m.sessions {
		if e.s.busy() {
			continue
		}
		if idle := e.idle(now); idle > m.ttl {
			delete(m.sessions, id)
			victims = append(victims, victim{e.s, idle})
		}
	}
	m.mu.Unlock()
	for _, v := range victims {
		v.s.closeWith(fmt.Sprintf("idle for %s, past the manager's %s TTL", v.idle.Round(time.Second), m.ttl))
		if m.onReap != nil {
			m.onReap(v.s.ID(), v.idle)
		}
	}
}
