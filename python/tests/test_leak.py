"""A measured leak check through the real C ABI: the process's RSS before and
after 100,000 calls (EXECKIT_LEAK_CALLS to change the count)."""

from __future__ import annotations

import gc
import os
import time

import execkit
from execkit import _lib
from conftest import rss_bytes

CALLS = int(os.environ.get("EXECKIT_LEAK_CALLS", "100000"))
# Allowed growth after warm-up: far below what a leak of even a few bytes a
# call would add up to (100k calls x the ~200-byte answers = 20 MB).
SLACK = 8 << 20


def one_round(s: execkit.Session, output_id: str) -> int:
    """Six calls of the library; five allocate an answer to free."""
    lib = _lib.lib()
    s.cwd  # execkit_session_info
    s.output(output_id, tail=1)  # execkit_output with a budget
    try:
        s.output("out_0")  # an error answer
    except execkit.UnknownOutput:
        pass
    ptr = lib.execkit_session_info(1 << 62)  # bad handle
    lib.execkit_free(ptr)
    call = lib.execkit_call_new()  # a call cancelled before it starts
    lib.execkit_cancel(call)
    ptr = lib.execkit_exec(s._handle, b"sleep 10", 8, _lib.ffi.NULL, call)
    lib.execkit_free(ptr)
    return 6


def test_rss_is_stable_over_many_calls(capsys):
    with execkit.Session.local() as s:
        r = s.exec("seq 1 2000", head=1)
        assert r.output_id
        warm = 0
        while warm < CALLS // 5:
            warm += one_round(s, r.output_id)
        for _ in range(200):
            s.exec("echo warm")
        gc.collect()
        before = rss_bytes()
        start = time.monotonic()
        calls = 0
        while calls < CALLS:
            calls += one_round(s, r.output_id)
        execs = 0
        while execs < 2000:
            assert s.exec("echo hi").stdout == "hi\n"
            execs += 1
        gc.collect()
        after = rss_bytes()
        elapsed = time.monotonic() - start
    growth = after - before
    with capsys.disabled():
        print(f"\nleak check: {calls} calls + {execs} execs in {elapsed:.1f} s; "
              f"RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB ({growth / 2**20:+.2f} MiB)")
    assert growth < SLACK, f"RSS grew by {growth / 2**20:.1f} MiB over {calls} calls"
