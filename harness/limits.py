"""After each block: a sandbox over its disk bound, or filling up with processes, is stopped.

Checked between blocks as well as while a command runs (the disk), so that a
runaway block cannot take the page's later blocks, or the machine, with it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import docker.errors
import requests.exceptions

from .outcome import Outcome, Problem, Reason
from .page import Page
from .sandbox import Sandbox

RUNAWAY = 64  # processes a block may leave behind before it counts as a runaway
WATCH_SECONDS = 1.0  # how long a growing count is watched
FIRST_LOOK = 0.005  # the first pause; each pause after it is twice the one before


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
    count = process_count(box)
    if count is None or before is None or count <= before:
        return out
    limit = box.process_limit
    count = runaway(before, count, limit, lambda: process_count(box))
    if count is None:
        return out
    page.stop("the sandbox filled up with processes and was stopped")
    return out.add(Problem(line, f"the block left {count - before} processes running ({count} of the sandbox's "
                                 f"limit of {limit}): a fork bomb or a runaway loop; the page's sandbox was stopped",
                           Reason.SANDBOX, plain=True))


def runaway(before: int, count: int, limit: int, look: Callable[[], int | None]) -> int | None:
    """The process count if the block left a runaway behind, else None.

    A block may leave a server or two running (many pages do), and a process that is
    exiting still counts for a moment; a fork bomb keeps growing. So the count is watched
    for up to WATCH_SECONDS while it grows, and the block is let go at the first look that
    finds no growth. The looks start 5 ms apart and double: a block that left a server,
    or whose last process was still exiting, is let go after 5 ms, not after a fixed pause
    (a fixed 50 ms was paid by 24 blocks of a full run: more than a second in all)."""
    def over(count: int) -> bool:
        return count - before > RUNAWAY or count >= limit - 16

    pause, watched = FIRST_LOOK, 0.0
    while watched < WATCH_SECONDS:
        if over(count):
            return count
        step = min(pause, WATCH_SECONDS - watched)
        time.sleep(step)
        watched, pause = watched + step, pause * 2
        latest = look() or count
        if latest <= count:
            return None
        count = latest
    return count if over(count) else None


def process_count(box: Sandbox) -> int | None:
    """Processes in the sandbox, read from the host's cgroup files where we can see them, else
    from the engine."""
    cid = box.container.id if box.container else ""
    for path in (f"/sys/fs/cgroup/pids/docker/{cid}/pids.current",
                 f"/sys/fs/cgroup/docker/{cid}/pids.current",
                 f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/pids.current"):
        try:
            return int(Path(path).read_text())
        except (OSError, ValueError):
            continue
    # A remote engine's cgroups are on its own machine: ask it (slower, so only then).
    try:
        stats = box.client.api.stats(cid, stream=False, one_shot=True)
        return int(stats["pids_stats"]["current"])
    except (docker.errors.APIError, requests.exceptions.RequestException, KeyError, TypeError, ValueError):
        return None
