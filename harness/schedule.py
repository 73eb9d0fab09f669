"""How pages are dealt to xdist workers: longest first, and each worker holds its next page.

pytest-xdist's `--dist loadfile` hands a worker its next file only when the
current one has two tests left, and in the order of their test counts. Two
changes make a run shorter: the longest pages (by the durations recorded in
the last results file) go first, so that no long page starts last while the
other worker idles; and a worker always holds the page after its current one,
so that ahead.py can start that page's sandbox while this one runs.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xdist.scheduler import LoadFileScheduling

from .shards import durations_from

SECONDS_PER_TEST = 0.5  # a page with no recorded duration: an estimate from its number of blocks


def recorded_durations(results: Path | None) -> dict[str, float]:
    """Page -> seconds, from a results file (empty when there is none, or it cannot be read)."""
    if results is None or not results.is_file():
        return {}
    try:
        return durations_from(json.loads(results.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


class PageScheduling(LoadFileScheduling):
    def __init__(self, config: Any, log: Any = None, durations: dict[str, float] | None = None):
        super().__init__(config, log)
        self.durations = durations or {}

    def _expected(self, scope: str) -> float:
        return self.durations.get(scope, SECONDS_PER_TEST * len(self.workqueue[scope]))

    def _assign_work_unit(self, node: Any) -> None:
        scope = max(self.workqueue, key=self._expected)  # longest first; ties keep collection order
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])

    def _reschedule(self, node: Any) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        holding = sum(1 for unit in self.assigned_work.get(node, {}).values() if not all(unit.values()))
        if holding < 2:  # its current page and the next
            self._assign_work_unit(node)
