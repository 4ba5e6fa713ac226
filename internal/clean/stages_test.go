package clean

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordFilter passes text through unchanged, keeping what it saw and
// which lines it was asked to recheck; rewrite, when set, is what Recheck
// returns.
type recordFilter struct {
	next      io.Writer
	seen      bytes.Buffer
	rechecked []string
	rewrite   func(string) string
	closed    int
}

func (f *recordFilter) Write(p []byte) (int, error) {
	f.seen.Write(p)
	return f.next.Write(p)
}

func (f *recordFilter) Close() error { f.closed++; return nil }

func (f *recordFilter) Recheck(line []byte) []byte {
	f.rechecked = append(f.rechecked, string(line))
	if f.rewrite != nil {
		return []byte(f.rewrite(string(line)))
	}
	return line
}

// filtered runs in through a filtered Writer in the given chunk sizes and
// returns the output, the filter and the stats.
func filtered(t testing.TB, in []byte, sizes ...int) ([]byte, *recordFilter, Stats) {
	var out bytes.Buffer
	var f *recordFilter
	w := NewFilteredWriter(&out, func(next io.Writer) Filter {
		f = &recordFilter{next: next}
		return f
	})
	feed(t, w, in, sizes...)
	require.NoError(t, w.Close(), "Close is idempotent")
	require.Equal(t, 1, f.closed, "the filter is closed exactly once")
	return out.Bytes(), f, w.Stats()
}

// TestFilteredMatchesNewWriter checks that stripping and then resolving
// gives what NewWriter gives, with the same stats, however the input is
// split: the two halves lose nothing and invent nothing.
func TestFilteredMatchesNewWriter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	inputs := map[string][]byte{}
	for _, c := range allCases() {
		inputs[c.name] = []byte(c.in)
	}
	for name, in := range goldenInputs(t) {
		inputs["golden "+name] = in
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want, wantStats := clean(t, in)
			got, _, st := filtered(t, in)
			require.Equal(t, string(want), string(got), "strip then resolve differs from NewWriter")
			require.Equal(t, wantStats, st, "stats differ from NewWriter's")
			for range 10 {
				sizes := randomSizes(r, len(in))
				got, _, _ := filtered(t, in, sizes...)
				require.Equal(t, string(want), string(got), "chunks %v changed the output", sizes)
			}
		})
	}
}

// TestStripHalf pins what the filter sees: the text in the order it was
// written, with the edits a terminal would apply still in it, and nothing
// where the terminal would change nothing.
func TestStripHalf(t *testing.T) {
	tests := []struct{ name, in, seen, out string }{
		{"overwrite keeps the first text", "ghp_secret\rxx\n", "ghp_secret\rxx\n", "xxp_secret\n"},
		{"CRLF", "a=1\r\nb=2\r\n", "a=1\nb=2\n", "a=1\nb=2\n"},
		{"CR at the end", "abc\r", "abc", "abc"},
		{"CR at the start", "\r\rabc\n", "abc\n", "abc\n"},
		{"CRs collapse", "abc\r\r\rX\n", "abc\rX\n", "Xbc\n"},
		{"CR split from LF", "abc\r", "abc", "abc"},
		{"grep colours", "\x1b[01;31m\x1b[Kpassword\x1b[m\x1b[K=x\n", "password=x\n", "password=x\n"},
		{"sgr dropped", "\x1b[31mred\x1b[0m\n", "red\n", "red\n"},
		{"backspace", "ab\bc\n", "ab\bc\n", "ac\n"},
		{"backspace at start dropped", "\b\bx", "x", "x"},
		{"cursor back as backspaces", "abc\x1b[2Dx\n", "abc\b\bx\n", "axc\n"},
		{"cursor back bounded by the text", "ab\x1b[999Dx", "ab\b\bx", "xb"},
		{"column 1 is a CR", "abc\x1b[1Gx", "abc\rx", "xbc"},
		{"column n", "abcdef\x1b[3Gx", "abcdef\b\b\b\bx", "abxdef"},
		{"erase right after CR", "abcdef\rab\x1b[K\n", "abcdef\rab\x1c\n", "ab\n"},
		{"erase right at end dropped", "abc\x1b[K\n", "abc\n", "abc\n"},
		{"erase left", "abcdef\x1b[2D\x1b[1Kx\n", "abcdef\b\b\x1dx\n", "    xf\n"},
		{"erase line", "50%\x1b[2K\rok\n", "50%\x1e\rok\n", "ok\n"},
		{"erase on empty line dropped", "\x1b[2K\x1b[1Kok\n", "ok\n", "ok\n"},
		{"erase codes in input are controls", "a\x1c\x1d\x1eb", "ab", "ab"},
		{"invalid UTF-8 fixed first", "a\xffb\r\n", "a\uFFFDb\n", "a\uFFFDb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, f, _ := filtered(t, []byte(tt.in))
			assert.Equal(t, tt.seen, f.seen.String(), "what the filter sees for %q", tt.in)
			assert.Equal(t, tt.out, string(got), "filtered output of %q", tt.in)
			assert.Equal(t, String(tt.in), string(got), "must agree with String")
			bytewise, f2, _ := filtered(t, []byte(tt.in), eachByte(len(tt.in))...)
			assert.Equal(t, tt.out, string(bytewise), "byte-at-a-time Writes changed the output")
			assert.Equal(t, tt.seen, f2.seen.String(), "byte-at-a-time Writes changed what the filter sees")
		})
	}
}

