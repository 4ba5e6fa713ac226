// Package checkpoint snapshots a workspace into a shadow git repository and
// restores it: undo for files.
//
// # Model
//
// A [Store] belongs to one workspace: a directory on one machine. A
// checkpoint is a git commit of the workspace's tracked files, kept in a
// shadow repository outside the workspace, under a ref of its own; a
// restore makes the tracked files equal to a checkpoint again. The user's
// own .git (and any nested repository) is never read, written or locked,
// and nothing is written into the workspace except by a restore.
//
// Tracked means: every regular file and symbolic link under the workspace
// (or under Options.Paths) that no ignore rule excludes. The rules are, in
// increasing precedence: the built-in ones ([DefaultIgnores]: dependency,
// build and cache directories, virtualenvs), Options.Ignores, and the
// workspace's own .gitignore files, as git applies them. Some paths are
// never tracked, whatever a pattern says ([NeverTracked]: version-control
// metadata and credential stores such as .ssh and .aws), nor are nested
// repositories (directories holding a .git), files larger than
// Options.MaxFileSize, special files and empty directories.
//
// # Implementations
//
// [Local] uses go-git on this machine. [Remote] runs the git command-line
// tool on another machine through a [Runner] (an SSH or Docker transport),
// one short POSIX sh script per operation, with the shadow repository in the
// remote user's cache directory; without git there it fails with [ErrNoGit].
// Both share the repository layout and the rules above.
//
// # Untrusted input
//
// Checkpoint ids, labels, paths and ignore patterns come from an agent that
// may be prompt-injected. Ids are checked against the checkpoints the store
// issued before anything reaches git; labels, paths and patterns are
// validated before use and reach git only as data (never as options or
// shell text).
package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Checkpoint is one snapshot of a workspace.
type Checkpoint struct {
	// ID names the checkpoint for Restore: the first 12 hex digits of its
	// commit id. Restore also accepts the full id or any unambiguous prefix
	// of at least 4 digits.
	ID string `json:"id"`
	// Label is the caller's description; empty if none was given.
	Label string `json:"label"`
	// Created is when the checkpoint was taken (UTC, millisecond
	// precision).
	Created time.Time `json:"created"`
	// Auto is set on checkpoints taken automatically before a command;
	// retention drops them before the others.
	Auto bool `json:"auto,omitempty"`
	// TooLarge lists the files left out because they exceed MaxFileSize
	// (set only when some were, and only by Create).
	TooLarge []string `json:"too_large,omitempty"`
	// MaxFileSize is the size limit TooLarge refers to, in bytes (set
	// with TooLarge).
	MaxFileSize int64 `json:"max_file_size,omitempty"`
}

// Report says what a restore changed. Created, Modified and Deleted are
// from the restore's point of view: files it wrote back that were missing,
// files it overwrote (content, mode or file type), and files it removed
// because they were created after the checkpoint. Paths are relative to the
// workspace, with forward slashes, sorted.
type Report struct {
	// RestoredTo is the ID of the checkpoint restored.
	RestoredTo string `json:"restored_to"`
	// FilesChanged is len(Created)+len(Modified)+len(Deleted).
	FilesChanged int      `json:"files_changed"`
	Created      []string `json:"created,omitempty"`
	Modified     []string `json:"modified,omitempty"`
	Deleted      []string `json:"deleted,omitempty"`
}

// Store is a workspace's checkpoints. Implementations are safe for
// concurrent use, and operations on the same workspace from several stores
// (several sessions, several processes) are serialized.
type Store interface {
	// Create snapshots the workspace. When auto is set the checkpoint is
	// marked automatic, and none is taken if the workspace equals the
	// latest checkpoint: Create then returns nil, nil.
	Create(ctx context.Context, label string, auto bool) (*Checkpoint, error)
	// List returns the workspace's checkpoints, newest first.
	List(ctx context.Context) ([]Checkpoint, error)
	// Restore makes the tracked files of the workspace exactly equal to
	// checkpoint id (empty: the latest). It is destructive: files modified
	// since are overwritten and files created since are deleted, with no
	// undo other than another checkpoint taken before. Ignored and
	// untracked-by-rule paths are left alone.
	Restore(ctx context.Context, id string) (*Report, error)
	// Snapshot records the workspace's current state without making a
	// checkpoint (nothing is listed or kept by retention) and returns a
	// token naming it, for Changes.
	Snapshot(ctx context.Context) (string, error)
	// Changes compares the workspace now with the state named by since (a
	// token from Snapshot or Changes) and reports the tracked files
	// created, modified and deleted in between. Its State is a token for
	// the next call.
	Changes(ctx context.Context, since string) (*Changes, error)
	// Commit makes a checkpoint of state (a token from Snapshot or
	// Changes), as Create does of the workspace now, without walking it
	// again. TooLarge is not set.
	Commit(ctx context.Context, state, label string, auto bool) (*Checkpoint, error)
}

