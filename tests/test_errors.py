"""The harness's errors are one named set, in harness/errors.py.

A caller can only handle an error it can name: a bare RuntimeError says nothing
of what failed, and an exception class defined in some module is one more place
to look. This reads harness/*.py with `ast`: no Docker, nothing imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import errors

HARNESS = Path(__file__).resolve().parents[1] / "harness"
GENERIC = {"Exception", "RuntimeError", "BaseException"}


def modules() -> list[Path]:
    return sorted(HARNESS.rglob("*.py"))


def bare_raises(source: str) -> list[int]:
    """Lines that raise a generic exception (`raise RuntimeError(...)`, `raise Exception`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in GENERIC:
                lines.append(node.lineno)
    return lines


def error_classes(source: str) -> list[str]:
    """Classes that derive from an exception class by name (Exception, ...Error, ...Gone, ...)."""
    known = GENERIC | {name for name, value in vars(errors).items() if isinstance(value, type)}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                     for b in node.bases}
            if bases & known or any(b.endswith(("Error", "Exception")) for b in bases):
                found.append(node.name)
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_no_bare_runtime_error(path):
    lines = bare_raises(path.read_text())
    assert not lines, f"harness/{path.name}: raise a named error from harness/errors.py, not a generic one, " \
                      f"at line(s) {lines}"


@pytest.mark.parametrize("path", [p for p in modules() if p.name != "errors.py"], ids=lambda p: p.name)
def test_error_classes_live_in_errors_py(path):
    found = error_classes(path.read_text())
    assert not found, f"harness/{path.name} defines {found}: define errors in harness/errors.py"


def test_the_readers_see_what_they_look_for():
    source = (
        "class Gone(RuntimeError): pass\n"
        "class Other(errors.HarnessError): pass\n"
        "class Fine: pass\n"
        "def f():\n"
        "    raise RuntimeError('x')\n"
        "def g():\n"
        "    raise errors.ShellGone('y')\n"
    )
    assert bare_raises(source) == [5]
    assert error_classes(source) == ["Gone", "Other"]


def test_every_harness_error_is_a_runtime_error():
    """Callers that caught RuntimeError before the errors moved here still catch them."""
    named = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, errors.HarnessError)]
    assert len(named) >= 8 and all(issubclass(v, RuntimeError) for v in named)
