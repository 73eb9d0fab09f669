"""Update mode: the edits runners collected, applied to the page once it has run."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .outcome import Edit


def apply(path: str | Path, edits: Iterable[Edit]) -> None:
    """Rewrite expected output in the page, bottom to top so line numbers stay valid."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    for e in sorted(edits, key=lambda e: e.first, reverse=True):
        lines[e.first - 1:e.last] = [(e.indent + text) if text else "" for text in e.lines]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
