package execkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/execkit/execkit/internal/clean"
	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/policy"
	"github.com/execkit/execkit/redact"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
	"mvdan.cc/sh/v3/syntax"
)

// Session is one long-lived shell reached through a transport. The shell's
// state (working directory, variables, functions, aliases, set options)
// persists from one Exec to the next.
//
// A Session is safe for concurrent use. Calls run one at a time, in the order
// they acquire the session: a second Exec waits for the first (or returns
// ErrBusy if its context ends first). Close may be called at any time; it
// interrupts a running Exec.
type Session struct {
	id   string
	t    transport.Transport
	proc transport.Process
	// ownsTransport: Close closes t too (OpenLocal).
	ownsTransport bool

	d   *dialect
	pid int
	// interactive: an interrupt makes the shell abandon the rest of the
	// command line and read on, so it is sent to the shell too.
	interactive bool
	skew        time.Duration // remote clock minus ours
	// remoteClock: the shell reported its clock, so skew is known.
	remoteClock bool
	timeout     time.Duration
	grace       time.Duration
	maxChars    int
	budget      *Budget
	fence       *policy.Fence
	redactor    *redact.Redactor
	store       *outputStore
	observe     func(*Event)
	cp          *checkpoints // nil without a workspace (checkpoint.go)

	stdin      io.WriteCloser
	out, errs  *demux
	exited     chan struct{} // closed when the shell process has exited
	exitStatus int
	exitErr    error

	run chan struct{} // one slot: the Exec in progress

	mu       sync.Mutex
	cwd      string
	ended    error
	lastUsed time.Time

	closeOnce sync.Once

	jobs jobSet // jobs started from the session (job.go)

	// partOut, partErr: the running command's unfinished lines (partial.go).
	partOut, partErr partialLine
}

var sessionSeq atomic.Int64

// sharedRedactors holds the compiled built-in rule sets (about half a MiB
// each), shared by every session without secrets of its own.
var sharedRedactors sync.Map // bool (kind tags) -> *redact.Redactor

func newRedactor(secrets []string, kinds bool) (*redact.Redactor, error) {
	if len(secrets) > 0 {
		return redact.New(&redact.Options{Values: secrets, KindTags: kinds})
	}
	if r, ok := sharedRedactors.Load(kinds); ok {
		return r.(*redact.Redactor), nil
	}
	r, err := redact.New(&redact.Options{KindTags: kinds})
	if err != nil {
		return nil, err
	}
	actual, _ := sharedRedactors.LoadOrStore(kinds, r)
	return actual.(*redact.Redactor), nil
}

// Option configures what a Config cannot hold because it is not data.
type Option func(*options)

type options struct {
	observe       func(*Event)
	ownsTransport bool
	jobLimit      jobLimit // WithJobLimits (job.go)
}

// WithTransport hands the transport to the session: Close (and a failed
// Open) closes it too. Use it for a transport dialled for this session alone,
// such as an SSH connection or a Docker client.
func WithTransport() Option {
	return func(o *options) { o.ownsTransport = true }
}

// WithObserver registers a function that receives every event of the session
// (open, exec, blocked, close), already redacted; an audit log is one. It is
// called synchronously, in order, and must not call back into the session.
func WithObserver(f func(*Event)) Option {
	return func(o *options) {
		prev := o.observe
		if prev == nil {
			o.observe = f
			return
		}
		o.observe = func(e *Event) { prev(e); f(e) }
	}
}

// Labeler is implemented by transports whose sessions carry more than their
// kind in the session id (ssh: user@host:port, docker: the container).
type Labeler interface {
	Label() string
}

// OpenLocal opens a session in a shell on this machine. Close also releases
// the local transport.
func OpenLocal(ctx context.Context, cfg *Config, opts ...Option) (*Session, error) {
	return Open(ctx, local.New(), cfg, append(opts, WithTransport())...)
}

