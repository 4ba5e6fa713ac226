package ssh_test

import (
	"bufio"
	"context"
	"github.com/execkit/execkit/internal/benchutil"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	xssh "golang.org/x/crypto/ssh"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport/ssh"
)

// rawShellCommand starts the shell a session would run: bash where there is
// one.
const rawShellCommand = `command -v bash >/dev/null && exec bash --noprofile --norc; exec sh`

// openRawShell opens a session channel on c, starts the shell on it and
// waits for the answer to its first command: the least a caller needs
// before it can use a remote shell. It returns the channel, for the caller
// to close.
func openRawShell(b *testing.B, c *xssh.Client) *xssh.Session {
	raw, err := c.NewSession()
	require.NoError(b, err)
	in, _ := raw.StdinPipe()
	outPipe, _ := raw.StdoutPipe()
	raw.Stderr = io.Discard
	require.NoError(b, raw.Start(rawShellCommand))
	io.WriteString(in, "echo ready\n")
	line, err := bufio.NewReader(outPipe).ReadString('\n')
	if err != nil || line != "ready\n" {
		b.Fatalf("raw shell answered %q, %v", line, err)
	}
	return raw
}

// BenchmarkSSHOpen measures what opening a session over SSH costs, against
// baselines measured interleaved in the same run, in two settings:
//
//   - channel: a session on a connection that is already up (what a
//     second session to the same host, or a reconnecting caller holding
//     the Transport, pays), against opening a raw session channel on
//     another connection to the same server, starting the same shell on
//     it and reading the answer to its first command. Both open one
//     channel and start one shell, so the ratio is what execkit adds:
//     its start script (pid and start time behind a nonce), the shell
//     detection, the handshake and a first framed command.
//   - dial: a fresh connection and a session on it (what an MCP
//     session_create over SSH pays), against a raw x/crypto/ssh dial with
//     a key already parsed and a fixed host key, then the same raw shell.
//     The fair comparison includes the dial on both sides: key exchange
//     and sshd's own start (one `sshd -i` per connection here) dominate,
//     and execkit's known_hosts check, key directory check and key
//     loading are part of what a caller pays.
//
// Closing is not timed. The figures are medians, which a busy machine's
// outliers move less than means.
func BenchmarkSSHOpen(b *testing.B) {
	e := newEnv(b, nil)
	ctx := context.Background()
	rawCfg := &xssh.ClientConfig{
		User:              e.sshd.User,
		Auth:              []xssh.AuthMethod{xssh.PublicKeys(e.key.Signer)},
		HostKeyCallback:   xssh.FixedHostKey(e.sshd.HostKey(xssh.KeyAlgoED25519)),
		HostKeyAlgorithms: []string{xssh.KeyAlgoED25519},
	}
	// The first dial trusts the host key on first use and writes
	// known_hosts; every timed dial then verifies against it.
	e.dial(b, e.cfg(), e.op).Close()

	b.Run("channel", func(b *testing.B) {
		tr := e.dial(b, e.cfg(), e.op)
		c, err := xssh.Dial("tcp", e.sshd.Addr(), rawCfg)
		require.NoError(b, err)
		defer c.Close()
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
			r := openRawShell(b, c)
			d := time.Since(t0)
			r.Close()
			return d
		}
		benchutil.Open(b, session, raw)
	})

	b.Run("dial", func(b *testing.B) {
		session := func() time.Duration {
			t0 := time.Now()
			tr, err := ssh.Dial(ctx, e.cfg(), e.op)
			require.NoError(b, err)
			s, err := execkit.Open(ctx, tr, nil, execkit.WithTransport())
			d := time.Since(t0)
			require.NoError(b, err)
			s.Close()
			return d
		}
		raw := func() time.Duration {
			t0 := time.Now()
			c, err := xssh.Dial("tcp", e.sshd.Addr(), rawCfg)
			require.NoError(b, err)
			r := openRawShell(b, c)
			d := time.Since(t0)
			r.Close()
			c.Close()
			return d
		}
		benchutil.Open(b, session, raw)
	})
}
