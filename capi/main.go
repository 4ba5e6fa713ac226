// Command capi is execkit's C ABI: built with
//
//	go build -buildmode=c-shared -o libexeckit.so ./capi
//
// it exports the functions declared in execkit.h, the hand-written contract.
// Sessions are reached through opaque uint64 handles from a registry on the
// Go side, so a stale or forged handle is an error, never a crash. Options
// and results cross as JSON, decoded straight into the library's own types
// (execkit.Config, execkit.ExecOptions, execkit.Budget, ssh.Config, ...), and
// every error becomes {"error": {"kind", "message"}}.
//
// Nothing here is session logic: each export decodes its arguments, calls
// the library and encodes the answer. The Python package (python/) is the
// main consumer.
package main

func main() {}
