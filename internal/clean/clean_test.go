package clean

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tcase struct {
	name, in, want string
}

// groups are the table tests, one group per kind of input. Every case is
// also run split at every byte (TestSplits) and seeds the fuzzer.
var groups = []struct {
	name  string
	cases []tcase
}{
	{"text", []tcase{
		{"plain", "hello, world\n", "hello, world\n"},
		{"no final newline", "prompt$ ", "prompt$ "},
		{"empty", "", ""},
		{"blank lines", "\n\n\n", "\n\n\n"},
		{"tabs and trailing blanks", "a\tb  \n\t\n", "a\tb  \n\t\n"},
		{"cjk and emoji", "日本語 🎉 ok\n", "日本語 🎉 ok\n"},
		{"combining mark", "e\u0301\n", "e\u0301\n"},
		{"replacement char is text", "\uFFFD\n", "\uFFFD\n"},
		{"nbsp and latin-1 range", "\u00a0\u00e9\u00ff", "\u00a0\u00e9\u00ff"},
	}},
	{"csi", []tcase{
		{"sgr", "\x1b[1;31mred\x1b[0m", "red"},
		{"sgr no params", "\x1b[mx\x1b[m", "x"},
		{"private params", "\x1b[?25lhidden\x1b[?25h", "hidden"},
		{"colon sub-params", "\x1b[38:2::255:0:0mX", "X"},
		{"intermediate byte", "\x1b[2 qX", "X"},
		{"cursor position", "\x1b[10;20Hx", "x"},
		{"vertical move dropped", "a\x1b[1Ab\n", "ab\n"},
		{"forward move dropped", "ab\x1b[5Cc", "abc"},
		{"erase at end of line", "abc\x1b[K\n", "abc\n"},
		{"grep colours", "\x1b[01;31m\x1b[Kmatch\x1b[m\x1b[K rest\n", "match rest\n"},
		{"control executed inside", "\x1b[3\n1mx", "\nx"},
		{"cr executed inside", "abc\x1b[\r1mx", "xbc"},
		{"aborted by CAN", "\x1b[31\x18mx", "mx"},
		{"aborted by SUB", "\x1b[31\x1amx", "mx"},
		{"ended by non-ascii", "\x1b[3é", "é"},
		{"restarted by ESC", "\x1b[31\x1b[32mx", "x"},
		{"DEL ignored inside", "\x1b[3\x7f1mx", "x"},
		{"C1 CSI", "\u009b31mred\u009b0m", "red"},
		{"overlong gives up", "\x1b[" + strings.Repeat("1", 5000) + "mX", strings.Repeat("1", 5000-maxSeq) + "mX"},
	}},
	{"osc", []tcase{
		{"title ended by BEL", "\x1b]0;my title\x07text", "text"},
		{"title ended by ST", "\x1b]2;t\x1b\\text", "text"},
		{"clipboard OSC 52", "\x1b]52;c;c2VjcmV0\x07ok\n", "ok\n"},
		{"hyperlink", "\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\\n", "link\n"},
		{"C1 OSC and C1 ST", "\u009d0;t\u009cX", "X"},
		{"C1 OSC and BEL", "\u009d0;t\x07X", "X"},
		{"newline in payload", "\x1b]0;a\nb\x07c", "c"},
		{"utf-8 payload", "\x1b]0;日本\x07x", "x"},
		{"aborted by CAN", "\x1b]0;t\x18x", "x"},
		{"cut by a new sequence", "\x1b]0;t\x1b[31mx", "x"},
		{"C2 not followed by 9C", "\x1b]0;\xc2\xa0\x07x", "x"},
		{"unterminated gives up", "\x1b]0;" + strings.Repeat("a", 5000) + "\nafter\n", strings.Repeat("a", 5002-maxSeq) + "\nafter\n"},
		{"unterminated at end", "ok\x1b]0;title", "ok"},
	}},
	{"string", []tcase{
		{"DCS", "\x1bP1$r0m\x1b\\x", "x"},
		{"DCS ignores BEL", "\x1bPq#0;2;0;0;0\x07~~\x1b\\x", "x"},
		{"SOS", "\x1bXhidden\x1b\\x", "x"},
		{"PM", "\x1b^hidden\x1b\\x", "x"},
		{"APC kitty graphics", "\x1b_Gf=100,a=T;iVBORw0KGgo=\x1b\\x", "x"},
		{"C1 DCS", "\u0090q\u009cx", "x"},
		{"C1 SOS PM APC", "\u0098a\u009c\u009eb\u009c\u009fc\u009cx", "x"},
		{"DCS unterminated gives up", "\x1bP" + strings.Repeat("q", 5000), strings.Repeat("q", 5000-maxSeq)},
	}},
	{"escape", []tcase{
		{"save and restore cursor", "\x1b7a\x1b8b", "ab"},
		{"keypad modes", "\x1b=x\x1b>", "x"},
		{"reset", "\x1bcx", "x"},
		{"charsets", "\x1b(Bx\x1b)0y\x1b*Az\x1b+B", "xyz"},
		{"line drawing text kept", "\x1b(0lqk\x1b(B", "lqk"},
		{"DECALN", "\x1b#8x", "x"},
		{"index and reverse index", "a\x1bDb\x1bMc", "abc"},
		{"newline inside an escape is executed", "a\x1b\nxb", "a\nb"},
		{"stray ST", "a\x1b\\b", "ab"},
		{"ESC ESC", "\x1b\x1b[31mx", "x"},
		{"ESC at end", "abc\x1b", "abc"},
		{"ESC then utf-8", "\x1bé", "é"},
		{"ESC then DEL", "\x1b\x7fx", ""},
		{"C1 NEL dropped", "a\u0085b", "ab"},
		{"C1 stray ST", "a\u009cb", "ab"},
	}},
	{"cr", []tcase{
		{"progress", "10%\r20%\r100%\n", "100%\n"},
		{"overwrite, not truncate", "abc\rX\n", "Xbc\n"},
		{"CRLF", "a\r\nb\r\n", "a\nb\n"},
		{"CR at end", "abc\r", "abc"},
		{"CR then newline keeps line", "abc\r\n", "abc\n"},
		{"several CRs", "aaaa\rbb\rc\n", "cbaa\n"},
		{"backspace", "ab\bc", "ac"},
		{"backspace at start", "\b\bx", "x"},
		{"backspace over a rune", "日本\b語", "日語"},
		{"narrow over wide", "日本語\rab\n", "ab語\n"},
		{"wide over narrow", "abc\r日\n", "日bc\n"},
		{"overstrike bold", "N\bNA\bAM\bME\bE\n", "NAME\n"},
		{"overstrike underline", "_\bx_\by\n", "xy\n"},
		{"invalid overwritten", "\xff\rok", "ok"},
		{"line after redraw", "1/3\r2/3\r3/3\ndone\n", "3/3\ndone\n"},
	}},
	{"erase", []tcase{
		{"to end after CR", "abcdef\rab\x1b[K\n", "ab\n"},
		{"to end mid line", "abcdef\x1b[3D\x1b[Kx\n", "abcx\n"},
		{"explicit 0", "abcdef\r\x1b[0Kx", "x"},
		{"line then CR", "50%\x1b[2K\rok\n", "ok\n"},
		{"CR then line", "50%\r\x1b[2Kok\n", "ok\n"},
		{"line keeps the column", "abc\x1b[2Kdef\n", "   def\n"},
		{"line at end of stream", "abc\x1b[2K", ""},
		{"line twice", "abc\x1b[2K\x1b[2Kd\n", "   d\n"},
		{"to start", "abcdef\x1b[2D\x1b[1Kx\n", "    xf\n"},
		{"to start at end of line", "abc\x1b[1K\n", "\n"},
		{"trailing erased cells trimmed", "abcdef\x1b[2K\rxy\n", "xy\n"},
		{"private not honoured", "abc\r\x1b[?Kx", "xbc"},
		{"cursor back", "abc\x1b[2Dx\n", "axc\n"},
		{"cursor back default", "abc\x1b[Dx", "abx"},
		{"cursor back past start", "abc\x1b[99Dx", "xbc"},
		{"column 1", "abc\x1b[1Gx", "xbc"},
		{"column default", "abc\x1b[Gx", "xbc"},
		{"column leftwards", "abcdef\x1b[3Gx", "abxdef"},
		{"column rightwards dropped", "abc\x1b[1G\x1b[10Gx", "xbc"},
		{"column on wide runes", "日本語\x1b[2Gx", "日x語"},
	}},
	{"control", []tcase{
		{"NUL", "a\x00b", "ab"},
		{"BEL", "a\x07b", "ab"},
		{"other C0", "a\x01\x02\x0b\x0c\x0e\x0f\x1fb", "ab"},
		{"DEL", "a\x7fb", "ab"},
		{"CAN and SUB in text", "a\x18\x1ab", "ab"},
	}},
	{"utf8", []tcase{
		{"invalid byte", "a\xffb", "a\uFFFDb"},
		{"truncated rune", "a\xe6\x97b", "a\uFFFD\uFFFDb"},
		{"truncated at end", "a\xe6\x97", "a\uFFFD\uFFFD"},
		{"lead then ESC", "\xe6\x1b[31mx", "\uFFFDx"},
		{"raw 8-bit CSI", "\x9b31m", "\uFFFD31m"},
		{"overlong encoding", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"latin-1", "caf\xe9\n", "caf\uFFFD\n"},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}},
}

