package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rawRequest(tool, args string) mcp.CallToolRequest {
	var req mcp.CallToolRequest
	req.Params.Name = tool
	req.Params.RawArguments = json.RawMessage(args)
	return req
}

func TestDecodeArgs(t *testing.T) {
	allowed := []string{"session_id", "command", "budget", "timeout_s"}
	tests := []struct {
		name string
		raw  string
		want string // error substring; empty: no error
	}{
		{"empty", ``, ""},
		{"null", `null`, ""},
		{"object", `{"session_id": "1_local", "command": "ls"}`, ""},
		{"null value is absent", `{"session_id": null}`, ""},
		{"array", `[1, 2]`, "must be a JSON object"},
		{"string", `"ls"`, "must be a JSON object"},
		{"unknown", `{"sesion_id": "x"}`, `no argument "sesion_id"; it takes session_id, command, budget, timeout_s`},
		{"duplicate", `{"command": "ls", "command": "rm -rf /"}`, "command of x is given twice"},
		{"duplicate after null", `{"command": null, "command": "rm"}`, "given twice"},
		{"trailing data", `{"command": "ls"} {"command": "rm"}`, "data after the object"},
		{"broken", `{"command": `, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeArgs(rawRequest("x", tt.raw), allowed)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, a)
				assert.False(t, a.has("session_id") && tt.name == "null value is absent")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestArgGetters(t *testing.T) {
	a, err := decodeArgs(rawRequest("t", `{
		"s": "text", "n": 42, "f": 1.5, "big": 1e300, "neg": -3, "b": true,
		"list": ["a", "b"], "map": {"K": "v"}, "secs": 0.25, "whole": 2.0, "tiny": 1e-9
	}`), []string{"s", "n", "f", "big", "neg", "b", "list", "map", "secs", "whole", "tiny"})
	require.NoError(t, err)

	s, err := a.str("s", true)
	require.NoError(t, err)
	assert.Equal(t, "text", s)
	_, err = a.str("n", true)
	assert.EqualError(t, err, "Argument n of t must be a string, not a number.")
	_, err = a.str("missing", true)
	assert.EqualError(t, err, "t needs the argument missing.")

	n, set, err := a.integer("n", 1, 100)
	require.NoError(t, err)
	assert.True(t, set)
	assert.EqualValues(t, 42, n)
	w, _, err := a.integer("whole", 0, 10)
	require.NoError(t, err)
	assert.EqualValues(t, 2, w)
	_, _, err = a.integer("f", 0, 10)
	assert.EqualError(t, err, "Argument f of t must be a whole number, not a fraction.")
	_, _, err = a.integer("big", 0, 10)
	assert.ErrorContains(t, err, "must be a whole number")
	_, _, err = a.integer("neg", 0, 10)
	assert.EqualError(t, err, "Argument neg of t must be from 0 to 10, not -3.")
	_, _, err = a.integer("s", 0, 10)
	assert.ErrorContains(t, err, "not a string")

	d, set, err := a.seconds("secs")
	require.NoError(t, err)
	assert.True(t, set)
	assert.Equal(t, 250*time.Millisecond, d)
	_, _, err = a.seconds("neg")
	assert.EqualError(t, err, "Argument neg of t must be at least 0.001 seconds.")
	_, _, err = a.seconds("tiny")
	assert.EqualError(t, err, "Argument tiny of t must be at least 0.001 seconds.")
	_, _, err = a.seconds("b")
	assert.ErrorContains(t, err, "must be a number of seconds, not a boolean")

	b, err := a.boolean("b")
	require.NoError(t, err)
	assert.True(t, b)
	_, err = a.boolean("s")
	assert.ErrorContains(t, err, "must be true or false")

	list, err := a.strList("list", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, list)
	_, err = a.strList("list", 1)
	assert.ErrorContains(t, err, "holds 2 items, more than the 1 allowed")
	_, err = a.strList("map", 1)
	assert.ErrorContains(t, err, "must be an array of strings, not an object")

	m, err := a.strMap("map", 10)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"K": "v"}, m)
	_, err = a.strMap("list", 10)
	assert.ErrorContains(t, err, "must be an object of string values, not an array")
}

