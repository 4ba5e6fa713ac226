"""The type hints hold: every annotation in the package resolves to a real
type, so a typo or a name that was renamed away fails here rather than in a
user's type checker (py.typed promises the hints are meant to be read)."""

from __future__ import annotations

import dataclasses
import inspect
import os
import typing
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import execkit
from execkit import _lib, _session, _types, errors

PACKAGE_DIR = os.path.dirname(os.path.abspath(execkit.__file__))
MODULES = [execkit, _lib, _session, _types, errors]
# Names a module imports only for the type checker (under TYPE_CHECKING)
# resolve in the package's own namespace.
NAMESPACE: Dict[str, Any] = {**vars(_types), **vars(errors), **vars(_session), **vars(execkit)}


def annotated() -> Iterator[Tuple[str, Any]]:
    """Every function, method, property and class defined in the package."""
    seen = set()

    def visit(name: str, obj: Any) -> Iterator[Tuple[str, Any]]:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            for part, fn in (("fget", obj.fget), ("fset", obj.fset)):
                if fn is not None:
                    yield from visit(f"{name}.{part}", fn)
            return
        if inspect.isfunction(obj):
            # Not the methods dataclasses writes (their code is not in the
            # package's files).
            if os.path.dirname(os.path.abspath(obj.__code__.co_filename)) == PACKAGE_DIR:
                yield name, obj
            return
        if inspect.isclass(obj) and obj.__module__.startswith("execkit"):
            yield name, obj
            for member, value in vars(obj).items():
                yield from visit(f"{name}.{member}", value)

    for module in MODULES:
        for name, obj in vars(module).items():
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if obj.__module__ == module.__name__:
                    yield from visit(f"{module.__name__}.{name}", obj)


def test_every_annotation_resolves():
    checked: List[str] = []
    for name, obj in annotated():
        module = vars(inspect.getmodule(obj))
        try:
            hints = typing.get_type_hints(obj, globalns=module, localns=NAMESPACE)
        except Exception as e:  # NameError, TypeError, SyntaxError in a string annotation
            pytest.fail(f"{name}: its annotations do not resolve: {type(e).__name__}: {e}")
        checked.append(name)
        if inspect.isfunction(obj):
            # Every parameter and the return are annotated (what mypy --strict
            # asks of a typed package).
            sig = inspect.signature(obj)
            for p in sig.parameters.values():
                if p.name in ("self", "cls"):
                    continue
                assert p.name in hints, f"{name}: parameter {p.name!r} has no type hint"
            assert "return" in hints, f"{name}: no return type hint"
    # The public API is among what was checked.
    for public in ("execkit._session.Session.exec", "execkit._session.Session.local", "execkit._session.Job.output",
                   "execkit._types.Result", "execkit._session.sessions", "execkit.errors.ExecKitError.__init__"):
        assert public in checked, public
    assert len(checked) > 100, checked


@pytest.mark.parametrize("cls", [c for c in vars(_types).values() if dataclasses.is_dataclass(c)], ids=lambda c: c.__name__)
def test_dataclass_fields_are_typed(cls):
    hints = typing.get_type_hints(cls, localns=NAMESPACE)
    for field in dataclasses.fields(cls):
        assert field.name in hints, f"{cls.__name__}.{field.name} has no type hint"
        assert hints[field.name] is not Any, f"{cls.__name__}.{field.name} is typed Any"


def test_public_names_are_covered():
    """Everything execkit exports is a class or function the checks above saw."""
    names = {name for name, _ in annotated()}
    for public in execkit.__all__:
        obj = getattr(execkit, public)
        assert f"{obj.__module__}.{obj.__qualname__}" in names, public
