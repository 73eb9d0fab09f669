"""pytest side of the harness: options, run-wide setup, cleanup, reports.

The controlling process provisions the images and sweeps leftovers of
killed runs before any worker starts, and removes everything its run made
when it ends, also after Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from sybil.integration.pytest import SybilFile

from . import labels
from .evaluate import Settings
from .sandbox import NO_NETWORK, run_network
from .sybil_plugin import make_sybil

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    group = parser.getgroup("handbook")
    group.addoption("--update-examples", action="store_true", default=False,
                    help="rewrite expected output on pages from what actually ran (keeps `...` that still match)")


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _term_as_interrupt(signum, frame):
    # pytest tears down fixtures and runs pytest_unconfigure on KeyboardInterrupt, not on SIGTERM
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_on_signals() -> None:
    """Make SIGINT and SIGTERM stop the run, whatever this process inherited.

    A shell without job control starts its background commands (`make test &` in a script)
    with SIGINT ignored, and Python then leaves it ignored: Ctrl-C or `kill -INT` did
    nothing, the page ran to its end, and a caller waiting for the run to stop hung.
    Installed when the plugin is imported, the earliest moment pytest gives us.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _term_as_interrupt)


_stop_on_signals()
PAGE_SUFFIXES = (".md", ".ipynb")


def _collecting_pages(config) -> bool:
    """Whether this run may collect pages, and so needs the engine and the images.

    A page, or any folder outside the harness's own tests (docs/, or a folder of pages
    anywhere on the machine), may hold pages; the harness's unit tests need no engine.
    """
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        if path.suffix in PAGE_SUFFIXES:
            return True
        if path.is_dir() and not _inside(path, ROOT / "tests") and _holds_pages(path):
            return True
    return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def _holds_pages(folder: Path) -> bool:
    return any(next(folder.rglob("*" + suffix), None) for suffix in PAGE_SUFFIXES)


def pytest_configure(config):
    Settings.root = ROOT
    Settings.update = config.getoption("--update-examples")
    if not _collecting_pages(config) and not os.environ.get("HANDBOOK_SANDBOX_IMAGE"):
        return  # unit tests of the harness need no engine
    from .engine import ensure_engine

    client = Settings.client = ensure_engine()
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
    Settings.image = os.environ["HANDBOOK_SANDBOX_IMAGE"]
    Settings.seed = Path(os.environ["HANDBOOK_SEED"]) if os.environ.get("HANDBOOK_SEED") else None


def pytest_sessionfinish(session, exitstatus):
    """Record what this run verified with: the site's stamps cite it."""
    config = session.config
    if _is_worker(config) or not Settings.image or not config.option.xmlpath:
        return
    info = {
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "junit": os.path.relpath(config.option.xmlpath, ROOT),
        "image": Settings.image,
        "image_id": Settings.engine().images.get(Settings.image).id,
        "machine": _machine(),
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "exit_status": int(exitstatus),
    }
    target = Path(config.option.xmlpath).with_suffix(".run.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(info, indent=2) + "\n")


def _machine() -> str:
    """The reader's machine the pages ran on, as the stamps name it ("" if it cannot be read)."""
    from .images import describe_sandbox

    try:
        return describe_sandbox(Settings.engine(), Settings.image)
    except Exception as e:  # noqa: BLE001 - the stamps then cite the image alone; say why
        print(f"\n[handbook] could not read what the sandbox image is: {e}")
        return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def pytest_unconfigure(config):
    if Settings.client is not None and not _is_worker(config):
        run_id, pid = labels.current_run()
        if pid == os.getpid():
            try:
                labels.remove_run(Settings.client, run_id)
            except Exception as e:  # noqa: BLE001 - the run is over; say why cleanup could not finish
                print(f"\n[handbook] could not remove this run's containers ({e}); "
                      "the next run removes them when the engine answers again")


_SYBIL = make_sybil()


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


def pytest_collection_modifyitems(config, items):
    for item in items:
        block = getattr(getattr(item, "example", None), "parsed", None)
        if block is not None and getattr(block, "options", {}).get("gpu"):
            item.add_marker(pytest.mark.gpu)
