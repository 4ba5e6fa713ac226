package checkpoint_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/checkpoint"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shRunner runs commands the way the SSH transport does: the argv quoted
// into one string for `sh -c`, so the remote implementation is exercised
// through a real shell. env is added to every command.
type shRunner struct {
	t   *local.Transport
	env []string
}

func (r *shRunner) Run(ctx context.Context, c *transport.Command) (*transport.Output, error) {
	var b strings.Builder
	b.WriteString("exec")
	for _, a := range c.Argv {
		b.WriteString(" '" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	cc := *c
	cc.Argv = []string{"sh", "-c", b.String()}
	cc.Env = append(append([]string(nil), r.env...), c.Env...)
	return r.t.Run(ctx, &cc)
}

func newShRunner(t testing.TB, env ...string) *shRunner {
	fixture.LookPath(t, "git")
	tr := local.New()
	t.Cleanup(func() { tr.Close() })
	return &shRunner{t: tr, env: env}
}

// impl opens a store of one implementation for opts (Dir filled in).
type impl struct {
	name string
	open func(t testing.TB, o checkpoint.Options) checkpoint.Store
}

func impls() []impl {
	return []impl{
		{"local", func(t testing.TB, o checkpoint.Options) checkpoint.Store {
			s, err := checkpoint.NewLocal(&o)
			require.NoError(t, err)
			return s
		}},
		{"remote", func(t testing.TB, o checkpoint.Options) checkpoint.Store {
			s, err := checkpoint.NewRemote(newShRunner(t), &o)
			require.NoError(t, err)
			return s
		}},
	}
}

// each runs f for both implementations, each with its own workspace and
// checkpoint directory.
func each(t *testing.T, f func(t *testing.T, im impl, ws, dir string)) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			f(t, im, t.TempDir(), t.TempDir())
		})
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func write(t testing.TB, ws, rel, content string) {
	t.Helper()
	p := filepath.Join(ws, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// tree describes every entry under dir (files with mode and content hash,
// symlinks with target, directories), except under skip.
func tree(t testing.TB, dir string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link:" + target
		case fi.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file:%o:%s", fi.Mode().Perm(), hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// dirHash hashes every name, mode and byte under dir (a .git, say).
func dirHash(t testing.TB, dir string) string {
	t.Helper()
	tr := tree(t, dir)
	keys := make([]string, 0, len(tr))
	for k := range tr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, tr[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func run(t testing.TB, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%v: %s", argv, out)
	return string(out)
}

func TestRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "keep.txt", "unchanged\n")
		write(t, ws, "empty", "")
		write(t, ws, "empty-later-filled", "")
		write(t, ws, "modify.txt", "before\n")
		write(t, ws, "delete.txt", "doomed\n")
		write(t, ws, "rename-from.txt", "moving\n")
		write(t, ws, "a/b/c/deep.txt", "deep\n")
		write(t, ws, "bin/tool.sh", "#!/bin/sh\necho hi\n")
		require.NoError(t, os.Chmod(filepath.Join(ws, "bin/tool.sh"), 0o755))
		write(t, ws, "bin/lose-exec.sh", "x\n")
		require.NoError(t, os.Chmod(filepath.Join(ws, "bin/lose-exec.sh"), 0o755))
		write(t, ws, "gain-exec.sh", "y\n")
		bin := make([]byte, 70000)
		for i := range bin {
			bin[i] = byte(i * 7)
		}
		require.NoError(t, os.WriteFile(filepath.Join(ws, "blob.bin"), bin, 0o644))
		require.NoError(t, os.Symlink("a/b/c/deep.txt", filepath.Join(ws, "link")))
		require.NoError(t, os.Symlink("../dangling", filepath.Join(ws, "dangling-link")))
		write(t, ws, "name with spaces & 'quotes' $(x).txt", "odd\n")
		write(t, ws, "ünïcødé/ファイル.txt", "utf8\n")
		before := tree(t, ws)

		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "before the change", false)
		require.NoError(t, err)
		require.Len(t, cp.ID, checkpoint.IDLen)
		assert.Equal(t, "before the change", cp.Label)
		assert.WithinDuration(t, time.Now(), cp.Created, time.Minute)

		write(t, ws, "modify.txt", "after\n")
		require.NoError(t, os.Remove(filepath.Join(ws, "delete.txt")))
		require.NoError(t, os.Rename(filepath.Join(ws, "rename-from.txt"), filepath.Join(ws, "rename-to.txt")))
		write(t, ws, "created.txt", "new\n")
		write(t, ws, "created-empty", "")
		write(t, ws, "empty-later-filled", "now full\n")
		write(t, ws, "new/dir/tree/file.txt", "new\n")
		require.NoError(t, os.RemoveAll(filepath.Join(ws, "a")))
		require.NoError(t, os.Chmod(filepath.Join(ws, "bin/lose-exec.sh"), 0o644))
		require.NoError(t, os.Chmod(filepath.Join(ws, "gain-exec.sh"), 0o755))
		bin[100] ^= 0xff
		require.NoError(t, os.WriteFile(filepath.Join(ws, "blob.bin"), bin, 0o644))
		require.NoError(t, os.Remove(filepath.Join(ws, "link")))
		write(t, ws, "link", "now a file\n")
		require.NoError(t, os.Remove(filepath.Join(ws, "dangling-link")))
		require.NoError(t, os.Symlink("elsewhere", filepath.Join(ws, "dangling-link")))

		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, before, tree(t, ws), "the workspace is exactly as it was at the checkpoint")
		assert.Equal(t, cp.ID, rep.RestoredTo)
		assert.ElementsMatch(t, []string{"created.txt", "created-empty", "new/dir/tree/file.txt", "rename-to.txt"}, rep.Deleted)
		assert.ElementsMatch(t, []string{"delete.txt", "rename-from.txt", "a/b/c/deep.txt"}, rep.Created)
		assert.ElementsMatch(t, []string{"modify.txt", "bin/lose-exec.sh", "gain-exec.sh", "blob.bin", "link", "dangling-link", "empty-later-filled"}, rep.Modified)
		assert.Equal(t, len(rep.Created)+len(rep.Modified)+len(rep.Deleted), rep.FilesChanged)
		_, err = os.Stat(filepath.Join(ws, "new"))
		assert.True(t, os.IsNotExist(err), "directories emptied by the restore are removed")

		// A second restore has nothing left to do.
		rep, err = s.Restore(ctx(t), "")
		require.NoError(t, err)
		assert.Zero(t, rep.FilesChanged, "restoring the same checkpoint twice changes nothing: %+v", rep)
	})
}

