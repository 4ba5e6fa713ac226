package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/policy"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Bounds on what one call may send; the library bounds what comes back.
const (
	maxCommand = 1 << 20
	maxStdin   = 16 << 20
	maxEnv     = 1000
)

func (a *app) tools() []server.ServerTool {
	return append([]server.ServerTool{
		a.sessionCreate(),
		a.sessionExec(),
		a.sessionOutput(),
		a.sessionDestroy(),
		a.sessionList(),
	}, append(a.jobTools(), a.checkpointTools()...)...)
}

// budgetProperties is the JSON schema of a budget object.
var budgetProperties = map[string]any{
	"keep": map[string]any{
		"type":        "object",
		"description": "Keep only the first, last, or first and last n lines.",
		"properties": map[string]any{
			"mode": map[string]any{"type": "string", "enum": []string{"head", "tail", "head_tail"}},
			"n":    map[string]any{"type": "integer", "minimum": 1, "maximum": execkit.MaxKeepLines},
		},
		"required":             []string{"mode", "n"},
		"additionalProperties": false,
	},
	"grep": map[string]any{
		"type":        "object",
		"description": "Keep only lines matching pattern (an RE2 regular expression), with context lines around each match.",
		"properties": map[string]any{
			"pattern": map[string]any{"type": "string", "maxLength": execkit.MaxPatternLen},
			"context": map[string]any{"type": "integer", "minimum": 0, "maximum": execkit.MaxGrepContext},
		},
		"required":             []string{"pattern"},
		"additionalProperties": false,
	},
	"max_chars": map[string]any{"type": "integer", "minimum": 1, "description": "Cap on the characters returned per stream."},
}

func budgetOption(name, desc string) mcp.ToolOption {
	return mcp.WithObject(name, mcp.Description(desc), mcp.Properties(budgetProperties), mcp.AdditionalProperties(false))
}

func sessionIDOption() mcp.ToolOption {
	return mcp.WithString("session_id", mcp.Required(), mcp.Description("The session_id session_create returned."))
}

// --- session_create ---

// transportSpec is one value of session_create's transport argument: the
// arguments only it takes, and how it opens a session.
type transportSpec struct {
	args []string
	open func(ctx context.Context, st *settings, a *args, cfg *execkit.Config, opts []execkit.Option) (*execkit.Session, error)
}

var transports = map[string]transportSpec{
	"local": {
		open: func(ctx context.Context, _ *settings, _ *args, cfg *execkit.Config, opts []execkit.Option) (*execkit.Session, error) {
			return execkit.OpenLocal(ctx, cfg, opts...)
		},
	},
	"ssh": {
		args: []string{"host", "port", "user", "password", "key_path", "fingerprint"},
		open: openSSH,
	},
	"docker": {
		args: []string{"container"},
		open: openDocker,
	},
}

// openSSH dials with the agent's connection arguments and the operator's
// trust settings; the password is redacted wherever it shows up.
func openSSH(ctx context.Context, st *settings, a *args, cfg *execkit.Config, opts []execkit.Option) (*execkit.Session, error) {
	var c ssh.Config
	var err error
	if c.Host, err = a.str("host", true); err != nil {
		return nil, err
	}
	if c.User, err = a.str("user", true); err != nil {
		return nil, err
	}
	port, _, err := a.integer("port", 1, 65535)
	if err != nil {
		return nil, err
	}
	c.Port = int(port)
	if c.Password, err = a.str("password", false); err != nil {
		return nil, err
	}
	if c.KeyPath, err = a.str("key_path", false); err != nil {
		return nil, err
	}
	if c.Fingerprint, err = a.str("fingerprint", false); err != nil {
		return nil, err
	}
	op := &ssh.Operator{
		KeyDir:                   st.keyDir,
		KnownHostsPath:           st.knownHosts,
		InsecureAcceptAnyHostKey: st.insecureHosts,
		UseAgent:                 st.sshAgent,
	}
	t, err := ssh.Dial(ctx, &c, op)
	if err != nil {
		return nil, err
	}
	cfg.Secrets = append(cfg.Secrets, c.Secrets()...)
	return execkit.Open(ctx, t, cfg, append(opts, execkit.WithTransport())...)
}

