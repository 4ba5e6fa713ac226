package execkit

// Jobs: processes started from a session that outlive the call (a dev
// server, a watcher, a REPL, a ten-minute build).
//
// A job started with Start is a separate process on the session's
// transport. It inherits what the shell has at that moment, and nothing
// else: the shell's working directory and its exported variables, read by
// one framed command (`export -p`, whose output the shell itself quotes for
// re-input) and re-created in a fresh shell that first drops the
// environment the transport gave it, so a variable the session unset stays
// unset. Functions, aliases and unexported variables do not carry over, as
// with any child process. The job's shell reads no startup file (BASH_ENV
// and ENV are empty when it starts). The exports reach it through its
// environment, never its argv, which every user of the machine can read.
//
// A command that reaches its timeout with ExecOptions.OnTimeout "continue"
// becomes a job too, but it keeps running in the session's shell: its
// output goes on through the same demux frame and the same clean → redact
// pipeline, redirected from the Result to the job's window, and when its
// end marker arrives the frame is completed here (status, cwd) and the
// shell is free again.
//
// Output of either kind is cleaned and redacted like every other output
// and kept in a bounded window per stream (the session's MaxChars): what a
// reader has not taken when more arrives is dropped oldest first and
// counted.

import (
	"bytes"
	"context"
	"encoding/json"
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
	"unicode/utf8"

	"github.com/execkit/execkit/internal/clean"
	"github.com/execkit/execkit/internal/proctree"
	"github.com/execkit/execkit/internal/window"
	"github.com/execkit/execkit/redact"
	"github.com/execkit/execkit/transport"
)

// JobOptions configure [Session.Start]. The zero value starts the command
// with stdout and stderr apart and its stdin on a pipe that [Job.Input]
// writes to.
type JobOptions struct {
	// TTY runs the command on a terminal, for programs that need one:
	// REPLs (python3 -i), psql, anything that prompts or checks isatty.
	// A terminal has one screen, so all output (and the echo of what
	// Input types) arrives as Stdout, cleaned like all output. The
	// transports that implement transport.TTYStarter can do this (local,
	// ssh and docker all do); a session on another refuses it.
	TTY bool `json:"tty,omitempty"`
	// Rows and Cols size the terminal; zero means 24 and 80. At most
	// MaxTTYSize each.
	Rows int `json:"rows,omitempty"`
	Cols int `json:"cols,omitempty"`
}

// Limits on jobs. Agent-supplied values beyond them are refused.
const (
	// DefaultMaxJobs is how many jobs may run at once in one session
	// unless WithJobLimits says otherwise.
	DefaultMaxJobs = 16
	// MaxJobInput bounds the bytes of one Input.
	MaxJobInput = 1 << 20
	// MaxTTYSize bounds a terminal's rows and columns.
	MaxTTYSize = 1000
	// JobIdle is how long a job's output must pause before Output
	// without an until pattern returns what arrived.
	JobIdle = 300 * time.Millisecond
)

const (
	// partialIdle: an unfinished line (a prompt) is passed on once its
	// stream has been quiet this long. The cleaner and the redactor hold
	// a line until its newline; a REPL's ">>> " never gets one.
	partialIdle = 100 * time.Millisecond
	// drainTimeout: after the job's process exits, how long its streams
	// may take to deliver the rest before whatever still holds them is
	// killed.
	drainTimeout = 500 * time.Millisecond
	// startTimeout bounds how long Start waits for the job's shell to
	// report its process id.
	startTimeout = 30 * time.Second
	// snapshotTimeout bounds the framed command that reads the shell's
	// environment.
	snapshotTimeout = 10 * time.Second
	// maxExports bounds that environment: Linux takes at most 128 KiB in
	// one argument, and the environment travels in one.
	maxExports = 120 << 10
	// maxExitedJobs: ended jobs stay listed (and readable) until this many
	// more have ended.
	maxExitedJobs = 32
	// jobPATH finds env's shell before the session's PATH is restored.
	jobPATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// ErrUnknownJob is returned for a job id the session never gave out, or
// whose ended job has since been dropped from the list.
var ErrUnknownJob = errors.New("execkit: unknown job id")

// ErrJobEnded is returned by Input to a job that has exited.
var ErrJobEnded = errors.New("execkit: job has ended")

// ErrTooManyJobs is returned by Start when the session's or the operator's
// cap on running jobs is reached.
var ErrTooManyJobs = errors.New("execkit: too many jobs")

// BusyError is returned by Exec and Start while a command that continued
// past its timeout (ExecOptions.OnTimeout "continue") still runs in the
// session's shell. errors.Is(err, ErrBusy) holds for it. The session is
// free again as soon as that command ends: read its job's output until it
// reports the end, or signal it.
type BusyError struct {
	// JobID is the job the running command became.
	JobID string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("execkit: session busy: the command that continued past its timeout still runs in the shell as %s; read that job's output until it ends, or signal it", e.JobID)
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// JobArgError reports an argument of a job call that cannot be used (a bad
// until pattern, an unknown signal, an oversized input or terminal). Nothing
// was done.
type JobArgError struct {
	Arg    string // "until", "signal", "input", "wait", "rows", "cols", "tty"
	Reason string
}

func (e *JobArgError) Error() string { return "execkit: bad " + e.Arg + ": " + e.Reason }

// JobLimiter caps the running jobs of every session that shares it: an
// operator-wide cap on top of each session's own. It is safe for concurrent
// use.
type JobLimiter struct {
	mu   sync.Mutex
	max  int
	live int
}

// NewJobLimiter returns a limiter allowing max running jobs (zero or less:
// none at all).
func NewJobLimiter(max int) *JobLimiter { return &JobLimiter{max: max} }

// Live returns how many jobs currently count against the limiter.
func (l *JobLimiter) Live() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.live
}

func (l *JobLimiter) acquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live >= l.max {
		return false
	}
	l.live++
	return true
}

func (l *JobLimiter) release() {
	l.mu.Lock()
	l.live--
	l.mu.Unlock()
}

// jobLimit is what WithJobLimits set.
type jobLimit struct {
	perSession int // 0: DefaultMaxJobs; negative: no jobs
	shared     *JobLimiter
}

// WithJobLimits caps the jobs running at once in the session (perSession;
// zero means DefaultMaxJobs, negative forbids jobs) and, when shared is not
// nil, across every session that shares it. Commands that continued past
// their timeout do not count: they run in the session's shell, one at a
// time.
func WithJobLimits(perSession int, shared *JobLimiter) Option {
	return func(o *options) { o.jobLimit = jobLimit{perSession: perSession, shared: shared} }
}

