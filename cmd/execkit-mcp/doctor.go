package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/execkit/execkit/transport/docker"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sys/unix"
)

// doctor prints one line per check: [ok], [warn] (something to fix, and
// what to set) or [--] (off or not applicable). It exits 1 when a setting
// does not parse, since the server would then refuse to start.
func doctor(getenv func(string) string, out io.Writer) int {
	st, errs := loadSettings(getenv)
	broken := map[string]error{}
	for _, err := range errs {
		var se *settingError
		if errors.As(err, &se) {
			broken[se.name] = err
		}
	}
	line := func(status, format string, a ...any) {
		fmt.Fprintf(out, "%-6s %s\n", status, fmt.Sprintf(format, a...))
	}
	set := func(name string) bool { return st.raw[name] != "" }
	dflt := func(name string) string {
		if set(name) {
			return ""
		}
		return " (default)"
	}
	fmt.Fprintf(out, "execkit-mcp %s (%s) doctor\n", version(), runtime.Version())

	if exe, err := executable(); err == nil {
		line("[ok]", "binary: %s", exe)
	}
	if p, err := exec.LookPath("bash"); err == nil {
		line("[ok]", "local shell: bash at %s", p)
	} else if p, err := exec.LookPath("sh"); err == nil {
		line("[ok]", "local shell: sh at %s (no bash)", p)
	} else {
		line("[warn]", "local shell: neither bash nor sh is in PATH, so local sessions cannot start")
	}

	for _, name := range settingNames {
		if err, ok := broken[name]; ok {
			line("[warn]", "%v (the server will not start until this is fixed)", err)
			continue
		}
		switch name {
		case envAudit:
			switch {
			case !set(envAudit) && !set(envAuditDir):
				line("[--]", "%s: not set, so there is no audit log (set it to a file, or %s to a directory)", envAudit, envAuditDir)
			case !set(envAudit):
				line("[--]", "%s: not set (%s is)", envAudit, envAuditDir)
			case set(envAuditDir):
				line("[--]", "%s: %s is ignored, since %s wins", envAudit, st.auditFile, envAuditDir)
			default:
				status, what := checkAuditFile(st.auditFile)
				line(status, "%s: %s %s", envAudit, st.auditFile, what)
			}
		case envAuditDir:
			if !set(envAuditDir) {
				line("[--]", "%s: not set (one audit file per session needs it)", envAuditDir)
				continue
			}
			status, what := checkAuditDir(st.auditDir)
			line(status, "%s: %s %s", envAuditDir, st.auditDir, what)
		case envRetention:
			if st.auditDir == "" {
				line("[--]", "%s: %d%s, used only with %s", envRetention, st.retentionDays, dflt(name), envAuditDir)
			} else if st.retentionDays == 0 {
				line("[ok]", "%s: 0, per-session audit files are kept forever", envRetention)
			} else {
				line("[ok]", "%s: per-session audit files older than %d days are deleted%s", envRetention, st.retentionDays, dflt(name))
			}
		case envMaxSessions:
			line("[ok]", "%s: %d sessions at most%s", envMaxSessions, st.maxSessions, dflt(name))
		case envSessionTTL:
			if st.ttl == 0 {
				line("[ok]", "%s: 0, idle sessions are never closed", envSessionTTL)
			} else {
				line("[ok]", "%s: sessions idle for %s are closed%s", envSessionTTL, st.ttl, dflt(name))
			}
		case envTimeoutMax:
			line("[ok]", "%s: no command runs longer than %s%s", envTimeoutMax, st.timeoutMax, dflt(name))
		case envOutputKeep:
			line("[ok]", "%s: %s of full output kept per session for session_output%s", envOutputKeep, formatBytes(st.outputKeep), dflt(name))
		case envCPMaxFile:
			line("[ok]", "%s: files over %s stay out of checkpoints%s", envCPMaxFile, formatBytes(st.cpMaxFile), dflt(name))
		case envPolicyFile:
			if st.policy == nil {
				line("[--]", "%s: not set, so there is no operator policy (set it to a policy JSON file to allow or deny programs for every session)", envPolicyFile)
			} else {
				line("[ok]", "%s: %s loaded (%d allow, %d deny, %d deny_patterns)", envPolicyFile, st.policyFile, len(st.policy.Allow), len(st.policy.Deny), len(st.policy.DenyPatterns))
			}
		case envSecretEnv:
			if len(st.secretNames) == 0 {
				line("[--]", "%s: not set, so only secrets of known shapes are redacted (set it to NAME,NAME to redact those variables' values as well)", envSecretEnv)
				continue
			}
			var missing []string
			for _, n := range st.secretNames {
				if getenv(n) == "" {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				line("[warn]", "%s: %s not set or empty here, so there is nothing to redact for it", envSecretEnv, strings.Join(missing, ", "))
			} else {
				line("[ok]", "%s: the values of %s are redacted wherever they appear", envSecretEnv, strings.Join(st.secretNames, ", "))
			}
		case envRedactKinds:
			if st.redactKinds {
				line("[ok]", "%s: redactions name what they replaced, e.g. [REDACTED:github-token]", envRedactKinds)
			} else {
				line("[--]", "%s: not set, so redactions read [REDACTED] (set it to 1 to name the kind of each)", envRedactKinds)
			}
		case envKeyDir:
			if st.keyDir == "" {
				line("[warn]", "%s: not set, and there is no home directory for the default ~/.ssh ($HOME is unset or not absolute, and the password database has none for this user), so SSH sessions are refused (set it, and %s)", envKeyDir, envKnownHosts)
			} else if info, err := os.Stat(st.keyDir); err != nil || !info.IsDir() {
				line("[warn]", "%s: %s%s is not a directory, so no ssh key_path can resolve (create it or set %s)", envKeyDir, st.keyDir, dflt(name), envKeyDir)
			} else {
				line("[ok]", "%s: ssh key_path arguments must resolve inside %s%s", envKeyDir, st.keyDir, dflt(name))
			}
		case envKnownHosts:
			switch {
			case st.insecureHosts:
				line("[--]", "%s: not used, since %s turns host-key checks off", envKnownHosts, envInsecureHost)
			case st.knownHosts == "":
				line("[warn]", "%s: not set, and there is no home directory for the default ~/.ssh/known_hosts, so SSH sessions are refused (set it)", envKnownHosts)
			default:
				status, what := checkKnownHosts(st.knownHosts)
				line(status, "%s: %s%s %s", envKnownHosts, st.knownHosts, dflt(name), what)
			}
		case envInsecureHost:
			if st.insecureHosts {
				line("[warn]", "%s: SSH host-key checks are OFF: any machine can pose as an SSH host (unset it)", envInsecureHost)
			} else {
				line("[ok]", "%s: not set, SSH host keys are checked", envInsecureHost)
			}
		case envSSHAgent:
			if !st.sshAgent {
				line("[--]", "%s: off, SSH sessions do not use ssh-agent (set it to 1 to use $SSH_AUTH_SOCK)", envSSHAgent)
				continue
			}
			sock := getenv("SSH_AUTH_SOCK")
			if sock == "" {
				line("[warn]", "%s: on, but SSH_AUTH_SOCK is not set (start ssh-agent)", envSSHAgent)
			} else if n, err := agentKeys(sock); err != nil {
				line("[warn]", "%s: on, but the agent at %s does not answer: %v", envSSHAgent, sock, shortErr(err))
			} else {
				keys := "keys"
				if n == 1 {
					keys = "key"
				}
				line("[ok]", "%s: on, ssh-agent at %s answers (%d %s)", envSSHAgent, sock, n, keys)
			}
		case envWatchWeb:
			watchWebDoctor(st, getenv, line)
		case envWatchPort:
			watchPortDoctor(st, line, dflt(name))
		}
	}

	line("[ok]", "transports: local, ssh, docker")
	status, what := checkDocker(getenv("DOCKER_HOST"))
	line(status, "docker: %s", what)
	if p, err := exec.LookPath("git"); err == nil {
		line("[ok]", "git: %s (for checkpoints on remote hosts)", p)
	} else {
		line("[--]", "git: not in PATH (only needed on remote hosts for checkpoints)")
	}

	if len(errs) > 0 {
		fmt.Fprintf(out, "%d setting(s) do not parse: the server will not start until they are fixed.\n", len(errs))
		return 1
	}
	return 0
}

// checkAuditFile says whether the server could append to path, without
// creating it.
func checkAuditFile(path string) (string, string) {
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return "[warn]", "is a directory (set " + envAuditDir + " for one file per session)"
	case err == nil:
		if unix.Access(path, unix.W_OK) != nil {
			return "[warn]", "exists but is not writable by this user"
		}
		return "[ok]", "(exists, writable)"
	case errors.Is(err, os.ErrNotExist):
		dir := filepath.Dir(path)
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return "[warn]", "cannot be created: " + dir + " is not a directory"
		}
		if unix.Access(dir, unix.W_OK) != nil {
			return "[warn]", "cannot be created: " + dir + " is not writable by this user"
		}
		return "[ok]", "(will be created)"
	default:
		return "[warn]", err.Error()
	}
}

