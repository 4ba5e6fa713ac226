package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrAuth is wrapped by the error Dial returns when the server accepted
// none of the credentials.
var ErrAuth = errors.New("ssh: authentication failed")

// ErrConnectionLost is wrapped by every error caused by a connection that
// went away: the network dropped, keepalives went unanswered, or the server
// (or its sshd process for this connection) died.
var ErrConnectionLost = errors.New("ssh: connection lost")

type lostError struct{ label, cause string }

func (e *lostError) Error() string {
	return "ssh: the connection to " + e.label + " was lost (" + e.cause + ")"
}
func (e *lostError) Unwrap() error { return ErrConnectionLost }

// Transport is a connection to one SSH server, on which Start and Run open
// session channels. It implements transport.Transport and execkit.Labeler.
// It is safe for concurrent use.
type Transport struct {
	client   *ssh.Client
	label    string
	hostKey  ssh.PublicKey
	interval time.Duration
	count    int

	mu     sync.Mutex
	closed bool
	lost   error // why the connection ended, once it has
	procs  map[*process]struct{}

	dead     chan struct{} // closed when the connection has ended
	stop     chan struct{} // closed by Close, to end the keepalive loop
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// Dial connects to the server cfg names and authenticates, within the
// operator's rules: the key must come from op.KeyDir, the host key must pass
// known_hosts (and cfg's pin), the agent is used only if op.UseAgent. A nil
// op means the zero Operator (the safe defaults).
//
// ctx bounds the whole dial (TCP, key exchange, authentication), as does
// op.DialTimeout; the connection lives on after Dial returns, until Close or
// until it is lost. Every Config field is validated before anything is
// dialed (*ConfigError, ErrKeyPath). A refused host key is a *HostKeyError;
// credentials the server rejects wrap ErrAuth.
func Dial(ctx context.Context, cfg *Config, op *Operator) (*Transport, error) {
	if cfg == nil {
		return nil, &ConfigError{"host", "it is required"}
	}
	host, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	o, err := op.Resolve()
	if err != nil {
		return nil, err
	}
	port := cfg.port()
	addr := hostPort(host, port)
	label := labelFor(cfg.User, host, port)
	pin := ""
	if cfg.Fingerprint != "" {
		pin, _ = parsePin(cfg.Fingerprint)
	}

	auth, tried, closeAgent, err := authMethods(cfg, o)
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	hk, err := newHostKeys(addr, pin, o)
	if err != nil {
		return nil, err
	}
	ccfg := &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              auth,
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algorithms(),
	}

	dctx := ctx
	if o.DialTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, o.DialTimeout)
		defer cancel()
	}
	fail := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("ssh: connecting to %s: %w", label, ctx.Err())
		}
		// The connection's deadline is the context's, and may fire first.
		if dctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			after := ""
			if o.DialTimeout > 0 {
				after = " after " + o.DialTimeout.String()
			}
			return fmt.Errorf("ssh: connecting to %s timed out%s: %w", label, after, context.DeadlineExceeded)
		}
		return fmt.Errorf("ssh: connecting to %s: %w", label, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fail(err)
	}
	// x/crypto's handshake takes no context: bound it by a deadline, and
	// close the connection if ctx ends first.
	if dl, ok := dctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, ccfg)
	if !stop() {
		if c != nil {
			c.Close()
		}
		return nil, fail(dctx.Err())
	}
	if err != nil {
		conn.Close()
		switch {
		case hk.refused != nil:
			return nil, hk.refused
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("%w for %s (tried %s): check the user and the credential", ErrAuth, label, strings.Join(tried, ", "))
		}
		return nil, fail(err)
	}
	conn.SetDeadline(time.Time{})
	if err := hk.record(conn.RemoteAddr()); err != nil {
		c.Close()
		return nil, err
	}
	t := &Transport{
		client:   ssh.NewClient(c, chans, reqs),
		label:    label,
		hostKey:  hk.accepted,
		interval: o.KeepaliveInterval,
		count:    o.KeepaliveCountMax,
		procs:    make(map[*process]struct{}),
		dead:     make(chan struct{}),
		stop:     make(chan struct{}),
	}
	t.wg.Add(1)
	go t.watch()
	if t.interval > 0 {
		t.wg.Add(1)
		go t.keepalive()
	}
	return t, nil
}

// labelFor is "user@host:port" for session ids and messages, the port left
// out when it is 22 (as the session id format has it).
func labelFor(user, host string, port int) string {
	if port == 22 {
		return user + "@" + host
	}
	return user + "@" + hostPort(host, port)
}

