"""What the last test run verified, page by page.

Two sources, read together:
  build/results.json        the results file of `make test-docs`: every block with
                            its page, line, kind, status and reason code, each
                            page's end, and the run (finished, sandbox image,
                            machine, commit)
  the pages as they are now which blocks each page has, counted by the harness's
                            own parser, so that a page edited after the run, or a
                            run restricted with PAGE= or K=, cannot pass for
                            verified

A page is verified when every block it has now ran and passed in that run;
GPU blocks skipped because no GPU was usable are the one allowed exception
(they run on the GPU runner). Everything else, failures, other skips, blocks
that did not run, a page that changed since, makes it unverified.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.errors import PageError  # noqa: E402  (the harness's own parser counts the examples)
from harness.loader import plan_text  # noqa: E402
from harness.outcome import GPU_REASONS  # noqa: E402

# HANDBOOK_RESULTS: another results file for the site to read (make bench builds a site from merged shards)
REPORT = Path(os.environ.get("HANDBOOK_RESULTS") or "build/results.json")
PAGE_SUFFIXES = (".md", ".ipynb")

VERIFIED = "verified"      # every block ran and passed (GPU blocks may be skipped for want of a GPU)
UNVERIFIED = "unverified"  # some block failed, was skipped, or did not run
NOT_RUN = "not-run"        # the run has no results for this page at all
NO_EXAMPLES = "none"       # nothing on the page runs



@dataclass
class Run:
    """The test run the stamps cite."""

    report: Path
    found: bool = False
    finished: datetime.datetime | None = None
    image: str = ""
    image_id: str = ""
    machine: str = ""  # "Debian GNU/Linux 13 (trixie), Python 3.13.5, ...", read from the image
    commit: str = ""
    dirty: bool = False
    exit_status: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Case:
    """One record of the results file: a block, a notebook, or a page's end (block 0)."""

    block: int  # the block's line (its fence); 0 for a notebook or the page's end
    status: str  # passed | failed | skipped
    reason: str = ""  # the reason code (harness.outcome.Reason), e.g. gpu-unavailable
    text: str = ""  # the skip's or the first problem's words, on one line
    line: int = 0  # where the harness says the problem is: the fence, or a command in the block

    def __post_init__(self) -> None:
        self.line = self.line or self.block

    @property
    def gpu_skip(self) -> bool:
        return self.status == "skipped" and self.reason in GPU_REASONS


