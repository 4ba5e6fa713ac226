//go:build unix

package ssh

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, as other execkit
// processes recording host keys in the same file do.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