// Job is a process started from a session ([Session.Start]), or a command
// that continued past its timeout ([ExecOptions.OnTimeout] "continue"). It
// is safe for concurrent use; reads (Output) are served one at a time.
type Job struct {
	s         *Session
	id        string
	command   string // redacted
	tty       bool
	started   time.Time
	fg        *foreground // a continued command (it runs in the shell)
	proc      transport.Process
	nonce     string
	out, errs *jobStream // errs is nil on a terminal

	pidKnown chan struct{} // closed once pid is set (0: unknown) or the job ended first
	pid      int           // the job shell's pid on its machine
	done     chan struct{} // closed once the job has ended and its output is complete
	kill     chan struct{} // closed to kill it (the session is closing)
	killOnce sync.Once
	readSem  chan struct{}
	inputSem chan struct{}

	mu       sync.Mutex
	ended    bool
	code     int
	endErr   string
	lastRaw  time.Time // the last bytes from the process, delivered or held
	wake     chan struct{}
	fgKilled string // why the shell was killed to stop a continued command
}

// JobOutput is what one [Job.Output] returned: the output since the last
// read, and the job's state.
type JobOutput struct {
	// Stdout and Stderr are the output produced since the last read,
	// cleaned and redacted. A terminal job has only Stdout.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// Dropped counts the bytes of that output that no longer fit the
	// window (the session's MaxChars per stream) and were dropped, oldest
	// first, before this read.
	Dropped int64 `json:"dropped,omitempty"`
	// Matched is true when the until pattern appeared in this output.
	Matched bool `json:"matched,omitempty"`
	// Running is true while the job runs.
	Running bool `json:"running"`
	// ExitCode is the job's exit status once it has ended (128+N for
	// signal N; -1 when it cannot be known), else nil.
	ExitCode *int `json:"exit_code,omitempty"`
	// Error says why the exit status cannot be known (a dropped
	// connection, the session's shell dying under a continued command).
	Error string `json:"error,omitempty"`
	// Redacted counts the secrets replaced in this output.
	Redacted int `json:"redacted,omitempty"`
}

// JobInfo describes a job for listings and after a signal.
type JobInfo struct {
	ID string `json:"job_id"`
	// Command is the job's command, redacted.
	Command string `json:"command"`
	TTY     bool   `json:"tty,omitempty"`
	// Continued marks a command that continued past its timeout: it runs
	// in the session's shell, which is busy until it ends.
	Continued bool `json:"continued,omitempty"`
	Running   bool `json:"running"`
	// ExitCode is set once the job has ended.
	ExitCode *int      `json:"exit_code,omitempty"`
	Started  time.Time `json:"-"`
	// Age is how long ago the job started, at the time of the call.
	Age time.Duration `json:"-"`
}

// MarshalJSON writes Age as age_ms.
func (i JobInfo) MarshalJSON() ([]byte, error) {
	type plain JobInfo
	return json.Marshal(struct {
		plain
		AgeMS int64 `json:"age_ms"`
	}{plain(i), i.Age.Milliseconds()})
}

// JobEvent is the job part of an Event ("job_start", "job_input",
// "job_signal", "job_exit"). Every text in it is redacted.
type JobEvent struct {
	ID        string `json:"id"`
	TTY       bool   `json:"tty,omitempty"`
	Continued bool   `json:"continued,omitempty"`
	// Input is what job_input wrote (redacted).
	Input string `json:"input,omitempty"`
	// Signal is what job_signal sent.
	Signal string `json:"signal,omitempty"`
	// Running is the state after job_signal.
	Running bool `json:"running,omitempty"`
	// ExitCode is set for job_exit, and for job_signal once the job ended.
	ExitCode *int `json:"exit_code,omitempty"`
}

// onTimeoutError validates ExecOptions.OnTimeout.
func onTimeoutError(v string) error {
	switch v {
	case "", "interrupt", "continue":
		return nil
	}
	return fmt.Errorf("execkit: on_timeout must be \"interrupt\" or \"continue\", not %q", clip(v, 40))
}

