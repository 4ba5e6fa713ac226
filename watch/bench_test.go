package watch

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeBig writes about size bytes of audit log: files per-session files in
// dir (or one shared file when files is 0), each command's output a few
// hundred bytes to a few KiB, as an agent's are.
func writeBig(tb testing.TB, dir string, size int64, files int) {
	tb.Helper()
	prev := "5f0c6f8e0d2c9b8a7f6e5d4c3b2a19080706050403020100ffeeddccbbaa9988"
	out := make([]byte, 0, 8<<10)
	line := func(b []byte, seq int, id, typ string, at int64, i int) []byte {
		b = append(b, `{"seq":`...)
		b = strconv.AppendInt(b, int64(seq), 10)
		b = append(b, `,"prev":"`+prev+`","type":"`+typ+`","session":"`+id+`","transport":"local"`...)
		if typ == "exec" {
			b = append(b, `,"command":"go test ./pkg/`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `/...","result":{"stdout":"`...)
			for k := 0; k < 4+i%40; k++ {
				b = append(b, `ok  \tgithub.com/example/project/pkg/thing\t0.0`...)
				b = strconv.AppendInt(b, int64(k), 10)
				b = append(b, `s\n`...)
			}
			b = append(b, `","stderr":"`...)
			if i%7 == 0 {
				b = append(b, `--- FAIL: TestSomething (0.00s)\n`...)
			}
			code := 0
			if i%7 == 0 {
				code = 1
			}
			b = append(b, `","exit_code":`...)
			b = strconv.AppendInt(b, int64(code), 10)
			b = append(b, `,"cwd":"/srv/project","duration_ms":1234}`...)
		} else if typ == "open" {
			b = append(b, `,"cwd":"/srv/project"`...)
		}
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, at, 10)
		return append(b, "}\n"...)
	}
	write := func(path string, ids []string, budget int64) {
		f, err := os.Create(path)
		require.NoError(tb, err)
		w := bufio.NewWriterSize(f, 1<<20)
		var n int64
		seq := 0
		for i, id := range ids {
			seq++
			out = line(out[:0], seq, id, "open", base+int64(i), 0)
			w.Write(out)
			n += int64(len(out))
		}
		for i := 0; n < budget; i++ {
			seq++
			out = line(out[:0], seq, ids[i%len(ids)], "exec", base+int64(seq)*10, i)
			w.Write(out)
			n += int64(len(out))
		}
		require.NoError(tb, w.Flush())
		require.NoError(tb, f.Close())
	}
	if files == 0 {
		var ids []string
		for i := 1; i <= 200; i++ {
			ids = append(ids, strconv.Itoa(i)+"_local")
		}
		write(filepath.Join(dir, "audit.jsonl"), ids, size)
		return
	}
	for i := 0; i < files; i++ {
		id := strconv.Itoa(i+1) + "_local"
		write(filepath.Join(dir, fileName(id, base+int64(i)*60000)), []string{id}, size/int64(files))
	}
}

// openWork is what the viewer does before its first screen: open the log,
// list the sessions, read the selected session's tail.
func openWork(tb testing.TB, path string) (*Log, time.Duration) {
	start := time.Now()
	l, err := Open(path, nil)
	require.NoError(tb, err)
	ss := l.Sessions()
	require.NotEmpty(tb, ss)
	tr, err := l.Transcript(ss[0].Key)
	require.NoError(tb, err)
	require.NotEmpty(tb, tr.Events)
	return l, time.Since(start)
}

func readAllBytes(tb testing.TB, root string) time.Duration {
	start := time.Now()
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			f, _ := os.Open(p)
			io.Copy(io.Discard, f)
			f.Close()
		}
		return nil
	})
	return time.Since(start)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestOpenBig: a 100 MB audit directory, and a 100 MB shared file, open
// in well under a second of work, with bounded memory; the background
// count then covers every session.
func TestOpenBig(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	for _, c := range []struct {
		name  string
		files int
	}{{"dir of 400 files", 400}, {"one shared file", 0}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeBig(t, dir, 100<<20, c.files)
			path := dir
			if c.files == 0 {
				path = filepath.Join(dir, "audit.jsonl")
			}
			before := heapInUse()
			l, took := openWork(t, path)
			defer l.Close()
			held := int64(heapInUse()) - int64(before)
			t.Logf("%s, 100 MiB: first screen after %v, holding %.1f MiB", c.name, took, float64(held)/(1<<20))
			limit := time.Second
			if raceEnabled {
				limit *= 4 // the race detector slows every read down
			}
			assert.Less(t, took, limit, "a 100 MB log opens in under a second of work")
			assert.Less(t, held, int64(32<<20), "memory stays bounded: no whole-log copy")
			start := time.Now()
			l.counter.Wait()
			t.Logf("%s: background count done after %v more", c.name, time.Since(start))
			total := 0
			for _, s := range l.Sessions() {
				assert.True(t, s.Counted)
				total += s.Commands
			}
			assert.Greater(t, total, 50000, "every command is counted")
		})
	}
}

// BenchmarkOpen100MB measures the first screen of a 100 MB audit log (dir
// and shared file), against reading the same bytes once in the same run.
func BenchmarkOpen100MB(b *testing.B) {
	for _, c := range []struct {
		name  string
		files int
	}{{"dir", 400}, {"shared", 0}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			writeBig(b, dir, 100<<20, c.files)
			path := dir
			if c.files == 0 {
				path = filepath.Join(dir, "audit.jsonl")
			}
			readAll := readAllBytes(b, dir) // warms the page cache too
			var held, count int64
			var open time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				before := heapInUse()
				l, took := openWork(b, path)
				open += took
				held += int64(heapInUse()) - int64(before)
				start := time.Now()
				l.counter.Wait()
				count += int64(time.Since(start))
				l.Close()
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(open.Milliseconds())/n, "open-ms")
			b.ReportMetric(float64(held)/n/(1<<20), "held-MiB")
			b.ReportMetric(float64(count)/n/1e6, "count-ms")
			b.ReportMetric(float64(open)/n/float64(readAll), "open/readall")
			b.ReportMetric(float64(readAll.Milliseconds()), "readall-ms")
		})
	}
}
