"""How much a page wrote, measured beside the page, not in its way.

A page may write DEFAULT_DISK bytes (page option `disk=`). RLIMIT_FSIZE stops any one
file at the bound at once; many smaller files are caught by measuring: the engine's
listing of the container with its size, and a `du` of a nested engine's store. That
takes 50 ms and more, and done between blocks it was about a second per worker in a
full run. So it runs in a thread of its own, at most once per DISK_CHECK_SECONDS, and a
look returns the last finished measurement's verdict: a page over its bound by many
files is stopped a block, or a few seconds, later. The page's end measures with `force`
and waits for the answer, so no page over its bound passes.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import interrupts
from .confinement import DISK_CHECK_SECONDS


def gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


class DiskBound:
    def __init__(self, limit: int, used: Callable[[], tuple[int, int] | None], engine: Callable[[], bool]):
        self.limit = limit  # bytes
        self.used = used  # (container layer, nested engine's store), or None when the engine cannot say
        self.engine = engine  # whether the page has an engine of its own (its store counts too)
        self.verdict = ""  # why the page is over its bound, from the last finished measurement
        self._started = -DISK_CHECK_SECONDS  # when the last measurement began
        self._thread: threading.Thread | None = None

    def look(self, now: float | None = None, force: bool = False) -> str:
        """Why the page is over its bound, or '' as far as is known."""
        now = time.monotonic() if now is None else now
        if force:
            self.wait()
            self._started = now
            self.verdict = self.measure()
            return self.verdict
        if now - self._started >= DISK_CHECK_SECONDS and not self.measuring():
            self._started = now
            self._thread = interrupts.background(self._measure_into_verdict, "disk")
        return self.verdict

    def measuring(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _measure_into_verdict(self) -> None:
        found = self.measure()
        if found or not self.verdict:  # once over, it stays over: the page is being stopped
            self.verdict = found

    def measure(self) -> str:
        used = self.used()
        if used is None or sum(used) <= self.limit:
            return ""
        layer, store = used
        where = f"{gib(layer)} in its files" + (f", {gib(store)} in its Docker engine" if self.engine() else "")
        return (f"the page wrote more than its {gib(self.limit)} disk bound ({where}); the page's sandbox "
                f"was stopped. A page that needs more says so: <!-- test-page: disk=8g -->")