// clip shortens an agent-supplied string for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Start starts command as a job on the session's transport and returns once
// it runs (or has already ended), without waiting for it. The job inherits
// the shell's working directory and exported variables of this moment; the
// policy fence checks the command as it checks Exec's. The shell is used
// only for that moment, so Exec goes on while the job runs.
//
// err is non-nil when there is no job: the policy denied the command, the
// session is busy or ended, a cap on jobs is reached, or the transport could
// not start it. A command that fails at once is a job that has ended, with
// its exit code and output.
func (s *Session) Start(ctx context.Context, command string, opts *JobOptions) (*Job, error) {
	if opts == nil {
		opts = &JobOptions{}
	}
	if strings.IndexByte(command, 0) >= 0 {
		return nil, &CommandError{Reason: "it contains a NUL byte, which no shell can read"}
	}
	command = strings.ReplaceAll(command, "\r\n", "\n")
	if strings.TrimSpace(command) == "" {
		return nil, &CommandError{Reason: "it is empty"}
	}
	if len(command) > maxExports {
		// It travels in one environment string, like the exports.
		return nil, &CommandError{Reason: fmt.Sprintf("a job's command can be at most %d KiB", maxExports>>10)}
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"rows", opts.Rows}, {"cols", opts.Cols}} {
		if d.v < 0 || d.v > MaxTTYSize {
			return nil, &JobArgError{Arg: d.name, Reason: fmt.Sprintf("%d is not between 0 and %d", d.v, MaxTTYSize)}
		}
	}
	var tty transport.TTYStarter
	if opts.TTY {
		var ok bool
		if tty, ok = s.t.(transport.TTYStarter); !ok {
			return nil, &JobArgError{Arg: "tty", Reason: fmt.Sprintf("the %s transport cannot start a job on a terminal yet; start it without tty", s.t.Kind())}
		}
	}
	if err := s.fence.CheckJob(command); err != nil {
		s.emit(&Event{Type: "blocked", Command: s.redactText(command), Error: s.redactText(err.Error())})
		return nil, err
	}

	// The shell, for a moment: its cwd and environment.
	select {
	case s.run <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: another command is still running (%w)", ErrBusy, ctx.Err())
	}
	cwd, exports, err := s.snapshotLocked(ctx)
	<-s.run
	if err != nil {
		return nil, err
	}
	if err := s.jobs.reserve(); err != nil {
		return nil, err
	}
	j := &Job{
		s:        s,
		command:  s.redactText(command),
		tty:      opts.TTY,
		started:  time.Now(),
		nonce:    newNonce(),
		pidKnown: make(chan struct{}),
		done:     make(chan struct{}),
		kill:     make(chan struct{}),
		readSem:  make(chan struct{}, 1),
		inputSem: make(chan struct{}, 1),
	}
	shell := "sh"
	if s.d.kind == kindBash {
		shell = "bash"
	}
	// The exports and the command travel in the environment, never in
	// argv: /proc/PID/cmdline is readable by every user of the machine.
	// BASH_ENV and ENV are emptied so the job's shell reads no startup
	// file; the wrapper then replaces the whole environment.
	cmd := &transport.Command{
		Argv: []string{shell, "-c", jobWrapper, shell, j.nonce},
		Env:  []string{"BASH_ENV=", "ENV=", "__EXECKIT_EXPORTS=" + exports, "__EXECKIT_COMMAND=" + command},
		Dir:  cwd,
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var proc transport.Process
	if tty != nil {
		proc, err = tty.StartTTY(sctx, cmd, opts.Rows, opts.Cols)
	} else {
		proc, err = s.t.Start(sctx, cmd)
	}
	if err != nil {
		s.jobs.unreserve()
		if s.Err() != nil {
			return nil, s.Err()
		}
		return nil, fmt.Errorf("execkit: start the job: %w", err)
	}
	j.proc = proc
	j.out = j.newStream()
	if !opts.TTY {
		j.errs = j.newStream()
	}
	if !s.jobs.add(j) {
		proc.Kill()
		s.jobs.unreserve()
		return nil, s.endWith("the session was closed")
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go j.read(j.out, proc.Stdout(), true, &readers)
	if j.errs != nil {
		readers.Add(1)
		go j.read(j.errs, proc.Stderr(), false, &readers)
	} else {
		// A terminal has no second stream; drain it if a transport sends
		// one anyway.
		readers.Add(1)
		go func() { defer readers.Done(); io.Copy(io.Discard, proc.Stderr()) }()
	}
	go j.supervise(&readers)

	select {
	case <-j.pidKnown:
	case <-j.done:
	case <-sctx.Done():
		j.stop()
		<-j.done
		s.jobs.remove(j)
		return nil, fmt.Errorf("execkit: the job did not start: %w", sctx.Err())
	}
	s.touch()
	s.emit(&Event{Type: "job_start", Command: j.command, Cwd: clean.StringFiltered(cwd, s.redactText), Job: &JobEvent{ID: j.id, TTY: j.tty}})
	return j, nil
}

// jobWrapper runs in the job's shell. It drops the environment the
// transport started it with, re-creates the session's exports (export -p
// quoted them for exactly this), reports its pid behind the nonce ($1), and
// runs the command, with no positional parameters and none of its own
// variables left. Only builtins: PATH is unset for a moment.
const jobWrapper = `__ek_x=$__EXECKIT_EXPORTS __ek_c=$__EXECKIT_COMMAND
set -f; __ek_i=$IFS; IFS='
'
for __ek_l in $(export -p); do
  case $__ek_l in
  "declare -"*) __ek_l=${__ek_l#declare -*[ ]};;
  "export "*) __ek_l=${__ek_l#export };;
  *) continue;;
  esac
  __ek_l=${__ek_l%%=*}
  case $__ek_l in ''|*[!A-Za-z0-9_]*) ;; *) unset "$__ek_l" 2>/dev/null;; esac
done
IFS=$__ek_i; set +f
eval "$__ek_x" 2>/dev/null
unset __ek_x __ek_l __ek_i
printf '\036EKJ%s %s\n' "$1" "$$"
eval "unset __ek_c; set --; $__ek_c"`

// jobTreeScript, run as `sh -c jobTreeScript sh SIG ROOT`, sends SIG to ROOT
// and every process below it, at once: the tree is read before anything is
// signalled (a root that dies at once would orphan its children before
// they are found), then one kill sends SIG to ROOT's process group (all of
// it in the same instant, as a terminal's Ctrl-C does: no pipeline member
// sees its neighbour die first) and to each process that left the group.
// Only sh builtins and /proc, so it works in busybox containers.
const jobTreeScript = `sig=$1 root=$2
case $root in ''|*[!0-9]*) exit 0;; esac
[ "$root" -gt 1 ] || exit 0
read -r line </proc/$root/stat 2>/dev/null || exit 0
rest=${line##*) }
set -- $rest
tree=" $root " lone=
[ "$3" = "$root" ] || lone=$root
changed=1
while [ $changed = 1 ]; do
  changed=0
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    case "$tree" in *" $p "*) continue;; esac
    read -r line <"$d/stat" 2>/dev/null || continue
    rest=${line##*) }
    set -- $rest
    case "$tree" in *" $2 "*)
      tree="$tree$p "; changed=1
      [ "$3" = "$root" ] || lone="$lone $p";;
    esac
  done
done
kill -s "$sig" -- -"$root" $lone 2>/dev/null
exit 0
`

// snapshotLocked reads the shell's working directory and its exports, as
// `export -p` prints them. The caller holds the run slot. The output is
// read raw, not cleaned or redacted: it never leaves the library, it goes
// to the job's shell, and redaction would hand the job "[REDACTED]" for
// the token it needs.
func (s *Session) snapshotLocked(ctx context.Context) (cwd, exports string, err error) {
	if err := s.Err(); err != nil {
		return "", "", err
	}
	select {
	case <-s.exited:
		s.kill()
		return "", "", s.endWith(s.exitReason())
	default:
	}
	if err := s.jobs.shellFree(); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	command := `\command export -p`
	if s.d.kind == kindBash {
		command = `\builtin export -p`
	}
	var body cappedBuffer
	body.max = maxExports
	st, e := newNonce(), newNonce()
	fo := &frame{start: startMarker(st), ends: []string{e}, sink: &body, stdout: true, done: make(chan frameEnd, 1)}
	fe := &frame{start: startMarker(st), ends: []string{e}, sink: io.Discard, done: make(chan frameEnd, 1)}
	s.out.set(fo)
	s.errs.set(fe)
	defer s.out.clear(fo)
	defer s.errs.clear(fe)
	since, sinceWall := proctree.Now(), time.Now().Add(s.skew)
	writeErr := make(chan error, 1)
	line := s.d.frameLine(command, "", st, e)
	go func() {
		_, err := io.WriteString(s.stdin, line)
		writeErr <- err
	}()
	var outEnd *frameEnd
	gotErr := false
	done := ctx.Done()
	var giveUp <-chan time.Time
	for outEnd == nil || !gotErr {
		select {
		case end := <-fo.done:
			outEnd = &end
		case <-fe.done:
			gotErr = true
		case err := <-writeErr:
			if err != nil {
				reason := fmt.Sprintf("the shell no longer reads commands (%v)", err)
				s.waitStreams()
				s.kill()
				return "", "", s.endWith(reason)
			}
		case <-s.exited:
			reason := s.exitReason()
			s.waitStreams()
			return "", "", s.endWith(reason)
		case <-done:
			// export -p is a builtin and returns at once; only a trap the
			// session set can hold it. Interrupt as Exec does.
			done = nil
			if s.interactive {
				r := newNonce()
				s.out.addEnd(fo, r)
				s.errs.addEnd(fe, r)
				s.signalTree("INT", true, since, sinceWall)
				go io.WriteString(s.stdin, s.d.recoveryLine(r))
			} else {
				s.signalTree("INT", false, since, sinceWall)
			}
			giveUp = time.After(s.grace)
		case <-giveUp:
			reason := "the shell did not report its environment for a job (a trap that does not return?), so it was killed"
			s.kill()
			return "", "", s.endWith(reason)
		}
	}
	switch {
	case ctx.Err() != nil:
		return "", "", fmt.Errorf("execkit: the shell did not report its environment for the job in time: %w", ctx.Err())
	case body.over:
		return "", "", fmt.Errorf("execkit: the session's exported environment is over %d KiB, more than a job can inherit; unset what the job does not need", maxExports>>10)
	case !outEnd.ok || outEnd.status != 0 || outEnd.cwd == "":
		return "", "", errors.New("execkit: the shell did not report its environment for the job")
	}
	s.mu.Lock()
	s.cwd = outEnd.cwd
	s.mu.Unlock()
	return outEnd.cwd, body.String(), nil
}

// cappedBuffer keeps up to max bytes and notes whether more came.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.over || b.Len()+len(p) > b.max {
		b.over = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// Jobs lists the session's jobs, running and recently ended, oldest first.
func (s *Session) Jobs() []JobInfo {
	jobs := s.jobs.list()
	out := make([]JobInfo, len(jobs))
	for i, j := range jobs {
		out[i] = j.Info()
	}
	return out
}

// Job returns the job with the given id, or an error wrapping ErrUnknownJob.
func (s *Session) Job(id string) (*Job, error) {
	if j := s.jobs.get(id); j != nil {
		return j, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownJob, clip(id, 64))
}

// ID returns the job's id, "job_<n>", unique within its session.
func (j *Job) ID() string { return j.id }

// Done returns a channel closed once the job has ended and all its output
// is in (not necessarily read).
func (j *Job) Done() <-chan struct{} { return j.done }

// Info describes the job now.
func (j *Job) Info() JobInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	info := JobInfo{ID: j.id, Command: j.command, TTY: j.tty, Continued: j.fg != nil, Running: !j.ended, Started: j.started, Age: time.Since(j.started)}
	if j.ended {
		c := j.code
		info.ExitCode = &c
	}
	return info
}

