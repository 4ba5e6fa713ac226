package execkit

import (
	"bufio"
	"context"
	"github.com/execkit/execkit/internal/benchutil"
	"io"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkOpen measures what opening a local session costs, against a
// baseline measured interleaved in the same run: starting a raw bash over
// pipes and reading the answer to its first command, the least a caller
// needs before it can use a shell. The session does more on top: it starts
// sh to find the shell (which then execs bash), asks the shell for its pid,
// options and clock, installs the frame helpers and the environment, and
// runs a first framed command. Closing either is not timed. The figures are
// medians, which a busy machine's outliers move less than means.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	session := func() time.Duration {
		t0 := time.Now()
		s, err := OpenLocal(ctx, nil)
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		return d
	}
	raw := func() time.Duration {
		t0 := time.Now()
		cmd := exec.Command("bash", "--noprofile", "--norc")
		in, _ := cmd.StdinPipe()
		outPipe, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		io.WriteString(in, "echo ready\n")
		line, err := bufio.NewReader(outPipe).ReadString('\n')
		d := time.Since(t0)
		if err != nil || line != "ready\n" {
			b.Fatalf("raw bash answered %q, %v", line, err)
		}
		in.Close()
		cmd.Wait()
		return d
	}
	ms, mr := benchutil.Interleave(b, session, raw)
	b.ReportMetric(float64(ms.Microseconds()), "session-µs/open")
	b.ReportMetric(float64(mr.Microseconds()), "rawbash-µs/open")
	b.ReportMetric(float64(ms)/float64(mr), "x-rawbash")
}
