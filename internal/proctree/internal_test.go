package proctree

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	for name, tc := range map[string]struct {
		stat string
		want Proc
	}{
		"plain":          {"42 (sleep) S 7 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0", Proc{PID: 42, PPID: 7, PGID: 42, Start: 12345}},
		"space in comm":  {"42 (a b) S 7 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0", Proc{PID: 42, PPID: 7, PGID: 9, Start: 99}},
		"parens in comm": {"42 (x) S 1 1 (y)) R 8 3 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0", Proc{PID: 42, PPID: 8, PGID: 3, Start: 77}},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := parseStat(42, []byte(tc.stat))
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
		})
	}
	for name, stat := range map[string]string{
		"no paren":  "42 sleep S 7 42",
		"short":     "42 (sleep) S 7 42 42",
		"bad ppid":  "42 (sleep) S x 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
		"bad pgrp":  "42 (sleep) S 7 y 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
		"bad start": "42 (sleep) S 7 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 z 0 0",
		"empty":     "",
	} {
		_, err := parseStat(42, []byte(stat))
		assert.Error(t, err, "%s: %q must not parse", name, stat)
	}
}

func TestDescendantsGraph(t *testing.T) {
	procs := []Proc{
		{PID: 10, PPID: 1, PGID: 10, Start: 5},
		{PID: 11, PPID: 10, PGID: 10, Start: 6},
		{PID: 12, PPID: 11, PGID: 12, Start: 9}, // its own group, below 11
		{PID: 13, PPID: 1, PGID: 10, Start: 7},  // re-parented
		{PID: 14, PPID: 13, PGID: 14, Start: 8}, // below the re-parented one
		{PID: 15, PPID: 1, PGID: 10, Start: 2},  // re-parented, started before since
		{PID: 16, PPID: 1, PGID: 16, Start: 9},  // unrelated
		{PID: 17, PPID: 17, PGID: 17, Start: 9}, // a loop in the table must not hang
	}
	assert.Equal(t, []int{11, 12, 13, 14, 15}, descendants(procs, 10, 0))
	assert.Equal(t, []int{11, 12, 13, 14}, descendants(procs, 10, 6))
	assert.Equal(t, []int{12}, descendants(procs, 11, 0), "11 does not lead its group")
	assert.Empty(t, descendants(procs, 99, 0), "an unknown root has nothing below it")
}