// checkAuditDir says whether the server could create files in dir (or
// create dir), without creating anything.
func checkAuditDir(dir string) (string, string) {
	p := dir
	for {
		info, err := os.Stat(p)
		if err == nil {
			if !info.IsDir() {
				return "[warn]", "cannot be used: " + p + " is not a directory"
			}
			if unix.Access(p, unix.W_OK|unix.X_OK) != nil {
				return "[warn]", "cannot be used: " + p + " is not writable by this user"
			}
			if p == dir {
				return "[ok]", "(exists, writable)"
			}
			return "[ok]", "(will be created)"
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "[warn]", "cannot be created"
		}
		p = parent
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkKnownHosts says whether SSH sessions could use the known_hosts file at
// path as the ssh transport does: read and parse it when it exists, and
// append a new host's key to it (trust on first use), creating it and the
// directories above it if need be. It creates nothing.
func checkKnownHosts(path string) (string, string) {
	const all = "so every SSH connection fails"
	const tofu = "so trust on first use fails: new hosts are refused"
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return "[warn]", "is a directory, " + all + " (point it at a file)"
	case err == nil:
		if unix.Access(path, unix.R_OK) != nil {
			return "[warn]", "is not readable by this user, " + all
		}
		if _, err := knownhosts.New(path); err != nil {
			return "[warn]", fmt.Sprintf("does not parse (%s), %s", strings.TrimPrefix(err.Error(), "knownhosts: "), all)
		}
		if unix.Access(path, unix.W_OK) != nil {
			return "[warn]", "is not writable by this user, " + tofu + " (hosts already in it still work)"
		}
		return "[ok]", "(readable, writable)"
	case errors.Is(err, os.ErrNotExist):
		// The transport creates the missing directories, then the file.
		// (A path under a regular file is ENOTDIR, not missing: below.)
		for p := filepath.Dir(path); ; p = filepath.Dir(p) {
			_, err := os.Stat(p)
			switch {
			case err == nil && unix.Access(p, unix.W_OK|unix.X_OK) != nil:
				return "[warn]", "cannot be created: " + p + " is not writable by this user, " + tofu
			case err == nil:
				return "[ok]", "does not exist yet; it is created at the first SSH connection (trust on first use)"
			case !errors.Is(err, os.ErrNotExist):
				return "[warn]", fmt.Sprintf("cannot be created (%s), %s", shortErr(err), tofu)
			case filepath.Dir(p) == p:
				return "[warn]", "cannot be created, " + tofu
			}
		}
	default:
		return "[warn]", fmt.Sprintf("cannot be read (%s), %s", shortErr(err), all)
	}
}

// agentKeys asks the ssh-agent at sock for its keys, as an SSH session
// would, and returns how many it holds.
func agentKeys(sock string) (int, error) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	keys, err := agent.NewClient(c).List()
	if err != nil {
		return 0, err
	}
	return len(keys), nil
}

