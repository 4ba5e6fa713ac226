"""Opening and closing: no shell is left behind, closed sessions raise."""

from __future__ import annotations

import gc
import os

import pytest

import execkit
from conftest import alive, children, wait_gone


def shell_pid(s: execkit.Session) -> int:
    return int(s.exec("echo $$").stdout)


def test_with_block_kills_the_shell_and_its_children(tmp_path):
    with execkit.Session.local() as s:
        pid = shell_pid(s)
        s.exec("sleep 300 >/dev/null 2>&1 &")
        kids = children(pid)
        assert pid in children(os.getpid()) or alive(pid)
    assert s.closed
    assert wait_gone(pid), "the shell outlived the with block"
    for k in kids:
        assert wait_gone(k), f"process {k} the shell started outlived the session"


def test_exception_in_with_block_still_closes():
    with pytest.raises(RuntimeError):
        with execkit.Session.local() as s:
            pid = shell_pid(s)
            raise RuntimeError("boom")
    assert wait_gone(pid)


def test_closed_session_raises_never_crashes():
    s = execkit.Session.local()
    r = s.exec("seq 1 10", head=1)
    s.close()
    s.close()  # idempotent
    for call in (
        lambda: s.exec("true"),
        lambda: s.output(r.output_id),
        lambda: s.cwd,
    ):
        with pytest.raises(execkit.SessionClosed):
            call()
    with pytest.raises(execkit.SessionEnded):  # SessionClosed is a SessionEnded
        s.exec("true")
    assert s.ended == "the session was closed"
    assert "closed" in repr(s)
    assert s.interrupt() == 0


def test_dropped_session_is_closed_by_the_garbage_collector():
    s = execkit.Session.local()
    pid = shell_pid(s)
    sid = s.id
    del s
    gc.collect()
    assert wait_gone(pid), "a Session dropped without close() kept its shell"
    assert sid not in {i.session_id for i in execkit.sessions()}


def test_many_sessions_open_and_close():
    before = len(execkit.sessions())
    pids = []
    for _ in range(20):
        with execkit.Session.local() as s:
            pids.append(shell_pid(s))
    assert len(execkit.sessions()) == before
    assert all(wait_gone(p) for p in pids)
