"""Pages are planned so that workers finish together, and each worker holds its next page (no Docker, no workers)."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import schedule
from harness.ahead import queued
from harness.schedule import (
    ENGINE_REMOVAL_S,
    ENGINE_START_S,
    PageScheduling,
    even_out,
    finish,
    order,
    plan_run,
    recorded_durations,
    recorded_engine_pages,
)
from harness.shards import deal


class FakeNode:
    def __init__(self, name: str):
        self.name, self.sent, self.shutting_down = name, [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices):
        self.sent.append(indices)

    def shutdown(self):
        self.shutting_down = True


PAGES = {"docs/a.md": 3, "docs/b.md": 5, "docs/c.md": 2, "docs/d.md": 4}  # page -> tests


def collection() -> list[str]:
    return [f"{page}::sybil:page,line:{n},column:1" for page, count in PAGES.items() for n in range(count)]


def make(durations: dict[str, float], engine_pages: set[str] | None = None) -> tuple[PageScheduling, list[FakeNode]]:
    values = {"tx": ["popen", "popen"], "numprocesses": 2, "dist": "loadfile"}
    config = SimpleNamespace(getvalue=values.get, option=SimpleNamespace(loadscopereorder=True,
                                                                         maxworkerrestart=None, numprocesses=2))
    sched = PageScheduling(config, None, durations, engine_pages)
    nodes = [FakeNode("gw0"), FakeNode("gw1")]
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, collection())
    sched.schedule()
    return sched, nodes


def pages_sent(node: FakeNode) -> list[str]:
    names = collection()
    return [names[batch[0]].split("::")[0] for batch in node.sent]


def complete(sched: PageScheduling, node: FakeNode, page: str, leave: int = 0) -> None:
    """The worker finishes `page`'s tests, all but `leave` of them."""
    ids = [i for i, nodeid in enumerate(collection()) if nodeid.startswith(page + "::")]
    for i in ids[:len(ids) - leave]:
        sched.mark_test_complete(node, i)


@pytest.fixture
def long_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of many blocks, as the handbook's are: a worker is "nearly done" only at their end."""
    for page in PAGES:
        monkeypatch.setitem(PAGES, page, 8)


@pytest.mark.usefixtures("long_pages")
def test_the_run_is_planned_so_that_the_workers_finish_together() -> None:
    sched, (gw0, gw1) = make({"docs/a.md": 50.0, "docs/b.md": 5.0, "docs/c.md": 80.0, "docs/d.md": 20.0})
    # longest first, each to the least loaded: c (80) | a, d, b (75). Dealing "longest first to
    # whoever asks" gave c and a's neighbour d to one worker at the start: 100 against 55.
    assert sched.plan == {gw0: ["docs/c.md"], gw1: ["docs/a.md", "docs/d.md", "docs/b.md"]}
    assert pages_sent(gw0) == ["docs/c.md"] and pages_sent(gw1) == ["docs/a.md", "docs/d.md"]
    complete(sched, gw1, "docs/a.md")
    assert pages_sent(gw1) == ["docs/a.md", "docs/d.md", "docs/b.md"]  # its next page from its own plan
    assert not sched.workqueue
    complete(sched, gw0, "docs/c.md", leave=7)
    complete(sched, gw1, "docs/d.md", leave=7)
    assert gw0.shutting_down and gw1.shutting_down  # at their next report: nothing is left for them


@pytest.mark.usefixtures("long_pages")
def test_a_worker_whose_plan_ran_out_takes_the_longest_page_left() -> None:
    sched, (gw0, _) = make({"docs/a.md": 50.0, "docs/b.md": 5.0, "docs/c.md": 80.0, "docs/d.md": 20.0})
    complete(sched, gw0, "docs/c.md", leave=3)
    assert pages_sent(gw0) == ["docs/c.md"]  # still busy: the plan stands
    complete(sched, gw0, "docs/c.md", leave=2)  # c went faster than last time: nearly done
    assert pages_sent(gw0) == ["docs/c.md", "docs/b.md"] and not sched.workqueue


def test_unrecorded_pages_are_planned_by_their_number_of_tests() -> None:
    sched, (gw0, gw1) = make({})  # b 5 tests, d 4, a 3, c 2
    assert sched.plan == {gw0: ["docs/b.md", "docs/c.md"], gw1: ["docs/d.md", "docs/a.md"]}


