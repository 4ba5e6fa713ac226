package clean

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current cleaner")

// goldenInputs returns the raw terminal captures in testdata, by name.
func goldenInputs(t testing.TB) map[string][]byte {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.in"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "testdata/*.in is missing")
	in := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		in[strings.TrimSuffix(filepath.Base(p), ".in")] = b
	}
	return in
}

// TestGolden cleans realistic captures (a pip and a curl progress bar,
// ls --color, git diff --color, a test runner's spinner, cargo build) and
// compares them with what a terminal shows, kept in testdata/*.golden.
func TestGolden(t *testing.T) {
	for name, in := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) {
			got, _ := clean(t, in)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), string(got), "cleaned capture differs from %s", golden)

			ones := make([]int, len(in))
			for i := range ones {
				ones[i] = 1
			}
			bytewise, _ := clean(t, in, ones...)
			assert.Equal(t, string(got), string(bytewise), "byte-at-a-time Writes changed the output")
			assert.NotContains(t, string(got), "\x1b")
			assert.False(t, bytes.ContainsAny(got, "\r\b\x00"))
		})
	}
}
