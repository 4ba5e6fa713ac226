package ssh

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is what the caller (typically an agent, through the MCP server or
// the C ABI) may ask for: where to connect, as whom, with which credential,
// and optionally which host key to insist on. Every field is untrusted:
// Dial validates them all before dialing, and none of them can loosen what
// the Operator decided. Dial never modifies a Config.
type Config struct {
	// Host is a host name or an IP address (IPv6 with or without
	// brackets). Required.
	Host string `json:"host"`
	// Port is the TCP port; zero means 22.
	Port int `json:"port,omitempty"`
	// User is the account to log in as. Required.
	User string `json:"user"`
	// Password authenticates by password, and answers a server's
	// keyboard-interactive password prompt. Empty: no password auth. It is
	// a secret: see Secrets.
	Password string `json:"password,omitempty"`
	// KeyPath names a private key file inside the operator's key directory
	// (Operator.KeyDir), relative to it or absolute. It must resolve inside
	// that directory after symlinks; anything else is refused with
	// ErrKeyPath, whatever the reason. Empty: no key file.
	KeyPath string `json:"key_path,omitempty"`
	// Passphrase decrypts a passphrase-protected KeyPath. Empty: use the
	// operator's passphrase for that key (Operator.Passphrases), if any.
	Passphrase string `json:"passphrase,omitempty"`
	// Fingerprint pins the host key: "SHA256:..." as ssh-keygen -l prints
	// it. A pin only narrows trust: it is checked in addition to
	// known_hosts, never instead of it, so a host known_hosts already knows
	// cannot be pinned to another key. Empty: no pin.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Secrets returns the credential values in c (password, passphrase) for the
// session to redact wherever they appear in output
// (execkit.Config.Secrets).
func (c Config) Secrets() []string {
	var s []string
	for _, v := range []string{c.Password, c.Passphrase} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// String describes c without its secrets, so a Config printed with %v does
// not leak them.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ssh.Config{%s@%s", c.User, hostPort(c.Host, c.port()))
	if c.KeyPath != "" {
		fmt.Fprintf(&b, " key_path=%q", c.KeyPath)
	}
	if c.Password != "" {
		b.WriteString(" password=[set]")
	}
	if c.Passphrase != "" {
		b.WriteString(" passphrase=[set]")
	}
	if c.Fingerprint != "" {
		b.WriteString(" fingerprint=" + c.Fingerprint)
	}
	b.WriteString("}")
	return b.String()
}

func (c *Config) port() int {
	if c.Port == 0 {
		return 22
	}
	return c.Port
}

// ConfigError reports a Config field Dial refused before dialing.
type ConfigError struct {
	Field  string // the JSON name of the field, e.g. "host"
	Reason string
}

func (e *ConfigError) Error() string { return "ssh: bad " + e.Field + ": " + e.Reason }

// ErrKeyPath is the one error for every key_path that cannot be used: one
// that leaves the operator's key directory (by "..", an absolute path or a
// symlink), does not exist, is not a regular file or is not a private key.
// It deliberately does not say which, so it reveals nothing about the files
// outside the key directory.
var ErrKeyPath = errors.New("ssh: key_path must name a private key file inside the operator's key directory")

const maxHostLen = 253

// validate checks every agent-supplied field and returns the host in the
// form used to dial (IPv6 without brackets).
func (c *Config) validate() (host string, err error) {
	host, err = validHost(c.Host)
	if err != nil {
		return "", err
	}
	if c.Port < 0 || c.Port > 65535 {
		return "", &ConfigError{"port", fmt.Sprintf("%d is not a TCP port (1-65535; 0 means 22)", c.Port)}
	}
	if err := validUser(c.User); err != nil {
		return "", err
	}
	if strings.ContainsRune(c.Password, 0) {
		return "", &ConfigError{"password", "it contains a NUL byte"}
	}
	if strings.ContainsRune(c.Passphrase, 0) {
		return "", &ConfigError{"passphrase", "it contains a NUL byte"}
	}
	if c.Fingerprint != "" {
		if _, err := parsePin(c.Fingerprint); err != nil {
			return "", err
		}
	}
	return host, nil
}

func validHost(h string) (string, error) {
	bad := func(why string) (string, error) {
		return "", &ConfigError{"host", fmt.Sprintf("%q %s", h, why)}
	}
	if h == "" {
		return "", &ConfigError{"host", "it is required"}
	}
	if len(h) > maxHostLen {
		return bad("is longer than a host name can be")
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() {
			return bad("is not a bracketed IPv6 address")
		}
		if !validZone(a.Zone()) {
			return bad("has an unusable IPv6 zone")
		}
		return h[1 : len(h)-1], nil
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if !validZone(a.Zone()) {
			return bad("has an unusable IPv6 zone")
		}
		return h, nil
	}
	// A DNS name: dot-separated labels of letters, digits, '-' and '_'
	// (seen in the wild), no label starting or ending with '-'. Nothing
	// else: spaces, newlines, '@', '/', '%' or a leading '-' (an option to
	// some program, say ssh -oProxyCommand=...) never reach a dial, a
	// known_hosts line or a session id.
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return bad("is not a host name or an IP address")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return bad("is not a host name or an IP address (a label starts or ends with '-')")
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
				return bad("is not a host name or an IP address")
			}
		}
	}
	return h, nil
}

