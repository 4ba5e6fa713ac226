package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/policy"
	"github.com/execkit/execkit/transport/docker"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errorOf returns the error member of an answer, or nil.
func errorOf(t *testing.T, answer []byte) *errorBody {
	t.Helper()
	require.True(t, json.Valid(answer), "every answer is JSON: %s", answer)
	var v struct {
		Error *errorBody `json:"error"`
	}
	if json.Unmarshal(answer, &v) != nil {
		return nil // not an object: a list
	}
	return v.Error
}

func mustOK(t *testing.T, answer []byte, v any) {
	t.Helper()
	if e := errorOf(t, answer); e != nil {
		t.Fatalf("unexpected error answer: %s", answer)
	}
	if v != nil {
		require.NoError(t, json.Unmarshal(answer, v))
	}
}

func openLocal(t *testing.T, config string) uint64 {
	t.Helper()
	var o opened
	mustOK(t, openJSON([]byte(`{"transport":"local","config":`+config+`}`), 0), &o)
	require.NotZero(t, o.Session)
	t.Cleanup(func() { reg.remove(o.Session) })
	return o.Session
}

func execResult(t *testing.T, h uint64, command, options string) *execkit.Result {
	t.Helper()
	var r execkit.Result
	mustOK(t, execJSON(h, command, []byte(options), 0), &r)
	return &r
}

func TestOpenExecClose(t *testing.T) {
	h := openLocal(t, `{"cwd":"/","env":{"EK_TEST":"x y"},"timeout_s":30}`)
	r := execResult(t, h, "cd /tmp && echo \"$EK_TEST\"; echo err >&2; (exit 3)", "")
	assert.Equal(t, "x y\n", r.Stdout)
	assert.Equal(t, "err\n", r.Stderr)
	assert.Equal(t, 3, r.ExitCode)
	assert.Equal(t, "/tmp", r.Cwd, "cd persists into the result")

	var info opened
	mustOK(t, infoJSON(h), &info)
	assert.Equal(t, "/tmp", info.Cwd)
	assert.Equal(t, "local", info.Transport)
	assert.True(t, strings.HasSuffix(info.ID, "_local"), info.ID)

	var list []listed
	mustOK(t, sessionsJSON(), &list)
	found := false
	for _, l := range list {
		found = found || l.Session == h
	}
	assert.True(t, found, "execkit_sessions lists the open session")

	mustOK(t, closeJSON(h), nil)
	for name, answer := range map[string][]byte{
		"exec":   execJSON(h, "true", nil, 0),
		"output": outputJSON(h, "x", nil),
		"info":   infoJSON(h),
		"close":  closeJSON(h),
	} {
		e := errorOf(t, answer)
		require.NotNil(t, e, name)
		assert.Equal(t, kindBadHandle, e.Kind, "%s on a closed handle", name)
	}
}

func TestBudgetAndOutput(t *testing.T) {
	h := openLocal(t, `{}`)
	r := execResult(t, h, "seq 1 100", `{"budget":{"keep":{"mode":"tail","n":2}}}`)
	assert.Equal(t, "99\n100\n", r.Stdout)
	require.NotNil(t, r.Budget)
	assert.EqualValues(t, 100, r.Budget.Stdout.LinesTotal)
	require.NotEmpty(t, r.OutputID)

	var again execkit.Result
	mustOK(t, outputJSON(h, r.OutputID, []byte(`{"grep":{"pattern":"^5$"}}`)), &again)
	assert.Equal(t, "5\n", again.Stdout)

	e := errorOf(t, outputJSON(h, "nope", nil))
	require.NotNil(t, e)
	assert.Equal(t, kindUnknownOutput, e.Kind)

	e = errorOf(t, execJSON(h, "true", []byte(`{"budget":{"grep":{"pattern":"("}}}`), 0))
	require.NotNil(t, e)
	assert.Equal(t, kindBadBudget, e.Kind)
	assert.Equal(t, "grep.pattern", e.Details["field"])
}

