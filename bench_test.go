package execkit

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawBash is the floor a framed session is measured against: a persistent
// bash driven over pipes with the least framing that still finds the end of
// a command (a fixed marker on stdout; no stderr split, no nonce, no
// cleaning).
type rawBash struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startRawBash(b *testing.B) *rawBash {
	cmd := exec.Command("bash", "--noprofile", "--norc")
	in, _ := cmd.StdinPipe()
	outPipe, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &rawBash{cmd: cmd, in: in, out: bufio.NewReaderSize(outPipe, 64<<10)}
	b.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	return r
}

var rawMarker = []byte("__RAW_END__")

func (r *rawBash) run(b *testing.B, command string) int {
	io.WriteString(r.in, command+"\necho __RAW_END__\n")
	n := 0
	for {
		line, err := r.out.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			b.Fatal(err)
		}
		if bytes.HasPrefix(line, rawMarker) {
			return n
		}
		n += len(line)
	}
}

// BenchmarkRoundTrip measures a trivial command through a session and
// through the raw-bash floor in the same run, and reports the ratio.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw := startRawBash(b)
	const cmd = "echo hello"
	// Interleave the two so machine noise hits both alike.
	var tSession, tRaw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := s.Exec(ctx, cmd, nil)
		if err != nil || res.Stdout != "hello\n" {
			b.Fatalf("session: %v %+v", err, res)
		}
		t1 := time.Now()
		if raw.run(b, cmd) != 6 {
			b.Fatal("raw bash lost output")
		}
		tRaw += time.Since(t1)
		tSession += t1.Sub(t0)
	}
	b.ReportMetric(float64(tSession.Microseconds())/float64(b.N), "session-µs/op")
	b.ReportMetric(float64(tRaw.Microseconds())/float64(b.N), "rawbash-µs/op")
	b.ReportMetric(float64(tSession)/float64(tRaw), "x-rawbash")
}

// BenchmarkRoundTripSplit splits a round trip's cost between the shell and
// execkit: the same frame line written to a bash driven over two pipes, with
// the least Go work that finds both end markers (the frame's floor), against
// a session and raw bash, interleaved in one run. What the session adds to
// the floor is execkit's own processing (demultiplexing, cleaning,
// redaction, budgets, the Result); what the floor adds to raw bash is the
// shell running the frame and writing four markers to two pipes.
func BenchmarkRoundTripSplit(b *testing.B) {
	ctx := context.Background()
	cmd := exec.Command("bash", "--noprofile", "--norc", "--noediting", "+o", "history", "-i")
	in, _ := cmd.StdinPipe()
	outPipe, _ := cmd.StdoutPipe()
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	io.WriteString(in, bashDialect.init)
	// stderr in a goroutine: told which marker to wait for, says when seen.
	want, seen := make(chan []byte), make(chan struct{})
	go func() {
		buf := make([]byte, 16<<10)
		var acc []byte
		for m := range want {
			for !bytes.Contains(acc, m) {
				n, err := errPipe.Read(buf)
				if err != nil {
					return
				}
				acc = append(acc, buf[:n]...)
			}
			acc = acc[:0]
			seen <- struct{}{}
		}
	}()
	defer close(want)
	s, err := OpenLocal(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw := startRawBash(b)
	buf := make([]byte, 16<<10)
	var acc []byte
	var tFloor, tSession, tRaw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, e := newNonce(), newNonce()
		line := bashDialect.frameLine("echo hello", "", st, e)
		t0 := time.Now()
		want <- []byte("\x1eEKE" + e + "\x1e")
		io.WriteString(in, line)
		for te := trailerEnd(e); !bytes.Contains(acc, te); {
			n, err := outPipe.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			acc = append(acc, buf[:n]...)
		}
		acc = acc[:0]
		<-seen
		t1 := time.Now()
		if res, err := s.Exec(ctx, "echo hello", nil); err != nil || res.Stdout != "hello\n" {
			b.Fatalf("session: %v %+v", err, res)
		}
		t2 := time.Now()
		raw.run(b, "echo hello")
		tRaw += time.Since(t2)
		tSession += t2.Sub(t1)
		tFloor += t1.Sub(t0)
	}
	b.ReportMetric(float64(tSession.Microseconds())/float64(b.N), "session-µs/op")
	b.ReportMetric(float64(tFloor.Microseconds())/float64(b.N), "floor-µs/op")
	b.ReportMetric(float64(tRaw.Microseconds())/float64(b.N), "rawbash-µs/op")
	b.ReportMetric(float64(tFloor)/float64(tRaw), "floor-x-rawbash")
	b.ReportMetric(float64(tSession)/float64(tFloor), "session-x-floor")
}

