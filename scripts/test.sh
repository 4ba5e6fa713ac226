#!/usr/bin/env bash
# The one test command: installs and starts every fixture the tests need
# (shells, git, OpenSSH server, Docker engine, Python venv), then runs all Go
# and Python tests with the race detector. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export EXECKIT_REQUIRE_FIXTURES=1

# shells, git, OpenSSH, Docker, chromium (the viewer's browser test), tmux
# (its terminal test), man (a pager test); then the fixtures.
. scripts/setup.sh
setup_fixtures test.sh busybox:busybox-static dash:dash git:git sshd:openssh-server ssh-keygen:openssh-client \
  dockerd:docker.io chromium:chromium tmux:tmux man:man-db

echo "test.sh: gofmt / go vet" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go vet ./...

echo "test.sh: go test -race" >&2
go test -race -count=1 -timeout 20m ./...
# The full-size flood (1 GB) without the race detector, which slows it tenfold.
go test -count=1 -run 'TestFloodBoundedMemory' .
# Every fuzz target for a bounded time (FUZZTIME, 10s each); FUZZTIME=10m
# ./scripts/fuzz.sh for a long run.
scripts/fuzz.sh

if [ -x scripts/test-python.sh ]; then
  scripts/test-python.sh
fi
echo "test.sh: all tests passed" >&2
