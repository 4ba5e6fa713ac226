// Command execkit-mcp is a stdio MCP server that gives an AI agent
// persistent shell sessions with structured results, through the execkit
// library.
//
// Run without arguments by an MCP client, it serves MCP on stdin/stdout
// (nothing else is ever written to stdout; diagnostics go to stderr). For
// people:
//
//	execkit-mcp --version
//	execkit-mcp setup claude|cursor|gemini   print the client config block
//	execkit-mcp doctor                       check the operator settings
//	execkit-mcp verify [--tip SEQ:HASH] PATH  check an audit log's hash chain
//	execkit-mcp watch [--follow|--serve] PATH  view the audit log live
//
// Operator settings come from EXECKIT_MCP_* environment variables only,
// never from tool arguments; see the README.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// buildVersion is set at link time: -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

const usage = `usage:
  execkit-mcp                              serve MCP on stdio (what MCP clients run)
  execkit-mcp --version                    print the version
  execkit-mcp setup claude|cursor|gemini   print the config block for a client (edits nothing)
  execkit-mcp doctor                       show what each operator setting resolves to
  execkit-mcp verify [--tip SEQ:HASH] PATH  check the hash chain of an audit file (or of each file in a directory),
                                           and against a tip an earlier verify printed
  execkit-mcp watch [--follow|--serve] PATH  view the audit log live, read-only (watch --help)
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is main with its world passed in; it returns the exit code.
func run(argv []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) == 0 {
		st, errs := loadSettings(getenv)
		if len(errs) > 0 {
			for _, err := range errs {
				fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
			}
			fmt.Fprintln(stderr, "execkit-mcp: not starting; fix the settings above (execkit-mcp doctor shows them all)")
			return 1
		}
		// Only MCP may reach the client's stdout: anything else printing
		// by mistake goes to stderr instead.
		if f, ok := stdout.(*os.File); ok && f == os.Stdout {
			os.Stdout = os.Stderr
		}
		if err := serve(st, stdin, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
			return 1
		}
		return 0
	}
	switch argv[0] {
	case "--version", "-version", "version":
		fmt.Fprintf(stdout, "execkit-mcp %s (%s)\n", version(), runtime.Version())
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "setup":
		return setup(argv[1:], stdout, stderr, getenv)
	case "doctor":
		if len(argv) > 1 {
			fmt.Fprint(stderr, "execkit-mcp: doctor takes no arguments\n"+usage)
			return 2
		}
		return doctor(getenv, stdout)
	case "verify":
		return verify(argv[1:], stdout, stderr)
	case "watch":
		return watchCmd(argv[1:], getenv, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "execkit-mcp: unknown command %q\n%s", argv[0], usage)
	return 2
}