func TestPolicyDenialCarriesTheRule(t *testing.T) {
	h := openLocal(t, `{"policy":{"deny":["rm"]}}`)
	e := errorOf(t, execJSON(h, "ls | xargs rm -f", nil, 0))
	require.NotNil(t, e)
	assert.Equal(t, kindPolicyDenied, e.Kind)
	assert.Equal(t, "session", e.Details["layer"])
	assert.Equal(t, "rm", e.Details["word"])
}

func TestMalformedArguments(t *testing.T) {
	h := openLocal(t, `{}`)
	cases := []struct {
		name   string
		answer []byte
		kind   string
		says   string
	}{
		{"bad JSON", openJSON([]byte(`{`), 0), kindBadArgument, "not valid JSON"},
		{"not an object", openJSON([]byte(`[1]`), 0), kindBadArgument, "JSON object"},
		{"unknown member", openJSON([]byte(`{"transprot":"local"}`), 0), kindBadArgument, `"transprot"`},
		{"unknown config member", openJSON([]byte(`{"config":{"timeout":5}}`), 0), kindBadArgument, `"timeout"`},
		{"unknown nested member", openJSON([]byte(`{"config":{"output_budget":{"keep":{"mode":"tail","n":1,"x":1}}}}`), 0), kindBadArgument, `"x"`},
		{"wrong type", openJSON([]byte(`{"config":{"env":{"A":1}}}`), 0), kindBadArgument, "must be"},
		{"negative timeout", openJSON([]byte(`{"config":{"timeout_s":-1}}`), 0), kindBadArgument, "timeout_s"},
		{"unknown transport", openJSON([]byte(`{"transport":"telnet"}`), 0), kindBadArgument, "telnet"},
		{"ssh member on local", openJSON([]byte(`{"ssh":{"host":"h","user":"u"}}`), 0), kindBadArgument, "only for transport"},
		{"ssh without target", openJSON([]byte(`{"transport":"ssh"}`), 0), kindBadArgument, "needs"},
		{"ssh bad host", openJSON([]byte(`{"transport":"ssh","ssh":{"host":"-oProxyCommand=x","user":"u"}}`), 0), kindBadArgument, ""},
		{"docker bad name", openJSON([]byte(`{"transport":"docker","docker":{"container":"../x"}}`), 0), kindBadArgument, ""},
		{"exec unknown option", execJSON(h, "true", []byte(`{"timeout":1}`), 0), kindBadArgument, `"timeout"`},
		{"exec NUL", execJSON(h, "a\x00b", nil, 0), kindBadArgument, "NUL"},
		{"exec unknown call", execJSON(h, "true", nil, 1<<62), kindBadArgument, "call id"},
		{"bad handle", execJSON(1<<60, "true", nil, 0), kindBadHandle, "handle"},
		{"output bad budget JSON", outputJSON(h, "x", []byte(`{"keep":`)), kindBadArgument, "JSON"},
		{"bad env name", openJSON([]byte(`{"config":{"env":{"A B":"x"}}}`), 0), kindError, "env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := errorOf(t, c.answer)
			require.NotNil(t, e, "%s", c.answer)
			assert.Equal(t, c.kind, e.Kind, e.Message)
			assert.Contains(t, e.Message, c.says)
			assert.True(t, strings.HasPrefix(e.Message, "execkit: ") || strings.HasPrefix(e.Message, "ssh: ") || strings.HasPrefix(e.Message, "docker: "), e.Message)
		})
	}
}

