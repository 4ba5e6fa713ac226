package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Config tunes a [Log]. It is plain data; the zero value is ready to use.
type Config struct {
	// Poll is how often the files are checked for new lines; zero means
	// 200ms.
	Poll time.Duration `json:"poll,omitempty"`
	// Tail is how many events of a session are read when it is first
	// shown, from the end; earlier ones are read when asked for
	// ([Log.LoadEarlier]). Zero means 500.
	Tail int `json:"tail,omitempty"`
	// MaxEvents bounds the events kept for one session; zero means 10000.
	// Older ones are dropped and can be read again from the file.
	MaxEvents int `json:"max_events,omitempty"`
	// MaxBytes bounds the bytes of events kept for all sessions; zero
	// means 128 MiB. The transcripts least recently shown are dropped
	// first, and read again when shown.
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// Stream reads the log as a stream of what is new ([Follow]): no
	// background count and no transcripts kept in memory.
	Stream bool `json:"stream,omitempty"`
}

// Session is what the viewer knows of one session.
type Session struct {
	// Key identifies the session in the viewer: the audit file's name in
	// a directory (where each file is one session, and ids repeat when
	// the server restarts), the session id in a shared file (where the
	// lives of a reused id show one after the other).
	Key       string `json:"key"`
	ID        string `json:"id"`
	Transport string `json:"transport"`
	// File is the audit file's base name.
	File string `json:"file"`
	// Start and Last are the first and last event times known, epoch
	// milliseconds.
	Start int64 `json:"start"`
	Last  int64 `json:"last"`
	// Commands counts exec and blocked events; Failed those that were
	// blocked, exited nonzero or timed out.
	Commands int `json:"commands"`
	Failed   int `json:"failed"`
	// Counted is false while the counts above do not yet cover the
	// session's whole history (they are being counted).
	Counted bool `json:"counted"`
	// Closed: the session's last event is its close.
	Closed bool `json:"closed"`
}

// Transcript is a session's events as far as they are read.
type Transcript struct {
	Session Session
	// Events are oldest first; they are never changed once read, so a
	// Transcript can be kept while the Log moves on.
	Events []*Event
	// More: earlier events exist in the file ([Log.LoadEarlier]).
	More bool
	// Version changes whenever Events does.
	Version int64
}

// Update says what changed since the last one; [Log.Subscribe] delivers
// them.
type Update struct {
	// Events are the new events, in the order read.
	Events []*Event
	// Sessions are the summaries of the sessions that changed or appeared.
	Sessions []Session
	// Gone are the keys of sessions whose file was deleted (retention).
	Gone []string
	// Reset: the log changed under the viewer (a file truncated or
	// replaced, or updates were lost to a slow reader): read it again.
	Reset bool
}

// Log is an audit file or directory, read for viewing. It reads the files
// only: from the end first, the rest when asked, with bounded memory. It is
// safe for concurrent use.
type Log struct {
	path string
	dir  bool
	cfg  Config

	// io serializes what moves the read positions (Poll) with the reads
	// that must match them (loading a transcript).
	io sync.Mutex

	mu       sync.Mutex
	files    map[string]*file // dir: by base name; shared file: one, ""
	sessions map[string]*session
	subs     map[*subscriber]struct{}
	loaded   int64 // bytes of events kept
	tick     int64
	skipped  int // lines that are not events, or too long
	dirMod   time.Time
	listed   time.Time
	closed   bool
	// countDone: the background count is over (or was reset away), so a
	// session new to the viewer has no history before what is read.
	countDone bool

	stop    context.CancelFunc
	counter sync.WaitGroup
}

type file struct {
	name string // base name
	path string
	info os.FileInfo
	off  int64 // complete lines read up to here
	// countEnd is where the background count stops: what Poll reads
	// after it counts itself.
	countEnd int64
	key      string
	// closed: the session's close was read; its writer has closed it.
	closed bool
	gen    int // bumped when the file is read again from its start
}