// detectShell starts bash where the machine has one, else sh; both
// interactive (an interrupt abandons the command line and the shell reads
// the next), neither reading startup files.
//
// busybox ash is the exception: in interactive mode it reads end-of-file
// when a background job exits while it waits for input, so it runs
// non-interactively (-s).
const detectShell = `if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc --noediting +o history -i; fi
case "$(readlink /proc/$$/exe 2>/dev/null)" in *busybox*) exec sh -s;; esac
exec sh -i`

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open starts a session over t. The transport is the only part that differs
// between local, SSH and Docker; everything else is the same code. The caller
// keeps ownership of t (Close ends the shell, not the transport) unless
// WithTransport is given.
func Open(ctx context.Context, t transport.Transport, cfg *Config, opts ...Option) (_ *Session, err error) {
	if cfg == nil {
		cfg = &Config{}
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.ownsTransport {
		defer func() {
			if err != nil {
				t.Close()
			}
		}()
	}
	s := &Session{
		t:             t,
		ownsTransport: o.ownsTransport,
		timeout:       cfg.Timeout,
		grace:         cfg.Grace,
		maxChars:      cfg.MaxChars,
		budget:        cfg.Budget,
		observe:       o.observe,
		run:           make(chan struct{}, 1),
		exited:        make(chan struct{}),
	}
	s.jobs.init(o.jobLimit)
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.grace <= 0 {
		s.grace = DefaultGrace
	}
	if s.maxChars <= 0 {
		s.maxChars = DefaultMaxChars
	}
	keep := cfg.OutputKeep
	switch {
	case keep == 0:
		keep = DefaultOutputKeep
	case keep < 0:
		keep = 0
	}
	s.store = newOutputStore(keep)
	if _, err := cfg.Budget.compile(s.maxChars); err != nil {
		return nil, err
	}
	fence, err := policy.Compile(cfg.OperatorPolicy, cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("execkit: %w", err)
	}
	s.fence = fence
	red, err := newRedactor(cfg.Secrets, cfg.RedactKinds)
	if err != nil {
		return nil, fmt.Errorf("execkit: %w", err)
	}
	s.redactor = red
	env, err := envScript(cfg.Env)
	if err != nil {
		return nil, err
	}
	if strings.ContainsRune(cfg.Dir, 0) {
		return nil, errors.New("execkit: cwd contains a NUL byte")
	}
	if s.cp, err = newCheckpoints(t, cfg); err != nil {
		return nil, err
	}

	argv := cfg.Shell
	if len(argv) == 0 {
		argv = []string{"sh", "-c", detectShell}
	}
	proc, err := t.Start(ctx, &transport.Command{Argv: argv})
	if err != nil {
		return nil, &transportError{op: "start shell", err: err}
	}
	s.proc = proc
	s.stdin = proc.Stdin()
	s.out = newDemux(proc.Stdout())
	s.errs = newDemux(proc.Stderr())
	go s.out.run()
	go s.errs.run()
	go func() {
		s.exitStatus, s.exitErr = proc.Wait()
		close(s.exited)
	}()

	n := sessionSeq.Add(1)
	s.id = strconv.FormatInt(n, 10) + "_" + sanitizeID(t.Kind())
	if l, ok := t.(Labeler); ok && l.Label() != "" {
		s.id += "_" + sanitizeID(l.Label())
	}

	if err := s.handshake(ctx, env, cfg.Dir); err != nil {
		s.kill()
		return nil, err
	}
	s.lastUsed = time.Now()
	s.emit(&Event{Type: "open", Cwd: s.Cwd()})
	return s, nil
}

// sanitizeID keeps the characters of an id part that are safe in file
// names, URLs and logs.
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '@', r == ':':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// shellControlled names variables that make the shell run code or change how
// it reads commands; an agent-supplied Config.Env must not set them.
func shellControlled(name string) bool {
	switch name {
	case "PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS3", "PS4", "ENV", "BASH_ENV", "TMOUT",
		"SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "GLOBIGNORE", "HISTFILE", "HISTCONTROL",
		"PROMPT_DIRTRIM", "INPUTRC", "MAILPATH", "MAIL", "MAILCHECK", "POSIXLY_CORRECT":
		return true
	}
	return strings.HasPrefix(name, "BASH_")
}

func envScript(env map[string]string) (string, error) {
	merged := make(map[string]string, len(DefaultEnv)+len(env))
	for k, v := range DefaultEnv {
		merged[k] = v
	}
	for k, v := range env {
		if !envName.MatchString(k) {
			return "", fmt.Errorf("execkit: env name %q is not a valid shell variable name", k)
		}
		if shellControlled(k) {
			return "", fmt.Errorf("execkit: env name %s is refused: the shell runs or obeys it (prompts, startup files, options), which would bypass the policy or break the session", k)
		}
		if strings.ContainsRune(v, 0) {
			return "", fmt.Errorf("execkit: env value of %s contains a NUL byte", k)
		}
		merged[k] = v
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("export " + k + "=" + quote(merged[k]) + "\n")
	}
	return b.String(), nil
}

// handshake finds out which shell runs, installs the frame helpers and the
// environment, and moves to dir.
func (s *Session) handshake(ctx context.Context, env, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Plain POSIX: no helpers exist yet. The nonces are not secret here,
	// since no command of the agent's has run.
	st, e := newNonce(), newNonce()
	line := `printf '\036EKS%s\036' ` + st + `; printf '\036EKS%s\036' ` + st + ` >&2; printf '%s %s %s %s' "$$" "$-" "${BASH_VERSION:+bash}" "$(date +%s 2>/dev/null)"; printf '\036EKE%s\036%s:' ` + e + ` 0; pwd; printf '\036EKT%s\036' ` + e + `; printf '\036EKE%s\036' ` + e + " >&2\n"
	var body strings.Builder
	fo := &frame{start: startMarker(st), ends: []string{e}, sink: &body, stdout: true, done: make(chan frameEnd, 1)}
	fe := &frame{start: startMarker(st), ends: []string{e}, sink: io.Discard, done: make(chan frameEnd, 1)}
	s.out.set(fo)
	s.errs.set(fe)
	if err := s.write(line); err != nil {
		return err
	}
	if err := s.awaitBoth(ctx, fo, fe); err != nil {
		return err
	}
	f := strings.Fields(body.String())
	if len(f) < 2 {
		return errors.New("execkit: the shell did not report its process id")
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 1 {
		return fmt.Errorf("execkit: the shell reported a bad process id %q", f[0])
	}
	s.pid = pid
	s.d = &posixDialect
	if len(f) > 1 {
		s.interactive = strings.Contains(f[1], "i")
	}
	rest := f[2:]
	if len(rest) > 0 && rest[0] == "bash" {
		s.d = &bashDialect
		rest = rest[1:]
	} else if !s.interactive {
		// A non-interactive sh shows no prompts, and an assignment to a
		// readonly PS1 would end it: nothing to reset.
		s.d = &posixBatchDialect
	}
	if len(rest) > 0 {
		if remote, err := strconv.ParseInt(rest[0], 10, 64); err == nil {
			s.skew = time.Unix(remote, 0).Sub(time.Now()).Round(time.Second)
			s.remoteClock = true
		}
	}

	if err := s.write(s.d.init + env); err != nil { // no frame: its output is discarded
		return err
	}
	cmd := ":"
	if dir != "" {
		cmd = "cd -- " + quote(dir)
	}
	res, err := s.execFramed(ctx, cmd, "", &compiledBudget{maxChars: 4096}, nil)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		if dir != "" {
			return fmt.Errorf("execkit: cannot use %q as the working directory: %s", dir, strings.TrimSpace(res.Stderr))
		}
		return fmt.Errorf("execkit: shell start-up failed: %s", strings.TrimSpace(res.Stderr))
	}
	return nil
}

// write sends text to the shell's stdin.
func (s *Session) write(text string) error {
	_, err := io.WriteString(s.stdin, text)
	if err != nil {
		return s.endWith(fmt.Sprintf("the shell no longer reads commands (%v)", err))
	}
	return nil
}

// awaitBoth waits for both streams' frames to end (used at start-up only).
func (s *Session) awaitBoth(ctx context.Context, fo, fe *frame) error {
	var gotOut, gotErr bool
	for !gotOut || !gotErr {
		select {
		case <-fo.done:
			gotOut = true
		case <-fe.done:
			gotErr = true
		case <-s.exited:
			return s.endWith(s.exitReason())
		case <-ctx.Done():
			return fmt.Errorf("execkit: the shell did not start: %w", ctx.Err())
		}
	}
	s.out.clear(fo)
	s.errs.clear(fe)
	return nil
}

// ID returns the session's id: "<n>_<transport>[_<label>]".
func (s *Session) ID() string { return s.id }

// Transport returns the transport's kind: "local", "ssh" or "docker".
func (s *Session) Transport() string { return s.t.Kind() }

// Cwd returns the shell's working directory after the last command, as
// results show it: cleaned and redacted like output, since a directory's
// name is whatever a command chose (escape sequences, a token).
func (s *Session) Cwd() string {
	s.mu.Lock()
	cwd := s.cwd
	s.mu.Unlock()
	return clean.StringFiltered(cwd, s.redactText)
}

// LastUsed returns when the session last started or finished a call.
func (s *Session) LastUsed() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastUsed
}

