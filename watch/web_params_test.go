package watch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit/internal/fixture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebHostileParams: whatever the query holds, the API answers a clear
// one-line error (or the data), never echoes the input, never panics.
func TestWebHostileParams(t *testing.T) {
	s, _ := testServer(t)
	key := url.QueryEscape(fileName("1_local", base))
	long := strings.Repeat("k", 100<<10)
	cases := []struct {
		name, query string
		code        int
		body        string // the error, or "" for data
		events      int    // with 200: how many events come back; -1 any
	}{
		{"before is not a number", "api/transcript?key=" + key + "&before=abc", 400, "before must be an offset", 0},
		{"before is negative", "api/transcript?key=" + key + "&before=-1", 400, "before must be an offset", 0},
		{"before overflows int64", "api/transcript?key=" + key + "&before=99999999999999999999999", 400, "before must be an offset", 0},
		{"before is a float", "api/transcript?key=" + key + "&before=1e3", 400, "before must be an offset", 0},
		{"before is hex", "api/transcript?key=" + key + "&before=0x10", 400, "before must be an offset", 0},
		{"before has spaces", "api/transcript?key=" + key + "&before=%201", 400, "before must be an offset", 0},
		{"before is a NUL", "api/transcript?key=" + key + "&before=%00", 400, "before must be an offset", 0},
		{"before is the largest offset", "api/transcript?key=" + key + "&before=9223372036854775807", 200, "", 4},
		{"before is zero", "api/transcript?key=" + key + "&before=0", 200, "", 0},
		{"before is empty", "api/transcript?key=" + key + "&before=", 200, "", 4},
		{"no key", "api/transcript", 404, "no such session", 0},
		{"empty key", "api/transcript?key=", 404, "no such session", 0},
		{"key is a path", "api/transcript?key=" + url.QueryEscape("../../../../etc/passwd"), 404, "no such session", 0},
		{"key is an absolute path", "api/transcript?key=" + url.QueryEscape("/etc/passwd"), 404, "no such session", 0},
		{"key with a NUL", "api/transcript?key=" + key + "%00", 404, "no such session", 0},
		{"key with a newline", "api/transcript?key=" + key + "%0A", 404, "no such session", 0},
		{"key is markup", "api/transcript?key=" + url.QueryEscape("<script>alert(1)</script>"), 404, "no such session", 0},
		{"key is huge", "api/transcript?key=" + long, 404, "no such session", 0},
		{"key twice, the first unknown", "api/transcript?key=nope&key=" + key, 404, "no such session", 0},
		{"key is invalid UTF-8", "api/transcript?key=%ff%fe", 404, "no such session", 0},
		{"export with a hostile key", "export?key=" + url.QueryEscape("../"+fileName("1_local", base)) + "&format=txt", 404, "no such session", 0},
		{"export format in capitals", "export?key=" + key + "&format=TXT", 400, "format must be txt, md or json", 0},
		{"export format is a path", "export?key=" + key + "&format=" + url.QueryEscape("../../x"), 400, "format must be txt, md or json", 0},
		{"export format is empty", "export?key=" + key, 400, "format must be txt, md or json", 0},
		{"export format is markup", "export?key=" + key + "&format=" + url.QueryEscape("<b>"), 400, "format must be txt, md or json", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := get(t, s, "GET", "/"+testToken+"/"+c.query)
			require.Equal(t, c.code, w.Code, "GET %.200s: %s", c.query, w.Body.String())
			body := w.Body.String()
			if c.body != "" {
				assert.Equal(t, c.body+"\n", body, "one clear line, nothing of the input echoed")
				assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain"), "an error is text, never HTML")
				return
			}
			var tr struct {
				Events []*Event `json:"events"`
				More   bool     `json:"more"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &tr))
			if c.events >= 0 {
				assert.Len(t, tr.Events, c.events)
			}
		})
	}
}

// page is one answer of /api/transcript.
type page struct {
	Events []*Event `json:"events"`
	More   bool     `json:"more"`
}

func transcriptPage(t *testing.T, h http.Handler, key string, before int64) page {
	t.Helper()
	q := "/" + testToken + "/api/transcript?key=" + url.QueryEscape(key)
	if before >= 0 {
		q += "&before=" + strconv.FormatInt(before, 10)
	}
	w := get(t, h, "GET", q)
	require.Equal(t, http.StatusOK, w.Code, "GET %s: %s", q, w.Body.String())
	var p page
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	return p
}

// TestWebTranscriptPaging: the page reads a long session's tail first,
// then earlier history page by page with before=OFFSET (the offset of the
// first event it has), until the session's open; the pages join exactly,
// nothing missing and nothing twice, while the session goes on being
// written at its end.
func TestWebTranscriptPaging(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base))
	for i := 1; i <= 1200; i++ {
		a.write(execEv("1_local", "local", "echo "+strconv.Itoa(i), strconv.Itoa(i)+"\n", "", 0, 1, "/srv", base+int64(i)))
	}
	l, err := Open(dir, &Config{Tail: 500})
	require.NoError(t, err)
	defer l.Close()
	s := &Server{Log: l, Token: testToken}
	key := fileName("1_local", base)

	p := transcriptPage(t, s, key, -1)
	require.Len(t, p.Events, 500, "the tail first")
	assert.True(t, p.More, "and it says there is more")
	assert.EqualValues(t, 1201, p.Events[len(p.Events)-1].Seq)
	have := p.Events

	// Written at the end meanwhile: never in a page of earlier history.
	a.write(execEv("1_local", "local", "echo late", "late\n", "", 0, 1, "/srv", base+5000))
	l.Poll()

	var sizes []int
	for p.More {
		first := have[0]
		p = transcriptPage(t, s, key, first.Off)
		require.NotEmpty(t, p.Events, "a page of earlier history is not empty while more is said")
		sizes = append(sizes, len(p.Events))
		last := p.Events[len(p.Events)-1]
		assert.Less(t, last.Off, first.Off, "a page holds only what is before the offset asked")
		assert.Equal(t, first.Seq-1, last.Seq, "the page ends right before what the page had: nothing missing, nothing twice")
		have = append(p.Events, have...)
		require.Less(t, len(sizes), 10, "paging ends")
	}
	assert.Equal(t, []int{500, 201}, sizes)
	require.Len(t, have, 1201)
	assert.Equal(t, "open", have[0].Type, "the whole history, from the session's open")
	for i, ev := range have {
		assert.EqualValues(t, i+1, ev.Seq, "event %d in order", i)
	}
	// At the start, asking again answers nothing more.
	p = transcriptPage(t, s, key, have[0].Off)
	assert.Empty(t, p.Events)
	assert.False(t, p.More)
	// And the live end is there too.
	p = transcriptPage(t, s, key, -1)
	assert.Equal(t, "echo late", p.Events[len(p.Events)-1].Command)
}

// sseStream reads an event stream's lines; header is sent with the
// request.
func sseStream(t *testing.T, ctx context.Context, target string, header http.Header) <-chan string {
	t.Helper()
	return fixture.SSE(t, ctx, target, header)
}

// sseMessage is one message of an event stream.
type sseMessage struct{ id, event, data string }

// nextMessage reads the next message with an event (comments and the
// retry line skipped).
func nextMessage(t *testing.T, lines <-chan string, d time.Duration) sseMessage {
	t.Helper()
	deadline := time.After(d)
	var m sseMessage
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the stream ended")
			switch {
			case l == "":
				if m.event != "" {
					return m
				}
				m = sseMessage{}
			case strings.HasPrefix(l, "id: "):
				m.id = l[len("id: "):]
			case strings.HasPrefix(l, "event: "):
				m.event = l[len("event: "):]
			case strings.HasPrefix(l, "data: "):
				m.data = l[len("data: "):]
			}
		case <-deadline:
			t.Fatalf("no message within %v", d)
		}
	}
}

// TestWebStreamReconnect: every message of the stream carries an id, so a
// browser whose stream was cut reconnects saying Last-Event-ID; such a
// stream starts with a reset, for the page to read again what was written
// while it was away. A first connection gets no reset.
func TestWebStreamReconnect(t *testing.T) {
	s, dir := testServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go s.Log.Run(ctx)
	hs := httptest.NewServer(s)
	defer func() {
		cancel() // ends the streams first: Close waits for them
		hs.Close()
	}()
	target := hs.URL + "/" + testToken + "/api/events"

	first := sseStream(t, ctx, target, nil)
	m := nextMessage(t, first, 5*time.Second)
	assert.Equal(t, sseMessage{"1", "hello", `{"hello":true}`}, m, "a stream begins with a hello that has an id")

	// A reconnect: the browser says the last id it had.
	again := sseStream(t, ctx, target, http.Header{"Last-Event-Id": {"1"}})
	assert.Equal(t, "hello", nextMessage(t, again, 5*time.Second).event)
	m = nextMessage(t, again, 5*time.Second)
	assert.Equal(t, "reset", m.event, "a reconnected stream starts with a reset: what was written meanwhile is read again")
	assert.Equal(t, "2", m.id)

	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.seq = 4
	a.write(execEv("1_local", "local", "echo after", "after\n", "", 0, 1, "/srv/web", base+60000))
	for _, lines := range []<-chan string{first, again} {
		for {
			m := nextMessage(t, lines, 5*time.Second)
			assert.Equal(t, "", strings.Trim(m.id, "0123456789"), "every message has a numeric id")
			assert.NotEmpty(t, m.id, "every message has an id, %s included", m.event)
			assert.NotEqual(t, "reset", m.event, "no reset but at a reconnect")
			if m.event == "ev" {
				assert.Contains(t, m.data, "echo after")
				break
			}
		}
	}
}
