package watch

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testToken = "tok3n-tok3n-tok3n-tok3n-tok3n-tok3n-tok3n12"

func testServer(t *testing.T) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	writeFixture(t, dir)
	l, err := Open(dir, &Config{Poll: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	l.counter.Wait()
	return &Server{Log: l, Token: testToken}, dir
}

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Host = "127.0.0.1:7878"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestWebTokenOnEveryPath(t *testing.T) {
	s, _ := testServer(t)
	key := fileName("1_local", base)
	paths := []string{"/", "/index.html", "/app.js", "/style.css", "/api/sessions", "/api/transcript?key=" + key, "/api/events", "/export?key=" + key + "&format=txt"}
	for _, p := range paths {
		for _, prefix := range []string{"", "/nottoken", "/" + testToken[:len(testToken)-1], "/" + testToken + "x", "/" + strings.ToUpper(testToken), "/static"} {
			w := get(t, s, "GET", prefix+p)
			assert.Equal(t, http.StatusNotFound, w.Code, "GET %s without the token must be refused", prefix+p)
			assert.NotContains(t, w.Body.String(), "execkit", "a refusal says nothing of the viewer")
			assert.NotEmpty(t, w.Header().Get("Content-Security-Policy"), "a 404 carries the CSP too")
		}
	}
	for _, p := range []string{"/", "/app.js", "/style.css", "/api/sessions", "/api/transcript?key=" + key, "/export?key=" + key + "&format=txt"} {
		w := get(t, s, "GET", "/"+testToken+p)
		assert.Equal(t, http.StatusOK, w.Code, "GET %s with the token", p)
	}
	w := get(t, s, "GET", "/"+testToken)
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/"+testToken+"/", w.Header().Get("Location"))

	r := httptest.NewRequest("GET", "/"+testToken+"/", nil)
	r.Host = "attacker.example:7878"
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, r)
	assert.Equal(t, http.StatusForbidden, rw.Code, "a request for another host name (DNS rebinding) is refused")

	empty := &Server{Log: s.Log}
	assert.Equal(t, http.StatusNotFound, get(t, empty, "GET", "//").Code, "no token set serves nothing")
}

func TestWebOnlyGet(t *testing.T) {
	s, _ := testServer(t)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"} {
		for _, p := range []string{"/", "/api/sessions", "/api/events", "/export"} {
			w := get(t, s, m, "/"+testToken+p)
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code, "%s %s", m, p)
			assert.Equal(t, "GET", w.Header().Get("Allow"))
			assert.Equal(t, http.StatusNotFound, get(t, s, m, p).Code, "%s %s without the token", m, p)
		}
	}
}

func TestWebHeadersAndPage(t *testing.T) {
	s, _ := testServer(t)
	w := get(t, s, "GET", "/"+testToken+"/")
	csp := w.Header().Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "script-src 'self'")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
	page := w.Body.String()
	assert.NotRegexp(t, `(?i)\son[a-z]+\s*=`, page, "no inline event handlers")
	assert.NotRegexp(t, `(?i)<script>|<script [^>]*>[^<]`, page, "no inline script")
	assert.NotRegexp(t, `(?i)style\s*=`, page, "no inline style")
	assert.NotRegexp(t, `https?://`, page, "nothing is loaded from elsewhere")
	js := get(t, s, "GET", "/"+testToken+"/app.js").Body.String()
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "http://", "https://"} {
		assert.False(t, strings.Contains(js, bad), "the page script never turns log text into markup, yet it holds %q", bad)
	}
	for _, m := range regexp.MustCompile(`fetch\([^)]*\)|method:\s*"[A-Z]+"`).FindAllString(js, -1) {
		assert.NotContains(t, m, "POST", "the page only reads")
	}
}