func TestCancelInterruptsExec(t *testing.T) {
	h := openLocal(t, `{}`)
	call := reg.newCall()
	go func() {
		time.Sleep(300 * time.Millisecond)
		assert.True(t, reg.cancelCall(call))
	}()
	start := time.Now()
	r := execResult2(t, h, "sleep 30", call)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.True(t, r.TimedOut, "a cancelled exec is interrupted like a timeout")
	assert.False(t, reg.cancelCall(call), "the id is released when the call returns")
	assert.Equal(t, "ok\n", execResult(t, h, "echo ok", "").Stdout, "the session goes on")

	// Cancelled before it starts: the call fails at once.
	call = reg.newCall()
	reg.cancelCall(call)
	e := errorOf(t, execJSON(h, "sleep 30", nil, call))
	require.NotNil(t, e)
	assert.Equal(t, kindCancelled, e.Kind)

	// An open can be cancelled too.
	call = reg.newCall()
	reg.cancelCall(call)
	e = errorOf(t, openJSON([]byte(`{}`), call))
	require.NotNil(t, e)
	assert.Equal(t, kindCancelled, e.Kind)
}

func execResult2(t *testing.T, h uint64, command string, call uint64) *execkit.Result {
	t.Helper()
	var r execkit.Result
	mustOK(t, execJSON(h, command, nil, call), &r)
	return &r
}

func TestConcurrentCallsOnOneSessionSerialize(t *testing.T) {
	h := openLocal(t, `{}`)
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r execkit.Result
			answer := execJSON(h, fmt.Sprintf("x=%d; sleep 0.05; echo $x", i), nil, 0)
			if errorOf(t, answer) == nil {
				json.Unmarshal(answer, &r)
			}
			results[i] = r.Stdout
		}()
	}
	wg.Wait()
	for i, out := range results {
		assert.Equal(t, fmt.Sprintf("%d\n", i), out, "each call sees its own variable: calls do not interleave")
	}
}

func TestCloseWhileExecRuns(t *testing.T) {
	h := openLocal(t, `{}`)
	done := make(chan []byte)
	go func() { done <- execJSON(h, "sleep 30", nil, 0) }()
	time.Sleep(300 * time.Millisecond)
	mustOK(t, closeJSON(h), nil)
	select {
	case answer := <-done:
		if e := errorOf(t, answer); e != nil {
			assert.Equal(t, kindSessionEnded, e.Kind)
		} else {
			var r execkit.Result
			require.NoError(t, json.Unmarshal(answer, &r))
			assert.NotEmpty(t, r.Ended, "the result says the session ended")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("close did not interrupt the running exec")
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		kind string
	}{
		{fmt.Errorf("x: %w", execkit.ErrSessionEnded), kindSessionEnded},
		{fmt.Errorf("x: %w", execkit.ErrBusy), kindBusy},
		{fmt.Errorf("x: %w", execkit.ErrUnknownOutput), kindUnknownOutput},
		{&policy.Error{Layer: "operator", Rule: "deny 'rm'"}, kindPolicyDenied},
		{&execkit.BudgetError{Field: "keep.n"}, kindBadBudget},
		{&execkit.CommandError{Reason: "empty"}, kindBadArgument},
		{&ssh.HostKeyError{Kind: ssh.HostKeyChanged, Host: "h"}, kindHostKey},
		{fmt.Errorf("x: %w", ssh.ErrAuth), kindAuth},
		{fmt.Errorf("x: %w", ssh.ErrKeyPath), kindKeyPath},
		{&ssh.ConfigError{Field: "host"}, kindBadArgument},
		{&docker.ConfigError{Field: "container"}, kindBadArgument},
		{fmt.Errorf("x: %w", docker.ErrNoContainer), kindContainer},
		{fmt.Errorf("x: %w", docker.ErrNotRunning), kindContainer},
		{fmt.Errorf("x: %w", docker.ErrUnreachable), kindTransport},
		{fmt.Errorf("x: %w", ssh.ErrConnectionLost), kindTransport},
		{context.DeadlineExceeded, kindTimeout},
		{context.Canceled, kindCancelled},
		{&dialError{errors.New("connection refused")}, kindTransport},
		{&dialError{fmt.Errorf("x: %w", ssh.ErrAuth)}, kindAuth},
		{badHandle(7), kindBadHandle},
		{errors.New("something else"), kindError},
	}
	for _, c := range cases {
		assert.Equal(t, c.kind, classify(c.err).Kind, "%v", c.err)
	}
	b := classify(&ssh.HostKeyError{Kind: ssh.HostKeyChanged, Host: "h", Fingerprint: "SHA256:x", Known: []string{"SHA256:y"}})
	assert.Equal(t, "changed", b.Details["host_key_kind"])
	assert.Equal(t, []string{"SHA256:y"}, b.Details["known"])
}

func TestPanicsBecomeInternalErrors(t *testing.T) {
	answer := onGoThread(func() []byte { panic("boom") })
	e := errorOf(t, answer)
	require.NotNil(t, e)
	assert.Equal(t, kindInternal, e.Kind)
	assert.Contains(t, e.Message, "boom")
}

// The extra members listed for the types with their own JSON methods must be
// what those methods write: a field added there and missing here would be
// refused as unknown.
func TestExtraMembersAreTheTypesOwn(t *testing.T) {
	values := []any{
		execkit.Config{Timeout: time.Second, Grace: time.Second},
		execkit.ExecOptions{Timeout: time.Second},
		ssh.Operator{DialTimeout: time.Second, KeepaliveInterval: time.Second},
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var members map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &members))
		fields := jsonFields(reflect.TypeOf(v))
		for name := range members {
			_, ok := fields[strings.ToLower(name)]
			assert.True(t, ok, "%T writes %q, which decode would refuse", v, name)
		}
		// And decode accepts what Marshal wrote.
		ptr := reflect.New(reflect.TypeOf(v)).Interface()
		assert.NoError(t, decode(b, ptr, "x"), "%T round trip", v)
	}
}

