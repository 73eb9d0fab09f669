"""Outcomes rendered as messages a contributor can act on without rerunning anything.

The only place that turns results into text. Each problem names page:line,
the command, the exit status, a diff of expected against actual output, and
the tail of what the command printed.
"""
from __future__ import annotations

import signal

from .matching import diff, matches
from .outcome import SKIPPED, Outcome, Problem
from .terminal import render as draw
from .terminal import show_tabs

TAIL_LINES = 25


def tail(text: str, n: int = TAIL_LINES) -> str:
    lines = [show_tabs(line.rstrip()) for line in draw(text.rstrip("\n"))]
    cut = lines[-n:]
    prefix = [f"[... {len(lines) - n} earlier lines]"] if len(lines) > n else []
    return "\n".join("    " + line for line in prefix + cut)


def render(outcome: Outcome, page: str, line: int = 0) -> str:
    """The message of a failed or skipped block ("" when it passed); `line`: the block's, for a skip."""
    if outcome.status == SKIPPED:
        return f"{page}:{line}: {outcome.skip}"
    parts = [problem(p, page) for p in outcome.problems]
    text = "\n\n".join(parts)
    return "\n".join([text, *("  " + n if text else n for n in outcome.notes)]) if outcome.notes else text


def problem(p: Problem, page: str) -> str:
    where = f"{page}:{p.line}"
    if p.plain:
        return f"{where}: {p.what}"
    return failure(where, p.what, command=p.command, status=p.status, expected_status=p.expected_status,
                   expected=None if p.expected is None else list(p.expected),
                   actual=None if p.actual is None else list(p.actual), output=p.output, note=p.note, loose=p.loose)


def failure(where: str, what: str, *, command: str | None = None, status: int | None = None,
            expected_status: object = None,
            expected: list[str] | None = None, actual: list[str] | None = None, output: str = "",
            note: str = "", loose: bool = False) -> str:
    """The failure message; with expected and actual output, a diff whenever they differ.

    A wrong exit status comes with the diff too, so that one run shows all
    that is wrong with a command.
    """
    parts = [f"{where}: {what}"]
    if command is not None:
        shown = command.replace("\n", "\n  > ")
        parts.append(f"  $ {shown}")
    if status is not None or expected_status is not None:
        st = "none (stopped)" if status is None else str(status) + _meaning(status)
        exp = f" (expected {expected_status})" if expected_status is not None else ""
        parts.append(f"  exit status: {st}{exp}")
    if expected is not None and actual is not None and not matches(expected, actual, loose):
        parts.append("  output differs:\n"
                     + "\n".join("    " + line for line in diff(expected, actual, loose).split("\n")))
    elif output.strip():
        parts.append("  output (last lines):\n" + tail(output))
    hint = _network_hint(output) if status not in (None, 0) else ""
    for extra in (note, hint):
        if extra:
            parts.append("  " + extra)
    return "\n".join(parts)


# Signals that end processes in a sandbox (a crash, the memory limit, `kill`, `timeout`) and that
# programs hardly ever choose as exit statuses of their own. Bash reports a process killed by
# signal N as status 128+N, but a program may also exit with any such status itself (`git config
# -h` exits 129, ssh 255), and the page's shell, without job control, does not say which it was.
# So a status is explained as a signal only for these, and then only as "probably".
LIKELY_SIGNALS = {signal.SIGINT, signal.SIGQUIT, signal.SIGILL, signal.SIGABRT, signal.SIGBUS,
                  signal.SIGFPE, signal.SIGKILL, signal.SIGSEGV, signal.SIGPIPE, signal.SIGTERM}


def _meaning(status: int) -> str:
    if status == 127:
        return " (command not found)"
    if status == 126:
        return " (found but not executable)"
    if status <= 128 or status - 128 not in {s.value for s in LIKELY_SIGNALS}:
        return ""
    sig = signal.Signals(status - 128)
    cause = {signal.SIGKILL: "; the sandbox's memory limit is the usual cause",
             signal.SIGINT: " (Ctrl-C)"}.get(sig, "")
    return f" (128+{sig.value}: probably killed by signal {sig.value}, {sig.name}{cause})"


OFFLINE_SIGNS = ("Could not resolve host", "Temporary failure in name resolution", "Network is unreachable",
                 "Failed to establish a new connection", "No address associated with hostname")


def _network_hint(output: str) -> str:
    if any(sign in output for sign in OFFLINE_SIGNS):
        return ("this block has no network: blocks are offline unless they opt in with the `network` "
                "option (for pip and apt only)")
    return ""
