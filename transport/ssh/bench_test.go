package ssh_test

import (
	"bufio"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	xssh "golang.org/x/crypto/ssh"
)

// BenchmarkSSHRoundTrip measures one trivial command through an execkit
// session over the SSH transport, against a baseline measured in the same
// run: the same command written to an already-open shell on a raw
// x/crypto/ssh session channel of another connection to the same server,
// reading until its output line. The ratio is what framing, cleaning,
// redaction and budgets cost over the bare round trip.
func BenchmarkSSHRoundTrip(b *testing.B) {
	e := newEnv(b, nil)
	ctx := context.Background()

	// Baseline: a raw shell on a raw channel.
	c, err := xssh.Dial("tcp", e.sshd.Addr(), &xssh.ClientConfig{
		User:              e.sshd.User,
		Auth:              []xssh.AuthMethod{xssh.PublicKeys(e.key.Signer)},
		HostKeyCallback:   xssh.FixedHostKey(e.sshd.HostKey(xssh.KeyAlgoED25519)),
		HostKeyAlgorithms: []string{xssh.KeyAlgoED25519},
	})
	require.NoError(b, err)
	defer c.Close()
	raw, err := c.NewSession()
	require.NoError(b, err)
	defer raw.Close()
	in, _ := raw.StdinPipe()
	outPipe, _ := raw.StdoutPipe()
	go io.Copy(io.Discard, must(raw.StderrPipe()))
	// The same shell a session runs: bash where there is one.
	require.NoError(b, raw.Start(`command -v bash >/dev/null && exec bash --noprofile --norc; exec sh`))
	out := bufio.NewReader(outPipe)
	rawOnce := func() {
		io.WriteString(in, "echo hi\n")
		line, err := out.ReadString('\n')
		if err != nil || line != "hi\n" {
			b.Fatalf("raw shell: %q %v", line, err)
		}
	}

	tr := e.dial(b, e.cfg(), e.op)
	s := open(b, tr, nil)
	once := func() {
		res, err := s.Exec(ctx, "echo hi", nil)
		if err != nil || res.Stdout != "hi\n" {
			b.Fatalf("session: %+v %v", res, err)
		}
	}
	for i := 0; i < 20; i++ { // warm both up
		once()
		rawOnce()
	}

	// Interleaved, so that the machine's noise hits both alike.
	var session, baseline time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		once()
		t1 := time.Now()
		rawOnce()
		baseline += time.Since(t1)
		session += t1.Sub(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(baseline.Nanoseconds())/float64(b.N), "raw-ns/op")
	b.ReportMetric(float64(session)/float64(baseline), "x-raw")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
