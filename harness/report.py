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
        st = "none (stopped)" if status is None else str(status) + _meaning(status)
        exp = f" (expected {expected_status})" if expected_status is not None else ""
        parts.append(f"  exit status: {st}{exp}")
    if expected is not None and actual is not None:
        parts.append("  output differs:\n" + "\n".join("    " + l for l in diff(expected, actual).split("\n")))
    elif output.strip():
        parts.append("  output (last lines):\n" + tail(output))
    hint = _network_hint(output) if status not in (None, 0) else ""
    for extra in (note, hint):
        if extra:
            parts.append("  " + extra)
    return "\n".join(parts)


def _meaning(status: int) -> str:
    if status == 137:
        return " (killed by SIGKILL: the sandbox's memory limit is the usual cause)"
    if status == 127:
        return " (command not found)"
    if status > 128:
        return f" (killed by signal {status - 128})"
    return ""


OFFLINE_SIGNS = ("Could not resolve host", "Temporary failure in name resolution", "Network is unreachable",
                 "Failed to establish a new connection", "No address associated with hostname")


def _network_hint(output: str) -> str:
    if any(sign in output for sign in OFFLINE_SIGNS):
        return ("this block has no network: blocks are offline unless they opt in with the `network` "
                "option (for pip and apt only)")
    return ""