// Changes is what happened to a workspace's tracked files between two
// states: paths relative to the workspace, with forward slashes, sorted.
// A change of content, executable bit or file type is a modification.
type Changes struct {
	Created  []string `json:"created,omitempty"`
	Modified []string `json:"modified,omitempty"`
	Deleted  []string `json:"deleted,omitempty"`
	// State names the workspace's state now, for the next Changes call.
	State string `json:"-"`
}

// newChanges sorts changes into a Changes.
func newChanges(changes []change, state string) *Changes {
	r := newReport("", changes)
	return &Changes{Created: r.Created, Modified: r.Modified, Deleted: r.Deleted, State: state}
}

// checkState validates a state token (a tree id from Snapshot) before it
// reaches git.
func checkState(s string) error {
	if !isHex40(s) {
		return fmt.Errorf("checkpoint: %s is not a workspace state from Snapshot", quoteShort(s))
	}
	return nil
}

// Options configures a Store. Every field but Dir may come from an agent and
// is validated by the constructors.
type Options struct {
	// Workspace is the absolute path of the directory to snapshot, on the
	// store's machine. Required; it is never defaulted.
	Workspace string
	// Paths narrows checkpoints to these paths inside Workspace (relative,
	// or absolute under it). Empty means all of it. A restore touches only
	// these paths.
	Paths []string
	// Ignores are extra gitignore-style patterns, applied after
	// DefaultIgnores (so "!build/" brings build directories back) and
	// before the workspace's .gitignore files.
	Ignores []string
	// Dir is where shadow repositories live: one subdirectory per
	// workspace, named by a hash of its absolute path. Operator setting.
	// Empty means the user's cache directory (execkit/checkpoints under
	// os.UserCacheDir locally, ${XDG_CACHE_HOME:-$HOME/.cache} remotely).
	Dir string
	// Keep is how many checkpoints the workspace keeps; zero means
	// DefaultKeep. When a new checkpoint exceeds it, the oldest automatic
	// checkpoint goes first, then the oldest other one.
	Keep int
	// MaxFileSize leaves larger files out of checkpoints (they are then
	// untracked: a restore leaves them alone); zero means
	// DefaultMaxFileSize, negative means no limit.
	MaxFileSize int64
}

// Defaults and limits for Options.
const (
	DefaultKeep        = 50
	MaxKeep            = 1000
	DefaultMaxFileSize = 32 << 20
	// MaxLabelLen is the longest label, in characters.
	MaxLabelLen = 200
	// MaxPaths and MaxIgnores bound Options.Paths and Options.Ignores.
	MaxPaths   = 256
	MaxIgnores = 512
)

// IDLen is the length of the ids Create issues.
const IDLen = 12

// ErrNoGit is returned by a Remote store on a machine without git.
var ErrNoGit = errors.New("checkpoint: git is not installed on the host; install git there to use checkpoints")

// ErrNotFound is returned by Restore for a well-formed id that names none of
// the workspace's checkpoints (it may have been dropped by retention).
var ErrNotFound = errors.New("checkpoint: no such checkpoint")

// ErrNoCheckpoints is returned by Restore("") when the workspace has none.
var ErrNoCheckpoints = errors.New("checkpoint: the workspace has no checkpoints yet")

// ErrBusy is returned when another operation on the same workspace (from
// another session) did not finish in time.
var ErrBusy = errors.New("checkpoint: another checkpoint operation on this workspace is in progress")