// openDocker enters a running container the daemon shows.
func openDocker(ctx context.Context, _ *settings, a *args, cfg *execkit.Config, opts []execkit.Option) (*execkit.Session, error) {
	container, err := a.str("container", true)
	if err != nil {
		return nil, err
	}
	t, err := docker.Dial(ctx, &docker.Config{Container: container}, &docker.Operator{})
	if err != nil {
		return nil, err
	}
	return execkit.Open(ctx, t, cfg, append(opts, execkit.WithTransport())...)
}

var transportNames = []string{"local", "ssh", "docker"}

var createArgs = []string{
	"transport",
	"host", "port", "user", "password", "key_path", "fingerprint",
	"container",
	"allow", "deny", "deny_patterns", "output_budget",
	"workspace", "auto_snapshot", "file_changes", "paths", "checkpoint_ignores",
	"cwd", "env", "timeout_s",
}

func (a *app) sessionCreate() server.ServerTool {
	tool := mcp.NewTool("session_create",
		mcp.WithDescription("Open a persistent shell session and return its session_id. The shell keeps cd, exported variables, functions and aliases between session_exec calls. transport \"local\" is this machine; \"ssh\" a remote host (host, user, and password or key_path); \"docker\" a running container (container)."),
		mcp.WithString("transport", mcp.Enum(transportNames...), mcp.DefaultString("local"), mcp.Description(`Where the shell runs: "local" (this machine), "ssh" (a remote host) or "docker" (a running container).`)),
		mcp.WithString("host", mcp.Description("ssh: the host to connect to (required for ssh).")),
		mcp.WithInteger("port", mcp.Min(1), mcp.Max(65535), mcp.Description("ssh: the port, 22 by default.")),
		mcp.WithString("user", mcp.Description("ssh: the user to log in as (required for ssh).")),
		mcp.WithString("password", mcp.Description("ssh: the password, if the host takes password login. It is redacted from all output.")),
		mcp.WithString("key_path", mcp.Description("ssh: a private key file inside the operator's key directory (EXECKIT_MCP_KEY_DIR, ~/.ssh by default).")),
		mcp.WithString("fingerprint", mcp.Description("ssh: the host key's SHA256:... fingerprint to pin; it can only narrow the operator's known_hosts, never override it.")),
		mcp.WithString("container", mcp.Description("docker: the running container's name or id (required for docker).")),
		mcp.WithArray("allow", mcp.WithStringItems(), mcp.Description("If given, the only programs this session may run (program names such as \"git\", \"go\"). The operator's policy still applies.")),
		mcp.WithArray("deny", mcp.WithStringItems(), mcp.Description("Programs this session must never run (program names such as \"rm\").")),
		mcp.WithArray("deny_patterns", mcp.WithStringItems(), mcp.Description("Regular expressions (RE2); a command matching any is refused.")),
		budgetOption("output_budget", "The default budget of every session_exec that gives none."),
		mcp.WithString("workspace", mcp.Description("Enables checkpoints (session_checkpoint / session_restore): the directory whose files they snapshot, an absolute path on the session's machine. Never defaulted.")),
		mcp.WithBoolean("auto_snapshot", mcp.Description("With a workspace: take a checkpoint before each command that may change files (default true when a workspace is set).")),
		mcp.WithBoolean("file_changes", mcp.Description("With a workspace: report in each result (files) which files the command created, modified and deleted (default true; false saves a walk over the workspace before and after each command that may change files).")),
		mcp.WithArray("paths", mcp.WithStringItems(), mcp.Description("With a workspace: only these paths inside it are checkpointed.")),
		mcp.WithArray("checkpoint_ignores", mcp.WithStringItems(), mcp.Description("With a workspace: extra gitignore-style patterns left out of checkpoints (on top of .git, node_modules, build and cache dirs, .ssh, ...).")),
		mcp.WithString("cwd", mcp.Description("The initial working directory (an absolute path).")),
		mcp.WithObject("env", mcp.AdditionalProperties(map[string]any{"type": "string"}), mcp.Description("Environment variables to export in the shell at start.")),
		mcp.WithNumber("timeout_s", mcp.Min(0), mcp.Description(fmt.Sprintf("The default timeout of each command, in seconds (default %d, at most %d here).", int(min(execkit.DefaultTimeout, a.st.timeoutMax)/time.Second), int(a.st.timeoutMax/time.Second)))),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleCreate}
}

