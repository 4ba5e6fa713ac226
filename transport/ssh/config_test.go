package ssh_test

import (
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostileConfig(t *testing.T) {
	host, port, dials := fixture.CountingListener(t)
	op := &ssh.Operator{KeyDir: t.TempDir(), KnownHostsPath: filepath.Join(t.TempDir(), "kh")}
	for _, tc := range []struct {
		name  string
		cfg   ssh.Config
		field string
	}{
		{"empty host", ssh.Config{User: "u"}, "host"},
		{"host with a space", ssh.Config{Host: "127.0.0.1 -p 22", User: "u"}, "host"},
		{"host with a newline", ssh.Config{Host: "127.0.0.1\nevil", User: "u"}, "host"},
		{"host as an option", ssh.Config{Host: "-oProxyCommand=touch /tmp/pwned", User: "u"}, "host"},
		{"host with an option", ssh.Config{Host: "-oProxyCommand", User: "u"}, "host"},
		{"host with a user", ssh.Config{Host: "root@127.0.0.1", User: "u"}, "host"},
		{"host with a port", ssh.Config{Host: "127.0.0.1:22", User: "u"}, "host"},
		{"host with a path", ssh.Config{Host: "127.0.0.1/x", User: "u"}, "host"},
		{"host with a NUL", ssh.Config{Host: "127.0.0.1\x00", User: "u"}, "host"},
		{"host too long", ssh.Config{Host: strings.Repeat("a.", 200) + "b", User: "u"}, "host"},
		{"bad IPv6 zone", ssh.Config{Host: "fe80::1%eth0;ls", User: "u"}, "host"},
		{"port 70000", ssh.Config{Host: host, Port: 70000, User: "u"}, "port"},
		{"port -1", ssh.Config{Host: host, Port: -1, User: "u"}, "port"},
		{"no user", ssh.Config{Host: host, Port: port}, "user"},
		{"user with @", ssh.Config{Host: host, Port: port, User: "root@evil"}, "user"},
		{"user with a newline", ssh.Config{Host: host, Port: port, User: "root\nevil"}, "user"},
		{"user as an option", ssh.Config{Host: host, Port: port, User: "-oProxyCommand=x"}, "user"},
		{"user with a space", ssh.Config{Host: host, Port: port, User: "a b"}, "user"},
		{"user with a colon", ssh.Config{Host: host, Port: port, User: "a:b"}, "user"},
		{"md5 fingerprint", ssh.Config{Host: host, Port: port, User: "u", Password: "p", Fingerprint: "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"}, "fingerprint"},
		{"short fingerprint", ssh.Config{Host: host, Port: port, User: "u", Password: "p", Fingerprint: "SHA256:abc"}, "fingerprint"},
		{"no credentials", ssh.Config{Host: host, Port: port, User: "u"}, "credentials"},
		{"password with a NUL", ssh.Config{Host: host, Port: port, User: "u", Password: "a\x00b"}, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tryDial(&tc.cfg, op)
			var ce *ssh.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "ssh: "), "%q", err)
			assert.NotContains(t, err.Error(), "\n", "one line an agent can read")
		})
	}
	assert.Zero(t, dials(), "a refused Config must not dial")

	for _, h := range []string{"localhost", "host-1.example.com", "my_host.local", "10.0.0.1", "::1", "[::1]", "fe80::1%eth0", "example.com."} {
		_, err := tryDial(&ssh.Config{Host: h, User: "u"}, op)
		var ce *ssh.ConfigError
		if assert.ErrorAs(t, err, &ce, "host %q", h) {
			assert.Equal(t, "credentials", ce.Field, "host %q is valid", h)
		}
	}
	_, err := tryDial(nil, op)
	assert.Error(t, err)
}