@pytest.mark.usefixtures("long_pages")
def test_a_worker_gets_its_next_page_when_it_finishes_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PAGES, "docs/e.md", 8)
    monkeypatch.setitem(PAGES, "docs/f.md", 8)
    sched, (gw0, _) = make({"docs/a.md": 6.0, "docs/b.md": 5.0, "docs/c.md": 4.0, "docs/d.md": 3.0,
                            "docs/e.md": 2.0, "docs/f.md": 1.0})
    # a | b, c (9) | d: 9 | e: 11 | f: 10
    assert pages_sent(gw0) == ["docs/a.md", "docs/d.md"] and list(sched.workqueue) == ["docs/e.md", "docs/f.md"]
    complete(sched, gw0, "docs/a.md", leave=1)
    assert len(gw0.sent) == 2  # still holding a (one test left) and d
    complete(sched, gw0, "docs/a.md")
    assert pages_sent(gw0) == ["docs/a.md", "docs/d.md", "docs/e.md"]  # a done: it holds d and e


@pytest.mark.usefixtures("long_pages")
def test_a_worker_does_not_start_with_a_page_that_starts_an_engine_if_it_has_another() -> None:
    # c (80) | a, d, b (75), as above; c and a start engines of their own, d and b do not
    sched, (gw0, gw1) = make({"docs/a.md": 50.0, "docs/b.md": 5.0, "docs/c.md": 80.0, "docs/d.md": 20.0},
                             {"docs/a.md", "docs/c.md"})
    # gw1 starts with d, and a's engine starts while d runs; gw0 has nothing else to start with
    assert sched.plan == {gw0: ["docs/c.md"], gw1: ["docs/d.md", "docs/a.md", "docs/b.md"]}
    assert pages_sent(gw1) == ["docs/d.md", "docs/a.md"]


@pytest.mark.usefixtures("long_pages")
def test_a_notebook_is_not_held_ahead_so_a_worker_that_runs_out_can_take_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(PAGES, "docs/c.md")
    monkeypatch.setitem(PAGES, "docs/nb.ipynb", 1)
    sched, (gw0, gw1) = make({"docs/a.md": 50.0, "docs/b.md": 25.0, "docs/d.md": 20.0, "docs/nb.ipynb": 3.0})
    # a (50) | b, d (45), then nb to gw1 (48)
    assert sched.plan == {gw0: ["docs/a.md"], gw1: ["docs/b.md", "docs/d.md", "docs/nb.ipynb"]}
    complete(sched, gw1, "docs/b.md")
    assert pages_sent(gw1) == ["docs/b.md", "docs/d.md"]  # d is held ahead; the notebook is not
    complete(sched, gw0, "docs/a.md", leave=2)  # gw0 is nearly done first: it takes the notebook
    assert pages_sent(gw0) == ["docs/a.md", "docs/nb.ipynb"] and not sched.workqueue


# The handbook's pages, with the seconds of a full run: four start engines of their own.
HANDBOOK = {"docker": 40.0, "tools": 22.0, "deps": 21.0, "onboarding": 16.0, "git": 12.0, "timing.ipynb": 3.0,
            "command-line": 3.0, "contributing": 1.0, "whats-next": 1.0, "index": 0.5}
ENGINES = {"docker", "deps", "onboarding", "contributing"}


def test_a_worker_opens_with_its_longest_page_without_an_engine_then_runs_its_engine_pages() -> None:
    pages = ["index", "contributing", "git", "docker", "command-line", "onboarding"]
    assert order(pages, HANDBOOK, ENGINES) == ["git", "docker", "onboarding", "contributing", "command-line", "index"]
    assert order(["deps", "docker"], HANDBOOK, ENGINES) == ["docker", "deps"]
    assert order(["index", "git"], HANDBOOK, ENGINES) == ["git", "index"]
    assert order([], HANDBOOK, ENGINES) == []


def test_a_worker_finishes_after_its_pages_and_what_its_engines_were_not_hidden_behind() -> None:
    removal = ENGINE_REMOVAL_S  # the last page's sandbox, when it has an engine
    assert finish(["git", "docker"], HANDBOOK, ENGINES) == 52.0 + removal  # docker's engine starts while git runs
    assert finish(["docker", "git"], HANDBOOK, ENGINES) == 52.0 + ENGINE_START_S  # nothing hides the first
    assert finish(["index", "docker"], HANDBOOK, ENGINES) == 40.0 + ENGINE_START_S + removal  # 0.5 s hides little
    assert finish(["docker", "deps"], HANDBOOK, ENGINES) == 61.0 + ENGINE_START_S + removal
    assert finish([], HANDBOOK, ENGINES) == 0.0


