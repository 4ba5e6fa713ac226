"""Hostile and malformed input: every case is an exception or a result, never
a crash or a hang. Includes calls straight through the C ABI."""

from __future__ import annotations

import json

import pytest

import execkit
from execkit import _lib


@pytest.mark.parametrize("command", [None, 1, 2.5, ["ls"], {"cmd": "ls"}, object()])
def test_wrong_command_types(session, command):
    with pytest.raises(TypeError):
        session.exec(command)  # type: ignore[arg-type]


def test_nul_bytes(session):
    with pytest.raises(execkit.InvalidArgument) as e:
        session.exec("echo a\0b")
    assert "NUL" in str(e.value)
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError
        session.exec(b"\0")
    # A shell cannot carry NUL in stdin: refused, never silently altered.
    with pytest.raises(execkit.InvalidArgument) as e:
        session.exec("od -An -c", stdin="a\0b")
    assert "NUL" in str(e.value)
    with pytest.raises(execkit.InvalidArgument):
        session.output("out_1\0")
    with pytest.raises(execkit.ExecKitError):
        execkit.Session.local(cwd="/tmp\0x")
    with pytest.raises(execkit.ExecKitError):
        execkit.Session.local(env={"A": "x\0y"})


def test_empty_and_blank_commands(session):
    for command in ("", "   ", "\n"):
        try:
            r = session.exec(command)
        except execkit.InvalidArgument:
            continue
        assert r.exit_code == 0
    assert session.exec("echo ok").stdout == "ok\n"


def test_huge_command_and_stdin(session):
    big = "x" * (4 << 20)
    r = session.exec(f"echo {big} | wc -c")
    assert r.stdout.strip() == str(len(big) + 1)
    r = session.exec("wc -c", stdin=big)
    assert r.stdout.strip() == str(len(big))


def test_huge_output_is_bounded(session):
    r = session.exec("yes | head -c 50000000", max_chars=1000)
    assert r.truncated
    assert len(r.stdout) <= 2000


def test_binary_and_invalid_utf8_output(session):
    r = session.exec(r"printf 'ok \xff\xfe\x00 end\n'")
    assert r.exit_code == 0
    assert r.stdout.startswith("ok ") and r.stdout.endswith("end\n")
    r = session.exec("head -c 100000 /dev/urandom")
    assert r.exit_code == 0
    assert "binary" in r.stdout


def test_non_utf8_command_bytes_and_surrogates(session):
    r = session.exec(b"printf '%s' '\xff' | od -An -tx1")
    assert r.stdout.split() == ["ff"]
    # A str holding surrogate escapes (a file name from os.listdir) goes as
    # its original bytes.
    r = session.exec("printf '%s' '\udcff' | od -An -tx1")
    assert r.stdout.split() == ["ff"]
    with pytest.raises(execkit.InvalidArgument):
        session.exec("echo \ud800")  # not an escape: no bytes stand for it
    with pytest.raises(execkit.InvalidArgument):
        session.exec("cat", stdin=b"\xff\xfe")


@pytest.mark.parametrize("pattern", ["(", "[z-a]", "a{1000}{1000}", "x" * 5000, "(?P<n", "\\"])
def test_bad_grep_patterns_fail_before_running(session, tmp_path, pattern):
    marker = tmp_path / "ran"
    with pytest.raises(execkit.BudgetError) as e:
        session.exec(f"touch {marker}", grep=pattern)
    assert e.value.field == "grep.pattern"
    assert not marker.exists(), "a bad budget is refused before the command runs"


@pytest.mark.parametrize("kwargs", [
    {"tail": 0}, {"tail": -1}, {"head": 10**9}, {"grep": "x", "context": -1}, {"grep": "x", "context": 10**6},
    {"max_chars": -5}, {"grep": ""},
])
def test_budget_values_out_of_range(session, kwargs):
    with pytest.raises(execkit.BudgetError):
        session.exec("true", **kwargs)