func allCases() []tcase {
	var all []tcase
	for _, g := range groups {
		all = append(all, g.cases...)
	}
	return all
}

func TestString(t *testing.T) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					assert.Equal(t, c.want, String(c.in), "cleaned %q", c.in)
					assert.Equal(t, c.want, string(Bytes([]byte(c.in))), "Bytes must agree with String")
				})
			}
		})
	}
}

// clean runs in through a Writer in the given chunk sizes (the rest in one
// last Write) and returns the output and the stats.
func clean(t testing.TB, in []byte, sizes ...int) ([]byte, Stats) {
	var out bytes.Buffer
	w := NewWriter(&out)
	feed(t, w, in, sizes...)
	return out.Bytes(), w.Stats()
}

// feed writes in to w in the given chunk sizes, the rest in one last Write,
// and closes w.
func feed(t testing.TB, w *Writer, in []byte, sizes ...int) {
	t.Helper()
	for _, n := range sizes {
		n = min(n, len(in))
		_, err := w.Write(in[:n])
		require.NoError(t, err)
		in = in[n:]
	}
	_, err := w.Write(in)
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

// randomSizes splits n bytes into random chunks, small ones mostly, so
// that every kind of boundary is hit.
func randomSizes(r *rand.Rand, n int) []int {
	var sizes []int
	for n > 0 {
		k := r.IntN(8)
		if r.IntN(8) == 0 {
			k = r.IntN(n + 1)
		}
		sizes = append(sizes, k)
		n -= k
	}
	return sizes
}

// splitPoints returns every split of an input of n bytes, or for a long
// one those near its ends and near the sequence bound.
func splitPoints(n int) []int {
	var ks []int
	for k := 0; k <= n; k++ {
		if n <= 512 || k < 64 || n-k < 64 || k > maxSeq-64 && k < maxSeq+64 || k%61 == 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

func TestSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			want, wantStats := clean(t, in)
			require.Equal(t, c.want, string(want))
			for _, k := range splitPoints(len(in)) {
				got, st := clean(t, in, k)
				if !assert.Equal(t, c.want, string(got), "split at byte %d changed the output", k) ||
					!assert.Equal(t, wantStats, st, "split at byte %d changed the stats", k) {
					return
				}
			}
			ones := make([]int, len(in))
			for i := range ones {
				ones[i] = 1
			}
			got, _ := clean(t, in, ones...)
			assert.Equal(t, c.want, string(got), "byte-at-a-time Writes changed the output")
			for range 20 {
				sizes := randomSizes(r, len(in))
				got, st := clean(t, in, sizes...)
				assert.Equal(t, c.want, string(got), "chunks %v changed the output", sizes)
				assert.Equal(t, wantStats, st, "chunks %v changed the stats", sizes)
			}
		})
	}
}

