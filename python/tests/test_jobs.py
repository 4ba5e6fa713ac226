"""Jobs: processes that outlive the call."""

from __future__ import annotations

import time

import pytest

import execkit


def read_until(job, pattern, timeout=10.0):
    out = job.output(wait=timeout, until=pattern)
    assert out.matched, f"{pattern!r} did not appear: {out!r}"
    return out


def test_job_inherits_state_and_takes_input(session):
    session.exec("cd /tmp && export EK_JOB=inherited")
    job = session.start('echo "$EK_JOB $(pwd)"; while read -r line; do echo "got $line"; done; exit 3')
    assert job.id.startswith("job_")
    assert read_until(job, "inherited").stdout == "inherited /tmp\n"
    assert session.exec("echo meanwhile").stdout == "meanwhile\n", "exec goes on while the job runs"
    assert job.input("hello\n") == 6
    assert read_until(job, "got hello").stdout == "got hello\n"
    assert job.running
    job.close_input()
    deadline = time.monotonic() + 10
    out = job.output(wait=1)
    while out.running and time.monotonic() < deadline:
        out = job.output(wait=1)
    assert not out.running and out.exit_code == 3
    with pytest.raises(execkit.JobEnded):
        job.input("late\n")
    assert [j.job_id for j in session.jobs()] == [job.id]
    assert session.job(job.id).info().exit_code == 3


def test_signal_and_context_manager(session):
    job = session.start("sleep 60")
    info = job.signal("TERM")
    assert not info.running
    assert info.exit_code == 128 + 15
    with session.start("trap '' TERM; sleep 60") as stubborn:
        assert stubborn.running
    assert not stubborn.running, "leaving the with block stops the job, with KILL if TERM is ignored"
    with pytest.raises(execkit.InvalidArgument):
        job.signal("STOP")


def test_terminal_job(session):
    job = session.start("bash --norc --noprofile -i", tty=True, rows=30, cols=100)
    job.input("stty size; echo on-a-tty-$((6*7))\n")
    out = read_until(job, "on-a-tty-42")
    assert "30 100" in out.stdout
    job.input("exit\n")


def test_continue_past_timeout_becomes_a_job(session):
    r = session.exec("echo before; sleep 1; echo after", timeout=0.3, on_timeout="continue")
    assert r.timed_out and r.job_id
    job = session.job(r.job_id)
    out = read_until(job, "after")
    assert "after" in out.stdout
    for _ in range(50):
        if not job.running:
            break
        time.sleep(0.1)
    assert session.exec("echo free").stdout == "free\n"


def test_job_errors(session):
    with pytest.raises(execkit.UnknownJob):
        session.job("job_999")
    with pytest.raises(LookupError):
        execkit.Job(session, "job_999").output()
    with pytest.raises(TypeError):
        session.start(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        session.start("true", tty="yes")  # type: ignore[arg-type]
    with pytest.raises(execkit.InvalidArgument):
        session.start("true", tty=True, rows=10**6)
    job = session.start("sleep 5")
    with pytest.raises(execkit.InvalidArgument):
        job.output(until="(")
    with pytest.raises(execkit.InvalidArgument):
        job.output(wait=-1)
    with pytest.raises(TypeError):
        job.output(wait="1")  # type: ignore[arg-type]
    job.stop()
    with execkit.Session.local(deny=["curl"]) as s:
        with pytest.raises(execkit.PolicyDenied):
            s.start("curl http://127.0.0.1:1")


def test_jobs_die_with_their_session():
    from conftest import wait_gone
    s = execkit.Session.local()
    s.start("echo $$ > /dev/null; exec sleep 300")
    pid = int(s.exec("pgrep -n -f 'sleep 300'").stdout.split()[0])
    job = s.jobs()[0]
    s.close()
    assert wait_gone(pid), "a job outlived its session"
    with pytest.raises(execkit.SessionClosed):
        execkit.Job(s, job.job_id).output()