func validZone(z string) bool {
	for i := 0; i < len(z); i++ {
		ch := z[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

// validUser accepts POSIX portable user names (letters, digits, '.', '_',
// '-', not starting with '-'), and '$' at the end (machine accounts).
func validUser(u string) error {
	if u == "" {
		return &ConfigError{"user", "it is required"}
	}
	if len(u) > 256 {
		return &ConfigError{"user", "it is longer than a user name can be"}
	}
	if u[0] == '-' {
		return &ConfigError{"user", fmt.Sprintf("%q starts with '-'", u)}
	}
	for i := 0; i < len(u); i++ {
		ch := u[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-' || ch == '$' && i == len(u)-1 {
			continue
		}
		return &ConfigError{"user", fmt.Sprintf("%q is not a user name (letters, digits, '.', '_' and '-' only)", u)}
	}
	return nil
}

// parsePin checks a "SHA256:<base64>" fingerprint and returns it in
// ssh.FingerprintSHA256's form (unpadded).
func parsePin(p string) (string, error) {
	b64, ok := strings.CutPrefix(p, "SHA256:")
	if !ok {
		return "", &ConfigError{"fingerprint", fmt.Sprintf("%q is not a SHA256 fingerprint (SHA256:... as ssh-keygen -l prints it; MD5 is not accepted)", p)}
	}
	b64 = strings.TrimRight(b64, "=")
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return "", &ConfigError{"fingerprint", fmt.Sprintf("%q is not a SHA256 fingerprint (SHA256:... as ssh-keygen -l prints it)", p)}
	}
	return "SHA256:" + b64, nil
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Operator holds what only the operator decides: where keys may come from,
// which hosts are trusted, whether ssh-agent may be used, and the timings.
// Never fill it from an agent's arguments. The zero value is the safe
// default: keys from ~/.ssh, host keys checked against ~/.ssh/known_hosts
// with trust on first use, no agent. Dial never modifies an Operator.
type Operator struct {
	// KeyDir is the only directory Config.KeyPath may resolve into (after
	// symlinks). Empty means ~/.ssh, home from $HOME, else the password
	// database (Dial fails when neither gives an absolute path).
	KeyDir string `json:"key_dir,omitempty"`
	// Passphrases decrypt passphrase-protected keys the operator provides,
	// by the key's path relative to KeyDir as it resolves ("id_ed25519",
	// "deploy/id_rsa"). A Config.Passphrase takes precedence. Nil: none.
	Passphrases map[string]string `json:"passphrases,omitempty"`
	// KnownHostsPath is the OpenSSH known_hosts file host keys are checked
	// against and first keys recorded in, in OpenSSH's own format. Empty
	// means ~/.ssh/known_hosts.
	KnownHostsPath string `json:"known_hosts,omitempty"`
	// RefuseUnknownHosts turns trust-on-first-use off: a host known_hosts
	// does not know is refused (HostKeyUnknown), pinned or not. False: the
	// first key (which must match Config.Fingerprint when one is given) is
	// recorded and trusted.
	RefuseUnknownHosts bool `json:"refuse_unknown_hosts,omitempty"`
	// HashKnownHosts records new hosts hashed (as OpenSSH's HashKnownHosts
	// yes does) even in a file with no hashed entries yet. False: new
	// entries are hashed only if the file already holds hashed ones.
	HashKnownHosts bool `json:"hash_known_hosts,omitempty"`
	// InsecureAcceptAnyHostKey disables host key checking: any key is
	// accepted and nothing is recorded, so a man in the middle goes
	// unnoticed. Only a Config.Fingerprint pin is still enforced. False:
	// keys are checked.
	InsecureAcceptAnyHostKey bool `json:"insecure_accept_any_host_key,omitempty"`
	// UseAgent lets sessions authenticate with the keys of the ssh-agent at
	// AgentSocket. False: the agent is never contacted.
	UseAgent bool `json:"use_agent,omitempty"`
	// AgentSocket is the agent's socket; empty means $SSH_AUTH_SOCK.
	AgentSocket string `json:"agent_socket,omitempty"`
	// DialTimeout bounds connecting: TCP, key exchange and authentication.
	// Zero means DefaultDialTimeout; negative leaves it to the context.
	DialTimeout time.Duration `json:"-"`
	// KeepaliveInterval is how often an idle connection is probed
	// (keepalive@openssh.com); a connection whose probe is unanswered for
	// KeepaliveInterval*KeepaliveCountMax is declared lost. Zero means
	// DefaultKeepaliveInterval; negative turns keepalives off.
	KeepaliveInterval time.Duration `json:"-"`
	// KeepaliveCountMax is how many intervals a probe may go unanswered.
	// Zero means DefaultKeepaliveCountMax.
	KeepaliveCountMax int `json:"keepalive_count_max,omitempty"`
}

// Defaults for zero Operator fields.
const (
	DefaultDialTimeout       = 15 * time.Second
	DefaultKeepaliveInterval = 5 * time.Second
	DefaultKeepaliveCountMax = 3
)

// Resolve returns a copy of o with its defaults filled in: the key
// directory and known_hosts paths it would use (for a doctor command to
// show), and the timings. o itself is not modified.
func (o *Operator) Resolve() (*Operator, error) {
	r := &Operator{}
	if o != nil {
		*r = *o
	}
	if r.KeyDir == "" || r.KnownHostsPath == "" {
		home, err := homeDir()
		if err != nil {
			return nil, err
		}
		if r.KeyDir == "" {
			r.KeyDir = filepath.Join(home, ".ssh")
		}
		if r.KnownHostsPath == "" {
			r.KnownHostsPath = filepath.Join(home, ".ssh", "known_hosts")
		}
	}
	if r.UseAgent && r.AgentSocket == "" {
		r.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
	}
	if r.DialTimeout == 0 {
		r.DialTimeout = DefaultDialTimeout
	}
	if r.KeepaliveInterval == 0 {
		r.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if r.KeepaliveCountMax <= 0 {
		r.KeepaliveCountMax = DefaultKeepaliveCountMax
	}
	return r, nil
}

// homeDir is $HOME, else the password database's home for this user. A
// relative $HOME (or database entry) is no home: the paths under it would
// depend on the current directory.
func homeDir() (string, error) {
	if h := os.Getenv("HOME"); filepath.IsAbs(h) {
		return h, nil
	}
	u, err := user.Current()
	if err == nil && filepath.IsAbs(u.HomeDir) {
		return u.HomeDir, nil
	}
	why := "it has no absolute home directory"
	if err != nil {
		why = err.Error()
	}
	return "", fmt.Errorf("ssh: no home directory for the default key directory and known_hosts ($HOME is unset or not absolute, and the password database: %s); the operator must set both", why)
}

// operatorJSON carries the durations as seconds (dial_timeout_s,
// keepalive_interval_s), like execkit.Config's timeout_s.
type operatorJSON struct {
	DialTimeoutS       float64 `json:"dial_timeout_s,omitempty"`
	KeepaliveIntervalS float64 `json:"keepalive_interval_s,omitempty"`
}

func seconds(field string, s float64) (time.Duration, error) {
	if math.IsNaN(s) || math.Abs(s) > 365*24*3600 {
		return 0, fmt.Errorf("ssh: %s must be at most a year in seconds", field)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// MarshalJSON writes the durations as seconds.
func (o Operator) MarshalJSON() ([]byte, error) {
	type plain Operator
	return json.Marshal(struct {
		plain
		operatorJSON
	}{plain(o), operatorJSON{o.DialTimeout.Seconds(), o.KeepaliveInterval.Seconds()}})
}

// UnmarshalJSON reads the durations as seconds (dial_timeout_s,
// keepalive_interval_s).
func (o *Operator) UnmarshalJSON(b []byte) error {
	type plain Operator
	var v struct {
		plain
		operatorJSON
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d, err := seconds("dial_timeout_s", v.DialTimeoutS)
	if err != nil {
		return err
	}
	k, err := seconds("keepalive_interval_s", v.KeepaliveIntervalS)
	if err != nil {
		return err
	}
	*o = Operator(v.plain)
	o.DialTimeout, o.KeepaliveInterval = d, k
	return nil
}