func TestDecodeNullAndEmpty(t *testing.T) {
	var o execkit.ExecOptions
	assert.NoError(t, decode(nil, &o, "options"))
	assert.NoError(t, decode([]byte(" null "), &o, "options"))
	assert.NoError(t, decode([]byte(`{"TIMEOUT_S": 2}`), &o, "options"), "names match without regard to case, as encoding/json does")
	assert.Equal(t, 2*time.Second, o.Timeout)
}

// Many calls leave no goroutine, handle or call id behind.
func TestNoLeakAcrossManyCalls(t *testing.T) {
	h := openLocal(t, `{}`)
	r := execResult(t, h, "seq 1 1000", `{"budget":{"keep":{"mode":"head","n":1}}}`)
	runtime.GC()
	baseG := runtime.NumGoroutine()
	sessions, calls := reg.counts()
	n := 20000
	if testing.Short() || raceEnabled {
		n = 2000
	}
	for i := 0; i < n; i++ {
		infoJSON(h)
		outputJSON(h, r.OutputID, []byte(`{"keep":{"mode":"tail","n":1}}`))
		execJSON(h, "", []byte(`{"bogus":1}`), reg.newCall())
		c := reg.newCall()
		reg.cancelCall(c)
		execJSON(h, "true", nil, c) // cancelled before it started
		infoJSON(1 << 60)
	}
	for i := 0; i < 200; i++ {
		execJSON(h, "echo hi", nil, reg.newCall())
	}
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	s2, c2 := reg.counts()
	assert.Equal(t, sessions, s2)
	assert.Equal(t, calls, c2, "every call id is released")
	assert.LessOrEqual(t, runtime.NumGoroutine(), baseG+2, "no goroutine is left behind")
}

