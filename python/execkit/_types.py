"""The data that crosses the API: budgets and policies in, results out."""

from __future__ import annotations

import math
from datetime import datetime
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .errors import CommandFailed, InvalidArgument, Timeout

__all__ = ["Budget", "Policy", "StreamReport", "BudgetReport", "FileChanges", "Result", "SessionInfo", "JobInfo", "JobOutput", "Checkpoint", "RestoreReport"]


def check_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def check_str(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")


def str_list(name: str, value: Any) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of str, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a list of str, not a list holding {type(item).__name__}")
    return list(value)


def seconds(name: str, value: Any) -> Optional[float]:
    """A positive, finite number of seconds (None: the default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgument(f"execkit: {name} must be a positive number of seconds, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Budget:
    """How much of a command's output comes back.

    Keep at most one of ``head``, ``tail`` and ``head_tail`` (N lines), and/or
    ``grep`` (a Go RE2 regular expression) with ``context`` lines around each
    match; ``max_chars`` caps the characters per stream. With both, the line
    count applies to the lines grep kept. The full output stays readable with
    :meth:`Session.output`. Ranges are checked by the library, which raises
    :class:`~execkit.BudgetError` before the command runs::

        Budget(tail=50)
        Budget(grep=r"error|warning", context=2, max_chars=4000)
    """

    head: Optional[int] = None
    tail: Optional[int] = None
    head_tail: Optional[int] = None
    grep: Optional[str] = None
    context: Optional[int] = None
    max_chars: Optional[int] = None

    def __post_init__(self) -> None:
        for name in ("head", "tail", "head_tail", "context", "max_chars"):
            check_int(name, getattr(self, name))
        check_str("grep", self.grep)
        keeps = [n for n in ("head", "tail", "head_tail") if getattr(self, n) is not None]
        if len(keeps) > 1:
            raise InvalidArgument(f"execkit: give at most one of head, tail and head_tail, not {' and '.join(keeps)}")
        if self.context is not None and self.grep is None:
            raise InvalidArgument("execkit: context needs grep")

    @property
    def empty(self) -> bool:
        """True when the budget keeps everything (no field set)."""
        return self.to_json() is None

    def to_json(self) -> Optional[Dict[str, Any]]:
        """The budget as the library's JSON object (None when empty)."""
        out: Dict[str, Any] = {}
        for mode in ("head", "tail", "head_tail"):
            n = getattr(self, mode)
            if n is not None:
                out["keep"] = {"mode": mode, "n": n}
        if self.grep is not None:
            grep: Dict[str, Any] = {"pattern": self.grep}
            if self.context is not None:
                grep["context"] = self.context
            out["grep"] = grep
        if self.max_chars is not None:
            out["max_chars"] = self.max_chars
        return out or None


@dataclass(frozen=True)
class Policy:
    """One layer of the (advisory) policy fence: program names to ``allow``
    (if given, the only ones that may run) or ``deny``, regular expressions
    ``deny_patterns``, and ``dynamic`` (``"allow"``, ``"deny"`` or ``""``) for
    commands whose program is only known at run time. The fence is a
    guardrail, not a sandbox: the real boundary is the account or container
    the shell runs in."""

    allow: Optional[Sequence[str]] = None
    deny: Optional[Sequence[str]] = None
    deny_patterns: Optional[Sequence[str]] = None
    dynamic: Optional[str] = None

    def __post_init__(self) -> None:
        for name in ("allow", "deny", "deny_patterns"):
            value = str_list(name, getattr(self, name))
            object.__setattr__(self, name, tuple(value) if value is not None else None)
        check_str("dynamic", self.dynamic)

    def to_json(self) -> Optional[Dict[str, Any]]:
        out: Dict[str, Any] = {}
        for name in ("allow", "deny", "deny_patterns"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value)
        if self.dynamic:
            out["dynamic"] = self.dynamic
        return out or None


@dataclass(frozen=True)
class StreamReport:
    """What a budget kept of one stream: ``mode`` (``"all"``, ``"tail"``,
    ``"grep+tail"``, ...), and how many lines there were and were kept."""

    mode: str
    lines_total: int
    lines_kept: int

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "StreamReport":
        return cls(mode=str(d.get("mode", "")), lines_total=int(d.get("lines_total", 0)), lines_kept=int(d.get("lines_kept", 0)))


@dataclass(frozen=True)
class BudgetReport:
    """What a budget kept, per stream."""

    stdout: StreamReport
    stderr: StreamReport

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "BudgetReport":
        return cls(stdout=StreamReport._from_json(d.get("stdout") or {}), stderr=StreamReport._from_json(d.get("stderr") or {}))


@dataclass(frozen=True)
class FileChanges:
    """A command's effect on the files of the session's workspace: how many
    tracked files it created, modified and deleted, and the first few
    ``paths``, each after a letter as in ``git --name-status`` (``"A "``
    created, ``"M "`` modified, ``"D "`` deleted). ``error``, when set, says
    why the effect could not be measured."""

    created: int = 0
    modified: int = 0
    deleted: int = 0
    paths: Tuple[str, ...] = ()
    error: Optional[str] = None

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "FileChanges":
        return cls(created=int(d.get("created", 0)), modified=int(d.get("modified", 0)), deleted=int(d.get("deleted", 0)),
                   paths=tuple(str(p) for p in d.get("paths") or ()), error=d.get("error") or None)


def _short(text: str, limit: int = 60) -> str:
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}...({len(text)} chars)"


