package execkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// textOf returns n bytes of plain text lines (UTF-8 and tabs included, no
// newline at the very end), which the cleaner and the redactor pass through
// byte for byte.
func textOf(n int, tag string) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s line %07d\tnaïve café 日本 — the quick brown fox\n", tag, i)
	}
	s := b.String()[:n]
	return strings.TrimSuffix(s, "\n") + "."
}

// writeText writes text into a file of the test's and returns its path.
func writeText(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

var tail1 = &Budget{Keep: &Keep{Mode: "tail", N: 1}}

// TestOutputStore covers the kept outputs behind Result.OutputID and
// Session.Output: what is kept, for how long, and what an unknown id gets.
func TestOutputStore(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  *Config
		test func(t *testing.T, s *Session)
	}{
		{"exact round trip past the memory window", &Config{MaxChars: 4 << 20}, func(t *testing.T, s *Session) {
			out := textOf(3*spoolMem+12345, "out")
			errs := textOf(spoolMem+999, "err")
			res := run(t, s, "cat "+writeText(t, "out", out)+"; cat "+writeText(t, "err", errs)+" >&2", &ExecOptions{Budget: tail1})
			require.True(t, res.Truncated)
			require.NotEmpty(t, res.OutputID, "a shaped result must carry an output id")
			assert.Equal(t, out[strings.LastIndexByte(out, '\n')+1:], res.Stdout)
			so := s.store.get(res.OutputID)
			require.NotNil(t, so)
			assert.NotNil(t, so.stdout.f, "stdout (%d bytes) must spill to disk past %d bytes in memory", len(out), spoolMem)
			assert.NotNil(t, so.stderr.f, "stderr must spill too")

			full, err := s.Output(res.OutputID, nil)
			require.NoError(t, err)
			assert.True(t, full.Stdout == out, "stdout must come back byte for byte (got %d bytes, want %d)", len(full.Stdout), len(out))
			assert.True(t, full.Stderr == errs, "stderr must come back byte for byte (got %d bytes, want %d)", len(full.Stderr), len(errs))
			assert.False(t, full.Truncated, "everything was kept")
			assert.Equal(t, res.OutputID, full.OutputID)
			assert.Equal(t, res.ExitCode, full.ExitCode)
			assert.Equal(t, res.Cwd, full.Cwd)

			// Read again, in another shape: the spool can be read many times.
			head, err := s.Output(res.OutputID, &Budget{Keep: &Keep{Mode: "head", N: 2}})
			require.NoError(t, err)
			lines := strings.SplitAfter(out, "\n")
			assert.Equal(t, lines[0]+lines[1], head.Stdout)
			require.NotNil(t, head.Budget)
			assert.Equal(t, int64(len(lines)), head.Budget.Stdout.LinesTotal)
			assert.Equal(t, int64(2), head.Budget.Stdout.LinesKept)
			g, err := s.Output(res.OutputID, &Budget{Grep: &Grep{Pattern: `^err line 0000007\t`}})
			require.NoError(t, err)
			assert.Equal(t, "", g.Stdout)
			assert.Equal(t, strings.SplitAfter(errs, "\n")[7], g.Stderr)
		}},
		{"evicted under the cap", &Config{OutputKeep: 1 << 20}, func(t *testing.T, s *Session) {
			// seq 1 100000 prints 588895 bytes: two do not fit in 1 MiB.
			first := run(t, s, "seq 1 100000", &ExecOptions{Budget: tail1})
			require.NotEmpty(t, first.OutputID)
			_, err := s.Output(first.OutputID, nil)
			require.NoError(t, err, "the first output is kept while it fits")
			second := run(t, s, "seq 1 100000", &ExecOptions{Budget: tail1})
			require.NotEmpty(t, second.OutputID)
			assert.NotEqual(t, first.OutputID, second.OutputID)
			_, err = s.Output(first.OutputID, nil)
			assert.ErrorIs(t, err, ErrUnknownOutput, "the oldest output must go first to stay under the cap")
			again, err := s.Output(second.OutputID, &Budget{Keep: &Keep{Mode: "head", N: 1}})
			require.NoError(t, err)
			assert.Equal(t, "1\n", again.Stdout)
			assert.Len(t, spoolFDs(t), 1, "an evicted output's spool file must be closed")
		}},
		{"evicted past the entry limit", nil, func(t *testing.T, s *Session) {
			var ids []string
			for i := 0; i <= maxKeptOutputs; i++ {
				res := run(t, s, fmt.Sprintf("echo a%d; echo b%d", i, i), &ExecOptions{Budget: tail1})
				require.NotEmpty(t, res.OutputID)
				ids = append(ids, res.OutputID)
			}
			_, err := s.Output(ids[0], nil)
			assert.ErrorIs(t, err, ErrUnknownOutput, "at most %d outputs are kept, however small", maxKeptOutputs)
			for _, i := range []int{1, maxKeptOutputs} {
				res, err := s.Output(ids[i], nil)
				require.NoError(t, err, "output %d", i)
				assert.Equal(t, fmt.Sprintf("a%d\nb%d\n", i, i), res.Stdout)
			}
		}},
		{"over the cap is marked truncated", &Config{OutputKeep: 400_000, MaxChars: 4 << 20}, func(t *testing.T, s *Session) {
			out := textOf(600_000, "out")
			res := run(t, s, "cat "+writeText(t, "out", out), &ExecOptions{Budget: tail1})
			require.NotEmpty(t, res.OutputID)
			full, err := s.Output(res.OutputID, nil)
			require.NoError(t, err)
			assert.True(t, full.Truncated, "an output cut at the cap must say so")
			assert.Len(t, full.Stdout, 400_000, "the cap's worth is kept")
			assert.True(t, strings.HasPrefix(out, full.Stdout), "what is kept is the output's start, exactly")
		}},
		{"both streams share the cap", &Config{OutputKeep: 400_000, MaxChars: 4 << 20}, func(t *testing.T, s *Session) {
			out, errs := textOf(300_000, "out"), textOf(300_000, "err")
			res := run(t, s, "cat "+writeText(t, "out", out)+" & cat "+writeText(t, "err", errs)+" >&2; wait", &ExecOptions{Budget: tail1})
			require.NotEmpty(t, res.OutputID)
			full, err := s.Output(res.OutputID, nil)
			require.NoError(t, err)
			assert.True(t, full.Truncated)
			assert.Equal(t, 400_000, len(full.Stdout)+len(full.Stderr), "the cap is per command, over both streams")
			assert.True(t, strings.HasPrefix(out, full.Stdout))
			assert.True(t, strings.HasPrefix(errs, full.Stderr))
		}},
		{"negative keep gives no id", &Config{OutputKeep: -1}, func(t *testing.T, s *Session) {
			res := run(t, s, "seq 1 1000", &ExecOptions{Budget: tail1})
			assert.True(t, res.Truncated)
			assert.Empty(t, res.OutputID, "OutputKeep < 0 keeps nothing, so no id is given")
			assert.Empty(t, spoolFDs(t))
			_, err := s.Output("out_1", nil)
			assert.ErrorIs(t, err, ErrUnknownOutput)
		}},
		{"untouched output gives no id", nil, func(t *testing.T, s *Session) {
			res := run(t, s, "seq 1 1000", nil)
			assert.False(t, res.Truncated)
			assert.Empty(t, res.OutputID, "an output returned whole needs no id")
			_, err := s.Output("out_1", nil)
			assert.ErrorIs(t, err, ErrUnknownOutput)
		}},
		{"bad budget on read", nil, func(t *testing.T, s *Session) {
			res := run(t, s, "seq 1 1000", &ExecOptions{Budget: tail1})
			_, err := s.Output(res.OutputID, &Budget{Grep: &Grep{Pattern: "(unclosed"}})
			var be *BudgetError
			assert.ErrorAs(t, err, &be)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spoolDir(t)
			c.test(t, open(t, c.cfg))
		})
	}
}

