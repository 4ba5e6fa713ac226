package redact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. On a shared machine it
// measures the work done, where wall time also counts waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds MB per CPU-second, next to the wall-clock MB/s.
func reportCPU(b *testing.B, bytes int, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(bytes)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

// buildLog returns about size bytes of realistic build and test output (go
// build/test, npm, pytest, docker, git), with a handful of secrets in it.
func buildLog(size int, secrets int) []byte {
	r := rand.New(rand.NewPCG(7, 11))
	pkgs := []string{"internal/auth", "internal/token", "internal/keys", "pkg/jwtutil", "cmd/api", "internal/store", "internal/http/middleware", "internal/billing/invoice"}
	// Ordinary words, with the ones secrets hide behind about as often as in
	// a real project's test names and logs (one word in eight).
	words := []string{"request", "session", "handler", "cache", "refresh", "user", "config", "timeout",
		"retry", "server", "client", "router", "parse", "encode", "decode", "store", "query", "event",
		"order", "invoice", "payment", "queue", "worker", "schema", "migrate", "index", "render",
		"upload", "download", "stream", "buffer", "limit", "health", "metrics", "trace", "span",
		"password", "token", "secret", "key", "auth"}
	lines := []func() string{
		func() string {
			return fmt.Sprintf("=== RUN   Test%s%s/%s_%d", strings.Title(words[r.IntN(len(words))]), strings.Title(words[r.IntN(len(words))]), words[r.IntN(len(words))], r.IntN(50))
		},
		func() string {
			return fmt.Sprintf("--- PASS: Test%s%s (0.%02ds)", strings.Title(words[r.IntN(len(words))]), strings.Title(words[r.IntN(len(words))]), r.IntN(99))
		},
		func() string {
			return fmt.Sprintf("ok  \tgithub.com/acme/billing/%s\t%d.%03ds\tcoverage: %d.%d%% of statements", pkgs[r.IntN(len(pkgs))], r.IntN(3), r.IntN(999), r.IntN(100), r.IntN(10))
		},
		func() string {
			return fmt.Sprintf("%s/%s.go:%d:%d: undefined: %s%s", pkgs[r.IntN(len(pkgs))], words[r.IntN(len(words))], r.IntN(400), r.IntN(80), words[r.IntN(len(words))], strings.Title(words[r.IntN(len(words))]))
		},
		func() string {
			return fmt.Sprintf("go: downloading github.com/%s/%s v1.%d.%d", words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(30), r.IntN(20))
		},
		func() string {
			return fmt.Sprintf("github.com/%s/%s v0.%d.%d h1:%s=", words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(30), r.IntN(20), rs(r, chB64, 43))
		},
		func() string {
			return fmt.Sprintf(`      "integrity": "sha512-%s==",`, rs(r, chB64, 86))
		},
		func() string {
			return fmt.Sprintf(`      "resolved": "https://registry.npmjs.org/%s/-/%s-%d.%d.%d.tgz",`, words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(9), r.IntN(20), r.IntN(20))
		},
		func() string {
			return fmt.Sprintf("npm warn deprecated %s@%d.%d.%d: This module is not supported, and leaks memory.", words[r.IntN(len(words))], r.IntN(9), r.IntN(20), r.IntN(20))
		},
		func() string {
			return fmt.Sprintf("tests/test_%s.py::test_%s_%s PASSED                      [ %2d%%]", words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(100))
		},
		func() string {
			return fmt.Sprintf("INFO     api.%s:%s.py:%d issued token for user_id=%d expires_in=%d", words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(300), r.IntN(1000), r.IntN(3600))
		},
		func() string {
			return fmt.Sprintf(" => [%d/9] RUN pip install -r requirements.txt  %d.%ds", r.IntN(9), r.IntN(30), r.IntN(9))
		},
		func() string {
			return fmt.Sprintf(" => => writing image sha256:%s  0.0s", rs(r, chHex, 64))
		},
		func() string {
			return fmt.Sprintf("%s %s: %s the %s %s", rs(r, chHex, 7), words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
		},
		func() string {
			return fmt.Sprintf("    /home/dev/src/billing/%s/%s.go:%d +0x%x", pkgs[r.IntN(len(pkgs))], words[r.IntN(len(words))], r.IntN(400), r.IntN(4096))
		},
		func() string {
			return fmt.Sprintf("level=info msg=%q request_id=%s duration=%dms", words[r.IntN(len(words))]+" "+words[r.IntN(len(words))], uuid(r), r.IntN(900))
		},
		func() string { return "" },
	}
	var b bytes.Buffer
	placed := 0
	for b.Len() < size {
		if secrets > 0 && r.IntN(size/80/secrets+1) == 0 && placed < secrets {
			placed++
			switch placed % 4 {
			case 0:
				fmt.Fprintf(&b, "export GITHUB_TOKEN=%s\n", gens["github_pat"](r))
			case 1:
				fmt.Fprintf(&b, "DATABASE_URL=postgres://app:%s@db:5432/app\n", password(r))
			case 2:
				fmt.Fprintf(&b, "Authorization: Bearer %s\n", jwtToken(r))
			case 3:
				fmt.Fprintf(&b, "aws_access_key_id = %s\n", gens["aws_key_id"](r))
			}
			continue
		}
		b.WriteString(lines[r.IntN(len(lines))]())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkRedact measures whole-text redaction of realistic build output
// with the full rule set. The x_regexp metric is our throughput over that of
// a single alternation of just 12 of the shape rules as one Go regexp, the
// naive design, measured in the same run.
func BenchmarkRedact(b *testing.B) {
	data := buildLog(4<<20, 12)
	r, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r.String(s)
	}
	cpu := cpuTime() - c0
	b.StopTimer()
	reportCPU(b, b.N*len(data), cpu)
	ours := float64(b.N*len(data)) / cpu.Seconds()
	b.ReportMetric(ours/naiveRegexpRate(data), "x_regexp")
}

// BenchmarkRedactWriter is the streaming path, fed in 32 KiB chunks.
func BenchmarkRedactWriter(b *testing.B) {
	data := buildLog(4<<20, 12)
	r, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		w := r.NewWriter(io.Discard)
		for off := 0; off < len(data); off += 32 << 10 {
			end := min(off+32<<10, len(data))
			w.Write(data[off:end])
		}
		w.Close()
	}
	reportCPU(b, b.N*len(data), cpuTime()-c0)
}

// BenchmarkRedactValues adds 20 operator-declared values (each in all its
// encodings) to the rule set.
func BenchmarkRedactValues(b *testing.B) {
	data := buildLog(4<<20, 12)
	rng := rand.New(rand.NewPCG(1, 1))
	var vals []string
	for i := 0; i < 20; i++ {
		vals = append(vals, password(rng))
	}
	r, err := New(&Options{Values: vals})
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r.String(s)
	}
	reportCPU(b, b.N*len(data), cpuTime()-c0)
}

var naiveOnce struct {
	rate float64
}

func naiveRegexpRate(data []byte) float64 {
	if naiveOnce.rate != 0 {
		return naiveOnce.rate
	}
	re := regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{36}|glpat-[\w-]{20}|xox[bpars]-[A-Za-z0-9-]{20,}|sk_live_[A-Za-z0-9]{20,}|AIza[\w-]{35}|npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{30,}|sk-ant-[\w-]{40,}|dop_v1_[a-f0-9]{64}|SG\.[\w.-]{60,}|eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]*`)
	sample := data[:min(len(data), 512<<10)]
	c0 := cpuTime()
	n := 0
	for cpuTime()-c0 < 300*time.Millisecond {
		re.ReplaceAll(sample, []byte(Replacement))
		n++
	}
	naiveOnce.rate = float64(n*len(sample)) / (cpuTime() - c0).Seconds()
	return naiveOnce.rate
}
