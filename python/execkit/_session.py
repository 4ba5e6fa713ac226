"""Session: a persistent shell on this machine, an SSH host or a container."""

from __future__ import annotations

import json
import os
import queue
import threading
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Union

from . import _lib
from ._types import Budget, Checkpoint, JobInfo, JobOutput, Policy, RestoreReport, Result, SessionInfo, check_int, check_str, seconds, str_list
from .errors import InvalidArgument, SessionClosed, SessionEnded, UnknownJob, UnknownOutput

__all__ = ["Session", "Job", "sessions"]

PathLike = Union[str, "os.PathLike[str]"]


def _dumps(value: Any) -> bytes:
    # ensure_ascii: the text is pure ASCII, so any str (even one holding lone
    # surrogates) encodes; the library reads JSON escapes.
    return json.dumps(value, allow_nan=False, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _path(name: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, not {type(value).__name__}")
    return os.fspath(value)


def _text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidArgument(f"execkit: {name} must be UTF-8 text: {e}") from None
    raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")


def _c_text(name: str, value: str) -> bytes:
    """A str as a NUL-terminated C string's bytes."""
    if "\0" in value:
        raise InvalidArgument(f"execkit: {name} contains a NUL byte")
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise InvalidArgument(f"execkit: {name} cannot be encoded as UTF-8: {e}") from None


def _command(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as e:
            raise InvalidArgument(f"execkit: the command cannot be encoded as UTF-8: {e}") from None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"command must be str or bytes, not {type(value).__name__}")


def _budget(budget: Optional[Budget], **fields: Any) -> Optional[Dict[str, Any]]:
    given = {k: v for k, v in fields.items() if v is not None}
    if budget is not None:
        if not isinstance(budget, Budget):
            raise TypeError(f"budget must be an execkit.Budget, not {type(budget).__name__}")
        if given:
            raise InvalidArgument(f"execkit: give budget= or the budget keywords ({', '.join(sorted(given))}), not both")
        return budget.to_json()
    if not given:
        return None
    return Budget(**given).to_json()


def _config(
    *,
    cwd: Optional[PathLike],
    env: Optional[Mapping[str, str]],
    timeout: Optional[float],
    budget: Optional[Budget],
    allow: Optional[Sequence[str]],
    deny: Optional[Sequence[str]],
    deny_patterns: Optional[Sequence[str]],
    secrets: Optional[Sequence[str]],
    workspace: Optional[PathLike],
    paths: Optional[Sequence[str]],
    checkpoint_ignores: Optional[Sequence[str]],
    auto_snapshot: bool,
    file_changes: bool,
    shell: Optional[Sequence[str]],
    max_chars: Optional[int],
    output_keep: Optional[int],
    operator_policy: Optional[Policy],
) -> Dict[str, Any]:
    """The library's Config (JSON) for the keyword arguments every transport takes."""
    cfg: Dict[str, Any] = {}
    if cwd is not None:
        cfg["cwd"] = _path("cwd", cwd)
    if env is not None:
        if not isinstance(env, Mapping):
            raise TypeError(f"env must be a mapping of str to str, not {type(env).__name__}")
        for k, v in env.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"env must map str to str, not {type(k).__name__} to {type(v).__name__}")
        cfg["env"] = dict(env)
    t = seconds("timeout", timeout)
    if t is not None:
        cfg["timeout_s"] = t
    if budget is not None:
        if not isinstance(budget, Budget):
            raise TypeError(f"budget must be an execkit.Budget, not {type(budget).__name__}")
        if budget.to_json():
            cfg["output_budget"] = budget.to_json()
    if allow is not None and len(str_list("allow", allow) or []) == 0:
        raise InvalidArgument("execkit: an empty allow list would allow nothing; leave allow out to allow every program")
    policy = Policy(allow=allow, deny=deny, deny_patterns=deny_patterns).to_json()
    if policy:
        cfg["policy"] = policy
    if operator_policy is not None:
        if not isinstance(operator_policy, Policy):
            raise TypeError(f"operator_policy must be an execkit.Policy, not {type(operator_policy).__name__}")
        op = operator_policy.to_json()
        if op:
            cfg["operator_policy"] = op
    for name, value in (("secrets", secrets), ("paths", paths), ("checkpoint_ignores", checkpoint_ignores), ("shell", shell)):
        items = str_list(name, value)
        if items:
            cfg[name] = items
    if workspace is not None:
        cfg["workspace"] = _path("workspace", workspace)
    if not isinstance(auto_snapshot, bool):
        raise TypeError(f"auto_snapshot must be a bool, not {type(auto_snapshot).__name__}")
    if auto_snapshot:
        cfg["auto_snapshot"] = True
    if not isinstance(file_changes, bool):
        raise TypeError(f"file_changes must be a bool, not {type(file_changes).__name__}")
    if not file_changes:
        cfg["no_file_changes"] = True
    for name, number in (("max_chars", max_chars), ("output_keep", output_keep)):
        check_int(name, number)
        if number is not None:
            cfg[name] = number
    return cfg


class _Task:
    """One blocking call run by a helper thread for the main thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as e:  # handed to the waiting thread
            self.error = e
        finally:
            self.done.set()


class _Helpers:
    """Helper threads for the main thread's blocking calls, kept for reuse: a
    thread new to Go costs far more than the call (the runtime sets up a
    thread of its own for it)."""

    KEEP = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: List["queue.SimpleQueue[_Task]"] = []

    def run(self, task: _Task) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="execkit-call", daemon=True).start()
        inbox.put(task)

    def _serve(self, inbox: "queue.SimpleQueue[_Task]") -> None:
        while True:
            inbox.get().run()
            with self._lock:
                if len(self._idle) >= self.KEEP:
                    return
                self._idle.append(inbox)


_helpers = _Helpers()


def _blocking(fn: Callable[[Any, int], Any], calls: Optional[Set[int]] = None, lock: Optional[threading.Lock] = None,
              discard: Optional[Callable[[Any], None]] = None) -> Any:
    """Run a blocking export, ``fn(lib, call_id)``, so that it can be cancelled.

    In the main thread the call runs in a helper thread while the main thread
    waits, so Ctrl-C (KeyboardInterrupt) still arrives: it cancels the call
    (an exec is interrupted as a timeout would interrupt it), waits for it to
    return, and is raised; ``discard`` then gets what the call returned
    anyway (a session that opened regardless). Other threads call directly."""
    call_id = _lib.new_call()
    if calls is not None and lock is not None:
        with lock:
            calls.add(call_id)
    try:
        if threading.current_thread() is not threading.main_thread():
            return _lib.call(lambda lib: fn(lib, call_id))
        task = _Task(lambda: _lib.call(lambda lib: fn(lib, call_id)))
        _helpers.run(task)
        try:
            task.done.wait()
        except BaseException:
            _lib.cancel(call_id)
            try:
                task.done.wait()
            except BaseException:
                pass  # a second interrupt: stop waiting
            if discard is not None and task.done.is_set() and task.error is None:
                discard(task.value)
            raise
        if task.error is not None:
            raise task.error
        return task.value
    finally:
        if calls is not None and lock is not None:
            with lock:
                calls.discard(call_id)


def _close_handle(handle: int) -> None:
    """Close a session handle, ignoring every error (finalizers, close)."""
    try:
        _lib.call(lambda lib: lib.execkit_close(handle))
    except Exception:
        pass


class Session:
    """A persistent shell session.

    The shell's state (working directory, exported variables, functions,
    aliases, ``set`` options) persists from one :meth:`exec` to the next.
    Open one with :meth:`local`, :meth:`ssh` or :meth:`docker`, and close it
    with :meth:`close` or a ``with`` block, which kills the shell and
    everything it started::

        with Session.local(cwd="/tmp") as s:
            s.exec("cd /var/log && export X=1")
            r = s.exec("pwd; echo $X", tail=20)
            print(r.exit_code, r.cwd, r.stdout)

    A Session is safe to use from several threads: calls run one at a time,
    in order (a second ``exec`` waits for the first). Go does the work with
    the GIL released, so different sessions run in parallel. Using a closed
    session raises :class:`~execkit.SessionClosed`.

    The keyword arguments of the constructors are the caller's own settings
    (the operator's, in the library's terms): if you pass on arguments from
    an agent, check them first, as the MCP server does.
    """

    def __init__(self, _opened: Mapping[str, Any]) -> None:
        """Not for direct use: open a session with :meth:`local`,
        :meth:`ssh` or :meth:`docker`."""
        if not isinstance(_opened, Mapping) or "session" not in _opened:
            raise TypeError("open a Session with Session.local(), Session.ssh() or Session.docker()")
        self._handle = int(_opened["session"])
        self._id = str(_opened.get("id", ""))
        self._transport = str(_opened.get("transport", ""))
        self._lock = threading.Lock()
        self._closed = False
        self._calls: Set[int] = set()
        # Closes the shell if the Session is dropped without close(), and at
        # interpreter exit.
        self._finalizer = weakref.finalize(self, _close_handle, self._handle)

    # --- opening ---

    @classmethod
    def _open(cls, request: Dict[str, Any]) -> "Session":
        text = _dumps(request)
        opened = _blocking(lambda lib, call: lib.execkit_open(text, call),
                           discard=lambda opened: _close_handle(int(opened["session"])))
        return cls(opened)

    @classmethod
    def local(
        cls,
        *,
        cwd: Optional[PathLike] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        budget: Optional[Budget] = None,
        allow: Optional[Sequence[str]] = None,
        deny: Optional[Sequence[str]] = None,
        deny_patterns: Optional[Sequence[str]] = None,
        secrets: Optional[Sequence[str]] = None,
        workspace: Optional[PathLike] = None,
        paths: Optional[Sequence[str]] = None,
        checkpoint_ignores: Optional[Sequence[str]] = None,
        auto_snapshot: bool = False,
        file_changes: bool = True,
        shell: Optional[Sequence[str]] = None,
        max_chars: Optional[int] = None,
        output_keep: Optional[int] = None,
        operator_policy: Optional[Policy] = None,
    ) -> "Session":
        """Open a session in a shell on this machine (bash where there is
        one, else sh), non-interactive: pagers print, editors fail, git does
        not prompt.

        Args:
            cwd: the initial working directory (default: this process's).
            env: variables exported in the shell at start.
            timeout: the default timeout of each command, in seconds
                (default 600). A command that hits it is interrupted and its
                result has ``timed_out`` set; the session goes on.
            budget: the default output :class:`Budget` of every ``exec``
                that gives none.
            allow: if given, the only programs commands may run.
            deny: programs commands must never run.
            deny_patterns: regular expressions a command must not match.
            secrets: values to redact wherever they appear in output.
            workspace: the directory checkpoints snapshot (none by default).
            paths: narrow checkpoints to these paths inside ``workspace``.
            checkpoint_ignores: extra gitignore-style patterns left out of
                checkpoints.
            auto_snapshot: take a checkpoint before commands that may
                change files.
            file_changes: with a ``workspace``, report in each result's
                ``files`` what the command created, modified and deleted
                (default; ``False`` saves a walk over the workspace before
                and after each command that may change files).
            shell: the shell's argv, instead of bash/sh.
            max_chars: the cap on characters returned per stream.
            output_keep: bytes of full output kept for :meth:`output`
                (negative: none).
            operator_policy: a :class:`Policy` layer the session's own
                allow/deny cannot loosen.

        Raises:
            InvalidArgument: a setting the library refuses.
            BudgetError: a bad default budget.
            ExecKitError: the shell did not start.
        """
        cfg = _config(cwd=cwd, env=env, timeout=timeout, budget=budget, allow=allow, deny=deny, deny_patterns=deny_patterns,
                      secrets=secrets, workspace=workspace, paths=paths, checkpoint_ignores=checkpoint_ignores,
                      auto_snapshot=auto_snapshot, file_changes=file_changes, shell=shell, max_chars=max_chars, output_keep=output_keep,
                      operator_policy=operator_policy)
        return cls._open({"transport": "local", "config": cfg})

    @classmethod
    def ssh(
        cls,
        host: str,
        user: str,
        *,
        port: Optional[int] = None,
        password: Optional[str] = None,
        key_path: Optional[PathLike] = None,
        passphrase: Optional[str] = None,
        fingerprint: Optional[str] = None,
        key_dir: Optional[PathLike] = None,
        known_hosts: Optional[PathLike] = None,
        refuse_unknown_hosts: bool = False,
        hash_known_hosts: bool = False,
        use_agent: bool = False,
        agent_socket: Optional[PathLike] = None,
        insecure_accept_any_host_key: bool = False,
        dial_timeout: Optional[float] = None,
        keepalive_interval: Optional[float] = None,
        cwd: Optional[PathLike] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        budget: Optional[Budget] = None,
        allow: Optional[Sequence[str]] = None,
        deny: Optional[Sequence[str]] = None,
        deny_patterns: Optional[Sequence[str]] = None,
        secrets: Optional[Sequence[str]] = None,
        workspace: Optional[PathLike] = None,
        paths: Optional[Sequence[str]] = None,
        checkpoint_ignores: Optional[Sequence[str]] = None,
        auto_snapshot: bool = False,
        file_changes: bool = True,
        shell: Optional[Sequence[str]] = None,
        max_chars: Optional[int] = None,
        output_keep: Optional[int] = None,
        operator_policy: Optional[Policy] = None,
    ) -> "Session":
        """Open a session on an SSH host.

        Authentication is by ``password``, by a private key ``key_path``
        (which must resolve, after symlinks, inside ``key_dir``, default
        ``~/.ssh``), or by the ssh-agent when ``use_agent`` is set. Host keys
        are checked against ``known_hosts`` (default ``~/.ssh/known_hosts``,
        read and written in OpenSSH's format): a new host is trusted on first
        use and recorded, unless ``refuse_unknown_hosts``; a changed key is
        refused as a likely man in the middle. ``fingerprint``
        (``"SHA256:..."``) pins the key in addition to known_hosts, never
        instead of it. ``insecure_accept_any_host_key`` turns host key
        checking off: only for throwaway test hosts.

        The remaining keyword arguments are those of :meth:`local`; the
        password and passphrase are redacted from all output.

        Raises:
            HostKeyError: the host key was refused.
            AuthError: authentication failed.
            KeyPathError: ``key_path`` is not a key inside ``key_dir``.
            TransportError: the host cannot be reached.
            Timeout: connecting took longer than ``dial_timeout`` (default 15 s).
        """
        for name, value in (("host", host), ("user", user)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        check_int("port", port)
        target: Dict[str, Any] = {"host": host, "user": user}
        if port is not None:
            target["port"] = port
        for name, secret in (("password", password), ("passphrase", passphrase), ("fingerprint", fingerprint)):
            check_str(name, secret)
            if secret is not None:
                target[name] = secret
        if key_path is not None:
            target["key_path"] = _path("key_path", key_path)
        operator: Dict[str, Any] = {}
        for name, path in (("key_dir", key_dir), ("known_hosts", known_hosts), ("agent_socket", agent_socket)):
            if path is not None:
                operator[name] = _path(name, path)
        for name, flag in (("refuse_unknown_hosts", refuse_unknown_hosts), ("hash_known_hosts", hash_known_hosts),
                           ("use_agent", use_agent), ("insecure_accept_any_host_key", insecure_accept_any_host_key)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
            if flag:
                operator[name] = True
        for name, secs in (("dial_timeout_s", seconds("dial_timeout", dial_timeout)),
                           ("keepalive_interval_s", seconds("keepalive_interval", keepalive_interval))):
            if secs is not None:
                operator[name] = secs
        cfg = _config(cwd=cwd, env=env, timeout=timeout, budget=budget, allow=allow, deny=deny, deny_patterns=deny_patterns,
                      secrets=secrets, workspace=workspace, paths=paths, checkpoint_ignores=checkpoint_ignores,
                      auto_snapshot=auto_snapshot, file_changes=file_changes, shell=shell, max_chars=max_chars, output_keep=output_keep,
                      operator_policy=operator_policy)
        request: Dict[str, Any] = {"transport": "ssh", "ssh": target, "config": cfg}
        if operator:
            request["ssh_operator"] = operator
        return cls._open(request)

    @classmethod
    def docker(
        cls,
        container: str,
        *,
        user: Optional[str] = None,
        workdir: Optional[str] = None,
        docker_host: Optional[str] = None,
        cwd: Optional[PathLike] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        budget: Optional[Budget] = None,
        allow: Optional[Sequence[str]] = None,
        deny: Optional[Sequence[str]] = None,
        deny_patterns: Optional[Sequence[str]] = None,
        secrets: Optional[Sequence[str]] = None,
        workspace: Optional[PathLike] = None,
        paths: Optional[Sequence[str]] = None,
        checkpoint_ignores: Optional[Sequence[str]] = None,
        auto_snapshot: bool = False,
        file_changes: bool = True,
        shell: Optional[Sequence[str]] = None,
        max_chars: Optional[int] = None,
        output_keep: Optional[int] = None,
        operator_policy: Optional[Policy] = None,
    ) -> "Session":
        """Open a session in a running Docker container (name or id), through
        the Docker Engine API (the daemon the docker CLI would use, or
        ``docker_host`` such as ``"unix:///var/run/docker.sock"``).

        ``user`` runs the shell as that user (default: the container's), and
        ``workdir`` starts it in that directory (default: the container's).
        Closing the session kills the shell and what it started inside the
        container. The remaining keyword arguments are those of :meth:`local`.

        Raises:
            ContainerError: no such container, or it is not running.
            TransportError: the Docker daemon cannot be reached.
            InvalidArgument: an invalid container name, user or directory.
        """
        if not isinstance(container, str):
            raise TypeError(f"container must be a str, not {type(container).__name__}")
        operator: Dict[str, Any] = {}
        for name, value in (("user", user), ("workdir", workdir), ("host", docker_host)):
            check_str(name if name != "host" else "docker_host", value)
            if value is not None:
                operator[name] = value
        cfg = _config(cwd=cwd, env=env, timeout=timeout, budget=budget, allow=allow, deny=deny, deny_patterns=deny_patterns,
                      secrets=secrets, workspace=workspace, paths=paths, checkpoint_ignores=checkpoint_ignores,
                      auto_snapshot=auto_snapshot, file_changes=file_changes, shell=shell, max_chars=max_chars, output_keep=output_keep,
                      operator_policy=operator_policy)
        request: Dict[str, Any] = {"transport": "docker", "docker": {"container": container}, "config": cfg}
        if operator:
            request["docker_operator"] = operator
        return cls._open(request)

    # --- using ---

    def _live(self) -> int:
        with self._lock:
            if self._closed:
                raise SessionClosed(f"execkit: session {self._id} is closed")
            return self._handle

    def _blocking(self, fn: Callable[[Any, int], Any]) -> Any:
        return _blocking(fn, self._calls, self._lock)

    def exec(
        self,
        command: Union[str, bytes],
        *,
        timeout: Optional[float] = None,
        stdin: Optional[Union[str, bytes]] = None,
        tail: Optional[int] = None,
        head: Optional[int] = None,
        head_tail: Optional[int] = None,
        grep: Optional[str] = None,
        context: Optional[int] = None,
        max_chars: Optional[int] = None,
        budget: Optional[Budget] = None,
        on_timeout: Optional[str] = None,
    ) -> Result:
        """Run ``command`` in the session's shell and return its :class:`Result`.

        Any shell syntax works (pipes, ``&&``, here-documents, several lines);
        ``cd`` and ``export`` persist. The command reads ``stdin`` (text), or
        /dev/null when it is None, so nothing waits for input. A nonzero exit
        or a timeout is reported in the result, not raised (see
        :meth:`Result.check`).

        Args:
            timeout: seconds before the command is interrupted (INT, TERM,
                then KILL); default: the session's.
            tail, head, head_tail: keep only the last, first, or first and
                last N lines of each stream.
            grep: keep only lines matching this regular expression (Go RE2
                syntax), with ``context`` lines around each match.
            max_chars: cap the characters returned per stream.
            budget: a :class:`Budget` instead of the keywords above.
            on_timeout: ``"interrupt"`` (the default) interrupts the command
                at its timeout; ``"continue"`` leaves it running as a job
                (the result's ``job_id``; see :meth:`job`), and the session
                is busy until it ends.

        Raises:
            PolicyDenied: the policy fence refused the command; it did not run.
            BudgetError: the budget is bad (e.g. a grep pattern that does not
                compile); nothing ran.
            InvalidArgument: the command cannot be sent (a NUL byte, empty).
            SessionEnded: the shell has ended (SessionClosed: it was closed).
            KeyboardInterrupt: Ctrl-C in the main thread interrupted the command.
        """
        cmd = _command(command)
        options: Dict[str, Any] = {}
        t = seconds("timeout", timeout)
        if t is not None:
            options["timeout_s"] = t
        if stdin is not None:
            options["stdin"] = _text("stdin", stdin)
        shaped = _budget(budget, tail=tail, head=head, head_tail=head_tail, grep=grep, context=context, max_chars=max_chars)
        if shaped:
            options["budget"] = shaped
        check_str("on_timeout", on_timeout)
        if on_timeout is not None:
            options["on_timeout"] = on_timeout
        text = _dumps(options) if options else _lib.ffi.NULL
        handle = self._live()
        answer = self._blocking(lambda lib, call: lib.execkit_exec(handle, cmd, len(cmd), text, call))
        return Result._from_json(answer)

    def output(
        self,
        output_id: str,
        *,
        tail: Optional[int] = None,
        head: Optional[int] = None,
        head_tail: Optional[int] = None,
        grep: Optional[str] = None,
        context: Optional[int] = None,
        max_chars: Optional[int] = None,
        budget: Optional[Budget] = None,
    ) -> Result:
        """Read a past command's full output again (``output_id`` from its
        result), shaped by another budget (none: everything, up to the
        session's character cap).

        Raises:
            UnknownOutput: the id was never given out here, or its output was
                dropped to stay within the session's output cap.
            BudgetError: the budget is bad.
        """
        if not isinstance(output_id, str):
            raise TypeError(f"output_id must be a str, not {type(output_id).__name__}")
        if "\0" in output_id:
            raise InvalidArgument("execkit: output_id contains a NUL byte")
        shaped = _budget(budget, tail=tail, head=head, head_tail=head_tail, grep=grep, context=context, max_chars=max_chars)
        text = _dumps(shaped) if shaped else _lib.ffi.NULL
        try:
            oid = output_id.encode("utf-8")
        except UnicodeEncodeError:
            raise UnknownOutput(f"execkit: unknown output id {output_id!r}") from None
        handle = self._live()
        return Result._from_json(_lib.call(lambda lib: lib.execkit_output(handle, oid, text)))

    def checkpoint(self, label: Optional[str] = None) -> Checkpoint:
        """Snapshot the session's ``workspace`` (every file no ignore rule
        excludes) into a shadow git repository outside it; the workspace's
        own ``.git`` is never touched. Waits for a running command.

        Raises:
            NoWorkspace: the session was opened without ``workspace=``.
            NoGit: the SSH or Docker host has no git.
            InvalidArgument: a label over 200 characters or with control
                characters.
        """
        check_str("label", label)
        raw = _c_text("label", label) if label else _lib.ffi.NULL
        handle = self._live()
        answer = self._blocking(lambda lib, call: lib.execkit_checkpoint(handle, raw, call))
        return Checkpoint._from_json(answer)

    def checkpoints(self) -> List[Checkpoint]:
        """The workspace's checkpoints, newest first (also those taken by
        earlier sessions on the same workspace)."""
        handle = self._live()
        return [Checkpoint._from_json(d) for d in self._blocking(lambda lib, call: lib.execkit_checkpoints(handle, call))]

    def restore(self, checkpoint_id: Optional[str] = None) -> RestoreReport:
        """Make the workspace's files exactly what they were at
        ``checkpoint_id`` (default: the latest checkpoint).

        This is destructive: files modified since are overwritten, files
        deleted since are written back, and **files created since are
        deleted**. Ignored paths (``node_modules``, build directories, ...)
        are not touched. Only files change: a restore undoes no other effect
        of a command. Take a checkpoint first to be able to come back.

        Raises:
            UnknownCheckpoint: no such checkpoint, or none yet.
            InvalidArgument: an id that is not a checkpoint id.
        """
        check_str("checkpoint_id", checkpoint_id)
        raw = _c_text("checkpoint_id", checkpoint_id) if checkpoint_id else _lib.ffi.NULL
        handle = self._live()
        return RestoreReport._from_json(self._blocking(lambda lib, call: lib.execkit_restore(handle, raw, call)))

    def start(self, command: Union[str, bytes], *, tty: bool = False, rows: Optional[int] = None,
              cols: Optional[int] = None) -> "Job":
        """Start ``command`` as a :class:`Job`: a process that outlives the
        call (a dev server, a watcher, a REPL, a long build), inheriting the
        shell's working directory and exported variables of this moment.
        Returns once it runs; ``exec`` goes on meanwhile. Jobs die with their
        session. ``tty`` runs it on a terminal (``rows`` x ``cols``, default
        24 x 80), for programs that need one, on every transport.

        Raises:
            PolicyDenied: the policy fence refused the command.
            TooManyJobs: the cap on running jobs is reached.
            InvalidArgument: a bad terminal size, or tty on a transport
                that cannot.
        """
        cmd = _command(command)
        if not isinstance(tty, bool):
            raise TypeError(f"tty must be a bool, not {type(tty).__name__}")
        check_int("rows", rows)
        check_int("cols", cols)
        options: Dict[str, Any] = {}
        if tty:
            options["tty"] = True
        if rows is not None:
            options["rows"] = rows
        if cols is not None:
            options["cols"] = cols
        text = _dumps(options) if options else _lib.ffi.NULL
        handle = self._live()
        info = self._blocking(lambda lib, call: lib.execkit_job_start(handle, cmd, len(cmd), text, call))
        return Job(self, str(info["job_id"]))

    def jobs(self) -> List[JobInfo]:
        """The session's jobs, running and recently ended, oldest first."""
        handle = self._live()
        return [JobInfo._from_json(d) for d in _lib.call(lambda lib: lib.execkit_jobs(handle))]

    def job(self, job_id: str) -> "Job":
        """The job with this id (from :meth:`start`, :meth:`jobs`, or a
        result's ``job_id``).

        Raises:
            UnknownJob: the session has no such job.
        """
        if not isinstance(job_id, str):
            raise TypeError(f"job_id must be a str, not {type(job_id).__name__}")
        if job_id not in {j.job_id for j in self.jobs()}:
            raise UnknownJob(f"execkit: unknown job id {job_id!r}")
        return Job(self, job_id)

    def interrupt(self) -> int:
        """Interrupt the calls running in this session (from another thread),
        as a timeout would: each ``exec`` returns its result so far with
        ``timed_out`` set, and the session goes on. Returns how many calls
        were interrupted."""
        with self._lock:
            calls = list(self._calls)
        return sum(_lib.cancel(c) for c in calls)

    def close(self) -> None:
        """End the session: the shell and everything it started are killed,
        and a running ``exec`` (in another thread) returns. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer.detach()
        _close_handle(self._handle)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- state ---

    def _info(self) -> Dict[str, Any]:
        handle = self._live()
        info: Dict[str, Any] = _lib.call(lambda lib: lib.execkit_session_info(handle))
        return info

    @property
    def id(self) -> str:
        """The session's id: ``"<n>_local"``, ``"<n>_ssh_user@host"``,
        ``"<n>_docker_<container>"``."""
        return self._id

    @property
    def transport(self) -> str:
        """``"local"``, ``"ssh"`` or ``"docker"``."""
        return self._transport

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def cwd(self) -> str:
        """The shell's working directory after the last command."""
        return str(self._info().get("cwd", ""))

    @property
    def ended(self) -> Optional[str]:
        """None while the session is usable, else why it ended."""
        if self._closed:
            return "the session was closed"
        try:
            return self._info().get("ended") or None
        except SessionClosed:
            return "the session was closed"

    def __repr__(self) -> str:
        if self._closed:
            return f"<execkit.Session {self._id} closed>"
        try:
            info = self._info()
        except Exception:
            return f"<execkit.Session {self._id}>"
        state = f" ended: {info['ended']}" if info.get("ended") else ""
        return f"<execkit.Session {self._id} cwd={info.get('cwd', '')!r}{state}>"


def _job_id(job_id: str) -> bytes:
    if "\0" in job_id:
        raise UnknownJob(f"execkit: unknown job id {job_id!r}")
    try:
        return job_id.encode("utf-8")
    except UnicodeEncodeError:
        raise UnknownJob(f"execkit: unknown job id {job_id!r}") from None


class Job:
    """A process started by :meth:`Session.start` (or a command that
    continued past its timeout). Its output is cleaned, redacted and bounded
    like a command's; read it with :meth:`output`::

        with s.start("python3 -m http.server 8000") as server:
            server.output(wait=10, until="Serving HTTP")
            print(s.exec("curl -s localhost:8000 | head -3").stdout)
        # leaving the block stops the job

    A Job is safe to use from several threads.
    """

    def __init__(self, session: Session, job_id: str) -> None:
        self._session = session
        self._id = job_id
        self._bid = _job_id(job_id)

    @property
    def id(self) -> str:
        """The job's id, ``"job_<n>"``, unique within its session."""
        return self._id

    @property
    def session(self) -> Session:
        """The session the job belongs to."""
        return self._session

    def output(self, *, wait: float = 0, until: Optional[str] = None) -> JobOutput:
        """The job's output since the last read, and its state.

        With ``until`` (a regular expression, Go RE2 syntax) it returns as
        soon as the pattern appears in the unread output, the job ends, or
        ``wait`` seconds pass. Without, it returns once output has arrived
        and paused, the job ends, or ``wait`` passes; ``wait=0`` returns at
        once.
        """
        if isinstance(wait, bool) or not isinstance(wait, (int, float)):
            raise TypeError(f"wait must be a number of seconds, not {type(wait).__name__}")
        if wait != wait or wait < 0 or wait == float("inf"):
            raise InvalidArgument(f"execkit: wait must be a non-negative number of seconds, not {wait!r}")
        check_str("until", until)
        options: Dict[str, Any] = {}
        if wait:
            options["wait_ms"] = int(wait * 1000)
        if until is not None:
            options["until"] = until
        text = _dumps(options) if options else _lib.ffi.NULL
        handle, jid = self._session._live(), self._bid
        answer = self._session._blocking(lambda lib, call: lib.execkit_job_output(handle, jid, text, call))
        return JobOutput._from_json(answer)

    def input(self, data: Union[str, bytes]) -> int:
        """Write ``data`` to the job's stdin (on a terminal: type it) and
        return how many bytes were written, once the job has read them.

        Raises:
            JobEnded: the job has exited.
        """
        raw = _command(data) if isinstance(data, str) else data
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be str or bytes, not {type(data).__name__}")
        raw = bytes(raw)
        handle, jid = self._session._live(), self._bid
        answer = self._session._blocking(lambda lib, call: lib.execkit_job_input(handle, jid, raw, len(raw), call))
        return int(answer["written"])

    def close_input(self) -> None:
        """Close the job's stdin, so a program reading it sees end of file.
        On a terminal, type ``"\x04"`` (Ctrl-D) instead."""
        handle, jid = self._session._live(), self._bid
        _lib.call(lambda lib: lib.execkit_job_close_input(handle, jid))

    def signal(self, signal: str = "TERM") -> JobInfo:
        """Send ``signal`` (``"INT"``, ``"TERM"``, ``"KILL"`` or ``"HUP"``)
        to the job's process tree, wait the session's grace period for it to
        end, and return its state. A job that ignores the signal still runs
        afterwards; send ``"KILL"``."""
        if not isinstance(signal, str):
            raise TypeError(f"signal must be a str, not {type(signal).__name__}")
        if "\0" in signal:
            raise InvalidArgument("execkit: signal contains a NUL byte")
        sig = signal.encode("utf-8", "replace")
        handle, jid = self._session._live(), self._bid
        answer = self._session._blocking(lambda lib, call: lib.execkit_job_signal(handle, jid, sig, call))
        return JobInfo._from_json(answer)

    def info(self) -> JobInfo:
        """The job's state now."""
        for j in self._session.jobs():
            if j.job_id == self._id:
                return j
        raise UnknownJob(f"execkit: unknown job id {self._id!r} (ended jobs are dropped from the list in time)")

    @property
    def running(self) -> bool:
        """True while the job runs."""
        return self.info().running

    def stop(self) -> JobInfo:
        """End the job: TERM, then KILL if it is still running."""
        info = self.signal("TERM")
        if info.running:
            info = self.signal("KILL")
        return info

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.stop()
        except (SessionEnded, UnknownJob):
            pass  # the job went with its session, or ended long ago
        except Exception:
            if exc[0] is None:
                raise

    def __repr__(self) -> str:
        return f"<execkit.Job {self._id} of {self._session.id}>"


def sessions() -> List[SessionInfo]:
    """The sessions this process has open, in the order they were opened."""
    return [SessionInfo._from_json(d) for d in _lib.call(lambda lib: lib.execkit_sessions())]