func TestUserRepositoryUntouched(t *testing.T) {
	fixture.LookPath(t, "git")
	each(t, func(t *testing.T, im impl, ws, dir string) {
		run(t, ws, "git", "init", "-q")
		write(t, ws, "src/main.go", "package main\n")
		write(t, ws, ".gitignore", "*.log\n")
		run(t, ws, "git", "add", "-A")
		run(t, ws, "git", "commit", "-q", "-m", "first")
		write(t, ws, ".git/hooks/post-checkout", "#!/bin/sh\ntouch HOOK-RAN\n")
		require.NoError(t, os.Chmod(filepath.Join(ws, ".git/hooks/post-checkout"), 0o755))
		write(t, ws, "src/main.go", "package main // edited, not staged\n")
		write(t, ws, "staged.txt", "staged\n")
		run(t, ws, "git", "add", "staged.txt")
		gitBefore := dirHash(t, filepath.Join(ws, ".git"))

		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		write(t, ws, "src/main.go", "broken\n")
		write(t, ws, "src/extra.go", "x\n")
		write(t, ws, "debug.log", "ignored by the user's .gitignore\n")
		_, err = s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)

		assert.Equal(t, gitBefore, dirHash(t, filepath.Join(ws, ".git")), "the user's .git (HEAD, index, refs, config, hooks) is byte-identical")
		assert.NoFileExists(t, filepath.Join(ws, "HOOK-RAN"), "no hook of the user's ran")
		assert.FileExists(t, filepath.Join(ws, "debug.log"), "a file the user's .gitignore ignores is left alone")
		b, _ := os.ReadFile(filepath.Join(ws, "src/main.go"))
		assert.Equal(t, "package main // edited, not staged\n", string(b))
		assert.NoFileExists(t, filepath.Join(ws, "src/extra.go"))
		status := run(t, ws, "git", "status", "--porcelain")
		assert.Equal(t, " M src/main.go\nA  staged.txt\n", status, "git sees the same state as before")
	})
}

func TestNothingAddedToWorkspace(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "x\n")
		before := tree(t, ws)
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		_, err := s.Create(ctx(t), "x", false)
		require.NoError(t, err)
		_, err = s.List(ctx(t))
		require.NoError(t, err)
		_, err = s.Restore(ctx(t), "")
		require.NoError(t, err)
		assert.Equal(t, before, tree(t, ws), "checkpoints write nothing into the workspace")
	})
}

func TestIgnoredPathsUntouched(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "app.js", "v1\n")
		write(t, ws, "node_modules/dep/index.js", "dep v1\n")
		write(t, ws, ".venv/bin/python", "py\n")
		write(t, ws, "build/out.o", "obj\n")
		write(t, ws, "pkg/__pycache__/m.pyc", "pyc\n")
		write(t, ws, "data/big.csv", "user-ignored\n")
		write(t, ws, ".gitignore", "data/\n")
		write(t, ws, "custom/skip.me", "caller-ignored\n")
		write(t, ws, ".ssh/id_ed25519", "secret\n")
		write(t, ws, ".aws/credentials", "secret\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, Ignores: []string{"*.me"}})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)

		write(t, ws, "app.js", "v2\n")
		write(t, ws, "node_modules/dep/index.js", "dep v2\n")
		write(t, ws, "node_modules/new/index.js", "added since\n")
		write(t, ws, "build/new.o", "added since\n")
		write(t, ws, "data/more.csv", "added since\n")
		write(t, ws, "custom/new.me", "added since\n")
		write(t, ws, ".ssh/known_hosts", "added since\n")
		ignoredBefore := tree(t, ws, "app.js")

		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"app.js"}, rep.Modified)
		assert.Empty(t, rep.Deleted, "nothing ignored is deleted")
		assert.Equal(t, ignoredBefore, tree(t, ws, "app.js"), "node_modules, build, venv, caches, user- and caller-ignored paths and .ssh are untouched")
	})
}

