package redact

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const instancesPerTemplate = 25

// negatives returns the false-positive corpus: name -> text.
func negatives(t testing.TB) map[string]string {
	files, err := filepath.Glob(filepath.Join("testdata", "negatives", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// TestCorpusRecallAndFalsePositives measures the rule set on the corpus: every
// positive template filled with fresh fake secrets many times, and every line
// of the negative corpus. It prints recall and the false-positive rate and
// fails below 99% recall or above 0.5% false positives.
func TestCorpusRecallAndFalsePositives(t *testing.T) {
	r, err := New(nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))

	total, caught := 0, 0
	missByKind := map[string]int{}
	var misses []string
	shown := map[int]bool{}
	for _, p := range loadPositives(t) {
		for i := 0; i < instancesPerTemplate; i++ {
			inst := p.fill(t, rng)
			out, n := r.String(inst.text)
			total++
			lk := leaks(out, p.template, inst.secrets)
			lost := lostContext(out, p.keep)
			if len(lk) == 0 && len(lost) == 0 && n > 0 {
				caught++
				continue
			}
			missByKind[p.kind]++
			if !shown[p.line] {
				shown[p.line] = true
				misses = append(misses, fmt.Sprintf("positives.txt:%d (%s)\n  in:   %q\n  out:  %q\n  leak: %q\n  lost context: %q", p.line, p.kind, inst.text, out, lk, lost))
			}
		}
	}
	recall := float64(caught) / float64(total)

	// A negative line counts as a false positive if it changes when redacted
	// alone or as part of its whole file (where cross-line state applies).
	lines, changed := 0, 0
	var fps []string
	for name, text := range negatives(t) {
		whole, _ := r.String(text)
		wholeLines := strings.Split(whole, "\n")
		for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			lines++
			out, n := r.String(line)
			if n == 0 && out == line && i < len(wholeLines) && wholeLines[i] == line {
				continue
			}
			changed++
			if out == line && i < len(wholeLines) {
				out = wholeLines[i] + " (in the whole file)"
			}
			fps = append(fps, fmt.Sprintf("%s:%d\n  in:  %q\n  out: %q", name, i+1, line, out))
		}
	}
	fpRate := float64(changed) / float64(lines)

	t.Logf("recall: %d/%d = %.2f%% (%d templates x %d instances)", caught, total, 100*recall, total/instancesPerTemplate, instancesPerTemplate)
	t.Logf("false positives: %d/%d lines = %.2f%%", changed, lines, 100*fpRate)
	if len(missByKind) > 0 {
		var ks []string
		for k, n := range missByKind {
			ks = append(ks, fmt.Sprintf("%s:%d", k, n))
		}
		sort.Strings(ks)
		t.Logf("misses by kind: %s", strings.Join(ks, " "))
	}
	for _, m := range misses {
		t.Log(m)
	}
	for _, f := range fps {
		t.Log(f)
	}
	assert.GreaterOrEqual(t, recall, 0.99, "recall below 99%%: secrets would reach the agent")
	assert.LessOrEqual(t, fpRate, 0.005, "false-positive rate above 0.5%%: ordinary output would be mangled")
}

func lostContext(out string, keep []string) []string {
	var lost []string
	for _, k := range keep {
		if !strings.Contains(out, k) {
			lost = append(lost, k)
		}
	}
	return lost
}

// TestEveryRuleHasPositives checks that each shape rule, under KindTags,
// fires on at least one corpus template: no rule is untested.
func TestEveryRuleHasPositives(t *testing.T) {
	r, err := New(&Options{KindTags: true})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	for _, p := range loadPositives(t) {
		out, _ := r.String(p.fill(t, rng).text)
		for _, part := range strings.Split(out, "[REDACTED:")[1:] {
			if i := strings.IndexByte(part, ']'); i > 0 {
				seen[part[:i]] = true
			}
		}
	}
	kinds := map[string]bool{
		kindPrivateKey: true, kindPassword: true, kindSecret: true, kindToken: true,
		kindAuthHeader: true, kindBasicAuth: true, kindCookie: true, kindURLCreds: true,
		kindK8sSecret: true, "aws-secret-key": true,
	}
	for _, pr := range prefixRules() {
		kinds[pr.kind] = true
	}
	for _, lr := range lineRules() {
		kinds[lr.kind] = true
	}
	for k := range kinds {
		assert.True(t, seen[k], "no positive in testdata/positives.txt produces kind %q", k)
	}
}
