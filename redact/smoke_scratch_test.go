package redact

import (
	"fmt"
	"testing"
)

func TestScratchSmoke(t *testing.T) {
	r, err := New(&Options{KindTags: true, Values: []string{"hunter2hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	in := `export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789
password=hunter2 user=bob
{"password": "s3cr3t!", "user": "x"}
Password:
[sudo] password for alice:
Authorization: Bearer abcdef123456.ghijkl789
curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA==" https://x
postgres://admin:Sup3rS3cret@db.example.com:5432/app
git clone https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r
the value hunter2hunter2 and aHVudGVyMmh1bnRlcjI= here
-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP
QRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU
-----END RSA PRIVATE KEY-----
after
commit 3f786850e387550fdab836ed7e6dc881de23001b
id 123e4567-e89b-12d3-a456-426614174000
sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
max_tokens: 100
PWD=/home/alice/src
mysql -u root -pS3cr3tPw db
`
	out, n := r.String(in)
	fmt.Println(out, n)
}

func TestScratchOne(t *testing.T) {
	r, _ := New(&Options{KindTags: true})
	for _, s := range []string{"15:Pass the token in the `Authorization: Bearer <token>` header.", "19:Set `API_TOKEN=<token>` in your shell before running the CLI."} {
		out, n := r.String(s)
		fmt.Println(out, n)
	}
}
