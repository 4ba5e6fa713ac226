package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/execkit/execkit"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// FuzzTools calls the MCP server's tool handlers in-process with fuzzed
// JSON arguments: one tool per input, named by tool (a name the server does
// not declare picks one of its tools by hash, so mutated names still reach a
// handler), with a progress token when progress is set. Whatever the
// arguments, no handler panics or returns a Go error, every refusal is a
// tool error of one short line ending like a sentence, every result is JSON,
// and the server still answers a session_list through its JSON-RPC entry
// point afterwards.
//
// In the arguments, $SID, $JID, $OID and $CID stand for a live session, a
// running job in it, an output id and a checkpoint id of that session, so
// that seeds (and the inputs grown from them) get past the lookups into the
// job, output and checkpoint code.
//
// # Nothing the fuzzer writes runs on this machine
//
// The arguments name commands, hosts, containers, paths and environments.
// The safety rests on gates that hold for every input, not on the fuzzer
// being unlikely to write something harmful:
//
//   - session_create is served by a server of its own, whose manager must
//     stay empty (the test fails otherwise), and every call gets a context
//     that is already cancelled. The local transport checks it before it
//     spawns the shell; docker before its API request, and DOCKER_HOST
//     names a socket that does not exist; ssh validates its arguments and
//     resolves key_path in the key directory, then fails reading
//     known_hosts, which is a directory, before it looks up or dials the
//     host. So all of create's decoding and validation runs, and no shell,
//     container exec or connection is ever made. Unknown session ids would
//     not do for the other tools: they would stop at the lookup, and the
//     job, output and checkpoint code would never see a fuzzed value.
//   - Every other tool is served by a second server whose manager holds only
//     the session this test opens, under an operator policy file (loaded as
//     EXECKIT_MCP_POLICY_FILE would be) that allows exactly one command: the
//     text "cat". Besides allow ["cat"] and dynamic "deny", its deny pattern
//     matches every command that is not exactly "cat" on its raw text
//     (what the shell will be given: Exec and Start check after their only
//     rewrite, CRLF to LF), whatever the shell parser makes of it, so no
//     trick of quoting, expansion or wrappers gets another program past
//     the fence. The fixture checks the fence refuses near misses before
//     fuzzing starts. cat only copies its input. A deny-all policy would
//     be as safe but would start no job, leaving job_output, job_input and
//     job_signal at "unknown job".
//   - Stdin and job input only ever reach cat. The frame passes stdin as a
//     here-document with an unguessable delimiter, and an interrupt waits
//     for the shell to have read all of it (session.go); a job's input goes
//     to its pipe or terminal, which no shell reads.
//   - Other arguments never reach a shell: budgets and until patterns are
//     Go regular expressions, and checkpoints of a local session are
//     go-git operations on the temporary workspace.
//   - Defense in depth: the session's PATH holds only cat, and its cwd, HOME
//     and workspace are temporary directories, as is the checkpoint store.
//     The seeds themselves hold nothing destructive: the hostile commands in
//     them probe the fence with harmless payloads.
func FuzzTools(f *testing.F) {
	fz := newToolFuzzer(f)
	for _, s := range toolSeeds {
		f.Add(s.tool, s.args, s.progress)
	}
	f.Fuzz(fz.call)
}

// toolFuzzer is what FuzzTools keeps across inputs in one process.
type toolFuzzer struct {
	createSrv *server.MCPServer // session_create only; its context is always cancelled
	createMgr *execkit.Manager  // must stay empty
	srv       *server.MCPServer // every other tool
	mgr       *execkit.Manager  // holds only sessions opened by open
	cfg       *execkit.Config
	names     []string // every tool the server declares, sorted
	cancelled context.Context

	sid, jid, oid, cid string
}

// catOnly is the operator policy: exactly the command "cat" may run. The
// deny pattern matches any text other than "cat": empty, a first byte
// other than c, "c" then other than a, "ca" then other than t, or "cat"
// followed by anything.
const catOnly = `{
  "allow": ["cat"],
  "deny_patterns": ["(?s)^(?:$|[^c]|c(?:$|[^a])|ca(?:$|[^t])|cat.)"],
  "dynamic": "deny"
}
`