func TestNeverTrackedWinsOverGitignore(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, ".gitignore", "!.ssh\n!.ssh/\n!node_modules/\n")
		write(t, ws, ".ssh/id_rsa", "secret\n")
		write(t, ws, "node_modules/x.js", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		require.NoError(t, os.RemoveAll(filepath.Join(ws, ".ssh")))
		require.NoError(t, os.RemoveAll(filepath.Join(ws, "node_modules")))
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.NoDirExists(t, filepath.Join(ws, ".ssh"), ".ssh is never snapshotted, even when .gitignore un-ignores it")
		assert.Equal(t, []string{"node_modules/x.js"}, rep.Created, "the workspace's .gitignore may bring a default-ignored directory back")
	})
}

func TestRestoreOlderRemovesFilesALaterCheckpointCaptured(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "base.txt", "base\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp1, err := s.Create(ctx(t), "one", false)
		require.NoError(t, err)
		write(t, ws, "later.txt", "later\n")
		write(t, ws, "later/dir/f.txt", "later\n")
		cp2, err := s.Create(ctx(t), "two", false)
		require.NoError(t, err)

		rep, err := s.Restore(ctx(t), cp1.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"later.txt", "later/dir/f.txt"}, rep.Deleted)
		assert.NoFileExists(t, filepath.Join(ws, "later.txt"))
		assert.NoDirExists(t, filepath.Join(ws, "later"))

		rep, err = s.Restore(ctx(t), cp2.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"later.txt", "later/dir/f.txt"}, rep.Created)
		assert.FileExists(t, filepath.Join(ws, "later/dir/f.txt"))

		list, err := s.List(ctx(t))
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, []string{cp2.ID, cp1.ID}, []string{list[0].ID, list[1].ID}, "newest first")
		assert.Equal(t, "two", list[0].Label)
	})
}

func TestHostileIDs(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		out := filepath.Join(t.TempDir(), "x")
		before := tree(t, ws)
		for _, id := range []string{
			"--output=" + out, "-o" + out, "HEAD", "HEAD~1", "master", "refs/checkpoints/manual",
			"../../x", "/etc/passwd", cp.ID + "^{tree}", cp.ID + " --help", strings.Repeat("a", 41),
			"abc", "ｆｆｆｆ", "١٢٣٤٥", "abcd\n", "abcd\x00", "$(touch " + out + ")", "'", "@{-1}",
		} {
			_, err := s.Restore(ctx(t), id)
			var ie *checkpoint.IDError
			assert.ErrorAs(t, err, &ie, "id %q is refused as malformed", id)
		}
		_, err = s.Restore(ctx(t), strings.Repeat("0", 40))
		assert.ErrorIs(t, err, checkpoint.ErrNotFound, "a well-formed id that names no checkpoint")
		_, err = s.Restore(ctx(t), "deadbeef")
		assert.ErrorIs(t, err, checkpoint.ErrNotFound)
		assert.NoFileExists(t, out, "nothing was written by an id")
		assert.Equal(t, before, tree(t, ws))

		// Abbreviated, full-length-prefix and upper-case forms resolve.
		_, err = s.Restore(ctx(t), strings.ToUpper(cp.ID[:6]))
		assert.NoError(t, err)
	})
}

func TestLabels(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		for _, bad := range []string{
			strings.Repeat("x", checkpoint.MaxLabelLen+1), "a\nb", "a\rb", "tab\there", "nul\x00", "esc\x1b[31m",
			"bell\a", "rtl\u202egnp.exe", "iso\u2066x\u2069", "line\u2028sep", "\xff\xfe",
		} {
			_, err := s.Create(ctx(t), bad, false)
			var le *checkpoint.LabelError
			assert.ErrorAs(t, err, &le, "label %q is refused", bad)
		}
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, list, "a refused label creates nothing")
		for _, good := range []string{
			"", "déjà vu ✓ 🚀", `"; rm -rf ~; echo "`, "$(touch pwned) `id`", "-n", "--output=/x",
			strings.Repeat("é", checkpoint.MaxLabelLen), "%s %n %(refname)", "\\ backslash \\",
		} {
			cp, err := s.Create(ctx(t), good, false)
			require.NoError(t, err, "label %q", good)
			assert.Equal(t, good, cp.Label)
			list, err := s.List(ctx(t))
			require.NoError(t, err)
			assert.Equal(t, good, list[0].Label, "label %q survives the round trip", good)
		}
		_, err = os.Stat(filepath.Join(ws, "pwned"))
		assert.True(t, os.IsNotExist(err), "a label never runs")
		cp, err := s.Create(ctx(t), "  padded  ", false)
		require.NoError(t, err)
		assert.Equal(t, "padded", cp.Label, "surrounding spaces are trimmed")
	})
}

