package clean

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildLog is realistic output of a build: mostly plain lines, some with
// colour codes, a few progress redraws; the captures in testdata mixed in.
func buildLog(tb testing.TB, size int, colour bool) []byte {
	var b bytes.Buffer
	names := maps(goldenInputs(tb))
	for i := 0; b.Len() < size; i++ {
		switch {
		case !colour:
			fmt.Fprintf(&b, "ok  \tgithub.com/example/project/pkg/mod%03d\t0.%03ds\tcoverage: %d.%d%% of statements\n", i%1000, i%997, i%100, i%10)
		case i%50 == 0:
			b.Write(names[i/50%len(names)])
		case i%10 == 0:
			fmt.Fprintf(&b, "\x1b[1m\x1b[33mwarning\x1b[0m\x1b[1m: unused import: `std::fmt::Write`\x1b[0m (pkg/mod%03d.rs:%d)\n", i%1000, i%400)
		case i%7 == 0:
			fmt.Fprintf(&b, "\x1b[32m--- PASS\x1b[0m: TestParse/case_%d (0.00s)\n", i)
		default:
			fmt.Fprintf(&b, "gcc -O2 -Wall -Iinclude -c src/module_%03d.c -o build/module_%03d.o\n", i%1000, i%1000)
		}
	}
	return b.Bytes()
}

func maps(m map[string][]byte) [][]byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// ansiRegexp is the pattern of the widely copied ansi-regex (chalk), the
// usual way to strip colours: the baseline, although it does less (no CR,
// no UTF-8, no OSC with ST).
var ansiRegexp = regexp.MustCompile(`[\x1b\x{9b}][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\x07)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))`)

// nsPerOp times f for at least 100ms.
func nsPerOp(f func()) float64 {
	n := 0
	start := time.Now()
	for time.Since(start) < 100*time.Millisecond {
		f()
		n++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkWriter measures throughput on build output written in 32 KiB
// pieces, and reports how many times faster it is than stripping colours
// with a regexp (x-regexp), measured in the same run.
func BenchmarkWriter(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			write := func() {
				w := NewWriter(io.Discard)
				for p := in.in; len(p) > 0; {
					n := min(len(p), 32<<10)
					w.Write(p[:n])
					p = p[n:]
				}
				w.Close()
			}
			base := nsPerOp(func() { ansiRegexp.ReplaceAll(in.in, nil) })
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				write()
			}
			b.ReportMetric(base/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "x-regexp")
		})
	}
}

type benchInput struct {
	name string
	in   []byte
}

func benchInputs(b *testing.B) []benchInput {
	return []benchInput{
		{"build-coloured", buildLog(b, 4<<20, true)},
		{"build-plain", buildLog(b, 4<<20, false)},
		{"progress", bytes.Repeat([]byte("\r\x1b[2K\x1b[32m[#########           ]\x1b[0m 45% 12.1 MB/s eta 0:00:07"), 4<<20/60)},
		{"cjk", []byte(strings.Repeat("日本語のテキストと English words, mixed 🎉 together.\n", 4<<20/64))},
	}
}

// passFilter is the cheapest Filter: it passes everything on.
type passFilter struct{ io.Writer }

func (passFilter) Close() error               { return nil }
func (passFilter) Recheck(line []byte) []byte { return line }

// writeAll writes in to w in 32 KiB pieces and closes it.
func writeAll(w io.WriteCloser, in []byte) {
	for p := in; len(p) > 0; {
		n := min(len(p), 32<<10)
		w.Write(p[:n])
		p = p[n:]
	}
	w.Close()
}

// BenchmarkFilteredWriter measures cleaning in two halves around a filter
// that does nothing, and reports its cost over NewWriter's on the same
// input, measured in the same run (x-writer, above 1 is slower).
func BenchmarkFilteredWriter(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			base := nsPerOp(func() { writeAll(NewWriter(io.Discard), in.in) })
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				writeAll(NewFilteredWriter(io.Discard, func(next io.Writer) Filter { return passFilter{next} }), in.in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-writer")
		})
	}
}
