package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Local is a Store for a workspace on this machine, using go-git. The shadow
// repository is a bare git repository in Options.Dir (default
// os.UserCacheDir()/execkit/checkpoints), one per workspace, named by the
// SHA-256 of the workspace's absolute path with symlinks resolved: a new
// session on the same workspace finds the same checkpoints.
//
// It does not use go-git's Worktree: its Status walks into ignored
// directories and its hard reset deletes untracked files, ignored ones
// included. Local walks the workspace itself (never entering an ignored
// directory, re-reading only files whose stat data changed) and writes
// objects, trees, commits and refs through go-git's storage.
type Local struct {
	opts *options

	mu sync.Mutex // one operation at a time in this store; lock() across stores
	// Resolved on first use: the workspace with symlinks resolved, and the
	// shadow repository.
	ws  string
	dir string
	st  *filesystem.Storage
	// The state Snapshot or Changes saw last (a tree id) and its files, so
	// that Changes since it need not read the tree back.
	lastState string
	lastFiles map[string]fileEntry
	lastCache *statCache
}

var _ Store = (*Local)(nil)

// NewLocal returns a store for opts.Workspace. It validates opts and does no
// I/O: the workspace need not exist yet.
func NewLocal(opts *Options) (*Local, error) {
	o, err := opts.check()
	if err != nil {
		return nil, err
	}
	return &Local{opts: o}, nil
}

// Dir returns the shadow repository's directory, once an operation has
// resolved it (empty before).
func (l *Local) Dir() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dir
}

// open resolves the workspace and opens (creating if needed) the shadow
// repository.
func (l *Local) open() error {
	if l.st != nil {
		return nil
	}
	fi, err := os.Stat(l.opts.workspace)
	if err != nil {
		return fmt.Errorf("checkpoint: workspace %s: %w", quoteShort(l.opts.workspace), errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return &OptionError{Field: "workspace", Reason: l.opts.workspace + " is not a directory"}
	}
	ws, err := filepath.EvalSymlinks(l.opts.workspace)
	if err != nil {
		return fmt.Errorf("checkpoint: workspace: %w", err)
	}
	if ws == "/" {
		return &OptionError{Field: "workspace", Reason: "it cannot be the root directory"}
	}
	base := l.opts.dir
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("checkpoint: no directory for shadow repositories (set CheckpointDir): %w", err)
		}
		base = filepath.Join(c, "execkit", "checkpoints")
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return fmt.Errorf("checkpoint: creating the checkpoint directory: %w", err)
	}
	if rb, err := filepath.EvalSymlinks(base); err == nil {
		base = rb
	}
	if base == ws || strings.HasPrefix(base+"/", ws+"/") {
		return &OptionError{Field: "workspace", Reason: "it contains the checkpoint directory " + base + "; choose a narrower workspace (or another CheckpointDir)"}
	}
	sum := sha256.Sum256([]byte(ws))
	dir := filepath.Join(base, hex.EncodeToString(sum[:16]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("checkpoint: creating the shadow repository: %w", err)
	}
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(1<<20))
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		unlock, err := lock(context.Background(), filepath.Join(dir, "execkit.lock"))
		if err != nil {
			return err
		}
		defer unlock()
		if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
			if _, err := git.Init(st, nil); err != nil && !errors.Is(err, git.ErrRepositoryAlreadyExists) {
				return fmt.Errorf("checkpoint: creating the shadow repository: %w", err)
			}
			// For a person who finds the directory: which workspace it is.
			os.WriteFile(filepath.Join(dir, "description"), []byte("execkit checkpoints of "+ws+"\n"), 0o600)
		}
	}
	l.ws, l.dir, l.st = ws, dir, st
	return nil
}

// begin opens the repository and takes the workspace's lock.
func (l *Local) begin(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if err := l.open(); err != nil {
		l.mu.Unlock()
		return nil, err
	}
	unlock, err := lock(ctx, filepath.Join(l.dir, "execkit.lock"))
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	return func() { unlock(); l.mu.Unlock() }, nil
}

// Create snapshots the workspace; see Store.
func (l *Local) Create(ctx context.Context, label string, auto bool) (*Checkpoint, error) {
	label, err := CheckLabel(label)
	if err != nil {
		return nil, err
	}
	end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	w, err := l.snapshot()
	if err != nil {
		return nil, err
	}
	tree, err := l.writeTree(w)
	if err != nil {
		return nil, err
	}
	if err := l.saveCache(w); err != nil {
		return nil, err
	}
	cp, err := l.commit(tree, label, auto, w.next)
	if cp != nil && len(w.tooLarge) > 0 {
		sort.Strings(w.tooLarge)
		cp.TooLarge, cp.MaxFileSize = w.tooLarge, l.opts.maxSize
	}
	return cp, err
}