// IDError reports a checkpoint id that is not a hex object id: it never
// reached git.
type IDError struct {
	ID     string
	Reason string
}

func (e *IDError) Error() string {
	return fmt.Sprintf("checkpoint: bad checkpoint id %s: %s", quoteShort(e.ID), e.Reason)
}

// LabelError reports a label that is too long or holds characters a label
// may not (control and bidirectional-override characters, invalid UTF-8).
type LabelError struct{ Reason string }

func (e *LabelError) Error() string { return "checkpoint: bad label: " + e.Reason }

// OptionError reports a bad Options field ("workspace", "paths",
// "checkpoint_ignores", "checkpoint_keep").
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string { return "checkpoint: bad " + e.Field + ": " + e.Reason }

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// CheckLabel returns the label as it is stored (spaces trimmed) or a
// *LabelError.
func CheckLabel(label string) (string, error) {
	if !utf8.ValidString(label) {
		return "", &LabelError{Reason: "it is not valid UTF-8"}
	}
	label = strings.TrimSpace(label)
	if n := utf8.RuneCountInString(label); n > MaxLabelLen {
		return "", &LabelError{Reason: fmt.Sprintf("it has %d characters; the limit is %d", n, MaxLabelLen)}
	}
	for _, r := range label {
		if unicode.IsControl(r) || bidiControl(r) || r == '\u2028' || r == '\u2029' {
			return "", &LabelError{Reason: fmt.Sprintf("it contains the control character %U", r)}
		}
	}
	return label, nil
}

// bidiControl reports the characters that reorder text when displayed, so
// that a label cannot make a log or a listing read differently from what it
// holds.
func bidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// checkID validates an agent-supplied id: 4 to 40 hex digits, nothing else.
// It returns the id in lower case.
func checkID(id string) (string, error) {
	if len(id) < 4 || len(id) > 40 {
		return "", &IDError{ID: id, Reason: "an id is 4 to 40 hexadecimal digits"}
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", &IDError{ID: id, Reason: "an id is 4 to 40 hexadecimal digits"}
		}
	}
	return strings.ToLower(id), nil
}

// resolve finds the checkpoint id names among refs (newest first): the
// latest for "", else the one whose commit starts with id.
func resolve(refs []ref, id string) (ref, error) {
	if id == "" {
		if len(refs) == 0 {
			return ref{}, ErrNoCheckpoints
		}
		return refs[0], nil
	}
	id, err := checkID(id)
	if err != nil {
		return ref{}, err
	}
	var found []ref
	for _, r := range refs {
		// Two checkpoints of the same files with the same label in the
		// same second are the same commit: either will do.
		if strings.HasPrefix(r.commit, id) && (len(found) == 0 || found[0].commit != r.commit) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return ref{}, fmt.Errorf("%w %s", ErrNotFound, quoteShort(id))
	case 1:
		return found[0], nil
	}
	return ref{}, &IDError{ID: id, Reason: "it matches several checkpoints; give more digits"}
}

// DefaultIgnores returns the built-in ignore patterns, applied before
// Options.Ignores and the workspace's .gitignore files (which can negate
// them).
func DefaultIgnores() []string { return append([]string(nil), defaultIgnores...) }

// NeverTracked returns the names (of files or directories, at any depth)
// that are never snapshotted nor written by a restore, whatever the
// patterns say: other repositories' metadata and credential stores.
func NeverTracked() []string { return append([]string(nil), neverTrackedNames...) }

var defaultIgnores = []string{
	"node_modules/", "bower_components/", "jspm_packages/", ".yarn/cache/", ".pnpm-store/",
	".venv/", "venv/", "__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/",
	".ruff_cache/", ".tox/", ".nox/", ".eggs/", "*.egg-info/", ".direnv/",
	".cache/", ".gradle/", ".next/", ".nuxt/", ".turbo/", ".parcel-cache/",
	".svelte-kit/", ".terraform/", "target/", "build/", "dist/", ".DS_Store",
}