func TestLabelAndSessionID(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.dial(t, e.cfg(), e.op)
	assert.Equal(t, "ssh", tr.Kind())
	assert.Equal(t, e.sshd.User+"@"+e.sshd.Addr(), tr.Label())
	s := open(t, tr, nil)
	assert.Regexp(t, regexp.MustCompile(`^[0-9]+_ssh_`+regexp.QuoteMeta(e.sshd.User)+`@127\.0\.0\.1:`+regexp.QuoteMeta(strings.TrimPrefix(e.sshd.Addr(), "127.0.0.1:"))+`$`), s.ID())
	assert.Regexp(t, `^SHA256:[A-Za-z0-9+/]{43}$`, tr.HostKeyFingerprint())
}

func TestConfigJSON(t *testing.T) {
	var c ssh.Config
	require.NoError(t, json.Unmarshal([]byte(`{"host":"h","port":2222,"user":"u","password":"p","key_path":"k","passphrase":"q","fingerprint":"SHA256:x"}`), &c))
	assert.Equal(t, ssh.Config{Host: "h", Port: 2222, User: "u", Password: "p", KeyPath: "k", Passphrase: "q", Fingerprint: "SHA256:x"}, c)
	assert.Equal(t, []string{"p", "q"}, c.Secrets())
	assert.NotContains(t, c.String(), "p,")
	assert.Contains(t, c.String(), "password=[set]")

	var o ssh.Operator
	require.NoError(t, json.Unmarshal([]byte(`{"key_dir":"/k","known_hosts":"/kh","use_agent":true,"insecure_accept_any_host_key":true,"dial_timeout_s":2.5,"keepalive_interval_s":-1,"keepalive_count_max":4}`), &o))
	assert.Equal(t, ssh.Operator{KeyDir: "/k", KnownHostsPath: "/kh", UseAgent: true, InsecureAcceptAnyHostKey: true, DialTimeout: 2500 * time.Millisecond, KeepaliveInterval: -time.Second, KeepaliveCountMax: 4}, o)
	b, err := json.Marshal(o)
	require.NoError(t, err)
	var back ssh.Operator
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, o, back)
}

func TestOperatorResolve(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "/agent.sock")
	op := &ssh.Operator{UseAgent: true}
	r, err := op.Resolve()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(home, ".ssh"), r.KeyDir)
	assert.Equal(t, filepath.Join(home, ".ssh", "known_hosts"), r.KnownHostsPath)
	assert.Equal(t, "/agent.sock", r.AgentSocket)
	assert.Equal(t, ssh.DefaultDialTimeout, r.DialTimeout)
	assert.Equal(t, ssh.DefaultKeepaliveInterval, r.KeepaliveInterval)
	assert.Equal(t, ssh.DefaultKeepaliveCountMax, r.KeepaliveCountMax)
	assert.Equal(t, &ssh.Operator{UseAgent: true}, op, "Resolve does not modify its operator")

	t.Setenv("HOME", "")
	r, err = (*ssh.Operator)(nil).Resolve()
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(r.KeyDir, ".ssh"), "home from the password database: %s", r.KeyDir)
	assert.Empty(t, r.AgentSocket, "no agent unless the operator allows it")
}

// TestOperatorResolveHome: the defaults are never relative paths, whatever
// $HOME holds; without $HOME the password database gives the home.
func TestOperatorResolveHome(t *testing.T) {
	u, err := user.Current()
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(u.HomeDir), "this user's home in the password database")
	for name, home := range map[string]string{"unset": "", "relative": "some/dir", "dot": "."} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HOME", home) // restored when the test ends
			if home == "" {
				os.Unsetenv("HOME")
			}
			r, err := (&ssh.Operator{}).Resolve()
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(u.HomeDir, ".ssh"), r.KeyDir)
			assert.Equal(t, filepath.Join(u.HomeDir, ".ssh", "known_hosts"), r.KnownHostsPath)
		})
	}
	// Explicit paths need no home at all.
	r, err := (&ssh.Operator{KeyDir: "/k", KnownHostsPath: "/kh"}).Resolve()
	require.NoError(t, err)
	assert.Equal(t, "/k", r.KeyDir)
	assert.Equal(t, "/kh", r.KnownHostsPath)
}