// Err returns nil while the session is usable, else an error wrapping
// ErrSessionEnded that says why it ended.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Busy reports whether a call is running on the session, or a command that
// went on past its timeout (OnTimeout "continue") still holds the shell.
func (s *Session) Busy() bool { return len(s.run) > 0 || s.jobs.shellFree() != nil }

// Done returns a channel closed when the session's shell has exited.
func (s *Session) Done() <-chan struct{} { return s.exited }

// endWith marks the session ended (once) and returns the error.
func (s *Session) endWith(reason string) error { return s.endWithCause(reason, nil) }

// endWithCause is endWith for an end the transport explains: errors.Is
// then holds for ErrTransport and the transport's own error too. A nil
// cause is the shell's exit error, if it has exited with one.
func (s *Session) endWithCause(reason string, cause error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		if cause == nil {
			select {
			case <-s.exited:
				cause = s.exitErr
			default:
			}
		}
		s.ended = &endedError{reason: reason, cause: cause}
	}
	return s.ended
}

// stuck is why a shell that stopped answering is killed: what the
// transport can see (a paused container) when it can tell, else def.
func (s *Session) stuck(def string) (string, error) {
	c, ok := s.t.(transport.Checker)
	if !ok {
		return def, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Check(ctx); err != nil {
		return err.Error() + ", so the command could not be interrupted and the shell was killed", err
	}
	return def, nil
}

func (s *Session) exitReason() string {
	<-s.exited
	if s.exitErr != nil {
		return s.exitErr.Error()
	}
	if s.exitStatus > 128 && s.exitStatus < 128+65 {
		return fmt.Sprintf("the shell was killed by signal %d", s.exitStatus-128)
	}
	return fmt.Sprintf("the shell exited with status %d (exit, exec, or a failure under set -e)", s.exitStatus)
}

// Exec runs command in the session's shell and returns its Result. A nonzero
// exit, a timeout or a truncated output is reported in the Result; err is
// non-nil only when there is no result: the policy denied the command
// (*PolicyError), the budget is bad (*BudgetError), the command cannot be
// sent (*CommandError), or the session has ended (ErrSessionEnded).
//
// The command's stdin is /dev/null unless opts.Stdin is set. When the
// timeout passes or ctx ends, the command's processes are interrupted (INT,
// then TERM, then KILL, a grace period apart), the Result has TimedOut set
// and the partial output, and the session keeps its state.
func (s *Session) Exec(ctx context.Context, command string, opts *ExecOptions) (*Result, error) {
	if opts == nil {
		opts = &ExecOptions{}
	}
	select {
	case s.run <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: another command is still running (%w)", ErrBusy, ctx.Err())
	}
	defer func() { <-s.run }()
	if err := s.Err(); err != nil {
		return nil, err
	}
	select {
	case <-s.exited: // died between commands (killed, connection dropped)
		s.kill()
		return nil, s.endWith(s.exitReason())
	default:
	}
	s.touch()
	defer s.touch()

	if strings.IndexByte(command, 0) >= 0 {
		return nil, &CommandError{Reason: "it contains a NUL byte, which no shell can read"}
	}
	if strings.IndexByte(opts.Stdin, 0) >= 0 {
		// Shell strings and here-documents cannot carry NUL: refuse rather
		// than deliver different bytes.
		return nil, &CommandError{Reason: "stdin contains a NUL byte, which cannot pass through the shell; write binary input to a file first"}
	}
	command = strings.ReplaceAll(command, "\r\n", "\n")
	budget := opts.Budget
	if budget == nil {
		budget = s.budget
	}
	cb, err := budget.compile(s.maxChars)
	if err != nil {
		return nil, err
	}
	if err := onTimeoutError(opts.OnTimeout); err != nil {
		return nil, err
	}
	if err := s.fence.CheckInput(command, opts.Stdin); err != nil {
		s.emit(&Event{Type: "blocked", Command: s.redactText(command), Error: s.redactText(err.Error())})
		return nil, err
	}
	if err := s.d.guard(command); err != nil { // guard.go
		s.emit(&Event{Type: "blocked", Command: s.redactText(command), Error: s.redactText(err.Error())})
		return nil, err
	}
	timeout := s.timeout
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if res, ok := s.syntaxError(ctx, command); ok {
		s.emit(&Event{Type: "exec", Command: s.redactText(command), Result: res})
		return res, nil
	}
	state, files := s.fileState(ctx, command) // checkpoint.go
	s.autoSnapshot(ctx, command, state)
	notify := opts.OnOutput
	if opts.OnTimeout == "continue" {
		// job.go: past its timeout the command goes on as a job.
		ctx, notify = s.continueAfterTimeout(ctx, command, notify)
	}
	res, err := s.execFramed(ctx, command, opts.Stdin, cb, notify)
	if err != nil {
		return nil, err
	}
	if state != "" && res.JobID == "" && res.Ended == "" {
		files = s.fileChanges(ctx, state)
	}
	res.Files = files
	s.emit(&Event{Type: "exec", Command: s.redactText(command), Result: res})
	return res, nil
}

func (s *Session) touch() {
	s.mu.Lock()
	s.lastUsed = time.Now()
	s.mu.Unlock()
}

// syntaxError answers a multi-line command that does not parse with the
// shell's own message, without running any of it. A one-line command needs
// no check: the shell parses a whole line before running any of it.
func (s *Session) syntaxError(ctx context.Context, command string) (*Result, bool) {
	if !strings.Contains(command, "\n") {
		return nil, false
	}
	lang := syntax.LangPOSIX
	shell := "sh"
	if s.d.kind == kindBash {
		lang, shell = syntax.LangBash, "bash"
	}
	_, perr := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(command), "")
	if perr == nil {
		return nil, false
	}
	// Our parser and the shell can disagree: the shell has the last word.
	start := time.Now()
	out, err := s.t.Run(ctx, &transport.Command{Argv: []string{shell, "-n"}, Stdin: strings.NewReader(command)})
	if err != nil || out.ExitCode == 0 {
		return nil, false
	}
	n := 0
	msg := clean.StringFiltered(string(out.Stderr), func(t string) string {
		t, k := s.redactor.String(t)
		n += k
		return t
	})
	return &Result{Stderr: msg, ExitCode: out.ExitCode, Duration: time.Since(start), Cwd: s.Cwd(), Redacted: n}, true
}

