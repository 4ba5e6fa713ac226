#!/usr/bin/env bash
# The benchmark command: speed and memory of the session core (against a raw
# bash driven over pipes, measured in the same run), session open cost and
# round trip on every transport (local, SSH, Docker, each against a raw shell
# over the same channel), throughput and peak memory at three output sizes,
# the cleaner, redaction, the policy fence, automatic checkpoints, MCP, and
# the 1,000-session load test. The checkpoint store's own benchmarks take
# minutes and run apart:
#   go test -run '^$' -bench . -benchtime 3x ./checkpoint/
#
# Like scripts/test.sh it installs and starts the fixtures it needs (sshd,
# dockerd), and a missing one is a failure, not a skip. Every step runs even
# when one fails; the script prints a summary of the figures at the end and
# exits non-zero if any step failed.
#
# Settings (optional): EXECKIT_LOAD (sessions in the load test, 1000),
# EXECKIT_LOAD_CMDS (commands per session, 100).
set -euo pipefail
cd "$(dirname "$0")/.."
export EXECKIT_REQUIRE_FIXTURES=1

. scripts/setup.sh
setup_fixtures bench.sh sshd:openssh-server ssh-keygen:openssh-client dockerd:docker.io

log=$(mktemp "${TMPDIR:-/tmp}/execkit-bench.XXXXXX")
out=$(mktemp "${TMPDIR:-/tmp}/execkit-bench.XXXXXX")
trap 'rm -f "$log" "$out"' EXIT
failed=()

# step NAME COMMAND...: runs COMMAND, showing its output and keeping it for
# the summary. A failure, a skip or a step that printed no figure (a renamed
# benchmark matches nothing) is recorded, and the next step runs.
step() {
  local name=$1
  shift
  echo "== bench.sh: $name: $*"
  if ! "$@" 2>&1 | tee "$out"; then
    failed+=("$name")
    echo "== bench.sh: $name FAILED"
  elif grep -q -- '--- SKIP' "$out"; then
    failed+=("$name (skipped)")
    echo "== bench.sh: $name SKIPPED a benchmark"
  elif ! grep -q -e '^Benchmark.*/op' -e ' load: ' "$out"; then
    failed+=("$name (no figures)")
    echo "== bench.sh: $name printed no figures"
  fi
  cat "$out" >>"$log"
}

step "local round trip" \
  go test -run '^$' -bench '^Benchmark(RoundTrip|RoundTripSplit)$' -benchtime 2000x .
step "local open" go test -run '^$' -bench '^BenchmarkOpen$' -benchtime 200x .
step "idle session memory" go test -run '^$' -bench '^BenchmarkSessionMemory$' -benchtime 1x .
step "throughput" go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime 2x -timeout 30m .
step "cleaner, redaction, policy" go test -run '^$' -bench . -benchtime 2s ./internal/clean/ ./redact/ ./policy/
step "ssh round trip" go test -run '^$' -bench '^BenchmarkSSHRoundTrip$' -benchtime 200x ./transport/ssh/
step "ssh open" go test -run '^$' -bench '^BenchmarkSSHOpen$' -benchtime 20x ./transport/ssh/
step "docker round trip" go test -run '^$' -bench '^BenchmarkDockerRoundTrip$' -benchtime 200x ./transport/docker/
step "docker open" go test -run '^$' -bench '^BenchmarkDockerOpen$' -benchtime 30x ./transport/docker/
step "automatic checkpoints" go test -run '^$' -bench '^BenchmarkAutoSnapshot$' -benchtime 3x .
step "mcp round trip" go test -run '^$' -bench '^BenchmarkExecRoundTrip$' -benchtime 500x ./cmd/execkit-mcp/
step "load" env EXECKIT_LOAD="${EXECKIT_LOAD:-1000}" EXECKIT_LOAD_CMDS="${EXECKIT_LOAD_CMDS:-100}" \
  go test -count=1 -run '^TestLoad$' -v -timeout 30m .

# The summary: each benchmark's own metrics (ratios are x-...: against the
# baseline measured in the same run), then the load test's figures.
echo
echo "== bench.sh: summary"
awk '
/^Benchmark/ && NF > 4 {
  name = $1
  sub(/-[0-9]+$/, "", name)
  sub(/^Benchmark/, "", name)
  figs = ""
  for (i = 3; i < NF; i += 2) {
    unit = $(i + 1)
    if (unit == "ns/op" || unit == "B/op" || unit == "allocs/op") continue
    figs = figs sprintf("  %s %s", unit, $i)
  }
  if (figs != "") printf "%-34s%s\n", name, figs
}
/ load: / { sub(/^.* load: /, ""); printf "%-34s  %s\n", "Load", $0 }
' "$log"

if [ ${#failed[@]} -gt 0 ]; then
  echo "bench.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "bench.sh: all benchmarks ran" >&2
