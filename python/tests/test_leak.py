"""A measured leak check through the real C ABI, over every kind of call:
cheap calls by the hundred thousand, execs, sessions opened and closed, jobs
started, read, written to and signalled, checkpoints taken and restored.

After a warm-up (so that pools, caches and the Go heap have reached their
working size), the same work runs twice, in two equal phases, and the
process's RSS is read before and after each. A leak adds up from phase to
phase; allocator and garbage-collector noise does not. The bounds (below) are
for these two phases alone, not for the whole run, so they are as tight as
that noise allows. Open file descriptors and child processes are counted
exactly.

EXECKIT_LEAK_CALLS changes the number of cheap calls (100,000 by default,
split between the two phases).
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import Dict

import execkit
from execkit import _lib
from conftest import children, rss_bytes

CALLS = int(os.environ.get("EXECKIT_LEAK_CALLS", "100000"))
# Per phase: CALLS // 2 cheap calls, and STEPS times EXECS_PER_STEP execs
# and one heavy step (a session opened and closed, a job, a checkpoint and a
# restore).
STEPS = 60
EXECS_PER_STEP = 20

# The noise measured here (Go's heap pacing, the allocator keeping pages it
# freed, Python's arenas) moves RSS by up to about 1.4 MiB in a phase, often
# up in one and down in the next: over both phases it stayed under 1.5 MiB. A
# leak adds up instead, though not evenly (a Go map or slice that grows
# doubles at once): a call id left in the registry once per cheap round
# (~350 bytes, 7,140 a phase) measured +1.4 then +3.5 MiB, +4.9 in all. So:
#   TOTAL: the two phases together grew by less than 3 MiB. A larger
#     growth is a leak of more than ~31 bytes per cheap call (100,000 of
#     them; an answer alone is ~200 bytes), ~1.2 KiB per exec (2,640), or
#     ~25 KiB per heavy step (120; a leaked session holds far more in output
#     windows, buffers and goroutine stacks).
#   PHASE: neither phase grew by more than 3 MiB, whatever the other did.
# File descriptors and child processes are compared exactly. Leaks smaller
# than these are the Go tests' to find: capi's TestNoLeakAcrossManyCalls and
# TestRejectedArgumentsReleaseTheCall count call ids, handles and goroutines.
TOTAL = 3 << 20
PHASE = 3 << 20


@dataclass
class Counts:
    """What one phase did."""

    calls: int = 0
    execs: int = 0
    sessions: int = 0
    jobs: int = 0
    restores: int = 0


def cheap_round(s: execkit.Session, output_id: str) -> int:
    """Seven calls of the library; six allocate an answer to free."""
    lib, ffi = _lib.lib(), _lib.ffi
    s.cwd  # execkit_session_info
    s.output(output_id, tail=1)  # execkit_output with a budget
    try:
        s.output("out_0")  # an error answer
    except execkit.UnknownOutput:
        pass
    lib.execkit_free(lib.execkit_session_info(1 << 62))  # bad handle
    call = lib.execkit_call_new()  # a call cancelled before it starts
    lib.execkit_cancel(call)
    lib.execkit_free(lib.execkit_exec(s._handle, b"sleep 10", 8, ffi.NULL, call))
    call = lib.execkit_call_new()  # a call refused at the boundary
    lib.execkit_free(lib.execkit_exec(s._handle, ffi.NULL, 5, ffi.NULL, call))
    assert not lib.execkit_cancel(call), "a refused call releases its call id"
    return 7


def heavy_step(ws: str, counts: Counts) -> None:
    """A session opened and closed, with a checkpoint restored and a job
    started, read, written to and signalled in it."""
    with execkit.Session.local(cwd=ws, workspace=ws, timeout=30) as s:
        counts.sessions += 1
        s.exec("echo one > a.txt; rm -f b.txt")
        cp = s.checkpoint("leak check")
        s.exec("echo two > a.txt; echo new > b.txt")
        report = s.restore(cp.id)
        assert report.files_changed == 2, report
        counts.restores += 1
        counts.execs += 2
        job = s.start("echo ready; read -r line; echo got $line; sleep 60")
        assert job.output(wait=10, until="ready").matched
        assert job.input("x\n") == 2
        assert job.output(wait=10, until="got x").matched
        assert not job.signal("TERM").running
        counts.jobs += 1


def phase(s: execkit.Session, output_id: str, ws: str, cheap_calls: int, steps: int) -> Counts:
    counts = Counts()
    per_step = cheap_calls // steps
    for _ in range(steps):
        target = counts.calls + per_step
        while counts.calls < target:
            counts.calls += cheap_round(s, output_id)
        for _ in range(EXECS_PER_STEP):
            assert s.exec("echo hi").stdout == "hi\n"
        counts.execs += EXECS_PER_STEP
        heavy_step(ws, counts)
    return counts


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle(shells: int) -> Dict[str, int]:
    """RSS, fds and children once the garbage is collected and the closed
    sessions' shells are reaped (``shells`` is how many stay open)."""
    gc.collect()
    deadline = time.monotonic() + 10
    while len(children(os.getpid())) > shells and time.monotonic() < deadline:
        time.sleep(0.05)
    gc.collect()
    return {"rss": rss_bytes(), "fds": fds(), "children": len(children(os.getpid()))}


def test_rss_is_stable_over_many_calls(tmp_path, capsys):
    ws = str(tmp_path / "ws")
    os.mkdir(ws)
    start = time.monotonic()
    with execkit.Session.local(cwd=str(tmp_path)) as s:
        r = s.exec("seq 1 2000", head=1)
        assert r.output_id
        shells = len(children(os.getpid()))
        phase(s, r.output_id, ws, CALLS // 5, STEPS // 2)  # warm-up
        base = settle(shells)
        a = phase(s, r.output_id, ws, CALLS // 2, STEPS)
        mid = settle(shells)
        b = phase(s, r.output_id, ws, CALLS // 2, STEPS)
        end = settle(shells)
    elapsed = time.monotonic() - start
    assert a == b, "the two phases do the same work"
    growth = [mid["rss"] - base["rss"], end["rss"] - mid["rss"]]
    with capsys.disabled():
        print(f"\nleak check: 2 phases of {a.calls} calls, {a.execs} execs, {a.sessions} sessions, {a.jobs} jobs, "
              f"{a.restores} checkpoint+restore in {elapsed:.1f} s (with warm-up); RSS "
              f"{base['rss'] / 2**20:.1f} -> {mid['rss'] / 2**20:.1f} -> {end['rss'] / 2**20:.1f} MiB "
              f"({growth[0] / 2**20:+.2f}, {growth[1] / 2**20:+.2f} MiB a phase); "
              f"fds {base['fds']} -> {mid['fds']} -> {end['fds']}")
    for i, g in enumerate(growth, 1):
        assert g < PHASE, f"RSS grew by {g / 2**20:.1f} MiB in phase {i} ({a.calls} calls, {a.sessions} sessions, ...)"
    assert sum(growth) < TOTAL, (
        f"RSS grew by {growth[0] / 2**20:.1f} then {growth[1] / 2**20:.1f} MiB in two equal phases: a leak")
    assert base["fds"] == mid["fds"] == end["fds"], "every session and job closes its file descriptors"
    assert base["children"] == mid["children"] == end["children"], "every closed session's shell is gone"
    assert s.id not in {i.session_id for i in execkit.sessions()}
