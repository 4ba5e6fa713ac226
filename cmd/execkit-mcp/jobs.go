package main

import (
	"context"
	"fmt"
	"time"

	"github.com/execkit/execkit"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The job tools: processes that outlive one call (dev servers, watchers,
// REPLs, long builds). The library owns jobs; these handlers decode
// arguments and call it.

const (
	maxJobInput = 1 << 20
	maxJobWait  = 10 * time.Minute
)

func (a *app) jobTools() []server.ServerTool {
	return []server.ServerTool{a.jobStart(), a.jobOutput(), a.jobInput(), a.jobSignal()}
}

var jobStartArgs = []string{"session_id", "command", "tty"}

func (a *app) jobStart() server.ServerTool {
	tool := mcp.NewTool("job_start",
		mcp.WithDescription("Start a long-running or interactive process (a dev server, a watcher, a REPL, a long build) in a session and return its job_id at once. It starts in the session's working directory with its exported variables. Read its output with job_output, write to it with job_input, stop it with job_signal. Jobs end with their session."),
		sessionIDOption(),
		mcp.WithString("command", mcp.Required(), mcp.Description("The shell command to run as a job.")),
		mcp.WithBoolean("tty", mcp.Description("Give the job a terminal, for programs that need one (python3 -i, psql, REPLs), on every transport. Default false: separate stdout and stderr.")),
		mcp.WithDestructiveHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleJobStart}
}

func (a *app) handleJobStart(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, jobStartArgs)
	if err != nil {
		return toolError(err), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	command, err := args.str("command", true)
	if err != nil {
		return toolError(err), nil
	}
	if len(command) > maxCommand {
		return toolError(argErrorf("The command is %d bytes, over the %d-byte limit.", len(command), maxCommand)), nil
	}
	tty, err := args.boolean("tty")
	if err != nil {
		return toolError(err), nil
	}
	j, err := s.Start(ctx, command, &execkit.JobOptions{TTY: tty})
	if err != nil {
		return a.toolError(err), nil
	}
	return result(map[string]any{"job_id": j.ID()}), nil
}

var jobOutputArgs = []string{"session_id", "job_id", "wait_ms", "until"}

func (a *app) jobOutput() server.ServerTool {
	tool := mcp.NewTool("job_output",
		mcp.WithDescription("Return a job's output since the last read (cleaned, redacted, bounded; older output beyond the window is counted in dropped), whether it is running, and exit_code once it has ended. With until, return as soon as that regular expression appears or wait_ms passes; without, once output has been quiet briefly or wait_ms passes."),
		sessionIDOption(),
		mcp.WithString("job_id", mcp.Required(), mcp.Description("The job_id job_start (or a session_exec with on_timeout continue) returned.")),
		mcp.WithInteger("wait_ms", mcp.Min(0), mcp.Max(float64(maxJobWait/time.Millisecond)), mcp.Description("How long to wait for output, in milliseconds (default 1000).")),
		mcp.WithString("until", mcp.Description("An RE2 regular expression (at most 1024 bytes): return as soon as the output matches it, e.g. \"listening on\".")),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleJobOutput}
}

func (a *app) handleJobOutput(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, jobOutputArgs)
	if err != nil {
		return toolError(err), nil
	}
	j, err := a.job(args)
	if err != nil {
		return toolError(err), nil
	}
	ms, set, err := args.integer("wait_ms", 0, int64(maxJobWait/time.Millisecond))
	if err != nil {
		return toolError(err), nil
	}
	wait := time.Second
	if set {
		wait = time.Duration(ms) * time.Millisecond
	}
	wait = min(wait, a.st.timeoutMax) // the operator's ceiling on any wait
	until, err := args.str("until", false)
	if err != nil {
		return toolError(err), nil
	}
	if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
		// While the call waits, the client sees what the job prints.
		p := a.startProgressOf(&progress{a: a, ctx: ctx, token: req.Params.Meta.ProgressToken,
			peek: func() (int, string) { return j.Peek(progressTail + 4) }, wait: wait})
		defer p.stop()
	}
	out, err := j.Output(ctx, wait, until)
	if err != nil {
		return a.toolError(err), nil
	}
	return result(out), nil
}

var jobInputArgs = []string{"session_id", "job_id", "input"}

func (a *app) jobInput() server.ServerTool {
	tool := mcp.NewTool("job_input",
		mcp.WithDescription("Write input to a job's stdin (or its terminal). Include \"\\n\" to end a line."),
		sessionIDOption(),
		mcp.WithString("job_id", mcp.Required(), mcp.Description("The job to write to.")),
		mcp.WithString("input", mcp.Required(), mcp.Description("The bytes to write, e.g. \"print(1+1)\\n\".")),
		mcp.WithDestructiveHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleJobInput}
}

func (a *app) handleJobInput(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, jobInputArgs)
	if err != nil {
		return toolError(err), nil
	}
	j, err := a.job(args)
	if err != nil {
		return toolError(err), nil
	}
	input, err := args.str("input", true)
	if err != nil {
		return toolError(err), nil
	}
	if len(input) > maxJobInput {
		return toolError(argErrorf("input is %d bytes, over the %d-byte limit.", len(input), maxJobInput)), nil
	}
	n, err := j.Input(ctx, input)
	if err != nil {
		return a.toolError(err), nil
	}
	return result(map[string]any{"written": n}), nil
}

var jobSignalArgs = []string{"session_id", "job_id", "signal"}

func (a *app) jobSignal() server.ServerTool {
	tool := mcp.NewTool("job_signal",
		mcp.WithDescription("Send a signal to a job's whole process tree and return its final state: INT (like Ctrl-C), TERM (the default), HUP or KILL."),
		sessionIDOption(),
		mcp.WithString("job_id", mcp.Required(), mcp.Description("The job to signal.")),
		mcp.WithString("signal", mcp.Enum("INT", "TERM", "HUP", "KILL"), mcp.Description("The signal (default TERM).")),
		mcp.WithDestructiveHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleJobSignal}
}

func (a *app) handleJobSignal(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, jobSignalArgs)
	if err != nil {
		return toolError(err), nil
	}
	j, err := a.job(args)
	if err != nil {
		return toolError(err), nil
	}
	sig, err := args.str("signal", false)
	if err != nil {
		return toolError(err), nil
	}
	if sig == "" {
		sig = "TERM"
	}
	info, err := j.Signal(ctx, sig)
	if err != nil {
		return a.toolError(err), nil
	}
	return result(info), nil
}

// session finds the session named by the session_id argument.
func (a *app) session(args *args) (*execkit.Session, error) {
	id, err := args.str("session_id", true)
	if err != nil {
		return nil, err
	}
	s, err := a.mgr.Get(id)
	if err != nil {
		return nil, fmt.Errorf("%v; session_list shows the open sessions", err)
	}
	return s, nil
}

// job finds the job named by the session_id and job_id arguments.
func (a *app) job(args *args) (*execkit.Job, error) {
	s, err := a.session(args)
	if err != nil {
		return nil, err
	}
	id, err := args.str("job_id", true)
	if err != nil {
		return nil, err
	}
	j, err := s.Job(id)
	if err != nil {
		return nil, fmt.Errorf("%v; session_list shows the session's jobs", err)
	}
	return j, nil
}