type session struct {
	Session
	evs    []*Event
	bytes  int64
	loaded bool
	from   int64 // the window holds the lines from this offset on
	first  int64 // offset of the session's first line; -1 unknown
	end    int64 // offset past its last line read (a shared file)
	used   int64
	ver    int64
	// counted* accumulate the background count, merged when done.
	capped bool // LoadEarlier stopped at MaxEvents
}

type subscriber struct {
	ch   chan Update
	lost bool
}

// Open reads the audit log at path (a JSONL file, or a directory of them)
// far enough to list its sessions, and starts counting their commands in
// the background. Call [Log.Run] to follow it, and Close when done.
func Open(path string, cfg *Config) (*Log, error) {
	l := &Log{path: path, files: map[string]*file{}, sessions: map[string]*session{}, subs: map[*subscriber]struct{}{}}
	if cfg != nil {
		l.cfg = *cfg
	}
	if l.cfg.Poll <= 0 {
		l.cfg.Poll = 200 * time.Millisecond
	}
	if l.cfg.Tail <= 0 {
		l.cfg.Tail = 500
	}
	if l.cfg.MaxEvents <= 0 {
		l.cfg.MaxEvents = 10000
	}
	if l.cfg.MaxBytes <= 0 {
		l.cfg.MaxBytes = 128 << 20
	}
	info, err := os.Stat(path)
	if err != nil {
		// The path is quoted: one whatever it holds (a newline, escapes).
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("watch: cannot open %q: %w", path, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	l.stop = stop
	switch {
	case info.IsDir():
		l.dir = true
		if err := l.openDir(); err != nil {
			stop()
			return nil, err
		}
	case info.Mode().IsRegular():
		if err := l.openShared(); err != nil {
			stop()
			return nil, err
		}
	default:
		stop()
		return nil, fmt.Errorf("watch: %q is neither an audit file nor a directory", path)
	}
	if !l.cfg.Stream {
		l.counter.Add(1)
		go l.count(ctx)
	}
	return l, nil
}

// Path returns the file or directory the Log reads.
func (l *Log) Path() string { return l.path }

// Dir reports whether the Log reads a directory of per-session files.
func (l *Log) Dir() bool { return l.dir }

// Close stops the background count. Transcripts already returned stay
// valid.
func (l *Log) Close() error {
	l.stop()
	l.counter.Wait()
	l.mu.Lock()
	l.closed = true
	for s := range l.subs {
		close(s.ch)
		delete(l.subs, s)
	}
	l.mu.Unlock()
	return nil
}

func (l *Log) openDir() error {
	names, err := listAudit(l.path)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if info, err := os.Stat(l.path); err == nil {
		l.dirMod = info.ModTime()
	}
	l.listed = time.Now()
	for _, name := range names {
		l.addFile(name, false)
	}
	return nil
}

// addFile starts tracking a per-session file: an existing one from its
// end (its history is read when asked), a new one from its start.
func (l *Log) addFile(name string, fromStart bool) {
	path := filepath.Join(l.path, name)
	fl := &file{name: name, path: path, key: name}
	s := &session{Session: Session{Key: name, ID: sessionName(name), File: name}, first: 0}
	f, info, err := openAudit(path, true)
	if err != nil {
		return // not a regular file, or gone already
	}
	defer f.Close()
	fl.info = info
	s.Last = info.ModTime().UnixMilli()
	if ev := firstEvent(f, 16<<10); ev != nil {
		s.ID, s.Transport, s.Start = ev.Session, ev.Transport, ev.Time
	}
	if fromStart {
		s.loaded, s.Counted = true, true
	} else {
		end, _ := lastBoundary(f, info.Size())
		fl.off, fl.countEnd = end, end
		s.from, s.end = end, end
		if ev := lastEvent(f, end, 4<<10); ev != nil {
			s.Last = ev.Time
			s.Closed = ev.Type == "close"
			fl.closed = s.Closed
		}
	}
	l.files[name] = fl
	l.sessions[name] = s
}

func (l *Log) openShared() error {
	f, info, err := openAudit(l.path, false)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer f.Close()
	end, err := lastBoundary(f, info.Size())
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	fl := &file{name: filepath.Base(l.path), path: l.path, info: info, off: end, countEnd: end}
	l.files[""] = fl
	if l.cfg.Stream {
		return nil
	}
	// The tail: the sessions active last, with their recent events.
	evs, from, long, err := readLast(f, end, l.cfg.Tail*4, 32<<20, nil)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	_ = long // counted by the background count, which reads these lines too
	for _, ev := range evs {
		s := l.sharedSession(ev)
		if !s.loaded {
			s.loaded, s.from = true, from
		}
		ev.Key = s.Key
		l.keep(s, ev)
		l.note(s, ev, false)
	}
	return nil
}

// sharedSession returns the session of ev in a shared file, creating it.
func (l *Log) sharedSession(ev *Event) *session {
	s := l.sessions[ev.Session]
	if s == nil {
		s = &session{Session: Session{Key: ev.Session, ID: ev.Session, Transport: ev.Transport, File: filepath.Base(l.path), Start: ev.Time}, first: -1}
		l.sessions[ev.Session] = s
	}
	return s
}

// note updates a session's summary with an event; counts only when count
// (the background count covers what was there at Open).
func (l *Log) note(s *session, ev *Event, count bool) {
	if s.Transport == "" {
		s.Transport = ev.Transport
	}
	if s.Start == 0 || (ev.Time != 0 && ev.Time < s.Start && !l.dir) {
		s.Start = ev.Time
	}
	if ev.Time > s.Last {
		s.Last = ev.Time
	}
	switch ev.Type {
	case "close":
		s.Closed = true
	case "open":
		s.Closed = false
	}
	if count {
		if ev.IsCommand() {
			s.Commands++
		}
		if ev.Failed() {
			s.Failed++
		}
	}
	if end := ev.Off + int64(ev.size); end > s.end {
		s.end = end
	}
}

// keep adds ev to a loaded session's window, within the bounds.
func (l *Log) keep(s *session, ev *Event) {
	if !s.loaded || l.cfg.Stream {
		return
	}
	s.evs = append(s.evs, ev)
	s.bytes += int64(ev.size)
	l.loaded += int64(ev.size)
	s.ver++
	if len(s.evs) > l.cfg.MaxEvents {
		drop := len(s.evs) - l.cfg.MaxEvents
		for _, d := range s.evs[:drop] {
			s.bytes -= int64(d.size)
			l.loaded -= int64(d.size)
		}
		s.evs = append([]*Event(nil), s.evs[drop:]...)
		s.from = s.evs[0].Off
	}
}

// Sessions returns every session, grouped by transport (local, ssh, docker,
// then others by name) and newest first within a group.
func (l *Log) Sessions() []Session {
	l.mu.Lock()
	out := make([]Session, 0, len(l.sessions))
	for _, s := range l.sessions {
		out = append(out, s.Session)
	}
	l.mu.Unlock()
	SortSessions(out)
	return out
}

// SortSessions orders sessions as [Log.Sessions] returns them.
func SortSessions(ss []Session) {
	rank := func(t string) int {
		switch t {
		case "local":
			return 0
		case "ssh":
			return 1
		case "docker":
			return 2
		}
		return 3
	}
	sort.Slice(ss, func(i, j int) bool {
		a, b := ss[i], ss[j]
		if ra, rb := rank(a.Transport), rank(b.Transport); ra != rb {
			return ra < rb
		}
		if a.Transport != b.Transport {
			return a.Transport < b.Transport
		}
		if a.Start != b.Start {
			return a.Start > b.Start
		}
		return a.Key > b.Key
	})
}

// Skipped returns how many lines were not shown: not audit events, or too
// long.
func (l *Log) Skipped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.skipped
}

// ErrNoSession is returned for a key the Log does not know (or no longer:
// its file was deleted).
var ErrNoSession = errors.New("watch: no such session")

// Transcript returns the session's events read so far, reading its last
// [Config.Tail] events from the file first if they are not in memory.
func (l *Log) Transcript(key string) (*Transcript, error) {
	l.io.Lock()
	defer l.io.Unlock()
	l.mu.Lock()
	s := l.sessions[key]
	if s == nil {
		l.mu.Unlock()
		return nil, ErrNoSession
	}
	l.tick++
	s.used = l.tick
	loaded := s.loaded
	l.mu.Unlock()
	if !loaded {
		if err := l.load(s); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshot(s), nil
}

func (l *Log) snapshot(s *session) *Transcript {
	return &Transcript{
		Session: s.Session,
		Events:  s.evs[:len(s.evs):len(s.evs)],
		More:    s.from > max(0, s.first) && !s.capped,
		Version: s.ver,
	}
}

// load reads the tail of a session that has none in memory. Called with
// l.io held, so no Poll moves the positions meanwhile.
func (l *Log) load(s *session) error {
	l.mu.Lock()
	fl, end, id := l.fileOf(s), s.end, s.ID
	l.mu.Unlock()
	if fl == nil {
		return ErrNoSession
	}
	f, _, err := openAudit(fl.path, l.dir)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer f.Close()
	var keep func(*Event) bool
	scan := int64(32 << 20)
	if l.dir {
		end = fl.off
	} else {
		keep = func(ev *Event) bool { return ev.Session == id }
		scan = 64 << 20
	}
	evs, from, long, err := readLast(f, end, l.cfg.Tail, scan, keep)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	_ = long // the count reports skipped lines
	l.mu.Lock()
	defer l.mu.Unlock()
	s.evs, s.bytes, s.loaded, s.from, s.capped = nil, 0, true, from, false
	for _, ev := range evs {
		ev.Key = s.Key
		s.evs = append(s.evs, ev)
		s.bytes += int64(ev.size)
	}
	l.loaded += s.bytes
	s.ver++
	if len(evs) > 0 && evs[0].Type == "open" && l.dir {
		s.from = 0
	}
	l.evict(s)
	return nil
}

func (l *Log) fileOf(s *session) *file {
	if l.dir {
		return l.files[s.Key]
	}
	return l.files[""]
}

// evict drops the transcripts least recently shown until the kept bytes
// fit MaxBytes; but is kept whatever its size.
func (l *Log) evict(but *session) {
	if l.loaded <= l.cfg.MaxBytes {
		return
	}
	var cands []*session
	for _, s := range l.sessions {
		if s != but && s.loaded && s.bytes > 0 {
			cands = append(cands, s)
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].used < cands[j].used })
	for _, s := range cands {
		if l.loaded <= l.cfg.MaxBytes {
			break
		}
		l.loaded -= s.bytes
		s.evs, s.bytes, s.loaded = nil, 0, false
		s.ver++
	}
}

// LoadEarlier reads up to n more events of the session from before those
// in memory. It returns how many it added; zero when the start was reached
// or MaxEvents.
func (l *Log) LoadEarlier(key string, n int) (int, error) {
	if _, err := l.Transcript(key); err != nil {
		return 0, err
	}
	l.io.Lock()
	defer l.io.Unlock()
	l.mu.Lock()
	s := l.sessions[key]
	if s == nil || !s.loaded {
		l.mu.Unlock()
		return 0, ErrNoSession
	}
	fl, from, id, room := l.fileOf(s), s.from, s.ID, l.cfg.MaxEvents-len(s.evs)
	first := max(0, s.first)
	l.mu.Unlock()
	if fl == nil || from <= first {
		return 0, nil
	}
	if room <= 0 {
		l.mu.Lock()
		s.capped = true
		l.mu.Unlock()
		return 0, nil
	}
	n = min(n, room)
	f, _, err := openAudit(fl.path, l.dir)
	if err != nil {
		return 0, fmt.Errorf("watch: %w", err)
	}
	defer f.Close()
	var keep func(*Event) bool
	if !l.dir {
		keep = func(ev *Event) bool { return ev.Session == id }
	}
	evs, newFrom, long, err := readLast(f, from, n, 64<<20, keep)
	if err != nil {
		return 0, fmt.Errorf("watch: %w", err)
	}
	_ = long
	l.mu.Lock()
	defer l.mu.Unlock()
	if !s.loaded || s.from != from {
		return 0, nil // dropped or reloaded meanwhile
	}
	var add int64
	for _, ev := range evs {
		ev.Key = s.Key
		add += int64(ev.size)
	}
	s.evs = append(evs, s.evs...)
	s.bytes += add
	l.loaded += add
	s.from = newFrom
	s.ver++
	l.evict(s)
	return len(evs), nil
}

// Subscribe returns a channel of updates and a function to stop them. A
// subscriber that falls behind misses updates, and its next one says
// Reset.
func (l *Log) Subscribe() (<-chan Update, func()) {
	sub := &subscriber{ch: make(chan Update, 256)}
	l.mu.Lock()
	if l.closed {
		close(sub.ch)
	} else {
		l.subs[sub] = struct{}{}
	}
	l.mu.Unlock()
	return sub.ch, func() {
		l.mu.Lock()
		if _, ok := l.subs[sub]; ok {
			delete(l.subs, sub)
			close(sub.ch)
		}
		l.mu.Unlock()
	}
}

// publish sends u to every subscriber; called with l.mu held.
func (l *Log) publish(u Update) {
	if len(u.Events) == 0 && len(u.Sessions) == 0 && len(u.Gone) == 0 && !u.Reset {
		return
	}
	for sub := range l.subs {
		v := u
		if sub.lost {
			v.Reset = true
		}
		select {
		case sub.ch <- v:
			sub.lost = false
		default:
			sub.lost = true
		}
	}
}

// Run follows the log until ctx ends: every Poll interval, new lines and
// new files are read and published.
func (l *Log) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.Poll)
	defer t.Stop()
	for {
		l.Poll()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// maxPollRead bounds what one Poll reads of one file, so a burst never
// stalls the viewer; the rest comes with the next Poll.
const maxPollRead = 8 << 20

// Poll reads what was appended since the last Poll, picks up new and
// deleted files, publishes the changes and returns them. Run calls it;
// tests call it to step.
func (l *Log) Poll() Update {
	l.io.Lock()
	defer l.io.Unlock()
	var u Update
	changed := map[string]bool{}
	if l.dir {
		l.relist(&u, changed)
	}
	l.mu.Lock()
	files := make([]*file, 0, len(l.files))
	for _, fl := range l.files {
		if !fl.closed {
			files = append(files, fl)
		}
	}
	l.mu.Unlock()
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var evs []*Event
	for _, fl := range files {
		got, reset := l.pollFile(fl)
		if reset {
			u.Reset = true
		}
		evs = append(evs, got...)
	}
	// Several files' lines, in the order they happened.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time < evs[j].Time })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range evs {
		var s *session
		if l.dir {
			s = l.sessions[ev.Key]
			if s == nil {
				continue
			}
			if s.ID == sessionName(s.Key) || s.ID == "" {
				s.ID = ev.Session
			}
			if ev.Type == "close" {
				if fl := l.files[ev.Key]; fl != nil {
					fl.closed = true
				}
			}
		} else {
			s = l.sessions[ev.Session]
			if s == nil {
				// New to the viewer: shown from here; earlier lives of
				// the same id, if any, are found by the count.
				s = l.sharedSession(ev)
				s.loaded, s.from = true, ev.Off
				if l.countDone {
					s.first, s.Counted = ev.Off, true
				}
			}
			ev.Key = s.Key
		}
		l.note(s, ev, true)
		l.keep(s, ev)
		changed[s.Key] = true
	}
	u.Events = evs
	for key := range changed {
		if s := l.sessions[key]; s != nil {
			u.Sessions = append(u.Sessions, s.Session)
		}
	}
	SortSessions(u.Sessions)
	l.publish(u)
	return u
}

