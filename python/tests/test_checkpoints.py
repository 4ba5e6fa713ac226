"""Checkpoints: undo for files in the session's workspace."""

from __future__ import annotations

import datetime

import pytest

import execkit


@pytest.fixture
def ws_session(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()  # the user's own repository, never touched
    (ws / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    s = execkit.Session.local(cwd=ws, workspace=ws, checkpoint_ignores=["*.log"])
    try:
        yield s, ws
    finally:
        s.close()


def test_checkpoint_and_restore(ws_session):
    s, ws = ws_session
    s.exec("echo one > a.txt; mkdir -p sub; echo x > sub/b.txt; echo noise > run.log")
    cp = s.checkpoint("before the change")
    assert cp.id and cp.label == "before the change"
    assert isinstance(cp.created, datetime.datetime)
    s.exec("echo two > a.txt; rm sub/b.txt; echo new > c.txt; echo more > run.log")
    report = s.restore(cp.id)
    assert report.restored_to == cp.id
    assert report.files_changed == 3
    assert report.modified == ("a.txt",) and report.created == ("sub/b.txt",) and report.deleted == ("c.txt",)
    assert (ws / "a.txt").read_text() == "one\n"
    assert not (ws / "c.txt").exists()
    assert (ws / "run.log").read_text() == "more\n", "ignored files are not touched"
    assert (ws / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    listed = s.checkpoints()
    assert listed[0].id == cp.id


def test_restore_latest_and_unknown(ws_session):
    s, ws = ws_session
    with pytest.raises(execkit.UnknownCheckpoint):
        s.restore()
    s.exec("echo 1 > f")
    s.checkpoint()
    s.exec("echo 2 > f")
    s.restore()
    assert (ws / "f").read_text() == "1\n"
    with pytest.raises(LookupError):
        s.restore("deadbeefdead")
    with pytest.raises(execkit.InvalidArgument):
        s.restore("--output=/tmp/x")
    with pytest.raises(execkit.InvalidArgument):
        s.checkpoint("bad\x1blabel")
    with pytest.raises(execkit.InvalidArgument):
        s.checkpoint("nul\0label")
    with pytest.raises(TypeError):
        s.checkpoint(5)  # type: ignore[arg-type]


def test_auto_snapshot(tmp_path):
    with execkit.Session.local(cwd=tmp_path, workspace=tmp_path, auto_snapshot=True) as s:
        s.exec("echo keep > f")
        s.exec("echo oops > f")  # an automatic checkpoint came first
        s.restore()
        assert (tmp_path / "f").read_text() == "keep\n"
        assert any(c.auto for c in s.checkpoints())


def test_result_reports_file_changes(tmp_path, session):
    with execkit.Session.local(cwd=tmp_path, workspace=tmp_path) as s:
        s.exec("echo one > a.txt && echo gone > b.txt")
        r = s.exec("echo two > a.txt; rm b.txt; echo new > c.txt")
        assert r.files == execkit.FileChanges(created=1, modified=1, deleted=1, paths=("A c.txt", "M a.txt", "D b.txt"))
        assert "files=+1 ~1 -1" in repr(r)
        assert s.exec("cat a.txt").files is None  # read-only: not measured
    with execkit.Session.local(cwd=tmp_path, workspace=tmp_path, file_changes=False) as s:
        assert s.exec("echo three > a.txt").files is None
    with pytest.raises(TypeError):
        execkit.Session.local(cwd=tmp_path, workspace=tmp_path, file_changes="no")  # type: ignore[arg-type]
    assert session.exec("echo x > /dev/null").files is None  # no workspace


def test_no_workspace(session):
    with pytest.raises(execkit.NoWorkspace):
        session.checkpoint()
    with pytest.raises(execkit.CheckpointError):
        session.checkpoints()
