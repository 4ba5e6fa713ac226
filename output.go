package execkit

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// outputStore keeps the full cleaned and redacted output of recent commands
// whose results were truncated or shaped, so the caller can read them again
// with another budget instead of running the command again. It holds at most
// keep bytes over all outputs (oldest dropped first); each output keeps
// spoolMem bytes per stream in memory and spills the rest to an unlinked
// temporary file, which disappears with the session.
type outputStore struct {
	mu    sync.Mutex
	keep  int64
	used  int64
	seq   int
	items map[string]*storedOutput
	order []string
}

const spoolMem = 256 << 10

// maxKeptOutputs bounds the entries (and their open files) a session keeps,
// however small they are.
const maxKeptOutputs = 256

type storedOutput struct {
	id      string
	meta    Result // everything but the streams
	stdout  *spool
	stderr  *spool
	binary  [2]string // per stream: its binary summary, or "" for text
	dropped bool      // part of the output exceeded the cap and is not kept
}

func newOutputStore(keep int64) *outputStore {
	return &outputStore{keep: keep, items: make(map[string]*storedOutput)}
}

// newCapture returns spools for one command's two streams, sharing one
// allowance of the store's cap.
func (st *outputStore) newCapture() (*spool, *spool) {
	var allowance atomic.Int64
	allowance.Store(st.keep)
	return &spool{left: &allowance}, &spool{left: &allowance}
}

// add keeps a finished command's output and returns its id.
func (st *outputStore) add(meta Result, out, errs *spool, binary [2]string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	id := "out_" + strconv.Itoa(st.seq)
	so := &storedOutput{id: id, meta: meta, stdout: out, stderr: errs, binary: binary, dropped: out.dropped || errs.dropped}
	st.items[id] = so
	st.order = append(st.order, id)
	st.used += out.size + errs.size
	for (st.used > st.keep || len(st.order) > maxKeptOutputs) && len(st.order) > 1 {
		old := st.items[st.order[0]]
		st.used -= old.stdout.size + old.stderr.size
		old.stdout.close()
		old.stderr.close()
		delete(st.items, st.order[0])
		st.order = st.order[1:]
	}
	return id
}

func (st *outputStore) get(id string) *storedOutput {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.items[id]
}

func (st *outputStore) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, so := range st.items {
		so.stdout.close()
		so.stderr.close()
	}
	st.items = map[string]*storedOutput{}
	st.order = nil
	st.used = 0
}

// spool is one stream's kept bytes: memory first, then a temporary file.
type spool struct {
	mu      sync.Mutex
	left    *atomic.Int64 // bytes the command may still keep (shared by its streams)
	mem     []byte
	f       *os.File
	size    int64
	dropped bool
	failed  bool
	closed  bool
}

func (s *spool) Write(p []byte) (int, error) {
	n := len(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed || s.dropped {
		s.dropped = true
		return n, nil
	}
	if left := s.left.Add(-int64(len(p))); left < 0 {
		keep := int64(len(p)) + left
		if keep < 0 {
			keep = 0
		}
		p = p[:keep]
		s.dropped = true
	}
	if room := spoolMem - len(s.mem); room > 0 && s.f == nil {
		k := min(room, len(p))
		s.mem = append(s.mem, p[:k]...)
		s.size += int64(k)
		p = p[k:]
	}
	if len(p) > 0 {
		if s.f == nil {
			f, err := os.CreateTemp("", "execkit-out-*")
			if err != nil {
				s.failed, s.dropped = true, true
				return n, nil
			}
			os.Remove(f.Name()) // anonymous: gone when closed or when we die
			s.f = f
		}
		if _, err := s.f.Write(p); err != nil {
			s.failed, s.dropped = true, true
			return n, nil
		}
		s.size += int64(len(p))
	}
	return n, nil
}

// reader returns the kept bytes from the start, or nil if the spool was
// closed (its output evicted) meanwhile.
func (s *spool) reader() io.Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	m := bytes.NewReader(s.mem)
	if s.f == nil {
		return m
	}
	return io.MultiReader(m, io.NewSectionReader(s.f, 0, s.size-int64(len(s.mem))))
}

func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.mem = nil
}