// stream is one output stream's pipeline: clean, redact, then keep (for
// Output) and shape.
type stream struct {
	noise   *noiseFilter // bash's interactive-mode notices (stderr only)
	cleaner *clean.Writer
	red     *redact.Writer
	spool   *spool
	shaper  *shaper
}

type notifyWriter struct {
	name string
	f    func(string, []byte)
}

func (w notifyWriter) Write(p []byte) (int, error) {
	w.f(w.name, p)
	return len(p), nil
}

func (s *Session) newStream(name string, cb *compiledBudget, sp *spool, notify func(string, []byte)) *stream {
	st := s.newPipeline(name, cb, sp, notify)
	if name == "stderr" && s.d.kind == kindBash {
		st.noise = newNoiseFilter(st.cleaner)
	}
	return st
}

// input is where the stream's raw bytes go.
func (st *stream) input() io.Writer {
	if st.noise != nil {
		return st.noise
	}
	return st.cleaner
}

func (s *Session) newPipeline(name string, cb *compiledBudget, sp *spool, notify func(string, []byte)) *stream {
	st := &stream{spool: sp, shaper: newShaper(cb)}
	var dst io.Writer = st.shaper
	if sp != nil {
		dst = io.MultiWriter(sp, st.shaper)
	}
	if notify != nil {
		dst = io.MultiWriter(dst, notifyWriter{name, notify})
	}
	// Redaction runs between cleaning's two halves, before carriage
	// returns and backspaces are applied: "ghp_…\rxx" would otherwise
	// show the token's body without the prefix its rule looks for.
	st.cleaner = clean.NewFilteredWriter(dst, func(next io.Writer) clean.Filter {
		st.red = s.redactor.NewWriter(next)
		return st.red
	})
	return st
}

