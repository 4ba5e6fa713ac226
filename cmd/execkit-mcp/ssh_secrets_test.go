package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xssh "golang.org/x/crypto/ssh"

	"github.com/execkit/execkit/internal/fixture"
)

// TestSSHPasswordRedacted logs in over SSH by password, with the host key
// pinned, through the real server: the password is a declared secret, so it
// never comes back, whether the command echoes it whole or assembles it from
// pieces, and it is in no audit line, notification or log of the server.
func TestSSHPasswordRedacted(t *testing.T) {
	d := fixture.StartSSHD(t, &fixture.SSHDOptions{HostKeyTypes: []string{"ed25519"}})
	u := fixture.PasswordUser(t, "")
	pw := u.Password
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	known := filepath.Join(t.TempDir(), "known_hosts")
	s := start(t, startOpts{env: map[string]string{
		envAudit:      audit,
		envKeyDir:     t.TempDir(),
		envKnownHosts: known,
	}})
	fp := xssh.FingerprintSHA256(d.HostKey(xssh.KeyAlgoED25519))
	args := func(extra map[string]any) map[string]any {
		a := map[string]any{"transport": "ssh", "host": d.Host, "port": d.Port, "user": u.Name, "password": pw}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}

	// A wrong pin: refused before anything runs, the password not echoed.
	msg := toolErr(t, s.call("session_create", args(map[string]any{"fingerprint": "SHA256:" + strings.Repeat("A", 43)})))
	assert.Contains(t, msg, "not the pinned")
	assert.NotContains(t, msg, pw)
	_, err := os.Stat(known)
	assert.ErrorIs(t, err, os.ErrNotExist, "a refused key is not recorded")

	id := s.create(args(map[string]any{"fingerprint": fp}))
	assert.Contains(t, id, "_ssh_"+u.Name+"@127.0.0.1:"+strconv.Itoa(d.Port))
	b, err := os.ReadFile(known)
	require.NoError(t, err)
	assert.Contains(t, string(b), "[127.0.0.1]:"+strconv.Itoa(d.Port)+" ssh-ed25519 ", "the pinned first key is recorded")

	res := s.exec(id, "id -un; echo "+pw+"; echo "+pw+" >&2", nil)
	assert.Equal(t, u.Name+"\n[REDACTED]\n", res["stdout"], "the password is redacted from stdout")
	assert.Equal(t, "[REDACTED]\n", res["stderr"], "and from stderr")
	assert.EqualValues(t, 2, res["redacted"])

	// Built by the shell from two halves: the command holds no password,
	// the output does.
	half := len(pw) / 2
	res = s.exec(id, "a='"+pw[:half]+"'; b='"+pw[half:]+"'; echo \"<$a$b>\"", nil)
	assert.Equal(t, "<[REDACTED]>\n", res["stdout"], "redaction is by value, not by what the command says")

	ok(t, s.call("session_destroy", map[string]any{"session_id": id}))

	all := map[string]string{"server stderr": s.stderr.String()}
	logs := s.notifications("notifications/message")
	assert.NotEmpty(t, logs, "each exec sends its transcript as a log notification")
	for i, n := range append(logs, s.notifications("notifications/progress")...) {
		j, err := json.Marshal(n)
		require.NoError(t, err)
		all["notification "+strconv.Itoa(i)] = string(j)
	}
	a, err := os.ReadFile(audit)
	require.NoError(t, err)
	all["audit log"] = string(a)
	assert.Contains(t, string(a), `"exec"`, "the audit log has the commands")
	assert.Contains(t, string(a), "[REDACTED]")
	for where, text := range all {
		assert.NotContains(t, text, pw, "the password leaks into the %s", where)
	}
}
