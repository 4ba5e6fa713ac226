// Package proctree reads the local process tree from /proc, so a session can
// interrupt exactly what a command started: its descendants, not the
// background jobs that earlier commands left running.
package proctree

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process as /proc/PID/stat describes it.
type Proc struct {
	PID, PPID int
	// PGID is its process group.
	PGID int
	// Start is the start time in clock ticks after boot.
	Start uint64
}

// Snapshot returns every process visible in /proc.
func Snapshot() ([]Proc, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	procs := make([]Proc, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		p, err := Stat(pid)
		if err != nil {
			continue // it exited while we looked
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// Stat reads /proc/PID/stat.
func Stat(pid int) (Proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, err
	}
	return parseStat(pid, b)
}

func parseStat(pid int, b []byte) (Proc, error) {
	// The command name (field 2) is in parentheses and may contain spaces
	// and parentheses itself: the fields we want follow the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Proc{}, errors.New("proctree: malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is state (field 3), f[1] ppid (4), f[2] pgrp (5), f[19]
	// starttime (22).
	if len(f) < 20 {
		return Proc{}, errors.New("proctree: short stat")
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Proc{}, err
	}
	pgid, err := strconv.Atoi(f[2])
	if err != nil {
		return Proc{}, err
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return Proc{}, err
	}
	return Proc{PID: pid, PPID: ppid, PGID: pgid, Start: start}, nil
}

// Descendants returns the pids below root whose start time is at or after
// since (0: all), children before grandchildren.
//
// When root leads its process group (a session's shell does), the other
// members of that group started at or after since count as root's too, with
// what is below them, even when they are no longer below root: a process
// whose parent died of an earlier signal (`sh -c 'sleep 100 & wait'`
// interrupted: sh dies, its background sleep ignores SIGINT) is re-parented
// to init, yet it is still the interrupted command's, and the TERM and KILL
// that follow must reach it.
func Descendants(root int, since uint64) ([]int, error) {
	procs, err := Snapshot()
	if err != nil {
		return nil, err
	}
	return descendants(procs, root, since), nil
}

func descendants(procs []Proc, root int, since uint64) []int {
	children := make(map[int][]Proc)
	leads := false
	for _, p := range procs {
		children[p.PPID] = append(children[p.PPID], p)
		if p.PID == root && p.PGID == root {
			leads = true
		}
	}
	var out []int
	seen := map[int]bool{root: true}
	walk := func(top int) {
		queue := []int{top}
		for len(queue) > 0 {
			pid := queue[0]
			queue = queue[1:]
			for _, c := range children[pid] {
				if seen[c.PID] {
					continue
				}
				seen[c.PID] = true
				queue = append(queue, c.PID)
				if c.Start >= since {
					out = append(out, c.PID)
				}
			}
		}
	}
	walk(root)
	if leads && root > 1 {
		for _, p := range procs {
			if p.PGID == root && !seen[p.PID] && p.Start >= since {
				seen[p.PID] = true
				out = append(out, p.PID)
				walk(p.PID)
			}
		}
	}
	return out
}

// ticksPerSecond is USER_HZ, which Linux fixes at 100 for /proc.
const ticksPerSecond = 100

var (
	bootOnce sync.Once
	bootTime time.Time
)

// Now returns the current time in clock ticks after boot, the unit of
// Proc.Start, from /proc/uptime (10 ms precision); if that cannot be read,
// from btime (whole seconds), stepped back a second to stay on the safe side.
func Now() uint64 {
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if up, err := strconv.ParseFloat(f[0], 64); err == nil {
				return uint64(up * ticksPerSecond)
			}
		}
	}
	return nowFromBtime()
}

func nowFromBtime() uint64 {
	bootOnce.Do(func() {
		f, err := os.Open("/proc/stat")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
				if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					bootTime = time.Unix(s, 0)
				}
			}
		}
	})
	if bootTime.IsZero() {
		return 0
	}
	d := time.Since(bootTime)
	if d < 0 {
		return 0
	}
	// btime has whole-second precision: step back a second so a process
	// started just now is never judged older than the command.
	t := uint64(d / (time.Second / ticksPerSecond))
	if t > ticksPerSecond {
		t -= ticksPerSecond
	}
	return t
}

// Signal sends sig to each pid, ignoring pids that are gone.
func Signal(pids []int, sig syscall.Signal) error {
	var first error
	for _, pid := range pids {
		if pid <= 1 {
			continue // never signal init or "every process"
		}
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) && first == nil {
			first = err
		}
	}
	return first
}

// SignalByName maps "INT", "TERM", "KILL", "HUP", "QUIT", "USR1", "USR2",
// "STOP", "CONT" (with or without "SIG") to a signal.
func SignalByName(name string) (syscall.Signal, bool) {
	switch strings.TrimPrefix(strings.ToUpper(name), "SIG") {
	case "INT":
		return syscall.SIGINT, true
	case "TERM":
		return syscall.SIGTERM, true
	case "KILL":
		return syscall.SIGKILL, true
	case "HUP":
		return syscall.SIGHUP, true
	case "QUIT":
		return syscall.SIGQUIT, true
	case "USR1":
		return syscall.SIGUSR1, true
	case "USR2":
		return syscall.SIGUSR2, true
	case "STOP":
		return syscall.SIGSTOP, true
	case "CONT":
		return syscall.SIGCONT, true
	}
	return 0, false
}

// Script is a POSIX sh program for transports without a Signaler: run as
// `sh -c Script sh SIG ROOT SINCE_EPOCH [1]`, it signals every process
// Descendants(ROOT) would list that started at or after SINCE_EPOCH (Unix
// seconds; 0 for all) with SIG, and ROOT itself when the fourth argument is
// 1. Like Descendants, it counts the members of ROOT's process group when
// ROOT leads it, so a process re-parented after an earlier signal is still
// reached. It prints the pid of each process it signalled (not ROOT's), one
// a line, so a caller can tell whether anything was left. It needs only
// /proc and sh builtins, so it works in busybox containers.
const Script = `sig=$1 root=$2 since=$3 incl=${4:-0}
[ "$incl" = 1 ] && kill -s "$sig" "$root" 2>/dev/null
hz=100
btime=0
while read -r k v; do [ "$k" = btime ] && btime=$v; done </proc/stat
group=
if read -r line 2>/dev/null <"/proc/$root/stat"; then
  rest=${line##*) }
  set -- $rest
  [ "$3" = "$root" ] && group=$root
fi
kids=" $root "
changed=1
while [ $changed = 1 ]; do
  changed=0
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    case "$kids" in *" $p "*) continue;; esac
    read -r line 2>/dev/null <"$d/stat" || continue
    rest=${line##*) }
    set -- $rest
    case "$kids" in *" $2 "*) kids="$kids$p "; changed=1; continue;; esac
    [ -n "$group" ] && [ "$3" = "$group" ] && { kids="$kids$p "; changed=1; }
  done
done
for p in $kids; do
  [ "$p" = "$root" ] && continue
  if [ "$since" != 0 ]; then
    read -r line 2>/dev/null <"/proc/$p/stat" || continue
    rest=${line##*) }
    set -- $rest
    st=${20:-0}
    [ $((btime + st / hz + 1)) -lt "$since" ] && continue
  fi
  kill -s "$sig" "$p" 2>/dev/null && echo "$p"
done
exit 0
`
