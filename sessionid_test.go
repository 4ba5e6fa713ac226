package execkit

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
)

// idSafe is what a session id may hold: it names audit files and shows in
// logs and tool results.
var idSafe = regexp.MustCompile(`^[A-Za-z0-9.@:_-]*$`)

func TestSanitizeIDHostile(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"plain":        {"web-1", "web-1"},
		"user at host": {"deploy@10.0.0.5:2222", "deploy@10.0.0.5:2222"},
		"ipv6":         {"u@[::1]:22", "u@_::1_:22"},
		"traversal":    {"../../etc/passwd", ".._.._etc_passwd"},
		"newline":      {"a\nb\r\nc", "a_b__c"},
		"nul":          {"a\x00b", "a_b"},
		"ansi":         {"\x1b[31mred\x1b[0m", "__31mred__0m"},
		"shell":        {"$(rm -rf /);`id`|x&y>z", "__rm_-rf_____id__x_y_z"},
		"quotes":       {`"a' b"`, "_a__b_"},
		"json":         {`{"x":1}`, `__x_:1_`},
		"unicode":      {"cöntainer", "c_ntainer"},
		"emoji":        {"🐳", "_"},
		"invalid utf8": {"a\xff\xfeb", "a__b"},
		"rtl override": {"a\u202eb", "a_b"},
		"empty":        {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := sanitizeID(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Regexp(t, idSafe, got)
		})
	}
	t.Run("long", func(t *testing.T) {
		for _, in := range []string{strings.Repeat("a", 10000), strings.Repeat("ж", 10000), strings.Repeat("\xff", 10000)} {
			got := sanitizeID(in)
			assert.Len(t, got, 64, "an id part is capped")
			assert.Regexp(t, idSafe, got)
		}
	})
}

// FuzzSanitizeID: whatever a label holds, the id part is short, valid UTF-8
// and made of the safe characters only.
func FuzzSanitizeID(f *testing.F) {
	for _, s := range []string{"web-1", "u@h:22", "../x", "a\nb", "\x1b[0m", "🐳", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitizeID(s)
		if len(got) > 64 || !utf8.ValidString(got) || !idSafe.MatchString(got) {
			t.Fatalf("sanitizeID(%q) = %q", s, got)
		}
		if utf8.RuneCountInString(s) <= 64 && utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Fatalf("sanitizeID(%q) = %q: one character in, one out", s, got)
		}
	})
}

// labeled is the local transport with a hostile kind and label, as a
// transport written by someone else (or a container name the daemon
// allowed) might give.
type labeled struct {
	transport.Transport
	kind, label string
}

func (l labeled) Kind() string  { return l.kind }
func (l labeled) Label() string { return l.label }

func TestSessionIDHostileLabel(t *testing.T) {
	tr := labeled{local.New(), "ssh\n../", "evil\n{\"x\":1}/../../" + strings.Repeat("z", 200)}
	s, err := Open(context.Background(), tr, nil)
	require.NoError(t, err)
	defer s.Close()
	id := s.ID()
	assert.Regexp(t, `^\d+_ssh_\.\.__evil___x_:1__\.\._\.\._z{45}$`, id, "each part sanitized, the label capped at 64")
	assert.Regexp(t, idSafe, id)
}