func (a *app) handleCreate(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, createArgs)
	if err != nil {
		return toolError(err), nil
	}
	name, err := args.str("transport", false)
	if err != nil {
		return toolError(err), nil
	}
	if !args.has("transport") {
		name = "local"
	}
	spec, ok := transports[name]
	if !ok {
		return toolError(argErrorf("Unknown transport %s; use one of local, ssh, docker (lower case).", quoteArg(name))), nil
	}
	for other, otherSpec := range transports {
		if other == name {
			continue
		}
		for _, arg := range otherSpec.args {
			if args.has(arg) && !contains(spec.args, arg) {
				return toolError(argErrorf("Argument %s is only for transport %s, not %s.", arg, other, name)), nil
			}
		}
	}
	cfg, err := a.sessionConfig(args)
	if err != nil {
		return toolError(err), nil
	}
	var opts []execkit.Option
	if a.audit != nil {
		opts = append(opts, execkit.WithObserver(a.audit.Observer()))
	}
	s, err := a.mgr.Open(ctx, func(ctx context.Context) (*execkit.Session, error) {
		return spec.open(ctx, a.st, args, cfg, opts)
	})
	if errors.Is(err, execkit.ErrTooManySessions) {
		return toolError(fmt.Errorf("%v; destroy one with session_destroy (session_list shows them)", err)), nil
	}
	if err != nil {
		return toolError(err), nil
	}
	return result(map[string]any{
		"session_id": s.ID(),
		"transport":  s.Transport(),
		"cwd":        s.Cwd(),
		"timeout_s":  cfg.Timeout.Seconds(),
	}), nil
}

// sessionConfig maps the arguments every transport takes onto a Config.
func (a *app) sessionConfig(args *args) (*execkit.Config, error) {
	cfg := &execkit.Config{OperatorPolicy: a.st.policy, OutputKeep: a.st.outputKeep, Secrets: a.st.secrets, RedactKinds: a.st.redactKinds, CheckpointMaxFileSize: a.st.cpMaxFile}
	if a.st.outputKeep == 0 {
		cfg.OutputKeep = -1 // the operator keeps nothing
	}
	var pol policy.Policy
	var err error
	if pol.Allow, err = args.strList("allow", policy.MaxEntries); err != nil {
		return nil, err
	}
	if pol.Deny, err = args.strList("deny", policy.MaxEntries); err != nil {
		return nil, err
	}
	if pol.DenyPatterns, err = args.strList("deny_patterns", policy.MaxEntries); err != nil {
		return nil, err
	}
	if args.has("allow") || args.has("deny") || args.has("deny_patterns") {
		if args.has("allow") && len(pol.Allow) == 0 {
			return nil, argErrorf("Argument allow of session_create is empty, which would allow nothing; leave it out to allow every program.")
		}
		cfg.Policy = &pol
	}
	if cfg.Budget, err = args.budget("output_budget"); err != nil {
		return nil, err
	}
	if cfg.Dir, err = args.str("cwd", false); err != nil {
		return nil, err
	}
	if cfg.Dir != "" && !strings.HasPrefix(cfg.Dir, "/") {
		// Relative to what? The server's own directory is no business of
		// the agent's, and the shell does not expand a quoted ~.
		return nil, argErrorf("Argument cwd of session_create must be an absolute path, not %s.", quoteArg(cfg.Dir))
	}
	if cfg.Env, err = args.strMap("env", maxEnv); err != nil {
		return nil, err
	}
	timeout, _, err := args.seconds("timeout_s")
	if err != nil {
		return nil, err
	}
	cfg.Timeout = a.st.clampTimeout(timeout)
	if cfg.Workspace, err = args.str("workspace", false); err != nil {
		return nil, err
	}
	if cfg.Paths, err = args.strList("paths", 1000); err != nil {
		return nil, err
	}
	if cfg.CheckpointIgnores, err = args.strList("checkpoint_ignores", 1000); err != nil {
		return nil, err
	}
	if cfg.Workspace == "" {
		if given := args.given([]string{"auto_snapshot", "file_changes", "paths", "checkpoint_ignores"}); len(given) > 0 {
			return nil, argErrorf("Argument %s of session_create needs a workspace.", given[0])
		}
	} else {
		cfg.AutoSnapshot = true
		if args.has("auto_snapshot") {
			if cfg.AutoSnapshot, err = args.boolean("auto_snapshot"); err != nil {
				return nil, err
			}
		}
		if args.has("file_changes") {
			report, err := args.boolean("file_changes")
			if err != nil {
				return nil, err
			}
			cfg.NoFileChanges = !report
		}
	}
	return cfg, nil
}