@pytest.mark.parametrize("kwargs,error", [
    ({"tail": "5"}, TypeError),
    ({"tail": 1.5}, TypeError),
    ({"tail": True}, TypeError),
    ({"grep": 5}, TypeError),
    ({"tail": 1, "head": 1}, execkit.InvalidArgument),
    ({"context": 2}, execkit.InvalidArgument),
    ({"timeout": "1"}, TypeError),
    ({"timeout": float("inf")}, execkit.InvalidArgument),
    ({"timeout": float("nan")}, execkit.InvalidArgument),
    ({"timeout": -1}, execkit.InvalidArgument),
    ({"timeout": 0}, execkit.InvalidArgument),
    ({"stdin": 5}, TypeError),
    ({"budget": {"tail": 1}}, TypeError),
    ({"budget": execkit.Budget(tail=1), "tail": 1}, execkit.InvalidArgument),
    ({"tial": 1}, TypeError),
])
def test_wrong_argument_types(session, kwargs, error):
    with pytest.raises(error):
        session.exec("true", **kwargs)


@pytest.mark.parametrize("kwargs,error", [
    ({"env": {"A": 1}}, TypeError),
    ({"env": ["A=1"]}, TypeError),
    ({"env": {"not a name": "x"}}, execkit.ExecKitError),
    ({"cwd": 5}, TypeError),
    ({"cwd": b"/tmp"}, TypeError),
    ({"deny": "rm"}, TypeError),
    ({"deny": [1]}, TypeError),
    ({"deny_patterns": ["("]}, execkit.ExecKitError),
    ({"timeout": -3}, execkit.InvalidArgument),
    ({"budget": execkit.Budget(tail=-1)}, execkit.BudgetError),
    ({"shell": "bash"}, TypeError),
    ({"max_chars": "10"}, TypeError),
    ({"auto_snapshot": "yes"}, TypeError),
    ({"bogus": 1}, TypeError),
])
def test_bad_session_options(kwargs, error):
    with pytest.raises(error):
        execkit.Session.local(**kwargs).close()


def test_output_id_types(session):
    with pytest.raises(TypeError):
        session.output(None)  # type: ignore[arg-type]
    with pytest.raises(execkit.UnknownOutput):
        session.output("\u00e9\ud800")


def test_session_cannot_be_built_by_hand():
    with pytest.raises(TypeError):
        execkit.Session({})  # type: ignore[arg-type]


def test_ssh_and_docker_arguments_are_checked():
    with pytest.raises(TypeError):
        execkit.Session.ssh(None, "u")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        execkit.Session.ssh("h", "u", port="22")  # type: ignore[arg-type]
    with pytest.raises(execkit.InvalidArgument):
        execkit.Session.ssh("-oProxyCommand=touch /tmp/pwned", "u")
    with pytest.raises(execkit.InvalidArgument):
        execkit.Session.ssh("127.0.0.1", "u", port=70000)
    with pytest.raises(execkit.InvalidArgument):
        execkit.Session.docker("../../etc")
    with pytest.raises(TypeError):
        execkit.Session.docker(5)  # type: ignore[arg-type]


# --- the C ABI itself ---


def raw(fn):
    """Call the library directly and return the decoded answer, error or not."""
    lib = _lib.lib()
    ptr = fn(lib)
    try:
        return json.loads(_lib.ffi.string(ptr))
    finally:
        lib.execkit_free(ptr)


def test_abi_bad_handles_are_errors_not_crashes():
    for handle in (0, 1 << 63, 2**64 - 1, 123456789):
        for answer in (
            raw(lambda lib: lib.execkit_exec(handle, b"true", 4, _lib.ffi.NULL, 0)),
            raw(lambda lib: lib.execkit_output(handle, b"x", _lib.ffi.NULL)),
            raw(lambda lib: lib.execkit_session_info(handle)),
            raw(lambda lib: lib.execkit_close(handle)),
        ):
            assert answer["error"]["kind"] == "bad_handle", answer


