package watch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Limits on what the viewer reads at once.
const (
	// maxLine is the longest line the viewer decodes; the audit writer's
	// own lines stay far below it. A longer line is skipped and counted.
	maxLine = 8 << 20
	// chunk is the unit of reading backwards from the end of a file.
	chunk = 256 << 10
)

// isAuditName reports whether a directory entry is one the viewer reads:
// the audit writer's "*.jsonl" files, never a hidden file.
func isAuditName(name string) bool {
	return strings.HasSuffix(name, ".jsonl") && !strings.HasPrefix(name, ".")
}

// listAudit returns the audit files of dir, oldest first (the writer's
// names start with the session's start time). Only regular files count: a
// symlink in the directory could point anywhere, and the viewer reads
// nothing but audit files.
func listAudit(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range entries {
		if de.Type().IsRegular() && isAuditName(de.Name()) {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// openAudit opens an audit file for reading: a regular file only, without
// following a symlink when nofollow (entries of a directory), and without
// blocking on a FIFO put in its place.
func openAudit(path string, nofollow bool) (*os.File, os.FileInfo, error) {
	flags := os.O_RDONLY | nonblockFlag
	if nofollow {
		flags |= nofollowFlag
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("watch: %s is not a regular file", path)
	}
	return f, info, nil
}

// scanLines calls fn with each complete line of f in [from, to) and its
// offset, without the newline; it stops early when fn returns false. It
// returns the offset just past the last complete line read, and how many
// lines were too long to pass on.
func scanLines(f io.ReaderAt, from, to int64, fn func(off int64, line []byte) bool) (end int64, long int, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, from, to-from), chunk)
	off := from // the start of the line being read
	var big []byte
	var bigLen int64
	skipping := false
	for {
		frag, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			bigLen += int64(len(frag))
			if !skipping {
				big = append(big, frag...)
				if len(big) > maxLine {
					big, skipping = nil, true
				}
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				// A partial last line is not read: its writer is not
				// done with it.
				return off, long, nil
			}
			return off, long, err
		}
		start := off
		off += bigLen + int64(len(frag))
		line := frag[:len(frag)-1]
		if big != nil {
			line = append(big, line...)
		}
		wasSkipping := skipping
		big, bigLen, skipping = nil, 0, false
		if wasSkipping || len(line) > maxLine {
			long++
			continue
		}
		if !fn(start, line) {
			return off, long, nil
		}
	}
}

// readLast reads events backwards from end (a line boundary) until want
// events that keep accepts are found, the file's start, or scan bytes have
// been looked at. It returns the events oldest first and the offset of the
// first line looked at: the next read continues before it.
func readLast(f io.ReaderAt, end int64, want int, scan int64, keep func(*Event) bool) (evs []*Event, from int64, long int, err error) {
	pos := end
	var carry []byte // the start of a line whose beginning is further back
	var rev []*Event
	for pos > 0 && len(rev) < want && end-pos < scan {
		n := min(int64(chunk), pos)
		buf := make([]byte, n, int(n)+len(carry))
		if _, err := f.ReadAt(buf, pos-n); err != nil && !errors.Is(err, io.EOF) {
			return nil, pos, long, err
		}
		pos -= n
		buf = append(buf, carry...)
		// Every line in buf but the first is complete.
		for len(rev) < want {
			i := bytes.LastIndexByte(buf[:max(0, len(buf)-1)], '\n')
			if i < 0 {
				break
			}
			line := buf[i+1:]
			if len(line) > 0 && line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			off := pos + int64(i+1)
			if ev, perr := parseEvent(line); perr == nil {
				ev.Off = off
				if keep == nil || keep(ev) {
					rev = append(rev, ev)
				}
			}
			buf = buf[:i+1]
		}
		if len(rev) >= want {
			from = pos + int64(len(buf))
			return reverse(rev), from, long, nil
		}
		carry = append([]byte(nil), buf...)
		if len(carry) > maxLine {
			// A line too long to show: skip back to its start.
			long++
			k := bytes.IndexByte(carry, '\n')
			for k < 0 && pos > 0 {
				m := min(int64(chunk), pos)
				b := make([]byte, m)
				if _, err := f.ReadAt(b, pos-m); err != nil && !errors.Is(err, io.EOF) {
					return reverse(rev), pos, long, err
				}
				pos -= m
				if j := bytes.LastIndexByte(b, '\n'); j >= 0 {
					pos += int64(j + 1)
					break
				}
			}
			carry = nil
		}
	}
	if pos == 0 && len(carry) > 0 && len(rev) < want && len(carry) <= maxLine {
		line := bytes.TrimSuffix(carry, []byte{'\n'})
		if ev, perr := parseEvent(line); perr == nil {
			ev.Off = 0
			if keep == nil || keep(ev) {
				rev = append(rev, ev)
			}
		}
		carry = nil
	}
	return reverse(rev), pos + int64(len(carry)), long, nil
}

func reverse(evs []*Event) []*Event {
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

// lastBoundary returns the offset just past the last newline at or before
// size: where complete lines end.
func lastBoundary(f io.ReaderAt, size int64) (int64, error) {
	pos := size
	step := int64(4 << 10) // most files end in a newline: one small read
	for pos > 0 {
		n := min(step, pos)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, pos-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return pos - n + int64(i) + 1, nil
		}
		pos -= n
		step = chunk
		if size-pos > maxLine {
			return 0, nil
		}
	}
	return 0, nil
}

// firstEvent reads the first line of f, if it is a complete event of at
// most limit bytes.
func firstEvent(f io.ReaderAt, limit int) *Event {
	for size := min(4<<10, limit); ; size = min(size*4, limit) {
		buf := make([]byte, size)
		n, _ := f.ReadAt(buf, 0)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			ev, err := parseEvent(buf[:i])
			if err != nil {
				return nil
			}
			return ev
		}
		if n < size || size >= limit {
			return nil
		}
	}
}

// lastEvent reads the last complete line before end, if it fits in limit
// bytes.
func lastEvent(f io.ReaderAt, end int64, limit int) *Event {
	if end <= 0 {
		return nil
	}
	n := min(int64(limit), end)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, end-n); err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	buf = bytes.TrimSuffix(buf, []byte{'\n'})
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && n < end {
		return nil // the line starts before what was read
	}
	ev, err := parseEvent(buf[i+1:])
	if err != nil {
		return nil
	}
	ev.Off = end - n + int64(i+1)
	return ev
}

// sessionName is the session id a per-session file's name carries
// ("20250102T150405.000Z_1_local.jsonl"), for a file whose first line
// cannot be read yet.
func sessionName(name string) string {
	stem := strings.TrimSuffix(filepath.Base(name), ".jsonl")
	if i := strings.Index(stem, "Z_"); i >= 0 {
		return stem[i+2:]
	}
	return stem
}
