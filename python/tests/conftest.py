"""Fixtures: real sessions against the installed library, and a real sshd."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from typing import Iterator, List, NoReturn, Optional

import pytest

import execkit


def fixtures_required() -> bool:
    """EXECKIT_REQUIRE_FIXTURES=1 (set by scripts/test.sh) or CI=true turns a
    missing fixture from a skip into a failure, as on the Go side."""
    return os.environ.get("EXECKIT_REQUIRE_FIXTURES") == "1" or os.environ.get("CI") == "true"


def missing(what: str) -> NoReturn:
    if fixtures_required():
        pytest.fail(f"fixture missing: {what} (EXECKIT_REQUIRE_FIXTURES=1 or CI=true)")
    pytest.skip(f"fixture missing: {what}")


@pytest.fixture
def session(tmp_path) -> Iterator[execkit.Session]:
    s = execkit.Session.local(cwd=str(tmp_path), timeout=60)
    try:
        yield s
    finally:
        s.close()


def alive(pid: int) -> bool:
    """Whether pid runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def children(pid: int) -> List[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append(int(entry))
    return out


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- sshd: `sshd -i` per connection behind a loopback listener, as the Go
# fixture (internal/fixture) and x/crypto/ssh's tests run it. ---


class SSHD:
    def __init__(self, directory: str, sshd: str) -> None:
        self.dir = directory
        self.sshd = sshd
        self.user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        self.key_dir = os.path.join(directory, "keys")
        os.makedirs(self.key_dir)
        os.makedirs(os.path.join(directory, "authorized"))
        self.host_key = os.path.join(directory, "ssh_host_ed25519_key")
        keygen = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", self.host_key], check=True)
        self.user_key = os.path.join(self.key_dir, "id_ed25519")
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", self.user_key], check=True)
        shutil.copy(self.user_key + ".pub", os.path.join(directory, "authorized", self.user))
        self.config = os.path.join(directory, "sshd_config")
        with open(self.config, "w") as f:
            f.write(
                f"HostKey {self.host_key}\n"
                f"AuthorizedKeysFile {directory}/authorized/%u\n"
                "PidFile none\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
                "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                "MaxSessions 32\nPrintMotd no\nUseDNS no\nLogLevel ERROR\n"
            )
        check = subprocess.run([sshd, "-t", "-f", self.config], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"sshd -t rejects the test configuration: {check.stderr}")
        self.known_hosts = os.path.join(directory, "known_hosts")
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.procs: List[subprocess.Popen] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                p = subprocess.Popen([self.sshd, "-i", "-e", "-f", self.config], stdin=conn.fileno(),
                                     stdout=conn.fileno(), stderr=subprocess.DEVNULL, start_new_session=True)
            with self.lock:
                self.procs.append(p)

    def rotate_host_key(self) -> None:
        os.remove(self.host_key)
        os.remove(self.host_key + ".pub")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.host_key], check=True)

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        except OSError:
            pass
        self.listener.close()
        self.thread.join(10)
        with self.lock:
            for p in self.procs:
                try:
                    os.killpg(p.pid, 9)
                except OSError:
                    pass
                p.wait()


def _sshd_path() -> Optional[str]:
    for p in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if p and os.path.exists(p):
            return p
    return None


@pytest.fixture
def sshd(tmp_path) -> Iterator[SSHD]:
    path = _sshd_path()
    if path is None or shutil.which("ssh-keygen") is None:
        missing("sshd and ssh-keygen (Debian packages openssh-server, openssh-client)")
    assert path is not None
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # privilege separation, as the service would
    server = SSHD(str(tmp_path / "sshd"), path)
    try:
        yield server
    finally:
        server.stop()
