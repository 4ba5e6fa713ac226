"""The Session API against real bash."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest

import execkit
from execkit import Budget, Result


def test_exec_returns_a_structured_result(session, tmp_path):
    r = session.exec("echo out; echo err >&2; (exit 7)")
    assert isinstance(r, Result)
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"
    assert r.exit_code == 7
    assert r.cwd == str(tmp_path)
    assert r.duration_ms >= 0
    assert not r.truncated and not r.timed_out
    assert r.budget is None and r.output_id is None and r.redacted == 0
    assert not r.ok


def test_state_persists_between_commands(session):
    session.exec("cd /usr && export EK_A='a b'; f() { echo \"fn $1\"; }; shopt -s expand_aliases; alias hi='echo hi'; set -o pipefail")
    r = session.exec('pwd; echo "$EK_A"; f x; hi; false | true; echo $?')
    assert r.stdout == "/usr\na b\nfn x\nhi\n1\n"
    assert r.cwd == "/usr"
    assert session.cwd == "/usr"


def test_stdin_and_no_stdin(session):
    assert session.exec("cat", stdin="line1\nline2").stdout == "line1\nline2"
    assert session.exec("cat", stdin=b"bytes\n").stdout == "bytes\n"
    r = session.exec("read x; echo \"[$x] $?\"")
    assert r.stdout == "[] 1\n", "without stdin, a command reads /dev/null and cannot hang"


def test_env_cwd_and_noninteractive_defaults(tmp_path):
    with execkit.Session.local(cwd=tmp_path, env={"EK_X": "1"}) as s:
        r = s.exec('echo "$EK_X $PAGER $GIT_TERMINAL_PROMPT"; pwd')
        assert r.stdout == f"1 cat 0\n{tmp_path}\n"


def test_timeout_interrupts_and_the_session_goes_on(session):
    session.exec("cd / && export KEEP=yes")
    r = session.exec("echo started; sleep 30", timeout=0.5)
    assert r.timed_out
    assert r.stdout == "started\n"
    assert r.duration_ms < 10_000
    with pytest.raises(execkit.Timeout) as e:
        r.check()
    assert e.value.result is r
    after = session.exec("echo $KEEP; pwd")
    assert after.stdout == "yes\n/\n"


def test_session_default_timeout():
    with execkit.Session.local(timeout=0.5) as s:
        assert s.exec("sleep 10").timed_out


def test_budget_keywords(session):
    r = session.exec("seq 1 100", tail=3)
    assert r.stdout == "98\n99\n100\n"
    assert r.truncated and r.output_id
    assert r.budget is not None
    assert (r.budget.stdout.mode, r.budget.stdout.lines_total, r.budget.stdout.lines_kept) == ("tail", 100, 3)

    assert session.exec("seq 1 100", head=2).stdout == "1\n2\n"
    ht = session.exec("seq 1 100", head_tail=4).stdout
    assert ht.startswith("1\n2\n") and ht.endswith("99\n100\n")
    g = session.exec("seq 1 100", grep="^5[0-2]$", context=1)
    assert g.stdout.split() == ["49", "50", "51", "52", "53"]
    m = session.exec("printf '%0200d' 0", max_chars=50)
    assert m.truncated and len(m.stdout) < 200

    # A Budget object says the same.
    assert session.exec("seq 1 100", budget=Budget(tail=3)).stdout == r.stdout


def test_session_default_budget():
    with execkit.Session.local(budget=Budget(tail=1)) as s:
        assert s.exec("seq 1 10").stdout == "10\n"
        assert s.exec("seq 1 10", head=1).stdout == "1\n", "a per-call budget replaces the default"


def test_output_reads_the_full_output_again(session):
    r = session.exec("seq 1 1000; seq 1 3 >&2", head=1)
    full = session.output(r.output_id)
    assert full.stdout.count("\n") == 1000
    assert full.stderr == "1\n2\n3\n"
    assert session.output(r.output_id, grep="^999$").stdout == "999\n"
    assert session.output(r.output_id, budget=Budget(tail=2)).stdout == "999\n1000\n"
    with pytest.raises(execkit.UnknownOutput):
        session.output("out_999999")
    with pytest.raises(LookupError):
        session.output("no such id")


def test_redaction(tmp_path):
    with execkit.Session.local(secrets=["hunter2-very-secret"]) as s:
        r = s.exec("echo password is hunter2-very-secret; echo 'AKIAIOSFODNN7EXAMPLE'")
        assert "hunter2" not in r.stdout
        assert "[REDACTED]" in r.stdout
        assert r.redacted >= 1


def test_policy_denied_says_which_rule():
    with execkit.Session.local(deny=["rm"]) as s:
        with pytest.raises(execkit.PolicyDenied) as e:
            s.exec("echo x | xargs rm -rf /tmp/nothing-here")
        assert e.value.kind == "policy_denied"
        assert e.value.layer == "session"
        assert e.value.word == "rm"
        assert "rm" in e.value.rule
        assert s.exec("echo fine").stdout == "fine\n"


def test_allow_list_and_operator_policy():
    with execkit.Session.local(allow=["echo", "ls"], operator_policy=execkit.Policy(deny=["curl"])) as s:
        assert s.exec("echo ok").ok
        with pytest.raises(execkit.PolicyDenied) as e:
            s.exec("cat /etc/hostname")
        assert e.value.layer == "session"
    with execkit.Session.local(operator_policy=execkit.Policy(deny=["curl"])) as s:
        with pytest.raises(execkit.PolicyDenied) as e:
            s.exec("bash -c 'curl http://127.0.0.1:1'")
        assert e.value.layer == "operator"
    with pytest.raises(execkit.InvalidArgument):
        execkit.Session.local(allow=[])


def test_check_and_ok(session):
    assert session.exec("true").check().ok
    with pytest.raises(execkit.CommandFailed) as e:
        session.exec("echo boom >&2; (exit 3)").check()
    assert e.value.exit_code == 3
    assert "boom" in str(e.value)


def test_result_is_frozen_and_reads_well(session):
    r = session.exec("echo hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.stdout = "x"  # type: ignore[misc]
    text = repr(r)
    assert text.startswith("Result(exit_code=0")
    assert "stdout='hello\\n'" in text
    long = session.exec("printf 'x%.0s' $(seq 1 500)")
    assert "...(500 chars)" in repr(long)
    assert len(repr(long)) < 300


def test_syntax_errors_do_not_run(session):
    r = session.exec("echo one\nif then fi")
    assert r.exit_code != 0
    assert "syntax" in r.stderr
    assert "one" not in r.stdout
    assert session.exec("echo still here").stdout == "still here\n"


def test_heredoc_and_comment_endings(session):
    assert session.exec("cat <<EOF\nhi\nEOF").stdout == "hi\n"
    assert session.exec("echo a # trailing comment").stdout == "a\n"


def test_shell_exit_ends_the_session(session):
    r = session.exec("exit 4")
    assert r.session_ended
    assert r.exit_code == 4
    assert session.ended
    with pytest.raises(execkit.SessionEnded) as e:
        session.exec("true")
    assert not isinstance(e.value, execkit.SessionClosed)
    assert "ended" in str(e.value)


def test_bad_cwd_is_refused():
    with pytest.raises(execkit.ExecKitError) as e:
        execkit.Session.local(cwd="/nonexistent/dir/for/execkit")
    assert "/nonexistent/dir/for/execkit" in str(e.value)


def test_sessions_lists_open_sessions(tmp_path):
    with execkit.Session.local(cwd=tmp_path) as s:
        listed = {i.session_id: i for i in execkit.sessions()}
        assert s.id in listed
        assert listed[s.id].transport == "local"
        assert listed[s.id].cwd == str(tmp_path)
    assert s.id not in {i.session_id for i in execkit.sessions()}


def test_id_transport_repr(session):
    assert session.id.endswith("_local")
    assert session.transport == "local"
    assert session.id in repr(session)
    assert session.ended is None


HERE = os.path.dirname(os.path.abspath(__file__))


def python_block(readme: str, heading: str = "") -> str:
    """The first fenced python block of readme (after heading, if given)."""
    with open(os.path.join(HERE, readme)) as f:
        text = f.read()
    if heading:
        assert heading in text, f"{readme} has no heading {heading!r}"
        text = text.split(heading, 1)[1]
    assert "```python\n" in text, f"{readme} has no python block after {heading!r}"
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_example_runs(tmp_path, capsys):
    """The README's first example is runnable as it stands."""
    code = python_block(os.path.join("..", "README.md"))
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "0 /etc" in out
    assert "deny 'rm'" in out


