"""The exceptions execkit raises.

Every one derives from :class:`ExecKitError`. Each error the library reports
carries a ``kind`` (the C ABI's error kind, e.g. ``"policy_denied"``), a
one-sentence ``message`` and, for some kinds, ``details`` (which policy rule
denied a command, which host key was refused, ...)::

    ExecKitError
    ├── SessionEnded          the shell ended: exit, exec, killed, connection lost
    │   └── SessionClosed     the session was closed (by you, or another thread)
    ├── PolicyDenied          the policy fence refused the command; it did not run
    ├── BudgetError           an output budget that cannot be applied (also a ValueError)
    ├── InvalidArgument       a malformed argument (also a ValueError)
    ├── UnknownOutput         an output id never given out, or dropped (also a LookupError)
    ├── Busy                  another call held the session too long
    ├── Timeout               opening took too long, or Result.check() on a timed-out result
    ├── Cancelled             the call was cancelled (Session.interrupt)
    ├── CommandFailed         Result.check() on a nonzero exit
    ├── TransportError        the machine cannot be reached, or the connection was lost
    │   ├── HostKeyError      the SSH host key was refused
    │   ├── AuthError         SSH authentication failed
    │   │   └── KeyPathError  a key path outside the key directory, or no key there
    │   └── ContainerError    no such container, not running, or not allowed
    ├── CheckpointError       checkpoints cannot be taken or restored:
    │   ├── NoWorkspace       the session has no workspace
    │   ├── NoGit             the SSH or Docker host has no git
    │   └── UnknownCheckpoint no such checkpoint, or none yet (also a LookupError)
    ├── UnknownJob            a job id the session never gave out, or dropped (also a LookupError)
    ├── JobEnded              input to a job that has exited
    ├── TooManyJobs           the cap on running jobs is reached
    ├── NotSupported          a feature this build of the library does not have
    └── InternalError         a bug in execkit (please report it)

A command that exits nonzero or times out is *not* an error: that is in the
:class:`~execkit.Result` (``exit_code``, ``timed_out``); call
:meth:`~execkit.Result.check` to turn it into one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Type

if TYPE_CHECKING:  # pragma: no cover
    from ._types import RestoreReport, Result

__all__ = [
    "ExecKitError",
    "SessionEnded",
    "SessionClosed",
    "PolicyDenied",
    "BudgetError",
    "InvalidArgument",
    "UnknownOutput",
    "Busy",
    "Timeout",
    "Cancelled",
    "CommandFailed",
    "TransportError",
    "HostKeyError",
    "AuthError",
    "KeyPathError",
    "ContainerError",
    "CheckpointError",
    "NoWorkspace",
    "NoGit",
    "UnknownCheckpoint",
    "UnknownJob",
    "JobEnded",
    "TooManyJobs",
    "NotSupported",
    "InternalError",
]


class ExecKitError(Exception):
    """Base class of every execkit error.

    Attributes:
        kind: the error kind as the C ABI names it (``"session_ended"``, ...).
        message: one sentence saying what went wrong.
        details: the error's fields, for the kinds that have some (may be empty).
    """

    kind: str = "error"

    def __init__(self, message: str, *, kind: Optional[str] = None, details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        self.details: Dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    @property
    def report(self) -> Optional["RestoreReport"]:
        """For a restore that failed part way: what it had changed."""
        from ._types import RestoreReport

        raw = self.details.get("report")
        return RestoreReport._from_json(raw) if isinstance(raw, Mapping) else None

    def _detail(self, name: str, default: Any = "") -> Any:
        return self.details.get(name, default)


class SessionEnded(ExecKitError):
    """The session's shell has ended (it exited, was replaced by ``exec``, was
    killed, or its connection or container went away). Every later call on the
    session raises it too; the message says why."""

    kind = "session_ended"


class SessionClosed(SessionEnded):
    """The session was closed, by :meth:`Session.close` or the end of its
    ``with`` block (perhaps in another thread)."""

    kind = "bad_handle"


class PolicyDenied(ExecKitError):
    """The policy fence refused the command before it ran.

    ``layer`` is ``"operator"`` or ``"session"``, ``rule`` the rule that
    denied it (``"deny 'rm'"``), ``word`` the offending command word,
    ``command`` the simple command it was found in."""

    kind = "policy_denied"

    @property
    def layer(self) -> str:
        return str(self._detail("layer"))

    @property
    def rule(self) -> str:
        return str(self._detail("rule"))

    @property
    def word(self) -> str:
        return str(self._detail("word"))

    @property
    def command(self) -> str:
        return str(self._detail("command"))

    @property
    def reason(self) -> str:
        return str(self._detail("reason"))


class BudgetError(ExecKitError, ValueError):
    """An output budget that cannot be applied: a count out of range, a grep
    pattern that does not compile or is too big. Nothing ran. ``field`` names
    the budget field at fault (``"grep.pattern"``)."""

    kind = "bad_budget"

    @property
    def field(self) -> str:
        return str(self._detail("field"))

    @property
    def reason(self) -> str:
        return str(self._detail("reason"))


class InvalidArgument(ExecKitError, ValueError):
    """An argument the library cannot use: a command with a NUL byte, a
    malformed option, an SSH or Docker setting it refuses, ..."""

    kind = "bad_argument"


class UnknownOutput(ExecKitError, LookupError):
    """:meth:`Session.output` was given an id this session never gave out, or
    whose output has since been dropped to stay within the session's cap."""

    kind = "unknown_output"