// authMethods builds the auth methods cfg and the operator allow, in the
// order they are tried: the key file, the agent, then the password (as
// "password" and as keyboard-interactive).
func authMethods(cfg *Config, o *Operator) (methods []ssh.AuthMethod, tried []string, closeAgent func(), err error) {
	closeAgent = func() {}
	if cfg.KeyPath != "" {
		signer, err := loadKey(o.KeyDir, cfg.KeyPath, cfg.Passphrase, o.Passphrases)
		if err != nil {
			return nil, nil, closeAgent, err
		}
		methods = append(methods, ssh.PublicKeys(signer))
		tried = append(tried, "the key file")
	}
	if o.UseAgent && o.AgentSocket != "" {
		if conn, err := net.DialTimeout("unix", o.AgentSocket, 5*time.Second); err == nil {
			closeAgent = func() { conn.Close() }
			methods = append(methods, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			tried = append(tried, "ssh-agent")
		} else if cfg.KeyPath == "" && cfg.Password == "" {
			return nil, nil, closeAgent, fmt.Errorf("ssh: the operator allows ssh-agent, but it cannot be reached: %w", err)
		}
	}
	if cfg.Password != "" {
		pw := cfg.Password
		methods = append(methods, ssh.Password(pw), ssh.KeyboardInteractive(passwordChallenge(pw)))
		tried = append(tried, "password")
	}
	if len(methods) == 0 {
		why := "give a password or a key_path"
		if o.UseAgent {
			why += " (the operator allows ssh-agent, but SSH_AUTH_SOCK is not set)"
		}
		return nil, nil, closeAgent, &ConfigError{"credentials", "none given: " + why}
	}
	return methods, tried, closeAgent, nil
}

// passwordChallenge answers keyboard-interactive prompts that ask for a
// secret (no echo) with the password. A prompt that echoes (a user name, an
// OTP menu) cannot be answered by a password, so it fails the method rather
// than guessing; a server that keeps asking is cut off after a few rounds.
func passwordChallenge(pw string) ssh.KeyboardInteractiveChallenge {
	rounds := 0
	return func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		rounds++
		if rounds > 5 {
			return nil, errors.New("ssh: too many keyboard-interactive rounds")
		}
		answers := make([]string, len(questions))
		for i := range questions {
			if echos[i] {
				return nil, errors.New("ssh: the server asks for more than a password")
			}
			answers[i] = pw
		}
		return answers, nil
	}
}

// Kind returns "ssh".
func (t *Transport) Kind() string { return "ssh" }

// Label returns "user@host:port" (the port omitted when it is 22), for
// session ids.
func (t *Transport) Label() string { return t.label }

// HostKeyFingerprint returns the SHA256 fingerprint of the server's host
// key, as ssh-keygen -l prints it.
func (t *Transport) HostKeyFingerprint() string {
	if t.hostKey == nil {
		return ""
	}
	return ssh.FingerprintSHA256(plainKey(t.hostKey))
}

// Err returns nil while the connection is up, ErrClosed after Close, or an
// error wrapping ErrConnectionLost that says why the connection ended.
func (t *Transport) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lost
}

// watch records why the connection ended, once it has.
func (t *Transport) watch() {
	defer t.wg.Done()
	err := t.client.Wait()
	t.mu.Lock()
	if t.lost == nil {
		cause := "the server closed it"
		switch {
		case err == nil, errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF):
		case errors.Is(err, syscall.ECONNRESET):
			cause = "the network connection was reset"
		default:
			cause = err.Error()
		}
		t.lost = &lostError{t.label, cause}
	}
	t.mu.Unlock()
	close(t.dead)
}

// fail ends the connection for cause (unless it already ended).
func (t *Transport) fail(cause string) {
	t.mu.Lock()
	if t.lost == nil {
		t.lost = &lostError{t.label, cause}
	}
	t.mu.Unlock()
	t.client.Close()
}

// keepalive probes the server every interval; a probe unanswered for
// interval*count ends the connection, which ends every process on it with
// ErrConnectionLost instead of leaving reads blocked on a dead network.
func (t *Transport) keepalive() {
	defer t.wg.Done()
	limit := t.interval * time.Duration(t.count)
	timer := time.NewTimer(t.interval)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-t.stop:
			return
		case <-t.dead:
			return
		}
		reply := make(chan error, 1)
		// Ends when the reply comes or the connection closes.
		go func() {
			_, _, err := t.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		wait := time.NewTimer(limit)
		select {
		case err := <-reply:
			wait.Stop()
			if err != nil {
				return // the connection ended; watch says why
			}
		case <-wait.C:
			t.fail(fmt.Sprintf("no reply to keepalives for %s", limit))
			return
		case <-t.stop:
			wait.Stop()
			return
		}
		timer.Reset(t.interval)
	}
}

// Close kills every process this transport started (on the remote host:
// their whole process trees), then closes the connection. It is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	procs := make([]*process, 0, len(t.procs))
	for p := range t.procs {
		procs = append(procs, p)
	}
	t.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Kill()
		}()
	}
	wg.Wait()
	t.mu.Lock()
	if t.lost == nil {
		t.lost = errClosed
	}
	t.mu.Unlock()
	t.stopOnce.Do(func() { close(t.stop) })
	t.client.Close()
	t.wg.Wait()
	return nil
}
