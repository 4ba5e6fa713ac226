package execkit

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad opens many concurrent local sessions in one process, each running
// many commands with distinct outputs, and reports misattributed outputs, p50
// and p99 latency and what a session costs this process besides its shell
// (a separate process, counted nowhere here): Go heap, goroutine stacks and
// goroutines per idle session, the process's RSS per session, and the peaks
// while every session runs commands.
//
// Every `go test` runs it small (50 sessions x 20 commands), so CI checks
// that no output is ever attributed to the wrong command. EXECKIT_LOAD=N sets
// N sessions and 100 commands each (scripts/bench.sh runs 1000);
// EXECKIT_LOAD_CMDS sets the commands per session.
func TestLoad(t *testing.T) {
	n, cmds := 50, 20
	var err error
	if v := os.Getenv("EXECKIT_LOAD"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("EXECKIT_LOAD=%q: want a positive number of sessions", v)
		}
		cmds = 100
	}
	if v := os.Getenv("EXECKIT_LOAD_CMDS"); v != "" {
		if cmds, err = strconv.Atoi(v); err != nil || cmds <= 0 {
			t.Fatalf("EXECKIT_LOAD_CMDS=%q: want a positive number of commands", v)
		}
	}
	ctx := context.Background()
	// One session first, so what the process pays once (the shared
	// redactor, the runtime's first pipes and timers) is not counted per
	// session.
	warm, err := OpenLocal(ctx, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	warm.Close()
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goBefore := runtime.NumGoroutine()
	rssBefore := procStatusKiB("VmRSS")

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
	defer func() {
		for _, s := range sessions {
			if s != nil {
				s.Close()
			}
		}
	}()
	if err, _ := openErr.Load().(error); err != nil {
		t.Fatalf("open: %v", err)
	}
	debug.FreeOSMemory()
	var idle runtime.MemStats
	runtime.ReadMemStats(&idle)
	goIdle := runtime.NumGoroutine()
	rssIdle := procStatusKiB("VmRSS")

	var mis, failed atomic.Int64
	lat := make([][]time.Duration, n)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := goMemory(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	hwmReset := resetPeakRSS()
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
	<-sampled
	hwm := procStatusKiB("VmHWM")

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	p := func(q float64) time.Duration { return all[int(q*float64(len(all)-1))] }
	perSession := func(bytes int64) float64 { return float64(bytes) / float64(n) / 1024 }
	heap := int64(idle.HeapInuse) - int64(before.HeapInuse)
	stacks := int64(idle.StackInuse) - int64(before.StackInuse)
	t.Logf("load: %d sessions x %d commands in %v (%.0f commands/s)", n, cmds, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds())
	t.Logf("load: misattributed outputs: %d, failed calls: %d", mis.Load(), failed.Load())
	t.Logf("load: latency p50 %v p99 %v max %v", p(0.5).Round(time.Microsecond), p(0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
	t.Logf("load: per idle session, besides its shell: %.1f KiB Go heap + %.1f KiB goroutine stacks = %.1f KiB (%.1f goroutines); process RSS %.1f KiB",
		perSession(heap), perSession(stacks), perSession(heap+stacks), float64(goIdle-goBefore)/float64(n), float64(int64(rssIdle)-int64(rssBefore))/float64(n))
	peakNote := ""
	if !hwmReset {
		peakNote = " (peak RSS since the process started: the kernel refused to reset it)"
	}
	t.Logf("load: peak while all run: Go heap + stacks %.1f MiB (%.1f KiB per session); process RSS %.1f MiB above the start (%.1f KiB per session)%s",
		float64(peak.Load())/(1<<20), perSession(int64(peak.Load())), float64(int64(hwm)-int64(rssBefore))/1024, float64(int64(hwm)-int64(rssBefore))/float64(n), peakNote)
	if mis.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d misattributed outputs, %d failed calls", mis.Load(), failed.Load())
	}
}
