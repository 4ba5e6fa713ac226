"""Threads: the GIL is released while Go works, calls on one session
serialize, and calls can be interrupted."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import execkit


def run_threads(targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # reported below
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return time.monotonic() - start


def test_the_gil_is_released_two_sessions_run_in_parallel():
    a, b = execkit.Session.local(), execkit.Session.local()
    try:
        results = {}
        # Python keeps running meanwhile: a counting thread gets the GIL.
        ticks = []
        stop = threading.Event()

        def count():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0.01)

        counter = threading.Thread(target=count)
        counter.start()
        elapsed = run_threads([
            lambda: results.setdefault("a", a.exec("sleep 1; echo a")),
            lambda: results.setdefault("b", b.exec("sleep 1; echo b")),
        ])
        stop.set()
        counter.join()
        assert results["a"].stdout == "a\n" and results["b"].stdout == "b\n"
        assert elapsed < 1.8, f"two 1 s commands in two sessions took {elapsed:.2f} s: they did not run in parallel"
        assert len(ticks) > 30, "another Python thread ran while Go worked"
    finally:
        a.close()
        b.close()


def test_two_threads_on_one_session_serialize(session):
    outputs = {}

    def worker(i):
        def run():
            outputs[i] = session.exec(f"x={i}; sleep 0.3; echo $x").stdout
        return run

    elapsed = run_threads([worker(i) for i in range(4)])
    assert outputs == {i: f"{i}\n" for i in range(4)}, "calls interleaved"
    assert elapsed >= 1.1, "calls on one session run one at a time"


def test_many_threads_many_sessions():
    sessions = [execkit.Session.local() for _ in range(4)]
    try:
        def worker(s, k):
            def run():
                for j in range(15):
                    r = s.exec(f"echo {k}-{j}")
                    assert r.stdout == f"{k}-{j}\n"
                    assert s.cwd
            return run
        run_threads([worker(sessions[k % 4], k) for k in range(12)])
    finally:
        for s in sessions:
            s.close()


def test_close_from_another_thread_interrupts_exec():
    s = execkit.Session.local()
    outcome = {}

    def run():
        try:
            outcome["result"] = s.exec("sleep 30")
        except execkit.SessionEnded as e:
            outcome["error"] = e

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    start = time.monotonic()
    s.close()
    t.join(20)
    assert not t.is_alive()
    assert time.monotonic() - start < 15
    assert "error" in outcome or outcome["result"].session_ended
    with pytest.raises(execkit.SessionClosed):
        s.exec("true")


def test_interrupt_from_another_thread(session):
    session.exec("cd / && export KEEP=1")
    timer = threading.Timer(0.5, session.interrupt)
    timer.start()
    start = time.monotonic()
    r = session.exec("sleep 30")
    assert r.timed_out
    assert time.monotonic() - start < 10
    assert session.exec("echo $KEEP; pwd").stdout == "1\n/\n"
    assert session.interrupt() == 0, "nothing running: nothing interrupted"


def test_ctrl_c_in_the_main_thread_interrupts_the_command(session):
    assert threading.current_thread() is threading.main_thread()
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        session.exec("sleep 30")
    assert time.monotonic() - start < 10
    assert session.exec("echo after").stdout == "after\n", "the session survives Ctrl-C"


def test_exec_and_close_race_never_crashes():
    for _ in range(10):
        s = execkit.Session.local()
        t = threading.Thread(target=lambda: _swallow(lambda: s.exec("echo x")))
        t.start()
        s.close()
        t.join(20)
        assert not t.is_alive()


def _swallow(fn):
    try:
        fn()
    except execkit.SessionEnded:
        pass
