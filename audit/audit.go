// Package audit writes what execkit sessions do to an append-only,
// tamper-evident JSONL log.
//
// # Attaching it
//
// A [Log] is an observer of sessions: open one and pass its observer to every
// session that should be audited.
//
//	log, err := audit.Open(&audit.Config{File: "/var/log/execkit/audit.jsonl"})
//	if err != nil {
//		return err
//	}
//	defer log.Close()
//	s, err := execkit.OpenLocal(ctx, cfg, execkit.WithObserver(log.Observer()))
//
// # What a line holds
//
// Every event is one line: a JSON object with the chain fields "seq" (1, 2,
// ... per file) and "prev" (the SHA-256 of the line before it, in hex; 64
// zeros on a file's first line), then the [execkit.Event]: "type" (open,
// exec, blocked, close, and later checkpoint, restore and job events),
// "session", "transport", "time" (epoch milliseconds), and for commands the
// "command" and its cleaned, redacted "result" or the "error" that blocked
// it. Output and commands are bounded ([Config.MaxOutput], [MaxCommand]):
// an event never makes a line of unbounded size.
//
// Each line is written with a single write to a file opened with O_APPEND,
// under a lock shared by every session of the Log and an advisory file lock
// shared with other processes, so lines never interleave. A failed or short
// write (a full disk) is cut back off the file, so no half line stays; the
// event is counted as lost and reported by [Log.Err], never dropped silently.
// Commands and output are JSON-encoded, so no byte a command contains, a
// newline or a quote or a whole forged event, can end its line early.
//
// # Checking it
//
// [Verify] re-reads a file and reports the first line whose link to the one
// before is broken: a line edited, inserted, removed or reordered shows. The
// chain alone cannot show a change to the last line or lines cut off the
// end, since nothing after them points at them. For that, keep the tip
// ([VerifyTip]: the last seq and hash) somewhere the writer cannot reach,
// and later check the file against it with [VerifyAgainst]; or ship the log
// elsewhere as it grows.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/redact"
)

// Config says where the log goes. It is plain data; the zero value is not
// usable, since it names no destination.
type Config struct {
	// File is one JSONL file that every session appends to; it is created
	// (mode 0600) if missing. An existing file's chain is continued.
	File string `json:"file,omitempty"`
	// Dir holds one JSONL file per session, named after the session's first
	// event time and its id ("20250102T150405.000Z_1_local.jsonl"), each
	// with its own chain. It wins over File. It is created (mode 0700) if
	// missing.
	Dir string `json:"dir,omitempty"`
	// RetentionDays: per-session files in Dir not modified for more than
	// this many days are deleted when the Log opens and every hour after.
	// Zero keeps every file. Only files named like the Log's own are
	// considered, and never one of a session the Log has open.
	RetentionDays int `json:"retention_days,omitempty"`
	// MaxOutput caps the bytes of stdout and of stderr kept per event (head
	// and tail, with a marker saying how much was left out between); zero
	// means DefaultMaxOutput.
	MaxOutput int `json:"max_output,omitempty"`
}

// Limits on what one event writes.
const (
	// DefaultMaxOutput is the bytes of each output stream an event keeps
	// when Config.MaxOutput is zero.
	DefaultMaxOutput = 64 << 10
	// MaxCommand is the bytes of a command (and of an error message) an
	// event keeps.
	MaxCommand = 64 << 10
	// maxLineLen bounds the line Verify and the chain resync read.
	maxLineLen = 64 << 20
)

// Genesis is the "prev" of a file's first line.
var Genesis = strings.Repeat("0", 64)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: log closed")

// builtinRedactor is shared by every Log: it holds the built-in rules only,
// and building it is the costly part of Open.
var builtinRedactor = sync.OnceValues(func() (*redact.Redactor, error) { return redact.New(nil) })

// sweepEvery is how often retention runs after the first sweep.
var sweepEvery = time.Hour

// Option configures what a Config cannot hold because it is not data.
type Option func(*Log)

