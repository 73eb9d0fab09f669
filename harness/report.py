"""Failure messages a contributor can act on without rerunning anything.

Each names page:line, the command, the exit status, a diff of expected
against actual output, and the tail of what the command printed.
"""
from __future__ import annotations

from .matching import diff

TAIL_LINES = 25


def tail(text: str, n: int = TAIL_LINES) -> str:
    lines = text.rstrip("\n").split("\n")
    cut = lines[-n:]
    prefix = [f"[... {len(lines) - n} earlier lines]"] if len(lines) > n else []
    return "\n".join("    " + l for l in prefix + cut)


def failure(where: str, what: str, *, command: str | None = None, status=None, expected_status=None,
            expected: list[str] | None = None, actual: list[str] | None = None, output: str = "",
            note: str = "") -> str:
    parts = [f"{where}: {what}"]
    if command is not None:
        shown = command.replace("\n", "\n  > ")
        parts.append(f"  $ {shown}")
    if status is not None or expected_status is not None:
        st = "none (stopped)" if status is None else str(status)
        exp = f" (expected {expected_status})" if expected_status is not None else ""
        parts.append(f"  exit status: {st}{exp}")
    if expected is not None and actual is not None:
        parts.append("  output differs:\n" + "\n".join("    " + l for l in diff(expected, actual).split("\n")))
    elif output.strip():
        parts.append("  output (last lines):\n" + tail(output))
    if note:
        parts.append("  " + note)
    return "\n".join(parts)