func TestRetention(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, Keep: 3})
		var ids []string
		for i := 0; i < 5; i++ {
			write(t, ws, "f.txt", fmt.Sprint(i))
			cp, err := s.Create(ctx(t), fmt.Sprint("manual ", i), false)
			require.NoError(t, err)
			ids = append(ids, cp.ID)
		}
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, []string{ids[4], ids[3], ids[2]}, idsOf(list), "the oldest are dropped")
		_, err = s.Restore(ctx(t), ids[0])
		assert.ErrorIs(t, err, checkpoint.ErrNotFound, "a dropped checkpoint is gone")

		// Automatic checkpoints go before manual ones.
		write(t, ws, "f.txt", "auto 1")
		a1, err := s.Create(ctx(t), "auto", true)
		require.NoError(t, err)
		write(t, ws, "f.txt", "auto 2")
		a2, err := s.Create(ctx(t), "auto", true)
		require.NoError(t, err)
		list, err = s.List(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, []string{a2.ID, ids[4], ids[3]}, idsOf(list), "the older automatic one went first, then the oldest manual one")
		assert.True(t, list[0].Auto)
		_ = a1

		// Retention keeps what the remaining checkpoints need.
		_, err = s.Restore(ctx(t), ids[3])
		require.NoError(t, err)
		b, _ := os.ReadFile(filepath.Join(ws, "f.txt"))
		assert.Equal(t, "3", string(b))
	})
}

func idsOf(list []checkpoint.Checkpoint) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func TestAutoSkipsUnchanged(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "auto", true)
		require.NoError(t, err)
		require.NotNil(t, cp)
		again, err := s.Create(ctx(t), "auto", true)
		require.NoError(t, err)
		assert.Nil(t, again, "no automatic checkpoint of an unchanged workspace")
		write(t, ws, "f.txt", "y\n")
		again, err = s.Create(ctx(t), "auto", true)
		require.NoError(t, err)
		assert.NotNil(t, again)
		manual, err := s.Create(ctx(t), "asked for", false)
		require.NoError(t, err)
		assert.NotNil(t, manual, "a manual checkpoint is taken even when nothing changed")
	})
}

func TestReconnect(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "kept", false)
		require.NoError(t, err)
		write(t, ws, "f.txt", "changed\n")

		// Another store (a new session) on the same workspace, reached
		// through a symlink: the same checkpoints.
		link := filepath.Join(t.TempDir(), "ws-link")
		require.NoError(t, os.Symlink(ws, link))
		s2 := im.open(t, checkpoint.Options{Workspace: link, Dir: dir})
		list, err := s2.List(ctx(t))
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, cp.ID, list[0].ID)
		assert.Equal(t, "kept", list[0].Label)
		_, err = s2.Restore(ctx(t), "")
		require.NoError(t, err)
		b, _ := os.ReadFile(filepath.Join(ws, "f.txt"))
		assert.Equal(t, "x\n", string(b))
	})
}

func TestPathsScope(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "src/a.go", "a\n")
		write(t, ws, "src/sub/b.go", "b\n")
		write(t, ws, "docs/readme.md", "docs\n")
		write(t, ws, "other.txt", "other\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, Paths: []string{"src", ws + "/docs/readme.md"}})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		write(t, ws, "src/a.go", "changed\n")
		write(t, ws, "src/new.go", "new\n")
		write(t, ws, "docs/readme.md", "changed\n")
		write(t, ws, "docs/new.md", "outside the scope\n")
		write(t, ws, "other.txt", "outside the scope\n")
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"src/a.go", "docs/readme.md"}, rep.Modified)
		assert.Equal(t, []string{"src/new.go"}, rep.Deleted)
		b, _ := os.ReadFile(filepath.Join(ws, "other.txt"))
		assert.Equal(t, "outside the scope\n", string(b), "files outside Paths are not touched")
		assert.FileExists(t, filepath.Join(ws, "docs/new.md"))
	})
}

func TestLargeFilesLeftOut(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "small.txt", "small\n")
		write(t, ws, "big/huge.bin", strings.Repeat("x", 5000))
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, MaxFileSize: 1000})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		assert.Equal(t, []string{"big/huge.bin"}, cp.TooLarge)
		assert.Equal(t, int64(1000), cp.MaxFileSize)
		write(t, ws, "big/huge.bin", strings.Repeat("y", 6000))
		write(t, ws, "small.txt", "changed\n")
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"small.txt"}, rep.Modified)
		b, _ := os.ReadFile(filepath.Join(ws, "big/huge.bin"))
		assert.Equal(t, 6000, len(b), "a file too large to snapshot is left alone")
	})
}

func TestNestedRepositoryLeftAlone(t *testing.T) {
	fixture.LookPath(t, "git")
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "top.txt", "top\n")
		write(t, ws, "vendor/lib/code.c", "int x;\n")
		run(t, filepath.Join(ws, "vendor/lib"), "git", "init", "-q") // no commit yet: git add would fail on it
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		write(t, ws, "vendor/lib/code.c", "int y;\n")
		write(t, ws, "vendor/lib/new.c", "new\n")
		write(t, ws, "top.txt", "changed\n")
		nested := tree(t, filepath.Join(ws, "vendor/lib"))
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"top.txt"}, rep.Modified)
		assert.Empty(t, rep.Deleted)
		assert.Equal(t, nested, tree(t, filepath.Join(ws, "vendor/lib")), "a nested repository is its own undo")
	})
}

