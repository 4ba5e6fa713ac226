#!/usr/bin/env bash
# Runs every Go fuzz target in the repository, one at a time, each for
# FUZZTIME (default 10s): the bounded run of the test command. For a longer
# run:
#
#   FUZZTIME=10m ./scripts/fuzz.sh            # every target, 10 minutes each
#   FUZZTIME=1h ./scripts/fuzz.sh ./policy    # the targets of some packages
#
# Targets are found with `go test -list`, so a new FuzzXxx is picked up
# without editing this file. Go runs one -fuzz target per package per run,
# hence one run per target. FUZZTIME takes what -fuzztime does: a duration
# (30s, 10m) or a count of inputs (5000x). It includes the time a target
# takes to replay its corpus first, so a target whose setup is slow (the
# MCP ones start a shell) fuzzes for less than that.
#
# A target that finds a failing input fails the run, naming the package and
# the target; Go has written the input to <package>/testdata/fuzz/<Target>/,
# where plain `go test` replays it from then on: commit it with the fix.
# The committed seeds there run with every `go test` too.
#
# FUZZKEEP=1 also copies the inputs the fuzzer found interesting (its
# corpus, kept between runs in $(go env GOCACHE)/fuzz) into
# testdata/fuzz/<Target>/, to commit a grown corpus after a long run.
# FUZZPARALLEL=N runs N fuzzing workers per target (default: GOMAXPROCS).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
if [ $# -eq 0 ]; then
  set -- ./...
fi

# The bound on one target's whole run: go test's default of 10m would end
# a long run, and a hung input is stopped by it rather than fuzztime.
timeout=2h
if [[ $fuzztime =~ ^([0-9]+)([smh])$ ]]; then
  case ${BASH_REMATCH[2]} in
    s) timeout=$((BASH_REMATCH[1] + 600))s ;;
    m) timeout=$((BASH_REMATCH[1] + 10))m ;;
    h) timeout=$((BASH_REMATCH[1] + 1))h ;;
  esac
fi
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then
  parallel=(-parallel "$FUZZPARALLEL")
fi

# A private TMPDIR: fuzz workers are stopped by a signal at the end, and
# what they leave in temporary directories goes with it.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log
export TMPDIR=$work

# `go test -list` prints each package's matching names, then "ok <import
# path>" (or "?" for a package without tests).
targets=()
names=()
if ! list=$(go test -list '^Fuzz' "$@"); then
  echo "fuzz.sh: go test -list failed; the tests do not build" >&2
  exit 1
fi
while read -r first second _; do
  case $first in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in ${names[@]+"${names[@]}"}; do targets+=("$second $n"); done
      names=()
      ;;
  esac
done <<<"$list"
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in $*" >&2
  exit 1
fi

echo "fuzz.sh: ${#targets[@]} targets, $fuzztime each" >&2
failed=()
for t in "${targets[@]}"; do
  pkg=${t% *} name=${t#* }
  start=$SECONDS
  ok=false
  note=
  for try in 1 2 3; do
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -timeout "$timeout" ${parallel[@]+"${parallel[@]}"} "$pkg" >"$log" 2>&1; then
      ok=true
      break
    fi
    # Go before 1.27 can end a timed run with a bare "context deadline
    # exceeded" and no failing input: its coordinator races its own
    # deadline on a loaded machine (golang/go#75804). That is run again;
    # anything else, or the same three times, fails.
    if grep -q 'testdata/fuzz/' "$log" || ! grep -qx '    context deadline exceeded' "$log"; then
      break
    fi
    note=", run again after Go's fuzztime deadline race (golang/go#75804)"
  done
  if $ok; then
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz.sh: ok   $pkg $name (${execs:-corpus replayed only, FUZZTIME ended before fuzzing began}, $((SECONDS - start))s$note)" >&2
  else
    cat "$log" >&2
    if input=$(grep -o 'testdata/fuzz/[^ ]*' "$log" | tail -1) && [ -n "$input" ]; then
      dir=$(go list -f '{{.Dir}}' "$pkg")
      echo "fuzz.sh: FAIL $pkg $name: failing input kept in ${dir#"$PWD"/}/$input; go test -run '$name/${input##*/}' $pkg replays it" >&2
    else
      echo "fuzz.sh: FAIL $pkg $name: see the output above" >&2
    fi
    failed+=("$pkg $name")
  fi
  if [ "${FUZZKEEP:-}" = 1 ]; then
    cache="$(go env GOCACHE)/fuzz/$pkg/$name"
    if [ -d "$cache" ]; then
      dest="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name"
      mkdir -p "$dest"
      n=0
      for f in "$cache"/*; do
        [ -e "$dest/${f##*/}" ] || { cp "$f" "$dest/"; n=$((n + 1)); }
      done
      echo "fuzz.sh: kept $n new inputs in ${dest#"$PWD"/}" >&2
    fi
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} targets failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets passed" >&2
