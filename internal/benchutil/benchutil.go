// Package benchutil holds what the benchmarks against raw baselines share:
// timing a session and its baseline in the same run, alternately, so that a
// noisy machine slows both alike.
package benchutil

import (
	"slices"
	"testing"
	"time"
)

// Interleave times session and raw b.N times each, alternating which goes
// first so the aftermath of one (a closing channel, a reaped child, the
// daemon's bookkeeping) does not always fall on the other. It returns the
// medians.
func Interleave(b *testing.B, session, raw func() time.Duration) (ms, mr time.Duration) {
	session() // warm both up
	raw()
	tSession := make([]time.Duration, 0, b.N)
	tRaw := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			tSession = append(tSession, session())
			tRaw = append(tRaw, raw())
		} else {
			tRaw = append(tRaw, raw())
			tSession = append(tSession, session())
		}
	}
	b.StopTimer()
	return Median(tSession), Median(tRaw)
}

// Open is Interleave for an open benchmark: it reports both medians, in ms,
// and their ratio.
func Open(b *testing.B, session, raw func() time.Duration) {
	ms, mr := Interleave(b, session, raw)
	b.ReportMetric(float64(ms.Microseconds())/1000, "session-ms/open")
	b.ReportMetric(float64(mr.Microseconds())/1000, "raw-ms/open")
	b.ReportMetric(float64(ms)/float64(mr), "x-raw")
}

// Median returns the middle of ds (which it sorts).
func Median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