// --- session_exec ---

var execArgs = []string{"session_id", "command", "budget", "timeout_s", "stdin", "on_timeout"}

func (a *app) sessionExec() server.ServerTool {
	tool := mcp.NewTool("session_exec",
		mcp.WithDescription("Run one shell command in a session and return its result as JSON: stdout, stderr, exit_code, cwd, duration_ms, plus truncated, timed_out, budget, redacted and output_id when they apply. A nonzero exit_code is a result, not an error. The command's stdin is empty unless stdin is given."),
		sessionIDOption(),
		mcp.WithString("command", mcp.Required(), mcp.Description("The shell command (any shell syntax: pipes, &&, here-documents, multiple lines).")),
		budgetOption("budget", `How much output to return, e.g. {"keep": {"mode": "tail", "n": 50}} or {"grep": {"pattern": "error", "context": 2}}. The full output stays readable with session_output.`),
		mcp.WithNumber("timeout_s", mcp.Min(0), mcp.Description(fmt.Sprintf("Interrupt the command after this many seconds (at most %d here); the session stays usable.", int(a.st.timeoutMax/time.Second)))),
		mcp.WithString("stdin", mcp.Description("Text given to the command as its standard input.")),
		mcp.WithString("on_timeout", mcp.Enum("interrupt", "continue"), mcp.DefaultString("interrupt"), mcp.Description(`What a timeout does: "interrupt" the command (the default), or "continue": return the output so far with a job_id and let the command run on; read it with job_output (the session is busy until it ends), or stop it with job_signal.`)),
		mcp.WithDestructiveHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleExec}
}

func (a *app) handleExec(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, execArgs)
	if err != nil {
		return toolError(err), nil
	}
	if _, err = args.str("session_id", true); err != nil { // checked before the other arguments
		return toolError(err), nil
	}
	command, err := args.str("command", true)
	if err != nil {
		return toolError(err), nil
	}
	if len(command) > maxCommand {
		return toolError(argErrorf("The command is %d bytes, over the %d-byte limit; put long scripts in a file.", len(command), maxCommand)), nil
	}
	if strings.TrimSpace(command) == "" {
		return toolError(argErrorf("The command is empty.")), nil
	}
	opts := &execkit.ExecOptions{}
	if opts.Budget, err = args.budget("budget"); err != nil {
		return toolError(err), nil
	}
	timeout, set, err := args.seconds("timeout_s")
	if err != nil {
		return toolError(err), nil
	}
	if set {
		opts.Timeout = a.st.clampTimeout(timeout)
	}
	if opts.Stdin, err = args.str("stdin", false); err != nil {
		return toolError(err), nil
	}
	if len(opts.Stdin) > maxStdin {
		return toolError(argErrorf("stdin is %d bytes, over the %d-byte limit.", len(opts.Stdin), maxStdin)), nil
	}
	onTimeout, err := args.str("on_timeout", false)
	if err != nil {
		return toolError(err), nil
	}
	switch onTimeout {
	case "", "interrupt", "continue":
		opts.OnTimeout = onTimeout
	default:
		return toolError(argErrorf("on_timeout must be interrupt or continue, not %s.", quoteArg(onTimeout))), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
		p := a.startProgressOf(&progress{a: a, ctx: ctx, token: req.Params.Meta.ProgressToken, partial: s.Partial})
		defer p.stop()
		opts.OnOutput = p.write
	}
	res, err := s.Exec(ctx, command, opts)
	if err != nil {
		if errors.Is(err, execkit.ErrSessionEnded) {
			err = fmt.Errorf("%v; create a new session with session_create", err)
		}
		// Redacted whole with the session's own secrets, then clipped.
		shown, _ := s.Redact(command)
		msg, _ := s.Redact(err.Error())
		a.sendLog(ctx, mcp.LoggingLevelWarning, fmt.Sprintf("[%s] $ %s\n%s", s.ID(), clipHead(shown, 1000), msg))
		return mcp.NewToolResultError(sentence(msg)), nil
	}
	level := mcp.LoggingLevelInfo
	if res.ExitCode != 0 || res.TimedOut || res.Ended != "" {
		level = mcp.LoggingLevelWarning
	}
	shown, _ := s.Redact(command)
	a.sendLog(ctx, level, transcript(s.ID(), shown, res))
	return result(res), nil
}

