package checkpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/execkit/execkit/transport"
	"mvdan.cc/sh/v3/syntax"
)

// Runner runs a one-shot command on the workspace's machine, as
// transport.Transport.Run does (every transport is a Runner).
type Runner interface {
	Run(ctx context.Context, cmd *transport.Command) (*transport.Output, error)
}

// Remote is a Store for a workspace on another machine (an SSH host, a
// Docker container), run with that machine's git command-line tool through
// a Runner: one POSIX sh script per operation, its arguments passed as
// positional parameters (never as shell text), nothing written outside the
// shadow repository but what a restore writes.
//
// The shadow repository lives in Options.Dir on that machine, else in
// ${XDG_CACHE_HOME:-$HOME/.cache}/execkit/checkpoints of the user the
// transport runs as, named by git's hash of the workspace's physical path.
// git runs with GIT_DIR and GIT_WORK_TREE set and the user's and system's git
// configuration switched off (no hooks, filters, fsmonitor or line-ending
// conversion; files are stored byte for byte), so the user's own repository
// and settings play no part. Without git on the machine every operation
// fails with ErrNoGit.
type Remote struct {
	run   Runner
	opts  *options
	scope string // names the index and exclude file of this Paths/Ignores/limit
	mu    sync.Mutex
}

var _ Store = (*Remote)(nil)

// NewRemote returns a store for opts.Workspace on the machine r reaches. It
// validates opts and does no I/O.
func NewRemote(r Runner, opts *Options) (*Remote, error) {
	o, err := opts.check()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q\n%q\n%d\n", o.paths, o.ignores, o.maxSize)
	return &Remote{run: r, opts: o, scope: hex.EncodeToString(h.Sum(nil)[:8])}, nil
}

// remoteTimeout bounds one script; a restore, once started, is not
// cancelled by its caller's context (see Restore), only by this.
const remoteTimeout = 10 * time.Minute