func TestWebEscapesTheLog(t *testing.T) {
	s, _ := testServer(t)
	key := fileName("3_docker_web", base+4000)
	w := get(t, s, "GET", "/"+testToken+"/api/transcript?key="+key)
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.NotContains(t, body, "<script>", "log text reaches the page JSON-escaped")
	assert.Contains(t, body, `\u003cscript\u003ealert(1)\u003c/script\u003e`)
	var tr struct {
		Events []*Event `json:"events"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &tr))
	assert.Equal(t, "echo '<script>alert(1)</script>'", tr.Events[2].Command, "and decodes to the exact command")
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
}

func TestWebExport(t *testing.T) {
	s, dir := testServer(t)
	key := fileName("1_local", base)
	for _, f := range []string{"txt", "md", "json"} {
		w := get(t, s, "GET", "/"+testToken+"/export?key="+key+"&format="+f)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, `attachment; filename="1_local.`+f+`"`, w.Header().Get("Content-Disposition"))
		golden(t, "export_1_local."+f, w.Body.String())
	}
	var doc struct {
		Session Session  `json:"session"`
		Events  []*Event `json:"events"`
	}
	w := get(t, s, "GET", "/"+testToken+"/export?key="+key+"&format=json")
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc), "the json export is JSON")
	assert.Equal(t, "1_local", doc.Session.ID)
	assert.Len(t, doc.Events, 4)

	assert.Equal(t, http.StatusBadRequest, get(t, s, "GET", "/"+testToken+"/export?key="+key+"&format=html").Code)
	assert.Equal(t, http.StatusNotFound, get(t, s, "GET", "/"+testToken+"/export?key=nope&format=txt").Code)

	// A command full of backticks cannot close the Markdown fence.
	a := newAuditFile(t, filepath.Join(dir, fileName("9_local", base+9)))
	a.write(openEv("9_local", "local", "/", base+9), execEv("9_local", "local", "echo '```' ````", "```\n", "", 0, 1, "/", base+10))
	s.Log.Poll()
	md := get(t, s, "GET", "/"+testToken+"/export?key="+fileName("9_local", base+9)+"&format=md").Body.String()
	assert.Contains(t, md, "`````console\n/ $ echo '```' ````\n```\n`````\n", "the fence is longer than any backtick run inside")
}

// TestWebLive: the event stream delivers a new command.
func TestWebLive(t *testing.T) {
	s, dir := testServer(t)
	ctx := t.Context()
	go s.Log.Run(ctx)
	hs := httptest.NewServer(s)
	defer hs.Close()
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/"+testToken+"/api/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	got := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	time.Sleep(100 * time.Millisecond)
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.seq = 4 // continuing the fixture's file
	a.write(execEv("1_local", "local", "make deploy <now>", "done\n", "", 0, 9, "/srv/web", base+60000))
	deadline := time.After(5 * time.Second)
	var lines []string
	for {
		select {
		case l, ok := <-got:
			require.True(t, ok, "the stream ended early: %v", lines)
			lines = append(lines, l)
			if strings.HasPrefix(l, "data: ") && strings.Contains(l, `make deploy \u003cnow\u003e`) {
				assert.Equal(t, "event: ev", lines[len(lines)-2])
				var ev Event
				require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &ev))
				assert.Equal(t, fileName("1_local", base), ev.Key)
				return
			}
		case <-deadline:
			t.Fatalf("no event came over the stream; got %q", lines)
		}
	}
}

func TestLoadToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "execkit", "watch-token")
	tok, err := LoadToken(path)
	require.NoError(t, err)
	assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, tok)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the token file is the user's only")
	again, err := LoadToken(path)
	require.NoError(t, err)
	assert.Equal(t, tok, again, "the token is kept: the URL stays the same")
	require.NoError(t, os.Chmod(path, 0o644))
	other, err := LoadToken(path)
	require.NoError(t, err)
	assert.NotEqual(t, tok, other, "a token others could read is replaced")
	info, _ = os.Stat(path)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	assert.NotEqual(t, NewToken(), NewToken())
}

func TestListenLoopbackOnly(t *testing.T) {
	ln, err := Listen(0, false)
	require.NoError(t, err)
	defer ln.Close()
	assert.True(t, strings.HasPrefix(ln.Addr().String(), "127.0.0.1:"))
	taken := ln.Addr().String()[len("127.0.0.1:"):]
	var p int
	for _, c := range taken {
		p = p*10 + int(c-'0')
	}
	_, err = Listen(p, false)
	assert.Error(t, err, "a taken port without fallback is an error")
	ln2, err := Listen(p, true)
	require.NoError(t, err, "with fallback, a free port")
	defer ln2.Close()
	assert.NotEqual(t, ln.Addr().String(), ln2.Addr().String())
}