func TestStats(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Stats
	}{
		{"text", "hello\n", Stats{BytesIn: 6, BytesOut: 6}},
		{"sequences", "\x1b[31mx\x1b]0;t\x07\u009b0m", Stats{BytesIn: 16, BytesOut: 1, Sequences: 3}},
		{"controls", "\x00\x00\x01\x7f\u0085\r\b\t", Stats{BytesIn: 9, BytesOut: 1, NUL: 2, Control: 3}},
		{"invalid", "\xff\xe6\x97", Stats{BytesIn: 3, BytesOut: 9, InvalidUTF8: 3}},
		{"inside sequences not counted", "\x1b]0;\x00\xff\x07", Stats{BytesIn: 7, Sequences: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st := clean(t, []byte(tt.in))
			assert.Equal(t, tt.want, st)
		})
	}
}

func TestLooksBinary(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...)
	utf16 := []byte("h\x00e\x00l\x00l\x00o\x00\n\x00")
	random := make([]byte, 4096)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	latin1 := []byte("Le caf\xe9 est pr\xeat. Nous partirons demain matin vers la gare du Nord.\n")
	coloured := []byte(strings.Repeat("\x1b[1;32mok\x1b[0m \x1b[31mFAIL\x1b[0m\r\x1b[K\n", 50))
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"empty", nil, false},
		{"text", []byte("hello, world\n"), false},
		{"coloured and redrawn", coloured, false},
		{"latin-1", latin1, false},
		{"find -print0", []byte("./internal/clean/clean.go\x00./internal/clean/line.go\x00./cmd/execkit-mcp/main.go\x00"), false},
		{"executable", elf, true},
		{"utf-16", utf16, true},
		{"random bytes", random, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st := clean(t, tt.in)
			assert.Equal(t, tt.want, st.LooksBinary(), "stats %+v", st)
		})
	}
}

