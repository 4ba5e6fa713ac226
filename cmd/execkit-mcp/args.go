package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/execkit/execkit"
	"github.com/mark3labs/mcp-go/mcp"
)

// args are one tool call's arguments, decoded strictly: every argument must
// be one the tool declares, given once, with the declared JSON type. Each
// problem is one sentence the agent can act on. A null value counts as
// absent, since some clients send null for optional arguments.
type args struct {
	tool   string
	values map[string]json.RawMessage
}

// argError is a bad argument: the message is the whole sentence.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, a ...any) error { return &argError{fmt.Sprintf(format, a...)} }

// quoteArg quotes an agent-supplied name or value for an error message,
// escaped and bounded.
func quoteArg(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// decodeArgs reads req's arguments for a tool that takes the names in
// allowed.
func decodeArgs(req mcp.CallToolRequest, allowed []string) (*args, error) {
	a := &args{tool: req.Params.Name, values: map[string]json.RawMessage{}}
	var raw []byte
	switch v := req.GetRawArguments().(type) {
	case json.RawMessage:
		raw = v
	case nil:
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, argErrorf("The arguments of %s cannot be read: %v.", a.tool, err)
		}
		raw = b
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return a, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, argErrorf("The arguments of %s must be a JSON object.", a.tool)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, argErrorf("The arguments of %s are not valid JSON.", a.tool)
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, argErrorf("The arguments of %s are not valid JSON.", a.tool)
		}
		if !contains(allowed, name) {
			return nil, argErrorf("%s has no argument %s; it takes %s.", a.tool, quoteArg(name), listNames(allowed))
		}
		if _, dup := a.values[name]; dup {
			return nil, argErrorf("Argument %s of %s is given twice.", name, a.tool)
		}
		if string(v) != "null" {
			a.values[name] = v
		} else {
			a.values[name] = nil
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, argErrorf("The arguments of %s are not valid JSON.", a.tool)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, argErrorf("The arguments of %s hold data after the object.", a.tool)
	}
	for k, v := range a.values {
		if v == nil {
			delete(a.values, k)
		}
	}
	return a, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func listNames(names []string) string {
	if len(names) == 0 {
		return "no arguments"
	}
	return strings.Join(names, ", ")
}

// has reports whether the argument was given (and not null).
func (a *args) has(name string) bool {
	_, ok := a.values[name]
	return ok
}

// given returns the names among names that were given, sorted.
func (a *args) given(names []string) []string {
	var out []string
	for _, n := range names {
		if a.has(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func jsonKind(v json.RawMessage) string {
	switch {
	case len(v) == 0:
		return "nothing"
	case v[0] == '"':
		return "a string"
	case v[0] == '{':
		return "an object"
	case v[0] == '[':
		return "an array"
	case v[0] == 't' || v[0] == 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// wholeKind says what a value that is not a usable whole number is.
func wholeKind(v json.RawMessage) string {
	k := jsonKind(v)
	if k != "a number" {
		return k
	}
	if bytes.ContainsAny(v, ".eE") {
		return "a fraction"
	}
	return "a number out of range"
}

func (a *args) typeError(name, want string) error {
	return argErrorf("Argument %s of %s must be %s, not %s.", name, a.tool, want, jsonKind(a.values[name]))
}

// str returns a string argument; required ones must be present.
func (a *args) str(name string, required bool) (string, error) {
	v, ok := a.values[name]
	if !ok {
		if required {
			return "", argErrorf("%s needs the argument %s.", a.tool, name)
		}
		return "", nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", a.typeError(name, "a string")
	}
	return s, nil
}

func (a *args) boolean(name string) (bool, error) {
	v, ok := a.values[name]
	if !ok {
		return false, nil
	}
	var b bool
	if json.Unmarshal(v, &b) != nil {
		return false, a.typeError(name, "true or false")
	}
	return b, nil
}

// integer returns a whole-number argument within [lo, hi].
func (a *args) integer(name string, lo, hi int64) (int64, bool, error) {
	v, ok := a.values[name]
	if !ok {
		return 0, false, nil
	}
	n, err := wholeNumber(v)
	if err != nil {
		return 0, false, argErrorf("Argument %s of %s must be a whole number, not %s.", name, a.tool, wholeKind(v))
	}
	if n < lo || n > hi {
		return 0, false, argErrorf("Argument %s of %s must be from %d to %d, not %d.", name, a.tool, lo, hi, n)
	}
	return n, true, nil
}

func wholeNumber(v json.RawMessage) (int64, error) {
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return 0, errors.New("not a number")
	}
	var num json.Number
	if err := json.Unmarshal(v, &num); err != nil {
		return 0, err
	}
	if n, err := num.Int64(); err == nil {
		return n, nil
	}
	f, err := num.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not a whole number")
	}
	return int64(f), nil
}

// seconds returns a timeout in seconds, more than zero.
func (a *args) seconds(name string) (time.Duration, bool, error) {
	v, ok := a.values[name]
	if !ok {
		return 0, false, nil
	}
	var f float64
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) || json.Unmarshal(v, &f) != nil {
		return 0, false, a.typeError(name, "a number of seconds")
	}
	// Below a millisecond nothing could run: refused rather than a
	// timed_out result for a command that never had a chance.
	if math.IsNaN(f) || f < 0.001 {
		return 0, false, argErrorf("Argument %s of %s must be at least 0.001 seconds.", name, a.tool)
	}
	if f > 100*365*24*3600 {
		f = 100 * 365 * 24 * 3600 // clamped below anyway
	}
	return time.Duration(f * float64(time.Second)), true, nil
}

// strList returns an array of strings.
func (a *args) strList(name string, maxItems int) ([]string, error) {
	v, ok := a.values[name]
	if !ok {
		return nil, nil
	}
	var items []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &items) != nil {
		return nil, a.typeError(name, "an array of strings")
	}
	if len(items) > maxItems {
		return nil, argErrorf("Argument %s of %s holds %d items, more than the %d allowed.", name, a.tool, len(items), maxItems)
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if len(it) == 0 || it[0] != '"' || json.Unmarshal(it, &s) != nil {
			return nil, argErrorf("Argument %s of %s must be an array of strings, but item %d is %s.", name, a.tool, i, jsonKind(it))
		}
		out = append(out, s)
	}
	return out, nil
}

// strMap returns an object whose values are strings.
func (a *args) strMap(name string, maxItems int) (map[string]string, error) {
	v, ok := a.values[name]
	if !ok {
		return nil, nil
	}
	var items map[string]json.RawMessage
	if v[0] != '{' || json.Unmarshal(v, &items) != nil {
		return nil, a.typeError(name, "an object of string values")
	}
	if len(items) > maxItems {
		return nil, argErrorf("Argument %s of %s holds %d entries, more than the %d allowed.", name, a.tool, len(items), maxItems)
	}
	out := make(map[string]string, len(items))
	for k, it := range items {
		var s string
		if len(it) == 0 || it[0] != '"' || json.Unmarshal(it, &s) != nil {
			return nil, argErrorf("Argument %s of %s must map names to strings, but %s is %s.", name, a.tool, quoteArg(k), jsonKind(it))
		}
		out[k] = s
	}
	return out, nil
}

// budget decodes a budget object: {"keep": {"mode", "n"}, "grep":
// {"pattern", "context"}, "max_chars"}. Shapes are checked here; values
// (modes, ranges, the pattern) by the library, before the command runs.
func (a *args) budget(name string) (*execkit.Budget, error) {
	v, ok := a.values[name]
	if !ok {
		return nil, nil
	}
	top, err := object(v, []string{"keep", "grep", "max_chars"})
	if err != nil {
		return nil, argErrorf("Argument %s of %s %s.", name, a.tool, err)
	}
	b := &execkit.Budget{}
	if kv, ok := top["keep"]; ok {
		keep, err := object(kv, []string{"mode", "n"})
		if err != nil {
			return nil, argErrorf("%s.keep of %s %s.", name, a.tool, err)
		}
		b.Keep = &execkit.Keep{}
		if b.Keep.Mode, err = field[string](keep, "mode", "a string: head, tail or head_tail"); err != nil {
			return nil, argErrorf("%s.keep.%s.", name, err)
		}
		n, err := intField(keep, "n")
		if err != nil {
			return nil, argErrorf("%s.keep.%s.", name, err)
		}
		b.Keep.N = n
	}
	if gv, ok := top["grep"]; ok {
		grep, err := object(gv, []string{"pattern", "context"})
		if err != nil {
			return nil, argErrorf("%s.grep of %s %s.", name, a.tool, err)
		}
		b.Grep = &execkit.Grep{}
		if b.Grep.Pattern, err = field[string](grep, "pattern", "a string (a regular expression)"); err != nil {
			return nil, argErrorf("%s.grep.%s.", name, err)
		}
		if _, ok := grep["context"]; ok {
			if b.Grep.Context, err = intField(grep, "context"); err != nil {
				return nil, argErrorf("%s.grep.%s.", name, err)
			}
		}
	}
	if _, ok := top["max_chars"]; ok {
		if b.MaxChars, err = intField(top, "max_chars"); err != nil {
			return nil, argErrorf("%s.%s.", name, err)
		}
	}
	return b, nil
}

// object decodes a JSON object with only the given fields.
func object(v json.RawMessage, fields []string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &m) != nil {
		return nil, fmt.Errorf("must be an object, not %s", jsonKind(v))
	}
	for k := range m {
		if !contains(fields, k) {
			return nil, fmt.Errorf("has no field %s; it takes %s", quoteArg(k), listNames(fields))
		}
	}
	for k, x := range m {
		if string(x) == "null" {
			delete(m, k)
		}
	}
	return m, nil
}

func field[T any](m map[string]json.RawMessage, name, want string) (T, error) {
	var zero, v T
	raw, ok := m[name]
	if !ok {
		return zero, fmt.Errorf("%s is missing; it must be %s", name, want)
	}
	if json.Unmarshal(raw, &v) != nil {
		return zero, fmt.Errorf("%s must be %s, not %s", name, want, jsonKind(raw))
	}
	return v, nil
}

func intField(m map[string]json.RawMessage, name string) (int, error) {
	raw, ok := m[name]
	if !ok {
		return 0, fmt.Errorf("%s is missing; it must be a whole number", name)
	}
	n, err := wholeNumber(raw)
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s must be a whole number, not %s", name, wholeKind(raw))
	}
	return int(n), nil
}