// Output returns the job's output since the last read, and its state.
//
// With until (an RE2 pattern of at most MaxPatternLen bytes, matched line by
// line against the cleaned output) it returns as soon as the pattern
// appears in the unread output, the job ends, or wait passes. Without, it
// returns once output has arrived and then paused for JobIdle, the job
// ends, or wait passes; wait zero returns at once. wait is capped at the
// session's timeout. A line still being written (a prompt) is included once
// its stream has been quiet for a moment.
//
// err is non-nil only for a bad argument or when ctx ends first; then
// nothing is consumed.
func (j *Job) Output(ctx context.Context, wait time.Duration, until string) (*JobOutput, error) {
	var re *regexp.Regexp
	if until != "" {
		var err error
		if re, err = compilePattern(until); err != nil {
			var be *BudgetError
			if errors.As(err, &be) {
				return nil, &JobArgError{Arg: "until", Reason: be.Reason}
			}
			return nil, err
		}
	}
	if wait < 0 {
		return nil, &JobArgError{Arg: "wait", Reason: "must not be negative"}
	}
	wait = min(wait, j.s.timeout)
	select {
	case j.readSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-j.readSem }()
	j.s.touch()
	deadline := time.Now().Add(wait)
	for {
		wake := j.waitChan()
		j.mu.Lock()
		ended, lastRaw := j.ended, j.lastRaw
		j.mu.Unlock()
		now := time.Now()
		held := j.flushIdle(now)
		matched := re != nil && j.search(re)
		unread := j.out.unread() + j.errs.unread()
		switch {
		case matched, ended, !now.Before(deadline),
			re == nil && unread > 0 && now.Sub(lastRaw) >= JobIdle:
			return j.take(matched, ended), nil
		}
		next := deadline
		if re == nil && unread > 0 {
			next = earliest(next, lastRaw.Add(JobIdle))
		}
		if !held.IsZero() {
			next = earliest(next, held.Add(partialIdle))
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

// Peek returns how many bytes of output (both streams) the next Output
// would return, and the last max bytes of them (stdout's, or stderr's when
// stdout has none unread), without reading them: for showing progress while
// an Output call waits. Like Output's, the text is cleaned and redacted.
func (j *Job) Peek(max int) (unread int, tail string) {
	for _, js := range []*jobStream{j.out, j.errs} {
		if js == nil {
			continue
		}
		n, t := js.peek(max)
		unread += n
		if tail == "" {
			tail = t
		}
	}
	return unread, tail
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// waitChan returns a channel closed at the next change: output delivered
// or the job ended.
func (j *Job) waitChan() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.wake == nil {
		j.wake = make(chan struct{})
	}
	return j.wake
}

// changed wakes waiting readers.
func (j *Job) changed() {
	j.mu.Lock()
	if j.wake != nil {
		close(j.wake)
		j.wake = nil
	}
	j.mu.Unlock()
}

// flushIdle passes on unfinished lines that have been quiet for
// partialIdle, and returns when the newest still held one was written (zero:
// none held).
func (j *Job) flushIdle(now time.Time) time.Time {
	var held time.Time
	for _, js := range []*jobStream{j.out, j.errs} {
		if js == nil {
			continue
		}
		if t := js.flushIfIdle(now); t.After(held) {
			held = t
		}
	}
	return held
}

func (j *Job) search(re *regexp.Regexp) bool {
	found := false
	for _, js := range []*jobStream{j.out, j.errs} {
		if js != nil && js.search(re) {
			found = true
		}
	}
	return found
}

func (j *Job) take(matched, ended bool) *JobOutput {
	o := &JobOutput{Matched: matched, Running: !ended}
	var d int64
	var r int
	o.Stdout, d, r = j.out.take()
	o.Dropped, o.Redacted = d, r
	if j.errs != nil {
		o.Stderr, d, r = j.errs.take()
		o.Dropped += d
		o.Redacted += r
	}
	if ended {
		j.mu.Lock()
		c := j.code
		o.ExitCode, o.Error = &c, j.endErr
		j.mu.Unlock()
	}
	return o
}

// Input writes data to the job's stdin (on a terminal: types it) and returns
// how many bytes were written. It waits for the job to read them, until ctx
// ends. An ended job is an error wrapping ErrJobEnded; a command that
// continued past its timeout takes no input (its stdin is /dev/null).
func (j *Job) Input(ctx context.Context, data string) (int, error) {
	if j.fg != nil {
		return 0, &JobArgError{Arg: "input", Reason: j.id + " is a command that continued past its timeout; its stdin is /dev/null, so it takes no input"}
	}
	if len(data) > MaxJobInput {
		return 0, &JobArgError{Arg: "input", Reason: fmt.Sprintf("is %d bytes, over the %d-byte limit", len(data), MaxJobInput)}
	}
	if err := j.endedErr(); err != nil {
		return 0, err
	}
	select {
	case j.inputSem <- struct{}{}:
	case <-ctx.Done():
		return 0, fmt.Errorf("execkit: %s has not read its earlier input yet: %w", j.id, ctx.Err())
	}
	j.s.touch()
	j.s.emit(&Event{Type: "job_input", Job: &JobEvent{ID: j.id, Input: j.s.redactText(data)}})
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		// Ends when the job reads the data, or when it ends (the pipe
		// closes); the slot is freed only then, so writes never interleave.
		n, err := io.WriteString(j.proc.Stdin(), data)
		<-j.inputSem
		res <- result{n, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			if err := j.endedErrWait(); err != nil {
				return r.n, err
			}
			return r.n, fmt.Errorf("execkit: write to %s: %w", j.id, r.err)
		}
		return r.n, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("execkit: %s did not read its input in time: %w", j.id, ctx.Err())
	}
}

// CloseInput closes the job's stdin, so a program reading it sees end of
// file. On a terminal it only stops further Input; type "\x04" (Ctrl-D)
// instead.
func (j *Job) CloseInput() error {
	if j.fg != nil {
		return nil // its stdin is /dev/null already
	}
	if err := j.endedErr(); err != nil {
		return err
	}
	// Not behind a pending Input: closing is how that write is given up.
	return j.proc.Stdin().Close()
}

func (j *Job) endedErr() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ended {
		return fmt.Errorf("%w: %s exited with status %d and takes no more input", ErrJobEnded, j.id, j.code)
	}
	return nil
}

// endedErrWait is endedErr after a failed write: the process may have just
// exited, with its end not yet recorded.
func (j *Job) endedErrWait() error {
	select {
	case <-j.done:
	case <-time.After(drainTimeout + time.Second):
	}
	return j.endedErr()
}

// jobSignals are the signals an agent may send.
var jobSignals = []string{"INT", "TERM", "KILL", "HUP"}

func jobSignal(name string) (string, bool) {
	n := strings.TrimPrefix(strings.ToUpper(name), "SIG")
	for _, s := range jobSignals {
		if n == s {
			return s, true
		}
	}
	return "", false
}

// Signal sends sig ("INT", "TERM", "KILL" or "HUP", with or without "SIG")
// to the job's process tree, waits up to the session's grace period (or
// until ctx ends) for it to end, and reports its state. A job that ignores
// the signal is still running afterwards; send KILL. KILL is final: what is
// still alive after the grace period is killed by the transport.
//
// For a command that continued past its timeout, INT interrupts it as a
// timeout would, TERM and HUP reach the processes it started, and KILL
// does both; a shell loop that survives KILL kills the session's shell,
// ending the session, as a timeout would.
//
// Signalling an ended job sends nothing and reports its state.
func (j *Job) Signal(ctx context.Context, sig string) (*JobInfo, error) {
	name, ok := jobSignal(sig)
	if !ok {
		return nil, &JobArgError{Arg: "signal", Reason: fmt.Sprintf("%q is not one of INT, TERM, KILL, HUP", clip(sig, 32))}
	}
	j.s.touch()
	select {
	case <-j.done:
		info := j.Info()
		return &info, nil
	default:
	}
	if j.fg != nil {
		j.signalForeground(name)
	} else {
		<-j.pidKnown // Start waited for it; a no-op
		j.signalTree(name)
	}
	t := time.NewTimer(j.s.grace)
	defer t.Stop()
	select {
	case <-j.done:
	case <-t.C:
		if name == "KILL" {
			if j.fg != nil {
				j.mu.Lock()
				j.fgKilled = "a command that continued past its timeout survived KILL (a shell loop that ignores signals), so the shell was killed"
				j.mu.Unlock()
				j.s.kill()
			} else {
				j.proc.Kill()
			}
			select {
			case <-j.done:
			case <-time.After(killTimeout):
			}
		}
	case <-ctx.Done():
	}
	info := j.Info()
	ev := &JobEvent{ID: j.id, Signal: name, Running: info.Running, ExitCode: info.ExitCode}
	j.s.emit(&Event{Type: "job_signal", Job: ev})
	return &info, nil
}

// killTimeout bounds the wait for a killed job's end (a remote kill is a
// round trip).
const killTimeout = 15 * time.Second

// signalTree sends sig to the job's shell and everything below it.
func (j *Job) signalTree(sig string) {
	pid := j.pid
	if pid <= 1 {
		// Its pid never came (a hostile or broken transport): only the
		// transport's kill reaches it.
		if sig == "KILL" {
			j.proc.Kill()
		}
		return
	}
	if sg, ok := j.s.t.(transport.Signaler); ok {
		kids, _ := sg.Descendants(pid, 0)
		sg.Signal(append([]int{pid}, kids...), sig)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j.s.t.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", jobTreeScript, "sh", sig, strconv.Itoa(pid)}})
}

// stop kills the job (once); supervise then finishes it.
func (j *Job) stop() {
	j.killOnce.Do(func() { close(j.kill) })
}

// read feeds one of the job's streams into its pipeline. On stdout it
// first finds the wrapper's pid line: nothing before it is the command's.
func (j *Job) read(js *jobStream, r io.Reader, pidLine bool, wg *sync.WaitGroup) {
	defer wg.Done()
	marker := []byte("\x1eEKJ" + j.nonce + " ")
	var pre []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		p := buf[:n]
		if pidLine && n > 0 {
			pre = append(pre, p...)
			p = nil
			if i := bytes.Index(pre, marker); i >= 0 {
				rest := pre[i+len(marker):]
				if k := bytes.IndexByte(rest, '\n'); k >= 0 {
					pid, _ := strconv.Atoi(strings.TrimSpace(string(rest[:k])))
					j.setPID(pid)
					pidLine, p, pre = false, rest[k+1:], nil
				}
			}
			if pidLine && len(pre) > 64<<10 {
				// Whatever this is, it is not our wrapper speaking.
				j.setPID(0)
				pidLine, pre = false, nil
			}
		}
		if len(p) > 0 {
			js.writeRaw(p)
		}
		if err != nil {
			if pidLine {
				j.setPID(0)
			}
			return
		}
	}
}

func (j *Job) setPID(pid int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	select {
	case <-j.pidKnown:
	default:
		if pid > 1 {
			j.pid = pid
		}
		close(j.pidKnown)
	}
}

// supervise owns a started job's end: it waits for the process (killing it
// when the session's shell ends or the session closes), lets the streams
// drain, kills whatever still holds them, and completes the output.
func (j *Job) supervise(readers *sync.WaitGroup) {
	var code int
	var werr error
	exited := make(chan struct{})
	go func() {
		code, werr = j.proc.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-j.s.exited: // jobs die with their session
		j.proc.Kill()
		<-exited
	case <-j.kill:
		j.proc.Kill()
		<-exited
	}
	drained := make(chan struct{})
	go func() {
		readers.Wait()
		close(drained)
	}()
	t := time.NewTimer(drainTimeout)
	select {
	case <-drained:
	case <-t.C:
	case <-j.kill:
	}
	t.Stop()
	// Whatever the job left running (a child still holding its output)
	// dies with it, and the streams close.
	j.proc.Kill()
	<-drained
	if werr != nil {
		code = -1
	}
	j.s.jobs.ended(j) // its place in the caps is free before anyone sees it end
	j.finish(code, werr)
}

// finish completes the job's output and records its end.
func (j *Job) finish(code int, err error) {
	for _, js := range []*jobStream{j.out, j.errs} {
		if js != nil {
			js.close()
		}
	}
	j.mu.Lock()
	j.ended, j.code = true, code
	if err != nil {
		j.endErr = err.Error()
	}
	j.mu.Unlock()
	// The session's idle time starts now: a job that outlived the TTL
	// leaves its exit code and last output for the agent to read.
	j.s.touch()
	// The event before the wake-up: whoever reads the job's end sees it in
	// the audit trail already.
	c := code
	j.s.emit(&Event{Type: "job_exit", Job: &JobEvent{ID: j.id, TTY: j.tty, Continued: j.fg != nil, ExitCode: &c}})
	j.changed()
	close(j.done)
}

// jobStream is one output stream of a job: raw bytes go through a clean →
// redact pipeline into a bounded window of unread text.
//
// The pipeline holds a line until its newline (a carriage return may still
// rewrite it; a secret may still be completing). A reader waiting for a
// prompt would wait forever, so a line that has been quiet for partialIdle
// is passed on when someone reads: the pipeline is closed (flushing it) and
// a new one started. What follows on that line then starts a new one if it
// rewrites the line (a progress bar), or continues it (a prompt's answer).
//
// mu guards everything. Every write into the pipeline and the window holds
// it, including those of a continued command's stream, whose raw bytes
// arrive under the demux lock: lock order demux → jobStream → Job.
type jobStream struct {
	j *Job

	mu    sync.Mutex
	in    io.Writer // where raw bytes enter: noise filter or cleaner
	noise *noiseFilter
	cl    *clean.Writer
	red   *redact.Writer
	noisy bool // the pipeline filters bash's interactive notices
	win   *window.Window

	redBase  int // redactions by closed pipelines
	redShown int // redactions already reported
	scanFrom int64
	lastRaw  byte
	lastAt   time.Time
	held     bool // raw bytes since the last newline may be held
	cut      bool // a line was passed on unfinished
	cutCR    bool // ... and its last byte was a carriage return
	closed   bool
}

func (j *Job) newStream() *jobStream {
	js := &jobStream{j: j, win: window.New(j.s.maxChars)}
	js.newPipeline()
	return js
}

// deliver puts cleaned, redacted text into the window; mu is held.
func (js *jobStream) deliver(p []byte) {
	js.win.Write(p)
	js.j.changed()
}

// windowWriter is the end of a job's own pipeline.
type windowWriter struct{ js *jobStream }

func (w windowWriter) Write(p []byte) (int, error) {
	w.js.deliver(p)
	return len(p), nil
}

// rawSink is a continued command's frame sink after detach: its raw
// bytes, under the demux lock, enter the job's stream.
type rawSink struct{ js *jobStream }

func (w rawSink) Write(p []byte) (int, error) {
	w.js.writeRaw(p)
	return len(p), nil
}

func (js *jobStream) newPipeline() {
	js.cl = clean.NewFilteredWriter(windowWriter{js}, func(next io.Writer) clean.Filter {
		js.red = js.j.s.redactor.NewWriter(next)
		return js.red
	})
	js.noise, js.in = nil, js.cl
	if js.noisy {
		js.noise = newNoiseFilter(js.cl)
		js.in = js.noise
	}
}

func (js *jobStream) closePipeline() {
	if js.noise != nil {
		js.noise.Close()
	}
	js.cl.Close()
	js.red.Close()
	js.redBase += js.red.Count()
}

func (js *jobStream) writeRaw(p []byte) {
	if len(p) == 0 {
		return
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return
	}
	if js.cut {
		js.cut = false
		if js.cutCR && p[0] != '\n' || rewritesLine(p) {
			js.deliver(nl)
		}
	}
	js.in.Write(p)
	js.lastRaw = p[len(p)-1]
	js.held = js.lastRaw != '\n'
	js.lastAt = time.Now()
	// Wake readers even when the pipeline holds the bytes: a reader waits
	// to pass on a quiet unfinished line, and must know when it began.
	j := js.j
	j.mu.Lock()
	j.lastRaw = js.lastAt
	if j.wake != nil {
		close(j.wake)
		j.wake = nil
	}
	j.mu.Unlock()
}

// rewritesLine reports whether p, arriving after a line was passed on
// unfinished, goes back over that line: a carriage return not followed by
// a newline, before p's first newline.
func rewritesLine(p []byte) bool {
	for i, b := range p {
		switch b {
		case '\n':
			return false
		case '\r':
			if i+1 >= len(p) || p[i+1] != '\n' {
				return true
			}
		}
	}
	return false
}

// flushIfIdle passes on a held line quiet since partialIdle, and returns
// when a line still held was written (zero: none).
func (js *jobStream) flushIfIdle(now time.Time) time.Time {
	js.mu.Lock()
	defer js.mu.Unlock()
	if !js.held || js.closed {
		return time.Time{}
	}
	if now.Sub(js.lastAt) < partialIdle {
		return js.lastAt
	}
	js.closePipeline()
	js.newPipeline()
	js.held, js.cut, js.cutCR = false, true, js.lastRaw == '\r'
	return time.Time{}
}

// close flushes and ends the pipeline: the output is complete.
func (js *jobStream) close() {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.closed {
		return
	}
	js.closePipeline()
	js.closed, js.held = true, false
}

func (js *jobStream) unread() int {
	if js == nil {
		return 0
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.win.Len()
}

// peek returns the number of unread bytes and the last max of them.
func (js *jobStream) peek(max int) (int, string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	n := js.win.Len()
	from := js.win.Offset() + int64(n-min(n, max))
	b := js.win.From(from)
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return n, string(b)
}

// search looks for re in the unread text, starting where the last search
// left a line unfinished.
func (js *jobStream) search(re *regexp.Regexp) bool {
	js.mu.Lock()
	defer js.mu.Unlock()
	from := max(js.scanFrom, js.win.Offset())
	b := js.win.From(from)
	if re.Match(b) {
		return true
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		js.scanFrom = from + int64(i) + 1
	} else {
		js.scanFrom = from
	}
	return false
}

func (js *jobStream) take() (string, int64, int) {
	js.mu.Lock()
	defer js.mu.Unlock()
	b, dropped := js.win.Take()
	total := js.redBase
	if !js.closed {
		total += js.red.Count()
	}
	red := total - js.redShown
	js.redShown = total
	return string(b), dropped, red
}

// jobSet is a session's jobs. The zero value is ready (with DefaultMaxJobs).
type jobSet struct {
	mu     sync.Mutex
	limit  jobLimit
	seq    int
	jobs   map[string]*Job
	order  []*Job
	live   int  // started jobs running (reserved included)
	fg     *Job // a continued command holding the shell
	closed bool
}

func (set *jobSet) init(l jobLimit) { set.limit = l }

// running reports how many jobs are running.
func (set *jobSet) running() int {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.live
}

// shellFree returns a *BusyError while a continued command holds the shell.
func (set *jobSet) shellFree() error {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.fg != nil {
		return &BusyError{JobID: set.fg.id}
	}
	return nil
}

func (set *jobSet) reserve() error {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.closed {
		return &endedError{reason: "the session was closed"}
	}
	max := set.limit.perSession
	if max == 0 {
		max = DefaultMaxJobs
	}
	if max < 0 {
		return fmt.Errorf("%w: this session allows no jobs", ErrTooManyJobs)
	}
	if set.live >= max {
		return fmt.Errorf("%w: %d jobs already run in this session, its limit; signal one that is no longer needed", ErrTooManyJobs, set.live)
	}
	if l := set.limit.shared; l != nil && !l.acquire() {
		return fmt.Errorf("%w: the operator's limit of %d running jobs over all sessions is reached", ErrTooManyJobs, l.max)
	}
	set.live++
	return nil
}

func (set *jobSet) unreserve() {
	set.mu.Lock()
	defer set.mu.Unlock()
	set.live--
	if l := set.limit.shared; l != nil {
		l.release()
	}
}

// add gives j its id and lists it; false once the session is closing.
func (set *jobSet) add(j *Job) bool {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.closed {
		return false
	}
	if set.jobs == nil {
		set.jobs = make(map[string]*Job)
	}
	set.seq++
	j.id = "job_" + strconv.Itoa(set.seq)
	set.jobs[j.id] = j
	set.order = append(set.order, j)
	// Forget the oldest ended jobs beyond maxExitedJobs.
	endedN := 0
	for i := len(set.order) - 1; i >= 0; i-- {
		o := set.order[i]
		select {
		case <-o.done:
			endedN++
			if endedN > maxExitedJobs {
				delete(set.jobs, o.id)
				set.order = append(set.order[:i], set.order[i+1:]...)
			}
		default:
		}
	}
	return true
}

// ended releases a started job's place in the caps.
func (set *jobSet) ended(j *Job) {
	if j.fg == nil {
		set.unreserve()
	}
}

func (set *jobSet) remove(j *Job) {
	set.mu.Lock()
	defer set.mu.Unlock()
	delete(set.jobs, j.id)
	for i, o := range set.order {
		if o == j {
			set.order = append(set.order[:i], set.order[i+1:]...)
			break
		}
	}
}

func (set *jobSet) get(id string) *Job {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.jobs[id]
}

func (set *jobSet) list() []*Job {
	set.mu.Lock()
	defer set.mu.Unlock()
	out := append([]*Job(nil), set.order...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].started.Before(out[b].started) })
	return out
}