// recorder records the Writes it receives.
type recorder struct {
	bytes.Buffer
	writes int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes++
	return r.Buffer.Write(p)
}

func TestLongLineFlushedInPieces(t *testing.T) {
	in := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // 5 MiB, no newline
	var dst recorder
	w := NewWriter(&dst)
	for p := in; len(p) > 0; {
		n := min(len(p), 32<<10)
		_, err := w.Write(p[:n])
		require.NoError(t, err)
		p = p[n:]
	}
	assert.GreaterOrEqual(t, dst.Len(), len(in)-maxLine,
		"a line without a newline must be passed on as it comes, not held until Close")
	require.NoError(t, w.Close())
	assert.Equal(t, in, dst.Bytes(), "a long line must come out byte for byte")
}

func TestCarriageReturnBeyondBound(t *testing.T) {
	// The documented loss: past the bound, CR returns to the start of the
	// current piece only.
	in := strings.Repeat("a", maxLine+100) + "\rX\n"
	want := strings.Repeat("a", maxLine) + "X" + strings.Repeat("a", 99) + "\n"
	assert.Equal(t, want, String(in))
	// A wide rune that does not fit is not cut: the piece ends before it.
	in = strings.Repeat("a", maxLine-1) + "日本\rX"
	want = strings.Repeat("a", maxLine-1) + "X本"
	assert.Equal(t, want, String(in))
}

// TestLineBoundSplits checks redraws that cross the line bound: however the
// input is split, the line is cut at the same rune.
func TestLineBoundSplits(t *testing.T) {
	a, wide := strings.Repeat("a", maxLine), strings.Repeat("日", maxLine/3)
	inputs := map[string]string{
		"wide over narrow":      a[1:] + "\r日本語b\n",
		"narrow over wide":      wide + "\r" + a + "bbb\n",
		"accents over ASCII":    a + "\r" + strings.Repeat("é", 10),
		"ASCII over ASCII":      a + "\r" + a + a[:10],
		"after erase":           a + "\x1b[2K\r" + wide + "x",
		"backspaces near bound": a[3:] + "日\b\b日本\b語",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			whole, _ := clean(t, []byte(in))
			ones := make([]int, len(in))
			for i := range ones {
				ones[i] = 1
			}
			bytewise, _ := clean(t, []byte(in), ones...)
			assert.True(t, bytes.Equal(whole, bytewise),
				"one Write and byte-at-a-time Writes cut the line differently")
			r := rand.New(rand.NewPCG(5, 6))
			for range 5 {
				sizes := randomSizes(r, len(in))
				for i := range sizes {
					sizes[i] *= 1000
				}
				got, _ := clean(t, []byte(in), sizes...)
				assert.True(t, bytes.Equal(whole, got), "chunks %v cut the line differently", sizes)
			}
		})
	}
}

