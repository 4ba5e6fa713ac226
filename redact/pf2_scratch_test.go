package redact

import (
	"testing"
	"time"
)

func loopA(f *prefilter, b []byte) int {
	fold := &f.fold
	bits4 := f.bits[:1<<h4Bits/64]
	n := 0
	var w uint32
	for _, c := range b {
		w = w<<8 | uint32(fold[c])
		h := hash4(w)
		if bits4[h>>6]&(1<<(h&63)) != 0 {
			n++
		}
	}
	return n
}

func loopC(f *prefilter, b []byte) int {
	fold := &f.fold
	bits4 := f.bits[:1<<h4Bits/64]
	bits3 := f.bits[:1<<h4Bits/64]
	n := 0
	var w uint32
	for _, c := range b {
		w = w<<8 | uint32(fold[c])
		h := hash4(w)
		g := hash4(w >> 8)
		if bits4[h>>6]&(1<<(h&63))|bits3[g>>6&4095]&(1<<(g&63)) != 0 {
			n++
		}
	}
	return n
}

func loopB(b []byte) int {
	n := 0
	for _, c := range b {
		if c == 'q' {
			n++
		}
	}
	return n
}

func TestScratchPF3(t *testing.T) {
	data := buildLog(1<<20, 12)
	r, _ := New(nil)
	var hits []hit
	fns := []struct {
		name string
		fn   func() int
	}{
		{"bytecmp", func() int { return loopB(data) }},
		{"4gram", func() int { return loopA(r.pf, data) }},
		{"4+3gram", func() int { return loopC(r.pf, data) }},
		{"scan", func() int { hits = r.pf.scan(data, hits[:0]); return len(hits) }},
	}
	best := make([]time.Duration, len(fns))
	for i := range best {
		best[i] = time.Hour
	}
	for round := 0; round < 40; round++ {
		for i, f := range fns {
			st := time.Now()
			f.fn()
			best[i] = min(best[i], time.Since(st))
		}
	}
	for i, f := range fns {
		t.Logf("%-8s %6.0f MB/s", f.name, float64(len(data))/best[i].Seconds()/1e6)
	}
}
