//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lockFile takes an advisory exclusive lock, so that processes sharing one
// audit file take turns and each continues the chain the other left.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
