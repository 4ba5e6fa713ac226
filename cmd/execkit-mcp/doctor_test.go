package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api"
	"github.com/docker/docker/api/types/versions"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/execkit/execkit/internal/fixture"
)

// doctorOut runs `execkit-mcp doctor` with the test's clean environment plus
// env (a "" value removes the variable) and returns what it printed.
func doctorOut(t *testing.T, env map[string]string, cred *syscall.Credential, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "doctor")
	for _, kv := range cleanEnv(nil) {
		if _, set := env[strings.SplitN(kv, "=", 2)[0]]; !set {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("doctor: %v", err) // an exit status is fine: a warning may fail it
	}
	return string(out)
}

// line returns doctor's line for name.
func line(t *testing.T, doc, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\S+ +` + name + `: .*$`).FindString(doc)
	require.NotEmpty(t, m, "doctor has no %s line:\n%s", name, doc)
	return m
}

// stranger is a uid with no entry in the password database, and the
// server binary where that uid may run it. Creating either needs root.
func stranger(t *testing.T) (*syscall.Credential, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		fixture.Missing(t, "root, to run the server as a user without a home directory")
	}
	var uid uint32
	for {
		var b [2]byte
		rand.Read(b[:])
		uid = 50000 + uint32(binary.BigEndian.Uint16(b[:]))%10000
		if _, err := user.LookupId(strconv.Itoa(int(uid))); err != nil {
			break
		}
	}
	dir := worldDir(t)
	bin := filepath.Join(dir, "execkit-mcp")
	b, err := os.ReadFile(binPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, b, 0o755))
	return &syscall.Credential{Uid: uid, Gid: uid}, bin
}

// worldDir is a directory every user may enter, removed when t ends.
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ekdoctor")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestNoHomeDirectory runs the server as a user the password database does
// not know, with HOME unset: there is no home for the SSH defaults, so
// doctor says so and SSH sessions are refused with a sentence saying why,
// while explicit settings work and local sessions are unaffected.
func TestNoHomeDirectory(t *testing.T) {
	cred, bin := stranger(t)
	noHome := map[string]string{"HOME": ""}
	doc := doctorOut(t, noHome, cred, bin)
	assert.Regexp(t, `^\[warn\] +EXECKIT_MCP_KEY_DIR: not set, and there is no home directory .*so SSH sessions are refused`, line(t, doc, "EXECKIT_MCP_KEY_DIR"))
	assert.Regexp(t, `^\[warn\] +EXECKIT_MCP_KNOWN_HOSTS: not set, and there is no home directory .*so SSH sessions are refused`, line(t, doc, "EXECKIT_MCP_KNOWN_HOSTS"))
	assert.NotContains(t, doc, " .ssh", "no path relative to the server's directory")

	dir := worldDir(t)
	doc = doctorOut(t, map[string]string{"HOME": "", envKeyDir: dir, envKnownHosts: filepath.Join(dir, "known_hosts")}, cred, bin)
	assert.Regexp(t, `^\[ok\] +EXECKIT_MCP_KEY_DIR: ssh key_path arguments must resolve inside `+regexp.QuoteMeta(dir)+`$`, line(t, doc, "EXECKIT_MCP_KEY_DIR"))

	s := startAs(t, bin, cred, noHome)
	msg := toolErr(t, s.call("session_create", map[string]any{"transport": "ssh", "host": "127.0.0.1", "port": 1, "user": "someone", "password": "x"}))
	assert.Contains(t, msg, "no home directory for the default key directory and known_hosts")
	id := s.create(nil)
	assert.Equal(t, strconv.Itoa(int(cred.Uid))+"\n", s.exec(id, "id -u", nil)["stdout"], "local sessions need no home")
}

// startAs is start, with the server running as cred and env as its only
// additions to the clean environment ("" removes a variable).
func startAs(t *testing.T, bin string, cred *syscall.Credential, env map[string]string) *mcpServer {
	t.Helper()
	s := &mcpServer{t: t, stderr: &syncBuffer{}}
	tr := transport.NewStdioWithOptions(bin, nil, nil, transport.WithCommandFunc(
		func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			for _, kv := range cleanEnv(nil) {
				if _, set := env[strings.SplitN(kv, "=", 2)[0]]; !set {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			for k, v := range env {
				if v != "" {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			cmd.Stderr = s.stderr
			s.cmd = cmd
			return cmd, nil
		}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, tr.Start(context.Background()))
	s.c = client.NewClient(tr, client.WithProtocolVersion("2025-06-18"))
	require.NoError(t, s.c.Start(ctx))
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "execkit-test", Version: "1"}
	_, err := s.c.Initialize(ctx, init)
	require.NoError(t, err, "initialize; server stderr:\n%s", s.stderr.String())
	t.Cleanup(func() {
		s.c.Close()
		if t.Failed() {
			t.Logf("server stderr:\n%s", s.stderr.String())
		}
	})
	return s
}

// TestDoctorKnownHostsAccess checks doctor's known_hosts line against the
// access trust on first use needs, as a user without root's bypass.
func TestDoctorKnownHostsAccess(t *testing.T) {
	cred, bin := stranger(t)
	dir := worldDir(t)
	key := fixture.NewUserKey(t, t.TempDir(), "k", "ed25519", "")
	entry := []byte(knownhosts.Line([]string{"[127.0.0.1]:2222"}, key.Public) + "\n")
	file := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, entry, mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	mkdir := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(p, mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"read only", file("ro", 0o644), `^\[warn\] .* is not writable by this user, so trust on first use fails: new hosts are refused \(hosts already in it still work\)$`},
		{"unreadable", file("secret", 0o600), `^\[warn\] .* is not readable by this user, so every SSH connection fails$`},
		{"usable", file("rw", 0o666), `^\[ok\] .* \(readable, writable\)$`},
		{"directory not writable", filepath.Join(mkdir("locked", 0o755), "known_hosts"), `^\[warn\] .* cannot be created: \S+/locked is not writable by this user, so trust on first use fails`},
		{"missing directories", filepath.Join(mkdir("open", 0o777), "a", "b", "known_hosts"), `^\[ok\] .* does not exist yet; it is created at the first SSH connection`},
		{"missing under a locked one", filepath.Join(mkdir("locked2", 0o755), "a", "known_hosts"), `cannot be created: \S+/locked2 is not writable by this user`},
		{"unsearchable", filepath.Join(mkdir("closed", 0o700), "known_hosts"), `^\[warn\] .* cannot be read \(.*permission denied\), so every SSH connection fails$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := doctorOut(t, map[string]string{"HOME": "", envKeyDir: dir, envKnownHosts: tc.path}, cred, bin)
			assert.Regexp(t, tc.want, line(t, doc, envKnownHosts))
		})
	}
}

