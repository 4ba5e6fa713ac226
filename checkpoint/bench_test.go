package checkpoint_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/execkit/execkit/checkpoint"
	"github.com/stretchr/testify/require"
)

// benchWorkspace writes n small files in 100 directories (plus an ignored
// node_modules of n more, which a snapshot must not cost anything for).
func benchWorkspace(b *testing.B, n int) string {
	ws := b.TempDir()
	for i := 0; i < n; i++ {
		write(b, ws, fmt.Sprintf("src/d%02d/f%04d.txt", i%100, i), fmt.Sprintf("file %d\n%s\n", i, "some ordinary content of a source file"))
		write(b, ws, fmt.Sprintf("node_modules/p%02d/m%04d.js", i%100, i), "ignored\n")
	}
	// Let the files age past the stat cache's racy window (a file changed
	// within 3 s of a snapshot is read again by the next), as a settled
	// workspace's have.
	time.Sleep(3100 * time.Millisecond)
	return ws
}

// BenchmarkCheckpoint measures, per implementation, on a 5,000-file
// workspace: the first checkpoint (every file read and stored), an
// automatic checkpoint of the unchanged workspace (none taken: the cost of
// the check alone), a checkpoint after one file changed, and a restore
// undoing a one-file change. ms/op is reported for each.
func BenchmarkCheckpoint(b *testing.B) {
	const files = 5000
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ws := benchWorkspace(b, files)
			s := im.open(b, checkpoint.Options{Workspace: ws, Dir: b.TempDir(), Keep: checkpoint.MaxKeep})
			b.Run("first", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					// A fresh store and directory each time: a cold start.
					fresh := im.open(b, checkpoint.Options{Workspace: ws, Dir: b.TempDir()})
					_, err := fresh.Create(ctx(b), "first", false)
					require.NoError(b, err)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			})
			_, err := s.Create(ctx(b), "base", false)
			require.NoError(b, err)
			b.Run("unchanged", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					cp, err := s.Create(ctx(b), "auto", true)
					require.NoError(b, err)
					require.Nil(b, cp)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			})
			b.Run("one-change", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					write(b, ws, "src/d07/f0007.txt", fmt.Sprint("change ", i))
					_, err := s.Create(ctx(b), "one change", false)
					require.NoError(b, err)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			})
			cp, err := s.Create(ctx(b), "restore point", false)
			require.NoError(b, err)
			b.Run("restore", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					write(b, ws, "src/d09/f0009.txt", fmt.Sprint("damage ", i))
					rep, err := s.Restore(ctx(b), cp.ID)
					require.NoError(b, err)
					require.Equal(b, 1, rep.FilesChanged)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			})
		})
	}
}

// BenchmarkRetention measures a checkpoint that also drops (and prunes) the
// oldest one, with the workspace at its limit of checkpoints.
func BenchmarkRetention(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ws := benchWorkspace(b, 5000)
			s := im.open(b, checkpoint.Options{Workspace: ws, Dir: b.TempDir(), Keep: 10})
			for i := 0; i < 10; i++ {
				write(b, ws, "src/d01/f0001.txt", fmt.Sprint("v", i))
				_, err := s.Create(ctx(b), "", false)
				require.NoError(b, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				write(b, ws, "src/d01/f0001.txt", fmt.Sprint("w", i))
				_, err := s.Create(ctx(b), "", false)
				require.NoError(b, err)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}

// BenchmarkUnchanged10k is the figure the issue asks for: an automatic
// checkpoint of an unchanged 10,000-file workspace (none is taken; this is
// the whole cost of finding that out).
func BenchmarkUnchanged10k(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			ws := benchWorkspace(b, 10000)
			s := im.open(b, checkpoint.Options{Workspace: ws, Dir: b.TempDir()})
			_, err := s.Create(ctx(b), "base", false)
			require.NoError(b, err)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cp, err := s.Create(ctx(b), "auto", true)
				require.NoError(b, err)
				require.Nil(b, cp)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}