// transcript is the text of an exec's log notification: the command and
// the ends of its output, bounded.
// transcript is a command's log notification; command must be redacted.
func transcript(id, command string, res *execkit.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] $ %s\n", id, clipHead(command, 1000))
	for _, out := range []string{res.Stdout, res.Stderr} {
		if out == "" {
			continue
		}
		b.WriteString(clipTail(out, 2000))
		if !strings.HasSuffix(out, "\n") {
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "(exit %d, %d ms", res.ExitCode, res.Duration.Milliseconds())
	if res.TimedOut {
		b.WriteString(", timed out")
	}
	if res.Truncated {
		b.WriteString(", truncated")
	}
	if res.Ended != "" {
		b.WriteString(", session ended: " + res.Ended)
	}
	b.WriteString(")")
	return b.String()
}

func clipHead(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return "..." + s[i:]
}

// progress sends notifications/progress while a command runs, each with the
// latest output, for clients that asked with a progressToken.
type progress struct {
	a     *app
	ctx   context.Context
	token mcp.ProgressToken
	start time.Time

	mu    sync.Mutex
	tail  []byte
	total int64

	// For job_output: what the job has printed that the call will return
	// (instead of tail and total), and how long the call may wait.
	peek func() (int, string)
	wait time.Duration
	// partial, for session_exec: the lines the command is still writing
	// (a prompt waiting for input shows only there).
	partial func() (stdout, stderr string)

	done chan struct{}
	wg   sync.WaitGroup
}

// progressEvery is how often a running command reports progress.
var progressEvery = 500 * time.Millisecond

const progressTail = 1024

func (a *app) startProgressOf(p *progress) *progress {
	p.start, p.done = time.Now(), make(chan struct{})
	p.wg.Add(1)
	go p.run()
	return p
}

// write receives output as it arrives; it must not block.
func (p *progress) write(_ string, b []byte) {
	p.mu.Lock()
	p.total += int64(len(b))
	if len(b) >= progressTail {
		p.tail = append(p.tail[:0], b[len(b)-progressTail:]...)
	} else {
		p.tail = append(p.tail, b...)
		if len(p.tail) > 2*progressTail {
			p.tail = append(p.tail[:0], p.tail[len(p.tail)-progressTail:]...)
		}
	}
	p.mu.Unlock()
}

func (p *progress) run() {
	defer p.wg.Done()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.send()
		case <-p.done:
			return
		case <-p.ctx.Done():
			return
		}
	}
}

