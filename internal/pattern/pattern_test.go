package pattern

import (
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "is empty"},
		{strings.Repeat("a", MaxLen+1), "is 1025 bytes, over the 1024-byte limit"},
		{"a\xffb", "is not valid UTF-8"},
		{"(", `is not a valid regular expression: missing closing ) in "("`},
		{"(\nX" + strings.Repeat("a", 1000), `is not a valid regular expression: missing closing ) in "(\nXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"...`},
		{"a**", `is not a valid regular expression: invalid nested repetition operator in "**"`},
		{"\x1b]52;c;" + "[", `is not a valid regular expression: missing closing ] in "["`},
		{strings.Repeat("[a-z]{1,1000}", 25), "is too complex (49977 instructions; the limit is 20000)"},
	} {
		_, err := Compile(tc.src)
		if err == nil {
			t.Fatalf("Compile(%.20q) = nil error", tc.src)
		}
		if err.Error() != tc.want {
			t.Errorf("Compile(%.20q) = %q, want %q", tc.src, err, tc.want)
		}
		if strings.ContainsAny(err.Error(), "\n\r\x1b") || len(err.Error()) > 120 {
			t.Errorf("error for %.20q is not one short line: %q", tc.src, err)
		}
	}
	re, err := Compile(`^ERROR\b.*timeout`)
	if err != nil || !re.MatchString("ERROR: db timeout") || re.MatchString("error: x") {
		t.Fatalf("a good pattern: %v", err)
	}
}
