// Package ssh is the execkit transport for SSH hosts, over
// golang.org/x/crypto/ssh: one connection per [Transport], a session channel
// per process, stdout and stderr kept apart by the channel's own streams.
//
// # Who decides what
//
// A [Config] is what the caller asks for (host, port, user, a password or a
// key path, optionally a host key pin). It may come from an agent that was
// prompt-injected, so [Dial] validates every field before dialing and none
// of them can loosen an [Operator] setting. The Operator is the operator's
// start-up configuration: the only directory keys may be read from, the
// known_hosts file, whether ssh-agent may be used, and the one insecure
// switch, [Operator.InsecureAcceptAnyHostKey].
//
//	tr, err := ssh.Dial(ctx, &ssh.Config{
//		Host:    "build1.example.com",
//		User:    "ci",
//		KeyPath: "id_ed25519", // inside Operator.KeyDir (default ~/.ssh)
//	}, &ssh.Operator{})
//	if err != nil {
//		return err // *ssh.ConfigError, ssh.ErrKeyPath, *ssh.HostKeyError, ssh.ErrAuth...
//	}
//	defer tr.Close()
//	s, err := execkit.Open(ctx, tr, nil)
//
// # Host keys
//
// Host keys are checked against the operator's OpenSSH known_hosts file,
// read in OpenSSH's format: hashed names, [host]:port entries, @revoked and
// @cert-authority markers. A host the file does not know is trusted on first
// use and recorded there in the same format (hashed if the file hashes), once
// the login has succeeded. A key that differs from the recorded one is
// refused as a possible man-in-the-middle ([HostKeyChanged]), and nothing
// runs. A fingerprint pin in the Config is checked as well as known_hosts,
// never instead of it: an agent can narrow trust, not move it to another
// key. The host key algorithms offered are those of the keys known for the
// host, so a server with several keys presents the one on record.
//
// # Keys
//
// Config.KeyPath must resolve, after symlinks, inside Operator.KeyDir; every
// path that does not (or does not exist, or is not a key) is refused with
// the same [ErrKeyPath], which says nothing about the file.
//
// # Connection loss and cleanup
//
// An idle connection is probed with keepalive@openssh.com; when probes go
// unanswered, the network is reset, or the server's sshd dies, every
// process on the connection ends with an error wrapping [ErrConnectionLost],
// and the session with it, within seconds. Killing a process (or closing
// the transport) kills its whole process tree on the host, through a second
// channel, since closing a channel alone leaves the remote commands running.
//
// # Terminals
//
// [Transport.StartTTY] runs a process on a terminal the server allocates on
// the channel (a pty request, TERM xterm-256color unless the command's Env
// sets one, Linux's default terminal modes sent explicitly so that echo,
// Ctrl-C and Ctrl-D behave alike on every server): for REPLs and programs
// that check isatty. Its output and errors come merged on Stdout with the
// terminal's \r\n line endings; typing \x03 interrupts the foreground
// program. A server configured with PermitTTY no refuses it with an error
// saying so.
package ssh