// close kills every job and waits (bounded) for each to end. The session
// is closing: its shell is being killed, which ends a continued command.
func (set *jobSet) close() {
	set.mu.Lock()
	set.closed = true
	jobs := append([]*Job(nil), set.order...)
	set.mu.Unlock()
	for _, j := range jobs {
		if j.fg == nil {
			j.stop()
		}
	}
	deadline := time.After(killTimeout)
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-deadline:
			return
		}
	}
}

// foreground is an Exec with OnTimeout "continue": until its timeout its
// output goes to the Result (and the caller's OnOutput); after, to its job.
type foreground struct {
	command  string // redacted
	onOutput func(string, []byte)
	detached atomic.Bool
	job      *Job
	of       *openFrame
}

type foregroundKey struct{}

// continueAfterTimeout marks ctx so that execFramed, at the timeout, turns
// the command into a job instead of interrupting it; notify is the output
// tap to build the command's streams with.
func (s *Session) continueAfterTimeout(ctx context.Context, command string, onOutput func(string, []byte)) (context.Context, func(string, []byte)) {
	fg := &foreground{command: s.redactText(command), onOutput: onOutput}
	return context.WithValue(ctx, foregroundKey{}, fg), fg.tap
}

func foregroundOf(ctx context.Context) *foreground {
	fg, _ := ctx.Value(foregroundKey{}).(*foreground)
	return fg
}

