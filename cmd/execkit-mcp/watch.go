package main

// The audit log viewer: `execkit-mcp watch`, and the web viewer the server
// starts itself when EXECKIT_MCP_WATCH_WEB is set. Everything it shows
// comes from the audit files (package watch); it changes nothing.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"

	"github.com/execkit/execkit/watch"
)

const watchUsage = `usage:
  execkit-mcp watch [PATH]                          terminal viewer (sessions, transcript, search)
  execkit-mcp watch --follow [-n N] [PATH]          stream every new event, one line each, prefixed [session]
  execkit-mcp watch --serve [--open] [--port N] [PATH]
                                                    browser viewer on 127.0.0.1, behind a token in its URL
PATH is an audit file or a directory of per-session files; without it,
EXECKIT_MCP_AUDIT_DIR, else EXECKIT_MCP_AUDIT. The viewer only reads.
Flags:
  -n N           --follow: first show the last N events (default 10; 0 none, -1 all)
  --no-output    --follow: commands and outcomes only, no stdout/stderr
  --color WHEN   --follow: auto (a terminal, and NO_COLOR unset), always or never
  --port N       --serve: the port (default 7878, else a free port; 0: any free port)
  --open         --serve: open the page in the default browser
`

// watchCmd runs `execkit-mcp watch ...`.
func watchCmd(argv []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	follow := fs.Bool("follow", false, "")
	serveWeb := fs.Bool("serve", false, "")
	open := fs.Bool("open", false, "")
	port := fs.Int("port", 0, "")
	backlog := fs.Int("n", 10, "")
	noOutput := fs.Bool("no-output", false, "")
	color := fs.String("color", "auto", "")
	// Flags may come after PATH too; after "--" everything is a PATH (one
	// that starts with "-").
	var paths []string
	for args := argv; ; {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, watchUsage)
				return 0
			}
			// The flag package quotes values, but not flag names.
			fmt.Fprintf(stderr, "execkit-mcp: watch: %s\n%s", printableText(err.Error()), watchUsage)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		if used := len(args) - fs.NArg(); used > 0 && args[used-1] == "--" {
			paths = append(paths, fs.Args()...)
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	bad := func(msg string) int {
		fmt.Fprintf(stderr, "execkit-mcp: watch: %s\n%s", msg, watchUsage)
		return 2
	}
	switch {
	case len(paths) > 1:
		return bad("give one PATH")
	case *follow && *serveWeb:
		return bad("--follow and --serve do not go together")
	case (set["open"] || set["port"]) && !*serveWeb:
		return bad("--open and --port go with --serve")
	case (set["n"] || set["no-output"] || set["color"]) && !*follow:
		return bad("-n, --no-output and --color go with --follow")
	case *port < 0 || *port > 65535:
		return bad("--port must be a TCP port from 1 to 65535, or 0 for any free one")
	case *color != "auto" && *color != "always" && *color != "never":
		return bad("--color must be auto, always or never")
	}
	path := ""
	if len(paths) == 1 {
		path = paths[0]
	} else {
		p, err := auditPathFromEnv(getenv)
		if err != nil {
			return bad(err.Error())
		}
		if path = p; path == "" {
			return bad(fmt.Sprintf("no PATH, and neither %s nor %s is set", envAuditDir, envAudit))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	switch {
	case *follow:
		l, err := watch.Open(path, &watch.Config{Stream: true})
		if err != nil {
			fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
			return 1
		}
		defer l.Close()
		useColor := *color == "always" || (*color == "auto" && isTerminal(stdout) && getenv("NO_COLOR") == "")
		p := &watch.Printer{W: stdout, Color: useColor, Shell: watch.Shell{NoOutput: *noOutput}}
		n := *backlog
		if n < 0 {
			n = int(^uint(0) >> 1)
		}
		if err := watch.Follow(ctx, l, p, n); err != nil {
			fmt.Fprintf(stderr, "execkit-mcp: watch: %v\n", err)
			return 1
		}
		return 0
	case *serveWeb:
		// The default port falls back to a free one; a port asked for
		// does not (a URL that changes unasked would surprise).
		p, fallback := *port, false
		if !set["port"] {
			p, fallback = defaultWatchPort, true
		}
		return watchServe(ctx, path, p, fallback, *open, getenv, stdout, stderr)
	}
	return watchTUI(ctx, path, stdin, stdout, stderr)
}

// printableText escapes what a terminal would obey (escapes, newlines)
// in a message that holds the user's input, so it stays one plain line.
func printableText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// auditPathFromEnv is the operator's audit destination, the directory
// winning as it does for the server; "" when neither is set. A value the
// server would refuse is an error naming the variable, never skipped.
func auditPathFromEnv(getenv func(string) string) (string, error) {
	home, _ := os.UserHomeDir()
	for _, name := range []string{envAuditDir, envAudit} {
		if v := getenv(name); v != "" {
			p, err := cleanPath(v, home)
			if err != nil {
				return "", fmt.Errorf("%s=%q is not a usable path: %v", name, v, err)
			}
			return p, nil
		}
	}
	return "", nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func watchTUI(ctx context.Context, path string, stdin io.Reader, stdout, stderr io.Writer) int {
	if !isTerminal(stdout) || !isTerminal(stdin) {
		fmt.Fprintln(stderr, "execkit-mcp: watch: the terminal viewer needs a terminal; use --follow for a stream, or --serve for the browser")
		return 2
	}
	l, err := watch.Open(path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
		return 1
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	r := lipgloss.NewRenderer(stdout, termenv.WithColorCache(true))
	prog := tea.NewProgram(watch.NewModel(l, r), tea.WithAltScreen(), tea.WithMouseCellMotion(),
		tea.WithInput(stdin), tea.WithOutput(stdout), tea.WithContext(ctx))
	if _, err := prog.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "execkit-mcp: watch: %v\n", err)
		return 1
	}
	return 0
}

func watchServe(ctx context.Context, path string, port int, fallback, openBrowser bool, getenv func(string) string, stdout, stderr io.Writer) int {
	logger := log.New(stderr, "execkit-mcp: watch: ", 0)
	l, err := watch.Open(path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
		return 1
	}
	defer l.Close()
	url, wait, err := startViewer(ctx, l, port, fallback, getenv, logger)
	if err != nil {
		fmt.Fprintf(stderr, "execkit-mcp: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, url)
	logger.Printf("serving %s read-only on 127.0.0.1 (Ctrl-C stops)", path)
	if openBrowser {
		if err := openURL(url); err != nil {
			logger.Printf("cannot open a browser (%v); open the URL above", err)
		}
	}
	wait()
	return 0
}

// startViewer follows l and serves it on 127.0.0.1:port (a free port if
// that one is taken and fallback is set), behind the operator's kept
// token. It returns the URL and a function that waits until ctx has ended
// and everything has stopped.
func startViewer(ctx context.Context, l *watch.Log, port int, fallback bool, getenv func(string) string, logger *log.Logger) (string, func(), error) {
	token, where := "", tokenPath(getenv)
	if where != "" {
		t, err := watch.LoadToken(where)
		if err != nil {
			logger.Printf("cannot keep the viewer's token in %s (%v): a new one is used, so the URL changes at the next start", where, err)
		}
		token = t
	}
	if token == "" {
		token = watch.NewToken()
	}
	ln, err := watch.Listen(port, fallback)
	if err != nil {
		return "", nil, err
	}
	if got := ln.Addr().(*net.TCPAddr).Port; port != 0 && got != port {
		logger.Printf("port %d is taken; the viewer uses port %d instead", port, got)
	}
	srv := &watch.Server{Log: l, Token: token}
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		l.Run(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		if err := srv.Serve(ctx, ln); err != nil {
			logger.Printf("web viewer stopped: %v", err)
		}
	}()
	return watch.URL(ln, token), func() { <-done; <-done }, nil
}

// tokenPath is where the viewer's token is kept: the user's state
// directory ($XDG_STATE_HOME, else ~/.local/state; the config directory
// where those are not the custom).
func tokenPath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "execkit", "watch-token")
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "execkit", "watch-token")
		}
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "execkit", "watch-token")
}

