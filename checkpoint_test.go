package execkit_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/checkpoint"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/local"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Checkpoints of a session's workspace: undo for files.
func ExampleSession_Checkpoint() {
	ctx := context.Background()
	ws, _ := os.MkdirTemp("", "workspace")
	defer os.RemoveAll(ws)
	cache, _ := os.MkdirTemp("", "checkpoints")
	defer os.RemoveAll(cache)

	s, err := execkit.OpenLocal(ctx, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: cache})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.Exec(ctx, "echo 'package main' > main.go", nil)
	cp, err := s.Checkpoint(ctx, "before the refactor")
	if err != nil {
		panic(err)
	}
	s.Exec(ctx, "echo broken > main.go && touch scratch.txt", nil)

	// Restore is destructive: main.go is overwritten, scratch.txt deleted.
	rep, err := s.Restore(ctx, cp.ID)
	if err != nil {
		panic(err)
	}
	res, _ := s.Exec(ctx, "cat main.go; ls", nil)
	fmt.Printf("modified=%v deleted=%v\n%s", rep.Modified, rep.Deleted, res.Stdout)
	// Output:
	// modified=[main.go] deleted=[scratch.txt]
	// package main
	// main.go
}

type events struct {
	mu sync.Mutex
	e  []execkit.Event
}

func (ev *events) observe(e *execkit.Event) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.e = append(ev.e, *e)
}

func (ev *events) of(typ string) []execkit.Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []execkit.Event
	for _, e := range ev.e {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func cpctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func openCP(t testing.TB, tr transport.Transport, cfg *execkit.Config, opts ...execkit.Option) *execkit.Session {
	t.Helper()
	var (
		s   *execkit.Session
		err error
	)
	if tr == nil {
		s, err = execkit.OpenLocal(cpctx(t), cfg, opts...)
	} else {
		s, err = execkit.Open(cpctx(t), tr, cfg, opts...)
	}
	require.NoError(t, err, "opening a session with a workspace")
	t.Cleanup(func() { s.Close() })
	return s
}

func mustExec(t testing.TB, s *execkit.Session, cmd string) *execkit.Result {
	t.Helper()
	res, err := s.Exec(cpctx(t), cmd, nil)
	require.NoError(t, err, cmd)
	require.Equal(t, 0, res.ExitCode, "%s: %s", cmd, res.Stderr)
	return res
}

func TestCheckpointsNeedAWorkspace(t *testing.T) {
	s := openCP(t, nil, &execkit.Config{})
	_, err := s.Checkpoint(cpctx(t), "x")
	assert.ErrorIs(t, err, execkit.ErrNoWorkspace)
	_, err = s.Checkpoints(cpctx(t))
	assert.ErrorIs(t, err, execkit.ErrNoWorkspace)
	_, err = s.Restore(cpctx(t), "")
	assert.ErrorIs(t, err, execkit.ErrNoWorkspace)

	_, err = execkit.OpenLocal(cpctx(t), &execkit.Config{Paths: []string{"src"}})
	assert.ErrorContains(t, err, "workspace", "paths without a workspace are refused")
	_, err = execkit.OpenLocal(cpctx(t), &execkit.Config{Workspace: "relative/dir"})
	var oe *checkpoint.OptionError
	assert.ErrorAs(t, err, &oe, "a bad workspace fails Open, before any shell starts")
}

func TestSessionCheckpointAndRestore(t *testing.T) {
	ws := t.TempDir()
	var ev events
	s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: t.TempDir()}, execkit.WithObserver(ev.observe))
	mustExec(t, s, "mkdir -p src && echo one > src/a.txt && printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s src/a.txt link")
	cp, err := s.Checkpoint(cpctx(t), "first")
	require.NoError(t, err)
	mustExec(t, s, "echo two > src/a.txt && rm run.sh link && mkdir -p new/deep && echo x > new/deep/f")

	list, err := s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, cp.ID, list[0].ID)

	rep, err := s.Restore(cpctx(t), cp.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"src/a.txt"}, rep.Modified)
	assert.ElementsMatch(t, []string{"link", "run.sh"}, rep.Created)
	assert.Equal(t, []string{"new/deep/f"}, rep.Deleted)
	res := mustExec(t, s, "cat src/a.txt; test -x run.sh && echo exec; readlink link; test -e new || echo no-new")
	assert.Equal(t, "one\nexec\nsrc/a.txt\nno-new\n", res.Stdout)

	cps := ev.of("checkpoint")
	require.Len(t, cps, 1)
	assert.Equal(t, `checkpoint `+cp.ID+` "first"`, cps[0].Command)
	rs := ev.of("restore")
	require.Len(t, rs, 1)
	assert.Equal(t, "restore "+cp.ID+": 4 files changed (2 created, 1 modified, 1 deleted)", rs[0].Command)
	assert.Equal(t, &execkit.CheckpointEvent{ID: cp.ID, Label: "first"}, cps[0].Checkpoint)
	assert.Equal(t, &execkit.CheckpointEvent{ID: cp.ID, Created: 2, Modified: 1, Deleted: 1}, rs[0].Checkpoint)

	_, err = s.Restore(cpctx(t), "--output=/x")
	var ie *checkpoint.IDError
	assert.ErrorAs(t, err, &ie)
	assert.NotEmpty(t, ev.of("restore")[1].Error, "a refused restore is an event too")
}

