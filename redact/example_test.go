package redact_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/execkit/execkit/redact"
)

func Example() {
	r, err := redact.New(nil)
	if err != nil {
		panic(err)
	}
	out, n := r.String("export GITHUB_TOKEN=ghp_2xQmRk8TfVb4LnWc6ZyHa0JsPd1EgUo3Ni7r\n" +
		"psql postgres://app:Sup3r-s3cret@db:5432/app\n" +
		"commit 3f786850e387550fdab836ed7e6dc881de23001b\n")
	fmt.Print(out)
	fmt.Println(n, "redacted")
	// Output:
	// export GITHUB_TOKEN=[REDACTED]
	// psql postgres://app:[REDACTED]@db:5432/app
	// commit 3f786850e387550fdab836ed7e6dc881de23001b
	// 2 redacted
}

func ExampleRedactor_NewWriter() {
	r, _ := redact.New(&redact.Options{KindTags: true})
	w := r.NewWriter(os.Stdout)
	// The secret arrives split across writes; it is still caught.
	fmt.Fprint(w, "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0")
	fmt.Fprint(w, "MiJ9.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\nnext line\n")
	w.Close()
	fmt.Println(w.Count(), "redacted")
	// Output:
	// Authorization: Bearer [REDACTED:jwt]
	// next line
	// 1 redacted
}

func ExampleOptions_values() {
	// The operator declares the SSH password given at session open, and the
	// values of the variables listed in EXECKIT_MCP_SECRET_ENV.
	os.Setenv("DEPLOY_TOKEN", "c0rrect-h0rse-battery")
	values := append([]string{"hunter2-but-longer"}, redact.ValuesFromEnv(strings.Split("DEPLOY_TOKEN", ","))...)
	r, _ := redact.New(&redact.Options{Values: values})
	out, _ := r.String("login with hunter2-but-longer, then token YzBycmVjdC1oMHJzZS1iYXR0ZXJ5\n")
	fmt.Print(out)
	// Output:
	// login with [REDACTED], then token [REDACTED]
}