func TestRestoreErrors(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		_, err := s.Restore(ctx(t), "")
		assert.ErrorIs(t, err, checkpoint.ErrNoCheckpoints)
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, list)

		gone := im.open(t, checkpoint.Options{Workspace: filepath.Join(ws, "missing"), Dir: dir})
		_, err = gone.Create(ctx(t), "", false)
		assert.ErrorContains(t, err, "missing")
	})
}

func TestOptionsValidated(t *testing.T) {
	ws := t.TempDir()
	for name, o := range map[string]checkpoint.Options{
		"no workspace":     {},
		"relative":         {Workspace: "work/space"},
		"root":             {Workspace: "/"},
		"root unclean":     {Workspace: "/a/.."},
		"nul":              {Workspace: ws + "\x00x"},
		"newline":          {Workspace: ws + "\nx"},
		"path escapes":     {Workspace: ws, Paths: []string{"../etc"}},
		"path abs outside": {Workspace: ws, Paths: []string{"/etc"}},
		"path into .git":   {Workspace: ws, Paths: []string{"repo/.git/hooks"}},
		"path newline":     {Workspace: ws, Paths: []string{"a\nb"}},
		"ignore newline":   {Workspace: ws, Ignores: []string{"*.log\n!secret"}},
		"ignore nul":       {Workspace: ws, Ignores: []string{"a\x00"}},
		"keep negative":    {Workspace: ws, Keep: -1},
		"keep huge":        {Workspace: ws, Keep: checkpoint.MaxKeep + 1},
		"too many paths":   {Workspace: ws, Paths: make([]string, checkpoint.MaxPaths+1)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := checkpoint.NewLocal(&o)
			var oe *checkpoint.OptionError
			assert.ErrorAs(t, err, &oe)
			_, err = checkpoint.NewRemote(newShRunner(t), &o)
			assert.ErrorAs(t, err, &oe)
		})
	}
}

func TestWorkspaceHoldingTheCheckpointDir(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, _ string) {
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: filepath.Join(ws, ".cache", "cp")})
		_, err := s.Create(ctx(t), "", false)
		assert.ErrorContains(t, err, "workspace")
		assert.NoDirExists(t, filepath.Join(ws, ".cache", "cp", "objects"))
	})
}

func TestRemoteWithoutGit(t *testing.T) {
	ws := t.TempDir()
	write(t, ws, "f.txt", "x\n")
	// A PATH with sh and nothing else, as on a host without git.
	bin := t.TempDir()
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	require.NoError(t, os.Symlink(sh, filepath.Join(bin, "sh")))
	s, err := checkpoint.NewRemote(newShRunner(t, "PATH="+bin), &checkpoint.Options{Workspace: ws, Dir: t.TempDir()})
	require.NoError(t, err)
	_, err = s.Create(ctx(t), "", false)
	assert.ErrorIs(t, err, checkpoint.ErrNoGit)
	assert.ErrorContains(t, err, "install git")
	_, err = s.List(ctx(t))
	assert.ErrorIs(t, err, checkpoint.ErrNoGit)
	_, err = s.Restore(ctx(t), "")
	assert.ErrorIs(t, err, checkpoint.ErrNoGit)
}

// The two implementations agree on what a workspace's snapshot is.
func TestSameTreeBothWays(t *testing.T) {
	fixture.LookPath(t, "git")
	ws := t.TempDir()
	write(t, ws, "a.txt", "a\n")
	write(t, ws, "x/y/z.sh", "z\n")
	require.NoError(t, os.Chmod(filepath.Join(ws, "x/y/z.sh"), 0o755))
	require.NoError(t, os.Symlink("a.txt", filepath.Join(ws, "l")))
	write(t, ws, ".gitignore", "*.tmp\n/only-top/\n!keep.tmp\n")
	write(t, ws, "t.tmp", "ignored\n")
	write(t, ws, "keep.tmp", "kept\n")
	write(t, ws, "only-top/f", "ignored\n")
	write(t, ws, "sub/only-top/f", "kept\n")
	write(t, ws, "sub/.gitignore", "*.sub\n")
	write(t, ws, "sub/x.sub", "ignored\n")
	write(t, ws, "x.sub", "kept\n")
	write(t, ws, "node_modules/m.js", "ignored\n")
	write(t, ws, "dist/app.js", "caller brings it back\n")
	write(t, ws, "lib/.git", "gitdir: elsewhere\n")
	write(t, ws, "lib/code.c", "nested repository\n")
	opts := checkpoint.Options{Workspace: ws, Ignores: []string{"!dist/", "*.c"}}

	lo := opts
	lo.Dir = t.TempDir()
	l, err := checkpoint.NewLocal(&lo)
	require.NoError(t, err)
	lcp, err := l.Create(ctx(t), "same", false)
	require.NoError(t, err)

	ro := opts
	ro.Dir = t.TempDir()
	r, err := checkpoint.NewRemote(newShRunner(t), &ro)
	require.NoError(t, err)
	rcp, err := r.Create(ctx(t), "same", false)
	require.NoError(t, err)

	key := strings.TrimSpace(run(t, ws, "sh", "-c", `printf %s "$1" | git hash-object --stdin`, "sh", ws))
	ltree := strings.TrimSpace(run(t, ws, "git", "--git-dir="+l.Dir(), "ls-tree", "-r", lcp.ID))
	rtree := strings.TrimSpace(run(t, ws, "git", "--git-dir="+filepath.Join(ro.Dir, key), "ls-tree", "-r", rcp.ID))
	assert.Equal(t, rtree, ltree, "go-git and git snapshot the same files")
	assert.Contains(t, ltree, "dist/app.js")
	assert.Contains(t, ltree, "keep.tmp")
	assert.Contains(t, ltree, "sub/only-top/f")
	assert.NotContains(t, ltree, "lib/")
	assert.NotContains(t, ltree, "node_modules")
}