// finish flushes the pipeline and returns the shaped text.
func (st *stream) finish() (string, StreamReport, bool) {
	if st.noise != nil {
		st.noise.Close()
	}
	st.cleaner.Close()
	st.red.Close()
	text, rep := st.shaper.finish()
	// A few odd bytes in a short output are shown, not summarised.
	stats := st.cleaner.Stats()
	binary := stats.BytesIn >= 64 && stats.LooksBinary()
	if binary {
		text = fmt.Sprintf("[binary output: %d bytes]\n", st.cleaner.Stats().BytesIn)
		st.shaper.truncated = true
	}
	return text, rep, binary
}

// execFramed runs one framed command and builds its Result.
func (s *Session) execFramed(ctx context.Context, command, input string, cb *compiledBudget, notify func(string, []byte)) (*Result, error) {
	if err := s.jobs.shellFree(); err != nil { // a continued command holds the shell (job.go)
		return nil, err
	}
	sout, serr := s.store.newCapture()
	so := s.newStream("stdout", cb, sout, notify)
	se := s.newStream("stderr", cb, serr, notify)

	st, e := newNonce(), newNonce()
	s.partOut.reset()
	s.partErr.reset()
	fo := &frame{start: startMarker(st), ends: []string{e}, sink: io.MultiWriter(so.input(), &s.partOut), stdout: true, done: make(chan frameEnd, 1)}
	fe := &frame{start: startMarker(st), ends: []string{e}, sink: io.MultiWriter(se.input(), &s.partErr), done: make(chan frameEnd, 1)}
	s.out.set(fo)
	s.errs.set(fe)

	line := s.d.frameLine(command, input, st, e)
	since := proctree.Now()
	sinceWall := time.Now().Add(s.skew)
	start := time.Now()
	writeErr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.stdin, line)
		writeErr <- err
	}()

	var outEnd, errEnd *frameEnd
	timedOut := false
	ended := ""
	var endCause error // the transport's, when it says why the shell was stuck
	step := 0          // interrupt escalation: 0 none, 1 INT sent, 2 TERM, 3 KILL, 4 shell killed
	var stepTimer <-chan time.Time
	recovery := "" // the line that asks an interrupted shell for its end marker
	done := ctx.Done()
	for outEnd == nil || errEnd == nil {
		select {
		case end := <-fo.done:
			outEnd = &end
		case end := <-fe.done:
			errEnd = &end
		case err := <-writeErr:
			if err != nil {
				ended = fmt.Sprintf("the shell no longer reads commands (%v)", err)
				s.waitStreams()
				goto finished
			}
		case <-done:
			done = nil
			if fg := foregroundOf(ctx); fg != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// job.go: the command goes on as a job, which completes the frame.
				return s.detach(fg, &openFrame{fo: fo, fe: fe, so: so, se: se, sout: sout, serr: serr, cb: cb,
					outEnd: outEnd, errEnd: errEnd, writeErr: writeErr, start: start, since: since, sinceWall: sinceWall}), nil
			}
			// The command may have ended just as the time ran out: take its
			// result rather than interrupt an idle shell.
			if fo.delivered() && fe.delivered() {
				continue
			}
			timedOut = true
			if s.interactive {
				// Interrupt the shell only once it has parsed the whole frame
				// (its start marker is out): interrupted mid-line, an
				// interactive shell would run the rest of the line, stdin
				// data included, as commands.
				if !s.waitStarted(fo, fe) {
					ended, endCause = s.stuck("the shell did not start the command in time (still reading it, or the frame's start marker was lost), so the shell was killed")
					s.kill()
					s.waitStreams()
					goto finished
				}
				r := newNonce()
				recovery = "\n" + s.d.recoveryLine(r)
				s.out.addEnd(fo, r)
				s.errs.addEnd(fe, r)
				s.signalTree("INT", true, since, sinceWall)
				// An interrupted interactive shell abandons the rest of
				// the frame and reads on: ask it for the end marker again.
				// Written now, before any later frame; the blank line first
				// may lose a byte to the interrupt harmlessly.
				if _, err := io.WriteString(s.stdin, recovery); err != nil {
					ended = fmt.Sprintf("the shell no longer reads commands (%v)", err)
					s.waitStreams()
					goto finished
				}
			} else {
				// A non-interactive shell would die of the INT itself.
				s.signalTree("INT", false, since, sinceWall)
			}
			step = 1
			stepTimer = time.After(s.grace)
		case <-stepTimer:
			if recovery != "" {
				// The interrupt may have landed as the shell finished the
				// frame and began reading, discarding the recovery line
				// with its input: ask again (extra answers are dropped as
				// output between commands).
				io.WriteString(s.stdin, recovery)
			}
			switch step {
			case 1:
				s.signalTree("TERM", false, since, sinceWall)
			case 2:
				s.signalTree("KILL", false, since, sinceWall)
			case 3:
				// Still no marker: the shell itself is stuck (a builtin
				// loop that ignores INT). Nothing short of killing it helps.
				ended, endCause = s.stuck("the command could not be interrupted and the frame's end marker never came (a shell loop that ignores SIGINT, or a command that disabled what the framing uses), so the shell was killed")
				s.kill()
				s.waitStreams()
				goto finished
			}
			step++
			stepTimer = time.After(s.grace)
		case <-s.exited:
			ended = s.exitReason()
			s.waitStreams()
			goto finished
		}
	}
	if timedOut && step < 3 {
		// The frame ended, but the interrupt may have stopped only the
		// shell's wait: background children ignore SIGINT in a shell
		// without job control. The rest of the tree goes too.
		s.finishTree(step, since, sinceWall)
	}