// exec runs the script for op with its arguments (at most three) and
// extra, the trailing list (scope paths or refs).
func (r *Remote) exec(ctx context.Context, op string, args [3]string, extra []string) ([]byte, error) {
	max := strconv.FormatInt(r.opts.maxSize, 10)
	argv := []string{"sh", "-c", remoteScript, "execkit-checkpoint", op, r.opts.workspace, r.opts.dir, r.scope, r.excludes(), max, args[0], args[1], args[2]}
	argv = append(argv, extra...)
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	out, err := r.run.Run(ctx, &transport.Command{Argv: argv})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: running git on the host: %w", err)
	}
	if out.ExitCode == 0 {
		return out.Stdout, nil
	}
	msg := ""
	for _, line := range strings.Split(string(out.Stderr), "\n") {
		if m, ok := strings.CutPrefix(line, "execkit-checkpoint: "); ok {
			msg = m
		}
	}
	switch {
	case msg == "no-git":
		return nil, ErrNoGit
	case msg == "busy":
		return nil, ErrBusy
	case msg == "notfound":
		return nil, ErrNotFound
	case msg != "":
		return nil, errors.New("checkpoint: " + msg)
	case out.ExitCode == 127:
		return nil, fmt.Errorf("checkpoint: the host cannot run sh: %s", firstLine(out.Stderr))
	}
	return nil, fmt.Errorf("checkpoint: git failed on the host (exit %d): %s", out.ExitCode, firstLine(out.Stderr))
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// excludes is the exclude file's fixed part: the built-in patterns, the
// caller's, then the never-tracked names (last, so that nothing before
// negates them; the pathspecs in the script enforce them against the
// workspace's .gitignore files too).
func (r *Remote) excludes() string {
	var b strings.Builder
	for _, set := range [][]string{defaultIgnores, r.opts.ignores, neverTrackedNames} {
		for _, p := range set {
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Create snapshots the workspace; see Store.
func (r *Remote) Create(ctx context.Context, label string, auto bool) (*Checkpoint, error) {
	return r.create(ctx, "create", label, auto, r.opts.paths)
}

// Commit makes a checkpoint of state; see Store.
func (r *Remote) Commit(ctx context.Context, state, label string, auto bool) (*Checkpoint, error) {
	if err := checkState(state); err != nil {
		return nil, err
	}
	return r.create(ctx, "commit", label, auto, []string{state})
}

// create runs op "create" (snapshot the scope, extra) or "commit" (extra:
// the state) and applies retention.
func (r *Remote) create(ctx context.Context, op, label string, auto bool, extra []string) (*Checkpoint, error) {
	label, err := CheckLabel(label)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	kind := "manual"
	if auto {
		kind = "auto"
	}
	ts := strconv.FormatInt(time.Now().UnixNano(), 10)
	out, err := r.exec(ctx, op, [3]string{ts, kind, label}, extra)
	if err != nil {
		return nil, err
	}
	var (
		created  *ref
		refs     []ref
		tooLarge []string
	)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, " ", 3)
		switch {
		case f[0] == "unchanged":
			return nil, nil
		case f[0] == "created" && len(f) == 3:
			ns, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || !isHex40(f[2]) {
				return nil, fmt.Errorf("checkpoint: unexpected answer from the host: %q", line)
			}
			created = &ref{name: refName(ns, auto), ns: ns, auto: auto, commit: f[2], label: label}
		case f[0] == "ref" && len(f) == 2:
			if rf, ok := parseRef(f[1]); ok {
				refs = append(refs, rf)
			}
		case f[0] == "large" && len(f) >= 2:
			tooLarge = append(tooLarge, strings.TrimPrefix(line, "large "))
		}
	}
	if created == nil {
		return nil, fmt.Errorf("checkpoint: unexpected answer from the host: %s", firstLine(out))
	}
	sortRefs(refs)
	// The refs listed include the new one (it is the newest unless a clock
	// went back, and retention never drops the newest).
	if drop := toDrop(moveFirst(refs, created.name), r.opts.keep); len(drop) > 0 {
		names := make([]string, len(drop))
		for i, d := range drop {
			names[i] = d.name
		}
		if _, err := r.exec(ctx, "drop", [3]string{}, names); err != nil {
			return nil, err
		}
	}
	cp := created.checkpoint()
	if len(tooLarge) > 0 {
		cp.TooLarge, cp.MaxFileSize = tooLarge, r.opts.maxSize
	}
	return &cp, nil
}

// moveFirst puts the ref named name first.
func moveFirst(refs []ref, name string) []ref {
	for i, rf := range refs {
		if rf.name == name {
			out := append([]ref{rf}, refs[:i]...)
			return append(out, refs[i+1:]...)
		}
	}
	return refs
}

func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// List returns the checkpoints, newest first.
func (r *Remote) List(ctx context.Context) ([]Checkpoint, error) {
	refs, err := r.refs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Checkpoint, 0, len(refs))
	for _, rf := range refs {
		out = append(out, rf.checkpoint())
	}
	return out, nil
}

func (r *Remote) refs(ctx context.Context) ([]ref, error) {
	out, err := r.exec(ctx, "list", [3]string{}, nil)
	if err != nil {
		return nil, err
	}
	var refs []ref
	for _, line := range bytes.Split(out, []byte("\n")) {
		f := bytes.SplitN(line, []byte{0}, 3)
		if len(f) != 3 || !isHex40(string(f[1])) {
			continue
		}
		rf, ok := parseRef(string(f[0]))
		if !ok {
			continue
		}
		rf.commit = string(f[1])
		rf.label = string(f[2])
		refs = append(refs, rf)
	}
	sortRefs(refs)
	return refs, nil
}

