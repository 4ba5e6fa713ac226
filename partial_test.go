package execkit

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A command waiting at a prompt shows its unfinished line through Partial,
// cleaned and redacted, while it runs; and nothing once it is done.
func TestPartialShowsAPromptWhileItWaits(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLocal(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	done := make(chan *Result, 1)
	go func() {
		res, err := s.Exec(ctx, `printf 'line one\nDownloading 10%%\r\033[1mDownloading 90%%\033[0m '; printf -- '- name: DB_PASSWORD\n  value: correct horse ' >&2; sleep 2`, nil)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var out, errs string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, _ = s.Partial(); out != "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // stderr was written before the sleep too
	out, errs = s.Partial()
	if out != "Downloading 90% " {
		t.Errorf("stdout partial = %q, want the progress bar's last state", out)
	}
	if strings.Contains(errs, "correct") || strings.Contains(errs, "horse") || (errs != "" && !strings.HasPrefix(errs, "  value: ")) {
		t.Errorf("stderr partial = %q: the line above names a password, so its value must not show", errs)
	}
	res := <-done
	if res.Stdout != "line one\nDownloading 90% " {
		t.Errorf("result stdout = %q", res.Stdout)
	}
	if o, e := s.Partial(); o != "" || e != "" {
		t.Errorf("after the command: Partial() = %q, %q, want nothing", o, e)
	}
}

func TestPartialLine(t *testing.T) {
	var p partialLine
	for _, w := range []string{"a\nbc", "d", "e\nfg"} {
		if n, err := p.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if got, prev := p.text(); got != "fg" || prev != "bcde" {
		t.Errorf("text() = %q, %q, want %q, %q", got, prev, "fg", "bcde")
	}
	p.Write(make([]byte, maxPartial+1))
	if got, _ := p.text(); got != "" {
		t.Errorf("an over-long line is shown: %d bytes", len(got))
	}
	p.Write([]byte("\nok"))
	if got, prev := p.text(); got != "ok" || prev != "" {
		t.Errorf("after a newline: %q, %q (an over-long line is no context)", got, prev)
	}
	// A progress bar redrawing with carriage returns never fills it up.
	for i := 0; i < 1000; i++ {
		p.Write([]byte("\rDownloading 42% [#####     ]"))
	}
	if got, _ := p.text(); got != "Downloading 42% [#####     ]" {
		t.Errorf("after redraws: %q", got)
	}
}

// The close event says why the session closed: its own end when the shell
// had already gone, else the Close.
func TestCloseEventReason(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		command, want string
	}{
		{"", "the session was closed"},
		{"exit 3", "the shell exited with status 3"},
	} {
		var reason string
		s, err := OpenLocal(ctx, nil, WithObserver(func(e *Event) {
			if e.Type == "close" {
				reason = e.Reason
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		if tc.command != "" {
			if _, err := s.Exec(ctx, tc.command, nil); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		if !strings.HasPrefix(reason, tc.want) {
			t.Errorf("after %q: close reason %q, want %q", tc.command, reason, tc.want)
		}
	}
}