// relist finds the files created and deleted in the directory. Called with
// l.io held.
func (l *Log) relist(u *Update, changed map[string]bool) {
	info, err := os.Stat(l.path)
	if err != nil {
		return
	}
	if info.ModTime().Equal(l.dirMod) && time.Since(l.listed) < 5*time.Second {
		return
	}
	names, err := listAudit(l.path)
	if err != nil {
		return
	}
	l.dirMod, l.listed = info.ModTime(), time.Now()
	seen := make(map[string]bool, len(names))
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range names {
		seen[name] = true
		if l.files[name] == nil {
			l.addFile(name, true)
			if l.sessions[name] != nil {
				changed[name] = true
			}
		}
	}
	for name := range l.files {
		if !seen[name] {
			delete(l.files, name)
			if s := l.sessions[name]; s != nil {
				l.loaded -= s.bytes
				delete(l.sessions, name)
			}
			u.Gone = append(u.Gone, name)
		}
	}
	sort.Strings(u.Gone)
}

// pollFile reads one file's new complete lines. Called with l.io held.
func (l *Log) pollFile(fl *file) ([]*Event, bool) {
	var info os.FileInfo
	var err error
	if l.dir {
		info, err = os.Lstat(fl.path)
	} else {
		info, err = os.Stat(fl.path)
	}
	if err != nil || !info.Mode().IsRegular() {
		return nil, false // gone: the next relist says so
	}
	reset := false
	if fl.info != nil && !os.SameFile(fl.info, info) || info.Size() < fl.off {
		// Replaced (rotated) or truncated: read it again from its start.
		reset = true
		l.resetFile(fl)
	}
	fl.info = info
	if info.Size() == fl.off {
		return nil, reset
	}
	f, _, err := openAudit(fl.path, l.dir)
	if err != nil {
		return nil, reset
	}
	defer f.Close()
	to := min(info.Size(), fl.off+maxPollRead)
	var evs []*Event
	end, long, _ := scanLines(f, fl.off, to, func(off int64, line []byte) bool {
		ev, err := parseEvent(line)
		if err != nil {
			l.mu.Lock()
			l.skipped++
			l.mu.Unlock()
			return true
		}
		ev.Off, ev.Key = off, fl.key
		evs = append(evs, ev)
		return true
	})
	if end == fl.off && to < info.Size() && to-fl.off >= maxPollRead {
		// One line longer than a Poll reads: skip past it.
		if b, err := nextBoundary(f, to, info.Size()); err == nil && b > 0 {
			end = b
			long++
		}
	}
	fl.off = end
	if long > 0 {
		l.mu.Lock()
		l.skipped += long
		l.mu.Unlock()
	}
	return evs, reset
}

// nextBoundary returns the offset past the first newline at or after pos,
// or 0 when there is none before size.
func nextBoundary(f io.ReaderAt, pos, size int64) (int64, error) {
	buf := make([]byte, chunk)
	for pos < size {
		n, err := f.ReadAt(buf, pos)
		for i := 0; i < n; i++ {
			if buf[i] == '\n' {
				return pos + int64(i) + 1, nil
			}
		}
		pos += int64(n)
		if err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// resetFile forgets what was read of a file, to read it again from its
// start. Called with l.io held.
func (l *Log) resetFile(fl *file) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fl.off, fl.closed = 0, false
	fl.gen++
	reset := func(s *session) {
		l.loaded -= s.bytes
		s.evs, s.bytes, s.loaded, s.from, s.end = nil, 0, true, 0, 0
		s.Commands, s.Failed, s.Counted, s.first = 0, 0, true, 0
		s.ver++
	}
	if l.dir {
		if s := l.sessions[fl.key]; s != nil {
			reset(s)
		}
		return
	}
	for k := range l.sessions {
		delete(l.sessions, k)
	}
	l.loaded = 0
	l.countDone = true
}