// Restore makes the workspace's tracked files equal to checkpoint id (empty:
// the latest); see Store. It is destructive. Once the id is resolved the
// restore runs to its end even if ctx ends, so that the workspace is not
// left between two states.
func (r *Remote) Restore(ctx context.Context, id string) (*Report, error) {
	if id != "" {
		if _, err := checkID(id); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	refs, err := r.refs(ctx)
	if err != nil {
		return nil, err
	}
	rf, err := resolve(refs, id)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	scoped := ""
	if len(r.opts.paths) > 0 {
		scoped = "scoped"
	}
	out, err := r.exec(context.WithoutCancel(ctx), "restore", [3]string{rf.commit, scoped, ""}, r.opts.paths)
	if err != nil {
		return nil, err
	}
	_, diff, ok := bytes.Cut(out, []byte("diff\n"))
	if !ok {
		return nil, fmt.Errorf("checkpoint: unexpected answer from the host: %s", firstLine(out))
	}
	changes, err := parseRawDiff(diff)
	if err != nil {
		return nil, err
	}
	return newReport(rf.checkpoint().ID, changes), nil
}

// Snapshot records the workspace's state; see Store.
func (r *Remote) Snapshot(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, err := r.exec(ctx, "snapshot", [3]string{}, r.opts.paths)
	if err != nil {
		return "", err
	}
	state, _, err := parseState(out)
	return state, err
}

// Changes reports what changed since state since; see Store.
func (r *Remote) Changes(ctx context.Context, since string) (*Changes, error) {
	if err := checkState(since); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out, err := r.exec(ctx, "changes", [3]string{since}, r.opts.paths)
	if err != nil {
		return nil, err
	}
	state, diff, err := parseState(out)
	if err != nil {
		return nil, err
	}
	changes, err := parseRawDiff(diff)
	if err != nil {
		return nil, err
	}
	return newChanges(changes, state), nil
}

// parseState reads "state <tree>\n" and what follows.
func parseState(out []byte) (string, []byte, error) {
	line, rest, _ := bytes.Cut(out, []byte("\n"))
	state, ok := bytes.CutPrefix(line, []byte("state "))
	if !ok || !isHex40(string(state)) {
		return "", nil, fmt.Errorf("checkpoint: unexpected answer from the host: %s", firstLine(out))
	}
	return string(state), rest, nil
}

// parseRawDiff reads `git diff-tree -r -z --raw` output: for each change
// ":old-mode new-mode old-sha new-sha status NUL path NUL".
func parseRawDiff(b []byte) ([]change, error) {
	var out []change
	for len(b) > 0 {
		meta, rest, ok := bytes.Cut(b, []byte{0})
		if !ok {
			break
		}
		p, rest2, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			return nil, errors.New("checkpoint: unexpected diff from the host")
		}
		b = rest2
		f := strings.Fields(string(meta))
		if len(f) != 5 || !strings.HasPrefix(f[0], ":") {
			return nil, errors.New("checkpoint: unexpected diff from the host")
		}
		if f[0] == ":160000" || f[1] == "160000" {
			continue // a submodule: not ours
		}
		c := change{path: string(p)}
		switch f[4][0] {
		case 'A':
			c.kind = changeCreate
		case 'D':
			c.kind = changeDelete
		default:
			c.kind = changeModify
		}
		out = append(out, c)
	}
	return out, nil
}