// Commit makes a checkpoint of state; see Store.
func (l *Local) Commit(ctx context.Context, state, label string, auto bool) (*Checkpoint, error) {
	label, err := CheckLabel(label)
	if err != nil {
		return nil, err
	}
	if err := checkState(state); err != nil {
		return nil, err
	}
	end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	tree := plumbing.NewHash(state)
	if _, err := object.GetTree(l.st, tree); err != nil {
		return nil, fmt.Errorf("checkpoint: the workspace state %s is gone from the shadow repository: %w", state, err)
	}
	keep := l.lastCache
	if state != l.lastState || keep == nil {
		keep = newStatCache(time.Now())
		if b, err := os.ReadFile(filepath.Join(l.dir, statCacheName)); err == nil {
			if c, err := decodeStatCache(b); err == nil {
				keep = c
			}
		}
	}
	return l.commit(tree, label, auto, keep)
}

// commit records tree as a checkpoint (unless auto is set and the latest
// checkpoint holds the same tree: then nil, nil) and applies retention,
// sparing the blobs keep names. l.mu is held.
func (l *Local) commit(tree plumbing.Hash, label string, auto bool, keep *statCache) (*Checkpoint, error) {
	refs, err := l.refs(false)
	if err != nil {
		return nil, err
	}
	if auto && len(refs) > 0 {
		if c, err := object.GetCommit(l.st, plumbing.NewHash(refs[0].commit)); err == nil && c.TreeHash == tree {
			return nil, nil
		}
	}
	now := time.Now()
	ns := nextNS(refs, now)
	sig := object.Signature{Name: committerName, Email: committerEmail, When: time.Unix(0, ns).UTC()}
	c := &object.Commit{Author: sig, Committer: sig, Message: label + "\n", TreeHash: tree}
	obj := l.st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return nil, err
	}
	h, err := l.st.SetEncodedObject(obj)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: storing the commit: %w", err)
	}
	r := ref{name: refName(ns, auto), ns: ns, auto: auto, commit: h.String(), label: label}
	if err := l.st.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(r.name), h)); err != nil {
		return nil, fmt.Errorf("checkpoint: storing the checkpoint: %w", err)
	}
	refs = append([]ref{r}, refs...)
	if drop := toDrop(refs, l.opts.keep); len(drop) > 0 {
		for _, d := range drop {
			l.st.RemoveReference(plumbing.ReferenceName(d.name))
		}
		if err := l.maybePrune(len(drop), keep); err != nil {
			return nil, err
		}
	}
	cp := r.checkpoint()
	return &cp, nil
}

// List returns the checkpoints, newest first.
func (l *Local) List(ctx context.Context) ([]Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(); err != nil {
		return nil, err
	}
	refs, err := l.refs(true)
	if err != nil {
		return nil, err
	}
	out := make([]Checkpoint, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.checkpoint())
	}
	return out, nil
}

