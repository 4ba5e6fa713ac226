package execkit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/execkit/execkit/checkpoint"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
)

// Checkpoint is one snapshot of a session's workspace: its ID (what Restore
// takes), its label and when it was taken. See [Session.Checkpoint].
type Checkpoint = checkpoint.Checkpoint

// RestoreReport says what [Session.Restore] changed: the checkpoint restored
// and the files it created, modified and deleted.
type RestoreReport = checkpoint.Report

// ErrNoWorkspace is returned by the checkpoint methods of a session opened
// without a Config.Workspace: checkpoints are off.
var ErrNoWorkspace = errors.New("execkit: checkpoints are not enabled: the session has no workspace")

// ErrNoGit is returned by the checkpoint methods of an SSH or Docker session
// whose host has no git; automatic checkpoints are then off for the
// session, without a word.
var ErrNoGit = checkpoint.ErrNoGit

// checkpoints is a session's checkpoint state.
type checkpoints struct {
	store checkpoint.Store
	auto  bool
	files bool // report Result.Files
	// off: the host has no git, so automatic checkpoints stop trying (an
	// explicit call still tries, and turns them back on if git appeared).
	off atomic.Bool
}

// newCheckpoints validates cfg's checkpoint fields; nil without a workspace.
// Local sessions use go-git on this machine; the others run git on their
// host through the session's transport.
func newCheckpoints(t transport.Transport, cfg *Config) (*checkpoints, error) {
	if cfg.Workspace == "" {
		if len(cfg.Paths) > 0 || len(cfg.CheckpointIgnores) > 0 {
			return nil, errors.New("execkit: paths and checkpoint_ignores need a workspace")
		}
		return nil, nil
	}
	opts := &checkpoint.Options{
		Workspace:   cfg.Workspace,
		Paths:       cfg.Paths,
		Ignores:     cfg.CheckpointIgnores,
		Keep:        cfg.CheckpointKeep,
		MaxFileSize: cfg.CheckpointMaxFileSize,
	}
	var (
		st  checkpoint.Store
		err error
	)
	if _, ok := t.(*local.Transport); ok {
		opts.Dir = cfg.CheckpointDir
		st, err = checkpoint.NewLocal(opts)
	} else {
		st, err = checkpoint.NewRemote(t, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("execkit: %w", err)
	}
	return &checkpoints{store: st, auto: cfg.AutoSnapshot, files: !cfg.NoFileChanges}, nil
}

// acquire takes the session's slot, as Exec does, so that a checkpoint or a
// restore never runs alongside a command.
func (s *Session) acquire(ctx context.Context) (release func(), err error) {
	if s.cp == nil {
		return nil, ErrNoWorkspace
	}
	select {
	case s.run <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: a command is still running (%w)", ErrBusy, ctx.Err())
	}
	if err := s.Err(); err != nil {
		<-s.run
		return nil, err
	}
	s.touch()
	return func() { s.touch(); <-s.run }, nil
}

// Checkpoint snapshots the session's workspace (Config.Workspace, narrowed
// to Config.Paths): every file no ignore rule excludes, with its content,
// executable bit and symlink target, into a shadow git repository outside
// the workspace. The workspace's own .git is never read or written. label
// is optional: at most 200 characters, no control characters. It waits for
// a running command, as Exec does.
//
// Files larger than Config.CheckpointMaxFileSize (default
// checkpoint.DefaultMaxFileSize, 32 MiB) are left out (and listed in
// TooLarge, with the limit); nested repositories, .ssh, .aws and the like never go in.
// The workspace keeps its most recent Config.CheckpointKeep checkpoints
// (automatic ones are dropped first), across sessions: a new session on the
// same workspace lists and restores them.
//
// With Config.AutoSnapshot a checkpoint is also taken before every command
// that may change files (checkpoint.MayChangeFiles: not before ls, cat,
// grep, git status and other read-only commands), labelled with the
// command's first line, unless the workspace still equals the latest
// checkpoint. A read-only command pays for a parse only; another pays one
// walk over the workspace's file metadata (files are re-read only when their
// stat data changed), a few milliseconds per thousand files locally.
func (s *Session) Checkpoint(ctx context.Context, label string) (*Checkpoint, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	cp, err := s.cp.store.Create(ctx, label, false)
	if err != nil {
		s.emit(&Event{Type: "checkpoint", Command: s.redactText(describe("checkpoint", "", label, false)), Error: s.redactText(err.Error()),
			Checkpoint: &CheckpointEvent{Label: s.redactText(label)}})
		return nil, err
	}
	s.cp.off.Store(false)
	s.emit(&Event{Type: "checkpoint", Command: s.redactText(describe("checkpoint", cp.ID, cp.Label, false)),
		Checkpoint: &CheckpointEvent{ID: cp.ID, Label: s.redactText(cp.Label)}})
	return cp, nil
}

// Checkpoints lists the workspace's checkpoints, newest first.
func (s *Session) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	if s.cp == nil {
		return nil, ErrNoWorkspace
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.cp.store.List(ctx)
}

// Restore makes the workspace's tracked files exactly what they were at
// checkpoint id (empty: the latest checkpoint, which after an automatic
// checkpoint undoes the last command that changed files).
//
// Restore is destructive: files modified since the checkpoint are
// overwritten, files deleted since are written back, and files created
// since (even those a later checkpoint holds) are deleted, along with the
// directories they leave empty. Nothing of the current state is kept; take a
// checkpoint first to be able to come back. Ignored paths (node_modules,
// build directories, what .gitignore and Config.CheckpointIgnores exclude)
// and paths outside Config.Paths are not touched. Only files change: a
// restore undoes no other effect of a command.
//
// id must be an ID from Checkpoint or Checkpoints (or an unambiguous prefix
// of at least 4 hex digits); anything else is refused before it reaches git.
// It waits for a running command, as Exec does.
func (s *Session) Restore(ctx context.Context, id string) (*RestoreReport, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rep, err := s.cp.store.Restore(ctx, id)
	if err != nil {
		e := &Event{Type: "restore", Command: "restore " + strconv.QuoteToASCII(short(id, 64)), Error: s.redactText(err.Error())}
		if rep != nil {
			e.Command = s.redactText(describeRestore(rep))
			e.Checkpoint = restoreEvent(rep)
		}
		s.emit(e)
		return rep, err
	}
	s.cp.off.Store(false)
	s.emit(&Event{Type: "restore", Command: s.redactText(describeRestore(rep)), Checkpoint: restoreEvent(rep)})
	return rep, nil
}

// autoSnapshot takes an automatic checkpoint before a command that may
// change files (checkpoint.MayChangeFiles: not before ls, cat, grep, git
// status and the like): of state, the workspace as fileState just recorded
// it, or, without one, of the workspace now. None is taken when the
// workspace equals the latest checkpoint, so the cost is then one walk over
// the workspace's metadata. A failure is reported as an event and does not
// stop the command; a host without git turns automatic checkpoints off.
func (s *Session) autoSnapshot(ctx context.Context, command, state string) {
	if s.cp == nil || !s.cp.auto || s.cp.off.Load() || !checkpoint.MayChangeFiles(command) {
		return
	}
	label := s.redactText("before: " + summarize(command, 80))
	var (
		cp  *Checkpoint
		err error
	)
	if state != "" {
		cp, err = s.cp.store.Commit(ctx, state, label, true)
	} else {
		cp, err = s.cp.store.Create(ctx, label, true)
	}
	switch {
	case errors.Is(err, checkpoint.ErrNoGit):
		s.cp.off.Store(true)
	case err != nil:
		s.emit(&Event{Type: "checkpoint", Command: s.redactText(describe("checkpoint", "", label, true)), Error: s.redactText(err.Error()),
			Checkpoint: &CheckpointEvent{Label: label, Auto: true}})
	case cp != nil:
		s.emit(&Event{Type: "checkpoint", Command: s.redactText(describe("checkpoint", cp.ID, cp.Label, true)),
			Checkpoint: &CheckpointEvent{ID: cp.ID, Label: label, Auto: true}})
	}
}

// FileChanges is a command's effect on the files of the session's
// workspace (Config.Workspace, narrowed to Config.Paths, ignore rules
// applied, as for checkpoints): how many tracked files it created, modified
// (content, executable bit or file type) and deleted, and the first few
// paths. It compares the workspace just before the command with just after,
// so a change made meanwhile by something else (a job, another process)
// counts too.
type FileChanges struct {
	Created  int `json:"created"`
	Modified int `json:"modified"`
	Deleted  int `json:"deleted"`
	// Paths are the first MaxFileChangePaths changed paths, relative to
	// the workspace, each after a letter as in git's --name-status: "A "
	// created, "M " modified, "D " deleted (in that order, each group
	// sorted).
	Paths []string `json:"paths,omitempty"`
	// Error, when set, says why the effect could not be measured; the
	// counts are then zero.
	Error string `json:"error,omitempty"`
}

// MaxFileChangePaths bounds FileChanges.Paths.
const MaxFileChangePaths = 10

// fileState records the workspace's state before a command that may change
// files, for fileChanges after it; "" when the effect is not measured (no
// workspace, a read-only command, a host without git). A failure is
// returned as the report to give.
func (s *Session) fileState(ctx context.Context, command string) (string, *FileChanges) {
	if s.cp == nil || !s.cp.files || s.cp.off.Load() || !checkpoint.MayChangeFiles(command) {
		return "", nil
	}
	state, err := s.cp.store.Snapshot(ctx)
	switch {
	case errors.Is(err, checkpoint.ErrNoGit):
		s.cp.off.Store(true)
		return "", nil
	case err != nil:
		return "", &FileChanges{Error: s.redactText("the files were not compared: " + err.Error())}
	}
	return state, nil
}

// fileChangesTimeout bounds the comparison after a command, which runs even
// when the command used up its time.
const fileChangesTimeout = time.Minute

// fileChanges reports what changed in the workspace since state.
func (s *Session) fileChanges(ctx context.Context, state string) *FileChanges {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &FileChanges{Error: "the files were not compared: the call was cancelled"}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fileChangesTimeout)
	defer cancel()
	ch, err := s.cp.store.Changes(ctx, state)
	if err != nil {
		return &FileChanges{Error: s.redactText("the files were not compared: " + err.Error())}
	}
	fc := &FileChanges{Created: len(ch.Created), Modified: len(ch.Modified), Deleted: len(ch.Deleted)}
	for _, g := range []struct {
		letter string
		paths  []string
	}{{"A ", ch.Created}, {"M ", ch.Modified}, {"D ", ch.Deleted}} {
		for _, p := range g.paths {
			if len(fc.Paths) == MaxFileChangePaths {
				return fc
			}
			fc.Paths = append(fc.Paths, g.letter+s.redactText(p))
		}
	}
	return fc
}

