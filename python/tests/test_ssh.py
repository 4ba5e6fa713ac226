"""SSH sessions against a real OpenSSH server on loopback (see conftest)."""

from __future__ import annotations

import os
import socket

import pytest

import execkit


def open_ssh(sshd, **kwargs):
    kwargs.setdefault("key_path", "id_ed25519")
    kwargs.setdefault("key_dir", sshd.key_dir)
    kwargs.setdefault("known_hosts", sshd.known_hosts)
    kwargs.setdefault("dial_timeout", 20)
    return execkit.Session.ssh("127.0.0.1", sshd.user, port=sshd.port, **kwargs)


def test_ssh_session_with_trust_on_first_use(sshd):
    assert not os.path.exists(sshd.known_hosts)
    with open_ssh(sshd) as s:
        assert s.transport == "ssh"
        assert s.id.endswith(f"_ssh_{sshd.user}@127.0.0.1:{sshd.port}")
        s.exec("cd /tmp && export EK=ssh")
        r = s.exec("echo $EK; pwd; echo err >&2")
        assert (r.stdout, r.stderr, r.cwd) == ("ssh\n/tmp\n", "err\n", "/tmp")
        assert s.exec("seq 1 50", tail=2).stdout == "49\n50\n"
    with open(sshd.known_hosts) as f:
        recorded = f.read()
    assert f"[127.0.0.1]:{sshd.port}" in recorded or "|1|" in recorded, "the first key was recorded"
    # The recorded key is trusted next time.
    with open_ssh(sshd) as s:
        assert s.exec("echo again").stdout == "again\n"


def test_changed_host_key_is_refused(sshd):
    open_ssh(sshd).close()  # records the key
    sshd.rotate_host_key()
    with pytest.raises(execkit.HostKeyError) as e:
        open_ssh(sshd)
    assert e.value.host_key_kind == "changed"
    assert e.value.fingerprint.startswith("SHA256:")
    assert e.value.known
    assert isinstance(e.value, execkit.TransportError)


def test_pin_mismatch_is_refused(sshd):
    with pytest.raises(execkit.HostKeyError) as e:
        open_ssh(sshd, fingerprint="SHA256:" + "A" * 43)
    assert e.value.host_key_kind == "pin-mismatch"


def test_key_path_outside_the_key_directory(sshd, tmp_path):
    for path in ("/etc/passwd", "../sshd_config", "no-such-key", sshd.host_key):
        with pytest.raises(execkit.KeyPathError) as e:
            open_ssh(sshd, key_path=path)
        assert path not in str(e.value) or path == "no-such-key"
        assert isinstance(e.value, execkit.AuthError)


def test_authentication_failure(sshd):
    with pytest.raises(execkit.AuthError) as e:
        open_ssh(sshd, key_path=None, password="wrong-password")
    assert e.value.kind == "auth"
    assert "wrong-password" not in str(e.value)


def test_unreachable_host_is_a_transport_error(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(execkit.TransportError) as e:
        execkit.Session.ssh("127.0.0.1", "nobody", port=port, password="x", known_hosts=str(tmp_path / "kh"))
    assert type(e.value) is execkit.TransportError
