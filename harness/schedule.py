"""How pages are dealt to xdist workers: planned so that they finish together, and each
worker holds its next page.

pytest-xdist's `--dist loadfile` hands a worker its next file only when the
current one has two tests left, and in the order of their test counts. Here
the whole run is planned when it starts, from the seconds recorded in the
last results file. A worker always holds the page after its current one, so
that ahead.py can start that page's sandbox while this one runs; that page
comes from its own plan, so holding it ahead costs no balance. Dealing
"longest first to whoever asks" did: at the start each worker took two pages
at once, and the two longest landed on the same worker.

A page that starts a Docker engine of its own waits seconds for its engine
(ENGINE_START_S) unless the engine starts while the page before it runs, and
nothing starts a worker's first page ahead; a worker waits for the removal of
its last page's sandbox, longer for one with an engine. So a plan is judged
by when its workers finish, engine waits and removals included (`finish`),
and each worker runs its pages in this order (`order`): its longest page
without an engine first, then its engine pages, longest first, then the
rest, longest first. The run's end is then made of short pages without
engines, and a worker whose plan runs out early (the seconds are the last
run's) takes the longest page left from the others' ends, once its own page
is nearly done: such a page starts in a tenth of a second, where an engine
page taken cold would wait seconds.

The plan is the better of two (`plan_run`): longest first, each page to the
worker with the least work so far (LPT); and LPT after each worker was given
one of the longest pages without an engine to open with. Moving or swapping a
page between the last worker to finish and another then evens them out.

A notebook is not held ahead, since nothing of it starts early: left in the
queue, it can still go to a worker whose plan ran out.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xdist.scheduler import LoadFileScheduling

from .shards import deal, durations_from, engine_pages_from

NOT_STARTED_AHEAD = (".ipynb",)  # a notebook runs in a container of its own, started when it runs
SECONDS_PER_TEST = 0.5  # a page with no recorded duration: an estimate from its number of blocks
ENGINE_START_S = 5.0  # a nested engine's start and seeding (make bench: 4.7 to 5.1 s)
ENGINE_REMOVAL_S = 0.7  # removing a sandbox with an engine (make bench: 0.67 s); without one, a tenth of that
EVEN_OUT_TRIES = 2_000  # plans compared while evening out: all of them for this handbook, a bound for a big one


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


def order(pages: list[str], seconds: dict[str, float], engine_pages: set[str]) -> list[str]:
    """A worker's pages in the order it runs them: the longest without an engine, the engine
    pages, the rest; each part longest first (ties in the order given)."""
    by_length = sorted(pages, key=lambda page: -seconds[page])
    engines = [page for page in by_length if page in engine_pages]
    if not engines:
        return by_length
    free = [page for page in by_length if page not in engine_pages]
    return free[:1] + engines + free[1:]


def finish(plan: list[str], seconds: dict[str, float], engine_pages: set[str]) -> float:
    """When a worker that runs `plan`, in this order, is done: its pages' seconds, what each
    engine page waits for its engine beyond the page before it (the first page waits it all),
    and the removal of its last page's sandbox, which it waits for before it exits (each
    other page's is removed while the next one runs)."""
    done, before = 0.0, 0.0
    for page in plan:
        if page in engine_pages:
            done += max(0.0, ENGINE_START_S - before)
        done += seconds[page]
        before = seconds[page]
    return done + (ENGINE_REMOVAL_S if plan and plan[-1] in engine_pages else 0.0)


def plan_run(pages: list[str], seconds: dict[str, float], engine_pages: set[str], workers: int) -> list[list[str]]:
    """Each worker's pages, in the order it runs them (see the module's docstring)."""
    def cost(worker: list[str]) -> float:
        return finish(order(worker, seconds, engine_pages), seconds, engine_pages)

    free = sorted((page for page in pages if page not in engine_pages), key=lambda page: -seconds[page])
    openers = free[:workers]
    plans = [deal(pages, seconds, workers),
             deal([page for page in pages if page not in openers], seconds, workers, openers)]
    best = min(plans, key=lambda bins: max(map(cost, bins)))  # ties: plain LPT
    return [order(b, seconds, engine_pages) for b in even_out(best, cost)]


def even_out(bins: list[list[str]], cost: Callable[[list[str]], float]) -> list[list[str]]:
    """Move one page, or swap two, between the worker that finishes last and another, while that
    brings the last finish earlier (by more than a tenth of a second: less is noise)."""
    bins = [list(b) for b in bins]
    tries = 0
    while tries < EVEN_OUT_TRIES:
        costs = [cost(b) for b in bins]
        worst = max(range(len(bins)), key=costs.__getitem__)
        target = costs[worst] - 0.1
        found: tuple[list[str], list[str], int] | None = None
        moves = ((other, page, swap) for other in range(len(bins)) if other != worst
                 for page in bins[worst] for swap in [None, *bins[other]])
        for other, page, swap in moves:
            tries += 1
            if tries > EVEN_OUT_TRIES:
                break
            mine = [p for p in bins[worst] if p != page] + ([swap] if swap is not None else [])
            theirs = [p for p in bins[other] if p != swap] + [page]
            after = max(cost(mine), cost(theirs))
            if after < target:
                target, found = after, (mine, theirs, other)
        if found is None:
            break
        bins[worst], bins[found[2]] = found[0], found[1]
    return bins


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
        plans = plan_run(list(self.workqueue), expected, self.engine_pages & set(expected), len(self.nodes))
        return dict(zip(self.nodes, plans, strict=True))

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