func (p *progress) send() {
	elapsed := time.Since(p.start)
	params := map[string]any{
		"progressToken": p.token,
		"progress":      float64(elapsed.Milliseconds()) / 1000,
	}
	if p.peek != nil {
		n, tail := p.peek()
		params["total"] = p.wait.Seconds()
		params["message"] = fmt.Sprintf("waited %.1fs of %.1fs, no new output yet", elapsed.Seconds(), p.wait.Seconds())
		if n > 0 {
			params["message"] = fmt.Sprintf("waited %.1fs of %.1fs, %d bytes of new output so far:\n%s", elapsed.Seconds(), p.wait.Seconds(), n, strings.ToValidUTF8(clipTail(tail, progressTail), ""))
		}
	} else {
		p.mu.Lock()
		tail, total := string(p.tail), p.total
		p.mu.Unlock()
		if p.partial != nil {
			// Unfinished lines last, as a terminal would show them.
			o, e := p.partial()
			for _, part := range []string{e, o} {
				if part != "" {
					if tail != "" && !strings.HasSuffix(tail, "\n") {
						tail += "\n"
					}
					tail += part
					total += int64(len(part))
				}
			}
		}
		params["message"] = fmt.Sprintf("running for %.1fs, no output yet", elapsed.Seconds())
		if total > 0 {
			params["message"] = fmt.Sprintf("running for %.1fs, %d bytes of output so far:\n%s", elapsed.Seconds(), total, strings.ToValidUTF8(clipTail(tail, progressTail), ""))
		}
	}
	p.a.srv.SendNotificationToClient(p.ctx, string(mcp.MethodNotificationProgress), params)
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

// --- session_output ---

var outputArgs = []string{"session_id", "output_id", "budget"}

func (a *app) sessionOutput() server.ServerTool {
	tool := mcp.NewTool("session_output",
		mcp.WithDescription("Read the full output of an earlier session_exec again, shaped by another budget, without running the command again. Needs the output_id from that result."),
		sessionIDOption(),
		mcp.WithString("output_id", mcp.Required(), mcp.Description("The output_id of an earlier result.")),
		budgetOption("budget", `How much of the output to return, e.g. {"grep": {"pattern": "FAIL", "context": 3}}. Without one, the output up to the character cap.`),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleOutput}
}

func (a *app) handleOutput(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, outputArgs)
	if err != nil {
		return toolError(err), nil
	}
	if _, err = args.str("session_id", true); err != nil { // checked before the other arguments
		return toolError(err), nil
	}
	outID, err := args.str("output_id", true)
	if err != nil {
		return toolError(err), nil
	}
	b, err := args.budget("budget")
	if err != nil {
		return toolError(err), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	if len(outID) > 64 {
		return toolError(fmt.Errorf("%w %s", execkit.ErrUnknownOutput, quoteArg(outID))), nil
	}
	res, err := s.Output(outID, b)
	if err != nil {
		return toolError(err), nil
	}
	return result(res), nil
}

// --- session_destroy ---

func (a *app) sessionDestroy() server.ServerTool {
	tool := mcp.NewTool("session_destroy",
		mcp.WithDescription("Close a session: its shell and every process it started are killed."),
		sessionIDOption(),
		mcp.WithDestructiveHintAnnotation(true),
		mcp.WithIdempotentHintAnnotation(false),
		mcp.WithOpenWorldHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleDestroy}
}

func (a *app) handleDestroy(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, []string{"session_id"})
	if err != nil {
		return toolError(err), nil
	}
	id, err := args.str("session_id", true)
	if err != nil {
		return toolError(err), nil
	}
	if err := a.mgr.Remove(id); err != nil {
		return toolError(fmt.Errorf("%v; session_list shows the open sessions", err)), nil
	}
	return result(map[string]any{"destroyed": true, "session_id": id}), nil
}

// --- session_list ---

func (a *app) sessionList() server.ServerTool {
	tool := mcp.NewTool("session_list",
		mcp.WithDescription("List the open sessions with their transport, working directory and idle time in seconds."),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleList}
}

func (a *app) handleList(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if _, err := decodeArgs(req, nil); err != nil {
		return toolError(err), nil
	}
	return result(map[string]any{
		"sessions":      a.mgr.List(),
		"max_sessions":  a.st.maxSessions,
		"session_ttl_s": int64(a.st.ttl / time.Second),
	}), nil
}