// refs lists the checkpoint refs, newest first, with their labels when
// labels is set. Refs whose commit cannot be read are skipped.
func (l *Local) refs(labels bool) ([]ref, error) {
	it, err := l.st.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading the checkpoints: %w", err)
	}
	defer it.Close()
	var refs []ref
	err = it.ForEach(func(pr *plumbing.Reference) error {
		r, ok := parseRef(pr.Name().String())
		if !ok || pr.Type() != plumbing.HashReference {
			return nil
		}
		r.commit = pr.Hash().String()
		if labels {
			c, err := object.GetCommit(l.st, pr.Hash())
			if err != nil {
				return nil
			}
			r.label = strings.TrimSuffix(c.Message, "\n")
		}
		refs = append(refs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading the checkpoints: %w", err)
	}
	sortRefs(refs)
	return refs, nil
}

const statCacheName = "execkit-stat"

// snapshot walks the workspace, storing new blobs.
func (l *Local) snapshot() (*walker, error) {
	start := time.Now()
	var old *statCache
	if b, err := os.ReadFile(filepath.Join(l.dir, statCacheName)); err == nil {
		old, _ = decodeStatCache(b) // unreadable: rehash everything
	}
	w := &walker{
		root:    l.ws,
		scope:   l.opts.paths,
		maxSize: l.opts.maxSize,
		rules:   baseRules(l.opts.ignores),
		old:     old,
		next:    newStatCache(start),
		objects: &objectDir{dir: filepath.Join(l.dir, "objects"), st: l.st},
	}
	if err := w.walk(); err != nil {
		return nil, err
	}
	if len(l.opts.paths) > 0 && old != nil {
		// Out-of-scope entries stay valid for a session with another scope.
		for p, e := range old.entries {
			if !inScope(p, l.opts.paths) {
				w.next.entries[p] = e
			}
		}
	}
	return w, nil
}

// saveCache writes the walk's stat cache, unless it holds what the file
// already does: every file a cache hit (a file read, racy ones included,
// changes it) and none gone.
func (l *Local) saveCache(w *walker) error {
	if w.old != nil && w.misses == 0 && len(w.old.entries) == len(w.next.entries) {
		return nil
	}
	name := filepath.Join(l.dir, statCacheName)
	tmp := fmt.Sprintf("%s.%d.tmp", name, os.Getpid())
	if err := os.WriteFile(tmp, w.next.encode(), 0o600); err != nil {
		os.Remove(tmp)
		return nil // only a cache
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
	}
	return nil
}

// writeTree stores the walk's files as git trees and returns the root's
// hash.
func (l *Local) writeTree(w *walker) (plumbing.Hash, error) {
	root := &treeNode{}
	for _, f := range w.files {
		n := root
		dir, name := path.Split(f.path)
		if dir != "" {
			for _, c := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
				n = n.sub(c)
			}
		}
		n.files = append(n.files, object.TreeEntry{Name: name, Mode: f.mode, Hash: f.hash})
	}
	return root.write(w.objects)
}

type treeNode struct {
	files []object.TreeEntry
	dirs  map[string]*treeNode
}

func (n *treeNode) sub(name string) *treeNode {
	if n.dirs == nil {
		n.dirs = make(map[string]*treeNode)
	}
	c := n.dirs[name]
	if c == nil {
		c = &treeNode{}
		n.dirs[name] = c
	}
	return c
}

func (n *treeNode) write(o *objectDir) (plumbing.Hash, error) {
	entries := n.files
	for name, d := range n.dirs {
		h, err := d.write(o)
		if err != nil {
			return h, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// git's order: names compared as if directories ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	var b []byte
	for _, e := range entries {
		b = append(b, strings.TrimLeft(fmt.Sprintf("%o", uint32(e.Mode)), "0")...)
		b = append(b, ' ')
		b = append(b, e.Name...)
		b = append(b, 0)
		b = append(b, e.Hash[:]...)
	}
	return o.put(plumbing.TreeObject, b)
}

// pruneEvery is how many dropped checkpoints wait for one prune: a prune
// walks every kept checkpoint, so it is not worth doing for each.
const pruneEvery = 16

const droppedName = "execkit-dropped"

// maybePrune counts dropped checkpoints (in the repository, for every store
// of the workspace) and prunes once enough have been.
func (l *Local) maybePrune(dropped int, keep *statCache) error {
	name := filepath.Join(l.dir, droppedName)
	n := dropped
	if b, err := os.ReadFile(name); err == nil {
		if m, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && m > 0 {
			n += m
		}
	}
	if n < pruneEvery {
		return os.WriteFile(name, []byte(strconv.Itoa(n)+"\n"), 0o600)
	}
	if err := l.prune(keep, time.Time{}); err != nil {
		return err
	}
	return os.WriteFile(name, []byte("0\n"), 0o600)
}

// prune deletes the objects no checkpoint reaches any more and the stat
// cache does not name, when older than before (zero: all).
func (l *Local) prune(keep *statCache, before time.Time) error {
	repo, err := git.Open(l.st, nil)
	if err != nil {
		return fmt.Errorf("checkpoint: pruning: %w", err)
	}
	cached := make(map[plumbing.Hash]bool, len(keep.entries))
	for _, e := range keep.entries {
		cached[e.hash] = true
	}
	err = repo.Prune(git.PruneOptions{
		OnlyObjectsOlderThan: before,
		Handler: func(h plumbing.Hash) error {
			if cached[h] {
				return nil
			}
			return l.st.DeleteLooseObject(h)
		},
	})
	if err != nil {
		return fmt.Errorf("checkpoint: pruning: %w", err)
	}
	return nil
}

// Restore makes the workspace's tracked files equal to checkpoint id (empty:
// the latest); see Store. It is destructive.
func (l *Local) Restore(ctx context.Context, id string) (*Report, error) {
	if id != "" {
		if _, err := checkID(id); err != nil {
			return nil, err
		}
	}
	end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	refs, err := l.refs(false)
	if err != nil {
		return nil, err
	}
	r, err := resolve(refs, id)
	if err != nil {
		return nil, err
	}
	c, err := object.GetCommit(l.st, plumbing.NewHash(r.commit))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading checkpoint %s: %w", r.checkpoint().ID, err)
	}
	target := make(map[string]fileEntry)
	if err := l.flatten(c.TreeHash, "", target, 0); err != nil {
		return nil, err
	}
	w, err := l.snapshot()
	if err != nil {
		return nil, err
	}
	l.saveCache(w)
	cur := make(map[string]fileEntry, len(w.files))
	for _, f := range w.files {
		cur[f.path] = f
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// From here on the restore runs to the end: stopping half-way would
	// leave a workspace equal to no checkpoint.
	root, err := os.OpenRoot(l.ws)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: opening the workspace: %w", err)
	}
	defer root.Close()
	a := &applier{root: root, st: l.st, repos: make(map[string]bool)}
	var dels, writes []string
	for p := range cur {
		if _, ok := target[p]; !ok {
			dels = append(dels, p)
		}
	}
	for p, t := range target {
		if f, ok := cur[p]; !ok || f.hash != t.hash || f.mode != t.mode {
			writes = append(writes, p)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dels)))
	sort.Strings(writes)
	var changes []change
	for _, p := range dels {
		if err := a.remove(p); err != nil {
			a.fail(p, err)
			continue
		}
		changes = append(changes, change{p, changeDelete})
	}
	for _, p := range writes {
		f, had := cur[p]
		kind := changeModify
		if !had {
			kind = changeCreate
			if _, err := root.Lstat(p); err == nil {
				kind = changeModify // an untracked file was in the way
			}
		}
		done, err := a.write(p, target[p], f, had)
		if err != nil {
			a.fail(p, err)
			continue
		}
		if done {
			changes = append(changes, change{p, kind})
		}
	}
	rep := newReport(r.checkpoint().ID, changes)
	return rep, a.err()
}

