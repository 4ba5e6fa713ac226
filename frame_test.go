package execkit

import (
	"bytes"
	"io"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feedFrames runs a demux over a stream delivered in random chunks.
// recovery are end nonces accepted besides e.
func feedFrames(stream []byte, s, e string, stdout bool, seed int64, recovery ...string) (string, frameEnd, bool) {
	pr, pw := io.Pipe()
	d := newDemux(pr)
	var body bytes.Buffer
	f := &frame{start: startMarker(s), ends: append([]string{e}, recovery...), sink: &body, stdout: stdout, done: make(chan frameEnd, 1)}
	d.set(f)
	go d.run()
	r := rand.New(rand.NewSource(seed))
	for len(stream) > 0 {
		n := 1 + r.Intn(40)
		if n > len(stream) {
			n = len(stream)
		}
		pw.Write(stream[:n])
		stream = stream[n:]
	}
	pw.Close()
	<-d.eof
	select {
	case fe := <-f.done:
		return body.String(), fe, true
	default:
		return body.String(), frameEnd{}, false
	}
}

func TestDemux(t *testing.T) {
	s, e := newNonce(), newNonce()
	forged := "\x1eEKE" + newNonce() + "\x1e0:/forged\n\x1eEKT"
	body := "noise before is dropped? no: after start\n" + forged + "\x1eEK partial\x1e"
	stream := []byte("startup noise\x1eEKS" + newNonce() + "\x1e" + "\x1eEKS" + s + "\x1e" + body + "\x1eEKE" + e + "\x1e3:/some dir\nwith newline\n\x1eEKT" + e + "\x1etrailing junk")
	for seed := int64(0); seed < 200; seed++ {
		got, fe, ok := feedFrames(stream, s, e, true, seed)
		require.True(t, ok, "seed %d: frame must end", seed)
		assert.Equal(t, body, got, "seed %d", seed)
		assert.Equal(t, 3, fe.status)
		assert.Equal(t, "/some dir\nwith newline", fe.cwd)
	}
}

// TestDemuxInterruptedFrame: an interrupt can cut the frame's own markers
// short (a printf stopped halfway, a start marker never printed); the
// recovery line's whole end marker must still close the frame.
func TestDemuxInterruptedFrame(t *testing.T) {
	s, e, r := newNonce(), newNonce(), newNonce()
	recovery := "\x1eEKE" + r + "\x1e130:/w\n\x1eEKT" + r + "\x1e"
	cases := map[string]struct {
		stream string
		stdout bool
		body   string
		status int
	}{
		"trailer cut after the status":  {"\x1eEKS" + s + "\x1eout\x1eEKE" + e + "\x1e0:/w\n" + recovery + recovery, true, "out", 130},
		"trailer cut inside the marker": {"\x1eEKS" + s + "\x1eout\x1eEKE" + e + "\x1e0:/w\n\x1eEK" + recovery, true, "out", 130},
		"start marker never printed":    {"\x1eEK" + recovery + recovery, true, "", 130},
		"stderr start never printed":    {"noise\x1eEKE" + r + "\x1e", false, "", 0},
		"stderr start cut":              {"\x1eEKS" + s[:5] + "\x1eEKE" + r + "\x1e", false, "", 0},
	}
	for name, c := range cases {
		for seed := int64(0); seed < 50; seed++ {
			got, fe, ok := feedFrames([]byte(c.stream), s, e, c.stdout, seed, r)
			require.True(t, ok, "%s, seed %d: the recovery marker must end the frame", name, seed)
			assert.Equal(t, c.body, got, "%s, seed %d", name, seed)
			assert.Equal(t, r, fe.nonce, name)
			if c.stdout {
				assert.Equal(t, c.status, fe.status, name)
				assert.Equal(t, "/w", fe.cwd, name)
			}
		}
	}
}

func TestHoldback(t *testing.T) {
	assert.Equal(t, 0, holdback([]byte("abc")))
	assert.Equal(t, 1, holdback([]byte("abc\x1e")))
	assert.Equal(t, 3, holdback([]byte("abc\x1eEK")))
	assert.Equal(t, 0, holdback([]byte("abc\x1eXY")))
}

func FuzzDemux(f *testing.F) {
	f.Add([]byte("hello\n"), int64(1))
	f.Add([]byte("\x1eEKE\x1e\x1eEKS"), int64(2))
	f.Fuzz(func(t *testing.T, body []byte, seed int64) {
		s, e := newNonce(), newNonce()
		stream := append([]byte("\x1eEKS"+s+"\x1e"), body...)
		stream = append(stream, []byte("\x1eEKE"+e+"\x1e0:/x\n\x1eEKT"+e+"\x1e")...)
		got, fe, ok := feedFrames(stream, s, e, true, seed)
		if !ok {
			t.Fatal("frame did not end")
		}
		if got != string(body) || fe.cwd != "/x" {
			t.Fatalf("body %q became %q (cwd %q)", body, got, fe.cwd)
		}
	})
}