func TestAutoSnapshot(t *testing.T) {
	ws := t.TempDir()
	var ev events
	s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: t.TempDir(), AutoSnapshot: true}, execkit.WithObserver(ev.observe))
	mustExec(t, s, "echo precious > notes.txt")
	list, err := s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	require.Len(t, list, 1, "a checkpoint before the first command that may change files")

	for _, ro := range []string{"ls -la", "cat notes.txt | grep -c precious", "git status 2>/dev/null; true", "find . -name '*.txt'", "sed -n 1p notes.txt", "pwd; echo hi >/dev/null"} {
		mustExec(t, s, ro)
	}
	list, err = s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	assert.Len(t, list, 1, "read-only commands take no checkpoint")

	// A checkpoint is taken before a command: this one holds notes.txt as
	// the first command left it.
	mustExec(t, s, "echo 'oops, overwritten' > notes.txt")
	list, err = s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.True(t, list[0].Auto)
	assert.Equal(t, "before: echo 'oops, overwritten' > notes.txt", list[0].Label)

	// Undo the last command: restore the latest checkpoint.
	rep, err := s.Restore(cpctx(t), "")
	require.NoError(t, err)
	assert.Equal(t, []string{"notes.txt"}, rep.Modified)
	assert.Equal(t, "precious\n", mustExec(t, s, "cat notes.txt").Stdout)

	// touch may change files but changes no content: nothing new to keep.
	mustExec(t, s, "touch notes.txt")
	mustExec(t, s, "touch notes.txt")
	list, err = s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	assert.Len(t, list, 2, "no checkpoint of a workspace equal to the latest checkpoint")

	cps := ev.of("checkpoint")
	require.Len(t, cps, 2)
	assert.Contains(t, cps[1].Command, "(auto)")
	assert.Equal(t, &execkit.CheckpointEvent{ID: list[0].ID, Label: list[0].Label, Auto: true}, cps[1].Checkpoint)
}

func TestAutoSnapshotLabelsAreRedacted(t *testing.T) {
	ws := t.TempDir()
	s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: t.TempDir(), AutoSnapshot: true, Secrets: []string{"hunter2-very-secret"}})
	mustExec(t, s, "echo hunter2-very-secret > pw.txt\necho more >> pw.txt")
	list, err := s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.NotContains(t, list[0].Label, "hunter2")
	assert.Equal(t, "before: echo [REDACTED] > pw.txt…", list[0].Label, "the first line, redacted, marked as cut")
}