func eachByte(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// TestRecheck checks that exactly the lines the edits composed are
// rechecked, and that what Recheck returns is what is passed on.
func TestRecheck(t *testing.T) {
	in := "plain line\nghp_AB\bCD\nprogress 10%\rprogress 99%\n\x1b[32mcolour\x1b[0m\nabc\x1b[2Kdef\n"
	var out bytes.Buffer
	var f *recordFilter
	w := NewFilteredWriter(&out, func(next io.Writer) Filter {
		f = &recordFilter{next: next, rewrite: func(s string) string {
			return strings.ReplaceAll(s, "ghp_ACD", "[REDACTED]")
		}}
		return f
	})
	_, err := io.WriteString(w, in)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"ghp_ACD", "progress 99%", "   def"}, f.rechecked, "lines rechecked")
	assert.Equal(t, "plain line\n[REDACTED]\nprogress 99%\ncolour\n   def\n", out.String())
	assert.Equal(t, int64(out.Len()), w.Stats().BytesOut, "BytesOut counts what reached dst")
}

// TestStringFiltered checks the whole-string form: f sees the stripped
// text, and again each composed line.
func TestStringFiltered(t *testing.T) {
	var calls []string
	got := StringFiltered("ghp_secret\rxx\r\nok\x1b[31m!\n", func(s string) string {
		calls = append(calls, s)
		return strings.ReplaceAll(s, "ghp_secret", "[REDACTED]")
	})
	assert.Equal(t, "xxEDACTED]\nok!\n", got)
	assert.Equal(t, []string{"ghp_secret\rxx\nok!\n", "xxEDACTED]"}, calls)
}

type failFilter struct{ err error }

func (f failFilter) Write(p []byte) (int, error) { return 0, f.err }
func (f failFilter) Close() error                { return f.err }
func (f failFilter) Recheck(l []byte) []byte     { return l }

// TestFilteredErrors checks that a filter's error stops the Writer, and
// that an error from dst reaches the caller through the filter.
func TestFilteredErrors(t *testing.T) {
	boom := errors.New("boom")
	w := NewFilteredWriter(io.Discard, func(io.Writer) Filter { return failFilter{boom} })
	_, err := w.Write([]byte("line\n"))
	assert.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("more\n"))
	assert.ErrorIs(t, err, boom, "the error is sticky")
	assert.ErrorIs(t, w.Close(), boom)

	w = NewFilteredWriter(&failWriter{}, func(next io.Writer) Filter { return &recordFilter{next: next} })
	_, err = w.Write([]byte("line\n"))
	assert.ErrorIs(t, err, errDisk)
	assert.ErrorIs(t, w.Close(), errDisk)
}

// checkStripped asserts the alphabet a Filter is promised.
func checkStripped(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		t.Fatalf("stripped text is not valid UTF-8: %q", b)
	}
	for _, r := range string(b) {
		ok := r >= 0x20 && r != 0x7f && (r < 0x80 || r >= 0xa0) ||
			r == '\n' || r == '\t' || r == '\r' || r == '\b' || r >= codeEraseRight && r <= codeEraseLine
		if !ok {
			t.Fatalf("stripped text holds %U: %q", r, b)
		}
	}
	if bytes.Contains(b, []byte("\r\n")) {
		t.Fatalf("stripped text holds a CR before a newline: %q", b)
	}
}

// dropFilter drops every line that holds a 'Z', as a redactor drops the
// lines of a key block, and passes the others on whole. It writes only from
// within its own Write and Close, as a Filter must.
type dropFilter struct {
	next io.Writer
	line []byte
}

func (f *dropFilter) Write(p []byte) (int, error) {
	for _, b := range p {
		f.line = append(f.line, b)
		if b == '\n' {
			if err := f.flush(); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

func (f *dropFilter) flush() error {
	defer func() { f.line = f.line[:0] }()
	if bytes.IndexByte(f.line, 'Z') >= 0 || len(f.line) == 0 {
		return nil
	}
	_, err := f.next.Write(f.line)
	return err
}

func (f *dropFilter) Close() error            { return f.flush() }
func (f *dropFilter) Recheck(l []byte) []byte { return l }

func dropLines(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, "Z") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// filteredDrop streams in through a filtered Writer with a dropFilter.
func filteredDrop(t testing.TB, in []byte, sizes ...int) []byte {
	var out bytes.Buffer
	w := NewFilteredWriter(&out, func(next io.Writer) Filter { return &dropFilter{next: next} })
	feed(t, w, in, sizes...)
	return out.Bytes()
}

// TestResolveAfterDroppedLines: the resolve stage passes lines without
// edits through unparsed (passLines); a filter that drops lines must not
// make it pass through a line that has one. The streamed result equals
// StringFiltered's, which never takes that path.
func TestResolveAfterDroppedLines(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		switch i % 7 {
		case 0:
			b.WriteString("Z dropped line\nZZ and another\n")
		case 3:
			fmt.Fprintf(&b, "step %d 10%%\r\x1b[Kstep %d done\n", i, i)
		case 5:
			fmt.Fprintf(&b, "abc\b\bX %d\n", i)
		default:
			fmt.Fprintf(&b, "plain line %d\n", i)
		}
	}
	in := b.String()
	want := StringFiltered(in, dropLines)
	require.NotContains(t, want, "\r")
	require.Contains(t, want, "step 3 done\nplain line 4\naX 5\n")
	r := rand.New(rand.NewPCG(5, 6))
	for _, sizes := range [][]int{nil, eachByte(len(in)), randomSizes(r, len(in)), {100, 1000, 7, 4096}} {
		assert.Equal(t, want, string(filteredDrop(t, []byte(in), sizes...)), "chunks %v", sizes)
	}
}