finished:
	// The unfinished lines were this command's: nothing for the next call.
	s.partOut.reset()
	s.partErr.reset()
	dur := time.Since(start)
	s.out.clear(fo)
	s.errs.clear(fe)
	res := &Result{Duration: dur, TimedOut: timedOut}
	var outRep, errRep StreamReport
	var bin [2]string // the summary of a binary stream, kept for Output
	var isBin bool
	if res.Stdout, outRep, isBin = so.finish(); isBin {
		bin[0] = res.Stdout
	}
	if res.Stderr, errRep, isBin = se.finish(); isBin {
		bin[1] = res.Stderr
	}
	res.Redacted = so.red.Count() + se.red.Count()
	res.Truncated = so.shaper.truncated || se.shaper.truncated || (s.store.keep > 0 && (sout.dropped || serr.dropped))
	if cb.set {
		res.Budget = &BudgetReport{Stdout: outRep, Stderr: errRep}
	}
	if ended != "" {
		<-s.exited
		if s.d.kind == kindBash && s.interactive {
			// An interactive bash says "exit" as it leaves.
			res.Stderr = strings.TrimSuffix(res.Stderr, "exit\n")
		}
		res.ExitCode = s.exitStatus
		res.Cwd = s.Cwd()
		res.Ended = ended
		s.endWithCause(ended, endCause)
		s.kill()
	} else {
		if outEnd.ok {
			res.ExitCode = outEnd.status
		}
		if outEnd.ok && outEnd.cwd != "" {
			s.mu.Lock()
			s.cwd = outEnd.cwd
			s.mu.Unlock()
		}
		res.Cwd = s.Cwd()
	}
	if res.Truncated && s.store.keep > 0 {
		meta := *res
		meta.Stdout, meta.Stderr, meta.Budget = "", "", nil
		res.OutputID = s.store.add(meta, sout, serr, bin)
	} else {
		sout.close()
		serr.close()
	}
	return res, nil
}

