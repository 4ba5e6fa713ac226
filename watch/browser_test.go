package watch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds Debian's chromium (or another Chrome). Missing, the
// browser tests skip, or fail with EXECKIT_REQUIRE_FIXTURES=1.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("EXECKIT_REQUIRE_FIXTURES") == "1" {
		t.Fatal("no chromium in PATH (apt-get install chromium), and EXECKIT_REQUIRE_FIXTURES=1")
	}
	t.Skip("no chromium in PATH (apt-get install chromium)")
	return ""
}

// TestBrowser drives the page in a real headless Chromium: refused without
// the token, loads with it, shows a live command within a second, search
// works, and the log's hostile text stays text.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	writeFixture(t, dir)
	// More than a screen of history in the selected session.
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.seq = 4
	a.write(execEv("1_local", "local", "echo '<img src=x onerror=window.__pwned=1>'", "<img src=x onerror=window.__pwned=1>\n", "", 0, 1, "/srv/web", base+20000))
	l, err := Open(dir, nil) // the default Poll: what a person gets
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	ln, err := Listen(0, false)
	require.NoError(t, err)
	srv := &Server{Log: l, Token: NewToken()}
	go srv.Serve(ctx, ln)
	url := URL(ln, srv.Token)

	b := newBrowser(t, ctx, exe)
	bctx, run, text, eval := b.ctx, b.run, b.text, b.eval

	// Without the token: nothing.
	run(chromedp.Navigate(strings.TrimSuffix(url, srv.Token+"/")))
	body := text("body")
	assert.Contains(t, body, "404")
	assert.NotContains(t, body, "execkit")

	// With it: the sessions, grouped, and the active one's transcript.
	run(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#lines .ev")))
	assert.EqualValues(t, 3, eval(`document.querySelectorAll("#sessions .session").length`))
	assert.Regexp(t, `(?is)local.*1_local.*ssh.*2_ssh_bob@build.*docker.*3_docker_web`, text("#sessions"), "grouped by transport")

	// Pick the local session, the one written to next.
	local := `.session[data-key="` + fileName("1_local", base) + `"]`
	run(chromedp.Click(chromedp.CSS(local)), chromedp.WaitVisible(chromedp.Search(`//pre[contains(., "npm test")]`)))
	assert.Contains(t, text("#lines"), "<img src=x onerror=window.__pwned=1>", "hostile output shows as text")
	assert.EqualValues(t, 0, eval(`document.querySelectorAll("#lines img, #lines script").length`), "no element comes from the log's text")
	assert.Equal(t, false, eval(`!!window.__pwned`))

	// Live: a command written now shows within a second.
	start := time.Now()
	a.write(execEv("1_local", "local", "echo live-"+"now", "live output\n", "", 0, 5, "/srv/web", base+30000))
	run(chromedp.WaitVisible(chromedp.Search(`//pre[contains(., "echo live-now")]`)))
	took := time.Since(start)
	t.Logf("a new command showed on the page %v after it was written", took)
	assert.Less(t, took, time.Second, "a live command shows within a second")

	// Search: marks, and the count.
	run(chromedp.SendKeys(chromedp.CSS("#search"), "failing"), chromedp.WaitVisible(chromedp.CSS("#lines mark.current")))
	assert.EqualValues(t, 1, eval(`document.querySelectorAll("#lines mark").length`))
	assert.Equal(t, "1/1", text("#matches"))

	// Jump to the failure.
	run(chromedp.Click(chromedp.CSS("#next-error")))
	assert.Contains(t, text(".ev.current"), "npm test")

	// Export links carry the session and the format.
	attr, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS("#export-md"), "href"))
	require.NoError(t, err)
	assert.Equal(t, "export?key="+fileName("1_local", base)+"&format=md", attr.Value)
	resp, err := http.Get(url + attr.Value)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	if *update {
		// The README's picture.
		eval(`(() => { const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input")); return true })()`)
		run(chromedp.Click(chromedp.CSS(local)), chromedp.Sleep(500*time.Millisecond))
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "screenshot.png"), png, 0o644))
	}
	b.noProblems()
}

// browser is a headless Chromium tab, and what the page reported going
// wrong.
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

// newBrowser starts Chromium (exe) until ctx ends or the test does.
func newBrowser(t *testing.T, ctx context.Context, exe string) *browser {
	t.Helper()
	b := &browser{t: t}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Flag("headless", "new"),
		chromedp.WindowSize(1280, 760), chromedp.Flag("disable-gpu", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				for _, a := range ev.Args {
					b.problems = append(b.problems, "console: "+string(a.Value)+a.Description)
				}
			}
		}
	}))
	t.Cleanup(bcancel)
	bctx, tcancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(tcancel)
	b.ctx = bctx
	return b
}

func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, steps...))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err)
	return s
}

