#!/usr/bin/env bash
# The benchmark command: speed and memory of the session core (against a raw
# bash driven over pipes, measured in the same run), the cleaner, redaction,
# the policy fence and the transports whose fixtures are available.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'RoundTrip|SessionMemory' -benchtime 2000x .
go test -run '^$' -bench 'Throughput' -benchtime 3x .
go test -run '^$' -bench . -benchtime 2s ./internal/clean/ ./redact/ ./policy/
for pkg in ./transport/ssh/ ./transport/docker/; do
  [ -d "$pkg" ] && go test -run '^$' -bench . -benchtime 200x "$pkg" || true
done