def test_root_readme_example_runs(capsys):
    """The repository README's Python example runs as it stands, and prints
    what its comments say."""
    code = python_block(os.path.join("..", "..", "README.md"), "## Use it from Python")
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == "0 src True\n99999\n100000\nTrue dev\nlistening on :8080\n"


def test_readme_lists_every_exception():
    """python/README.md's exception list names every exception the package
    exports, and nothing else."""
    with open(os.path.join(HERE, "..", "README.md")) as f:
        text = f.read()
    section = text.split("## Exceptions", 1)[1].split("\n## ", 1)[0]
    tree = section.split("```\n", 2)[1]  # the hierarchy, one class a line
    listed = set(re.findall(r"^[\s│├└─]*([A-Z]\w+)", tree, re.M))
    assert "ExecKitError" in listed, tree
    exported = set(execkit.errors.__all__)
    assert all(isinstance(getattr(execkit, n), type) and issubclass(getattr(execkit, n), BaseException) for n in exported)
    classes = {n for n in dir(execkit) if isinstance(getattr(execkit, n), type) and issubclass(getattr(execkit, n), BaseException)}
    assert classes == exported, "every exception class is in execkit.errors.__all__"
    assert exported - listed == set(), "exceptions missing from python/README.md"
    assert listed - exported == set(), "python/README.md lists names that are not exceptions of execkit"
    # The tree's shape is the classes' own: each one's parent in the
    # drawing is its base class.
    stack = []  # (column, class) of the ancestors of the current line
    for m in re.finditer(r"^([\s│├└─]*)([A-Z]\w+)", tree, re.M):
        column, cls = len(m.group(1)), getattr(execkit, m.group(2))
        while stack and stack[-1][0] >= column:
            stack.pop()
        if stack:
            assert cls.__bases__[0] is stack[-1][1], f"README: {cls.__name__} is drawn under {stack[-1][1].__name__}"
        stack.append((column, cls))
