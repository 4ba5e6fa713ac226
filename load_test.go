package execkit

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad opens many concurrent local sessions in one process, each running
// many commands with distinct outputs, and reports misattributed outputs, p50
// and p99 latency and the Go heap per session (besides each shell process).
// It is heavy, so it runs only with EXECKIT_LOAD=N (sessions; the benchmark
// command sets 1000); EXECKIT_LOAD_CMDS sets commands per session (100).
func TestLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("EXECKIT_LOAD"))
	if n <= 0 {
		t.Skip("set EXECKIT_LOAD=<sessions> to run the load test")
	}
	cmds := 100
	if v, err := strconv.Atoi(os.Getenv("EXECKIT_LOAD_CMDS")); err == nil && v > 0 {
		cmds = v
	}
	ctx := context.Background()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	sessions := make([]*Session, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32) // open in parallel, not all at once
	var openErr atomic.Value
	for i := range sessions {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := OpenLocal(ctx, &Config{Timeout: 5 * time.Minute})
			if err != nil {
				openErr.Store(err)
				return
			}
			sessions[i] = s
		}(i)
	}
	wg.Wait()
	if err, _ := openErr.Load().(error); err != nil {
		t.Fatalf("open: %v", err)
	}
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	runtime.GC()
	var idle runtime.MemStats
	runtime.ReadMemStats(&idle)

	var mis, failed atomic.Int64
	lat := make([][]time.Duration, n)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	for i, s := range sessions {
		wg.Add(1)
		go func(i int, s *Session) {
			defer wg.Done()
			for j := 0; j < cmds; j++ {
				want := fmt.Sprintf("s%d-c%d", i, j)
				t0 := time.Now()
				res, err := s.Exec(ctx, "echo "+want+"; echo "+want+" >&2", nil)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					failed.Add(1)
					continue
				}
				if res.Stdout != want+"\n" || res.Stderr != want+"\n" {
					mis.Add(1)
				}
			}
		}(i, s)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	p := func(q float64) time.Duration { return all[int(q*float64(len(all)-1))] }
	t.Logf("%d sessions x %d commands in %v (%.0f commands/s)", n, cmds, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds())
	t.Logf("misattributed outputs: %d, failed calls: %d", mis.Load(), failed.Load())
	t.Logf("latency p50 %v p99 %v max %v", p(0.5).Round(time.Microsecond), p(0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
	t.Logf("Go heap per idle session %.1f KiB; peak heap during load %.1f MiB (%.1f KiB per session)",
		float64(idle.HeapInuse-before.HeapInuse)/float64(n)/1024, float64(peak.Load())/(1<<20), float64(peak.Load())/float64(n)/1024)
	if mis.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d misattributed outputs, %d failed calls", mis.Load(), failed.Load())
	}
}