class Busy(ExecKitError):
    """Another call held the session until this one gave up waiting."""

    kind = "busy"


class Timeout(ExecKitError, TimeoutError):
    """Opening a session took too long, or :meth:`Result.check` was called on
    a result whose command timed out (then ``result`` is that result)."""

    kind = "timeout"

    def __init__(self, message: str, *, kind: Optional[str] = None, details: Optional[Mapping[str, Any]] = None,
                 result: Optional["Result"] = None) -> None:
        super().__init__(message, kind=kind, details=details)
        self.result = result


class Cancelled(ExecKitError):
    """The call was cancelled before it finished (see :meth:`Session.interrupt`)."""

    kind = "cancelled"


class CommandFailed(ExecKitError):
    """Raised by :meth:`Result.check` for a command that exited nonzero;
    ``result`` is its result."""

    kind = "command_failed"

    def __init__(self, message: str, *, result: "Result") -> None:
        super().__init__(message)
        self.result = result

    @property
    def exit_code(self) -> int:
        return self.result.exit_code


class TransportError(ExecKitError):
    """The machine cannot be reached (connection refused, daemon down), or the
    connection to it was lost."""

    kind = "transport"


class HostKeyError(TransportError):
    """The SSH server's host key was refused: unknown (when unknown hosts are
    refused), changed since it was recorded (a possible man in the middle),
    revoked, or not the pinned fingerprint. Nothing was sent to the host."""

    kind = "host_key"

    @property
    def host_key_kind(self) -> str:
        """``"unknown"``, ``"changed"``, ``"revoked"`` or ``"pin-mismatch"``."""
        return str(self._detail("host_key_kind"))

    @property
    def host(self) -> str:
        return str(self._detail("host"))

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the key the server presented."""
        return str(self._detail("fingerprint"))

    @property
    def known(self) -> List[str]:
        """The fingerprints known_hosts holds for the host."""
        return list(self._detail("known", None) or [])


class AuthError(TransportError):
    """SSH authentication failed."""

    kind = "auth"


class KeyPathError(AuthError):
    """An SSH ``key_path`` that does not resolve to a key inside the key
    directory. The message deliberately does not say which it was."""

    kind = "key_path"


class ContainerError(TransportError):
    """The Docker container does not exist, is not running, or is not one the
    operator allows."""

    kind = "container"


class CheckpointError(ExecKitError):
    """Base of the errors only checkpoints raise."""

    kind = "checkpoint"


class NoWorkspace(CheckpointError):
    """Checkpoints are off: the session was opened without ``workspace=``."""

    kind = "no_workspace"


class NoGit(CheckpointError):
    """The SSH or Docker host has no git, which checkpoints there need."""

    kind = "no_git"


class UnknownCheckpoint(CheckpointError, LookupError):
    """No checkpoint has this id, or the workspace has none yet."""

    kind = "unknown_checkpoint"


class UnknownJob(ExecKitError, LookupError):
    """A job id the session never gave out, or an ended job since dropped
    from its list."""

    kind = "unknown_job"


class JobEnded(ExecKitError):
    """:meth:`Job.input` to a job that has exited."""

    kind = "job_ended"


class TooManyJobs(ExecKitError):
    """:meth:`Session.start` when the session's (or the operator's) cap on
    running jobs is reached; signal a job that is no longer needed."""

    kind = "too_many_jobs"


class NotSupported(ExecKitError):
    """A feature this build of the library does not have."""

    kind = "not_supported"


class InternalError(ExecKitError):
    """A bug in execkit: the library recovered from a panic. Please report it."""

    kind = "internal"


_BY_KIND: Dict[str, Type[ExecKitError]] = {
    cls.kind: cls
    for cls in (
        SessionEnded,
        SessionClosed,
        PolicyDenied,
        BudgetError,
        InvalidArgument,
        UnknownOutput,
        Busy,
        Timeout,
        Cancelled,
        TransportError,
        HostKeyError,
        AuthError,
        KeyPathError,
        ContainerError,
        NoWorkspace,
        NoGit,
        UnknownCheckpoint,
        UnknownJob,
        JobEnded,
        TooManyJobs,
        NotSupported,
        InternalError,
    )
}
_BY_KIND["error"] = ExecKitError


def from_answer(error: Mapping[str, Any]) -> ExecKitError:
    """Build the exception for an ``{"kind", "message", "details"}`` object."""
    kind = str(error.get("kind") or "error")
    message = str(error.get("message") or "execkit: unknown error")
    details = error.get("details")
    cls = _BY_KIND.get(kind, ExecKitError)
    return cls(message, kind=kind, details=details if isinstance(details, Mapping) else None)
