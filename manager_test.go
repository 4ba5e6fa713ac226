package execkit

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openLocalIn(cfg *Config) func(context.Context) (*Session, error) {
	return func(ctx context.Context) (*Session, error) { return OpenLocal(ctx, cfg) }
}

func mgrOpen(t testing.TB, m *Manager) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := m.Open(ctx, openLocalIn(nil))
	require.NoError(t, err, "opening a managed local session")
	return s
}

// processGone reports whether pid has exited (a zombie nobody reaped counts
// as gone: it runs nothing).
func processGone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || strings.HasPrefix(string(data[i+1:]), " Z")
}

func TestManagerGetListRemove(t *testing.T) {
	m := NewManager(0, 0)
	defer m.Close()
	a := mgrOpen(t, m)
	b := mgrOpen(t, m)
	dir := t.TempDir()
	_, err := b.Exec(context.Background(), "cd "+dir, nil)
	require.NoError(t, err)

	got, err := m.Get(a.ID())
	require.NoError(t, err)
	assert.Same(t, a, got)
	assert.Equal(t, 2, m.Len())

	list := m.List()
	require.Len(t, list, 2)
	assert.Equal(t, a.ID(), list[0].ID, "List is in the order sessions were opened")
	assert.Equal(t, b.ID(), list[1].ID)
	assert.Equal(t, "local", list[1].Transport)
	assert.Equal(t, dir, list[1].Cwd)
	assert.False(t, list[1].Busy)
	assert.Less(t, list[1].Idle, 10*time.Second)

	require.NoError(t, m.Remove(a.ID()))
	assert.ErrorIs(t, a.Err(), ErrSessionEnded, "a removed session is closed")
	_, err = m.Get(a.ID())
	assert.ErrorIs(t, err, ErrUnknownSession)
	assert.ErrorIs(t, m.Remove(a.ID()), ErrUnknownSession)
	assert.Len(t, m.List(), 1)
}

func TestManagerUnknownIDsAreQuotedAndBounded(t *testing.T) {
	m := NewManager(0, 0)
	defer m.Close()
	for _, id := range []string{"", "../../etc/passwd", "1_local\x00", strings.Repeat("9", 10000), "\x1b[2J", "1_local\n2_local"} {
		_, err := m.Get(id)
		require.ErrorIs(t, err, ErrUnknownSession)
		msg := err.Error()
		assert.Less(t, len(msg), 200, "an error must not echo a huge id")
		assert.NotContains(t, msg, "\x00")
		assert.NotContains(t, msg, "\x1b")
		assert.NotContains(t, msg, "\n")
	}
}

func TestManagerCap(t *testing.T) {
	m := NewManager(2, 0)
	defer m.Close()
	mgrOpen(t, m)
	b := mgrOpen(t, m)
	called := false
	_, err := m.Open(context.Background(), func(context.Context) (*Session, error) {
		called = true
		return nil, errors.New("unreachable")
	})
	require.ErrorIs(t, err, ErrTooManySessions)
	assert.False(t, called, "a refused create must not start a shell")
	assert.Contains(t, err.Error(), "2 are open, the limit")

	require.NoError(t, m.Remove(b.ID()))
	mgrOpen(t, m)

	// A panicking open gives its place back.
	require.NoError(t, m.Remove(m.List()[1].ID))
	assert.Panics(t, func() {
		m.Open(context.Background(), func(context.Context) (*Session, error) { panic("boom") })
	})
	mgrOpen(t, m)

	// A failed open gives its place back.
	require.NoError(t, m.Remove(m.List()[1].ID))
	_, err = m.Open(context.Background(), func(context.Context) (*Session, error) { return nil, errors.New("boom") })
	require.EqualError(t, err, "boom")
	mgrOpen(t, m)
}

func TestManagerCapUnderConcurrency(t *testing.T) {
	m := NewManager(4, 0)
	defer m.Close()
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Open(context.Background(), openLocalIn(nil))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrTooManySessions):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(4), ok.Load())
	assert.Equal(t, int32(12), refused.Load())
	assert.Equal(t, 4, m.Len())
}

func TestManagerEndedSessionsMakeRoom(t *testing.T) {
	m := NewManager(1, 0)
	defer m.Close()
	a := mgrOpen(t, m)
	res, err := a.Exec(context.Background(), "exit 3", nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Ended)

	// Until its place is needed, the ended session still explains itself.
	got, err := m.Get(a.ID())
	require.NoError(t, err)
	_, err = got.Exec(context.Background(), "true", nil)
	assert.ErrorIs(t, err, ErrSessionEnded)
	list := m.List()
	require.Len(t, list, 1)
	assert.Contains(t, list[0].Ended, "status 3")

	b := mgrOpen(t, m)
	assert.NotEqual(t, a.ID(), b.ID())
	_, err = m.Get(a.ID())
	assert.ErrorIs(t, err, ErrUnknownSession)
}