// waitStreams gives the readers a moment to drain what a dead shell wrote,
// then kills what is left holding the pipes.
func (s *Session) waitStreams() {
	// One deadline for both streams: a closed channel, not a timer's
	// single value.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	for _, d := range []*demux{s.out, s.errs} {
		select {
		case <-d.eof:
		case <-ctx.Done():
		}
	}
	s.proc.Kill()
	<-s.out.eof
	<-s.errs.eof
}

// waitStarted waits (up to the grace period) until the shell has printed the
// start markers on both streams, that is, parsed the whole frame line and
// begun it.
func (s *Session) waitStarted(fo, fe *frame) bool {
	deadline := time.Now().Add(s.grace)
	for !s.out.started(fo) || !s.errs.started(fe) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-s.exited:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// signalTree sends sig to the processes the current command started (and to
// the shell itself when shell is set).
func (s *Session) signalTree(sig string, shell bool, since uint64, sinceWall time.Time) {
	if sg, ok := s.t.(transport.Signaler); ok {
		pids, _ := sg.Descendants(s.pid, since)
		if shell {
			// The shell first: it must know it was interrupted before its
			// child dies, or it just runs the next command.
			sg.Signal([]int{s.pid}, sig)
		}
		sg.Signal(pids, sig)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	incl := "0"
	if shell {
		incl = "1"
	}
	// A second of slack for the remote clock's whole-second precision.
	epoch := strconv.FormatInt(sinceWall.Unix()-1, 10)
	if !s.remoteClock {
		epoch = "0" // the remote's time is unknown: every descendant
	}
	s.t.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", proctree.Script, "sh", sig, strconv.Itoa(s.pid), epoch, incl}})
}

// finishTree ends what is left of a timed-out command's process tree once
// its frame has ended: TERM, then KILL after the grace for what is still
// there. step is the escalation the frame already went through (1: INT was
// sent, 2: TERM too). Locally it costs nothing when the tree is gone; a
// remote tree is signalled blind, with a short wait between the two.
func (s *Session) finishTree(step int, since uint64, sinceWall time.Time) {
	sg, ok := s.t.(transport.Signaler)
	if !ok {
		if step < 2 {
			s.signalTree("TERM", false, since, sinceWall)
			time.Sleep(min(s.grace, 300*time.Millisecond))
		}
		s.signalTree("KILL", false, since, sinceWall)
		return
	}
	left := func() []int { pids, _ := sg.Descendants(s.pid, since); return pids }
	pids := left()
	if len(pids) == 0 {
		return
	}
	if step < 2 {
		sg.Signal(pids, "TERM")
		for deadline := time.Now().Add(s.grace); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if pids = left(); len(pids) == 0 {
				return
			}
		}
	}
	sg.Signal(left(), "KILL")
}

// kill ends the shell and everything it started.
func (s *Session) kill() {
	if s.proc != nil {
		s.proc.Kill()
	}
}

// Output returns a past command's full output, shaped again by b (nil: the
// session's character cap only). id is a Result's OutputID.
func (s *Session) Output(id string, b *Budget) (*Result, error) {
	so := s.store.get(id)
	if so == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownOutput, quoteID(id))
	}
	cb, err := b.compile(s.maxChars)
	if err != nil {
		return nil, err
	}
	res := so.meta
	res.OutputID = id
	var reps [2]StreamReport
	var trunc [2]bool
	for i, sp := range []*spool{so.stdout, so.stderr} {
		sh := newShaper(cb)
		r := sp.reader()
		if r == nil { // evicted while we looked
			return nil, fmt.Errorf("%w %s", ErrUnknownOutput, quoteID(id))
		}
		io.Copy(sh, r)
		text, rep := sh.finish()
		reps[i], trunc[i] = rep, sh.truncated
		if so.binary[i] != "" {
			// Shown as the result showed it, not as pages of garbage.
			text, trunc[i] = so.binary[i], true
		}
		if i == 0 {
			res.Stdout = text
		} else {
			res.Stderr = text
		}
	}
	res.Truncated = trunc[0] || trunc[1] || so.dropped
	res.Budget = nil
	if cb.set {
		res.Budget = &BudgetReport{Stdout: reps[0], Stderr: reps[1]}
	}
	return &res, nil
}

