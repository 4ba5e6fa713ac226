package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the CLI scripts in testdata/script against the real
// binary (on PATH as execkit-mcp).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", filepath.Dir(binPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "EXECKIT_MCP_") {
					env.Setenv(strings.SplitN(kv, "=", 2)[0], "")
				}
			}
			// No docker engine is reachable here, whatever the machine runs.
			env.Setenv("DOCKER_HOST", "unix://"+filepath.Join(env.WorkDir, "no-docker.sock"))
			return nil
		},
	})
}
