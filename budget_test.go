package execkit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shape(t testing.TB, b *Budget, max int, input string, chunk int) (string, StreamReport, bool) {
	t.Helper()
	cb, err := b.compile(max)
	require.NoError(t, err)
	sh := newShaper(cb)
	for len(input) > 0 {
		n := min(chunk, len(input))
		sh.Write([]byte(input[:n]))
		input = input[n:]
	}
	out, rep := sh.finish()
	return out, rep, sh.truncated
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

func TestShaper(t *testing.T) {
	cases := []struct {
		name   string
		budget *Budget
		max    int
		input  string
		want   string
		rep    StreamReport
		trunc  bool
	}{
		{"all exact", nil, 100, "a\nb", "a\nb", StreamReport{Mode: "all", LinesTotal: 2, LinesKept: 2}, false},
		{"empty", nil, 100, "", "", StreamReport{Mode: "all"}, false},
		{"head", &Budget{Keep: &Keep{Mode: "head", N: 2}}, 1000, lines(1, 10), "1\n2\n", StreamReport{Mode: "head", LinesTotal: 10, LinesKept: 2}, true},
		{"tail", &Budget{Keep: &Keep{Mode: "tail", N: 3}}, 1000, lines(1, 10), "8\n9\n10\n", StreamReport{Mode: "tail", LinesTotal: 10, LinesKept: 3}, true},
		{"tail partial last line", &Budget{Keep: &Keep{Mode: "tail", N: 2}}, 1000, "a\nb\nc", "b\nc", StreamReport{Mode: "tail", LinesTotal: 3, LinesKept: 2}, true},
		{"tail fits", &Budget{Keep: &Keep{Mode: "tail", N: 20}}, 1000, lines(1, 5), lines(1, 5), StreamReport{Mode: "tail", LinesTotal: 5, LinesKept: 5}, false},
		{"head_tail", &Budget{Keep: &Keep{Mode: "head_tail", N: 4}}, 1000, lines(1, 10), "1\n2\n...[6 lines omitted]...\n9\n10\n", StreamReport{Mode: "head_tail", LinesTotal: 10, LinesKept: 4}, true},
		{"head_tail fits", &Budget{Keep: &Keep{Mode: "head_tail", N: 10}}, 1000, lines(1, 6), lines(1, 6), StreamReport{Mode: "head_tail", LinesTotal: 6, LinesKept: 6}, false},
		{"grep", &Budget{Grep: &Grep{Pattern: "^(3|7)$"}}, 1000, lines(1, 10), "3\n7\n", StreamReport{Mode: "grep", LinesTotal: 10, LinesKept: 2}, true},
		{"grep groups with context", &Budget{Grep: &Grep{Pattern: "^(2|8)$", Context: 1}}, 1000, lines(1, 10), "1\n2\n3\n--\n7\n8\n9\n", StreamReport{Mode: "grep", LinesTotal: 10, LinesKept: 6}, true},
		{"head_tail long line not lost", &Budget{Keep: &Keep{Mode: "head_tail", N: 4}, MaxChars: 40}, 1000, "a1\n" + strings.Repeat("x", 30) + "\na3\na4\na5\n", "a1\n...[2 lines omitted]...\na4\na5\n", StreamReport{Mode: "head_tail", LinesTotal: 5, LinesKept: 3}, true},
		{"grep context", &Budget{Grep: &Grep{Pattern: "^5$", Context: 2}}, 1000, lines(1, 10), "3\n4\n5\n6\n7\n", StreamReport{Mode: "grep", LinesTotal: 10, LinesKept: 5}, true},
		{"grep adjacent groups merge", &Budget{Grep: &Grep{Pattern: "^(3|5)$", Context: 1}}, 1000, lines(1, 10), "2\n3\n4\n5\n6\n", StreamReport{Mode: "grep", LinesTotal: 10, LinesKept: 5}, true},
		{"grep none", &Budget{Grep: &Grep{Pattern: "zzz"}}, 1000, lines(1, 3), "", StreamReport{Mode: "grep", LinesTotal: 3, LinesKept: 0}, true},
		{"grep+tail", &Budget{Grep: &Grep{Pattern: "1"}, Keep: &Keep{Mode: "tail", N: 2}}, 1000, lines(1, 20), "18\n19\n", StreamReport{Mode: "grep+tail", LinesTotal: 20, LinesKept: 2}, true},
		{"max chars", &Budget{MaxChars: 10}, 1000, lines(1, 100), "1\n2\n...[284 bytes omitted]...\n100\n", StreamReport{Mode: "all", LinesTotal: 100, LinesKept: 3}, true},
		{"max chars cannot raise session cap", &Budget{MaxChars: 5000}, 10, lines(1, 100), "1\n2\n...[284 bytes omitted]...\n100\n", StreamReport{Mode: "all", LinesTotal: 100, LinesKept: 3}, true},
		{"utf-8 not split", &Budget{MaxChars: 7}, 1000, strings.Repeat("日", 20), "日\n...[54 bytes omitted]...\n日", StreamReport{Mode: "all", LinesTotal: 1, LinesKept: 1}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, chunk := range []int{1, 3, 7, 1 << 20} {
				out, rep, trunc := shape(t, c.budget, c.max, c.input, chunk)
				assert.Equal(t, c.want, out, "chunk %d", chunk)
				if c.budget != nil {
					assert.Equal(t, c.rep, rep, "chunk %d", chunk)
				}
				assert.Equal(t, c.trunc, trunc, "truncated, chunk %d", chunk)
			}
		})
	}
}

func TestShaperLongLine(t *testing.T) {
	line := strings.Repeat("x", 5<<20)
	out, rep, trunc := shape(t, &Budget{Keep: &Keep{Mode: "tail", N: 1}}, 1000, line+"\nend\n", 64<<10)
	assert.Equal(t, "end\n", out)
	assert.Equal(t, int64(2), rep.LinesTotal)
	assert.True(t, trunc)
	out, _, trunc = shape(t, &Budget{Grep: &Grep{Pattern: "x"}}, 1000, line+"\n", 64<<10)
	assert.True(t, trunc)
	assert.LessOrEqual(t, len(out), 1100)
}

func FuzzShaper(f *testing.F) {
	f.Add("a\nb\nc\n", "tail", 2, "b", 1, 50)
	f.Add(lines(1, 100), "head_tail", 5, "^5", 2, 30)
	f.Add("日本\n語", "head", 1, ".", 0, 4)
	f.Fuzz(func(t *testing.T, input, mode string, n int, pattern string, context, max int) {
		b := &Budget{}
		if mode != "" {
			b.Keep = &Keep{Mode: mode, N: n}
		}
		if pattern != "" {
			b.Grep = &Grep{Pattern: pattern, Context: context}
		}
		if max < 1 || max > 1<<20 {
			max = 100
		}
		cb, err := b.compile(max)
		if err != nil {
			return
		}
		sh := newShaper(cb)
		sh.Write([]byte(input))
		out, rep := sh.finish()
		if rep.LinesKept > rep.LinesTotal+1 {
			t.Fatalf("kept %d of %d lines", rep.LinesKept, rep.LinesTotal)
		}
		if len(out) > 2*max+200 && len(out) > len(input)+200 {
			t.Fatalf("output of %d bytes for a cap of %d", len(out), max)
		}
	})
}