// TestOutputDroppedOnClose: Close drops every kept output: its id is
// unknown from then on, its spool file is closed, and nothing was ever left
// in the temporary directory (spools are unlinked as soon as they are made).
func TestOutputDroppedOnClose(t *testing.T) {
	dir := spoolDir(t)
	s := open(t, nil)
	res := run(t, s, "seq 1 300000", &ExecOptions{Budget: tail1})
	require.NotEmpty(t, res.OutputID)
	fds := spoolFDs(t)
	require.Len(t, fds, 1, "a 2 MB output spills to one file")
	assert.Contains(t, fds[0], dir, "spools live in the temporary directory")
	assert.Contains(t, fds[0], "(deleted)", "a spool is unlinked at once, so it cannot outlive the process")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no spool file is visible on disk, even while kept")

	require.NoError(t, s.Close())
	_, err = s.Output(res.OutputID, nil)
	assert.ErrorIs(t, err, ErrUnknownOutput, "Close drops kept output")
	assert.Empty(t, spoolFDs(t), "Close closes the spool files")
}

// TestHostileOutputIDsNearMisses: ids that resemble a real one, or are built
// to hurt, are unknown, with a short one-line error.
func TestHostileOutputIDsNearMisses(t *testing.T) {
	s := open(t, nil)
	res := run(t, s, "seq 1 1000", &ExecOptions{Budget: tail1})
	require.Equal(t, "out_1", res.OutputID, "ids are numbered per session")
	_, err := s.Output("out_1", nil)
	require.NoError(t, err)
	for _, id := range []string{
		"", "out_", "out_0", "out_2", "out_01", "out_+1", "out_-1", "OUT_1", " out_1", "out_1 ", "out_1\n",
		"out_1\x00", "out_1/../out_1", "../out_1", "/tmp/out_1", "out_１", "out_1\x1b[2J",
		"out_99999999999999999999", strings.Repeat("x", 100000),
	} {
		_, err := s.Output(id, nil)
		require.ErrorIs(t, err, ErrUnknownOutput, "id %q", id)
		msg := err.Error()
		assert.NotContains(t, msg, "\n", "one line for id %q", id)
		assert.NotContains(t, msg, "\x00")
		assert.NotContains(t, msg, "\x1b")
	}
	_, err = s.Output(strings.Repeat("x", 100000), nil)
	assert.Less(t, len(err.Error()), 200, "a huge unknown id is clipped in its error")
}