func TestJobs(t *testing.T) {
	h := openLocal(t, `{}`)
	execResult(t, h, "cd /tmp && export EK_JOB=inherited", "")
	var info execkit.JobInfo
	mustOK(t, jobStartJSON(h, `echo "$EK_JOB $(pwd)"; while read -r line; do echo "got $line"; done`, nil, 0), &info)
	require.NotEmpty(t, info.ID)
	assert.True(t, info.Running)

	var out execkit.JobOutput
	mustOK(t, jobOutputJSON(h, info.ID, []byte(`{"wait_ms":5000,"until":"inherited"}`), 0), &out)
	assert.Equal(t, "inherited /tmp\n", out.Stdout, "a job inherits the shell's cwd and exports")
	assert.True(t, out.Matched)

	var written map[string]int
	mustOK(t, jobInputJSON(h, info.ID, "hello\n", 0), &written)
	assert.Equal(t, 6, written["written"])
	mustOK(t, jobOutputJSON(h, info.ID, []byte(`{"wait_ms":5000,"until":"got hello"}`), 0), &out)
	assert.Equal(t, "got hello\n", out.Stdout)

	var list []execkit.JobInfo
	mustOK(t, jobsJSON(h), &list)
	require.Len(t, list, 1)
	assert.Equal(t, info.ID, list[0].ID)

	mustOK(t, jobCloseInputJSON(h, info.ID), nil)
	mustOK(t, jobOutputJSON(h, info.ID, []byte(`{"wait_ms":5000}`), 0), &out)
	for out.Running {
		mustOK(t, jobOutputJSON(h, info.ID, []byte(`{"wait_ms":1000}`), 0), &out)
	}
	require.NotNil(t, out.ExitCode)
	assert.Equal(t, 0, *out.ExitCode)

	e := errorOf(t, jobInputJSON(h, info.ID, "late\n", 0))
	require.NotNil(t, e)
	assert.Equal(t, kindJobEnded, e.Kind)

	mustOK(t, jobStartJSON(h, "sleep 60", nil, 0), &info)
	var final execkit.JobInfo
	mustOK(t, jobSignalJSON(h, info.ID, "TERM", 0), &final)
	assert.False(t, final.Running)

	for name, c := range map[string]struct {
		answer []byte
		kind   string
	}{
		"unknown job":    {jobOutputJSON(h, "job_999", nil, 0), kindUnknownJob},
		"bad signal":     {jobSignalJSON(h, info.ID, "STOP", 0), kindBadArgument},
		"bad until":      {jobOutputJSON(h, info.ID, []byte(`{"until":"("}`), 0), kindBadArgument},
		"negative wait":  {jobOutputJSON(h, info.ID, []byte(`{"wait_ms":-1}`), 0), kindBadArgument},
		"huge wait":      {jobOutputJSON(h, info.ID, []byte(`{"wait_ms":9223372036854775807}`), 0), kindBadArgument},
		"unknown option": {jobStartJSON(h, "true", []byte(`{"pty":true}`), 0), kindBadArgument},
		"bad handle":     {jobsJSON(1 << 61), kindBadHandle},
	} {
		e := errorOf(t, c.answer)
		require.NotNil(t, e, name)
		assert.Equal(t, c.kind, e.Kind, "%s: %s", name, e.Message)
	}

	h2 := openLocal(t, `{"policy":{"deny":["curl"]}}`)
	e = errorOf(t, jobStartJSON(h2, "curl http://127.0.0.1:1", nil, 0))
	require.NotNil(t, e)
	assert.Equal(t, kindPolicyDenied, e.Kind)
}

func TestCheckpoints(t *testing.T) {
	ws := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"cwd": ws, "workspace": ws, "checkpoint_dir": t.TempDir()})
	h := openLocal(t, string(cfg))
	execResult(t, h, "echo one > a.txt", "")
	var cp execkit.Checkpoint
	mustOK(t, checkpointJSON(h, "first", 0), &cp)
	require.NotEmpty(t, cp.ID)
	assert.Equal(t, "first", cp.Label)

	execResult(t, h, "echo two > a.txt; echo new > b.txt", "")
	var rep execkit.RestoreReport
	mustOK(t, restoreJSON(h, cp.ID, 0), &rep)
	assert.Equal(t, 2, rep.FilesChanged)
	assert.Equal(t, "one\n", execResult(t, h, "cat a.txt; ls", "").Stdout[:4])

	var list []execkit.Checkpoint
	mustOK(t, checkpointsJSON(h, 0), &list)
	require.NotEmpty(t, list)
	assert.Equal(t, cp.ID, list[0].ID)

	for name, c := range map[string]struct {
		answer []byte
		kind   string
	}{
		"option-like id": {restoreJSON(h, "--output=/tmp/x", 0), kindBadArgument},
		"unknown id":     {restoreJSON(h, "deadbeefdead", 0), kindUnknownCkpt},
		"bad label":      {checkpointJSON(h, "a\x1bb", 0), kindBadArgument},
		"no workspace":   {checkpointJSON(openLocal(t, `{}`), "x", 0), kindNoWorkspace},
	} {
		e := errorOf(t, c.answer)
		require.NotNil(t, e, name)
		assert.Equal(t, c.kind, e.Kind, "%s: %s", name, e.Message)
	}
}

