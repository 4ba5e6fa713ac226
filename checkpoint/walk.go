package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// MaxFiles bounds how many files one checkpoint of a local workspace may
// hold, so that a workspace set to a huge tree fails fast instead of
// copying it.
const MaxFiles = 200_000

// rule is one gitignore pattern. Patterns without a slash are matched
// against the last path component only: the walk never enters an excluded
// directory, so earlier components were matched when it reached them. The
// others go to go-git's matcher.
type rule struct {
	name    string // pattern without slash; "" when full is set
	literal bool   // name has no glob characters
	suffix  string // name is "*" + suffix, suffix literal
	dirOnly bool
	negate  bool
	full    gitignore.Pattern
}

func parseRule(line string, domain []string) (rule, bool) {
	line = strings.TrimSuffix(line, "\r")
	if line == "" || strings.HasPrefix(line, "#") {
		return rule{}, false
	}
	p := line
	var r rule
	if strings.HasPrefix(p, "!") {
		r.negate = true
		p = p[1:]
	}
	if !strings.HasSuffix(p, "\\ ") {
		p = strings.TrimRight(p, " ")
	}
	if strings.HasSuffix(p, "/") {
		r.dirOnly = true
		p = p[:len(p)-1]
	}
	if p == "" {
		return rule{}, false
	}
	if strings.Contains(p, "/") {
		r.full = gitignore.ParsePattern(line, domain)
		return r, true
	}
	r.name = p
	r.literal = !strings.ContainsAny(p, `*?[\`)
	if rest, ok := strings.CutPrefix(p, "*"); ok && rest != "" && !strings.ContainsAny(rest, `*?[\`) {
		r.suffix = rest
	}
	return r, true
}

// match reports whether r decides about the path comps (the path's
// components from the workspace root; name is the last).
func (r *rule) match(comps []string, isDir bool) bool {
	if r.full != nil {
		return r.full.Match(comps, isDir) != gitignore.NoMatch
	}
	if r.dirOnly && !isDir {
		return false
	}
	name := comps[len(comps)-1]
	if r.literal {
		return name == r.name
	}
	if r.suffix != "" {
		return strings.HasSuffix(name, r.suffix)
	}
	ok, err := filepath.Match(r.name, name)
	return err == nil && ok
}

// ignored applies rules, last match winning.
func ignored(rules []rule, comps []string, isDir bool) bool {
	for i := len(rules) - 1; i >= 0; i-- {
		if rules[i].match(comps, isDir) {
			return !rules[i].negate
		}
	}
	return false
}

func baseRules(ignores []string) []rule {
	var rules []rule
	for _, set := range [][]string{defaultIgnores, ignores} {
		for _, p := range set {
			if r, ok := parseRule(p, nil); ok {
				rules = append(rules, r)
			}
		}
	}
	return rules
}

// fileEntry is one tracked file of a snapshot.
type fileEntry struct {
	path string // relative, slash-separated
	mode filemode.FileMode
	hash plumbing.Hash
}

// walker lists a local workspace's tracked files, hashing only those whose
// stat data the cache does not vouch for, and storing each new blob.
type walker struct {
	root    string
	scope   []string
	maxSize int64
	rules   []rule
	old     *statCache
	next    *statCache
	objects *objectDir

	files    []fileEntry
	tooLarge []string
	misses   int // files read because the cache did not vouch for them
	buf      []byte
}

func (w *walker) walk() error {
	if len(w.scope) == 0 {
		return w.walkDir("", nil, w.rules)
	}
	for _, p := range w.scope {
		if err := w.walkScoped(p); err != nil {
			return err
		}
	}
	return nil
}

// walkScoped walks one scope path, applying the rules of the directories
// above it (their .gitignore files, nested repositories) on the way down.
func (w *walker) walkScoped(p string) error {
	comps := strings.Split(p, "/")
	rules := w.rules
	for i := range comps {
		dir := strings.Join(comps[:i], "/")
		if i > 0 {
			if _, err := os.Lstat(w.abs(dir + "/.git")); err == nil {
				return nil // inside a nested repository
			}
		}
		rules = w.readIgnore(dir, comps[:i], rules)
		fi, err := os.Lstat(w.abs(strings.Join(comps[:i+1], "/")))
		if err != nil {
			return nil // not there (a restore may bring it back)
		}
		isDir := fi.IsDir()
		if i < len(comps)-1 && !isDir {
			return nil
		}
		if ignored(rules, comps[:i+1], isDir) {
			return nil
		}
	}
	fi, err := os.Lstat(w.abs(p))
	if err != nil {
		return nil
	}
	if fi.IsDir() {
		return w.walkDir(p, comps, rules)
	}
	return w.add(p, fi)
}

func (w *walker) abs(rel string) string {
	if rel == "" {
		return w.root
	}
	return w.root + "/" + rel
}

// readIgnore appends the rules of dir's .gitignore (a regular file; git
// does not follow a symlinked one either).
func (w *walker) readIgnore(dir string, comps []string, rules []rule) []rule {
	name := ".gitignore"
	if dir != "" {
		name = dir + "/.gitignore"
	}
	f, err := os.OpenFile(w.abs(name), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return rules
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return rules
	}
	out := rules[:len(rules):len(rules)] // appending copies: the caller's slice stays
	domain := append([]string(nil), comps...)
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		if r, ok := parseRule(sc.Text(), domain); ok {
			out = append(out, r)
		}
	}
	return out
}

func (w *walker) walkDir(dir string, comps []string, rules []rule) error {
	ents, err := os.ReadDir(w.abs(dir))
	if err != nil {
		if dir == "" {
			return fmt.Errorf("checkpoint: reading the workspace: %w", err)
		}
		return nil // unreadable: not tracked
	}
	hasIgnore := false
	for _, e := range ents {
		if dir != "" && strings.EqualFold(e.Name(), ".git") {
			return nil // a nested repository: its own history is its undo
		}
		if e.Name() == ".gitignore" {
			hasIgnore = true
		}
	}
	if hasIgnore {
		rules = w.readIgnore(dir, comps, rules)
	}
	for _, e := range ents {
		name := e.Name()
		if neverTracked(name) {
			continue
		}
		rel := name
		if dir != "" {
			rel = dir + "/" + name
		}
		cc := append(comps[:len(comps):len(comps)], name)
		t := e.Type()
		switch {
		case t.IsDir():
			if ignored(rules, cc, true) {
				continue
			}
			if err := w.walkDir(rel, cc, rules); err != nil {
				return err
			}
		case t.IsRegular() || t&os.ModeSymlink != 0:
			if ignored(rules, cc, false) {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // gone since the listing
			}
			if err := w.add(rel, fi); err != nil {
				return err
			}
		}
	}
	return nil
}

// add records one regular file or symlink.
func (w *walker) add(rel string, fi os.FileInfo) error {
	var mode filemode.FileMode
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		mode = filemode.Symlink
	case fi.Mode().IsRegular():
		mode = filemode.Regular
		if fi.Mode()&0o100 != 0 {
			mode = filemode.Executable
		}
		if w.maxSize >= 0 && fi.Size() > w.maxSize {
			w.tooLarge = append(w.tooLarge, rel)
			return nil
		}
	default:
		return nil
	}
	if len(w.files) >= MaxFiles {
		return fmt.Errorf("checkpoint: the workspace has more than %d files to snapshot; narrow it with paths or checkpoint_ignores", MaxFiles)
	}
	st := statOf(fi, mode)
	if e, ok := w.old.lookup(rel, st); ok {
		w.next.entries[rel] = e
		w.files = append(w.files, fileEntry{path: rel, mode: mode, hash: e.hash})
		return nil
	}
	w.misses++
	var data []byte
	if mode == filemode.Symlink {
		target, err := os.Readlink(w.abs(rel))
		if err != nil {
			return nil
		}
		data = []byte(target)
	} else {
		var err error
		data, st, err = w.read(rel, mode)
		if err != nil {
			return nil // unreadable or changing under us: not tracked this time
		}
	}
	h, err := w.objects.put(plumbing.BlobObject, data)
	if err != nil {
		return err
	}
	st.hash = h
	w.next.entries[rel] = st
	w.files = append(w.files, fileEntry{path: rel, mode: mode, hash: h})
	return nil
}

var errChanged = errors.New("file changed while read")

// read reads a regular file without following a symlink swapped in since
// the listing, and returns its stat data as of the read.
func (w *walker) read(rel string, mode filemode.FileMode) ([]byte, statEntry, error) {
	f, err := os.OpenFile(w.abs(rel), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, statEntry{}, err
	}
	defer f.Close()
	fi2, err := f.Stat()
	if err != nil || !fi2.Mode().IsRegular() {
		return nil, statEntry{}, errChanged
	}
	st := statOf(fi2, mode)
	if w.maxSize >= 0 && fi2.Size() > w.maxSize {
		return nil, statEntry{}, errChanged
	}
	n := int(fi2.Size())
	if cap(w.buf) < n+1 {
		w.buf = make([]byte, n+1)
	}
	buf := w.buf[:n+1]
	// One byte more than the size: a file that grew since fstat fills it.
	got, err := io.ReadFull(f, buf)
	if got != n || (err != io.ErrUnexpectedEOF && err != io.EOF) {
		return nil, statEntry{}, errChanged // shorter or longer than its size
	}
	return buf[:n], st, nil
}

// statEntry is what the cache knows about a file: its stat data when it was
// hashed, and the hash.
type statEntry struct {
	hash  plumbing.Hash
	mode  uint32
	size  int64
	mtime int64
	ctime int64
	ino   uint64
	dev   uint64
}

func statOf(fi os.FileInfo, mode filemode.FileMode) statEntry {
	e := statEntry{mode: uint32(mode), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.ctime = ctimeOf(s)
		e.ino = s.Ino
		e.dev = uint64(s.Dev)
	}
	return e
}

// racyWindow: a file changed this close to the time its stat data was
// recorded may have changed again within the same timestamp tick, so its
// stat data does not vouch for its content (git's "racy git" problem).
const racyWindow = 3 * time.Second

// statCache maps paths to what they hashed to, so an unchanged file is not
// read again. It is kept in the shadow repository (execkit-stat) and is
// only a cache: losing it costs a rehash.
type statCache struct {
	recorded int64 // ns: when the walk that wrote it started
	entries  map[string]statEntry
}

func newStatCache(recorded time.Time) *statCache {
	return &statCache{recorded: recorded.UnixNano(), entries: make(map[string]statEntry)}
}

func (c *statCache) lookup(rel string, st statEntry) (statEntry, bool) {
	if c == nil {
		return statEntry{}, false
	}
	e, ok := c.entries[rel]
	if !ok || e.mode != st.mode || e.size != st.size || e.mtime != st.mtime || e.ctime != st.ctime || e.ino != st.ino || e.dev != st.dev {
		return statEntry{}, false
	}
	if max(st.ctime, st.mtime) >= c.recorded-int64(racyWindow) {
		return statEntry{}, false
	}
	return e, true
}

const statMagic = "execkit-stat 1\n"

func (c *statCache) encode() []byte {
	var b bytes.Buffer
	b.WriteString(statMagic)
	var tmp [binaryMax]byte
	put := func(v uint64) { b.Write(tmp[:putUvarint(tmp[:], v)]) }
	put(uint64(c.recorded))
	put(uint64(len(c.entries)))
	for p, e := range c.entries {
		put(uint64(len(p)))
		b.WriteString(p)
		b.Write(e.hash[:])
		put(uint64(e.mode))
		put(uint64(e.size))
		put(uint64(e.mtime))
		put(uint64(e.ctime))
		put(e.ino)
		put(e.dev)
	}
	return b.Bytes()
}

func decodeStatCache(data []byte) (*statCache, error) {
	rest, ok := bytes.CutPrefix(data, []byte(statMagic))
	if !ok {
		return nil, errors.New("not a stat cache")
	}
	r := &uvarintReader{b: rest}
	c := &statCache{recorded: int64(r.next())}
	n := r.next()
	if n > 10*MaxFiles {
		return nil, errors.New("stat cache too large")
	}
	c.entries = make(map[string]statEntry, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := string(r.bytes(int(r.next())))
		var e statEntry
		copy(e.hash[:], r.bytes(len(e.hash)))
		e.mode = uint32(r.next())
		e.size = int64(r.next())
		e.mtime = int64(r.next())
		e.ctime = int64(r.next())
		e.ino = r.next()
		e.dev = r.next()
		c.entries[p] = e
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

const binaryMax = 10

func putUvarint(b []byte, v uint64) int {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return i + 1
}

type uvarintReader struct {
	b   []byte
	err error
}

var errShort = errors.New("stat cache truncated")

func (r *uvarintReader) next() uint64 {
	var v uint64
	for i := 0; i < binaryMax; i++ {
		if len(r.b) == 0 {
			r.err = errShort
			return 0
		}
		c := r.b[0]
		r.b = r.b[1:]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v
		}
	}
	r.err = errShort
	return 0
}

func (r *uvarintReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.err = errShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// objectDir writes loose objects into a repository's objects directory
// (git's format, which go-git reads). Its existence check is one stat: the
// shadow repositories are never packed.
type objectDir struct {
	dir string // <repo>/objects
	st  storer.EncodedObjectStorer
}

func hashObject(t plumbing.ObjectType, data []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte(t.String() + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

func (o *objectDir) has(h plumbing.Hash) bool {
	s := h.String()
	_, err := os.Lstat(path.Join(o.dir, s[:2], s[2:]))
	return err == nil
}

// put stores data as an object of type t unless it is there already.
func (o *objectDir) put(t plumbing.ObjectType, data []byte) (plumbing.Hash, error) {
	h := hashObject(t, data)
	if o.has(h) {
		return h, nil
	}
	obj := o.st.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return h, err
	}
	w.Write(data)
	w.Close()
	if _, err := o.st.SetEncodedObject(obj); err != nil {
		return h, fmt.Errorf("checkpoint: storing an object: %w", err)
	}
	return h, nil
}
