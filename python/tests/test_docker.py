"""Docker sessions against a real daemon (scripts/fixtures.d/docker.sh starts
one). The container runs one of the Go tests' local images (execkit-test/*,
built from this machine's files by internal/fixture) or, when the Go tests
have not built them yet, a busybox image this file imports the same way: no
registry is reached. Without a daemon the tests skip, and fail when fixtures
are required (EXECKIT_REQUIRE_FIXTURES=1 or CI=true), as on the Go side."""

from __future__ import annotations

import hashlib
import io
import secrets
import shutil
import subprocess
import tarfile
from typing import Iterator, Optional

import pytest

import execkit
from conftest import missing


def _docker(*args: str, timeout: float = 60, data: Optional[bytes] = None) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, timeout=timeout, input=data)


def _daemon() -> None:
    """Skip (or fail) unless the docker CLI is there and the daemon answers."""
    if shutil.which("docker") is None:
        missing("the docker CLI, to start test containers with (Debian package docker.io)")
    try:
        version = _docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except subprocess.TimeoutExpired:
        missing("a Docker daemon that answers (docker version timed out after 20 s)")
    if version.returncode != 0:
        missing(f"a Docker daemon (scripts/fixtures.d/docker.sh starts one): {version.stderr.decode().strip()}")


def _busybox_image() -> str:
    """Import a busybox-only image (static busybox and its applets), tagged by
    its content, unless it is there already."""
    busybox = shutil.which("busybox")
    if busybox is None:
        missing("an execkit-test image, or busybox to build one (Debian package busybox-static)")
    assert busybox is not None
    listed = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        def add(name: str, kind: bytes, mode: int, data: bytes = b"", link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime, info.linkname, info.size = kind, mode, 1577836800, link, len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
        for d in ("bin", "dev", "etc", "proc", "sys", "root"):
            add(d, tarfile.DIRTYPE, 0o755)
        add("tmp", tarfile.DIRTYPE, 0o1777)
        add("etc/passwd", tarfile.REGTYPE, 0o644, b"root:x:0:0:root:/root:/bin/sh\n")
        with open(busybox, "rb") as f:
            add("bin/busybox", tarfile.REGTYPE, 0o755, f.read())
        for applet in sorted(set(listed) - {"busybox"}):
            if "/" not in applet and "[" not in applet:
                add("bin/" + applet, tarfile.SYMTYPE, 0o777, link="busybox")
    rootfs = buf.getvalue()
    ref = "execkit-test/pytest-busybox:" + hashlib.sha256(rootfs).hexdigest()[:12]
    if _docker("image", "inspect", ref, timeout=20).returncode == 0:
        return ref
    imported = _docker("import", "--change", "ENV PATH=/bin", "-", ref, data=rootfs, timeout=120)
    if imported.returncode != 0:
        pytest.fail(f"fixture: importing the busybox test image: {imported.stderr.decode().strip()}")
    return ref


@pytest.fixture
def container() -> Iterator[str]:
    _daemon()
    images = _docker("images", "--format", "{{.Repository}}:{{.Tag}}", "execkit-test/*", timeout=20)
    if images.returncode != 0:
        pytest.fail(f"fixture: docker images: {images.stderr.decode().strip()}")
    refs = [r for r in images.stdout.decode().split() if r.startswith("execkit-test/") and ":" in r and not r.endswith(":<none>")]
    ref = sorted(refs, key=lambda r: "bash" not in r)[0] if refs else _busybox_image()
    name = "execkit-pytest-" + secrets.token_hex(4)
    run = _docker("run", "-d", "--rm", "--network", "none", "--label", "execkit.test=1", "--name", name, ref,
                  "/bin/sh", "-c", "trap 'exit 0' TERM INT; sleep 2147483647 & wait")
    if run.returncode != 0:
        pytest.fail(f"fixture: cannot start a test container from {ref}: {run.stderr.decode().strip()}")
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
    _daemon()
    with pytest.raises(execkit.ContainerError):
        execkit.Session.docker("execkit-no-such-container-" + secrets.token_hex(4))