def test_the_handbook_is_planned_so_that_no_worker_waits_for_an_engine() -> None:
    plans = plan_run(list(HANDBOOK), HANDBOOK, ENGINES, 2)
    # Plain LPT gave docker, onboarding, command-line, whats-next to one worker: it opened with
    # command-line (3 s) and waited 2 s for docker's engine: it finished at 62 s, the other at 59.5 s.
    assert plans == [["tools", "deps", "onboarding", "whats-next"],
                     ["git", "docker", "contributing", "timing.ipynb", "command-line", "index"]]
    assert [finish(p, HANDBOOK, ENGINES) for p in plans] == [60.0, 59.5]
    assert sorted(p for plan in plans for p in plan) == sorted(HANDBOOK)


def test_a_worker_ends_on_a_page_without_an_engine_whose_sandbox_is_removed_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The seconds of a full run on a slow day; the worker with docker has one page without an engine.
    seconds = {"command-line": 6.2, "contributing": 1.6, "docker": 42.7, "git": 12.5, "index": 0.2,
               "timing.ipynb": 2.4, "onboarding": 19.0, "tools": 26.9, "deps": 26.2, "whats-next": 1.2}
    plans = plan_run(list(seconds), seconds, ENGINES, 2)
    assert plans == [["command-line", "docker", "onboarding", "whats-next", "index"],
                     ["tools", "deps", "contributing", "git", "timing.ipynb"]]
    monkeypatch.setattr(schedule, "ENGINE_REMOVAL_S", 0.0)  # without it, one worker ended on contributing
    assert plan_run(list(seconds), seconds, ENGINES, 2)[0][-1] == "contributing"


def test_an_engine_opener_is_not_bought_with_a_worse_balance() -> None:
    # c (80) | a, d, b (75) by LPT; giving c the short b to open with would make 85 against 70
    seconds = {"a": 50.0, "b": 5.0, "c": 80.0, "d": 20.0}
    assert plan_run(list(seconds), seconds, {"a", "c"}, 2) == [["c"], ["d", "a", "b"]]


@pytest.mark.parametrize("workers", [1, 2, 3, 8, 12])
def test_every_page_is_planned_exactly_once(workers: int) -> None:
    seconds = {f"p{i}": float((i * 37) % 23 + 1) for i in range(40)}
    plans = plan_run(list(seconds), seconds, {f"p{i}" for i in range(0, 40, 3)}, workers)
    assert len(plans) == workers and sorted(p for plan in plans for p in plan) == sorted(seconds)


def test_evening_out_moves_or_swaps_pages_until_the_last_worker_finishes_no_earlier() -> None:
    seconds = {"a": 6.0, "b": 5.0, "c": 4.0, "d": 3.0, "e": 3.0}
    total = lambda pages: sum(seconds[p] for p in pages)  # noqa: E731
    assert even_out([["a", "b", "c"], ["d", "e"]], total) == [["a", "c"], ["d", "e", "b"]]  # 15 | 6 -> 10 | 11
    assert even_out([["a", "d"], ["b", "c"]], total) == [["a", "d"], ["b", "c"]]  # 9 | 9: nothing to gain
    assert even_out([["a", "e"], ["b", "c"]], total) == [["a", "e"], ["b", "c"]]  # 9 | 9 again


def test_openers_are_dealt_first_one_to_a_worker() -> None:
    seconds = {"a": 9.0, "b": 8.0, "c": 2.0, "x": 1.0, "y": 3.0}
    assert deal(["a", "b", "c"], seconds, 2, ["x", "y"]) == [["x", "a", "c"], ["y", "b"]]
    assert deal(["a", "b", "c"], seconds, 3, ["x"]) == [["x", "c"], ["a"], ["b"]]