func (b *browser) eval(js string) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js))
	require.NoError(b.t, err)
	return v
}

func (b *browser) noProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Empty(b.t, b.problems, "the page runs without errors")
}

// waitJS polls js in the page until it is true.
func (b *browser) waitJS(js string, d time.Duration, what string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js)); err == nil && v {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %v (%s)", what, d, js)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserHistoryAndReconnect: a long session shows its tail, and
// "Read earlier history" reads the rest page by page, in order, up to its
// open. Then the viewer stops while the page stays open; an event written
// while it is down shows once it is back, without reloading the page.
func TestBrowserHistoryAndReconnect(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base))
	for i := 1; i <= 50; i++ {
		a.write(execEv("1_local", "local", fmt.Sprintf("echo step-%02d", i), fmt.Sprintf("step-%02d\n", i), "", 0, 1, "/srv", base+int64(i)*1000))
	}
	l, err := Open(dir, &Config{Tail: 20, Poll: 50 * time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)

	ln, err := Listen(0, false)
	require.NoError(t, err)
	addr := ln.Addr().String()
	token := NewToken()
	serve := func(ln net.Listener) (stop func()) {
		sctx, scancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&Server{Log: l, Token: token, Heartbeat: time.Second}).Serve(sctx, ln)
		}()
		return func() { scancel(); <-done }
	}
	stop := serve(ln)
	defer func() { stop() }()
	url := URL(ln, token)

	b := newBrowser(t, ctx, exe)
	count := `document.querySelectorAll("#lines .ev").length`
	ordered := `(() => { const o = Array.from(document.querySelectorAll("#lines .ev")).map((e) => Number(e.dataset.off)); return o.every((v, i) => i === 0 || v > o[i-1]) })()`
	b.run(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#lines .ev")))
	assert.EqualValues(t, 20, b.eval(count), "the tail first")
	assert.Contains(t, b.text("#lines .ev"), "step-31", "the first shown is the 31st command")
	assert.Equal(t, false, b.eval(`document.getElementById("earlier").hidden`), "and the button for the rest shows")

	b.run(chromedp.Click(chromedp.CSS("#earlier")))
	b.waitJS(count+" === 40", 10*time.Second, "the first click reads 20 more")
	assert.Contains(t, b.text("#lines .ev"), "step-11")
	assert.Equal(t, true, b.eval(ordered), "earlier history goes before, in order")
	b.run(chromedp.Click(chromedp.CSS("#earlier")))
	b.waitJS(count+" === 51", 10*time.Second, "the second click reads the rest")
	assert.Contains(t, b.text("#lines .ev"), "session 1_local opened", "down to the open")
	assert.Equal(t, true, b.eval(ordered))
	assert.Equal(t, true, b.eval(`document.getElementById("earlier").hidden`), "nothing more to read")
	for i := 1; i <= 50; i++ {
		assert.EqualValues(t, 1, b.eval(fmt.Sprintf(`Array.from(document.querySelectorAll("#lines pre.prompt")).filter((p) => p.textContent.endsWith("echo step-%02d")).length`, i)), "command %d shows once", i)
	}

	// The viewer stops; the page notices.
	stop()
	b.waitJS(`document.getElementById("conn").textContent !== "live"`, 15*time.Second, "the page shows the stream is down")
	key := fileName("1_local", base)
	a.write(execEv("1_local", "local", "echo during-the-gap", "gap\n", "", 0, 1, "/srv", base+100000))
	require.Eventually(t, func() bool {
		tr, err := l.Transcript(key)
		return err == nil && tr.Events[len(tr.Events)-1].Command == "echo during-the-gap"
	}, 10*time.Second, 20*time.Millisecond, "the Log reads the event while no page is connected")

	// Back on the same address (as a restart with the kept token is).
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	stop = serve(ln2)
	b.waitJS(`Array.from(document.querySelectorAll("#lines pre.prompt")).some((p) => p.textContent.endsWith("echo during-the-gap"))`,
		20*time.Second, "the event written while the stream was down shows after it reconnects")
	b.waitJS(`document.getElementById("conn").textContent === "live"`, 5*time.Second, "the page is live again")
	a.write(execEv("1_local", "local", "echo after-the-gap", "after\n", "", 0, 1, "/srv", base+110000))
	b.waitJS(`Array.from(document.querySelectorAll("#lines pre.prompt")).some((p) => p.textContent.endsWith("echo after-the-gap"))`,
		10*time.Second, "and new events stream again")
	assert.EqualValues(t, 1, b.eval(`Array.from(document.querySelectorAll("#lines pre.prompt")).filter((p) => p.textContent.endsWith("echo during-the-gap")).length`), "shown once")
	assert.Equal(t, true, b.eval(ordered))
	b.noProblems()
}