var neverTrackedNames = []string{
	".git", ".hg", ".svn", ".ssh", ".aws", ".gnupg", ".azure", ".kube",
	".password-store", ".netrc", ".git-credentials", ".pgpass",
}

func neverTracked(name string) bool {
	for _, n := range neverTrackedNames {
		if name == n {
			return true
		}
	}
	return strings.EqualFold(name, ".git")
}

// options is a validated Options.
type options struct {
	workspace string   // cleaned, absolute
	paths     []string // cleaned, relative, slash-separated; nil: all
	ignores   []string
	dir       string
	keep      int
	maxSize   int64 // <0: none
}

func (o *Options) check() (*options, error) {
	if o == nil || o.Workspace == "" {
		return nil, &OptionError{Field: "workspace", Reason: "it is required"}
	}
	ws := o.Workspace
	if err := checkText(ws, 4096); err != nil {
		return nil, &OptionError{Field: "workspace", Reason: err.Error()}
	}
	if !path.IsAbs(ws) {
		return nil, &OptionError{Field: "workspace", Reason: "it must be an absolute path"}
	}
	ws = path.Clean(ws)
	if ws == "/" {
		return nil, &OptionError{Field: "workspace", Reason: "it cannot be the root directory"}
	}
	v := &options{workspace: ws, dir: o.Dir, keep: o.Keep, maxSize: o.MaxFileSize}
	if len(o.Paths) > MaxPaths {
		return nil, &OptionError{Field: "paths", Reason: fmt.Sprintf("at most %d paths", MaxPaths)}
	}
	whole := false
	for _, p := range o.Paths {
		c, err := cleanPath(ws, p)
		if err != nil {
			return nil, &OptionError{Field: "paths", Reason: fmt.Sprintf("%s: %v", quoteShort(p), err)}
		}
		whole = whole || c == "."
		v.paths = append(v.paths, c)
	}
	v.paths = minimalPaths(v.paths)
	if whole {
		v.paths = nil
	}
	if len(o.Ignores) > MaxIgnores {
		return nil, &OptionError{Field: "checkpoint_ignores", Reason: fmt.Sprintf("at most %d patterns", MaxIgnores)}
	}
	for _, p := range o.Ignores {
		if err := checkText(p, 1024); err != nil {
			return nil, &OptionError{Field: "checkpoint_ignores", Reason: fmt.Sprintf("%s: %v", quoteShort(p), err)}
		}
		v.ignores = append(v.ignores, p)
	}
	switch {
	case v.keep == 0:
		v.keep = DefaultKeep
	case v.keep < 0 || v.keep > MaxKeep:
		return nil, &OptionError{Field: "checkpoint_keep", Reason: fmt.Sprintf("it must be between 1 and %d", MaxKeep)}
	}
	if v.maxSize == 0 {
		v.maxSize = DefaultMaxFileSize
	}
	return v, nil
}

// checkText refuses what cannot travel as one line of text.
func checkText(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case strings.ContainsAny(s, "\x00\n\r"):
		return errors.New("contains a NUL or line break")
	}
	return nil
}

// cleanPath turns p (relative to ws, or absolute under it) into a clean
// relative slash path, "." for the whole workspace.
func cleanPath(ws, p string) (string, error) {
	if err := checkText(p, 4096); err != nil {
		return "", err
	}
	if p == "" {
		return "", errors.New("empty path")
	}
	if path.IsAbs(p) {
		p = path.Clean(p)
		if p != ws && !strings.HasPrefix(p, ws+"/") {
			return "", errors.New("not inside the workspace")
		}
		p = strings.TrimPrefix(strings.TrimPrefix(p, ws), "/")
		if p == "" {
			return ".", nil
		}
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", errors.New("not inside the workspace")
	}
	if p != "." {
		for _, c := range strings.Split(p, "/") {
			if neverTracked(c) {
				return "", fmt.Errorf("%s is never checkpointed", c)
			}
		}
	}
	return p, nil
}