func newToolFuzzer(f *testing.F) *toolFuzzer {
	dir := f.TempDir()
	mk := func(parts ...string) string {
		p := filepath.Join(append([]string{dir}, parts...)...)
		require.NoError(f, os.MkdirAll(p, 0o700))
		return p
	}
	bin, home, ws, cpDir, keys := mk("bin"), mk("home"), mk("ws"), mk("checkpoints"), mk("keys")
	knownHosts := mk("known_hosts") // a directory: ssh.Dial fails reading it
	cat, err := exec.LookPath("cat")
	require.NoError(f, err)
	require.NoError(f, os.Symlink(cat, filepath.Join(bin, "cat")))
	require.NoError(f, os.WriteFile(filepath.Join(ws, "keep.txt"), []byte("v1\n"), 0o600))

	// A real key for key_path to find, and a symlink out of the key dir.
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(f, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(f, err)
	require.NoError(f, os.WriteFile(filepath.Join(keys, "id_fuzz"), pem.EncodeToMemory(block), 0o600))
	require.NoError(f, os.Symlink(filepath.Join(home, "outside"), filepath.Join(keys, "escape")))

	policyFile := filepath.Join(dir, "policy.json")
	require.NoError(f, os.WriteFile(policyFile, []byte(catOnly), 0o600))
	// Not XDG_CACHE_HOME as well: the fuzz workers inherit the environment,
	// and TestMain's go build would lose its build cache.
	f.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "no-docker.sock"))

	env := map[string]string{
		envPolicyFile:  policyFile,
		envKeyDir:      keys,
		envKnownHosts:  knownHosts,
		envSessionTTL:  "0",
		envMaxSessions: "4",
		// The ceiling on every timeout and job_output wait keeps one call
		// short whatever the arguments ask for.
		envTimeoutMax: "0.1",
	}
	st, errs := loadSettings(func(k string) string { return env[k] })
	require.Empty(f, errs)
	require.NotNil(f, st.policy, "the operator policy file must load")

	fz := &toolFuzzer{
		createMgr: execkit.NewManager(st.maxSessions, 0),
		mgr:       execkit.NewManager(st.maxSessions, 0),
		cfg: &execkit.Config{
			OperatorPolicy: st.policy,
			Dir:            ws,
			Env:            map[string]string{"PATH": bin, "HOME": home},
			Timeout:        5 * time.Second,
			Grace:          100 * time.Millisecond,
			OutputKeep:     1 << 20,
			Secrets:        []string{"fuzz-secret-value"},
			Workspace:      ws,
			CheckpointDir:  cpDir,
			CheckpointKeep: 4,
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fz.cancelled = ctx
	f.Cleanup(func() {
		fz.mgr.Close()
		fz.createMgr.Close()
	})
	if fz.createSrv, err = newServer(st, fz.createMgr, nil); err != nil {
		f.Fatal(err)
	}
	if fz.srv, err = newServer(st, fz.mgr, nil); err != nil {
		f.Fatal(err)
	}
	for name := range fz.srv.ListTools() {
		fz.names = append(fz.names, name)
	}
	sort.Strings(fz.names)
	for _, name := range []string{"session_create", "session_exec", "session_output", "session_destroy", "session_list",
		"session_checkpoint", "session_checkpoints", "session_restore", "job_start", "job_output", "job_input", "job_signal"} {
		require.Contains(f, fz.names, name, "FuzzTools covers every tool DESIGN lists")
	}

	// The fence must refuse anything but "cat" before the fuzzer relies on
	// it: checked through the real tool, on the real session.
	fz.ready(f)
	for _, c := range []string{"cat ", "cat\n", "\\cat", "c\"a\"t", "cat;true", "true", "$(cat)"} {
		res := fz.handle(f, "session_exec", `{"session_id":"$SID","command":`+mustJSON(f, c)+`}`, false)
		require.True(f, res.IsError, "the fence must refuse %q", c)
	}
	return fz
}

// ready makes sure the session, its job, an output id and a checkpoint
// exist: an earlier input may have destroyed the session or stopped the job.
func (fz *toolFuzzer) ready(t testing.TB) *execkit.Session {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := fz.mgr.Get(fz.sid)
	if err == nil && s.Err() != nil {
		fz.mgr.Remove(fz.sid)
		err = s.Err()
	}
	if err != nil {
		s, err = fz.mgr.Open(ctx, func(ctx context.Context) (*execkit.Session, error) {
			return execkit.OpenLocal(ctx, fz.cfg)
		})
		require.NoError(t, err)
		fz.sid, fz.jid = s.ID(), ""
		res, err := s.Exec(ctx, "cat", &execkit.ExecOptions{Stdin: "one\ntwo\nthree\n", Budget: &execkit.Budget{Keep: &execkit.Keep{Mode: "tail", N: 1}}})
		require.NoError(t, err)
		require.NotEmpty(t, res.OutputID, "a shaped output has an output_id")
		fz.oid = res.OutputID
		cp, err := s.Checkpoint(ctx, "fuzz")
		require.NoError(t, err)
		fz.cid = cp.ID
	}
	if j, err := s.Job(fz.jid); err != nil || !j.Info().Running {
		fz.waitContinued(ctx, s)
		j, err := s.Start(ctx, "cat", nil)
		require.NoError(t, err)
		fz.jid = j.ID()
	}
	return s
}

// waitContinued waits for a command that an input let continue past its
// timeout (on_timeout "continue"): until it ends, the shell is busy and
// Start refuses. It is a cat with a bounded input, so it ends soon.
func (fz *toolFuzzer) waitContinued(ctx context.Context, s *execkit.Session) {
	for _, info := range s.Jobs() {
		if info.Continued && info.Running {
			if j, err := s.Job(info.ID); err == nil {
				select {
				case <-j.Done():
				case <-ctx.Done():
				}
			}
		}
	}
}

// pick maps a fuzzed tool name to a declared one.
func (fz *toolFuzzer) pick(tool string) string {
	if fz.srv.GetTool(tool) != nil {
		return tool
	}
	h := fnv.New32a()
	h.Write([]byte(tool))
	return fz.names[h.Sum32()%uint32(len(fz.names))]
}

// handle calls one tool's handler directly, so that a panic fails the input
// with its stack rather than being turned into a tool error by the
// server's recovery.
func (fz *toolFuzzer) handle(t testing.TB, name, args string, progress bool) *mcp.CallToolResult {
	args = strings.NewReplacer("$SID", fz.sid, "$JID", fz.jid, "$OID", fz.oid, "$CID", fz.cid).Replace(args)
	req := rawRequest(name, args)
	if progress {
		req.Params.Meta = &mcp.Meta{ProgressToken: "fuzz"}
	}
	srv, ctx := fz.srv, context.Background()
	if name == "session_create" {
		srv, ctx = fz.createSrv, fz.cancelled
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	res, err := srv.GetTool(name).Handler(ctx, req)
	if err != nil {
		t.Fatalf("%s %s returned a Go error (the agent would get a JSON-RPC internal error, not a sentence): %v", name, args, err)
	}
	if res == nil || len(res.Content) != 1 {
		t.Fatalf("%s %s returned %#v, not one content item", name, args, res)
	}
	text, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		t.Fatalf("%s %s returned %T, not text", name, args, res.Content[0])
	}
	if !res.IsError {
		if !json.Valid([]byte(text.Text)) {
			t.Fatalf("%s %s returned a result that is not JSON: %q", name, args, text.Text)
		}
		return res
	}
	msg := text.Text
	switch {
	case len(msg) >= 400:
		t.Fatalf("%s %s: a tool error of %d bytes, not one short sentence: %q", name, args, len(msg), msg)
	case strings.IndexFunc(msg, unicode.IsControl) >= 0:
		t.Fatalf("%s %s: a tool error with a control character, not one line: %q", name, args, msg)
	case !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, ")") && !strings.HasSuffix(msg, "?"):
		t.Fatalf("%s %s: a tool error that does not end like a sentence: %q", name, args, msg)
	}
	return res
}