// tap sits at the end of the command's pipelines, after redaction. Once
// detached, every call comes through the job's stream, whose lock is held.
func (fg *foreground) tap(name string, p []byte) {
	if !fg.detached.Load() {
		if fg.onOutput != nil {
			fg.onOutput(name, p)
		}
		return
	}
	js := fg.job.out
	if name == "stderr" {
		js = fg.job.errs
	}
	js.deliver(p)
}

// openFrame is a running command's frame and pipelines, handed from
// execFramed to its job at the timeout.
type openFrame struct {
	fo, fe         *frame
	so, se         *stream
	sout, serr     *spool
	cb             *compiledBudget
	outEnd, errEnd *frameEnd
	writeErr       <-chan error
	start          time.Time
	since          uint64
	sinceWall      time.Time
}

// detach turns a command at its timeout into a job and returns its Result so
// far. Under both demux locks (so no byte is in flight) the Result takes the
// shaped output up to here and the frames' sinks move to the job's streams,
// keeping the same clean → redact pipelines, so nothing is lost, doubled or
// redacted differently at the cut.
func (s *Session) detach(fg *foreground, of *openFrame) *Result {
	j := &Job{
		s:        s,
		command:  fg.command,
		started:  of.start,
		fg:       fg,
		pidKnown: make(chan struct{}),
		done:     make(chan struct{}),
		kill:     make(chan struct{}),
		readSem:  make(chan struct{}, 1),
		inputSem: make(chan struct{}, 1),
	}
	close(j.pidKnown)
	j.out = &jobStream{j: j, win: window.New(s.maxChars), cl: of.so.cleaner, red: of.so.red, noise: of.so.noise, noisy: of.so.noise != nil}
	j.errs = &jobStream{j: j, win: window.New(s.maxChars), cl: of.se.cleaner, red: of.se.red, noise: of.se.noise, noisy: of.se.noise != nil}
	res := &Result{TimedOut: true, ExitCode: -1, Cwd: s.Cwd()}
	var outRep, errRep StreamReport

	s.out.mu.Lock()
	s.errs.mu.Lock()
	res.Stdout, outRep = of.so.shaper.finish()
	res.Stderr, errRep = of.se.shaper.finish()
	res.Truncated = of.so.shaper.truncated || of.se.shaper.truncated
	j.out.redShown, j.errs.redShown = of.so.red.Count(), of.se.red.Count()
	of.so.shaper.mute()
	of.se.shaper.mute()
	j.out.in, of.fo.sink = of.fo.sink, rawSink{j.out}
	j.errs.in, of.fe.sink = of.fe.sink, rawSink{j.errs}
	// The pipelines may hold an unfinished line: let a reader flush it.
	now := time.Now()
	j.out.held, j.out.lastAt = true, now
	j.errs.held, j.errs.lastAt = true, now
	j.lastRaw = now
	fg.job, fg.of = j, of
	fg.detached.Store(true)
	s.errs.mu.Unlock()
	s.out.mu.Unlock()

	// Its output now goes to the job only; nothing more is kept for
	// Session.Output.
	of.sout.stop()
	of.serr.stop()
	res.Redacted = j.out.redShown + j.errs.redShown
	res.Duration = time.Since(of.start)
	if of.cb.set {
		res.Budget = &BudgetReport{Stdout: outRep, Stderr: errRep}
	}
	s.jobs.setForeground(j)
	res.JobID = j.id
	go j.superviseForeground()
	s.emit(&Event{Type: "job_start", Command: j.command, Job: &JobEvent{ID: j.id, Continued: true}})
	return res
}