// Snapshot records the workspace's state; see Store.
func (l *Local) Snapshot(ctx context.Context) (string, error) {
	end, err := l.begin(ctx)
	if err != nil {
		return "", err
	}
	defer end()
	_, state, err := l.state()
	return state, err
}

// Changes reports what changed since state since; see Store.
func (l *Local) Changes(ctx context.Context, since string) (*Changes, error) {
	if err := checkState(since); err != nil {
		return nil, err
	}
	end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	old := l.lastFiles
	if since != l.lastState {
		old = make(map[string]fileEntry)
		if err := l.flatten(plumbing.NewHash(since), "", old, 0); err != nil {
			return nil, err
		}
	}
	cur, state, err := l.state()
	if err != nil {
		return nil, err
	}
	var changes []change
	for p, f := range cur {
		o, had := old[p]
		switch {
		case !had:
			changes = append(changes, change{p, changeCreate})
		case o.hash != f.hash || o.mode != f.mode:
			changes = append(changes, change{p, changeModify})
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			changes = append(changes, change{p, changeDelete})
		}
	}
	return newChanges(changes, state), nil
}

// state walks the workspace and stores its tree: its files and the tree id.
// l.mu is held.
func (l *Local) state() (map[string]fileEntry, string, error) {
	w, err := l.snapshot()
	if err != nil {
		return nil, "", err
	}
	tree, err := l.writeTree(w)
	if err != nil {
		return nil, "", err
	}
	l.saveCache(w)
	files := make(map[string]fileEntry, len(w.files))
	for _, f := range w.files {
		files[f.path] = f
	}
	l.lastState, l.lastFiles, l.lastCache = tree.String(), files, w.next
	return files, tree.String(), nil
}

// flatten lists tree's files into out, skipping what a restore must never
// write (see checkTreePath), what is outside the scope, and submodules.
func (l *Local) flatten(h plumbing.Hash, prefix string, out map[string]fileEntry, depth int) error {
	if depth > 256 {
		return errors.New("checkpoint: a checkpoint's tree is nested too deep")
	}
	t, err := object.GetTree(l.st, h)
	if err != nil {
		return fmt.Errorf("checkpoint: reading a checkpoint's tree: %w", err)
	}
	for _, e := range t.Entries {
		p := prefix + e.Name
		if strings.Contains(e.Name, "/") || !checkTreePath(p) {
			continue
		}
		switch e.Mode {
		case filemode.Dir:
			if len(l.opts.paths) > 0 && !inScope(p, l.opts.paths) && !scopeBelow(p, l.opts.paths) {
				continue
			}
			if err := l.flatten(e.Hash, p+"/", out, depth+1); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated, filemode.Symlink:
			if !inScope(p, l.opts.paths) {
				continue
			}
			m := e.Mode
			if m == filemode.Deprecated {
				m = filemode.Regular
			}
			out[p] = fileEntry{path: p, mode: m, hash: e.Hash}
		}
	}
	return nil
}

