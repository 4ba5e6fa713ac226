package main

import (
	"context"
	"testing"
	"time"

	"github.com/execkit/execkit"
	"github.com/stretchr/testify/require"
)

// BenchmarkExecRoundTrip measures one session_exec through the real server
// over stdio, against the same command through the library in process (the
// baseline, measured in the same run): the ratio is what MCP costs.
func BenchmarkExecRoundTrip(b *testing.B) {
	ctx := context.Background()
	lib, err := execkit.OpenLocal(ctx, nil)
	require.NoError(b, err)
	defer lib.Close()
	const baseN = 200
	begin := time.Now()
	for i := 0; i < baseN; i++ {
		_, err := lib.Exec(ctx, "true", nil)
		require.NoError(b, err)
	}
	base := time.Since(begin) / baseN

	s := start(b, startOpts{})
	id := s.create(nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.exec(id, "true", nil)
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds()), "us/exec")
	b.ReportMetric(float64(base.Microseconds()), "us/lib-exec")
	b.ReportMetric(float64(per)/float64(base), "x-library")
}
