package redact

import (
	"io"
	"testing"
	"time"
)

func TestScratchTiming(t *testing.T) {
	data := buildLog(4<<20, 12)
	r, _ := New(nil)
	s := string(data)
	for i := 0; i < 3; i++ {
		st := time.Now()
		r.String(s)
		d := time.Since(st)
		t.Logf("String: %v %.1f MB/s", d, float64(len(data))/d.Seconds()/1e6)
	}
	for i := 0; i < 3; i++ {
		st := time.Now()
		w := r.NewWriter(io.Discard)
		w.Write(data)
		w.Close()
		d := time.Since(st)
		t.Logf("Writer whole: %v %.1f MB/s", d, float64(len(data))/d.Seconds()/1e6)
	}
}
