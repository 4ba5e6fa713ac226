package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event is one line of an audit log, decoded. Its texts are the log's own,
// already redacted by the writer; the viewer adds nothing to them.
type Event struct {
	// Seq is the line's place in its file's hash chain.
	Seq int64 `json:"seq"`
	// Type is "open", "exec", "blocked", "close", or a type this viewer
	// does not know (its fields are then in Extra).
	Type      string `json:"type"`
	Session   string `json:"session"`
	Transport string `json:"transport"`
	// Time is epoch milliseconds, as written.
	Time    int64   `json:"time"`
	Command string  `json:"command,omitempty"`
	Result  *Result `json:"result,omitempty"`
	Error   string  `json:"error,omitempty"`
	Cwd     string  `json:"cwd,omitempty"`
	// Extra holds the other fields of an event type the viewer does not
	// know (checkpoint, restore, job events), to show them as they are.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`

	// Key names the viewer's session the event belongs to (see
	// [Session.Key]).
	Key string `json:"key"`
	// Off is the byte offset of the line in its file.
	Off int64 `json:"off"`
	// size is the line's length with its newline: what it costs to keep.
	size int
}

// Failed reports whether the event is one a reader looks for first: a
// blocked command, or one that exited nonzero or timed out.
func (e *Event) Failed() bool {
	switch e.Type {
	case "blocked":
		return true
	case "exec":
		return e.Result != nil && (e.Result.ExitCode != 0 || e.Result.TimedOut || e.Result.Ended != "")
	}
	return false
}

// IsCommand reports whether the event is a command (run or blocked).
func (e *Event) IsCommand() bool { return e.Type == "exec" || e.Type == "blocked" }

// Result is a command's result as the audit log holds it: the JSON of
// execkit.Result. The viewer reads the file format and not the library's
// types, so that it reads the logs of other versions and needs none of the
// session machinery.
type Result struct {
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	ExitCode   int    `json:"exit_code"`
	DurationMS int64  `json:"duration_ms"`
	Cwd        string `json:"cwd"`
	Truncated  bool   `json:"truncated,omitempty"`
	TimedOut   bool   `json:"timed_out,omitempty"`
	Redacted   int    `json:"redacted,omitempty"`
	OutputID   string `json:"output_id,omitempty"`
	Ended      string `json:"session_ended,omitempty"`
	JobID      string `json:"job_id,omitempty"`
	Files      *Files `json:"files,omitempty"`
}

// Files is a command's effect on its session's workspace, as the audit log
// holds it (execkit.FileChanges).
type Files struct {
	Created  int      `json:"created"`
	Modified int      `json:"modified"`
	Deleted  int      `json:"deleted"`
	Paths    []string `json:"paths,omitempty"`
	Error    string   `json:"error,omitempty"`
}

var errNotEvent = errors.New("watch: the line is not an audit event")

// knownTypes are decoded into Event's own fields only.
var knownTypes = map[string]bool{"open": true, "exec": true, "blocked": true, "close": true}

// parseEvent decodes one line (without its newline).
func parseEvent(line []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return nil, errNotEvent
	}
	if ev.Type == "" || ev.Session == "" {
		return nil, errNotEvent
	}
	ev.Extra, ev.Key, ev.Off = nil, "", 0 // the viewer's, never the line's
	if !knownTypes[ev.Type] {
		var all map[string]json.RawMessage
		if json.Unmarshal(line, &all) == nil {
			for _, k := range []string{"seq", "prev", "type", "session", "transport", "time", "command", "result", "error", "cwd", "key", "off", "extra"} {
				delete(all, k)
			}
			if len(all) > 0 {
				ev.Extra = all
			}
		}
	}
	ev.size = len(line) + 1
	return &ev, nil
}

// lineInfo is what counting needs from a line, read without decoding it.
type lineInfo struct {
	typ, session, transport string
	failed                  bool
}

// peek reads a line's type, session and outcome. The audit writer puts
// "seq", "prev", then the event's fields in a fixed order, and a key can
// only be found where it is a key: inside a JSON string every quote is
// escaped, so `,"name":` never matches text. A line that is not laid out
// that way, or whose values hold escapes, is decoded in full instead.
func peek(line []byte) (lineInfo, bool) {
	var li lineInfo
	var ok bool
	if li.typ, ok = peekString(line, `,"type":"`); !ok {
		return slowPeek(line)
	}
	if li.session, ok = peekString(line, `,"session":"`); !ok {
		return slowPeek(line)
	}
	li.transport, _ = peekString(line, `,"transport":"`)
	switch li.typ {
	case "blocked":
		li.failed = true
	case "exec":
		i := bytes.Index(line, []byte(`,"exit_code":`))
		if i < 0 {
			return slowPeek(line)
		}
		rest := line[i+len(`,"exit_code":`):]
		j := 0
		for j < len(rest) && (rest[j] == '-' || rest[j] >= '0' && rest[j] <= '9') {
			j++
		}
		code, err := strconv.Atoi(string(rest[:j]))
		if err != nil {
			return slowPeek(line)
		}
		li.failed = code != 0 || bytes.Contains(line, []byte(`,"timed_out":true`)) || bytes.Contains(line, []byte(`,"session_ended":"`))
	}
	return li, true
}

func peekString(line []byte, key string) (string, bool) {
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

func slowPeek(line []byte) (lineInfo, bool) {
	ev, err := parseEvent(line)
	if err != nil {
		return lineInfo{}, false
	}
	return lineInfo{typ: ev.Type, session: ev.Session, transport: ev.Transport, failed: ev.Failed()}, true
}

// Printable makes s safe to write to a terminal: control characters (an
// escape sequence in a command, a bell, a carriage return) are shown in
// caret or \u notation instead of acting on the terminal, and invalid UTF-8
// becomes U+FFFD. Tabs and newlines are kept.
func Printable(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || needsEscape(r) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case needsEscape(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", max(0, 4-len(h))))
			b.WriteString(h)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsEscape: C0 and C1 controls and DEL (but tab and newline), and the
// bidirectional overrides that can make a line read differently from what
// it runs.
func needsEscape(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// peekTime reads a line's top-level "time": the writer puts it last, after
// the event's fields, so the last match is the top-level key.
func peekTime(line []byte) (int64, bool) {
	i := bytes.LastIndex(line, []byte(`,"time":`))
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(`,"time":`):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}