func TestCheckpointsSurviveTheSession(t *testing.T) {
	ws, dir := t.TempDir(), t.TempDir()
	cfg := &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: dir}
	s, err := execkit.OpenLocal(cpctx(t), cfg)
	require.NoError(t, err)
	mustExec(t, s, "echo v1 > f")
	cp, err := s.Checkpoint(cpctx(t), "kept")
	require.NoError(t, err)
	mustExec(t, s, "echo v2 > f")
	require.NoError(t, s.Close())
	_, err = s.Checkpoints(cpctx(t))
	assert.ErrorIs(t, err, execkit.ErrSessionEnded)

	s2 := openCP(t, nil, cfg)
	list, err := s2.Checkpoints(cpctx(t))
	require.NoError(t, err)
	require.Len(t, list, 1, "a new session on the workspace finds its checkpoints")
	assert.Equal(t, cp.ID, list[0].ID)
	_, err = s2.Restore(cpctx(t), "")
	require.NoError(t, err)
	assert.Equal(t, "v1\n", mustExec(t, s2, "cat f").Stdout)
}

func TestRestoreWaitsForTheRunningCommand(t *testing.T) {
	ws := t.TempDir()
	s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: t.TempDir()})
	mustExec(t, s, "echo v1 > f")
	_, err := s.Checkpoint(cpctx(t), "")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Exec(context.Background(), "sleep 0.5; echo v2 > f", nil)
	}()
	time.Sleep(100 * time.Millisecond)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.Restore(short, "")
	assert.ErrorIs(t, err, execkit.ErrBusy, "a restore does not run alongside a command")
	<-done
	_, err = s.Restore(cpctx(t), "")
	require.NoError(t, err)
	assert.Equal(t, "v1\n", mustExec(t, s, "cat f").Stdout)
}

// remoteLike is the local machine reached the way SSH reaches a host: Run
// goes through `sh -c` with the argv quoted, and the session uses the git
// command-line implementation (it is not a *local.Transport). env is added
// to every Run (a cache directory, or a PATH without git).
type remoteLike struct {
	*local.Transport
	env []string
}

