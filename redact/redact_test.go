package redact

import (
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustNew(t testing.TB, opts *Options) *Redactor {
	t.Helper()
	r, err := New(opts)
	require.NoError(t, err)
	return r
}

func TestRedactKeepsContext(t *testing.T) {
	r := mustNew(t, nil)
	cases := []struct{ name, in, want string }{
		{"env", "DB_PASSWORD=hunter2!x", "DB_PASSWORD=[REDACTED]"},
		{"logfmt", "user=bob password=hunter2!x host=db", "user=bob password=[REDACTED] host=db"},
		{"yaml", "  password: 's3cr3t!'", "  password: '[REDACTED]'"},
		{"json", `{"user":"bob","password":"s3cr3t!"}`, `{"user":"bob","password":"[REDACTED]"}`},
		{"bearer", "Authorization: Bearer abc123def456ghi789", "Authorization: Bearer [REDACTED]"},
		{"url", "postgres://app:s3cr3t!@db:5432/app", "postgres://app:[REDACTED]@db:5432/app"},
		{"flag", "app --password s3cr3t! --port 80", "app --password [REDACTED] --port 80"},
		{"mysql", "mysql -u root -ps3cr3t! db", "mysql -u root -p[REDACTED] db"},
		{"netrc", "machine h login u password s3cr3t!", "machine h login u password [REDACTED]"},
		{"cookie", "Cookie: theme=dark; sessionid=abcdef123456", "Cookie: theme=dark; sessionid=[REDACTED]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, n := r.String(c.in)
			assert.Equal(t, c.want, got)
			assert.Equal(t, 1, n)
		})
	}
}

func TestRedactLeavesOrdinaryOutputAlone(t *testing.T) {
	r := mustNew(t, nil)
	for _, in := range []string{
		"Password:",
		"Password: ",
		"[sudo] password for alice:",
		"Enter passphrase for key '/home/a/.ssh/id_ed25519':",
		"commit 3f786850e387550fdab836ed7e6dc881de23001b",
		"id=123e4567-e89b-12d3-a456-426614174000",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		`"integrity": "sha512-PRp66vJ865SSqOlgqS8hujT5U4AOgMfhrwYIuIhfKaoSCZcirrmASQr8CX7cUg+RMih+hgznrjp99o+W4pJLHQ=="`,
		"github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=",
		"/home/dev/.password-store/token.gpg",
		"max_tokens: 4096",
		"password: ${DB_PASSWORD}",
		"password=[REDACTED]",
		"func ParseToken(raw string) (*Token, error) {",
		"--- PASS: TestPassword (0.00s)",
		"", "\n", "no newline",
	} {
		got, n := r.String(in)
		assert.Equal(t, in, got)
		assert.Zero(t, n, "%q", in)
	}
}

func TestRedactWholeTokenNoTail(t *testing.T) {
	r := mustNew(t, nil)
	// A token longer than its format: the extra tail goes too.
	tok := "ghp_" + strings.Repeat("aB3", 20)
	got, n := r.String("token " + tok + ".")
	assert.Equal(t, "token [REDACTED].", got)
	assert.Equal(t, 1, n)
}

func TestRedactPrivateKeyBlockIsOneRedaction(t *testing.T) {
	r := mustNew(t, &Options{KindTags: true})
	rng := rand.New(rand.NewPCG(1, 1))
	in := "before\n-----BEGIN OPENSSH PRIVATE KEY-----\n" + pemBody(rng, 400) + "\n-----END OPENSSH PRIVATE KEY-----\nafter\n"
	got, n := r.String(in)
	assert.Equal(t, "before\n[REDACTED:private-key]\nafter\n", got)
	assert.Equal(t, 1, n)

	// Truncated (head of the file): the body seen so far is redacted.
	in = "-----BEGIN RSA PRIVATE KEY-----\n" + pemBody(rng, 100) + "\n$ next command\n"
	got, n = r.String(in)
	assert.Equal(t, "[REDACTED:private-key]\n$ next command\n", got)
	assert.Equal(t, 1, n)

	// A marker with no key after it is not a secret.
	got, n = r.String("-----BEGIN RSA PRIVATE KEY-----\nnot a key body line\n")
	assert.Zero(t, n)
	assert.Equal(t, "-----BEGIN RSA PRIVATE KEY-----\nnot a key body line\n", got)
}

func TestRedactKindTags(t *testing.T) {
	r := mustNew(t, &Options{KindTags: true})
	got, _ := r.String("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")
	assert.Equal(t, "AWS_ACCESS_KEY_ID=[REDACTED:aws-key]", got)
	plain := mustNew(t, nil)
	got, _ = plain.String("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")
	assert.Equal(t, "AWS_ACCESS_KEY_ID=[REDACTED]", got)
}

