package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/audit"
	"github.com/execkit/execkit/redact"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// workers is how many tool calls run at once: mcp-go's default of 5 would
// let five slow commands starve every other call.
const workers = 100

// serve runs the stdio MCP server until stdin ends or a signal arrives.
func serve(st *settings, stdin io.Reader, stdout, stderr io.Writer) error {
	logger := log.New(stderr, "execkit-mcp: ", 0)
	if st.insecureHosts {
		logger.Printf("WARNING: %s is set: SSH host keys will NOT be checked, so any machine can pose as an SSH host", envInsecureHost)
	}

	var auditLog *audit.Log
	if st.auditDir != "" || st.auditFile != "" {
		cfg := &audit.Config{File: st.auditFile, Dir: st.auditDir, RetentionDays: st.retentionDays}
		var name string
		if st.auditDir != "" {
			cfg.File, name = "", envAuditDir
		} else {
			name = envAudit
		}
		l, err := audit.Open(cfg, audit.WithErrorFunc(func(err error) { logger.Print(err) }))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer func() {
			l.Close()
			if l.Lost() > 0 {
				// Each loss was reported as it happened; the total, once more,
				// as the last word.
				logger.Print(l.Err())
			}
		}()
		auditLog = l
	}
	if st.watchWeb {
		// After the audit log: it creates the file or directory shown.
		stopWatch := startWatchWeb(context.Background(), st, os.Getenv, logger)
		defer stopWatch()
	}

	mgr := execkit.NewManager(st.maxSessions, st.ttl, execkit.WithReapFunc(func(id string, idle time.Duration) {
		logger.Printf("closed session %s after %s idle (%s)", id, idle.Round(time.Second), envSessionTTL)
	}))
	defer mgr.Close()

	srv, err := newServer(st, mgr, auditLog)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	stdio := server.NewStdioServer(srv)
	stdio.SetErrorLogger(logger)
	server.WithWorkerPoolSize(workers)(stdio)
	server.WithQueueSize(1000)(stdio)
	dest := "no audit log"
	switch {
	case st.auditDir != "":
		dest = "audit dir " + st.auditDir
	case st.auditFile != "":
		dest = "audit file " + st.auditFile
	}
	logger.Printf("%s serving MCP on stdio (max %d sessions, idle TTL %s, timeout max %s, %s)", version(), st.maxSessions, st.ttl, st.timeoutMax, dest)
	err = stdio.Listen(ctx, stdin, stdout)
	if ctx.Err() != nil {
		return nil // a signal: a normal end
	}
	return err
}

// app holds what the tool handlers share.
type app struct {
	st    *settings
	mgr   *execkit.Manager
	audit *audit.Log
	srv   *server.MCPServer
	// red redacts what the server itself writes about a command (log
	// transcripts, tool errors that quote it), as the library redacts
	// results.
	red *redact.Redactor

	// levelSet: the client chose a log level with logging/setLevel, so
	// log notifications follow it; until then each exec's transcript is
	// sent at its own level, as DESIGN promises.
	levelSet atomic.Bool
}

// newServer builds the MCP server and its tools.
func newServer(st *settings, mgr *execkit.Manager, auditLog *audit.Log) (*server.MCPServer, error) {
	red, err := redact.New(&redact.Options{Values: st.secrets, KindTags: st.redactKinds})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envSecretEnv, err)
	}
	a := &app{st: st, mgr: mgr, audit: auditLog, red: red}
	hooks := &server.Hooks{}
	hooks.AddAfterSetLevel(func(context.Context, any, *mcp.SetLevelRequest, *mcp.EmptyResult) { a.levelSet.Store(true) })
	a.srv = server.NewMCPServer("execkit", version(),
		server.WithInstructions(a.instructions()),
		server.WithToolCapabilities(false),
		server.WithLogging(),
		server.WithHooks(hooks),
		server.WithStrictInputSchemaDefault(),
		// Inner: a panicking handler becomes a tool error the agent reads;
		// outer (WithRecovery) is mcp-go's own net.
		server.WithRecovery(),
		server.WithToolHandlerMiddleware(recoverToToolError),
	)
	a.srv.AddTools(a.tools()...)
	return a.srv, nil
}

func recoverToToolError(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "execkit-mcp: panic in %s: %v\n", req.Params.Name, r)
				res, err = mcp.NewToolResultError(fmt.Sprintf("Internal error in %s; the server keeps running, please retry or report it.", req.Params.Name)), nil
			}
		}()
		return next(ctx, req)
	}
}

