//go:build !unix

package ssh

import "os"

// lockFile is a no-op where flock does not exist; the in-process mutex
// still serializes this process's writes.
func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) {}
