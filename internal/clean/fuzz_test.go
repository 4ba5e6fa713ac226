package clean

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// FuzzWriter checks the properties the next stages rely on, for any input
// split any way: no panic; valid UTF-8 with no ESC, no control character
// other than newline and tab, and no C1 control; the same output however
// the input is split; no growth beyond the U+FFFD expansion; text that is
// already clean passes unchanged (so cleaning is idempotent). Cleaning in
// two halves with a filter between them gives the same output and stats,
// the filter sees only the alphabet a Filter is promised, and a filter
// that drops lines gets the same result streamed as whole.
func FuzzWriter(f *testing.F) {
	for _, c := range allCases() {
		// The long cases that reach the sequence bound are left to the
		// table tests: the fuzzer minimises every new input it keeps, and
		// inputs grown from them take it most of a short run.
		if len(c.in) < maxSeq {
			f.Add([]byte(c.in), uint64(len(c.in)))
		}
	}
	for _, in := range goldenInputs(f) {
		f.Add(in, uint64(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		want, st := clean(t, in)

		if !utf8.Valid(want) {
			t.Fatalf("output is not valid UTF-8: %q", want)
		}
		for _, r := range string(want) {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 {
				t.Fatalf("output holds control %U: %q", r, want)
			}
		}
		if max := int64(len(in)) + 2*st.InvalidUTF8; int64(len(want)) > max || st.InvalidUTF8 > int64(len(in)) {
			t.Fatalf("%d bytes in, %d replaced, %d out", len(in), st.InvalidUTF8, len(want))
		}
		if st.BytesIn != int64(len(in)) || st.BytesOut != int64(len(want)) {
			t.Fatalf("stats %+v for %d bytes in, %d out", st, len(in), len(want))
		}

		r := rand.New(rand.NewPCG(seed, seed>>32))
		sizes := randomSizes(r, len(in))
		got, gotStats := clean(t, in, sizes...)
		if !bytes.Equal(got, want) || gotStats != st {
			t.Fatalf("chunks %v: got %q (%+v), one Write gave %q (%+v)", sizes, got, gotStats, want, st)
		}

		if again := Bytes(want); !bytes.Equal(again, want) {
			t.Fatalf("cleaning is not idempotent: %q became %q", want, again)
		}

		two, f, twoStats := filtered(t, in, sizes...)
		checkStripped(t, f.seen.Bytes())
		if n := int64(f.seen.Len()); n > 2*int64(len(in))+2*st.InvalidUTF8 {
			t.Fatalf("stripped text of %d bytes grew to %d", len(in), n)
		}
		// A column move on a line past the line bound may land elsewhere
		// (stages.go); shorter inputs cannot reach the bound.
		if 3*len(in) < maxLine && !bytes.Equal(two, want) {
			t.Fatalf("strip then resolve gave %q (filter saw %q), NewWriter %q", two, f.seen.Bytes(), want)
		}
		twoStats.BytesOut = st.BytesOut
		if 3*len(in) < maxLine && twoStats != st {
			t.Fatalf("filtered stats %+v, NewWriter's %+v", twoStats, st)
		}
		// A filter that drops lines, streamed (lines without edits skip
		// the parser) and whole (they never do).
		if got, want := filteredDrop(t, in, sizes...), StringFiltered(string(in), dropLines); string(got) != want {
			t.Fatalf("with lines dropped, streamed %q, whole %q", got, want)
		}
	})
}