func (a *app) instructions() string {
	ttl := "never"
	if a.st.ttl > 0 {
		ttl = "after " + a.st.ttl.String() + " idle"
	}
	return strings.TrimSpace(fmt.Sprintf(`
execkit gives you persistent shell sessions with structured results.

1. session_create {"transport": "local"} returns a session_id. Keep it: the shell keeps its working directory, exported variables, functions and aliases from one call to the next, like a terminal. Other transports, as the operator allows: {"transport": "ssh", "host", "user", ...} for a remote host, {"transport": "docker", "container"} for a running container.
2. session_exec {"session_id", "command"} runs one command and returns JSON: stdout and stderr (separate), exit_code, cwd, duration_ms, and truncated / timed_out when they apply. A nonzero exit_code is a normal result, not an error.
3. Commands read no input (stdin is empty unless you pass "stdin") and pagers, editors and prompts are disabled, so interactive programs fail fast instead of hanging. Prefer non-interactive flags.
4. Long output: pass a budget, e.g. {"keep": {"mode": "tail", "n": 50}} or {"grep": {"pattern": "error|FAIL", "context": 2}} or {"max_chars": 4000}. When a result has output_id, session_output re-reads that command's full output with another budget; do not run the command again.
5. A command running longer than timeout_s (at most %d s here) is interrupted and the session stays usable. With "on_timeout": "continue" it goes on as a job instead (the result has job_id).
6. Jobs, for servers, watchers and interactive programs (a REPL, a prompt that needs answers): job_start {"session_id", "command"} (add "tty": true for a terminal) returns a job_id at once; job_output reads what it printed since the last read (wait_ms and until wait for more), job_input types into it, job_signal stops it. A session with a running job is not closed as idle.
7. Undo for files: create the session with "workspace" (a directory) to use session_checkpoint (save the files' state), session_checkpoints (list) and session_restore (go back); "auto_snapshot": true saves one before each command that may change files. Results then say which files a command created, modified or deleted.
8. Commands may be refused by the operator's policy; the error names the rule. Do not try to get around it.
9. Secrets in output appear as [REDACTED].
10. session_list shows your sessions; session_destroy closes one you no longer need. At most %d sessions can be open; idle sessions are closed %s.`,
		int(a.st.timeoutMax/time.Second), a.st.maxSessions, ttl))
}

// result is a tool result: compact JSON as text, and the same object as
// structured content.
func result(v any) *mcp.CallToolResult {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return mcp.NewToolResultError("The result could not be encoded: " + err.Error())
	}
	text := unescapeHTML(bytes.TrimRight(buf.Bytes(), "\n"))
	return mcp.NewToolResultStructured(json.RawMessage(text), string(text))
}

// unescapeHTML undoes the \u003c, \u003e and \u0026 escapes that
// encoding/json writes for values with their own MarshalJSON (such as
// Result): they are valid JSON either way, but cost the agent five extra
// characters each. Only real escapes are touched: a backslash always starts
// an escape inside a JSON string, and there are none outside.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) {
			switch string(b[i+2 : i+6]) {
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, c, b[i+1])
		i++
	}
	return out
}

// toolError is an agent-facing failure: one sentence, isError set.
func toolError(err error) *mcp.CallToolResult {
	return mcp.NewToolResultError(sentence(err.Error()))
}

// toolError for an error that may quote a command (a policy denial names
// the command it found): redacted like the command's output would be.
func (a *app) toolError(err error) *mcp.CallToolResult {
	msg, _ := a.red.String(err.Error())
	return mcp.NewToolResultError(sentence(msg))
}

// maxSentence caps a tool error's length, in bytes.
const maxSentence = 300

func sentence(s string) string {
	// A message built from an agent's argument must still be one short
	// line: control bytes become spaces and the length is capped.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > maxSentence {
		cut := maxSentence
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	if s == "" {
		return "The call failed."
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, ")") {
		s += "."
	}
	return s
}

// sendLog sends a notifications/message. Protocol 2026-07-28 requests
// carry their own level (and none means no log); older clients get every
// transcript until they choose a level with logging/setLevel.
func (a *app) sendLog(ctx context.Context, level mcp.LoggingLevel, text string) {
	data, _ := a.red.String(text)
	if server.IsModernRequest(ctx) || a.levelSet.Load() {
		a.srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(level, "execkit", data))
		return
	}
	a.srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationMessage), map[string]any{
		"level": level, "logger": "execkit", "data": data,
	})
}
