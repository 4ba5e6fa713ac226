package redact

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamInputs returns the corpus as stream inputs: every negative file and,
// for every positive template, one filled instance inside ordinary lines.
func streamInputs(t testing.TB) map[string]string {
	in := map[string]string{}
	for name, text := range negatives(t) {
		in[name] = text
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range loadPositives(t) {
		inst := p.fill(t, rng)
		in[p.kind+":"+strings.Repeat("x", p.line%3)+string(rune('a'+p.line%26))+itoa(p.line)] = "before\n" + inst.text + "\nafter: done\n"
	}
	return in
}

func itoa(n int) string {
	return strings.TrimLeft(strings.Repeat(" ", 0)+string(rune('0'+n/100%10))+string(rune('0'+n/10%10))+string(rune('0'+n%10)), "0")
}

func redactChunks(r *Redactor, chunks [][]byte) (string, int, error) {
	var out bytes.Buffer
	w := r.NewWriter(&out)
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return "", 0, err
		}
	}
	err := w.Close()
	return out.String(), w.Count(), err
}

// TestStreamEveryBoundary splits each corpus input in two at every byte
// boundary: the streamed output must equal String's.
func TestStreamEveryBoundary(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	for name, text := range streamInputs(t) {
		want, wantN := r.String(text)
		b := []byte(text)
		step := 1
		if len(b) > 3000 {
			step = len(b)/3000 + 1 // the large log files: about 3000 cuts each
		}
		for cut := 0; cut <= len(b); cut += step {
			got, n, err := redactChunks(r, [][]byte{b[:cut], b[cut:]})
			require.NoError(t, err)
			if got != want || n != wantN {
				require.Equal(t, want, got, "%s split at %d", name, cut)
				require.Equal(t, wantN, n, "%s split at %d: count", name, cut)
			}
		}
	}
}

// TestStreamRandomChunks feeds each input in random chunks, including
// single bytes.
func TestStreamRandomChunks(t *testing.T) {
	r, err := New(&Options{KindTags: true, Values: []string{"correct-horse-battery", "s3cr3t-Pa55"}})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(8, 9))
	for name, text := range streamInputs(t) {
		text = text + "declared correct-horse-battery and czNjcjN0LVBhNTU= here\n"
		want, wantN := r.String(text)
		for trial := 0; trial < 20; trial++ {
			got, n, err := redactChunks(r, randomChunks(rng, []byte(text), trial%4 == 0))
			require.NoError(t, err)
			require.Equal(t, want, got, "%s trial %d", name, trial)
			require.Equal(t, wantN, n, "%s trial %d: count", name, trial)
		}
	}
}

func randomChunks(rng *rand.Rand, b []byte, tiny bool) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := 1 + rng.IntN(64)
		if !tiny {
			n = 1 + rng.IntN(4096)
		}
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// TestStreamLongLines covers lines longer than a window: secrets at and
// across every window edge are caught, and streaming equals String.
func TestStreamLongLines(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(10, 11))
	filler := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(rs(rng, chLower, 1+rng.IntN(12)))
			b.WriteByte(' ')
		}
		return b.String()[:n]
	}
	for _, pos := range []int{0, 100, maxWin - overlap - 30, maxWin - overlap, maxWin - 20, maxWin - 5, maxWin, maxWin + 3, 2*maxWin - overlap - 10, 3*maxWin + 7} {
		tok := gens["github_pat"](rng)
		pw := password(rng)
		line := filler(pos) + " " + tok + " password=" + pw + " " + filler(3*maxWin)
		text := "start\n" + line + "\nend\n"
		got, n := r.String(text)
		assert.Empty(t, leaks(got, "", []string{tok, pw}), "secret at %d of a long line leaked", pos)
		assert.GreaterOrEqual(t, n, 2, "secrets at %d", pos)
		assert.Equal(t, len(text)-len(tok)-len(pw)+2*len(Replacement), len(got), "only the secrets change (at %d)", pos)
		for trial := 0; trial < 3; trial++ {
			s, m, err := redactChunks(r, randomChunks(rng, []byte(text), false))
			require.NoError(t, err)
			require.Equal(t, got, s, "streamed long line, secret at %d", pos)
			require.Equal(t, n, m)
		}
	}
}

// TestStreamGiantToken: a single token longer than a window is redacted
// whole, its tail too.
func TestStreamGiantToken(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(12, 13))
	tok := "ghp_" + rs(rng, chAlnum, 3*maxWin)
	text := "x " + tok + " y\n"
	got, n := r.String(text)
	assert.Equal(t, "x "+Replacement+" y\n", got)
	assert.Equal(t, 1, n, "one token, one redaction")
	assert.Empty(t, leaks(got, "", []string{tok}))
	s, m, err := redactChunks(r, randomChunks(rng, []byte(text), false))
	require.NoError(t, err)
	assert.Equal(t, got, s)
	assert.Equal(t, n, m)
}

// TestStreamKeyBlockByteByByte: a PEM block written one byte at a time is
// still one redaction, and nothing of it is written before the block is
// known to be a key.
func TestStreamKeyBlockByteByByte(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(14, 15))
	body := pemBody(rng, 1200)
	text := "$ cat id_rsa\n-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n$ echo ok\nok\n"
	var out bytes.Buffer
	w := r.NewWriter(&out)
	for i := 0; i < len(text); i++ {
		_, err := w.Write([]byte{text[i]})
		require.NoError(t, err)
		assert.NotContains(t, out.String(), "BEGIN RSA", "the marker must never be written")
		assert.Empty(t, leaks(out.String(), "", []string{body}), "no body line may be written")
	}
	require.NoError(t, w.Close())
	assert.Equal(t, "$ cat id_rsa\n"+Replacement+"\n$ echo ok\nok\n", out.String())
	assert.Equal(t, 1, w.Count())
}

type failWriter struct{ n int }

var errSink = errors.New("sink failed")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	if f.n > 1 {
		return 0, errSink
	}
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	w := r.NewWriter(&failWriter{})
	_, err = w.Write([]byte("one\n"))
	require.NoError(t, err)
	_, err = w.Write([]byte("two\n"))
	assert.ErrorIs(t, err, errSink, "the destination's error is returned")
	_, err = w.Write([]byte("three\n"))
	assert.ErrorIs(t, err, errSink, "and is sticky")
	assert.ErrorIs(t, w.Close(), errSink)

	var out bytes.Buffer
	w = r.NewWriter(&out)
	_, err = w.Write([]byte("no newline at the end"))
	require.NoError(t, err)
	assert.Empty(t, out.String(), "a partial line is held")
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
	assert.Equal(t, "no newline at the end", out.String())
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrClosed)
}
