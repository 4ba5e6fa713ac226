package main

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/checkpoint"
	"github.com/execkit/execkit/policy"
	"github.com/execkit/execkit/transport/ssh"
)

// The operator's settings: environment variables only, never tool
// arguments. A value that does not parse stops the server at start-up with
// a message naming the variable.
const (
	envAudit          = "EXECKIT_MCP_AUDIT"
	envAuditDir       = "EXECKIT_MCP_AUDIT_DIR"
	envRetention      = "EXECKIT_MCP_AUDIT_RETENTION_DAYS"
	envKeyDir         = "EXECKIT_MCP_KEY_DIR"
	envKnownHosts     = "EXECKIT_MCP_KNOWN_HOSTS"
	envInsecureHost   = "EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY"
	envSSHAgent       = "EXECKIT_MCP_SSH_AGENT"
	envMaxSessions    = "EXECKIT_MCP_MAX_SESSIONS"
	envSessionTTL     = "EXECKIT_MCP_SESSION_TTL"
	envTimeoutMax     = "EXECKIT_MCP_TIMEOUT_MAX"
	envOutputKeep     = "EXECKIT_MCP_OUTPUT_KEEP"
	envPolicyFile     = "EXECKIT_MCP_POLICY_FILE"
	envWatchWeb       = "EXECKIT_MCP_WATCH_WEB"
	envWatchPort      = "EXECKIT_MCP_WATCH_PORT"
	envSecretEnv      = "EXECKIT_MCP_SECRET_ENV"
	envRedactKinds    = "EXECKIT_MCP_REDACT_KINDS"
	envCPMaxFile      = "EXECKIT_MCP_CHECKPOINT_MAX_FILE_SIZE"
	defaultMaxSess    = 64
	defaultTTL        = 1800 * time.Second
	defaultTimeoutMax = 3600 * time.Second
	defaultRetention  = 14
	defaultWatchPort  = 7878
)

// settingNames lists every setting, in the order doctor reports them.
var settingNames = []string{
	envAudit, envAuditDir, envRetention, envMaxSessions, envSessionTTL, envTimeoutMax, envOutputKeep,
	envPolicyFile, envSecretEnv, envRedactKinds, envCPMaxFile, envKeyDir, envKnownHosts, envInsecureHost, envSSHAgent, envWatchWeb, envWatchPort,
}

// settings are the operator's choices, parsed and validated.
type settings struct {
	auditFile     string
	auditDir      string
	retentionDays int
	maxSessions   int
	ttl           time.Duration // 0: never reap
	timeoutMax    time.Duration
	outputKeep    int64 // bytes; 0 keeps nothing
	cpMaxFile     int64 // bytes; files over it stay out of checkpoints
	policyFile    string
	policy        *policy.Policy
	secretNames   []string // variables whose values are secrets
	secrets       []string // their values, redacted wherever they appear
	redactKinds   bool     // [REDACTED:kind] rather than [REDACTED]

	keyDir        string // "" only when unset and there is no home directory
	knownHosts    string // likewise
	insecureHosts bool
	sshAgent      bool

	watchWeb  bool
	watchPort int

	raw map[string]string // the variables as set ("" when unset)
}

// settingError is a setting that does not parse: the variable, its value and
// what it should be.
type settingError struct {
	name, value, want string
}

func (e *settingError) Error() string {
	return fmt.Sprintf("%s=%s: %s", e.name, strconv.Quote(clipValue(e.value)), e.want)
}

