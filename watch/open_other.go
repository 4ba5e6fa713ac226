//go:build !unix

package watch

const (
	nofollowFlag = 0
	nonblockFlag = 0
)
