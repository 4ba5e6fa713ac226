package watch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind says what a transcript line is, for styling it.
type Kind int

// The kinds of transcript line.
const (
	KindInfo     Kind = iota // a session opened or closed, another event
	KindPrompt               // the prompt and the first line of a command
	KindContinue             // a further line of a multi-line command
	KindStdout
	KindStderr
	KindOK      // a command that exited 0
	KindFail    // one that exited nonzero, timed out or ended the session
	KindBlocked // one the policy refused
)

// Line is one line of a transcript, rendered like a shell would show it.
type Line struct {
	Kind Kind
	// Prompt is the prompt before the command ("/srv $ "), on KindPrompt
	// lines; Text is the rest.
	Prompt string
	Text   string
	// Event is the event the line comes from.
	Event *Event
}

// Shell turns events into transcript lines, following each session's
// working directory for its prompts. The zero value is ready to use.
type Shell struct {
	cwd map[string]string
	// NoOutput leaves out stdout and stderr.
	NoOutput bool
}

// Lines returns the lines of one event.
func (sh *Shell) Lines(ev *Event) []Line {
	if sh.cwd == nil {
		sh.cwd = map[string]string{}
	}
	key := ev.Key
	if key == "" {
		key = ev.Session
	}
	var out []Line
	add := func(k Kind, text string) { out = append(out, Line{Kind: k, Text: text, Event: ev}) }
	switch ev.Type {
	case "open":
		if ev.Cwd != "" {
			sh.cwd[key] = ev.Cwd
		}
		msg := "-- session " + ev.Session + " opened"
		if ev.Transport != "" {
			msg += " (" + ev.Transport + ")"
		}
		if ev.Cwd != "" {
			msg += " in " + ev.Cwd
		}
		add(KindInfo, msg)
	case "close":
		add(KindInfo, "-- session "+ev.Session+" closed")
	case "exec", "blocked":
		cwd := sh.cwd[key]
		if cwd == "" && ev.Result != nil {
			cwd = ev.Result.Cwd // the first command seen: the best guess
		}
		if cwd == "" {
			cwd = "?"
		}
		cmd := strings.Split(strings.TrimRight(ev.Command, "\n"), "\n")
		out = append(out, Line{Kind: KindPrompt, Prompt: cwd + " $ ", Text: cmd[0], Event: ev})
		for _, c := range cmd[1:] {
			out = append(out, Line{Kind: KindContinue, Prompt: "> ", Text: c, Event: ev})
		}
		if ev.Type == "blocked" {
			add(KindBlocked, "x blocked: "+oneLine(ev.Error))
			break
		}
		r := ev.Result
		if r == nil {
			add(KindFail, "x no result")
			break
		}
		if !sh.NoOutput {
			for _, l := range splitOutput(r.Stdout) {
				add(KindStdout, l)
			}
			for _, l := range splitOutput(r.Stderr) {
				add(KindStderr, l)
			}
		}
		if r.Cwd != "" {
			sh.cwd[key] = r.Cwd
		}
		add(statusKind(r), Status(r))
	default:
		add(KindInfo, "-- "+ev.Type+extraText(ev.Extra))
	}
	return out
}

func statusKind(r *Result) Kind {
	if r.ExitCode != 0 || r.TimedOut || r.Ended != "" {
		return KindFail
	}
	return KindOK
}

