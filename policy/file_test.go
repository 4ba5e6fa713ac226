package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadFile(t *testing.T) {
	p, err := LoadFile(filepath.Join("testdata", "policy.json"))
	require.NoError(t, err, "the documented example must load")
	assert.Equal(t, []string{"rm", "shutdown", "reboot", "mkfs"}, p.Deny)
	assert.Equal(t, DynamicDeny, p.Dynamic)

	f := mustCompile(t, p, nil)
	assert.NoError(t, f.Check("git status && ls | grep x"))
	assert.Error(t, f.Check("find . -name '*.o' | xargs rm"))
	assert.Error(t, f.Check("git push origin main --force"))
}

func TestLoadFileErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		content string
		want    string // substring of the error
	}{
		"unknown field":      {`{"deny": ["rm"], "alow": ["ls"]}`, `unknown field "alow"`},
		"other letter case":  {`{"Deny": ["rm"]}`, `unknown field "Deny"`},
		"repeated field":     {`{"deny": ["rm"], "deny": []}`, `field "deny" appears more than once`},
		"wrong type":         {`{"deny": "rm"}`, `field "deny": expected []string, got a JSON string`},
		"not an object":      {`["rm"]`, "a policy file must hold one JSON object"},
		"trailing data":      {`{"deny": ["rm"]} {"deny": []}`, "unexpected data after the JSON object"},
		"truncated":          {`{"deny": ["rm"`, "invalid JSON"},
		"empty file":         {``, "invalid JSON"},
		"bad syntax":         {`{"deny": [rm]}`, "invalid JSON"},
		"bad regex":          {`{"deny_patterns": ["("]}`, "operator deny_patterns[0] is not a valid regular expression: missing closing ) in"},
		"bad dynamic":        {`{"dynamic": "sometimes"}`, `operator dynamic "sometimes"`},
		"path in deny":       {`{"deny": ["/bin/rm"]}`, `operator deny[0] "/bin/rm" is a path`},
		"comment":            {"// no comments\n{}", "invalid JSON"},
		"nested unknown key": {`{"deny": ["rm"], "session": {"allow": []}}`, `unknown field "session"`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "policy.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			_, err := LoadFile(path)
			require.Error(t, err, "a bad policy file must stop the server, not load partly")
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "policy: "), err.Error())
			assert.Contains(t, err.Error(), path, "the error must name the file")
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadFile(filepath.Join(t.TempDir(), "none.json"))
		require.Error(t, err)
		assert.True(t, os.IsNotExist(unwrapAll(err)), "got %v", err)
	})
	t.Run("too large", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.json")
		big := `{"deny": ["` + strings.Repeat("a", MaxFileSize) + `"]}`
		require.NoError(t, os.WriteFile(path, []byte(big), 0o600))
		_, err := LoadFile(path)
		assert.ErrorContains(t, err, "larger than")
	})
	t.Run("empty object", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.json")
		require.NoError(t, os.WriteFile(path, []byte("{}\n"), 0o600))
		p, err := LoadFile(path)
		require.NoError(t, err)
		assert.True(t, mustCompile(t, p, nil).Empty())
	})
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
