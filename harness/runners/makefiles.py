"""Makefiles a page shows: parsed when shown, their targets dry-run when the page first runs make.

A page often shows its Makefile, then creates the data its rules read, then
runs make. So only what cannot change later is checked when the file is
written, that make can read it (no "missing separator"); `make -n` of every
target runs before the page first runs make, or at the page's end. A `broken`
Makefile is checked whole, at once.
"""
from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath

from ..fences import Block
from ..outcome import Outcome, Problem, Reason
from ..page import MakeCheck, Page
from ..plan import make_targets
from ..shell import Result
from .common import run, stopped_note, timeout

NO_TARGETS = "*** No targets."
PARSE_ERROR = re.compile(r"^[^\s:][^:]*:\d+: \*\*\* ", re.M)  # make's "Makefile:3: *** missing separator.  Stop."


def expect_broken(block: Block, what: str, result: Result, reason: Reason) -> Outcome:
    """A file the page marks `broken="..."`: its check must fail, saying that."""
    wanted = block.options["broken"]
    if result.status == 0:
        return Outcome().add(Problem(block.line, f"{what} is marked broken={wanted!r} but the check passed",
                                     reason, status=0, output=result.output))
    if wanted not in result.output:
        return Outcome().add(Problem(block.line, f"{what} failed, but without {wanted!r}", reason,
                                     status=result.status, output=result.output))
    return Outcome()


def check_makefile(page: Page, block: Block, directory: str, name: str) -> Outcome:
    path = str(PurePosixPath(directory) / name)
    page.make_checks.pop(path, None)  # a rewritten Makefile: the earlier content is no longer there to check
    if "broken" in block.options:
        targets = list(block.options.get("targets", ())) or make_targets(block.body) or [""]
        result = run(page, dry_run(directory, name, targets[0]), timeout(page, block))
        return expect_broken(block, name, result, Reason.MAKEFILE)
    # a goal of the harness's own, defined on the command line: nothing of the file's is built,
    # so a missing source file is no error, and a file of variables only has a goal
    probe = (f"(cd {shlex.quote(directory)} && make -n -f {shlex.quote(name)} "
             "--eval='.hb-parse-check: ; @:' .hb-parse-check) 2>&1")
    result = run(page, probe, timeout(page, block))
    if result.status != 0 and (PARSE_ERROR.search(result.output) or "No rule to make target" not in result.output):
        return Outcome().add(Problem(block.line, "Makefile does not parse", Reason.MAKEFILE,
                                     command=f"make -n -f {name}", status=result.status, expected_status=0,
                                     output=result.output, note=stopped_note(page, result)))
    page.make_checks[path] = MakeCheck(block, directory, name)
    return Outcome()


def dry_run(directory: str, name: str, target: str) -> str:
    goal = shlex.quote(target) if target else ""
    return f"(cd {shlex.quote(directory)} && make -n -f {shlex.quote(name)} {goal}) 2>&1"


def pending_checks(page: Page, when: str) -> list[Problem]:
    """Dry-run the targets of the Makefiles shown so far (`targets=`, or all); each once."""
    problems = []
    pending, page.make_checks = page.make_checks, {}
    for check in pending.values():
        block = check.block
        targets = list(block.options.get("targets", ())) or make_targets(block.body) or [""]
        for target in targets:
            result = run(page, dry_run(check.directory, check.name, target), timeout(page, block))
            if result.status != 0 and not (target == "" and NO_TARGETS in result.output):
                # (a file of variables only, or of pattern rules only, has no default goal to check)
                problems.append(Problem(
                    block.line, f"Makefile check failed for target {target or '(default)'} ({when})",
                    Reason.MAKEFILE, command=f"make -n -f {check.name} {target}".strip(), status=result.status,
                    expected_status=0, output=result.output, note=stopped_note(page, result)))
                break
    return problems
