"""pytest side of the harness: options, run-wide setup, cleanup, the results file.

The controlling process provisions the images and sweeps leftovers of
killed runs before any worker starts, and removes everything its run made
when it ends, also after Ctrl-C or SIGTERM. Each process makes the run's
context once; workers append each block's record to the results file's
parts, and the controller merges them when the run ends.

A little over 250 lines: pytest's hooks for one run, in the order pytest calls
them, each short; what they decide lives elsewhere (selection.py picks the
pages, schedule.py orders them, record.py keeps the results file).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sybil.integration.pytest import SybilFile

from . import bashparse, cache, interrupts, labels, record, selection
from .context import CONTEXT_KEY, RunContext
from .sandbox import NO_NETWORK, run_network
from .sybil_plugin import END, RECORDS, make_sybil

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    group = parser.getgroup("handbook")
    group.addoption("--update-examples", action="store_true", default=False,
                    help="rewrite expected output on pages from what actually ran (keeps `...` that still match)")
    group.addoption("--results", default=None, type=Path,
                    help="write every block's outcome to this JSON file (make test-docs: build/results.json)")
    group.addoption("--cache", default=None, type=Path, dest="results_cache",
                    help="reuse pages' recorded passes from this folder while their key is unchanged, and record "
                         "the pages this run verifies (make test-docs: build/cache/results); needs --results")
    group.addoption("--fresh", action="store_true", default=False,
                    help="with --cache: run every page (and still record what passes)")
    group.addoption("--network-ttl", default=cache.NETWORK_TTL, metavar="DURATION",
                    help="with --cache: how long the pass of a page with a `network` block is reused "
                         f"(0, 90s, 30m, 1h; default {cache.NETWORK_TTL}); 0 runs such pages every time")
    group.addoption("--shard", default=None, metavar="K/N",
                    help="run only the K-th of N disjoint shards of the pages, split by test-durations.json")


STARTED = time.time()  # the plugin is imported as the run starts: the run's timeline begins here
CTX = RunContext()  # this process's run; filled in by pytest_configure
DURATIONS = pytest.StashKey[dict]()
ENGINE_PAGES = pytest.StashKey[set]()
SELECTION: selection.Selection | None = None  # the controller's decision of which pages run (cache, shard)


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


interrupts.install()  # when the plugin is imported, the earliest moment pytest gives us


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo):
    interrupts.taken()


def pytest_configure(config):
    bashparse.remember_in(ROOT / "build" / "cache" / "bash-complete.json")
    CTX.root = ROOT
    config.stash[CONTEXT_KEY] = CTX
    CTX.update = config.getoption("--update-examples")
    results = config.getoption("--results")
    if not _is_worker(config):
        from .schedule import recorded_durations, recorded_engine_pages
        from .shards import load_durations, load_engine_pages

        # the last run's page durations plan this run (read before the new run replaces them); the
        # committed ones that shards are split by stand in for the pages it did not run
        last = results or ROOT / "build" / "results.json"
        seconds = recorded_durations(last)
        config.stash[DURATIONS] = {**load_durations(), **seconds}
        config.stash[ENGINE_PAGES] = recorded_engine_pages(last) | (load_engine_pages() - set(seconds))
        if results is not None:
            record.start(results)
    if not selection.collects_pages(config.args, ROOT / "tests") and not os.environ.get("HANDBOOK_SANDBOX_IMAGE"):
        return  # unit tests of the harness need no engine
    from .engine import ensure_engine
    from .errors import EngineUnavailable

    try:
        client = CTX.client = ensure_engine()
    except EngineUnavailable as e:
        raise pytest.UsageError(str(e)) from None  # one clear line, not a traceback
    if not _is_worker(config):
        labels.current_run()
        swept = labels.remove_stale(client)
        if swept:
            print(f"[handbook] removed {len(swept)} objects left by a killed run: {', '.join(swept[:6])}")
        if not NO_NETWORK:
            run_network(client)  # before workers start, so that they share one
        if not os.environ.get("HANDBOOK_SANDBOX_IMAGE"):
            from .images import ensure_all

            provisioned = ensure_all()
            os.environ["HANDBOOK_SANDBOX_IMAGE"] = provisioned["sandbox"]
            os.environ["HANDBOOK_SEED"] = str(provisioned["seed"])
    CTX.image = os.environ["HANDBOOK_SANDBOX_IMAGE"]
    CTX.seed = Path(os.environ["HANDBOOK_SEED"]) if os.environ.get("HANDBOOK_SEED") else None
    if not _is_worker(config):
        _select(config, results)


def _select(config, results: Path | None) -> None:
    """Decide, once and before any worker starts, which pages this run leaves out (cache hits,
    other shards' pages); the workers read the decision when they collect."""
    global SELECTION
    store, shard = config.getoption("results_cache"), config.getoption("--shard")
    if store is None and shard is None:
        return
    if results is None:
        raise pytest.UsageError("--cache and --shard need --results: the decision and the records live beside it")
    if CTX.update:
        store = None  # update mode rewrites pages from what runs: nothing is reused
    pages = selection.pages_given(config.args, Path(config.invocation_params.dir), config.getini("norecursedirs"))
    try:
        window = cache.parse_window(config.getoption("--network-ttl"))
        SELECTION = selection.decide(CTX, pages, results, store, config.getoption("--fresh"), shard,
                                     say=SAID.append, network_window=window)
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    _fewer_workers(config, len(SELECTION.facts) - len(SELECTION.left_out))


def _fewer_workers(config, pages: int) -> None:
    """No more workers than pages left to run: a worker costs a Python start and a collection, and
    after a one-page edit the second would only start, collect and stop."""
    wanted = config.getoption("numprocesses", None)
    if isinstance(wanted, int) and wanted > max(pages, 1) and getattr(config.option, "tx", None):
        config.option.numprocesses = max(pages, 1)
        config.option.tx = config.option.tx[:max(pages, 1)]


SAID: list[str] = []  # what the controller decided, shown when the session starts (configure's output is captured)


def pytest_sessionstart(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for line in SAID:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)
    SAID.clear()


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` over pages: longest first, each worker holding its next page (schedule.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from .schedule import PageScheduling

    return PageScheduling(config, log, config.stash.get(DURATIONS, {}), config.stash.get(ENGINE_PAGES, set()))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if CTX.client is not None:
        from .ahead import start_next

        start_next(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Write the block's record to this worker's part of the results file."""
    made = yield
    results = item.config.getoption("--results")
    if results is None:
        return
    report = made.get_result()
    writer = record.Writer(results, getattr(item.config, "workerinput", {}).get("workerid", "main"))
    example = getattr(item, "example", None)
    if example is not None:
        namespace = example.namespace
        if call.when == "call":
            found = namespace.get(RECORDS, {}).pop(example.start, None)
            if found is None and not report.passed:
                # the runner raised: no outcome, so the traceback is the record
                block = example.parsed
                found = record.harness_error(CTX.page_name(item.path), getattr(block, "line", example.line),
                                             getattr(block, "kind", "page-error"), str(report.longrepr))
            if found is not None:
                writer.write(found)
        elif call.when == "teardown" and END in namespace:
            writer.write(namespace.pop(END))
    elif call.when == "call" and getattr(item, "hb_record", None) is not None:
        writer.write(item.hb_record)


def pytest_sessionfinish(session, exitstatus):
    """Merge the results file, with what this run verified with: the site's stamps cite it."""
    interrupts.taken()  # the run is ending: a stop request still pending must not interrupt that
    config = session.config
    results = config.getoption("--results")
    if _is_worker(config) or results is None:
        return
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and SELECTION is not None and SELECTION.left_out:
        # every page was reused from the cache, or belongs to other shards: nothing to run is a pass
        session.exitstatus = exitstatus = pytest.ExitCode.OK
    info = record.run_info(CTX, int(exitstatus), [str(a) for a in config.args])
    info["started_at"], info["ended_at"] = round(STARTED, 3), round(time.time(), 3)
    if SELECTION is not None and SELECTION.shard is not None:
        info["shard"] = SELECTION.shard
    data = record.merge(results, info)
    if SELECTION is not None:
        selection.finish(SELECTION, data, say=lambda line: print("\n" + line))


def pytest_unconfigure(config):
    from .page import removals_done

    removals_done()
    if CTX.client is not None and not _is_worker(config):
        run_id, pid = labels.current_run()
        if pid == os.getpid():
            try:
                labels.remove_run(CTX.client, run_id)
            except Exception as e:  # noqa: BLE001 - the run is over; say why cleanup could not finish
                print(f"\n[handbook] could not remove this run's containers ({e}); "
                      "the next run removes them when the engine answers again")


_SYBIL = make_sybil(CTX)  # its pages read CTX when they run, after pytest_configure filled it in


def _outside_id(file_path: Path, parent) -> dict:
    """A node id for a page outside the rootdir: its absolute path.

    pytest names such a file relative to itself when it is given on the command line, so
    every page outside the repository got the id "" and two blocks on the same line of two
    pages collided (xdist then ran one of them, and JUnit had no classname).
    """
    try:
        file_path.relative_to(parent.session.config.rootpath)
        return {}
    except ValueError:
        return {"nodeid": file_path.resolve().as_posix()}


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".ipynb" and ".ipynb_checkpoints" not in file_path.parts:
        from .notebooks import NotebookFile

        return NotebookFile.from_parent(parent, path=file_path, **_outside_id(file_path, parent))
    if _SYBIL.should_parse(file_path):
        return SybilFile.from_parent(parent, path=file_path, sybils=[_SYBIL], **_outside_id(file_path, parent))
    return None


def pytest_collection_finish(session):
    bashparse.save()  # what collecting the pages asked bash, for the next run's workers


def pytest_collection_modifyitems(config, items):
    left_out = selection.left_out(config.getoption("--results"))
    if left_out:
        gone = [item for item in items if CTX.page_name(item.path) in left_out]
        if gone:
            config.hook.pytest_deselected(items=gone)
            items[:] = [item for item in items if CTX.page_name(item.path) not in left_out]
    for item in items:
        block = getattr(getattr(item, "example", None), "parsed", None)
        if block is not None and getattr(block, "options", {}).get("gpu"):
            item.add_marker(pytest.mark.gpu)