@dataclass(frozen=True, repr=False)
class Result:
    """What one command did.

    ``stdout`` and ``stderr`` are split at the source, cleaned (terminal
    escapes stripped, UTF-8 made valid), secret-redacted and shaped by the
    budget. ``exit_code`` is 128+N for a command killed by signal N.
    ``truncated`` is true if anything was dropped; then ``output_id`` names
    the full output for :meth:`Session.output`. ``timed_out`` is true if the
    command was interrupted at its timeout (the session goes on).
    ``redacted`` counts the secrets replaced by ``[REDACTED]``.
    ``session_ended``, when set, says the shell ended during this command and
    why; the session is then unusable. ``job_id``, when set, names the job
    the command became when it reached its timeout with
    ``on_timeout="continue"`` (see :meth:`Session.job`). ``files``, in a
    session with a ``workspace``, is the command's effect on its files
    (:class:`FileChanges`); ``None`` without a workspace and for read-only
    commands (``ls``, ``cat``, ``git status``, ...).
    """

    stdout: str
    stderr: str
    exit_code: int
    duration_ms: int
    cwd: str
    truncated: bool = False
    timed_out: bool = False
    budget: Optional[BudgetReport] = None
    redacted: int = 0
    output_id: Optional[str] = None
    session_ended: Optional[str] = None
    job_id: Optional[str] = None
    files: Optional[FileChanges] = None

    @property
    def ok(self) -> bool:
        """True if the command exited 0 and did not time out."""
        return self.exit_code == 0 and not self.timed_out

    def check(self) -> "Result":
        """Return the result if :attr:`ok`, else raise :class:`~execkit.Timeout`
        (timed out) or :class:`~execkit.CommandFailed` (nonzero exit)."""
        if self.timed_out:
            raise Timeout(f"execkit: the command timed out after {self.duration_ms} ms", result=self)
        if self.exit_code != 0:
            tail = self.stderr.strip().splitlines()[-1:] or [""]
            msg = f"execkit: the command exited with status {self.exit_code}"
            if tail[0]:
                msg += f": {tail[0][:200]}"
            raise CommandFailed(msg, result=self)
        return self

    def __repr__(self) -> str:
        parts = [f"exit_code={self.exit_code}", f"cwd={self.cwd!r}", f"duration_ms={self.duration_ms}",
                 f"stdout={_short(self.stdout)}", f"stderr={_short(self.stderr)}"]
        for name in ("truncated", "timed_out"):
            if getattr(self, name):
                parts.append(f"{name}=True")
        if self.redacted:
            parts.append(f"redacted={self.redacted}")
        if self.budget is not None:
            b = self.budget
            parts.append(f"budget=stdout:{b.stdout.mode} {b.stdout.lines_kept}/{b.stdout.lines_total},"
                         f" stderr:{b.stderr.mode} {b.stderr.lines_kept}/{b.stderr.lines_total}")
        if self.output_id:
            parts.append(f"output_id={self.output_id!r}")
        if self.session_ended:
            parts.append(f"session_ended={self.session_ended!r}")
        if self.job_id:
            parts.append(f"job_id={self.job_id!r}")
        if self.files is not None:
            f = self.files
            parts.append(f"files=+{f.created} ~{f.modified} -{f.deleted}")
        return f"Result({', '.join(parts)})"

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Result":
        budget = d.get("budget")
        return cls(
            stdout=str(d.get("stdout", "")),
            stderr=str(d.get("stderr", "")),
            exit_code=int(d.get("exit_code", 0)),
            duration_ms=int(d.get("duration_ms", 0)),
            cwd=str(d.get("cwd", "")),
            truncated=bool(d.get("truncated", False)),
            timed_out=bool(d.get("timed_out", False)),
            budget=BudgetReport._from_json(budget) if budget else None,
            redacted=int(d.get("redacted", 0)),
            output_id=d.get("output_id") or None,
            session_ended=d.get("session_ended") or None,
            job_id=d.get("job_id") or None,
            files=FileChanges._from_json(d["files"]) if d.get("files") else None,
        )