// scopeBelow reports whether some scope path lies under directory dir.
func scopeBelow(dir string, scope []string) bool {
	for _, s := range scope {
		if strings.HasPrefix(s, dir+"/") {
			return true
		}
	}
	return false
}

// applier writes a restore into the workspace, through an os.Root so that no
// symlink leads it outside.
type applier struct {
	root  *os.Root
	st    *filesystem.Storage
	repos map[string]bool // directory -> holds a .git
	errs  []string
	first error
}

func (a *applier) fail(p string, err error) {
	if a.first == nil {
		a.first = err
	}
	a.errs = append(a.errs, p)
}

func (a *applier) err() error {
	if a.first == nil {
		return nil
	}
	return fmt.Errorf("checkpoint: restore incomplete: %d files could not be restored (first %s): %w", len(a.errs), quoteShort(a.errs[0]), a.first)
}

// remove deletes a tracked file and the directories it leaves empty.
func (a *applier) remove(p string) error {
	if err := a.root.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if a.root.Remove(dir) != nil { // not empty (or not ours): stop
			break
		}
	}
	return nil
}

// write restores one file. done is false when it was skipped because a
// nested repository now holds its directory.
func (a *applier) write(p string, t, cur fileEntry, had bool) (done bool, err error) {
	dir := path.Dir(p)
	if dir != "." {
		if a.inRepo(dir) {
			return false, nil
		}
		if err := a.mkdirs(dir); err != nil {
			return false, err
		}
	}
	if had && cur.hash == t.hash && cur.mode != filemode.Symlink && t.mode != filemode.Symlink {
		// Only the executable bit differs.
		fi, err := a.root.Lstat(p)
		if err == nil && fi.Mode().IsRegular() {
			return true, a.root.Chmod(p, execBits(fi.Mode().Perm(), t.mode == filemode.Executable))
		}
	}
	if fi, err := a.root.Lstat(p); err == nil {
		if fi.IsDir() {
			if err := a.root.Remove(p); err != nil {
				return false, fmt.Errorf("a directory with untracked files is in the way of %s", p)
			}
		} else if err := a.root.Remove(p); err != nil {
			return false, err
		}
	}
	obj, err := a.st.EncodedObject(plumbing.BlobObject, t.hash)
	if err != nil {
		return false, fmt.Errorf("reading %s from the checkpoint: %w", p, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return false, err
	}
	defer rd.Close()
	if t.mode == filemode.Symlink {
		target, err := io.ReadAll(io.LimitReader(rd, 1<<16))
		if err != nil {
			return false, err
		}
		return true, a.root.Symlink(string(target), p)
	}
	perm := os.FileMode(0o666)
	if t.mode == filemode.Executable {
		perm = 0o777
	}
	// O_EXCL: never through a symlink planted since the removal. The
	// process umask applies, as for git.
	f, err := a.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(f, rd)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return true, err
}

// execBits sets or clears the executable bits of perm (set: where it can be
// read).
func execBits(perm os.FileMode, exec bool) os.FileMode {
	if !exec {
		return perm &^ 0o111
	}
	return perm | (perm&0o444)>>2
}

// mkdirs creates dir and its parents, refusing to go through anything but a
// real directory.
func (a *applier) mkdirs(dir string) error {
	comps := strings.Split(dir, "/")
	for i := range comps {
		d := strings.Join(comps[:i+1], "/")
		fi, err := a.root.Lstat(d)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return fmt.Errorf("%s is in the way (not a directory)", d)
		case errors.Is(err, os.ErrNotExist):
			if err := a.root.Mkdir(d, 0o777); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
		default:
			return err
		}
	}
	return nil
}

// inRepo reports whether dir or a directory above it (below the workspace
// root) is a nested repository, which a restore leaves alone.
func (a *applier) inRepo(dir string) bool {
	for d := dir; d != "."; d = path.Dir(d) {
		is, ok := a.repos[d]
		if !ok {
			_, err := a.root.Lstat(d + "/.git")
			is = err == nil
			a.repos[d] = is
		}
		if is {
			return true
		}
	}
	return false
}
