package watch

import (
	"context"
	"sort"
	"sync/atomic"
)

// tally is what the count learns of one session.
type tally struct {
	commands, failed int
	first, end       int64
	start            int64
	transport        string
}

func (t *tally) add(li lineInfo) {
	if li.typ == "exec" || li.typ == "blocked" {
		t.commands++
	}
	if li.failed {
		t.failed++
	}
}

// countHook, when a test sets it, is called by the background count after
// each piece it merges (a file of a directory, 8 MiB of a shared file), so
// a test can hold the count mid-way and check that nothing waits for it.
var countHook atomic.Pointer[func(*Log)]

func (l *Log) countStep() {
	if h := countHook.Load(); h != nil {
		(*h)(l)
	}
}

// count reads the history that was there at Open, to count each session's
// commands; what Poll reads later it counts itself. It reads without
// holding l.io: the files only grow, and a file read again from its start
// (gen bumped) is left to Poll.
func (l *Log) count(ctx context.Context) {
	defer l.counter.Done()
	if l.dir {
		l.countDir(ctx)
	} else {
		l.countShared(ctx)
	}
}

func (l *Log) countDir(ctx context.Context) {
	type job struct {
		fl  *file
		gen int
		end int64
	}
	var jobs []job
	l.mu.Lock()
	for _, fl := range l.files {
		if s := l.sessions[fl.key]; s != nil && !s.Counted {
			jobs = append(jobs, job{fl, fl.gen, fl.countEnd})
		}
	}
	l.mu.Unlock()
	// Newest first: the sessions a person looks at first.
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].fl.name > jobs[j].fl.name })
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		var t tally
		skipped := 0
		f, _, err := openAudit(j.fl.path, true)
		if err == nil {
			n := 0
			_, long, _ := scanLines(f, 0, j.end, func(_ int64, line []byte) bool {
				li, ok := peek(line)
				if !ok {
					skipped++
				} else {
					t.add(li)
				}
				n++
				return n%4096 != 0 || ctx.Err() == nil
			})
			skipped += long
			f.Close()
		}
		if ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		if s := l.sessions[j.fl.key]; s != nil && l.files[j.fl.key] == j.fl && j.fl.gen == j.gen {
			s.Commands += t.commands
			s.Failed += t.failed
			s.Counted = true
			l.skipped += skipped
			l.publish(Update{Sessions: []Session{s.Session}})
		}
		l.mu.Unlock()
		l.countStep()
	}
	l.mu.Lock()
	l.countDone = true
	l.mu.Unlock()
}

func (l *Log) countShared(ctx context.Context) {
	l.mu.Lock()
	fl := l.files[""]
	gen, end := fl.gen, fl.countEnd
	l.mu.Unlock()
	f, _, err := openAudit(fl.path, false)
	if err != nil {
		return
	}
	defer f.Close()
	tallies := map[string]*tally{}
	skipped := 0
	// flush merges what was counted so far, so counts grow as it reads.
	flush := func(done bool) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		if fl.gen != gen || l.files[""] != fl {
			return false
		}
		var u Update
		for id, t := range tallies {
			s := l.sessions[id]
			if s == nil {
				s = l.sharedSession(&Event{Session: id, Transport: t.transport, Time: t.start})
			}
			s.Commands += t.commands
			s.Failed += t.failed
			t.commands, t.failed = 0, 0
			if s.first < 0 || t.first < s.first {
				s.first = t.first
			}
			if t.end > s.end {
				s.end = t.end
			}
			if t.start != 0 && (s.Start == 0 || t.start < s.Start) {
				s.Start = t.start
			}
			u.Sessions = append(u.Sessions, s.Session)
		}
		l.skipped += skipped
		skipped = 0
		if done {
			u.Sessions = u.Sessions[:0]
			for _, s := range l.sessions {
				s.Counted = true
				u.Sessions = append(u.Sessions, s.Session)
			}
			l.countDone = true
		}
		SortSessions(u.Sessions)
		l.publish(u)
		return true
	}
	var read int64
	aborted := false
	_, long, _ := scanLines(f, 0, end, func(off int64, line []byte) bool {
		li, ok := peek(line)
		if !ok {
			skipped++
			return true
		}
		t := tallies[li.session]
		if t == nil {
			t = &tally{first: off, transport: li.transport}
			if tm, ok := peekTime(line); ok {
				t.start = tm
			}
			tallies[li.session] = t
		}
		t.add(li)
		t.end = off + int64(len(line)) + 1
		read += int64(len(line)) + 1
		if read >= 8<<20 {
			read = 0
			if ctx.Err() != nil || !flush(false) {
				aborted = true
				return false
			}
			l.countStep()
		}
		return true
	})
	skipped += long
	if !aborted && ctx.Err() == nil {
		flush(true)
	}
}