@dataclass(frozen=True)
class SessionInfo:
    """An open session, as :func:`execkit.sessions` lists it."""

    session_id: str
    transport: str
    cwd: str
    idle_s: int = 0
    busy: bool = False
    ended: Optional[str] = None

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "SessionInfo":
        return cls(session_id=str(d.get("session_id", "")), transport=str(d.get("transport", "")), cwd=str(d.get("cwd", "")),
                   idle_s=int(d.get("idle_s", 0)), busy=bool(d.get("busy", False)), ended=d.get("ended") or None)



@dataclass(frozen=True)
class JobInfo:
    """A job's state: its ``job_id``, ``command`` (redacted), whether it is
    ``running``, its ``exit_code`` once ended (128+N for signal N), whether
    it runs on a terminal (``tty``) or is a command that ``continued`` past
    its timeout, and its age in milliseconds."""

    job_id: str
    command: str
    running: bool
    exit_code: Optional[int] = None
    tty: bool = False
    continued: bool = False
    age_ms: int = 0

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "JobInfo":
        code = d.get("exit_code")
        return cls(job_id=str(d.get("job_id", "")), command=str(d.get("command", "")), running=bool(d.get("running", False)),
                   exit_code=int(code) if code is not None else None, tty=bool(d.get("tty", False)),
                   continued=bool(d.get("continued", False)), age_ms=int(d.get("age_ms", 0)))


@dataclass(frozen=True, repr=False)
class JobOutput:
    """What one :meth:`Job.output` read: the output since the last read
    (cleaned, redacted; a terminal job has only ``stdout``), ``dropped``
    bytes that no longer fit the window, whether the ``until`` pattern
    ``matched``, and the job's state (``running``, ``exit_code``; ``error``
    when the exit status cannot be known)."""

    stdout: str
    stderr: str
    running: bool
    exit_code: Optional[int] = None
    matched: bool = False
    dropped: int = 0
    redacted: int = 0
    error: Optional[str] = None

    def __repr__(self) -> str:
        parts = [f"running={self.running}"]
        if self.exit_code is not None:
            parts.append(f"exit_code={self.exit_code}")
        parts += [f"stdout={_short(self.stdout)}", f"stderr={_short(self.stderr)}"]
        for name in ("matched",):
            if getattr(self, name):
                parts.append(f"{name}=True")
        for name in ("dropped", "redacted"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        if self.error:
            parts.append(f"error={self.error!r}")
        return f"JobOutput({', '.join(parts)})"

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "JobOutput":
        code = d.get("exit_code")
        return cls(stdout=str(d.get("stdout", "")), stderr=str(d.get("stderr", "")), running=bool(d.get("running", False)),
                   exit_code=int(code) if code is not None else None, matched=bool(d.get("matched", False)),
                   dropped=int(d.get("dropped", 0)), redacted=int(d.get("redacted", 0)), error=d.get("error") or None)


def _time(text: Any) -> Optional[datetime]:
    if not isinstance(text, str) or not text:
        return None
    t = text.replace("Z", "+00:00")
    # Go writes up to nine fraction digits; fromisoformat takes six.
    if "." in t:
        head, rest = t.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        t = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        return None


@dataclass(frozen=True)
class Checkpoint:
    """A snapshot of the session's workspace: ``id`` (what
    :meth:`Session.restore` takes), ``label``, when it was ``created`` (UTC),
    and whether it was taken automatically (``auto``). ``too_large`` lists
    files left out for exceeding the size limit."""

    id: str
    label: str
    created: Optional[datetime]
    auto: bool = False
    too_large: Sequence[str] = ()

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Checkpoint":
        return cls(id=str(d.get("id", "")), label=str(d.get("label", "")), created=_time(d.get("created")),
                   auto=bool(d.get("auto", False)), too_large=tuple(d.get("too_large") or ()))


@dataclass(frozen=True)
class RestoreReport:
    """What :meth:`Session.restore` changed: the checkpoint ``restored_to``
    and the files (relative to the workspace) it wrote back (``created``),
    overwrote (``modified``) and removed (``deleted``)."""

    restored_to: str
    files_changed: int
    created: Sequence[str] = ()
    modified: Sequence[str] = ()
    deleted: Sequence[str] = ()

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "RestoreReport":
        return cls(restored_to=str(d.get("restored_to", "")), files_changed=int(d.get("files_changed", 0)),
                   created=tuple(d.get("created") or ()), modified=tuple(d.get("modified") or ()),
                   deleted=tuple(d.get("deleted") or ()))
