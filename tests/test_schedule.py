"""Pages are planned so that workers finish together, and each worker holds its next page (no Docker, no workers)."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.ahead import queued
from harness.schedule import PageScheduling, engine_free_first, recorded_durations, recorded_engine_pages


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


def test_the_longest_page_without_an_engine_goes_first() -> None:
    assert engine_free_first(["e1", "f1", "e2", "f2"], {"e1", "e2"}) == ["f1", "e1", "e2", "f2"]
    assert engine_free_first(["f1", "e1"], {"e1"}) == ["f1", "e1"]
    assert engine_free_first(["e1", "e2"], {"e1", "e2"}) == ["e1", "e2"]
    assert engine_free_first([], {"e1"}) == []


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