// BenchmarkThroughput measures large outputs through a session, at 16 MB,
// 256 MB and 1 GB in every iteration: MB/s of command output cleaned,
// redacted, kept and shaped, against the same command to /dev/null in the
// same shell. Memory must be flat in output size, so for each size it
// reports the peak Go memory while the output streams (heap in use plus
// goroutine stacks, sampled every millisecond) and the process's peak RSS
// (VmHWM, reset before each size where the kernel allows), and the ratios
// of the larger sizes' peaks to the smallest's: 1 is flat. The peak heap
// moves with the garbage collector's timing (its goal follows the live heap
// of the moment), and a longer run meets more of its highs, so a ratio
// a little above 1 that does not grow from 256 MB to 1 GB is flat. The session keeps 1 MiB of output for
// Output (Config.OutputKeep); the default keeps up to 64 MiB, so with it
// memory grows with the output up to that bound, then stays flat.
func BenchmarkThroughput(b *testing.B) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, &Config{OutputKeep: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sizes := []int{16 << 20, 256 << 20, 1 << 30}
	names := []string{"16MB", "256MB", "1GB"}
	// Build-log-like lines (paths, package names, timings), not one repeated
	// byte, which would flatter or punish the scanners unrealistically.
	gen := func(size int) string {
		return `seq 1 100000000 | sed 's|.*|ok  \tgithub.com/example/project/internal/pkg&\t0.&s  coverage: 81.&% of statements|' | head -c ` + strconv.Itoa(size)
	}
	var sampled atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := goMemory(); v > sampled.Load() {
					sampled.Store(v)
				}
			}
		}
	}()
	tSession := make([]time.Duration, len(sizes))
	tBase := make([]time.Duration, len(sizes))
	peak := make([]uint64, len(sizes))
	peakRSS := make([]uint64, len(sizes))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, size := range sizes {
			// Start each size from the same floor: garbage collected and
			// freed memory returned to the kernel.
			debug.FreeOSMemory()
			resetPeakRSS()
			sampled.Store(0)
			t0 := time.Now()
			res, err := s.Exec(ctx, gen(size), &ExecOptions{Budget: &Budget{Keep: &Keep{Mode: "tail", N: 5}}})
			if err != nil || !res.Truncated || res.ExitCode != 0 {
				b.Fatalf("%v %+v", err, res)
			}
			t1 := time.Now()
			peak[k] = max(peak[k], sampled.Load())
			peakRSS[k] = max(peakRSS[k], procStatusKiB("VmHWM")<<10)
			if _, err := s.Exec(ctx, gen(size)+" >/dev/null", nil); err != nil {
				b.Fatal(err)
			}
			tBase[k] += time.Since(t1)
			tSession[k] += t1.Sub(t0)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	for k, size := range sizes {
		b.ReportMetric(float64(size)*float64(b.N)/tSession[k].Seconds()/1e6, "MB/s-"+names[k])
		b.ReportMetric(float64(tSession[k])/float64(tBase[k]), "x-devnull-"+names[k])
		b.ReportMetric(float64(peak[k])/(1<<20), "peak-heap+stack-MB-"+names[k])
		b.ReportMetric(float64(peakRSS[k])/(1<<20), "peak-RSS-MB-"+names[k])
	}
	for k := 1; k < len(sizes); k++ {
		b.ReportMetric(float64(peak[k])/float64(peak[0]), "x-peak-heap+stack-"+names[k]+"/"+names[0])
		b.ReportMetric(float64(peakRSS[k])/float64(peakRSS[0]), "x-peak-RSS-"+names[k]+"/"+names[0])
	}
}

// goMemorySamples are what goMemory adds up: the heap's spans in use (as
// runtime.MemStats.HeapInuse) and goroutine stacks (StackInuse). They are
// read through runtime/metrics, which does not stop the world, so sampling
// every millisecond does not slow what it measures.
var goMemorySamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
}

// goMemory returns the Go heap in use plus goroutine stacks, in bytes.
func goMemory() uint64 {
	s := make([]metrics.Sample, len(goMemorySamples))
	copy(s, goMemorySamples)
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}

// procStatusKiB returns a "kB" field of /proc/self/status (VmRSS, VmHWM),
// or 0 where there is none.
func procStatusKiB(field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS sets the process's VmHWM back to its current RSS (Linux
// 4.0 and later), so a peak read afterwards belongs to what ran since.
// It reports whether the kernel allowed it.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// BenchmarkSessionMemory reports the Go memory a live idle session costs,
// besides its shell process: heap in use and goroutine stacks. Run it once
// in its own process (-benchtime 1x, as scripts/bench.sh does): later
// iterations reuse the stack spans the previous iteration's sessions freed,
// and report less stack than a process pays for its first sessions.
func BenchmarkSessionMemory(b *testing.B) {
	ctx := context.Background()
	const n = 50
	// One session first, so what the process pays once (the shared
	// redactor) is not counted per session.
	warm, err := OpenLocal(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var ss []*Session
		for j := 0; j < n; j++ {
			s, err := OpenLocal(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Exec(ctx, "echo warm", nil); err != nil {
				b.Fatal(err)
			}
			ss = append(ss, s)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / n / 1024
		stacks := float64(int64(after.StackInuse)-int64(before.StackInuse)) / n / 1024
		b.ReportMetric(heap, "heap-KiB/session")
		b.ReportMetric(stacks, "stack-KiB/session")
		b.ReportMetric(heap+stacks, "KiB/session")
		for _, s := range ss {
			s.Close()
		}
	}
}