// TestDoctorSSHAgent: the agent check asks the agent for its keys, so a
// socket that accepts but is no agent is reported, not passed.
func TestDoctorSSHAgent(t *testing.T) {
	key := fixture.NewUserKey(t, t.TempDir(), "k", "ed25519", "")
	sock := fixture.StartAgent(t, key)
	doc := doctorOut(t, map[string]string{envSSHAgent: "1", "SSH_AUTH_SOCK": sock}, nil, binPath)
	assert.Equal(t, "[ok]   EXECKIT_MCP_SSH_AGENT: on, ssh-agent at "+sock+" answers (1 key)", line(t, doc, envSSHAgent))

	// Something listens, but it is no agent: it closes every connection.
	dir, err := os.MkdirTemp("", "eknotagent")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	mute := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", mute)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(io.Discard, io.LimitReader(c, 4))
			c.Close()
		}
	}()
	doc = doctorOut(t, map[string]string{envSSHAgent: "1", "SSH_AUTH_SOCK": mute}, nil, binPath)
	assert.Regexp(t, `^\[warn\] +EXECKIT_MCP_SSH_AGENT: on, but the agent at `+regexp.QuoteMeta(mute)+` does not answer: `, line(t, doc, envSSHAgent))
}

// TestDoctorDocker checks the docker line against the real daemon: its
// version, and the API version the client settled on with it, which is the
// daemon's own unless the daemon is newer than the client.
func TestDoctorDocker(t *testing.T) {
	cli := fixture.DockerClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := cli.ServerVersion(ctx)
	require.NoError(t, err)
	apiVersion := v.APIVersion
	if versions.LessThan(api.DefaultVersion, apiVersion) {
		apiVersion = api.DefaultVersion
	}
	doc := doctorOut(t, map[string]string{"DOCKER_HOST": cli.DaemonHost()}, nil, binPath)
	assert.Equal(t, "[ok]   docker: the engine at "+cli.DaemonHost()+" answers (Docker "+v.Version+", API "+apiVersion+")", line(t, doc, "docker"))

	doc = doctorOut(t, map[string]string{"DOCKER_HOST": "ssh://someone@127.0.0.1"}, nil, binPath)
	assert.Regexp(t, `^\[warn\] +docker: the daemon address ssh://someone@127.0.0.1 needs the docker CLI's ssh connection helper, which execkit does not run`, line(t, doc, "docker"))
}

// TestInsecureHostKeyWarning: the server says so on stderr at start-up when
// host-key checks are off, and only then; a value other than 1/true stops
// it rather than being guessed at.
func TestInsecureHostKeyWarning(t *testing.T) {
	const warning = "execkit-mcp: WARNING: EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY is set: SSH host keys will NOT be checked"
	for _, v := range []string{"1", "true"} {
		s := start(t, startOpts{env: map[string]string{envInsecureHost: v}})
		assert.Contains(t, s.stderr.String(), warning, "%s=%s", envInsecureHost, v)
	}
	s := start(t, startOpts{})
	assert.NotContains(t, s.stderr.String(), "WARNING")

	cmd := exec.Command(binPath)
	cmd.Env = cleanEnv(map[string]string{envInsecureHost: "0"})
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the server must not start with %s=0", envInsecureHost)
	assert.Contains(t, string(out), `EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY="0": must be 1 or true`)
	assert.NotContains(t, string(out), "WARNING")
}