func TestConcurrentStoresSerialize(t *testing.T) {
	ws, dir := t.TempDir(), t.TempDir()
	write(t, ws, "f.txt", "x\n")
	var stores []checkpoint.Store
	for i := 0; i < 4; i++ {
		s, err := checkpoint.NewLocal(&checkpoint.Options{Workspace: ws, Dir: dir})
		require.NoError(t, err)
		stores = append(stores, s)
	}
	errs := make(chan error, 4*5)
	for i, s := range stores {
		go func() {
			for j := 0; j < 5; j++ {
				_, err := s.Create(context.Background(), fmt.Sprint(i, j), false)
				errs <- err
			}
		}()
	}
	for i := 0; i < 4*5; i++ {
		require.NoError(t, <-errs)
	}
	list, err := stores[0].List(ctx(t))
	require.NoError(t, err)
	assert.Len(t, list, 20, "no checkpoint lost to a race")
}

func TestErrorsAreClear(t *testing.T) {
	for _, err := range []error{
		checkpoint.ErrNoGit, checkpoint.ErrNotFound, checkpoint.ErrNoCheckpoints, checkpoint.ErrBusy,
		&checkpoint.IDError{ID: "--output=/x", Reason: "r"}, &checkpoint.LabelError{Reason: "r"},
		&checkpoint.OptionError{Field: "paths", Reason: "r"},
	} {
		assert.True(t, strings.HasPrefix(err.Error(), "checkpoint: "), err.Error())
		assert.False(t, errors.Is(err, context.Canceled))
	}
}

// A change that keeps a file's size and mtime is still seen (its ctime
// moved), also when the stat cache vouches for the old content.
func TestSameSizeSameMtimeChange(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f.txt", "AAAA")
		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(filepath.Join(ws, "f.txt"), old, old))
		time.Sleep(3100 * time.Millisecond) // out of the racy window: the cache will vouch
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp1, err := s.Create(ctx(t), "", true)
		require.NoError(t, err)
		write(t, ws, "f.txt", "BBBB")
		require.NoError(t, os.Chtimes(filepath.Join(ws, "f.txt"), old, old))
		cp2, err := s.Create(ctx(t), "", true)
		require.NoError(t, err)
		require.NotNil(t, cp2, "the change is seen")
		_, err = s.Restore(ctx(t), cp1.ID)
		require.NoError(t, err)
		b, _ := os.ReadFile(filepath.Join(ws, "f.txt"))
		assert.Equal(t, "AAAA", string(b))
	})
}

func TestRetentionPrunesLocalObjects(t *testing.T) {
	fixture.LookPath(t, "git")
	ws, dir := t.TempDir(), t.TempDir()
	l, err := checkpoint.NewLocal(&checkpoint.Options{Workspace: ws, Dir: dir, Keep: 1})
	require.NoError(t, err)
	write(t, ws, "f.txt", "unique content of the first checkpoint\n")
	first := strings.TrimSpace(run(t, ws, "git", "hash-object", "f.txt"))
	_, err = l.Create(ctx(t), "", false)
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		write(t, ws, "f.txt", fmt.Sprint("version ", i))
		_, err = l.Create(ctx(t), "", false)
		require.NoError(t, err)
	}
	last := strings.TrimSpace(run(t, ws, "git", "hash-object", "f.txt"))
	cmd := exec.Command("git", "--git-dir="+l.Dir(), "cat-file", "-e", first)
	assert.Error(t, cmd.Run(), "the blob only dropped checkpoints held is pruned")
	run(t, ws, "git", "--git-dir="+l.Dir(), "cat-file", "-e", last)
	run(t, ws, "git", "--git-dir="+l.Dir(), "fsck", "--no-dangling")
}

func TestScopePathsThatDoNotExist(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "src/a", "one\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, Paths: []string{"src", "docs", "gone/deeper"}})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		write(t, ws, "src/a", "two\n")
		write(t, ws, "docs/new", "new\n")
		cp2, err := s.Create(ctx(t), "", true)
		require.NoError(t, err)
		require.NotNil(t, cp2, "a missing scope path does not hide changes in the others")
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"src/a"}, rep.Modified)
		assert.Equal(t, []string{"docs/new"}, rep.Deleted)
		require.NoError(t, os.RemoveAll(filepath.Join(ws, "src")))
		rep, err = s.Restore(ctx(t), cp2.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"src/a", "docs/new"}, rep.Created)
	})
}