// TestMemoryBounded feeds 100 MB without a newline, through every state
// of the parser and the line model, and checks the buffers the Writer
// keeps, not the time it takes.
func TestMemoryBounded(t *testing.T) {
	plain := []byte("all work and no play makes jack a dull boy ")
	patterns := [][]byte{
		[]byte("\x1b[2K\r\x1b[32m[#####     ]\x1b[0m 50% ⠋ building\b"),
		[]byte("\x1b]0;" + strings.Repeat("x", 100)),
		[]byte("\xff\xfe日本\x00\b\b"),
	}
	for range 8 {
		patterns = append(patterns, plain)
	}
	chunks := make([][]byte, len(patterns))
	for i, pat := range patterns {
		chunks[i] = bytes.Repeat(pat, 64<<10/len(pat))
	}
	const total = 100 << 20
	var dst countingWriter
	w := NewWriter(&dst)
	for i, n := 0, 0; n < total; i++ {
		chunk := chunks[i%len(chunks)]
		_, err := w.Write(chunk)
		require.NoError(t, err)
		n += len(chunk)
		require.LessOrEqual(t, cap(w.buf), maxLine, "the line buffer must stay within its bound")
		require.LessOrEqual(t, cap(w.out), outMax, "the output buffer must stay within its bound")
	}
	require.NoError(t, w.Close())
	assert.Equal(t, dst.n, w.Stats().BytesOut)
	assert.Greater(t, dst.n, int64(total/3), "text in a newline-free flood must still come out")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

type failWriter struct{ calls int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.calls++
	return 0, errDisk
}

func TestErrors(t *testing.T) {
	t.Run("dst error is sticky", func(t *testing.T) {
		var dst failWriter
		w := NewWriter(&dst)
		_, err := w.Write([]byte("line\n"))
		require.ErrorIs(t, err, errDisk)
		n, err := w.Write([]byte("more\n"))
		assert.ErrorIs(t, err, errDisk, "output after a lost piece must not be accepted silently")
		assert.Zero(t, n)
		assert.ErrorIs(t, w.Close(), errDisk)
		assert.Equal(t, 1, dst.calls, "a broken dst is not written again")
	})
	t.Run("short write", func(t *testing.T) {
		w := NewWriter(shortWriter{})
		_, err := w.Write([]byte("line\n"))
		assert.ErrorIs(t, err, io.ErrShortWrite)
	})
	t.Run("write after close", func(t *testing.T) {
		var dst bytes.Buffer
		w := NewWriter(&dst)
		_, err := w.Write([]byte("partial"))
		require.NoError(t, err)
		assert.Empty(t, dst.String(), "the current line waits for its newline")
		require.NoError(t, w.Close())
		assert.Equal(t, "partial", dst.String())
		_, err = w.Write([]byte("x"))
		assert.ErrorIs(t, err, ErrClosed)
		assert.NoError(t, w.Close(), "Close is idempotent")
		assert.Equal(t, "partial", dst.String(), "a second Close writes nothing")
	})
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestCompleteLinesPassedOnPromptly(t *testing.T) {
	var dst recorder
	w := NewWriter(&dst)
	_, err := w.Write([]byte("one\ntwo\nthr"))
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", dst.String(), "complete lines go out in the Write that completes them")
	assert.Equal(t, 1, dst.writes, "one Write in, one Write out")
	_, err = w.Write([]byte("ee\r"))
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", dst.String())
	require.NoError(t, w.Close())
	assert.Equal(t, "one\ntwo\nthree", dst.String())
}

func TestPlain8(t *testing.T) {
	for pos := range 8 {
		for b := range 256 {
			word := []byte("aaaaaaaa")
			word[pos] = byte(b)
			want := b < 0x80 && isText[b]
			got := plain8(uint64(word[0]) | uint64(word[1])<<8 | uint64(word[2])<<16 | uint64(word[3])<<24 |
				uint64(word[4])<<32 | uint64(word[5])<<40 | uint64(word[6])<<48 | uint64(word[7])<<56)
			require.Equal(t, want, got, "byte %#x at %d", b, pos)
		}
	}
}