// The script. Arguments: op workspace base scope excludes maxsize a1 a2 a3
// [list...]. Every git call runs with the shadow repository's GIT_DIR,
// GIT_WORK_TREE and an index per scope; the user's configuration is off
// (HOME and XDG_CONFIG_HOME point into the shadow repository, no system
// config), and environment variables that would redirect git elsewhere are
// unset.
var remoteScript = strings.NewReplacer(
	"@PRUNE@", findPrune(),
	"@NEVER@", neverPathspecs(),
	"@NEVER_POSITIVE@", neverPositive(),
).Replace(`
fail() { printf 'execkit-checkpoint: %s\n' "$*" >&2; exit 3; }
command -v git >/dev/null 2>&1 || { printf 'execkit-checkpoint: no-git\n' >&2; exit 127; }
op=$1 ws=$2 base=$3 scope=$4 excludes=$5 maxsize=$6 a1=$7 a2=$8 a3=$9
shift 9
cd -- "$ws" 2>/dev/null || fail "the workspace $ws does not exist on the host or is not a directory"
ws=$(pwd -P) || fail "cannot resolve the workspace $ws"
[ "$ws" = / ] && fail "the workspace cannot be the root directory"
if [ -z "$base" ]; then
	case ${XDG_CACHE_HOME:-} in
	/*) base=$XDG_CACHE_HOME/execkit/checkpoints ;;
	*) [ -n "${HOME:-}" ] || fail "neither HOME nor XDG_CACHE_HOME is set on the host"
	   base=$HOME/.cache/execkit/checkpoints ;;
	esac
fi
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES \
	GIT_COMMON_DIR GIT_NAMESPACE GIT_CEILING_DIRECTORIES GIT_DISCOVERY_ACROSS_FILESYSTEM GIT_CONFIG \
	GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM GIT_ATTR_SOURCE \
	GIT_QUARANTINE_PATH GIT_REPLACE_REF_BASE GIT_GRAFT_FILE GIT_SHALLOW_FILE GIT_NO_REPLACE_OBJECTS \
	GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS GIT_INDEX_VERSION \
	GIT_EXTERNAL_DIFF GIT_DIFF_OPTS GIT_EXEC_PATH GIT_TEMPLATE_DIR GIT_DEFAULT_HASH GIT_TRACE \
	GIT_TRACE_PACKET GIT_TRACE_PERFORMANCE GIT_TRACE_SETUP GIT_TRACE2 GIT_TRACE2_EVENT GIT_TRACE2_PERF \
	GIT_REDIRECT_STDIN GIT_REDIRECT_STDOUT GIT_REDIRECT_STDERR GIT_AUTHOR_DATE GIT_COMMITTER_DATE
key=$(printf '%s' "$ws" | HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 git hash-object --stdin) || fail "git hash-object failed"
gitdir=$base/$key
case $gitdir/ in "$ws"/*) fail "the checkpoint directory $base is inside the workspace; choose a narrower workspace" ;; esac
export GIT_DIR="$gitdir" GIT_WORK_TREE="$ws" GIT_INDEX_FILE="$gitdir/index-$scope" HOME="$gitdir" \
	XDG_CONFIG_HOME="$gitdir" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C \
	GIT_AUTHOR_NAME=execkit GIT_AUTHOR_EMAIL=execkit@localhost \
	GIT_COMMITTER_NAME=execkit GIT_COMMITTER_EMAIL=execkit@localhost
if [ ! -f "$gitdir/HEAD" ]; then
	[ "$op" = list ] && exit 0
	( umask 077 && mkdir -p "$base" && unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE &&
		GIT_DEFAULT_HASH=sha1 git init -q --bare --template= "$gitdir" >/dev/null 2>&1 &&
		mkdir -p "$gitdir/info" &&
		printf '[core]\n\tbare = false\n\tlogAllRefUpdates = false\n\tautocrlf = false\n\tsafecrlf = false\n\tsymlinks = true\n\tfilemode = true\n\tfsmonitor = false\n\tuntrackedCache = false\n[gc]\n\tauto = 0\n' >>"$gitdir/config" &&
		printf '* -text -filter -ident -eol -working-tree-encoding -diff -merge\n' >"$gitdir/info/attributes" &&
		printf 'execkit checkpoints of %s\n' "$ws" >"$gitdir/description"
	) || fail "cannot create the shadow repository in $gitdir"
fi
excl=$gitdir/exclude-$scope
g() { git -c core.excludesFile="$excl" "$@"; }

# snap stages the scope's tracked files and sets tree. Nested repositories
# and files over the size limit are found first (git add would fail on the
# one and copy the other) and excluded by name.
snap() {
	[ $# -eq 0 ] && set -- .
	found=$(for p do
		if [ "$p" = . ]; then r=.; else r=./$p; fi
		if [ "$maxsize" -ge 0 ]; then
			find "$r" \( -name .git -exec printf 'R%s\n' {} \; -prune \) -o \( @PRUNE@ \) -prune -o -type f -size +"$maxsize"c -exec printf 'L%s\n' {} + 2>/dev/null
		else
			find "$r" \( -name .git -exec printf 'R%s\n' {} \; -prune \) -o \( @PRUNE@ \) -prune 2>/dev/null
		fi
	done)
	{ printf '%s' "$excludes"
	  printf '%s\n' "$found" | sed -n -e '/^R\.\/\.git$/d' -e 's/[][*?!#\\ ]/\\&/g' -e 's|^R\./\(.*\)/\.git$|/\1/|p' -e 's|^L\./|/|p'
	} >"$excl.$$" && mv -f "$excl.$$" "$excl" || { rm -f "$excl.$$"; fail "cannot write $excl"; }
	# Only paths that exist or are tracked: git add fails on a pathspec
	# that matches nothing.
	for p do
		if [ -e "$p" ] || [ -L "$p" ] || [ -n "$(git ls-files -- ":(literal)$p")" ]; then
			set -- "$@" ":(literal)$p"
		fi
		shift
	done
	if [ $# -gt 0 ]; then
		set -- "$@" @NEVER@
		add "$@"
		g ls-files -z -c -i --exclude-standard -- "$@" | g update-index -z --force-remove --stdin ||
			fail "cannot update the shadow index"
	fi
	if ! tree=$(git write-tree 2>/dev/null); then
		# An index naming pruned objects: start it again.
		rm -f "$GIT_INDEX_FILE"
		[ $# -gt 0 ] && add "$@"
		tree=$(git write-tree) || fail "cannot write the snapshot"
	fi
}

# add stages every change. Unreadable files are left out (git reports them
# and goes on); any other failure stops the snapshot, which must not be
# taken from a stale index.
add() {
	if ! err=$(g add -A --ignore-errors -- "$@" 2>&1 >/dev/null); then
		case $err in
		*index.lock*) fail busy ;;
		*"fatal: adding files failed"*) ;;
		*) fail "git add failed: $(printf '%s\n' "$err" | tail -n 1)" ;;
		esac
	fi
}

large() { printf '%s\n' "$found" | sed -n 's|^L\./|large |p'; }

case $op in
list)
	git for-each-ref --format='%(refname)%00%(objectname)%00%(contents:subject)' refs/checkpoints/
	;;
create | commit)
	if [ "$op" = commit ]; then
		git cat-file -e "$1^{tree}" 2>/dev/null || fail "the workspace state $1 is gone from the shadow repository"
		tree=$1 found=
	else
		snap "$@"
	fi
	newest= newts=0
	refs=$(git for-each-ref --format='%(refname) %(objectname)' refs/checkpoints/)
	while read -r name obj; do
		[ -n "$name" ] || continue
		t=${name##*/}
		if [ "$t" -gt "$newts" ]; then newts=$t newest=$obj; fi
	done <<EOF
$refs
EOF
	if [ "$a2" = auto ] && [ -n "$newest" ] && [ "$(git rev-parse -q --verify "$newest^{tree}")" = "$tree" ]; then
		printf 'unchanged %s\n' "$newest"
		exit 0
	fi
	ts=$a1
	[ "$ts" -gt "$newts" ] || ts=$((newts + 1))
	d="${ts%?????????} +0000"
	commit=$(printf '%s\n' "$a3" | GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d git commit-tree "$tree") ||
		fail "cannot write the checkpoint"
	git update-ref "refs/checkpoints/$a2/$ts" "$commit" "" || fail busy
	printf 'created %s %s\n' "$ts" "$commit"
	git for-each-ref --format='ref %(refname)' refs/checkpoints/
	large
	;;
restore)
	git cat-file -e "$a1^{commit}" 2>/dev/null || fail notfound
	snap "$@"
	cur=$tree
	# The target, narrowed to the scope and rid of never-tracked paths (the
	# shadow repository is not trusted to hold none).
	tmp=$gitdir/index-restore-$$
	trap 'rm -f "$tmp"' EXIT
	rm -f "$tmp"
	if [ "$a2" = scoped ]; then
		for p do set -- "$@" ":(literal)$p"; shift; done
		git ls-tree -r -z "$a1^{tree}" -- "$@" | GIT_INDEX_FILE=$tmp git update-index -z --index-info ||
			fail "cannot read the checkpoint"
	else
		GIT_INDEX_FILE=$tmp git read-tree "$a1^{tree}" || fail "cannot read the checkpoint"
	fi
	GIT_INDEX_FILE=$tmp git rm -r -q --cached --ignore-unmatch -- @NEVER_POSITIVE@ >/dev/null ||
		fail "cannot read the checkpoint"
	tgt=$(GIT_INDEX_FILE=$tmp git write-tree) || fail "cannot read the checkpoint"
	rm -f "$tmp"
	printf 'diff\n'
	git diff-tree -r -z --no-renames --raw "$cur" "$tgt" || fail "cannot compare with the checkpoint"
	git read-tree --reset -u "$tgt" || fail "the restore failed part-way"
	;;
snapshot)
	snap "$@"
	printf 'state %s\n' "$tree"
	;;
changes)
	git cat-file -e "$a1^{tree}" 2>/dev/null || fail "the workspace state $a1 is gone from the shadow repository"
	snap "$@"
	printf 'state %s\n' "$tree"
	git diff-tree -r -z --no-renames --raw "$a1" "$tree" || fail "cannot compare with the earlier state"
	;;
drop)
	for r do printf 'delete %s\n' "$r"; done | git update-ref --stdin || fail "cannot drop old checkpoints"
	# Prune once per 16 dropped checkpoints (a prune walks all of them),
	# sparing objects younger than an hour (another session's snapshot in
	# progress).
	n=$(cat "$gitdir/execkit-dropped" 2>/dev/null)
	case $n in '' | *[!0-9]*) n=0 ;; esac
	n=$((n + $#))
	if [ "$n" -ge 16 ]; then
		git prune --expire=1.hour.ago >/dev/null 2>&1
		n=0
	fi
	printf '%s\n' "$n" >"$gitdir/execkit-dropped"
	;;
*)
	fail "unknown operation"
	;;
esac
`)

// findPrune is the find expression matching the directories find need not
// enter (built-in ignores that are plain directory names, never-tracked
// names).
func findPrune() string {
	var parts []string
	for _, p := range defaultIgnores {
		name, ok := strings.CutSuffix(p, "/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		parts = append(parts, "-name "+quote(name))
	}
	for _, n := range neverTrackedNames {
		parts = append(parts, "-name "+quote(n))
	}
	return strings.Join(parts, " -o ")
}

// neverPathspecs excludes the never-tracked names at any depth, whatever the
// workspace's .gitignore files say.
func neverPathspecs() string {
	var parts []string
	for _, n := range neverTrackedNames {
		parts = append(parts, quote(":(exclude,glob)**/"+n), quote(":(exclude,glob)**/"+n+"/**"))
	}
	return strings.Join(parts, " ")
}

func neverPositive() string {
	var parts []string
	for _, n := range neverTrackedNames {
		parts = append(parts, quote(":(glob)**/"+n), quote(":(glob)**/"+n+"/**"))
	}
	return strings.Join(parts, " ")
}

func quote(s string) string {
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		panic(err) // constants only
	}
	return q
}
