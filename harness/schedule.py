"""How pages are dealt to xdist workers: planned so that they finish together, and each
worker holds its next page.

pytest-xdist's `--dist loadfile` hands a worker its next file only when the
current one has two tests left, and in the order of their test counts. Here
the whole run is planned when it starts, from the durations recorded in the
last results file: pages longest first, each to the worker with the least
work planned so far (LPT). A worker always holds the page after its current
one, so that ahead.py can start that page's sandbox while this one runs;
that page comes from its own plan, so holding it ahead costs no balance.
Dealing "longest first to whoever asks" did: at the start each worker took
two pages at once, and the two longest landed on the same worker. A worker
whose plan runs out early (the durations are last run's) takes the longest
page left from the others', once its own page is nearly done.

Nothing can start a worker's first page ahead, so a page that starts a Docker
engine of its own (seconds of engine start and seeding before its first
`docker` command) is not put first where the worker's plan has a page without
one: that page goes first, and the engine starts while it runs. A notebook is
not held ahead, since nothing of it starts early: left in the queue, it can
still go to a worker whose plan ran out.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xdist.scheduler import LoadFileScheduling

from .shards import deal, durations_from, engine_pages_from

NOT_STARTED_AHEAD = (".ipynb",)  # a notebook runs in a container of its own, started when it runs
SECONDS_PER_TEST = 0.5  # a page with no recorded duration: an estimate from its number of blocks


def recorded_durations(results: Path | None) -> dict[str, float]:
    """Page -> seconds, from a results file (empty when there is none, or it cannot be read)."""
    return _recorded(results)[0]


def recorded_engine_pages(results: Path | None) -> set[str]:
    """The pages that started an engine of their own, from a results file."""
    return _recorded(results)[1]


def _recorded(results: Path | None) -> tuple[dict[str, float], set[str]]:
    if results is None or not results.is_file():
        return {}, set()
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        return durations_from(data), set(engine_pages_from(data))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, set()


def engine_free_first(plan: list[str], engine_pages: set[str]) -> list[str]:
    """The plan with its longest page that starts no engine first, if its first page starts one."""
    if not plan or plan[0] not in engine_pages:
        return plan
    free = next((page for page in plan if page not in engine_pages), None)
    return plan if free is None else [free, *(page for page in plan if page != free)]


class PageScheduling(LoadFileScheduling):
    def __init__(self, config: Any, log: Any = None, durations: dict[str, float] | None = None,
                 engine_pages: set[str] | None = None):
        super().__init__(config, log)
        self.durations = durations or {}
        self.engine_pages = engine_pages or set()
        self.plan: dict[Any, list[str]] | None = None  # worker -> its pages, in order; made at the first deal

    def _expected(self, scope: str) -> float:
        return self.durations.get(scope, SECONDS_PER_TEST * len(self.workqueue[scope]))

    def _make_plan(self) -> dict[Any, list[str]]:
        expected = {scope: self._expected(scope) for scope in self.workqueue}
        plans = deal(list(self.workqueue), expected, len(self.nodes))
        return {node: engine_free_first(plan, self.engine_pages) for node, plan in zip(self.nodes, plans, strict=True)}

    def _next_scope(self, node: Any) -> str | None:
        """The worker's next page from its plan; once its page is nearly done, the longest page left.

        "Nearly": two tests left, as xdist itself deals. A worker never runs the last test it
        was sent before it gets more work or is told to stop, so waiting for "none left" would
        wait forever."""
        if self.plan is None:
            self.plan = self._make_plan()
        mine = [scope for scope in self.plan.get(node, []) if scope in self.workqueue]
        nearly_done = self._pending(node) <= 2
        if mine and (nearly_done or not mine[0].endswith(NOT_STARTED_AHEAD)):
            return mine[0]
        if mine:
            return None  # held ahead it gains nothing, and a worker that runs out could not take it
        if nearly_done:
            return max(self.workqueue, key=self._expected)
        return None

    def _assign_work_unit(self, node: Any) -> None:
        scope = self._next_scope(node)
        if scope is None:
            return
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])

    def _holding(self, node: Any) -> int:
        return sum(1 for unit in self.assigned_work.get(node, {}).values() if not all(unit.values()))

    def _pending(self, node: Any) -> int:
        return sum(1 for unit in self.assigned_work.get(node, {}).values() for done in unit.values() if not done)

    def _reschedule(self, node: Any) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._holding(node) < 2:  # its current page and the next
            self._assign_work_unit(node)
