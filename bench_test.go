package execkit

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os/exec"
	"runtime"
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

// BenchmarkThroughput measures a large output (64 MB) through a session:
// MB/s of command output cleaned, redacted, kept and shaped, with the peak
// heap while it streams; against cat to /dev/null in the same shell.
func BenchmarkThroughput(b *testing.B) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, &Config{OutputKeep: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const size = 64 << 20
	// Build-log-like lines (paths, package names, timings), not one repeated
	// byte, which would flatter or punish the scanners unrealistically.
	gen := `seq 1 2000000 | sed 's|.*|ok  \tgithub.com/example/project/internal/pkg&\t0.&s  coverage: 81.&% of statements|' | head -c 67108864`
	b.SetBytes(size)
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	var tSession, tBase time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := s.Exec(ctx, gen, &ExecOptions{Budget: &Budget{Keep: &Keep{Mode: "tail", N: 5}}})
		if err != nil || !res.Truncated {
			b.Fatalf("%v %+v", err, res)
		}
		t1 := time.Now()
		if _, err := s.Exec(ctx, gen+" >/dev/null", nil); err != nil {
			b.Fatal(err)
		}
		tBase += time.Since(t1)
		tSession += t1.Sub(t0)
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(size)*float64(b.N)/tSession.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(tSession)/float64(tBase), "x-devnull")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkSessionMemory reports the Go heap a live idle session costs,
// besides its shell process.
func BenchmarkSessionMemory(b *testing.B) {
	ctx := context.Background()
	const n = 50
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
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n/1024, "KiB/session")
		for _, s := range ss {
			s.Close()
		}
	}
}
