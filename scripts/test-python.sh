#!/usr/bin/env bash
# Python SDK tests (scripts/test.sh runs this): a virtualenv with pytest, the
# package built and installed from this checkout with no package index at all
# (the in-tree build backend needs only the Go toolchain; GOPROXY=off proves
# the Go build fetches nothing either), then pytest against the real library.
# Safe to run again: the virtualenv is reused, the package reinstalled.
#
# Settings (all optional):
#   EXECKIT_PYTHON  the interpreter to use (default: the first python3.11 or
#                   python3 on PATH that has cffi)
#   EXECKIT_VENV    the virtualenv directory (default: .venv)
#   PYTEST_ADDOPTS  extra pytest arguments, as pytest reads them
set -euo pipefail
cd "$(dirname "$0")/.."

py=${EXECKIT_PYTHON:-}
if [ -z "$py" ]; then
	for c in python3.11 python3; do
		if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import cffi, venv' 2>/dev/null; then
			py=$c
			break
		fi
	done
fi
if [ -z "$py" ]; then
	echo "test-python.sh: no python3 with cffi on PATH (pip install cffi, or apt-get install python3-cffi python3-venv)" >&2
	exit 1
fi

venv=${EXECKIT_VENV:-.venv}
# --system-site-packages: cffi (the one runtime dependency) comes from the
# interpreter's own site-packages, so installing the package needs no index.
if ! "$venv/bin/python" -c 'import cffi, pytest' >/dev/null 2>&1; then
	echo "test-python.sh: creating $venv with $py ($("$py" --version 2>&1))" >&2
	rm -rf "$venv"
	"$py" -m venv --system-site-packages "$venv"
	"$venv/bin/python" -m pip install -q pytest
fi

# The module cache must hold the Go dependencies (go test has usually filled
# it already); after that the build runs with the proxy switched off.
go mod download
echo "test-python.sh: pip install . (offline: no index, GOPROXY=off)" >&2
GOPROXY=off "$venv/bin/python" -m pip install -q --no-index --no-deps --force-reinstall .
"$venv/bin/python" -c 'import cffi, execkit' # the runtime dependency is there

# An sdist carries its Go dependencies in vendor/: it builds with an empty
# module cache and no proxy, as on an air-gapped machine.
echo "test-python.sh: sdist -> wheel with an empty module cache (air-gapped build)" >&2
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
sdist=$("$venv/bin/python" -c 'import sys; sys.path.insert(0, "python/build_backend"); import execkit_build; print(execkit_build.build_sdist(sys.argv[1]))' "$tmp")
mkdir "$tmp/modcache" "$tmp/wheel"
GOMODCACHE="$tmp/modcache" GOPROXY=off GOFLAGS= \
	"$venv/bin/python" -m pip wheel -q --no-index --no-deps -w "$tmp/wheel" "$tmp/$sdist"
"$venv/bin/python" -c 'import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); assert "execkit/libexeckit.so" in names, names' "$tmp"/wheel/*.whl

echo "test-python.sh: pytest" >&2
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