func TestSameCheckpointTwice(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		a, err := s.Create(ctx(t), "same", false)
		require.NoError(t, err)
		b, err := s.Create(ctx(t), "same", false)
		require.NoError(t, err)
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Len(t, list, 2)
		_, err = s.Restore(ctx(t), a.ID)
		assert.NoError(t, err, "identical checkpoints (possibly one commit) restore by id")
		_, err = s.Restore(ctx(t), b.ID)
		assert.NoError(t, err)
	})
}

// The workspace's .gitattributes (line endings, filters) do not change
// what is stored or restored: files come back byte for byte.
func TestAttributesIgnored(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, ".gitattributes", "* text eol=crlf\n*.bin filter=lfs diff=lfs merge=lfs -text\n*.id ident\n")
		write(t, ws, "lf.txt", "a\nb\n")
		write(t, ws, "crlf.txt", "a\r\nb\r\n")
		write(t, ws, "mixed.txt", "a\r\nb\nc\r")
		write(t, ws, "x.bin", "not an lfs pointer\n")
		write(t, ws, "f.id", "$Id$\n")
		before := tree(t, ws)
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		for _, f := range []string{"lf.txt", "crlf.txt", "mixed.txt", "x.bin", "f.id"} {
			require.NoError(t, os.Remove(filepath.Join(ws, f)))
		}
		_, err = s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, before, tree(t, ws))
	})
}

// A shadow repository is in a directory the agent can write: a checkpoint
// planted there still cannot make a restore write credentials.
func TestTamperedCheckpointCannotWriteCredentials(t *testing.T) {
	fixture.LookPath(t, "git")
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "f", "x\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		cp, err := s.Create(ctx(t), "", false)
		require.NoError(t, err)
		shadow := ""
		if l, ok := s.(*checkpoint.Local); ok {
			shadow = l.Dir()
		} else {
			key := strings.TrimSpace(run(t, ws, "sh", "-c", `printf %s "$1" | git hash-object --stdin`, "sh", ws))
			shadow = filepath.Join(dir, key)
		}
		blob := strings.TrimSpace(run(t, ws, "sh", "-c", `printf 'ssh-ed25519 AAAA attacker\n' | GIT_DIR="$1" git hash-object -w --stdin`, "sh", shadow))
		idx := filepath.Join(t.TempDir(), "i")
		gi := func(args ...string) string {
			return strings.TrimSpace(run(t, ws, append([]string{"env", "GIT_DIR=" + shadow, "GIT_INDEX_FILE=" + idx, "git"}, args...)...))
		}
		gi("read-tree", cp.ID)
		gi("update-index", "--add", "--cacheinfo", "100644,"+blob+",.ssh/authorized_keys")
		gi("update-index", "--add", "--cacheinfo", "100644,"+blob+",sub/.aws/credentials")
		gi("update-index", "--add", "--cacheinfo", "100644,"+blob+",planted")
		tr := gi("write-tree")
		commit := strings.TrimSpace(run(t, ws, "sh", "-c", `echo planted | GIT_DIR="$1" git commit-tree "$2"`, "sh", shadow, tr))
		gi("update-ref", fmt.Sprintf("refs/checkpoints/manual/%019d", time.Now().Add(time.Hour).UnixNano()), commit)

		rep, err := s.Restore(ctx(t), commit[:12])
		require.NoError(t, err)
		assert.Equal(t, []string{"planted"}, rep.Created)
		assert.NoDirExists(t, filepath.Join(ws, ".ssh"))
		assert.NoDirExists(t, filepath.Join(ws, "sub"))
	})
}

