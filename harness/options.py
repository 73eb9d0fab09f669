"""Read the options a page gives a block in an HTML comment.

Options live in `<!-- test: ... -->` so that they never show on the site.
Every option is declared here with the type of its value; anything else is
an error naming the page and line, because a misspelt option that is
silently ignored would let a broken example pass.
"""
from __future__ import annotations

import shlex
from typing import Any

from .errors import PageError


def _seconds(v: str) -> float:
    x = float(v)
    if not 0 < x <= 3600:
        raise ValueError("must be between 0 and 3600 seconds")
    return x


NONZERO = "nonzero"  # `exit=nonzero`: any failing status, for blocks that only show that a command fails


def _status(v: str) -> int | str:
    if v == NONZERO:
        return NONZERO
    try:
        x = int(v)
    except ValueError:
        raise ValueError("must be an exit status from 0 to 255, or `nonzero`") from None
    if not 0 <= x <= 255:
        raise ValueError("must be an exit status from 0 to 255, or `nonzero`")
    return x


def _text(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


def _prompt(v: str) -> str:
    if not v.strip() or v != v.strip():
        raise ValueError("must be the prompt's text, without spaces around it (the space after it is implied)")
    return v


def status_ok(wanted: int | str, status: int | None) -> bool:
    """Whether an exit status is the one a block expects (`exit=N` or `exit=nonzero`)."""
    if status is None:
        return False
    return status != 0 if wanted == NONZERO else status == wanted


def _words(v: str) -> tuple[str, ...]:
    words = tuple(v.split())
    if not words:
        raise ValueError("must name at least one word")
    return words


WHITESPACE = ("exact", "loose")


def _whitespace(v: str) -> str:
    if v not in WHITESPACE:
        raise ValueError("must be `loose` (runs of spaces count as one, blank lines are ignored) or `exact`")
    return v
SIZE_UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def _size(v: str) -> int:
    """`512m`, `4g`, `4G`, `4GiB`: a size in bytes (binary units, as docker's own options)."""
    text = v.strip().lower().removesuffix("ib").removesuffix("b")
    unit = SIZE_UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    try:
        size = int(float(number) * (unit or 1))
    except ValueError:
        raise ValueError("must be a size such as 512m or 8g") from None
    if not 64 * 2**20 <= size <= 2**40:
        raise ValueError("must be between 64m and 1t")
    return size


FLAG = object()

# name -> converter for `name=value`, or FLAG for a bare word
SPEC: dict[str, Any] = {
    "skip": _text,
    "timeout": _seconds,
    "network": FLAG,
    "exit": _status,
    "gpu": FLAG,
    "image": _text,
    "setup": FLAG,
    "teardown": FLAG,
    "rewrite": FLAG,
    "targets": _words,
    "broken": _text,
    "raises": _text,
    "secrets": _words,
    "whitespace": _whitespace,
    "prompt": _prompt,
}


# Options for a whole page, in `<!-- test-page: ... -->` (at most one per page).
# A page option is the default for every block of the page where a block option of
# the same name exists; the others configure the page's sandbox.
PAGE_SPEC: dict[str, Any] = {
    "timeout": _seconds,
    "whitespace": _whitespace,
    "files": _words,  # data files beside the page, copied into the working directory (loader.py checks them)
    "disk": _size,  # bytes the page may write: its container layer, and its Docker engine's images
    "prompt": _prompt,
}


def parse_options(text: str, path: str, line: int, spec: dict[str, Any] | None = None) -> dict:
    """Turn `network timeout=300 skip="why"` into a dict, or raise PageError."""
    spec = SPEC if spec is None else spec
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError as e:
        raise PageError(path, line, f"cannot read options {text.strip()!r}: {e}") from None
    options: dict = {}
    for word in words:
        name, eq, value = word.partition("=")
        kind = spec.get(name)
        if kind is None:
            known = ", ".join(sorted(spec))
            raise PageError(path, line, f"unknown option {name!r} (known: {known})")
        if name in options:
            raise PageError(path, line, f"option {name!r} given twice")
        if kind is FLAG:
            if eq:
                raise PageError(path, line, f"option {name!r} takes no value")
            options[name] = True
            continue
        if not eq:
            raise PageError(path, line, f"option {name!r} needs a value: {name}=...")
        try:
            options[name] = kind(value)
        except ValueError as e:
            raise PageError(path, line, f"bad value {value!r} for option {name!r}: {e}") from None
    if options.get("setup") and options.get("teardown"):
        raise PageError(path, line, "a block is either setup or teardown, not both")
    return options
