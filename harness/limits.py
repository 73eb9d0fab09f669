"""After each block: a sandbox over its disk bound, or filling up with processes, is stopped.

Checked between blocks as well as while a command runs (the disk), so that a
runaway block cannot take the page's later blocks, or the machine, with it.
"""
from __future__ import annotations

import time

from .outcome import Outcome, Problem, Reason
from .page import Page

RUNAWAY = 64  # processes a block may leave behind before it counts as a runaway


def check(page: Page, line: int, out: Outcome, before: int | None) -> Outcome:
    box = page.sandbox
    if box is None or box.container is None:
        return out
    over = box.over_disk()
    if over:
        page.stop("the page wrote more than its disk bound")
        if not any("disk bound" in (p.note + p.what) for p in out.problems):  # else its failure already says why
            out.add(Problem(line, over, Reason.SANDBOX, plain=True))
        return out
    count = box.process_count()
    if count is None or before is None or count <= before:
        return out
    # A block may leave a server or two running; a fork bomb keeps growing. Watch briefly.
    for _ in range(5):
        if count - before > RUNAWAY or count >= box.process_limit - 16:
            break
        time.sleep(0.2)
        latest = box.process_count() or count
        if latest <= count:
            return out
        count = latest
    else:
        return out
    limit = box.process_limit
    page.stop("the sandbox filled up with processes and was stopped")
    return out.add(Problem(line, f"the block left {count - before} processes running ({count} of the sandbox's "
                                 f"limit of {limit}): a fork bomb or a runaway loop; the page's sandbox was stopped",
                           Reason.SANDBOX, plain=True))
