package execkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/local"
)

// A shell that cannot be started over its transport is a transport failure,
// matched by ErrTransport and by the transport's own error.
func TestTransportFailureIsTyped(t *testing.T) {
	tr := local.New()
	tr.Close()
	_, err := Open(context.Background(), tr, nil)
	if !errors.Is(err, ErrTransport) || !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Open over a closed transport: %v; want ErrTransport and transport.ErrClosed", err)
	}
	if errors.Is(err, ErrSessionEnded) {
		t.Errorf("a session that never opened did not end: %v", err)
	}
}

// A second Exec whose context ends while the first runs is ErrBusy, and
// still says which context error ended it.
func TestBusyKeepsTheContextError(t *testing.T) {
	s := open(t, nil)
	go s.Exec(context.Background(), "sleep 1", nil)
	for deadline := time.Now().Add(10 * time.Second); !s.Busy(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first command never started")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Exec(ctx, "echo second", nil)
	if !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want ErrBusy wrapping context.DeadlineExceeded", err)
	}
}
