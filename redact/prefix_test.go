package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prefixed writes a key block whose every line carries pre(n), n the line
// number, followed by one more prefixed line of ordinary text.
func prefixed(pre func(n int) string, begin, body, end string) string {
	var b strings.Builder
	n := 1
	line := func(s string) {
		b.WriteString(pre(n) + s + "\n")
		n++
	}
	line(begin)
	for _, l := range strings.Split(body, "\n") {
		line(l)
	}
	line(end)
	line("listening on :8080")
	return b.String()
}

// streamedEqual checks that a Writer fed one byte at a time writes what
// String returns.
func streamedEqual(t *testing.T, r *Redactor, in, want string, wantN int) {
	t.Helper()
	chunks := make([][]byte, len(in))
	for i := range in {
		chunks[i] = []byte{in[i]}
	}
	got, n, err := redactChunks(r, chunks)
	require.NoError(t, err)
	assert.Equal(t, want, got, "streamed byte by byte")
	assert.Equal(t, wantN, n, "streamed count")
}

// TestRedactPrefixedKeyBlock: a key block printed with a prefix on every
// line (cat -n, docker compose logs, timestamped logs, grep -n -A) is
// redacted whole, like an unprefixed one: the BEGIN line keeps its prefix,
// the body and END lines go, the next line of the same source stays.
func TestRedactPrefixedKeyBlock(t *testing.T) {
	r := mustNew(t, nil)
	rng := rand.New(rand.NewPCG(21, 22))
	body := pemBody(rng, 600)
	cases := []struct {
		name string
		pre  func(n int) string
	}{
		{"cat -n", func(n int) string { return fmt.Sprintf("%6d\t", n+5) }}, // 6 to 20: the width changes at 10
		{"nl", func(n int) string { return fmt.Sprintf("%6d  ", n) }},       // nl -ba -s'  '
		{"docker compose", func(int) string { return "web-1  | " }},         // service name and bar
		{"compose coloured then cleaned", func(int) string { return "api-worker-2  | " }},
		{"docker logs -t", func(n int) string { // RFC 3339 with trailing zeros trimmed
			return fmt.Sprintf("2024-05-01T10:00:%02d.%dZ ", n, []int{1, 25, 125, 5, 999999999}[n%5])
		}},
		{"kubectl logs --prefix", func(int) string { return "[pod/api-7d9f8/app] " }},
		{"journalctl", func(n int) string { return fmt.Sprintf("May 01 10:00:%02d host app[%d]: ", n, 900+n) }},
		{"grep -n -A", func(n int) string {
			if n == 1 {
				return "12:"
			}
			return fmt.Sprintf("%d-", 11+n)
		}},
		{"grep -rn -A", func(n int) string {
			if n == 1 {
				return "deploy/key.pem:1:"
			}
			return fmt.Sprintf("deploy/key.pem-%d-", n)
		}},
	}
	for _, c := range cases {
		for _, kind := range []string{"RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY"} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				in := prefixed(c.pre, "-----BEGIN "+kind+"-----", body, "-----END "+kind+"-----")
				lines := strings.Split(in, "\n")
				want := c.pre(1) + Replacement + "\n" + lines[len(lines)-2] + "\n"
				got, n := r.String(in)
				assert.Equal(t, want, got, "in:\n%s", in)
				assert.Equal(t, 1, n)
				assert.Empty(t, leaks(got, "", []string{body}), "key body survived")
				streamedEqual(t, r, in, want, 1)
			})
		}
	}

	// A truncated prefixed block (head -n of a log) ends at the first line
	// that is not key material; that line and the rest stay.
	pre := func(int) string { return "web-1  | " }
	in := pre(0) + "-----BEGIN RSA PRIVATE KEY-----\n" + pre(0) + strings.SplitN(body, "\n", 2)[0] + "\n" + pre(0) + "Server started\n"
	got, n := r.String(in)
	assert.Equal(t, "web-1  | [REDACTED]\nweb-1  | Server started\n", got)
	assert.Equal(t, 1, n)

	// Blank prefixed lines inside the block are part of it.
	in = "db-1 | -----BEGIN PGP PRIVATE KEY BLOCK-----\ndb-1 | \n" + prefixedBody("db-1 | ", body) + "db-1 | -----END PGP PRIVATE KEY BLOCK-----\ndb-1 | ready\n"
	got, n = r.String(in)
	assert.Equal(t, "db-1 | [REDACTED]\ndb-1 | ready\n", got)
	assert.Equal(t, 1, n)
}

func prefixedBody(pre, body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		b.WriteString(pre + l + "\n")
	}
	return b.String()
}

