package watch

import (
	"context"
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

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Flag("headless", "new"),
		chromedp.WindowSize(1280, 760), chromedp.Flag("disable-gpu", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	var mu sync.Mutex
	var problems []string
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				for _, a := range ev.Args {
					problems = append(problems, "console: "+string(a.Value)+a.Description)
				}
			}
		}
	}))
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 90*time.Second)
	defer tcancel()
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(bctx, steps...))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err)
		return s
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[any](js))
		require.NoError(t, err)
		return v
	}

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
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, problems, "the page runs without errors")
}