// WithErrorFunc registers f to receive every write failure, as it happens
// (an event lost to a full disk, a file that cannot be created). It is
// called synchronously from the session that produced the event and must not
// block.
func WithErrorFunc(f func(error)) Option {
	return func(l *Log) { l.onError = f }
}

// Log is an open audit log. It is safe for concurrent use by any number of
// sessions.
type Log struct {
	dir       string
	retention time.Duration
	maxOutput int
	onError   func(error)
	// red re-redacts an event's error text with the built-in rules: a
	// policy denial quotes the command it refused, and events are
	// expected redacted already, but an audit log must not be the place a
	// token slips through.
	red *redact.Redactor

	mu     sync.Mutex
	shared *file            // File mode
	files  map[string]*file // Dir mode, by session id
	names  map[string]bool  // Dir mode: base names of open files
	closed bool
	err    error // the last failure

	lost atomic.Int64

	stop chan struct{}
	done chan struct{}
}

// Open opens the log cfg describes. With a File, the file is opened (and
// its chain read) at once, so a destination that cannot be written fails
// here; with a Dir, the directory is created and checked, and old files are
// swept.
func Open(cfg *Config, opts ...Option) (*Log, error) {
	if cfg == nil || (cfg.File == "" && cfg.Dir == "") {
		return nil, errors.New("audit: the config names neither a file nor a directory")
	}
	if cfg.RetentionDays < 0 {
		return nil, errors.New("audit: retention days must not be negative")
	}
	if cfg.MaxOutput < 0 {
		return nil, errors.New("audit: max output must not be negative")
	}
	l := &Log{
		maxOutput: cfg.MaxOutput,
		retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour,
	}
	if l.maxOutput == 0 {
		l.maxOutput = DefaultMaxOutput
	}
	red, err := builtinRedactor()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.red = red
	for _, o := range opts {
		o(l)
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if err := checkWritableDir(cfg.Dir); err != nil {
			return nil, err
		}
		l.dir = cfg.Dir
		l.files = make(map[string]*file)
		l.names = make(map[string]bool)
		if l.retention > 0 {
			l.sweep(time.Now())
			l.stop, l.done = make(chan struct{}), make(chan struct{})
			go l.sweeper()
		}
		return l, nil
	}
	f, err := openFile(cfg.File, os.O_CREATE)
	if err != nil {
		return nil, err
	}
	l.shared = f
	return l, nil
}

// checkWritableDir creates and removes a probe file, the only portable way
// to know that files can be created there.
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".execkit-audit-probe-*")
	if err != nil {
		return fmt.Errorf("audit: directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// Observer returns the function to pass to [execkit.WithObserver]. An event
// that cannot be written is counted and reported by Err.
func (l *Log) Observer() func(*execkit.Event) {
	return func(e *execkit.Event) { l.Record(e) }
}

// Record appends e as one line. The error, if any, is also counted and kept
// for Err.
func (l *Log) Record(e *execkit.Event) error {
	if e == nil {
		return nil
	}
	ev := l.bound(e)
	// MarshalJSON directly: json.Marshal would re-scan its output once
	// more, the costliest part of a line.
	body, err := ev.MarshalJSON()
	if err != nil {
		return l.fail(fmt.Errorf("audit: encode %s event of session %s: %w", e.Type, e.Session, err))
	}
	f, err := l.fileFor(ev)
	if err != nil {
		return l.fail(err)
	}
	if err := f.append(body); err != nil {
		return l.fail(fmt.Errorf("audit: %s event of session %s lost: %w", e.Type, e.Session, err))
	}
	if l.files != nil && e.Type == "close" {
		l.mu.Lock()
		if l.files[e.Session] == f {
			delete(l.files, e.Session)
			delete(l.names, filepath.Base(f.path))
		}
		l.mu.Unlock()
		f.close()
	}
	return nil
}

func (l *Log) fail(err error) error {
	l.lost.Add(1)
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	if l.onError != nil {
		l.onError(err)
	}
	return err
}

// Err returns nil while every event has been written, else an error saying
// how many were lost and the last failure.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		return nil
	}
	return fmt.Errorf("audit: %d event(s) lost, the last because: %w", l.lost.Load(), l.err)
}

