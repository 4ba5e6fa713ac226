package ssh_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyPathSandbox(t *testing.T) {
	e := newEnv(t, nil)
	outside := t.TempDir()
	// A real, authorized key outside the key directory: reaching it would
	// log in, so a refusal proves the sandbox and not a failed auth.
	secret := fixture.NewUserKey(t, outside, "id_outside", "ed25519", "")
	e.sshd.Authorize(e.sshd.User, secret.Public)
	require.NoError(t, os.Symlink(secret.Path, filepath.Join(e.keyDir, "link_out")))
	require.NoError(t, os.Symlink("../"+filepath.Base(outside)+"/id_outside", filepath.Join(e.keyDir, "rel_link_out")))
	require.NoError(t, os.Symlink("id_ed25519", filepath.Join(e.keyDir, "link_in")))
	require.NoError(t, os.Mkdir(filepath.Join(e.keyDir, "sub"), 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(e.keyDir, "fifo"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(e.keyDir, "not_a_key"), []byte("hello\n"), 0o600))
	rel, err := filepath.Rel(e.keyDir, secret.Path)
	require.NoError(t, err)

	host, port, dials := fixture.CountingListener(t)
	var msg string
	for _, tc := range []struct{ name, path string }{
		{"traversal", rel},
		{"traversal through a subdirectory", "sub/../" + rel},
		{"absolute path outside", secret.Path},
		{"symlink pointing out", "link_out"},
		{"relative symlink pointing out", "rel_link_out"},
		{"nonexistent", "id_nonexistent"},
		{"nonexistent outside", "../nonexistent/id"},
		{"the directory itself", "."},
		{"a directory", "sub"},
		{"a fifo", "fifo"},
		{"not a key", "not_a_key"},
		{"system file", "/etc/passwd"},
		{"NUL byte", "id_ed25519\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &ssh.Config{Host: host, Port: port, User: "u", KeyPath: tc.path}
			_, err := tryDial(cfg, e.op)
			require.ErrorIs(t, err, ssh.ErrKeyPath)
			if msg == "" {
				msg = err.Error()
			}
			assert.Equal(t, msg, err.Error(), "every refusal reads the same, revealing nothing about the path")
			assert.NotContains(t, err.Error(), tc.path)
		})
	}
	assert.Zero(t, dials(), "a refused key_path must not dial")

	for _, tc := range []struct{ name, path string }{
		{"relative", "id_ed25519"},
		{"absolute inside", e.key.Path},
		{"symlink inside", "link_in"},
		{"dot segments inside", "sub/../id_ed25519"},
	} {
		t.Run("ok "+tc.name, func(t *testing.T) {
			cfg := e.cfg()
			cfg.KeyPath = tc.path
			e.dial(t, cfg, e.op)
		})
	}
}