// Close ends the session: the shell and everything it started are killed and
// kept outputs are dropped. A running Exec returns with the session ended.
// Close is idempotent and returns nil.
func (s *Session) Close() error { return s.closeWith("the session was closed") }

// closeWith is Close, saying why: the reason is the close event's, unless
// the session had already ended (then that reason is).
func (s *Session) closeWith(reason string) error {
	s.closeOnce.Do(func() {
		var ee *endedError
		if errors.As(s.endWith(reason), &ee) {
			reason = ee.reason
		}
		s.kill()
		s.jobs.close() // kill every job and wait for it (job.go)
		// Wait for a running Exec to notice, then drop kept output.
		s.run <- struct{}{}
		<-s.run
		s.store.close()
		if s.ownsTransport {
			s.t.Close()
		}
		s.emit(&Event{Type: "close", Reason: reason})
	})
	return nil
}

func (s *Session) redactText(t string) string {
	out, _ := s.redactor.String(t)
	return out
}

// Redact redacts text with the session's redactor, the one its results go
// through (its declared secrets included, such as an SSH password), and
// returns the count of secrets replaced: for showing text that did not come
// from a result, such as the command itself, in a log or a notification.
// Redact whole text before cutting it short, so that no secret loses the
// shape that gives it away.
func (s *Session) Redact(text string) (string, int) { return s.redactor.String(text) }