// Lost returns how many events could not be written.
func (l *Log) Lost() int64 { return l.lost.Load() }

// Close stops the retention sweep and closes the files. Later events are
// lost (and counted). Close is idempotent.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	var files []*file
	if l.shared != nil {
		files = append(files, l.shared)
	}
	for _, f := range l.files {
		files = append(files, f)
	}
	l.files = map[string]*file{}
	l.mu.Unlock()
	if l.stop != nil {
		close(l.stop)
		<-l.done
	}
	var first error
	for _, f := range files {
		if err := f.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// fileFor returns the file an event goes to, creating a session's file in
// Dir mode.
func (l *Log) fileFor(e *execkit.Event) (*file, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.shared != nil {
		return l.shared, nil
	}
	if f := l.files[e.Session]; f != nil {
		return f, nil
	}
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	stem := t.UTC().Format("20060102T150405.000Z") + "_" + fileSafe(e.Session)
	for i := 0; ; i++ {
		name := stem + ".jsonl"
		if i > 0 {
			name = stem + "-" + strconv.Itoa(i) + ".jsonl"
		}
		f, err := openFile(filepath.Join(l.dir, name), os.O_CREATE|os.O_EXCL)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		l.files[e.Session] = f
		l.names[name] = true
		return f, nil
	}
}

// fileSafe keeps the characters of a session id that are safe in a file
// name on every system.
func fileSafe(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '@':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	if b.Len() == 0 {
		return "session"
	}
	return b.String()
}

// sessionFile matches the names fileFor gives, the only files retention
// deletes.
var sessionFile = regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z_[A-Za-z0-9._@-]+\.jsonl$`)

func (l *Log) sweeper() {
	defer close(l.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			l.sweep(now)
		case <-l.stop:
			return
		}
	}
}

// sweep deletes per-session files older than the retention.
func (l *Log) sweep(now time.Time) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.fail(fmt.Errorf("audit: retention: %w", err))
		l.lost.Add(-1) // not an event
		return
	}
	cutoff := now.Add(-l.retention)
	for _, de := range entries {
		if !de.Type().IsRegular() || !sessionFile.MatchString(de.Name()) {
			continue
		}
		l.mu.Lock()
		open := l.names[de.Name()]
		l.mu.Unlock()
		if open {
			continue
		}
		info, err := de.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		os.Remove(filepath.Join(l.dir, de.Name()))
	}
}

// bound returns a copy of e whose texts fit the limits.
func (l *Log) bound(e *execkit.Event) *execkit.Event {
	ev := *e
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Command = clip(ev.Command, MaxCommand)
	if ev.Error != "" {
		ev.Error, _ = l.red.String(ev.Error)
	}
	ev.Error = clip(ev.Error, MaxCommand)
	if e.Result != nil {
		r := *e.Result
		out, err := clip(r.Stdout, l.maxOutput), clip(r.Stderr, l.maxOutput)
		if len(out) < len(r.Stdout) || len(err) < len(r.Stderr) {
			r.Truncated = true
		}
		r.Stdout, r.Stderr = out, err
		ev.Result = &r
	}
	return &ev
}

// clip keeps the head and tail of s within max bytes, cut at rune
// boundaries, with a marker saying how much was left out.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	marker := func(n int) string { return "\n[... " + strconv.Itoa(n) + " bytes omitted ...]\n" }
	room := max - len(marker(len(s)))
	if room < 2 {
		return marker(len(s))
	}
	h := room / 2
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	t := len(s) - (room - room/2)
	for t < len(s) && !utf8.RuneStart(s[t]) {
		t++
	}
	return s[:h] + marker(t-h) + s[t:]
}

// file is one JSONL file and the head of its chain.
type file struct {
	path string

	mu   sync.Mutex
	f    *os.File
	seq  int64
	prev string // hex hash of the last line
	end  int64  // the file's size after our last write; -1 unknown
	torn bool   // the file does not end in a newline
}

func openFile(path string, flags int) (*file, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	af := &file{path: path, f: f, prev: Genesis, end: -1}
	if err := lockFile(f); err == nil {
		defer unlockFile(f)
	}
	if err := af.resync(); err != nil {
		f.Close()
		return nil, err
	}
	return af, nil
}

// resync reads the head of the chain from the file itself: another process
// may have appended since our last write. Called with the file locked.
func (af *file) resync() error {
	size, err := fileSize(af.f)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if size == af.end {
		return nil
	}
	af.seq, af.prev, af.torn = 0, Genesis, false
	af.end = size
	if size == 0 {
		return nil
	}
	r, err := os.Open(af.path)
	if err != nil {
		if isCharDevice(af.f) {
			return nil // /dev/null and friends: nothing to continue
		}
		return fmt.Errorf("audit: read the chain of %s: %w", af.path, err)
	}
	defer r.Close()
	line, err := lastLine(r, size)
	if err != nil {
		return fmt.Errorf("audit: read the chain of %s: %w", af.path, err)
	}
	af.prev = hashLine(line)
	one := make([]byte, 1)
	if _, err := r.ReadAt(one, size-1); err == nil && one[0] != '\n' {
		af.torn = true
	}
	var head struct {
		Seq int64 `json:"seq"`
	}
	if json.Unmarshal(line, &head) == nil {
		af.seq = head.Seq
	}
	return nil
}

// lastLine returns the last line of a file of the given size, without its
// newline. A last line without a newline (a foreign or torn write) is
// returned as it is; the next line links to it and Verify reports it.
func lastLine(r io.ReaderAt, size int64) ([]byte, error) {
	end := size // the end of the last line's content
	one := make([]byte, 1)
	if _, err := r.ReadAt(one, size-1); err != nil {
		return nil, err
	}
	if one[0] == '\n' {
		end--
	}
	const chunk = 64 << 10
	var tail []byte // the bytes from pos to end: no newline among them
	for pos := end; pos > 0; {
		n := min(int64(chunk), pos)
		pos -= n
		buf := make([]byte, n)
		if _, err := r.ReadAt(buf, pos); err != nil && err != io.EOF {
			return nil, err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return append(buf[i+1:], tail...), nil
		}
		tail = append(buf, tail...)
		if len(tail) > maxLineLen {
			return nil, fmt.Errorf("the last line is longer than %d bytes", maxLineLen)
		}
	}
	return tail, nil
}

// append writes one event's line: the chain fields, then the event's own.
func (af *file) append(body []byte) error {
	af.mu.Lock()
	defer af.mu.Unlock()
	if af.f == nil {
		return ErrClosed
	}
	if err := lockFile(af.f); err == nil {
		defer unlockFile(af.f)
	}
	if err := af.resync(); err != nil {
		return err
	}
	seq := af.seq + 1
	line := make([]byte, 0, len(body)+100)
	if af.torn {
		line = append(line, '\n')
	}
	start := len(line)
	line = append(line, `{"seq":`...)
	line = strconv.AppendInt(line, seq, 10)
	line = append(line, `,"prev":"`...)
	line = append(line, af.prev...)
	line = append(line, '"')
	if len(body) > 2 {
		line = append(line, ',')
		line = append(line, body[1:]...)
	} else {
		line = append(line, '}')
	}
	content := line[start:]
	line = append(line, '\n')

	n, err := af.f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 && af.end >= 0 {
			// Never leave half a line: cut the file back.
			af.f.Truncate(af.end)
		}
		af.end = -1 // unknown now: resync next time
		return err
	}
	af.seq = seq
	af.prev = hashLine(content)
	af.end += int64(n)
	af.torn = false
	return nil
}

func (af *file) close() error {
	af.mu.Lock()
	defer af.mu.Unlock()
	if af.f == nil {
		return nil
	}
	err := af.f.Close()
	af.f = nil
	return err
}

func hashLine(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

func fileSize(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !info.Mode().IsRegular() {
		return 0, nil
	}
	return info.Size(), nil
}

func isCharDevice(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && !info.Mode().IsRegular()
}