func openURL(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// startWatchWeb starts the web viewer inside the MCP server, when the
// operator set EXECKIT_MCP_WATCH_WEB. A viewer that cannot start is
// reported and the server goes on without it: the agent's sessions do not
// depend on it. The URL goes to stderr, never to stdout (MCP's).
func startWatchWeb(ctx context.Context, st *settings, getenv func(string) string, logger *log.Logger) (stop func()) {
	path := st.auditDir
	if path == "" {
		path = st.auditFile
	}
	if path == "" {
		logger.Printf("%s is set, but there is no audit log to show: set %s (or %s); the web viewer is not started", envWatchWeb, envAuditDir, envAudit)
		return func() {}
	}
	l, err := watch.Open(path, nil)
	if err != nil {
		logger.Printf("web viewer not started: %v", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	vlog := log.New(logger.Writer(), logger.Prefix()+"web viewer: ", 0)
	url, wait, err := startViewer(ctx, l, st.watchPort, true, getenv, vlog)
	if err != nil {
		cancel()
		l.Close()
		logger.Printf("web viewer not started: %v", err)
		return func() {}
	}
	logger.Printf("web viewer of %s: %s", path, url)
	return func() {
		cancel()
		wait()
		l.Close()
	}
}

// watchWebDoctor and watchPortDoctor report the viewer's settings for
// doctor.
func watchWebDoctor(st *settings, getenv func(string) string, line func(status, format string, a ...any)) {
	if !st.watchWeb {
		line("[--]", "%s: off (set it to 1 to serve the web viewer of the audit log with the server)", envWatchWeb)
	} else if st.auditDir == "" && st.auditFile == "" {
		line("[warn]", "%s: on, but there is no audit log to show, so the viewer will not start (set %s)", envWatchWeb, envAuditDir)
	} else {
		line("[ok]", "%s: on, the web viewer is served on 127.0.0.1, its URL (with a token kept in %s) printed to stderr at start", envWatchWeb, tokenPath(getenv))
	}
}

func watchPortDoctor(st *settings, line func(status, format string, a ...any), dflt string) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(st.watchPort)))
	if err == nil {
		ln.Close()
		line("[ok]", "%s: %d%s, free now (a free port is used if it is taken)", envWatchPort, st.watchPort, dflt)
	} else if st.watchWeb {
		line("[warn]", "%s: %d%s is taken now, so the viewer would use another port and its URL would change", envWatchPort, st.watchPort, dflt)
	} else {
		line("[--]", "%s: %d%s, taken now (a free port is used if it is taken)", envWatchPort, st.watchPort, dflt)
	}
}
