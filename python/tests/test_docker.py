"""Docker sessions, when a daemon and one of the Go tests' local images
(execkit-test/*, built from this machine's files by internal/fixture) are
there; the Go side tests the docker transport itself, so otherwise skip."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from typing import Iterator

import pytest

import execkit


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def container() -> Iterator[str]:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI to start a test container with")
    try:
        images = _docker("images", "--format", "{{.Repository}}:{{.Tag}}", "execkit-test/*", timeout=20)
    except subprocess.TimeoutExpired:
        pytest.skip("the Docker daemon does not answer")
    refs = [r for r in images.stdout.split() if r.startswith("execkit-test/")]
    if images.returncode != 0 or not refs:
        pytest.skip("no execkit-test image (the Go docker tests build them)")
    ref = sorted(refs, key=lambda r: "bash" not in r)[0]
    name = "execkit-pytest-" + secrets.token_hex(4)
    run = _docker("run", "-d", "--rm", "--network", "none", "--label", "execkit.test=1", "--name", name, ref,
                  "/bin/sh", "-c", "trap 'exit 0' TERM INT; sleep 2147483647 & wait")
    if run.returncode != 0:
        pytest.skip(f"cannot start a test container: {run.stderr.strip()}")
    try:
        yield name
    finally:
        _docker("rm", "-f", name)


def test_docker_session(container):
    with execkit.Session.docker(container, timeout=30) as s:
        assert s.transport == "docker"
        assert s.id.endswith("_docker_" + container)
        s.exec("cd /tmp && export EK=docker")
        r = s.exec("echo $EK; pwd; echo err >&2")
        assert (r.stdout, r.stderr, r.cwd) == ("docker\n/tmp\n", "err\n", "/tmp")
        assert s.exec("sleep 10", timeout=0.5).timed_out
        assert s.exec("echo after").stdout == "after\n"


def test_missing_container():
    if shutil.which("docker") is None or _docker("version", timeout=20).returncode != 0:
        pytest.skip("no Docker daemon")
    with pytest.raises(execkit.ContainerError):
        execkit.Session.docker("execkit-no-such-container-" + secrets.token_hex(4))
