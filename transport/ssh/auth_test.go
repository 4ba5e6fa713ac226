package ssh_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthKeys(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ name, typ, passphrase string }{
		{"ed25519", "ed25519", ""},
		{"ecdsa", "ecdsa", ""},
		{"rsa", "rsa", ""},
		{"ed25519 with passphrase", "ed25519", "correct horse"},
		{"rsa with passphrase", "rsa", "battery staple"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := fixture.NewUserKey(t, e.keyDir, "id_"+randomHex(), tc.typ, tc.passphrase)
			e.sshd.Authorize(e.sshd.User, k.Public)
			cfg := e.cfg()
			cfg.KeyPath = k.Path // absolute, inside the key directory
			cfg.Passphrase = tc.passphrase
			tr := e.dial(t, cfg, e.op)
			assert.Equal(t, "ok\n", string(run(t, tr, "echo ok").Stdout))
		})
	}
}

func TestAuthPassphrase(t *testing.T) {
	e := newEnv(t, nil)
	k := fixture.NewUserKey(t, e.keyDir, "id_locked", "ecdsa", "s3cret-phrase")
	e.sshd.Authorize(e.sshd.User, k.Public)

	t.Run("operator supplies it", func(t *testing.T) {
		op := e.operator()
		op.Passphrases = map[string]string{"id_locked": "s3cret-phrase"}
		cfg := e.cfg()
		cfg.KeyPath = "id_locked"
		tr := e.dial(t, cfg, op)
		assert.Equal(t, "ok\n", string(run(t, tr, "echo ok").Stdout))
	})
	t.Run("missing", func(t *testing.T) {
		cfg := e.cfg()
		cfg.KeyPath = "id_locked"
		_, err := tryDial(cfg, e.op)
		var ce *ssh.ConfigError
		require.ErrorAs(t, err, &ce, "a locked key without a passphrase is a config error")
		assert.Equal(t, "passphrase", ce.Field)
		assert.Contains(t, err.Error(), "passphrase-protected")
	})
	t.Run("wrong", func(t *testing.T) {
		cfg := e.cfg()
		cfg.KeyPath = "id_locked"
		cfg.Passphrase = "not it"
		_, err := tryDial(cfg, e.op)
		var ce *ssh.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "passphrase", ce.Field)
		assert.NotContains(t, err.Error(), "not it", "the error must not echo the passphrase")
	})
}

func TestAuthPassword(t *testing.T) {
	e := newEnv(t, nil)
	u := fixture.PasswordUser(t, "")
	user, pw := u.Name, u.Password
	cfg := &ssh.Config{Host: e.sshd.Host, Port: e.sshd.Port, User: user, Password: pw}

	t.Run("right", func(t *testing.T) {
		tr := e.dial(t, cfg, e.op)
		assert.Equal(t, user+"\n", string(run(t, tr, "id -un").Stdout))
		// The account's login shell is plain sh (dash): sessions work there too.
		s := open(t, tr, nil)
		res, err := s.Exec(t.Context(), "cd /tmp && echo $(pwd); echo e >&2", nil)
		require.NoError(t, err)
		assert.Equal(t, "/tmp\n", res.Stdout)
		assert.Equal(t, "e\n", res.Stderr)
	})
	t.Run("wrong", func(t *testing.T) {
		bad := *cfg
		bad.Password = "wrong-" + pw
		_, err := tryDial(&bad, e.op)
		require.ErrorIs(t, err, ssh.ErrAuth)
		assert.NotContains(t, err.Error(), bad.Password, "the error must not echo the password")
	})
	t.Run("secrets", func(t *testing.T) {
		assert.Equal(t, []string{pw}, cfg.Secrets(), "the password is redacted from output")
		assert.NotContains(t, cfg.String(), pw)
	})
}

func TestAuthKeyboardInteractive(t *testing.T) {
	// Most servers ask for the password through PAM's keyboard-interactive.
	e := newEnv(t, &fixture.SSHDOptions{PAM: true, Config: []string{"PasswordAuthentication no"}})
	u := fixture.PasswordUser(t, "")
	user, pw := u.Name, u.Password
	cfg := &ssh.Config{Host: e.sshd.Host, Port: e.sshd.Port, User: user, Password: pw}
	tr := e.dial(t, cfg, e.op)
	assert.Equal(t, user+"\n", string(run(t, tr, "id -un").Stdout))

	cfg.Password = "wrong"
	_, err := tryDial(cfg, e.op)
	assert.ErrorIs(t, err, ssh.ErrAuth)
}

func TestAuthAgent(t *testing.T) {
	e := newEnv(t, nil)
	// A key only the agent holds: not in the key directory.
	k := fixture.NewUserKey(t, t.TempDir(), "agent_key", "ed25519", "")
	e.sshd.Authorize(e.sshd.User, k.Public)
	sock := fixture.StartAgent(t, k)
	cfg := &ssh.Config{Host: e.sshd.Host, Port: e.sshd.Port, User: e.sshd.User}

	t.Run("allowed", func(t *testing.T) {
		op := e.operator()
		op.UseAgent, op.AgentSocket = true, sock
		tr := e.dial(t, cfg, op)
		assert.Equal(t, "ok\n", string(run(t, tr, "echo ok").Stdout))
	})
	t.Run("not allowed", func(t *testing.T) {
		op := e.operator()
		op.AgentSocket = sock // known, but the operator did not allow it
		_, err := tryDial(cfg, op)
		var ce *ssh.ConfigError
		require.ErrorAs(t, err, &ce, "without the agent there is no credential")
		assert.Equal(t, "credentials", ce.Field)

		// With another credential, the agent's key is still not offered.
		other := fixture.NewUserKey(t, e.keyDir, "id_unauthorized", "ed25519", "")
		c := *cfg
		c.KeyPath = other.Path
		_, err = tryDial(&c, op)
		assert.ErrorIs(t, err, ssh.ErrAuth)
	})
}

func TestAuthRefusedKey(t *testing.T) {
	e := newEnv(t, nil)
	other := fixture.NewUserKey(t, e.keyDir, "id_other", "ecdsa", "")
	cfg := e.cfg()
	cfg.KeyPath = "id_other"
	_, err := tryDial(cfg, e.op)
	require.ErrorIs(t, err, ssh.ErrAuth)
	assert.Contains(t, err.Error(), cfg.User+"@")
	assert.False(t, errors.Is(err, ssh.ErrKeyPath))
	_ = other
}

func TestLoginShellNoise(t *testing.T) {
	// A bash login shell whose startup file prints to both streams, as
	// many do: none of it may be taken for the command's output or break
	// the start.
	e := newEnv(t, nil)
	u := fixture.PasswordUser(t, "/bin/bash")
	rc := "printf 'noise without newline \\036EKPID0 12345 1 '; echo noise; echo noise >&2\n"
	require.NoError(t, os.WriteFile(filepath.Join(u.Home, ".bashrc"), []byte(rc), 0o644))
	cfg := &ssh.Config{Host: e.sshd.Host, Port: e.sshd.Port, User: u.Name, Password: u.Password}
	tr := e.dial(t, cfg, e.op)
	out := run(t, tr, "echo ok; echo err >&2")
	assert.Equal(t, "ok\n", string(out.Stdout))
	assert.Equal(t, "noise\nerr\n", string(out.Stderr), "the login shell's stderr is the command's to see")
	s := open(t, tr, nil)
	res, err := s.Exec(t.Context(), "echo $((1+2))", nil)
	require.NoError(t, err)
	assert.Equal(t, "3\n", res.Stdout)
	assert.Empty(t, res.Stderr)
}