@dataclass
class PageResult:
    path: str  # relative to the repository root: docs/git.md
    url: str = ""  # filled in by the site
    lines: list[int] = field(default_factory=list)  # line of each example on the page now
    cases: list[Case] = field(default_factory=list)
    stale: str = ""  # why the results no longer describe the page

    @property
    def expected(self) -> int:
        return len(self.lines)

    @property
    def passed(self) -> int:
        return sum(c.status == "passed" for c in self.cases)

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if c.status == "failed"]

    @property
    def gpu_skipped(self) -> list[Case]:
        return [c for c in self.cases if c.gpu_skip]

    @property
    def other_skipped(self) -> list[Case]:
        return [c for c in self.cases if c.status == "skipped" and not c.gpu_skip]

    @property
    def missing(self) -> int:
        """Examples on the page that have no result in the run."""
        return max(self.expected - len(self.cases), 0)

    @property
    def state(self) -> str:
        if not self.cases:
            return NO_EXAMPLES if self.expected == 0 else NOT_RUN
        if self.stale or self.failed or self.other_skipped or self.missing:
            return UNVERIFIED
        return VERIFIED

    @property
    def total(self) -> int:
        return max(self.expected, len(self.cases))

    def summary(self) -> str:
        """One line, e.g. `17 of 18 examples verified; 1 skipped: needs a licence`."""
        if self.state == NO_EXAMPLES:
            return "no examples to run"
        if self.state == NOT_RUN:
            return f"not verified in this run (0 of {_n(self.expected, 'example')} ran)"
        parts = [f"{self.passed} of {_n(self.total, 'example')} verified"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed: " + "; ".join(
                f"line {c.line}: {_clip(c.text)}" if c.line else _clip(c.text) for c in self.failed))
        if self.other_skipped:
            parts.append(f"{len(self.other_skipped)} skipped: " + "; ".join(
                f"line {c.line}: {c.text.removeprefix('skipped: ')}" if c.line else c.text
                for c in self.other_skipped))
        if self.gpu_skipped:
            reasons = sorted({c.text.removeprefix("GPU block skipped: ") for c in self.gpu_skipped})
            parts.append(f"{len(self.gpu_skipped)} skipped for want of a GPU ({'; '.join(reasons)})")
        if self.missing:
            parts.append(f"{self.missing} did not run")
        if self.stale:
            parts.append(self.stale)
        return "; ".join(parts)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _clip(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


# ---------------------------------------------------------------- reading

def read_run(report: Path) -> tuple[Run, dict[str, list[Case]]]:
    """The run's record and its cases, keyed by the page's path (docs/git.md)."""
    run = Run(report=report)
    cases: dict[str, list[Case]] = {}
    if not report.is_file():
        run.problems.append(f"no test run found: {_rel(report)} is missing (make test-docs writes it)")
        return run, cases
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        info, blocks, pages = data["run"], data["blocks"], data["pages"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        run.problems.append(f"{_rel(report)} cannot be read: {e!r}")
        return run, cases
    run.found = True
    reused = sorted({(r["page"], str(r["cached"])) for r in blocks + pages if r.get("cached")})
    for page, when in reused:
        run.problems.append(f"{page}: its results were reused from the cache (verified {when}), not run in this "
                            "run; the site is built only from fresh runs: make site, or make test-docs FRESH=1")
    for r in blocks:
        cases.setdefault(r["page"], []).append(_case(r))
    for r in pages:  # a page's end counts only when it failed (a teardown block, a Makefile check left)
        if r["status"] != "passed":
            cases.setdefault(r["page"], []).append(_case(r))
    try:
        run.finished = datetime.datetime.fromisoformat(info["finished"])
    except (KeyError, TypeError, ValueError):
        run.problems.append(f"{_rel(report)} has no finish time")
    run.image = str(info.get("image") or "")
    run.image_id = str(info.get("image_id") or "")
    run.machine = str(info.get("machine") or "")
    run.commit = str(info.get("commit") or "")
    run.dirty = bool(info.get("dirty"))
    run.exit_status = info.get("exit_status")
    if run.exit_status not in (0, None):
        run.problems.append(f"the test run ended with exit status {run.exit_status}")
    if not run.image_id:
        run.problems.append(f"{_rel(report)} names no sandbox image")
    return run, cases


def _case(r: dict[str, Any]) -> Case:
    return Case(block=int(r.get("line") or 0), status=str(r["status"]), reason=str(r.get("reason") or ""),
                text=str(r.get("summary") or ""), line=int(r.get("problem_line") or 0))


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the pages now

def example_lines(path: Path, root: Path = ROOT) -> list[int]:
    """The line of each example the harness collects from a Markdown page, as
    the results file names them (the block's fence)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [1]  # the harness reports one failing example for it
    name = _rel(path)
    try:
        plan = plan_text(text, name, [root / "snippets"])
    except PageError as e:
        return [e.line]
    return [b.line for b in plan.blocks if not (b.kind == "display" and "skip" not in b.options)]


def notebook_sources(path: Path) -> list[str] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ["".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
            for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def executed_notebook(path: Path, root: Path = ROOT) -> Path:
    """Where the test run keeps its executed copy of a notebook page."""
    return root / "build" / "notebooks" / Path(path).resolve().relative_to(root)


def page_result(path: Path, cases: dict[str, list[Case]], root: Path = ROOT) -> PageResult:
    rel = Path(path).resolve().relative_to(root).as_posix()
    result = PageResult(path=rel, cases=list(cases.get(rel, [])))
    if rel.endswith(".ipynb"):
        result.lines = [0]
        if result.cases:
            executed = executed_notebook(path, root)
            ran = notebook_sources(executed) if executed.is_file() else None
            if ran is None:
                result.stale = "the run left no executed copy of the notebook"
            elif ran != notebook_sources(path):
                result.stale = "the notebook changed since the test run"
        return result
    result.lines = example_lines(path, root)
    if result.cases and not {c.block for c in result.cases if c.block} <= set(result.lines):
        # a block the report names is not where the page has one now
        result.stale = "the page changed since the test run"
    return result


def pages_in(docs: Path) -> list[Path]:
    return sorted(p for p in docs.rglob("*") if p.suffix in PAGE_SUFFIXES and p.is_file()
                  and ".ipynb_checkpoints" not in p.parts)


def collect(pages: list[Path], report: Path | None = None, root: Path = ROOT) -> tuple[Run, list[PageResult]]:
    run, cases = read_run(report or root / REPORT)
    return run, [page_result(p, cases, root) for p in pages]


def refusals(run: Run, results: list[PageResult]) -> list[str]:
    """Why this run cannot publish the site; empty when it can."""
    reasons = list(run.problems)
    for state in (UNVERIFIED, NOT_RUN):  # what went wrong first, then what did not run
        reasons += [f"{r.path}: {r.summary()}" for r in results if r.state == state]
    return reasons
