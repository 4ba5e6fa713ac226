package ssh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	skknownhosts "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyKind says why a host key was refused.
type HostKeyKind string

// The reasons a host key is refused.
const (
	// HostKeyUnknown: known_hosts does not know the host and the operator
	// does not trust new hosts (Operator.RefuseUnknownHosts).
	HostKeyUnknown HostKeyKind = "unknown"
	// HostKeyChanged: known_hosts holds other keys for the host. Either the
	// host was re-keyed or someone is in the middle; only the operator can
	// tell, so the connection is refused.
	HostKeyChanged HostKeyKind = "changed"
	// HostKeyRevoked: the key is marked @revoked in known_hosts.
	HostKeyRevoked HostKeyKind = "revoked"
	// HostKeyPinMismatch: the key is not the one Config.Fingerprint pins.
	HostKeyPinMismatch HostKeyKind = "pin-mismatch"
)

// HostKeyError reports a host key Dial refused. Nothing was authenticated
// and nothing ran on the host.
type HostKeyError struct {
	Kind HostKeyKind
	// Host is the host as known_hosts names it: "host" for port 22, else
	// "[host]:port".
	Host string
	// KeyType and Fingerprint describe the key the server presented.
	KeyType     string
	Fingerprint string
	// Known are the fingerprints known_hosts holds for the host
	// (HostKeyChanged).
	Known []string
	// Pin is the fingerprint that was asked for (HostKeyPinMismatch).
	Pin string
}

func (e *HostKeyError) Error() string {
	switch e.Kind {
	case HostKeyChanged:
		return fmt.Sprintf("ssh: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for %s: it presented %s key %s, but known_hosts holds a different key (%s). Someone could be eavesdropping (a man-in-the-middle attack), or the host was re-keyed. The connection was refused and nothing ran; if the change is legitimate, the operator must remove the old entry (ssh-keygen -R '%s').",
			e.Host, e.KeyType, e.Fingerprint, strings.Join(e.Known, ", "), e.Host)
	case HostKeyRevoked:
		return fmt.Sprintf("ssh: the %s host key %s of %s is marked @revoked in known_hosts; the connection was refused and nothing ran", e.KeyType, e.Fingerprint, e.Host)
	case HostKeyPinMismatch:
		return fmt.Sprintf("ssh: the host key of %s is %s (%s), not the pinned %s; the connection was refused and nothing ran", e.Host, e.Fingerprint, e.KeyType, e.Pin)
	default:
		return fmt.Sprintf("ssh: the host key of %s (%s %s) is unknown and the operator does not trust new hosts; the connection was refused and nothing ran (the operator can add it to known_hosts)", e.Host, e.KeyType, e.Fingerprint)
	}
}

// hostKeys decides whether one dial's server key is trusted: known_hosts
// first (which a pin can never override), then the pin, then trust on first
// use. A first key is only recorded once the dial has fully succeeded.
type hostKeys struct {
	addr     string // host:port as dialed
	known    string // the known_hosts name: knownhosts.Normalize(addr)
	pin      string
	op       *Operator
	db       *skknownhosts.HostKeyDB // nil: no known_hosts file yet
	refused  error                   // what the callback refused, for Dial to return as is
	pending  ssh.PublicKey           // a first key to record after the dial
	accepted ssh.PublicKey
}

func newHostKeys(addr, pin string, op *Operator) (*hostKeys, error) {
	h := &hostKeys{addr: addr, known: knownhosts.Normalize(addr), pin: pin, op: op}
	if op.InsecureAcceptAnyHostKey {
		return h, nil
	}
	db, err := loadKnownHosts(op.KnownHostsPath)
	if err != nil {
		return nil, err
	}
	h.db = db
	return h, nil
}

func loadKnownHosts(path string) (*skknownhosts.HostKeyDB, error) {
	db, err := skknownhosts.NewDB(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssh: cannot read the operator's known_hosts: %w", err)
	}
	return db, nil
}

// algorithms returns the host key algorithms to offer: those of the keys
// known_hosts holds for the host, so the server presents a key we can check
// rather than another type that would look like a changed key
// (golang/go#49631). For a new host, plain keys only: a certificate could
// not be recorded by trust on first use.
func (h *hostKeys) algorithms() []string {
	if h.db != nil {
		if algos := h.db.HostKeyAlgorithms(h.addr); len(algos) > 0 {
			return algos
		}
	}
	if h.op.InsecureAcceptAnyHostKey {
		return nil
	}
	return newHostAlgorithms
}

