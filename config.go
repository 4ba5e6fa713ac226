package execkit

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/execkit/execkit/policy"
)

// Config configures a session. It is plain data: the MCP server and the C ABI
// decode JSON straight into it. The zero value opens a non-interactive bash
// (or sh) in the transport's default directory with the defaults below.
// Open never modifies a Config.
type Config struct {
	// Shell is the shell's argv. Empty: bash where the machine has it
	// (interactive, no startup files), else sh. An interactive shell (-i)
	// is best: an interrupt then abandons the whole command line, as Ctrl-C
	// does. A non-interactive one (busybox ash, whose interactive mode
	// loses input when a background job ends) goes on with the rest of the
	// line after its interrupted child.
	Shell []string `json:"shell,omitempty"`
	// Dir is the initial working directory; empty keeps the transport's.
	Dir string `json:"cwd,omitempty"`
	// Env is exported in the shell at start, after (and overriding) the
	// non-interactive defaults listed in DefaultEnv.
	Env map[string]string `json:"env,omitempty"`
	// Timeout is the default per-command timeout; zero means
	// DefaultTimeout.
	Timeout time.Duration `json:"-"`
	// Budget is the default output budget of every Exec that gives none.
	Budget *Budget `json:"output_budget,omitempty"`
	// MaxChars caps the bytes returned per stream of one result; zero means
	// DefaultMaxChars.
	MaxChars int `json:"max_chars,omitempty"`
	// OutputKeep caps the bytes of full output kept for Output (over all
	// of the session's kept outputs; the oldest go first); zero means
	// DefaultOutputKeep, negative keeps nothing.
	OutputKeep int64 `json:"output_keep,omitempty"`
	// Grace is how long an interrupted command gets after each signal
	// (INT, then TERM, then KILL) before the next; zero means DefaultGrace.
	Grace time.Duration `json:"-"`
	// Policy is the session's layer of the policy fence: it can only narrow
	// OperatorPolicy. Nil adds no rules.
	Policy *policy.Policy `json:"policy,omitempty"`
	// OperatorPolicy is the operator's layer, which the session's cannot
	// loosen. Never fill it from an agent's arguments.
	OperatorPolicy *policy.Policy `json:"operator_policy,omitempty"`
	// Secrets are values redacted wherever they appear in output (and
	// their base64 and URL-encoded forms), besides the built-in rules.
	Secrets []string `json:"secrets,omitempty"`
	// RedactKinds writes "[REDACTED:kind]" instead of "[REDACTED]".
	RedactKinds bool `json:"redact_kinds,omitempty"`

	// Workspace enables checkpoints (see Session.Checkpoint): the directory,
	// on the session's machine, whose files a checkpoint snapshots. Empty
	// disables them; it never defaults to the working directory or $HOME.
	Workspace string `json:"workspace,omitempty"`
	// Paths narrows checkpoints to these paths inside Workspace; empty
	// means all of it.
	Paths []string `json:"paths,omitempty"`
	// CheckpointIgnores are extra gitignore-style patterns excluded from
	// checkpoints, on top of the built-in ones (.git, node_modules, build
	// and cache directories, virtualenvs, .ssh, .aws, ...).
	CheckpointIgnores []string `json:"checkpoint_ignores,omitempty"`
	// AutoSnapshot takes a checkpoint before each command that may change
	// files.
	AutoSnapshot bool `json:"auto_snapshot,omitempty"`
	// CheckpointDir is where local shadow repositories live; empty means
	// the user's cache directory (execkit/checkpoints). Operator setting.
	CheckpointDir string `json:"checkpoint_dir,omitempty"`
	// CheckpointKeep is how many checkpoints a workspace keeps (oldest
	// dropped first); zero means DefaultCheckpointKeep.
	CheckpointKeep int `json:"checkpoint_keep,omitempty"`
	// CheckpointMaxFileSize leaves files larger than this many bytes out of
	// checkpoints and of Result.Files (they are listed in
	// Checkpoint.TooLarge, with the limit); zero means
	// checkpoint.DefaultMaxFileSize (32 MiB), negative means no limit.
	CheckpointMaxFileSize int64 `json:"checkpoint_max_file_size,omitempty"`
	// NoFileChanges turns Result.Files off: with a workspace, each command
	// that may change files otherwise costs a walk over the workspace's
	// metadata before and after it (one with AutoSnapshot, which walks
	// anyway), about 6 ms per thousand files here.
	NoFileChanges bool `json:"no_file_changes,omitempty"`
}

