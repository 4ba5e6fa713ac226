//go:build !unix

package checkpoint

import "context"

// lock is a no-op here: one process per workspace. (Stores serialize their
// own operations.)
func lock(context.Context, string) (func(), error) { return func() {}, nil }
