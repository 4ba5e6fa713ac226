package watch

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answers runs call and fails the test if it does not return within d: a
// call that waits for the background count would wait for as long as the
// test holds it. d is generous; the time taken is only logged, never
// asserted, so a busy machine cannot make this test flaky.
func answers(t *testing.T, what string, d time.Duration, call func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		call()
	}()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("%s did not answer within %v while the background count was held: it waits for the count", what, d)
		return 0
	}
}

// TestStaysResponsive: with a big log open, its background count held
// mid-way (so it is certainly still running), and a writer appending in
// bursts, every call a viewer makes answers: the sessions, transcripts,
// earlier history, Poll, and the web API, and live events reach the event
// stream. Released, the count finishes and its totals agree with the
// file, bursts included.
func TestStaysResponsive(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 48 MB")
	}
	for _, c := range []struct {
		name  string
		files int
	}{{"dir of 40 files", 40}, {"one shared file", 0}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeBig(t, dir, 24<<20, c.files)
			path := dir
			if c.files == 0 {
				path = filepath.Join(dir, "audit.jsonl")
			}

			// Hold this Log's count at its first step.
			held, release := make(chan struct{}), make(chan struct{})
			var target *Log
			var once, unhold sync.Once
			var mu sync.Mutex
			hook := func(l *Log) {
				mu.Lock()
				mine := l == target
				mu.Unlock()
				if mine {
					once.Do(func() { close(held); <-release })
				}
			}
			countHook.Store(&hook)
			defer countHook.Store(nil)
			mu.Lock() // Open starts the count: target is set before it can step
			l, err := Open(path, &Config{Poll: 20 * time.Millisecond})
			if err == nil {
				target = l
			}
			mu.Unlock()
			require.NoError(t, err)
			let := func() { unhold.Do(func() { close(release) }) }
			defer func() { let(); l.Close() }()
			select {
			case <-held:
			case <-time.After(time.Minute):
				t.Fatal("the background count never reached its first step")
			}

			ctx, cancel := context.WithCancel(context.Background())
			go l.Run(ctx)
			hs := httptest.NewServer(&Server{Log: l, Token: testToken})
			defer func() { cancel(); hs.Close() }()
			stream := sseStream(t, ctx, hs.URL+"/"+testToken+"/api/events", nil)

			// The writer: bursts of 200 commands into the sessions, the
			// last one marked.
			ss := l.Sessions()
			require.NotEmpty(t, ss)
			type burstFile struct {
				a  *auditFile
				id string
			}
			var targets []burstFile
			if c.files == 0 {
				targets = append(targets, burstFile{newAuditFile(t, path), "1_local"})
			} else {
				for _, s := range ss[:3] {
					targets = append(targets, burstFile{newAuditFile(t, filepath.Join(dir, s.File)), s.ID})
				}
			}
			const bursts, per = 10, 200
			written := make(chan struct{})
			go func() {
				defer close(written)
				at := base + 1e9
				for b := 0; b < bursts; b++ {
					for i := 0; i < per; i++ {
						tg := targets[i%len(targets)]
						cmd := "echo burst-" + strconv.Itoa(b) + "-" + strconv.Itoa(i)
						if b == bursts-1 && i == per-1 {
							cmd = "echo burst-done"
						}
						at++
						tg.a.write(execEv(tg.id, "local", cmd, "x\n", "", 0, 1, "/srv/project", at))
					}
					time.Sleep(30 * time.Millisecond)
				}
			}()

			// Calls while it writes and the count is held.
			const bound = 20 * time.Second
			var worst time.Duration
			note := func(d time.Duration) { worst = max(worst, d) }
			key := ss[0].Key
			var tr *Transcript
			note(answers(t, "Transcript", bound, func() { tr, err = l.Transcript(key) }))
			require.NoError(t, err)
			require.NotEmpty(t, tr.Events)
			for round := 0; ; round++ {
				note(answers(t, "Sessions", bound, func() { ss = l.Sessions() }))
				for _, s := range ss[:min(len(ss), 5)] {
					note(answers(t, "Transcript of "+s.Key, bound, func() { _, err = l.Transcript(s.Key) }))
					require.NoError(t, err)
				}
				note(answers(t, "LoadEarlier", bound, func() { _, err = l.LoadEarlier(key, 100) }))
				require.NoError(t, err)
				note(answers(t, "Poll", bound, func() { l.Poll() }))
				for _, q := range []string{"api/sessions", "api/transcript?key=" + url.QueryEscape(key), "api/transcript?key=" + url.QueryEscape(key) + "&before=" + strconv.FormatInt(tr.Events[0].Off, 10)} {
					note(answers(t, "GET "+q, bound, func() {
						resp, err := http.Get(hs.URL + "/" + testToken + "/" + q)
						if assert.NoError(t, err) {
							resp.Body.Close()
							assert.Equal(t, http.StatusOK, resp.StatusCode, q)
						}
					}))
				}
				select {
				case <-written:
				default:
					continue
				}
				if round > 0 {
					break
				}
			}
			waitDone := time.After(bound)
		wait:
			for {
				select {
				case line, ok := <-stream:
					require.True(t, ok, "the event stream ended")
					if strings.Contains(line, "echo burst-done") {
						break wait
					}
				case <-waitDone:
					t.Fatalf("the last burst did not reach the event stream within %v while the count was held", bound)
				}
			}
			counted := 0
			for _, s := range l.Sessions() {
				if s.Counted {
					counted++
				}
			}
			assert.Less(t, counted, len(l.Sessions()), "all this happened while the background count was still running")
			t.Logf("%s: slowest call %v while the count was held", c.name, worst)

			// Released, the count ends; Poll counted the bursts itself.
			let()
			l.counter.Wait()
			l.Poll()
			want := map[string]int{}
			names, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			sort.Strings(names)
			for _, n := range names {
				b, err := os.ReadFile(n)
				require.NoError(t, err)
				for _, line := range bytes.Split(b, []byte("\n")) {
					if bytes.Contains(line, []byte(`"type":"exec"`)) {
						ev, err := parseEvent(line)
						require.NoError(t, err)
						want[ev.Session]++
					}
				}
			}
			got := map[string]int{}
			for _, s := range l.Sessions() {
				assert.True(t, s.Counted, "%s is counted", s.Key)
				got[s.ID] += s.Commands
			}
			assert.Equal(t, want, got, "the counts cover the whole file, what was written during the count included, each once")
		})
	}
}