func (r *remoteLike) Run(ctx context.Context, c *transport.Command) (*transport.Output, error) {
	var b strings.Builder
	b.WriteString("exec")
	for _, a := range c.Argv {
		b.WriteString(" '" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	cc := *c
	cc.Argv = []string{"sh", "-c", b.String()}
	cc.Env = append(append([]string(nil), r.env...), c.Env...)
	return r.Transport.Run(ctx, &cc)
}

func newRemoteLike(t testing.TB, env ...string) *remoteLike {
	tr := &remoteLike{Transport: local.New(), env: env}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestRemoteCheckpointsThroughTheSession(t *testing.T) {
	fixture.LookPath(t, "git")
	ws := t.TempDir()
	cache := t.TempDir()
	var ev events
	s := openCP(t, newRemoteLike(t, "XDG_CACHE_HOME="+cache), &execkit.Config{Dir: ws, Workspace: ws, AutoSnapshot: true}, execkit.WithObserver(ev.observe))
	mustExec(t, s, "mkdir -p node_modules/x && echo dep > node_modules/x/i.js && echo one > a.txt")
	cp, err := s.Checkpoint(cpctx(t), "remote")
	require.NoError(t, err)
	mustExec(t, s, "echo two > a.txt && echo new > b.txt && echo dep2 > node_modules/x/i.js")
	rep, err := s.Restore(cpctx(t), cp.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt"}, rep.Modified)
	assert.Equal(t, []string{"b.txt"}, rep.Deleted)
	assert.Equal(t, "one\ndep2\n", mustExec(t, s, "cat a.txt node_modules/x/i.js").Stdout)
	entries, err := os.ReadDir(filepath.Join(cache, "execkit", "checkpoints"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the shadow repository is in the host user's cache directory")
	list, err := s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(list), 2, "automatic checkpoints were taken through git too")
}

// checkFileChanges runs commands in s (whose workspace is its cwd) and
// checks the effect each Result reports.
func checkFileChanges(t *testing.T, s *execkit.Session) {
	t.Helper()
	mustExec(t, s, "mkdir -p src && echo one > src/a.txt && echo x > run.sh && echo old > old.txt")
	res := mustExec(t, s, "echo two > src/a.txt; echo new > 'new file.txt'; chmod +x run.sh; rm old.txt; mkdir -p node_modules/m && echo dep > node_modules/m/i.js")
	require.NotNil(t, res.Files, "a command in a workspace reports its effect on files")
	assert.Equal(t, execkit.FileChanges{Created: 1, Modified: 2, Deleted: 1, Paths: []string{"A new file.txt", "M run.sh", "M src/a.txt", "D old.txt"}}, *res.Files)

	res = mustExec(t, s, "touch src/a.txt")
	require.NotNil(t, res.Files)
	assert.Equal(t, execkit.FileChanges{}, *res.Files, "no content changed")
	assert.Nil(t, mustExec(t, s, "cat src/a.txt; ls").Files, "a read-only command is not measured")

	res = mustExec(t, s, "mkdir many && for i in $(seq 1 15); do echo $i > many/f$i; done")
	require.NotNil(t, res.Files)
	assert.Equal(t, 15, res.Files.Created)
	assert.Len(t, res.Files.Paths, execkit.MaxFileChangePaths, "only the first few paths")
	assert.Equal(t, "A many/f1", res.Files.Paths[0])

	// A path that holds a secret is redacted like any output.
	token := "ghp_" + strings.Repeat("a1B2", 9)
	res = mustExec(t, s, "echo > "+token+".txt")
	require.NotNil(t, res.Files)
	assert.Equal(t, []string{"A [REDACTED].txt"}, res.Files.Paths)

	// A failing or timed-out command still reports what it did.
	res, err := s.Exec(cpctx(t), "echo half > half.txt; sleep 5", &execkit.ExecOptions{Timeout: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.True(t, res.TimedOut)
	require.NotNil(t, res.Files)
	assert.Equal(t, []string{"A half.txt"}, res.Files.Paths)
}

func TestResultReportsFileChanges(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		ws := t.TempDir()
		var ev events
		s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: t.TempDir(), AutoSnapshot: true}, execkit.WithObserver(ev.observe))
		checkFileChanges(t, s)
		var last *execkit.FileChanges
		for _, e := range ev.of("exec") {
			if e.Result.Files != nil {
				last = e.Result.Files
			}
		}
		require.NotNil(t, last, "the audit log sees the effect")
		assert.Equal(t, []string{"A half.txt"}, last.Paths)
	})
	t.Run("git on the host", func(t *testing.T) {
		fixture.LookPath(t, "git")
		ws := t.TempDir()
		s := openCP(t, newRemoteLike(t, "XDG_CACHE_HOME="+t.TempDir()), &execkit.Config{Dir: ws, Workspace: ws})
		checkFileChanges(t, s)
	})
	t.Run("no workspace", func(t *testing.T) {
		s := openCP(t, nil, &execkit.Config{Dir: t.TempDir()})
		assert.Nil(t, mustExec(t, s, "echo x > f").Files)
	})
	t.Run("turned off", func(t *testing.T) {
		ws := t.TempDir()
		s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, NoFileChanges: true, AutoSnapshot: true, CheckpointDir: t.TempDir()})
		assert.Nil(t, mustExec(t, s, "echo x > f").Files)
		mustExec(t, s, "echo y > f")
		rep, err := s.Restore(cpctx(t), "")
		require.NoError(t, err)
		assert.Equal(t, []string{"f"}, rep.Modified, "automatic checkpoints still work")
	})
	t.Run("size limit", func(t *testing.T) {
		ws := t.TempDir()
		s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointMaxFileSize: 1000, CheckpointDir: t.TempDir()})
		res := mustExec(t, s, "head -c 2000 /dev/zero > big.bin && echo small > small.txt")
		require.NotNil(t, res.Files)
		assert.Equal(t, []string{"A small.txt"}, res.Files.Paths, "a file over the limit is not tracked")
		cp, err := s.Checkpoint(cpctx(t), "")
		require.NoError(t, err)
		assert.Equal(t, []string{"big.bin"}, cp.TooLarge)
		assert.Equal(t, int64(1000), cp.MaxFileSize, "the limit is reported")
	})
	t.Run("paths scope", func(t *testing.T) {
		ws := t.TempDir()
		s := openCP(t, nil, &execkit.Config{Dir: ws, Workspace: ws, Paths: []string{"src"}, CheckpointDir: t.TempDir()})
		res := mustExec(t, s, "mkdir src && echo a > src/a && echo b > outside")
		require.NotNil(t, res.Files)
		assert.Equal(t, []string{"A src/a"}, res.Files.Paths)
	})
}

