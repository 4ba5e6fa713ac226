package redact

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	fuzzOnce      sync.Once
	fuzzRedactor  *Redactor
	fuzzPositives []positive
)

// FuzzRedact feeds arbitrary text with one generated secret planted on a
// line of its own. Redaction must not panic, must keep UTF-8 valid, must
// remove the planted secret, must give the same bytes streamed in random
// chunks as whole, and must not grow the text by more than the replacement
// markers.
func FuzzRedact(f *testing.F) {
	f.Add("ok  \tgithub.com/acme/x\t0.01s\n", uint64(1), uint16(0))
	f.Add("export PASSWORD=x\n-----BEGIN RSA PRIVATE KEY-----\n", uint64(2), uint16(7))
	f.Add("data:\n  password: cGFzc3dvcmQ=\n", uint64(3), uint16(40))
	f.Add("Authorization: Bearer \"x\"\n\n\n", uint64(4), uint16(99))
	f.Add("x "+strings.Repeat("ab", 300)+" token=\n", uint64(5), uint16(120))
	f.Add("caf\xc3\xa9 \xff name: DB_PASSWORD\nvalue:", uint64(6), uint16(200))
	fuzzOnce.Do(func() {
		fuzzRedactor = mustNew(f, nil)
		fuzzPositives = loadPositives(f)
	})
	f.Fuzz(func(t *testing.T, data string, seed uint64, pick uint16) {
		r := fuzzRedactor
		data = strings.ToValidUTF8(data, "\uFFFD")
		rng := rand.New(rand.NewPCG(seed, uint64(pick)))
		p := fuzzPositives[int(pick)%len(fuzzPositives)]
		inst := p.fill(t, rng)

		lines := strings.SplitAfter(data, "\n")
		at := rng.IntN(len(lines) + 1)
		var b strings.Builder
		for i, l := range lines {
			if i == at {
				if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
					b.WriteByte('\n')
				}
				b.WriteString(inst.text + "\n")
			}
			b.WriteString(l)
		}
		if at == len(lines) {
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte('\n')
			}
			b.WriteString(inst.text + "\n")
		}
		text := b.String()

		out, n := r.String(text)
		if !utf8.ValidString(out) {
			t.Fatalf("output is not valid UTF-8: %q", out)
		}
		if lk := leaks(out, p.template+data, inst.secrets); len(lk) > 0 {
			t.Fatalf("positives.txt:%d secret survived: %q\nin:  %q\nout: %q", p.line, lk, text, out)
		}
		if n < 1 {
			t.Fatalf("no redaction counted for a planted secret")
		}
		if len(out) > len(text)+n*(len(Replacement)-1) {
			t.Fatalf("output longer than the replacements explain: %d > %d + %d*%d", len(out), len(text), n, len(Replacement)-1)
		}
		got, m, err := redactChunks(r, randomChunks(rng, []byte(text), seed%2 == 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != out || m != n {
			t.Fatalf("streamed output differs from whole\nwhole:    %q (%d)\nstreamed: %q (%d)", out, n, got, m)
		}
	})
}
