package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The compiler already checks each exported function's signature against
// execkit.h (exports.go includes it, so cgo's generated prototypes must agree
// with it). This test checks the other half: the header declares exactly the
// functions the package exports, all under the one prefix. The Python tests
// check the built library's symbol table and the cffi declarations.

var (
	headerDecl = regexp.MustCompile(`(?m)^[a-z][a-z0-9_ ]*\*?\s*\b(execkit_[a-z0-9_]+)\s*\(`)
	exportLine = regexp.MustCompile(`(?m)^//export (\S+)$`)
)

func headerFunctions(t *testing.T) []string {
	b, err := os.ReadFile("execkit.h")
	require.NoError(t, err)
	var names []string
	for _, m := range headerDecl.FindAllStringSubmatch(stripComments(string(b)), -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

func stripComments(s string) string {
	return regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(s, "")
}

func exportedFunctions(t *testing.T) []string {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range exportLine.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

func TestHeaderDeclaresExactlyTheExports(t *testing.T) {
	declared := headerFunctions(t)
	exported := exportedFunctions(t)
	require.NotEmpty(t, exported)
	assert.Equal(t, exported, declared, "execkit.h must declare every //export and nothing else")
	for _, name := range exported {
		assert.True(t, strings.HasPrefix(name, "execkit_"), "export %s must share the execkit_ prefix", name)
	}
}

func TestHeaderKindsMatchTheGoSide(t *testing.T) {
	b, err := os.ReadFile("execkit.h")
	require.NoError(t, err)
	var inHeader []string
	for _, m := range regexp.MustCompile(`#define EXECKIT_KIND_[A-Z_]+ "([a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
		inHeader = append(inHeader, m[1])
	}
	sort.Strings(inHeader)
	goKinds := []string{kindBadHandle, kindBadArgument, kindBadBudget, kindPolicyDenied, kindSessionEnded, kindBusy,
		kindUnknownOutput, kindTimeout, kindCancelled, kindTransport, kindHostKey, kindAuth, kindKeyPath, kindContainer,
		kindNotSupported, kindUnknownJob, kindJobEnded, kindTooManyJobs,
		kindNoWorkspace, kindNoGit, kindUnknownCkpt, kindInternal, kindError}
	sort.Strings(goKinds)
	assert.Equal(t, goKinds, inHeader)
	assert.Contains(t, string(b), "#define EXECKIT_ABI_VERSION 1", "execkit.h's ABI version must be abiVersion")
	assert.Equal(t, 1, abiVersion)
}