func TestRedactDeclaredValues(t *testing.T) {
	const v = "Tr0ub4dor&3-horse"
	r := mustNew(t, &Options{Values: []string{v, "", "abc", "hunter"}})
	b64 := base64.StdEncoding.EncodeToString([]byte(v))
	cases := map[string]string{
		"raw":          "the password is " + v + " ok",
		"url query":    "https://x/?p=" + url.QueryEscape(v),
		"url path":     "https://x/" + url.PathEscape(v) + "/y",
		"base64":       "echo " + b64,
		"base64 url":   "x " + base64.URLEncoding.EncodeToString([]byte(v)),
		"embedded b64": "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+v)),
		"json":         `{"p": "` + strings.ReplaceAll(v, "&", `\u0026`) + `"}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, n := r.String(in)
			assert.NotContains(t, got, v)
			assert.NotContains(t, got, b64[2:10])
			assert.GreaterOrEqual(t, n, 1, "%q -> %q", in, got)
		})
	}
	// Every alignment of the value inside a longer base64 string.
	for pre := 0; pre < 6; pre++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pre) + v + "tail"))
		got, n := r.String("blob " + enc + " end")
		assert.Equal(t, "blob [REDACTED] end", got, "prefix %d", pre)
		assert.Equal(t, 1, n)
	}
	// Short values only as whole words; shorter than MinValueLen: ignored.
	got, _ := r.String("hunter2 hunter abc")
	assert.Equal(t, "hunter2 [REDACTED] abc", got)
}

func TestRedactMultiLineValue(t *testing.T) {
	r := mustNew(t, &Options{Values: []string{"line-one-secret\nline-two-secret\n"}})
	got, n := r.String("a line-two-secret b\nline-one-secret\n")
	assert.Equal(t, "a [REDACTED] b\n[REDACTED]\n", got)
	assert.Equal(t, 2, n)
}

func TestNewTooManyValues(t *testing.T) {
	vals := make([]string, maxValues+1)
	for i := range vals {
		vals[i] = "value-" + strings.Repeat("x", 10) + itoa(i%1000) + string(rune('a'+i%26))
	}
	_, err := New(&Options{Values: vals})
	assert.ErrorIs(t, err, ErrTooManyValues)
}

func TestValuesFromEnv(t *testing.T) {
	t.Setenv("REDACT_TEST_A", "alpha-secret")
	t.Setenv("REDACT_TEST_EMPTY", "")
	got := ValuesFromEnv(strings.Split(" REDACT_TEST_A, ,REDACT_TEST_EMPTY,REDACT_TEST_UNSET", ","))
	assert.Equal(t, []string{"alpha-secret"}, got)
}

func TestRedactIdempotent(t *testing.T) {
	r := mustNew(t, &Options{KindTags: true})
	rng := rand.New(rand.NewPCG(2, 2))
	for _, p := range loadPositives(t) {
		once, n := r.String(p.fill(t, rng).text)
		require.Positive(t, n)
		twice, m := r.String(once)
		assert.Equal(t, once, twice, "positives.txt:%d: redacting redacted output changes it", p.line)
		assert.Zero(t, m, "positives.txt:%d", p.line)
	}
}

func TestBytesDoesNotModifyInput(t *testing.T) {
	r := mustNew(t, nil)
	in := []byte("token=ghp_" + strings.Repeat("a1", 18) + "\n")
	keep := string(in)
	out, n := r.Bytes(in)
	assert.Equal(t, keep, string(in))
	assert.Equal(t, "token=[REDACTED]\n", string(out))
	assert.Equal(t, 1, n)
	out, n = r.Bytes([]byte("clean\n"))
	assert.Equal(t, "clean\n", string(out))
	assert.Zero(t, n)
}

func TestRedactInvalidUTF8(t *testing.T) {
	r := mustNew(t, &Options{Values: []string{"\xe2\x82"}})
	in := "caf\xc3\xa9 \xff\xfe password=p\xc3\xa4ss\xe2\x82\xac!x €€"
	got, _ := r.String(in)
	assert.Contains(t, got, "password=[REDACTED]")
	assert.True(t, utf8.ValidString(strings.ToValidUTF8(in, "?")))
	clean := strings.ToValidUTF8(in, "?")
	got, _ = r.String(clean)
	assert.True(t, utf8.ValidString(got), "valid UTF-8 stays valid: %q", got)
}

// TestConcurrentUse runs one Redactor from many goroutines (go test -race).
func TestConcurrentUse(t *testing.T) {
	r := mustNew(t, &Options{Values: []string{"shared-secret-value"}})
	texts := streamInputs(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name, text := range texts {
				want, n := r.String(text)
				got, m := r.String(text)
				if got != want || n != m {
					t.Errorf("%s: concurrent results differ", name)
					return
				}
				s, k, err := redactChunks(r, [][]byte{[]byte(text)})
				if err != nil || s != want || k != n {
					t.Errorf("%s: writer differs", name)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPartialHoldsBackTheStartOfASecret(t *testing.T) {
	r, err := New(&Options{Values: []string{"correct horse battery staple", "s3cr3t-Passw0rd"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"Password: ", "Password: "},
		{"Continue? [y/N] ", "Continue? [y/N] "},
		{"Downloading .... 42% ", "Downloading .... 42% "},
		// A token still being written: held back until its line completes.
		{"token ghp_0123456789abcdefABCD", "token "},
		{"export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "export "},
		// A declared value arriving in pieces, spaces and all.
		{"it says correct horse ", "it says "},
		{"it says s3cr3t-Pa", "it says "},
		{"url-encoded: correct+horse+", "url-encoded: "},
		// Complete secrets are redacted as String would.
		{"pass: s3cr3t-Passw0rd and more ", "pass: [REDACTED] and more "},
		{"no trailing space", "no trailing "},
		{"", ""},
	} {
		got, _ := r.Partial(tc.in)
		if got != tc.want {
			t.Errorf("Partial(%q) = %q, want %q", tc.in, got, tc.want)
		}
		whole, _ := r.String(tc.in)
		if !strings.HasPrefix(whole, got) {
			t.Errorf("Partial(%q) = %q is not a prefix of String's %q", tc.in, got, whole)
		}
	}
}
