package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileSize is the largest policy file [LoadFile] reads.
const MaxFileSize = 1 << 20

// LoadFile reads an operator policy file (EXECKIT_MCP_POLICY_FILE for the
// MCP server) and validates it as the operator layer of [Compile] would.
//
// The file holds one JSON object with the fields of [Policy], all optional:
//
//	{
//	  "allow": ["git", "go", "ls", "cat", "grep"],
//	  "deny": ["rm", "shutdown", "reboot"],
//	  "deny_patterns": ["git\\s+push\\s+.*--force"],
//	  "dynamic": "deny"
//	}
//
// Field names are matched exactly (lower case); an unknown or repeated field,
// a value of the wrong type, trailing data after the object, or a file
// larger than [MaxFileSize] is an error, so that a typo never silently drops
// a rule. Errors name the file and the field.
func LoadFile(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("policy: %s: larger than %d bytes", path, MaxFileSize)
	}
	p, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", path, err)
	}
	if _, err := Compile(p, nil); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return p, nil
}

// fields are the JSON names of Policy's fields.
var fields = map[string]bool{"allow": true, "deny": true, "deny_patterns": true, "dynamic": true}

// decode parses a policy strictly. encoding/json alone would accept field
// names in any letter case and keep only the last of repeated fields.
func decode(data []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("a policy file must hold one JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErr(err)
		}
		key, _ := tok.(string)
		switch {
		case !fields[key]:
			return nil, fmt.Errorf("unknown field %q (known: allow, deny, deny_patterns, dynamic)", key)
		case seen[key]:
			return nil, fmt.Errorf("field %q appears more than once", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxErr(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	var p Policy
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("field %q: expected %s, got a JSON %s", te.Field, te.Type, te.Value)
		}
		return nil, syntaxErr(err)
	}
	return &p, nil
}

func syntaxErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of file")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}
