# Sourced by scripts/test.sh and scripts/bench.sh: installs the Debian
# packages that provide the given commands when they are missing, then runs
# the fixture scripts (dockerd without networking), each of which prints
# shell assignments for the tests.
#
#   setup_fixtures NAME command:package ...
setup_fixtures() {
  local name=$1 p f
  shift
  local need=()
  for p in "$@"; do
    command -v "${p%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${p%%:*}" ] || need+=("${p#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "$name: installing ${need[*]}" >&2
    local SUDO=sudo
    if [ "$(id -u)" = 0 ]; then SUDO=; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || true
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  fi
  for f in scripts/fixtures.d/*.sh; do
    [ -e "$f" ] || continue
    eval "$("$f")"
  done
}
