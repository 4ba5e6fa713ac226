package docker_test

import (
	"bufio"
	"context"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/execkit/execkit/transport"
)

// rawShell is the floor a Docker session cannot beat: an already attached
// exec of sh, one line written, one line read back, nothing framed, cleaned
// or checked.
type rawShell struct {
	in  io.Writer
	out *bufio.Reader
}

func newRawShell(b *testing.B, c *fixture.Container) *rawShell {
	cli := fixture.DockerClient(b)
	ctx, cancel := bg()
	defer cancel()
	resp, err := cli.ContainerExecCreate(ctx, c.ID, container.ExecOptions{Cmd: []string{"sh"}, AttachStdin: true, AttachStdout: true, AttachStderr: true})
	require.NoError(b, err)
	hj, err := cli.ContainerExecAttach(ctx, resp.ID, container.ExecAttachOptions{})
	require.NoError(b, err)
	b.Cleanup(hj.Close)
	pr, pw := io.Pipe()
	go func() {
		stdcopy.StdCopy(pw, io.Discard, hj.Reader)
		pw.Close()
	}()
	return &rawShell{in: hj.Conn, out: bufio.NewReader(pr)}
}

func (r *rawShell) roundTrip(b *testing.B) {
	if _, err := io.WriteString(r.in, "echo hi\n"); err != nil {
		b.Fatal(err)
	}
	line, err := r.out.ReadString('\n')
	if err != nil || line != "hi\n" {
		b.Fatalf("raw shell answered %q, %v", line, err)
	}
}

// BenchmarkDockerRoundTrip times a trivial command through an execkit session
// over the docker transport (ns/op) against two baselines measured in the
// same run: the same command on a raw attached shell (the floor: one round
// trip on an attach stream, nothing framed, cleaned or checked), interleaved
// with the session's commands so load on the machine hits both alike; and a
// fresh exec per command (Transport.Run: what a transport without a
// persistent shell would pay), measured first and apart, because an exec's
// aftermath (runc, daemon events) would slow the commands after it.
func BenchmarkDockerRoundTrip(b *testing.B) {
	c := fixture.DockerContainer(b, fixture.DockerBash)
	tr := dial(b, c, nil, nil)
	s := open(b, tr, nil)
	raw := newRawShell(b, c)
	ctx := context.Background()

	echo := &transport.Command{Argv: []string{"sh", "-c", "echo hi"}}
	fresh := min(b.N, 20)
	t0 := time.Now()
	for i := 0; i < fresh; i++ {
		out, err := tr.Run(ctx, echo)
		if err != nil || string(out.Stdout) != "hi\n" {
			b.Fatalf("Run: %v", err)
		}
	}
	freshNs := float64(time.Since(t0).Nanoseconds()) / float64(fresh)
	time.Sleep(200 * time.Millisecond)

	var rawTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		raw.roundTrip(b)
		rawTime += time.Since(t0)
		b.StartTimer()
		res, err := s.Exec(ctx, "echo hi", nil)
		if err != nil || res.Stdout != "hi\n" {
			b.Fatalf("Exec: %v %+v", err, res)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	session := float64(b.Elapsed().Nanoseconds()) / n
	rawNs := float64(rawTime.Nanoseconds()) / n
	b.ReportMetric(rawNs, "raw-ns/op")
	b.ReportMetric(freshNs, "fresh-exec-ns/op")
	b.ReportMetric(session/rawNs, "x-raw")
	b.ReportMetric(session/freshNs, "x-fresh-exec")
}