// setForeground lists a continued command's job and marks the shell busy.
func (set *jobSet) setForeground(j *Job) {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.jobs == nil {
		set.jobs = make(map[string]*Job)
	}
	set.seq++
	j.id = "job_" + strconv.Itoa(set.seq)
	set.jobs[j.id] = j
	set.order = append(set.order, j)
	set.fg = j
}

func (set *jobSet) clearForeground(j *Job) {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.fg == j {
		set.fg = nil
	}
}

// superviseForeground completes a continued command's frame, as execFramed
// would have: it waits for both end markers (or the shell's death), records
// the status and the shell's new working directory, and frees the shell.
func (j *Job) superviseForeground() {
	s, of := j.s, j.fg.of
	outEnd, errEnd := of.outEnd, of.errEnd
	writeErr := of.writeErr
	ended := ""
wait:
	for outEnd == nil || errEnd == nil {
		select {
		case end := <-of.fo.done:
			outEnd = &end
		case end := <-of.fe.done:
			errEnd = &end
		case err := <-writeErr:
			writeErr = nil
			if err != nil {
				ended = fmt.Sprintf("the shell no longer reads commands (%v)", err)
				s.waitStreams()
				break wait
			}
		case <-s.exited:
			j.mu.Lock()
			ended = j.fgKilled
			j.mu.Unlock()
			if ended == "" {
				ended = s.exitReason()
			}
			s.waitStreams()
			break wait
		}
	}
	s.out.clear(of.fo)
	s.errs.clear(of.fe)
	code := -1
	var endErr error
	if ended != "" {
		<-s.exited
		code = s.exitStatus
		endErr = s.endWith(ended)
		s.kill()
	} else if outEnd.ok {
		code = outEnd.status
		if outEnd.cwd != "" {
			s.mu.Lock()
			s.cwd = outEnd.cwd
			s.mu.Unlock()
		}
	}
	of.sout.close()
	of.serr.close()
	s.jobs.clearForeground(j)
	s.touch()
	j.finish(code, endErr)
}

// signalForeground signals a continued command the way a timeout
// interrupts one: the processes it started (since its start), and for INT
// an interactive shell too, which then abandons the rest of the command
// line and is asked for the end marker again.
func (j *Job) signalForeground(sig string) {
	s, of := j.s, j.fg.of
	if sig == "INT" || sig == "KILL" {
		if s.interactive {
			r := newNonce()
			s.out.addEnd(of.fo, r)
			s.errs.addEnd(of.fe, r)
			s.signalTree("INT", true, of.since, of.sinceWall)
			go io.WriteString(s.stdin, s.d.recoveryLine(r))
		} else {
			s.signalTree("INT", false, of.since, of.sinceWall)
		}
		if sig == "INT" {
			return
		}
	}
	s.signalTree(sig, false, of.since, of.sinceWall)
}

// mute makes a shaper whose result has been taken cheap to keep writing to.
func (sh *shaper) mute() {
	sh.cb = &compiledBudget{}
	sh.bytesOut = newByteCollector(0)
	sh.head, sh.tail, sh.before, sh.line = nil, nil, nil, nil
}

// stop makes a spool keep nothing more.
func (sp *spool) stop() {
	sp.mu.Lock()
	sp.dropped = true
	sp.mu.Unlock()
}