// describe is a checkpoint event's text: "checkpoint <id> [auto] <label>".
func describe(verb, id, label string, auto bool) string {
	var b strings.Builder
	b.WriteString(verb)
	if id != "" {
		b.WriteString(" " + id)
	}
	if auto {
		b.WriteString(" (auto)")
	}
	if label != "" {
		b.WriteString(" " + strconv.Quote(label))
	}
	return b.String()
}

// restoreEvent is a restore event's details.
func restoreEvent(r *RestoreReport) *CheckpointEvent {
	return &CheckpointEvent{ID: r.RestoredTo, Created: len(r.Created), Modified: len(r.Modified), Deleted: len(r.Deleted)}
}

// describeRestore is a restore event's text.
func describeRestore(r *RestoreReport) string {
	return fmt.Sprintf("restore %s: %d files changed (%d created, %d modified, %d deleted)",
		r.RestoredTo, r.FilesChanged, len(r.Created), len(r.Modified), len(r.Deleted))
}

// summarize is a command's first line, control characters blanked, cut to
// max characters: the label of the automatic checkpoint before it.
func summarize(command string, max int) string {
	line, _, more := strings.Cut(strings.TrimSpace(command), "\n")
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(line) {
		if n == max {
			more = true
			break
		}
		if unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	if more {
		b.WriteString("…")
	}
	return b.String()
}

func short(s string, max int) string {
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