// Status is a command's outcome in a few words: "ok (12ms)",
// "x exit 1 (3420ms)", "x timed out, exit 130 (30000ms)",
// "ok (40ms, files +1 ~2 -0)".
func Status(r *Result) string {
	var b strings.Builder
	switch {
	case r.TimedOut:
		b.WriteString("x timed out, exit " + strconv.Itoa(r.ExitCode))
	case r.ExitCode != 0:
		b.WriteString("x exit " + strconv.Itoa(r.ExitCode))
	case r.Ended != "":
		b.WriteString("x exit 0")
	default:
		b.WriteString("ok")
	}
	b.WriteString(" (" + strconv.FormatInt(r.DurationMS, 10) + "ms")
	if r.Truncated {
		b.WriteString(", output truncated")
	}
	if r.Redacted > 0 {
		b.WriteString(", " + strconv.Itoa(r.Redacted) + " redacted")
	}
	if f := r.Files; f != nil && f.Error == "" && f.Created+f.Modified+f.Deleted > 0 {
		fmt.Fprintf(&b, ", files +%d ~%d -%d", f.Created, f.Modified, f.Deleted)
	}
	b.WriteString(")")
	if r.JobID != "" {
		b.WriteString("; goes on as job " + r.JobID)
	}
	if r.Ended != "" {
		b.WriteString("; session ended: " + oneLine(r.Ended))
	}
	return b.String()
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ") }

// splitOutput splits output into lines; a final newline ends the last line
// rather than starting an empty one.
func splitOutput(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// extraText shows the fields of an event type the viewer does not know.
func extraText(extra map[string]json.RawMessage) string {
	if len(extra) == 0 {
		return ""
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := string(extra[k])
		var s string
		if json.Unmarshal(extra[k], &s) == nil && s != "" && !strings.ContainsAny(s, " \t\n\"") {
			v = s
		}
		if len(v) > 200 {
			v = v[:200] + "..."
		}
		b.WriteString(" " + k + "=" + oneLine(v))
	}
	return b.String()
}

// ANSI styles of the stream's lines.
const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[2m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiBlue  = "\x1b[34m"
)

// Printer writes events as a pipeable stream, one line per transcript
// line, each prefixed with its session id:
//
//	[1_local] /srv $ npm test
//	[1_local] x exit 1 (3420ms)
//
// Everything the log holds goes through [Printable] first, so a command
// cannot send escape sequences to the reader's terminal.
type Printer struct {
	W io.Writer
	// Color adds ANSI colors (stderr in red).
	Color bool
	// NoPrefix leaves out the "[session] " prefix (a one-session export).
	NoPrefix bool
	Shell    Shell
}

// Print writes the lines of ev.
func (p *Printer) Print(ev *Event) error {
	var b strings.Builder
	prefix := ""
	if !p.NoPrefix {
		prefix = "[" + Printable(oneLine(ev.Session)) + "] "
	}
	for _, l := range p.Shell.Lines(ev) {
		b.WriteString(prefix)
		text := Printable(l.Text)
		if !p.Color {
			b.WriteString(Printable(l.Prompt))
			b.WriteString(text)
			b.WriteByte('\n')
			continue
		}
		switch l.Kind {
		case KindPrompt, KindContinue:
			b.WriteString(ansiBlue + Printable(l.Prompt) + ansiReset + ansiBold + text + ansiReset)
		case KindStderr:
			b.WriteString(ansiRed + text + ansiReset)
		case KindFail, KindBlocked:
			b.WriteString(ansiBold + ansiRed + text + ansiReset)
		case KindOK:
			b.WriteString(ansiGreen + text + ansiReset)
		case KindInfo:
			b.WriteString(ansiDim + text + ansiReset)
		default:
			b.WriteString(text)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(p.W, b.String())
	return err
}

// Note writes a line of the viewer's own, prefixed "[watch]".
func (p *Printer) Note(text string) error {
	line := text
	if p.Color {
		line = ansiDim + text + ansiReset
	}
	if !p.NoPrefix {
		line = "[watch] " + line
	}
	_, err := io.WriteString(p.W, line+"\n")
	return err
}

// Export formats.
const (
	FormatText     = "txt"
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// Export writes the session's whole history, read again from its file (not
// only what is in memory), as "txt" (the transcript as a terminal shows
// it), "md" (Markdown, a fenced block per command) or "json" (the session
// and its events).
func (l *Log) Export(w io.Writer, key, format string) error {
	switch format {
	case FormatText, FormatMarkdown, FormatJSON:
	default:
		return fmt.Errorf("watch: unknown export format %q (txt, md or json)", format)
	}
	l.mu.Lock()
	s := l.sessions[key]
	if s == nil {
		l.mu.Unlock()
		return ErrNoSession
	}
	sum := s.Session
	fl := l.fileOf(s)
	if fl == nil {
		l.mu.Unlock()
		return ErrNoSession
	}
	path, end := fl.path, fl.off
	l.mu.Unlock()
	f, _, err := openAudit(path, l.dir)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	ex := newExporter(bw, format, sum)
	var werr error
	ex.begin()
	_, _, err = scanLines(f, 0, end, func(off int64, line []byte) bool {
		if !l.dir {
			if li, ok := peek(line); !ok || li.session != sum.ID {
				return true
			}
		}
		ev, perr := parseEvent(line)
		if perr != nil || ev.Session != sum.ID && !l.dir {
			return true
		}
		ev.Off, ev.Key = off, key
		werr = ex.event(ev)
		return werr == nil
	})
	if werr == nil {
		werr = err
	}
	if werr == nil {
		werr = ex.end()
	}
	if werr == nil {
		werr = bw.Flush()
	}
	return werr
}

type exporter struct {
	w      *bufio.Writer
	format string
	sum    Session
	shell  Shell
	n      int
}

func newExporter(w *bufio.Writer, format string, sum Session) *exporter {
	return &exporter{w: w, format: format, sum: sum}
}

func (x *exporter) begin() {
	switch x.format {
	case FormatJSON:
		head, _ := json.Marshal(x.sum)
		x.w.WriteString(`{"session":`)
		x.w.Write(head)
		x.w.WriteString(`,"events":[`)
	case FormatMarkdown:
		fmt.Fprintf(x.w, "# Session %s\n\n", mdInline(x.sum.ID))
		fmt.Fprintf(x.w, "- transport: %s\n", mdInline(x.sum.Transport))
		if x.sum.Start != 0 {
			fmt.Fprintf(x.w, "- started: %s\n", time.UnixMilli(x.sum.Start).UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(x.w, "- audit file: %s\n\n", mdInline(x.sum.File))
	case FormatText:
		fmt.Fprintf(x.w, "# session %s (%s), from the audit file %s\n", Printable(x.sum.ID), Printable(x.sum.Transport), Printable(x.sum.File))
	}
}

func (x *exporter) event(ev *Event) error {
	defer func() { x.n++ }()
	switch x.format {
	case FormatJSON:
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if x.n > 0 {
			x.w.WriteByte(',')
		}
		x.w.WriteByte('\n')
		_, err = x.w.Write(b)
		return err
	case FormatText:
		for _, l := range x.shell.Lines(ev) {
			x.w.WriteString(Printable(l.Prompt + l.Text))
			x.w.WriteByte('\n')
		}
		return nil
	}
	// Markdown: a heading per command, its transcript fenced.
	lines := x.shell.Lines(ev)
	if !ev.IsCommand() {
		for _, l := range lines {
			fmt.Fprintf(x.w, "*%s*\n\n", mdInline(l.Text))
		}
		return nil
	}
	when := ""
	if ev.Time != 0 {
		when = time.UnixMilli(ev.Time).UTC().Format("15:04:05") + " "
	}
	var stdout, stderr []string
	var status string
	for _, l := range lines {
		switch l.Kind {
		case KindPrompt, KindContinue, KindStdout:
			stdout = append(stdout, Printable(l.Prompt+l.Text))
		case KindStderr:
			stderr = append(stderr, Printable(l.Text))
		default:
			status = l.Text
		}
	}
	fmt.Fprintf(x.w, "### %s%s\n\n", when, mdInline(status))
	writeFence(x.w, "console", stdout)
	if len(stderr) > 0 {
		x.w.WriteString("stderr:\n\n")
		writeFence(x.w, "text", stderr)
	}
	return nil
}

func (x *exporter) end() error {
	if x.format == FormatJSON {
		_, err := x.w.WriteString("\n]}\n")
		return err
	}
	return nil
}

// writeFence writes lines in a fenced code block whose fence is longer
// than any run of backticks inside, so no line can end it.
func writeFence(w *bufio.Writer, lang string, lines []string) {
	n := 3
	for _, l := range lines {
		run := 0
		for _, c := range l {
			if c == '`' {
				run++
				n = max(n, run+1)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", n)
	w.WriteString(fence + lang + "\n")
	for _, l := range lines {
		w.WriteString(l + "\n")
	}
	w.WriteString(fence + "\n\n")
}

// mdInline escapes text for Markdown outside code: every mark that could
// start markup or HTML is backslash-escaped, and so is what would make the
// line a list item or a heading.
func mdInline(s string) string {
	s = Printable(oneLine(s))
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune("\\`*_{}[]<>#|~&!", r) || i == 0 && strings.ContainsRune("-+=", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
