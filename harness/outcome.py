"""What running a block produced, as data: the one value every consumer reads.

A runner returns an Outcome; nothing downstream parses a message. The report
module renders outcomes into text at the edge (pytest's failure message), the
results file records them (build/results.json), update mode applies their
edits, and the gate, the stamps and the benchmarks read the results file.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class Reason(StrEnum):
    """Why a block did not pass: a small fixed set, so that consumers can decide on it."""

    NONE = ""
    OUTPUT = "output-differs"  # it ran, and printed something other than the page shows
    EXIT = "exit-status"  # it ran, and exited with another status than the page expects
    UNFINISHED = "did-not-finish"  # timed out, incomplete, its shell or engine went away
    MAKEFILE = "makefile"  # a Makefile shown does not parse, or a target's dry run fails
    DOCKERFILE = "dockerfile"  # a Dockerfile shown does not build
    PYTHON = "python"  # a Python block raised, or printed other than its `#>` lines
    PAGE = "page-error"  # the page cannot be read or planned: the problem names its line
    SANDBOX = "sandbox"  # the page's sandbox did not start, or was stopped (disk bound, runaway)
    NETWORK = "network-unavailable"  # a `network` block in a run without a network (HANDBOOK_NETWORK=none)
    SETUP = "setup-failed"  # not run: a setup block before it failed
    MARKED_SKIP = "skip-option"  # the page marks the block `skip` (a skipped example is not verified)
    GPU_UNAVAILABLE = "gpu-unavailable"  # no usable NVIDIA GPU on this machine
    GPU_TOOLKIT = "gpu-toolkit"  # `docker run --gpus` in the page's engine: needs the toolkit handed over
    HARNESS = "harness-error"  # the harness itself failed (a bug): the report holds the traceback


# GPU blocks skipped for want of a GPU: the one kind of skip the site may publish with (the GPU runner runs them)
GPU_REASONS = frozenset({Reason.GPU_UNAVAILABLE, Reason.GPU_TOOLKIT})


@dataclass(frozen=True)
class Edit:
    """Update mode: replace lines first..last (1-based, inclusive; last < first inserts) of the page."""

    first: int
    last: int
    lines: tuple[str, ...]
    indent: str = ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a block, with what a contributor needs to act on it."""

    line: int  # where on the page: the fence, a command, an output fence, a `#>` line
    what: str  # "output differs from the page", "unexpected exit status", ...
    reason: Reason
    command: str | None = None
    status: int | None = None
    expected_status: object = None  # an int, or options.NONZERO
    expected: tuple[str, ...] | None = None
    actual: tuple[str, ...] | None = None
    output: str = ""
    note: str = ""
    loose: bool = False
    plain: bool = False  # `what` is the whole message: no command, status or output to show

    def mapped(self, fn: Callable[[str], str]) -> Problem:
        """The same problem with `fn` applied to every piece of text (redaction)."""
        def lines(xs: tuple[str, ...] | None) -> tuple[str, ...] | None:
            return None if xs is None else tuple(fn(x) for x in xs)
        return dataclasses.replace(self, what=fn(self.what), command=None if self.command is None else fn(self.command),
                                   expected=lines(self.expected), actual=lines(self.actual),
                                   output=fn(self.output), note=fn(self.note))


@dataclass
class Outcome:
    """What one block (or a page's end) produced."""

    status: str = PASSED
    reason: Reason = Reason.NONE
    problems: list[Problem] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    seconds: float = 0.0  # the block's own commands, in the sandbox
    skip: str = ""  # why it was skipped, for the reader of the report
    notes: list[str] = field(default_factory=list)  # said after the problems ("an earlier block failed...")

    @property
    def line(self) -> int:
        """Where the first problem is; 0 when there is none."""
        return self.problems[0].line if self.problems else 0

    def add(self, *problems: Problem) -> Outcome:
        for p in problems:
            self.problems.append(p)
            if self.status != FAILED:
                self.status, self.reason = FAILED, p.reason
        return self

    def merge(self, other: Outcome) -> Outcome:
        """Another outcome's problems, edits and time become this one's (a sub-step of the same block)."""
        self.add(*other.problems)
        self.edits += other.edits
        self.seconds += other.seconds
        self.notes += other.notes
        if other.status == SKIPPED and self.status == PASSED:
            self.status, self.reason, self.skip = SKIPPED, other.reason, other.skip
        return self

    def mapped(self, fn: Callable[[str], str]) -> Outcome:
        return dataclasses.replace(self, problems=[p.mapped(fn) for p in self.problems], skip=fn(self.skip),
                                   notes=[fn(n) for n in self.notes])


def failed(line: int, what: str, reason: Reason, **kw: object) -> Outcome:
    return Outcome().add(Problem(line, what, reason, **kw))  # type: ignore[arg-type]


def plain(line: int, message: str, reason: Reason) -> Outcome:
    """A failure whose message says it all."""
    return Outcome().add(Problem(line, message, reason, plain=True))


def skipped(why: str, reason: Reason) -> Outcome:
    return Outcome(status=SKIPPED, reason=reason, skip=why)