var listMessage = json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"session_list","arguments":{}}}`)

func (fz *toolFuzzer) call(t *testing.T, tool, args string, progress bool) {
	fz.ready(t)
	name := fz.pick(tool)
	res := fz.handle(t, name, args, progress)
	if name == "session_create" && !res.IsError {
		t.Fatalf("session_create %s succeeded with a cancelled context", args)
	}
	if n := fz.createMgr.Len(); n > 0 {
		for _, info := range fz.createMgr.List() {
			fz.createMgr.Remove(info.ID)
		}
		t.Fatalf("session_create %s left %d session(s) open although its context was cancelled", args, n)
	}
	if n := fz.mgr.Len(); n > 1 {
		t.Fatalf("%s %s: %d sessions, but only session_create may open one", name, args, n)
	}

	// Jobs the input started (cat, maybe on a terminal) go, so they do not
	// pile up over a long run; the fixture's job is kept.
	if s, err := fz.mgr.Get(fz.sid); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for _, info := range s.Jobs() {
			if info.Running && !info.Continued && info.ID != fz.jid {
				if j, err := s.Job(info.ID); err == nil {
					j.Signal(ctx, "KILL")
				}
			}
		}
		cancel()
	}

	// The server keeps serving, through the same entry point a client uses.
	out, err := json.Marshal(fz.srv.HandleMessage(context.Background(), listMessage))
	require.NoError(t, err)
	var resp struct {
		Result *struct {
			IsError bool `json:"isError"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(out, &resp))
	if resp.Result == nil || resp.Result.IsError {
		t.Fatalf("after %s %s the server no longer answers session_list: %s", name, args, out)
	}
}