def test_durations_come_from_the_last_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"pages": [{"page": "docs/a.md", "timings": {"total": 12.5}}],
                                   "blocks": [{"page": "docs/nb.ipynb", "kind": "notebook", "seconds": 4.0}]}))
    assert recorded_durations(results) == {"docs/a.md": 12.5, "docs/nb.ipynb": 4.0}
    assert recorded_engine_pages(results) == set()
    results.write_text(json.dumps({"pages": [{"page": "docs/a.md", "timings": {"total": 12.5, "engine": 1.5}},
                                             {"page": "docs/b.md", "timings": {"total": 2.0, "engine": 0.0}}]}))
    assert recorded_engine_pages(results) == {"docs/a.md"}
    assert recorded_durations(tmp_path / "missing.json") == {}
    # what a page waited for its engine is left out: the plan decides whether it waits
    results.write_text(json.dumps({"pages": [{"page": "docs/a.md", "timings": {"total": 12.5, "engine": 1.5,
                                                                              "engine_wait": 1.4}}]}))
    assert recorded_durations(results) == {"docs/a.md": 11.1}
    results.write_text("not json")
    assert recorded_durations(results) == {}


def test_without_xdist_the_queue_is_the_sessions_order(pytestconfig: pytest.Config) -> None:
    items = [SimpleNamespace(name=str(i)) for i in range(4)]
    item = SimpleNamespace(session=SimpleNamespace(items=items), config=SimpleNamespace(
        pluginmanager=SimpleNamespace(get_plugins=lambda: [])))
    items[1].session, items[1].config = item.session, item.config
    assert queued(items[1]) == items[2:]  # type: ignore[arg-type]


@pytest.mark.parametrize("pages, workers", [(0, 1), (1, 1), (2, 2), (5, 2)])
def test_no_more_workers_than_pages_left_to_run(pages: int, workers: int) -> None:
    from harness.pytest_plugin import _fewer_workers

    option = SimpleNamespace(numprocesses=2, tx=["popen", "popen"])
    config = SimpleNamespace(option=option, getoption=lambda name, default=None: getattr(option, name, default))
    _fewer_workers(config, pages)
    assert option.numprocesses == workers and len(option.tx) == workers


class FakePage:
    def __init__(self, gpu_engine: bool = False) -> None:
        self.looked_ahead, self.prestarts = False, 0
        self.plan = SimpleNamespace(gpu_engine=gpu_engine)
        self.gpu_decided, self.sandbox, self.broken, self.create = False, None, None, None
        self.ctx = SimpleNamespace(engine=lambda: None)

    def prestart(self) -> None:
        assert self.gpu_decided or not self.plan.gpu_engine, "started before its GPU was decided"
        self.prestarts += 1


def test_a_page_whose_engine_may_get_the_gpu_is_decided_then_started_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.ahead as ahead
    from harness import gpu

    probes: list[object] = []
    monkeypatch.setattr(gpu, "probe", lambda client: probes.append(client) or gpu.Access(False, "no GPU here"))
    this, nxt = FakePage(), FakePage(gpu_engine=True)
    items = [SimpleNamespace(name=n) for n in ("this-1", "next-1")]
    monkeypatch.setattr(ahead, "page_of", lambda item: {"this-1": this, "next-1": nxt}[item.name])
    monkeypatch.setattr(ahead, "queued", lambda item: items[items.index(item) + 1:])
    ahead.start_next(items[0])  # type: ignore[arg-type]
    assert nxt.gpu_decided and nxt.prestarts == 1 and len(probes) == 1
    assert nxt.create is None  # no GPU: its sandbox is made as any other


@pytest.mark.parametrize("first_is_a_notebook", [False, True])
def test_the_next_page_starts_while_this_page_or_notebook_runs(monkeypatch: pytest.MonkeyPatch,
                                                               first_is_a_notebook: bool) -> None:
    import harness.ahead as ahead

    this, nxt = FakePage(), FakePage()
    items = [SimpleNamespace(name=n) for n in ("this-1", "this-2", "next-1")]
    owner = {"this-1": None if first_is_a_notebook else this, "this-2": None if first_is_a_notebook else this,
             "next-1": nxt}
    monkeypatch.setattr(ahead, "page_of", lambda item: owner[item.name])
    monkeypatch.setattr(ahead, "queued", lambda item: items[items.index(item) + 1:])
    ahead.start_next(items[0])  # type: ignore[arg-type]
    ahead.start_next(items[1])  # type: ignore[arg-type]
    assert nxt.prestarts >= 1 and this.prestarts == 0