// TestPrefixedLogsUndamaged: prefixed output that holds no key stays as it
// is, including key markers with no key after them, certificates, and
// base64-looking lines of other sources.
func TestPrefixedLogsUndamaged(t *testing.T) {
	r := mustNew(t, nil)
	rng := rand.New(rand.NewPCG(23, 24))
	cert := pemBody(rng, 300)
	for name, in := range map[string]string{
		"compose logs": "web-1  | 2024/05/01 10:00:00 listening on :8080\n" +
			"db-1   | LOG:  database system is ready to accept connections\n" +
			"web-1  | GET /healthz 200 1.2ms\n",
		"marker without key": "web-1  | -----BEGIN RSA PRIVATE KEY-----\n" +
			"web-1  | error: key file is empty\n" +
			"web-1  | -----END RSA PRIVATE KEY-----\n",
		"marker in a message": "2024-05-01T10:00:00.1Z loading -----BEGIN PRIVATE KEY----- from vault\n" +
			"2024-05-01T10:00:00.2Z MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
		"certificate": prefixed(func(n int) string { return fmt.Sprintf("%6d\t", n) },
			"-----BEGIN CERTIFICATE-----", cert, "-----END CERTIFICATE-----"),
		"cat -n of code": "     1\tpackage main\n     2\t\n     3\timport \"fmt\"\n     4\t\n     5\tfunc main() {\n" +
			"     6\t\tfmt.Println(\"hello\")\n     7\t}\n",
		"other source after the marker": "api-1 | -----BEGIN EC PRIVATE KEY-----\n" +
			"db-1  | MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n" +
			"api-1 | key rejected\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, n := r.String(in)
			assert.Equal(t, in, got)
			assert.Zero(t, n)
		})
	}
}

// wrapLines wraps s every width characters, as base64(1) does.
func wrapLines(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	return b.String() + s + "\n"
}

// coreWindows returns the 8-character windows of every base64 encoding of
// v (both alphabets, each alignment) that only v determines.
func coreWindows(v string) []string {
	var out []string
	for _, m := range valueForms(v) {
		if !m.b64 {
			continue
		}
		for k := 0; k+8 <= len(m.full); k += 3 {
			out = append(out, string(m.full[k:k+8]))
		}
	}
	return out
}

// b64Leaks returns the windows of v's encodings that survive in out, with
// line breaks removed (a reader can join wrapped lines).
func b64Leaks(out, v string) []string {
	joined := strings.ReplaceAll(out, "\n", "")
	var found []string
	for _, w := range coreWindows(v) {
		if strings.Contains(joined, w) {
			found = append(found, w)
		}
	}
	return found
}

// TestRedactWrappedBase64Value: a declared value longer than 57 bytes, whose
// base64 wraps, is redacted on every line it spans, at any offset inside the
// encoded text and at any wrap width, as one redaction; unwrapped
// (base64 -w 0) it still is.
func TestRedactWrappedBase64Value(t *testing.T) {
	v := "postgres-admin:Zx9!kQ2#mW7$pL4&vN8*rT3^yB6(sD1)fG5-hJ0+cV2=uE7/oA9"
	require.Greater(t, len(v), 57)
	r := mustNew(t, &Options{Values: []string{v}})
	for _, width := range []int{76, 64, 20, 0} {
		for pre := 0; pre < 8; pre++ {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				plain := strings.Repeat("x", pre*7) + v + "\nother=1\n"
				e := enc.EncodeToString([]byte(plain))
				in := e + "\n"
				if width > 0 {
					in = wrapLines(e, width)
				}
				in = "$ base64 creds.txt\n" + in + "$ echo done\ndone\n"
				got, n := r.String(in)
				name := fmt.Sprintf("width %d, %d bytes before", width, pre*7)
				assert.Empty(t, b64Leaks(got, v), "%s: encoded value survived:\n%s", name, got)
				assert.Equal(t, 1, n, "%s: one value, one redaction:\n%s", name, got)
				assert.True(t, strings.HasPrefix(got, "$ base64 creds.txt\n") && strings.HasSuffix(got, "$ echo done\ndone\n"), "%s: context lost:\n%s", name, got)
				streamedEqual(t, r, in, got, n)
			}
		}
	}

	// The real tool, wrapped and not.
	if _, err := exec.LookPath("base64"); err != nil {
		t.Skip("no base64 tool")
	}
	for _, args := range [][]string{nil, {"-w", "0"}, {"-w", "64"}} {
		for _, in := range []string{v, "DATABASE_URL=" + v + "\nDEBUG=0\n"} {
			cmd := exec.Command("base64", args...)
			cmd.Stdin = strings.NewReader(in)
			b, err := cmd.Output()
			require.NoError(t, err)
			got, n := r.String(string(b))
			assert.Empty(t, b64Leaks(got, v), "base64 %v: encoded value survived:\n%s\nout:\n%s", args, b, got)
			assert.Equal(t, 1, n, "base64 %v:\n%s", args, got)
		}
	}
}

