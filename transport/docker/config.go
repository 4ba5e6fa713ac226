package docker

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Config is what a session asks for: the container to enter and, where the
// Operator allows it, the user and start directory. It is plain data, decoded
// straight from an agent's tool arguments, so every field is untrusted:
// Dial validates it against Docker's rules and the Operator's settings before
// any API call, and never modifies it.
type Config struct {
	// Container is the container's name or ID (a full ID or a unique
	// prefix of at least two hex digits), as `docker ps` shows it. A
	// leading "/" (as the API reports names) is accepted. Required.
	Container string `json:"container"`
	// User runs the session's processes as this user ("name", "uid",
	// "name:group" or "uid:gid"). Empty means Operator.User, else the
	// container's configured user. Any other value needs the Operator's
	// permission (Operator.AllowUsers).
	User string `json:"user,omitempty"`
	// WorkDir is the absolute directory the shell starts in. Empty means
	// Operator.WorkDir, else the container's working directory. Any other
	// value needs Operator.AllowWorkDir.
	WorkDir string `json:"workdir,omitempty"`
}

// Operator holds the operator's settings: start-up configuration that an
// agent's arguments never fill. The zero value reaches the daemon the docker
// CLI would, lets sessions enter any running container the daemon shows, as
// the container's configured user and in its working directory, and lets
// Config choose neither user nor directory.
type Operator struct {
	// Host is the daemon's address, as in DOCKER_HOST
	// ("unix:///var/run/docker.sock", "tcp://10.0.0.5:2376"). Empty means
	// the docker CLI's environment (DOCKER_HOST, DOCKER_API_VERSION,
	// DOCKER_CERT_PATH, DOCKER_TLS_VERIFY), else the default socket.
	Host string `json:"host,omitempty"`
	// Containers, if not empty, lists the only containers sessions may
	// enter: names, or IDs (a full ID, or a prefix of at least 12 hex
	// digits). Empty means any container the daemon shows.
	Containers []string `json:"containers,omitempty"`
	// User is the user sessions run as when Config.User is empty; empty
	// means the container's configured user.
	User string `json:"user,omitempty"`
	// AllowUsers lists the users Config.User may name besides User; "*"
	// allows any. Empty means Config.User must be empty or equal User.
	// Choosing a user is a privilege decision (root in a container whose
	// default user is not): allow only what the agent may become.
	AllowUsers []string `json:"allow_users,omitempty"`
	// WorkDir is the absolute start directory when Config.WorkDir is
	// empty; empty means the container's working directory.
	WorkDir string `json:"workdir,omitempty"`
	// AllowWorkDir lets Config.WorkDir choose the start directory. It is
	// no boundary (the shell can cd anywhere the user may); it lets an
	// operator pin where sessions begin.
	AllowWorkDir bool `json:"allow_workdir,omitempty"`
}

// ConfigError reports a Config or Operator field that Dial refused before
// reaching the daemon: a value that breaks Docker's rules, or a choice the
// Operator does not allow.
type ConfigError struct {
	// Field is the JSON name of the field at fault: "container", "user",
	// "workdir", or "operator.<name>" for an operator setting.
	Field string
	// Reason says what is wrong, in a sentence fragment.
	Reason string
}

// Error implements error: "docker: bad <field>: <reason>".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("docker: bad %s: %s", e.Field, e.Reason)
}

// maxRef bounds a container reference. Docker sets no limit on names; IDs
// are 64 hex digits.
const maxRef = 255

