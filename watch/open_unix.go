//go:build unix

package watch

import "syscall"

const (
	nofollowFlag = syscall.O_NOFOLLOW
	nonblockFlag = syscall.O_NONBLOCK
)
