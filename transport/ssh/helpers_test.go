package ssh_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/require"
)

// env is one real sshd with a key the test user may log in with, and an
// operator whose key directory and known_hosts live in the test's temp dir.
type env struct {
	sshd   *fixture.SSHD
	keyDir string
	key    *fixture.UserKey
	op     *ssh.Operator
}

func newEnv(t testing.TB, opts *fixture.SSHDOptions) *env {
	t.Helper()
	s := fixture.StartSSHD(t, opts)
	keyDir := t.TempDir()
	k := fixture.NewUserKey(t, keyDir, "id_ed25519", "ed25519", "")
	s.Authorize(s.User, k.Public)
	return &env{
		sshd:   s,
		keyDir: keyDir,
		key:    k,
		op: &ssh.Operator{
			KeyDir:         keyDir,
			KnownHostsPath: filepath.Join(t.TempDir(), "known_hosts"),
			DialTimeout:    20 * time.Second,
		},
	}
}

// cfg is the agent's side: this server, the test user, the key by name.
func (e *env) cfg() *ssh.Config {
	return &ssh.Config{Host: e.sshd.Host, Port: e.sshd.Port, User: e.sshd.User, KeyPath: "id_ed25519"}
}

// operator returns a copy of the env's operator to adjust.
func (e *env) operator() *ssh.Operator {
	o := *e.op
	return &o
}

func tryDial(cfg *ssh.Config, op *ssh.Operator) (*ssh.Transport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return ssh.Dial(ctx, cfg, op)
}

func (e *env) dial(t testing.TB, cfg *ssh.Config, op *ssh.Operator) *ssh.Transport {
	t.Helper()
	tr, err := tryDial(cfg, op)
	require.NoError(t, err, "dialing %s", cfg)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func open(t testing.TB, tr transport.Transport, cfg *execkit.Config) *execkit.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := execkit.Open(ctx, tr, cfg)
	require.NoError(t, err, "opening a session")
	t.Cleanup(func() { s.Close() })
	return s
}

func run(t testing.TB, tr transport.Transport, script string) *transport.Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := tr.Run(ctx, &transport.Command{Argv: []string{"sh", "-c", script}})
	require.NoError(t, err, "running %q", script)
	return out
}

// token returns a sleep duration unique to this test, so its processes
// can be found in /proc: "sleep 1000.<digits>".
func token() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("1000.%d", uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
}

// alive lists the pids of processes on the host whose command line holds
// tok, looked up over tr (a fresh connection, so nothing of the connection
// under test is involved).
func alive(t testing.TB, tr transport.Transport, tok string) []string {
	t.Helper()
	// The pattern is written so that it does not match itself.
	pat := strings.Replace(tok, ".", "[.]", 1)
	out := run(t, tr, `grep -la '`+pat+`' /proc/[0-9]*/cmdline 2>/dev/null; true`)
	var pids []string
	for _, f := range strings.Fields(string(out.Stdout)) {
		pids = append(pids, strings.TrimSuffix(strings.TrimPrefix(f, "/proc/"), "/cmdline"))
	}
	return pids
}

// eventually waits for f to hold, for at most d.
func eventually(d time.Duration, f func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