// An argument refused at the C boundary (a NULL pointer, a length over 2 GiB)
// still releases the call id it came with, as the header promises: the
// registry ends each round with the calls it began with, and execkit_cancel
// reports the id unknown.
func TestRejectedArgumentsReleaseTheCall(t *testing.T) {
	h := cID(openLocal(t, `{}`))
	job, input := cText("job_1"), cText("x")
	defer freeText(job)
	defer freeText(input)
	cases := []struct {
		name string
		call func(call callID) []byte
	}{
		{"exec NULL command", func(c callID) []byte { return takeAnswer(execkit_exec(h, nil, 5, nil, c)) }},
		{"exec command over 2 GiB", func(c callID) []byte { return takeAnswer(execkit_exec(h, input, 1<<33, nil, c)) }},
		{"job_start NULL command", func(c callID) []byte { return takeAnswer(execkit_job_start(h, nil, 5, nil, c)) }},
		{"job_output NULL job", func(c callID) []byte { return takeAnswer(execkit_job_output(h, nil, nil, c)) }},
		{"job_input NULL job", func(c callID) []byte { return takeAnswer(execkit_job_input(h, nil, input, 1, c)) }},
		{"job_input NULL input", func(c callID) []byte { return takeAnswer(execkit_job_input(h, job, nil, 3, c)) }},
		{"job_signal NULL job", func(c callID) []byte { return takeAnswer(execkit_job_signal(h, nil, nil, c)) }},
	}
	_, before := reg.counts()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := 0; i < 100; i++ {
				call := execkit_call_new()
				e := errorOf(t, c.call(call))
				require.NotNil(t, e)
				require.Equal(t, kindBadArgument, e.Kind, e.Message)
				require.Zero(t, execkit_cancel(call), "the refused call's id is released: execkit_cancel finds nothing")
			}
			_, calls := reg.counts()
			assert.Equal(t, before, calls, "no call id (a context and its cancel) stays in the registry")
		})
	}
}

// A call id passed twice, to a call that is running and to one refused at
// the boundary, stays the running call's: the refusal neither releases nor
// cancels it.
func TestRejectedArgumentsLeaveABusyCallAlone(t *testing.T) {
	h := openLocal(t, `{}`)
	call := execkit_call_new()
	done := make(chan []byte, 1)
	go func() { done <- execJSON(h, "sleep 30", nil, uint64(call)) }()
	require.Eventually(t, func() bool {
		reg.mu.Lock()
		defer reg.mu.Unlock()
		c := reg.calls[uint64(call)]
		return c != nil && c.busy
	}, 10*time.Second, 5*time.Millisecond)
	e := errorOf(t, takeAnswer(execkit_exec(cID(h), nil, 5, nil, call)))
	require.NotNil(t, e)
	assert.Equal(t, kindBadArgument, e.Kind)
	select {
	case answer := <-done:
		t.Fatalf("the refused call ended the running one: %s", answer)
	case <-time.After(200 * time.Millisecond):
	}
	assert.EqualValues(t, 1, execkit_cancel(call), "the running call still holds its id")
	select {
	case answer := <-done:
		var r execkit.Result
		mustOK(t, answer, &r)
		assert.True(t, r.TimedOut, "cancel interrupts the running exec")
	case <-time.After(20 * time.Second):
		t.Fatal("cancel did not interrupt the running exec")
	}
	assert.Zero(t, execkit_cancel(call), "released when the running call returned")
}
