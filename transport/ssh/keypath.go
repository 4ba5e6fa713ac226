package ssh

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// maxKeyFile bounds what is read as a key: no private key is this large.
const maxKeyFile = 1 << 20

// loadKey reads the private key keyPath names inside keyDir and returns a
// signer for it. Every failure to find a usable file inside keyDir is
// ErrKeyPath, the same error whatever the cause, so the answer says nothing
// about paths outside the directory (or whether they exist). Passphrase
// problems are told apart: by then the file is known to be a key the
// operator allows.
func loadKey(keyDir, keyPath, passphrase string, passphrases map[string]string) (ssh.Signer, error) {
	rel, err := keyRel(keyDir, keyPath)
	if err != nil {
		return nil, ErrKeyPath
	}
	b, err := readInRoot(keyDir, rel)
	if err != nil {
		return nil, ErrKeyPath
	}
	signer, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return signer, nil
	case errors.As(err, &missing):
	default:
		return nil, ErrKeyPath
	}
	if passphrase == "" {
		passphrase = passphrases[filepath.ToSlash(rel)]
	}
	if passphrase == "" {
		return nil, &ConfigError{"passphrase", "the key is passphrase-protected and no passphrase was given"}
	}
	signer, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(passphrase))
	if err != nil {
		// x509.IncorrectPasswordError, or a decryption that yields garbage.
		return nil, &ConfigError{"passphrase", "it does not decrypt the key"}
	}
	return signer, nil
}

// keyRel resolves keyPath (relative to keyDir, or absolute) after symlinks
// and returns it relative to keyDir, refusing anything outside it.
func keyRel(keyDir, keyPath string) (string, error) {
	if keyPath == "" || strings.ContainsRune(keyPath, 0) {
		return "", ErrKeyPath
	}
	dir, err := filepath.EvalSymlinks(keyDir)
	if err != nil {
		return "", ErrKeyPath
	}
	p := keyPath
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", ErrKeyPath
	}
	rel, err := filepath.Rel(dir, real)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", ErrKeyPath
	}
	return rel, nil
}

// readInRoot opens rel beneath dir through os.Root, so a symlink swapped in
// after keyRel looked cannot lead outside dir, and reads it if it is a small
// regular file (never blocking on a FIFO or a device).
func readInRoot(dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxKeyFile {
		return nil, ErrKeyPath
	}
	return io.ReadAll(io.LimitReader(f, maxKeyFile))
}