// TestWrappedBase64NoFalseMatch: lines that merely look like base64 are
// not taken for the continuation of a value.
func TestWrappedBase64NoFalseMatch(t *testing.T) {
	v := "correct-horse-battery-staple-and-then-some-more-words-to-wrap"
	r := mustNew(t, &Options{Values: []string{v}})
	rng := rand.New(rand.NewPCG(25, 26))
	other := wrapLines(base64.StdEncoding.EncodeToString(randBytes(rng, 600)), 76)
	got, n := r.String(other)
	assert.Equal(t, other, got)
	assert.Zero(t, n)

	// After the value ends, the next base64 line is left alone.
	e := base64.StdEncoding.EncodeToString([]byte(v))
	in := wrapLines(e, 76) + other
	got, n = r.String(in)
	assert.Equal(t, 1, n)
	assert.True(t, strings.HasSuffix(got, other), "lines after the value must stay:\n%s", got)
}

// TestRedactEscapesAnyCase: URL escapes with lower-case hex (%2f, as .NET
// and some shells write them) and JSON \u escapes in upper case are the
// same value.
func TestRedactEscapesAnyCase(t *testing.T) {
	v := "P@ss/W0rd?&=<X>"
	r := mustNew(t, &Options{Values: []string{v}})
	q := url.QueryEscape(v)
	lower := strings.ToLower(q)
	lowerHex := func(s string) string { // only the hex digits
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if i >= 1 && s[i-1] == '%' || i >= 2 && s[i-2] == '%' {
				b.WriteByte(strings.ToLower(s[i : i+1])[0])
				continue
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	jb, err := json.Marshal(v)
	require.NoError(t, err)
	js := strings.Trim(string(jb), `"`)
	require.Contains(t, js, `\u003c`)
	for name, enc := range map[string]string{
		"query":            q,
		"query lower hex":  lowerHex(q),
		"path lower hex":   lowerHex(url.PathEscape(v)),
		"mixed case":       strings.Replace(q, "%2F", "%2f", 1),
		"json":             js,
		"json upper hex":   strings.ReplaceAll(strings.ReplaceAll(js, `\u003c`, `\u003C`), `\u003e`, `\u003E`),
		"dotnet form body": "grant_type=password&password=" + lowerHex(q) + "&scope=api",
	} {
		t.Run(name, func(t *testing.T) {
			in := "url: https://example.com/login?user=bob&pw=" + enc + "&next=/home\n"
			got, n := r.String(in)
			assert.NotContains(t, got, enc)
			assert.GreaterOrEqual(t, n, 1, "%q -> %q", in, got)
			streamedEqual(t, r, in, got, n)
		})
	}
	// The letters of the value itself still match exactly: changing their
	// case makes another value.
	got, n := r.String("pw=" + lower)
	assert.Equal(t, "pw="+lower, got)
	assert.Zero(t, n)
}

// TestRedactBeforeOverwrite: in the session pipeline the redactor sees text
// before carriage returns and backspaces are applied (internal/clean's
// filtered Writer). A secret followed by an overwrite is still found, and
// the edits after it are kept for the cleaner to apply.
func TestRedactBeforeOverwrite(t *testing.T) {
	r := mustNew(t, nil)
	tok := "ghp_" + strings.Repeat("A1b2C3d4E5", 3) + "f6G7h8"
	for in, want := range map[string]string{
		tok + "\rxx\n":                         Replacement + "\rxx\n",
		tok + "\b\b\b\bxx\n":                   Replacement + "\b\b\b\bxx\n",
		tok + "\x1c\n":                         Replacement + "\x1c\n", // erase to the end of the line
		"10%\r" + tok + "\n":                   "10%\r" + Replacement + "\n",
		"AKIAIOSFODNN7EXAMPLF\rdone\n":         Replacement + "\rdone\n",
		"progress\rexport PGPASSWORD=hunter2!": "progress\rexport PGPASSWORD=" + Replacement,
	} {
		got, n := r.String(in)
		assert.Equal(t, want, got, "%q", in)
		assert.Equal(t, 1, n, "%q", in)
	}
}

// TestWriterRecheck: Recheck redacts one line alone and counts into the
// Writer's Count; a clean line comes back as it was.
func TestWriterRecheck(t *testing.T) {
	r := mustNew(t, &Options{KindTags: true})
	var out bytes.Buffer
	w := r.NewWriter(&out)
	_, err := w.Write([]byte("AKIAIOSFODNN7EXAMPLF\n"))
	require.NoError(t, err)
	line := []byte("ordinary line")
	assert.Equal(t, &line[0], &w.Recheck(line)[0], "a clean line is returned as it is")
	assert.Equal(t, "key [REDACTED:aws-key] composed", string(w.Recheck([]byte("key AKIAIOSFODNN7EXAMPLF composed"))))
	require.NoError(t, w.Close())
	assert.Equal(t, 2, w.Count())
	assert.Equal(t, "key [REDACTED:aws-key] ok", string(w.Recheck([]byte("key AKIAIOSFODNN7EXAMPLF ok"))), "after Close too")
	assert.Equal(t, 3, w.Count())
}
