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


def _collecting_pages(config) -> bool:
    args = [str(a) for a in config.args]
    return any(a.endswith(".md") or "docs" in a or a.endswith(".ipynb") for a in args)


def pytest_configure(config):
    Settings.root = ROOT
    Settings.update = config.getoption("--update-examples")
    if not _collecting_pages(config) and not os.environ.get("HANDBOOK_SANDBOX_IMAGE"):
        return  # unit tests of the harness need no engine
    from .engine import ensure_engine

    Settings.client = ensure_engine()
    if not _is_worker(config):
        labels.current_run()
        swept = labels.remove_stale(Settings.client)
        if swept:
            print(f"[handbook] removed {len(swept)} objects left by a killed run: {', '.join(swept[:6])}")
        if not NO_NETWORK:
            run_network(Settings.client)  # before workers start, so that they share one
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
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "junit": os.path.relpath(config.option.xmlpath, ROOT),
        "image": Settings.image,
        "image_id": Settings.client.images.get(Settings.image).id,
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
        return describe_sandbox(Settings.client, Settings.image)
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


_collect_page = make_sybil().pytest()


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".ipynb" and ".ipynb_checkpoints" not in file_path.parts:
        from .notebooks import NotebookFile

        return NotebookFile.from_parent(parent, path=file_path)
    return _collect_page(file_path, parent)


def pytest_collection_modifyitems(config, items):
    for item in items:
        block = getattr(getattr(item, "example", None), "parsed", None)
        if block is not None and getattr(block, "options", {}).get("gpu"):
            item.add_marker(pytest.mark.gpu)
