package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binPath is the real execkit-mcp, built once for the whole run (with the
// race detector when the tests have it, so races in the server show too).
var binPath string

// raceEnabled is set by race_test.go.
var raceEnabled bool

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzzing worker runs only the in-process fuzz targets: no
		// binary to build, and each worker building it would delay the
		// fuzzing by seconds.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "execkit-mcp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "execkit-mcp")
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building execkit-mcp:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is the test's environment without operator settings, so a
// developer's own EXECKIT_MCP_* never leaks into a test.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXECKIT_MCP_") {
			env = append(env, kv)
		}
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// syncBuffer collects the server's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mcpServer is a running execkit-mcp driven by mcp-go's client.
type mcpServer struct {
	t      testing.TB
	c      *client.Client
	stderr *syncBuffer
	cmd    *exec.Cmd

	mu    sync.Mutex
	notes []mcp.JSONRPCNotification
}

type startOpts struct {
	env map[string]string
	// modern: negotiate protocol 2026-07-28 (server/discover) instead of
	// the initialize handshake today's clients use.
	modern bool
}

func start(t testing.TB, o startOpts) *mcpServer {
	t.Helper()
	s := &mcpServer{t: t, stderr: &syncBuffer{}}
	tr := transport.NewStdioWithOptions(binPath, nil, nil, transport.WithCommandFunc(
		func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = cleanEnv(o.env)
			cmd.Stderr = s.stderr
			s.cmd = cmd
			return cmd, nil
		}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, tr.Start(context.Background()))
	var opts []client.ClientOption
	if !o.modern {
		opts = append(opts, client.WithProtocolVersion("2025-06-18"))
	}
	s.c = client.NewClient(tr, opts...)
	s.c.OnNotification(func(n mcp.JSONRPCNotification) {
		s.mu.Lock()
		s.notes = append(s.notes, n)
		s.mu.Unlock()
	})
	require.NoError(t, s.c.Start(ctx))
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "execkit-test", Version: "1"}
	_, err := s.c.Initialize(ctx, init)
	require.NoError(t, err, "initialize; server stderr:\n%s", s.stderr.String())
	t.Cleanup(func() {
		s.c.Close()
		assert.NotContains(t, s.stderr.String(), "DATA RACE", "the server must be race-free")
		assert.NotContains(t, s.stderr.String(), "panic", "the server must not panic")
		if t.Failed() {
			t.Logf("server stderr:\n%s", s.stderr.String())
		}
	})
	return s
}

// call calls a tool and returns its result; a protocol error fails the test.
func (s *mcpServer) call(name string, args any) *mcp.CallToolResult {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.callCtx(ctx, name, args, nil)
}

func (s *mcpServer) callCtx(ctx context.Context, name string, args any, meta *mcp.Meta) *mcp.CallToolResult {
	s.t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	req.Params.Meta = meta
	res, err := s.c.CallTool(ctx, req)
	require.NoError(s.t, err, "%s must answer with a result, not a protocol error", name)
	return res
}

func text(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	require.NotEmpty(t, res.Content)
	tc, ok := res.Content[0].(mcp.TextContent)
	require.True(t, ok, "the first content must be text, got %T", res.Content[0])
	return tc.Text
}

// ok decodes a successful result's JSON text and checks it against the
// structured content.
func ok(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	txt := text(t, res)
	require.False(t, res.IsError, "expected a result, got the error %q", txt)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(txt), &got), "the text content must be JSON: %q", txt)
	require.NotNil(t, res.StructuredContent, "structured content must be present")
	sb, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var structured map[string]any
	require.NoError(t, json.Unmarshal(sb, &structured))
	assert.Equal(t, got, structured, "text and structured content must agree")
	return got
}

// toolErr checks that res is a tool error of one clear sentence and returns
// it.
func toolErr(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	txt := text(t, res)
	require.True(t, res.IsError, "expected a tool error, got the result %s", txt)
	assert.NotContains(t, txt, "\n", "a tool error is one sentence on one line: %q", txt)
	assert.Less(t, len(txt), 400, "a tool error is short: %q", txt)
	assert.Regexp(t, `[.)]$`, txt, "a tool error is a sentence: %q", txt)
	return txt
}

func (s *mcpServer) create(args map[string]any) string {
	s.t.Helper()
	if args == nil {
		args = map[string]any{"transport": "local"}
	}
	got := ok(s.t, s.call("session_create", args))
	id, _ := got["session_id"].(string)
	require.NotEmpty(s.t, id)
	return id
}

func (s *mcpServer) exec(id, command string, extra map[string]any) map[string]any {
	s.t.Helper()
	args := map[string]any{"session_id": id, "command": command}
	for k, v := range extra {
		args[k] = v
	}
	return ok(s.t, s.call("session_exec", args))
}

func (s *mcpServer) notifications(method string) []mcp.JSONRPCNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mcp.JSONRPCNotification
	for _, n := range s.notes {
		if n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

func (s *mcpServer) clearNotifications() {
	s.mu.Lock()
	s.notes = nil
	s.mu.Unlock()
}