func TestRemoteWithoutGitTurnsAutoSnapshotOff(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"sh", "echo", "cat", "touch", "ls"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			continue
		}
		require.NoError(t, os.Symlink(p, filepath.Join(bin, tool)))
	}
	ws := t.TempDir()
	var ev events
	s := openCP(t, newRemoteLike(t, "PATH="+bin), &execkit.Config{Dir: ws, Workspace: ws, AutoSnapshot: true}, execkit.WithObserver(ev.observe))
	start := time.Now()
	mustExec(t, s, "touch a")
	mustExec(t, s, "touch b")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Empty(t, ev.of("checkpoint"), "without git, automatic checkpoints are off without a word")
	assert.Nil(t, mustExec(t, s, "touch c").Files, "without git, no effect on files is reported")
	_, err := s.Checkpoint(cpctx(t), "")
	assert.ErrorIs(t, err, execkit.ErrNoGit)
	assert.ErrorContains(t, err, "install git")
}

func TestCheckpointsOverSSH(t *testing.T) {
	fixture.LookPath(t, "git")
	sshd := fixture.StartSSHD(t, nil)
	keyDir := t.TempDir()
	key := fixture.NewUserKey(t, keyDir, "id_ed25519", "ed25519", "")
	sshd.Authorize(sshd.User, key.Public)
	tr, err := ssh.Dial(cpctx(t), &ssh.Config{Host: sshd.Host, Port: sshd.Port, User: sshd.User, KeyPath: "id_ed25519"},
		&ssh.Operator{KeyDir: keyDir, KnownHostsPath: filepath.Join(t.TempDir(), "known_hosts")})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })

	ws := t.TempDir()
	// The shadow repository goes to the SSH user's cache directory (this
	// machine's, here): remove it afterwards.
	shadowOf(t, ws)
	s := openCP(t, tr, &execkit.Config{Dir: ws, Workspace: ws, AutoSnapshot: true})
	mustExec(t, s, "mkdir -p src && echo one > src/a && chmod +x src/a && ln -s src/a l")
	cp, err := s.Checkpoint(cpctx(t), "over ssh")
	require.NoError(t, err)
	mustExec(t, s, "rm -r src l && echo junk > junk")
	rep, err := s.Restore(cpctx(t), cp.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"src/a", "l"}, rep.Created)
	assert.Equal(t, []string{"junk"}, rep.Deleted)
	assert.Equal(t, "one\nx\nsrc/a\n", mustExec(t, s, "cat src/a; test -x src/a && echo x; readlink l").Stdout)
	list, err := s.Checkpoints(cpctx(t))
	require.NoError(t, err)
	var labels []string
	for _, c := range list {
		labels = append(labels, c.Label)
	}
	assert.Contains(t, labels, "over ssh")
	assert.Contains(t, labels, "before: mkdir -p src && echo one > src/a && chmod +x src/a && ln -s src/a l", "automatic checkpoints over SSH")

	ws2 := t.TempDir()
	shadowOf(t, ws2)
	checkFileChanges(t, openCP(t, tr, &execkit.Config{Dir: ws2, Workspace: ws2}))
}

// shadowOf registers the removal of the default remote shadow repository of
// ws on this machine.
func shadowOf(t *testing.T, ws string) {
	home, err := os.UserHomeDir()
	if err != nil {
		return
	}
	phys, err := filepath.EvalSymlinks(ws)
	if err != nil {
		return
	}
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Stdin = strings.NewReader(phys)
	out, err := cmd.Output()
	if err != nil {
		return
	}
	base := filepath.Join(home, ".cache")
	if x := os.Getenv("XDG_CACHE_HOME"); strings.HasPrefix(x, "/") {
		base = x
	}
	dir := filepath.Join(base, "execkit", "checkpoints", strings.TrimSpace(string(out)))
	t.Cleanup(func() { os.RemoveAll(dir) })
}

