"""After each block: a sandbox over its disk bound, or filling up with processes, is stopped.

Checked between blocks as well as while a command runs (the disk), so that a
runaway block cannot take the page's later blocks, or the machine, with it.
"""
from __future__ import annotations

import time
from pathlib import Path

import docker.errors
import requests.exceptions

from .outcome import Outcome, Problem, Reason
from .page import Page
from .sandbox import Sandbox

RUNAWAY = 64  # processes a block may leave behind before it counts as a runaway
WATCH_SECONDS, WATCH_LOOKS = 1.0, 20  # how long a growing count is watched, in how many looks


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
    # A block may leave a server or two running; a fork bomb keeps growing. Watch for up to a
    # second while the count grows, looking often: a block that started a server (many pages do)
    # is let go at the first look that finds no growth, not after a fixed pause.
    for _ in range(WATCH_LOOKS):
        if count - before > RUNAWAY or count >= box.process_limit - 16:
            break
        time.sleep(WATCH_SECONDS / WATCH_LOOKS)
        latest = process_count(box) or count
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
