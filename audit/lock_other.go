//go:build !unix

package audit

import (
	"errors"
	"os"
)

// lockFile is not available here: one process per audit file.
func lockFile(*os.File) error { return errors.ErrUnsupported }

func unlockFile(*os.File) {}
