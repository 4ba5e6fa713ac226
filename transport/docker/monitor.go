package docker

import (
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// watch starts the container watcher, once, with the first process.
func (t *Transport) watch() {
	t.watchOnce.Do(func() {
		t.watchDone = make(chan struct{})
		go t.monitor()
	})
}

// monitor follows the container's events until Close, so a process learns
// at once that it exited (exec_die) or that its container stopped or went
// away (die, destroy), even while something it started holds its output
// open. When the events API fails (a daemon restarting, a proxy that refuses
// /events) it checks every live process each second until it can subscribe
// again.
func (t *Transport) monitor() {
	defer close(t.watchDone)
	ctx := t.stopCtx
	opts := events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("container", t.id),
	)}
	for ctx.Err() == nil {
		msgs, errs := t.cli.Events(ctx, opts)
	follow:
		for {
			select {
			case m := <-msgs:
				t.event(m)
			case <-errs:
				break follow
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		for _, p := range t.live() {
			t.background(p.poke)
		}
	}
}

func (t *Transport) event(m events.Message) {
	switch m.Action {
	case events.ActionExecDie:
		id := m.Actor.Attributes["execID"]
		for _, p := range t.live() {
			if p.execID == id {
				t.background(func() { p.settle(5 * time.Second) })
			}
		}
	case events.ActionDie, events.ActionDestroy, events.ActionRestart:
		for _, p := range t.live() {
			t.background(p.poke)
		}
	}
}
