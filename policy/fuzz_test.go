package policy

import (
	"errors"
	"testing"
)

// FuzzCheck checks that no input makes the fence panic, and that every
// refusal is a *Error with a layer and a rule.
func FuzzCheck(f *testing.F) {
	for _, s := range bypasses {
		f.Add(s)
	}
	for _, s := range innocent {
		f.Add(s)
	}
	f.Add(exampleCommand)
	fences := []*Fence{
		mustCompile(f, &Policy{Deny: []string{"rm"}, DenyPatterns: []string{`rm\s+-rf`}}, nil),
		mustCompile(f, &Policy{Allow: []string{"ls", "git"}}, &Policy{Deny: []string{"git"}, Dynamic: DynamicDeny}),
	}
	f.Fuzz(func(t *testing.T, command string) {
		for _, fence := range fences {
			err := fence.Check(command)
			if err == nil {
				continue
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q) returned %T, not *Error", command, err)
			}
			if pe.Layer == "" || pe.Rule == "" || pe.Error() == "" {
				t.Fatalf("Check(%q) returned an incomplete error %#v", command, pe)
			}
		}
	})
}
