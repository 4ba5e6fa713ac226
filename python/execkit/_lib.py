"""Low-level binding: the C ABI of ``libexeckit.so`` as cffi sees it.

``CDEF`` mirrors the function declarations of ``capi/execkit.h`` (shipped in
the package as ``execkit.h``; a test checks that the two match). The library
is loaded once, in ABI mode, with ``RTLD_NODELETE``: a Go runtime cannot be
unloaded. cffi releases the GIL for the duration of every call, so Go works
while other Python threads run.

Everything here is private; :mod:`execkit` is the public API.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Optional

import cffi

from .errors import ExecKitError, from_answer

CDEF = """
char *execkit_version(void);
uint64_t execkit_call_new(void);
int execkit_cancel(uint64_t call);
char *execkit_open(const char *request, uint64_t call);
char *execkit_exec(uint64_t session, const char *command, size_t command_len, const char *options, uint64_t call);
char *execkit_output(uint64_t session, const char *output_id, const char *budget);
char *execkit_session_info(uint64_t session);
char *execkit_sessions(void);
char *execkit_close(uint64_t session);
char *execkit_checkpoint(uint64_t session, const char *label, uint64_t call);
char *execkit_checkpoints(uint64_t session, uint64_t call);
char *execkit_restore(uint64_t session, const char *checkpoint_id, uint64_t call);
char *execkit_job_start(uint64_t session, const char *command, size_t command_len, const char *options, uint64_t call);
char *execkit_jobs(uint64_t session);
char *execkit_job_output(uint64_t session, const char *job_id, const char *options, uint64_t call);
char *execkit_job_input(uint64_t session, const char *job_id, const char *input, size_t input_len, uint64_t call);
char *execkit_job_close_input(uint64_t session, const char *job_id);
char *execkit_job_signal(uint64_t session, const char *job_id, const char *signal, uint64_t call);
void execkit_free(char *s);
"""

#: The ABI version this module speaks (``EXECKIT_ABI_VERSION`` in execkit.h).
ABI_VERSION = 1

LIBRARY_NAME = "libexeckit.so"
HEADER_NAME = "execkit.h"

ffi = cffi.FFI()
ffi.cdef(CDEF)

_lock = threading.Lock()
_lib: Any = None
_pid: Optional[int] = None


def library_path() -> str:
    """Where the shared library is: ``$EXECKIT_LIBRARY``, else beside this file."""
    override = os.environ.get("EXECKIT_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def header_path() -> str:
    """execkit.h: the copy shipped beside the library, else (an editable
    install) the one in the source tree."""
    here = os.path.dirname(os.path.abspath(__file__))
    shipped = os.path.join(here, HEADER_NAME)
    if os.path.exists(shipped):
        return shipped
    return os.path.join(here, "..", "..", "capi", HEADER_NAME)


def lib() -> Any:
    """The loaded library (loaded on first use)."""
    global _lib, _pid
    if _lib is not None:
        if os.getpid() != _pid:
            raise ExecKitError(
                "execkit: this process was forked after loading execkit; a Go runtime does not survive fork, "
                "so use execkit only in the parent, or start the child with the 'spawn' method"
            )
        return _lib
    with _lock:
        if _lib is None:
            path = library_path()
            # dlopen's flags, as os and cffi both name them (the same values).
            flags = os.RTLD_NOW | getattr(os, "RTLD_NODELETE", 0)
            try:
                # Any: the functions of the cdef above, which no stub knows.
                loaded: Any = ffi.dlopen(path, flags)
            except OSError as e:
                raise ImportError(f"execkit: cannot load {path}: {e} (reinstall the package: pip install .)") from e
            info = _decode(loaded, loaded.execkit_version())
            if info.get("abi") != ABI_VERSION:
                raise ImportError(f"execkit: {path} speaks ABI {info.get('abi')!r}, this package ABI {ABI_VERSION}")
            _pid = os.getpid()
            _lib = loaded
    return _lib


def _decode(library: Any, ptr: Any) -> Any:
    """Read and free one answer of the library."""
    if ptr == ffi.NULL:
        raise ExecKitError("execkit: the library returned no answer", kind="internal")
    try:
        text = ffi.string(ptr)
    finally:
        library.execkit_free(ptr)
    return json.loads(text)


def call(fn: Callable[[Any], Any]) -> Any:
    """Run ``fn(lib)``, which returns an answer of the library, and decode it.

    Raises the exception for an error answer."""
    library = lib()
    answer = _decode(library, fn(library))
    if isinstance(answer, dict) and "error" in answer:
        raise from_answer(answer["error"])
    return answer


def new_call() -> int:
    """A fresh call id for one blocking call."""
    return int(lib().execkit_call_new())


def cancel(call_id: int) -> bool:
    """Cancel the blocking call ``call_id``; False if it already returned."""
    return bool(lib().execkit_cancel(call_id))