// checkDocker pings the Docker engine the way the docker transport will
// reach it (DOCKER_HOST, else the default socket) and reports its versions.
func checkDocker(host string) (string, string) {
	shown := host
	if shown == "" {
		shown = "unix:///var/run/docker.sock"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	eng, err := docker.Ping(ctx, &docker.Operator{Host: host})
	if err != nil && !errors.Is(err, docker.ErrUnreachable) {
		// Refused before any connection (an ssh:// address, a bad
		// DOCKER_CERT_PATH), or an answer that is not a daemon's: the
		// transport's error says what to do.
		msg := strings.TrimPrefix(err.Error(), "docker: ")
		if !strings.Contains(msg, shown) {
			msg = fmt.Sprintf("the engine at %s cannot be used: %s", shown, msg)
		}
		return "[warn]", msg
	}
	if err != nil {
		hint := "start dockerd or set DOCKER_HOST"
		if strings.Contains(err.Error(), "permission denied") {
			hint = "add this user to the docker group"
		}
		return "[warn]", fmt.Sprintf("the engine at %s does not answer (%s); %s", shown, shortErr(err), hint)
	}
	return "[ok]", fmt.Sprintf("the engine at %s answers (Docker %s, API %s)", eng.Host, eng.Version, eng.APIVersion)
}

func shortErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
