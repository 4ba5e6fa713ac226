"""execkit: persistent, structured shell sessions for programs and AI agents.

A :class:`Session` is one long-lived shell on this machine, an SSH host or a
Docker container. ``cd``, exported variables, functions and aliases persist
between commands, and every command returns a :class:`Result` as data:
stdout and stderr split at the source, the exit code, the working directory
afterwards, whether the output was truncated or the command timed out::

    import execkit

    with execkit.Session.local(cwd="/tmp", timeout=60) as s:
        s.exec("cd /etc && export GREETING=hello")
        r = s.exec("echo $GREETING from $(pwd); ls", tail=5)
        print(r.exit_code, r.cwd, r.stdout)
        if r.truncated:
            full = s.output(r.output_id)

With a ``workspace``, checkpoints undo file changes: ``cp = s.checkpoint("before
refactor")``, later ``s.restore(cp.id)``.

Long-running and interactive programs run as jobs: ``job = s.start("npm run
dev")``, then ``job.output(wait=5, until="ready")``, ``job.input(...)``,
``job.signal("TERM")``.

Commands read /dev/null unless given ``stdin``, pagers and editors are
disabled, output is cleaned of terminal escapes and secrets are replaced by
``[REDACTED]``. A timeout interrupts the command and the session goes on.

The package is a thin layer over the execkit Go library, loaded as a shared
library; the GIL is released while it works.
"""

from __future__ import annotations

from ._session import Job, Session, sessions
from ._types import Budget, BudgetReport, Checkpoint, FileChanges, JobInfo, JobOutput, Policy, RestoreReport, Result, SessionInfo, StreamReport
from . import errors as _errors
from .errors import (
    AuthError,
    BudgetError,
    Busy,
    CheckpointError,
    Cancelled,
    CommandFailed,
    ContainerError,
    ExecKitError,
    HostKeyError,
    InternalError,
    InvalidArgument,
    JobEnded,
    KeyPathError,
    NoGit,
    NotSupported,
    NoWorkspace,
    PolicyDenied,
    SessionClosed,
    SessionEnded,
    Timeout,
    TooManyJobs,
    TransportError,
    UnknownCheckpoint,
    UnknownJob,
    UnknownOutput,
)

__version__ = "0.1.0"

__all__ = [
    "Session",
    "Job",
    "sessions",
    "Result",
    "Budget",
    "BudgetReport",
    "FileChanges",
    "StreamReport",
    "Policy",
    "SessionInfo",
    "JobInfo",
    "JobOutput",
    "Checkpoint",
    "RestoreReport",
]
__all__ += _errors.__all__