var (
	// Docker's restrictedNameChars: a name starts with an alphanumeric and
	// has at least two characters. An ID prefix of two or more hex digits
	// matches it too.
	refPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)
	hexPattern = regexp.MustCompile(`^[0-9a-f]{12,64}$`)
	// user or uid, with an optional group or gid, as `docker exec -u`
	// takes it; never starting with "-".
	userPattern = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_.-]*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]*)?$`)
)

// show quotes an untrusted value for an error message, cut short.
func show(s string) string {
	if len(s) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// ValidContainer reports whether ref is a container name or ID by Docker's
// rules, returning it without a leading "/". Dial calls it first; it is
// exported for callers that check arguments early (an MCP server).
func ValidContainer(ref string) (string, error) {
	name := strings.TrimPrefix(ref, "/")
	switch {
	case name == "":
		return "", &ConfigError{Field: "container", Reason: "a container name or ID is required"}
	case len(name) > maxRef:
		return "", &ConfigError{Field: "container", Reason: fmt.Sprintf("%s is longer than %d bytes", show(name), maxRef)}
	case !refPattern.MatchString(name):
		return "", &ConfigError{Field: "container", Reason: fmt.Sprintf("%s is not a Docker container name or ID (letters, digits, '_', '.', '-', starting with a letter or digit)", show(name))}
	}
	return name, nil
}

func validUser(field, u string) error {
	if u == "" {
		return nil
	}
	if len(u) > 128 || !userPattern.MatchString(u) {
		return &ConfigError{Field: field, Reason: fmt.Sprintf("%s is not a user, uid, user:group or uid:gid", show(u))}
	}
	return nil
}

func validDir(field, d string) error {
	if d == "" {
		return nil
	}
	if !strings.HasPrefix(d, "/") || len(d) > 4096 || !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &ConfigError{Field: field, Reason: fmt.Sprintf("%s is not an absolute path without control characters", show(d))}
	}
	return nil
}

// settings is a validated Config under an Operator.
type settings struct {
	container string
	user      string
	workDir   string
}

// resolve validates cfg and op and decides the user and directory. It never
// touches the daemon.
func resolve(cfg *Config, op *Operator) (*settings, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if op == nil {
		op = &Operator{}
	}
	name, err := ValidContainer(cfg.Container)
	if err != nil {
		return nil, err
	}
	if err := validUser("operator.user", op.User); err != nil {
		return nil, err
	}
	for _, u := range op.AllowUsers {
		if u != "*" {
			if err := validUser("operator.allow_users", u); err != nil {
				return nil, err
			}
		}
	}
	if err := validDir("operator.workdir", op.WorkDir); err != nil {
		return nil, err
	}
	for _, c := range op.Containers {
		if _, err := ValidContainer(c); err != nil {
			return nil, &ConfigError{Field: "operator.containers", Reason: err.(*ConfigError).Reason}
		}
	}
	if err := validUser("user", cfg.User); err != nil {
		return nil, err
	}
	if err := validDir("workdir", cfg.WorkDir); err != nil {
		return nil, err
	}

	s := &settings{container: name, user: op.User, workDir: op.WorkDir}
	if cfg.User != "" && cfg.User != op.User {
		allowed := false
		for _, u := range op.AllowUsers {
			if u == "*" || u == cfg.User {
				allowed = true
				break
			}
		}
		if !allowed {
			return nil, &ConfigError{Field: "user", Reason: fmt.Sprintf("the operator does not allow sessions to run as %s", show(cfg.User))}
		}
		s.user = cfg.User
	}
	if cfg.WorkDir != "" && cfg.WorkDir != op.WorkDir {
		if !op.AllowWorkDir {
			return nil, &ConfigError{Field: "workdir", Reason: "the operator does not allow sessions to choose their start directory"}
		}
		s.workDir = cfg.WorkDir
	}
	return s, nil
}

// allowedContainer reports whether the container the daemon resolved (its
// canonical name and full ID) is one the operator lists.
func allowedContainer(op *Operator, name, id string) bool {
	if op == nil || len(op.Containers) == 0 {
		return true
	}
	for _, c := range op.Containers {
		c = strings.TrimPrefix(c, "/")
		if c == name || c == id || (hexPattern.MatchString(c) && strings.HasPrefix(id, c)) {
			return true
		}
	}
	return false
}
