package main

import (
	"context"

	"github.com/execkit/execkit"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The checkpoint tools keep the original execkit's names and shapes:
// session_checkpoint -> {checkpoint_id}, session_checkpoints -> [{id, label,
// created}], session_restore -> {restored_to, files_changed}.

func (a *app) checkpointTools() []server.ServerTool {
	return []server.ServerTool{a.sessionCheckpoint(), a.sessionCheckpoints(), a.sessionRestore()}
}

func (a *app) sessionCheckpoint() server.ServerTool {
	tool := mcp.NewTool("session_checkpoint",
		mcp.WithDescription("Snapshot the session's workspace (the workspace given to session_create) so session_restore can undo file changes later. Files only: side effects of commands are not undone."),
		sessionIDOption(),
		mcp.WithString("label", mcp.Description("A short description, at most 200 characters.")),
		mcp.WithDestructiveHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleCheckpoint}
}

func (a *app) handleCheckpoint(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, []string{"session_id", "label"})
	if err != nil {
		return toolError(err), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	label, err := args.str("label", false)
	if err != nil {
		return toolError(err), nil
	}
	cp, err := s.Checkpoint(ctx, label)
	if err != nil {
		return a.toolError(err), nil
	}
	return result(map[string]any{"checkpoint_id": cp.ID, "label": cp.Label, "created": cp.Created}), nil
}

func (a *app) sessionCheckpoints() server.ServerTool {
	tool := mcp.NewTool("session_checkpoints",
		mcp.WithDescription("List the workspace's checkpoints, newest first: id, label, created. They survive the session: a new session on the same workspace sees them."),
		sessionIDOption(),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleCheckpoints}
}

func (a *app) handleCheckpoints(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, []string{"session_id"})
	if err != nil {
		return toolError(err), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		return a.toolError(err), nil
	}
	if cps == nil {
		cps = []execkit.Checkpoint{}
	}
	return result(map[string]any{"checkpoints": cps}), nil
}

func (a *app) sessionRestore() server.ServerTool {
	tool := mcp.NewTool("session_restore",
		mcp.WithDescription("DESTRUCTIVE: make the workspace's tracked files exactly what they were at a checkpoint (default: the latest). Modified files are overwritten, deleted ones written back, files created since are removed; ignored paths such as node_modules are not touched. Take a checkpoint first to be able to come back."),
		sessionIDOption(),
		mcp.WithString("checkpoint_id", mcp.Description("An id from session_checkpoint or session_checkpoints; default the latest.")),
		mcp.WithDestructiveHintAnnotation(true),
	)
	return server.ServerTool{Tool: tool, Handler: a.handleRestore}
}

func (a *app) handleRestore(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := decodeArgs(req, []string{"session_id", "checkpoint_id"})
	if err != nil {
		return toolError(err), nil
	}
	s, err := a.session(args)
	if err != nil {
		return toolError(err), nil
	}
	id, err := args.str("checkpoint_id", false)
	if err != nil {
		return toolError(err), nil
	}
	rep, err := s.Restore(ctx, id)
	if err != nil {
		return a.toolError(err), nil
	}
	return result(rep), nil
}
