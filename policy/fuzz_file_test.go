package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadFile feeds arbitrary bytes to the operator policy file parser.
// Whatever the file holds, LoadFile does not panic; a refusal is one line
// that starts with "policy: " and names the file; and a policy it accepts
// compiles, and loads again unchanged from its own JSON, so what the server
// enforces is what the file said.
func FuzzLoadFile(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "policy.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(example),
		`{}`,
		`{"deny": ["rm"], "alow": ["ls"]}`,
		`{"deny": ["rm"], "deny": []}`,
		`{"deny": "rm"}`,
		`{"deny_patterns": ["("]}`,
		`{"dynamic": "sometimes"}`,
		`{"allow": ["ls"], "dynamic": "allow"}`,
		`{"deny": ["/bin/rm", "", "r m"]}`,
		`{"deny": ["rm"]} {"deny": []}`,
		"\ufeff{}",
		`{"allow": null, "deny": [null]}`,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "policy.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := LoadFile(path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "policy: ") || !strings.Contains(msg, path) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("LoadFile(%q): the error must be one line that starts with \"policy: \" and names the file, got %q", data, msg)
			}
			return
		}
		fence, err := Compile(p, nil)
		if err != nil {
			t.Fatalf("LoadFile(%q) accepted a policy that does not compile: %v", data, err)
		}
		fence.Check("git status && rm -rf build") // the fence it makes works

		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, again, 0o600); err != nil {
			t.Fatal(err)
		}
		q, err := LoadFile(path)
		if err != nil {
			t.Fatalf("LoadFile(%q) accepted a policy whose own JSON %s it refuses: %v", data, again, err)
		}
		if twice, _ := json.Marshal(q); string(twice) != string(again) {
			t.Fatalf("LoadFile(%q) gave %s, which loads back as %s", data, again, twice)
		}
	})
}