// newHostAlgorithms is OpenSSH's client preference without certificates, so
// the key trust on first use records is the one ssh itself would record.
var newHostAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// plainKey is the key a certificate certifies; fingerprints and pins are of
// that key, as ssh-keygen shows them.
func plainKey(k ssh.PublicKey) ssh.PublicKey {
	if c, ok := k.(*ssh.Certificate); ok {
		return c.Key
	}
	return k
}

func (h *hostKeys) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	// A key re-exchange later in the connection must present the key the
	// first exchange accepted, whatever known_hosts says by then.
	if h.accepted != nil {
		if !bytes.Equal(h.accepted.Marshal(), key.Marshal()) {
			e := h.keyError(HostKeyChanged, key)
			e.Known = []string{h.accepted.Type() + " " + ssh.FingerprintSHA256(plainKey(h.accepted))}
			return e
		}
		return nil
	}
	err := h.check(hostname, remote, key)
	if err != nil {
		h.refused = err
		return err
	}
	h.accepted = key
	return nil
}

func (h *hostKeys) keyError(kind HostKeyKind, key ssh.PublicKey) *HostKeyError {
	pk := plainKey(key)
	return &HostKeyError{Kind: kind, Host: h.known, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(pk)}
}

func (h *hostKeys) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if !h.op.InsecureAcceptAnyHostKey {
		var err error
		if h.db != nil {
			err = h.db.HostKeyCallback()(h.addr, remote, key)
		} else {
			err = &knownhosts.KeyError{}
		}
		var keyErr *knownhosts.KeyError
		var revoked *knownhosts.RevokedError
		switch {
		case err == nil:
		case errors.As(err, &revoked):
			return h.keyError(HostKeyRevoked, key)
		case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
			e := h.keyError(HostKeyChanged, key)
			for _, w := range keyErr.Want {
				e.Known = append(e.Known, w.Key.Type()+" "+ssh.FingerprintSHA256(w.Key))
			}
			return e
		case errors.As(err, &keyErr):
			// A pin does not make an unknown host acceptable to an
			// operator who refuses them: it can only narrow trust.
			if h.op.RefuseUnknownHosts {
				return h.keyError(HostKeyUnknown, key)
			}
			h.pending = key
		default:
			// A certificate known_hosts cannot vouch for, or the like.
			e := h.keyError(HostKeyUnknown, key)
			return fmt.Errorf("%w (%v)", e, err)
		}
	}
	if h.pin != "" && ssh.FingerprintSHA256(plainKey(key)) != h.pin {
		e := h.keyError(HostKeyPinMismatch, key)
		e.Pin = h.pin
		h.pending = nil
		return e
	}
	return nil
}

// knownHostsMu serializes recording within this process; flock does it
// between processes.
var knownHostsMu sync.Mutex

// record appends a first-seen key to known_hosts in OpenSSH's format,
// hashed when the file already hashes its names (or the operator asks). It
// re-reads the file under the lock first, so two dials racing to record the
// same host write one line, and a key recorded meanwhile is still checked.
func (h *hostKeys) record(remote net.Addr) error {
	if h.pending == nil {
		return nil
	}
	path := h.op.KnownHostsPath
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("ssh: cannot record the host key in the operator's known_hosts: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ssh: cannot record the host key in the operator's known_hosts: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("ssh: cannot lock the operator's known_hosts: %w", err)
	}
	defer unlockFile(f)

	content, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("ssh: cannot read the operator's known_hosts: %w", err)
	}
	if db, err := loadKnownHosts(path); err == nil && db != nil {
		h.db = db
		key := h.pending
		h.pending = nil
		if err := h.check(h.addr, remote, key); err != nil {
			return err
		}
		if h.pending == nil {
			return nil // recorded by someone else meanwhile
		}
	}
	name := h.known
	if h.op.HashKnownHosts || usesHashing(content) {
		name = knownhosts.HashHostname(name)
	}
	line := knownhosts.Line([]string{name}, h.pending) + "\n"
	if len(content) > 0 && content[len(content)-1] != '\n' {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		return fmt.Errorf("ssh: cannot record the host key in the operator's known_hosts: %w", err)
	}
	h.pending = nil
	return nil
}

// usesHashing reports whether a known_hosts file names any host hashed
// (|1|salt|hash), as files written with HashKnownHosts yes do.
func usesHashing(content []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) > 0 && f[0][0] == '@' {
			f = f[1:]
		}
		if len(f) > 0 && bytes.HasPrefix(f[0], []byte("|1|")) {
			return true
		}
	}
	return false
}
