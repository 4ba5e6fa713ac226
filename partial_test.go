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
	s, err := OpenLocal(ctx, &Config{Secrets: []string{"hunter2-very-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	done := make(chan *Result, 1)
	go func() {
		res, err := s.Exec(ctx, `printf 'line one\nDownloading 10%%\r\033[1mDownloading 90%%\033[0m '; printf 'hunter2-very-secret is set; Password: ' >&2; sleep 2`, nil)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var out, errs string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, errs = s.Partial()
		if out != "" && errs != "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out != "Downloading 90% " {
		t.Errorf("stdout partial = %q, want the progress bar's last state", out)
	}
	if errs != "[REDACTED] is set; Password: " {
		t.Errorf("stderr partial = %q, want the prompt with the secret redacted", errs)
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
	if got := p.text(); got != "fg" {
		t.Errorf("text() = %q, want %q", got, "fg")
	}
	p.Write(make([]byte, maxPartial+1))
	if got := p.text(); got != "" {
		t.Errorf("an over-long line is shown: %d bytes", len(got))
	}
	p.Write([]byte("\nok"))
	if got := p.text(); got != "ok" {
		t.Errorf("after a newline: %q", got)
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