func TestManagerReapsIdleSessionsOnATimer(t *testing.T) {
	var mu sync.Mutex
	reaped := map[string]time.Duration{}
	m := NewManager(0, 300*time.Millisecond, WithReapFunc(func(id string, idle time.Duration) {
		mu.Lock()
		reaped[id] = idle
		mu.Unlock()
	}))
	defer m.Close()
	s := mgrOpen(t, m)
	res, err := s.Exec(context.Background(), "sleep 1000 >/dev/null 2>&1 & echo $!", nil)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	require.NoError(t, err)
	require.False(t, processGone(pid))

	// Nothing else happens: no create, no call. The timer alone reaps.
	require.Eventually(t, func() bool { return m.Len() == 0 }, 5*time.Second, 20*time.Millisecond, "an idle session must be reaped on its own")
	_, err = m.Get(s.ID())
	assert.ErrorIs(t, err, ErrUnknownSession)
	assert.ErrorIs(t, s.Err(), ErrSessionEnded, "a reaped session is closed")
	require.Eventually(t, func() bool { return processGone(pid) }, 5*time.Second, 20*time.Millisecond, "a reaped session's processes must be gone")
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, reaped, s.ID())
	assert.GreaterOrEqual(t, reaped[s.ID()], 300*time.Millisecond)
}

func TestManagerNeverReapsABusyOrTouchedSession(t *testing.T) {
	m := NewManager(0, 200*time.Millisecond)
	defer m.Close()
	busy := mgrOpen(t, m)
	touched := mgrOpen(t, m)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			time.Sleep(80 * time.Millisecond)
			_, err := m.Get(touched.ID())
			assert.NoError(t, err, "a session in use is not idle")
		}
	}()
	res, err := busy.Exec(context.Background(), "sleep 1; echo done", nil)
	require.NoError(t, err)
	assert.Equal(t, "done\n", res.Stdout, "a running command is not idleness")
	assert.Empty(t, res.Ended)
	<-done
	_, err = m.Get(busy.ID())
	assert.NoError(t, err)
}

func TestManagerNeverReapsASessionWithARunningJob(t *testing.T) {
	m := NewManager(0, 100*time.Millisecond)
	defer m.Close()
	withJob := mgrOpen(t, m)
	idle := mgrOpen(t, m)
	j, err := withJob.Start(context.Background(), "sleep 30", nil)
	require.NoError(t, err)
	// Watched through Err: Get would count as use.
	require.Eventually(t, func() bool { return idle.Err() != nil }, 10*time.Second, 20*time.Millisecond,
		"an idle session without jobs is reaped")
	time.Sleep(300 * time.Millisecond) // three ttls more
	require.NoError(t, withJob.Err(), "a session whose job runs is not reaped")

	// Once the job has ended, the session is idle like any other.
	_, err = j.Signal(context.Background(), "KILL")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return withJob.Err() != nil }, 10*time.Second, 20*time.Millisecond)
	assert.ErrorIs(t, withJob.Err(), ErrSessionEnded)
	_, err = m.Get(withJob.ID())
	assert.Error(t, err, "a reaped session is gone from the manager")
}

func TestManagerClose(t *testing.T) {
	m := NewManager(0, time.Minute)
	a := mgrOpen(t, m)
	b := mgrOpen(t, m)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	assert.ErrorIs(t, a.Err(), ErrSessionEnded)
	assert.ErrorIs(t, b.Err(), ErrSessionEnded)
	_, err := m.Open(context.Background(), openLocalIn(nil))
	assert.ErrorIs(t, err, ErrManagerClosed)
	assert.Empty(t, m.List())

	// A session whose open finishes after Close is closed, not leaked.
	m2 := NewManager(0, 0)
	var late *Session
	_, err = m2.Open(context.Background(), func(ctx context.Context) (*Session, error) {
		m2.Close()
		s, err := OpenLocal(ctx, nil)
		late = s
		return s, err
	})
	assert.ErrorIs(t, err, ErrManagerClosed)
	require.NotNil(t, late)
	assert.ErrorIs(t, late.Err(), ErrSessionEnded)
}

func TestReapInterval(t *testing.T) {
	assert.Equal(t, 30*time.Second, reapInterval(30*time.Minute))
	assert.Equal(t, 100*time.Millisecond, reapInterval(time.Second))
	assert.Equal(t, 10*time.Millisecond, reapInterval(time.Millisecond))
}