func clipValue(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// loadSettings reads every setting from getenv. It returns all the errors,
// not only the first, so that one start-up (or one doctor run) shows them
// all. The policy file is read here too, so a broken one stops the server.
func loadSettings(getenv func(string) string) (*settings, []error) {
	st := &settings{
		retentionDays: defaultRetention,
		maxSessions:   defaultMaxSess,
		ttl:           defaultTTL,
		timeoutMax:    defaultTimeoutMax,
		outputKeep:    execkit.DefaultOutputKeep,
		cpMaxFile:     checkpoint.DefaultMaxFileSize,
		watchPort:     defaultWatchPort,
		raw:           map[string]string{},
	}
	var errs []error
	bad := func(name, value, want string) { errs = append(errs, &settingError{name, value, want}) }
	get := func(name string) (string, bool) {
		v := getenv(name)
		st.raw[name] = v
		return v, v != ""
	}
	// The home directory as the ssh transport finds it ($HOME when it is
	// absolute, else the password database), for ~ in paths and the SSH
	// defaults. Without one the SSH defaults stay unset: ssh.Dial then
	// refuses SSH sessions saying why, rather than reading keys and
	// known_hosts relative to wherever the server was started.
	var home string
	if def, err := (&ssh.Operator{}).Resolve(); err == nil {
		home = filepath.Dir(def.KeyDir) // Resolve puts it at <home>/.ssh
		st.keyDir, st.knownHosts = def.KeyDir, def.KnownHostsPath
	}

	if v, ok := get(envAudit); ok {
		if p, err := cleanPath(v, home); err != nil {
			bad(envAudit, v, "must be the path of a file: "+err.Error())
		} else {
			st.auditFile = p
		}
	}
	if v, ok := get(envAuditDir); ok {
		if p, err := cleanPath(v, home); err != nil {
			bad(envAuditDir, v, "must be the path of a directory: "+err.Error())
		} else {
			st.auditDir = p
		}
	}
	if v, ok := get(envRetention); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 100*365 {
			bad(envRetention, v, "must be a whole number of days, 0 (keep all) or more")
		} else {
			st.retentionDays = n
		}
	}
	if v, ok := get(envMaxSessions); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 100000 {
			bad(envMaxSessions, v, "must be a whole number of sessions, from 1 to 100000")
		} else {
			st.maxSessions = n
		}
	}
	if v, ok := get(envSessionTTL); ok {
		if d, err := parseSeconds(v, true); err != nil {
			bad(envSessionTTL, v, "must be a number of seconds, 0 (never reap) or more")
		} else {
			st.ttl = d
		}
	}
	if v, ok := get(envTimeoutMax); ok {
		if d, err := parseSeconds(v, false); err != nil {
			bad(envTimeoutMax, v, "must be a number of seconds, more than 0")
		} else {
			st.timeoutMax = d
		}
	}
	if v, ok := get(envOutputKeep); ok {
		if n, err := parseBytes(v); err != nil {
			bad(envOutputKeep, v, "must be a number of bytes (suffixes KiB, MiB, GiB allowed), 0 or more")
		} else {
			st.outputKeep = n
		}
	}
	if v, ok := get(envCPMaxFile); ok {
		if n, err := parseBytes(v); err != nil || n == 0 {
			bad(envCPMaxFile, v, "must be a number of bytes (suffixes KiB, MiB, GiB allowed), more than 0")
		} else {
			st.cpMaxFile = n
		}
	}
	if v, ok := get(envPolicyFile); ok {
		if p, err := cleanPath(v, home); err != nil {
			bad(envPolicyFile, v, "must be the path of a policy file: "+err.Error())
		} else if pol, err := policy.LoadFile(p); err != nil {
			bad(envPolicyFile, v, "cannot be used: "+err.Error())
		} else {
			st.policyFile, st.policy = p, pol
		}
	}
	if v, ok := get(envSecretEnv); ok {
		for _, n := range strings.Split(v, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if !envNameRE.MatchString(n) {
				bad(envSecretEnv, v, "must be a comma-separated list of environment variable names")
				break
			}
			st.secretNames = append(st.secretNames, n)
			if val := getenv(n); val != "" {
				st.secrets = append(st.secrets, val)
			}
		}
	}

	if v, ok := get(envRedactKinds); ok {
		if b, err := parseBool(v); err != nil {
			bad(envRedactKinds, v, "must be 1/true ([REDACTED:kind], naming what was redacted) or 0/false ([REDACTED])")
		} else {
			st.redactKinds = b
		}
	}
	if v, ok := get(envKeyDir); ok {
		if p, err := cleanPath(v, home); err != nil {
			bad(envKeyDir, v, "must be the path of a directory: "+err.Error())
		} else {
			st.keyDir = p
		}
	}
	if v, ok := get(envKnownHosts); ok {
		if p, err := cleanPath(v, home); err != nil {
			bad(envKnownHosts, v, "must be the path of a known_hosts file: "+err.Error())
		} else {
			st.knownHosts = p
		}
	}
	if v, ok := get(envInsecureHost); ok {
		// Only an explicit yes enables it: "0", "no" or "false" must never
		// be read as a yes, so they are errors rather than guesses.
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true":
			st.insecureHosts = true
		default:
			bad(envInsecureHost, v, "must be 1 or true to disable SSH host-key checks, or unset to keep them")
		}
	}
	if v, ok := get(envSSHAgent); ok {
		if b, err := parseBool(v); err != nil {
			bad(envSSHAgent, v, "must be 1/true (use $SSH_AUTH_SOCK) or 0/false")
		} else {
			st.sshAgent = b
		}
	}
	if v, ok := get(envWatchWeb); ok {
		if b, err := parseBool(v); err != nil {
			bad(envWatchWeb, v, "must be 1/true or 0/false")
		} else {
			st.watchWeb = b
		}
	}
	if v, ok := get(envWatchPort); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 65535 {
			bad(envWatchPort, v, "must be a TCP port, from 1 to 65535")
		} else {
			st.watchPort = n
		}
	}
	return st, errs
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// cleanPath expands a leading ~/ and requires an absolute path: a relative
// one would depend on where the MCP client happens to start the server.
func cleanPath(v, home string) (string, error) {
	if strings.ContainsRune(v, 0) {
		return "", fmt.Errorf("it contains a NUL byte")
	}
	if v == "~" || strings.HasPrefix(v, "~/") {
		if home == "" {
			return "", fmt.Errorf("~ cannot be expanded: no home directory")
		}
		v = filepath.Join(home, v[1:])
	}
	if !filepath.IsAbs(v) {
		return "", fmt.Errorf("it is not absolute")
	}
	return filepath.Clean(v), nil
}

func parseSeconds(v string, zeroOK bool) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 100*365*24*3600 || (f == 0 && !zeroOK) {
		return 0, fmt.Errorf("bad seconds")
	}
	return time.Duration(f * float64(time.Second)), nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean")
}

// parseBytes reads "1048576", "64MiB", "512 KiB", "1G".
func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}

// clampTimeout applies the operator's ceiling to a timeout; zero means the
// library's default, clamped as well.
func (st *settings) clampTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		d = execkit.DefaultTimeout
	}
	return min(d, st.timeoutMax)
}
