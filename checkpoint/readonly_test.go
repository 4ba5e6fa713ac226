package checkpoint_test

import (
	"testing"

	"github.com/execkit/execkit/checkpoint"
	"github.com/stretchr/testify/assert"
)

func TestMayChangeFiles(t *testing.T) {
	readOnly := []string{
		"ls", "ls -la src", "cat a b | grep -n foo | head -20", "pwd", "cd src && ls", "echo hi",
		"echo hi >/dev/null 2>&1", "grep -r TODO . 2>/dev/null", "rg foo", "find . -name '*.go'",
		"find . -type f | wc -l", "git status", "git -C sub log --oneline -5", "git --no-pager diff HEAD~1",
		"git show HEAD:main.go", "git branch", "git stash list", "sed -n 1,50p main.go", "sed -n '/func/p' a.go",
		"sed 10q file", "head -c 100 /dev/urandom | od -x", "test -f x && echo yes", "[ -d src ] || echo no",
		"X=1; echo $X", "export A=b", "echo $(cat VERSION)", "for f in *.go; do wc -l $f; done",
		"if grep -q x f; then echo y; fi", "command -v go", "stat -c %s f", "diff a b", "sort f | uniq -c",
		"cat <<EOF\nhello\nEOF", "echo x >&2", "ls 2>&1 | tail -3", "jq . package.json", "true", ":",
		"/bin/ls /", "sleep 1", "type ls", "which git", "[[ -n $x ]] && echo set", "time ls",
	}
	mayChange := []string{
		"rm -rf build", "echo x > f", "echo x >> f", "cat a > b", "ls > listing.txt", "make", "npm install",
		"go build ./...", "python script.py", "sed -i s/a/b/ f", "sed -ni 1p f", "sed --in-place s/a/b/ f",
		"sed -n '1w out' f", "sed 's/a/b/w out' f", "sed -e s/x/y/ -f script f", "find . -delete",
		"find . -name '*.o' -exec rm {} +", "git checkout .", "git reset --hard", "git stash", "git pull",
		"git commit -m x", "git branch -D old", "git -c core.fsmonitor=x status", "git diff --output=patch",
		"sort -o f f", "xargs rm < list", "sudo ls", "env ls", "eval ls", "$CMD", "$(echo rm) f", "./run.sh",
		"ls; rm x", "ls && touch y", "echo $(rm x)", "f() { rm x; }; f", "coproc cat", "tee out < in",
		"cp a b", "mv a b", "mkdir d", "touch f", "ln -s a b", "chmod +x f", "curl -O http://x", "cat > f <<EOF\nx\nEOF",
		"echo x >| f", "echo x &> f", "exec 3<> f", "ls >&out.txt", "unbalanced 'quote", "bash -c ls", "sh script",
		"source env.sh", ". ./env.sh", "command rm f", "nohup ls", "patch -p1 < x.diff", "tar xf a.tar",
	}
	for _, c := range readOnly {
		assert.False(t, checkpoint.MayChangeFiles(c), "%q is read-only", c)
	}
	for _, c := range mayChange {
		assert.True(t, checkpoint.MayChangeFiles(c), "%q may change files", c)
	}
}

func FuzzMayChangeFiles(f *testing.F) {
	for _, s := range []string{"ls", "rm -rf /", "sed -n 1p f", "git status", "echo x > f", "a 'b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		checkpoint.MayChangeFiles(cmd) // never panics
	})
}
