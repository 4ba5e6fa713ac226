#!/usr/bin/env bash
# Python SDK tests (scripts/test.sh runs this): a virtualenv with pytest (and
# mypy, to check the type hints), the package built and installed from this
# checkout with no package index at all (the in-tree build backend needs only
# the Go toolchain; GOPROXY=off proves the Go build fetches nothing either),
# then mypy --strict on the package and pytest against the real library.
# Safe to run again: the virtualenv is reused, the package reinstalled.
#
# What it needs: Go, and a Python 3.9+ with cffi and venv (pyenv's python3.11
# has both; on Debian: apt-get install python3-cffi python3-venv). pytest and
# mypy come from the interpreter's own site-packages when it has them, else
# from PyPI, into the virtualenv only. Installing the package never reaches
# an index.
#
# Settings (all optional):
#   EXECKIT_PYTHON  the interpreter to use (default: the first python3.11 or
#                   python3 on PATH that has cffi and venv)
#   EXECKIT_VENV    the virtualenv directory (default: .venv)
#   PYTEST_ADDOPTS  extra pytest arguments, as pytest reads them
#   EXECKIT_REQUIRE_FIXTURES=1 or CI=true: a type checker that cannot be
#                   installed is a failure, not a skipped step
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

# The test-only tools from PyPI, pinned so that a new release cannot change
# what passes.
pytest_req="pytest>=7"
mypy_reqs=("mypy==2.4.1" "types-cffi==2.1.0.20260827")

fail() {
	echo "test-python.sh: $*" >&2
	exit 1
}
required() { [ "${EXECKIT_REQUIRE_FIXTURES:-}" = 1 ] || [ "${CI:-}" = true ]; }

command -v go >/dev/null 2>&1 || fail "the Go toolchain (go) is not on PATH: pip install . builds the library with it"

# usable: the interpreter runs, is 3.9 or later, and has cffi and a venv
# that can bootstrap pip (Debian's python3 needs python3-venv for ensurepip).
usable() {
	"$1" -c 'import sys, cffi, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1
}
py=${EXECKIT_PYTHON:-}
if [ -n "$py" ]; then
	usable "$py" || fail "EXECKIT_PYTHON=$py is not a Python 3.9+ with cffi and venv: $("$py" -c 'import sys, cffi, venv, ensurepip' 2>&1 | tail -n 1)"
else
	for c in python3.11 python3; do
		if command -v "$c" >/dev/null 2>&1 && usable "$c"; then
			py=$c
			break
		fi
	done
	[ -n "$py" ] || fail "no python3.11 or python3 on PATH with cffi and venv (pip install cffi, or apt-get install python3-cffi python3-venv; or set EXECKIT_PYTHON)"
fi

venv=${EXECKIT_VENV:-.venv}
# --system-site-packages: cffi (the one runtime dependency) comes from the
# interpreter's own site-packages, so installing the package needs no index.
# A virtualenv of another interpreter (or a broken one) is made again.
want=$("$py" -c 'import sys; print(sys.base_prefix, sys.version_info[:2])')
have=$("$venv/bin/python" -c 'import sys, cffi; print(sys.base_prefix, sys.version_info[:2])' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	echo "test-python.sh: creating $venv with $py ($("$py" --version 2>&1))" >&2
	rm -rf "$venv"
	"$py" -m venv --system-site-packages "$venv" || fail "$py -m venv $venv failed (see above)"
fi
if ! "$venv/bin/python" -c 'import pytest' >/dev/null 2>&1; then
	echo "test-python.sh: installing pytest into $venv (from PyPI)" >&2
	"$venv/bin/python" -m pip install -q "$pytest_req" ||
		fail "cannot install pytest into $venv (see pip's error above); with no package index, install it into $py's site-packages (apt-get install python3-pytest for Debian's python3)"
fi
mypy=yes
# pinned: the exact versions are installed (a missing one raises)
pinned() {
	"$venv/bin/python" -c 'import sys; from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (r.split("==") for r in sys.argv[1:])))' "$@" >/dev/null 2>&1
}
if ! pinned "${mypy_reqs[@]}"; then
	echo "test-python.sh: installing ${mypy_reqs[*]} into $venv (from PyPI)" >&2
	if ! "$venv/bin/python" -m pip install -q "${mypy_reqs[@]}"; then
		required && fail "cannot install ${mypy_reqs[*]} into $venv (see pip's error above)"
		echo "test-python.sh: WARNING: no mypy (cannot install it); the type hints are not checked with mypy --strict" >&2
		mypy=
	fi
fi

# The module cache must hold the Go dependencies (go test has usually filled
# it already); after that the build runs with the proxy switched off.
go mod download || fail "go mod download failed: the Go module cache lacks the dependencies and the proxy cannot be reached"
echo "test-python.sh: pip install . (offline: no index, GOPROXY=off)" >&2
GOPROXY=off "$venv/bin/python" -m pip install -q --no-index --no-deps --force-reinstall . ||
	fail "pip install . failed (see above): the in-tree backend builds capi/ with go build -buildmode=c-shared"
"$venv/bin/python" -c 'import cffi, execkit' || fail "the installed package does not import (see above)"

# An sdist carries its Go dependencies in vendor/: it builds with an empty
# module cache and no proxy, as on an air-gapped machine.
echo "test-python.sh: sdist -> wheel with an empty module cache (air-gapped build)" >&2
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
sdist=$("$venv/bin/python" -c 'import sys; sys.path.insert(0, "python/build_backend"); import execkit_build; print(execkit_build.build_sdist(sys.argv[1]))' "$tmp") ||
	fail "building the sdist failed (see above)"
mkdir "$tmp/modcache" "$tmp/wheel"
GOMODCACHE="$tmp/modcache" GOPROXY=off GOFLAGS= \
	"$venv/bin/python" -m pip wheel -q --no-index --no-deps -w "$tmp/wheel" "$tmp/$sdist" ||
	fail "the sdist does not build offline with an empty module cache (see above): is vendor/ complete?"
"$venv/bin/python" -c 'import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); assert "execkit/libexeckit.so" in names, names' "$tmp"/wheel/*.whl ||
	fail "the wheel built from the sdist has no execkit/libexeckit.so"

if [ -n "$mypy" ]; then
	echo "test-python.sh: mypy --strict python/execkit" >&2
	"$venv/bin/python" -m mypy --strict --cache-dir=/dev/null python/execkit ||
		fail "mypy --strict found errors in the package's type hints (above)"
fi

echo "test-python.sh: pytest" >&2
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