// DefaultCheckpointKeep is the checkpoints kept per workspace by default.
const DefaultCheckpointKeep = 50

// Defaults for zero Config and ExecOptions fields.
const (
	DefaultTimeout    = 10 * time.Minute
	DefaultMaxChars   = 100_000
	DefaultOutputKeep = 64 << 20
	DefaultGrace      = 2 * time.Second
)

// DefaultEnv is exported in every session before Config.Env, so programs that
// would wait for a person return instead: pagers print, editors fail fast,
// git and package managers do not prompt.
var DefaultEnv = map[string]string{
	"PAGER":               "cat",
	"GIT_PAGER":           "cat",
	"MANPAGER":            "cat",
	"SYSTEMD_PAGER":       "",
	"LESS":                "-FRX",
	"EDITOR":              "false",
	"VISUAL":              "false",
	"GIT_EDITOR":          "false",
	"GIT_SEQUENCE_EDITOR": "false",
	"GIT_TERMINAL_PROMPT": "0",
	"GIT_ASKPASS":         "false",
	"SSH_ASKPASS":         "false",
	"GCM_INTERACTIVE":     "never",
	"DEBIAN_FRONTEND":     "noninteractive",
	"PIP_NO_INPUT":        "1",
	"TERM":                "dumb",
	"NO_COLOR":            "1",
	"HISTFILE":            "/dev/null",
}

// ExecOptions are per-call options; nil means the session's defaults.
type ExecOptions struct {
	// Timeout overrides the session's timeout; zero keeps it.
	Timeout time.Duration `json:"-"`
	// Stdin is the command's standard input. Empty means /dev/null. On
	// POSIX sh (not bash) sessions the input reaches the command through a
	// here-document, which ends it with a newline if it lacks one.
	Stdin string `json:"stdin,omitempty"`
	// Budget overrides the session's default budget.
	Budget *Budget `json:"budget,omitempty"`
	// OnTimeout is what a timeout does: "" or "interrupt" interrupts the
	// command; "continue" leaves it running as a job (see Result.JobID).
	OnTimeout string `json:"on_timeout,omitempty"`
	// OnOutput, if set, receives the command's cleaned and redacted output
	// as it arrives (stream is "stdout" or "stderr"), for live progress. It
	// is called from the session's reader goroutines and must not block.
	OnOutput func(stream string, text []byte) `json:"-"`
}

// durations travel as seconds in JSON (timeout_s, grace_s), matching the MCP
// tools' arguments.
type configJSON struct {
	TimeoutS float64 `json:"timeout_s,omitempty"`
	GraceS   float64 `json:"grace_s,omitempty"`
}

func secondsToDuration(field string, s float64) (time.Duration, error) {
	if math.IsNaN(s) || s < 0 || s > 365*24*3600 {
		return 0, fmt.Errorf("execkit: %s must be between 0 and one year in seconds", field)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// MarshalJSON writes durations as seconds.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		configJSON
	}{plain(c), configJSON{TimeoutS: c.Timeout.Seconds(), GraceS: c.Grace.Seconds()}})
}

// UnmarshalJSON reads durations as seconds (timeout_s, grace_s).
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var v struct {
		plain
		configJSON
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := secondsToDuration("timeout_s", v.TimeoutS)
	if err != nil {
		return err
	}
	g, err := secondsToDuration("grace_s", v.GraceS)
	if err != nil {
		return err
	}
	*c = Config(v.plain)
	c.Timeout, c.Grace = t, g
	return nil
}

// MarshalJSON writes the timeout as seconds.
func (o ExecOptions) MarshalJSON() ([]byte, error) {
	type plain ExecOptions
	return json.Marshal(struct {
		plain
		TimeoutS float64 `json:"timeout_s,omitempty"`
	}{plain(o), o.Timeout.Seconds()})
}

// UnmarshalJSON reads the timeout as seconds (timeout_s).
func (o *ExecOptions) UnmarshalJSON(b []byte) error {
	type plain ExecOptions
	var v struct {
		plain
		TimeoutS float64 `json:"timeout_s,omitempty"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := secondsToDuration("timeout_s", v.TimeoutS)
	if err != nil {
		return err
	}
	*o = ExecOptions(v.plain)
	o.Timeout = t
	return nil
}
