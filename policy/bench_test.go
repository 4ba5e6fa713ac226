package policy

import (
	"strings"
	"testing"
	"time"

	"mvdan.cc/sh/v3/syntax"
)

// exampleCommand is a typical agent command.
const exampleCommand = `cd "$HOME/src/app" && git status --short | grep -v '^??' | head -n 20; go test ./... 2>&1 | tail -n 5`

// BenchmarkCheck measures one check of a typical command against a fence
// with both layers, deny patterns included (target: under 50 µs). It also
// reports the cost relative to parsing the command alone, the floor for a
// parser-based fence, measured in alternating rounds so that a shared
// machine's changing load affects both alike.
func BenchmarkCheck(b *testing.B) {
	f := mustCompile(b, &Policy{Deny: []string{"rm", "shutdown", "curl"}, DenyPatterns: []string{`git\s+push\s+.*--force`}},
		&Policy{Deny: []string{"sudo"}})
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := f.Check(exampleCommand); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/1e3, "µs/check")

	p := syntax.NewParser()
	var check, parse time.Duration
	for range 20 {
		t0 := time.Now()
		for range 100 {
			_ = f.Check(exampleCommand)
		}
		t1 := time.Now()
		for range 100 {
			if _, err := p.Parse(strings.NewReader(exampleCommand), ""); err != nil {
				b.Fatal(err)
			}
		}
		check, parse = check+t1.Sub(t0), parse+time.Since(t1)
	}
	b.ReportMetric(float64(check)/float64(parse), "x-parse")
}
