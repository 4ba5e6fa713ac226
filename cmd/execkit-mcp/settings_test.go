package main

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSettingsHomeFromPasswd: with $HOME unset, empty or relative, the SSH
// defaults and ~ come from the password database, as the ssh transport finds
// them, never from the directory the server was started in.
func TestSettingsHomeFromPasswd(t *testing.T) {
	u, err := user.Current()
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(u.HomeDir))
	for name, home := range map[string]string{"unset": "", "empty": "", "relative": "."} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HOME", home) // restored when the test ends
			if name == "unset" {
				os.Unsetenv("HOME")
			}
			env := map[string]string{envAudit: "~/audit.jsonl"}
			st, errs := loadSettings(func(k string) string { return env[k] })
			require.Empty(t, errs)
			assert.Equal(t, filepath.Join(u.HomeDir, ".ssh"), st.keyDir)
			assert.Equal(t, filepath.Join(u.HomeDir, ".ssh", "known_hosts"), st.knownHosts)
			assert.Equal(t, filepath.Join(u.HomeDir, "audit.jsonl"), st.auditFile, "~ is the same home")
		})
	}
	t.Run("explicit", func(t *testing.T) {
		t.Setenv("HOME", "")
		env := map[string]string{envKeyDir: "/keys", envKnownHosts: "/kh/known_hosts"}
		st, errs := loadSettings(func(k string) string { return env[k] })
		require.Empty(t, errs)
		assert.Equal(t, "/keys", st.keyDir)
		assert.Equal(t, "/kh/known_hosts", st.knownHosts)
	})
}

// TestDoctorWithoutHOME runs the real binary as `env -u HOME execkit-mcp
// doctor`: the key directory and known_hosts it shows are absolute.
func TestDoctorWithoutHOME(t *testing.T) {
	u, err := user.Current()
	require.NoError(t, err)
	cmd := exec.Command(binPath, "doctor")
	for _, kv := range cleanEnv(nil) {
		if !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Dir = t.TempDir() // a relative default would show up under here
	out, _ := cmd.Output()
	doc := string(out)
	assert.Regexp(t, `(?m)^\[(ok|warn)\] +EXECKIT_MCP_KEY_DIR: (ssh key_path arguments must resolve inside )?`+regexp.QuoteMeta(filepath.Join(u.HomeDir, ".ssh"))+` \(default\)`, doc)
	assert.Regexp(t, `(?m)^\[(ok|warn)\] +EXECKIT_MCP_KNOWN_HOSTS: `+regexp.QuoteMeta(filepath.Join(u.HomeDir, ".ssh", "known_hosts"))+` \(default\)`, doc)
	assert.NotRegexp(t, `(?m)EXECKIT_MCP_(KEY_DIR|KNOWN_HOSTS): (ssh key_path arguments must resolve inside )?\.ssh`, doc, "no path relative to the server's directory")
}