func TestCheckpointsInDocker(t *testing.T) {
	for _, flavor := range []string{fixture.DockerBash, fixture.DockerBusybox} {
		t.Run(flavor, func(t *testing.T) {
			c := fixture.DockerContainer(t, flavor)
			tr, err := docker.Dial(cpctx(t), &docker.Config{Container: c.Name}, nil)
			require.NoError(t, err)
			t.Cleanup(func() { tr.Close() })
			boot := openCP(t, tr, &execkit.Config{})
			mustExec(t, boot, "mkdir -p /srv/ws && echo one > /srv/ws/a.txt")
			var ev events
			s := openCP(t, tr, &execkit.Config{Dir: "/srv/ws", Workspace: "/srv/ws", AutoSnapshot: true}, execkit.WithObserver(ev.observe))
			if flavor == fixture.DockerBusybox {
				mustExec(t, s, "echo two > a.txt")
				assert.Empty(t, ev.of("checkpoint"), "no git in the container: automatic checkpoints silently off")
				_, err := s.Checkpoint(cpctx(t), "")
				assert.ErrorIs(t, err, execkit.ErrNoGit)
				return
			}
			cp, err := s.Checkpoint(cpctx(t), "in docker")
			require.NoError(t, err)
			mustExec(t, s, "echo two > a.txt && echo new > b.txt")
			rep, err := s.Restore(cpctx(t), cp.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{"a.txt"}, rep.Modified)
			assert.Equal(t, []string{"b.txt"}, rep.Deleted)
			assert.Equal(t, "one\n", mustExec(t, s, "cat a.txt").Stdout)

			mustExec(t, boot, "mkdir -p /srv/ws2")
			checkFileChanges(t, openCP(t, tr, &execkit.Config{Dir: "/srv/ws2", Workspace: "/srv/ws2"}))
		})
	}
}

// BenchmarkAutoSnapshot measures what a workspace adds to a trivial command
// in a 5,000-file workspace, against the same command in a session without
// a workspace, all in this run: "files" measures Result.Files alone (a walk
// before and after), "auto" adds automatic checkpoints. Commands: a
// read-only one (the rule skips it: the cost of parsing), one that may
// change files but changes no content (touch: walks, no checkpoint), and
// one that changes a file (a new checkpoint each time).
func BenchmarkAutoSnapshot(b *testing.B) {
	ws := b.TempDir()
	for i := 0; i < 5000; i++ {
		p := filepath.Join(ws, fmt.Sprintf("src/d%02d/f%04d.txt", i%100, i))
		require.NoError(b, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(b, os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644))
	}
	plain := openCP(b, nil, &execkit.Config{Dir: ws})
	cpDir := b.TempDir()
	files := openCP(b, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: cpDir})
	auto := openCP(b, nil, &execkit.Config{Dir: ws, Workspace: ws, CheckpointDir: cpDir, AutoSnapshot: true})
	mustExec(b, auto, "echo warm > warm.txt")
	time.Sleep(3100 * time.Millisecond) // past the stat cache's racy window, as a settled workspace
	mustExec(b, auto, "echo warm again > warm.txt")
	mustExec(b, files, "echo warm again > warm.txt")
	for _, c := range []struct{ name, cmd string }{
		{"read-only", "ls src/d01 >/dev/null"},
		{"touch", "touch src/d01/f0001.txt"},
		{"write", "echo $RANDOM$RANDOM > src/d02/f0002.txt"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var base, withFiles, with time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				mustExec(b, plain, c.cmd)
				t1 := time.Now()
				mustExec(b, files, c.cmd)
				t2 := time.Now()
				mustExec(b, auto, c.cmd)
				base += t1.Sub(t0)
				withFiles += t2.Sub(t1)
				with += time.Since(t2)
			}
			b.ReportMetric(float64(base.Microseconds())/float64(b.N)/1000, "ms-plain/op")
			b.ReportMetric(float64(withFiles.Microseconds())/float64(b.N)/1000, "ms-files/op")
			b.ReportMetric(float64(with.Microseconds())/float64(b.N)/1000, "ms-auto/op")
			b.ReportMetric(float64(with)/float64(base), "ratio")
		})
	}
}