// toolSeeds are realistic and hostile calls of every tool.
var toolSeeds = []struct {
	tool, args string
	progress   bool
}{
	// session_create: every transport's fields, and what must be refused.
	{"session_create", `{"transport":"local"}`, false},
	{"session_create", `{}`, false},
	{"session_create", `{"transport":"local","cwd":"/tmp","env":{"A":"b","LANG":"C"},"timeout_s":5,"allow":["ls","git"],"deny":["rm"],"deny_patterns":["rm\\s+-rf"],"output_budget":{"keep":{"mode":"tail","n":5},"max_chars":100}}`, false},
	{"session_create", `{"transport":"local","workspace":"/tmp/ws","auto_snapshot":true,"file_changes":false,"paths":["src","../.."],"checkpoint_ignores":["*.log","!keep"]}`, false},
	{"session_create", `{"transport":"ssh","host":"build.example.invalid","port":2222,"user":"deploy","password":"hunter2","fingerprint":"SHA256:2b4ZqG1mLd5l0b1xq9xWcHk3yCzQx0M1v3hJk6fF0aQ"}`, false},
	{"session_create", `{"transport":"ssh","host":"192.0.2.1","user":"root","key_path":"id_fuzz"}`, false},
	{"session_create", `{"transport":"ssh","host":"h.invalid","user":"u","key_path":"escape"}`, false},
	{"session_create", `{"transport":"ssh","host":"h.invalid","user":"u","key_path":"../../../etc/shadow"}`, false},
	{"session_create", `{"transport":"ssh","host":"-oProxyCommand=touch x","user":"-l root"}`, false},
	{"session_create", `{"transport":"ssh","host":"[fe80::1%eth0]","port":0,"user":"u\u0000"}`, false},
	{"session_create", `{"transport":"ssh","host":"h","user":"u","port":65536}`, false},
	{"session_create", `{"transport":"ssh","host":"h","user":"u","fingerprint":"MD5:aa:bb"}`, false},
	{"session_create", `{"transport":"docker","container":"web"}`, false},
	{"session_create", `{"transport":"docker","container":"../../x;id","host":"h"}`, false},
	{"session_create", `{"transport":"local","container":"web"}`, false},
	{"session_create", `{"transport":"LOCAL"}`, false},
	{"session_create", `{"transport":"local","allow":[]}`, false},
	{"session_create", `{"transport":"local","env":{"BASH_ENV":"/tmp/x","1X":"y"}}`, false},
	{"session_create", `{"transport":"local","env":{"A":"\u0000"},"cwd":"relative/dir"}`, false},
	{"session_create", `{"transport":"local","timeout_s":1e309,"auto_snapshot":true}`, false},
	{"session_create", `{"transport":"local","output_budget":{"grep":{"pattern":"(a+)+$","context":-1}},"deny_patterns":["("]}`, false},
	{"session_create", `{"transport":"local","deny":["/bin/rm",""],"allow":[1,null]}`, false},

	// session_exec: the one command the fence allows, with every option,
	// and commands it must refuse (harmless payloads only).
	{"session_exec", `{"session_id":"$SID","command":"cat"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","stdin":"line one\nline two\nsecret fuzz-secret-value\n","budget":{"keep":{"mode":"head_tail","n":1},"grep":{"pattern":"line","context":1},"max_chars":10}}`, true},
	{"session_exec", `{"session_id":"$SID","command":"cat","stdin":"slow","timeout_s":0.001,"on_timeout":"continue"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","stdin":"\u001b]52;c;ZXZpbA==\u0007\u001b[2K\r\n","timeout_s":0.05}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","stdin":"\nEKIN\n'EKIN'\n"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","on_timeout":"later"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","budget":{"grep":{"pattern":"(","context":1}}}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","budget":{"keep":{"mode":"middle","n":0},"extra":1}}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat /etc/hostname"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"c\\at"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat\r\n"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"echo pwned > pwned.txt"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"$(printf cat)"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat <<EOF\nid\nEOF"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat\u0000"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","stdin":"\u0000"}`, false},
	{"session_exec", `{"session_id":"$SID","command":"   "}`, false},
	{"session_exec", `{"session_id":"$SID","command":["cat"]}`, false},
	{"session_exec", `{"session_id":"$SID","command":"cat","command":"id"}`, false},
	{"session_exec", `{"session_id":"1_ssh_root@h","command":"cat"}`, false},
	{"session_exec", `{"command":"cat"}`, false},

	// session_output
	{"session_output", `{"session_id":"$SID","output_id":"$OID"}`, false},
	{"session_output", `{"session_id":"$SID","output_id":"$OID","budget":{"grep":{"pattern":"t","context":9}}}`, false},
	{"session_output", `{"session_id":"$SID","output_id":"$OID","budget":{"max_chars":1}}`, false},
	{"session_output", `{"session_id":"$SID","output_id":"../../etc/passwd"}`, false},
	{"session_output", `{"session_id":"$SID","output_id":"` + strings.Repeat("9", 100) + `"}`, false},
	{"session_output", `{"session_id":"$SID"}`, false},

	// session_destroy and session_list
	{"session_destroy", `{"session_id":"$SID"}`, false},
	{"session_destroy", `{"session_id":"0_local"}`, false},
	{"session_destroy", `{"session_id":"","force":true}`, false},
	{"session_list", `{}`, false},
	{"session_list", `null`, false},
	{"session_list", `{"session_id":"$SID"}`, false},
	{"session_list", `[]`, false},

	// checkpoints
	{"session_checkpoint", `{"session_id":"$SID","label":"before refactor"}`, false},
	{"session_checkpoint", `{"session_id":"$SID","label":"` + strings.Repeat("l", 300) + `"}`, false},
	{"session_checkpoint", `{"session_id":"$SID","label":"a\nb\u001b[31m\u2028"}`, false},
	{"session_checkpoint", `{"session_id":"$SID","label":5}`, false},
	{"session_checkpoints", `{"session_id":"$SID"}`, false},
	{"session_checkpoints", `{"session_id":"$SID","all":true}`, false},
	{"session_restore", `{"session_id":"$SID"}`, false},
	{"session_restore", `{"session_id":"$SID","checkpoint_id":"$CID"}`, false},
	{"session_restore", `{"session_id":"$SID","checkpoint_id":"--output=/x"}`, false},
	{"session_restore", `{"session_id":"$SID","checkpoint_id":"HEAD~1"}`, false},
	{"session_restore", `{"session_id":"$SID","checkpoint_id":"../../x"}`, false},

	// jobs
	{"job_start", `{"session_id":"$SID","command":"cat"}`, false},
	{"job_start", `{"session_id":"$SID","command":"cat","tty":true}`, false},
	{"job_start", `{"session_id":"$SID","command":"cat &"}`, false},
	{"job_start", `{"session_id":"$SID","command":"cat","tty":"yes"}`, false},
	{"job_start", `{"session_id":"$SID","command":""}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","wait_ms":0}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","until":"hello","wait_ms":50}`, true},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","until":"(a+)+$","wait_ms":10}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","until":"("}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","wait_ms":-1}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"$JID","wait_ms":600001}`, false},
	{"job_output", `{"session_id":"$SID","job_id":"../x"}`, false},
	{"job_input", `{"session_id":"$SID","job_id":"$JID","input":"hello\n"}`, false},
	{"job_input", `{"session_id":"$SID","job_id":"$JID","input":"\u0003\u0004\u001a"}`, false},
	{"job_input", `{"session_id":"$SID","job_id":"$JID","input":""}`, false},
	{"job_input", `{"session_id":"$SID","job_id":"$JID","input":5}`, false},
	{"job_signal", `{"session_id":"$SID","job_id":"$JID","signal":"INT"}`, false},
	{"job_signal", `{"session_id":"$SID","job_id":"$JID"}`, false},
	{"job_signal", `{"session_id":"$SID","job_id":"$JID","signal":"STOP"}`, false},
	{"job_signal", `{"session_id":"$SID","job_id":"$JID","signal":"9"}`, false},

	// Not a JSON object at all.
	{"session_exec", `{"session_id":"$SID","command":`, false},
	{"job_output", `{"session_id":"$SID"} {"job_id":"$JID"}`, false},
	{"unknown_tool", `{"session_id":"$SID"}`, false},
}