func TestBudgetArg(t *testing.T) {
	tests := []struct {
		raw  string
		want *execkit.Budget
		err  string
	}{
		{`{"keep": {"mode": "tail", "n": 5}}`, &execkit.Budget{Keep: &execkit.Keep{Mode: "tail", N: 5}}, ""},
		{`{"grep": {"pattern": "err", "context": 2}, "max_chars": 100}`, &execkit.Budget{Grep: &execkit.Grep{Pattern: "err", Context: 2}, MaxChars: 100}, ""},
		{`{"grep": {"pattern": "err"}}`, &execkit.Budget{Grep: &execkit.Grep{Pattern: "err"}}, ""},
		{`{}`, &execkit.Budget{}, ""},
		{`{"keep": {"mode": "tail", "n": 5, "extra": 1}}`, nil, `budget.keep of t has no field "extra"; it takes mode, n`},
		{`{"keep": {"n": 5}}`, nil, "budget.keep.mode is missing"},
		{`{"keep": {"mode": 5, "n": 5}}`, nil, "budget.keep.mode must be a string: head, tail or head_tail, not a number"},
		{`{"keep": "tail"}`, nil, "budget.keep of t must be an object, not a string"},
		{`{"grep": {"context": 2}}`, nil, "budget.grep.pattern is missing"},
		{`{"grep": {"pattern": "x", "context": "2"}}`, nil, "budget.grep.context must be a whole number, not a string"},
		{`{"max_chars": 1e12}`, nil, "budget.max_chars must be a whole number, not a fraction"},
		{`[1]`, nil, "Argument budget of t must be an object, not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			a, err := decodeArgs(rawRequest("t", `{"budget": `+tt.raw+`}`), []string{"budget"})
			require.NoError(t, err)
			b, err := a.budget("budget")
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.True(t, strings.HasSuffix(err.Error(), "."), "one sentence: %q", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, b)
		})
	}
}

func TestUnescapeHTML(t *testing.T) {
	tests := map[string]string{
		`{"a":"\u003cb\u003e \u0026"}`:     `{"a":"<b> &"}`,
		`{"a":"\\u003c"}`:                  `{"a":"\\u003c"}`, // a literal backslash-u: untouched
		`{"a":"\\\u003c"}`:                 `{"a":"\\<"}`,
		`{"a":"\u0000\u001b"}`:             `{"a":"\u0000\u001b"}`,
		`{"a":"\"\u003c\""}`:               `{"a":"\"<\""}`,
		`{"a":"ends with \u00"}`:           `{"a":"ends with \u00"}`,
		`{"a":"plain"}`:                    `{"a":"plain"}`,
		`{"a":"\u003e\u003e\u003e","b":1}`: `{"a":">>>","b":1}`,
	}
	for in, want := range tests {
		got := string(unescapeHTML([]byte(in)))
		assert.Equal(t, want, got, in)
	}
	// Round trip: whatever a string holds, the result decodes to it.
	for _, s := range []string{`<script>&amp;</script>`, `\u003c`, `\\`, "\x00<\u2028>", `"\u0026"`} {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		var back string
		require.NoError(t, json.Unmarshal(unescapeHTML(b), &back))
		assert.Equal(t, s, back)
	}
}

// FuzzArgs: no arguments, however hostile, crash the decoder or the
// getters, and every refusal is one line.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		`{"session_id": "1_local", "command": "ls"}`,
		`{"budget": {"keep": {"mode": "tail", "n": 5}, "grep": {"pattern": "(", "context": -1}}}`,
		`{"timeout_s": 1e309}`, `{"timeout_s": -0}`, `{"env": {"A": "b", "A": "c"}}`,
		`[]`, `"x"`, `{"command": "\u0000"}`, `{"allow": [null, 1, "x"]}`, `{"a":1}{"b":2}`,
	} {
		f.Add(seed)
	}
	names := []string{"session_id", "command", "budget", "timeout_s", "env", "allow", "port", "auto_snapshot"}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := decodeArgs(rawRequest("t", raw), names)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n")
			return
		}
		check := func(err error) {
			if err != nil {
				assert.NotContains(t, err.Error(), "\n", "one sentence, one line")
			}
		}
		_, err = a.str("session_id", true)
		check(err)
		_, err = a.budget("budget")
		check(err)
		_, _, err = a.seconds("timeout_s")
		check(err)
		_, err = a.strMap("env", 10)
		check(err)
		_, err = a.strList("allow", 10)
		check(err)
		_, _, err = a.integer("port", 1, 65535)
		check(err)
		_, err = a.boolean("auto_snapshot")
		check(err)
	})
}

func TestParseSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	st, errs := loadSettings(env(nil))
	require.Empty(t, errs)
	assert.Equal(t, 64, st.maxSessions)
	assert.Equal(t, 1800*time.Second, st.ttl)
	assert.Equal(t, time.Hour, st.timeoutMax)
	assert.EqualValues(t, 64<<20, st.outputKeep)
	assert.EqualValues(t, 32<<20, st.cpMaxFile)
	assert.Equal(t, 14, st.retentionDays)
	assert.False(t, st.insecureHosts)
	assert.False(t, st.redactKinds)

	st, errs = loadSettings(env(map[string]string{
		"EXECKIT_MCP_MAX_SESSIONS": "8", "EXECKIT_MCP_SESSION_TTL": "0", "EXECKIT_MCP_TIMEOUT_MAX": "2.5",
		"EXECKIT_MCP_OUTPUT_KEEP": "512KiB", "EXECKIT_MCP_INSECURE_ACCEPT_ANY_HOSTKEY": "TRUE",
		"EXECKIT_MCP_CHECKPOINT_MAX_FILE_SIZE": "1GiB",
		"EXECKIT_MCP_SSH_AGENT":                "0", "EXECKIT_MCP_AUDIT_RETENTION_DAYS": "0",
		"EXECKIT_MCP_SECRET_ENV": "A, B ,", "A": "alpha-secret", "B": "",
		"EXECKIT_MCP_REDACT_KINDS": "1",
	}))
	require.Empty(t, errs)
	assert.Equal(t, 8, st.maxSessions)
	assert.Zero(t, st.ttl)
	assert.Equal(t, 2500*time.Millisecond, st.timeoutMax)
	assert.EqualValues(t, 512<<10, st.outputKeep)
	assert.EqualValues(t, 1<<30, st.cpMaxFile)
	assert.True(t, st.insecureHosts)
	assert.Equal(t, []string{"A", "B"}, st.secretNames)
	assert.Equal(t, []string{"alpha-secret"}, st.secrets)
	assert.True(t, st.redactKinds)
	assert.Equal(t, 2500*time.Millisecond, st.clampTimeout(time.Hour))
	assert.Equal(t, time.Second, st.clampTimeout(time.Second))

	_, errs = loadSettings(env(map[string]string{
		"EXECKIT_MCP_MAX_SESSIONS": "-1", "EXECKIT_MCP_SESSION_TTL": "NaN", "EXECKIT_MCP_TIMEOUT_MAX": "Inf",
		"EXECKIT_MCP_OUTPUT_KEEP": "-5", "EXECKIT_MCP_SECRET_ENV": "A B", "EXECKIT_MCP_CHECKPOINT_MAX_FILE_SIZE": "0",
		"EXECKIT_MCP_REDACT_KINDS": "maybe",
	}))
	require.Len(t, errs, 7, "every bad setting is reported, not only the first")
	for _, err := range errs {
		assert.Regexp(t, `^EXECKIT_MCP_[A-Z_]+="`, err.Error(), "each error starts with the variable's name")
	}

	for in, want := range map[string]int64{"0": 0, "100": 100, "1K": 1024, "2 MiB": 2 << 20, "1GiB": 1 << 30, "7B": 7} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "x", "1.5M", "-1", "1TB", "99999999999999999999"} {
		_, err := parseBytes(in)
		assert.Error(t, err, in)
	}
}
