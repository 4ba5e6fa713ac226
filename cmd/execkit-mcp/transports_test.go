package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSSHTransport drives an SSH session end to end: a real sshd on
// loopback, the key from the operator's key directory, trust on first use
// into the operator's known_hosts.
func TestSSHTransport(t *testing.T) {
	d := fixture.StartSSHD(t, nil)
	keyDir := t.TempDir()
	key := fixture.NewUserKey(t, keyDir, "id_ed25519", "ed25519", "")
	d.Authorize(d.User, key.Public)
	known := filepath.Join(t.TempDir(), "known_hosts")
	s := start(t, startOpts{env: map[string]string{
		"EXECKIT_MCP_KEY_DIR":     keyDir,
		"EXECKIT_MCP_KNOWN_HOSTS": known,
	}})
	id := s.create(map[string]any{"transport": "ssh", "host": d.Host, "port": d.Port, "user": d.User, "key_path": "id_ed25519"})
	assert.Contains(t, id, "_ssh_"+d.User+"@127.0.0.1:"+strconv.Itoa(d.Port))
	s.exec(id, "cd /tmp && export EK=over-ssh", nil)
	res := s.exec(id, `echo "$EK $(pwd)"; echo e >&2`, nil)
	assert.Equal(t, "over-ssh /tmp\n", res["stdout"])
	assert.Equal(t, "e\n", res["stderr"])
	b, err := os.ReadFile(known)
	require.NoError(t, err)
	assert.Contains(t, string(b), "[127.0.0.1]:"+strconv.Itoa(d.Port), "the first host key is recorded in OpenSSH's format")

	// A key outside the key directory is refused without saying whether it exists.
	r := s.call("session_create", map[string]any{"transport": "ssh", "host": d.Host, "port": d.Port, "user": d.User, "key_path": key.Path + "/../../../etc/passwd"})
	assert.True(t, r.IsError)
}

// TestDockerTransport drives a session inside a real container.
func TestDockerTransport(t *testing.T) {
	c := fixture.DockerContainer(t, fixture.DockerBusybox)
	s := start(t, startOpts{})
	id := s.create(map[string]any{"transport": "docker", "container": c.Name})
	assert.Contains(t, id, "_docker_")
	s.exec(id, "cd /tmp && X=in-container", nil)
	res := s.exec(id, `echo "$X $(pwd)"`, nil)
	assert.Equal(t, "in-container /tmp\n", res["stdout"])
	r := s.call("session_create", map[string]any{"transport": "docker", "container": "no-such-container-execkit"})
	assert.True(t, r.IsError)
}
