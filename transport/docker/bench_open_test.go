package docker_test

import (
	"bufio"
	"context"
	"github.com/execkit/execkit/internal/benchutil"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/stretchr/testify/require"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/internal/fixture"
)

// BenchmarkDockerOpen measures what opening a session in a container costs
// on a Transport that is already dialled, against a baseline measured
// interleaved in the same run: a raw exec of sh created, attached (which
// starts it) and made to run `true` and answer a line, the least a caller
// needs before it can use a shell in the container. Both pay one exec; the
// session adds its container check, the shell detection, the handshake and
// a first framed command. Closing either is not timed. The figures are
// medians, which a busy machine's outliers move less than means.
func BenchmarkDockerOpen(b *testing.B) {
	c := fixture.DockerContainer(b, fixture.DockerBash)
	tr := dial(b, c, nil, nil)
	cli := fixture.DockerClient(b)
	ctx := context.Background()

	session := func() time.Duration {
		t0 := time.Now()
		s, err := execkit.Open(ctx, tr, nil)
		d := time.Since(t0)
		require.NoError(b, err)
		s.Close()
		return d
	}
	raw := func() time.Duration {
		t0 := time.Now()
		resp, err := cli.ContainerExecCreate(ctx, c.ID, container.ExecOptions{Cmd: []string{"sh"}, AttachStdin: true, AttachStdout: true, AttachStderr: true})
		require.NoError(b, err)
		hj, err := cli.ContainerExecAttach(ctx, resp.ID, container.ExecAttachOptions{})
		require.NoError(b, err)
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			stdcopy.StdCopy(pw, io.Discard, hj.Reader)
			pw.Close()
		}()
		io.WriteString(hj.Conn, "true; echo ready\n")
		line, err := bufio.NewReader(pr).ReadString('\n')
		d := time.Since(t0)
		if err != nil || line != "ready\n" {
			b.Fatalf("raw exec answered %q, %v", line, err)
		}
		// End of input ends sh; wait for its stream to end, so no exec
		// outlives the iteration.
		hj.CloseWrite()
		go io.Copy(io.Discard, pr)
		<-done
		hj.Close()
		return d
	}

	benchutil.Open(b, session, raw)
}