// TestChanges: Snapshot then Changes report what happened in between, by
// both implementations alike: content, executable bit, symlink target and
// file type changes are modifications; ignored and out-of-scope paths do
// not count; the state token chains.
func TestChanges(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "src/a.go", "a\n")
		write(t, ws, "src/keep.go", "keep\n")
		write(t, ws, "run.sh", "echo\n")
		write(t, ws, "gone.txt", "gone\n")
		write(t, ws, "dir/f", "f\n")
		require.NoError(t, os.Symlink("src/a.go", filepath.Join(ws, "link")))
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		state, err := s.Snapshot(ctx(t))
		require.NoError(t, err)

		ch, err := s.Changes(ctx(t), state)
		require.NoError(t, err)
		assert.Empty(t, ch.Created, "nothing happened")
		assert.Empty(t, ch.Modified)
		assert.Empty(t, ch.Deleted)
		assert.Equal(t, state, ch.State, "the same workspace is the same state")

		write(t, ws, "src/a.go", "changed\n")
		write(t, ws, "src/new dir/n.go", "new\n")
		require.NoError(t, os.Chmod(filepath.Join(ws, "run.sh"), 0o755))
		require.NoError(t, os.Remove(filepath.Join(ws, "gone.txt")))
		require.NoError(t, os.Remove(filepath.Join(ws, "link")))
		require.NoError(t, os.Symlink("src/keep.go", filepath.Join(ws, "link")))
		require.NoError(t, os.RemoveAll(filepath.Join(ws, "dir")))
		write(t, ws, "dir", "a file where a directory was\n")
		write(t, ws, "node_modules/x/index.js", "ignored\n")
		ch, err = s.Changes(ctx(t), state)
		require.NoError(t, err)
		assert.Equal(t, []string{"dir", "src/new dir/n.go"}, ch.Created)
		assert.Equal(t, []string{"link", "run.sh", "src/a.go"}, ch.Modified)
		assert.Equal(t, []string{"dir/f", "gone.txt"}, ch.Deleted)
		assert.NotEqual(t, state, ch.State)

		// The token chains: since the last call, only what came after.
		write(t, ws, "later.txt", "later\n")
		ch2, err := s.Changes(ctx(t), ch.State)
		require.NoError(t, err)
		assert.Equal(t, []string{"later.txt"}, ch2.Created)
		assert.Empty(t, ch2.Modified)
		assert.Empty(t, ch2.Deleted)

		// An older state is read back from the shadow repository.
		ch3, err := s.Changes(ctx(t), state)
		require.NoError(t, err)
		assert.Equal(t, []string{"dir", "later.txt", "src/new dir/n.go"}, ch3.Created)

		// A fresh store (another session) reads the state too.
		ch4, err := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir}).Changes(ctx(t), ch2.State)
		require.NoError(t, err)
		assert.Empty(t, ch4.Created)
		assert.Empty(t, ch4.Modified)
		assert.Empty(t, ch4.Deleted)

		// Snapshots are not checkpoints.
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}

// TestChangesScoped: with Paths, changes outside them do not count.
func TestChangesScoped(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "src/a.go", "a\n")
		write(t, ws, "other.txt", "o\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir, Paths: []string{"src"}})
		state, err := s.Snapshot(ctx(t))
		require.NoError(t, err)
		write(t, ws, "src/a.go", "changed\n")
		write(t, ws, "other.txt", "changed\n")
		write(t, ws, "new.txt", "new\n")
		ch, err := s.Changes(ctx(t), state)
		require.NoError(t, err)
		assert.Equal(t, []string{"src/a.go"}, ch.Modified)
		assert.Empty(t, ch.Created)
	})
}

// TestChangesHostileState: a state token is checked before it reaches git.
func TestChangesHostileState(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		out := filepath.Join(t.TempDir(), "x")
		for _, bad := range []string{"", "--output=" + out, "HEAD", "0123", strings.Repeat("g", 40), strings.Repeat("0", 41), "refs/checkpoints/x", strings.Repeat("a", 39) + "\n"} {
			_, err := s.Changes(ctx(t), bad)
			require.Error(t, err, "%q", bad)
			assert.Contains(t, err.Error(), "not a workspace state", "%q", bad)
		}
		// Well-formed but unknown: a clear error too.
		_, err := s.Changes(ctx(t), strings.Repeat("ab", 20))
		require.Error(t, err)
		assert.NoFileExists(t, out)
	})
}

// TestCommitState: a checkpoint of an earlier Snapshot holds the workspace
// as it was then, and an automatic one is skipped when it equals the latest.
func TestCommitState(t *testing.T) {
	each(t, func(t *testing.T, im impl, ws, dir string) {
		write(t, ws, "a.txt", "then\n")
		s := im.open(t, checkpoint.Options{Workspace: ws, Dir: dir})
		state, err := s.Snapshot(ctx(t))
		require.NoError(t, err)
		write(t, ws, "a.txt", "now\n")
		write(t, ws, "b.txt", "now\n")
		cp, err := s.Commit(ctx(t), state, "from a state", false)
		require.NoError(t, err)
		require.NotNil(t, cp)
		assert.Equal(t, "from a state", cp.Label)
		rep, err := s.Restore(ctx(t), cp.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"a.txt"}, rep.Modified)
		assert.Equal(t, []string{"b.txt"}, rep.Deleted)
		b, _ := os.ReadFile(filepath.Join(ws, "a.txt"))
		assert.Equal(t, "then\n", string(b))

		again, err := s.Commit(ctx(t), state, "same", true)
		require.NoError(t, err)
		assert.Nil(t, again, "an automatic checkpoint equal to the latest is skipped")
		list, err := s.List(ctx(t))
		require.NoError(t, err)
		assert.Len(t, list, 1)

		for _, bad := range []string{"--output=x", "HEAD", ""} {
			_, err := s.Commit(ctx(t), bad, "", false)
			assert.ErrorContains(t, err, "not a workspace state", "%q", bad)
		}
		_, err = s.Commit(ctx(t), strings.Repeat("ab", 20), "", false)
		assert.ErrorContains(t, err, "gone")
		_, err = s.Commit(ctx(t), state, "bad\x00label", false)
		var le *checkpoint.LabelError
		assert.ErrorAs(t, err, &le)
	})
}
