package watch

import (
	"context"
	"sort"
	"time"
)

// Recent returns the last n events of the whole log, oldest first: in a
// directory, from the files written last.
func (l *Log) Recent(n int) ([]*Event, error) {
	if n <= 0 {
		return nil, nil
	}
	l.io.Lock()
	defer l.io.Unlock()
	type cand struct {
		fl  *file
		mod time.Time
		off int64
	}
	var cands []cand
	l.mu.Lock()
	for _, fl := range l.files {
		var mod time.Time
		if fl.info != nil {
			mod = fl.info.ModTime()
		}
		cands = append(cands, cand{fl, mod, fl.off})
	}
	l.mu.Unlock()
	sort.Slice(cands, func(i, j int) bool {
		if !cands[i].mod.Equal(cands[j].mod) {
			return cands[i].mod.After(cands[j].mod)
		}
		return cands[i].fl.name > cands[j].fl.name
	})
	if len(cands) > n {
		cands = cands[:n]
	}
	var all []*Event
	for _, c := range cands {
		f, _, err := openAudit(c.fl.path, l.dir)
		if err != nil {
			continue
		}
		evs, _, _, err := readLast(f, c.off, n, 64<<20, nil)
		f.Close()
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			ev.Key = c.fl.key
			if !l.dir {
				ev.Key = ev.Session
			}
		}
		all = append(all, evs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time < all[j].Time })
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all, nil
}

// Follow prints the last backlog events of l, then every new one as it is
// written, until ctx ends. A file truncated or replaced under it is read
// again from its start, and says so.
func Follow(ctx context.Context, l *Log, p *Printer, backlog int) error {
	evs, err := l.Recent(backlog)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := p.Print(ev); err != nil {
			return err
		}
	}
	t := time.NewTicker(l.cfg.Poll)
	defer t.Stop()
	for {
		u := l.Poll()
		if u.Reset {
			p.Note("-- the audit log was truncated or replaced: reading it again from its start")
		}
		for _, ev := range u.Events {
			if err := p.Print(ev); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
