package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport/ssh"
)

// The library's types decode their own JSON (some with custom methods for
// durations in seconds), and encoding/json ignores members it does not know.
// A C caller's typo ("timeout" for "timeout_s") would then be silently
// dropped, so decode checks every member name against the type first.

// extraMembers are the JSON members a type's own UnmarshalJSON reads besides
// its tagged fields.
var extraMembers = map[reflect.Type][]string{
	reflect.TypeOf(execkit.Config{}):      {"timeout_s", "grace_s"},
	reflect.TypeOf(execkit.ExecOptions{}): {"timeout_s"},
	reflect.TypeOf(ssh.Operator{}):        {"dial_timeout_s", "keepalive_interval_s"},
	reflect.TypeOf(execkit.Result{}):      {"duration_ms"},
}

// decode decodes the JSON object text into v (a pointer), refusing members
// v's type does not have, at any depth. what names the argument in errors.
func decode(text []byte, v any, what string) error {
	text = bytes.TrimSpace(text)
	if len(text) == 0 || string(text) == "null" {
		return nil
	}
	if !json.Valid(text) {
		return argErrorf("%s is not valid JSON", what)
	}
	if err := checkMembers(text, reflect.TypeOf(v), what); err != nil {
		return err
	}
	if err := json.Unmarshal(text, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return argErrorf("%s: %s must be %s, not a JSON %s", what, strings.TrimPrefix(te.Field, "."), te.Type, te.Value)
		}
		return argErrorf("%s: %v", what, strings.TrimPrefix(err.Error(), "execkit: "))
	}
	return nil
}

// checkMembers walks text along t and reports the first object member that
// names no field.
func checkMembers(text json.RawMessage, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	text = bytes.TrimSpace(text)
	if len(text) == 0 || string(text) == "null" {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if err := json.Unmarshal(text, &members); err != nil {
			return argErrorf("%s must be a JSON object", path)
		}
		fields := jsonFields(t)
		for name, value := range members {
			ft, ok := fields[strings.ToLower(name)]
			if !ok {
				return argErrorf("%s has no member %q (it takes %s)", path, name, memberList(fields))
			}
			if ft == nil {
				continue // read by the type's own UnmarshalJSON
			}
			if err := checkMembers(value, ft, path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() != reflect.Struct && !(t.Elem().Kind() == reflect.Pointer && t.Elem().Elem().Kind() == reflect.Struct) {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(text, &items); err != nil {
			return nil // json.Unmarshal reports the type error
		}
		for i, item := range items {
			if err := checkMembers(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the lower-cased JSON names of t's fields (encoding/json
// matches names without regard to case) to their types; members the type
// decodes itself map to nil.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Type.Kind() == reflect.Func || f.Type.Kind() == reflect.Chan {
			continue
		}
		out[strings.ToLower(name)] = f.Type
	}
	for _, name := range extraMembers[t] {
		out[name] = nil
	}
	return out
}

func memberList(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