def test_abi_null_pointers_and_garbage():
    ffi = _lib.ffi
    s = execkit.Session.local()
    try:
        h = s._handle
        assert raw(lambda lib: lib.execkit_exec(h, ffi.NULL, 5, ffi.NULL, 0))["error"]["kind"] == "bad_argument"
        r = raw(lambda lib: lib.execkit_exec(h, ffi.NULL, 0, ffi.NULL, 0))
        assert "error" in r or r["exit_code"] == 0
        assert raw(lambda lib: lib.execkit_output(h, ffi.NULL, ffi.NULL))["error"]["kind"] == "bad_argument"
        for garbage in (b"{", b"[]", b"\"x\"", b"{\"timeout_s\": \"5\"}", b"{\"budget\": 7}", b"\xff\xfe", b"{\"a\":1}"):
            answer = raw(lambda lib: lib.execkit_exec(h, b"true", 4, garbage, 0))
            assert answer["error"]["kind"] == "bad_argument", (garbage, answer)
        for garbage in (b"{", b"null", b"{\"transport\": 5}", b"{\"config\": []}"):
            answer = raw(lambda lib: lib.execkit_open(garbage, 0))
            if garbage == b"null":  # null is the defaults: a local session
                assert raw(lambda lib: lib.execkit_close(answer["session"])) == {"closed": True}
                continue
            assert answer["error"]["kind"] == "bad_argument", (garbage, answer)
        # A call id that was never handed out, and one used twice.
        assert raw(lambda lib: lib.execkit_exec(h, b"true", 4, ffi.NULL, 987654321))["error"]["kind"] == "bad_argument"
        assert lib_cancel(987654321) is False
        execkit_free_null()
        assert s.exec("echo alive").stdout == "alive\n"
    finally:
        s.close()


def test_abi_refused_arguments_release_the_call_id():
    """A call refused at the C boundary (a NULL pointer with a length, or a
    NULL job id) still releases the call id it was given: execkit_cancel then
    reports the id unknown, as it does for a call that ran."""
    ffi = _lib.ffi
    with execkit.Session.local() as s:
        h = s._handle
        job = s.start("sleep 60")
        jid = job.id.encode()
        refused = {
            "exec NULL command": lambda lib, c: lib.execkit_exec(h, ffi.NULL, 5, ffi.NULL, c),
            "exec command over 2 GiB": lambda lib, c: lib.execkit_exec(h, b"x", 1 << 33, ffi.NULL, c),
            "job_start NULL command": lambda lib, c: lib.execkit_job_start(h, ffi.NULL, 5, ffi.NULL, c),
            "job_output NULL job": lambda lib, c: lib.execkit_job_output(h, ffi.NULL, ffi.NULL, c),
            "job_input NULL job": lambda lib, c: lib.execkit_job_input(h, ffi.NULL, b"x", 1, c),
            "job_input NULL input": lambda lib, c: lib.execkit_job_input(h, jid, ffi.NULL, 3, c),
            "job_signal NULL job": lambda lib, c: lib.execkit_job_signal(h, ffi.NULL, ffi.NULL, c),
        }
        for name, fn in refused.items():
            call = _lib.new_call()
            answer = raw(lambda lib: fn(lib, call))
            assert answer["error"]["kind"] == "bad_argument", (name, answer)
            assert lib_cancel(call) is False, f"{name}: the call id is released, not left pending"
        # The same calls with good arguments still work, and release theirs.
        call = _lib.new_call()
        assert raw(lambda lib: lib.execkit_exec(h, b"echo ok", 7, ffi.NULL, call))["stdout"] == "ok\n"
        assert lib_cancel(call) is False
        assert job.running, "the refused calls left the job alone"
        job.stop()


def lib_cancel(call_id: int) -> bool:
    return bool(_lib.lib().execkit_cancel(call_id))


def execkit_free_null() -> None:
    _lib.lib().execkit_free(_lib.ffi.NULL)


def test_abi_version():
    v = raw(lambda lib: lib.execkit_version())
    assert v["abi"] == _lib.ABI_VERSION
    assert v["go"].startswith("go")
