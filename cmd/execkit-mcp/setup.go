package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/execkit/execkit/audit"
	"mvdan.cc/sh/v3/syntax"
)

// executable is this binary's absolute path, symlinks resolved, so the
// config keeps working whatever the client's working directory or PATH.
func executable() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return filepath.Abs(p)
}

// setup prints the MCP config block for a client. It edits nothing.
func setup(argv []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(argv) != 1 {
		fmt.Fprint(stderr, "execkit-mcp: setup needs one client: claude, cursor or gemini\n"+usage)
		return 2
	}
	exe, err := executable()
	if err != nil {
		fmt.Fprintf(stderr, "execkit-mcp: cannot find this binary's path: %v\n", err)
		return 1
	}
	// Carry the operator settings of this shell into the client's config,
	// so the server it starts behaves as doctor reports here.
	env := map[string]string{}
	for _, name := range settingNames {
		if v := getenv(name); v != "" {
			env[name] = v
		}
	}
	type server struct {
		Command string            `json:"command"`
		Args    []string          `json:"args"`
		Env     map[string]string `json:"env"`
	}
	block := map[string]any{"mcpServers": map[string]any{"execkit": server{Command: exe, Args: []string{}, Env: env}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(block)

	switch argv[0] {
	case "claude":
		var cmd strings.Builder
		cmd.WriteString("claude mcp add execkit")
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cmd.WriteString(" -e " + shellQuote(k+"="+env[k]))
		}
		cmd.WriteString(" -- " + shellQuote(exe))
		fmt.Fprintf(stdout, "# Claude Code: run this once (add --scope user for every project)\n%s\n\n", cmd.String())
		fmt.Fprintf(stdout, "# or put this in .mcp.json at the root of a project:\n%s", buf.String())
	case "cursor":
		fmt.Fprintf(stdout, "# Cursor: put this in ~/.cursor/mcp.json (every project) or .cursor/mcp.json (one project):\n%s", buf.String())
	case "gemini":
		fmt.Fprintf(stdout, "# Gemini CLI: merge this into ~/.gemini/settings.json (every project) or .gemini/settings.json (one project):\n%s", buf.String())
	default:
		fmt.Fprintf(stderr, "execkit-mcp: unknown client %s; use claude, cursor or gemini\n", quoteArg(argv[0]))
		return 2
	}
	return 0
}

func shellQuote(s string) string {
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return q
}

// verify checks audit files: one, or each *.jsonl in a directory. With
// --tip SEQ:HASH (as an earlier verify printed it) a single file is also
// checked against that recorded tip.
func verify(argv []string, stdout, stderr io.Writer) int {
	var recorded *audit.Tip
	if len(argv) == 3 && argv[0] == "--tip" {
		t, err := audit.ParseTip(argv[1])
		if err != nil {
			fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
			return 2
		}
		recorded, argv = &t, argv[2:]
	}
	if len(argv) != 1 || strings.HasPrefix(argv[0], "-") {
		fmt.Fprint(stderr, "execkit-mcp: verify needs one PATH (an audit file or directory), after --tip SEQ:HASH if given\n"+usage)
		return 2
	}
	path := argv[0]
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
		return 1
	}
	files := []string{path}
	if info.IsDir() {
		matches, _ := filepath.Glob(filepath.Join(path, "*.jsonl"))
		if len(matches) == 0 {
			fmt.Fprintf(stderr, "execkit-mcp: no *.jsonl audit files in %s\n", path)
			return 1
		}
		files = matches
		if recorded != nil {
			fmt.Fprintf(stderr, "execkit-mcp: --tip checks one file, and %s is a directory\n", path)
			return 2
		}
	}
	code := 0
	for _, f := range files {
		var tip audit.Tip
		if recorded != nil {
			tip, err = audit.VerifyAgainst(f, *recorded)
		} else {
			tip, err = audit.VerifyTip(f)
		}
		var ce *audit.ChainError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(stdout, "FAIL %s: %d events verified, then line %d: %s\n", f, tip.Events, ce.Line, ce.Reason)
			code = 1
		case err != nil:
			fmt.Fprintf(stdout, "FAIL %s: %v\n", f, err)
			code = 1
		default:
			// The tip, to keep elsewhere: the chain cannot vouch for its
			// own last line, a later --tip check can.
			fmt.Fprintf(stdout, "ok   %s: %d events, chain intact, tip %s\n", f, tip.Events, tip)
		}
	}
	return code
}
