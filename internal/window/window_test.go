package window

import (
	"bytes"
	"math/rand"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeepsNewestAndCountsDropped(t *testing.T) {
	w := New(10)
	w.Write([]byte("0123456789"))
	w.Write([]byte("abc"))
	b, dropped := w.Take()
	assert.Equal(t, "3456789abc", string(b))
	assert.Equal(t, int64(3), dropped)
	b, dropped = w.Take()
	assert.Empty(t, b)
	assert.Zero(t, dropped, "the count restarts after a Take")
	w.Write(bytes.Repeat([]byte("x"), 25))
	b, dropped = w.Take()
	assert.Equal(t, 10, len(b))
	assert.Equal(t, int64(15), dropped)
	assert.Equal(t, int64(38), w.Offset(), "every byte is counted in the offset")
}

func TestNeverCutsARune(t *testing.T) {
	w := New(7)
	w.Write([]byte("ab"))
	w.Write([]byte("é€😀")) // 2+3+4 bytes
	b, dropped := w.Take()
	assert.True(t, utf8.Valid(b), "%q", b)
	assert.Equal(t, int64(11), int64(len(b))+dropped)
}

func TestFrom(t *testing.T) {
	w := New(100)
	w.Write([]byte("hello world"))
	assert.Equal(t, "world", string(w.From(6)))
	assert.Equal(t, "hello world", string(w.From(-5)))
	assert.Nil(t, w.From(11))
}

// Random writes against a simple model: the window holds the stream's
// last bytes, never more than max, and what it dropped plus what it holds
// is everything written.
func TestModel(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		max := 1 + r.Intn(64)
		w := New(max)
		var stream []byte
		var taken int64
		var dropped int64
		for i := 0; i < 100; i++ {
			if r.Intn(8) == 0 {
				b, d := w.Take()
				taken += int64(len(b))
				dropped += d
				continue
			}
			p := make([]byte, r.Intn(3*max))
			for k := range p {
				p[k] = byte('a' + r.Intn(26))
			}
			w.Write(p)
			stream = append(stream, p...)
			require.LessOrEqual(t, w.Len(), max)
			got := w.From(0)
			require.True(t, bytes.HasSuffix(stream, got), "the window is the stream's tail")
		}
		b, d := w.Take()
		assert.Equal(t, int64(len(stream)), taken+int64(len(b))+dropped+d)
	}
}