// minimalPaths sorts paths and drops those inside another.
func minimalPaths(ps []string) []string {
	if len(ps) == 0 {
		return nil
	}
	sort.Strings(ps)
	out := ps[:0:0]
	for _, p := range ps {
		if len(out) > 0 && inScope(p, out[len(out)-1:]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// inScope reports whether the relative path p is one of scope or under one
// (always, for an empty scope).
func inScope(p string, scope []string) bool {
	if len(scope) == 0 {
		return true
	}
	for _, s := range scope {
		if p == s || strings.HasPrefix(p, s+"/") {
			return true
		}
	}
	return false
}

// checkTreePath reports whether a path read from a checkpoint's tree may be
// written: clean, relative, and free of never-tracked components (a shadow
// repository lives in a directory the agent can write, so its trees are
// not trusted either).
func checkTreePath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || neverTracked(c) {
			return false
		}
	}
	return true
}

// Refs. Every checkpoint is a parentless commit under
// refs/checkpoints/{manual,auto}/<19-digit creation time in ns>, so the
// list sorts by name and retention drops one ref (and, later, its
// unreachable objects).
const refPrefix = "refs/checkpoints/"

type ref struct {
	name   string // full ref name
	ns     int64  // creation time
	auto   bool
	commit string // 40 hex
	label  string
}

func refName(ns int64, auto bool) string {
	kind := "manual/"
	if auto {
		kind = "auto/"
	}
	return fmt.Sprintf("%s%s%019d", refPrefix, kind, ns)
}

// parseRef reads a checkpoint ref name; ok is false for anything else.
func parseRef(name string) (r ref, ok bool) {
	rest, found := strings.CutPrefix(name, refPrefix)
	if !found {
		return ref{}, false
	}
	kind, ts, found := strings.Cut(rest, "/")
	if !found || (kind != "manual" && kind != "auto") || len(ts) != 19 {
		return ref{}, false
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ns < 0 {
		return ref{}, false
	}
	return ref{name: name, ns: ns, auto: kind == "auto"}, true
}

func sortRefs(refs []ref) {
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].ns != refs[j].ns {
			return refs[i].ns > refs[j].ns
		}
		return refs[i].name > refs[j].name
	})
}

func (r ref) checkpoint() Checkpoint {
	id := r.commit
	if len(id) > IDLen {
		id = id[:IDLen]
	}
	return Checkpoint{ID: id, Label: r.label, Created: time.Unix(0, r.ns).UTC().Truncate(time.Millisecond), Auto: r.auto}
}

// nextNS is the creation time of a new checkpoint: now, but after every
// existing one, so names stay unique and ordered even if the clock steps
// back.
func nextNS(refs []ref, now time.Time) int64 {
	ns := now.UnixNano()
	for _, r := range refs {
		if r.ns >= ns {
			ns = r.ns + 1
		}
	}
	return ns
}

// toDrop picks what retention removes once refs (newest first) holds the
// new checkpoint: the oldest automatic ones first, then the oldest others,
// never the newest.
func toDrop(refs []ref, keep int) []ref {
	excess := len(refs) - keep
	if excess <= 0 || len(refs) < 2 {
		return nil
	}
	var drop []ref
	for pass := 0; pass < 2 && len(drop) < excess; pass++ {
		for i := len(refs) - 1; i >= 1 && len(drop) < excess; i-- {
			if (pass == 0) == refs[i].auto {
				drop = append(drop, refs[i])
			}
		}
	}
	return drop
}

// Report helpers.

type change struct {
	path string
	kind int // changeCreate, changeModify, changeDelete
}

const (
	changeCreate = iota
	changeModify
	changeDelete
)

func newReport(id string, changes []change) *Report {
	r := &Report{RestoredTo: id}
	for _, c := range changes {
		switch c.kind {
		case changeCreate:
			r.Created = append(r.Created, c.path)
		case changeModify:
			r.Modified = append(r.Modified, c.path)
		case changeDelete:
			r.Deleted = append(r.Deleted, c.path)
		}
	}
	sort.Strings(r.Created)
	sort.Strings(r.Modified)
	sort.Strings(r.Deleted)
	r.FilesChanged = len(r.Created) + len(r.Modified) + len(r.Deleted)
	return r
}

// commit metadata shared by both implementations, so that the same
// snapshot gets the same commit id wherever it is made.
const (
	committerName  = "execkit"
	committerEmail = "execkit@localhost"
)
